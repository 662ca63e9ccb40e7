//! The worker's use case: one SQS batch of work and dispatch messages.
//!
//! Per file: one conditional write to start it, one S3 GET, the document
//! cache's lookup, the engine on a miss (on a blocking thread), the invoice
//! index's append for a succeeded file, one conditional write to finish it
//! that carries the result (a result above `file_result_inline_limit` is
//! one S3 PUT more), then a miss's extraction cached; each state write
//! carries its audit entry in the same transaction. A replayed message of a
//! file given up on re-opens it first.
//! Per batch and job: one write of the counted file ids, then the check
//! whether the job is done. Nothing is written to the job item until it is
//! decided, so a 2000-file job has no hot item.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use futures::future::join_all;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};

use crate::error::StoreError;
use std::time::Duration;

use tokio::time::Instant;

use crate::document_cache::{Extraction, FreshExtraction};
use crate::ids::{EventId, JobId};
use crate::metrics;
use crate::model::{
    FileError, FileRef, FileState, Job, QueueMessage, StoredResult, UploadInfo, WorkMessage,
};
use crate::ports::{
    AttemptStart, AuditEntry, Decision, DocumentEngine, FileCounts, FileOutcome, Rejection,
    UploadRead,
};
use crate::service::{file_result_key, kib, Intake};
use crate::transitions::{file, job};
use crate::webhooks::{EventState, WebhookEvent, WebhookMessage};

/// How long a worker holds a job's decision: a function's timeout, so a
/// decider that died is replaced by the next delivery after it.
const DECISION_LEASE: Duration = Duration::from_secs(30);

/// What a batch keeps of its function's time for what follows its files'
/// attempts: counting, deciding the job (its result document), backoffs
/// and the audit write.
const BOOKKEEPING_TIME: Duration = Duration::from_secs(8);

/// One SQS delivery of a message of either work queue.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message: QueueMessage,
    pub receipt_handle: String,
    /// SQS's `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
    /// The queue it came from (the event's `eventSourceARN`).
    pub source: String,
}

/// What the worker tells the queue about a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delete the message: the file is terminal (or was already).
    Done,
    /// Keep the message: it comes back after the backoff delay, or goes to
    /// the dead-letter queue once `maxReceiveCount` is reached.
    Retry,
}

/// Whether a file's result came from the document cache: `"cache"` of
/// every result entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum CacheUse {
    Hit,
    Miss,
}

/// The stored result of one file: the engine's output plus what the worker
/// itself knows. `file_id`, `name` and `status` are added when the job's
/// result is assembled.
#[derive(Debug, Serialize)]
struct FileResultBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(flatten)]
    extraction: Extraction,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<FileError>,
    cache: CacheUse,
    /// The tenant's files with the same invoice, recorded before this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    duplicate_of: Vec<FileRef>,
}

impl FileResultBody {
    /// The result of a file that failed (never from the cache, never a
    /// duplicate).
    fn failed(sha256: Option<String>, size: Option<u64>, error: FileError) -> Self {
        Self {
            sha256,
            size,
            extraction: Extraction::new(),
            error: Some(error),
            cache: CacheUse::Miss,
            duplicate_of: Vec::new(),
        }
    }
}

/// What an attempt's extraction came to: the file's outcome, and the
/// engine's fresh extraction to cache once the file is finished.
struct Extracted {
    outcome: FileOutcome,
    fresh: Option<FreshExtraction>,
}

/// Where a dispatch or replay message's delivery ended.
fn controlled(done: Result<(), StoreError>) -> Settled {
    match done {
        Ok(()) => Settled::Controlled,
        Err(error) => Settled::Failed {
            error,
            started: false,
        },
    }
}

/// Where one delivery ended within its batch.
pub(crate) enum Settled {
    /// A dispatch message sent its job's work messages, or a replay
    /// message did its share of a bulk replay.
    Controlled,
    /// The file is terminal in `state` (moved by this delivery or before),
    /// succeeded from the document cache if `cache_hit`.
    Finished { state: FileState, cache_hit: bool },
    /// Another delivery finished the file meanwhile, and counts it.
    FinishedElsewhere,
    /// An infrastructure failure; `started` when the file was started.
    Failed { error: StoreError, started: bool },
    /// The last allowed attempt failed and the file was marked failed
    /// (`Some`, or elsewhere with `None`); the message is still handed back,
    /// so that it is kept in the dead-letter queue.
    GaveUp(Option<FileState>),
}

impl Intake {
    /// Processes one batch before `deadline` (the function's). Never panics
    /// on bad input: documents the engine rejects make the file `failed`;
    /// only infrastructure errors are retried, with exponential backoff,
    /// and the last allowed attempt marks the file `failed` before the
    /// message goes to the dead-letter queue. A file still being read or
    /// extracted `BOOKKEEPING_TIME` before the deadline is handed back.
    pub async fn process_batch(
        &self,
        deliveries: &[Delivery],
        deadline: Instant,
    ) -> Vec<DeliveryOutcome> {
        metrics::heartbeat("files");
        let attempts_end = deadline
            .checked_sub(BOOKKEEPING_TIME)
            .unwrap_or_else(Instant::now);
        let settled: Vec<Settled> =
            join_all(deliveries.iter().map(|d| self.settle(d, attempts_end))).await;

        let mut outcomes: Vec<DeliveryOutcome> = settled
            .iter()
            .map(|settled| match settled {
                Settled::Failed { .. } | Settled::GaveUp(_) => DeliveryOutcome::Retry,
                _ => DeliveryOutcome::Done,
            })
            .collect();
        for (job, indexes) in by_job(deliveries) {
            if let Err(failure) = self
                .count_and_decide(&job, deliveries, &settled, &indexes)
                .await
            {
                warn!(tenant = %job.0, job_id = %job.1, error = %failure, "job not counted or decided; its deliveries come back");
                for index in indexes {
                    outcomes[index] = DeliveryOutcome::Retry;
                }
            }
        }
        // A retry moves no state: its entries are written together, after.
        let mut audit = Vec::new();
        for ((delivery, settled), outcome) in deliveries.iter().zip(&settled).zip(&outcomes) {
            if *outcome == DeliveryOutcome::Retry && !matches!(settled, Settled::GaveUp(_)) {
                if let Some(entry) = self.back_off(delivery, settled).await {
                    audit.push(entry);
                }
            }
        }
        if !audit.is_empty() {
            if let Err(error) = self.ports.audit.append_all(&audit).await {
                warn!(entries = audit.len(), %error, "audit entries not written");
            }
        }
        outcomes
    }

    /// Runs one delivery up to its file's terminal state.
    async fn settle(&self, delivery: &Delivery, deadline: Instant) -> Settled {
        let message = match &delivery.message {
            QueueMessage::Dispatch(dispatch) => {
                return controlled(self.dispatch_job(dispatch).await);
            }
            QueueMessage::Replay(replay) => {
                return controlled(self.continue_replay(replay, deadline).await);
            }
            QueueMessage::File(message) => message,
        };
        let (error, started) = match self
            .run_file(message, delivery.receive_count, deadline)
            .await
        {
            Ok(settled) => return settled,
            Err(failure) => failure,
        };
        if delivery.receive_count < self.settings.max_receive_count {
            return Settled::Failed { error, started };
        }
        error!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
               attempt = delivery.receive_count, %error, "giving up on file");
        // The cause stays in the logs: clients see only our own words.
        let give_up = FileError {
            code: "processing_failed".to_owned(),
            message: format!(
                "the file could not be processed in {} attempts because of a fault on our side",
                delivery.receive_count
            ),
        };
        match self
            .fail_file(message, give_up, delivery.receive_count)
            .await
        {
            Ok(Settled::Finished { state, .. }) => Settled::GaveUp(Some(state)),
            Ok(_) => Settled::GaveUp(None),
            Err(give_up_failure) => {
                error!(job_id = %message.job_id, file_id = %message.file_id, error = %give_up_failure,
                       "could not mark the file failed; the message goes to the dead-letter queue");
                Settled::Failed { error, started }
            }
        }
    }

    /// One attempt at a file, `receive` its message's receive count.
    async fn run_file(
        &self,
        message: &WorkMessage,
        receive: u32,
        deadline: Instant,
    ) -> Result<Settled, (StoreError, bool)> {
        // Checked before the attempt starts, so that no state moves.
        let engine = self
            .engine()
            .map_err(|no_engine| (StoreError::new("engine", no_engine), false))?
            .clone();
        let upload = match self.start(message, receive).await {
            Ok(AttemptStart::AlreadyFinished {
                state, cache_hit, ..
            }) => {
                info!(job_id = %message.job_id, file_id = %message.file_id, "delivery of a finished file");
                return Ok(Settled::Finished { state, cache_hit });
            }
            Ok(AttemptStart::Started { upload }) => upload,
            Err(error) => return Err((error, false)),
        };
        // Given up before the function's deadline, the message is handed
        // back (and retried) instead of dying with the function.
        let Extracted { outcome, fresh } =
            tokio::time::timeout_at(deadline, self.extract_file(&engine, message, upload))
                .await
                .map_err(|_| {
                    (
                        StoreError::new("extract_file", "the attempt ran out of time"),
                        true,
                    )
                })?
                .map_err(|e| (e, true))?;
        let settled = self
            .finish(message, outcome, receive)
            .await
            .map_err(|e| (e, true))?;
        if let (Settled::Finished { .. }, Some(fresh)) = (&settled, fresh) {
            // Saved work only: it may not hold the batch past its deadline.
            if tokio::time::timeout_at(deadline, self.remember_extraction(message, fresh))
                .await
                .is_err()
            {
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      "extraction not cached: out of time");
            }
        }
        Ok(settled)
    }

    /// Starts an attempt; a replayed message first re-opens a file that was
    /// given up on for a fault of ours (a file that failed for its content
    /// stays failed).
    async fn start(&self, message: &WorkMessage, receive: u32) -> Result<AttemptStart, StoreError> {
        let processing = file_entry(message, file::START.name, Some(receive), None);
        let start = self.ports.jobs.start_attempt(message, &processing).await?;
        if !(message.reopen && reopenable(&start)) {
            return Ok(start);
        }
        let reopened = file_entry(
            message,
            file::REOPEN.name,
            None,
            Some("replayed by an operator".to_owned()),
        );
        if self.ports.jobs.reopen_file(message, &reopened).await? {
            info!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id, "file re-opened");
            metrics::file_reopened();
        }
        // Re-opened by this delivery or by a copy of it: run it.
        let start = self.ports.jobs.start_attempt(message, &processing).await?;
        if reopenable(&start) {
            // Its job moved meanwhile (the transaction's condition failed):
            // the replay must not be consumed without re-opening the file.
            return Err(StoreError::new(
                "reopen_file",
                "the file's job changed while it was re-opened",
            ));
        }
        Ok(start)
    }

    /// Writes the file's terminal state, reached in `attempt`.
    async fn finish(
        &self,
        message: &WorkMessage,
        outcome: FileOutcome,
        attempt: u32,
    ) -> Result<Settled, StoreError> {
        let cache_hit = outcome.cache_hit();
        let (state, event, detail) = match &outcome {
            FileOutcome::Succeeded { .. } => (FileState::Succeeded, "file.succeeded", None),
            FileOutcome::Failed { error, .. } => (
                FileState::Failed,
                "file.failed",
                Some(format!("{}: {}", error.code, error.message)),
            ),
        };
        let entry = file_entry(message, event, Some(attempt), detail);
        if !self
            .ports
            .jobs
            .finish_file(message, &outcome, &entry)
            .await?
        {
            return Ok(Settled::FinishedElsewhere);
        }
        info!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id, event, cache_hit, "file finished");
        metrics::file_finished(state);
        Ok(Settled::Finished { state, cache_hit })
    }

    /// Reads the upload (exactly the confirmed object, within the process's
    /// read budget), takes its extraction from the document cache or runs
    /// the engine off the async executor, records a succeeded file in the
    /// invoice index and keeps the file's result.
    async fn extract_file(
        &self,
        engine: &Arc<dyn DocumentEngine>,
        message: &WorkMessage,
        upload: Option<UploadInfo>,
    ) -> Result<Extracted, StoreError> {
        let Some(confirmed) = upload else {
            return self
                .reject(
                    message,
                    "upload_missing",
                    "the file has no confirmed upload",
                )
                .await;
        };
        let started = Instant::now();
        let budget = kib(confirmed.size).min(kib(self.settings.read_budget_bytes).max(1));
        let _held = self
            .read_budget
            .acquire_many(budget)
            .await
            .map_err(|e| StoreError::new("read_budget", e))?;
        let bytes = match self
            .ports
            .objects
            .read_upload(&message.object_key, &confirmed)
            .await?
        {
            UploadRead::Read(bytes) => bytes,
            UploadRead::Missing => {
                return self
                    .reject(message, "upload_missing", "the uploaded object no longer exists")
                    .await
            }
            UploadRead::Changed => {
                return self
                    .reject(
                        message,
                        "upload_changed",
                        "the uploaded object was replaced after it was confirmed; upload it in a new session",
                    )
                    .await
            }
        };
        let size = Some(bytes.len() as u64);
        let sha256 = {
            let bytes = bytes.clone();
            self.off_executor(move || hex::encode(Sha256::digest(&bytes)))
                .await?
        };
        let (extraction, cache) = match self
            .cached_extraction(message, &sha256, engine.version())
            .await
        {
            Some(cached) => (Ok(cached), CacheUse::Hit),
            None => {
                let engine = engine.clone();
                let extraction = self.off_executor(move || engine.extract(&bytes)).await?;
                (extraction, CacheUse::Miss)
            }
        };
        let extraction = match extraction {
            Ok(extraction) => extraction,
            Err(Rejection {
                code,
                message: text,
            }) => {
                metrics::document_read(None, cache == CacheUse::Hit, started.elapsed());
                let error = FileError {
                    code,
                    message: text,
                };
                let body = FileResultBody::failed(Some(sha256.clone()), size, error.clone());
                let result = self.keep_file_result(message, &body).await?;
                let outcome = FileOutcome::Failed {
                    sha256: Some(sha256),
                    result,
                    error,
                };
                return Ok(Extracted {
                    outcome,
                    fresh: None,
                });
            }
        };
        let fresh = match cache {
            CacheUse::Miss => self.fresh_extraction(&sha256, &extraction, engine.version()),
            CacheUse::Hit => None,
        };
        let duplicate_of = self.earlier_copies(message, &extraction).await?;
        if !duplicate_of.is_empty() {
            metrics::duplicate_found();
        }
        let body = FileResultBody {
            sha256: Some(sha256.clone()),
            size,
            duplicate_of,
            extraction,
            error: None,
            cache,
        };
        let result = self.keep_file_result(message, &body).await?;
        metrics::document_read(
            Some(&body.extraction),
            cache == CacheUse::Hit,
            started.elapsed(),
        );
        let outcome = FileOutcome::Succeeded {
            sha256,
            result,
            cache_hit: cache == CacheUse::Hit,
        };
        Ok(Extracted { outcome, fresh })
    }

    /// Runs CPU work (hashing, the engine) on a blocking thread, at most
    /// one per core at once, so the async executor keeps serving I/O.
    async fn off_executor<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let _slot = self
            .engine_slots
            .acquire()
            .await
            .map_err(|e| StoreError::new("engine", e))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| StoreError::new("engine", e))
    }

    /// A file that fails for what was uploaded (or not), not for a fault
    /// of ours: not retried.
    async fn reject(
        &self,
        message: &WorkMessage,
        code: &str,
        text: &str,
    ) -> Result<Extracted, StoreError> {
        let error = FileError {
            code: code.to_owned(),
            message: text.to_owned(),
        };
        let result = self
            .keep_file_result(message, &FileResultBody::failed(None, None, error.clone()))
            .await?;
        let outcome = FileOutcome::Failed {
            sha256: None,
            result,
            error,
        };
        Ok(Extracted {
            outcome,
            fresh: None,
        })
    }

    /// The file's result, inline when it is small enough for its item
    /// (written with its terminal state), otherwise put in S3 first.
    async fn keep_file_result(
        &self,
        message: &WorkMessage,
        body: &FileResultBody,
    ) -> Result<StoredResult, StoreError> {
        let json = serde_json::to_vec(body).map_err(|e| StoreError::new("keep_file_result", e))?;
        self.keep_json(json, || {
            file_result_key(&message.tenant, &message.job_id, &message.file_id)
        })
        .await
    }

    /// Keeps JSON inline when it fits an item (`file_result_inline_limit`),
    /// otherwise as an object at `object_key`.
    pub(crate) async fn keep_json(
        &self,
        json: Vec<u8>,
        object_key: impl FnOnce() -> String,
    ) -> Result<StoredResult, StoreError> {
        if json.len() <= self.settings.file_result_inline_limit {
            return Ok(StoredResult::Inline(json));
        }
        let key = object_key();
        self.ports.objects.put_json(&key, json).await?;
        Ok(StoredResult::Object(key))
    }

    /// Marks the file failed after the last allowed attempt (`attempt`).
    pub(crate) async fn fail_file(
        &self,
        message: &WorkMessage,
        error: FileError,
        attempt: u32,
    ) -> Result<Settled, StoreError> {
        let result = self
            .keep_file_result(message, &FileResultBody::failed(None, None, error.clone()))
            .await?;
        let outcome = FileOutcome::Failed {
            sha256: None,
            result,
            error,
        };
        self.finish(message, outcome, attempt).await
    }

    /// Counts the batch's files of one job (one write), then decides the job
    /// if every file is counted.
    async fn count_and_decide(
        &self,
        (tenant, job_id): &(String, JobId),
        deliveries: &[Delivery],
        settled: &[Settled],
        indexes: &[usize],
    ) -> Result<(), StoreError> {
        let mut counts = FileCounts::default();
        let mut finished = false;
        for &index in indexes {
            let QueueMessage::File(message) = &deliveries[index].message else {
                continue;
            };
            let id = message.file_id.clone();
            match &settled[index] {
                Settled::Finished { state, cache_hit } => counts.finished(id, *state, *cache_hit),
                Settled::GaveUp(Some(state)) => counts.finished(id, *state, false),
                Settled::Failed { started: true, .. } => {
                    counts.started.insert(id);
                }
                Settled::FinishedElsewhere | Settled::GaveUp(None) => finished = true,
                Settled::Failed { .. } | Settled::Controlled => continue,
            }
        }
        finished |= !counts.succeeded.is_empty() || !counts.failed.is_empty();
        if !counts.is_empty() {
            self.ports.jobs.count_files(tenant, job_id, &counts).await?;
        }
        if finished {
            self.complete_job_if_done(tenant, job_id).await?;
        }
        Ok(())
    }

    /// Sets the backoff of a delivery that comes back; the audit entry of
    /// its retry, if it was a file's.
    async fn back_off(&self, delivery: &Delivery, settled: &Settled) -> Option<AuditEntry> {
        let delay = self.settings.retry_delay(delivery.receive_count);
        if let Err(error) = self
            .ports
            .queue
            .retry_after(&delivery.source, &delivery.receipt_handle, delay)
            .await
        {
            warn!(%error, "backoff not set; the queue's visibility timeout applies");
        }
        let (QueueMessage::File(message), Settled::Failed { error, .. }) =
            (&delivery.message, settled)
        else {
            metrics::retried(match delivery.message {
                QueueMessage::Replay(_) => "replay",
                _ => "dispatch",
            });
            return None;
        };
        metrics::retried("file");
        warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
              attempt = delivery.receive_count, delay_secs = delay.as_secs(), %error, "retrying file");
        // The cause stays in the log line above: the entry is shown to the
        // tenant.
        Some(file_entry(
            message,
            "file.retry",
            Some(delivery.receive_count),
            Some(format!(
                "the attempt failed because of a fault on our side; next in {} s",
                delay.as_secs()
            )),
        ))
    }

    /// Once every file is counted: writes the job's result document and
    /// moves the job to its terminal status. Racing workers write the same
    /// document; the conditional write lets one of them decide the terminal
    /// status, exactly once, with its event in the same transaction.
    /// `true` when this call decided the job.
    pub(crate) async fn complete_job_if_done(
        &self,
        tenant: &str,
        job_id: &JobId,
    ) -> Result<bool, StoreError> {
        let Some(job) = self.ports.jobs.load_job(tenant, job_id).await? else {
            return Err(StoreError::new(
                "complete_job",
                "the job of a work message does not exist",
            ));
        };
        if job.status.is_terminal() {
            return self.ensure_webhook_enqueued(&job).await.map(|()| false);
        }
        let Some(status) = job.progress.terminal_status() else {
            return Ok(false);
        };
        // A large job's last batches often finish together, and its result
        // is thousands of entries: one worker claims the decision. A small
        // job's racing deciders cost little, and the claim would be one
        // more write before its client sees the result.
        if job.progress.total as usize > self.settings.express_max_files
            && !self
                .ports
                .jobs
                .claim_decision(tenant, job_id, DECISION_LEASE)
                .await?
        {
            // Another worker is putting the result together. Should it die,
            // its own deliveries come back after the queue's visibility
            // timeout (6 × the lease) and decide the job.
            return Ok(false);
        }
        let (key, size) = self.write_job_result(&job, status).await?;
        let event = job.webhook_url.as_ref().map(|url| WebhookEvent {
            id: EventId::generate(),
            tenant: tenant.to_owned(),
            job_id: job_id.clone(),
            url: url.clone(),
            created_at: Utc::now(),
            state: EventState::Pending,
            round_attempts: 0,
            total_attempts: 0,
            next_attempt_at: Some(Utc::now()),
            enqueued: false,
        });
        let decision = Decision {
            tenant,
            job_id,
            status,
            progress: job.progress,
            result_key: &key,
            result_size: size,
            event: event.as_ref(),
        };
        let completed =
            AuditEntry::of_job(&job, job::DECIDE.name, Some(status.as_str().to_owned()));
        let decided = self.ports.jobs.complete_job(&decision, &completed).await?;
        if decided {
            info!(tenant, job_id = %job_id, status = status.as_str(), files = job.progress.total, "job completed");
            let since_submission = (Utc::now() - job.created_at).to_std().unwrap_or_default();
            metrics::job_completed(job.progress.total, status, since_submission);
        }
        // Won or lost, the job now has its one event (the winner's), which
        // must reach the webhook queue.
        self.ensure_webhook_enqueued(&job).await?;
        Ok(decided)
    }

    /// Sends a terminal job's event to the webhook queue unless that was
    /// done. Two racing workers may both send it; delivery tolerates that
    /// and the event id stays the same.
    async fn ensure_webhook_enqueued(&self, job: &Job) -> Result<(), StoreError> {
        if job.webhook_url.is_none() {
            return Ok(());
        }
        let Some(event) = self.ports.webhooks.load_event(&job.tenant, &job.id).await? else {
            return Ok(());
        };
        if event.enqueued {
            return Ok(());
        }
        let message = WebhookMessage {
            v: WebhookMessage::VERSION,
            tenant: job.tenant.clone(),
            job_id: job.id.clone(),
            event_id: event.id,
        };
        self.ports
            .webhook_queue
            .enqueue(&message, Duration::ZERO)
            .await?;
        self.ports
            .webhooks
            .mark_enqueued(&job.tenant, &job.id)
            .await
    }
}

/// Whether an attempt found its file given up on for a fault of ours.
fn reopenable(start: &AttemptStart) -> bool {
    matches!(start, AttemptStart::AlreadyFinished { state: FileState::Failed, error_code, .. }
        if error_code.as_deref() == Some(file::REOPENABLE))
}

/// The deliveries of a batch grouped by their job (tenant, job id).
fn by_job(deliveries: &[Delivery]) -> BTreeMap<(String, JobId), Vec<usize>> {
    let mut jobs: BTreeMap<(String, JobId), Vec<usize>> = BTreeMap::new();
    for (index, delivery) in deliveries.iter().enumerate() {
        if let QueueMessage::File(message) = &delivery.message {
            jobs.entry((message.tenant.clone(), message.job_id.clone()))
                .or_default()
                .push(index);
        }
    }
    jobs
}

/// An entry about the file of `message`, now; `attempt` is the delivery's
/// receive count where the entry is about one attempt.
pub(crate) fn file_entry(
    message: &WorkMessage,
    event: &str,
    attempt: Option<u32>,
    detail: Option<String>,
) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        tenant: message.tenant.clone(),
        session_id: message.session_id.clone(),
        job_id: Some(message.job_id.clone()),
        file_id: Some(message.file_id.clone()),
        event: event.to_owned(),
        attempt,
        detail,
    }
}
