//! Monitoring pages: the sources in scope with their live alarm counts and the active alarm list
//! (refreshed every few seconds), a source with its chemicals, grading and sensors' live values,
//! a sensor with its chart over a chosen span and its readings to take away, and an alarm with
//! its handling.

use app::monitoring::{AlarmFilter, AlarmRow, ChartSpan};
use app::policy::Action;
use app::spreadsheet::SpreadsheetFormat;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/monitoring", get(overview))
        .route("/monitoring/alarms", get(alarm_list_fragment))
        .route("/hazards/new", get(new_source_page).post(register_source))
        .route("/hazards/{id}", get(source_page))
        .route("/hazards/{id}/sensors", post(register_sensor))
        .route("/sensors/{code}", get(sensor_page))
        .route("/sensors/{code}/readings.xlsx", get(export_readings_xlsx))
        .route("/sensors/{code}/readings.csv", get(export_readings_csv))
        .route("/alarms/{id}", get(alarm_page))
        .route("/alarms/{id}/acknowledge", post(acknowledge))
        .route("/alarms/{id}/close", post(close))
        .route("/alarms/{id}/danger", post(report_danger))
        .route("/sensors/{code}/suppressions", post(request_window))
        .route("/suppressions/{id}/decide", post(decide_window))
        .route("/monitoring/ingest-tokens", post(issue_ingest_token))
        .route("/monitoring/ingest-tokens/{id}/revoke", post(revoke_ingest_token))
}

/// Beijing time, to the second.
fn time_text(ms: i64) -> String {
    domain::time::local_text(ms)
}

fn value_text(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_else(|| "—".into())
}

pub(crate) struct AlarmLine {
    id: i64,
    sensor: String,
    sensor_name: String,
    source_name: String,
    enterprise_name: String,
    kind: String,
    severity: String,
    state: String,
    condition_active: bool,
    peak: String,
    retriggers: i64,
    raised_at: String,
    /// Empty at the enterprise tier, else the tier's label.
    escalated_to: String,
    /// Raised and not yet acknowledged, and the viewer handles alarms: acknowledged from the list.
    can_acknowledge: bool,
}

/// The catalog key of an alarm's kind: a limit alarm reads as H or HH (L or LL) by its severity,
/// so that 高限 and 高高限 are told apart at a glance.
fn alarm_kind_key(kind: &str, severity: &str) -> String {
    match (kind, severity) {
        ("high", "critical") => "alarm.kind.high_high".into(),
        ("low", "critical") => "alarm.kind.low_low".into(),
        _ => format!("alarm.kind.{kind}"),
    }
}

fn alarm_line(c: &Chrome, a: AlarmRow, handles: bool) -> AlarmLine {
    AlarmLine {
        id: a.id,
        can_acknowledge: handles && a.state == "raised",
        kind: c.t.get(&alarm_kind_key(&a.kind, &a.severity)).to_owned(),
        severity: a.severity,
        state: c.t.get(&format!("alarm.state.{}", a.state)).to_owned(),
        condition_active: a.condition_active,
        peak: format!("{} {}", value_text(a.peak_value), a.unit),
        retriggers: a.retriggers,
        raised_at: time_text(a.raised_at),
        escalated_to: if a.escalation_tier == "enterprise" { String::new() } else { c.t.get(&format!("alarm.tier.{}", a.escalation_tier)).to_owned() },
        sensor: a.sensor_code,
        sensor_name: a.sensor_name,
        source_name: a.source_name,
        enterprise_name: a.enterprise_name,
    }
}

struct SourceLine {
    id: i64,
    enterprise_name: String,
    name: String,
    level: String,
    r: String,
    active_alarms: usize,
    /// `red`, `orange`, `yellow`, `blue` or empty.
    grade: String,
    grade_label: String,
}

/// A source's GB 18218 level (一级 … 四级) in the page's language.
fn level_text(c: &Chrome, level: Option<i64>) -> String {
    match level {
        Some(level @ 1..=4) => c.t.get(&format!("source.level.{level}")).to_owned(),
        _ => "—".into(),
    }
}

struct KpiLine {
    enterprise_name: String,
    online: String,
    completeness: String,
    alarms_per_hour: String,
    chattering: i64,
    standing: i64,
    shelved: i64,
    false_share: String,
}

pub(crate) struct WindowLine {
    id: i64,
    sensor: String,
    enterprise_name: String,
    kind: String,
    reason: String,
    period: String,
    state: String,
    /// `requested`, `approved`, `rejected` or `cancelled`.
    state_key: String,
    held: i64,
    running: bool,
}

fn window_line(c: &Chrome, w: app::alarm_suppressions::SuppressionRow, now_ms: i64) -> WindowLine {
    WindowLine {
        id: w.id,
        kind: c.t.get(&format!("window.kind.{}", w.kind)).to_owned(),
        period: format!("{} – {}", time_text(w.starts_at), time_text(w.ends_at)),
        state: c.t.get(&format!("window.state.{}", w.state)).to_owned(),
        running: w.state == "approved" && w.starts_at <= now_ms && now_ms < w.ends_at,
        state_key: w.state,
        held: w.suppressed_events,
        sensor: w.sensor_code,
        enterprise_name: w.enterprise_name,
        reason: w.reason,
    }
}

#[derive(Template)]
#[template(path = "monitoring/monitoring.html")]
struct OverviewPage {
    c: Chrome,
    sources: Vec<SourceLine>,
    alarms: Vec<AlarmLine>,
    /// Pending requests and windows not yet over.
    windows: Vec<WindowLine>,
    decides: bool,
    /// Alarm and data quality over the last 24 hours, worst first.
    kpis: Vec<KpiLine>,
    /// The enterprise's ingest tokens (id, name, created, revoked), for enterprise users.
    ingest_tokens: Option<Vec<(i64, String, String, bool)>>,
    /// The province whose cities the warning map shows, for province-level users.
    map_region: Option<String>,
}

#[derive(Template)]
#[template(path = "monitoring/alarm_list.html")]
struct AlarmListFragment {
    c: Chrome,
    alarms: Vec<AlarmLine>,
}

async fn active_alarms(state: &AppState, user: &PageUser, source_id: Option<i64>) -> app::Result<Vec<AlarmRow>> {
    let filter = AlarmFilter { state: Some("active".into()), source_id, ..Default::default() };
    state.app.alarms(&user.actor, &user.client, &filter, 200).await
}

async fn overview(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let (sources, alarms) = match (state.app.source_warnings(&user.actor, &user.client).await, active_alarms(&state, &user, None).await) {
        (Ok(sources), Ok(alarms)) => (sources, alarms),
        (Err(error), _) | (_, Err(error)) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/monitoring", Some(&user.actor)).await;
    let mut sources: Vec<SourceLine> = sources
        .iter()
        .cloned()
        .map(|w| SourceLine {
            active_alarms: w.active_alarms,
            grade: w.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
            grade_label: w.grade.map(|g| c.t.get(&format!("warning.{}", g.as_str())).to_owned()).unwrap_or_else(|| "—".into()),
            id: w.source.id,
            enterprise_name: w.source.enterprise_name,
            name: w.source.name,
            level: level_text(&c, w.source.level),
            r: format!("{:.2}", w.source.r_value),
        })
        .collect();
    // Sources with a warning first, the gravest on top; then by level as listed.
    let rank = |grade: &str| ["red", "orange", "yellow", "blue"].iter().position(|g| *g == grade).unwrap_or(4);
    sources.sort_by_key(|s| rank(&s.grade));
    let handles = app::policy::allows(&user.actor, Action::HandleAlarm);
    let alarms = alarms.into_iter().map(|a| alarm_line(&c, a, handles)).collect();
    let map_region = crate::pages::province_map_region(&user.actor);
    let now = domain::time::now_ms();
    let windows = state
        .app
        .suppressions(&user.actor, &user.client, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|w| w.state == "requested" || (w.state == "approved" && w.ends_at > now))
        .map(|w| window_line(&c, w, now))
        .collect();
    // Whether to show the decision buttons at all; a request of the user's own is refused by `app`.
    let decides = app::policy::allows(&user.actor, Action::DecideSuppression { requested_by_actor: false });
    let ingest_tokens = if app::policy::allows(&user.actor, Action::ManageIngestTokens) {
        state
            .app
            .ingest_tokens(&user.actor, &user.client)
            .await
            .ok()
            .map(|rows| rows.into_iter().map(|(id, name, created_at, revoked_at)| (id, name, time_text(created_at), revoked_at.is_some())).collect())
    } else {
        None
    };
    let mut kpis = state.app.monitoring_kpis(&user.actor, &user.client, 24).await.map(|kpis| kpis.as_ref().clone()).unwrap_or_default();
    kpis.sort_by(|a, b| b.alarms_per_hour.total_cmp(&a.alarms_per_hour));
    let kpis = kpis
        .into_iter()
        .take(50)
        .map(|k| KpiLine {
            online: format!("{}/{}", k.online, k.sensors),
            completeness: format!("{:.1}%", k.completeness * 100.0),
            alarms_per_hour: format!("{:.2}", k.alarms_per_hour),
            chattering: k.chattering,
            standing: k.standing,
            shelved: k.shelved,
            false_share: format!("{:.0}%", k.false_share * 100.0),
            enterprise_name: k.enterprise_name,
        })
        .collect();
    render(&OverviewPage { c, sources, alarms, windows, decides, kpis, ingest_tokens, map_region })
}

async fn alarm_list_fragment(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    match active_alarms(&state, &user, None).await {
        Ok(alarms) => {
            let c = chrome(&state, &headers, &user.session, "/monitoring", Some(&user.actor)).await;
            let handles = app::policy::allows(&user.actor, Action::HandleAlarm);
            let alarms = alarms.into_iter().map(|a| alarm_line(&c, a, handles)).collect();
            render(&AlarmListFragment { c, alarms })
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct SensorLine {
    code: String,
    name: String,
    kind: String,
    thresholds: String,
    latest: String,
    at: String,
}

#[derive(Template)]
#[template(path = "monitoring/hazard_source.html")]
struct SourcePage {
    c: Chrome,
    source: app::hazard_sources::HazardSourceRow,
    level: String,
    chemicals: Vec<(String, String, String)>,
    sensors: Vec<SensorLine>,
    alarms: Vec<AlarmLine>,
    /// Whether the caller may add sensors here, the kinds to choose from, and what was wrong with
    /// the last attempt (with what was entered).
    can_register: bool,
    kinds: Vec<SelectOption>,
    sensor_form: SensorForm,
    sensor_errors: Vec<String>,
}

/// One sensor as the source page's form sends it; numbers as typed.
#[derive(Deserialize, Default)]
struct SensorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    range_min: String,
    #[serde(default)]
    range_max: String,
    #[serde(default)]
    low_low: String,
    #[serde(default)]
    low: String,
    #[serde(default)]
    high: String,
    #[serde(default)]
    high_high: String,
    #[serde(default)]
    interval_s: String,
}

impl SensorForm {
    /// The sensor to register, or what cannot be read as a number.
    fn input(&self) -> Result<app::hazard_sources::SensorInput, Vec<domain::message::Message>> {
        let mut errors = Vec::new();
        let mut number = |text: &str, label: domain::message::Message, required: bool| -> Option<f64> {
            let text = text.trim();
            if text.is_empty() {
                if required {
                    errors.push(domain::message!("monitoring.required", label => label));
                }
                return None;
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(domain::message!("monitoring.must_number", label => label));
                    None
                }
            }
        };
        let range_min = number(&self.range_min, domain::message!("monitoring.field.range_min"), true);
        let range_max = number(&self.range_max, domain::message!("monitoring.field.range_max"), true);
        let thresholds = domain::monitoring::Thresholds {
            low_low: number(&self.low_low, domain::message!("monitoring.field.low_low"), false),
            low: number(&self.low, domain::message!("monitoring.field.low"), false),
            high: number(&self.high, domain::message!("monitoring.field.high"), false),
            high_high: number(&self.high_high, domain::message!("monitoring.field.high_high"), false),
        };
        let interval_s = match self.interval_s.trim().parse::<u32>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(domain::message!("monitoring.interval_s_must_whole_seconds"));
                None
            }
        };
        match (range_min, range_max, interval_s, errors.is_empty()) {
            (Some(range_min), Some(range_max), Some(interval_s), true) => Ok(app::hazard_sources::SensorInput {
                code: self.code.clone(),
                name: self.name.clone(),
                kind: self.kind.clone(),
                unit: Some(self.unit.clone()).filter(|u| !u.trim().is_empty()),
                range_min,
                range_max,
                thresholds,
                interval_s,
                rules: None,
            }),
            _ => Err(errors),
        }
    }
}

fn thresholds_text(s: &app::hazard_sources::SensorRow) -> String {
    [("LL", s.low_low), ("L", s.low), ("H", s.high), ("HH", s.high_high)]
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {v}")))
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn source_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    source_response(&state, &headers, &user, id, SensorForm::default(), Vec::new()).await
}

async fn source_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, sensor_form: SensorForm, sensor_errors: Vec<String>) -> Response {
    let (state, headers) = (state.clone(), headers.clone());
    let (source, chemicals, sensors) = match state.app.hazard_source(&user.actor, &user.client, id).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let alarms = active_alarms(&state, user, Some(id)).await.unwrap_or_default();
    let c = chrome(&state, &headers, &user.session, &format!("/hazards/{id}"), Some(&user.actor)).await;
    let codes: Vec<&str> = sensors.iter().map(|s| s.code.as_str()).collect();
    let latest = state.app.latest_values(&codes).await;
    let sensors = sensors
        .iter()
        .zip(latest)
        .map(|(s, latest)| SensorLine {
            code: s.code.clone(),
            name: s.name.clone(),
            kind: c.t.get(&format!("sensor.kind.{}", s.kind)).to_owned(),
            thresholds: thresholds_text(s),
            latest: format!("{} {}", value_text(latest.map(|l| l.1)), s.unit),
            at: latest.map(|l| time_text(l.0)).unwrap_or_default(),
        })
        .collect();
    let chemicals = chemicals.into_iter().map(|ch| (ch.substance, ch.categories, format!("{}", ch.quantity_millionths as f64 / 1_000_000.0))).collect();
    let handles = app::policy::allows(&user.actor, Action::HandleAlarm);
    let alarms = alarms.into_iter().map(|a| alarm_line(&c, a, handles)).collect();
    let can_register = state.app.may_manage_sources(&user.actor, &user.client, source.enterprise_id).await;
    let kinds = domain::monitoring::SensorKind::ALL
        .iter()
        .map(|k| SelectOption {
            code: k.as_str().into(),
            label: c.t.get(&format!("sensor.kind.{}", k.as_str())).to_owned(),
            selected: k.as_str() == sensor_form.kind,
        })
        .collect();
    let status = if sensor_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (
        status,
        render(&SourcePage { level: level_text(&c, source.level), c, source, chemicals, sensors, alarms, can_register, kinds, sensor_form, sensor_errors }),
    )
        .into_response()
}

/// Adds one sensor from the source page's form.
async fn register_sensor(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<SensorForm>,
) -> Response {
    let input = match form.input() {
        Ok(input) => input,
        Err(errors) => return source_response(&state, &headers, &user, id, form, crate::pages::rendered(&headers, errors)).await,
    };
    match state.app.add_sensors(&user.actor, &user.client, id, &[input]).await {
        Ok(_) => Redirect::to(&format!("/hazards/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            source_response(&state, &headers, &user, id, form, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(app::AppError::Conflict(message)) => source_response(&state, &headers, &user, id, form, crate::pages::rendered(&headers, [message])).await,
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "monitoring/hazard_source_new.html")]
struct NewSourcePage {
    c: Chrome,
    enterprise_name: String,
    form: SourceForm,
    errors: Vec<String>,
}

/// A source as the registration form sends it: chemicals one per line.
#[derive(Deserialize, Default)]
struct SourceForm {
    enterprise_id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit_kind: String,
    #[serde(default)]
    people_nearby: String,
    #[serde(default)]
    principal_person: String,
    #[serde(default)]
    technical_person: String,
    #[serde(default)]
    operating_person: String,
    #[serde(default)]
    chemicals: String,
}

#[derive(Deserialize)]
struct NewSourceQuery {
    enterprise: Option<i64>,
}

async fn new_source_response(state: &AppState, headers: &HeaderMap, user: &PageUser, form: SourceForm, errors: Vec<String>) -> Response {
    if !state.app.may_manage_sources(&user.actor, &user.client, form.enterprise_id).await {
        let error = state.app.denied(&user.actor, &user.client, "hazard_source.create", format!("enterprise:{}", form.enterprise_id)).await;
        return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let enterprise = match state.app.enterprise(&user.actor, &user.client, form.enterprise_id).await {
        Ok(enterprise) => enterprise,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, "/hazards/new", Some(&user.actor)).await;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&NewSourcePage { c, enterprise_name: enterprise.enterprise.name.clone(), form, errors })).into_response()
}

/// The registration form for the user's own enterprise or the one named in `?enterprise=`.
async fn new_source_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<NewSourceQuery>) -> Response {
    match query.enterprise.or(user.actor.enterprise_id) {
        Some(enterprise_id) => {
            new_source_response(&state, &headers, &user, SourceForm { enterprise_id, unit_kind: "storage".into(), ..Default::default() }, Vec::new()).await
        }
        None => Redirect::to("/enterprises").into_response(),
    }
}

async fn register_source(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<SourceForm>) -> Response {
    let people_nearby = form.people_nearby.trim().parse::<u64>();
    let input = app::hazard_sources::HazardSourceInput {
        enterprise_id: form.enterprise_id,
        name: form.name.clone(),
        unit_kind: form.unit_kind.clone(),
        people_nearby: *people_nearby.as_ref().unwrap_or(&0),
        principal_person: form.principal_person.clone(),
        technical_person: form.technical_person.clone(),
        operating_person: form.operating_person.clone(),
        chemicals: form.chemicals.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
    };
    let result = match people_nearby {
        Ok(_) => state.app.add_hazard_source(&user.actor, &user.client, &input).await,
        Err(_) => Err(app::AppError::Invalid(vec![domain::enterprises::FieldError {
            field: "people_nearby",
            message: domain::message!("monitoring.people_nearby_must_whole_number"),
        }])),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/hazards/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            new_source_response(&state, &headers, &user, form, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(app::AppError::Conflict(message)) => new_source_response(&state, &headers, &user, form, crate::pages::rendered(&headers, [message])).await,
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// The span of a sensor's chart and export, kept in the URL: a named recent span (`range`),
/// ending now or at `until` (milliseconds; the export links carry the moment the chart was drawn,
/// so that "the last hour" exports what was shown), or whole days (`from`, `to`); with
/// `detail=buckets` an export takes the chart's buckets instead of each reading.
#[derive(Deserialize, Default)]
struct SpanQuery {
    range: Option<String>,
    until: Option<String>,
    from: Option<String>,
    to: Option<String>,
    detail: Option<String>,
}

/// The span a query names, or a problem with its days or its end; the last 24 hours when it names
/// none. No span ends after `now_ms`.
fn chart_span(query: &SpanQuery, now_ms: i64) -> Result<ChartSpan, domain::message::Message> {
    if let (Some(from), Some(to)) = (query.from.as_deref().map(str::trim), query.to.as_deref().map(str::trim))
        && (!from.is_empty() || !to.is_empty())
    {
        return ChartSpan::days(from, to, now_ms);
    }
    let end_ms = match query.until.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => now_ms,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(|ms| ms.min(now_ms))
            .ok_or_else(|| domain::message!("monitoring.chart_until", value = text.chars().take(20).collect::<String>()))?,
    };
    Ok(query.range.as_deref().and_then(|name| ChartSpan::recent(name, end_ms)).unwrap_or_else(|| default_span(end_ms)))
}

fn default_span(now_ms: i64) -> ChartSpan {
    ChartSpan::recent("24h", now_ms).expect("24h is a named span")
}

/// A bucket width in words: `10分钟`, `10 min`.
fn bucket_words(c: &Chrome, bucket_ms: i64) -> String {
    let seconds = bucket_ms / 1000;
    let space = if c.t.is_en() { " " } else { "" };
    match (seconds % 3600, seconds % 60) {
        (0, _) => format!("{}{space}{}", seconds / 3600, c.t.get("sensor.unit.hours")),
        (_, 0) => format!("{}{space}{}", seconds / 60, c.t.get("sensor.unit.minutes")),
        _ => format!("{seconds}{space}{}", c.t.get("sensor.unit.seconds")),
    }
}

#[derive(Template)]
#[template(path = "monitoring/sensor.html")]
struct SensorPage {
    c: Chrome,
    windows: Vec<WindowLine>,
    can_request: bool,
    decides: bool,
    error: Option<String>,
    sensor: app::hazard_sources::SensorRow,
    kind: String,
    thresholds: String,
    latest: String,
    at: String,
    span: ChartSpan,
    /// The named span shown (`24h`), or none when days were chosen.
    recent: Option<String>,
    /// The chosen days as typed, or the shown span's days.
    from_date: String,
    to_date: String,
    span_error: Option<String>,
    /// What the chart shows, in words: the span and its bucket width.
    span_words: String,
    /// The query that keeps the span, for the export links (`range=7d&until=…`, `from=…&to=…`).
    span_query: String,
}

async fn sensor_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(code): Path<String>, Query(query): Query<SpanQuery>) -> Response {
    sensor_response(&state, &headers, &user, &code, None, &query).await
}

async fn sensor_response(state: &AppState, headers: &HeaderMap, user: &PageUser, code: &str, error: Option<String>, query: &SpanQuery) -> Response {
    let (sensor, latest) = match state.app.sensor_latest(&user.actor, &user.client, code).await {
        Ok(found) => found,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, &format!("/sensors/{code}"), Some(&user.actor)).await;
    let now_ms = domain::time::now_ms();
    let (span, span_error) = match chart_span(query, now_ms) {
        Ok(span) => (span, None),
        Err(problem) => (default_span(now_ms), Some(c.t.render(&problem))),
    };
    let days_chosen = span_error.is_none() && query.from.as_deref().is_some_and(|f| !f.trim().is_empty());
    // What is drawn: the default 24 hours after a problem with the span asked for.
    let recent = if span_error.is_some() {
        Some("24h".to_owned())
    } else if days_chosen {
        None
    } else {
        Some(query.range.as_deref().filter(|name| ChartSpan::recent(name, now_ms).is_some()).unwrap_or("24h").to_owned())
    };
    let span_query = match &recent {
        Some(name) => format!("range={name}&until={}", span.to_ms),
        None => format!("from={}&to={}", domain::time::date_of_ms(span.from_ms), domain::time::date_of_ms(span.to_ms)),
    };
    let from_date = if span_error.is_some() { query.from.clone().unwrap_or_default() } else { domain::time::date_of_ms(span.from_ms).to_string() };
    let to_date = if span_error.is_some() { query.to.clone().unwrap_or_default() } else { domain::time::date_of_ms(span.to_ms).to_string() };
    let span_words = format!(
        "{} {} – {} · {}",
        recent.as_ref().map(|name| c.t.get(&format!("sensor.span.{name}")).to_owned()).unwrap_or_default(),
        time_text(span.from_ms),
        time_text(span.to_ms),
        c.t.get("sensor.span.bucket").replace("{n}", &bucket_words(&c, span.bucket_ms)),
    )
    .trim()
    .to_owned();
    let windows =
        state.app.suppressions(&user.actor, &user.client, Some(code)).await.unwrap_or_default().into_iter().map(|w| window_line(&c, w, now_ms)).collect();
    let can_request = app::policy::allows(&user.actor, Action::RequestSuppression { enterprise_id: sensor.enterprise_id });
    let status = if error.is_some() || span_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = SensorPage {
        windows,
        can_request,
        decides: app::policy::allows(&user.actor, Action::DecideSuppression { requested_by_actor: false }),
        error,
        kind: c.t.get(&format!("sensor.kind.{}", sensor.kind)).to_owned(),
        thresholds: thresholds_text(&sensor),
        latest: format!("{} {}", value_text(latest.map(|l| l.1)), sensor.unit),
        at: latest.map(|l| time_text(l.0)).unwrap_or_default(),
        span,
        recent,
        from_date,
        to_date,
        span_error,
        span_words,
        span_query,
        c,
        sensor,
    };
    (status, render(&page)).into_response()
}

async fn export_readings(state: AppState, headers: HeaderMap, user: PageUser, code: String, query: SpanQuery, format: SpreadsheetFormat) -> Response {
    let span = match chart_span(&query, domain::time::now_ms()) {
        Ok(span) => span,
        Err(problem) => return error_page(&state, &headers, &user.session, Some(&user.actor), app::AppError::BadRequest(problem).into()).await,
    };
    let bucketed = query.detail.as_deref() == Some("buckets");
    let english = crate::i18n::english(&headers);
    match state.app.export_sensor_history(&user.actor, &user.client, &code, span, bucketed, format, english).await {
        Ok(bytes) => crate::pages::download(bytes, format, &format!("sensor-{}-{}.{}", code, domain::time::date_of_ms(span.from_ms), format.extension())),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn export_readings_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(code): Path<String>,
    Query(query): Query<SpanQuery>,
) -> Response {
    export_readings(state, headers, user, code, query, SpreadsheetFormat::Xlsx).await
}

async fn export_readings_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(code): Path<String>,
    Query(query): Query<SpanQuery>,
) -> Response {
    export_readings(state, headers, user, code, query, SpreadsheetFormat::Csv).await
}

#[derive(Deserialize)]
struct WindowForm {
    kind: String,
    reason: String,
    minutes: String,
}

async fn request_window(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(code): Path<String>,
    axum::Form(form): axum::Form<WindowForm>,
) -> Response {
    let Ok(minutes) = form.minutes.trim().parse::<u32>() else {
        return sensor_response(
            &state,
            &headers,
            &user,
            &code,
            Some(crate::pages::text(&headers, &domain::message!("monitoring.duration_must_whole_minutes"))),
            &SpanQuery::default(),
        )
        .await;
    };
    let input = app::alarm_suppressions::SuppressionInput { kind: form.kind, reason: form.reason, starts_at: None, minutes };
    match state.app.request_suppression(&user.actor, &user.client, &code, &input, domain::time::now_ms()).await {
        Ok(_) => Redirect::to(&format!("/sensors/{code}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            sensor_response(
                &state,
                &headers,
                &user,
                &code,
                Some(crate::pages::text(&headers, &domain::message::Message::joined(fields.into_iter().map(|f| f.message).collect()))),
                &SpanQuery::default(),
            )
            .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct DecideForm {
    action: String,
    #[serde(default)]
    note: String,
}

async fn decide_window(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecideForm>,
) -> Response {
    let result = match form.action.as_str() {
        "approve" => state.app.decide_suppression(&user.actor, &user.client, id, true, Some(&form.note)).await,
        "reject" => state.app.decide_suppression(&user.actor, &user.client, id, false, Some(&form.note)).await,
        "end" => state.app.end_suppression(&user.actor, &user.client, id).await,
        _ => Err(app::AppError::BadRequest(domain::message!("monitoring.action_must_approve_reject_end"))),
    };
    match result {
        Ok(window) => Redirect::to(&format!("/sensors/{}", window.sensor_code)).into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "monitoring/alarm.html")]
struct AlarmPage {
    c: Chrome,
    alarm: AlarmLine,
    row: AlarmRow,
    first: String,
    acknowledged_at: String,
    cleared_at: String,
    closed_at: String,
    disposition: String,
    comments: Vec<(String, String, String)>,
    can_acknowledge: bool,
    can_close: bool,
    error: Option<String>,
    /// The one-step report of the danger the alarm revealed, if the viewer may report there.
    danger: Option<DangerDraft>,
    today: String,
}

/// The alarm-to-danger form's fields: drafted from the alarm, or as last typed.
#[derive(Deserialize, Default, Clone)]
struct DangerDraft {
    #[serde(default)]
    location: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    responsible_person: String,
    /// Refusals in words, shown above the form.
    #[serde(skip)]
    errors: Vec<String>,
}

async fn alarm_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, error: Option<String>) -> Response {
    alarm_response_with(state, headers, user, id, error, None).await
}

async fn alarm_response_with(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, error: Option<String>, draft: Option<DangerDraft>) -> Response {
    let row = match state.app.alarm(&user.actor, &user.client, id).await {
        Ok(row) => row,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let comments = state
        .app
        .alarm_comments(&user.actor, &user.client, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(who, body, at)| (who, body, time_text(at)))
        .collect();
    let c = chrome(state, headers, &user.session, &format!("/alarms/{id}"), Some(&user.actor)).await;
    let handles = app::policy::allows(&user.actor, Action::HandleAlarm);
    let optional_time = |ms: Option<i64>| ms.map(time_text).unwrap_or_else(|| "—".into());
    let page = AlarmPage {
        first: format!("{} {}", value_text(row.first_value), row.unit),
        acknowledged_at: optional_time(row.acknowledged_at),
        cleared_at: optional_time(row.cleared_at),
        closed_at: optional_time(row.closed_at),
        disposition: row.disposition.as_deref().map(|d| c.t.get(&format!("alarm.disposition.{d}")).to_owned()).unwrap_or_else(|| "—".into()),
        can_acknowledge: handles && row.state == "raised",
        can_close: handles && row.state != "closed" && !row.condition_active,
        danger: app::policy::allows(&user.actor, Action::ReportDanger { enterprise_id: row.enterprise_id }).then(|| {
            draft.unwrap_or_else(|| DangerDraft {
                location: row.source_name.clone(),
                description: format!(
                    "{}({}){} {}: {} {}",
                    row.sensor_name,
                    row.sensor_code,
                    c.t.get(&alarm_kind_key(&row.kind, &row.severity)),
                    c.t.get("alarm.peak"),
                    value_text(row.peak_value),
                    row.unit
                ),
                grade: if row.severity == "critical" { "major".into() } else { "general".into() },
                ..Default::default()
            })
        }),
        today: domain::time::today().to_string(),
        alarm: alarm_line(&c, row.clone(), handles),
        row,
        comments,
        error,
        c,
    };
    let status = if page.danger.as_ref().is_some_and(|d| !d.errors.is_empty()) {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else if page.error.is_some() {
        axum::http::StatusCode::CONFLICT
    } else {
        axum::http::StatusCode::OK
    };
    (status, render(&page)).into_response()
}

async fn alarm_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    alarm_response(&state, &headers, &user, id, None).await
}

/// Reports the danger an alarm revealed, from the alarm's page; a refusal shows the page again
/// with the refusals named and the form as typed.
async fn report_danger(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DangerDraft>,
) -> Response {
    let input = app::hidden_dangers::DangerInput {
        location: form.location.clone(),
        description: form.description.clone(),
        grade: form.grade.clone(),
        deadline: Some(form.deadline.clone()).filter(|d| !d.trim().is_empty()),
        responsible_person: form.responsible_person.clone(),
        ..Default::default()
    };
    match state.app.report_danger_from_alarm(&user.actor, &user.client, id, &input).await {
        Ok(danger) => Redirect::to(&format!("/dangers/{}", danger.id)).into_response(),
        Err(app::AppError::Invalid(problems)) => {
            let errors = crate::pages::rendered(&headers, problems.into_iter().map(|p| p.message));
            alarm_response_with(&state, &headers, &user, id, None, Some(DangerDraft { errors, ..form })).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize, Default)]
struct AcknowledgeForm {
    /// The list it was acknowledged from (`/monitoring` or a hazard source's page), to return to.
    #[serde(default)]
    next: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AcknowledgeForm>,
) -> Response {
    match state.app.acknowledge_alarm(&user.actor, &user.client, id).await {
        Ok(_) => {
            let from_list =
                form.next == "/monitoring" || form.next.strip_prefix("/hazards/").is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
            let next = if from_list { format!("{}#alarm-live", form.next) } else { format!("/alarms/{id}") };
            Redirect::to(&next).into_response()
        }
        Err(app::AppError::IllegalTransition(message)) => alarm_response(&state, &headers, &user, id, Some(crate::pages::text(&headers, &message))).await,
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct CloseForm {
    disposition: String,
    #[serde(default)]
    comment: String,
}

async fn close(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, axum::Form(form): axum::Form<CloseForm>) -> Response {
    match state.app.close_alarm(&user.actor, &user.client, id, &form.disposition, Some(&form.comment)).await {
        Ok(_) => Redirect::to(&format!("/alarms/{id}")).into_response(),
        Err(app::AppError::IllegalTransition(message)) => alarm_response(&state, &headers, &user, id, Some(crate::pages::text(&headers, &message))).await,
        Err(app::AppError::Invalid(fields)) => {
            alarm_response(
                &state,
                &headers,
                &user,
                id,
                Some(crate::pages::text(&headers, &domain::message::Message::joined(fields.into_iter().map(|f| f.message).collect()))),
            )
            .await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn issue_ingest_token(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<TokenForm>) -> Response {
    match state.app.issue_ingest_token(&user.actor, &user.client, &form.name).await {
        Ok((_, secret)) => {
            let shown = crate::accounts::profile::SecretShown {
                heading_key: "ingest.issued",
                intro_key: "ingest.issued_intro",
                username_for_qr: None,
                secret,
                confirm_action: None,
                back_url: "/monitoring".into(),
            };
            crate::accounts::profile::secret_page(&state, &headers, &user.session, &user.actor, shown).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn revoke_ingest_token(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.revoke_ingest_token(&user.actor, &user.client, id).await {
        Ok(()) => Redirect::to("/monitoring").into_response(),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(range: &str, until: Option<&str>) -> SpanQuery {
        SpanQuery { range: Some(range.to_owned()), until: until.map(str::to_owned), ..SpanQuery::default() }
    }

    #[test]
    fn a_recent_span_ends_at_until_never_after_now_and_a_bad_end_is_named() {
        let now = 1_780_000_000_000;
        let drawn = now - 90_000;
        let span = chart_span(&query("1h", Some(&drawn.to_string())), now).unwrap();
        assert_eq!((span.from_ms, span.to_ms), (drawn - 3_600_000, drawn), "the export covers the hour that was drawn");
        let span = chart_span(&query("1h", Some(&(now + 86_400_000).to_string())), now).unwrap();
        assert_eq!(span.to_ms, now, "a span does not end in the future");
        assert_eq!(chart_span(&query("6h", None), now).unwrap().to_ms, now);
        for bad in ["yesterday", "-5", "0", "99999999999999999999999"] {
            let problem = chart_span(&query("1h", Some(bad)), now).unwrap_err();
            assert_eq!(problem.code, "monitoring.chart_until", "{bad}");
        }
    }
}
