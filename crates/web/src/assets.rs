//! Static assets embedded in the binary (vendored htmx, ECharts and the Jilin map; our CSS and
//! JS). No CDN: government intranets are closed.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{*path}", axum::routing::get(serve)).route("/site/emblem", axum::routing::get(emblem))
}

/// The organisation's emblem, when one is configured (`[site] emblem_file`); checked by its
/// bytes when the server started.
async fn emblem(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match &state.settings.site.emblem {
        Some(emblem) => {
            let mut response = emblem.bytes.as_ref().clone().into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(emblem.content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

async fn serve(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mut response = file.data.into_owned().into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            response
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
