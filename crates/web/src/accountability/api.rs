//! Accountability: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_measures))
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
