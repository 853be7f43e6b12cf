//! Browser protections applied to every request: security headers on every response, and the
//! CSRF guard on every state-changing request that relies on the session cookie (an
//! Origin/`Sec-Fetch-Site` check plus the session's token, sent as the `X-CSRF-Token` header by
//! htmx or as the `_csrf` form field).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;
use crate::identity::CSRF_KEY;

/// The login throttle's key: the client's address (`client_address`), an IPv6 client by its /64,
/// or one shared key when the address is unknown (requests that did not come through a socket,
/// as in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleKey;

impl tower_governor::key_extractor::KeyExtractor for ThrottleKey {
    type Key = std::net::IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<Self::Key, tower_governor::GovernorError> {
        let address = request
            .extensions()
            .get::<crate::client_address::ClientAddress>()
            .map(|client| client.0)
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(match address {
            std::net::IpAddr::V6(v6) => {
                let segments = v6.segments();
                std::net::IpAddr::V6(std::net::Ipv6Addr::new(segments[0], segments[1], segments[2], segments[3], 0, 0, 0, 0))
            }
            v4 => v4,
        })
    }
}

pub type LoginThrottle = tower_governor::GovernorLayer<ThrottleKey, governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>, Body>;

/// Throttles login attempts per client address: a burst, then one attempt per refill period.
/// Refusals answer 429 `too_many_attempts` with `Retry-After`. A background task forgets idle
/// clients every minute, so the table of addresses stays bounded by recent traffic.
pub fn login_throttle(settings: &app::auth::SecuritySettings) -> LoginThrottle {
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .key_extractor(ThrottleKey)
        .period(std::time::Duration::from_secs(settings.login_refill_seconds.max(1)))
        .burst_size(settings.login_burst_per_client.max(1))
        .methods(vec![Method::POST])
        .finish()
        .expect("a positive period and burst always build a configuration");
    let config = std::sync::Arc::new(config);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let limiter = std::sync::Arc::downgrade(&config);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(config) = limiter.upgrade() else { break };
                config.limiter().retain_recent();
                config.limiter().shrink_to_fit();
            }
        });
    }
    tower_governor::GovernorLayer::new(config).error_handler(|error| {
        let (retry_after, message) = match error {
            tower_governor::GovernorError::TooManyRequests { wait_time, .. } => {
                (wait_time.max(1), domain::message!("security.too_many_login_attempts_try_again", value = wait_time.max(1)))
            }
            _ => (60, domain::message!("security.login_unavailable")),
        };
        let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message).into_response();
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    })
}

/// The places for requests being handled, in two pools so that neither kind of load can starve
/// the other: telemetry ingest (`POST /api/v1/telemetry`, whose bodies are large and which feeds
/// the alarms) and everything else (pages and the API).
#[derive(Clone)]
pub struct InFlight {
    requests: std::sync::Arc<tokio::sync::Semaphore>,
    telemetry: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Telemetry requests handled at once (each body up to `api::TELEMETRY_BYTES_MAX`); the monitor
/// itself takes `app::monitoring::INGEST_QUEUE_MAX` batches at a time and refuses the rest.
pub const TELEMETRY_IN_FLIGHT_MAX: usize = 2 * app::monitoring::INGEST_QUEUE_MAX;

impl InFlight {
    pub fn new(requests_in_flight_max: usize) -> Self {
        Self {
            requests: std::sync::Arc::new(tokio::sync::Semaphore::new(requests_in_flight_max.max(1))),
            telemetry: std::sync::Arc::new(tokio::sync::Semaphore::new(TELEMETRY_IN_FLIGHT_MAX)),
        }
    }
}

/// Telemetry requests one enterprise may have in hand at once, of the `TELEMETRY_IN_FLIGHT_MAX`
/// places: one writer (a gateway, or a person with a stolen token) cannot take them all.
pub const TELEMETRY_PER_ENTERPRISE_MAX: usize = 4;

/// How many telemetry requests each enterprise has in hand, in this process.
#[derive(Default)]
pub struct WriterPlaces(std::sync::Mutex<std::collections::HashMap<i64, usize>>);

/// One of an enterprise's telemetry places, given back when dropped.
pub struct WriterPlace {
    places: std::sync::Arc<WriterPlaces>,
    enterprise_id: i64,
}

impl WriterPlaces {
    /// A place for the enterprise, or `None` when it has `TELEMETRY_PER_ENTERPRISE_MAX` already.
    pub fn take(self: &std::sync::Arc<Self>, enterprise_id: i64) -> Option<WriterPlace> {
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(enterprise_id).or_insert(0);
        if *count >= TELEMETRY_PER_ENTERPRISE_MAX {
            return None;
        }
        *count += 1;
        Some(WriterPlace { places: self.clone(), enterprise_id })
    }
}

impl Drop for WriterPlace {
    fn drop(&mut self) {
        let mut counts = self.places.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.enterprise_id) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.enterprise_id);
            }
        }
    }
}

/// Refuses a request at once (503, `Retry-After: 1`) when its pool's places are all taken
/// (`requests_in_flight_max` for pages and the API, `TELEMETRY_IN_FLIGHT_MAX` for telemetry), so
/// that a flood of requests is answered rather than queued until memory runs out; the health
/// check and live alarm streams (bounded on their own) are not counted.
pub async fn shed_load(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    let pool = match request.uri().path() {
        "/healthz" | "/api/v1/alarms/stream" => return next.run(request).await,
        "/api/v1/telemetry" => &in_flight.telemetry,
        _ => &in_flight.requests,
    };
    match pool.clone().try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", domain::message!("security.server_busy_try_again_shortly"))
            .with_retry_after(1)
            .into_response(),
    }
}

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

/// Requests that need no session token: logins, which authenticate by what is typed (the page's
/// login still has to come from our own origin, which defeats login CSRF).
const CSRF_EXEMPT_PATHS: [&str; 2] = ["/api/v1/auth/login", "/login"];

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Whether responses carry `Strict-Transport-Security`: when the site is served over HTTPS
/// (`secure_cookies`), browsers are told to use nothing else for a year.
#[derive(Debug, Clone, Copy)]
pub struct Hsts(pub bool);

pub async fn headers(State(hsts): State<Hsts>, request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if hsts.0 {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"));
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn rejected(message: domain::message::Message) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf_rejected", message).into_response()
}

/// Whether the request comes from our own pages, by `Sec-Fetch-Site` or else `Origin` vs `Host`.
fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), headers.get(header::HOST).and_then(|v| v.to_str().ok())) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        // Non-browser clients send neither header; the token check below still applies.
        (None, _) => true,
    }
}

pub async fn csrf_guard(State(_state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // An API request with an `Authorization` header is authenticated by that header alone, never
    // by the cookie (`identity::resolve`), so a cross-site page cannot lend it the user's session.
    // Pages are for sessions (they refuse the header), and the ones that act on the cookie
    // without an identity (login, logout) keep the cookie's checks whatever headers come along.
    let header_authenticated = request.headers().contains_key(header::AUTHORIZATION) && request.uri().path().starts_with("/api/");
    if !unsafe_method || header_authenticated {
        return next.run(request).await;
    }
    if !same_origin(&request) {
        return rejected(domain::message!("security.cross_site_request_refused"));
    }
    if CSRF_EXEMPT_PATHS.contains(&request.uri().path()) || crate::tips::pages::PUBLIC_FORM_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return rejected(domain::message!("security.no_session"));
    };
    // An API call from a session with no one logged in carries no authority to forge; let the
    // handler answer 401 rather than a confusing CSRF refusal.
    let logged_in = session.get::<i64>(crate::session_store::USER_ID_KEY).await.ok().flatten().is_some();
    if !logged_in && request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let expected: Option<String> = session.get(CSRF_KEY).await.ok().flatten();
    let Some(expected) = expected else {
        return rejected(domain::message!("security.page_has_expired_reload_try_again"));
    };
    if let Some(sent) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            next.run(request).await
        } else {
            rejected(domain::message!("security.invalid_csrf_token"))
        };
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if content_type.starts_with("multipart/form-data") {
        return multipart_guard(request, next, &content_type, &expected).await;
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return rejected(domain::message!("security.missing_csrf_token"));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::BODY_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", domain::message!("security.request_too_large")).into_response();
        }
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = fields.iter().find(|(name, _)| name == CSRF_FIELD).map(|(_, value)| value.as_str());
    if !sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes())) {
        return rejected(domain::message!("security.invalid_csrf_token"));
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// How much of a multipart form is read to find its CSRF field: the field must come first (the
/// pages put it there), so a few kilobytes hold it whatever the files after it weigh.
const MULTIPART_HEAD_BYTES: usize = 16 * 1024;

/// A multipart form sent without the header (a page without JavaScript): its first field must
/// be `_csrf` with the session's token. Only the head of the body is read to find it; the whole
/// body then goes on to the handler, which enforces its own size limit.
async fn multipart_guard(request: Request, next: Next, content_type: &str, expected: &str) -> Response {
    use futures_util::StreamExt;
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return rejected(domain::message!("security.missing_csrf_token"));
    };
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    while head.len() < MULTIPART_HEAD_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => return rejected(domain::message!("security.missing_csrf_token")),
            None => break,
        }
    }
    let head = axum::body::Bytes::from(head);
    let mut form = multer::Multipart::new(futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(head.clone()))), boundary);
    let sent = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some(CSRF_FIELD) && field.file_name().is_none() => field.text().await.ok(),
        _ => None,
    };
    if !sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes())) {
        return rejected(domain::message!("security.invalid_csrf_token"));
    }
    let whole = futures_util::stream::once(std::future::ready(Ok::<_, axum::Error>(head))).chain(stream);
    next.run(Request::from_parts(parts, Body::from_stream(whole))).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
