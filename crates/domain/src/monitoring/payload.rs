//! Ingest payloads (plain-text lines and JSON) with their parsing and the per-reading checks.
//! Parsing never panics and allocates at most what the caller's `max` allows.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::SensorSpec;

use super::*;

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

    pub fn message(self) -> crate::message::Message {
        match self {
            Self::Malformed => {
                crate::message!("payload.malformed_expected_sensor_code_decimal_value")
            }
            Self::UnknownSensor => crate::message!("payload.unknown_sensor_code"),
            Self::NotFinite => crate::message!("payload.value_not_finite_number"),
            Self::OutOfRange => crate::message!("payload.value_lies_outside_sensor_s_range"),
            Self::TooOld => crate::message!("payload.timestamp_older_than_accepted_window"),
            Self::InFuture => crate::message!("payload.timestamp_lies_future"),
            Self::Duplicate => crate::message!("payload.duplicate_reading_timestamp_was_already_received"),
            Self::OutOfOrder => crate::message!("payload.out_order_older_than_reading_already"),
        }
    }
}

/// A batch that cannot be read at all. Problems of single readings are [`RejectReason`]s instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("a batch holds at most {max} readings")]
    TooMany { max: usize },
    #[error("the body is not valid UTF-8 from byte {byte_offset}")]
    NotUtf8 { byte_offset: usize },
    #[error("the JSON body must be an array of readings [{{\"sensor\", \"value\", \"ts\"}}, …]")]
    NotAnArray,
    #[error("invalid JSON at line {line}, column {column}: {detail}")]
    Json { line: usize, column: usize, detail: String },
}

impl BatchError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::TooMany { max } => crate::message!("payload.batch_error.too_many", max = max),
            Self::NotUtf8 { byte_offset } => crate::message!("payload.batch_error.not_utf8", byte_offset = byte_offset),
            Self::NotAnArray => crate::message!("payload.batch_error.not_an_array"),
            Self::Json { line, column, detail } => crate::message!("payload.batch_error.json", column = column, detail = detail, line = line),
        }
    }
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
