//! Live monitoring of major hazard sources: the monitor holds every sensor's spec and rule state
//! in memory, ingests batches of readings (validating each, storing the good ones durably as
//! compressed chunks before answering, then running the alarm rules), checks for silent sensors,
//! answers latest values and history, and carries out people's actions on alarms.
//!
//! A batch is all or nothing toward storage: if the chunks cannot be stored, no rule state moves
//! and the client may send the same batch again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::audit::Outcome;
use domain::role::Role;
use domain::telemetry::{
    self, AlarmEvent, AlarmKind, EscalationRules, RawReading, RejectReason, RuleState, SensorSpec, TimeWindow, WarningGrade, WarningRules,
};
use serde::Serialize;
use store::{AlarmChange, AlarmFilter, AlarmRow, NewChunk, SensorRow};
use tokio::sync::{Mutex, broadcast};

use crate::monitor_writer::{ChunkSlice, MonitorWrite, MonitorWriter};
use crate::sensor_table::{Owner, Peaks, SensorTable};
use crate::{Actor, App, AppError, Client, Result, audit_event, policy};

/// At most this many rejected readings are itemised in an answer; all are counted.
pub const REJECTIONS_LISTED_MAX: usize = 100;
/// Batches waiting for or holding the monitor at once; more are refused as busy, so that memory
/// held by queued requests stays bounded.
pub const INGEST_QUEUE_MAX: usize = 8;
/// Readings compacted in one step (bounds the memory compaction takes: ~24 bytes a reading).
pub const COMPACTION_READINGS_MAX: i64 = 5_000_000;

/// Chunks stored in one transaction while compacting (each slice holds the database's write
/// lock for milliseconds, not seconds).
pub const COMPACTION_SLICE_CHUNKS: usize = 100;

/// The pause between two slices of compaction or merging.
const SLICE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

/// Open live alarm streams (server-sent events) at once.
pub const LIVE_SUBSCRIBERS_MAX: usize = 1_000;
/// At most this many readings in one batch.
pub const BATCH_READINGS_MAX: usize = 100_000;
/// History answers hold at most this many raw points (ask for buckets beyond that).
pub const HISTORY_POINTS_MAX: usize = 100_000;
/// The longest history window one request may cover.
pub const HISTORY_SPAN_MAX_MS: i64 = 31 * 24 * 3600 * 1000;

/// Monitoring settings (`[monitoring]` in the configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSettings {
    pub window: TimeWindow,
    /// Days of readings kept.
    pub retention_days: u32,
    /// How active alarms grade a source red, orange, yellow or blue.
    pub warning_rules: WarningRules,
    /// When unacknowledged alarms go up to the county, city and province.
    pub escalation: EscalationRules,
    /// Live alarm streams one user may hold open at once (all of them share
    /// `LIVE_SUBSCRIBERS_MAX`), so that one account cannot take every slot.
    pub live_streams_per_user: usize,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            window: TimeWindow { max_past_ms: 7 * 24 * 3600 * 1000, max_future_ms: 5 * 60 * 1000 },
            retention_days: 30,
            warning_rules: WarningRules::default(),
            escalation: EscalationRules::default(),
            live_streams_per_user: 8,
        }
    }
}

/// Alarm quality and data quality of one enterprise over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EnterpriseKpi {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub sensors: usize,
    /// Sensors that reported within their no-data limit.
    pub online: usize,
    pub online_share: f64,
    /// Readings received over readings expected from the reporting intervals (at most 1).
    pub completeness: f64,
    pub alarms_per_hour: f64,
    pub chattering: i64,
    pub standing: i64,
    /// Shelving and maintenance windows that ran, and the alarm transitions they held back.
    pub shelved: i64,
    pub held: i64,
    /// Closed alarms by disposition.
    pub closed_real: i64,
    pub closed_false: i64,
    pub closed_sensor_fault: i64,
    pub closed_maintenance: i64,
    pub closed_test: i64,
    /// Share of closed alarms found false (0 when none closed).
    pub false_share: f64,
}

/// A source with its early-warning grade and how many alarms are active there.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceWarning {
    pub source: store::HazardSourceRow,
    pub grade: Option<WarningGrade>,
    pub active_alarms: usize,
}

/// The sources of one child region by warning grade.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RegionWarnings {
    pub code: String,
    pub name: String,
    pub sources: usize,
    pub red: usize,
    pub orange: usize,
    pub yellow: usize,
    pub blue: usize,
    pub highest: Option<WarningGrade>,
}

/// A sensor's rule state and peaks before a write, to put back if the write cannot be stored.
#[derive(Debug, Clone)]
pub(crate) struct SensorSnapshot {
    index: usize,
    rules: RuleState,
    peaks: Peaks,
}

impl SensorSnapshot {
    fn of(index: usize, sensors: &SensorTable) -> Self {
        Self { index, rules: sensors.rules(index).clone(), peaks: sensors.peaks(index) }
    }
}

impl MonitorState {
    /// Puts sensors back as they were before a write that could not be stored. Writes are rolled
    /// back newest first, so that each sensor ends as it was before the oldest failed write.
    pub(crate) fn roll_back(&mut self, snapshots: &[SensorSnapshot]) {
        let known = self.sensors.len();
        for snapshot in snapshots.iter().filter(|s| s.index < known) {
            *self.sensors.rules_mut(snapshot.index).0 = snapshot.rules.clone();
            self.sensors.set_peaks(snapshot.index, snapshot.peaks);
        }
    }
}

#[derive(Default)]
pub(crate) struct MonitorState {
    sensors: SensorTable,
    /// Failed commits rolled back so far (see `App::stage_ingest`).
    pub(crate) rollbacks: u64,
    /// Approved shelving and maintenance windows not yet over, by sensor id.
    windows: HashMap<i64, Vec<Window>>,
}

/// An approved shelving or maintenance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    id: i64,
    starts_at: i64,
    ends_at: i64,
}

/// Hands a sensor's alarm transitions on as stored changes, unless an approved window covers
/// `ts_ms`: then they are only counted against the window (`held`).
#[allow(clippy::too_many_arguments)]
fn route_events(
    sensors: &mut SensorTable,
    index: usize,
    windows: &HashMap<i64, Vec<Window>>,
    value: Option<f64>,
    ts_ms: i64,
    events: &[AlarmEvent],
    changes: &mut Vec<AlarmChange>,
    held: &mut HashMap<i64, i64>,
) {
    if !events.is_empty()
        && let Some(window) = windows.get(&sensors.id(index)).and_then(|w| w.iter().find(|w| w.starts_at <= ts_ms && ts_ms < w.ends_at))
    {
        *held.entry(window.id).or_default() += events.len() as i64;
        return;
    }
    alarm_changes(sensors, index, value, events, changes);
}

/// A batch checked and ruled, queued for storage (its ingest slot goes with it to the writer, and
/// is freed once the batch is answered there, even if nobody waits).
#[must_use = "a staged batch is answered only once durable"]
pub struct StagedIngest {
    outcome: IngestOutcome,
    commit: crate::monitor_writer::Commit,
    monitor: std::sync::Arc<Monitor>,
    rollbacks: u64,
}

impl StagedIngest {
    /// Waits until the batch, and everything handed over before it, is stored (a batch whose
    /// readings were all refused waits too, since it was checked against those). On failure the
    /// monitor has been put back as it was before the batch (and every batch staged after it),
    /// so they can all be sent again.
    pub async fn durable(self) -> Result<IngestOutcome> {
        if let Err(error) = self.commit.durable().await {
            return Err(AppError::Internal(format!("读数未能保存 / the readings could not be stored: {error}")));
        }
        self.monitor.accepted_total.fetch_add(self.outcome.accepted as u64, Ordering::Relaxed);
        Ok(self.outcome)
    }

    /// How many failed commits the monitor had rolled back when this batch was staged; see
    /// [`App::stage_ingest`].
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks
    }
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestOutcome {
    pub accepted: usize,
    /// The first `REJECTIONS_LISTED_MAX` rejected readings by their index in the batch.
    pub rejected: Vec<Rejection>,
    pub rejected_total: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rejection {
    pub index: usize,
    pub reason: &'static str,
}

/// An alarm transition, as pushed to open browsers and webhooks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmNotice {
    pub alarm_ids: Vec<i64>,
}

/// Why a live stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveRefusal {
    /// This user holds as many streams as one user may.
    UserLimit,
    /// Every stream slot of the process is taken.
    Full,
}

/// The slots a live stream holds: one of the process's and one of its user's.
pub struct LiveSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    _user: Option<UserStream>,
}

/// One of a user's open streams; counted down when dropped.
struct UserStream {
    user_id: i64,
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
}

impl Drop for UserStream {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

/// The monitor; one per process, shared by the HTTP and MQTT ingest paths.
pub struct Monitor {
    settings: MonitorSettings,
    state: std::sync::Arc<Mutex<MonitorState>>,
    accepted_total: AtomicU64,
    rejected_by_reason: [AtomicU64; RejectReason::ALL.len()],
    notices: broadcast::Sender<AlarmNotice>,
    ingest_slots: std::sync::Arc<tokio::sync::Semaphore>,
    live_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Live streams open per user, beside the slots they hold.
    live_per_user: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, usize>>>,
    /// Held while the telemetry log is compacted, so that two compactions never overlap.
    compaction: Mutex<()>,
    writer: MonitorWriter,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Monitor {
    pub fn new(settings: MonitorSettings) -> Self {
        Self {
            settings,
            state: std::sync::Arc::new(Mutex::new(MonitorState::default())),
            accepted_total: AtomicU64::new(0),
            rejected_by_reason: std::array::from_fn(|_| AtomicU64::new(0)),
            notices: broadcast::channel(1024).0,
            ingest_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(INGEST_QUEUE_MAX)),
            live_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(LIVE_SUBSCRIBERS_MAX)),
            live_per_user: Default::default(),
            compaction: Mutex::new(()),
            writer: MonitorWriter::default(),
        }
    }

    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Starts monitoring a sensor from `rules` (or replaces its spec, keeping its rule state).
    pub async fn register(&self, row: &SensorRow, spec: SensorSpec, rules: RuleState) {
        let owner = Owner { source_id: row.source_id, enterprise_id: row.enterprise_id };
        self.state.lock().await.sensors.register(row.id, owner, &row.code, spec, rules);
    }

    /// The heap bytes of the monitor's per-sensor state (its own accounting) and how many sensors
    /// it holds.
    pub async fn memory(&self) -> (usize, usize) {
        let state = self.state.lock().await;
        (state.sensors.heap_bytes(), state.sensors.len())
    }

    /// Gives back memory grown ahead of need, once every sensor is loaded.
    async fn loaded(&self) {
        self.state.lock().await.sensors.shrink_to_fit();
    }

    /// Subscribes to alarm transitions: a user (`Some(user_id)`), unless it already holds
    /// `live_streams_per_user` streams, or the process itself (`None`, the webhooks); refused
    /// when `LIVE_SUBSCRIBERS_MAX` are listening in all. The subscription holds its slots until
    /// dropped.
    pub fn subscribe(&self, user_id: Option<i64>) -> std::result::Result<(broadcast::Receiver<AlarmNotice>, LiveSlot), LiveRefusal> {
        let user = match user_id {
            Some(user_id) => {
                let mut open = self.live_per_user.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let count = open.entry(user_id).or_insert(0);
                if *count >= self.settings.live_streams_per_user {
                    return Err(LiveRefusal::UserLimit);
                }
                *count += 1;
                Some(UserStream { user_id, open: self.live_per_user.clone() })
            }
            None => None,
        };
        let permit = self.live_slots.clone().try_acquire_owned().map_err(|_| LiveRefusal::Full)?;
        Ok((self.notices.subscribe(), LiveSlot { _permit: permit, _user: user }))
    }

    /// Readings accepted and rejected (per reason) since start.
    pub fn counters(&self) -> (u64, Vec<(&'static str, u64)>) {
        let rejected = RejectReason::ALL.iter().zip(&self.rejected_by_reason).map(|(reason, n)| (reason.as_str(), n.load(Ordering::Relaxed))).collect();
        (self.accepted_total.load(Ordering::Relaxed), rejected)
    }

    /// The latest value and its time of a sensor, if it has reported.
    pub async fn latest(&self, code: &str) -> Option<(i64, f64)> {
        let state = self.state.lock().await;
        let rules = state.sensors.rules(state.sensors.index_of(code)?);
        Some((rules.last_ts_ms()?, rules.last_value()?))
    }

    /// Whether each sensor (by code) reported within its no-data limit before `now_ms`.
    pub async fn online_of(&self, codes: &[&str], now_ms: i64) -> Vec<bool> {
        let state = self.state.lock().await;
        codes
            .iter()
            .map(|code| {
                let Some(index) = state.sensors.index_of(code) else { return false };
                let spec = state.sensors.spec(index);
                let limit_ms = i64::from(spec.rules.offline_after_intervals) * i64::from(spec.interval_s) * 1000;
                state.sensors.rules(index).last_ts_ms().is_some_and(|ts| now_ms - ts <= limit_ms)
            })
            .collect()
    }

    /// Latest values of many sensors, by code.
    pub async fn latest_of(&self, codes: &[&str]) -> Vec<Option<(i64, f64)>> {
        let state = self.state.lock().await;
        codes
            .iter()
            .map(|code| {
                let rules = state.sensors.rules(state.sensors.index_of(code)?);
                Some((rules.last_ts_ms()?, rules.last_value()?))
            })
            .collect()
    }
}

/// Turns the rule engine's events for one sensor into stored alarm changes, keeping the peaks.
fn alarm_changes(sensors: &mut SensorTable, index: usize, value: Option<f64>, events: &[AlarmEvent], changes: &mut Vec<AlarmChange>) {
    let (sensor_id, owner) = (sensors.id(index), sensors.owner(index));
    let mut peaks = sensors.peaks(index);
    for event in events {
        match *event {
            AlarmEvent::Raised { kind, severity, value, ts_ms } => {
                let value = value.is_finite().then_some(value);
                match kind {
                    AlarmKind::High => peaks.high = value,
                    AlarmKind::Low => peaks.low = value,
                    _ => {}
                }
                changes.push(AlarmChange::Raised {
                    sensor_id,
                    source_id: owner.source_id,
                    enterprise_id: owner.enterprise_id,
                    kind: kind.as_str().into(),
                    severity: severity.as_str().into(),
                    value,
                    at_ms: ts_ms,
                });
            }
            AlarmEvent::Worsened { kind, severity, value, ts_ms } => {
                let peak = track_peak(&mut peaks, kind, Some(value));
                changes.push(AlarmChange::Worsened { sensor_id, kind: kind.as_str().into(), severity: severity.as_str().into(), peak, at_ms: ts_ms });
            }
            AlarmEvent::Cleared { kind, ts_ms } => {
                let peak = match kind {
                    AlarmKind::High => peaks.high.take(),
                    AlarmKind::Low => peaks.low.take(),
                    _ => None,
                };
                changes.push(AlarmChange::Cleared { sensor_id, kind: kind.as_str().into(), peak, at_ms: ts_ms });
            }
        }
    }
    if let Some(value) = value {
        let rules = sensors.rules(index);
        if rules.active(AlarmKind::High).is_some() {
            track_peak(&mut peaks, AlarmKind::High, Some(value));
        }
        if rules.active(AlarmKind::Low).is_some() {
            track_peak(&mut peaks, AlarmKind::Low, Some(value));
        }
    }
    sensors.set_peaks(index, peaks);
}

fn track_peak(peaks: &mut Peaks, kind: AlarmKind, value: Option<f64>) -> Option<f64> {
    let value = value.filter(|v| v.is_finite());
    match kind {
        AlarmKind::High => {
            peaks.high = match (peaks.high, value) {
                (Some(peak), Some(v)) => Some(peak.max(v)),
                (peak, v) => peak.or(v),
            };
            peaks.high
        }
        AlarmKind::Low => {
            peaks.low = match (peaks.low, value) {
                (Some(peak), Some(v)) => Some(peak.min(v)),
                (peak, v) => peak.or(v),
            };
            peaks.low
        }
        _ => None,
    }
}

/// Chunks with fewer readings than this are merged with their neighbours.
pub const CHUNK_SMALL: i64 = 1_024;
/// The most readings a merged chunk holds, and the longest time it spans (so that retention,
/// which deletes whole chunks, stays within a day of its limit).
pub const CHUNK_MERGED_MAX: i64 = 4_096;
pub const CHUNK_SPAN_MAX_MS: i64 = 24 * 3600 * 1000;
/// Sensors whose small chunks one merge step reads (bounds its memory and its transaction).
pub const MERGE_SENSORS_PER_STEP: i64 = 100;

/// What a merge step writes (the merged chunks) and the chunks they replace (sensor id, start).
type MergePlan = (Vec<NewChunk>, Vec<(i64, i64)>);

/// Groups each sensor's consecutive small chunks (given by sensor and time) into merged chunks;
/// returns those and the chunks (sensor id, start) they replace. A run of one chunk stays, and a
/// large chunk between two small ones (`large`: sensor id, start) keeps them apart, so that a
/// sensor's chunks never overlap in time.
fn merged_chunks(small: Vec<(i64, store::ChunkRow)>, large: &[(i64, i64)]) -> Result<MergePlan> {
    let large_between = |sensor_id: i64, after_ms: i64, before_ms: i64| {
        let from = large.partition_point(|&(s, start)| (s, start) <= (sensor_id, after_ms));
        large.get(from).is_some_and(|&(s, start)| s == sensor_id && start < before_ms)
    };
    let mut merged = Vec::new();
    let mut replacing = Vec::new();
    let mut run: Vec<store::ChunkRow> = Vec::new();
    let mut run_sensor = None;
    let mut flush = |sensor_id: i64, run: &mut Vec<store::ChunkRow>| -> Result<()> {
        if run.len() >= 2 {
            let (mut timestamps, mut values) = (Vec::new(), Vec::new());
            for chunk in run.iter() {
                let (ts, vals) = store::chunk_codec::decode(&chunk.timestamps, &chunk.vals)?;
                timestamps.extend(ts);
                values.extend(vals);
                replacing.push((sensor_id, chunk.start_ms));
            }
            let (ts_bytes, value_bytes) = store::chunk_codec::encode(&timestamps, &values)?;
            let (start_ms, end_ms) = (run[0].start_ms, run[run.len() - 1].end_ms);
            merged.push(NewChunk { sensor_id, start_ms, end_ms, reading_count: timestamps.len() as i64, timestamps: ts_bytes, vals: value_bytes });
        }
        run.clear();
        Ok(())
    };
    for (sensor_id, chunk) in small {
        if let Some(current) = run_sensor
            && (current != sensor_id
                || run.iter().map(|c| c.reading_count).sum::<i64>() + chunk.reading_count > CHUNK_MERGED_MAX
                || chunk.end_ms - run[0].start_ms > CHUNK_SPAN_MAX_MS
                || run.last().is_some_and(|previous| large_between(sensor_id, previous.start_ms, chunk.start_ms)))
        {
            flush(current, &mut run)?;
        }
        run_sensor = Some(sensor_id);
        run.push(chunk);
    }
    if let Some(current) = run_sensor {
        flush(current, &mut run)?;
    }
    Ok((merged, replacing))
}

/// Groups log entries' readings into one chunk per sensor; returns the chunks and how many
/// readings they hold.
fn chunks_of_log(entries: &[store::LogRow]) -> Result<(Vec<NewChunk>, i64)> {
    let mut per_sensor: HashMap<i64, (Vec<i64>, Vec<f64>)> = HashMap::new();
    let mut moved = 0i64;
    for entry in entries {
        let (sensors, ts, vals) = store::chunk_codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
        for ((sensor, t), v) in sensors.into_iter().zip(ts).zip(vals) {
            let series = per_sensor.entry(sensor).or_default();
            series.0.push(t);
            series.1.push(v);
            moved += 1;
        }
    }
    let mut chunks = Vec::with_capacity(per_sensor.len());
    for (sensor_id, (timestamps, values)) in per_sensor {
        let (Some(&start_ms), Some(&end_ms)) = (timestamps.first(), timestamps.last()) else { continue };
        let (ts_bytes, value_bytes) = store::chunk_codec::encode(&timestamps, &values)?;
        chunks.push(NewChunk { sensor_id, start_ms, end_ms, reading_count: timestamps.len() as i64, timestamps: ts_bytes, vals: value_bytes });
    }
    Ok((chunks, moved))
}

/// One bucket of a downsampled history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub start_ms: i64,
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub count: u32,
}

/// Min, max and mean per `bucket_ms`-wide bucket (aligned to multiples of `bucket_ms`) of
/// readings in timestamp order; empty buckets are left out.
pub fn downsample(timestamps: &[i64], values: &[f64], bucket_ms: i64) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    let mut sum = 0.0;
    for (&ts, &value) in timestamps.iter().zip(values) {
        let start_ms = ts.div_euclid(bucket_ms) * bucket_ms;
        match buckets.last_mut() {
            Some(bucket) if bucket.start_ms == start_ms => {
                bucket.min = bucket.min.min(value);
                bucket.max = bucket.max.max(value);
                bucket.count += 1;
                sum += value;
                bucket.avg = sum / f64::from(bucket.count);
            }
            _ => {
                sum = value;
                buckets.push(Bucket { start_ms, min: value, max: value, avg: value, count: 1 });
            }
        }
    }
    buckets
}

/// A sensor's history: raw points, or buckets when a bucket width is given.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum History {
    Raw { points: Vec<(i64, f64)> },
    Buckets { buckets: Vec<Bucket> },
}

impl App {
    /// Loads every stored sensor into the monitor, resuming from its latest stored reading and
    /// its live alarms, so that order checks, no-data detection and clearing continue across
    /// restarts; a sensor that never reported is watched for silence from now.
    pub async fn start_monitoring(&self) -> Result<usize> {
        // Everything logged before a restart goes into chunks first, so that the latest stored
        // reading of every sensor is found there.
        self.compact_all_telemetry().await?;
        let rows = self.store.all_sensors().await?;
        let mut latest: HashMap<i64, (i64, f64)> = HashMap::new();
        for (sensor_id, chunk) in self.store.latest_chunks().await? {
            let (timestamps, values) = store::chunk_codec::decode(&chunk.timestamps, &chunk.vals)?;
            if let (Some(&ts), Some(&value)) = (timestamps.last(), values.last()) {
                latest.insert(sensor_id, (ts, value));
            }
        }
        let live = self.live_conditions().await?;
        let now = store::now_ms();
        for row in &rows {
            let rules = match latest.get(&row.id) {
                Some(&(ts, value)) => RuleState::resumed(ts, value, live.get(&row.id).map(Vec::as_slice).unwrap_or_default()),
                None => RuleState::watching_since(now),
            };
            self.monitor.register(row, crate::hazard_sources::spec_of(row)?, rules).await;
        }
        self.monitor.loaded().await;
        self.reload_suppressions(now).await?;
        Ok(rows.len())
    }

    /// Loads the approved windows not yet over into the monitor.
    pub(crate) async fn reload_suppressions(&self, now_ms: i64) -> Result<()> {
        let mut windows: HashMap<i64, Vec<Window>> = HashMap::new();
        for (id, sensor_id, starts_at, ends_at) in self.store.approved_suppressions(now_ms).await? {
            windows.entry(sensor_id).or_default().push(Window { id, starts_at, ends_at });
        }
        self.monitor.state.lock().await.windows = windows;
        Ok(())
    }

    /// The live alarms whose condition was present when last seen, by sensor id.
    async fn live_conditions(&self) -> Result<HashMap<i64, Vec<(AlarmKind, domain::telemetry::Severity)>>> {
        let mut live: HashMap<i64, Vec<(AlarmKind, domain::telemetry::Severity)>> = HashMap::new();
        for (sensor_id, kind, severity) in self.store.live_alarm_conditions().await? {
            if let (Some(kind), Some(severity)) = (AlarmKind::parse(&kind), domain::telemetry::Severity::parse(&severity)) {
                live.entry(sensor_id).or_default().push((kind, severity));
            }
        }
        Ok(live)
    }

    /// Starts the rules of these sensors afresh from their latest reading, keeping their live
    /// alarms: a condition that still holds is raised again after its on-delay.
    pub(crate) async fn restart_rules(&self, sensor_ids: &[i64]) -> Result<()> {
        if sensor_ids.is_empty() {
            return Ok(());
        }
        let live = self.live_conditions().await?;
        let mut state = self.monitor.state.lock().await;
        for index in 0..state.sensors.len() {
            let id = state.sensors.id(index);
            if !sensor_ids.contains(&id) {
                continue;
            }
            let rules = state.sensors.rules_mut(index).0;
            if let (Some(ts), Some(value)) = (rules.last_ts_ms(), rules.last_value()) {
                *rules = RuleState::resumed(ts, value, live.get(&id).map(Vec::as_slice).unwrap_or_default());
            }
        }
        Ok(())
    }

    /// Ends the windows whose time is up: their sensors' rules start afresh from the latest
    /// reading (keeping the alarms still live), so that a condition that persists past the window
    /// is raised again after its on-delay rather than staying silent. Returns how many ended.
    pub async fn expire_suppressions(&self, now_ms: i64) -> Result<usize> {
        let ended: Vec<i64> = {
            let mut state = self.monitor.state.lock().await;
            let mut ended = Vec::new();
            state.windows.retain(|sensor_id, windows| {
                let before = windows.len();
                windows.retain(|w| w.ends_at > now_ms);
                if windows.len() < before {
                    ended.push(*sensor_id);
                }
                !windows.is_empty()
            });
            ended
        };
        self.restart_rules(&ended).await?;
        Ok(ended.len())
    }

    /// Ingests a parsed batch written by `writer_enterprise_id` (readings of other enterprises'
    /// sensors are rejected as unknown, revealing nothing). `now_ms` is the server's clock.
    pub async fn ingest(&self, writer_enterprise_id: i64, batch: &[std::result::Result<RawReading<'_>, RejectReason>], now_ms: i64) -> Result<IngestOutcome> {
        self.stage_ingest(writer_enterprise_id, batch, now_ms, None).await?.durable().await
    }

    /// [`App::ingest`] up to the point where the batch is checked, its rules have run and it is
    /// queued for storage, in the order of the calls; the answer comes from
    /// [`StagedIngest::durable`]. A caller with a stream of batches (the MQTT ingest) stages the
    /// next one while earlier ones are being stored, and acknowledges each once it is durable.
    /// Such a caller passes the rollback count of its previous batch (`StagedIngest::rollbacks`):
    /// if a commit failed since, the monitor has been put back to before batches the caller has
    /// not yet heard failed, and this batch is refused with `Conflict` rather than ruled on top of
    /// them, so that the caller sends them all again, in order.
    pub async fn stage_ingest(
        &self,
        writer_enterprise_id: i64,
        batch: &[std::result::Result<RawReading<'_>, RejectReason>],
        now_ms: i64,
        after_rollbacks: Option<u64>,
    ) -> Result<StagedIngest> {
        let monitor = &self.monitor;
        let Ok(slot) = monitor.ingest_slots.clone().try_acquire_owned() else {
            return Err(AppError::Busy("接入队列已满,请稍后重试 / the ingest queue is full: retry shortly".into()));
        };
        if batch.len() > BATCH_READINGS_MAX {
            return Err(AppError::BadRequest(format!("一批最多{BATCH_READINGS_MAX}条读数 / at most {BATCH_READINGS_MAX} readings per batch")));
        }
        let mut outcome = IngestOutcome::default();
        let reject = |outcome: &mut IngestOutcome, index: usize, reason: RejectReason| {
            monitor.rejected_by_reason[reason as usize].fetch_add(1, Ordering::Relaxed);
            outcome.rejected_total += 1;
            if outcome.rejected.len() < REJECTIONS_LISTED_MAX {
                outcome.rejected.push(Rejection { index, reason: reason.as_str() });
            }
        };
        let mut state = monitor.state.lock().await;
        if after_rollbacks.is_some_and(|seen| seen != state.rollbacks) {
            return Err(AppError::Conflict("监测状态已回退,请按序重发 / the monitor rolled back a failed commit: send the batches again, in order".into()));
        }
        let rollbacks = state.rollbacks;
        // Check every reading; keep the good ones in arrival order, and each sensor's latest time
        // in this batch for the order check of its next reading.
        // Per-batch maps by sensor index, with a fast hash: they are filled under the state lock.
        let mut batch_last_ts: hashbrown::HashMap<usize, i64> = hashbrown::HashMap::with_capacity(batch.len());
        let mut order: Vec<(usize, f64, i64)> = Vec::new();
        let mut out_of_range: Vec<(usize, f64, i64)> = Vec::new();
        for (index, entry) in batch.iter().enumerate() {
            let reading = match entry {
                Ok(reading) => reading,
                Err(reason) => {
                    reject(&mut outcome, index, *reason);
                    continue;
                }
            };
            let Some(sensor_index) = state.sensors.index_of(reading.code).filter(|&i| state.sensors.owner(i).enterprise_id == writer_enterprise_id) else {
                reject(&mut outcome, index, RejectReason::UnknownSensor);
                continue;
            };
            if let Err(reason) = telemetry::check_reading(state.sensors.spec(sensor_index), reading.value, reading.ts_ms, now_ms, monitor.settings.window) {
                if reason == RejectReason::OutOfRange {
                    out_of_range.push((sensor_index, reading.value, reading.ts_ms));
                }
                reject(&mut outcome, index, reason);
                continue;
            }
            let admitted = match batch_last_ts.get(&sensor_index) {
                Some(&last) if reading.ts_ms == last => Err(RejectReason::Duplicate),
                Some(&last) if reading.ts_ms < last => Err(RejectReason::OutOfOrder),
                Some(_) => Ok(()),
                None => state.sensors.rules(sensor_index).admit(reading.ts_ms),
            };
            if let Err(reason) = admitted {
                reject(&mut outcome, index, reason);
                continue;
            }
            batch_last_ts.insert(sensor_index, reading.ts_ms);
            order.push((sensor_index, reading.value, reading.ts_ms));
        }
        outcome.accepted = order.len();
        // Run the rules in arrival order, on the monitor's state.
        let mut write = MonitorWrite::default();
        let mut events = Vec::new();
        if !order.is_empty() {
            let batch_sensors: Vec<i64> = order.iter().map(|&(i, _, _)| state.sensors.id(i)).collect();
            let timestamps: Vec<i64> = order.iter().map(|&(_, _, ts)| ts).collect();
            let values: Vec<f64> = order.iter().map(|&(_, v, _)| v).collect();
            // Compressed off the async threads and outside the state lock; the writer waits for it.
            write.log_entry = Some(tokio::task::spawn_blocking(move || {
                let (sensor_bytes, ts_bytes, value_bytes) = store::chunk_codec::encode_log(&batch_sensors, &timestamps, &values)?;
                Ok(store::NewLogEntry {
                    first_ts: timestamps.iter().copied().min().unwrap_or_default(),
                    last_ts: timestamps.iter().copied().max().unwrap_or_default(),
                    reading_count: timestamps.len() as i64,
                    sensor_ids: sensor_bytes,
                    timestamps: ts_bytes,
                    vals: value_bytes,
                })
            }));
        }
        let MonitorState { sensors, windows, .. } = &mut *state;
        let mut snapshotted: hashbrown::HashSet<usize> = hashbrown::HashSet::with_capacity(order.len() + out_of_range.len());
        for &(sensor_index, _, _) in order.iter().chain(&out_of_range) {
            if snapshotted.insert(sensor_index) {
                write.before.push(SensorSnapshot::of(sensor_index, sensors));
            }
        }
        for (sensor_index, value, ts_ms) in order {
            events.clear();
            let (rules, spec) = sensors.rules_mut(sensor_index);
            rules.observe(spec, value, ts_ms, &mut events);
            route_events(sensors, sensor_index, windows, Some(value), ts_ms, &events, &mut write.changes, &mut write.held);
        }
        for (sensor_index, value, ts_ms) in out_of_range {
            events.clear();
            let (rules, spec) = sensors.rules_mut(sensor_index);
            rules.observe_out_of_range_value(spec, value, ts_ms, &mut events);
            route_events(sensors, sensor_index, windows, None, ts_ms, &events, &mut write.changes, &mut write.held);
        }
        // The readings are stored (one entry of the telemetry log) with the alarm transitions they
        // caused, in one commit shared with the batches around it; the answer waits for it.
        let commit = monitor.writer.hand_over(&self.store, &monitor.notices, &monitor.state, write, Some(slot));
        drop(state);
        Ok(StagedIngest { outcome, commit, monitor: monitor.clone(), rollbacks })
    }

    /// Raises no-data alarms for sensors silent longer than their limit; returns how many
    /// transitions it stored.
    pub async fn check_silent_sensors(&self, now_ms: i64) -> usize {
        let monitor = &self.monitor;
        let mut write = MonitorWrite::default();
        let mut state = monitor.state.lock().await;
        let MonitorState { sensors, windows, .. } = &mut *state;
        let mut events = Vec::new();
        for index in 0..sensors.len() {
            events.clear();
            let (rules, spec) = sensors.rules_mut(index);
            // Only a sensor past its limit changes in a way that must be undone if not stored.
            let before = rules.silence_due(spec, now_ms).then(|| rules.clone());
            rules.check_silence(spec, now_ms, &mut events);
            if let Some(before) = before {
                write.before.push(SensorSnapshot { index, rules: before, peaks: sensors.peaks(index) });
            }
            if !events.is_empty() {
                route_events(sensors, index, windows, None, now_ms, &events, &mut write.changes, &mut write.held);
            }
        }
        if write.is_empty() {
            return 0;
        }
        let stored = write.changes.len();
        let commit = monitor.writer.hand_over(&self.store, &monitor.notices, &monitor.state, write, None);
        drop(state);
        match commit.durable().await {
            Ok(()) => stored,
            Err(error) => {
                tracing::error!(%error, "could not store no-data alarms");
                0
            }
        }
    }

    /// Moves unacknowledged alarms up the tiers as their time comes; returns how many moved.
    pub async fn escalate_alarms(&self, now_ms: i64) -> Result<usize> {
        let rules = self.monitor.settings.escalation;
        let mut moved = Vec::new();
        for (id, raised_at, tier) in self.store.alarms_to_escalate().await? {
            let due = rules.due_tier(now_ms - raised_at);
            if domain::telemetry::EscalationTier::parse(&tier).is_some_and(|current| due > current)
                && self.store.escalate_alarm(id, due.as_str(), now_ms).await?
            {
                tracing::info!(alarm = id, tier = due.as_str(), "unacknowledged alarm escalated");
                moved.push(id);
            }
        }
        if !moved.is_empty() {
            let _ = self.monitor.notices.send(AlarmNotice { alarm_ids: moved.clone() });
        }
        Ok(moved.len())
    }

    /// Moves the oldest readings of the telemetry log into per-sensor chunks, at most
    /// `max_readings` (and at least one log entry) at a time; returns how many readings moved. The
    /// chunks are built off the async threads and stored through the monitor's writer in slices of
    /// `COMPACTION_SLICE_CHUNKS`, the last slice deleting the log entries, so that batches keep
    /// being committed in between.
    pub async fn compact_telemetry(&self, max_readings: i64) -> Result<i64> {
        let _only_one = self.monitor.compaction.lock().await;
        self.compaction_step(max_readings).await
    }

    /// One compaction step; the caller holds the compaction lock.
    async fn compaction_step(&self, max_readings: i64) -> Result<i64> {
        let entries = self.store.oldest_log_entries(max_readings).await?;
        let Some(through_id) = entries.last().map(|e| e.id) else { return Ok(0) };
        let (chunks, moved) = tokio::task::spawn_blocking(move || chunks_of_log(&entries)).await.map_err(|e| AppError::Internal(e.to_string()))??;
        let mut slices = chunks.into_iter().peekable();
        loop {
            let chunks: Vec<NewChunk> = slices.by_ref().take(COMPACTION_SLICE_CHUNKS).collect();
            let last = slices.peek().is_none();
            self.store_chunk_slice(ChunkSlice { chunks, replacing: Vec::new(), delete_log_through: last.then_some(through_id) }).await?;
            if last {
                return Ok(moved);
            }
            // Room for the database's other writers (sessions, tokens, people's changes), which
            // SQLite would otherwise keep waiting while slice follows slice.
            tokio::time::sleep(SLICE_PAUSE).await;
        }
    }

    async fn store_chunk_slice(&self, slice: ChunkSlice) -> Result<()> {
        let commit = self.monitor.writer.hand_over_chunks(&self.store, &self.monitor.notices, &self.monitor.state, slice);
        commit.durable().await.map_err(|e| AppError::Internal(format!("could not store telemetry chunks: {e}")))
    }

    /// Merges each sensor's consecutive small chunks (fewer than `CHUNK_SMALL` readings: a
    /// compaction step holds five minutes) into chunks of up to `CHUNK_MERGED_MAX` readings
    /// spanning at most `CHUNK_SPAN_MAX_MS`, since compression and per-row overhead favour long
    /// chunks; a merged chunk that has reached `CHUNK_SMALL` is left alone from then on. Works
    /// through the sensors `MERGE_SENSORS_PER_STEP` at a time, storing through the monitor's
    /// writer; returns how many chunks were replaced.
    pub async fn merge_chunks(&self) -> Result<usize> {
        let _only_one = self.monitor.compaction.lock().await;
        // The log is compacted first, under the same lock: a compaction step that failed part way
        // leaves chunks whose readings are still in the log, and merging those away would let the
        // step, redone, store them a second time.
        while self.compaction_step(COMPACTION_READINGS_MAX).await? > 0 {}
        let Some((first, last)) = self.store.chunked_sensor_range().await? else { return Ok(0) };
        let mut replaced = 0;
        let mut from = first;
        while from <= last {
            let to = from.saturating_add(MERGE_SENSORS_PER_STEP);
            let small = self.store.small_chunks(from, to, CHUNK_SMALL).await?;
            let large = self.store.large_chunk_starts(from, to, CHUNK_SMALL).await?;
            from = to;
            let (merged, replacing) =
                tokio::task::spawn_blocking(move || merged_chunks(small, &large)).await.map_err(|e| AppError::Internal(e.to_string()))??;
            if merged.is_empty() {
                continue;
            }
            replaced += replacing.len();
            self.store_chunk_slice(ChunkSlice { chunks: merged, replacing, delete_log_through: None }).await?;
            tokio::time::sleep(SLICE_PAUSE).await;
        }
        Ok(replaced)
    }

    /// Compacts the whole telemetry log, in steps of `COMPACTION_READINGS_MAX`.
    pub async fn compact_all_telemetry(&self) -> Result<i64> {
        let mut moved = 0;
        loop {
            let step = self.compact_telemetry(COMPACTION_READINGS_MAX).await?;
            if step == 0 {
                return Ok(moved);
            }
            moved += step;
        }
    }

    /// Deletes readings older than the retention period.
    pub async fn apply_retention(&self, now_ms: i64) -> Result<u64> {
        // Not while a merge holds chunks it read, which it would store again.
        let _only_one = self.monitor.compaction.lock().await;
        let before = now_ms - i64::from(self.monitor.settings.retention_days) * 24 * 3600 * 1000;
        Ok(self.store.delete_chunks_before(before).await?)
    }

    /// A visible sensor by code.
    pub async fn sensor(&self, actor: &Actor, client: &Client, code: &str) -> Result<SensorRow> {
        match self.store.sensor_by_code(code, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) => {
                Err(self.denied(actor, client, "sensor.read", format!("sensor:{}", code.chars().take(64).collect::<String>())).await)
            }
            other => Ok(other?),
        }
    }

    /// A visible sensor's latest reading.
    pub async fn sensor_latest(&self, actor: &Actor, client: &Client, code: &str) -> Result<(SensorRow, Option<(i64, f64)>)> {
        let sensor = self.sensor(actor, client, code).await?;
        let latest = self.monitor.latest(&sensor.code).await;
        Ok((sensor, latest))
    }

    /// A visible sensor's readings in `[from_ms, to_ms]`, raw or in buckets of `bucket_ms`.
    pub async fn sensor_history(&self, actor: &Actor, client: &Client, code: &str, from_ms: i64, to_ms: i64, bucket_ms: Option<i64>) -> Result<History> {
        // `checked_sub`: with from near i64::MIN and to near i64::MAX the plain difference wraps
        // around and would pass as a short range.
        if to_ms.checked_sub(from_ms).is_none_or(|span| !(0..=HISTORY_SPAN_MAX_MS).contains(&span)) {
            return Err(AppError::BadRequest("时间范围应满足 from ≤ to 且不超过31天 / the range needs from ≤ to and at most 31 days".into()));
        }
        if bucket_ms.is_some_and(|b| !(1000..=HISTORY_SPAN_MAX_MS).contains(&b)) {
            return Err(AppError::BadRequest("bucket 应在1秒到31天之间(毫秒) / bucket must be between 1 s and 31 days, in milliseconds".into()));
        }
        let sensor = self.sensor(actor, client, code).await?;
        // Readings not yet compacted sit in the log; every one of them is newer than any chunk of
        // the same sensor, so they go after the chunks. The log is read first: a compaction step
        // that ends in between then leaves its readings in both reads (told apart below) rather
        // than in neither.
        let logged = self.store.log_entries_overlapping(from_ms, to_ms).await?;
        let chunks = self.store.chunks(sensor.id, from_ms, to_ms).await?;
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        let mut from_log = (Vec::new(), Vec::new());
        for entry in logged {
            let (sensors, ts, vals) = store::chunk_codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
            for ((s, t), v) in sensors.into_iter().zip(ts).zip(vals) {
                if s == sensor.id && (from_ms..=to_ms).contains(&t) {
                    from_log.0.push(t);
                    from_log.1.push(v);
                }
            }
        }
        for chunk in chunks {
            let (ts, vals) = store::chunk_codec::decode(&chunk.timestamps, &chunk.vals)?;
            for (t, v) in ts.into_iter().zip(vals) {
                if (from_ms..=to_ms).contains(&t) {
                    timestamps.push(t);
                    values.push(v);
                }
            }
            if bucket_ms.is_none() && timestamps.len() > HISTORY_POINTS_MAX {
                return Err(AppError::BadRequest(format!("超过{HISTORY_POINTS_MAX}个点,请指定 bucket / more than {HISTORY_POINTS_MAX} points: give a bucket")));
            }
        }
        // While a compaction step is being stored, a reading can be in a chunk and still in the log.
        let compacted_through = timestamps.last().copied().unwrap_or(i64::MIN);
        for (t, v) in from_log.0.into_iter().zip(from_log.1) {
            if t > compacted_through {
                timestamps.push(t);
                values.push(v);
            }
        }
        if bucket_ms.is_none() && timestamps.len() > HISTORY_POINTS_MAX {
            return Err(AppError::BadRequest(format!("超过{HISTORY_POINTS_MAX}个点,请指定 bucket / more than {HISTORY_POINTS_MAX} points: give a bucket")));
        }
        Ok(match bucket_ms {
            Some(bucket_ms) => History::Buckets { buckets: downsample(&timestamps, &values, bucket_ms) },
            None => History::Raw { points: timestamps.into_iter().zip(values).collect() },
        })
    }

    /// Visible sources, most dangerous first, each with its early-warning grade from its active
    /// alarms and its GB 18218 level.
    pub async fn source_warnings(&self, actor: &Actor, client: &Client) -> Result<Vec<SourceWarning>> {
        let sources = self.hazard_sources(actor, client, None).await?;
        let mut active: HashMap<i64, Vec<(AlarmKind, domain::telemetry::Severity)>> = HashMap::new();
        for (source_id, kind, severity) in self.store.active_alarm_kinds(&policy::enterprise_visibility(actor)).await? {
            if let (Some(kind), Some(severity)) = (AlarmKind::parse(&kind), domain::telemetry::Severity::parse(&severity)) {
                active.entry(source_id).or_default().push((kind, severity));
            }
        }
        let rules = &self.monitor.settings.warning_rules;
        Ok(sources
            .into_iter()
            .map(|source| {
                let alarms = active.get(&source.id).map(Vec::as_slice).unwrap_or_default();
                let level = source.level.and_then(|l| u8::try_from(l).ok());
                SourceWarning { grade: telemetry::warning_grade(level, alarms, rules), active_alarms: alarms.len(), source }
            })
            .collect())
    }

    /// Each child region of `region_code` with its visible sources by warning grade.
    pub async fn region_warnings(&self, actor: &Actor, client: &Client, region_code: &str) -> Result<Vec<RegionWarnings>> {
        let code = domain::RegionCode::parse(region_code).map_err(|_| AppError::NotFound)?;
        let warnings = self.source_warnings(actor, client).await?;
        let children = self.store.region_children(code.as_str()).await?;
        Ok(children
            .into_iter()
            .map(|child| {
                let inside: Vec<&SourceWarning> = warnings.iter().filter(|w| w.source.region_path.starts_with(&child.path)).collect();
                let count = |grade: WarningGrade| inside.iter().filter(|w| w.grade == Some(grade)).count();
                RegionWarnings {
                    code: child.code.to_string(),
                    name: child.name,
                    sources: inside.len(),
                    red: count(WarningGrade::Red),
                    orange: count(WarningGrade::Orange),
                    yellow: count(WarningGrade::Yellow),
                    blue: count(WarningGrade::Blue),
                    highest: inside.iter().filter_map(|w| w.grade).max(),
                }
            })
            .collect())
    }

    /// Alarm and data quality per visible enterprise with sensors, over the last `hours`.
    pub async fn monitoring_kpis(&self, actor: &Actor, client: &Client, hours: u32, now_ms: i64) -> Result<Vec<EnterpriseKpi>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "monitoring.kpi", "kpis".into()).await);
        }
        if !(1..=24 * 31).contains(&hours) {
            return Err(AppError::BadRequest("hours 应为1至744 / hours must be 1 to 744".into()));
        }
        let from_ms = now_ms - i64::from(hours) * 3_600_000;
        let rows = self.store.alarm_kpis(&visibility, from_ms, now_ms).await?;
        let sensors = self.store.sensors(&visibility, None, None).await?;
        let mut received: HashMap<i64, i64> = self.store.readings_received(from_ms, now_ms).await?.into_iter().collect();
        // And what is still in the log, not yet compacted.
        for entry in self.store.log_entries_overlapping(from_ms, now_ms).await? {
            let (sensors, ts, _) = store::chunk_codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
            for (sensor, t) in sensors.into_iter().zip(ts) {
                if (from_ms..=now_ms).contains(&t) {
                    *received.entry(sensor).or_default() += 1;
                }
            }
        }
        let codes: Vec<&str> = sensors.iter().map(|s| s.code.as_str()).collect();
        let online = self.monitor.online_of(&codes, now_ms).await;
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        Ok(rows
            .into_iter()
            .map(|row| {
                let own: Vec<(usize, &SensorRow)> = sensors.iter().enumerate().filter(|(_, s)| s.enterprise_id == row.enterprise_id).collect();
                let online_count = own.iter().filter(|(i, _)| online[*i]).count();
                let (got, expected) = own.iter().fold((0.0, 0.0), |(got, expected), (_, s)| {
                    (got + received.get(&s.id).copied().unwrap_or(0) as f64, expected + f64::from(hours) * 3600.0 / s.interval_s.max(1) as f64)
                });
                let closed = row.closed_real + row.closed_false + row.closed_sensor_fault + row.closed_maintenance + row.closed_test;
                EnterpriseKpi {
                    enterprise_id: row.enterprise_id,
                    enterprise_name: row.enterprise_name,
                    sensors: own.len(),
                    online: online_count,
                    online_share: ratio(online_count as f64, own.len() as f64),
                    completeness: ratio(got, expected).min(1.0),
                    alarms_per_hour: row.raised as f64 / f64::from(hours),
                    chattering: row.chattering,
                    standing: row.standing,
                    shelved: row.windows,
                    held: row.held,
                    closed_real: row.closed_real,
                    closed_false: row.closed_false,
                    closed_sensor_fault: row.closed_sensor_fault,
                    closed_maintenance: row.closed_maintenance,
                    closed_test: row.closed_test,
                    false_share: ratio(row.closed_false as f64, closed as f64),
                }
            })
            .collect())
    }

    /// Visible alarms.
    pub async fn alarms(&self, actor: &Actor, client: &Client, filter: &AlarmFilter, limit: i64) -> Result<Vec<AlarmRow>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "alarm.read", "alarms".into()).await);
        }
        if let Some(state) = &filter.state
            && !matches!(state.as_str(), "active" | "raised" | "acknowledged" | "cleared" | "closed")
        {
            return Err(AppError::BadRequest("state 应为 active、raised、acknowledged、cleared 或 closed / unknown state".into()));
        }
        Ok(self.store.alarms(&visibility, filter, limit.clamp(1, 1000)).await?)
    }

    /// A visible alarm.
    pub async fn alarm(&self, actor: &Actor, client: &Client, id: i64) -> Result<AlarmRow> {
        match self.store.alarm(id, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, "alarm.read", format!("alarm:{id}")).await),
            other => Ok(other?),
        }
    }

    /// An alarm's comments (who, text, when), oldest first, for those who may see the alarm.
    pub async fn alarm_comments(&self, actor: &Actor, client: &Client, id: i64) -> Result<Vec<(String, String, i64)>> {
        self.alarm(actor, client, id).await?;
        Ok(self.store.alarm_comments(id).await?)
    }

    /// Alarms by id for delivery outside (the webhooks), whatever their territory: the receivers
    /// are configured by the operator. Ids that do not exist are left out.
    pub async fn alarms_for_delivery(&self, ids: &[i64]) -> Vec<AlarmRow> {
        let mut alarms = Vec::new();
        for id in ids {
            match self.store.alarm(*id, &domain::access::Visibility::Everything).await {
                Ok(row) => alarms.push(row),
                Err(error) => tracing::warn!(%error, alarm = id, "an alarm for delivery could not be read"),
            }
        }
        alarms
    }

    /// Of `alarm_ids`, those the actor may see.
    pub async fn visible_alarm_ids(&self, actor: &Actor, alarm_ids: &[i64]) -> Result<Vec<i64>> {
        let visibility = policy::enterprise_visibility(actor);
        let mut visible = Vec::new();
        for &id in alarm_ids.iter().take(1000) {
            match self.store.alarm(id, &visibility).await {
                Ok(_) => visible.push(id),
                Err(store::StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(visible)
    }

    /// A visible alarm the actor may handle: the enterprise's own users, or regulators and
    /// inspectors of its territory.
    async fn handled_alarm(&self, actor: &Actor, client: &Client, id: i64, action: &str) -> Result<AlarmRow> {
        let alarm = self.store.alarm(id, &policy::enterprise_visibility(actor)).await;
        match alarm {
            Ok(alarm) if matches!(actor.role, Role::Enterprise | Role::Regulator | Role::Inspector) => Ok(alarm),
            _ => Err(self.denied(actor, client, action, format!("alarm:{id}")).await),
        }
    }

    pub async fn acknowledge_alarm(&self, actor: &Actor, client: &Client, id: i64) -> Result<AlarmRow> {
        self.handled_alarm(actor, client, id, "alarm.acknowledge").await?;
        let event = audit_event(Some(actor), client, "alarm.acknowledge", format!("alarm:{id}"), Outcome::Success, serde_json::json!({}));
        self.store.acknowledge_alarm(id, actor.user_id, &event).await.map_err(transition_refused)?;
        let _ = self.monitor.notices.send(AlarmNotice { alarm_ids: vec![id] });
        Ok(self.store.alarm(id, &policy::enterprise_visibility(actor)).await?)
    }

    /// Closes an alarm whose condition has gone, with its disposition (`real`, `false`,
    /// `sensor_fault`, `maintenance`, `test`) and an optional comment.
    pub async fn close_alarm(&self, actor: &Actor, client: &Client, id: i64, disposition: &str, comment: Option<&str>) -> Result<AlarmRow> {
        self.handled_alarm(actor, client, id, "alarm.close").await?;
        if !DISPOSITIONS.contains(&disposition) {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "disposition",
                message: "处置结论应为 real、false、sensor_fault、maintenance 或 test / unknown disposition".into(),
            }]));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > 2000) {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "comment",
                message: "说明最多2000字 / at most 2000 characters".into(),
            }]));
        }
        let event = audit_event(Some(actor), client, "alarm.close", format!("alarm:{id}"), Outcome::Success, serde_json::json!({"disposition": disposition}));
        self.store.close_alarm(id, actor.user_id, disposition, comment, &event).await.map_err(transition_refused)?;
        let _ = self.monitor.notices.send(AlarmNotice { alarm_ids: vec![id] });
        Ok(self.store.alarm(id, &policy::enterprise_visibility(actor)).await?)
    }
}

/// The dispositions an alarm closes with.
pub const DISPOSITIONS: [&str; 5] = ["real", "false", "sensor_fault", "maintenance", "test"];

/// A refused state change (a conflict in the store) as an illegal transition.
pub(crate) fn transition_refused(error: store::StoreError) -> AppError {
    match error {
        store::StoreError::Conflict(message) => AppError::IllegalTransition(message),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(start_ms: i64, count: i64) -> store::ChunkRow {
        let timestamps: Vec<i64> = (0..count).map(|i| start_ms + i).collect();
        let values: Vec<f64> = timestamps.iter().map(|&t| t as f64 / 10.0).collect();
        let (ts_bytes, value_bytes) = store::chunk_codec::encode(&timestamps, &values).unwrap();
        store::ChunkRow { start_ms, end_ms: start_ms + count - 1, reading_count: count, timestamps: ts_bytes, vals: value_bytes }
    }

    #[test]
    fn merging_joins_consecutive_small_chunks_of_a_sensor_only() {
        let small = vec![
            // Sensor 1: two small chunks, then (past a large chunk at 2,000) a third.
            (1, chunk(0, 10)),
            (1, chunk(1_000, 10)),
            (1, chunk(3_000, 10)),
            (1, chunk(4_000, 10)),
            // Sensor 2: one chunk alone stays.
            (2, chunk(0, 10)),
            // Sensor 3: together they would pass the merged maximum.
            (3, chunk(0, 1_000)),
            (3, chunk(10_000, CHUNK_MERGED_MAX - 999)),
        ];
        let large = [(1, 2_000)];
        let (merged, replacing) = merged_chunks(small, &large).unwrap();
        assert_eq!(replacing, [(1, 0), (1, 1_000), (1, 3_000), (1, 4_000)]);
        let spans: Vec<(i64, i64, i64, i64)> = merged.iter().map(|c| (c.sensor_id, c.start_ms, c.end_ms, c.reading_count)).collect();
        assert_eq!(spans, [(1, 0, 1_009, 20), (1, 3_000, 4_009, 20)]);
        let (timestamps, values) = store::chunk_codec::decode(&merged[0].timestamps, &merged[0].vals).unwrap();
        assert_eq!(timestamps.len(), 20);
        assert_eq!((timestamps[10], values[10]), (1_000, 100.0));
    }

    #[test]
    fn downsampling_keeps_min_max_and_mean_per_aligned_bucket() {
        let timestamps = [0, 30_000, 59_999, 60_000, 185_000];
        let values = [1.0, 3.0, 2.0, 10.0, -1.0];
        let buckets = downsample(&timestamps, &values, 60_000);
        assert_eq!(
            buckets,
            [
                Bucket { start_ms: 0, min: 1.0, max: 3.0, avg: 2.0, count: 3 },
                Bucket { start_ms: 60_000, min: 10.0, max: 10.0, avg: 10.0, count: 1 },
                Bucket { start_ms: 180_000, min: -1.0, max: -1.0, avg: -1.0, count: 1 },
            ]
        );
        assert!(downsample(&[], &[], 1000).is_empty());
    }
}
