//! The capabilities the use cases need, one small trait each. The AWS
//! adapters in `intake-aws` implement them and keep every item mapping to
//! themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::ids::{FileId, JobId, ReplayId, SessionId};
use crate::model::{
    DispatchMessage, DispatchState, FileError, FileRecord, FileRef, FileState, Job, JobStatus,
    JobSummary, Lane, Progress, Session, StoredResult, Tenant, UploadInfo, WorkMessage,
};
use crate::paging::{JobPosition, TrailPosition};
use crate::replays::{ReplayMessage, ReplayTask};
use crate::webhooks::{AttemptLease, DeliveryAttempt, EventState, WebhookEvent, WebhookMessage};

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait TenantDirectory: Send + Sync {
    async fn find_by_api_key(&self, api_key: &str) -> StoreResult<Option<Tenant>>;
    /// Whether `api_key` is an operator's key (never a tenant's).
    async fn is_admin_key(&self, api_key: &str) -> StoreResult<bool>;
    /// The tenant's active webhook secrets (`whsec_…`), newest first; two
    /// during a rotation.
    async fn webhook_secrets(&self, tenant: &str) -> StoreResult<Vec<String>>;
}

/// A pre-signed request the client makes itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A PUT URL bound to `key` and `content_type`, valid from `valid_from`
    /// for `ttl`.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        valid_from: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<PresignedRequest>;
    /// Every object under `prefix` with its key (one listing call per
    /// 1000 objects, instead of one HEAD per object).
    async fn list(&self, prefix: &str) -> StoreResult<Vec<(String, UploadInfo)>>;
    /// `None` when there is no such object.
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>>;
    /// Reads an upload only if it is still the object that was confirmed
    /// (same ETag, `If-Match`, and size), its size checked before its bytes
    /// are read.
    async fn read_upload(&self, key: &str, confirmed: &UploadInfo) -> StoreResult<UploadRead>;
    async fn put_json(&self, key: &str, body: Vec<u8>) -> StoreResult<()>;
    /// Writes a JSON object from a stream of chunks without holding it
    /// whole (a multipart upload once it outgrows one part); returns its
    /// size in bytes.
    async fn put_json_stream(
        &self,
        key: &str,
        chunks: BoxStream<'_, StoreResult<Vec<u8>>>,
    ) -> StoreResult<u64>;
    async fn presign_download(&self, key: &str, ttl: Duration) -> StoreResult<String>;
    /// Whether an object is there (a HEAD), for answers that hand out a
    /// URL to it instead of its bytes.
    async fn exists(&self, key: &str) -> StoreResult<bool>;
    /// Deletes every object under `prefix`, a listing page (1000 keys) at
    /// a time; returns how many were deleted. Nothing there is no error.
    async fn delete_prefix(&self, prefix: &str) -> StoreResult<usize>;
    /// Deletes these objects; absent ones are no error.
    async fn delete(&self, keys: &[String]) -> StoreResult<()>;
}

/// Every store method that moves a state machine takes the audit entry of
/// that move and writes it in the same transaction: a move is never
/// without its entry, nor an entry without its move.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(
        &self,
        session: &Session,
        files: &[FileRecord],
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// The session and its files, ordered by file id.
    async fn load_session(
        &self,
        tenant: &str,
        id: &SessionId,
    ) -> StoreResult<Option<(Session, Vec<FileRecord>)>>;
    /// The session alone.
    async fn find_session(&self, tenant: &str, id: &SessionId) -> StoreResult<Option<Session>>;
    /// One page of a session's files in file id order: those after
    /// `after`, at most `limit`; `more` tells whether files follow.
    async fn load_file_page(
        &self,
        tenant: &str,
        id: &SessionId,
        after: Option<&FileId>,
        limit: usize,
    ) -> StoreResult<FilePage>;
    /// Writes `files` (now `Uploaded`, with what S3 listed) and moves the
    /// session from `AwaitingUpload` to `Pending`. The writes are grouped
    /// (no per-file condition), so the adapter first takes a lease on the
    /// session that no other confirmation can take until it ends or
    /// returns: no stale write can land once the session moved on.
    async fn confirm_uploads(
        &self,
        tenant: &str,
        id: &SessionId,
        files: &[FileRecord],
        lease: Duration,
        audit: &AuditEntry,
    ) -> StoreResult<ConfirmOutcome>;
}

/// One page of a session's files.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePage {
    pub files: Vec<FileRecord>,
    pub more: bool,
}

/// What happened when a session's uploads were to be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    /// Another confirmation holds the session's lease.
    InProgress,
    /// The session is no longer awaiting uploads.
    AlreadyConfirmed,
}

/// What happened when a job was to be created for a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateJob {
    Created,
    /// The session already has a job.
    AlreadySubmitted(JobId),
    /// The session has not been confirmed.
    NotConfirmed,
}

/// What reading an upload found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadRead {
    Read(Bytes),
    Missing,
    /// Overwritten since it was confirmed: another ETag or size.
    Changed,
}

/// What happened when a worker picked up a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptStart {
    /// The file is `Processing`; `upload` is what confirm recorded of its
    /// object.
    Started { upload: Option<UploadInfo> },
    /// The file is already terminal (`state`, failed with `error_code`,
    /// succeeded from the document cache if `cache_hit`): a duplicate
    /// delivery, a worker that died before it counted the file, or a
    /// replayed message of a file to re-open.
    AlreadyFinished {
        state: FileState,
        error_code: Option<String>,
        cache_hit: bool,
    },
}

/// How a file ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileOutcome {
    Succeeded {
        sha256: String,
        result: StoredResult,
        /// The result came from the document cache.
        cache_hit: bool,
    },
    Failed {
        sha256: Option<String>,
        result: StoredResult,
        error: FileError,
    },
}

impl FileOutcome {
    /// The terminal state, the upload's SHA-256, the kept result and the
    /// error: what a store writes on the file.
    pub fn parts(&self) -> (FileState, Option<&str>, &StoredResult, Option<&FileError>) {
        match self {
            FileOutcome::Succeeded { sha256, result, .. } => {
                (FileState::Succeeded, Some(sha256), result, None)
            }
            FileOutcome::Failed {
                sha256,
                result,
                error,
            } => (FileState::Failed, sha256.as_deref(), result, Some(error)),
        }
    }

    /// Whether the file succeeded with a result from the document cache.
    pub fn cache_hit(&self) -> bool {
        matches!(
            self,
            FileOutcome::Succeeded {
                cache_hit: true,
                ..
            }
        )
    }
}

/// File ids a worker counts on their job after a batch. Counting is by set
/// membership, so counting a file again changes nothing: a worker that died
/// after a file's transition counts it on the redelivery. Sets, because one
/// batch may hold several deliveries of one file (SQS duplicates, replayed
/// copies) and DynamoDB refuses a set written with duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Files started and not finished (a finished file counts as started).
    pub started: BTreeSet<FileId>,
    pub succeeded: BTreeSet<FileId>,
    pub failed: BTreeSet<FileId>,
    /// Succeeded files served from the document cache (also in
    /// `succeeded`).
    pub cached: BTreeSet<FileId>,
}

impl FileCounts {
    pub fn is_empty(&self) -> bool {
        self.started.is_empty() && self.succeeded.is_empty() && self.failed.is_empty()
    }

    /// Counts a file that is terminal in `state`.
    pub fn finished(&mut self, id: FileId, state: FileState, cache_hit: bool) {
        match state {
            FileState::Succeeded => {
                if cache_hit {
                    self.cached.insert(id.clone());
                }
                self.succeeded.insert(id);
            }
            _ => {
                self.failed.insert(id);
            }
        }
    }
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes the job and marks the session `Submitted`, atomically and only
    /// if the session is `Pending`.
    /// `session` is the job's, as the caller read it.
    async fn create_job(
        &self,
        job: &Job,
        session: &Session,
        audit: &AuditEntry,
    ) -> StoreResult<CreateJob>;
    /// Moves the job's outbox to `state`; `cursor` is the last file whose
    /// work message was sent, `sent` how many were. `Enqueued` never
    /// replaces `Sent`, and `Sent` is written once, with `audit`.
    async fn record_dispatch(
        &self,
        tenant: &str,
        job_id: &JobId,
        state: DispatchState,
        progress: Option<(&FileId, u32)>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()>;
    /// The job with its progress summed from the counted file ids.
    async fn load_job(&self, tenant: &str, id: &JobId) -> StoreResult<Option<Job>>;
    /// Whether `load_job` would find the job, read without its progress
    /// (the job item alone, not its counters).
    async fn job_exists(&self, tenant: &str, id: &JobId) -> StoreResult<bool>;
    /// `Uploaded → Processing` (or another attempt while `Processing`).
    /// Only the file item is written: the job item is never a hot spot.
    async fn start_attempt(
        &self,
        message: &WorkMessage,
        audit: &AuditEntry,
    ) -> StoreResult<AttemptStart>;
    /// `Processing | Uploaded → Succeeded | Failed`, one conditional write
    /// of the file item. `false` when the file was already terminal.
    async fn finish_file(
        &self,
        message: &WorkMessage,
        outcome: &FileOutcome,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Re-opens a file given up on for a fault of ours (`file::REOPEN`):
    /// the file back to `Uploaded`, its failure no longer counted and its
    /// job, if decided, back to `Queued` (`job::REOPEN`), in one
    /// transaction. `false` when the file is not (or no longer) re-openable.
    async fn reopen_file(&self, message: &WorkMessage, audit: &AuditEntry) -> StoreResult<bool>;
    /// Adds the file ids of a batch to the job's counts: one write to one
    /// of several counter items, whichever the adapter picks.
    async fn count_files(
        &self,
        tenant: &str,
        job_id: &JobId,
        counts: &FileCounts,
    ) -> StoreResult<()>;
    /// Takes the job's decision for `lease` (one conditional write), so that
    /// the last batches, finishing together, do not all put the result
    /// document together; `false` while another worker holds it.
    async fn claim_decision(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: Duration,
    ) -> StoreResult<bool>;
    /// Moves the job to its terminal `status` if it is not terminal yet
    /// (the caller saw every file counted), and records its webhook `event`
    /// (replacing the event of an earlier decision) in the same
    /// transaction. `true` for the one caller that made the move.
    async fn complete_job(&self, decision: &Decision<'_>, audit: &AuditEntry) -> StoreResult<bool>;
}

/// What a job is decided to be.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub tenant: &'a str,
    pub job_id: &'a JobId,
    pub status: JobStatus,
    /// The counts the decision was taken on (every file terminal), kept
    /// with the job so that the jobs list needs no counter read.
    pub progress: Progress,
    pub result_key: &'a str,
    pub result_size: u64,
    pub event: Option<&'a WebhookEvent>,
}

#[async_trait]
pub trait WorkQueue: Send + Sync {
    async fn enqueue(&self, messages: &[WorkMessage], lane: Lane) -> StoreResult<()>;
    /// Sends a job's dispatch message (always on the express lane).
    async fn enqueue_dispatch(&self, message: &DispatchMessage) -> StoreResult<()>;
    /// Sends a bulk replay's message (on the express lane too).
    async fn enqueue_replay(&self, message: &ReplayMessage) -> StoreResult<()>;
    /// Makes a received message visible again only after `delay`; `source`
    /// is the queue it came from (the event's `eventSourceARN`).
    async fn retry_after(
        &self,
        source: &str,
        receipt_handle: &str,
        delay: Duration,
    ) -> StoreResult<()>;
}

/// The response replayed for a repeated `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Where a body too large for the record is kept instead (object store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This request owns the key: run it, then `complete` or `release`.
    Claimed,
    Replay(StoredResponse),
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for the request with `fingerprint` with one conditional
    /// write. A claim left in progress longer than `lease` (a crashed
    /// request) can be taken over.
    async fn claim(
        &self,
        tenant: &str,
        key: &str,
        fingerprint: &str,
        lease: Duration,
        retention: Duration,
    ) -> StoreResult<IdempotencyClaim>;
    async fn complete(&self, tenant: &str, key: &str, response: &StoredResponse)
        -> StoreResult<()>;
    /// Gives the key up so that the same request can be retried.
    async fn release(&self, tenant: &str, key: &str) -> StoreResult<()>;
}

/// One line of a session's audit trail. Everything in it may be shown to
/// the tenant (`GET /jobs/{id}/events`): `detail` is a public text, never
/// an infrastructure error's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub tenant: String,
    pub session_id: SessionId,
    pub job_id: Option<JobId>,
    pub file_id: Option<FileId>,
    /// What happened, e.g. `file.processing`, `file.retry`, `job.completed`.
    pub event: String,
    /// The attempt a file's entry is about (its message's receive count),
    /// or a webhook attempt's number.
    pub attempt: Option<u32>,
    pub detail: Option<String>,
}

impl AuditEntry {
    /// An entry about `job` itself, now.
    pub fn of_job(job: &Job, event: &str, detail: Option<String>) -> Self {
        AuditEntry {
            at: Utc::now(),
            tenant: job.tenant.clone(),
            session_id: job.session_id.clone(),
            job_id: Some(job.id.clone()),
            file_id: None,
            event: event.to_owned(),
            attempt: None,
            detail,
        }
    }

    /// An entry about `session`, now.
    pub fn of_session(session: &Session, event: &str) -> Self {
        AuditEntry {
            at: Utc::now(),
            tenant: session.tenant.clone(),
            session_id: session.id.clone(),
            job_id: session.job_id.clone(),
            file_id: None,
            event: event.to_owned(),
            attempt: None,
            detail: None,
        }
    }
}

/// The audit trail: the entries that record no move of a state machine (a
/// retry's backoff) are appended here, the others are written by the
/// move's own transaction; all are read here.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends entries with grouped writes.
    async fn append_all(&self, entries: &[AuditEntry]) -> StoreResult<()>;
    /// The trail of a session (and its job), oldest first.
    async fn trail(&self, tenant: &str, session_id: &SessionId) -> StoreResult<Vec<AuditEntry>>;
    /// One page of the entries of `job_id` (in its session's trail, without
    /// the session's own entries), oldest first: those after `after`, at
    /// most `limit`.
    async fn job_trail(
        &self,
        tenant: &str,
        session_id: &SessionId,
        job_id: &JobId,
        after: Option<&TrailPosition>,
        limit: usize,
    ) -> StoreResult<TrailPage>;
}

/// One page of a job's audit entries, each with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct TrailPage {
    pub entries: Vec<(TrailPosition, AuditEntry)>,
    pub more: bool,
}

/// The jobs list, found without a scan.
#[async_trait]
pub trait JobCatalog: Send + Sync {
    /// One page of the tenant's jobs, newest first (by creation, then id):
    /// those before `before` whose stored status is one of `statuses`, at
    /// most `limit`; `more` tells whether others follow. A job being
    /// deleted is not listed.
    async fn list_jobs(
        &self,
        tenant: &str,
        statuses: &[JobStatus],
        before: Option<&JobPosition>,
        limit: usize,
    ) -> StoreResult<JobPage>;
}

/// One page of the jobs list.
#[derive(Clone, Debug, PartialEq)]
pub struct JobPage {
    pub jobs: Vec<JobSummary>,
    pub more: bool,
}

/// What taking a job out of sight found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HideJob {
    /// The job is out of sight (now, or since a deletion that did not
    /// finish): its session's id, for the removal that follows.
    Hidden {
        session_id: SessionId,
    },
    /// The job is not terminal (`job::DELETE`'s start states).
    NotFinished,
    NotFound,
}

/// Deleting a job: first out of sight in one conditional write, then its
/// items, so that it is never half visible and a repeated deletion
/// finishes the work.
#[async_trait]
pub trait JobRemoval: Send + Sync {
    /// Makes a terminal job a tombstone and deletes its session item, in
    /// one transaction: from then on the job and its session answer 404
    /// and the job is not listed. A tombstone is `Hidden` again.
    async fn hide_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<HideJob>;
    /// Deletes every item of a hidden job but its tombstone: its session's
    /// files, its audit trail, its counters, webhook event and attempts.
    /// Idempotent.
    async fn remove_job_items(
        &self,
        tenant: &str,
        job_id: &JobId,
        session_id: &SessionId,
    ) -> StoreResult<()>;
    /// Deletes the tombstone, the last step of a deletion: until then a
    /// repeated DELETE finds the job to finish. Nothing there is no error.
    async fn forget_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<()>;
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn load_event(&self, tenant: &str, job_id: &JobId) -> StoreResult<Option<WebhookEvent>>;
    async fn mark_enqueued(&self, tenant: &str, job_id: &JobId) -> StoreResult<()>;
    /// Records an attempt, the event's state after it and the attempt's
    /// `audit` entry, together: the attempt's record only if it does not
    /// exist yet (never overwritten) and the event only if it still has
    /// `attempt.attempt - 1` attempts. `false`, with nothing written, when
    /// another worker recorded that attempt first.
    async fn record_attempt(
        &self,
        event: &WebhookEvent,
        attempt: &DeliveryAttempt,
        state: EventState,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Takes `lease` on the event's next attempt with one conditional
    /// write: only while the event is pending, its attempt is due by
    /// `lease.due_by`, it still has `lease.attempts_before` attempts and no
    /// other worker's lease runs past `lease.now`. `false` otherwise, so
    /// that of duplicate messages of one event one makes each attempt.
    async fn lease_attempt(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: &AttemptLease,
    ) -> StoreResult<bool>;
    /// The attempts, oldest first.
    async fn attempts(&self, tenant: &str, job_id: &JobId) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Starts a new round of attempts (same event id), due now.
    async fn restart(&self, tenant: &str, job_id: &JobId) -> StoreResult<()>;
    /// Whether the receiver answered 410 Gone for this URL.
    async fn is_endpoint_disabled(&self, tenant: &str, url: &str) -> StoreResult<bool>;
    /// Records a 410 Gone (`disabled`), or clears it on replay.
    async fn set_endpoint_disabled(
        &self,
        tenant: &str,
        url: &str,
        disabled: bool,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait WebhookQueue: Send + Sync {
    /// Sends the message to be received after `delay` (at most SQS's 15
    /// minutes; longer waits re-enqueue until the attempt is due).
    async fn enqueue(&self, message: &WebhookMessage, delay: Duration) -> StoreResult<()>;
}

/// One signed POST to a receiver.
#[derive(Clone, Debug)]
pub struct WebhookRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the receiver did with a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The URL or the address it resolves to may not receive webhooks.
    Refused(String),
    /// Network error or timeout.
    Unreachable(String),
}

#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn send(&self, request: &WebhookRequest) -> SendOutcome;
}

/// A message of a dead-letter queue (the work queues' or the webhook
/// queue's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    /// Receives in the dead-letter queue, listing included.
    pub receive_count: u32,
    pub sent_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    /// Up to `limit` dead letters, left in the queue.
    async fn peek(&self, limit: usize) -> StoreResult<Vec<DeadLetter>>;
    /// Moves up to `limit` dead letters (only those of `message_ids`, if
    /// given) back to the queue they came from (the work queue for both
    /// work queues), each body as `replayed` returns it; returns the ids
    /// moved.
    async fn redrive(
        &self,
        message_ids: Option<&[String]>,
        limit: usize,
        replayed: &ReplayedBody,
    ) -> StoreResult<Vec<String>>;
}

/// What a replayed dead letter's body becomes.
pub type ReplayedBody = dyn Fn(&str) -> String + Send + Sync;

/// Bulk replays (`crate::replays`).
#[async_trait]
pub trait ReplayStore: Send + Sync {
    async fn create_replay(&self, task: &ReplayTask) -> StoreResult<()>;
    async fn load_replay(&self, id: &ReplayId) -> StoreResult<Option<ReplayTask>>;
    /// Adds a round's `moved` to the task's count, whatever its status (a
    /// second delivery of its message may still be moving letters).
    async fn record_replay_round(
        &self,
        id: &ReplayId,
        moved: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Completes a running task (`transitions::replay::COMPLETE`); false
    /// when it was completed already.
    async fn complete_replay(&self, id: &ReplayId, at: DateTime<Utc>) -> StoreResult<bool>;
}

/// What is not finished yet, found without a scan: for the reconciler.
#[async_trait]
pub trait OpenWork: Send + Sync {
    /// Up to `limit` jobs not decided, open since before `before` (created,
    /// or re-opened), oldest first: (tenant, job id).
    async fn open_jobs(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>>;
    /// Up to `limit` webhook events pending since before `before` (decided,
    /// or replayed), oldest first: (tenant, job id).
    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>>;
}

/// One file's record, read on its own (operators looking at a dead letter).
#[async_trait]
pub trait FileLookup: Send + Sync {
    async fn load_file(
        &self,
        tenant: &str,
        session_id: &SessionId,
        file_id: &FileId,
    ) -> StoreResult<Option<FileRecord>>;
}

/// A document the engine could not read: a result, not a retryable failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub code: String,
    pub message: String,
}

/// The document engine, behind a port so the domain does not depend on it.
/// Only the processes that read documents have one (`Ports::engine`).
pub trait DocumentEngine: Send + Sync {
    /// The result keys of result.md (`document`, `invoice`, `validation`).
    fn extract(
        &self,
        bytes: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection>;
    /// This release of the engine: the document cache keeps the verdicts
    /// of each release apart, so a new release never serves an old one's.
    fn version(&self) -> &str;
}

/// A file's message reached a process built without the document engine
/// (an API function): the message is retried like any fault of ours, and
/// no file state moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this process was built without the document engine")]
pub struct NoEngine;

/// What the document cache is looked up by: the same bytes of the same
/// tenant, extracted by the same engine release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheKey<'a> {
    pub tenant: &'a str,
    /// Hex SHA-256 of the document's bytes.
    pub sha256: &'a str,
    /// `DocumentEngine::version`.
    pub engine: &'a str,
}

/// A cached extraction: the engine's output (a JSON object) and the file
/// whose run wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    /// The extraction's JSON, on the entry or (when large) in the object
    /// store under `cache/<tenant>/<job>/…`.
    pub extraction: StoredResult,
    pub written_by: FileRef,
    /// Past this instant the entry is a miss, whether or not the store has
    /// deleted it yet.
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait DocumentCache: Send + Sync {
    /// The entry of `key` unless there is none or it expired before `now`.
    async fn get(&self, key: &CacheKey<'_>, now: DateTime<Utc>) -> StoreResult<Option<CacheEntry>>;
    /// Writes `entry` unless a live entry (not expired at `now`) has the
    /// key: one conditional write, so the first file to finish keeps the
    /// entry. `false` when one was there.
    async fn put(
        &self,
        key: &CacheKey<'_>,
        entry: &CacheEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes the entries of these bytes, of every engine release, that a
    /// file of `job_id` wrote (each delete conditional on its writer), for
    /// the job's deletion; how many it deleted. The objects of large
    /// entries are under the job's own prefix, `cache/<tenant>/<job>/`.
    async fn forget(&self, tenant: &str, sha256: &str, job_id: &JobId) -> StoreResult<usize>;
}

/// The tenant's invoices by business key (seller, number, issue date, type
/// code), for `duplicate_of`.
#[async_trait]
pub trait InvoiceIndex: Send + Sync {
    /// Appends `file` to the files recorded under `key` (a digest of the
    /// business key) unless it is there already (a redelivery) or `limit`
    /// files are; returns every file recorded under `key`, in the order
    /// they were recorded: one atomic conditional write, so two copies
    /// recorded at once each see the other on one side. A list is kept
    /// until `expires_at` of its first file; after that the next file
    /// starts a new one.
    async fn record(
        &self,
        tenant: &str,
        key: &str,
        file: &FileRef,
        limit: usize,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Vec<FileRef>>;
}

/// Every port the use cases need, built once per cold start.
#[derive(Clone)]
pub struct Ports {
    pub tenants: Arc<dyn TenantDirectory>,
    pub sessions: Arc<dyn SessionStore>,
    pub jobs: Arc<dyn JobStore>,
    pub catalog: Arc<dyn JobCatalog>,
    pub removal: Arc<dyn JobRemoval>,
    pub objects: Arc<dyn ObjectStore>,
    pub queue: Arc<dyn WorkQueue>,
    pub dead_letters: Arc<dyn DeadLetterQueue>,
    /// The webhook queue's dead-letter queue.
    pub webhook_dead_letters: Arc<dyn DeadLetterQueue>,
    pub files: Arc<dyn FileLookup>,
    pub open_work: Arc<dyn OpenWork>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub webhook_queue: Arc<dyn WebhookQueue>,
    pub webhook_sender: Arc<dyn WebhookSender>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub audit: Arc<dyn AuditLog>,
    /// The document engine: `None` in the processes that never read a
    /// document (the API functions, the webhook worker, the reconciler),
    /// which are built without it.
    pub engine: Option<Arc<dyn DocumentEngine>>,
    pub cache: Arc<dyn DocumentCache>,
    pub invoices: Arc<dyn InvoiceIndex>,
    pub replays: Arc<dyn ReplayStore>,
}
