//! Accounts on the web: logging in for a token and the caller's own tokens (`api`), the
//! administrators' account pages (`admin`), and each user's own profile (`profile`).

pub mod admin;
pub mod api;
pub mod profile;
