//! Daily safety commitments: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(file_commitment)).routes(routes!(missing_commitments))
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
    let rows = state.app.missing_commitments(&caller.actor, &caller.client, None).await?;
    Ok(Json(
        rows.into_iter().map(|m| Missing { enterprise_id: m.enterprise_id, name: m.name, region_code: m.region_code, region_name: m.region_name }).collect(),
    ))
}
