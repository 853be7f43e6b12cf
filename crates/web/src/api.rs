//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//! People's browsers use it with their session (and CSRF header); machines with a bearer token
//! from `POST /api/v1/auth/login`.

use app::enterprises::ListQuery;
use axum::extract::State;
use axum::http::StatusCode;
use domain::enterprises::EnterpriseInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api_extract::{Json, Path, Query};
use crate::error::{ApiError, ErrorBody};
use crate::identity::{ApiCaller, client_of};

#[derive(OpenApi)]
#[openapi(
    info(title = "anwei API", description = "安全生产监管平台 anwei: work-safety supervision platform API. Errors are `{\"code\", \"message\"}` with stable snake_case codes."),
    components(schemas(
        ErrorBody,
        AlarmStateFilter,
        app::assessment::Tier,
        domain::enterprises::HighRiskSector,
        domain::hidden_dangers::DangerGrade,
        domain::hidden_dangers::DangerState
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The API; the login route is throttled per client by `login_throttle`.
pub fn router(login_throttle: crate::security::LoginThrottle) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(OpenApiRouter::new().routes(routes!(login)).layer(login_throttle))
        .routes(routes!(me))
        .routes(routes!(my_tokens))
        .routes(routes!(revoke_my_token))
        .routes(routes!(list_plans))
        .routes(routes!(plan_matrix))
        .routes(routes!(list_assignments))
        .routes(routes!(get_assignment))
        .routes(routes!(assignment_action))
        .routes(routes!(create_report))
        .routes(routes!(assessment_ranking))
        .routes(routes!(list_measures))
        .routes(routes!(list_dangers, report_danger))
        .routes(routes!(get_danger))
        .routes(routes!(danger_action))
        .routes(routes!(list_danger_supervision))
        .routes(routes!(enterprise_risk_points, add_risk_point))
        .routes(routes!(region_risk_profile))
        .routes(routes!(list_checklists))
        .routes(routes!(run_checklist))
        .routes(routes!(campaign_progress))
        .routes(routes!(file_commitment))
        .routes(routes!(missing_commitments))
        .routes(routes!(list_enterprises, create_enterprise))
        .routes(routes!(get_enterprise, update_enterprise))
        .routes(routes!(list_regions))
        .routes(routes!(region_enterprise_counts))
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

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(max_length = 200)]
    pub username: String,
    #[schema(max_length = 1000)]
    pub password: String,
    /// The current one-time code, where the account has a second factor.
    #[serde(default)]
    pub totp: Option<String>,
    /// A name for the token, shown in the user's token list.
    #[serde(default)]
    pub token_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Expiry as RFC 3339 UTC.
    pub expires_at: String,
}

/// Exchange a user name and password (and one-time code) for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, description = "too many attempts from this client; try again after Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn login(State(state): State<AppState>, parts: axum::http::request::Parts, Json(request): Json<LoginRequest>) -> Result<Json<LoginResponse>, ApiError> {
    use app::auth::{LoginError, TokenLoginError};
    let client = client_of(&parts);
    let name = request.token_name.unwrap_or_else(|| "api".into());
    let (token, expires_at) =
        state.app.login_for_token(&request.username, &request.password, request.totp.as_deref(), &name, &client).await.map_err(|error| match error {
            TokenLoginError::Login(error) => {
                let code = match error {
                    LoginError::InvalidCredentials => "invalid_credentials",
                    LoginError::SecondFactorRequired => "second_factor_required",
                    LoginError::SecondFactorInvalid => "second_factor_invalid",
                    LoginError::Unavailable => "login_unavailable",
                };
                ApiError::new(StatusCode::UNAUTHORIZED, code, error.to_string())
            }
            TokenLoginError::PasswordChangeRequired => ApiError::new(StatusCode::FORBIDDEN, "password_change_required", error.to_string()),
            TokenLoginError::App(error) => error.into(),
        })?;
    let expires_at = jiff::Timestamp::from_millisecond(expires_at).map(|t| t.to_string()).unwrap_or_default();
    Ok(Json(LoginResponse { token, expires_at }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseListParams {
    /// Region code; the list is limited to its subtree (an unknown code answers 404).
    #[param(pattern = r"^[1-9][0-9]{5}$")]
    pub region: Option<String>,
    /// Part of the name or credit code.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// High-risk sector.
    pub sector: Option<domain::enterprises::HighRiskSector>,
    /// GB/T 4754 section letter.
    #[param(pattern = r"^[A-T]$")]
    pub industry: Option<String>,
    /// Page number from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Rows per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The name a unit variant of the API's enums has on the wire (its serde name, which is also
/// the value the OpenAPI document lists), as the use cases take it.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
}

/// A region code parameter: six digits when given.
fn region_param(region: Option<String>) -> Result<Option<String>, ApiError> {
    match region {
        Some(code) if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') => {
            Err(bad_query("region 应为6位行政区划代码 / region must be a six-digit region code"))
        }
        other => Ok(other),
    }
}

/// An integer parameter within `range`, named in the refusal.
fn bounded_param(name: &str, value: Option<i64>, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i64, ApiError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(bad_query(format!("{name} 应在{}至{}之间 / {name} must be {} to {}", range.start(), range.end(), range.start(), range.end())))
    }
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseListItem {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub industry: String,
    pub scale: String,
    pub standardization: String,
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseList {
    pub items: Vec<EnterpriseListItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// List the enterprises visible to the caller.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises", params(EnterpriseListParams),
    responses((status = 200, body = EnterpriseList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_enterprises(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<EnterpriseListParams>,
) -> Result<Json<EnterpriseList>, ApiError> {
    if params.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(bad_query("q 最多100字 / q: at most 100 characters"));
    }
    if params.industry.as_deref().is_some_and(|i| !domain::enterprises::IndustrySection::ALL.iter().any(|section| section.key() == i)) {
        return Err(bad_query("industry 应为GB/T 4754门类字母A–T / industry must be a GB/T 4754 section letter A–T"));
    }
    let query = ListQuery {
        query: params.q,
        region_code: region_param(params.region)?,
        sector: params.sector.map(|sector| sector.key().to_owned()),
        industry: params.industry,
    };
    let page = bounded_param("page", params.page, 1..=1_000_000, 1)?;
    let per_page = bounded_param("per_page", params.per_page, 1..=app::enterprises::PAGE_SIZE_MAX, 50)?;
    let result = state.app.list_enterprises(&caller.actor, &caller.client, &query, page, per_page).await?;
    Ok(Json(EnterpriseList {
        items: result
            .items
            .into_iter()
            .map(|e| EnterpriseListItem {
                id: e.id,
                credit_code: e.credit_code,
                name: e.name,
                region_code: e.region_code,
                region_name: e.region_name,
                industry: e.industry,
                scale: e.scale,
                standardization: e.standardization,
            })
            .collect(),
        total: result.total,
        page,
        per_page,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseDetail {
    pub id: i64,
    /// Pass back as `version` when saving, to detect concurrent edits.
    pub version: i64,
    pub region_name: String,
    /// Every field in the same text form that create and update take.
    pub fields: EnterpriseInput,
    pub updated_at: String,
}

/// One enterprise; 404 when it does not exist or is outside the caller's scope.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)),
    responses((status = 200, body = EnterpriseDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn get_enterprise(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<EnterpriseDetail>, ApiError> {
    let stored = state.app.enterprise(&caller.actor, &caller.client, id).await?;
    Ok(Json(EnterpriseDetail {
        id: stored.id,
        version: stored.version,
        region_name: stored.region_name.clone(),
        fields: stored.enterprise.to_input(),
        updated_at: jiff::Timestamp::from_millisecond(stored.updated_at).map(|t| t.to_string()).unwrap_or_default(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Register an enterprise. Fields are text as in the import columns; every problem is reported
/// at once in `fields`.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises", request_body = domain::enterprises::EnterpriseInput,
    responses((status = 201, body = Created), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn create_enterprise(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<EnterpriseInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.create_enterprise(&caller.actor, &caller.client, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema)]
pub struct EnterpriseUpdate {
    /// The version read; a stale version answers 409 `conflict`.
    pub version: i64,
    pub fields: EnterpriseInput,
}

/// Replace an enterprise's fields.
#[utoipa::path(put, path = "/api/v1/enterprises/{id}", tag = "enterprises", params(("id" = i64, Path)), request_body = EnterpriseUpdate,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn update_enterprise(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(update): Json<EnterpriseUpdate>,
) -> Result<StatusCode, ApiError> {
    state.app.update_enterprise(&caller.actor, &caller.client, id, update.version, &update.fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RegionNode {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

/// The region tree (province → city → county) as loaded.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", responses((status = 200, body = Vec<RegionNode>)), security(("bearer" = [])))]
async fn list_regions(State(state): State<AppState>, _caller: ApiCaller) -> Result<Json<Vec<RegionNode>>, ApiError> {
    let regions = state.app.regions_under("").await?;
    let mut children: std::collections::HashMap<Option<String>, Vec<&domain::region::Region>> = std::collections::HashMap::new();
    for region in &regions {
        children.entry(region.parent_code.as_ref().map(|c| c.to_string())).or_default().push(region);
    }
    fn build(parent: Option<String>, children: &std::collections::HashMap<Option<String>, Vec<&domain::region::Region>>, depth: usize) -> Vec<RegionNode> {
        if depth > 4 {
            return Vec::new();
        }
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|r| RegionNode {
                        code: r.code.to_string(),
                        name: r.name.clone(),
                        level: r.level.as_str().into(),
                        parent_code: r.parent_code.as_ref().map(|c| c.to_string()),
                        children: build(Some(r.code.to_string()), children, depth + 1),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    Ok(Json(build(None, &children, 0)))
}

#[derive(Serialize, ToSchema)]
pub struct RegionCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

/// Number of visible enterprises under each child region of `code` (for the map).
#[utoipa::path(get, path = "/api/v1/regions/{code}/enterprise-counts", tag = "regions", params(("code" = String, Path)),
    responses((status = 200, body = Vec<RegionCount>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn region_enterprise_counts(State(state): State<AppState>, caller: ApiCaller, Path(code): Path<String>) -> Result<Json<Vec<RegionCount>>, ApiError> {
    let counts = state.app.enterprise_counts_by_child_region(&caller.actor, &code).await?;
    Ok(Json(counts.into_iter().map(|c| RegionCount { code: c.code, name: c.name, count: c.count }).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// Role key, e.g. `regulator`.
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// Region path of the caller's unit (its scope), e.g. `220000/220100/`.
    pub region_path: Option<String>,
    pub enterprise_id: Option<i64>,
}

/// The caller: who the token or session stands for, and its scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn me(caller: ApiCaller) -> Json<Me> {
    let actor = caller.actor;
    Json(Me {
        user_id: actor.user_id,
        username: actor.username,
        display_name: actor.display_name,
        role: actor.role.key().into(),
        unit_id: actor.unit_id,
        unit_name: actor.unit_name,
        region_path: actor.region_path,
        enterprise_id: actor.enterprise_id,
    })
}

#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

fn rfc3339(epoch_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(epoch_ms).map(|t| t.to_string()).unwrap_or_default()
}

/// The caller's own API tokens (never the token values, which are stored only as hashes).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn my_tokens(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state.app.own_tokens(&caller.actor).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                created_at: rfc3339(t.created_at),
                expires_at: rfc3339(t.expires_at),
                last_used_at: t.last_used_at.map(rfc3339),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
    ))
}

/// Revoke one of the caller's own tokens; another user's token id answers 404.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn revoke_my_token(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.app.revoke_own_token(&caller.actor, &caller.client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The work plans in which the caller sees assignments or which it supervises.
#[utoipa::path(get, path = "/api/v1/plans", tag = "work plans", responses((status = 200, body = Vec<app::workplans::PlanSummary>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn list_plans(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<app::workplans::PlanSummary>>, ApiError> {
    Ok(Json(state.app.visible_plans(&caller.actor, &caller.client).await?))
}

/// A plan's items × units matrix within the caller's scope; each cell has its status and
/// whether it is overdue.
#[utoipa::path(get, path = "/api/v1/plans/{id}/matrix", tag = "work plans", params(("id" = i64, Path)),
    responses((status = 200, body = app::workplans::PlanMatrix), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn plan_matrix(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<app::workplans::PlanMatrix>, ApiError> {
    Ok(Json(state.app.plan_matrix(&caller.actor, &caller.client, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentListParams {
    /// Only assignments past a deadline without the report it asks for.
    pub overdue: Option<bool>,
}

/// The caller's assignments across plans (a unit's inbox; a regulator's territory).
#[utoipa::path(get, path = "/api/v1/assignments", tag = "work plans", params(AssignmentListParams),
    responses((status = 200, body = Vec<app::workplans::AssignmentView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn list_assignments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<AssignmentListParams>,
) -> Result<Json<Vec<app::workplans::AssignmentView>>, ApiError> {
    Ok(Json(state.app.assignment_list(&caller.actor, &caller.client, params.overdue.unwrap_or(false)).await?))
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentReport {
    pub id: i64,
    pub period: String,
    pub body: String,
    pub submitted_by: String,
    pub submitted_at: String,
    pub review: Option<String>,
    pub review_comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentDocument {
    pub assignment: app::workplans::AssignmentView,
    pub groups: Vec<String>,
    pub reports: Vec<AssignmentReport>,
    pub may_report: bool,
    pub may_review: bool,
    pub may_reopen: bool,
}

/// One assignment with its reports and what the caller may do to it; 404 outside the scope.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "work plans", params(("id" = i64, Path)),
    responses((status = 200, body = AssignmentDocument), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn get_assignment(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<AssignmentDocument>, ApiError> {
    let detail = state.app.assignment_detail(&caller.actor, &caller.client, id).await?;
    Ok(Json(AssignmentDocument {
        reports: detail
            .reports
            .into_iter()
            .map(|r| AssignmentReport {
                id: r.id,
                period: r.period,
                body: r.body,
                submitted_by: r.submitter_name,
                submitted_at: rfc3339(r.submitted_at),
                review: r.review,
                review_comment: r.review_comment,
            })
            .collect(),
        assignment: detail.assignment,
        groups: detail.groups,
        may_report: detail.may_report,
        may_review: detail.may_review,
        may_reopen: detail.may_reopen,
    }))
}

/// A move of an assignment: its unit starts it; the reviewer accepts or returns a report; the
/// plan's office reopens it in a 回头看 round.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMove {
    Start,
    Accept,
    Return,
    Reopen,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"action": "start"}))]
pub struct AssignmentAction {
    pub action: AssignmentMove,
    /// The reason for `return`.
    #[serde(default)]
    pub comment: String,
    /// The 回头看 round for `reopen`.
    pub round_id: Option<i64>,
    /// The reason for `reopen`.
    #[serde(default)]
    pub reason: String,
}

/// Move an assignment: illegal moves answer 409 `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/actions", tag = "work plans", params(("id" = i64, Path)), request_body = AssignmentAction,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn assignment_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(action): Json<AssignmentAction>,
) -> Result<StatusCode, ApiError> {
    let (actor, client) = (&caller.actor, &caller.client);
    match action.action {
        AssignmentMove::Start => state.app.start_assignment(actor, client, id).await?,
        AssignmentMove::Accept => state.app.review_assignment(actor, client, id, true, &action.comment).await?,
        AssignmentMove::Return => state.app.review_assignment(actor, client, id, false, &action.comment).await?,
        AssignmentMove::Reopen => state.app.reopen_assignment(actor, client, id, action.round_id.unwrap_or(0), &action.reason).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"period": "interim", "body": "已完成本季度宣贯教育活动3场，覆盖重点企业42家。"}))]
pub struct NewReport {
    pub period: domain::supervision::ReportPeriod,
    /// The report's text (not blank).
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub body: String,
}

/// Report progress on an assignment (evidence files are uploaded through the page).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/reports", tag = "work plans", params(("id" = i64, Path)), request_body = NewReport,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn create_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(report): Json<NewReport>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.report_progress(&caller.actor, &caller.client, id, report.period.key(), &report.body, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The year (default: this year).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i64>,
    /// Which units to rank (default `cities`).
    pub tier: Option<app::assessment::Tier>,
}

/// The assessment ranking for a year, for the committee office that runs it.
#[utoipa::path(get, path = "/api/v1/assessment", tag = "assessment", params(RankingParams),
    responses((status = 200, body = Vec<app::assessment::RankingRow>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn assessment_ranking(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<RankingParams>,
) -> Result<Json<Vec<app::assessment::RankingRow>>, ApiError> {
    let tier = params.tier.unwrap_or(app::assessment::Tier::Cities);
    let this_year = i64::from(domain::time::this_year());
    let year = bounded_param("year", params.year, 2000..=2100, this_year)?;
    Ok(Json(state.app.assessment_ranking(&caller.actor, &caller.client, year, tier).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Measure {
    pub id: i64,
    /// `interview`, `notice`, `exposure`, `reminder` or `referral`.
    pub kind: String,
    pub target_unit_id: i64,
    pub target_unit_name: String,
    pub target_person: String,
    pub reason: String,
    pub decided_on: String,
    pub public: bool,
    pub follow_up: String,
    pub outcome: String,
}

/// Accountability measures against units of the committee office's territory.
#[utoipa::path(get, path = "/api/v1/accountability", tag = "assessment", responses((status = 200, body = Vec<Measure>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_measures(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Measure>>, ApiError> {
    let measures = state.app.measures(&caller.actor, &caller.client).await?;
    Ok(Json(
        measures
            .into_iter()
            .map(|m| Measure {
                id: m.id,
                kind: m.kind,
                target_unit_id: m.target_unit_id,
                target_unit_name: m.target_unit_name,
                target_person: m.target_person,
                reason: m.reason,
                decided_on: m.decided_on,
                public: m.public,
                follow_up: m.follow_up,
                outcome: m.outcome,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DangerListParams {
    /// Region code (city or county); the list is limited to its subtree.
    #[param(pattern = r"^[1-9][0-9]{5}$")]
    pub region: Option<String>,
    pub enterprise: Option<i64>,
    pub grade: Option<domain::hidden_dangers::DangerGrade>,
    pub state: Option<domain::hidden_dangers::DangerState>,
    /// Only those past their deadline and not closed.
    pub overdue: Option<bool>,
    /// Only those under listed supervision (挂牌督办).
    pub listed: Option<bool>,
}

/// Hidden dangers in the caller's scope, deadline first.
#[utoipa::path(get, path = "/api/v1/hidden-dangers", tag = "hidden dangers", params(DangerListParams),
    responses((status = 200, body = Vec<app::hidden_dangers::DangerJson>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_dangers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(params): Query<DangerListParams>,
) -> Result<Json<Vec<app::hidden_dangers::DangerJson>>, ApiError> {
    let filter = store::DangerFilter {
        region_code: region_param(params.region)?,
        enterprise_id: params.enterprise,
        grade: params.grade.map(|grade| grade.key().to_owned()),
        state: params.state.map(|state| state.key().to_owned()),
        overdue_on: None,
        listed: params.listed,
    };
    let rows = state.app.danger_list(&caller.actor, &caller.client, &filter, params.overdue.unwrap_or(false)).await?;
    Ok(Json(rows.iter().map(app::hidden_dangers::danger_json).collect()))
}

/// Report a hidden danger; it starts `reported`.
#[utoipa::path(post, path = "/api/v1/hidden-dangers", tag = "hidden dangers", request_body = app::hidden_dangers::DangerInput,
    responses((status = 201, body = app::hidden_dangers::DangerJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn report_danger(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<app::hidden_dangers::DangerInput>,
) -> Result<(StatusCode, Json<app::hidden_dangers::DangerJson>), ApiError> {
    let row = state.app.report_danger(&caller.actor, &caller.client, &input).await?;
    Ok((StatusCode::CREATED, Json(app::hidden_dangers::danger_json(&row))))
}

/// One hidden danger with its history and the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/hidden-dangers/{id}", tag = "hidden dangers", params(("id" = i64, Path)),
    responses((status = 200, body = app::hidden_dangers::DangerView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn get_danger(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<app::hidden_dangers::DangerView>, ApiError> {
    Ok(Json(state.app.danger_view(&caller.actor, &caller.client, id).await?))
}

/// Move a hidden danger: `{"action": "confirm|plan|start|submit|accept|reject|reopen", …}`. `plan`
/// carries goal, measures, funds, organization, deadline, safety_measures, emergency_plan (all
/// seven for a 重大 danger); `reject` and `reopen` carry `reason`. Illegal moves answer 409
/// `illegal_transition`; missing plan elements 422 naming them.
#[utoipa::path(post, path = "/api/v1/hidden-dangers/{id}/actions", tag = "hidden dangers", params(("id" = i64, Path)), request_body = app::hidden_dangers::DangerActionInput,
    responses((status = 200, body = app::hidden_dangers::DangerJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn danger_action(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<app::hidden_dangers::DangerActionInput>,
) -> Result<Json<app::hidden_dangers::DangerJson>, ApiError> {
    let row = state.app.act_on_danger(&caller.actor, &caller.client, id, &input).await?;
    Ok(Json(app::hidden_dangers::danger_json(&row)))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"deadline": "2027-03-31", "notice": "对该重大事故隐患实行挂牌督办，限期整改。"}))]
pub struct ListingRequest {
    /// The supervision deadline, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub deadline: String,
    /// The published notice (not blank).
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub notice: String,
}

/// Put a 重大 hidden danger under listed supervision (挂牌督办) by the caller's regulator.
#[utoipa::path(post, path = "/api/v1/hidden-dangers/{id}/listing", tag = "hidden dangers", params(("id" = i64, Path)), request_body = ListingRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn list_danger_supervision(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(request): Json<ListingRequest>,
) -> Result<StatusCode, ApiError> {
    state.app.list_danger(&caller.actor, &caller.client, id, &request.deadline, &request.notice).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RiskPoint {
    pub id: i64,
    pub name: String,
    pub hazard_type: String,
    pub controls: String,
    pub responsible_level: String,
    pub responsible_person: String,
    pub method: String,
    pub factors: RiskFactors,
    pub score: f64,
    /// `major`, `larger`, `general` or `low`.
    pub level: String,
    /// `red`, `orange`, `yellow` or `blue`.
    pub color: String,
}

/// The factors a risk point was graded from: L, E and C for LEC; L and S for the matrix.
#[derive(Serialize, Deserialize, Default, ToSchema)]
pub struct RiskFactors {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseRisk {
    pub points: Vec<RiskPoint>,
    pub profile: domain::risk_points::RiskProfile,
}

/// An enterprise's risk points and its four-colour profile (derived from the points).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/risk-points", tag = "risk", params(("id" = i64, Path)),
    responses((status = 200, body = EnterpriseRisk), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn enterprise_risk_points(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<EnterpriseRisk>, ApiError> {
    let (points, profile) = state.app.enterprise_risk(&caller.actor, &caller.client, id).await?;
    Ok(Json(EnterpriseRisk {
        points: points
            .into_iter()
            .map(|p| RiskPoint {
                color: domain::risk_points::RiskLevel::parse(&p.level).map(|l| l.color()).unwrap_or("").into(),
                id: p.id,
                name: p.name,
                hazard_type: p.hazard_type,
                controls: p.controls,
                responsible_level: p.responsible_level,
                responsible_person: p.responsible_person,
                method: p.method,
                factors: serde_json::from_str(&p.factors).unwrap_or_default(),
                score: p.score,
                level: p.level,
            })
            .collect(),
        profile,
    }))
}

/// Record a risk point, graded on entry: `{"name", "hazard_type", "controls", "responsible_level":
/// "company|workshop|team|post", "responsible_person", "method": "lec|matrix", "l", "e", "c" | "s"}`.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/risk-points", tag = "risk", params(("id" = i64, Path)), request_body = app::risk_points::RiskPointInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn add_risk_point(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<app::risk_points::RiskPointInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let ids = state.app.add_risk_points(&caller.actor, &caller.client, id, std::slice::from_ref(&input)).await?;
    Ok((StatusCode::CREATED, Json(Created { id: ids.first().copied().unwrap_or_default() })))
}

#[derive(Serialize, ToSchema)]
pub struct RegionRisk {
    pub code: String,
    pub name: String,
    pub major: i64,
    pub larger: i64,
    pub general: i64,
    pub low: i64,
    /// The highest level present, if any.
    pub highest: Option<String>,
}

/// The four-colour profile of each child region of `code`, over the enterprises the caller sees.
#[utoipa::path(get, path = "/api/v1/regions/{code}/risk-profile", tag = "risk", params(("code" = String, Path)),
    responses((status = 200, body = Vec<RegionRisk>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn region_risk_profile(State(state): State<AppState>, caller: ApiCaller, Path(code): Path<String>) -> Result<Json<Vec<RegionRisk>>, ApiError> {
    let rows = state.app.region_risk(&caller.actor, &caller.client, &code).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(count, profile)| RegionRisk {
                highest: profile.highest.map(|l| l.key().to_owned()),
                code: count.code,
                name: count.name,
                major: count.major,
                larger: count.larger,
                general: count.general,
                low: count.low,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistItem {
    pub id: i64,
    pub code: String,
    pub item: String,
    pub basis: String,
    /// `major` or `general`: the grade of the hidden danger a failure reports.
    pub consequence: String,
}

#[derive(Serialize, ToSchema)]
pub struct Checklist {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub sector: String,
    pub purpose: String,
    pub items: Vec<ChecklistItem>,
}

/// The checklist library with every item.
#[utoipa::path(get, path = "/api/v1/checklists", tag = "hidden dangers", responses((status = 200, body = Vec<Checklist>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_checklists(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Checklist>>, ApiError> {
    if caller.actor.role.is_administrator() {
        return Err(state.app.denied(&caller.actor, &caller.client, "checklist.read", "checklists".into()).await.into());
    }
    let mut out = Vec::new();
    for checklist in state.app.checklist_library().await? {
        let (_, items) = state.app.checklist_with_items(checklist.id).await?;
        out.push(Checklist {
            id: checklist.id,
            code: checklist.code,
            name: checklist.name,
            sector: checklist.sector,
            purpose: checklist.purpose,
            items: items.into_iter().map(|i| ChecklistItem { id: i.id, code: i.code, item: i.item, basis: i.basis, consequence: i.consequence }).collect(),
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"checklist_id": 2, "kind": "self_check", "answers": [{"item_id": 21, "passed": true}, {"item_id": 22, "passed": true}, {"item_id": 23, "passed": true}, {"item_id": 24, "passed": true}, {"item_id": 25, "passed": true}, {"item_id": 26, "passed": true}, {"item_id": 27, "passed": false, "note": "应急预案未演练"}]}))]
pub struct ChecklistRunRequest {
    pub checklist_id: i64,
    pub kind: ChecklistRunKind,
    pub campaign_id: Option<i64>,
    pub answers: Vec<app::checklists::ItemAnswer>,
}

/// Why a checklist is filled in: the enterprise's own check, an inspection, or a campaign's.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistRunKind {
    SelfCheck,
    Inspection,
    Campaign,
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistRunResult {
    pub run_id: i64,
    /// The hidden dangers the failed items reported.
    pub dangers: Vec<i64>,
}

/// Fill in a checklist at an enterprise; every item needs an answer, and each failed item
/// reports a hidden danger of the item's grade.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/checks", tag = "hidden dangers", params(("id" = i64, Path)), request_body = ChecklistRunRequest,
    responses((status = 201, body = ChecklistRunResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn run_checklist(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(request): Json<ChecklistRunRequest>,
) -> Result<(StatusCode, Json<ChecklistRunResult>), ApiError> {
    let (run_id, dangers) = state
        .app
        .run_checklist(&caller.actor, &caller.client, request.checklist_id, id, &wire_name(&request.kind), request.campaign_id, &request.answers)
        .await?;
    Ok((StatusCode::CREATED, Json(ChecklistRunResult { run_id, dangers })))
}

/// A campaign's coverage, findings and rectification rate by city.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/progress", tag = "hidden dangers", params(("id" = i64, Path)),
    responses((status = 200, body = app::checklists::CampaignProgress), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn campaign_progress(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<app::checklists::CampaignProgress>, ApiError> {
    Ok(Json(state.app.campaign_progress(&caller.actor, &caller.client, id).await?))
}

/// The caller's enterprise files today's safety commitment (once a day; again answers 409).
#[utoipa::path(post, path = "/api/v1/commitments", tag = "hidden dangers", request_body = app::commitments::CommitmentInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn file_commitment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<app::commitments::CommitmentInput>,
) -> Result<StatusCode, ApiError> {
    state.app.file_commitment(&caller.actor, &caller.client, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Missing {
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
}

/// Enterprises of the caller's territory with high-risk sectors that filed no commitment today.
#[utoipa::path(get, path = "/api/v1/commitments/missing", tag = "hidden dangers", responses((status = 200, body = Vec<Missing>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn missing_commitments(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<Missing>>, ApiError> {
    let rows = state.app.missing_commitments(&caller.actor, &caller.client).await?;
    Ok(Json(
        rows.into_iter().map(|m| Missing { enterprise_id: m.enterprise_id, name: m.name, region_code: m.region_code, region_name: m.region_name }).collect(),
    ))
}

// ---- Major hazard sources and monitoring ----

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

impl From<store::SensorRow> for Sensor {
    fn from(s: store::SensorRow) -> Self {
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

/// Ingests readings of the writer's enterprise's sensors (a gateway's ingest token `awi_…`, or an
/// enterprise user's bearer token): `text/plain` lines `CODE VALUE TS_MS`,
/// or `application/json` `[{"sensor", "value", "ts"}]`. Good readings are stored durably before
/// the answer; bad ones are rejected one by one with their reason.
#[utoipa::path(post, path = "/api/v1/telemetry", tag = "monitoring", request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = IngestAnswer), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
async fn ingest_telemetry(
    State(state): State<AppState>,
    writer: crate::identity::TelemetryWriter,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<IngestAnswer>, ApiError> {
    let enterprise_id = match writer {
        crate::identity::TelemetryWriter::Gateway { enterprise_id } => enterprise_id,
        crate::identity::TelemetryWriter::Person(caller) => match caller.actor.enterprise_id.filter(|_| caller.actor.role == domain::role::Role::Enterprise) {
            Some(enterprise_id) => enterprise_id,
            None => return Err(state.app.denied(&caller.actor, &caller.client, "telemetry.write", "telemetry".into()).await.into()),
        },
    };
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let max = app::monitoring::BATCH_READINGS_MAX;
    let too_many = |e: domain::telemetry::BatchError| ApiError::new(StatusCode::BAD_REQUEST, "bad_batch", e.to_string());
    let batch = match media.as_str() {
        "text/plain" => {
            let text = std::str::from_utf8(&body).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_batch",
                    format!("正文不是 UTF-8(第{}字节) / the body is not UTF-8 at byte {}", e.valid_up_to(), e.valid_up_to()),
                )
            })?;
            domain::telemetry::parse_lines(text, max).map_err(too_many)?
        }
        "application/json" => domain::telemetry::parse_json(&body, max).map_err(too_many)?,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请使用 text/plain 或 application/json / send text/plain or application/json",
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

impl From<store::AlarmRow> for Alarm {
    fn from(a: store::AlarmRow) -> Self {
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
    let filter = store::AlarmFilter {
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
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "comment 最多2000字 / comment: at most 2000 characters"));
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
        rows.into_iter()
            .filter(|w| params.enterprise.is_none_or(|e| w.source.enterprise_id == e))
            .map(|w| (w.grade, w.active_alarms, w.source))
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
    let (receiver, slot) = match state.app.monitor.subscribe(Some(caller.actor.user_id)) {
        Ok(subscription) => subscription,
        Err(app::monitoring::LiveRefusal::UserLimit) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams",
                "您打开的实时推送连接过多,请关闭其他页面 / you have too many live connections open; close other pages",
            )
            .with_retry_after(30));
        }
        Err(app::monitoring::LiveRefusal::Full) => {
            return Err(
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "实时推送连接已满 / too many live connections: retry shortly").with_retry_after(10)
            );
        }
    };
    let actor = caller.actor;
    let recheck = std::sync::Arc::new(recheck);
    let events = futures_util::stream::unfold((receiver, slot), move |(mut receiver, slot)| {
        let (state, actor, recheck) = (state.clone(), actor.clone(), recheck.clone());
        async move {
            loop {
                // The credential is asked again before each event and every LIVE_STREAM_RECHECK
                // while none comes; the stream ends once it no longer holds.
                let received = match tokio::time::timeout(LIVE_STREAM_RECHECK, receiver.recv()).await {
                    Ok(received) => received,
                    Err(_) if recheck.still_holds(&state, &actor).await => continue,
                    Err(_) => return None,
                };
                match received {
                    Ok(notice) => {
                        let visible = state.app.visible_alarm_ids(&actor, &notice.alarm_ids).await.unwrap_or_default();
                        if visible.is_empty() {
                            continue;
                        }
                        if !recheck.still_holds(&state, &actor).await {
                            return None;
                        }
                        let event = Event::default().event("alarm").data(serde_json::json!({"ids": visible}).to_string());
                        return Some((Ok::<_, std::convert::Infallible>(event), (receiver, slot)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Ok(Event::default().event("resync").data("{}")), (receiver, slot)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
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

impl From<store::SuppressionRow> for Suppression {
    fn from(w: store::SuppressionRow) -> Self {
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
    Ok(Json(state.app.monitoring_kpis(&caller.actor, &caller.client, params.hours.unwrap_or(24), domain::time::now_ms()).await?))
}
