//! The one mapping from application errors to HTTP: a status and a body
//! `{"code": "...", "message": "..."}` with a stable snake_case code. A 5xx body says nothing
//! about the cause; the cause goes to the log.

use app::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::message::{Lang, Message};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: &'static str,
    /// What went wrong, in the caller's language: the `anwei_lang` cookie's, or for an API client
    /// without one its `Accept-Language` (English when it comes first); Chinese by default.
    pub message: String,
    /// Per-field problems, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An error answer: its status, its stable code and its message, rendered in the caller's
/// language when the answer is sent (see [`localize`]).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Message,
    pub fields: Vec<(String, Message)>,
    /// Seconds after which the client may try again (`Retry-After`); 503 answers carry 1 when
    /// nothing else is said.
    pub retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: Message) -> Self {
        Self { status, code, message, fields: Vec::new(), retry_after_seconds: None }
    }

    pub fn with_retry_after(self, seconds: u64) -> Self {
        Self { retry_after_seconds: Some(seconds), ..self }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", domain::message!("error.log_first"))
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", domain::message!("error.not_found"))
    }

    /// The body in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.render(lang),
            fields: self.fields.iter().map(|(field, message)| FieldProblem { field: field.clone(), message: message.render(lang) }).collect(),
        }
    }

    fn response(&self, lang: Lang) -> Response {
        let retry_after = self.retry_after_seconds.or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1));
        let mut response = match retry_after {
            Some(seconds) => (self.status, [(axum::http::header::RETRY_AFTER, seconds.to_string())], Json(self.body(lang))).into_response(),
            None => (self.status, Json(self.body(lang))).into_response(),
        };
        response.extensions_mut().insert(self.clone());
        response
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            // Out of scope and non-existent look the same, so existence leaks nothing.
            AppError::NotFound | AppError::Forbidden => ApiError::not_found(),
            AppError::Invalid(fields) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation_failed",
                message: Message::joined(fields.iter().map(|f| f.message.clone()).collect()),
                fields: fields.into_iter().map(|f| (f.field.to_owned(), f.message)).collect(),
                retry_after_seconds: None,
            },
            AppError::BadRequest(message) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message),
            AppError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            AppError::IllegalTransition(message) => ApiError::new(StatusCode::CONFLICT, "illegal_transition", message),
            AppError::Busy(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message),
            AppError::Unavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message),
            AppError::Store(error) => {
                tracing::error!(%error, "storage failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", domain::message!("error.internal_error"))
            }
            AppError::Internal(error) => {
                tracing::error!(%error, "internal failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", domain::message!("error.internal_error"))
            }
        }
    }
}

/// Rendered in Chinese here; [`localize`] renders it again in the caller's language.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.response(Lang::Zh)
    }
}

/// Renders error answers in the caller's language: an answer that carries an [`ApiError`] is
/// rendered again when the caller chose English: by the language cookie, or, for an API client
/// without one, by `Accept-Language`.
pub async fn localize(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    let lang = if request.uri().path().starts_with("/api/") && crate::i18n::Lang::from_cookie(headers).is_none() {
        crate::i18n::Lang::from_accept_language(headers)
    } else {
        crate::i18n::Lang::from_headers(headers)
    }
    .message_lang();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<ApiError>().filter(|_| lang == Lang::En).cloned() else { return response };
    // The same answer, headers and all, with the body in English.
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&error.body(Lang::En)).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body))
}

pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found()
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", domain::message!("error.internal_error")).into_response()
}
