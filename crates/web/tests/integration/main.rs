//! The web layer's tests against the real router in-process: one test binary for the crate (linking
//! a binary of this size once, not once per file, keeps the build's time and disk in bounds).

mod anonymity;
mod authorization;
mod http;
mod layering;
mod messages;
mod source_files;
mod support;
