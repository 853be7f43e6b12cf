//! The JSON API under `/api/v1`, described by the OpenAPI document at `/api/v1/openapi.json`.
//! People's browsers use it with their session (and CSRF header); machines with a bearer token
//! from `POST /api/v1/auth/login`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api_extract::{Json, Path};
use crate::error::{ApiError, ErrorBody};
use crate::identity::{ApiCaller, client_of};

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

/// The API: the account routes here and each module's own; the login route is throttled per
/// client by `login_throttle`.
pub fn router(login_throttle: crate::security::LoginThrottle) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(OpenApiRouter::new().routes(routes!(login)).layer(login_throttle))
        .routes(routes!(me))
        .routes(routes!(my_tokens))
        .routes(routes!(revoke_my_token))
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

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(max_length = 200)]
    pub username: String,
    #[schema(max_length = 1000)]
    pub password: String,
    /// The current one-time code, where the account has a second factor.
    #[serde(default)]
    pub totp: Option<String>,
    /// A name for the token, shown in the user's token list.
    #[serde(default)]
    pub token_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Expiry as RFC 3339 UTC.
    pub expires_at: String,
}

/// Exchange a user name and password (and one-time code) for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, description = "too many attempts from this client; try again after Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn login(State(state): State<AppState>, parts: axum::http::request::Parts, Json(request): Json<LoginRequest>) -> Result<Json<LoginResponse>, ApiError> {
    use app::auth::{LoginError, TokenLoginError};
    let client = client_of(&parts);
    let name = request.token_name.unwrap_or_else(|| "api".into());
    let (token, expires_at) =
        state.app.login_for_token(&request.username, &request.password, request.totp.as_deref(), &name, &client).await.map_err(|error| match error {
            TokenLoginError::Login(error) => {
                let code = match error {
                    LoginError::InvalidCredentials => "invalid_credentials",
                    LoginError::SecondFactorRequired => "second_factor_required",
                    LoginError::SecondFactorInvalid => "second_factor_invalid",
                    LoginError::Unavailable => "login_unavailable",
                };
                ApiError::new(StatusCode::UNAUTHORIZED, code, error.to_string())
            }
            TokenLoginError::PasswordChangeRequired => ApiError::new(StatusCode::FORBIDDEN, "password_change_required", error.to_string()),
            TokenLoginError::App(error) => error.into(),
        })?;
    let expires_at = jiff::Timestamp::from_millisecond(expires_at).map(|t| t.to_string()).unwrap_or_default();
    Ok(Json(LoginResponse { token, expires_at }))
}

/// The name a unit variant of the API's enums has on the wire (its serde name, which is also
/// the value the OpenAPI document lists), as the use cases take it.
pub(crate) fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

pub(crate) fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
}

/// A region code parameter: six digits when given.
pub(crate) fn region_param(region: Option<String>) -> Result<Option<String>, ApiError> {
    match region {
        Some(code) if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') => {
            Err(bad_query("region 应为6位行政区划代码 / region must be a six-digit region code"))
        }
        other => Ok(other),
    }
}

/// An integer parameter within `range`, named in the refusal.
pub(crate) fn bounded_param(name: &str, value: Option<i64>, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i64, ApiError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(bad_query(format!("{name} 应在{}至{}之间 / {name} must be {} to {}", range.start(), range.end(), range.start(), range.end())))
    }
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

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// Role key, e.g. `regulator`.
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// Region path of the caller's unit (its scope), e.g. `220000/220100/`.
    pub region_path: Option<String>,
    pub enterprise_id: Option<i64>,
}

/// The caller: who the token or session stands for, and its scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn me(caller: ApiCaller) -> Json<Me> {
    let actor = caller.actor;
    Json(Me {
        user_id: actor.user_id,
        username: actor.username,
        display_name: actor.display_name,
        role: actor.role.key().into(),
        unit_id: actor.unit_id,
        unit_name: actor.unit_name,
        region_path: actor.region_path,
        enterprise_id: actor.enterprise_id,
    })
}

#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

pub(crate) fn rfc3339(epoch_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(epoch_ms).map(|t| t.to_string()).unwrap_or_default()
}

/// The caller's own API tokens (never the token values, which are stored only as hashes).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
async fn my_tokens(State(state): State<AppState>, caller: ApiCaller) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state.app.own_tokens(&caller.actor).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                created_at: rfc3339(t.created_at),
                expires_at: rfc3339(t.expires_at),
                last_used_at: t.last_used_at.map(rfc3339),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
    ))
}

/// Revoke one of the caller's own tokens; another user's token id answers 404.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
async fn revoke_my_token(State(state): State<AppState>, caller: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    state.app.revoke_own_token(&caller.actor, &caller.client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- Major hazard sources and monitoring ----
