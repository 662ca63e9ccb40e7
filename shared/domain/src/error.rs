//! Errors of the use cases. Each carries a stable machine-readable `code`;
//! `intake-http` is the one place that turns them into HTTP statuses.

use crate::ids::JobId;

/// A failure of a storage, queue or object-store adapter. The message is for
/// logs only: it never reaches an API caller.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct StoreError {
    pub operation: &'static str,
    pub message: String,
}

impl StoreError {
    pub fn new(operation: &'static str, error: impl std::fmt::Display) -> Self {
        Self {
            operation,
            message: error.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("a valid x-api-key header is required")]
    Unauthorized,
    #[error("no such route")]
    RouteNotFound,
    #[error("no session with this id")]
    SessionNotFound,
    #[error("no job with this id")]
    JobNotFound,
    #[error("no bulk replay with this id")]
    ReplayNotFound,
    /// The request body is not JSON of the expected shape.
    #[error("{0}")]
    MalformedRequest(String),
    /// The request is well-formed but a value is not acceptable.
    #[error("{detail}")]
    InvalidRequest { code: &'static str, detail: String },
    #[error("{0}")]
    RequestTooLarge(String),
    #[error("{detail}")]
    FileTooLarge { detail: String },
    #[error("{} file(s) have not been uploaded", files.len())]
    UploadMissing { files: Vec<String> },
    #[error("{} upload(s) are larger than allowed", files.len())]
    UploadTooLarge { files: Vec<String> },
    #[error("another confirmation of this session is still in progress; retry shortly")]
    ConfirmInProgress,
    #[error("the session must be confirmed (PATCH /sessions/{{id}}/confirm) before extraction")]
    SessionNotConfirmed,
    #[error("extraction was already submitted for this session as job {job_id}")]
    SessionAlreadyExtracted { job_id: JobId },
    #[error("the job has not finished yet")]
    JobNotFinished,
    /// The job's result (or a file's result in it) is past retention: the
    /// S3 lifecycle deleted it.
    #[error("the job's result is past retention and was deleted")]
    ResultExpired,
    #[error("the job has no webhook URL, so there is no event to send")]
    WebhookNotConfigured,
    #[error("{0}")]
    InvalidIdempotencyKey(String),
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still in progress")]
    IdempotencyRequestInProgress,
    #[error("internal error")]
    Store(#[from] StoreError),
}

impl AppError {
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::InvalidRequest {
            code,
            detail: detail.into(),
        }
    }

    /// The stable `code` of the problem document.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::RouteNotFound => "not_found",
            AppError::SessionNotFound => "session_not_found",
            AppError::JobNotFound => "job_not_found",
            AppError::ReplayNotFound => "replay_not_found",
            AppError::MalformedRequest(_) => "malformed_request",
            AppError::InvalidRequest { code, .. } => code,
            AppError::RequestTooLarge(_) => "request_too_large",
            AppError::FileTooLarge { .. } => "file_too_large",
            AppError::UploadMissing { .. } => "upload_missing",
            AppError::UploadTooLarge { .. } => "upload_too_large",
            AppError::ConfirmInProgress => "confirm_in_progress",
            AppError::SessionNotConfirmed => "session_not_confirmed",
            AppError::SessionAlreadyExtracted { .. } => "session_already_extracted",
            AppError::JobNotFinished => "job_not_finished",
            AppError::ResultExpired => "result_expired",
            AppError::WebhookNotConfigured => "webhook_not_configured",
            AppError::InvalidIdempotencyKey(_) => "invalid_idempotency_key",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::IdempotencyRequestInProgress => "idempotency_request_in_progress",
            AppError::Store(_) => "internal_error",
        }
    }
}
