//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//! People's browsers use it with their session (and CSRF header); machines with a bearer token
//! from `POST /api/v1/auth/login`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api_extract::Json;
use crate::error::{ApiError, ErrorBody};
use crate::identity::ApiCaller;

#[derive(OpenApi)]
#[openapi(
    info(title = "anwei API", description = "安全生产监管平台 anwei: work-safety supervision platform API. Errors are `{\"code\", \"message\"}` with stable snake_case codes."),
    components(schemas(
        ErrorBody,
        crate::monitoring::api::AlarmStateFilter,
        app::assessment::Tier,
        domain::enterprises::HighRiskSector,
        domain::hidden_dangers::DangerGrade,
        domain::hidden_dangers::DangerState
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The API: the region tree here and each module's own routes; the login route (in `accounts`)
/// is throttled per client by `login_throttle`.
pub fn router(login_throttle: crate::security::LoginThrottle) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::accounts::api::router(login_throttle))
        .routes(routes!(list_regions))
        .merge(crate::enterprises::api::router())
        .merge(crate::workplans::api::router())
        .merge(crate::assessment::api::router())
        .merge(crate::accountability::api::router())
        .merge(crate::hidden_dangers::api::router())
        .merge(crate::risk_points::api::router())
        .merge(crate::checklists::api::router())
        .merge(crate::commitments::api::router())
        .merge(crate::monitoring::api::router())
        .merge(crate::enforcement::api::router())
        .merge(crate::accidents::api::router())
        .merge(crate::credit::api::router())
        .merge(crate::inbox::api::router())
        .merge(crate::insurance::api::router())
        .merge(crate::tips::api::router())
}

/// What the modules' API handlers share.
pub(crate) mod prelude {
    pub(crate) use axum::extract::State;
    pub(crate) use axum::http::StatusCode;
    pub(crate) use serde::{Deserialize, Serialize};
    pub(crate) use utoipa::{IntoParams, ToSchema};
    pub(crate) use utoipa_axum::router::OpenApiRouter;
    pub(crate) use utoipa_axum::routes;

    pub(crate) use super::{Created, bad_query, bounded_param, region_param, rfc3339, wire_name};
    pub(crate) use crate::AppState;
    pub(crate) use crate::api_extract::{Json, Path, Query};
    pub(crate) use crate::error::{ApiError, ErrorBody};
    pub(crate) use crate::identity::ApiCaller;
}

/// The name a unit variant of the API's enums has on the wire (its serde name, which is also
/// the value the OpenAPI document lists), as the use cases take it.
pub(crate) fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

pub(crate) fn bad_query(message: domain::message::Message) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
}

/// A region code parameter: six digits when given.
pub(crate) fn region_param(region: Option<String>) -> Result<Option<String>, ApiError> {
    match region {
        Some(code) if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') => {
            Err(bad_query(domain::message!("web.region_must_six_digit_region_code")))
        }
        other => Ok(other),
    }
}

/// An integer parameter within `range`, named in the refusal.
pub(crate) fn bounded_param(name: &str, value: Option<i64>, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i64, ApiError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) { Ok(value) } else { Err(bad_query(domain::message!("web.must", start = range.start(), end = range.end(), name = name))) }
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RegionNode {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

/// The region tree (province → city → county) as loaded.
#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", responses((status = 200, body = Vec<RegionNode>)), security(("bearer" = [])))]
async fn list_regions(State(state): State<AppState>, _caller: ApiCaller) -> Result<Json<Vec<RegionNode>>, ApiError> {
    let regions = state.app.regions_under("").await?;
    let mut children: std::collections::HashMap<Option<String>, Vec<&domain::region::Region>> = std::collections::HashMap::new();
    for region in &regions {
        children.entry(region.parent_code.as_ref().map(|c| c.to_string())).or_default().push(region);
    }
    fn build(parent: Option<String>, children: &std::collections::HashMap<Option<String>, Vec<&domain::region::Region>>, depth: usize) -> Vec<RegionNode> {
        if depth > 4 {
            return Vec::new();
        }
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|r| RegionNode {
                        code: r.code.to_string(),
                        name: r.name.clone(),
                        level: r.level.as_str().into(),
                        parent_code: r.parent_code.as_ref().map(|c| c.to_string()),
                        children: build(Some(r.code.to_string()), children, depth + 1),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    Ok(Json(build(None, &children, 0)))
}

pub(crate) fn rfc3339(epoch_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(epoch_ms).map(|t| t.to_string()).unwrap_or_default()
}

// ---- Major hazard sources and monitoring ----
