//! The enterprise registry on the web: the JSON API (`api`); its pages are still in `crate::pages`.

pub mod api;
