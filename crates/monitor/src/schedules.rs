//! The monitor's background work in a server: the telemetry log compacted into per-sensor chunks
//! every five minutes (sooner when a compaction step's worth is waiting), small chunks merged
//! hourly, silent sensors checked four times a second, unacknowledged alarms escalated and ended
//! windows closed every fifteen seconds, and old readings deleted daily.

use std::sync::Arc;
use std::time::Duration;

use crate::Monitor;
use crate::compaction::COMPACTION_READINGS_MAX;

/// Starts the monitor's background loops on the current runtime; they run as long as it does.
pub fn spawn(monitor: Arc<Monitor>) {
    tokio::spawn(compact_and_merge(monitor.clone()));
    tokio::spawn(watch(monitor));
}

async fn compact_and_merge(monitor: Arc<Monitor>) {
    let mut tick = tokio::time::interval(Duration::from_secs(15));
    let mut last_compaction = domain::time::now_ms();
    let mut last_merge = domain::time::now_ms();
    loop {
        tick.tick().await;
        let now = domain::time::now_ms();
        if now - last_merge >= 3_600_000 {
            last_merge = now;
            match monitor.merge_chunks().await {
                Ok(replaced) if replaced > 0 => tracing::info!(replaced, "telemetry chunks merged"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not merge telemetry chunks"),
            }
        }
        let backlog = match monitor.store.log_backlog().await {
            Ok((readings, _)) => readings,
            Err(error) => {
                tracing::warn!(%error, "could not read the telemetry log's backlog");
                continue;
            }
        };
        if backlog >= COMPACTION_READINGS_MAX || (backlog > 0 && now - last_compaction >= 300_000) {
            last_compaction = now;
            if let Err(error) = monitor.compact_all_telemetry().await {
                tracing::warn!(%error, "could not compact the telemetry log");
            }
        }
    }
}

/// Silent sensors are checked four times a second, so that a no-data alarm comes within a
/// quarter of a second of its limit (a pass over 440,000 sensors takes milliseconds).
async fn watch(monitor: Arc<Monitor>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_retention = 0i64;
    let mut ticks = 0u64;
    loop {
        tick.tick().await;
        ticks += 1;
        let now = domain::time::now_ms();
        monitor.check_silent_sensors(now).await;
        // Escalation counts in minutes: every fifteen seconds is often enough.
        if ticks.is_multiple_of(60) {
            if let Err(error) = monitor.escalate_alarms(now).await {
                tracing::warn!(%error, "could not escalate unacknowledged alarms");
            }
            if let Err(error) = monitor.expire_suppressions(now).await {
                tracing::warn!(%error, "could not end shelving and maintenance windows");
            }
        }
        if now - last_retention > 24 * 3600 * 1000 {
            last_retention = now;
            match monitor.apply_retention(now).await {
                Ok(deleted) if deleted > 0 => tracing::info!(deleted, "old telemetry chunks deleted"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "could not apply telemetry retention"),
            }
        }
    }
}
