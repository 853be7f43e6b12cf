//! The inbox on the web: the JSON API (`api`) and the page (`pages`).

pub mod api;
pub mod pages;
