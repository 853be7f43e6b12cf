//! History: a sensor's stored readings over a time range, raw or downsampled, read from its
//! chunks and from the telemetry log not yet compacted; and readings received per sensor.

use std::collections::HashMap;

use serde::Serialize;

use crate::{Monitor, MonitorError, Result, codec};

/// History answers hold at most this many raw points (ask for buckets beyond that).
pub const HISTORY_POINTS_MAX: usize = 100_000;
/// The longest history window one request may cover.
pub const HISTORY_SPAN_MAX_MS: i64 = 31 * 24 * 3600 * 1000;

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

/// Refuses a history request that is backwards, longer than `HISTORY_SPAN_MAX_MS`, or asks for
/// buckets narrower than a second or wider than the span limit.
pub fn check_range(from_ms: i64, to_ms: i64, bucket_ms: Option<i64>) -> Result<()> {
    // `checked_sub`: with from near i64::MIN and to near i64::MAX the plain difference wraps
    // around and would pass as a short range.
    if to_ms.checked_sub(from_ms).is_none_or(|span| !(0..=HISTORY_SPAN_MAX_MS).contains(&span)) {
        return Err(MonitorError::HistoryRange);
    }
    if bucket_ms.is_some_and(|b| !(1000..=HISTORY_SPAN_MAX_MS).contains(&b)) {
        return Err(MonitorError::HistoryBucket);
    }
    Ok(())
}

impl Monitor {
    /// A sensor's readings in `[from_ms, to_ms]`, raw or in buckets of `bucket_ms` (the caller
    /// has decided the sensor may be seen).
    pub async fn history(&self, sensor_id: i64, from_ms: i64, to_ms: i64, bucket_ms: Option<i64>) -> Result<History> {
        check_range(from_ms, to_ms, bucket_ms)?;
        // Readings not yet compacted sit in the log; every one of them is newer than any chunk of
        // the same sensor, so they go after the chunks. The log is read first: a compaction step
        // that ends in between then leaves its readings in both reads (told apart below) rather
        // than in neither.
        let logged = self.store.log_entries_overlapping(from_ms, to_ms).await?;
        let chunks = self.store.chunks(sensor_id, from_ms, to_ms).await?;
        let (mut timestamps, mut values) = (Vec::new(), Vec::new());
        let mut from_log = (Vec::new(), Vec::new());
        for entry in logged {
            let (sensors, ts, vals) = codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
            for ((s, t), v) in sensors.into_iter().zip(ts).zip(vals) {
                if s == sensor_id && (from_ms..=to_ms).contains(&t) {
                    from_log.0.push(t);
                    from_log.1.push(v);
                }
            }
        }
        for chunk in chunks {
            let (ts, vals) = codec::decode(&chunk.timestamps, &chunk.vals)?;
            for (t, v) in ts.into_iter().zip(vals) {
                if (from_ms..=to_ms).contains(&t) {
                    timestamps.push(t);
                    values.push(v);
                }
            }
            if bucket_ms.is_none() && timestamps.len() > HISTORY_POINTS_MAX {
                return Err(MonitorError::TooManyPoints);
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
            return Err(MonitorError::TooManyPoints);
        }
        Ok(match bucket_ms {
            Some(bucket_ms) => History::Buckets { buckets: downsample(&timestamps, &values, bucket_ms) },
            None => History::Raw { points: timestamps.into_iter().zip(values).collect() },
        })
    }

    /// Readings received per sensor id with timestamps in `[from_ms, to_ms]`: in chunks, and in
    /// the log not yet compacted.
    pub async fn readings_received(&self, from_ms: i64, to_ms: i64) -> Result<HashMap<i64, i64>> {
        let mut received: HashMap<i64, i64> = self.store.readings_received(from_ms, to_ms).await?.into_iter().collect();
        for entry in self.store.log_entries_overlapping(from_ms, to_ms).await? {
            let (sensors, ts, _) = codec::decode_log(&entry.sensor_ids, &entry.timestamps, &entry.vals)?;
            for (sensor, t) in sensors.into_iter().zip(ts) {
                if (from_ms..=to_ms).contains(&t) {
                    *received.entry(sensor).or_default() += 1;
                }
            }
        }
        Ok(received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
