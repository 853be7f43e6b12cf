//! Credit: the JSON API (under `/api/v1`, in the OpenAPI document): an enterprise's record, the
//! published list, events entered by hand and repairs.

use app::credit::{CreditEventInput, CreditView, ListedEnterprise};

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enterprise_credit)).routes(routes!(credit_list)).routes(routes!(record_event)).routes(routes!(grant_repair))
}

/// An enterprise's credit record: `{"grade", "listed", "listed_until", "events": [...]}`.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/credit", tag = "credit", params(("id" = i64, Path)),
    responses((status = 200, body = CreditView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn enterprise_credit(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<CreditView>, ApiError> {
    Ok(Json(state.app.enterprise_credit(&caller.actor, &caller.client, id).await?))
}

/// The published list (公示) of seriously untrustworthy enterprises.
#[utoipa::path(get, path = "/api/v1/credit/listed", tag = "credit",
    responses((status = 200, body = Vec<ListedEnterprise>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn credit_list(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<ListedEnterprise>>, ApiError> {
    Ok(Json(state.app.credit_list(&caller.actor, &caller.client).await?))
}

/// Record a refused penalty or operation without a licence (a regulator).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/credit-events", tag = "credit", params(("id" = i64, Path)), request_body = CreditEventInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn record_event(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<CreditEventInput>,
) -> Result<StatusCode, ApiError> {
    state.app.record_credit_event(&caller.actor, &caller.client, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct RepairInput {
    pub on: String,
    pub reason: String,
}

/// Grant the repair (信用修复) of a listing a year or more into it (a regulator).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/credit-repairs", tag = "credit", params(("id" = i64, Path)), request_body = RepairInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn grant_repair(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>, Json(input): Json<RepairInput>) -> Result<StatusCode, ApiError> {
    state.app.grant_credit_repair(&caller.actor, &caller.client, id, &input.on, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
