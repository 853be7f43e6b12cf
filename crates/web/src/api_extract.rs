//! The API's request extractors: axum's `Json`, `Query` and `Path`, whose refusals answer in the
//! API's own error shape (`{"code", "message"}`, JSON) instead of the framework's plain text, with
//! the status the OpenAPI document declares for them.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Longest part of the framework's own explanation repeated to the client.
const DETAIL_CHARS_MAX: usize = 300;

fn detail(text: impl std::fmt::Display) -> String {
    text.to_string().chars().take(DETAIL_CHARS_MAX).collect()
}

/// A JSON request body, or a JSON answer.
///
/// Refusals: no `application/json` content type → 415 `unsupported_media_type`; a body that is
/// not JSON → 400 `malformed_json`; JSON of the wrong shape (a missing field, a wrong type, a
/// value out of range) → 422 `invalid_body`; a body over the limit → 413 `payload_too_large`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(request, state).await.map_err(json_refusal)?;
        integral_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value).map(Self).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                domain::message!("api_extract.body_does_not_have_expected_fields", error = detail(error)),
            )
        })
    }
}

/// JSON Schema, by which the OpenAPI document describes the bodies, counts `5.0` as an integer;
/// a number without a fractional part is therefore given to an integer field as one. Others
/// (fractions, numbers beyond 64 bits) stay as they are and are refused by integer fields.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && (-9.007_199_254_740_992e15..=9.007_199_254_740_992e15).contains(&float)
            {
                *number = serde_json::Number::from(float as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

fn json_refusal(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", domain::message!("api_extract.send_body_content_type_application_json"))
        }
        JsonRejection::JsonSyntaxError(error) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", domain::message!("api_extract.body_not_valid_json", value = detail(error.body_text())))
        }
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", domain::message!("api_extract.body_too_large"))
        }
        other => {
            ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", domain::message!("api_extract.body_could_not_read", value = detail(other.body_text())))
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string parameters; a missing or malformed one answers 400 `invalid_query`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_refusal(rejection)),
        }
    }
}

fn query_refusal(rejection: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", domain::message!("api_extract.invalid_query_parameters", value = detail(rejection.body_text())))
}

/// Path segments; one that does not parse (a letter where an id goes) answers 400
/// `invalid_path`, since no such record could exist.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let rejection = match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => return Ok(Self(value)),
            Err(rejection) => rejection,
        };
        // An id written as a number without a fraction (`12.0`) is the integer it names, as in
        // the JSON bodies; the API's paths have one parameter each.
        if let Ok(raw) = axum::extract::RawPathParams::from_request_parts(parts, state).await
            && let [(_, text)] = raw.iter().collect::<Vec<_>>()[..]
            && let Some(integer) = integral_text(text)
            && let Ok(value) = serde_json::from_value(serde_json::Value::from(integer))
        {
            return Ok(Self(value));
        }
        Err(path_refusal(rejection))
    }
}

/// `12.0` or `-3.00` as the integer it writes; anything else is not one.
fn integral_text(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}

fn path_refusal(rejection: PathRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", domain::message!("api_extract.invalid_path_parameter", value = detail(rejection.body_text())))
}
