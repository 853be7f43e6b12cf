//! The one mapping from application errors to HTTP: a status and a body
//! `{"code": "...", "message": "..."}` with a stable snake_case code. A 5xx body says nothing
//! about the cause; the cause goes to the log.

use app::AppError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: &'static str,
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

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds after which the client may try again (`Retry-After`); 503 answers carry 1 when
    /// nothing else is said.
    pub retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody { code, message: message.into(), fields: Vec::new() }, retry_after_seconds: None }
    }

    pub fn with_retry_after(self, seconds: u64) -> Self {
        Self { retry_after_seconds: Some(seconds), ..self }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录 / log in first")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "未找到 / not found")
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            // Out of scope and non-existent look the same, so existence leaks nothing.
            AppError::NotFound | AppError::Forbidden => ApiError::not_found(),
            AppError::Invalid(fields) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                body: ErrorBody {
                    code: "validation_failed",
                    message: fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
                    fields: fields.into_iter().map(|f| FieldProblem { field: f.field.into(), message: f.message }).collect(),
                },
                retry_after_seconds: None,
            },
            AppError::BadRequest(message) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message),
            AppError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            AppError::IllegalTransition(message) => ApiError::new(StatusCode::CONFLICT, "illegal_transition", message),
            AppError::Busy(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message),
            AppError::Store(error) => {
                tracing::error!(%error, "storage failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "服务器内部错误 / internal error")
            }
            AppError::Internal(error) => {
                tracing::error!(%error, "internal failure");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "服务器内部错误 / internal error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after_seconds.or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1));
        if let Some(seconds) = retry_after {
            return (self.status, [(axum::http::header::RETRY_AFTER, seconds.to_string())], Json(self.body)).into_response();
        }
        (self.status, Json(self.body)).into_response()
    }
}

pub async fn not_found_fallback() -> ApiError {
    ApiError::not_found()
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "服务器内部错误 / internal error").into_response()
}
