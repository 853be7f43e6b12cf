//! Whistleblowing on the web: the public report and follow-up pages and their API (no account,
//! no address kept: `throttle` counts clients under a secret that lives an hour in memory), and
//! the handlers' inbox, tip pages and custodian steps.

pub mod api;
pub mod pages;
pub mod throttle;

use std::net::{IpAddr, Ipv4Addr};

use crate::client_address::ClientAddress;

/// The address a throttle counts a client by (never stored): the resolved client address, or
/// the unspecified address for a request that came through no socket.
pub(crate) fn throttle_address(address: Option<axum::Extension<ClientAddress>>) -> IpAddr {
    address.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.0.0)
}

/// The refusal of a throttled client: the same whatever was sent.
pub(crate) fn throttled() -> crate::error::ApiError {
    crate::error::ApiError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", domain::message!("tips.throttled"))
}
