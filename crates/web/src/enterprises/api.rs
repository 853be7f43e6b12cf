//! The enterprise registry: the JSON API (under `/api/v1`, in the OpenAPI document).

use app::enterprises::ListQuery;
use domain::enterprises::EnterpriseInput;

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_enterprises, create_enterprise))
        .routes(routes!(get_enterprise, update_enterprise))
        .routes(routes!(region_enterprise_counts))
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
    /// The credit grade: `a`, `b`, `c` or `d` (seriously untrustworthy).
    pub credit_grade: String,
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
        return Err(bad_query(domain::message!("enterprises.q_most_100_characters")));
    }
    if params.industry.as_deref().is_some_and(|i| !domain::enterprises::IndustrySection::ALL.iter().any(|section| section.key() == i)) {
        return Err(bad_query(domain::message!("enterprises.industry_must_gb_t_4754_section")));
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
                credit_grade: e.credit_grade.key().to_owned(),
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
