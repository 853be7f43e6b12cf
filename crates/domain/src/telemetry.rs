//! Telemetry of major hazard sources (重大危险源监测): sensor codes and specifications, the ingest
//! payloads (plain-text lines and JSON) with their parsing and per-reading checks, the per-sensor
//! alarm rule engine (`RuleState`: high/low with on-delay, off-delay and deadband, rate of change,
//! stuck value, no data, out of range) and the early-warning grade (红橙黄蓝) of a source from its
//! active alarms.
//!
//! Pure: no IO and no clock. Every function that needs the time takes it as epoch milliseconds.
//! Parsing never panics and allocates at most what the caller's `max` allows.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
    #[error("传感器编码 {0:?} 无效:应为1至64个字母、数字或 . _ - / invalid sensor code {0:?}: use 1 to 64 letters, digits, '.', '_' or '-'")]
    InvalidCode(String),
    #[error("单位 unit 应为1至16个字符且不含控制字符 / unit must be 1 to 16 characters without control characters")]
    Unit,
    #[error("{field} 应为有限数值 / {field} must be a finite number")]
    NotFinite { field: &'static str },
    #[error("量程下限 range_min({range_min})应小于上限 range_max({range_max}) / range_min ({range_min}) must be below range_max ({range_max})")]
    EmptyRange { range_min: f64, range_max: f64 },
    #[error("阈值 {lower}({lower_value})应小于 {upper}({upper_value}) / threshold {lower} ({lower_value}) must be below {upper} ({upper_value})")]
    ThresholdOrder { lower: &'static str, lower_value: f64, upper: &'static str, upper_value: f64 },
    #[error("阈值 {field}({value})超出量程 / threshold {field} ({value}) lies outside the range from range_min to range_max")]
    ThresholdOutsideRange { field: &'static str, value: f64 },
    #[error("上报周期 interval_s 应为1至86400秒(现为{0}) / interval_s must be 1 to 86400 seconds, got {0}")]
    Interval(u32),
    #[error("死区 rules.deadband 应不小于0且小于量程宽度(现为{0}) / rules.deadband must be at least 0 and smaller than the range width, got {0}")]
    Deadband(f64),
    #[error("变化率限值 rules.rate_per_min 应大于0(现为{0}) / rules.rate_per_min must be above 0, got {0}")]
    RatePerMin(f64),
    #[error("rules.offline_after_intervals 应不小于2(现为{0}) / rules.offline_after_intervals must be at least 2, got {0}")]
    OfflineAfterIntervals(u32),
    #[error("rules.stuck_after_ms 应大于0 / rules.stuck_after_ms must be above 0")]
    StuckAfter,
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
    fn in_range(&self, value: f64) -> bool {
        (self.range_min..=self.range_max).contains(&value)
    }
}

fn finite(field: &'static str, value: f64) -> Result<(), SensorSpecError> {
    if value.is_finite() { Ok(()) } else { Err(SensorSpecError::NotFinite { field }) }
}

// ---- ingest payloads ----

/// One reading as it arrived, before the sensor is looked up. `code` borrows from the body.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawReading<'a> {
    pub code: &'a str,
    pub value: f64,
    pub ts_ms: i64,
}

/// Why one reading of a batch was not stored. The others of the batch are unaffected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Malformed,
    UnknownSensor,
    NotFinite,
    OutOfRange,
    TooOld,
    InFuture,
    Duplicate,
    OutOfOrder,
}

impl RejectReason {
    pub const ALL: [RejectReason; 8] =
        [Self::Malformed, Self::UnknownSensor, Self::NotFinite, Self::OutOfRange, Self::TooOld, Self::InFuture, Self::Duplicate, Self::OutOfOrder];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnknownSensor => "unknown_sensor",
            Self::NotFinite => "not_finite",
            Self::OutOfRange => "out_of_range",
            Self::TooOld => "too_old",
            Self::InFuture => "in_future",
            Self::Duplicate => "duplicate",
            Self::OutOfOrder => "out_of_order",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => {
                "格式错误:应为传感器编码、数值和毫秒时间戳 / malformed: expected a sensor code, a decimal value and an integer timestamp in milliseconds"
            }
            Self::UnknownSensor => "未登记的传感器编码 / unknown sensor code",
            Self::NotFinite => "数值不是有限数 / the value is not a finite number",
            Self::OutOfRange => "数值超出传感器量程 / the value lies outside the sensor's range",
            Self::TooOld => "时间戳过早,超出可接收的时间窗口 / the timestamp is older than the accepted window",
            Self::InFuture => "时间戳晚于当前时间 / the timestamp lies in the future",
            Self::Duplicate => "重复读数:该时间戳已接收 / duplicate: a reading with this timestamp was already received",
            Self::OutOfOrder => "时间戳早于已接收的读数 / out of order: older than a reading already received",
        }
    }
}

/// A batch that cannot be read at all. Problems of single readings are [`RejectReason`]s instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("一批最多 {max} 条读数 / a batch holds at most {max} readings")]
    TooMany { max: usize },
    #[error("请求体不是合法的 UTF-8(第 {byte_offset} 字节起) / the body is not valid UTF-8 from byte {byte_offset}")]
    NotUtf8 { byte_offset: usize },
    #[error(
        "JSON 请求体应为读数数组 [{{\"sensor\", \"value\", \"ts\"}}, …] / the JSON body must be an array of readings [{{\"sensor\", \"value\", \"ts\"}}, …]"
    )]
    NotAnArray,
    #[error("JSON 第 {line} 行第 {column} 列有误:{detail} / invalid JSON at line {line}, column {column}: {detail}")]
    Json { line: usize, column: usize, detail: String },
}

type Entry<'a> = Result<RawReading<'a>, RejectReason>;

/// Pushes one entry, growing the vector by doubling but never beyond `max` entries.
fn push_bounded<T>(entries: &mut Vec<T>, entry: T, max: usize) -> Result<(), BatchError> {
    if entries.len() >= max {
        return Err(BatchError::TooMany { max });
    }
    if entries.len() == entries.capacity() {
        entries.reserve_exact(entries.len().max(16).min(max - entries.len()));
    }
    entries.push(entry);
    Ok(())
}

/// text/plain: one reading per line, `CODE VALUE TS_MS` separated by ASCII spaces/tabs; blank lines
/// are skipped and do not get an index; a CRLF line end is fine. One entry per non-blank line, in
/// order; a bad line is `Err(Malformed)` (wrong field count, invalid code, value not a decimal
/// number, ts not an integer) or `Err(NotFinite)` (NaN, inf), and never affects the others. More
/// than `max` entries -> Err(BatchError::TooMany) without allocating beyond max.
///
/// A line is blank when it holds nothing but spaces and tabs (and the `\r` of a CRLF). A leading
/// UTF-8 byte-order mark is ignored. A value beyond ±1.8e308 (such as `1e400`) is NotFinite.
pub fn parse_lines(body: &str, max: usize) -> Result<Vec<Result<RawReading<'_>, RejectReason>>, BatchError> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut entries = Vec::new();
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut fields = line.split([' ', '\t']).filter(|field| !field.is_empty());
        let (Some(code), value, ts, rest) = (fields.next(), fields.next(), fields.next(), fields.next()) else { continue };
        let entry = match (value, ts, rest) {
            (Some(value), Some(ts), None) => parse_line(code, value, ts),
            _ => Err(RejectReason::Malformed),
        };
        push_bounded(&mut entries, entry, max)?;
    }
    Ok(entries)
}

fn parse_line<'a>(code: &'a str, value: &str, ts: &str) -> Entry<'a> {
    if !is_valid_code(code) {
        return Err(RejectReason::Malformed);
    }
    let ts_ms: i64 = ts.parse().map_err(|_| RejectReason::Malformed)?;
    // Rust's float syntax is decimal (digits, point, exponent); it also reads `nan` and `inf`,
    // which are finite-number problems rather than malformed lines.
    let value: f64 = value.parse().map_err(|_| RejectReason::Malformed)?;
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    Ok(RawReading { code, value, ts_ms })
}

/// A payload whose format is not declared (an MQTT message): a JSON array when the first byte
/// other than whitespace (and a byte-order mark) is `[`, UTF-8 text lines otherwise.
pub fn parse_payload(payload: &[u8], max: usize) -> Result<Vec<Result<RawReading<'_>, RejectReason>>, BatchError> {
    let body = payload.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(payload);
    if body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'[') {
        return parse_json(payload, max);
    }
    let text = std::str::from_utf8(payload).map_err(|error| BatchError::NotUtf8 { byte_offset: error.valid_up_to() })?;
    parse_lines(text, max)
}

/// application/json: `[{"sensor": CODE, "value": V, "ts": TS_MS}, ...]`. Only a body that is not a
/// JSON array (or not valid JSON) fails as a whole; an element of the wrong shape (missing field,
/// wrong type, invalid code, extra nesting) is `Err(Malformed)` for that index only.
///
/// Details: the code is borrowed from the body, so a code written with escapes is Malformed; a
/// field given twice is Malformed; other fields are ignored; `ts` must be a JSON integer that
/// fits in i64. Whole-body failures: invalid UTF-8 (`NotUtf8` with the byte offset), anything but
/// an array (`NotAnArray`), invalid JSON, nesting deeper than 128 levels or a number beyond
/// ±1.8e308 (`Json` with line and column: the JSON parser refuses to build an infinite number).
/// A leading UTF-8 byte-order mark is ignored.
pub fn parse_json(body: &[u8], max: usize) -> Result<Vec<Result<RawReading<'_>, RejectReason>>, BatchError> {
    let text = std::str::from_utf8(body).map_err(|error| BatchError::NotUtf8 { byte_offset: error.valid_up_to() })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_ascii().is_empty() {
        return Err(BatchError::NotAnArray);
    }
    let mut outcome = BatchOutcome::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = deserializer.deserialize_seq(BatchVisitor { max, outcome: &mut outcome }).and_then(|entries| deserializer.end().map(|()| entries));
    parsed.map_err(|error| {
        if outcome.too_many {
            BatchError::TooMany { max }
        } else if !outcome.entered && error.classify() == serde_json::error::Category::Data {
            BatchError::NotAnArray
        } else {
            let (line, column) = (error.line(), error.column());
            let detail = error.to_string();
            let detail = detail.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&detail).to_owned();
            BatchError::Json { line, column, detail }
        }
    })
}

/// What the batch visitor saw, to tell the caller's errors apart from the parser's.
#[derive(Default)]
struct BatchOutcome {
    entered: bool,
    too_many: bool,
}

struct BatchVisitor<'o> {
    max: usize,
    outcome: &'o mut BatchOutcome,
}

impl<'de> Visitor<'de> for BatchVisitor<'_> {
    type Value = Vec<Entry<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of readings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.outcome.entered = true;
        let mut entries = Vec::new();
        while let Some(Element(entry)) = seq.next_element::<Element<'de>>()? {
            if push_bounded(&mut entries, entry, self.max).is_err() {
                self.outcome.too_many = true;
                return Err(de::Error::custom("too many readings"));
            }
        }
        Ok(entries)
    }
}

/// One array element. Its deserialisation fails only on a JSON syntax error, never on its shape.
struct Element<'a>(Entry<'a>);

impl<'de> Deserialize<'de> for Element<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

const MALFORMED: Element<'static> = Element(Err(RejectReason::Malformed));

/// Drains a nested array or object without keeping anything of it.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reading {\"sensor\", \"value\", \"ts\"}")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MALFORMED)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(MALFORMED)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut sensor, mut value, mut ts) = (None, None, None);
        let mut repeated = false;
        while let Some(field) = map.next_key::<Field>()? {
            let slot = match field {
                Field::Sensor => &mut sensor,
                Field::Value => &mut value,
                Field::Ts => &mut ts,
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            repeated |= slot.replace(map.next_value::<Scalar<'de>>()?).is_some();
        }
        if repeated {
            return Ok(MALFORMED);
        }
        Ok(Element(json_reading(sensor, value, ts)))
    }
}

fn json_reading<'a>(sensor: Option<Scalar<'a>>, value: Option<Scalar<'a>>, ts: Option<Scalar<'a>>) -> Entry<'a> {
    let Some(Scalar::Str(code)) = sensor else { return Err(RejectReason::Malformed) };
    if !is_valid_code(code) {
        return Err(RejectReason::Malformed);
    }
    let value = match value {
        Some(Scalar::Int(v)) => v as f64,
        Some(Scalar::UInt(v)) => v as f64,
        Some(Scalar::Float(v)) => v,
        _ => return Err(RejectReason::Malformed),
    };
    let ts_ms = match ts {
        Some(Scalar::Int(ts)) => ts,
        Some(Scalar::UInt(ts)) => i64::try_from(ts).map_err(|_| RejectReason::Malformed)?,
        _ => return Err(RejectReason::Malformed),
    };
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    Ok(RawReading { code, value, ts_ms })
}

enum Field {
    Sensor,
    Value,
    Ts,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "sensor" => Field::Sensor,
                    "value" => Field::Value,
                    "ts" => Field::Ts,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A field's value, whatever its JSON type; the element decides what it accepts.
enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// An escaped string, a boolean, null, an array or an object.
    Other,
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::UInt(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(v))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Scalar::Other)
    }
}

/// How far from `now` a reading's timestamp may lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWindow {
    pub max_past_ms: i64,
    pub max_future_ms: i64,
}

/// Checks one reading for a known sensor: NotFinite, OutOfRange (outside [range_min, range_max]),
/// TooOld (older than now - max_past), InFuture (later than now + max_future). Order-related checks
/// (Duplicate/OutOfOrder) are done by RuleState::admit.
///
/// The time checks come before the range check, so `OutOfRange` — which the caller feeds to
/// [`RuleState::observe_out_of_range`] as evidence of a fault — is only ever reported for a
/// reading that is otherwise timely.
pub fn check_reading(spec: &SensorSpec, value: f64, ts_ms: i64, now_ms: i64, window: TimeWindow) -> Result<(), RejectReason> {
    if !value.is_finite() {
        return Err(RejectReason::NotFinite);
    }
    if ts_ms < now_ms.saturating_sub(window.max_past_ms) {
        return Err(RejectReason::TooOld);
    }
    if ts_ms > now_ms.saturating_add(window.max_future_ms) {
        return Err(RejectReason::InFuture);
    }
    if !spec.in_range(value) {
        return Err(RejectReason::OutOfRange);
    }
    Ok(())
}

// ---- rule engine ----

/// What an alarm is about. High and Low cover both levels (high / high-high); the level is the
/// alarm's [`Severity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    High,
    Low,
    RateOfChange,
    NoData,
    Stuck,
    OutOfRange,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 6] = [Self::High, Self::Low, Self::RateOfChange, Self::NoData, Self::Stuck, Self::OutOfRange];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Low => "low",
            Self::RateOfChange => "rate_of_change",
            Self::NoData => "no_data",
            Self::Stuck => "stuck",
            Self::OutOfRange => "out_of_range",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::High => "高报",
            Self::Low => "低报",
            Self::RateOfChange => "变化率",
            Self::NoData => "数据中断",
            Self::Stuck => "数值不变",
            Self::OutOfRange => "超量程",
        }
    }

    /// A fault of the sensor or its data rather than of the process.
    pub fn is_fault(self) -> bool {
        matches!(self, Self::NoData | Self::Stuck | Self::OutOfRange)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Low/High = Warning, LowLow/HighHigh = Critical; rate of change, faults and no data = Warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Self::Warning, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|severity| severity.as_str() == text)
    }
}

/// A transition of one sensor's alarm of one kind. Per kind the events of a sensor always run
/// `Raised (Worsened)* Cleared`, and `ts_ms` is the time of the reading (or of the silence check)
/// that caused the transition; of the events one reading causes, the Cleared ones come first. `value` is that reading's value; it is NaN when there is none: for
/// NoData, and for OutOfRange raised through [`RuleState::observe_out_of_range`], which is not
/// given the value (use [`RuleState::observe_out_of_range_value`] to carry it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum AlarmEvent {
    Raised {
        kind: AlarmKind,
        severity: Severity,
        value: f64,
        ts_ms: i64,
    },
    /// The severity rose while active (the high-high or low-low level held for the on-delay).
    Worsened {
        kind: AlarmKind,
        severity: Severity,
        value: f64,
        ts_ms: i64,
    },
    Cleared {
        kind: AlarmKind,
        ts_ms: i64,
    },
}

impl AlarmEvent {
    pub fn kind(&self) -> AlarmKind {
        match *self {
            Self::Raised { kind, .. } | Self::Worsened { kind, .. } | Self::Cleared { kind, .. } => kind,
        }
    }

    pub fn ts_ms(&self) -> i64 {
        match *self {
            Self::Raised { ts_ms, .. } | Self::Worsened { ts_ms, .. } | Self::Cleared { ts_ms, .. } => ts_ms,
        }
    }
}

/// The stopwatches of the rule engine. Each measures, on reading timestamps, how long a condition
/// has held; which condition depends on the alarm's state (see `RuleState`).
#[derive(Clone, Copy)]
enum Timer {
    /// High not active: how long the value has been at or above the entry level; active: how long
    /// it has been below the deadband.
    High,
    /// The mirror image for Low.
    Low,
    /// How long the value has been at the critical level (high-high or low-low, the side in
    /// `CRITICAL_LOW`), both before a High/Low alarm is raised and while it is active.
    Critical,
    /// Rate alarm active: how long the rate has been within its limit.
    Rate,
    /// How long the value has been exactly the same.
    Stuck,
    /// Not active: how long readings have been out of range; active: how long they have been valid.
    OutOfRange,
}

const TIMERS: usize = 6;

/// `RuleState::flags`: a reading (valid or out of range) has been taken in; `last_ts_ms` is its time.
const HEARD: u8 = 1;
/// No reading yet, but silence is being measured from `last_ts_ms`.
const WATCHING: u8 = 1 << 1;
/// `last_value` holds the latest valid value.
const HAS_VALUE: u8 = 1 << 2;
/// The latest reading taken in was valid, so the next one can be compared with it for the rate.
const RATE_BASE: u8 = 1 << 3;
/// The critical-level timer runs for the low side (else for the high side).
const CRITICAL_LOW: u8 = 1 << 4;
/// A critical High (Low) alarm whose value has since fallen back below its critical level by
/// the deadband: the critical level held again announces it again.
const EASED_HIGH: u8 = 1 << 5;
const EASED_LOW: u8 = 1 << 6;

/// Per-sensor rule state: 48 bytes (the platform keeps one per sensor for 440,000 sensors).
///
/// Semantics, per kind of alarm (one live alarm per kind; a kind raises again only after it
/// cleared):
/// - High: condition `value >= high` (Warning) or `>= high_high` (Critical); with only
///   `high_high` configured the alarm is Critical from the start. The condition must hold on every
///   reading for `on_delay_ms` (reading timestamps) before it is raised; it is raised Critical when
///   the critical level has also held that long. While active, the critical level held for the
///   on-delay emits Worsened; the severity never drops. A critical alarm whose value has since
///   fallen below the critical level by more than the deadband is announced again (Worsened,
///   Critical) when the critical level holds for the on-delay once more, so that an alarm
///   standing since an earlier excursion still tells of a new one. It clears after every reading for
///   `off_delay_ms` was below `entry - deadband` (entry = `high`, else `high_high`); a reading back
///   within the deadband restarts that wait, which is what keeps a signal dithering around its
///   set-point from chattering. Low is the mirror image.
/// - RateOfChange: |Δvalue| / Δminutes between consecutive valid readings above `rate_per_min`
///   raises at once; it clears after the rate stayed within the limit for `off_delay_ms`. An
///   out-of-range reading in between breaks the pair: the next valid reading is not compared.
/// - Stuck: a valid value exactly equal to the first one of its run for `stuck_after_ms` raises; the
///   next different valid value clears it.
/// - OutOfRange: out-of-range readings for `on_delay_ms` raise it; valid readings for
///   `off_delay_ms` clear it (an out-of-range reading restarts that wait). Out-of-range readings
///   count for nothing else: they neither hold nor break a High/Low/Stuck condition.
/// - NoData: see [`RuleState::check_silence`]; any reading, valid or out of range, clears it at
///   the reading's time (the sensor is talking again; a bad value is the OutOfRange fault's business).
/// - A rule switched off in the spec (no threshold, no rate limit, no stuck time) clears its live
///   alarm on the next valid reading.
///
/// The stopwatches are held as ages (ms, saturating at u32::MAX, which is the longest delay)
/// relative to `last_ts_ms`, to keep the state small.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleState {
    last_ts_ms: i64,
    last_value: f64,
    ages_ms: [u32; TIMERS],
    running: u8,
    active: u8,
    critical: u8,
    flags: u8,
}

/// The two sides of the level alarms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    High,
    Low,
}

impl Side {
    fn kind(self) -> AlarmKind {
        match self {
            Self::High => AlarmKind::High,
            Self::Low => AlarmKind::Low,
        }
    }

    fn timer(self) -> Timer {
        match self {
            Self::High => Timer::High,
            Self::Low => Timer::Low,
        }
    }

    /// The level that raises the alarm, and the critical level.
    fn levels(self, thresholds: &Thresholds) -> (Option<f64>, Option<f64>) {
        match self {
            Self::High => (thresholds.high.or(thresholds.high_high), thresholds.high_high),
            Self::Low => (thresholds.low.or(thresholds.low_low), thresholds.low_low),
        }
    }

    fn reaches(self, value: f64, level: f64) -> bool {
        match self {
            Self::High => value >= level,
            Self::Low => value <= level,
        }
    }

    fn eased_flag(self) -> u8 {
        match self {
            Self::High => EASED_HIGH,
            Self::Low => EASED_LOW,
        }
    }

    fn beyond_deadband(self, value: f64, entry: f64, deadband: f64) -> bool {
        match self {
            Self::High => value < entry - deadband,
            Self::Low => value > entry + deadband,
        }
    }
}

impl RuleState {
    /// The state of a sensor that has not reported yet, with silence counted from `since_ms`
    /// (for example when it was registered), as if `check_silence` had first been called then.
    pub fn watching_since(since_ms: i64) -> Self {
        Self { last_ts_ms: since_ms, flags: WATCHING, ..Self::default() }
    }

    /// The state of a sensor whose latest stored reading was `value` at `ts_ms`, as after a
    /// restart: ordering and silence continue from that reading; no alarm condition is assumed
    /// (the alarms themselves are stored, and a condition that still holds is found again by the
    /// next readings). `active` are the alarms still live with their condition present: they stay
    /// active, so that they clear when their condition is seen to be gone. The next reading is not
    /// compared with this one for the rate.
    pub fn resumed(ts_ms: i64, value: f64, active: &[(AlarmKind, Severity)]) -> Self {
        let has_value = if value.is_finite() { HAS_VALUE } else { 0 };
        let mut state = Self { last_ts_ms: ts_ms, last_value: if value.is_finite() { value } else { 0.0 }, flags: HEARD | has_value, ..Self::default() };
        for (kind, severity) in active {
            state.active |= kind.bit();
            if *severity == Severity::Critical {
                state.critical |= kind.bit();
            }
        }
        state
    }

    /// Order check: Err(Duplicate) if ts_ms equals the last admitted reading's ts, Err(OutOfOrder)
    /// if older. Does not change state on error. Out-of-range readings taken in by
    /// `observe_out_of_range` count as readings here too: a sensor's readings form one stream.
    pub fn admit(&self, ts_ms: i64) -> Result<(), RejectReason> {
        if self.flags & HEARD == 0 {
            return Ok(());
        }
        match ts_ms.cmp(&self.last_ts_ms) {
            std::cmp::Ordering::Equal => Err(RejectReason::Duplicate),
            std::cmp::Ordering::Less => Err(RejectReason::OutOfOrder),
            std::cmp::Ordering::Greater => Ok(()),
        }
    }

    /// Feeds one valid, admitted reading; pushes alarm transitions to `out`. Clears an active
    /// NoData alarm (Cleared at ts) and, after the off-delay, an OutOfRange fault. A reading that
    /// `admit` refuses is ignored; a value that `check_reading` would refuse as NotFinite or
    /// OutOfRange is handed to [`RuleState::observe_out_of_range_value`], so a bad value is never
    /// taken for a process value.
    pub fn observe(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.admit(ts_ms).is_err() {
            return;
        }
        if !value.is_finite() || !spec.in_range(value) {
            self.observe_out_of_range_value(spec, value, ts_ms, out);
            return;
        }
        let first_event = out.len();
        let previous_value = self.last_value();
        let rate_base = (self.flags & RATE_BASE != 0).then_some(self.last_ts_ms).zip(previous_value);
        self.take_in(ts_ms);
        self.clear_no_data(ts_ms, out);

        if self.is_active(AlarmKind::OutOfRange) {
            if self.start(Timer::OutOfRange) >= spec.rules.off_delay_ms {
                self.stop(Timer::OutOfRange);
                self.clear(AlarmKind::OutOfRange, ts_ms, out);
            }
        } else {
            self.stop(Timer::OutOfRange);
        }

        self.track_critical_level(&spec.thresholds, value);
        for side in [Side::High, Side::Low] {
            self.observe_side(side, spec, value, ts_ms, out);
        }
        self.observe_rate(spec, value, ts_ms, rate_base, out);
        self.observe_stuck(spec, value, ts_ms, previous_value, out);
        // Within one reading, what ended is told before what began (a stable sort of a few events).
        out[first_event..].sort_by_key(|event| !matches!(event, AlarmEvent::Cleared { .. }));

        self.last_value = value;
        self.flags |= HAS_VALUE | RATE_BASE;
    }

    /// A reading outside the physical range (rejected for storage) still counts as evidence of a
    /// sensor fault: raise OutOfRange after the on-delay. The event's value is NaN, since the
    /// value is not given; see [`RuleState::observe_out_of_range_value`].
    pub fn observe_out_of_range(&mut self, spec: &SensorSpec, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.observe_out_of_range_value(spec, f64::NAN, ts_ms, out);
    }

    /// As [`RuleState::observe_out_of_range`], with the rejected value carried into the Raised
    /// event. A reading that `admit` refuses is ignored.
    pub fn observe_out_of_range_value(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.admit(ts_ms).is_err() {
            return;
        }
        self.take_in(ts_ms);
        self.flags &= !RATE_BASE;
        self.clear_no_data(ts_ms, out);
        if self.is_active(AlarmKind::OutOfRange) {
            self.stop(Timer::OutOfRange);
        } else if self.start(Timer::OutOfRange) >= spec.rules.on_delay_ms {
            self.stop(Timer::OutOfRange);
            self.raise(AlarmKind::OutOfRange, Severity::Warning, value, ts_ms, out);
        }
    }

    /// Whether `check_silence` at `now_ms` would raise the no-data alarm (the only change it makes
    /// besides starting to watch a sensor never heard from).
    pub fn silence_due(&self, spec: &SensorSpec, now_ms: i64) -> bool {
        let limit_ms = i64::from(spec.rules.offline_after_intervals).saturating_mul(i64::from(spec.interval_s)).saturating_mul(1000);
        self.flags & (HEARD | WATCHING) != 0 && !self.is_active(AlarmKind::NoData) && now_ms.saturating_sub(self.last_ts_ms) > limit_ms
    }

    /// Called periodically: raises NoData (at `now_ms`, once) when
    /// `now_ms - last reading ts > offline_after_intervals * interval_s * 1000`. For a sensor that
    /// never reported, the first call only starts the count: silence is measured from the `now_ms`
    /// of that first call (or from the `since_ms` of [`RuleState::watching_since`]).
    pub fn check_silence(&mut self, spec: &SensorSpec, now_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.flags & (HEARD | WATCHING) == 0 {
            self.flags |= WATCHING;
            self.last_ts_ms = now_ms;
            return;
        }
        if self.is_active(AlarmKind::NoData) {
            return;
        }
        let limit_ms = i64::from(spec.rules.offline_after_intervals).saturating_mul(i64::from(spec.interval_s)).saturating_mul(1000);
        if now_ms.saturating_sub(self.last_ts_ms) > limit_ms {
            self.raise(AlarmKind::NoData, Severity::Warning, f64::NAN, now_ms, out);
        }
    }

    /// The time of the latest reading taken in, valid or out of range.
    pub fn last_ts_ms(&self) -> Option<i64> {
        (self.flags & HEARD != 0).then_some(self.last_ts_ms)
    }

    /// The latest valid value.
    pub fn last_value(&self) -> Option<f64> {
        (self.flags & HAS_VALUE != 0).then_some(self.last_value)
    }

    pub fn active(&self, kind: AlarmKind) -> Option<Severity> {
        self.is_active(kind).then(|| if self.critical & kind.bit() != 0 { Severity::Critical } else { Severity::Warning })
    }

    fn is_active(&self, kind: AlarmKind) -> bool {
        self.active & kind.bit() != 0
    }

    fn raise(&mut self, kind: AlarmKind, severity: Severity, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.active |= kind.bit();
        if severity == Severity::Critical {
            self.critical |= kind.bit();
        }
        out.push(AlarmEvent::Raised { kind, severity, value, ts_ms });
    }

    fn clear(&mut self, kind: AlarmKind, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        self.active &= !kind.bit();
        self.critical &= !kind.bit();
        match kind {
            AlarmKind::High => self.flags &= !EASED_HIGH,
            AlarmKind::Low => self.flags &= !EASED_LOW,
            _ => {}
        }
        out.push(AlarmEvent::Cleared { kind, ts_ms });
    }

    fn clear_no_data(&mut self, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        if self.is_active(AlarmKind::NoData) {
            self.clear(AlarmKind::NoData, ts_ms, out);
        }
    }

    /// Moves the state to a new reading's time: every running stopwatch ages by the gap.
    fn take_in(&mut self, ts_ms: i64) {
        let gap_ms = u32::try_from(ts_ms.saturating_sub(self.last_ts_ms).max(0)).unwrap_or(u32::MAX);
        for (index, age) in self.ages_ms.iter_mut().enumerate() {
            if self.running & (1 << index) != 0 {
                *age = age.saturating_add(gap_ms);
            }
        }
        self.last_ts_ms = ts_ms;
        self.flags = (self.flags | HEARD) & !WATCHING;
    }

    /// Starts a stopwatch at the current reading unless it runs already; returns its age.
    fn start(&mut self, timer: Timer) -> u32 {
        let bit = 1 << timer as u8;
        if self.running & bit == 0 {
            self.running |= bit;
            self.ages_ms[timer as usize] = 0;
        }
        self.ages_ms[timer as usize]
    }

    fn restart(&mut self, timer: Timer) {
        self.stop(timer);
        self.start(timer);
    }

    fn stop(&mut self, timer: Timer) {
        self.running &= !(1 << timer as u8);
        self.ages_ms[timer as usize] = 0;
    }

    fn age(&self, timer: Timer) -> Option<u32> {
        (self.running & (1 << timer as u8) != 0).then_some(self.ages_ms[timer as usize])
    }

    /// Keeps the critical-level stopwatch running while the value stays at one side's critical
    /// level; a reading off it, or at the other side's, restarts or stops it.
    fn track_critical_level(&mut self, thresholds: &Thresholds, value: f64) {
        let side = [Side::High, Side::Low].into_iter().find(|side| side.levels(thresholds).1.is_some_and(|level| side.reaches(value, level)));
        match side {
            None => self.stop(Timer::Critical),
            Some(side) => {
                if self.age(Timer::Critical).is_none() || self.critical_side() != side {
                    self.restart(Timer::Critical);
                    self.flags = if side == Side::Low { self.flags | CRITICAL_LOW } else { self.flags & !CRITICAL_LOW };
                }
            }
        }
    }

    fn critical_side(&self) -> Side {
        if self.flags & CRITICAL_LOW != 0 { Side::Low } else { Side::High }
    }

    fn critical_held(&self, side: Side, delay_ms: u32) -> bool {
        self.critical_side() == side && self.age(Timer::Critical).is_some_and(|age| age >= delay_ms)
    }

    fn observe_side(&mut self, side: Side, spec: &SensorSpec, value: f64, ts_ms: i64, out: &mut Vec<AlarmEvent>) {
        let (kind, timer) = (side.kind(), side.timer());
        let rules = &spec.rules;
        let Some(entry) = side.levels(&spec.thresholds).0 else {
            self.stop(timer);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        match self.active(kind) {
            None if side.reaches(value, entry) => {
                if self.start(timer) >= rules.on_delay_ms {
                    self.stop(timer);
                    let severity = if self.critical_held(side, rules.on_delay_ms) { Severity::Critical } else { Severity::Warning };
                    self.raise(kind, severity, value, ts_ms, out);
                }
            }
            None => self.stop(timer),
            Some(severity) => {
                // A deadband that is not a finite non-negative number (a spec built by hand) is 0.
                let deadband = if rules.deadband.is_finite() { rules.deadband.max(0.0) } else { 0.0 };
                let eased = side.eased_flag();
                if severity == Severity::Warning && self.critical_held(side, rules.on_delay_ms) {
                    self.critical |= kind.bit();
                    out.push(AlarmEvent::Worsened { kind, severity: Severity::Critical, value, ts_ms });
                } else if severity == Severity::Critical {
                    if self.flags & eased == 0 {
                        if side.levels(&spec.thresholds).1.is_some_and(|critical| side.beyond_deadband(value, critical, deadband)) {
                            self.flags |= eased;
                        }
                    } else if self.critical_held(side, rules.on_delay_ms) {
                        self.flags &= !eased;
                        out.push(AlarmEvent::Worsened { kind, severity: Severity::Critical, value, ts_ms });
                    }
                }
                if !side.beyond_deadband(value, entry, deadband) {
                    self.stop(timer);
                } else if self.start(timer) >= rules.off_delay_ms {
                    self.stop(timer);
                    self.clear(kind, ts_ms, out);
                }
            }
        }
    }

    fn observe_rate(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, base: Option<(i64, f64)>, out: &mut Vec<AlarmEvent>) {
        let kind = AlarmKind::RateOfChange;
        let Some(limit) = spec.rules.rate_per_min.filter(|limit| *limit > 0.0) else {
            self.stop(Timer::Rate);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        // Without a previous valid reading there is no rate: the rule keeps its state.
        let Some((base_ts_ms, base_value)) = base else { return };
        let minutes = ts_ms.abs_diff(base_ts_ms) as f64 / 60_000.0;
        let rate_per_min = (value - base_value).abs() / minutes;
        if rate_per_min > limit {
            self.stop(Timer::Rate);
            if !self.is_active(kind) {
                self.raise(kind, Severity::Warning, value, ts_ms, out);
            }
        } else if self.is_active(kind) && self.start(Timer::Rate) >= spec.rules.off_delay_ms {
            self.stop(Timer::Rate);
            self.clear(kind, ts_ms, out);
        }
    }

    fn observe_stuck(&mut self, spec: &SensorSpec, value: f64, ts_ms: i64, previous_value: Option<f64>, out: &mut Vec<AlarmEvent>) {
        let kind = AlarmKind::Stuck;
        let Some(after_ms) = spec.rules.stuck_after_ms else {
            self.stop(Timer::Stuck);
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            return;
        };
        if previous_value != Some(value) {
            if self.is_active(kind) {
                self.clear(kind, ts_ms, out);
            }
            self.restart(Timer::Stuck);
        } else if self.start(Timer::Stuck) >= after_ms && !self.is_active(kind) {
            self.raise(kind, Severity::Warning, value, ts_ms, out);
        }
    }
}

// ---- early-warning grade of a source ----

/// The early-warning grade (预警等级) of a major hazard source. Ord: Red is highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningGrade {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl WarningGrade {
    pub const ALL: [WarningGrade; 4] = [Self::Red, Self::Orange, Self::Yellow, Self::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grade| grade.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Blue => "蓝色",
            Self::Yellow => "黄色",
            Self::Orange => "橙色",
            Self::Red => "红色",
        }
    }
}

/// The rules of [`warning_grade`]. Local practice, not national law (the official rules were not
/// found), so every figure is configuration. Counts of 0 act as 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WarningRules {
    /// Sources of GB 18218 level 1 up to this level (1 = 一级, the most dangerous) are graded more
    /// strictly. Default 2: 一级 and 二级.
    pub strict_level_max: u8,
    /// Red at any source from this many Critical process alarms. Default 2.
    pub red_critical_alarms: u32,
    /// Orange at a strictly graded source from this many Warning process alarms. Default 3.
    pub orange_warning_alarms_strict: u32,
}

impl Default for WarningRules {
    fn default() -> Self {
        Self { strict_level_max: 2, red_critical_alarms: 2, orange_warning_alarms_strict: 3 }
    }
}

/// `source_level` is the GB 18218 level 1..=4 (1 most dangerous). `active` is every active
/// (raised/acknowledged, not cleared/closed) alarm of the source. None when nothing is active.
///
/// Default rules: red = a Critical process alarm (High/Low/RateOfChange) at a level-1 or level-2
/// source, or two or more Critical process alarms at any source; orange = any other Critical
/// process alarm, or 3+ Warning process alarms at a level-1/2 source; yellow = any Warning process
/// alarm; blue = only fault / no-data alarms. A source without a level is graded as a level 3/4 one.
pub fn warning_grade(source_level: Option<u8>, active: &[(AlarmKind, Severity)], rules: &WarningRules) -> Option<WarningGrade> {
    let strict = source_level.is_some_and(|level| (1..=rules.strict_level_max).contains(&level));
    let count = |severity: Severity| active.iter().filter(|(kind, s)| !kind.is_fault() && *s == severity).count();
    let (critical, warning) = (count(Severity::Critical), count(Severity::Warning));
    let at_least = |n: usize, threshold: u32| n >= usize::try_from(threshold.max(1)).unwrap_or(usize::MAX);
    if critical > 0 && (strict || at_least(critical, rules.red_critical_alarms)) {
        Some(WarningGrade::Red)
    } else if critical > 0 || (strict && at_least(warning, rules.orange_warning_alarms_strict)) {
        Some(WarningGrade::Orange)
    } else if warning > 0 {
        Some(WarningGrade::Yellow)
    } else if !active.is_empty() {
        Some(WarningGrade::Blue)
    } else {
        None
    }
}

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
    pub fn check(&self) -> Result<(), String> {
        if self.county_after_min == 0 || self.county_after_min >= self.city_after_min || self.city_after_min >= self.province_after_min {
            return Err(
                "升级时间应满足 0 < county_after_min < city_after_min < province_after_min / escalation times must rise: 0 < county < city < province".into()
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unacknowledged_alarms_go_up_tier_by_tier() {
        let rules = EscalationRules::default();
        let minutes = |m: i64| m * 60_000;
        assert_eq!(rules.due_tier(minutes(14) + 59_999), EscalationTier::Enterprise);
        assert_eq!(rules.due_tier(minutes(15)), EscalationTier::County);
        assert_eq!(rules.due_tier(minutes(30)), EscalationTier::City);
        assert_eq!(rules.due_tier(minutes(60)), EscalationTier::Province);
        assert_eq!(rules.due_tier(-5), EscalationTier::Enterprise);
        assert!(rules.check().is_ok());
        assert!(EscalationRules { county_after_min: 30, city_after_min: 30, province_after_min: 60 }.check().is_err());
        assert!(EscalationRules { county_after_min: 0, ..rules }.check().is_err());
        assert!(EscalationTier::ALL.iter().all(|t| EscalationTier::parse(t.as_str()) == Some(*t)));
    }

    const LEVELS: Thresholds = Thresholds { low_low: Some(10.0), low: Some(20.0), high: Some(80.0), high_high: Some(90.0) };

    fn rules(on_delay_ms: u32, off_delay_ms: u32, deadband: f64) -> RuleSettings {
        RuleSettings { on_delay_ms, off_delay_ms, deadband, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None }
    }

    /// A level sensor over 0–100 % reporting every 10 s.
    fn level(thresholds: Thresholds, rules: RuleSettings) -> SensorSpec {
        SensorSpec::new(SensorKind::Level, "%", 0.0, 100.0, thresholds, 10, rules).expect("a valid test spec")
    }

    /// `+high:warning@10` raised, `^high:critical@20` worsened, `-high@30` cleared.
    fn describe(event: &AlarmEvent) -> String {
        match *event {
            AlarmEvent::Raised { kind, severity, ts_ms, .. } => format!("+{}:{}@{ts_ms}", kind.as_str(), severity.as_str()),
            AlarmEvent::Worsened { kind, severity, ts_ms, .. } => format!("^{}:{}@{ts_ms}", kind.as_str(), severity.as_str()),
            AlarmEvent::Cleared { kind, ts_ms } => format!("-{}@{ts_ms}", kind.as_str()),
        }
    }

    fn feed(state: &mut RuleState, spec: &SensorSpec, readings: &[(i64, f64)]) -> Vec<String> {
        let mut events = Vec::new();
        for &(ts_ms, value) in readings {
            state.observe(spec, value, ts_ms, &mut events);
        }
        events.iter().map(describe).collect()
    }

    fn run(spec: &SensorSpec, readings: &[(i64, f64)]) -> Vec<String> {
        feed(&mut RuleState::default(), spec, readings)
    }

    /// (what the case shows, thresholds, rules, readings (ts, value), events as `describe` writes them)
    type EngineCase<'a> = (&'a str, Thresholds, RuleSettings, &'a [(i64, f64)], &'a [&'a str]);

    #[test]
    fn a_resumed_sensor_continues_its_order_and_silence() {
        let state = RuleState::resumed(10_000, 42.5, &[]);
        assert_eq!((state.last_ts_ms(), state.last_value()), (Some(10_000), Some(42.5)));
        assert_eq!(state.admit(10_000), Err(RejectReason::Duplicate));
        assert_eq!(state.admit(9_000), Err(RejectReason::OutOfOrder));
        assert_eq!(state.admit(11_000), Ok(()));
        assert!(AlarmKind::ALL.iter().all(|kind| state.active(*kind).is_none()));
        // A high alarm live before the restart clears once its condition is seen gone.
        let spec = SensorSpec::new(
            SensorKind::Pressure,
            "MPa",
            0.0,
            10.0,
            Thresholds { high: Some(6.0), ..Default::default() },
            10,
            RuleSettings { on_delay_ms: 0, off_delay_ms: 0, deadband: 0.5, rate_per_min: None, offline_after_intervals: 3, stuck_after_ms: None },
        )
        .unwrap();
        let mut state = RuleState::resumed(10_000, 7.0, &[(AlarmKind::High, Severity::Critical)]);
        assert_eq!(state.active(AlarmKind::High), Some(Severity::Critical));
        let mut out = Vec::new();
        state.observe(&spec, 2.0, 20_000, &mut out);
        assert_eq!(out, [AlarmEvent::Cleared { kind: AlarmKind::High, ts_ms: 20_000 }]);
    }

    #[test]
    fn rule_engine_table() {
        let high_high_only = Thresholds { high_high: Some(90.0), ..Thresholds::default() };
        #[rustfmt::skip]
        let cases: &[EngineCase] = &[
            ("no delay: raised on the first reading, cleared below the deadband", LEVELS, rules(0, 0, 2.0),
                &[(0, 50.0), (10, 80.0), (20, 79.0), (30, 77.9)], &["+high:warning@10", "-high@30"]),
            ("inside the range and the thresholds: nothing", LEVELS, rules(0, 0, 0.0),
                &[(0, 50.0), (10, 21.0), (20, 79.0)], &[]),
            ("on-delay: a reading out of the condition restarts the wait", LEVELS, rules(30_000, 0, 0.0),
                &[(0, 85.0), (10_000, 85.0), (20_000, 50.0), (30_000, 85.0), (40_000, 85.0), (50_000, 85.0), (60_000, 85.0)],
                &["+high:warning@60000"]),
            ("off-delay: the condition returning restarts the wait", LEVELS, rules(0, 30_000, 0.0),
                &[(0, 85.0), (10_000, 50.0), (20_000, 85.0), (30_000, 50.0), (40_000, 50.0), (50_000, 50.0), (60_000, 50.0)],
                &["+high:warning@0", "-high@60000"]),
            ("worsening: high-high held for the on-delay", LEVELS, rules(20_000, 0, 0.0),
                &[(0, 85.0), (10_000, 95.0), (20_000, 95.0), (30_000, 95.0), (40_000, 95.0)],
                &["+high:warning@20000", "^high:critical@30000"]),
            ("critical from the start when high-high held the whole on-delay", LEVELS, rules(20_000, 0, 0.0),
                &[(0, 95.0), (10_000, 95.0), (20_000, 95.0)], &["+high:critical@20000"]),
            ("no delay: straight to critical", LEVELS, rules(0, 0, 0.0),
                &[(0, 95.0), (10, 50.0)], &["+high:critical@0", "-high@10"]),
            ("no delay: warning, then worsened on the next reading", LEVELS, rules(0, 0, 0.0),
                &[(0, 85.0), (10, 95.0)], &["+high:warning@0", "^high:critical@10"]),
            ("a short visit to high-high does not worsen", LEVELS, rules(20_000, 0, 0.0),
                &[(0, 85.0), (10_000, 85.0), (20_000, 85.0), (30_000, 95.0), (40_000, 85.0), (50_000, 95.0)],
                &["+high:warning@20000"]),
            ("severity never drops; high-high back after easing announces the standing alarm again", LEVELS, rules(0, 0, 0.0),
                &[(0, 95.0), (10, 85.0), (20, 95.0), (30, 70.0)], &["+high:critical@0", "^high:critical@20", "-high@30"]),
            ("easing needs the deadband below high-high; a return needs the on-delay", LEVELS, rules(20_000, 0, 2.0),
                &[(0, 95.0), (10_000, 95.0), (20_000, 95.0), (30_000, 89.0), (40_000, 95.0), (50_000, 95.0), (60_000, 95.0),
                  (70_000, 87.0), (80_000, 95.0), (90_000, 95.0), (100_000, 95.0)],
                &["+high:critical@20000", "^high:critical@100000"]),
            ("only high-high configured: critical", high_high_only, rules(0, 0, 0.0),
                &[(0, 85.0), (10, 91.0), (20, 89.0)], &["+high:critical@10", "-high@20"]),
            ("low mirrors high", LEVELS, rules(0, 0, 2.0),
                &[(0, 15.0), (10, 5.0), (20, 21.0), (30, 22.5)], &["+low:warning@0", "^low:critical@10", "-low@30"]),
            ("the threshold itself is in the condition", LEVELS, rules(0, 0, 0.0),
                &[(0, 20.0), (10, 80.0)], &["+low:warning@0", "-low@10", "+high:warning@10"]),
            ("no thresholds: never raises", Thresholds::default(), rules(0, 0, 0.0),
                &[(0, 100.0), (10, 0.0)], &[]),
        ];
        for (name, thresholds, rules, readings, expected) in cases {
            assert_eq!(run(&level(*thresholds, *rules), readings), *expected, "{name}");
        }
    }

    #[test]
    fn deadband_suppresses_chattering() {
        // A signal dithering ±0.5 around the high set-point of 80.
        let dither: Vec<(i64, f64)> = (0..100).map(|i| (i * 10_000, if i % 2 == 0 { 80.5 } else { 79.5 })).collect();
        assert_eq!(run(&level(LEVELS, rules(0, 0, 2.0)), &dither), ["+high:warning@0"], "deadband 2");
        assert_eq!(run(&level(LEVELS, rules(0, 60_000, 0.0)), &dither), ["+high:warning@0"], "off-delay 60 s");
        // Without either, every crossing is an alarm: the suppression above is real.
        assert_eq!(run(&level(LEVELS, rules(0, 0, 0.0)), &dither).len(), 100);
    }

    #[test]
    fn rate_of_change() {
        let spec = level(Thresholds::default(), RuleSettings { rate_per_min: Some(5.0), ..rules(0, 120_000, 0.0) });
        let minute = |m: i64| m * 60_000;
        let events = run(&spec, &[(minute(0), 50.0), (minute(1), 52.0), (minute(2), 60.0), (minute(3), 61.0), (minute(4), 62.0), (minute(5), 63.0)]);
        assert_eq!(events, ["+rate_of_change:warning@120000", "-rate_of_change@300000"]);
        // Half a minute: 3 units are 6 per minute.
        assert_eq!(run(&spec, &[(0, 50.0), (30_000, 53.0)]), ["+rate_of_change:warning@30000"]);
        // A fast rise again during the off-delay keeps it active and raises nothing new.
        let events =
            run(&spec, &[(minute(0), 50.0), (minute(1), 60.0), (minute(2), 61.0), (minute(3), 70.0), (minute(4), 70.0), (minute(5), 70.0), (minute(6), 70.0)]);
        assert_eq!(events, ["+rate_of_change:warning@60000", "-rate_of_change@360000"]);
    }

    #[test]
    fn rate_is_not_measured_across_an_out_of_range_reading() {
        let spec = level(Thresholds::default(), RuleSettings { rate_per_min: Some(5.0), ..rules(60_000, 0, 0.0) });
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.observe(&spec, 10.0, 0, &mut events);
        state.observe_out_of_range(&spec, 60_000, &mut events);
        state.observe(&spec, 90.0, 120_000, &mut events);
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn stuck_value() {
        let spec = level(Thresholds::default(), RuleSettings { stuck_after_ms: Some(60_000), ..rules(0, 0, 0.0) });
        let steady: Vec<(i64, f64)> = (0..=8).map(|i| (i * 10_000, 42.0)).collect();
        let mut state = RuleState::default();
        assert_eq!(feed(&mut state, &spec, &steady), ["+stuck:warning@60000"]);
        assert_eq!(feed(&mut state, &spec, &[(90_000, 42.1), (100_000, 42.1)]), ["-stuck@90000"]);
        // A changing value never sticks.
        let moving: Vec<(i64, f64)> = (0..100).map(|i| (i * 10_000, 40.0 + (i % 3) as f64)).collect();
        assert!(run(&spec, &moving).is_empty());
        // Gas detectors sit at 0 for days: no stuck rule by default.
        assert_eq!(RuleSettings::default_for(SensorKind::CombustibleGas, 10).stuck_after_ms, None);
    }

    #[test]
    fn no_data() {
        let spec = level(LEVELS, rules(0, 0, 0.0)); // 3 intervals of 10 s
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.check_silence(&spec, 1_000, &mut events); // starts the count for a silent sensor
        state.check_silence(&spec, 31_000, &mut events);
        assert!(events.is_empty());
        state.check_silence(&spec, 31_001, &mut events);
        state.check_silence(&spec, 40_000, &mut events); // raised once only
        state.observe(&spec, 50.0, 45_000, &mut events);
        state.check_silence(&spec, 75_000, &mut events);
        state.check_silence(&spec, 75_001, &mut events);
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+no_data:warning@31001", "-no_data@45000", "+no_data:warning@75001"]);
        assert!(matches!(events[0], AlarmEvent::Raised { value, .. } if value.is_nan()));

        let mut registered = RuleState::watching_since(0);
        let mut events = Vec::new();
        registered.check_silence(&spec, 30_001, &mut events);
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+no_data:warning@30001"]);
        assert_eq!(registered.last_ts_ms(), None);
    }

    #[test]
    fn out_of_range_fault() {
        let spec = level(LEVELS, rules(20_000, 20_000, 0.0));
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.observe_out_of_range(&spec, 0, &mut events);
        state.observe_out_of_range(&spec, 10_000, &mut events);
        state.observe(&spec, 50.0, 15_000, &mut events); // a valid reading breaks the run
        state.observe_out_of_range(&spec, 20_000, &mut events);
        state.observe_out_of_range(&spec, 30_000, &mut events);
        state.observe_out_of_range_value(&spec, 140.0, 40_000, &mut events);
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+out_of_range:warning@40000"]);
        assert!(matches!(events[0], AlarmEvent::Raised { value, .. } if value == 140.0));
        state.observe(&spec, 50.0, 50_000, &mut events);
        state.observe(&spec, 120.0, 55_000, &mut events); // observe hands a bad value over: restarts the off-delay
        for ts_ms in [60_000, 70_000, 80_000] {
            state.observe(&spec, 50.0, ts_ms, &mut events);
        }
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+out_of_range:warning@40000", "-out_of_range@80000"]);
        assert_eq!(state.last_ts_ms(), Some(80_000));
    }

    #[test]
    fn out_of_range_readings_count_for_no_data_and_order_only() {
        let spec = level(LEVELS, rules(0, 0, 0.0));
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.observe(&spec, 85.0, 0, &mut events);
        state.check_silence(&spec, 40_000, &mut events);
        state.observe_out_of_range(&spec, 50_000, &mut events);
        assert_eq!(
            events.iter().map(describe).collect::<Vec<_>>(),
            ["+high:warning@0", "+no_data:warning@40000", "-no_data@50000", "+out_of_range:warning@50000"]
        );
        assert_eq!((state.last_ts_ms(), state.last_value()), (Some(50_000), Some(85.0)));
        assert_eq!(state.admit(50_000), Err(RejectReason::Duplicate));
        assert_eq!(state.active(AlarmKind::High), Some(Severity::Warning), "an out-of-range reading does not clear High");
    }

    #[test]
    fn admit_orders_readings_and_observe_ignores_the_refused() {
        let spec = level(LEVELS, rules(0, 0, 0.0));
        let mut state = RuleState::default();
        assert_eq!(state.admit(i64::MIN), Ok(()));
        let mut events = Vec::new();
        state.observe(&spec, 50.0, 1_000, &mut events);
        assert_eq!(state.admit(1_000), Err(RejectReason::Duplicate));
        assert_eq!(state.admit(999), Err(RejectReason::OutOfOrder));
        assert_eq!(state.admit(1_001), Ok(()));
        let before = state.clone();
        state.observe(&spec, 95.0, 999, &mut events);
        state.observe_out_of_range(&spec, 1_000, &mut events);
        assert_eq!(state, before);
        assert!(events.is_empty());
    }

    #[test]
    fn a_rule_removed_from_the_spec_clears_its_alarm() {
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.observe(&level(LEVELS, rules(0, 0, 0.0)), 95.0, 0, &mut events);
        state.observe(&level(Thresholds::default(), rules(0, 0, 0.0)), 95.0, 10, &mut events);
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), ["+high:critical@0", "-high@10"]);
    }

    #[test]
    fn extreme_timestamps_do_not_panic() {
        let spec = level(LEVELS, RuleSettings { rate_per_min: Some(1.0), stuck_after_ms: Some(u32::MAX), ..rules(u32::MAX, u32::MAX, 0.0) });
        let mut state = RuleState::default();
        let mut events = Vec::new();
        state.check_silence(&spec, i64::MIN, &mut events);
        state.observe(&spec, 95.0, i64::MIN, &mut events);
        state.observe(&spec, 95.0, i64::MAX, &mut events);
        state.check_silence(&spec, i64::MAX, &mut events);
        // u32::MAX ms have certainly passed between the two readings.
        assert_eq!(events.iter().map(describe).collect::<Vec<_>>(), [format!("+high:critical@{}", i64::MAX), format!("+stuck:warning@{}", i64::MAX)]);
    }

    #[test]
    fn rule_state_is_small() {
        assert!(std::mem::size_of::<RuleState>() <= 64, "{} bytes", std::mem::size_of::<RuleState>());
    }

    #[test]
    fn check_reading_reasons() {
        let spec = level(LEVELS, rules(0, 0, 0.0));
        let window = TimeWindow { max_past_ms: 1_000, max_future_ms: 100 };
        let now = 10_000;
        let check = |value: f64, ts_ms: i64| check_reading(&spec, value, ts_ms, now, window);
        assert_eq!(check(50.0, now), Ok(()));
        assert_eq!(check(0.0, 9_000), Ok(()), "range and window bounds are included");
        assert_eq!(check(100.0, 10_100), Ok(()));
        assert_eq!(check(f64::NAN, now), Err(RejectReason::NotFinite));
        assert_eq!(check(f64::INFINITY, now), Err(RejectReason::NotFinite));
        assert_eq!(check(100.01, now), Err(RejectReason::OutOfRange));
        assert_eq!(check(-0.01, now), Err(RejectReason::OutOfRange));
        assert_eq!(check(50.0, 8_999), Err(RejectReason::TooOld));
        assert_eq!(check(50.0, 10_101), Err(RejectReason::InFuture));
        assert_eq!(check(500.0, 8_999), Err(RejectReason::TooOld), "only timely readings are fault evidence");
        let wide = TimeWindow { max_past_ms: i64::MAX, max_future_ms: i64::MAX };
        assert_eq!(check_reading(&spec, 1.0, i64::MIN, i64::MIN + 5, wide), Ok(()));
        assert_eq!(check_reading(&spec, 1.0, i64::MAX, i64::MAX, wide), Ok(()));
    }

    #[test]
    fn parse_lines_entries() {
        let body = "\u{feff}LT-101 42.5 1700000000000\r\n\n  \t \r\nTT.1\t-3\t-5\nPT_1 1e3 7\n";
        let entries = parse_lines(body, 10).unwrap();
        assert_eq!(
            entries,
            [
                Ok(RawReading { code: "LT-101", value: 42.5, ts_ms: 1_700_000_000_000 }),
                Ok(RawReading { code: "TT.1", value: -3.0, ts_ms: -5 }),
                Ok(RawReading { code: "PT_1", value: 1000.0, ts_ms: 7 }),
            ]
        );
        assert_eq!(parse_lines("", 0), Ok(vec![]));
        assert_eq!(parse_lines("\n\r\n \n", 0), Ok(vec![]));
    }

    #[test]
    fn parse_lines_bad_lines_are_rejected_one_by_one() {
        use RejectReason::{Malformed, NotFinite};
        let code_65 = "A".repeat(65);
        let code_64 = "A".repeat(64);
        #[rustfmt::skip]
        let cases: &[(&str, Result<(), RejectReason>)] = &[
            ("A 1", Err(Malformed)),                          // too few fields
            ("A 1 2 3", Err(Malformed)),                      // too many
            ("A 1,5 2", Err(Malformed)),                      // decimal comma
            ("A 0x10 2", Err(Malformed)),
            ("A 1 2.0", Err(Malformed)),                      // ts not an integer
            ("A 1 1e3", Err(Malformed)),
            ("A 1 99999999999999999999", Err(Malformed)),     // ts beyond i64
            ("A 1 -9223372036854775808", Ok(())),            // i64::MIN is an integer
            ("液位1 1 2", Err(Malformed)),                     // unicode code
            ("A\u{3000}1 2", Err(Malformed)),                 // ideographic space is no separator
            (&code_65, Err(Malformed)),
            ("A NaN 2", Err(NotFinite)),
            ("A nan 2", Err(NotFinite)),
            ("A -inf 2", Err(NotFinite)),
            ("A infinity 2", Err(NotFinite)),
            ("A 1e400 2", Err(NotFinite)),                    // beyond f64
            ("A 1e-400 2", Ok(())),                           // underflows to 0
            ("A 123456789012345678901234567890 2", Ok(())),  // huge but finite
        ];
        for (line, expected) in cases {
            let body = format!("{line}\nOK 1 2\n");
            let entries = parse_lines(&body, 10).unwrap();
            assert_eq!(entries.len(), 2, "{line}");
            assert_eq!(entries[0].map(|_| ()), *expected, "{line}");
            assert_eq!(entries[1], Ok(RawReading { code: "OK", value: 1.0, ts_ms: 2 }), "{line}");
        }
        assert!(parse_lines(&format!("{code_64} 1 2"), 1).unwrap()[0].is_ok());
        assert_eq!(parse_lines(&format!("{code_65} 1 2"), 1).unwrap(), [Err(Malformed)]);
    }

    #[test]
    fn parse_lines_too_many() {
        let body = "A 1 1\n\nA 1 2\nA 1 3\n";
        assert_eq!(parse_lines(body, 3).map(|e| e.len()), Ok(3));
        assert_eq!(parse_lines(body, 2), Err(BatchError::TooMany { max: 2 }));
        assert_eq!(parse_lines("bad\n", 0), Err(BatchError::TooMany { max: 0 }));
        // A huge body with a small max allocates no more than max entries.
        let body = "A 1 1\n".repeat(100_000);
        let entries = parse_lines(&body[..body.len() - 6 * 99_000], 1_000).unwrap();
        assert!(entries.capacity() <= 1_000, "{}", entries.capacity());
        assert_eq!(parse_lines(&body, 1_000), Err(BatchError::TooMany { max: 1_000 }));
    }

    fn json(body: &str, max: usize) -> Result<Vec<Result<RawReading<'_>, RejectReason>>, BatchError> {
        parse_json(body.as_bytes(), max)
    }

    #[test]
    fn parse_json_entries() {
        let body = r#"[{"sensor": "LT-101", "value": 42.5, "ts": 1700000000000}, {"ts": -5, "value": -3, "sensor": "TT.1", "quality": {"x": [1]}},
            {"sensor": "PT_1", "value": 18446744073709551615, "ts": 7}]"#;
        assert_eq!(
            json(body, 10).unwrap(),
            [
                Ok(RawReading { code: "LT-101", value: 42.5, ts_ms: 1_700_000_000_000 }),
                Ok(RawReading { code: "TT.1", value: -3.0, ts_ms: -5 }),
                Ok(RawReading { code: "PT_1", value: 18_446_744_073_709_551_615.0, ts_ms: 7 }),
            ]
        );
        assert_eq!(json("[]", 0), Ok(vec![]));
        assert_eq!(json("\u{feff} [ ] ", 0), Ok(vec![]));
        // The code is borrowed from the body.
        let body = r#"[{"sensor":"A","value":1,"ts":2}]"#;
        let code = json(body, 1).unwrap()[0].unwrap().code;
        assert!(body.as_bytes().as_ptr_range().contains(&code.as_ptr()));
    }

    #[test]
    fn parse_json_bad_elements_are_rejected_one_by_one() {
        use RejectReason::Malformed;
        let code_65 = "A".repeat(65);
        let long_code = format!(r#"{{"sensor":"{code_65}","value":1,"ts":2}}"#);
        #[rustfmt::skip]
        let cases: &[&str] = &[
            r#"{"value":1,"ts":2}"#,                                  // missing sensor
            r#"{"sensor":"A","ts":2}"#,                               // missing value
            r#"{"sensor":"A","value":1}"#,                            // missing ts
            r#"{"sensor":"A","value":"1","ts":2}"#,                   // value as a string
            r#"{"sensor":"A","value":null,"ts":2}"#,
            r#"{"sensor":"A","value":1,"ts":2.5}"#,                   // ts not an integer
            r#"{"sensor":"A","value":1,"ts":2.0}"#,
            r#"{"sensor":"A","value":1,"ts":1e30}"#,
            r#"{"sensor":"A","value":1,"ts":9223372036854775808}"#,   // ts beyond i64
            r#"{"sensor":"A","value":1,"ts":"2"}"#,
            r#"{"sensor":1,"value":1,"ts":2}"#,
            r#"{"sensor":"液位","value":1,"ts":2}"#,                  // unicode code
            r#"{"sensor":"A B","value":1,"ts":2}"#,
            r#"{"sensor":"\u0041","value":1,"ts":2}"#,                // escaped code
            r#"{"sensor":"A","value":[1],"ts":2}"#,                   // extra nesting
            r#"{"sensor":{"code":"A"},"value":1,"ts":2}"#,
            r#"{"sensor":"A","value":{"v":[[{"a":[]}]]},"ts":2}"#,    // nested garbage
            r#"{"sensor":"A","sensor":"B","value":1,"ts":2}"#,        // a field twice
            r#"[{"sensor":"A","value":1,"ts":2}]"#,                   // an array, not an object
            r#""A 1 2""#,
            "42",
            "true",
            "null",
            "{}",
            &long_code,
        ];
        for element in cases {
            let body = format!(r#"[{element}, {{"sensor":"OK","value":1,"ts":2}}]"#);
            let entries = json(&body, 10).unwrap_or_else(|error| panic!("{element}: {error}"));
            assert_eq!(entries, [Err(Malformed), Ok(RawReading { code: "OK", value: 1.0, ts_ms: 2 })], "{element}");
        }
    }

    #[test]
    fn parse_json_bad_bodies() {
        for body in ["{}", r#"{"sensor":"A","value":1,"ts":2}"#, "42", r#""text""#, "null", "", "  \n"] {
            assert_eq!(json(body, 10), Err(BatchError::NotAnArray), "{body:?}");
        }
        let Err(BatchError::Json { line, column, detail }) = json("[\n {\"sensor\": \"A\", \"value\": 1,, \"ts\": 2}]", 10) else {
            panic!("syntax error expected")
        };
        assert_eq!((line, column), (2, 29));
        assert!(!detail.contains("line"), "{detail}");
        for body in ["[", "[1,]", "[1] [2]", "[1] x", "nonsense", r#"[{"sensor":"A","value":1e400,"ts":2}]"#, &"[".repeat(200)] {
            assert!(matches!(json(body, 10), Err(BatchError::Json { .. })), "{body:?}: {:?}", json(body, 10));
        }
        assert_eq!(parse_json(b"[{\"sensor\":\"A\xff\"}]", 10), Err(BatchError::NotUtf8 { byte_offset: 13 }));
        let body = r#"[{"sensor":"A","value":1,"ts":1}, 2, 3]"#;
        assert_eq!(json(body, 3).map(|e| e.len()), Ok(3));
        assert_eq!(json(body, 2), Err(BatchError::TooMany { max: 2 }));
        assert_eq!(json("[1]", 0), Err(BatchError::TooMany { max: 0 }));
        let many = format!("[{}1]", "1,".repeat(100_000));
        assert_eq!(json(&many, 1_000), Err(BatchError::TooMany { max: 1_000 }));
        assert!(json(&many[..1_000], 1_000).unwrap_err().to_string().contains("line 1"), "a cut body is a syntax error");
    }

    #[test]
    fn errors_name_the_field_in_both_languages() {
        let base = || (Thresholds::default(), rules(0, 0, 0.0));
        let new = |unit: &str, min: f64, max: f64, thresholds: Thresholds, interval_s: u32, rules: RuleSettings| {
            SensorSpec::new(SensorKind::Pressure, unit, min, max, thresholds, interval_s, rules).map(|_| ())
        };
        let (t, r) = base();
        assert_eq!(new("MPa", 0.0, 2.5, LEVELS.with_scale(0.025), 5, r), Ok(()));
        #[rustfmt::skip]
        let cases: Vec<(Result<(), SensorSpecError>, &str)> = vec![
            (new("", 0.0, 1.0, t, 5, r), "unit"),
            (new("  ", 0.0, 1.0, t, 5, r), "unit"),
            (new("MPa\n", 0.0, 1.0, t, 5, r), "unit"),
            (new(&"m".repeat(17), 0.0, 1.0, t, 5, r), "unit"),
            (new("MPa", f64::NAN, 1.0, t, 5, r), "range_min"),
            (new("MPa", 0.0, f64::INFINITY, t, 5, r), "range_max"),
            (new("MPa", 1.0, 1.0, t, 5, r), "range_min"),
            (new("MPa", 0.0, 1.0, Thresholds { high: Some(f64::NAN), ..t }, 5, r), "thresholds.high"),
            (new("MPa", 0.0, 1.0, Thresholds { high: Some(1.5), ..t }, 5, r), "thresholds.high"),
            (new("MPa", 0.0, 1.0, Thresholds { low_low: Some(-0.1), ..t }, 5, r), "thresholds.low_low"),
            (new("MPa", 0.0, 1.0, Thresholds { low: Some(0.5), high: Some(0.5), ..t }, 5, r), "thresholds.low"),
            (new("MPa", 0.0, 1.0, Thresholds { high: Some(0.9), high_high: Some(0.8), ..t }, 5, r), "thresholds.high_high"),
            (new("MPa", 0.0, 1.0, Thresholds { low_low: Some(0.9), high_high: Some(0.8), ..t }, 5, r), "thresholds.low_low"),
            (new("MPa", 0.0, 1.0, t, 0, r), "interval_s"),
            (new("MPa", 0.0, 1.0, t, 86_401, r), "interval_s"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: -0.1, ..r }), "rules.deadband"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: 1.0, ..r }), "rules.deadband"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { deadband: f64::NAN, ..r }), "rules.deadband"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { rate_per_min: Some(0.0), ..r }), "rules.rate_per_min"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { rate_per_min: Some(f64::INFINITY), ..r }), "rules.rate_per_min"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { offline_after_intervals: 1, ..r }), "rules.offline_after_intervals"),
            (new("MPa", 0.0, 1.0, t, 5, RuleSettings { stuck_after_ms: Some(0), ..r }), "rules.stuck_after_ms"),
        ];
        for (index, (result, field)) in cases.into_iter().enumerate() {
            let message = result.expect_err(field).to_string();
            assert!(message.contains(field) && message.contains(" / "), "case {index}: {message}");
        }
        let error = SensorCode::parse("液位 101").unwrap_err().to_string();
        assert!(error.contains("液位 101") && error.contains("sensor code"), "{error}");
        assert_eq!(SensorCode::parse(&"x".repeat(100)).unwrap_err().to_string().matches('x').count(), 140, "the code is echoed, up to 70 characters");
        assert_eq!(SensorCode::parse("JL00001-LT101").map(|c| c.to_string()), Ok("JL00001-LT101".to_owned()));
    }

    impl Thresholds {
        fn with_scale(self, factor: f64) -> Self {
            let scale = |v: Option<f64>| v.map(|v| v * factor);
            Self { low_low: scale(self.low_low), low: scale(self.low), high: scale(self.high), high_high: scale(self.high_high) }
        }
    }

    #[test]
    fn default_rules_make_valid_specs() {
        for kind in SensorKind::ALL {
            for interval_s in [1, 10, 3_600, MAX_INTERVAL_S] {
                for rules in [RuleSettings::default_for(kind, interval_s), RuleSettings::for_range(kind, interval_s, -40.0, 100.0)] {
                    let spec = SensorSpec::new(kind, kind.default_unit(), -40.0, 100.0, LEVELS, interval_s, rules);
                    assert!(spec.is_ok(), "{kind:?} {interval_s}: {spec:?}");
                }
            }
        }
        assert_eq!(RuleSettings::default_for(SensorKind::Level, 10).stuck_after_ms, Some(24 * 3_600_000));
        assert_eq!(RuleSettings::default_for(SensorKind::Level, MAX_INTERVAL_S).stuck_after_ms, Some(u32::MAX));
        assert_eq!(RuleSettings::default_for(SensorKind::Flow, 10).stuck_after_ms, None);
        assert_eq!(RuleSettings::default_for(SensorKind::ToxicGas, 10).on_delay_ms, 0);
        assert_eq!(RuleSettings::for_range(SensorKind::Pressure, 5, 0.0, 2.5).deadband, 0.05);
    }

    #[test]
    fn names_round_trip() {
        for kind in SensorKind::ALL {
            assert_eq!(SensorKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for kind in AlarmKind::ALL {
            assert_eq!(AlarmKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(AlarmKind::ALL.iter().filter(|k| k.is_fault()).count(), 3);
        for severity in Severity::ALL {
            assert_eq!(Severity::parse(severity.as_str()), Some(severity));
        }
        for reason in RejectReason::ALL {
            assert_eq!(RejectReason::parse(reason.as_str()), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
            assert!(reason.message().contains(" / "), "{reason:?}");
        }
        for grade in WarningGrade::ALL {
            assert_eq!(WarningGrade::parse(grade.as_str()), Some(grade));
            assert_eq!(serde_json::to_value(grade).unwrap(), grade.as_str());
        }
        assert_eq!(WarningGrade::Red.label_zh(), "红色");
        assert!(WarningGrade::Red > WarningGrade::Orange && WarningGrade::Yellow > WarningGrade::Blue);
        assert_eq!(SensorKind::parse("Level"), None);
    }

    /// (source level, active alarms, expected grade)
    type GradeCase<'a> = (Option<u8>, &'a [(AlarmKind, Severity)], Option<WarningGrade>);

    #[test]
    fn warning_grades() {
        use AlarmKind::*;
        use Severity::*;
        let rules = WarningRules::default();
        #[rustfmt::skip]
        let cases: &[GradeCase] = &[
            (Some(1), &[], None),
            (Some(1), &[(High, Critical)], Some(WarningGrade::Red)),
            (Some(2), &[(RateOfChange, Critical)], Some(WarningGrade::Red)),
            (Some(3), &[(High, Critical)], Some(WarningGrade::Orange)),
            (None, &[(Low, Critical)], Some(WarningGrade::Orange)),
            (Some(4), &[(High, Critical), (Low, Critical)], Some(WarningGrade::Red)),
            (Some(1), &[(High, Warning), (Low, Warning), (RateOfChange, Warning)], Some(WarningGrade::Orange)),
            (Some(3), &[(High, Warning), (Low, Warning), (RateOfChange, Warning)], Some(WarningGrade::Yellow)),
            (Some(2), &[(High, Warning), (Low, Warning), (NoData, Warning)], Some(WarningGrade::Yellow)),
            (Some(1), &[(NoData, Warning), (Stuck, Warning), (OutOfRange, Critical)], Some(WarningGrade::Blue)),
            (Some(4), &[(High, Warning), (Stuck, Warning)], Some(WarningGrade::Yellow)),
        ];
        for (level, active, expected) in cases {
            assert_eq!(warning_grade(*level, active, &rules), *expected, "{level:?} {active:?}");
        }
        let strict = WarningRules { strict_level_max: 4, red_critical_alarms: 0, orange_warning_alarms_strict: 1 };
        assert_eq!(warning_grade(Some(4), &[(High, Critical)], &strict), Some(WarningGrade::Red));
        assert_eq!(warning_grade(Some(4), &[(High, Warning)], &strict), Some(WarningGrade::Orange));
        assert_eq!(warning_grade(Some(4), &[(Stuck, Warning)], &strict), Some(WarningGrade::Blue));
        let parsed: WarningRules = toml::from_str("red_critical_alarms = 3").unwrap();
        assert_eq!(parsed, WarningRules { red_critical_alarms: 3, ..WarningRules::default() });
        assert!(toml::from_str::<WarningRules>("red = 3").is_err());
    }

    // ---- properties ----

    fn any_thresholds() -> impl Strategy<Value = Thresholds> {
        (1u32..20, 1u32..25, 1u32..25, 1u32..25, prop::array::uniform4(any::<bool>())).prop_map(|(low_low, g1, g2, g3, present)| {
            let low = low_low + g1;
            let high = low + g2;
            let high_high = high + g3;
            let pick = |on: bool, v: u32| on.then_some(f64::from(v));
            Thresholds { low_low: pick(present[0], low_low), low: pick(present[1], low), high: pick(present[2], high), high_high: pick(present[3], high_high) }
        })
    }

    fn any_rules() -> impl Strategy<Value = RuleSettings> {
        (
            prop::sample::select(vec![0u32, 5_000, 20_000, 60_000]),
            prop::sample::select(vec![0u32, 5_000, 20_000, 60_000]),
            prop::sample::select(vec![0.0, 0.5, 2.0]),
            prop::sample::select(vec![None, Some(1.0), Some(10.0)]),
            prop::sample::select(vec![None, Some(30_000u32)]),
        )
            .prop_map(|(on_delay_ms, off_delay_ms, deadband, rate_per_min, stuck_after_ms)| RuleSettings {
                on_delay_ms,
                off_delay_ms,
                deadband,
                rate_per_min,
                offline_after_intervals: 3,
                stuck_after_ms,
            })
    }

    #[derive(Clone, Debug)]
    enum Step {
        Reading { gap_ms: i64, value: f64 },
        OutOfRange { gap_ms: i64 },
        Silence { gap_ms: i64 },
    }

    fn any_step() -> impl Strategy<Value = Step> {
        // Gaps of 0 and below test refused readings; values cluster on the set-points.
        let gap = prop_oneof![Just(0i64), Just(-1_000i64), 1i64..20_000, 20_000i64..200_000];
        let value = prop_oneof![prop::sample::select(vec![0.0, 5.0, 15.0, 21.0, 40.0, 60.0, 80.0, 95.0, 100.0]), 0.0..=100.0f64, -20.0..120.0f64];
        prop_oneof![
            6 => (gap.clone(), value).prop_map(|(gap_ms, value)| Step::Reading { gap_ms, value }),
            1 => gap.clone().prop_map(|gap_ms| Step::OutOfRange { gap_ms }),
            1 => gap.prop_map(|gap_ms| Step::Silence { gap_ms }),
        ]
    }

    proptest! {
        /// Random specs and steps never panic; per kind the events run Raised (Worsened)* Cleared,
        /// Worsened always to Critical, and `active` always agrees with the events.
        #[test]
        fn events_alternate_per_kind(thresholds in any_thresholds(), rules in any_rules(), steps in prop::collection::vec(any_step(), 0..120)) {
            let spec = level(thresholds, rules);
            let mut state = RuleState::default();
            let mut live: [Option<Severity>; 6] = [None; 6];
            let mut now_ms = 0i64;
            for step in steps {
                let mut events = Vec::new();
                match step {
                    Step::Reading { gap_ms, value } => { now_ms += gap_ms; state.observe(&spec, value, now_ms, &mut events) }
                    Step::OutOfRange { gap_ms } => { now_ms += gap_ms; state.observe_out_of_range(&spec, now_ms, &mut events) }
                    Step::Silence { gap_ms } => {
                        let due = state.silence_due(&spec, now_ms + gap_ms);
                        state.check_silence(&spec, now_ms + gap_ms, &mut events);
                        prop_assert_eq!(due, events.iter().any(|e| matches!(e, AlarmEvent::Raised { kind: AlarmKind::NoData, .. })), "silence_due tells what check_silence does");
                    }
                }
                for event in &events {
                    let slot = &mut live[event.kind() as usize];
                    match *event {
                        AlarmEvent::Raised { severity, .. } => { prop_assert_eq!(*slot, None, "{:?}", event); *slot = Some(severity) }
                        AlarmEvent::Worsened { severity, .. } => {
                            // From Warning, or a critical alarm announced again.
                            prop_assert!(slot.is_some(), "{:?}", event);
                            prop_assert_eq!(severity, Severity::Critical);
                            *slot = Some(severity);
                        }
                        AlarmEvent::Cleared { .. } => { prop_assert!(slot.is_some(), "{:?}", event); *slot = None }
                    }
                }
                for kind in AlarmKind::ALL {
                    prop_assert_eq!(state.active(kind), live[kind as usize], "{:?}", kind);
                }
            }
        }

        /// A signal strictly inside (low + deadband, high - deadband) raises nothing but rate,
        /// stuck or no-data alarms.
        #[test]
        fn a_quiet_signal_raises_no_level_alarm(thresholds in any_thresholds(), rules in any_rules(), signal in prop::collection::vec((1i64..60_000, 0.0..1.0f64), 1..100)) {
            let spec = level(thresholds, rules);
            let lower = thresholds.low.or(thresholds.low_low).map_or(spec.range_min, |low| low + rules.deadband);
            let upper = thresholds.high.or(thresholds.high_high).map_or(spec.range_max, |high| high - rules.deadband);
            prop_assume!(lower < upper);
            let mut state = RuleState::default();
            let mut events = Vec::new();
            let mut ts_ms = 0;
            for (gap_ms, fraction) in signal {
                ts_ms += gap_ms;
                let value = lower + (upper - lower) * fraction;
                prop_assume!(value > lower && value < upper);
                state.observe(&spec, value, ts_ms, &mut events);
            }
            let level_events: Vec<&AlarmEvent> = events.iter().filter(|e| matches!(e.kind(), AlarmKind::High | AlarmKind::Low | AlarmKind::OutOfRange)).collect();
            prop_assert!(level_events.is_empty(), "{:?}", level_events);
        }

        /// parse_lines never panics and gives exactly one entry per non-blank line.
        #[test]
        fn parse_lines_one_entry_per_non_blank_line(text in prop_oneof![
            any::<String>(),
            prop::collection::vec(prop::sample::select(vec!['A', 'z', '1', '0', '.', '-', 'e', ' ', '\t', '\r', '\n', 'n', 'a', 'i', 'f', '液', '\u{feff}']), 0..300)
                .prop_map(|chars| chars.into_iter().collect::<String>()),
        ]) {
            let expected = text.strip_prefix('\u{feff}').unwrap_or(&text).split('\n')
                .map(|line| line.strip_suffix('\r').unwrap_or(line))
                .filter(|line| !line.trim_matches([' ', '\t']).is_empty())
                .count();
            prop_assert_eq!(parse_lines(&text, usize::MAX).map(|entries| entries.len()), Ok(expected));
            if expected > 0 {
                prop_assert_eq!(parse_lines(&text, expected - 1), Err(BatchError::TooMany { max: expected - 1 }));
            }
        }

        /// parse_json never panics on arbitrary bytes, nor on arrays of arbitrary JSON-ish text.
        #[test]
        fn parse_json_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), text in "\\[[\\[\\]{}\",:a-z0-9. -]{0,200}") {
            let _ = parse_json(&bytes, 100);
            let _ = parse_json(text.as_bytes(), 100);
        }
    }
}
