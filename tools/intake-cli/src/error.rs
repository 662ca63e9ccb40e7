//! Why a command stopped, and the exit code that says so.

use std::path::PathBuf;

use intake_client::ClientError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no such file or folder")]
    Missing { path: String },
    #[error("{path} is empty: the API accepts files of at least 1 byte")]
    Empty { path: String },
    #[error(
        "{path} is {size} bytes, more than the API's maximum of {max} bytes (--max-file-bytes)"
    )]
    TooLarge { path: String, size: u64, max: u64 },
    #[error("no files in {paths}")]
    NoFiles { paths: String },
    #[error("the session {session} expired before it was confirmed; it cannot be resumed (its Idempotency-Key keeps it for 24 h)")]
    SessionExpired { session: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl CliError {
    /// 2 for bad usage (bad input, a bad key or URL) and an unreachable
    /// API; 1 for the rest (the API refused a request, a write failed).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Unreadable { .. }
            | Self::Missing { .. }
            | Self::Empty { .. }
            | Self::TooLarge { .. }
            | Self::NoFiles { .. } => 2,
            Self::Client(ClientError::Unreachable { .. } | ClientError::InvalidBaseUrl { .. }) => 2,
            Self::Client(ClientError::Api(api)) if api.status == 401 => 2,
            Self::SessionExpired { .. } | Self::Write { .. } | Self::Client(_) => 1,
        }
    }
}
