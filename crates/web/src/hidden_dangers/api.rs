//! Hidden dangers: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_dangers, report_danger))
        .routes(routes!(get_danger))
        .routes(routes!(danger_action))
        .routes(routes!(list_danger_supervision))
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
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Dangers per page, 1 to 200 (50 when not given).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// One page of the hidden dangers in the caller's scope.
#[derive(Serialize, ToSchema)]
pub struct DangerListPage {
    pub items: Vec<app::hidden_dangers::DangerJson>,
    /// How many match in all (a kept count: another process's changes show within 20 s).
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Hidden dangers in the caller's scope, soonest deadline first (none last), a page at a time.
#[utoipa::path(get, path = "/api/v1/hidden-dangers", tag = "hidden dangers", params(DangerListParams),
    responses((status = 200, body = DangerListPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_dangers(State(state): State<AppState>, caller: ApiCaller, Query(params): Query<DangerListParams>) -> Result<Json<DangerListPage>, ApiError> {
    let page = bounded_param("page", params.page, 1..=1_000_000, 1)?;
    let per_page = bounded_param("per_page", params.per_page, 1..=app::hidden_dangers::DANGER_PAGE_MAX, 50)?;
    let filter = app::hidden_dangers::DangerFilter {
        region_code: region_param(params.region)?,
        enterprise_id: params.enterprise,
        grade: params.grade.map(|grade| grade.key().to_owned()),
        state: params.state.map(|state| state.key().to_owned()),
        overdue_on: None,
        listed: params.listed,
    };
    let found = state.app.danger_page(&caller.actor, &caller.client, &filter, params.overdue.unwrap_or(false), page, per_page).await?;
    Ok(Json(DangerListPage {
        items: found.items.iter().map(app::hidden_dangers::danger_json).collect(),
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    }))
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
