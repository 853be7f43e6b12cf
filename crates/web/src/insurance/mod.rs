//! Liability insurance on the web: the JSON API (`api`) and the pages (`pages`).

pub mod api;
pub mod pages;
