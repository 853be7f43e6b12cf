//! The use cases on the real store, on SQLite and (when configured) PostgreSQL: one test binary
//! for the whole crate, one module per module of `app` (linking a binary of this size once, not
//! once per module, keeps the build's time and disk in bounds).

mod accidents;
mod accountability;
mod audit;
mod checklists;
mod commitments;
mod enforcement;
mod figures;
mod fuzz_corpus;
mod hidden_dangers;
mod inbox;
mod insurance;
mod monitoring;
mod registry;
mod support;
mod tips;
mod workplans;
