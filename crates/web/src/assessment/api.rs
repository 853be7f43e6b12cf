//! Assessment: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(assessment_ranking))
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
