//! The expert pool on the web: the pages (`pages`).

pub mod pages;
