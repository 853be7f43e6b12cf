//! Live monitoring as people use it: who may see which sensor and alarm, the early-warning grades
//! of sources and regions, alarm and data quality per enterprise, and people's actions on alarms
//! (acknowledging, closing). The monitor itself (state, ingest, storage, schedules) is the
//! `monitor` crate; this module decides access and calls into it.

use std::collections::HashMap;

use domain::audit::Outcome;
use domain::monitoring::{self, AlarmKind, RawReading, RejectReason, WarningGrade};
use monitor::history::HISTORY_POINTS_MAX;
// What the web and MQTT layers need of the monitor, which they reach through `app` only.
pub use monitor::{
    AlarmNotice, BATCH_READINGS_MAX, History, INGEST_QUEUE_MAX, IngestOutcome, LIVE_SUBSCRIBERS_MAX, LiveRefusal, LiveSlot, MonitorError, MonitorSettings,
    Rejection, StagedIngest,
};
use serde::Serialize;
use store::SensorRow;
/// A stored alarm, and how a list of alarms is narrowed.
pub use store::{AlarmFilter, AlarmRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// The spans a sensor's chart offers by name, each back from now.
pub const CHART_RECENT_SPANS: [(&str, i64); 5] =
    [("1h", 3_600_000), ("6h", 6 * 3_600_000), ("24h", 24 * 3_600_000), ("7d", 7 * 24 * 3_600_000), ("30d", 30 * 24 * 3_600_000)];
/// A chart holds at most about this many buckets; a wider span takes wider buckets.
const CHART_BUCKETS_MAX: i64 = 1_500;
/// The bucket widths a chart chooses from, narrowest first.
const CHART_BUCKET_WIDTHS_MS: [i64; 6] = [10_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];

/// The time span of a sensor's chart or export, and the bucket width that keeps its chart at
/// about `CHART_BUCKETS_MAX` buckets at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartSpan {
    pub from_ms: i64,
    pub to_ms: i64,
    pub bucket_ms: i64,
}

impl ChartSpan {
    fn new(from_ms: i64, to_ms: i64) -> Self {
        let span = to_ms - from_ms;
        let bucket_ms = CHART_BUCKET_WIDTHS_MS.into_iter().find(|w| span / w <= CHART_BUCKETS_MAX).unwrap_or(CHART_BUCKET_WIDTHS_MS[5]);
        ChartSpan { from_ms, to_ms, bucket_ms }
    }

    /// The named span (`1h`, `6h`, `24h`, `7d`, `30d`) up to `now_ms`; `None` for another name.
    pub fn recent(name: &str, now_ms: i64) -> Option<Self> {
        CHART_RECENT_SPANS.iter().find(|(n, _)| *n == name).map(|(_, length)| Self::new(now_ms - length, now_ms))
    }

    /// Whole days in China from `first` through `last` (`YYYY-MM-DD`), ending no later than
    /// `now_ms`: at most 31 days, the first not after the last nor after today.
    pub fn days(first: &str, last: &str, now_ms: i64) -> std::result::Result<Self, domain::message::Message> {
        let parse = |text: &str| {
            domain::enterprises::parse_date(text)
                .ok_or_else(|| domain::message!("monitoring.chart_date_format", value = text.chars().take(20).collect::<String>()))
        };
        let (first, last) = (parse(first)?, parse(last)?);
        let from_ms = domain::time::day_start_ms(first);
        // The last day's last millisecond: history spans are inclusive at both ends.
        let to_ms = (domain::time::day_bounds_ms(last).1 - 1).min(now_ms);
        if first > last || from_ms > now_ms || to_ms - from_ms >= monitor::history::HISTORY_SPAN_MAX_MS {
            return Err(domain::message!("monitoring.chart_days"));
        }
        Ok(Self::new(from_ms, to_ms))
    }
}

impl From<MonitorError> for AppError {
    fn from(error: MonitorError) -> Self {
        match error {
            MonitorError::Busy => AppError::Busy(domain::message!("monitoring.ingest_queue_full_retry_shortly")),
            MonitorError::BatchTooLarge => {
                AppError::BadRequest(domain::message!("monitoring.most_readings_per_batch", batch_readings_max = BATCH_READINGS_MAX))
            }
            MonitorError::RolledBack => AppError::Conflict(domain::message!("monitoring.monitor_rolled_back_failed_commit_send")),
            MonitorError::HistoryRange => AppError::BadRequest(domain::message!("monitoring.range_needs_from_most_31_days")),
            MonitorError::HistoryBucket => AppError::BadRequest(domain::message!("monitoring.bucket_must_between_1_s_31")),
            MonitorError::TooManyPoints => {
                AppError::BadRequest(domain::message!("monitoring.more_than_points_give_bucket", history_points_max = HISTORY_POINTS_MAX))
            }
            MonitorError::NotStored(reason) => AppError::Internal(format!("the readings could not be stored: {reason}")),
            MonitorError::Corrupt(reason) => AppError::Internal(reason),
            MonitorError::Store(error) => error.into(),
        }
    }
}

/// Alarm quality and data quality of one enterprise over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EnterpriseKpi {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub sensors: usize,
    /// Sensors that reported within their no-data limit.
    pub online: usize,
    pub online_share: f64,
    /// Readings received over readings expected from the reporting intervals (at most 1).
    pub completeness: f64,
    pub alarms_per_hour: f64,
    pub chattering: i64,
    pub standing: i64,
    /// Shelving and maintenance windows that ran, and the alarm transitions they held back.
    pub shelved: i64,
    pub held: i64,
    /// Closed alarms by disposition.
    pub closed_real: i64,
    pub closed_false: i64,
    pub closed_sensor_fault: i64,
    pub closed_maintenance: i64,
    pub closed_test: i64,
    /// Share of closed alarms found false (0 when none closed).
    pub false_share: f64,
}

/// A source with its early-warning grade and how many alarms are active there.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceWarning {
    pub source: store::HazardSourceRow,
    pub grade: Option<WarningGrade>,
    pub active_alarms: usize,
}

/// The sources of one child region by warning grade.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RegionWarnings {
    pub code: String,
    pub name: String,
    pub sources: usize,
    pub red: usize,
    pub orange: usize,
    pub yellow: usize,
    pub blue: usize,
    pub highest: Option<WarningGrade>,
}

impl App {
    /// Loads every stored sensor into the monitor (see [`Monitor::start`]).
    pub async fn start_monitoring(&self) -> Result<usize> {
        Ok(self.monitor.start().await?)
    }

    /// Ingests a parsed batch written by `writer_enterprise_id` (see [`Monitor::ingest`]).
    pub async fn ingest(&self, writer_enterprise_id: i64, batch: &[std::result::Result<RawReading<'_>, RejectReason>], now_ms: i64) -> Result<IngestOutcome> {
        Ok(self.monitor.ingest(writer_enterprise_id, batch, now_ms).await?)
    }

    /// Subscribes a user (or, with `None`, the process's webhooks) to alarm transitions (see
    /// [`Monitor::subscribe`]); the answer says only which alarms moved, and the caller reads
    /// those it may see.
    pub fn subscribe_alarms(&self, user_id: Option<i64>) -> std::result::Result<(tokio::sync::broadcast::Receiver<AlarmNotice>, LiveSlot), LiveRefusal> {
        self.monitor.subscribe(user_id)
    }

    /// The latest value and its time of each of these sensors (by code), for a page that has
    /// already read them within the caller's scope.
    pub async fn latest_values(&self, codes: &[&str]) -> Vec<Option<(i64, f64)>> {
        self.monitor.latest_of(codes).await
    }

    /// Stages a batch of a stream of batches (see [`Monitor::stage_ingest`]).
    pub async fn stage_ingest(
        &self,
        writer_enterprise_id: i64,
        batch: &[std::result::Result<RawReading<'_>, RejectReason>],
        now_ms: i64,
        after_rollbacks: Option<u64>,
    ) -> Result<StagedIngest> {
        Ok(self.monitor.stage_ingest(writer_enterprise_id, batch, now_ms, after_rollbacks).await?)
    }

    /// A visible sensor by code.
    pub async fn sensor(&self, actor: &Actor, client: &Client, code: &str) -> Result<SensorRow> {
        match self.store.sensor_by_code(code, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) => {
                Err(self.denied(actor, client, "sensor.read", format!("sensor:{}", code.chars().take(64).collect::<String>())).await)
            }
            other => Ok(other?),
        }
    }

    /// A visible sensor's latest reading.
    pub async fn sensor_latest(&self, actor: &Actor, client: &Client, code: &str) -> Result<(SensorRow, Option<(i64, f64)>)> {
        let sensor = self.sensor(actor, client, code).await?;
        let latest = self.monitor.latest(&sensor.code).await;
        Ok((sensor, latest))
    }

    /// A visible sensor's readings in `[from_ms, to_ms]`, raw or in buckets of `bucket_ms`.
    pub async fn sensor_history(&self, actor: &Actor, client: &Client, code: &str, from_ms: i64, to_ms: i64, bucket_ms: Option<i64>) -> Result<History> {
        monitor::history::check_range(from_ms, to_ms, bucket_ms)?;
        let sensor = self.sensor(actor, client, code).await?;
        Ok(self.monitor.history(sensor.id, from_ms, to_ms, bucket_ms).await?)
    }

    /// A visible sensor's history over `span` as a table, recorded as an export: each reading
    /// (`bucketed` false; refused past `HISTORY_POINTS_MAX` readings), or each of the span's
    /// buckets with its least, greatest and mean value and its count.
    #[allow(clippy::too_many_arguments)]
    pub async fn export_sensor_history(
        &self,
        actor: &Actor,
        client: &Client,
        code: &str,
        span: ChartSpan,
        bucketed: bool,
        format: crate::spreadsheet::SpreadsheetFormat,
        english: bool,
    ) -> Result<Vec<u8>> {
        use crate::spreadsheet::Column;
        let sensor = self.sensor(actor, client, code).await?;
        let bucket_ms = bucketed.then_some(span.bucket_ms);
        let history = match self.monitor.history(sensor.id, span.from_ms, span.to_ms, bucket_ms).await {
            Err(MonitorError::TooManyPoints) => {
                return Err(AppError::BadRequest(domain::message!("monitoring.export_too_many_readings", max = HISTORY_POINTS_MAX)));
            }
            other => other?,
        };
        let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
        let unit = if sensor.unit.is_empty() { String::new() } else { format!(" ({})", sensor.unit) };
        let headings: Vec<String> = match &history {
            History::Raw { .. } => vec![say("时间", "Time").into(), format!("{}{unit}", say("读数", "Reading"))],
            History::Buckets { .. } => vec![
                say("时段开始", "Period start").into(),
                format!("{}{unit}", say("最小值", "Min")),
                format!("{}{unit}", say("最大值", "Max")),
                format!("{}{unit}", say("平均值", "Mean")),
                say("读数条数", "Count").into(),
            ],
        };
        let columns: Vec<Column> = headings.iter().enumerate().map(|(i, h)| Column { heading: h, width: if i == 0 { 20.0 } else { 14.0 } }).collect();
        let rows: Box<dyn Iterator<Item = Vec<String>> + Send> = match &history {
            History::Raw { points } => Box::new(points.iter().map(|(at, value)| vec![domain::time::local_text(*at), value.to_string()])),
            History::Buckets { buckets } => Box::new(
                buckets
                    .iter()
                    .map(|b| vec![domain::time::local_text(b.start_ms), b.min.to_string(), b.max.to_string(), format!("{:.3}", b.avg), b.count.to_string()]),
            ),
        };
        let export = crate::exports::Export {
            action: "sensor.export_history",
            target: format!("sensor:{}", sensor.code),
            format,
            sheet_name: say("历史读数", "Readings"),
            columns: &columns,
            details: serde_json::json!({
                "from": domain::time::local_text(span.from_ms),
                "to": domain::time::local_text(span.to_ms),
                "bucket_s": bucket_ms.map(|b| b / 1000),
            }),
        };
        self.export_table(actor, client, export, rows).await
    }

    /// Visible sources, most dangerous first, each with its early-warning grade from its active
    /// alarms and its GB 18218 level.
    ///
    /// Kept for at most `figures::FRESH_FOR` (see `app::figures`).
    pub async fn source_warnings(&self, actor: &Actor, client: &Client) -> Result<std::sync::Arc<Vec<SourceWarning>>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "hazard_source.read", "hazard_sources".into()).await);
        }
        let compute = async {
            let sources = self.store.hazard_sources(&visibility, None).await?;
            let mut active: HashMap<i64, Vec<(AlarmKind, domain::monitoring::Severity)>> = HashMap::new();
            for (source_id, kind, severity) in self.store.active_alarm_kinds(&visibility).await? {
                active.entry(source_id).or_default().push((kind, severity));
            }
            let rules = &self.monitor.settings().warning_rules;
            Ok(sources
                .into_iter()
                .map(|source| {
                    let alarms = active.get(&source.id).map(Vec::as_slice).unwrap_or_default();
                    let level = source.level.and_then(|l| u8::try_from(l).ok());
                    SourceWarning { grade: monitoring::warning_grade(level, alarms, rules), active_alarms: alarms.len(), source }
                })
                .collect())
        };
        self.figures.warnings(self.store.changes_committed(), &visibility, compute).await
    }

    /// Each child region of `region_code` with its visible sources by warning grade.
    pub async fn region_warnings(&self, actor: &Actor, client: &Client, region_code: &str) -> Result<Vec<RegionWarnings>> {
        let code = domain::RegionCode::parse(region_code).map_err(|_| AppError::NotFound)?;
        let warnings = self.source_warnings(actor, client).await?;
        let children = self.store.region_children(code.as_str()).await?;
        Ok(children
            .into_iter()
            .map(|child| {
                let inside: Vec<&SourceWarning> = warnings.iter().filter(|w| w.source.region_path.starts_with(&child.path)).collect();
                let count = |grade: WarningGrade| inside.iter().filter(|w| w.grade == Some(grade)).count();
                RegionWarnings {
                    code: child.code.to_string(),
                    name: child.name,
                    sources: inside.len(),
                    red: count(WarningGrade::Red),
                    orange: count(WarningGrade::Orange),
                    yellow: count(WarningGrade::Yellow),
                    blue: count(WarningGrade::Blue),
                    highest: inside.iter().filter_map(|w| w.grade).max(),
                }
            })
            .collect())
    }

    /// Alarm and data quality per visible enterprise with sensors, over the last `hours` (1 to
    /// 744), as the pages and the API show them: kept for at most `figures::FRESH_FOR` (see
    /// `app::figures`).
    pub async fn monitoring_kpis(&self, actor: &Actor, client: &Client, hours: u32) -> Result<std::sync::Arc<Vec<EnterpriseKpi>>> {
        let visibility = self.kpi_visibility(actor, client, hours).await?;
        let compute = self.kpis_of(&visibility, hours, domain::time::now_ms());
        self.figures.kpis(self.store.changes_committed(), &visibility, hours, compute).await
    }

    /// `monitoring_kpis` as of the moment `now_ms`, computed afresh.
    pub async fn monitoring_kpis_at(&self, actor: &Actor, client: &Client, hours: u32, now_ms: i64) -> Result<Vec<EnterpriseKpi>> {
        let visibility = self.kpi_visibility(actor, client, hours).await?;
        self.kpis_of(&visibility, hours, now_ms).await
    }

    async fn kpi_visibility(&self, actor: &Actor, client: &Client, hours: u32) -> Result<domain::access::Visibility> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "monitoring.kpi", "kpis".into()).await);
        }
        if !(1..=24 * 31).contains(&hours) {
            return Err(AppError::BadRequest(domain::message!("monitoring.hours_must_1_744")));
        }
        Ok(visibility)
    }

    async fn kpis_of(&self, visibility: &domain::access::Visibility, hours: u32, now_ms: i64) -> Result<Vec<EnterpriseKpi>> {
        let visibility = visibility.clone();
        let from_ms = now_ms - i64::from(hours) * 3_600_000;
        let rows = self.store.alarm_kpis(&visibility, from_ms, now_ms).await?;
        let sensors = self.store.sensors(&visibility, None, None).await?;
        let received = self.monitor.readings_received(from_ms, now_ms).await?;
        let codes: Vec<&str> = sensors.iter().map(|s| s.code.as_str()).collect();
        let online = self.monitor.online_of(&codes, now_ms).await;
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        Ok(rows
            .into_iter()
            .map(|row| {
                let own: Vec<(usize, &SensorRow)> = sensors.iter().enumerate().filter(|(_, s)| s.enterprise_id == row.enterprise_id).collect();
                let online_count = own.iter().filter(|(i, _)| online[*i]).count();
                let (got, expected) = own.iter().fold((0.0, 0.0), |(got, expected), (_, s)| {
                    (got + received.get(&s.id).copied().unwrap_or(0) as f64, expected + f64::from(hours) * 3600.0 / s.interval_s.max(1) as f64)
                });
                let closed = row.closed_real + row.closed_false + row.closed_sensor_fault + row.closed_maintenance + row.closed_test;
                EnterpriseKpi {
                    enterprise_id: row.enterprise_id,
                    enterprise_name: row.enterprise_name,
                    sensors: own.len(),
                    online: online_count,
                    online_share: ratio(online_count as f64, own.len() as f64),
                    completeness: ratio(got, expected).min(1.0),
                    alarms_per_hour: row.raised as f64 / f64::from(hours),
                    chattering: row.chattering,
                    standing: row.standing,
                    shelved: row.windows,
                    held: row.held,
                    closed_real: row.closed_real,
                    closed_false: row.closed_false,
                    closed_sensor_fault: row.closed_sensor_fault,
                    closed_maintenance: row.closed_maintenance,
                    closed_test: row.closed_test,
                    false_share: ratio(row.closed_false as f64, closed as f64),
                }
            })
            .collect())
    }

    /// Visible alarms.
    pub async fn alarms(&self, actor: &Actor, client: &Client, filter: &AlarmFilter, limit: i64) -> Result<Vec<AlarmRow>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "alarm.read", "alarms".into()).await);
        }
        if let Some(state) = &filter.state
            && !matches!(state.as_str(), "active" | "raised" | "acknowledged" | "cleared" | "closed")
        {
            return Err(AppError::BadRequest(domain::message!("monitoring.unknown_state")));
        }
        Ok(self.store.alarms(&visibility, filter, limit.clamp(1, 1000)).await?)
    }

    /// How many visible alarms match `filter` (`alarms` lists at most 1,000 of them).
    pub async fn alarm_total(&self, actor: &Actor, client: &Client, filter: &AlarmFilter) -> Result<i64> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "alarm.read", "alarms".into()).await);
        }
        Ok(self.store.alarm_count(&visibility, filter).await?)
    }

    /// A visible alarm.
    pub async fn alarm(&self, actor: &Actor, client: &Client, id: i64) -> Result<AlarmRow> {
        match self.store.alarm(id, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, "alarm.read", format!("alarm:{id}")).await),
            other => Ok(other?),
        }
    }

    /// An alarm's comments (who, text, when), oldest first, for those who may see the alarm.
    pub async fn alarm_comments(&self, actor: &Actor, client: &Client, id: i64) -> Result<Vec<(String, String, i64)>> {
        self.alarm(actor, client, id).await?;
        Ok(self.store.alarm_comments(id).await?)
    }

    /// Alarms by id for delivery outside (the webhooks), whatever their territory: the receivers
    /// are configured by the operator. Ids that do not exist are left out.
    pub async fn alarms_for_delivery(&self, ids: &[i64]) -> Vec<AlarmRow> {
        let mut alarms = Vec::new();
        for id in ids {
            match self.store.alarm(*id, &domain::access::Visibility::Everything).await {
                Ok(row) => alarms.push(row),
                Err(error) => tracing::warn!(%error, alarm = id, "an alarm for delivery could not be read"),
            }
        }
        alarms
    }

    /// Of `alarm_ids`, those the actor may see.
    pub async fn visible_alarm_ids(&self, actor: &Actor, alarm_ids: &[i64]) -> Result<Vec<i64>> {
        let visibility = policy::enterprise_visibility(actor);
        let mut visible = Vec::new();
        for &id in alarm_ids.iter().take(1000) {
            match self.store.alarm(id, &visibility).await {
                Ok(_) => visible.push(id),
                Err(store::StoreError::NotFound) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(visible)
    }

    /// A visible alarm the actor may handle: the enterprise's own users, or regulators and
    /// inspectors of its territory.
    async fn handled_alarm(&self, actor: &Actor, client: &Client, id: i64, action: &str) -> Result<AlarmRow> {
        let alarm = self.store.alarm(id, &policy::enterprise_visibility(actor)).await;
        match alarm {
            Ok(alarm) if policy::allows(actor, Action::HandleAlarm) => Ok(alarm),
            _ => Err(self.denied(actor, client, action, format!("alarm:{id}")).await),
        }
    }

    pub async fn acknowledge_alarm(&self, actor: &Actor, client: &Client, id: i64) -> Result<AlarmRow> {
        self.handled_alarm(actor, client, id, "alarm.acknowledge").await?;
        let event = audit_event(Some(actor), client, "alarm.acknowledge", format!("alarm:{id}"), Outcome::Success, serde_json::json!({}));
        self.store.acknowledge_alarm(id, actor.user_id, &event).await.map_err(transition_refused)?;
        self.monitor.announce(vec![id]);
        Ok(self.store.alarm(id, &policy::enterprise_visibility(actor)).await?)
    }

    /// Closes an alarm whose condition has gone, with its disposition (`real`, `false`,
    /// `sensor_fault`, `maintenance`, `test`) and an optional comment.
    pub async fn close_alarm(&self, actor: &Actor, client: &Client, id: i64, disposition: &str, comment: Option<&str>) -> Result<AlarmRow> {
        self.handled_alarm(actor, client, id, "alarm.close").await?;
        if !DISPOSITIONS.contains(&disposition) {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "disposition",
                message: domain::message!("monitoring.unknown_disposition"),
            }]));
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > 2000) {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "comment",
                message: domain::message!("monitoring.most_2000_characters"),
            }]));
        }
        let event = audit_event(Some(actor), client, "alarm.close", format!("alarm:{id}"), Outcome::Success, serde_json::json!({"disposition": disposition}));
        self.store.close_alarm(id, actor.user_id, disposition, comment, &event).await.map_err(transition_refused)?;
        self.monitor.announce(vec![id]);
        Ok(self.store.alarm(id, &policy::enterprise_visibility(actor)).await?)
    }
}

/// The dispositions an alarm closes with.
pub const DISPOSITIONS: [&str; 5] = ["real", "false", "sensor_fault", "maintenance", "test"];

/// A refused state change (a conflict in the store) as an illegal transition.
pub(crate) fn transition_refused(error: store::StoreError) -> AppError {
    match error {
        store::StoreError::Conflict(message) => AppError::IllegalTransition(message),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn a_chart_span_takes_the_narrowest_bucket_that_keeps_its_chart_readable() {
        let now = 1_796_000_000_000;
        let widths: Vec<(&str, i64)> = CHART_RECENT_SPANS.iter().map(|(name, _)| (*name, ChartSpan::recent(name, now).unwrap().bucket_ms)).collect();
        assert_eq!(widths, [("1h", 10_000), ("6h", 60_000), ("24h", 60_000), ("7d", 600_000), ("30d", 1_800_000)]);
        assert_eq!(ChartSpan::recent("24h", now).map(|s| (s.from_ms, s.to_ms)), Some((now - 24 * HOUR, now)));
        assert_eq!(ChartSpan::recent("2y", now), None);
    }

    #[test]
    fn chart_days_are_whole_days_in_china_up_to_now_and_31_at_most() {
        // 2026-12-06 12:00 in China.
        let now = domain::time::day_start_ms(jiff::civil::date(2026, 12, 6)) + 12 * HOUR;
        let today = ChartSpan::days("2026-12-06", "2026-12-06", now).unwrap();
        assert_eq!((today.from_ms, today.to_ms), (now - 12 * HOUR, now));
        let month = ChartSpan::days("2026-11-01", "2026-12-01", now).unwrap();
        assert_eq!(month.to_ms - month.from_ms, 31 * 24 * HOUR - 1, "through the last day's last millisecond");
        assert_eq!(month.bucket_ms, 1_800_000);
        for (first, last) in [("2026-10-31", "2026-12-01"), ("2026-12-05", "2026-12-04"), ("2026-12-07", "2026-12-08")] {
            assert_eq!(ChartSpan::days(first, last, now).unwrap_err().code, "monitoring.chart_days", "{first}..{last}");
        }
        assert_eq!(ChartSpan::days("2026-13-01", "2026-12-01", now).unwrap_err().code, "monitoring.chart_date_format");
    }
}
