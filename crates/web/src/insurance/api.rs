//! Liability insurance: the JSON API (under `/api/v1`, in the OpenAPI document): an enterprise's
//! policies, premium float and services, recording policies and services, and the territory's
//! coverage.

use app::insurance::{InsuranceCoverage, InsuranceView, ServiceInput};
use domain::insurance::PolicyInput;

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enterprise_insurance))
        .routes(routes!(record_policy))
        .routes(routes!(record_service))
        .routes(routes!(insurance_coverage))
}

/// An enterprise's insurance record: its policies (each with the statutory minimum of its start
/// and whether it is in force), the float its premium takes from its record, and the services.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/insurance", tag = "insurance", params(("id" = i64, Path)),
    responses((status = 200, body = InsuranceView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn enterprise_insurance(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<Json<InsuranceView>, ApiError> {
    Ok(Json(state.app.insurance_record(&caller.actor, &caller.client, id).await?))
}

/// Record a policy (the enterprise for itself, or a regulator). A cover below the statutory
/// minimum is accepted and flagged.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/insurance-policies", tag = "insurance", params(("id" = i64, Path)), request_body = PolicyInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn record_policy(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<PolicyInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.record_insurance_policy(&caller.actor, &caller.client, id, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Record a prevention service the insurer provided under a policy.
#[utoipa::path(post, path = "/api/v1/insurance-policies/{id}/services", tag = "insurance", params(("id" = i64, Path)), request_body = ServiceInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
async fn record_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<ServiceInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = state.app.record_insurance_service(&caller.actor, &caller.client, id, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The caller's territory today: high-risk enterprises, those insured, uninsured ones and covers
/// below the minimum, by the regions one level down.
#[utoipa::path(get, path = "/api/v1/insurance/coverage", tag = "insurance",
    responses((status = 200, body = InsuranceCoverage), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn insurance_coverage(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<InsuranceCoverage>, ApiError> {
    Ok(Json(state.app.insurance_coverage(&caller.actor, &caller.client).await?))
}
