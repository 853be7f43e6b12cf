//! Accidents: the JSON API (under `/api/v1`, in the OpenAPI document): reports, their casualty
//! updates, concealment, the investigation report and the statistics.

use app::accidents::{AccidentInput, AccidentStatistics, AccidentSummary, AccidentView, CasualtyInput, ReportInput};
use domain::accidents::AccidentLevel;

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accidents, report_accident))
        .routes(routes!(statistics))
        .routes(routes!(read_accident))
        .routes(routes!(update_casualties))
        .routes(routes!(mark_concealed))
        .routes(routes!(approve_report))
}

#[derive(Serialize, ToSchema)]
pub struct Reported {
    pub id: i64,
    /// The statutory level the counts give.
    pub level: AccidentLevel,
}

/// Report an accident; its level (一般, 较大, 重大, 特别重大) follows from the counts by 国务院令第493号
/// and is never given.
#[utoipa::path(post, path = "/api/v1/accidents", tag = "accidents", request_body = AccidentInput,
    responses((status = 201, body = Reported), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn report_accident(State(state): State<AppState>, caller: ApiCaller, Json(input): Json<AccidentInput>) -> Result<(StatusCode, Json<Reported>), ApiError> {
    let (id, level) = state.app.report_accident(&caller.actor, &caller.client, &input).await?;
    Ok((StatusCode::CREATED, Json(Reported { id, level })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AccidentList {
    pub items: Vec<AccidentSummary>,
}

/// The accidents of the caller's territory in a year, newest first.
#[utoipa::path(get, path = "/api/v1/accidents", tag = "accidents", params(YearQuery),
    responses((status = 200, body = AccidentList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn list_accidents(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<YearQuery>) -> Result<Json<AccidentList>, ApiError> {
    let year = bounded_param("year", query.year, 2000..=2100, i64::from(domain::time::this_year()))?;
    Ok(Json(AccidentList { items: state.app.accidents(&caller.actor, &caller.client, year).await? }))
}

/// Accidents of the caller's territory by level, kind, city and month, with the same months of
/// the year before (同比).
#[utoipa::path(get, path = "/api/v1/accidents/statistics", tag = "accidents", params(YearQuery),
    responses((status = 200, body = AccidentStatistics), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn statistics(State(state): State<AppState>, caller: ApiCaller, Query(query): Query<YearQuery>) -> Result<Json<AccidentStatistics>, ApiError> {
    let year = bounded_param("year", query.year, 2000..=2100, i64::from(domain::time::this_year()))?;
    Ok(Json(state.app.accident_statistics(&caller.actor, &caller.client, year).await?))
}

/// An accident with its updates, investigation and measures.
#[utoipa::path(get, path = "/api/v1/accidents/{id}", tag = "accidents", params(("id" = i64, Path)),
    responses((status = 200, body = AccidentView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn read_accident(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<AccidentView>, ApiError> {
    Ok(Json(state.app.accident_view(&caller.actor, &caller.client, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Regraded {
    pub level: AccidentLevel,
}

/// New casualty counts within 30 days of the accident (7 for road traffic and fire); the level
/// is regraded.
#[utoipa::path(post, path = "/api/v1/accidents/{id}/casualties", tag = "accidents", params(("id" = i64, Path)), request_body = CasualtyInput,
    responses((status = 200, body = Regraded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn update_casualties(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<CasualtyInput>,
) -> Result<Json<Regraded>, ApiError> {
    Ok(Json(Regraded { level: state.app.update_accident_casualties(&caller.actor, &caller.client, id, &input).await? }))
}

/// Mark an accident concealed or falsely reported (瞒报、谎报).
#[utoipa::path(post, path = "/api/v1/accidents/{id}/concealment", tag = "accidents", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn mark_concealed(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.app.mark_accident_concealed(&caller.actor, &caller.client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record the approved investigation report with its rectification measures (the tier the
/// level names).
#[utoipa::path(post, path = "/api/v1/accidents/{id}/report", tag = "accidents", params(("id" = i64, Path)), request_body = ReportInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn approve_report(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>, Json(input): Json<ReportInput>) -> Result<StatusCode, ApiError> {
    state.app.approve_accident_report(&caller.actor, &caller.client, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}
