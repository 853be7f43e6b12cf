//! Live monitoring of major hazard sources, below the use cases: the monitor holds every sensor's
//! spec and rule state in memory, ingests batches of readings (validating each, storing the good
//! ones durably before answering, then running the alarm rules), checks for silent sensors,
//! escalates unacknowledged alarms, compacts and merges the stored readings, answers latest values
//! and history, and runs its own background schedules.
//!
//! It knows neither people nor permissions: `app::monitoring` decides who may see a sensor or
//! handle an alarm, and calls in here for the data.
//!
//! - `sensor_table`: the per-sensor memory (64 bytes a sensor).
//! - `state`: the state the monitor's lock guards, and how a failed write is rolled back.
//! - `ingest`: batches and the silence check, through the rules to the writer.
//! - `writer`: the one task that commits what the monitor stores, in order, in groups.
//! - `windows`: approved shelving and maintenance windows, and restarting rules when they end.
//! - `escalation`: unacknowledged alarms moved up the tiers.
//! - `codec`: the stored form of readings (pco streams).
//! - `compaction`: the telemetry log into per-sensor chunks, small chunks merged, retention.
//! - `history`: a sensor's readings, raw or downsampled, and readings received per sensor.
//! - `schedules`: the background loops a server runs.

pub mod codec;
pub mod compaction;
pub mod escalation;
pub mod history;
pub mod ingest;
pub mod schedules;
mod sensor_table;
mod state;
pub mod windows;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use domain::monitoring::{EscalationRules, RejectReason, RuleSettings, RuleState, SensorKind, SensorSpec, Thresholds, TimeWindow, WarningRules};
use serde::Serialize;
use store::{SensorRow, Store, StoreError};
use tokio::sync::{Mutex, broadcast};

pub use history::{Bucket, History};
pub use ingest::{IngestOutcome, Rejection, StagedIngest};
use sensor_table::Owner;
use state::MonitorState;
use writer::MonitorWriter;

/// At most this many rejected readings are itemised in an answer; all are counted.
pub const REJECTIONS_LISTED_MAX: usize = 100;
/// Batches waiting for or holding the monitor at once; more are refused as busy, so that memory
/// held by queued requests stays bounded.
pub const INGEST_QUEUE_MAX: usize = 8;
/// Open live alarm streams (server-sent events) at once.
pub const LIVE_SUBSCRIBERS_MAX: usize = 1_000;
/// At most this many readings in one batch.
pub const BATCH_READINGS_MAX: usize = 100_000;

/// Why the monitor refused or failed; `app` words these for people.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// `INGEST_QUEUE_MAX` batches are already queued; the client should retry shortly.
    #[error("the ingest queue is full: retry shortly")]
    Busy,
    #[error("at most {BATCH_READINGS_MAX} readings per batch")]
    BatchTooLarge,
    /// A commit failed since the caller's previous batch, and the monitor was put back to before
    /// it: the caller sends its batches again, in order.
    #[error("the monitor rolled back a failed commit: send the batches again, in order")]
    RolledBack,
    /// A history range that is backwards or longer than `history::HISTORY_SPAN_MAX_MS`.
    #[error("the range needs from ≤ to and at most 31 days")]
    HistoryRange,
    #[error("bucket must be between 1 s and 31 days, in milliseconds")]
    HistoryBucket,
    #[error("more than {} points: give a bucket", history::HISTORY_POINTS_MAX)]
    TooManyPoints,
    /// Stored data that does not decode, or a stored sensor whose settings are not valid.
    #[error("damaged telemetry data: {0}")]
    Corrupt(String),
    /// The writer could not store what it was given.
    #[error("the readings could not be stored: {0}")]
    NotStored(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, MonitorError>;

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
    open: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
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

/// The monitor; one per process, shared by the HTTP and MQTT ingest paths and the schedules.
pub struct Monitor {
    settings: MonitorSettings,
    store: Store,
    state: Arc<Mutex<MonitorState>>,
    accepted_total: AtomicU64,
    rejected_by_reason: [AtomicU64; RejectReason::ALL.len()],
    notices: broadcast::Sender<AlarmNotice>,
    ingest_slots: Arc<tokio::sync::Semaphore>,
    live_slots: Arc<tokio::sync::Semaphore>,
    /// Live streams open per user, beside the slots they hold.
    live_per_user: Arc<std::sync::Mutex<HashMap<i64, usize>>>,
    /// Held while the telemetry log is compacted, so that two compactions never overlap.
    compaction: Mutex<()>,
    writer: MonitorWriter,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A stored sensor's spec, checked again as it is loaded: a stored value that does not make a
/// valid spec is an error, not a default.
pub fn spec_of(row: &SensorRow) -> Result<SensorSpec> {
    let corrupt = |what: &str| MonitorError::Corrupt(format!("sensor {} has an invalid {what}", row.code));
    let kind = SensorKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?;
    let u32_of = |v: i64, what: &str| u32::try_from(v).map_err(|_| corrupt(what));
    let rules = RuleSettings {
        on_delay_ms: u32_of(row.on_delay_ms, "on-delay")?,
        off_delay_ms: u32_of(row.off_delay_ms, "off-delay")?,
        deadband: row.deadband,
        rate_per_min: row.rate_per_min,
        offline_after_intervals: u32_of(row.offline_after_intervals, "offline multiple")?,
        stuck_after_ms: row.stuck_after_ms.map(|v| u32_of(v, "stuck time")).transpose()?,
    };
    let thresholds = Thresholds { low_low: row.low_low, low: row.low, high: row.high, high_high: row.high_high };
    SensorSpec::new(kind, &row.unit, row.range_min, row.range_max, thresholds, u32_of(row.interval_s, "interval")?, rules)
        .map_err(|e| MonitorError::Corrupt(format!("sensor {}: {e}", row.code)))
}

impl Monitor {
    /// A monitor holding no sensor yet (see [`Monitor::start`]), storing into `store`.
    pub fn new(settings: MonitorSettings, store: Store) -> Self {
        Self {
            settings,
            store,
            state: Arc::new(Mutex::new(MonitorState::default())),
            accepted_total: AtomicU64::new(0),
            rejected_by_reason: std::array::from_fn(|_| AtomicU64::new(0)),
            notices: broadcast::channel(1024).0,
            ingest_slots: Arc::new(tokio::sync::Semaphore::new(INGEST_QUEUE_MAX)),
            live_slots: Arc::new(tokio::sync::Semaphore::new(LIVE_SUBSCRIBERS_MAX)),
            live_per_user: Default::default(),
            compaction: Mutex::new(()),
            writer: MonitorWriter::default(),
        }
    }

    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// Loads every stored sensor, resuming from its latest stored reading and its live alarms, so
    /// that order checks, no-data detection and clearing continue across restarts; a sensor that
    /// never reported is watched for silence from now. Returns how many sensors it holds.
    pub async fn start(&self) -> Result<usize> {
        // Everything logged before a restart goes into chunks first, so that the latest stored
        // reading of every sensor is found there.
        self.compact_all_telemetry().await?;
        let rows = self.store.all_sensors().await?;
        let mut latest: HashMap<i64, (i64, f64)> = HashMap::new();
        for (sensor_id, chunk) in self.store.latest_chunks().await? {
            let (timestamps, values) = codec::decode(&chunk.timestamps, &chunk.vals)?;
            if let (Some(&ts), Some(&value)) = (timestamps.last(), values.last()) {
                latest.insert(sensor_id, (ts, value));
            }
        }
        let live = self.live_conditions().await?;
        let now = domain::time::now_ms();
        for row in &rows {
            let rules = match latest.get(&row.id) {
                Some(&(ts, value)) => RuleState::resumed(ts, value, live.get(&row.id).map(Vec::as_slice).unwrap_or_default()),
                None => RuleState::watching_since(now),
            };
            self.register(row, rules).await?;
        }
        // Gives back memory grown ahead of need, once every sensor is loaded.
        self.state.lock().await.sensors.shrink_to_fit();
        self.reload_suppressions(now).await?;
        Ok(rows.len())
    }

    /// Starts monitoring a stored sensor from `rules` (or replaces its spec, keeping its rule
    /// state).
    pub async fn register(&self, row: &SensorRow, rules: RuleState) -> Result<()> {
        let spec = spec_of(row)?;
        let owner = Owner { source_id: row.source_id, enterprise_id: row.enterprise_id };
        self.state.lock().await.sensors.register(row.id, owner, &row.code, spec, rules);
        Ok(())
    }

    /// The heap bytes of the monitor's per-sensor state (its own accounting) and how many sensors
    /// it holds.
    pub async fn memory(&self) -> (usize, usize) {
        let state = self.state.lock().await;
        (state.sensors.heap_bytes(), state.sensors.len())
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

    /// Tells live listeners that these alarms changed (people's actions on them included).
    pub fn announce(&self, alarm_ids: Vec<i64>) {
        if !alarm_ids.is_empty() {
            // Nobody listening is fine.
            let _ = self.notices.send(AlarmNotice { alarm_ids });
        }
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
