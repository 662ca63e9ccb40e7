//! What a call can fail with.

use std::time::Duration;

use crate::types::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with an error (a problem+json document, or a body
    /// that is not one).
    #[error("{0}")]
    Api(#[from] ApiError),
    /// No answer: the connection failed or timed out, on every attempt.
    #[error("the API at {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx whose body is not the contract's.
    #[error("unexpected answer from {path}: {detail}")]
    UnexpectedBody { path: String, detail: String },
    /// The storage behind a pre-signed URL refused or lost an upload.
    #[error("the upload of {name} failed: storage answered {status}")]
    Upload { name: String, status: u16 },
    #[error("the API URL {url:?} is not an http(s) URL")]
    InvalidBaseUrl { url: String },
    #[error("cannot build the HTTP client: {0}")]
    Setup(#[source] reqwest::Error),
}

impl ClientError {
    /// The API's problem, when the API answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }
}

/// A non-2xx answer of the API.
#[derive(Debug, thiserror::Error)]
#[error("the API answered {status} {}: {}", problem.code, problem.detail)]
pub struct ApiError {
    pub status: u16,
    pub problem: Problem,
    /// The answer's `Retry-After`, when it had one.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn code(&self) -> &str {
        &self.problem.code
    }
}
