//! Enforcement: the JSON API (under `/api/v1`, in the OpenAPI document): jurisdiction, policy and
//! overrides, inspection plans and their draws, inspections, coverage and the published draws.

use app::enforcement::{
    Coverage, DrawVerification, EnforcementPolicy, InspectionInput, InspectionPlanInput, InspectionPlanSummary, InspectionView, JurisdictionSummary,
    OverrideInput, PlanView, PoolView, PublishedDraw,
};

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jurisdiction))
        .routes(routes!(read_policy, set_policy))
        .routes(routes!(set_override))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(read_plan))
        .routes(routes!(verify_plan_draw))
        .routes(routes!(record_inspection))
        .routes(routes!(read_inspection))
        .routes(routes!(coverage))
        .routes(routes!(published_draws))
        .routes(routes!(read_pool))
        .routes(routes!(set_pool_member))
        .routes(routes!(declare_conflict))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RegionQuery {
    /// A region of the caller's territory (six digits); the caller's own by default.
    #[param(pattern = r"^[1-9][0-9]{5}$")]
    region: Option<String>,
}

/// Which office supervises each enterprise of the caller's territory: counts by tier, those
/// unassigned or claimed by two rules (should be none), and the recorded overrides.
#[utoipa::path(get, path = "/api/v1/enforcement/jurisdiction", tag = "enforcement", params(RegionQuery),
    responses((status = 200, body = JurisdictionSummary), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn jurisdiction(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<RegionQuery>) -> Result<Json<JurisdictionSummary>, ApiError> {
    let region = region_param(query.region)?;
    Ok(Json(state.app.jurisdiction(&caller.actor, &caller.client, region.as_deref()).await?))
}

/// The province's jurisdiction rules and inspection frequencies.
#[utoipa::path(get, path = "/api/v1/enforcement/policy", tag = "enforcement",
    responses((status = 200, body = EnforcementPolicy), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_policy(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<EnforcementPolicy>, ApiError> {
    Ok(Json(state.app.enforcement_policy_for(&caller.actor, &caller.client).await?))
}

/// Replace the rules and frequencies (the provincial committee office); every profile is
/// recomputed at once.
#[utoipa::path(put, path = "/api/v1/enforcement/policy", tag = "enforcement", request_body = EnforcementPolicy,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn set_policy(State(state): State<AppState>, caller: ApiCaller, Json(policy): Json<EnforcementPolicy>) -> Result<StatusCode, ApiError> {
    state.app.set_enforcement_policy(&caller.actor, &caller.client, &policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Settle an enterprise's office by hand, with a reason (the provincial committee office).
#[utoipa::path(post, path = "/api/v1/enforcement/overrides", tag = "enforcement", request_body = OverrideInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn set_override(State(state): State<AppState>, caller: ApiCaller, Json(input): Json<OverrideInput>) -> Result<StatusCode, ApiError> {
    state.app.set_jurisdiction_override(&caller.actor, &caller.client, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PlanQuery {
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i64>,
    /// The office's region (six digits); plans of the whole territory by default.
    #[param(pattern = r"^[1-9][0-9]{5}$")]
    region_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<InspectionPlanSummary>,
}

/// The annual inspection plans of the caller's territory.
#[utoipa::path(get, path = "/api/v1/inspection-plans", tag = "enforcement", params(PlanQuery),
    responses((status = 200, body = PlanList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn list_plans(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<PlanQuery>) -> Result<Json<PlanList>, ApiError> {
    let region = region_param(query.region_code)?;
    let year = query.year.map(|year| bounded_param("year", Some(year), 2000..=2100, year)).transpose()?;
    Ok(Json(PlanList { items: state.app.inspection_plans(&caller.actor, &caller.client, year, region.as_deref()).await? }))
}

/// Draw the caller's office's plan for a year (双随机 within the pool's capacity); 409 if the
/// office has one for that year.
#[utoipa::path(post, path = "/api/v1/inspection-plans", tag = "enforcement", request_body = InspectionPlanInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn create_plan(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<InspectionPlanInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.create_inspection_plan(&caller.actor, &caller.client, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A plan: its draw (seed, candidate hash, algorithm) and items (enterprise, reason, quarter,
/// inspectors).
#[utoipa::path(get, path = "/api/v1/inspection-plans/{id}", tag = "enforcement", params(("id" = i64, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_plan(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<PlanView>, ApiError> {
    Ok(Json(state.app.inspection_plan(&caller.actor, &caller.client, id).await?))
}

/// Repeat a plan's draw from its recorded seed and candidates and compare.
#[utoipa::path(get, path = "/api/v1/inspection-plans/{id}/verification", tag = "enforcement", params(("id" = i64, Path)),
    responses((status = 200, body = DrawVerification), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn verify_plan_draw(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<DrawVerification>, ApiError> {
    state.app.inspection_plan(&caller.actor, &caller.client, id).await?;
    Ok(Json(state.app.verify_draw(id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct RecordedInspection {
    pub id: i64,
    /// The hidden dangers its failed items and findings reported.
    pub dangers: Vec<i64>,
}

/// Record an inspection (photos are added on the inspection page).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "enforcement", request_body = InspectionInput,
    responses((status = 201, body = RecordedInspection), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn record_inspection(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(input): Json<InspectionInput>,
) -> Result<(StatusCode, Json<RecordedInspection>), ApiError> {
    let (id, dangers) = state.app.record_inspection(&caller.actor, &caller.client, &input, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(RecordedInspection { id, dangers })))
}

/// An inspection with its findings, penalties and photos.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "enforcement", params(("id" = i64, Path)),
    responses((status = 200, body = InspectionView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_inspection(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<InspectionView>, ApiError> {
    Ok(Json(state.app.inspection_view(&caller.actor, &caller.client, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i64>,
    #[param(pattern = r"^[1-9][0-9]{5}$")]
    region: Option<String>,
}

/// Coverage of the caller's territory in a year: planned, done and overdue per office and
/// quarter, 重点 coverage, enterprises inspected by more than one tier, never inspected.
#[utoipa::path(get, path = "/api/v1/enforcement/coverage", tag = "enforcement", params(CoverageQuery),
    responses((status = 200, body = Coverage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn coverage(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<CoverageQuery>) -> Result<Json<Coverage>, ApiError> {
    let region = region_param(query.region)?;
    let year = bounded_param("year", query.year, 2000..=2100, i64::from(domain::time::this_year()))?;
    Ok(Json(state.app.coverage(&caller.actor, &caller.client, year, region.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i64>,
}

/// The published draws (公示) of a year: each plan's seed, candidate hash and algorithm, and the
/// inspections done from it.
#[utoipa::path(get, path = "/api/v1/enforcement/published-draws", tag = "enforcement", params(YearQuery),
    responses((status = 200, body = Vec<PublishedDraw>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn published_draws(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<YearQuery>) -> Result<Json<Vec<PublishedDraw>>, ApiError> {
    let year = bounded_param("year", query.year, 2000..=2100, i64::from(domain::time::this_year()))?;
    Ok(Json(state.app.published_draws(&caller.actor, &caller.client, year).await?))
}

/// The inspector pool of the office the caller runs or belongs to: members, their inspector-days
/// and declared conflicts.
#[utoipa::path(get, path = "/api/v1/enforcement/pool", tag = "enforcement",
    responses((status = 200, body = PoolView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_pool(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<PoolView>, ApiError> {
    Ok(Json(state.app.inspector_pool_view(&caller.actor, &caller.client).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PoolDays {
    /// Inspector-days a year the inspector gives to inspections (0–250).
    pub days_per_year: i64,
}

/// Put an inspector of the office's own region in its pool, or change their inspector-days (the
/// office).
#[utoipa::path(put, path = "/api/v1/enforcement/pool/{user_id}", tag = "enforcement", params(("user_id" = i64, Path)), request_body = PoolDays,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn set_pool_member(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(user_id): Path<i64>,
    Json(input): Json<PoolDays>,
) -> Result<StatusCode, ApiError> {
    state.app.set_pool_inspector(&caller.actor, &caller.client, user_id, input.days_per_year).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ConflictInput {
    pub enterprise_id: i64,
    /// Why (a relative works there, a former employer, …); at most 500 characters.
    pub reason: String,
}

/// Declare a conflict of interest with an enterprise (an inspector of a pool); draws never send
/// the inspector there.
#[utoipa::path(post, path = "/api/v1/enforcement/conflicts", tag = "enforcement", request_body = ConflictInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn declare_conflict(State(state): State<AppState>, caller: ApiCaller, Json(input): Json<ConflictInput>) -> Result<StatusCode, ApiError> {
    state.app.declare_conflict(&caller.actor, &caller.client, input.enterprise_id, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
