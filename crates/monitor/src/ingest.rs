//! Ingest: a batch of readings is checked reading by reading, ruled in arrival order on the
//! monitor's state, and handed to the writer with the alarm transitions it caused; the answer
//! waits until all of it is stored. The silence check rules on the clock the same way.
//!
//! A batch is all or nothing toward storage: if it cannot be stored, no rule state moves and the
//! client may send the same batch again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use domain::monitoring::{self, AlarmEvent, AlarmKind, RawReading, RejectReason};
use serde::Serialize;
use store::AlarmChange;

use crate::sensor_table::{Peaks, SensorTable};
use crate::state::{MonitorState, SensorSnapshot, Window};
use crate::writer::{Commit, MonitorWrite};
use crate::{BATCH_READINGS_MAX, Monitor, MonitorError, REJECTIONS_LISTED_MAX, Result, codec};

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

/// A batch checked and ruled, queued for storage (its ingest slot goes with it to the writer, and
/// is freed once the batch is answered there, even if nobody waits).
#[must_use = "a staged batch is answered only once durable"]
pub struct StagedIngest {
    outcome: IngestOutcome,
    commit: Commit,
    monitor: Arc<Monitor>,
    rollbacks: u64,
}

impl StagedIngest {
    /// Waits until the batch, and everything handed over before it, is stored (a batch whose
    /// readings were all refused waits too, since it was checked against those). On failure the
    /// monitor has been put back as it was before the batch (and every batch staged after it),
    /// so they can all be sent again.
    pub async fn durable(self) -> Result<IngestOutcome> {
        self.commit.durable().await.map_err(MonitorError::NotStored)?;
        self.monitor.accepted_total.fetch_add(self.outcome.accepted as u64, Ordering::Relaxed);
        Ok(self.outcome)
    }

    /// How many failed commits the monitor had rolled back when this batch was staged; see
    /// [`Monitor::stage_ingest`].
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks
    }
}

impl Monitor {
    /// Ingests a parsed batch written by `writer_enterprise_id` (readings of other enterprises'
    /// sensors are rejected as unknown, revealing nothing). `now_ms` is the server's clock.
    pub async fn ingest(
        self: &Arc<Self>,
        writer_enterprise_id: i64,
        batch: &[std::result::Result<RawReading<'_>, RejectReason>],
        now_ms: i64,
    ) -> Result<IngestOutcome> {
        self.stage_ingest(writer_enterprise_id, batch, now_ms, None).await?.durable().await
    }

    /// [`Monitor::ingest`] up to the point where the batch is checked, its rules have run and it
    /// is queued for storage, in the order of the calls; the answer comes from
    /// [`StagedIngest::durable`]. A caller with a stream of batches (the MQTT ingest) stages the
    /// next one while earlier ones are being stored, and acknowledges each once it is durable.
    /// Such a caller passes the rollback count of its previous batch (`StagedIngest::rollbacks`):
    /// if a commit failed since, the monitor has been put back to before batches the caller has
    /// not yet heard failed, and this batch is refused (`RolledBack`) rather than ruled on top of
    /// them, so that the caller sends them all again, in order.
    pub async fn stage_ingest(
        self: &Arc<Self>,
        writer_enterprise_id: i64,
        batch: &[std::result::Result<RawReading<'_>, RejectReason>],
        now_ms: i64,
        after_rollbacks: Option<u64>,
    ) -> Result<StagedIngest> {
        let Ok(slot) = self.ingest_slots.clone().try_acquire_owned() else {
            return Err(MonitorError::Busy);
        };
        if batch.len() > BATCH_READINGS_MAX {
            return Err(MonitorError::BatchTooLarge);
        }
        let mut outcome = IngestOutcome::default();
        let reject = |outcome: &mut IngestOutcome, index: usize, reason: RejectReason| {
            self.rejected_by_reason[reason as usize].fetch_add(1, Ordering::Relaxed);
            outcome.rejected_total += 1;
            if outcome.rejected.len() < REJECTIONS_LISTED_MAX {
                outcome.rejected.push(Rejection { index, reason: reason.as_str() });
            }
        };
        let mut state = self.state.lock().await;
        if after_rollbacks.is_some_and(|seen| seen != state.rollbacks) {
            return Err(MonitorError::RolledBack);
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
            if let Err(reason) = monitoring::check_reading(state.sensors.spec(sensor_index), reading.value, reading.ts_ms, now_ms, self.settings.window) {
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
                let (sensor_bytes, ts_bytes, value_bytes) = codec::encode_log(&batch_sensors, &timestamps, &values)?;
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
        let commit = self.writer.hand_over(&self.store, &self.notices, &self.state, write, Some(slot));
        drop(state);
        Ok(StagedIngest { outcome, commit, monitor: self.clone(), rollbacks })
    }

    /// Raises no-data alarms for sensors silent longer than their limit; returns how many
    /// transitions it stored.
    pub async fn check_silent_sensors(&self, now_ms: i64) -> usize {
        let mut write = MonitorWrite::default();
        let mut state = self.state.lock().await;
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
        let commit = self.writer.hand_over(&self.store, &self.notices, &self.state, write, None);
        drop(state);
        match commit.durable().await {
            Ok(()) => stored,
            Err(error) => {
                tracing::error!(%error, "could not store no-data alarms");
                0
            }
        }
    }
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
