//! The worker's use case: one delivery of one work message.

use chrono::Utc;
use futures::{stream, StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};

use crate::error::StoreError;
use std::time::Duration;

use crate::ids::{EventId, JobId};
use crate::model::{FileError, FileRecord, Job, WorkMessage};
use crate::ports::{AttemptStart, AuditEntry, FileOutcome};
use crate::service::{file_result_key, job_result_key, Intake, IO_CONCURRENCY};
use crate::webhooks::{EventState, WebhookEvent, WebhookMessage};

/// One SQS delivery of a work message.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message: WorkMessage,
    pub receipt_handle: String,
    /// SQS's `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
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
    extraction: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<FileError>,
}

impl Intake {
    /// Processes one delivery. Never panics on bad input: documents the
    /// engine rejects make the file `failed`; only infrastructure errors are
    /// retried, with exponential backoff, and the last allowed attempt marks
    /// the file `failed` before the message goes to the dead-letter queue.
    pub async fn process_delivery(&self, delivery: &Delivery) -> DeliveryOutcome {
        let message = &delivery.message;
        match self.process_file(message).await {
            Ok(()) => DeliveryOutcome::Done,
            Err(failure) if delivery.receive_count >= self.settings.max_receive_count => {
                error!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                       attempt = delivery.receive_count, error = %failure, "giving up on file");
                let error = FileError {
                    code: "processing_failed".to_owned(),
                    message: format!(
                        "gave up after {} attempts: {failure}",
                        delivery.receive_count
                    ),
                };
                if let Err(give_up_failure) = self.fail_file(message, error).await {
                    error!(job_id = %message.job_id, file_id = %message.file_id, error = %give_up_failure,
                           "could not mark the file failed; the message goes to the dead-letter queue");
                }
                DeliveryOutcome::Retry
            }
            Err(failure) => {
                let delay = self.settings.retry_delay(delivery.receive_count);
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      attempt = delivery.receive_count, delay_secs = delay.as_secs(), error = %failure, "retrying file");
                self.audit_message(
                    message,
                    "file.retry",
                    Some(format!(
                        "attempt {} failed: {failure}; next in {} s",
                        delivery.receive_count,
                        delay.as_secs()
                    )),
                )
                .await;
                if let Err(error) = self
                    .ports
                    .queue
                    .retry_after(&delivery.receipt_handle, delay)
                    .await
                {
                    warn!(job_id = %message.job_id, file_id = %message.file_id, %error,
                          "backoff not set; the queue's visibility timeout applies");
                }
                DeliveryOutcome::Retry
            }
        }
    }

    async fn process_file(&self, message: &WorkMessage) -> Result<(), StoreError> {
        match self.ports.jobs.start_attempt(message).await? {
            AttemptStart::AlreadyFinished => {
                info!(job_id = %message.job_id, file_id = %message.file_id, "duplicate delivery of a finished file");
            }
            AttemptStart::Started { attempt } => {
                self.audit_message(
                    message,
                    "file.processing",
                    Some(format!("attempt {attempt}")),
                )
                .await;
                let outcome = self.extract_file(message).await?;
                if self.ports.jobs.finish_file(message, &outcome).await? {
                    let (event, detail) = match &outcome {
                        FileOutcome::Succeeded { .. } => ("file.succeeded", None),
                        FileOutcome::Failed { error, .. } => (
                            "file.failed",
                            Some(format!("{}: {}", error.code, error.message)),
                        ),
                    };
                    self.audit_message(message, event, detail).await;
                    info!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id, event, "file finished");
                }
            }
        }
        self.complete_job_if_done(&message.tenant, &message.job_id)
            .await
    }

    /// Reads the upload, runs the engine and stores the file's result.
    async fn extract_file(&self, message: &WorkMessage) -> Result<FileOutcome, StoreError> {
        let result_key = file_result_key(&message.tenant, &message.job_id, &message.file_id);
        let Some(bytes) = self.ports.objects.get(&message.object_key).await? else {
            let error = FileError {
                code: "upload_missing".to_owned(),
                message: "the uploaded object no longer exists".to_owned(),
            };
            self.store_file_result(&result_key, None, None, Default::default(), Some(&error))
                .await?;
            return Ok(FileOutcome::Failed {
                sha256: None,
                result_key,
                error,
            });
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = Some(bytes.len() as u64);
        match self.ports.engine.extract(&bytes) {
            Ok(extraction) => {
                self.store_file_result(&result_key, Some(&sha256), size, extraction, None)
                    .await?;
                Ok(FileOutcome::Succeeded { sha256, result_key })
            }
            Err(rejection) => {
                let error = FileError {
                    code: rejection.code,
                    message: rejection.message,
                };
                self.store_file_result(
                    &result_key,
                    Some(&sha256),
                    size,
                    Default::default(),
                    Some(&error),
                )
                .await?;
                Ok(FileOutcome::Failed {
                    sha256: Some(sha256),
                    result_key,
                    error,
                })
            }
        }
    }

    async fn store_file_result(
        &self,
        key: &str,
        sha256: Option<&str>,
        size: Option<u64>,
        extraction: serde_json::Map<String, serde_json::Value>,
        error: Option<&FileError>,
    ) -> Result<(), StoreError> {
        let body = FileResultBody {
            sha256: sha256.map(str::to_owned),
            size,
            extraction,
            error: error.cloned(),
        };
        let bytes =
            serde_json::to_vec(&body).map_err(|e| StoreError::new("store_file_result", e))?;
        self.ports.objects.put_json(key, bytes).await
    }

    /// Marks the file failed after the last allowed attempt.
    async fn fail_file(&self, message: &WorkMessage, error: FileError) -> Result<(), StoreError> {
        let result_key = file_result_key(&message.tenant, &message.job_id, &message.file_id);
        self.store_file_result(&result_key, None, None, Default::default(), Some(&error))
            .await?;
        let detail = format!("{}: {}", error.code, error.message);
        let outcome = FileOutcome::Failed {
            sha256: None,
            result_key,
            error,
        };
        if self.ports.jobs.finish_file(message, &outcome).await? {
            self.audit_message(message, "file.failed", Some(detail))
                .await;
        }
        self.complete_job_if_done(&message.tenant, &message.job_id)
            .await
    }

    /// Once every file is terminal: assembles the job's result document,
    /// stores it, and moves the job to its terminal status. Racing workers
    /// assemble the same document; the conditional write lets one of them
    /// decide the terminal status, exactly once.
    async fn complete_job_if_done(&self, tenant: &str, job_id: &JobId) -> Result<(), StoreError> {
        let Some(job) = self.ports.jobs.load_job(tenant, job_id).await? else {
            return Err(StoreError::new(
                "complete_job",
                "the job of a work message does not exist",
            ));
        };
        if job.status.is_terminal() {
            return self.ensure_webhook_enqueued(&job).await;
        }
        let Some(status) = job.progress.terminal_status() else {
            return Ok(());
        };
        let Some((session, files)) = self
            .ports
            .sessions
            .load_session(tenant, &job.session_id)
            .await?
        else {
            return Err(StoreError::new(
                "complete_job",
                "the session of a job does not exist",
            ));
        };
        let document = self.assemble_result(&job, status.as_str(), files).await?;
        let key = job_result_key(tenant, job_id);
        let size = document.len() as u64;
        self.ports.objects.put_json(&key, document).await?;
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
        if self
            .ports
            .jobs
            .complete_job(tenant, job_id, status, &key, size, event.as_ref())
            .await?
        {
            self.audit(
                &session,
                Some(job_id),
                None,
                "job.completed",
                Some(status.as_str().to_owned()),
            )
            .await;
            info!(tenant, job_id = %job_id, status = status.as_str(), "job completed");
        }
        // Won or lost, the job now has its one event (the winner's), which
        // must reach the webhook queue.
        self.ensure_webhook_enqueued(&job).await
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

    async fn assemble_result(
        &self,
        job: &Job,
        status: &str,
        files: Vec<FileRecord>,
    ) -> Result<Vec<u8>, StoreError> {
        let results: Vec<serde_json::Value> = stream::iter(files)
            .map(|file| async move {
                let mut entry = serde_json::Map::new();
                entry.insert("file_id".into(), file.id.to_string().into());
                entry.insert("name".into(), file.name.clone().into());
                entry.insert("status".into(), file.status.as_str().into());
                if let Some(key) = &file.result_key {
                    let stored = self.ports.objects.get(key).await?.ok_or_else(|| {
                        StoreError::new("assemble_result", format!("missing file result {key}"))
                    })?;
                    let serde_json::Value::Object(stored) = serde_json::from_slice(&stored)
                        .map_err(|e| StoreError::new("assemble_result", e))?
                    else {
                        return Err(StoreError::new(
                            "assemble_result",
                            "file result is not an object",
                        ));
                    };
                    entry.extend(stored);
                }
                Ok(serde_json::Value::Object(entry))
            })
            .buffered(IO_CONCURRENCY)
            .try_collect()
            .await?;
        let document = serde_json::json!({
            "job_id": job.id,
            "session_id": job.session_id,
            "status": status,
            "results": results,
        });
        serde_json::to_vec(&document).map_err(|e| StoreError::new("assemble_result", e))
    }

    async fn audit_message(&self, message: &WorkMessage, event: &str, detail: Option<String>) {
        self.append_audit(AuditEntry {
            at: Utc::now(),
            tenant: message.tenant.clone(),
            session_id: message.session_id.clone(),
            job_id: Some(message.job_id.clone()),
            file_id: Some(message.file_id.clone()),
            event: event.to_owned(),
            detail,
        })
        .await;
    }
}
