//! Escalation of unacknowledged alarms: the enterprise first, then the county, city and
//! province regulators in turn.

use serde::{Deserialize, Serialize};

/// Who is told of an unacknowledged alarm: the enterprise first, then the county, city and
/// province regulators in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTier {
    Enterprise,
    County,
    City,
    Province,
}

impl EscalationTier {
    pub const ALL: [EscalationTier; 4] = [EscalationTier::Enterprise, EscalationTier::County, EscalationTier::City, EscalationTier::Province];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::County => "county",
            Self::City => "city",
            Self::Province => "province",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|tier| tier.as_str() == text)
    }
}

/// Minutes an alarm may stay unacknowledged before it goes up to each tier. The official push
/// chain and its timings are not published, so every one is configurable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EscalationRules {
    pub county_after_min: u32,
    pub city_after_min: u32,
    pub province_after_min: u32,
}

impl Default for EscalationRules {
    fn default() -> Self {
        Self { county_after_min: 15, city_after_min: 30, province_after_min: 60 }
    }
}

impl EscalationRules {
    /// The times must rise from tier to tier.
    pub fn check(&self) -> Result<(), crate::message::Message> {
        if self.county_after_min == 0 || self.county_after_min >= self.city_after_min || self.city_after_min >= self.province_after_min {
            return Err(crate::message!("escalation.escalation_times_must_rise_0_county"));
        }
        Ok(())
    }

    /// The tier an alarm unacknowledged for `age_ms` has reached.
    pub fn due_tier(&self, age_ms: i64) -> EscalationTier {
        let minutes = age_ms.max(0) / 60_000;
        if minutes >= i64::from(self.province_after_min) {
            EscalationTier::Province
        } else if minutes >= i64::from(self.city_after_min) {
            EscalationTier::City
        } else if minutes >= i64::from(self.county_after_min) {
            EscalationTier::County
        } else {
            EscalationTier::Enterprise
        }
    }
}
