//! anwei's web layer: the HTTP API under `/api/v1`, the server-rendered pages, embedded assets,
//! sessions, CSRF protection and security headers. The only crate that knows HTTP; it maps
//! application errors to HTTP responses in one place (`error`).

mod api;
mod assets;
pub mod client_address;
mod error;
mod i18n;
mod identity;
mod pages;
mod security;
mod session_store;
pub mod webhooks;

use std::sync::Arc;

use app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

pub use i18n::Lang;

/// Largest request body, except uploads.
pub const BODY_BYTES_MAX: usize = 1024 * 1024;
/// Largest upload (an import file plus form overhead).
pub const UPLOAD_BYTES_MAX: usize = app::spreadsheet::IMPORT_BYTES_MAX + 64 * 1024;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Marks cookies `Secure`; on whenever the site is served over TLS (directly or by a proxy).
    pub secure_cookies: bool,
    /// Shown on every page when the server runs the demo province.
    pub demo_banner: bool,
    /// Proxies whose forwarding headers are believed (`client_address`); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub settings: Arc<WebSettings>,
}

/// The whole router: pages, API, assets, with sessions, CSRF checks and security headers.
pub fn router(app: App, settings: WebSettings) -> Router {
    let session_store = session_store::DatabaseSessionStore::new(app.store.clone());
    let idle = time::Duration::minutes(app.security.session_idle_minutes);
    let sessions = SessionManagerLayer::new(session_store)
        .with_name("anwei_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle))
        // Saving on every request moves the idle deadline forward while the user is active;
        // otherwise the idle timeout would fall due counting from the last change to the session.
        .with_always_save(true);
    let login_throttle = security::login_throttle(&app.security);
    let trusted_proxies = Arc::new(settings.trusted_proxies.clone());
    let hsts = security::Hsts(settings.secure_cookies);
    let state = AppState { app, settings: Arc::new(settings) };
    let (api_router, openapi) = api::router(login_throttle.clone()).split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(pages::router(login_throttle))
        .merge(api_router)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .merge(assets::router())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(error::not_found_fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::csrf_guard))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(trusted_proxies, client_address::resolve))
        .layer(axum::middleware::from_fn_with_state(hsts, security::headers))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes, recording client addresses for
/// the audit log.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    settings: WebSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app, settings);
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await
}
