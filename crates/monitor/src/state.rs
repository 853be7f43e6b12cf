//! What the monitor's lock guards: the sensor table, the approved windows, and the count of failed
//! commits rolled back; and how a write that could not be stored is undone.

use std::collections::HashMap;

use domain::monitoring::RuleState;

use crate::sensor_table::{Peaks, SensorTable};

#[derive(Default)]
pub(crate) struct MonitorState {
    pub(crate) sensors: SensorTable,
    /// Failed commits rolled back so far (see `Monitor::stage_ingest`).
    pub(crate) rollbacks: u64,
    /// Approved shelving and maintenance windows not yet over, by sensor id.
    pub(crate) windows: HashMap<i64, Vec<Window>>,
}

/// An approved shelving or maintenance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) id: i64,
    pub(crate) starts_at: i64,
    pub(crate) ends_at: i64,
}

/// A sensor's rule state and peaks before a write, to put back if the write cannot be stored.
#[derive(Debug, Clone)]
pub(crate) struct SensorSnapshot {
    pub(crate) index: usize,
    pub(crate) rules: RuleState,
    pub(crate) peaks: Peaks,
}

impl SensorSnapshot {
    pub(crate) fn of(index: usize, sensors: &SensorTable) -> Self {
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
