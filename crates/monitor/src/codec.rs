//! The on-disk format of telemetry chunks: a sensor's timestamps (milliseconds) and values, each
//! compressed as its own pco stream. Regular reporting intervals make the timestamps almost free,
//! and pco finds the decimal resolution of the values.

use crate::MonitorError;

/// Compresses one sensor's readings, in timestamp order.
pub fn encode(timestamps: &[i64], values: &[f64]) -> Result<(Vec<u8>, Vec<u8>), MonitorError> {
    if timestamps.len() != values.len() {
        return Err(MonitorError::Corrupt(format!("{} timestamps for {} values", timestamps.len(), values.len())));
    }
    // pco's default configuration trades speed and ratio well for chunks of thousands of readings.
    let config = pco::ChunkConfig::default();
    let ts = pco::standalone::simple_compress(timestamps, &config).map_err(|e| MonitorError::Corrupt(format!("compressing timestamps: {e}")))?;
    let vals = pco::standalone::simple_compress(values, &config).map_err(|e| MonitorError::Corrupt(format!("compressing values: {e}")))?;
    Ok((ts, vals))
}

/// Decompresses a chunk; fails (rather than guessing) when the two streams disagree or are damaged.
pub fn decode(timestamps: &[u8], values: &[u8]) -> Result<(Vec<i64>, Vec<f64>), MonitorError> {
    let ts: Vec<i64> = pco::standalone::simple_decompress(timestamps).map_err(|e| MonitorError::Corrupt(format!("chunk timestamps: {e}")))?;
    let vals: Vec<f64> = pco::standalone::simple_decompress(values).map_err(|e| MonitorError::Corrupt(format!("chunk values: {e}")))?;
    if ts.len() != vals.len() {
        return Err(MonitorError::Corrupt(format!("chunk holds {} timestamps but {} values", ts.len(), vals.len())));
    }
    Ok((ts, vals))
}

/// A log entry: one batch's readings as three pco streams (sensor ids, timestamps, values).
pub type LogColumns = (Vec<i64>, Vec<i64>, Vec<f64>);

/// A log entry compressed: the three pco streams of `LogColumns`.
pub type EncodedLog = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Compresses a batch for the telemetry log.
pub fn encode_log(sensor_ids: &[i64], timestamps: &[i64], values: &[f64]) -> Result<EncodedLog, MonitorError> {
    if sensor_ids.len() != timestamps.len() {
        return Err(MonitorError::Corrupt(format!("{} sensors for {} timestamps", sensor_ids.len(), timestamps.len())));
    }
    let (ts, vals) = encode(timestamps, values)?;
    let sensors = pco::standalone::simple_compress(sensor_ids, &pco::ChunkConfig::default())
        .map_err(|e| MonitorError::Corrupt(format!("compressing sensor ids: {e}")))?;
    Ok((sensors, ts, vals))
}

pub fn decode_log(sensor_ids: &[u8], timestamps: &[u8], values: &[u8]) -> Result<LogColumns, MonitorError> {
    let sensors: Vec<i64> = pco::standalone::simple_decompress(sensor_ids).map_err(|e| MonitorError::Corrupt(format!("log sensor ids: {e}")))?;
    let (ts, vals) = decode(timestamps, values)?;
    if sensors.len() != ts.len() {
        return Err(MonitorError::Corrupt(format!("log entry holds {} sensors but {} timestamps", sensors.len(), ts.len())));
    }
    Ok((sensors, ts, vals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_and_regular_series_are_small() {
        let timestamps: Vec<i64> = (0..3600).map(|i| 1_700_000_000_000 + i * 1000).collect();
        let values: Vec<f64> = (0..3600).map(|i| ((i % 97) as f64) / 100.0 + 20.0).collect();
        let (ts, vals) = encode(&timestamps, &values).unwrap();
        assert!(ts.len() + vals.len() < 3600 * 2, "{} bytes for 3600 readings", ts.len() + vals.len());
        assert_eq!(decode(&ts, &vals).unwrap(), (timestamps, values));
    }

    #[test]
    fn log_entries_round_trip() {
        let sensors: Vec<i64> = (0..1000).map(|i| 100 + i % 250).collect();
        let timestamps: Vec<i64> = (0..1000).map(|i| 1_700_000_000_000 + (i / 250) * 1000).collect();
        let values: Vec<f64> = (0..1000).map(|i| 50.0 + (i % 7) as f64 / 100.0).collect();
        let (s, t, v) = encode_log(&sensors, &timestamps, &values).unwrap();
        assert!(s.len() + t.len() + v.len() < 1000 * 3, "{} bytes for 1,000 readings", s.len() + t.len() + v.len());
        assert_eq!(decode_log(&s, &t, &v).unwrap(), (sensors, timestamps, values));
        let (short, _, _) = encode_log(&[1], &[1], &[1.0]).unwrap();
        assert!(decode_log(&short, &t, &v).is_err());
    }

    #[test]
    fn damage_is_reported_not_guessed() {
        let (ts, vals) = encode(&[1, 2, 3], &[1.0, 2.0, 3.0]).unwrap();
        let (short_ts, _) = encode(&[1, 2], &[1.0, 2.0]).unwrap();
        assert!(matches!(decode(&short_ts, &vals), Err(MonitorError::Corrupt(_))));
        assert!(decode(&ts[..ts.len() / 2], &vals).is_err());
        assert!(decode(b"not pco", &vals).is_err());
        assert!(encode(&[1], &[]).is_err());
    }
}
