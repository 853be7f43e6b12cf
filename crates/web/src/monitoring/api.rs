//! Major-hazard monitoring: sources, sensors, telemetry ingest, alarms, suppressions and ingest tokens: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_hazard_sources, register_hazard_source))
        .routes(routes!(register_sensors))
        .routes(routes!(region_warning_grades))
        .routes(routes!(list_sensors))
        .routes(routes!(sensor_latest))
        .routes(routes!(sensor_history))
        .merge(OpenApiRouter::new().routes(routes!(ingest_telemetry)).layer(axum::extract::DefaultBodyLimit::max(TELEMETRY_BYTES_MAX)))
        .routes(routes!(list_alarms))
        .routes(routes!(alarm_stream))
        .routes(routes!(monitoring_kpis))
        .routes(routes!(list_suppressions))
        .routes(routes!(list_ingest_tokens, issue_ingest_token))
        .routes(routes!(revoke_ingest_token))
        .routes(routes!(request_suppression))
        .routes(routes!(suppression_action))
        .routes(routes!(alarm_action))
}

#[derive(Serialize, ToSchema)]
pub struct Sensor {
    pub code: String,
    pub name: String,
    pub source_id: i64,
    pub enterprise_id: i64,
    /// `level`, `temperature`, `pressure`, `flow`, `combustible_gas` or `toxic_gas`.
    pub kind: String,
    pub unit: String,
    pub range_min: f64,
    pub range_max: f64,
    pub low_low: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub high_high: Option<f64>,
    /// Expected reporting interval in seconds.
    pub interval_s: i64,
}

impl From<app::hazard_sources::SensorRow> for Sensor {
    fn from(s: app::hazard_sources::SensorRow) -> Self {
        Self {
            code: s.code,
            name: s.name,
            source_id: s.source_id,
            enterprise_id: s.enterprise_id,
            kind: s.kind,
            unit: s.unit,
            range_min: s.range_min,
            range_max: s.range_max,
            low_low: s.low_low,
            low: s.low,
            high: s.high,
            high_high: s.high_high,
            interval_s: s.interval_s,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SensorListParams {
    pub enterprise: Option<i64>,
    /// A major hazard source's id.
    pub source: Option<i64>,
}

/// Sensors in the caller's scope with their codes and thresholds.
#[utoipa::path(get, path = "/api/v1/sensors", tag = "monitoring", params(SensorListParams),
    responses((status = 200, body = Vec<Sensor>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_sensors(State(state): State<AppState>, caller: ApiCaller, Query(params): Query<SensorListParams>) -> Result<Json<Vec<Sensor>>, ApiError> {
    let rows = state.app.sensors(&caller.actor, &caller.client, params.enterprise, params.source).await?;
    Ok(Json(rows.into_iter().map(Sensor::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct Latest {
    pub sensor: String,
    pub unit: String,
    /// Milliseconds since the epoch; absent when the sensor has not reported.
    pub ts: Option<i64>,
    pub value: Option<f64>,
}

/// A sensor's latest reading, from memory.
#[utoipa::path(get, path = "/api/v1/sensors/{code}/latest", tag = "monitoring", params(("code" = String, Path)),
    responses((status = 200, body = Latest), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn sensor_latest(State(state): State<AppState>, caller: ApiCaller, Path(code): Path<String>) -> Result<Json<Latest>, ApiError> {
    let (sensor, latest) = state.app.sensor_latest(&caller.actor, &caller.client, &code).await?;
    Ok(Json(Latest { sensor: sensor.code, unit: sensor.unit, ts: latest.map(|l| l.0), value: latest.map(|l| l.1) }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// Start, milliseconds since the epoch (inclusive).
    pub from: i64,
    /// End, milliseconds since the epoch (inclusive); at most 31 days after `from`.
    pub to: i64,
    /// Bucket width in milliseconds (1 s to 31 days); with it the answer is `{"buckets": [{start_ms, min, max, avg, count}]}`, without it `{"points": [[ts, value]]}`.
    #[param(minimum = 1000, maximum = 2_678_400_000_i64)]
    pub bucket: Option<i64>,
}

/// A sensor's stored readings, raw or downsampled.
#[utoipa::path(get, path = "/api/v1/sensors/{code}/history", tag = "monitoring", params(("code" = String, Path), HistoryParams),
    responses((status = 200, body = app::monitoring::History), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn sensor_history(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<app::monitoring::History>, ApiError> {
    Ok(Json(state.app.sensor_history(&caller.actor, &caller.client, &code, params.from, params.to, params.bucket).await?))
}

#[derive(Serialize, ToSchema)]
pub struct IngestAnswer {
    pub accepted: usize,
    /// The first 100 rejected readings: `{"index", "reason"}`; `rejected_total` counts all.
    pub rejected: Vec<app::monitoring::Rejection>,
    pub rejected_total: usize,
}

/// Largest telemetry body (100,000 readings of about 80 bytes).
pub const TELEMETRY_BYTES_MAX: usize = 8 * 1024 * 1024;
/// How long a telemetry body may take to arrive in full.
pub const TELEMETRY_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// Ingests readings of the writer's enterprise's sensors (a gateway's ingest token `awi_…`, or an
/// enterprise user's bearer token): `text/plain` lines `CODE VALUE TS_MS`,
/// or `application/json` `[{"sensor", "value", "ts"}]`. Good readings are stored durably before
/// the answer; bad ones are rejected one by one with their reason.
#[utoipa::path(post, path = "/api/v1/telemetry", tag = "monitoring", request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = IngestAnswer), (status = 400, body = ErrorBody), (status = 408, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 429, body = ErrorBody, headers(("Retry-After" = u64, description = "seconds to wait"))), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn ingest_telemetry(
    State(state): State<AppState>,
    writer: crate::identity::TelemetryWriter,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<IngestAnswer>, ApiError> {
    let enterprise_id = writer.enterprise_id;
    // The whole body within a deadline, so that a slow sender cannot hold a place for long.
    let body = match tokio::time::timeout(TELEMETRY_BODY_DEADLINE, axum::body::to_bytes(body, TELEMETRY_BYTES_MAX)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                domain::message!("monitoring.body_over_bytes_was_cut_off", telemetry_bytes_max = TELEMETRY_BYTES_MAX),
            ));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                domain::message!("monitoring.body_did_not_arrive_within_s", as_secs = TELEMETRY_BODY_DEADLINE.as_secs()),
            ));
        }
    };
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let max = app::monitoring::BATCH_READINGS_MAX;
    let too_many = |e: domain::monitoring::BatchError| ApiError::new(StatusCode::BAD_REQUEST, "bad_batch", e.message());
    let batch = match media.as_str() {
        "text/plain" => {
            let text = std::str::from_utf8(&body).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_batch", domain::message!("monitoring.body_not_utf_8_byte", valid_up_to = e.valid_up_to()))
            })?;
            domain::monitoring::parse_lines(text, max).map_err(too_many)?
        }
        "application/json" => domain::monitoring::parse_json(&body, max).map_err(too_many)?,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                domain::message!("monitoring.send_text_plain_application_json"),
            ));
        }
    };
    let outcome = state.app.ingest(enterprise_id, &batch, domain::time::now_ms()).await?;
    Ok(Json(IngestAnswer { accepted: outcome.accepted, rejected: outcome.rejected, rejected_total: outcome.rejected_total }))
}

#[derive(Serialize, ToSchema)]
pub struct Alarm {
    pub id: i64,
    pub sensor: String,
    pub sensor_name: String,
    pub source_id: i64,
    pub source_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// `high`, `low`, `rate_of_change`, `no_data`, `stuck` or `out_of_range`.
    pub kind: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// `raised`, `acknowledged`, `cleared` or `closed`.
    pub state: String,
    pub condition_active: bool,
    pub first_value: Option<f64>,
    pub peak_value: Option<f64>,
    pub retriggers: i64,
    pub raised_at: i64,
    pub acknowledged_at: Option<i64>,
    pub cleared_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub disposition: Option<String>,
    /// `enterprise`, `county`, `city` or `province`: how far up it went unacknowledged.
    pub escalation_tier: String,
}

impl From<app::monitoring::AlarmRow> for Alarm {
    fn from(a: app::monitoring::AlarmRow) -> Self {
        Self {
            id: a.id,
            sensor: a.sensor_code,
            sensor_name: a.sensor_name,
            source_id: a.source_id,
            source_name: a.source_name,
            enterprise_id: a.enterprise_id,
            enterprise_name: a.enterprise_name,
            kind: a.kind,
            severity: a.severity,
            state: a.state,
            condition_active: a.condition_active,
            first_value: a.first_value,
            peak_value: a.peak_value,
            retriggers: a.retriggers,
            raised_at: a.raised_at,
            acknowledged_at: a.acknowledged_at,
            cleared_at: a.cleared_at,
            closed_at: a.closed_at,
            disposition: a.disposition,
            escalation_tier: a.escalation_tier,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlarmListParams {
    /// `active`: unacknowledged or with the condition present.
    pub state: Option<AlarmStateFilter>,
    pub enterprise: Option<i64>,
    pub source: Option<i64>,
    /// Only alarms left unacknowledged long enough to be escalated beyond the enterprise.
    pub escalated: Option<bool>,
    /// At most 1000; default 200.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Which alarms to list by their state.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AlarmStateFilter {
    Active,
    Raised,
    Acknowledged,
    Cleared,
    Closed,
}

/// Alarms in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/alarms", tag = "monitoring", params(AlarmListParams),
    responses((status = 200, body = Vec<Alarm>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_alarms(State(state): State<AppState>, caller: ApiCaller, Query(params): Query<AlarmListParams>) -> Result<Json<Vec<Alarm>>, ApiError> {
    let filter = app::monitoring::AlarmFilter {
        state: params.state.as_ref().map(wire_name),
        enterprise_id: params.enterprise,
        source_id: params.source,
        escalated: params.escalated.unwrap_or(false),
    };
    let limit = bounded_param("limit", params.limit, 1..=1000, 200)?;
    let rows = state.app.alarms(&caller.actor, &caller.client, &filter, limit).await?;
    Ok(Json(rows.into_iter().map(Alarm::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"action": "acknowledge"}))]
pub struct AlarmActionRequest {
    pub action: AlarmMove,
    /// What the alarm turned out to be; required for `close`.
    #[serde(default)]
    pub disposition: Option<AlarmDisposition>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AlarmMove {
    Acknowledge,
    Close,
}

/// What a closed alarm turned out to be.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AlarmDisposition {
    Real,
    False,
    SensorFault,
    Maintenance,
    Test,
}

/// Acknowledges or closes an alarm (the enterprise's own users, or regulators and inspectors of its territory).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/actions", tag = "monitoring", params(("id" = i64, Path)), request_body = AlarmActionRequest,
    responses((status = 200, body = Alarm), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn alarm_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(request): Json<AlarmActionRequest>,
) -> Result<Json<Alarm>, ApiError> {
    if request.comment.as_ref().is_some_and(|comment| comment.chars().count() > 2000) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", domain::message!("monitoring.comment_most_2000_characters")));
    }
    let row = match request.action {
        AlarmMove::Acknowledge => state.app.acknowledge_alarm(&caller.actor, &caller.client, id).await?,
        AlarmMove::Close => {
            let disposition = request.disposition.as_ref().map(wire_name).unwrap_or_default();
            state.app.close_alarm(&caller.actor, &caller.client, id, &disposition, request.comment.as_deref()).await?
        }
    };
    Ok(Json(row.into()))
}

#[derive(Serialize, ToSchema)]
pub struct HazardSource {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub name: String,
    /// `production` or `storage`.
    pub unit_kind: String,
    pub s: f64,
    pub r: f64,
    pub major: bool,
    /// 1 (一级, most dangerous) to 4; absent when not a major hazard source.
    pub level: Option<i64>,
    pub principal_person: String,
    pub technical_person: String,
    pub operating_person: String,
    /// Early-warning grade from the active alarms: `red`, `orange`, `yellow`, `blue`; absent when none is active.
    pub warning_grade: Option<String>,
    pub active_alarms: usize,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceListParams {
    pub enterprise: Option<i64>,
}

/// Major hazard sources in the caller's scope, most dangerous first.
#[utoipa::path(get, path = "/api/v1/hazard-sources", tag = "monitoring", params(SourceListParams),
    responses((status = 200, body = Vec<HazardSource>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_hazard_sources(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<SourceListParams>,
) -> Result<Json<Vec<HazardSource>>, ApiError> {
    let rows = state.app.source_warnings(&caller.actor, &caller.client).await?;
    Ok(Json(
        rows.iter()
            .filter(|w| params.enterprise.is_none_or(|e| w.source.enterprise_id == e))
            .map(|w| (w.grade, w.active_alarms, w.source.clone()))
            .map(|(grade, active_alarms, h)| HazardSource {
                warning_grade: grade.map(|g| g.as_str().to_owned()),
                active_alarms,
                id: h.id,
                enterprise_id: h.enterprise_id,
                enterprise_name: h.enterprise_name,
                name: h.name,
                unit_kind: h.unit_kind,
                s: h.s_value,
                r: h.r_value,
                major: h.is_major,
                level: h.level,
                principal_person: h.principal_person,
                technical_person: h.technical_person,
                operating_person: h.operating_person,
            })
            .collect(),
    ))
}

/// A registered source with its GB 18218-2018 grading.
#[derive(Serialize, ToSchema)]
pub struct RegisteredSource {
    pub id: i64,
    pub s: f64,
    pub r: f64,
    pub major: bool,
    /// 1 (一级, the highest) to 4, absent when it is not a major hazard source.
    pub level: Option<i64>,
}

/// Register a production or storage unit of an enterprise (its own users, or a regulator or
/// inspector of its territory), graded by GB 18218-2018 from its chemicals. Body:
/// `{"enterprise_id", "name", "unit_kind": "production"|"storage", "people_nearby",
/// "principal_person", "technical_person", "operating_person", "chemicals": ["SUBSTANCE[:CODES]=TONNES", …]}`
/// where SUBSTANCE is a CAS number, a table-1 name or a table-2 category; every problem is
/// reported at once in `fields`.
#[utoipa::path(post, path = "/api/v1/hazard-sources", tag = "monitoring", request_body = app::hazard_sources::HazardSourceInput,
    responses((status = 201, body = RegisteredSource), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn register_hazard_source(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<app::hazard_sources::HazardSourceInput>,
) -> Result<(StatusCode, Json<RegisteredSource>), ApiError> {
    let id = state.app.add_hazard_source(&caller.actor, &caller.client, &input).await?;
    let (source, _, _) = state.app.hazard_source(&caller.actor, &caller.client, id).await?;
    Ok((StatusCode::CREATED, Json(RegisteredSource { id, s: source.s_value, r: source.r_value, major: source.is_major, level: source.level })))
}

/// Register monitoring points of a source, all or none (1 to 500 at a time); monitoring starts at
/// once. Body: `[{"code", "name", "kind", "unit", "range_min", "range_max", "thresholds":
/// {"low_low", "low", "high", "high_high"}, "interval_s", "rules"}]`; left-out rule settings take
/// the kind's defaults.
#[utoipa::path(post, path = "/api/v1/hazard-sources/{id}/sensors", tag = "monitoring", params(("id" = i64, Path)), request_body = Vec<app::hazard_sources::SensorInput>,
    responses((status = 201, body = Vec<Sensor>), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn register_sensors(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(inputs): Json<Vec<app::hazard_sources::SensorInput>>,
) -> Result<(StatusCode, Json<Vec<Sensor>>), ApiError> {
    let rows = state.app.add_sensors(&caller.actor, &caller.client, id, &inputs).await?;
    Ok((StatusCode::CREATED, Json(rows.into_iter().map(Sensor::from).collect())))
}

/// Each child region's major hazard sources by early-warning grade, and the highest grade there.
#[utoipa::path(get, path = "/api/v1/regions/{code}/warning-grades", tag = "monitoring", params(("code" = String, Path)),
    responses((status = 200, body = Vec<app::monitoring::RegionWarnings>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn region_warning_grades(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<Vec<app::monitoring::RegionWarnings>>, ApiError> {
    Ok(Json(state.app.region_warnings(&caller.actor, &caller.client, &code).await?))
}

/// How often an open live alarm stream asks again whether its credential still holds, when no
/// event has made it ask.
pub const LIVE_STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a check of the credential stands for the events that follow it.
pub const LIVE_STREAM_EVENT_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Alarm changes as server-sent events: an `alarm` event `{"ids": [...]}` naming the alarms in the
/// caller's scope that were raised, changed or handled; `resync` when events were missed.
#[utoipa::path(get, path = "/api/v1/alarms/stream", tag = "monitoring",
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)), security(("bearer" = [])))]
async fn alarm_stream(State(state): State<AppState>, caller: ApiCaller, recheck: crate::identity::Recheck) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, KeepAlive, Sse};
    if policy_sees_nothing(&caller.actor) {
        return Err(state.app.denied(&caller.actor, &caller.client, "alarm.read", "alarms".into()).await.into());
    }
    let (receiver, slot) = match state.app.subscribe_alarms(Some(caller.actor.user_id)) {
        Ok(subscription) => subscription,
        Err(app::monitoring::LiveRefusal::UserLimit) => {
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_streams", domain::message!("monitoring.you_have_too_many_live_connections"))
                .with_retry_after(30));
        }
        Err(app::monitoring::LiveRefusal::Full) => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", domain::message!("monitoring.too_many_live_connections_retry_shortly"))
                .with_retry_after(10));
        }
    };
    let actor = caller.actor;
    let recheck = std::sync::Arc::new(recheck);
    // The credential is asked again before an event goes out (unless it was within the last
    // LIVE_STREAM_EVENT_RECHECK) and after LIVE_STREAM_RECHECK without one; the stream ends once
    // it no longer holds. `checked` is when it last held (none yet: the first event asks).
    let events = futures_util::stream::unfold((receiver, slot, None::<tokio::time::Instant>), move |(mut receiver, slot, mut checked)| {
        let (state, actor, recheck) = (state.clone(), actor.clone(), recheck.clone());
        async move {
            let opened = tokio::time::Instant::now();
            loop {
                let idle_deadline = checked.unwrap_or(opened) + LIVE_STREAM_RECHECK;
                let received = match tokio::time::timeout_at(idle_deadline, receiver.recv()).await {
                    Ok(received) => received,
                    Err(_) if recheck.still_holds(&state, &actor).await => {
                        checked = Some(tokio::time::Instant::now());
                        continue;
                    }
                    Err(_) => return None,
                };
                let event = match received {
                    Ok(notice) => {
                        let visible = state.app.visible_alarm_ids(&actor, &notice.alarm_ids).await.unwrap_or_default();
                        if visible.is_empty() {
                            continue;
                        }
                        Event::default().event("alarm").data(serde_json::json!({"ids": visible}).to_string())
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                };
                if checked.is_none_or(|at| at.elapsed() >= LIVE_STREAM_EVENT_RECHECK) {
                    if !recheck.still_holds(&state, &actor).await {
                        return None;
                    }
                    checked = Some(tokio::time::Instant::now());
                }
                return Some((Ok::<_, std::convert::Infallible>(event), (receiver, slot, checked)));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

fn policy_sees_nothing(actor: &app::Actor) -> bool {
    app::policy::enterprise_visibility(actor) == domain::access::Visibility::Nothing
}

#[derive(Serialize, ToSchema)]
pub struct Suppression {
    pub id: i64,
    pub sensor: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// `shelve` or `maintenance`.
    pub kind: String,
    pub reason: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// `requested`, `approved`, `rejected` or `cancelled`.
    pub state: String,
    pub decision_note: Option<String>,
    /// Alarm transitions held back while it ran.
    pub suppressed_events: i64,
}

impl From<app::alarm_suppressions::SuppressionRow> for Suppression {
    fn from(w: app::alarm_suppressions::SuppressionRow) -> Self {
        Self {
            id: w.id,
            sensor: w.sensor_code,
            enterprise_id: w.enterprise_id,
            enterprise_name: w.enterprise_name,
            kind: w.kind,
            reason: w.reason,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            state: w.state,
            decision_note: w.decision_note,
            suppressed_events: w.suppressed_events,
        }
    }
}

/// Shelving and maintenance windows in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/suppressions", tag = "monitoring",
    responses((status = 200, body = Vec<Suppression>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_suppressions(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Suppression>>, ApiError> {
    Ok(Json(state.app.suppressions(&caller.actor, &caller.client, None).await?.into_iter().map(Suppression::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"kind": "shelve", "reason": "探测器校验", "minutes": 60}))]
pub struct SuppressionRequest {
    /// `shelve` (at most 8 hours) or `maintenance` (at most 72 hours).
    pub kind: SuppressionKind,
    /// Why (not blank).
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
    /// Milliseconds since the epoch; now when absent.
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[schema(minimum = 1, maximum = 4320)]
    pub minutes: u32,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    Shelve,
    Maintenance,
}

/// The enterprise asks to shelve a sensor's alarms or to take it into maintenance; a regulator decides.
#[utoipa::path(post, path = "/api/v1/sensors/{code}/suppressions", tag = "monitoring", params(("code" = String, Path)), request_body = SuppressionRequest,
    responses((status = 201, body = Suppression), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn request_suppression(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
    Json(request): Json<SuppressionRequest>,
) -> Result<(StatusCode, Json<Suppression>), ApiError> {
    let input = app::alarm_suppressions::SuppressionInput {
        kind: wire_name(&request.kind),
        reason: request.reason,
        starts_at: request.starts_at,
        minutes: request.minutes,
    };
    let id = state.app.request_suppression(&caller.actor, &caller.client, &code, &input, domain::time::now_ms()).await?;
    Ok((StatusCode::CREATED, Json(state.app.suppression(&caller.actor, &caller.client, id).await?.into())))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"action": "approve", "note": "同意"}))]
pub struct SuppressionActionRequest {
    /// `approve` or `reject` (a regulator of the territory), `end` (the enterprise or a regulator).
    pub action: SuppressionMove,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionMove {
    Approve,
    Reject,
    End,
}

/// Decides on or ends a shelving or maintenance window.
#[utoipa::path(post, path = "/api/v1/suppressions/{id}/actions", tag = "monitoring", params(("id" = i64, Path)), request_body = SuppressionActionRequest,
    responses((status = 200, body = Suppression), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
async fn suppression_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(request): Json<SuppressionActionRequest>,
) -> Result<Json<Suppression>, ApiError> {
    let row = match request.action {
        SuppressionMove::Approve => state.app.decide_suppression(&caller.actor, &caller.client, id, true, request.note.as_deref()).await?,
        SuppressionMove::Reject => state.app.decide_suppression(&caller.actor, &caller.client, id, false, request.note.as_deref()).await?,
        SuppressionMove::End => state.app.end_suppression(&caller.actor, &caller.client, id).await?,
    };
    Ok(Json(row.into()))
}

#[derive(Serialize, ToSchema)]
pub struct IngestToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The caller's enterprise's ingest tokens (enterprise users only).
#[utoipa::path(get, path = "/api/v1/ingest-tokens", tag = "monitoring",
    responses((status = 200, body = Vec<IngestToken>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_ingest_tokens(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<IngestToken>>, ApiError> {
    let rows = state.app.ingest_tokens(&caller.actor, &caller.client).await?;
    Ok(Json(rows.into_iter().map(|(id, name, created_at, revoked_at)| IngestToken { id, name, created_at, revoked_at }).collect()))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "1号采集网关"}))]
pub struct IngestTokenRequest {
    /// What the token is for, e.g. the gateway's name (not blank).
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedIngestToken {
    pub id: i64,
    /// Shown once: only its hash is kept.
    pub token: String,
}

/// Issues a token a gateway writes the enterprise's telemetry with, and nothing else.
#[utoipa::path(post, path = "/api/v1/ingest-tokens", tag = "monitoring", request_body = IngestTokenRequest,
    responses((status = 201, body = IssuedIngestToken), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn issue_ingest_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(request): Json<IngestTokenRequest>,
) -> Result<(StatusCode, Json<IssuedIngestToken>), ApiError> {
    let (id, token) = state.app.issue_ingest_token(&caller.actor, &caller.client, &request.name).await?;
    Ok((StatusCode::CREATED, Json(IssuedIngestToken { id, token })))
}

/// Revokes one of the enterprise's ingest tokens.
#[utoipa::path(delete, path = "/api/v1/ingest-tokens/{id}", tag = "monitoring", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn revoke_ingest_token(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.app.revoke_ingest_token(&caller.actor, &caller.client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// The period ending now, in hours (1 to 744); default 24.
    #[param(minimum = 1, maximum = 744)]
    pub hours: Option<u32>,
}

/// Alarm quality (alarms per hour, chattering, standing, shelved, share by disposition) and data
/// quality (sensors online, completeness) per enterprise in the caller's scope.
#[utoipa::path(get, path = "/api/v1/monitoring/kpis", tag = "monitoring", params(KpiParams),
    responses((status = 200, body = Vec<app::monitoring::EnterpriseKpi>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn monitoring_kpis(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<KpiParams>,
) -> Result<Json<Vec<app::monitoring::EnterpriseKpi>>, ApiError> {
    Ok(Json(state.app.monitoring_kpis(&caller.actor, &caller.client, params.hours.unwrap_or(24)).await?.as_ref().clone()))
}
