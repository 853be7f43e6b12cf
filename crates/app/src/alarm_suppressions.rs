//! Shelving and maintenance windows: requested by an enterprise for one of its sensors,
//! time-boxed, approved or refused by a regulator of its territory (never by the requester),
//! visible to both, ended early by either, and audited throughout. While an approved window runs
//! the sensor's alarm transitions are counted against it instead of raised (see `monitoring`).

use domain::audit::Outcome;
use domain::enterprises::FieldError;
use domain::message::Message;
use serde::Deserialize;
use store::NewSuppression;
/// A shelving or maintenance window as stored.
pub use store::SuppressionRow;

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// The longest shelving: a shift.
pub const SHELVE_MINUTES_MAX: u32 = 8 * 60;
/// The longest maintenance window: three days.
pub const MAINTENANCE_MINUTES_MAX: u32 = 72 * 60;
/// How far ahead a window may be booked.
const BOOK_AHEAD_MS: i64 = 30 * 24 * 3600 * 1000;
/// How far in the past a window may start (a form filled in slowly).
const START_SLACK_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SuppressionInput {
    /// `shelve` or `maintenance`.
    pub kind: String,
    pub reason: String,
    /// Milliseconds since the epoch; now when absent.
    #[serde(default)]
    pub starts_at: Option<i64>,
    pub minutes: u32,
}

fn field(name: &'static str, message: Message) -> FieldError {
    FieldError { field: name, message }
}

/// Checks a request and turns it into a window for `sensor`, or names every problem.
pub fn checked_window(sensor: &store::SensorRow, input: &SuppressionInput, now_ms: i64) -> std::result::Result<NewSuppression, Vec<FieldError>> {
    let mut problems = Vec::new();
    let longest = match input.kind.as_str() {
        "shelve" => Some(SHELVE_MINUTES_MAX),
        "maintenance" => Some(MAINTENANCE_MINUTES_MAX),
        _ => {
            problems.push(field("kind", domain::message!("alarm_suppressions.kind_must_shelve_maintenance")));
            None
        }
    };
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        problems.push(field("reason", domain::message!("alarm_suppressions.reason_required_most_500_characters")));
    }
    if let Some(longest) = longest
        && !(1..=longest).contains(&input.minutes)
    {
        problems.push(field("minutes", domain::message!("alarm_suppressions.duration_must_1_minutes", longest = longest)));
    }
    let starts_at = input.starts_at.unwrap_or(now_ms);
    if starts_at < now_ms - START_SLACK_MS || starts_at > now_ms + BOOK_AHEAD_MS {
        problems.push(field("starts_at", domain::message!("alarm_suppressions.start_must_lie_between_now_30")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewSuppression {
        sensor_id: sensor.id,
        enterprise_id: sensor.enterprise_id,
        kind: input.kind.clone(),
        reason: reason.to_owned(),
        starts_at,
        ends_at: starts_at + i64::from(input.minutes) * 60_000,
    })
}

impl App {
    /// An enterprise asks to shelve one of its sensors' alarms or to take it into maintenance.
    pub async fn request_suppression(&self, actor: &Actor, client: &Client, sensor_code: &str, input: &SuppressionInput, now_ms: i64) -> Result<i64> {
        let sensor = self.sensor(actor, client, sensor_code).await?;
        if !policy::allows(actor, Action::RequestSuppression { enterprise_id: sensor.enterprise_id }) {
            return Err(self.denied(actor, client, "alarm_suppression.request", format!("sensor:{}", sensor.code)).await);
        }
        let window = checked_window(&sensor, input, now_ms).map_err(AppError::Invalid)?;
        let details = serde_json::json!({"sensor": sensor.code, "kind": window.kind, "starts_at": window.starts_at, "ends_at": window.ends_at});
        let event = audit_event(Some(actor), client, "alarm_suppression.request", String::new(), Outcome::Success, details);
        Ok(self.store.request_suppression(&window, actor.user_id, &event).await?)
    }

    /// A visible window.
    pub async fn suppression(&self, actor: &Actor, client: &Client, id: i64) -> Result<SuppressionRow> {
        match self.store.suppression(id, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, "alarm_suppression.read", format!("alarm_suppression:{id}")).await),
            other => Ok(other?),
        }
    }

    /// A regulator of the enterprise's territory approves or refuses a request.
    pub async fn decide_suppression(&self, actor: &Actor, client: &Client, id: i64, approve: bool, note: Option<&str>) -> Result<SuppressionRow> {
        let window = self.suppression(actor, client, id).await?;
        if !policy::allows(actor, Action::DecideSuppression { requested_by_actor: window.requested_by == actor.user_id }) {
            return Err(self.denied(actor, client, "alarm_suppression.decide", format!("alarm_suppression:{id}")).await);
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > 500) {
            return Err(AppError::Invalid(vec![field("note", domain::message!("alarm_suppressions.most_500_characters"))]));
        }
        let action = if approve { "alarm_suppression.approve" } else { "alarm_suppression.reject" };
        let event =
            audit_event(Some(actor), client, action, format!("alarm_suppression:{id}"), Outcome::Success, serde_json::json!({"sensor": window.sensor_code}));
        self.store.decide_suppression(id, approve, actor.user_id, note, &event).await.map_err(crate::monitoring::transition_refused)?;
        self.monitor.reload_suppressions(store::now_ms()).await?;
        self.suppression(actor, client, id).await
    }

    /// The enterprise or a regulator of its territory ends a window early (or withdraws a request).
    pub async fn end_suppression(&self, actor: &Actor, client: &Client, id: i64) -> Result<SuppressionRow> {
        let window = self.suppression(actor, client, id).await?;
        if !policy::allows(actor, Action::EndSuppression { enterprise_id: window.enterprise_id }) {
            return Err(self.denied(actor, client, "alarm_suppression.end", format!("alarm_suppression:{id}")).await);
        }
        let event = audit_event(
            Some(actor),
            client,
            "alarm_suppression.end",
            format!("alarm_suppression:{id}"),
            Outcome::Success,
            serde_json::json!({"sensor": window.sensor_code}),
        );
        let now = store::now_ms();
        self.store.end_suppression(id, now, &event).await.map_err(crate::monitoring::transition_refused)?;
        self.monitor.reload_suppressions(now).await?;
        self.monitor.restart_rules(&[window.sensor_id]).await?;
        self.suppression(actor, client, id).await
    }

    /// Visible windows, optionally of one sensor, newest first.
    pub async fn suppressions(&self, actor: &Actor, client: &Client, sensor_code: Option<&str>) -> Result<Vec<SuppressionRow>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "alarm_suppression.read", "alarm_suppressions".into()).await);
        }
        let sensor_id = match sensor_code {
            Some(code) => Some(self.sensor(actor, client, code).await?.id),
            None => None,
        };
        Ok(self.store.suppressions(&visibility, sensor_id, 200).await?)
    }
}
