//! Monitoring of major hazard sources (重大危险源监测): sensor codes and specifications, the ingest
//! payloads (plain-text lines and JSON) with their parsing and per-reading checks, the per-sensor
//! alarm rule engine (`RuleState`: high/low with on-delay, off-delay and deadband, rate of change,
//! stuck value, no data, out of range) and the early-warning grade (红橙黄蓝) of a source from its
//! active alarms.
//!
//! Pure: no IO and no clock. Every function that needs the time takes it as epoch milliseconds.
//! Parsing never panics and allocates at most what the caller's `max` allows.
//!
//! - `sensor`: codes, kinds, set-points, rule settings, the checked spec.
//! - `payload`: the ingest payloads and the per-reading checks.
//! - `rules`: the alarm rule engine.
//! - `warning`: the early-warning grade of a source.
//! - `escalation`: the tiers an unacknowledged alarm goes up.

mod escalation;
mod payload;
mod rules;
mod sensor;
mod warning;

pub use escalation::*;
pub use payload::*;
pub use rules::*;
pub use sensor::*;
pub use warning::*;

#[cfg(test)]
mod tests;
