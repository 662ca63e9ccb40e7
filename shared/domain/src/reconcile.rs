//! The reconciler: a scheduled run that repairs what crashes leave behind
//! and no message will ever come back for.
//!
//! - A job that has not moved for `Settings::reconcile_after`: its dispatch
//!   message is sent again if not every file was sent; otherwise its files
//!   are read. A file not terminal gets a new work message, or is given up
//!   on (`processing_failed`, re-openable) once its attempts reached the
//!   queue's `maxReceiveCount`: a worker that dies on it every time never
//!   marks it failed itself. Terminal files are counted again (counting is
//!   by set membership), and the job is decided if it is done.
//! - A webhook event still pending that long after it was due (or never
//!   sent to its queue) gets a new message; the delivery lease keeps a
//!   duplicate from sending twice.
//!
//! Every repair is audited (`reconcile.*`) and counted in the report. A new
//! message for a file whose own message was only delayed costs one more
//! delivery, which finds the file terminal or starts another attempt.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

use crate::error::StoreError;
use crate::ids::JobId;
use crate::metrics;
use crate::model::{DispatchMessage, DispatchState, FileError, FileState, WorkMessage};
use crate::ports::{AuditEntry, FileCounts, FilePage};
use crate::processing::{file_entry, Settled};
use crate::service::Intake;
use crate::webhooks::{EventState, WebhookMessage};

/// Open jobs and pending events one run looks at, oldest first.
pub const RECONCILE_BATCH: usize = 500;
/// Files read per page of a stalled job.
const FILE_PAGE: usize = 500;

/// What one run found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Open jobs older than the threshold that were looked at.
    pub jobs_checked: u32,
    /// Jobs whose dispatch message was sent again.
    pub dispatches_resent: u32,
    /// Files that got a new work message.
    pub files_requeued: u32,
    /// Files given up on after their last attempt's worker died.
    pub files_given_up: u32,
    /// Jobs decided by this run.
    pub jobs_decided: u32,
    /// Webhook events that got a new message.
    pub webhooks_requeued: u32,
}

impl Intake {
    /// One reconciliation pass at `now`.
    pub async fn reconcile(&self, now: DateTime<Utc>) -> Result<ReconcileReport, StoreError> {
        metrics::heartbeat("reconcile");
        let stale_before = now
            - chrono::Duration::from_std(self.settings.reconcile_after)
                .unwrap_or(chrono::Duration::MAX);
        let mut report = ReconcileReport::default();
        // Events first: an event this run's decisions create is not due yet.
        let events = self
            .ports
            .open_work
            .pending_events(stale_before, RECONCILE_BATCH)
            .await?;
        for (tenant, job_id) in events {
            match self.reconcile_event(&tenant, &job_id, stale_before).await {
                Ok(true) => report.webhooks_requeued += 1,
                Ok(false) => {}
                Err(error) => {
                    warn!(tenant, job_id = %job_id, %error, "webhook event not reconciled; the next run tries again")
                }
            }
        }
        let jobs = self
            .ports
            .open_work
            .open_jobs(stale_before, RECONCILE_BATCH)
            .await?;
        for (tenant, job_id) in jobs {
            report.jobs_checked += 1;
            if let Err(error) = self
                .reconcile_job(&tenant, &job_id, stale_before, &mut report)
                .await
            {
                warn!(tenant, job_id = %job_id, %error, "job not reconciled; the next run tries again");
            }
        }
        info!(
            jobs_checked = report.jobs_checked,
            dispatches_resent = report.dispatches_resent,
            files_requeued = report.files_requeued,
            files_given_up = report.files_given_up,
            jobs_decided = report.jobs_decided,
            webhooks_requeued = report.webhooks_requeued,
            "reconciled"
        );
        Ok(report)
    }

    async fn reconcile_job(
        &self,
        tenant: &str,
        job_id: &JobId,
        stale_before: DateTime<Utc>,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        let Some(job) = self.ports.jobs.load_job(tenant, job_id).await? else {
            return Ok(());
        };
        if job.status.is_terminal() || job.updated_at > stale_before {
            return Ok(());
        }
        if job.dispatch != DispatchState::Sent {
            self.ports
                .queue
                .enqueue_dispatch(&DispatchMessage::new(tenant, job_id))
                .await?;
            report.dispatches_resent += 1;
            return self
                .audit_repairs(vec![AuditEntry::of_job(
                    &job,
                    "reconcile.dispatch_resent",
                    None,
                )])
                .await;
        }
        let mut counts = FileCounts::default();
        let mut requeue = Vec::new();
        let mut repairs = Vec::new();
        let mut after = None;
        loop {
            let FilePage { files, more } = self
                .ports
                .sessions
                .load_file_page(tenant, &job.session_id, after.as_ref(), FILE_PAGE)
                .await?;
            after = files.last().map(|file| file.id.clone());
            for file in &files {
                let message = WorkMessage::for_file(&job, file);
                match file.status {
                    FileState::Succeeded | FileState::Failed => {
                        counts.finished(file.id.clone(), file.status, file.cache_hit)
                    }
                    FileState::Uploaded | FileState::Processing
                        if file.attempts >= self.settings.max_receive_count =>
                    {
                        if self.give_up_after_crashes(&message, file.attempts).await? {
                            report.files_given_up += 1;
                        }
                        counts.failed.insert(file.id.clone());
                    }
                    FileState::Uploaded | FileState::Processing => {
                        repairs.push(file_entry(
                            &message,
                            "reconcile.requeued",
                            None,
                            Some(format!("no attempt for a while after {}", file.attempts)),
                        ));
                        requeue.push(message);
                    }
                    FileState::AwaitingUpload => {}
                }
            }
            if !more {
                break;
            }
        }
        if !requeue.is_empty() {
            let lane = job.lane(self.settings.express_max_files);
            self.ports.queue.enqueue(&requeue, lane).await?;
            report.files_requeued += requeue.len() as u32;
        }
        self.audit_repairs(repairs).await?;
        if !counts.is_empty() {
            self.ports.jobs.count_files(tenant, job_id, &counts).await?;
        }
        if self.complete_job_if_done(tenant, job_id).await? {
            report.jobs_decided += 1;
        }
        Ok(())
    }

    /// Marks failed a file whose every attempt started and never finished
    /// (its worker died each time): it is re-openable like any give-up.
    async fn give_up_after_crashes(
        &self,
        message: &WorkMessage,
        attempts: u32,
    ) -> Result<bool, StoreError> {
        warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
              attempts, "giving up on a file whose attempts never finished");
        let error = FileError {
            code: crate::transitions::file::REOPENABLE.to_owned(),
            message: format!(
                "the file could not be processed in {attempts} attempts because of a fault on our side"
            ),
        };
        Ok(matches!(
            self.fail_file(message, error, attempts).await?,
            Settled::Finished { .. }
        ))
    }

    /// Sends a pending event that is long overdue (or was never sent) to
    /// the webhook queue again.
    async fn reconcile_event(
        &self,
        tenant: &str,
        job_id: &JobId,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(event) = self.ports.webhooks.load_event(tenant, job_id).await? else {
            return Ok(false);
        };
        let overdue = event.next_attempt_at.is_none_or(|due| due < stale_before);
        if event.state != EventState::Pending || (event.enqueued && !overdue) {
            return Ok(false);
        }
        let message = WebhookMessage {
            v: WebhookMessage::VERSION,
            tenant: tenant.to_owned(),
            job_id: job_id.clone(),
            event_id: event.id.clone(),
        };
        self.ports
            .webhook_queue
            .enqueue(&message, Duration::ZERO)
            .await?;
        if !event.enqueued {
            self.ports.webhooks.mark_enqueued(tenant, job_id).await?;
        }
        let Some(job) = self.ports.jobs.load_job(tenant, job_id).await? else {
            return Ok(true);
        };
        self.audit_repairs(vec![AuditEntry::of_job(
            &job,
            "reconcile.webhook_requeued",
            Some(format!("event {}", event.id.as_str())),
        )])
        .await?;
        Ok(true)
    }

    async fn audit_repairs(&self, entries: Vec<AuditEntry>) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.ports.audit.append_all(&entries).await
    }
}
