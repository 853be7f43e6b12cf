//! Approved shelving and maintenance windows: while one covers a sensor, its alarm transitions
//! are counted against the window instead of raised. When a window ends the sensor's rules start
//! afresh, so that a condition that persists past the window is raised again.

use std::collections::HashMap;

use domain::monitoring::{AlarmKind, RuleState, Severity};

use crate::state::Window;
use crate::{Monitor, Result};

impl Monitor {
    /// Loads the approved windows not yet over (call it after a window is approved or ended).
    pub async fn reload_suppressions(&self, now_ms: i64) -> Result<()> {
        let mut windows: HashMap<i64, Vec<Window>> = HashMap::new();
        for (id, sensor_id, starts_at, ends_at) in self.store.approved_suppressions(now_ms).await? {
            windows.entry(sensor_id).or_default().push(Window { id, starts_at, ends_at });
        }
        self.state.lock().await.windows = windows;
        Ok(())
    }

    /// The live alarms whose condition was present when last seen, by sensor id.
    pub(crate) async fn live_conditions(&self) -> Result<HashMap<i64, Vec<(AlarmKind, Severity)>>> {
        let mut live: HashMap<i64, Vec<(AlarmKind, Severity)>> = HashMap::new();
        for (sensor_id, kind, severity) in self.store.live_alarm_conditions().await? {
            live.entry(sensor_id).or_default().push((kind, severity));
        }
        Ok(live)
    }

    /// Starts the rules of these sensors afresh from their latest reading, keeping their live
    /// alarms: a condition that still holds is raised again after its on-delay.
    pub async fn restart_rules(&self, sensor_ids: &[i64]) -> Result<()> {
        if sensor_ids.is_empty() {
            return Ok(());
        }
        let live = self.live_conditions().await?;
        let mut state = self.state.lock().await;
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
            let mut state = self.state.lock().await;
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
}
