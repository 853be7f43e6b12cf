//! Major hazard sources and their monitoring: sources with the chemicals that grade them, sensors
//! with their thresholds and rule settings, compressed telemetry chunks, and alarms.
//!
//! Readings and the rule engine's alarm transitions (raised, worsened, cleared) are machine
//! records written without audit entries: their volume is that of the sensors, and the alarm
//! table is itself their record. Every human action (registering a source or sensor,
//! acknowledging, closing, commenting) carries its audit event as everywhere else.

use domain::access::Visibility;
use domain::audit::AuditEvent;
use domain::monitoring::{AlarmKind, EscalationTier, Severity};
use sqlx::FromRow;

use crate::{Result, Store, StoreError, VISIBLE, conflict_on_unique, now_ms, trusted, visibility_params, with_pool, with_writer};

#[derive(Debug, Clone, PartialEq)]
pub struct NewChemical {
    pub substance: String,
    /// Table-2 category codes, comma-separated.
    pub categories: String,
    pub quantity_millionths: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHazardSource {
    pub enterprise_id: i64,
    pub name: String,
    pub unit_kind: String,
    pub people_nearby: i64,
    pub principal_person: String,
    pub technical_person: String,
    pub operating_person: String,
    pub s_value: f64,
    pub r_value: f64,
    pub is_major: bool,
    pub level: Option<i64>,
    pub chemicals: Vec<NewChemical>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct HazardSourceRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    /// The path of the enterprise's region, for grouping by any ancestor.
    pub region_path: String,
    pub name: String,
    pub unit_kind: String,
    pub people_nearby: i64,
    pub principal_person: String,
    pub technical_person: String,
    pub operating_person: String,
    pub s_value: f64,
    pub r_value: f64,
    pub is_major: bool,
    pub level: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChemicalRow {
    pub substance: String,
    pub categories: String,
    pub quantity_millionths: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSensor {
    pub source_id: i64,
    pub enterprise_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub range_min: f64,
    pub range_max: f64,
    pub low_low: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub high_high: Option<f64>,
    pub interval_s: i64,
    pub on_delay_ms: i64,
    pub off_delay_ms: i64,
    pub deadband: f64,
    pub rate_per_min: Option<f64>,
    pub offline_after_intervals: i64,
    pub stuck_after_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SensorRow {
    pub id: i64,
    pub source_id: i64,
    pub enterprise_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub range_min: f64,
    pub range_max: f64,
    pub low_low: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub high_high: Option<f64>,
    pub interval_s: i64,
    pub on_delay_ms: i64,
    pub off_delay_ms: i64,
    pub deadband: f64,
    pub rate_per_min: Option<f64>,
    pub offline_after_intervals: i64,
    pub stuck_after_ms: Option<i64>,
}

/// One sensor's readings between `start_ms` and `end_ms`, encoded by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChunk {
    pub sensor_id: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    pub reading_count: i64,
    pub timestamps: Vec<u8>,
    pub vals: Vec<u8>,
}

/// One accepted batch, compressed (see `monitor::codec::encode_log`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    pub first_ts: i64,
    pub last_ts: i64,
    pub reading_count: i64,
    pub sensor_ids: Vec<u8>,
    pub timestamps: Vec<u8>,
    pub vals: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LogRow {
    pub id: i64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub reading_count: i64,
    pub sensor_ids: Vec<u8>,
    pub timestamps: Vec<u8>,
    pub vals: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChunkRow {
    pub start_ms: i64,
    pub end_ms: i64,
    pub reading_count: i64,
    pub timestamps: Vec<u8>,
    pub vals: Vec<u8>,
}

/// A chunk with the sensor it belongs to, as queries over many sensors read it.
#[derive(FromRow)]
struct SensorChunk {
    sensor_id: i64,
    #[sqlx(flatten)]
    chunk: ChunkRow,
}

/// A transition the rule engine decided. `peak` is the most extreme value seen while the
/// condition held.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmChange {
    /// Opens an alarm, or re-triggers the live one of the same sensor and kind.
    Raised {
        sensor_id: i64,
        source_id: i64,
        enterprise_id: i64,
        kind: String,
        severity: String,
        value: Option<f64>,
        at_ms: i64,
    },
    Worsened {
        sensor_id: i64,
        kind: String,
        severity: String,
        peak: Option<f64>,
        at_ms: i64,
    },
    Cleared {
        sensor_id: i64,
        kind: String,
        peak: Option<f64>,
        at_ms: i64,
    },
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AlarmRow {
    pub id: i64,
    pub sensor_id: i64,
    pub sensor_code: String,
    pub sensor_name: String,
    pub unit: String,
    pub source_id: i64,
    pub source_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub kind: String,
    pub severity: String,
    pub state: String,
    pub condition_active: bool,
    pub first_value: Option<f64>,
    pub peak_value: Option<f64>,
    pub retriggers: i64,
    pub raised_at: i64,
    pub acknowledged_at: Option<i64>,
    pub cleared_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub disposition: Option<String>,
    pub escalation_tier: String,
    pub updated_at: i64,
}

/// Which alarms to list. `state` is a stored state, or `active` (not closed and either
/// unacknowledged or with its condition still present).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmFilter {
    pub state: Option<String>,
    pub enterprise_id: Option<i64>,
    pub source_id: Option<i64>,
    /// Only alarms escalated beyond the enterprise.
    pub escalated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSuppression {
    pub sensor_id: i64,
    pub enterprise_id: i64,
    pub kind: String,
    pub reason: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SuppressionRow {
    pub id: i64,
    pub sensor_id: i64,
    pub sensor_code: String,
    pub sensor_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub kind: String,
    pub reason: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub state: String,
    pub requested_by: i64,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub suppressed_events: i64,
}

const SUPPRESSION_SELECT: &str = "SELECT w.id, w.sensor_id, s.code AS sensor_code, s.name AS sensor_name, w.enterprise_id, e.name AS enterprise_name, w.kind, \
     w.reason, w.starts_at, w.ends_at, w.state, w.requested_by, w.requested_at, w.decided_at, w.decision_note, w.suppressed_events \
     FROM alarm_suppressions w JOIN sensors s ON s.id = w.sensor_id JOIN enterprises e ON e.id = w.enterprise_id JOIN regions r ON r.code = e.region_code";

/// Alarm-quality figures of one enterprise over a period.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AlarmKpiRow {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// Alarms raised in the period.
    pub raised: i64,
    /// Of those, alarms that re-triggered at least three times (chattering).
    pub chattering: i64,
    /// Alarms live now that were raised more than a day before the period's end (standing).
    pub standing: i64,
    pub closed_real: i64,
    pub closed_false: i64,
    pub closed_sensor_fault: i64,
    pub closed_maintenance: i64,
    pub closed_test: i64,
    /// Shelving and maintenance windows that ran in the period, and the transitions they held back.
    pub windows: i64,
    pub held: i64,
}

/// Inserts one chunk row inside a transaction of either backend.
macro_rules! insert_chunk {
    ($tx:ident, $chunk:expr) => {
        sqlx::query(
            "INSERT INTO telemetry_chunks (sensor_id, start_ms, end_ms, reading_count, timestamps, vals) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (sensor_id, start_ms) DO UPDATE SET end_ms = excluded.end_ms, reading_count = excluded.reading_count, \
             timestamps = excluded.timestamps, vals = excluded.vals",
        )
        .bind($chunk.sensor_id)
        .bind($chunk.start_ms)
        .bind($chunk.end_ms)
        .bind($chunk.reading_count)
        .bind(&$chunk.timestamps)
        .bind(&$chunk.vals)
        .execute(&mut *$tx)
        .await?
    };
}

const SOURCE_SELECT: &str = "SELECT h.id, h.enterprise_id, e.name AS enterprise_name, e.region_code, r.path AS region_path, h.name, h.unit_kind, h.people_nearby, \
     h.principal_person, h.technical_person, h.operating_person, h.s_value, h.r_value, h.is_major, h.level, h.created_at \
     FROM hazard_sources h JOIN enterprises e ON e.id = h.enterprise_id JOIN regions r ON r.code = e.region_code";

const SENSOR_COLUMNS: &str = "s.id, s.source_id, s.enterprise_id, s.code, s.name, s.kind, s.unit, s.range_min, s.range_max, s.low_low, s.low, s.high, \
     s.high_high, s.interval_s, s.on_delay_ms, s.off_delay_ms, s.deadband, s.rate_per_min, s.offline_after_intervals, s.stuck_after_ms";

const ALARM_SELECT: &str = "SELECT a.id, a.sensor_id, s.code AS sensor_code, s.name AS sensor_name, s.unit, a.source_id, h.name AS source_name, \
     a.enterprise_id, e.name AS enterprise_name, e.region_code, a.kind, a.severity, a.state, a.condition_active, a.first_value, a.peak_value, \
     a.retriggers, a.raised_at, a.acknowledged_at, a.cleared_at, a.closed_at, a.disposition, a.escalation_tier, a.updated_at \
     FROM alarms a JOIN sensors s ON s.id = a.sensor_id JOIN hazard_sources h ON h.id = a.source_id \
     JOIN enterprises e ON e.id = a.enterprise_id JOIN regions r ON r.code = e.region_code";

/// The alarm list's filter, after `{VISIBLE}` ($1–$3): state ($4, `active` for what still needs
/// someone), enterprise ($5), source ($6), escalated only ($7).
const ALARM_FILTER: &str = "($4 IS NULL OR ($4 = 'active' AND a.state <> 'closed' AND (a.state = 'raised' OR a.condition_active)) OR a.state = $4) \
     AND ($5 IS NULL OR a.enterprise_id = $5) AND ($6 IS NULL OR a.source_id = $6) AND (NOT $7 OR a.escalation_tier <> 'enterprise')";

/// Binds a visibility's three parameters and the alarm list's filter, `$1` to `$7`.
macro_rules! bind_alarm_filter {
    ($query:expr, $visibility:expr, $filter:expr) => {{
        let (all, path, enterprise) = visibility_params($visibility);
        let filter: &AlarmFilter = $filter;
        $query.bind(all).bind(path).bind(enterprise).bind(filter.state.clone()).bind(filter.enterprise_id).bind(filter.source_id).bind(filter.escalated)
    }};
}

/// The severity order, for keeping the higher of two.
const SEVERITY_MAX: &str = "CASE WHEN severity = 'critical' OR $2 = 'critical' THEN 'critical' ELSE 'warning' END";

/// A stored alarm's kind and severity, typed: a value no variant names is corrupt data, never
/// skipped or read as a default.
fn typed_condition((id, kind, severity): (i64, String, String)) -> Result<(i64, AlarmKind, Severity)> {
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("alarm of {id}: {what} {value:?}"));
    let kind_value = AlarmKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?;
    let severity_value = Severity::parse(&severity).ok_or_else(|| corrupt("severity", &severity))?;
    Ok((id, kind_value, severity_value))
}

impl Store {
    pub async fn add_hazard_source(&self, source: &NewHazardSource, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO hazard_sources (enterprise_id, name, unit_kind, people_nearby, principal_person, technical_person, operating_person, \
                 s_value, r_value, is_major, level, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(source.enterprise_id)
            .bind(&source.name)
            .bind(&source.unit_kind)
            .bind(source.people_nearby)
            .bind(&source.principal_person)
            .bind(&source.technical_person)
            .bind(&source.operating_person)
            .bind(source.s_value)
            .bind(source.r_value)
            .bind(source.is_major)
            .bind(source.level)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, domain::message!("monitoring.enterprise_already_has_source_name")))?;
            for (position, chemical) in source.chemicals.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO hazard_source_chemicals (source_id, position, substance, categories, quantity_millionths) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(&chemical.substance)
                .bind(&chemical.categories)
                .bind(chemical.quantity_millionths)
                .execute(&mut *tx)
                .await?;
            }
            let mut event = event.clone();
            event.target = format!("hazard_source:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Visible sources, most dangerous level first, optionally of one enterprise.
    pub async fn hazard_sources(&self, visibility: &Visibility, enterprise_id: Option<i64>) -> Result<Vec<HazardSourceRow>> {
        let sql = format!("{SOURCE_SELECT} WHERE {VISIBLE} AND ($4 IS NULL OR h.enterprise_id = $4) ORDER BY h.level IS NULL, h.level, h.r_value DESC, h.id");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(enterprise_id).fetch_all(pool).await?))
    }

    pub async fn hazard_source(&self, id: i64, visibility: &Visibility) -> Result<HazardSourceRow> {
        let sql = format!("{SOURCE_SELECT} WHERE {VISIBLE} AND h.id = $4");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| {
            let row: Option<HazardSourceRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn chemicals_of_source(&self, source_id: i64) -> Result<Vec<ChemicalRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT substance, categories, quantity_millionths FROM hazard_source_chemicals WHERE source_id = $1 ORDER BY position")
                .bind(source_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Registers sensors; a code already in use anywhere is a conflict and nothing is stored.
    pub async fn add_sensors(&self, sensors: &[NewSensor], event: &AuditEvent) -> Result<Vec<SensorRow>> {
        crate::in_transaction!(self, |tx| {
            let mut rows = Vec::with_capacity(sensors.len());
            for sensor in sensors {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO sensors (source_id, enterprise_id, code, name, kind, unit, range_min, range_max, low_low, low, high, high_high, \
                     interval_s, on_delay_ms, off_delay_ms, deadband, rate_per_min, offline_after_intervals, stuck_after_ms, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
                )
                .bind(sensor.source_id)
                .bind(sensor.enterprise_id)
                .bind(&sensor.code)
                .bind(&sensor.name)
                .bind(&sensor.kind)
                .bind(&sensor.unit)
                .bind(sensor.range_min)
                .bind(sensor.range_max)
                .bind(sensor.low_low)
                .bind(sensor.low)
                .bind(sensor.high)
                .bind(sensor.high_high)
                .bind(sensor.interval_s)
                .bind(sensor.on_delay_ms)
                .bind(sensor.off_delay_ms)
                .bind(sensor.deadband)
                .bind(sensor.rate_per_min)
                .bind(sensor.offline_after_intervals)
                .bind(sensor.stuck_after_ms)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, domain::message!("monitoring.sensor_code_already_use", code = sensor.code)))?;
                rows.push(SensorRow {
                    id,
                    source_id: sensor.source_id,
                    enterprise_id: sensor.enterprise_id,
                    code: sensor.code.clone(),
                    name: sensor.name.clone(),
                    kind: sensor.kind.clone(),
                    unit: sensor.unit.clone(),
                    range_min: sensor.range_min,
                    range_max: sensor.range_max,
                    low_low: sensor.low_low,
                    low: sensor.low,
                    high: sensor.high,
                    high_high: sensor.high_high,
                    interval_s: sensor.interval_s,
                    on_delay_ms: sensor.on_delay_ms,
                    off_delay_ms: sensor.off_delay_ms,
                    deadband: sensor.deadband,
                    rate_per_min: sensor.rate_per_min,
                    offline_after_intervals: sensor.offline_after_intervals,
                    stuck_after_ms: sensor.stuck_after_ms,
                });
            }
            crate::audit::append_audit!(tx, event);
            Ok(rows)
        })
    }

    /// Every sensor, for loading the monitor at start-up.
    /// The sensors the demo's simulator feeds.
    pub async fn simulated_sensors(&self) -> Result<Vec<SensorRow>> {
        let sql = format!("SELECT {SENSOR_COLUMNS} FROM sensors s WHERE s.simulated ORDER BY s.id");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).fetch_all(pool).await?))
    }

    /// Marks sensors (by code) as the simulator's; returns how many were marked.
    pub async fn mark_sensors_simulated(&self, codes: &[String]) -> Result<u64> {
        let mut marked = 0;
        with_writer!(self, |pool| {
            for code in codes {
                marked += sqlx::query("UPDATE sensors SET simulated = TRUE WHERE code = $1 AND NOT simulated").bind(code).execute(pool).await?.rows_affected();
            }
            Ok(marked)
        })
    }

    pub async fn all_sensors(&self) -> Result<Vec<SensorRow>> {
        let sql = format!("SELECT {SENSOR_COLUMNS} FROM sensors s ORDER BY s.id");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).fetch_all(pool).await?))
    }

    /// Visible sensors, optionally of one enterprise and one source.
    pub async fn sensors(&self, visibility: &Visibility, enterprise_id: Option<i64>, source_id: Option<i64>) -> Result<Vec<SensorRow>> {
        let sql = format!(
            "SELECT {SENSOR_COLUMNS} FROM sensors s JOIN enterprises e ON e.id = s.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE {VISIBLE} AND ($4 IS NULL OR s.enterprise_id = $4) AND ($5 IS NULL OR s.source_id = $5) ORDER BY s.source_id, s.code"
        );
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql))
            .bind(all)
            .bind(path)
            .bind(enterprise)
            .bind(enterprise_id)
            .bind(source_id)
            .fetch_all(pool)
            .await?))
    }

    /// One visible sensor by its code.
    pub async fn sensor_by_code(&self, code: &str, visibility: &Visibility) -> Result<SensorRow> {
        let sql = format!(
            "SELECT {SENSOR_COLUMNS} FROM sensors s JOIN enterprises e ON e.id = s.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE {VISIBLE} AND s.code = $4"
        );
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| {
            let row: Option<SensorRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(code).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// The oldest log entries, in order, until `max_readings` (at least one entry).
    pub async fn oldest_log_entries(&self, max_readings: i64) -> Result<Vec<LogRow>> {
        let rows: Vec<LogRow> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, first_ts, last_ts, reading_count, sensor_ids, timestamps, vals FROM telemetry_log ORDER BY id LIMIT 1000")
                .fetch_all(pool)
                .await?
        });
        let mut total = 0;
        Ok(rows
            .into_iter()
            .take_while(|row| {
                let take = total == 0 || total + row.reading_count <= max_readings;
                total += row.reading_count;
                take
            })
            .collect())
    }

    /// Log entries that may hold readings in `[from_ms, to_ms]`, in order.
    pub async fn log_entries_overlapping(&self, from_ms: i64, to_ms: i64) -> Result<Vec<LogRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, first_ts, last_ts, reading_count, sensor_ids, timestamps, vals FROM telemetry_log WHERE last_ts >= $1 AND first_ts <= $2 ORDER BY id")
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Readings waiting in the log and the oldest entry's id, if any.
    pub async fn log_backlog(&self) -> Result<(i64, Option<i64>)> {
        with_pool!(self, |pool| {
            let row: (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT CAST(SUM(reading_count) AS BIGINT), MIN(id) FROM telemetry_log").fetch_one(pool).await?;
            Ok((row.0.unwrap_or(0), row.1))
        })
    }

    /// In one transaction: deletes the chunks `replacing` names (sensor id, start), stores
    /// `chunks`, and with `delete_log_through` deletes the telemetry-log entries up to that id. A
    /// chunk that starts where a stored chunk of its sensor starts replaces it: a compaction step
    /// redone after a crash starts from the same oldest entries and covers at least what the
    /// interrupted step had stored.
    pub async fn store_chunks(&self, chunks: &[NewChunk], replacing: &[(i64, i64)], delete_log_through: Option<i64>) -> Result<()> {
        crate::in_plain_transaction!(self, |tx| {
            for (sensor_id, start_ms) in replacing {
                sqlx::query("DELETE FROM telemetry_chunks WHERE sensor_id = $1 AND start_ms = $2").bind(sensor_id).bind(start_ms).execute(&mut *tx).await?;
            }
            for chunk in chunks {
                insert_chunk!(tx, chunk);
            }
            if let Some(through_id) = delete_log_through {
                sqlx::query("DELETE FROM telemetry_log WHERE id <= $1").bind(through_id).execute(&mut *tx).await?;
            }
            Ok(())
        })
    }

    /// The chunks of a sensor that overlap `[from_ms, to_ms]`, oldest first.
    pub async fn chunks(&self, sensor_id: i64, from_ms: i64, to_ms: i64) -> Result<Vec<ChunkRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT start_ms, end_ms, reading_count, timestamps, vals FROM telemetry_chunks WHERE sensor_id = $1 AND end_ms >= $2 AND start_ms <= $3 ORDER BY start_ms",
            )
            .bind(sensor_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Chunks holding fewer than `below_readings` readings of the sensors with ids in
    /// `[from_sensor, to_sensor)`, with their sensor id, by sensor and time: what merging reads.
    pub async fn small_chunks(&self, from_sensor: i64, to_sensor: i64, below_readings: i64) -> Result<Vec<(i64, ChunkRow)>> {
        with_pool!(self, |pool| {
            let rows: Vec<SensorChunk> = sqlx::query_as(
                "SELECT sensor_id, start_ms, end_ms, reading_count, timestamps, vals FROM telemetry_chunks \
                 WHERE sensor_id >= $1 AND sensor_id < $2 AND reading_count < $3 ORDER BY sensor_id, start_ms",
            )
            .bind(from_sensor)
            .bind(to_sensor)
            .bind(below_readings)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|r| (r.sensor_id, r.chunk)).collect())
        })
    }

    /// Where the chunks of at least `readings` readings of the sensors with ids in
    /// `[from_sensor, to_sensor)` start: (sensor id, start), by sensor and time.
    pub async fn large_chunk_starts(&self, from_sensor: i64, to_sensor: i64, readings: i64) -> Result<Vec<(i64, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT sensor_id, start_ms FROM telemetry_chunks WHERE sensor_id >= $1 AND sensor_id < $2 AND reading_count >= $3 ORDER BY sensor_id, start_ms",
            )
            .bind(from_sensor)
            .bind(to_sensor)
            .bind(readings)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The smallest and largest sensor id that has chunks.
    pub async fn chunked_sensor_range(&self) -> Result<Option<(i64, i64)>> {
        with_pool!(self, |pool| {
            let row: (Option<i64>, Option<i64>) = sqlx::query_as("SELECT MIN(sensor_id), MAX(sensor_id) FROM telemetry_chunks").fetch_one(pool).await?;
            Ok(row.0.zip(row.1))
        })
    }

    /// The most recent chunk of every sensor that has one, with its sensor id, for resuming the
    /// monitor at start-up.
    pub async fn latest_chunks(&self) -> Result<Vec<(i64, ChunkRow)>> {
        with_pool!(self, |pool| {
            let rows: Vec<SensorChunk> = sqlx::query_as(
                "SELECT c.sensor_id, c.start_ms, c.end_ms, c.reading_count, c.timestamps, c.vals FROM telemetry_chunks c \
                 JOIN (SELECT sensor_id, MAX(start_ms) AS start_ms FROM telemetry_chunks GROUP BY sensor_id) m ON m.sensor_id = c.sensor_id AND m.start_ms = c.start_ms",
            )
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|r| (r.sensor_id, r.chunk)).collect())
        })
    }

    /// Visible alarms that count toward a source's warning grade (live, and unacknowledged or with
    /// the condition present): (source id, kind, severity).
    pub async fn active_alarm_kinds(&self, visibility: &Visibility) -> Result<Vec<(i64, AlarmKind, Severity)>> {
        let sql = format!(
            "SELECT a.source_id, a.kind, a.severity FROM alarms a JOIN enterprises e ON e.id = a.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE {VISIBLE} AND a.state <> 'closed' AND (a.state = 'raised' OR a.condition_active) ORDER BY a.source_id"
        );
        let (all, path, enterprise) = visibility_params(visibility);
        let rows: Vec<(i64, String, String)> =
            with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).fetch_all(pool).await)?;
        rows.into_iter().map(typed_condition).collect()
    }

    /// Live alarms whose condition was present when last seen: (sensor id, kind, severity).
    pub async fn live_alarm_conditions(&self) -> Result<Vec<(i64, AlarmKind, Severity)>> {
        let rows: Vec<(i64, String, String)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT sensor_id, kind, severity FROM alarms WHERE state <> 'closed' AND condition_active ORDER BY sensor_id").fetch_all(pool).await
        })?;
        rows.into_iter().map(typed_condition).collect()
    }

    /// Deletes chunks that ended before `before_ms` (retention); returns how many.
    pub async fn delete_chunks_before(&self, before_ms: i64) -> Result<u64> {
        with_writer!(self, |pool| Ok(sqlx::query("DELETE FROM telemetry_chunks WHERE end_ms < $1").bind(before_ms).execute(pool).await?.rows_affected()))
    }

    /// Total payload bytes and readings held in chunks and in the log, for the storage figures.
    pub async fn chunk_totals(&self) -> Result<(i64, i64)> {
        with_pool!(self, |pool| {
            let chunks: (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT CAST(SUM(LENGTH(timestamps) + LENGTH(vals)) AS BIGINT), CAST(SUM(reading_count) AS BIGINT) FROM telemetry_chunks")
                    .fetch_one(pool)
                    .await?;
            let log: (Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT CAST(SUM(LENGTH(sensor_ids) + LENGTH(timestamps) + LENGTH(vals)) AS BIGINT), CAST(SUM(reading_count) AS BIGINT) FROM telemetry_log",
            )
            .fetch_one(pool)
            .await?;
            Ok((chunks.0.unwrap_or(0) + log.0.unwrap_or(0), chunks.1.unwrap_or(0) + log.1.unwrap_or(0)))
        })
    }

    /// Commits one group of the monitor's writes in one transaction: the accepted batches as rows
    /// of the telemetry log, then the rule engine's alarm transitions in the order they were made,
    /// then the transitions that shelving or maintenance windows held back (counted per window).
    /// Returns the ids of the alarms touched.
    pub async fn commit_monitoring(&self, log_entries: &[&NewLogEntry], changes: &[AlarmChange], held: &[(i64, i64)]) -> Result<Vec<i64>> {
        macro_rules! apply_all {
            ($tx:ident) => {{
                let mut ids = Vec::with_capacity(changes.len());
                for change in changes {
                    let now = now_ms();
                    let id: Option<i64> = match change {
                        AlarmChange::Raised { sensor_id, source_id, enterprise_id, kind, severity, value, at_ms } => {
                            let retriggered: Option<i64> = sqlx::query_scalar(trusted(&format!(
                                "UPDATE alarms SET retriggers = retriggers + 1, condition_active = TRUE, severity = {SEVERITY_MAX}, \
                                 state = CASE WHEN state = 'cleared' THEN 'raised' ELSE state END, cleared_at = NULL, updated_at = $4 \
                                 WHERE sensor_id = $1 AND kind = $3 AND state <> 'closed' RETURNING id"
                            )))
                            .bind(sensor_id)
                            .bind(severity)
                            .bind(kind)
                            .bind(now)
                            .fetch_optional(&mut *$tx)
                            .await?;
                            match retriggered {
                                Some(id) => Some(id),
                                None => Some(
                                    sqlx::query_scalar(
                                        "INSERT INTO alarms (sensor_id, source_id, enterprise_id, kind, severity, state, condition_active, first_value, peak_value, raised_at, updated_at) \
                                         VALUES ($1, $2, $3, $4, $5, 'raised', TRUE, $6, $6, $7, $8) RETURNING id",
                                    )
                                    .bind(sensor_id)
                                    .bind(source_id)
                                    .bind(enterprise_id)
                                    .bind(kind)
                                    .bind(severity)
                                    .bind(value)
                                    .bind(at_ms)
                                    .bind(now)
                                    .fetch_one(&mut *$tx)
                                    .await?,
                                ),
                            }
                        }
                        AlarmChange::Worsened { sensor_id, kind, severity, peak, at_ms: _ } => {
                            sqlx::query_scalar(trusted(&format!(
                                "UPDATE alarms SET severity = {SEVERITY_MAX}, peak_value = COALESCE($4, peak_value), updated_at = $5 \
                                 WHERE sensor_id = $1 AND kind = $3 AND state <> 'closed' RETURNING id"
                            )))
                            .bind(sensor_id)
                            .bind(severity)
                            .bind(kind)
                            .bind(peak)
                            .bind(now)
                            .fetch_optional(&mut *$tx)
                            .await?
                        }
                        AlarmChange::Cleared { sensor_id, kind, peak, at_ms } => {
                            sqlx::query_scalar(
                                "UPDATE alarms SET condition_active = FALSE, cleared_at = $3, peak_value = COALESCE($4, peak_value), \
                                 state = CASE WHEN state = 'acknowledged' THEN 'cleared' ELSE state END, updated_at = $5 \
                                 WHERE sensor_id = $1 AND kind = $2 AND state <> 'closed' RETURNING id",
                            )
                            .bind(sensor_id)
                            .bind(kind)
                            .bind(at_ms)
                            .bind(peak)
                            .bind(now)
                            .fetch_optional(&mut *$tx)
                            .await?
                        }
                    };
                    ids.extend(id);
                }
                ids
            }};
        }
        let committed = crate::in_plain_transaction!(self, |tx| {
            for entry in log_entries {
                sqlx::query("INSERT INTO telemetry_log (first_ts, last_ts, reading_count, sensor_ids, timestamps, vals) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(entry.first_ts)
                    .bind(entry.last_ts)
                    .bind(entry.reading_count)
                    .bind(&entry.sensor_ids)
                    .bind(&entry.timestamps)
                    .bind(&entry.vals)
                    .execute(&mut *tx)
                    .await?;
            }
            let ids = apply_all!(tx);
            for (window_id, n) in held {
                sqlx::query("UPDATE alarm_suppressions SET suppressed_events = suppressed_events + $2 WHERE id = $1")
                    .bind(window_id)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(ids)
        });
        if committed.is_ok() && !changes.is_empty() {
            self.count_change();
        }
        committed
    }

    /// Visible alarms matching `filter`, newest first, at most `limit`.
    pub async fn alarms(&self, visibility: &Visibility, filter: &AlarmFilter, limit: i64) -> Result<Vec<AlarmRow>> {
        let sql = format!("{ALARM_SELECT} WHERE {VISIBLE} AND {ALARM_FILTER} ORDER BY a.raised_at DESC, a.id DESC LIMIT $8");
        with_pool!(self, |pool| Ok(bind_alarm_filter!(sqlx::query_as(trusted(&sql)), visibility, filter).bind(limit).fetch_all(pool).await?))
    }

    /// How many alarms `alarms` would list without a limit.
    pub async fn alarm_count(&self, visibility: &Visibility, filter: &AlarmFilter) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM ({ALARM_SELECT} WHERE {VISIBLE} AND {ALARM_FILTER}) counted");
        with_pool!(self, |pool| Ok(bind_alarm_filter!(sqlx::query_scalar(trusted(&sql)), visibility, filter).fetch_one(pool).await?))
    }

    pub async fn alarm(&self, id: i64, visibility: &Visibility) -> Result<AlarmRow> {
        let sql = format!("{ALARM_SELECT} WHERE {VISIBLE} AND a.id = $4");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| {
            let row: Option<AlarmRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn request_suppression(&self, window: &NewSuppression, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO alarm_suppressions (sensor_id, enterprise_id, kind, reason, starts_at, ends_at, state, requested_by, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $8) RETURNING id",
            )
            .bind(window.sensor_id)
            .bind(window.enterprise_id)
            .bind(&window.kind)
            .bind(&window.reason)
            .bind(window.starts_at)
            .bind(window.ends_at)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            let mut event = event.clone();
            event.target = format!("alarm_suppression:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Approves or rejects a requested window. Conflict unless it awaits a decision.
    pub async fn decide_suppression(&self, id: i64, approve: bool, user_id: i64, note: Option<&str>, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE alarm_suppressions SET state = $2, decided_by = $3, decided_at = $4, decision_note = $5 WHERE id = $1 AND state = 'requested'",
            )
            .bind(id)
            .bind(if approve { "approved" } else { "rejected" })
            .bind(user_id)
            .bind(now_ms())
            .bind(note)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("monitoring.request_has_already_been_decided")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Ends a window early: a request is cancelled, an approved window ends now. Conflict when
    /// it has already ended or was refused.
    pub async fn end_suppression(&self, id: i64, now: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE alarm_suppressions SET state = CASE WHEN state = 'requested' THEN 'cancelled' ELSE state END, \
                 ends_at = CASE WHEN state = 'approved' AND starts_at < $2 THEN $2 WHEN state = 'approved' THEN starts_at + 1 ELSE ends_at END \
                 WHERE id = $1 AND (state = 'requested' OR (state = 'approved' AND ends_at > $2))",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("monitoring.already_over_never_approved")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn suppression(&self, id: i64, visibility: &Visibility) -> Result<SuppressionRow> {
        let sql = format!("{SUPPRESSION_SELECT} WHERE {VISIBLE} AND w.id = $4");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| {
            let row: Option<SuppressionRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Visible windows, optionally of one sensor, newest first.
    pub async fn suppressions(&self, visibility: &Visibility, sensor_id: Option<i64>, limit: i64) -> Result<Vec<SuppressionRow>> {
        let sql = format!("{SUPPRESSION_SELECT} WHERE {VISIBLE} AND ($4 IS NULL OR w.sensor_id = $4) ORDER BY w.requested_at DESC, w.id DESC LIMIT $5");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(sensor_id).bind(limit).fetch_all(pool).await?))
    }

    /// Approved windows not yet over: (id, sensor id, starts at, ends at).
    pub async fn approved_suppressions(&self, now: i64) -> Result<Vec<(i64, i64, i64, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, sensor_id, starts_at, ends_at FROM alarm_suppressions WHERE state = 'approved' AND ends_at > $1 ORDER BY id")
                .bind(now)
                .fetch_all(pool)
                .await?)
        })
    }

    pub async fn create_ingest_token(&self, enterprise_id: i64, name: &str, token_hash: &str, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ingest_tokens (enterprise_id, name, token_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(enterprise_id)
            .bind(name)
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// The enterprise a live ingest token writes for.
    pub async fn enterprise_of_ingest_token(&self, token_hash: &str) -> Result<Option<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT enterprise_id FROM ingest_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// An enterprise's ingest tokens: (id, name, created at, revoked at), newest first.
    pub async fn ingest_tokens(&self, enterprise_id: i64) -> Result<Vec<(i64, String, i64, Option<i64>)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, name, created_at, revoked_at FROM ingest_tokens WHERE enterprise_id = $1 ORDER BY id DESC")
                .bind(enterprise_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Revokes one of an enterprise's live tokens; NotFound when it has no such live token.
    pub async fn revoke_ingest_token(&self, id: i64, enterprise_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query("UPDATE ingest_tokens SET revoked_at = $3 WHERE id = $1 AND enterprise_id = $2 AND revoked_at IS NULL")
                .bind(id)
                .bind(enterprise_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Alarm-quality figures per visible enterprise with sensors, over `[from_ms, to_ms]`.
    pub async fn alarm_kpis(&self, visibility: &Visibility, from_ms: i64, to_ms: i64) -> Result<Vec<AlarmKpiRow>> {
        let sql = format!(
            "SELECT e.id AS enterprise_id, e.name AS enterprise_name, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.raised_at BETWEEN $4 AND $5) AS raised, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.raised_at BETWEEN $4 AND $5 AND a.retriggers >= 3) AS chattering, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.state <> 'closed' AND a.raised_at < $5 - 86400000) AS standing, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.closed_at BETWEEN $4 AND $5 AND a.disposition = 'real') AS closed_real, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.closed_at BETWEEN $4 AND $5 AND a.disposition = 'false') AS closed_false, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.closed_at BETWEEN $4 AND $5 AND a.disposition = 'sensor_fault') AS closed_sensor_fault, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.closed_at BETWEEN $4 AND $5 AND a.disposition = 'maintenance') AS closed_maintenance, \
             (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.closed_at BETWEEN $4 AND $5 AND a.disposition = 'test') AS closed_test, \
             (SELECT COUNT(*) FROM alarm_suppressions w WHERE w.enterprise_id = e.id AND w.state = 'approved' AND w.starts_at < $5 AND w.ends_at > $4) AS windows, \
             (SELECT CAST(COALESCE(SUM(w.suppressed_events), 0) AS BIGINT) FROM alarm_suppressions w WHERE w.enterprise_id = e.id AND w.state = 'approved' AND w.starts_at < $5 AND w.ends_at > $4) AS held \
             FROM enterprises e JOIN regions r ON r.code = e.region_code \
             WHERE {VISIBLE} AND EXISTS (SELECT 1 FROM sensors s WHERE s.enterprise_id = e.id) ORDER BY e.id"
        );
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(from_ms).bind(to_ms).fetch_all(pool).await?))
    }

    /// Readings received per sensor in chunks lying within `[from_ms, to_ms]`.
    pub async fn readings_received(&self, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT sensor_id, CAST(SUM(reading_count) AS BIGINT) FROM telemetry_chunks WHERE start_ms >= $1 AND end_ms <= $2 GROUP BY sensor_id ORDER BY sensor_id",
            )
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Unacknowledged alarms not yet at the top tier: (id, raised at, tier).
    pub async fn alarms_to_escalate(&self) -> Result<Vec<(i64, i64, EscalationTier)>> {
        let rows: Vec<(i64, i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT id, raised_at, escalation_tier FROM alarms WHERE state = 'raised' AND escalation_tier <> 'province' ORDER BY id LIMIT 10000")
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(id, raised_at, tier)| {
                let tier = EscalationTier::parse(&tier).ok_or_else(|| StoreError::Corrupt(format!("alarm {id}: escalation tier {tier:?}")))?;
                Ok((id, raised_at, tier))
            })
            .collect()
    }

    /// Moves an alarm that is still unacknowledged up to `tier`; false if it was acknowledged
    /// meanwhile. A machine record, like the rule engine's transitions.
    pub async fn escalate_alarm(&self, id: i64, tier: &str, at_ms: i64) -> Result<bool> {
        with_writer!(self, |pool| {
            let changed = sqlx::query("UPDATE alarms SET escalation_tier = $2, escalated_at = $3, updated_at = $3 WHERE id = $1 AND state = 'raised'")
                .bind(id)
                .bind(tier)
                .bind(at_ms)
                .execute(pool)
                .await?
                .rows_affected();
            Ok(changed == 1)
        })
    }

    /// Acknowledges a raised alarm: `acknowledged`, or `cleared` when its condition has already
    /// gone. Conflict when the alarm is not in `raised`.
    pub async fn acknowledge_alarm(&self, id: i64, user_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE alarms SET state = CASE WHEN condition_active THEN 'acknowledged' ELSE 'cleared' END, acknowledged_at = $2, acknowledged_by = $3, \
                 updated_at = $2 WHERE id = $1 AND state = 'raised'",
            )
            .bind(id)
            .bind(now_ms())
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("monitoring.alarm_not_awaiting_acknowledgement")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Closes an alarm whose condition has gone, with its disposition and an optional comment.
    pub async fn close_alarm(&self, id: i64, user_id: i64, disposition: &str, comment: Option<&str>, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let changed = sqlx::query(
                "UPDATE alarms SET state = 'closed', disposition = $2, closed_at = $3, closed_by = $4, \
                 acknowledged_at = COALESCE(acknowledged_at, $3), acknowledged_by = COALESCE(acknowledged_by, $4), updated_at = $3 \
                 WHERE id = $1 AND state <> 'closed' AND NOT condition_active",
            )
            .bind(id)
            .bind(disposition)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("monitoring.alarm_s_condition_still_holds_already")));
            }
            if let Some(body) = comment {
                sqlx::query("INSERT INTO alarm_comments (alarm_id, user_id, body, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(user_id)
                    .bind(body)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// The comments on an alarm with their authors' display names, oldest first.
    pub async fn alarm_comments(&self, alarm_id: i64) -> Result<Vec<(String, String, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT u.display_name, c.body, c.created_at FROM alarm_comments c JOIN users u ON u.id = c.user_id WHERE c.alarm_id = $1 ORDER BY c.id",
            )
            .bind(alarm_id)
            .fetch_all(pool)
            .await?)
        })
    }
}
