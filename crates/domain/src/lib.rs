//! anwei's domain: entities, value types and pure calculations. No IO lives here.
//!
//! A value that exists is valid: every type here is built through `parse`/`TryFrom` and has no
//! setter that could break it.

pub mod access;
pub mod accidents;
pub mod accountability;
pub mod assessment;
pub mod audit;
pub mod credit;
pub mod credit_code;
pub mod enforcement;
pub mod enterprises;
pub mod gb18218;
pub mod hidden_dangers;
pub mod inbox;
pub mod insurance;
pub mod labels;
pub mod message;
pub mod monitoring;
pub mod region;
pub mod risk_points;
pub mod role;
pub mod supervision;
pub mod text;
pub mod time;
pub mod tips;
pub mod unit;
pub mod workplans;

pub use credit_code::CreditCode;
pub use region::{RegionCode, RegionLevel};
