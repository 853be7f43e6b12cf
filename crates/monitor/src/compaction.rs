//! Compaction: the telemetry log (one entry per accepted batch) is moved into per-sensor chunks,
//! a sensor's small chunks are merged into longer ones, which compress better, and chunks past the
//! retention period are deleted. Every step stores through the monitor's writer in slices, so
//! that batches keep being committed in between.

use std::collections::HashMap;

use store::NewChunk;

use crate::writer::ChunkSlice;
use crate::{Monitor, MonitorError, Result, codec};

/// Readings compacted in one step (bounds the memory compaction takes: ~24 bytes a reading).
pub const COMPACTION_READINGS_MAX: i64 = 5_000_000;

/// Chunks stored in one transaction while compacting (each slice holds the database's write
/// lock for milliseconds, not seconds).
pub const COMPACTION_SLICE_CHUNKS: usize = 100;

/// The pause between two slices of compaction or merging.
const SLICE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

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
                let (ts, vals) = codec::decode(&chunk.timestamps, &chunk.vals)?;
                timestamps.extend(ts);
                values.extend(vals);
                replacing.push((sensor_id, chunk.start_ms));
            }
            let (ts_bytes, value_bytes) = codec::encode(&timestamps, &values)?;
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
        let (sensors, ts, vals) = codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
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
        let (ts_bytes, value_bytes) = codec::encode(&timestamps, &values)?;
        chunks.push(NewChunk { sensor_id, start_ms, end_ms, reading_count: timestamps.len() as i64, timestamps: ts_bytes, vals: value_bytes });
    }
    Ok((chunks, moved))
}

impl Monitor {
    /// Moves the oldest readings of the telemetry log into per-sensor chunks, at most
    /// `max_readings` (and at least one log entry) at a time; returns how many readings moved. The
    /// chunks are built off the async threads and stored through the monitor's writer in slices of
    /// `COMPACTION_SLICE_CHUNKS`, the last slice deleting the log entries, so that batches keep
    /// being committed in between.
    pub async fn compact_telemetry(&self, max_readings: i64) -> Result<i64> {
        let _only_one = self.compaction.lock().await;
        self.compaction_step(max_readings).await
    }

    /// One compaction step; the caller holds the compaction lock.
    async fn compaction_step(&self, max_readings: i64) -> Result<i64> {
        let entries = self.store.oldest_log_entries(max_readings).await?;
        let Some(through_id) = entries.last().map(|e| e.id) else { return Ok(0) };
        let (chunks, moved) = tokio::task::spawn_blocking(move || chunks_of_log(&entries)).await.map_err(|e| MonitorError::NotStored(e.to_string()))??;
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
        let commit = self.writer.hand_over_chunks(&self.store, &self.notices, &self.state, slice);
        commit.durable().await.map_err(|e| MonitorError::NotStored(format!("telemetry chunks: {e}")))
    }

    /// Merges each sensor's consecutive small chunks (fewer than `CHUNK_SMALL` readings: a
    /// compaction step holds five minutes) into chunks of up to `CHUNK_MERGED_MAX` readings
    /// spanning at most `CHUNK_SPAN_MAX_MS`, since compression and per-row overhead favour long
    /// chunks; a merged chunk that has reached `CHUNK_SMALL` is left alone from then on. Works
    /// through the sensors `MERGE_SENSORS_PER_STEP` at a time, storing through the monitor's
    /// writer; returns how many chunks were replaced.
    pub async fn merge_chunks(&self) -> Result<usize> {
        let _only_one = self.compaction.lock().await;
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
                tokio::task::spawn_blocking(move || merged_chunks(small, &large)).await.map_err(|e| MonitorError::NotStored(e.to_string()))??;
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
        let _only_one = self.compaction.lock().await;
        let before = now_ms - i64::from(self.settings.retention_days) * 24 * 3600 * 1000;
        Ok(self.store.delete_chunks_before(before).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn chunk(start_ms: i64, count: i64) -> store::ChunkRow {
        let timestamps: Vec<i64> = (0..count).map(|i| start_ms + i).collect();
        let values: Vec<f64> = timestamps.iter().map(|&t| t as f64 / 10.0).collect();
        let (ts_bytes, value_bytes) = codec::encode(&timestamps, &values).unwrap();
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
        let (timestamps, values) = codec::decode(&merged[0].timestamps, &merged[0].vals).unwrap();
        assert_eq!(timestamps.len(), 20);
        assert_eq!((timestamps[10], values[10]), (1_000, 100.0));
    }
}
