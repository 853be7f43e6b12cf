//! The accounts' own API: logging in for a bearer token, who the caller is, and the caller's own
//! tokens. (Administration of accounts is on the pages of `admin`.)

use crate::api::prelude::*;
use crate::identity::client_of;

/// The account routes; `login` is throttled per client by `login_throttle`.
pub fn router(login_throttle: crate::security::LoginThrottle) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(login)).layer(login_throttle))
        .routes(routes!(me))
        .routes(routes!(my_tokens))
        .routes(routes!(revoke_my_token))
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
                ApiError::new(StatusCode::UNAUTHORIZED, code, error.message())
            }
            TokenLoginError::PasswordChangeRequired => ApiError::new(StatusCode::FORBIDDEN, "password_change_required", error.message()),
            TokenLoginError::App(error) => error.into(),
        })?;
    let expires_at = jiff::Timestamp::from_millisecond(expires_at).map(|t| t.to_string()).unwrap_or_default();
    Ok(Json(LoginResponse { token, expires_at }))
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
