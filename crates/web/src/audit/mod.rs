//! The audit log on the web: search, verification and export for the audit administrator
//! (`pages`).

pub mod pages;
