//! The job routes' use cases: submit (the job and its dispatch message, no
//! fan-out in the request) and status.

use chrono::Utc;
use sha2::{Digest, Sha256};
use tracing::info;

use crate::dispatch::TopUp;
use crate::error::AppError;
use crate::ids::JobId;
use crate::metrics;
use crate::model::{
    DispatchMessage, DispatchState, FileRecord, Job, JobStatus, JobSummary, SessionStatus, Tenant,
};
use crate::paging::PageRequest;
use crate::ports::{AuditEntry, CreateJob, FilePage};
use crate::service::{next_cursor, Intake};
use crate::views::{
    JobAccepted, JobFileView, JobLinks, JobStatusView, ProgressView, SubmitExtractionRequest,
};

/// `job.completed` events of larger jobs carry no `files` (api.md v1.1).
pub const MAX_FILES_IN_EVENT: u32 = 100;

impl Intake {
    /// Creates the job and sends its one dispatch message; the dispatcher
    /// sends the files' work messages after the answer, so this takes the
    /// same time for 11 files or 2000 (up to `express_max_files` files are
    /// sent at once instead). `idempotency_key` is the request's
    /// `Idempotency-Key`, if any: the job remembers it, so that a retry of
    /// the request that created it gets the job, not 409.
    pub async fn submit_extraction(
        &self,
        tenant: &Tenant,
        id: &str,
        request: SubmitExtractionRequest,
        idempotency_key: Option<&str>,
    ) -> Result<JobAccepted, AppError> {
        let submitted_with = idempotency_key.map(|key| hex::encode(Sha256::digest(key.as_bytes())));
        let submitted_with = submitted_with.as_deref();
        let session_id = crate::ids::SessionId::parse(id).ok_or(AppError::SessionNotFound)?;
        let session = self
            .ports
            .sessions
            .find_session(&tenant.id, &session_id)
            .await?
            .ok_or(AppError::SessionNotFound)?;
        if let Some(url) = &request.webhook_url {
            self.validate_webhook_url(url)?;
        }
        let job = match (&session.job_id, session.status) {
            (Some(job_id), _) => self.existing_job(tenant, job_id, submitted_with).await?,
            (None, SessionStatus::AwaitingUpload) => return Err(AppError::SessionNotConfirmed),
            (None, _) => {
                let webhook_url = request.webhook_url.or_else(|| session.webhook_url.clone());
                let job = Job {
                    submitted_with: submitted_with.map(str::to_owned),
                    ..Job::queued(&session, webhook_url, Utc::now())
                };
                let created = AuditEntry::of_job(&job, "job.created", None);
                match self.ports.jobs.create_job(&job, &session, &created).await? {
                    CreateJob::Created => {
                        info!(tenant = %tenant.id, session_id = %session.id, job_id = %job.id, files = session.file_count, "job created");
                        metrics::job_accepted(session.file_count);
                        job
                    }
                    CreateJob::AlreadySubmitted(job_id) => {
                        self.existing_job(tenant, &job_id, submitted_with).await?
                    }
                    CreateJob::NotConfirmed => return Err(AppError::SessionNotConfirmed),
                }
            }
        };
        if job.dispatch == DispatchState::Accepted {
            self.start_dispatch(&job).await?;
        }
        Ok(JobAccepted {
            links: JobLinks::for_job(&job.id),
            job_id: job.id,
            session_id: session.id,
            status: JobStatus::Queued.as_str(),
        })
    }

    /// A small job's few work messages go out with the answer (one call, no
    /// dispatcher hop); a larger job gets its dispatch message.
    async fn start_dispatch(&self, job: &Job) -> Result<(), AppError> {
        if job.progress.total as usize <= self.settings.express_max_files
            && self.top_up(job).await? == TopUp::Complete
        {
            return Ok(());
        }
        self.ports
            .queue
            .enqueue_dispatch(&DispatchMessage::new(&job.tenant, &job.id))
            .await?;
        self.ports
            .jobs
            .record_dispatch(&job.tenant, &job.id, DispatchState::Enqueued, None, None)
            .await?;
        Ok(())
    }

    /// A session's job, returned while its dispatch message is unsent (the
    /// caller sends what a dead request left unsent) and to a retry of the
    /// request that created it (`submitted_with`: the same key's digest),
    /// whose first answer may have been a 5xx after the job was dispatched;
    /// to anyone else 409.
    async fn existing_job(
        &self,
        tenant: &Tenant,
        job_id: &JobId,
        submitted_with: Option<&str>,
    ) -> Result<Job, AppError> {
        let job = self
            .ports
            .jobs
            .load_job(&tenant.id, job_id)
            .await?
            .ok_or(AppError::JobNotFound)?;
        let retry = submitted_with.is_some() && job.submitted_with.as_deref() == submitted_with;
        if job.dispatch == DispatchState::Accepted || retry {
            Ok(job)
        } else {
            Err(AppError::SessionAlreadyExtracted { job_id: job.id })
        }
    }

    /// The status object with one page of files.
    pub async fn job_status(
        &self,
        tenant: &Tenant,
        id: &str,
        page: Option<PageRequest>,
    ) -> Result<JobStatusView, AppError> {
        let job = self.load_job(tenant, id).await?;
        let (files, cursor) = self
            .job_files(tenant, &job, page.unwrap_or_default())
            .await?;
        Ok(status_view(job.summary(), Some(files), cursor))
    }

    /// One page of a job's files, and the cursor of the next.
    pub(crate) async fn job_files(
        &self,
        tenant: &Tenant,
        job: &Job,
        page: PageRequest,
    ) -> Result<(Vec<FileRecord>, Option<String>), AppError> {
        let FilePage { files, more } = self
            .ports
            .sessions
            .load_file_page(&tenant.id, &job.session_id, page.after.as_ref(), page.limit)
            .await?;
        let cursor = next_cursor(job.id.as_str(), &files, more);
        Ok((files, cursor))
    }

    /// The status object a `job.completed` event carries: with every file
    /// up to `MAX_FILES_IN_EVENT` files, without files above.
    pub(crate) async fn event_status(&self, job: &Job) -> Result<JobStatusView, AppError> {
        if job.progress.total > MAX_FILES_IN_EVENT {
            return Ok(status_view(job.summary(), None, None));
        }
        let tenant = Tenant {
            id: job.tenant.clone(),
        };
        let (files, cursor) = self.job_files(&tenant, job, PageRequest::default()).await?;
        Ok(status_view(job.summary(), Some(files), cursor))
    }

    pub(crate) async fn load_job(&self, tenant: &Tenant, id: &str) -> Result<Job, AppError> {
        let id = JobId::parse(id).ok_or(AppError::JobNotFound)?;
        self.ports
            .jobs
            .load_job(&tenant.id, &id)
            .await?
            .ok_or(AppError::JobNotFound)
    }
}

/// The status object of `job`, with `files` (a page) or without.
pub(crate) fn status_view(
    job: JobSummary,
    files: Option<Vec<FileRecord>>,
    next_cursor: Option<String>,
) -> JobStatusView {
    JobStatusView {
        status: job.visible_status().as_str(),
        job_id: job.id,
        session_id: job.session_id,
        created_at: job.created_at,
        updated_at: job.updated_at,
        completed_at: job.completed_at,
        progress: ProgressView {
            total: job.progress.total,
            queued: job.progress.queued(),
            processing: job.progress.processing,
            succeeded: job.progress.succeeded,
            failed: job.progress.failed,
            cached: job.progress.cached,
        },
        files: files.map(|files| {
            files
                .into_iter()
                .map(|file| JobFileView {
                    file_id: file.id,
                    name: file.name,
                    status: file.status.job_view(),
                    attempts: file.attempts,
                    error: file.error,
                })
                .collect()
        }),
        next_cursor,
    }
}
