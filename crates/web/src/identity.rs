//! Who is calling: a bearer token (API clients) or a server-side session (people). Both resolve
//! to an `app::Actor`; the session path also enforces the absolute timeout and revocation after
//! a password change.

use app::{Actor, Client};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;
use crate::session_store::USER_ID_KEY;

/// Session key: when the user logged in (epoch ms), for the absolute timeout.
pub const LOGIN_AT_KEY: &str = "login_at";
/// Session key: the user's `password_changed_at` when the session was authenticated; a later
/// password change ends the session.
pub const PASSWORD_EPOCH_KEY: &str = "password_epoch";
/// Session key: the client address at login, shown in the user's session list.
pub const CLIENT_KEY: &str = "client";
/// Session key: the CSRF token of this session.
pub const CSRF_KEY: &str = "csrf";
/// Session key: whether a one-time code was checked when this session was opened.
pub const SECOND_FACTOR_KEY: &str = "second_factor";

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The client's address for the audit log and the failed-login back-off (`client_address`).
pub fn client_of(parts: &Parts) -> Client {
    match parts.extensions.get::<crate::client_address::ClientAddress>() {
        Some(address) => Client(address.0.to_string()),
        None => Client("unknown".into()),
    }
}

/// Resolves the actor, or `None` when the caller is anonymous or its session has ended.
///
/// A request is authenticated by exactly one means. One that carries an `Authorization` header
/// is judged by that header alone: a bearer token, or nobody (any other scheme). The session
/// cookie beside it is never consulted, so a header cannot carry a cookie past the CSRF guard,
/// which lets header-authenticated requests through.
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    if parts.headers.contains_key(header::AUTHORIZATION) {
        return match bearer_token(&parts.headers) {
            Some(token) => Ok(state.app.actor_for_token(token).await?),
            None => Ok(None),
        };
    }
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return Ok(None);
    };
    let user_id: Option<i64> = session.get(USER_ID_KEY).await.ok().flatten();
    let Some(user_id) = user_id else { return Ok(None) };
    let login_at: i64 = session.get(LOGIN_AT_KEY).await.ok().flatten().unwrap_or(0);
    let password_epoch: Option<i64> = session.get(PASSWORD_EPOCH_KEY).await.ok().flatten();
    let now = domain::time::now_ms();
    let absolute_ms = state.app.security.session_absolute_hours * 3_600_000;
    let Some(user) = state.app.session_user(user_id).await? else {
        let _ = session.flush().await;
        return Ok(None);
    };
    let revoked =
        user.disabled || user.locked_until.is_some_and(|until| until > now) || password_epoch != Some(user.password_changed_at) || now - login_at > absolute_ms;
    if revoked {
        let _ = session.flush().await;
        return Ok(None);
    }
    let second_factor = matches!(session.get::<bool>(SECOND_FACTOR_KEY).await, Ok(Some(true)));
    let mut actor = state.app.actor_for_user(&user).await?;
    actor.credential = app::policy::Credential::Session { second_factor };
    Ok(Some(actor))
}

/// The credential a request came with, kept by an answer that outlives its request (the live
/// alarm stream) to ask again, later, whether it still names the same person with the same
/// rights: a logout, a revoked token, a password change or a new role ends the answer.
pub struct Recheck {
    authorization: Option<header::HeaderValue>,
    session_id: Option<tower_sessions::session::Id>,
}

impl FromRequestParts<AppState> for Recheck {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let authorization = parts.headers.get(header::AUTHORIZATION).cloned();
        let session_id = parts.extensions.get::<Session>().and_then(Session::id);
        Ok(Self { authorization, session_id })
    }
}

impl Recheck {
    /// Whether the credential still resolves to exactly `actor`. The session is read afresh from
    /// the database, not from the request's copy.
    pub async fn still_holds(&self, state: &AppState, actor: &Actor) -> bool {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        if let Some(authorization) = &self.authorization {
            parts.headers.insert(header::AUTHORIZATION, authorization.clone());
        } else if let Some(id) = self.session_id {
            let store = std::sync::Arc::new(crate::session_store::DatabaseSessionStore::new(state.app.clone()));
            parts.extensions.insert(Session::new(Some(id), store, None));
        }
        matches!(resolve(&mut parts, state).await, Ok(Some(now)) if &now == actor)
    }
}

/// An authenticated API caller; anonymous callers get 401 `unauthenticated`.
pub struct ApiCaller {
    pub actor: Actor,
    pub client: Client,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client = client_of(parts);
        match resolve(parts, state).await? {
            Some(actor) if actor.must_change_password => Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "password_change_required",
                domain::message!("identity.change_temporary_password_profile_page_first"),
            )),
            Some(actor) => Ok(Self { actor, client }),
            None => Err(ApiError::unauthenticated()),
        }
    }
}

/// Who writes telemetry, settled before the body is read: a gateway with its enterprise's ingest
/// token (`awi_…`), or an enterprise's own user (bearer token or session). It holds one of the
/// enterprise's telemetry places (`security::TELEMETRY_PER_ENTERPRISE_MAX`) while the request is
/// handled; beyond them the answer is 429 with `Retry-After`.
pub struct TelemetryWriter {
    pub enterprise_id: i64,
    _place: crate::security::WriterPlace,
}

impl FromRequestParts<AppState> for TelemetryWriter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let enterprise_id = if let Some(token) = bearer_token(&parts.headers).filter(|t| t.starts_with(app::hazard_sources::INGEST_TOKEN_PREFIX)) {
            state.app.enterprise_of_ingest_token(token).await?.ok_or_else(ApiError::unauthenticated)?
        } else {
            let caller = ApiCaller::from_request_parts(parts, state).await?;
            match caller.actor.enterprise_id.filter(|_| app::policy::allows(&caller.actor, app::policy::Action::WriteTelemetry)) {
                Some(enterprise_id) => enterprise_id,
                None => return Err(state.app.denied(&caller.actor, &caller.client, "telemetry.write", "telemetry".into()).await.into()),
            }
        };
        let Some(place) = state.telemetry_writers.take(enterprise_id) else {
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                domain::message!("identity.too_many_telemetry_requests_enterprise_once"),
            )
            .with_retry_after(1));
        };
        Ok(Self { enterprise_id, _place: place })
    }
}

/// A logged-in person on a page; anonymous visitors are sent to the login page.
pub struct PageUser {
    pub actor: Actor,
    pub client: Client,
    pub session: Session,
}

pub struct ToLogin;

impl IntoResponse for ToLogin {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client = client_of(parts);
        // Pages are for people in a session: a bearer token opens none of them (it would skip
        // the second factor, the idle timeout and the CSRF token).
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return Err(ApiError::unauthenticated().into_response());
        }
        let session = parts.extensions.get::<Session>().cloned().ok_or_else(|| ToLogin.into_response())?;
        match resolve(parts, state).await {
            // A temporary password is changed before anything else: every page but the profile
            // (where it is changed) and logging out leads there.
            Ok(Some(actor)) if actor.must_change_password && !matches!(parts.uri.path(), "/profile" | "/profile/password" | "/logout") => {
                Err(Redirect::to("/profile?notice=profile.must_change").into_response())
            }
            Ok(Some(actor)) => Ok(Self { actor, client, session }),
            Ok(None) => Err(ToLogin.into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// The session's CSRF token, created on first use. An anonymous visitor gets none (and so no
/// session row): the only form it can send, the login, is checked by origin instead.
pub async fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF_KEY).await {
        return token;
    }
    if !matches!(session.get::<i64>(USER_ID_KEY).await, Ok(Some(_))) {
        return String::new();
    }
    let token = new_random_token();
    let _ = session.insert(CSRF_KEY, &token).await;
    token
}

pub fn new_random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
