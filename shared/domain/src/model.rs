//! Entities and the state machine they move through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, JobId, SessionId};

/// The owner of sessions and jobs, found from the caller's API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; the client is uploading.
    AwaitingUpload,
    /// Every upload was checked with S3; extraction may be submitted.
    Pending,
    /// A job exists for the session (an extension of the contract's states).
    Submitted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub tenant: String,
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    /// End of the upload window: the pre-signed PUT URLs expire then.
    pub expires_at: DateTime<Utc>,
    pub webhook_url: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub job_id: Option<JobId>,
    pub file_count: u32,
}

/// Where a file is in its life.
///
/// ```text
/// AwaitingUpload ─confirm→ Uploaded ─worker→ Processing ─→ Succeeded
///                                              │  ↺ retry   └→ Failed
/// ```
/// An `Uploaded` file of a submitted session is what the job status calls
/// `queued`. `Succeeded` and `Failed` are terminal: no write moves a file out
/// of them (the DynamoDB adapter enforces this with conditional writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    AwaitingUpload,
    Uploaded,
    Processing,
    Succeeded,
    Failed,
}

impl FileState {
    pub fn is_terminal(self) -> bool {
        matches!(self, FileState::Succeeded | FileState::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileState::AwaitingUpload => "awaiting_upload",
            FileState::Uploaded => "uploaded",
            FileState::Processing => "processing",
            FileState::Succeeded => "succeeded",
            FileState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            FileState::AwaitingUpload,
            FileState::Uploaded,
            FileState::Processing,
            FileState::Succeeded,
            FileState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }

    /// The name a job's status shows for a file of a submitted session.
    pub fn job_view(self) -> &'static str {
        match self {
            FileState::AwaitingUpload | FileState::Uploaded => "queued",
            other => other.as_str(),
        }
    }
}

/// What the upload looked like when the session was confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadInfo {
    pub size: u64,
    pub etag: String,
    pub checksum_sha256: Option<String>,
}

/// A machine-readable reason a file failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileError {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: FileId,
    pub session_id: SessionId,
    pub name: String,
    pub content_type: String,
    pub declared_size: Option<u64>,
    pub object_key: String,
    pub status: FileState,
    pub upload: Option<UploadInfo>,
    pub attempts: u32,
    pub error: Option<FileError>,
    pub sha256: Option<String>,
    pub result_key: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Processing,
    Succeeded,
    PartiallyFailed,
    Failed,
}

impl JobStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::PartiallyFailed | JobStatus::Failed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Processing => "processing",
            JobStatus::Succeeded => "succeeded",
            JobStatus::PartiallyFailed => "partially_failed",
            JobStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Processing,
            JobStatus::Succeeded,
            JobStatus::PartiallyFailed,
            JobStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
    }
}

/// Counters kept on the job record, updated in the same transaction as the
/// file they count, so they are never out of step with the files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub total: u32,
    pub processing: u32,
    pub succeeded: u32,
    pub failed: u32,
}

impl Progress {
    pub fn queued(&self) -> u32 {
        self.total
            .saturating_sub(self.processing + self.succeeded + self.failed)
    }

    pub fn done(&self) -> u32 {
        self.succeeded + self.failed
    }

    /// The terminal status once every file is terminal, else `None`.
    pub fn terminal_status(&self) -> Option<JobStatus> {
        if self.total == 0 || self.done() < self.total {
            None
        } else if self.failed == 0 {
            Some(JobStatus::Succeeded)
        } else if self.succeeded == 0 {
            Some(JobStatus::Failed)
        } else {
            Some(JobStatus::PartiallyFailed)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub tenant: String,
    pub session_id: SessionId,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub progress: Progress,
    pub webhook_url: Option<String>,
    /// Set once every work message was sent; until then a retried submit
    /// sends them again (the worker tolerates duplicates).
    pub dispatched: bool,
    pub result_key: Option<String>,
    pub result_size: Option<u64>,
}

/// The message the work queue carries, one per file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkMessage {
    pub v: u8,
    pub tenant: String,
    pub session_id: SessionId,
    pub job_id: JobId,
    pub file_id: FileId,
    pub object_key: String,
}

impl WorkMessage {
    pub const VERSION: u8 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(total: u32, processing: u32, succeeded: u32, failed: u32) -> Progress {
        Progress {
            total,
            processing,
            succeeded,
            failed,
        }
    }

    #[test]
    fn a_job_is_terminal_only_when_every_file_is() {
        assert_eq!(progress(3, 1, 1, 0).terminal_status(), None);
        assert_eq!(progress(3, 0, 2, 0).terminal_status(), None);
        assert_eq!(
            progress(3, 0, 3, 0).terminal_status(),
            Some(JobStatus::Succeeded)
        );
        assert_eq!(
            progress(3, 0, 0, 3).terminal_status(),
            Some(JobStatus::Failed)
        );
        assert_eq!(
            progress(3, 0, 2, 1).terminal_status(),
            Some(JobStatus::PartiallyFailed)
        );
        assert_eq!(progress(0, 0, 0, 0).terminal_status(), None);
    }

    #[test]
    fn queued_is_what_no_worker_has_touched() {
        assert_eq!(progress(5, 1, 1, 1).queued(), 2);
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for state in [
            FileState::AwaitingUpload,
            FileState::Uploaded,
            FileState::Processing,
            FileState::Succeeded,
            FileState::Failed,
        ] {
            assert_eq!(FileState::parse(state.as_str()), Some(state));
        }
        assert_eq!(
            JobStatus::parse("partially_failed"),
            Some(JobStatus::PartiallyFailed)
        );
        assert_eq!(JobStatus::parse("done"), None);
        assert!(FileState::Failed.is_terminal() && !FileState::Processing.is_terminal());
        assert_eq!(FileState::Uploaded.job_view(), "queued");
    }

    #[test]
    fn work_messages_reject_unknown_fields_and_bad_ids() {
        let good = r#"{"v":1,"tenant":"acme","session_id":"ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4","job_id":"job_01J9Z5Q2V4N8K3M6P7R9T1W2X4","file_id":"fil_01J9Z5Q2V4N8K3M6P7R9T1W2X4","object_key":"k"}"#;
        assert!(serde_json::from_str::<WorkMessage>(good).is_ok());
        let extra = good.replace("\"v\":1", "\"v\":1,\"x\":2");
        assert!(serde_json::from_str::<WorkMessage>(&extra).is_err());
        let bad_id = good.replace("job_01J9", "ses_01J9");
        assert!(serde_json::from_str::<WorkMessage>(&bad_id).is_err());
    }
}
