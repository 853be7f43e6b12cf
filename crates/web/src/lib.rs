//! anwei's web layer: the HTTP API under `/api/v1`, the server-rendered pages, embedded assets,
//! sessions, CSRF protection and security headers. The only crate that knows HTTP; it maps
//! application errors to HTTP responses in one place (`error`).

mod accidents;
mod accountability;
mod accounts;
mod api;
mod api_document;
mod api_extract;
mod assessment;
mod assets;
mod audit;
mod checklists;
pub mod client_address;
mod commitments;
mod credit;
mod enforcement;
mod enterprises;
mod error;
mod experts;
mod hidden_dangers;
mod i18n;
mod identity;
mod inbox;
mod insurance;
mod monitoring;
mod pages;
mod risk_points;
mod security;

pub use security::TELEMETRY_PER_ENTERPRISE_MAX;
mod session_store;
mod tips;
pub mod webhooks;
mod workplans;

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
    /// Proxies whose forwarding header is believed (`client_address`); none by default.
    pub proxies: client_address::Proxies,
    /// Page and API requests handled at once; beyond this the server answers 503 with
    /// `Retry-After` at once instead of queueing without bound (telemetry ingest and live alarm
    /// streams have limits of their own: `security::InFlight`).
    pub requests_in_flight_max: usize,
    /// Who runs this site: the organisation's name and emblem in the header, the hosting unit
    /// and filing number in the footer (`[site]` in the configuration).
    pub site: SiteIdentity,
}

/// The organisation shown in the header and footer of every page. Empty fields are not shown.
#[derive(Debug, Clone, Default)]
pub struct SiteIdentity {
    /// e.g. 吉林省安全生产委员会办公室, and its English name.
    pub organisation_zh: String,
    pub organisation_en: String,
    /// 主办单位, in the footer, and its English name.
    pub hosting_unit_zh: String,
    pub hosting_unit_en: String,
    /// The site's filing number (备案号), shown as given.
    pub filing_number: String,
    /// The emblem (PNG or JPEG, at most `EMBLEM_BYTES_MAX`), served at `/site/emblem`.
    pub emblem: Option<Emblem>,
}

/// An emblem image checked by its bytes.
#[derive(Debug, Clone)]
pub struct Emblem {
    pub content_type: &'static str,
    pub bytes: std::sync::Arc<Vec<u8>>,
}

/// The largest emblem accepted.
pub const EMBLEM_BYTES_MAX: usize = 256 * 1024;

impl Emblem {
    /// The emblem from a file's bytes: PNG or JPEG, recognised by their signature, at most
    /// `EMBLEM_BYTES_MAX`; anything else is refused with the reason.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() > EMBLEM_BYTES_MAX {
            return Err(format!("the emblem is over {} KiB", EMBLEM_BYTES_MAX / 1024));
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else {
            return Err("the emblem must be a PNG or JPEG image".into());
        };
        Ok(Self { content_type, bytes: std::sync::Arc::new(bytes) })
    }
}

/// The default of `WebSettings::requests_in_flight_max`.
pub const REQUESTS_IN_FLIGHT_MAX: usize = 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub settings: Arc<WebSettings>,
    /// Uploads read at once (each up to 100 MiB in memory); the next waits for a place or is
    /// told to retry (`upload_turn`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Telemetry requests in hand per enterprise (`security::TELEMETRY_PER_ENTERPRISE_MAX`).
    pub telemetry_writers: Arc<security::WriterPlaces>,
    /// The public tip form's and receipt look-ups' throttle (no addresses kept).
    pub tip_throttle: Arc<tips::throttle::TipThrottle>,
}

/// Uploads read at once in one process.
pub const UPLOADS_AT_ONCE: usize = 4;

/// A place to read an upload in, or the 503 answer (with `Retry-After`) when every place has been
/// taken for a few seconds.
pub(crate) async fn upload_turn(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, axum::response::Response> {
    use axum::response::IntoResponse;
    match tokio::time::timeout(std::time::Duration::from_secs(5), state.uploads.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(error::ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy", domain::message!("web.too_many_uploads_once_try_again"))
            .with_retry_after(5)
            .into_response()),
    }
}

/// The whole router: pages, API, assets, with sessions, CSRF checks and security headers.
pub fn router(app: App, settings: WebSettings) -> Router {
    let session_store = session_store::DatabaseSessionStore::new(app.clone());
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
    let trusted_proxies = Arc::new(settings.proxies.clone());
    let hsts = security::Hsts(settings.secure_cookies);
    let in_flight = security::InFlight::new(settings.requests_in_flight_max);
    let state = AppState {
        app,
        settings: Arc::new(settings),
        uploads: Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE)),
        telemetry_writers: Default::default(),
        tip_throttle: Default::default(),
    };
    let (api_router, openapi) = api::router(login_throttle.clone()).split_for_parts();
    let mut openapi = openapi;
    api_document::complete(&mut openapi);
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
        .layer(axum::middleware::from_fn_with_state(in_flight, security::shed_load))
        .layer(axum::middleware::from_fn_with_state(trusted_proxies, client_address::resolve))
        .layer(axum::middleware::from_fn_with_state(hsts, security::headers))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(CatchPanicLayer::custom(error::panic_response))
        // Outermost, so that every error answer (a panic's included) is in the caller's language;
        // it keeps the answer's headers.
        .layer(axum::middleware::from_fn(error::localize))
        .with_state(state)
}

/// How long a client may take to send a request's head (line and headers); a connection that
/// is slower, or that sends half a request and waits, is closed.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a request body may pause between two pieces before the request is refused (408).
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the router on `listener` until `shutdown` completes, recording each connection's peer
/// for `client_address`. Each connection is HTTP/1.1 with a deadline for its request heads
/// (`header_read_timeout`), so that half-sent requests do not hold connections open; on shutdown
/// connections finish the request in hand and close.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    settings: WebSettings,
    header_read_timeout: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let router = router(app, settings);
    let (closing, _) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request
        });
        let mut closed = closing.subscribe();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service));
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    let _ = closing.send(());
    // Give connections a moment to finish what they are doing.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while closing.receiver_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok(())
}
