//! The user's own profile: password change (which ends the user's other sessions), second-factor
//! enrolment with a QR code, the live sessions and the API tokens, each revocable.

use app::audit::display_time;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde::Deserialize;
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;
use crate::identity::{CLIENT_KEY, LOGIN_AT_KEY, PASSWORD_EPOCH_KEY, PageUser};
use crate::pages::{Chrome, chrome, error_page, label, render};
use crate::session_store::session_key;

/// Session key: a second-factor secret shown for enrolment but not yet confirmed.
const PENDING_TOTP_KEY: &str = "pending_totp";
/// Notices a redirect may ask the profile page to show, by message key.
const NOTICES: [&str; 7] = [
    "profile.password_changed",
    "profile.totp_enrolled",
    "profile.totp_removed",
    "profile.session_ended",
    "profile.token_revoked",
    "profile.nothing_pending",
    "profile.must_change",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile_page))
        .route("/profile/password", post(change_password))
        .route("/profile/totp/begin", post(begin_totp))
        .route("/profile/totp/confirm", post(confirm_totp))
        .route("/profile/totp/remove", post(remove_totp))
        .route("/profile/sessions/{key}/end", post(end_session))
        .route("/profile/tokens", post(create_token))
        .route("/profile/tokens/{id}/revoke", post(revoke_token))
}

struct SessionView {
    key: String,
    client: String,
    login_at: String,
    expires_at: String,
    current: bool,
}

struct TokenView {
    id: i64,
    name: String,
    created_at: String,
    expires_at: String,
    last_used_at: String,
    live: bool,
}

#[derive(Template)]
#[template(path = "accounts/profile.html")]
struct ProfilePage {
    c: Chrome,
    username: String,
    display_name: String,
    role: String,
    unit: String,
    has_totp: bool,
    is_administrator: bool,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
    errors: Vec<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn profile_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<NoticeQuery>) -> Response {
    let notice = query.notice.as_deref().and_then(|n| NOTICES.iter().find(|known| **known == n)).copied();
    profile_response(&state, &headers, &user, Vec::new(), notice).await
}

async fn profile_response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>, notice: Option<&str>) -> Response {
    let account = match state.app.own_account(&user.actor).await {
        Ok(account) => account,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let own_key = user.session.id().map(|id| session_key(&id));
    let sessions = state
        .app
        .own_sessions(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|row| {
            let data: serde_json::Value = serde_json::from_str(&row.data).unwrap_or_default();
            SessionView {
                current: own_key.as_deref() == Some(row.id.as_str()),
                client: data[CLIENT_KEY].as_str().unwrap_or("").to_owned(),
                login_at: data[LOGIN_AT_KEY].as_i64().map(display_time).unwrap_or_default(),
                expires_at: display_time(row.expires_at),
                key: row.id,
            }
        })
        .collect();
    let tokens = state
        .app
        .own_tokens(&user.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            live: t.revoked_at.is_none() && t.expires_at > domain::time::now_ms(),
            name: t.name,
            created_at: display_time(t.created_at),
            expires_at: display_time(t.expires_at),
            last_used_at: t.last_used_at.map(display_time).unwrap_or_else(|| "—".into()),
        })
        .collect();
    let c = chrome(state, headers, &user.session, "/profile", Some(&user.actor)).await;
    let notice = notice.map(|key| c.t.get(key).to_owned());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ProfilePage {
        username: account.username,
        display_name: account.display_name,
        role: label(c.t, user.actor.role.label_zh(), user.actor.role.label_en()),
        unit: user.actor.unit_name.clone(),
        has_totp: account.totp_secret.is_some(),
        is_administrator: user.actor.role.is_administrator(),
        sessions,
        tokens,
        errors,
        notice,
        c,
    };
    (status, render(&page)).into_response()
}

fn to_profile(notice: &str) -> Response {
    Redirect::to(&format!("/profile?notice={notice}")).into_response()
}

/// The messages of a rejected form, or `None` when the error is not about the input.
fn input_errors(headers: &HeaderMap, error: &app::AppError) -> Option<Vec<String>> {
    match error {
        app::AppError::Invalid(fields) => Some(crate::pages::rendered(headers, fields.iter().map(|f| f.message.clone()))),
        app::AppError::BadRequest(message) => Some(vec![crate::pages::text(headers, message)]),
        _ => None,
    }
}

async fn failure(state: &AppState, headers: &HeaderMap, user: &PageUser, error: app::AppError) -> Response {
    match input_errors(headers, &error) {
        Some(messages) => profile_response(state, headers, user, messages, None).await,
        None => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change_password(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<PasswordForm>) -> Response {
    if form.new_password != form.confirm_password {
        let c = chrome(&state, &headers, &user.session, "/profile", Some(&user.actor)).await;
        let message = c.t.get("profile.passwords_differ").to_owned();
        return profile_response(&state, &headers, &user, vec![message], None).await;
    }
    let own_key = user.session.id().map(|id| session_key(&id));
    match state.app.change_own_password(&user.actor, &user.client, &form.current_password, &form.new_password, own_key.as_deref()).await {
        Ok(account) => {
            // This session stays valid under the new password; every other one has ended.
            if user.session.insert(PASSWORD_EPOCH_KEY, account.password_changed_at).await.is_err() {
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", domain::message!("error.internal_error")).into_response();
            }
            to_profile("profile.password_changed")
        }
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}

/// A secret shown once (a token, a second-factor key).
#[derive(Template)]
#[template(path = "accounts/secret.html")]
struct SecretPage {
    c: Chrome,
    heading: String,
    intro: String,
    /// The otpauth QR code as a data URL, for second-factor secrets.
    qr_data_url: Option<String>,
    secret: String,
    confirm_action: Option<String>,
    back_url: String,
}

/// The `otpauth://` URI that authenticator apps read from the QR code.
fn otpauth_uri(username: &str, secret: &str) -> String {
    format!("otpauth://totp/anwei:{username}?secret={secret}&issuer=anwei&algorithm=SHA1&digits=6&period=30")
}

/// A QR code of `text` as an SVG data URL (allowed by the CSP's `img-src data:`).
pub(super) fn qr_data_url(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    Some(format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)))
}

/// A secret shown once: its heading and introduction (message keys), the secret, the account a
/// QR code is drawn for (a second factor), the form that confirms it, and the way back.
pub(crate) struct SecretShown<'a> {
    pub heading_key: &'a str,
    pub intro_key: &'a str,
    pub username_for_qr: Option<&'a str>,
    pub secret: String,
    pub confirm_action: Option<String>,
    pub back_url: String,
}

pub(crate) async fn secret_page(state: &AppState, headers: &HeaderMap, session: &Session, actor: &app::Actor, shown: SecretShown<'_>) -> Response {
    let c = chrome(state, headers, session, &shown.back_url, Some(actor)).await;
    let page = SecretPage {
        heading: c.t.get(shown.heading_key).to_owned(),
        intro: c.t.get(shown.intro_key).to_owned(),
        qr_data_url: shown.username_for_qr.and_then(|username| qr_data_url(&otpauth_uri(username, &shown.secret))),
        secret: shown.secret,
        confirm_action: shown.confirm_action,
        back_url: shown.back_url,
        c,
    };
    render(&page)
}

async fn begin_totp(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let secret = app::auth::new_totp_secret();
    if user.session.insert(PENDING_TOTP_KEY, &secret).await.is_err() {
        return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", domain::message!("error.internal_error")).into_response();
    }
    secret_page(
        &state,
        &headers,
        &user.session,
        &user.actor,
        SecretShown {
            heading_key: "profile.totp_enrol",
            intro_key: "profile.totp_scan",
            username_for_qr: Some(&user.actor.username),
            secret,
            confirm_action: Some("/profile/totp/confirm".into()),
            back_url: "/profile".into(),
        },
    )
    .await
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
    #[serde(default)]
    password: String,
}

async fn confirm_totp(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<CodeForm>) -> Response {
    let pending: Option<String> = user.session.get(PENDING_TOTP_KEY).await.ok().flatten();
    let Some(secret) = pending else {
        return to_profile("profile.nothing_pending");
    };
    match state.app.enrol_second_factor(&user.actor, &user.client, &form.password, &secret, &form.code).await {
        Ok(()) => {
            let _ = user.session.remove::<String>(PENDING_TOTP_KEY).await;
            to_profile("profile.totp_enrolled")
        }
        Err(app::AppError::Invalid(_)) => {
            // Show the same secret again so that the user can retry with the next code.
            let mut response = secret_page(
                &state,
                &headers,
                &user.session,
                &user.actor,
                SecretShown {
                    heading_key: "profile.totp_enrol",
                    intro_key: "profile.totp_wrong_code",
                    username_for_qr: Some(&user.actor.username),
                    secret,
                    confirm_action: Some("/profile/totp/confirm".into()),
                    back_url: "/profile".into(),
                },
            )
            .await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}

#[derive(Deserialize)]
struct PasswordConfirmForm {
    password: String,
}

async fn remove_totp(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<PasswordConfirmForm>) -> Response {
    match state.app.remove_own_second_factor(&user.actor, &user.client, &form.password).await {
        Ok(()) => to_profile("profile.totp_removed"),
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}

async fn end_session(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(key): Path<String>) -> Response {
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return error_page(&state, &headers, &user.session, Some(&user.actor), ApiError::not_found()).await;
    }
    match state.app.end_own_session(&user.actor, &user.client, &key).await {
        Ok(()) => to_profile("profile.session_ended"),
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

async fn create_token(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<TokenForm>) -> Response {
    let name = Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()).unwrap_or_else(|| "api".into());
    match state.app.issue_token(&user.actor, &form.password, Some(form.totp.as_str()), &name, &user.client).await {
        Ok((token, _)) => {
            secret_page(
                &state,
                &headers,
                &user.session,
                &user.actor,
                SecretShown {
                    heading_key: "profile.token_created",
                    intro_key: "profile.token_copy_now",
                    username_for_qr: None,
                    secret: token,
                    confirm_action: None,
                    back_url: "/profile".into(),
                },
            )
            .await
        }
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}

async fn revoke_token(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.revoke_own_token(&user.actor, &user.client, id).await {
        Ok(()) => to_profile("profile.token_revoked"),
        Err(error) => failure(&state, &headers, &user, error).await,
    }
}
