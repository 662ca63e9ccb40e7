//! Entities and the state machine they move through.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, JobId, SessionId};
use crate::paging::JobPosition;
use crate::replays::ReplayMessage;

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
    pub result: Option<StoredResult>,
    /// Whether the file succeeded with a result from the document cache
    /// (the engine did not run), so that a file counted again is counted
    /// `cached` again.
    pub cache_hit: bool,
}

/// A file of a job: what `duplicate_of` lists, and what the invoice index
/// holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileRef {
    pub job_id: JobId,
    pub file_id: FileId,
}

/// Where a finished file's result (a JSON object) is kept: on the file's
/// own item when it is small, so that most files cost no S3 call to write
/// it and a page of results is one query; in S3 when it is not
/// (`Settings::file_result_inline_limit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredResult {
    Inline(Vec<u8>),
    /// The S3 key of the result object.
    Object(String),
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

    /// Every status, in the order a job goes through them.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Processing,
        JobStatus::Succeeded,
        JobStatus::PartiallyFailed,
        JobStatus::Failed,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// How far a job's files are, counted from the sets of file ids the workers
/// record (see `JobStore::count_files`): a file counted twice is one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub total: u32,
    pub processing: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// Of the succeeded files, those served from the document cache.
    pub cached: u32,
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
    /// What is stored: `Queued` until the job is decided, then terminal.
    /// `Processing` is what clients see once a file was started
    /// (`visible_status`), so that no worker has to write the job item.
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub progress: Progress,
    pub webhook_url: Option<String>,
    /// How far the job's work messages were sent.
    pub dispatch: DispatchState,
    /// The last file (in file id order) whose work message was sent.
    pub dispatch_cursor: Option<FileId>,
    /// How many work messages were sent (the files up to the cursor).
    pub dispatch_sent: u32,
    pub result_key: Option<String>,
    pub result_size: Option<u64>,
    /// The SHA-256 (hex) of the `Idempotency-Key` of the request that
    /// created the job, if it had one: a retry with that key is answered
    /// with the job even after its dispatch moved on (api.md: the first 202
    /// is replayed), also when the first answer was lost to a server error.
    pub submitted_with: Option<String>,
}

impl Job {
    /// A new job of `session`'s files, nothing sent yet.
    pub fn queued(session: &Session, webhook_url: Option<String>, at: DateTime<Utc>) -> Self {
        Self {
            id: JobId::generate(),
            tenant: session.tenant.clone(),
            session_id: session.id.clone(),
            status: JobStatus::Queued,
            created_at: at,
            updated_at: at,
            completed_at: None,
            progress: Progress {
                total: session.file_count,
                ..Progress::default()
            },
            webhook_url,
            dispatch: DispatchState::Accepted,
            dispatch_cursor: None,
            dispatch_sent: 0,
            result_key: None,
            result_size: None,
            submitted_with: None,
        }
    }
}

/// The job's outbox: its files' work messages are sent by the dispatcher,
/// outside the request that created the job.
///
/// ```text
/// Accepted ─dispatch message sent→ Enqueued ─every work message sent→ Sent
/// ```
/// A repeated submit of an `Accepted` job (its request died before the
/// dispatch message was sent) sends the dispatch message again; a dispatcher
/// resumes after `Job::dispatch_cursor`, and the worker tolerates duplicates.
/// The dispatcher keeps at most `Settings::dispatch_window` of a job's files
/// in the queue at once, so a large job never floods it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchState {
    Accepted,
    Enqueued,
    Sent,
}

impl DispatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchState::Accepted => "accepted",
            DispatchState::Enqueued => "enqueued",
            DispatchState::Sent => "sent",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            DispatchState::Accepted,
            DispatchState::Enqueued,
            DispatchState::Sent,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }
}

impl Job {
    /// The work queue its files take: the express lane for a job of at most
    /// `express_max_files` files.
    pub fn lane(&self, express_max_files: usize) -> Lane {
        if self.progress.total as usize <= express_max_files {
            Lane::Express
        } else {
            Lane::Bulk
        }
    }

    /// The status clients see: `Processing` once any file was started.
    pub fn visible_status(&self) -> JobStatus {
        visible_status(self.status, &self.progress)
    }

    /// What the status object shows of the job, files aside.
    pub fn summary(&self) -> JobSummary {
        JobSummary {
            id: self.id.clone(),
            session_id: self.session_id.clone(),
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
            progress: self.progress,
        }
    }
}

/// A stored status as clients see it: a `Queued` job is `Processing`
/// once any of its files was started, so that no worker writes the job item.
fn visible_status(stored: JobStatus, progress: &Progress) -> JobStatus {
    let started = progress.processing + progress.done() > 0;
    if stored == JobStatus::Queued && started {
        JobStatus::Processing
    } else {
        stored
    }
}

/// A job as its status object shows it without files: one entry of the
/// jobs list (`GET /jobs`).
#[derive(Clone, Debug, PartialEq)]
pub struct JobSummary {
    pub id: JobId,
    pub session_id: SessionId,
    /// As stored: `Queued` until decided (see `Job::status`).
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub progress: Progress,
}

impl JobSummary {
    /// The status clients see: `Processing` once any file was started.
    pub fn visible_status(&self) -> JobStatus {
        visible_status(self.status, &self.progress)
    }

    /// Where the job sits in its tenant's list.
    pub fn position(&self) -> JobPosition {
        JobPosition {
            created_at: self.created_at,
            job_id: self.id.clone(),
        }
    }
}

/// Which work queue a message goes to: small jobs and dispatch messages
/// take the express queue, so that they never wait behind a large batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    Bulk,
    Express,
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
    /// Set on a message an operator replayed from the dead-letter queue:
    /// a file given up on for a fault of ours is re-opened and runs again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reopen: bool,
}

impl WorkMessage {
    pub const VERSION: u8 = 1;

    /// The message that has `file` of `job` worked on.
    pub fn for_file(job: &Job, file: &FileRecord) -> Self {
        Self {
            v: Self::VERSION,
            tenant: job.tenant.clone(),
            session_id: job.session_id.clone(),
            job_id: job.id.clone(),
            file_id: file.id.clone(),
            object_key: file.object_key.clone(),
            reopen: false,
        }
    }
}

/// The one message a submitted job starts with: the dispatcher reads it and
/// sends the job's work messages (the transactional outbox of a job: the
/// job item records how far dispatching got).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchMessage {
    pub v: u8,
    /// Always `"dispatch"`: tells the message from a `WorkMessage`.
    #[serde(rename = "type")]
    pub kind: DispatchKind,
    pub tenant: String,
    pub job_id: JobId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchKind {
    Dispatch,
}

impl DispatchMessage {
    pub const VERSION: u8 = 1;

    pub fn new(tenant: &str, job_id: &JobId) -> Self {
        Self {
            v: Self::VERSION,
            kind: DispatchKind::Dispatch,
            tenant: tenant.to_owned(),
            job_id: job_id.clone(),
        }
    }
}

/// A message of either work queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueMessage {
    File(WorkMessage),
    Dispatch(DispatchMessage),
    Replay(ReplayMessage),
}

impl QueueMessage {
    /// Reads a message body; the error says why it is not a message.
    pub fn parse(body: &str) -> Result<Self, String> {
        if let Ok(dispatch) = serde_json::from_str::<DispatchMessage>(body) {
            return match dispatch.v {
                DispatchMessage::VERSION => Ok(QueueMessage::Dispatch(dispatch)),
                other => Err(format!("unknown version {other}")),
            };
        }
        if let Ok(replay) = serde_json::from_str::<ReplayMessage>(body) {
            return match replay.v {
                ReplayMessage::VERSION => Ok(QueueMessage::Replay(replay)),
                other => Err(format!("unknown version {other}")),
            };
        }
        let work: WorkMessage = serde_json::from_str(body).map_err(|e| e.to_string())?;
        match work.v {
            WorkMessage::VERSION => Ok(QueueMessage::File(work)),
            other => Err(format!("unknown version {other}")),
        }
    }

    /// The body an operator's replay sends back to the work queue: a file's
    /// message marked `reopen`; anything else as it was.
    pub fn replayed(body: &str) -> String {
        match QueueMessage::parse(body) {
            Ok(QueueMessage::File(mut message)) => {
                message.reopen = true;
                serde_json::to_string(&message).unwrap_or_else(|_| body.to_owned())
            }
            _ => body.to_owned(),
        }
    }
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
            cached: 0,
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

    #[test]
    fn queue_messages_are_told_apart_by_shape() {
        let job_id = JobId::parse("job_01J9Z5Q2V4N8K3M6P7R9T1W2X4").expect("job id");
        let dispatch = serde_json::to_string(&DispatchMessage::new("acme", &job_id)).expect("json");
        assert_eq!(
            QueueMessage::parse(&dispatch),
            Ok(QueueMessage::Dispatch(DispatchMessage::new(
                "acme", &job_id
            )))
        );
        let file = r#"{"v":1,"tenant":"acme","session_id":"ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4","job_id":"job_01J9Z5Q2V4N8K3M6P7R9T1W2X4","file_id":"fil_01J9Z5Q2V4N8K3M6P7R9T1W2X4","object_key":"k"}"#;
        assert!(matches!(
            QueueMessage::parse(file),
            Ok(QueueMessage::File(_))
        ));
        let future = dispatch.replace("\"v\":1", "\"v\":2");
        assert_eq!(
            QueueMessage::parse(&future),
            Err("unknown version 2".to_owned())
        );
        assert!(QueueMessage::parse("{}").is_err());
    }

    #[test]
    fn a_job_shows_processing_once_a_file_started() {
        let mut job = Job {
            id: JobId::generate(),
            tenant: "acme".into(),
            session_id: SessionId::generate(),
            status: JobStatus::Queued,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            completed_at: None,
            progress: progress(2, 0, 0, 0),
            webhook_url: None,
            dispatch: DispatchState::Sent,
            dispatch_cursor: None,
            dispatch_sent: 2,
            result_key: None,
            result_size: None,
            submitted_with: None,
        };
        assert_eq!(job.visible_status(), JobStatus::Queued);
        job.progress = progress(2, 1, 0, 0);
        assert_eq!(job.visible_status(), JobStatus::Processing);
        job.progress = progress(2, 0, 1, 0);
        assert_eq!(job.visible_status(), JobStatus::Processing);
        job.status = JobStatus::Succeeded;
        assert_eq!(job.visible_status(), JobStatus::Succeeded);
    }
}
