//! Risk points: the JSON API (under `/api/v1`, in the OpenAPI document).

use crate::api::prelude::*;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enterprise_risk_points, add_risk_point)).routes(routes!(region_risk_profile))
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
                color: p.level.color().into(),
                id: p.id,
                name: p.name,
                hazard_type: p.hazard_type,
                controls: p.controls,
                responsible_level: p.responsible_level,
                responsible_person: p.responsible_person,
                method: p.method,
                factors: serde_json::from_str(&p.factors).unwrap_or_default(),
                score: p.score,
                level: p.level.to_string(),
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
