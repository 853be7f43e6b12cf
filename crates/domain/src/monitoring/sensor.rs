//! Sensors: codes, what they measure, alarm set-points, rule settings and the checked spec.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest sensor code, in bytes (codes are ASCII).
pub const MAX_CODE_LEN: usize = 64;
/// The longest unit of measure, in characters.
pub const MAX_UNIT_LEN: usize = 16;
/// The longest reporting interval: one day.
pub const MAX_INTERVAL_S: u32 = 86_400;

/// Whether `text` is a sensor code: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
pub fn is_valid_code(text: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A sensor's code, unique on the platform: `[A-Za-z0-9._-]{1,64}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SensorCode(String);

impl SensorCode {
    pub fn parse(text: &str) -> Result<Self, SensorSpecError> {
        if is_valid_code(text) { Ok(Self(text.to_owned())) } else { Err(SensorSpecError::InvalidCode(excerpt(text))) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SensorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first characters of a rejected input, enough to recognise it in an error message.
fn excerpt(text: &str) -> String {
    const KEEP: usize = 70;
    match text.char_indices().nth(KEEP) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// What a sensor measures. The monitored variables of a major hazard source: level, temperature,
/// pressure and flow of the process, and combustible and toxic gas around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    Level,
    Temperature,
    Pressure,
    Flow,
    CombustibleGas,
    ToxicGas,
}

impl SensorKind {
    pub const ALL: [SensorKind; 6] = [Self::Level, Self::Temperature, Self::Pressure, Self::Flow, Self::CombustibleGas, Self::ToxicGas];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Temperature => "temperature",
            Self::Pressure => "pressure",
            Self::Flow => "flow",
            Self::CombustibleGas => "combustible_gas",
            Self::ToxicGas => "toxic_gas",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Level => "液位",
            Self::Temperature => "温度",
            Self::Pressure => "压力",
            Self::Flow => "流量",
            Self::CombustibleGas => "可燃气体",
            Self::ToxicGas => "有毒气体",
        }
    }

    pub fn default_unit(self) -> &'static str {
        match self {
            Self::Level => "%",
            Self::Temperature => "°C",
            Self::Pressure => "MPa",
            Self::Flow => "m³/h",
            Self::CombustibleGas => "%LEL",
            Self::ToxicGas => "ppm",
        }
    }

    /// Gas detectors alarm on concentration; the others measure the process.
    fn is_gas(self) -> bool {
        matches!(self, Self::CombustibleGas | Self::ToxicGas)
    }
}

/// Alarm set-points in engineering units. Absent levels are not alarmed. For gas detectors
/// (GB/T 50493-2019) `high` is the first-level and `high_high` the second-level alarm.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thresholds {
    pub low_low: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub high_high: Option<f64>,
}

/// How the rule engine treats a sensor's readings. Every timing is configurable because the
/// official persistence and clearing rules were not found (see DOMAIN.md).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RuleSettings {
    /// A condition must hold on every reading for this long (by reading timestamps) before its
    /// alarm is raised; 0 raises on the first reading in the condition.
    pub on_delay_ms: u32,
    /// A cleared condition must stay cleared on every reading for this long before the alarm clears.
    pub off_delay_ms: u32,
    /// Absolute, in engineering units, >= 0: a high alarm clears only below `high - deadband`, a
    /// low alarm only above `low + deadband`.
    pub deadband: f64,
    /// |Δvalue| per minute between consecutive readings above this raises a rate-of-change alarm.
    pub rate_per_min: Option<f64>,
    /// No reading for this many reporting intervals raises a no-data alarm (>= 2).
    pub offline_after_intervals: u32,
    /// A value unchanged (exactly equal) for this long raises a stuck-sensor fault.
    pub stuck_after_ms: Option<u32>,
}

impl RuleSettings {
    /// Sensible defaults for a kind of sensor reporting every `interval_s` seconds:
    /// - on-delay 15 s for pressure and flow and 60 s for level and temperature (the starting
    ///   points usually quoted from ISA-18.2 practice); 0 for gas, which must alarm at once;
    /// - off-delay the same as the on-delay for process variables, 60 s for gas, so a detector
    ///   hovering at its set-point does not chatter;
    /// - deadband 0, because it is absolute and depends on the range: use
    ///   [`RuleSettings::for_range`] to get one proportional to the span;
    /// - no rate-of-change rule (its limit is a process decision);
    /// - no data after 3 intervals;
    /// - stuck after 24 hours or 100 intervals, whichever is longer, for level, temperature and
    ///   pressure; none for flow (a stopped line reads exactly 0 for days) and for gas detectors
    ///   (they legitimately sit at 0 for days).
    pub fn default_for(kind: SensorKind, interval_s: u32) -> Self {
        let delay_ms = match kind {
            SensorKind::Pressure | SensorKind::Flow => 15_000,
            SensorKind::Level | SensorKind::Temperature => 60_000,
            SensorKind::CombustibleGas | SensorKind::ToxicGas => 0,
        };
        let stuck_after_ms = match kind {
            SensorKind::Level | SensorKind::Temperature | SensorKind::Pressure => {
                let hundred_intervals_ms = u64::from(interval_s) * 100 * 1000;
                Some(u32::try_from(hundred_intervals_ms.max(24 * 3_600_000)).unwrap_or(u32::MAX))
            }
            SensorKind::Flow | SensorKind::CombustibleGas | SensorKind::ToxicGas => None,
        };
        Self {
            on_delay_ms: delay_ms,
            off_delay_ms: if kind.is_gas() { 60_000 } else { delay_ms },
            deadband: 0.0,
            rate_per_min: None,
            offline_after_intervals: 3,
            stuck_after_ms,
        }
    }

    /// [`RuleSettings::default_for`] with a deadband proportional to the span of the range:
    /// 5 % for level and flow, 2 % for pressure and gas, 1 % for temperature (0 when the range is
    /// not a finite, non-empty interval).
    pub fn for_range(kind: SensorKind, interval_s: u32, range_min: f64, range_max: f64) -> Self {
        let percent = match kind {
            SensorKind::Level | SensorKind::Flow => 5.0,
            SensorKind::Pressure | SensorKind::CombustibleGas | SensorKind::ToxicGas => 2.0,
            SensorKind::Temperature => 1.0,
        };
        let span = range_max - range_min;
        let deadband = if span.is_finite() && span > 0.0 { span * percent / 100.0 } else { 0.0 };
        Self { deadband, ..Self::default_for(kind, interval_s) }
    }
}

/// A sensor as the rule engine and the ingest checks see it. Built through [`SensorSpec::new`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorSpec {
    pub kind: SensorKind,
    pub unit: String,
    /// The physical measuring range; a reading outside it is a sensor fault, not a process value.
    pub range_min: f64,
    pub range_max: f64,
    pub thresholds: Thresholds,
    /// How often the sensor reports, in seconds.
    pub interval_s: u32,
    pub rules: RuleSettings,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensorSpecError {
    #[error("invalid sensor code {0:?}: use 1 to 64 letters, digits, '.', '_' or '-'")]
    InvalidCode(String),
    #[error("unit must be 1 to 16 characters without control characters")]
    Unit,
    #[error("{field} must be a finite number")]
    NotFinite { field: &'static str },
    #[error("range_min ({range_min}) must be below range_max ({range_max})")]
    EmptyRange { range_min: f64, range_max: f64 },
    #[error("threshold {lower} ({lower_value}) must be below {upper} ({upper_value})")]
    ThresholdOrder { lower: &'static str, lower_value: f64, upper: &'static str, upper_value: f64 },
    #[error("threshold {field} ({value}) lies outside the range from range_min to range_max")]
    ThresholdOutsideRange { field: &'static str, value: f64 },
    #[error("interval_s must be 1 to 86400 seconds, got {0}")]
    Interval(u32),
    #[error("rules.deadband must be at least 0 and smaller than the range width, got {0}")]
    Deadband(f64),
    #[error("rules.rate_per_min must be above 0, got {0}")]
    RatePerMin(f64),
    #[error("rules.offline_after_intervals must be at least 2, got {0}")]
    OfflineAfterIntervals(u32),
    #[error("rules.stuck_after_ms must be above 0")]
    StuckAfter,
}

impl SensorSpecError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::InvalidCode(v0) => crate::message!("sensor.sensor_spec_error.invalid_code", v0_dbg = format!("{v0:?}")),
            Self::Unit => crate::message!("sensor.sensor_spec_error.unit"),
            Self::NotFinite { field } => crate::message!("sensor.sensor_spec_error.not_finite", field = field),
            Self::EmptyRange { range_min, range_max } => crate::message!("sensor.sensor_spec_error.empty_range", range_max = range_max, range_min = range_min),
            Self::ThresholdOrder { lower, lower_value, upper, upper_value } => {
                crate::message!("sensor.sensor_spec_error.threshold_order", lower = lower, lower_value = lower_value, upper = upper, upper_value = upper_value)
            }
            Self::ThresholdOutsideRange { field, value } => crate::message!("sensor.sensor_spec_error.threshold_outside_range", field = field, value = value),
            Self::Interval(v0) => crate::message!("sensor.sensor_spec_error.interval", v0 = v0),
            Self::Deadband(v0) => crate::message!("sensor.sensor_spec_error.deadband", v0 = v0),
            Self::RatePerMin(v0) => crate::message!("sensor.sensor_spec_error.rate_per_min", v0 = v0),
            Self::OfflineAfterIntervals(v0) => crate::message!("sensor.sensor_spec_error.offline_after_intervals", v0 = v0),
            Self::StuckAfter => crate::message!("sensor.sensor_spec_error.stuck_after"),
        }
    }
}

impl SensorSpec {
    /// Validates: all numbers finite; range_min < range_max; present thresholds strictly ordered
    /// low_low < low < high < high_high and inside the range; interval_s in 1..=86400; deadband at
    /// least 0 and smaller than the range width; rate_per_min > 0 when present;
    /// offline_after_intervals at least 2; stuck_after_ms > 0 when present; unit 1..=16
    /// characters, not blank, without control characters. The first problem found is reported.
    pub fn new(
        kind: SensorKind,
        unit: &str,
        range_min: f64,
        range_max: f64,
        thresholds: Thresholds,
        interval_s: u32,
        rules: RuleSettings,
    ) -> Result<Self, SensorSpecError> {
        let unit_len = unit.chars().count();
        if !(1..=MAX_UNIT_LEN).contains(&unit_len) || unit.trim().is_empty() || unit.chars().any(char::is_control) {
            return Err(SensorSpecError::Unit);
        }
        finite("range_min", range_min)?;
        finite("range_max", range_max)?;
        if range_min >= range_max {
            return Err(SensorSpecError::EmptyRange { range_min, range_max });
        }
        let levels = [
            ("thresholds.low_low", thresholds.low_low),
            ("thresholds.low", thresholds.low),
            ("thresholds.high", thresholds.high),
            ("thresholds.high_high", thresholds.high_high),
        ];
        let mut previous: Option<(&'static str, f64)> = None;
        for (field, value) in levels {
            let Some(value) = value else { continue };
            finite(field, value)?;
            if !(range_min..=range_max).contains(&value) {
                return Err(SensorSpecError::ThresholdOutsideRange { field, value });
            }
            if let Some((lower, lower_value)) = previous
                && lower_value >= value
            {
                return Err(SensorSpecError::ThresholdOrder { lower, lower_value, upper: field, upper_value: value });
            }
            previous = Some((field, value));
        }
        if !(1..=MAX_INTERVAL_S).contains(&interval_s) {
            return Err(SensorSpecError::Interval(interval_s));
        }
        finite("rules.deadband", rules.deadband)?;
        if rules.deadband < 0.0 || rules.deadband >= range_max - range_min {
            return Err(SensorSpecError::Deadband(rules.deadband));
        }
        if let Some(rate) = rules.rate_per_min {
            finite("rules.rate_per_min", rate)?;
            if rate <= 0.0 {
                return Err(SensorSpecError::RatePerMin(rate));
            }
        }
        if rules.offline_after_intervals < 2 {
            return Err(SensorSpecError::OfflineAfterIntervals(rules.offline_after_intervals));
        }
        if rules.stuck_after_ms == Some(0) {
            return Err(SensorSpecError::StuckAfter);
        }
        Ok(Self { kind, unit: unit.to_owned(), range_min, range_max, thresholds, interval_s, rules })
    }

    /// Whether a finite value lies inside the physical range (bounds included).
    pub(super) fn in_range(&self, value: f64) -> bool {
        (self.range_min..=self.range_max).contains(&value)
    }
}

fn finite(field: &'static str, value: f64) -> Result<(), SensorSpecError> {
    if value.is_finite() { Ok(()) } else { Err(SensorSpecError::NotFinite { field }) }
}
