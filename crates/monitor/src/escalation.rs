//! Unacknowledged alarms go up the tiers (county, city, province) as their time comes.

use crate::{Monitor, Result};

impl Monitor {
    /// Moves unacknowledged alarms up the tiers as their time comes; returns how many moved.
    pub async fn escalate_alarms(&self, now_ms: i64) -> Result<usize> {
        let rules = self.settings.escalation;
        let mut moved = Vec::new();
        for (id, raised_at, tier) in self.store.alarms_to_escalate().await? {
            let due = rules.due_tier(now_ms - raised_at);
            if due > tier && self.store.escalate_alarm(id, due.as_str(), now_ms).await? {
                tracing::info!(alarm = id, tier = due.as_str(), "unacknowledged alarm escalated");
                moved.push(id);
            }
        }
        let count = moved.len();
        self.announce(moved);
        Ok(count)
    }
}
