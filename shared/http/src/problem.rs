//! The single place where domain errors become HTTP responses (RFC 9457).

use intake_domain::AppError;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;
use tracing::error;

pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::RouteNotFound
        | AppError::SessionNotFound
        | AppError::JobNotFound
        | AppError::ReplayNotFound => StatusCode::NOT_FOUND,
        AppError::MalformedRequest(_)
        | AppError::InvalidRequest { .. }
        | AppError::InvalidIdempotencyKey(_) => StatusCode::BAD_REQUEST,
        AppError::RequestTooLarge(_)
        | AppError::FileTooLarge { .. }
        | AppError::UploadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UploadMissing { .. }
        | AppError::SessionNotConfirmed
        | AppError::ConfirmInProgress
        | AppError::SessionAlreadyExtracted { .. }
        | AppError::JobNotFinished
        | AppError::WebhookNotConfigured
        | AppError::IdempotencyRequestInProgress => StatusCode::CONFLICT,
        AppError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::ResultExpired => StatusCode::GONE,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// "session_not_found" → "Session not found".
fn title_of(code: &str) -> String {
    let words = code.replace('_', " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A problem document with the error's stable `code`, plus the extension
/// members some errors carry (`files`, `job_id`). Infrastructure errors are
/// logged here and reach the caller only as `internal_error`.
pub fn problem_response(error: &AppError) -> Response<Body> {
    let status = status_of(error);
    let code = error.code();
    if let AppError::Store(cause) = error {
        error!(error = %cause, "request failed on infrastructure");
    }
    let mut document = document(status, code, &error.to_string());
    match error {
        AppError::UploadMissing { files } | AppError::UploadTooLarge { files } => {
            document["files"] = json!(files);
        }
        AppError::SessionAlreadyExtracted { job_id } => document["job_id"] = json!(job_id),
        _ => {}
    }
    respond(status, document)
}

/// A problem raised in front of the handlers (routing, payload size,
/// timeouts), in the same shape as the handlers' own.
pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response<Body> {
    respond(status, document(status, code, detail))
}

fn document(status: StatusCode, code: &str, detail: &str) -> serde_json::Value {
    json!({
        "type": format!("urn:invoice-intake:problem:{code}"),
        "title": title_of(code),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    })
}

fn respond(status: StatusCode, document: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, PROBLEM_JSON)
        .body(Body::Text(document.to_string()))
        .unwrap_or_else(|_| Response::new(Body::Empty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(response: &Response<Body>) -> serde_json::Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("problem body is JSON"),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn problems_carry_status_code_and_extensions() {
        let response = problem_response(&AppError::UploadMissing {
            files: vec!["fil_1".into()],
        });
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = document(&response);
        assert_eq!(body["code"], "upload_missing");
        assert_eq!(body["status"], 409);
        assert_eq!(body["title"], "Upload missing");
        assert_eq!(body["files"], json!(["fil_1"]));
    }

    #[test]
    fn infrastructure_errors_do_not_leak_their_cause() {
        let cause = intake_domain::StoreError::new(
            "put_item",
            "ResourceNotFoundException: arn:aws:dynamodb:…",
        );
        let response = problem_response(&AppError::Store(cause));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let text = document(&response).to_string();
        assert!(!text.contains("arn:aws"), "{text}");
        assert!(text.contains("internal_error"));
    }
}
