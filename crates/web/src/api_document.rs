//! The OpenAPI document's common part: the answers that the layers around every handler give
//! (authentication, the request extractors, load shedding), added to each operation from what the
//! operation declares, so that the document describes every status the server can send.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Type};

fn error_answer(description: &str, retry_after: bool) -> RefOr<utoipa::openapi::Response> {
    let mut answer = ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build());
    if retry_after {
        answer = answer.header(
            "Retry-After",
            HeaderBuilder::new().schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0))).description(Some("seconds to wait")).build(),
        );
    }
    RefOr::T(answer.build())
}

fn add(operation: &mut Operation, status: &str, description: &str, retry_after: bool) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error_answer(description, retry_after));
}

/// Adds to every operation the error answers it can get besides its own.
pub fn complete(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            complete_operation(operation);
        }
    }
}

fn complete_operation(operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|requirements| !requirements.is_empty());
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let has_path = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let json_body = operation.request_body.as_ref().is_some_and(|body| body.content.contains_key("application/json"));
    let any_body = operation.request_body.is_some();
    if secured {
        add(operation, "401", "no valid bearer token or session", false);
        add(operation, "403", "a temporary password must be changed first, or a cookie-borne write lacks its CSRF token", false);
        add(operation, "404", "not found, or outside the caller's scope (the two look alike)", false);
    }
    if has_query || has_path {
        add(operation, "400", "a parameter does not parse", false);
    }
    if has_path {
        add(operation, "404", "no such record", false);
    }
    if any_body {
        add(operation, "400", "the body does not parse", false);
        add(operation, "413", "the body is larger than the limit", false);
        add(operation, "415", "the body's content type is not one this operation reads", false);
    }
    if json_body {
        add(operation, "422", "the body lacks a field or a field has the wrong type or value", false);
    }
    add(operation, "503", "the server is at its limit of requests in flight; try again after Retry-After", true);
}
