//! The demo province and its simulator, above the use cases: `anwei demo` loads a deterministic
//! Jilin (regions, units, about 3,000 enterprises, the accounts, the reference work plan under way,
//! hidden dangers, risk points, hazard sources with sensors, a campaign) and feeds its sensors
//! live; tests load smaller provinces as fixtures. Demo data is synthetic.
//!
//! - `province`: loading the province (through `app`'s use cases where there is one, and the
//!   store's seeding operations where a use case would ask for a person).
//! - `accidents`: two years of accidents of every level, one concealed, and the 重大 one's report.
//! - `enforcement`: jurisdiction settled, offices with inspector pools, this year's plans at
//!   every tier and some inspections done.
//! - `simulator`: the fault model, incidents, alarm-quality scoring and the live feed.

pub mod accidents;
pub mod enforcement;
pub mod insurance;
pub mod province;
pub mod simulator;
pub mod tips;

pub use province::{DEMO_PASSWORD, DEMO_SEED, DemoAccount, load, load_with, loaded, mark_legacy_sensors};
