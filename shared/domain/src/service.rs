//! The API's use cases, one method per route.

use chrono::Utc;
use futures::{stream, StreamExt, TryStreamExt};
use tracing::{info, warn};

use crate::error::AppError;
use crate::ids::{FileId, JobId, SessionId};
use crate::model::{
    FileRecord, FileState, Job, JobStatus, Progress, Session, SessionStatus, Tenant, UploadInfo,
    WorkMessage,
};
use crate::ports::{AuditEntry, CreateJob, Ports};
use crate::settings::Settings;
use crate::views::{
    CreateSessionRequest, FileSpec, JobAccepted, JobFileView, JobLinks, JobResult, JobStatusView,
    ProgressView, SessionFileView, SessionView, SubmitExtractionRequest, UploadView,
};

/// Content types a file may be declared with. The engine detects the format
/// from the bytes, so the declared type only has to be plausible.
pub const ACCEPTED_CONTENT_TYPES: [&str; 4] = [
    "application/xml",
    "text/xml",
    "application/pdf",
    "application/octet-stream",
];
const MAX_NAME_CHARS: usize = 255;
const MAX_METADATA_BYTES: usize = 4096;
/// How many S3 or SQS calls one request keeps in flight.
pub(crate) const IO_CONCURRENCY: usize = 16;

/// The service: ports plus settings, built once per cold start and shared by
/// every request of that Lambda instance.
#[derive(Clone)]
pub struct Intake {
    pub(crate) ports: Ports,
    pub(crate) settings: Settings,
}

impl Intake {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self { ports, settings }
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub async fn authenticate(&self, api_key: Option<&str>) -> Result<Tenant, AppError> {
        let api_key = api_key
            .filter(|key| !key.is_empty())
            .ok_or(AppError::Unauthorized)?;
        self.ports
            .tenants
            .find_by_api_key(api_key)
            .await?
            .ok_or(AppError::Unauthorized)
    }

    pub async fn create_session(
        &self,
        tenant: &Tenant,
        request: CreateSessionRequest,
    ) -> Result<SessionView, AppError> {
        let specs = request.files.unwrap_or_else(|| {
            vec![FileSpec {
                name: "document".to_owned(),
                content_type: "application/octet-stream".to_owned(),
                size: None,
            }]
        });
        self.validate_files(&specs)?;
        if let Some(url) = &request.webhook_url {
            self.validate_webhook_url(url)?;
        }
        validate_metadata(request.metadata.as_ref())?;

        let now = Utc::now();
        let session_id = SessionId::generate();
        let session = Session {
            id: session_id.clone(),
            tenant: tenant.id.clone(),
            status: SessionStatus::AwaitingUpload,
            created_at: now,
            expires_at: now + self.settings.upload_url_ttl,
            webhook_url: request.webhook_url,
            metadata: request.metadata,
            job_id: None,
            file_count: specs.len() as u32,
        };
        let files: Vec<FileRecord> = specs
            .into_iter()
            .map(|spec| {
                let id = FileId::generate();
                FileRecord {
                    object_key: upload_key(&tenant.id, &session_id, &id),
                    id,
                    session_id: session_id.clone(),
                    name: spec.name,
                    content_type: spec.content_type,
                    declared_size: spec.size,
                    status: FileState::AwaitingUpload,
                    upload: None,
                    attempts: 0,
                    error: None,
                    sha256: None,
                    result_key: None,
                }
            })
            .collect();
        self.ports.sessions.create_session(&session, &files).await?;
        self.audit(&session, None, None, "session.created", None)
            .await;
        info!(tenant = %tenant.id, session_id = %session.id, files = files.len(), "session created");
        self.session_view(session, files).await
    }

    pub async fn get_session(&self, tenant: &Tenant, id: &str) -> Result<SessionView, AppError> {
        let (session, files) = self.load_session(tenant, id).await?;
        self.session_view(session, files).await
    }

    /// Checks every upload with S3 and moves the session to `Pending`.
    pub async fn confirm_upload(&self, tenant: &Tenant, id: &str) -> Result<SessionView, AppError> {
        let (session, files) = self.load_session(tenant, id).await?;
        if session.status != SessionStatus::AwaitingUpload {
            return self.session_view(session, files).await;
        }
        let keys: Vec<(FileId, String)> = files
            .iter()
            .map(|file| (file.id.clone(), file.object_key.clone()))
            .collect();
        let heads: Vec<(FileId, Option<UploadInfo>)> = stream::iter(keys)
            .map(|(id, key)| async move {
                let head = self.ports.objects.head(&key).await?;
                Ok::<_, AppError>((id, head))
            })
            .buffered(IO_CONCURRENCY)
            .try_collect()
            .await?;

        let missing: Vec<String> = heads
            .iter()
            .filter(|(_, head)| head.is_none())
            .map(|(id, _)| id.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::UploadMissing { files: missing });
        }
        let too_large: Vec<String> = files
            .iter()
            .zip(&heads)
            .filter_map(|(file, (_, head))| {
                let size = head.as_ref()?.size;
                let limit = file
                    .declared_size
                    .unwrap_or(self.settings.max_file_bytes)
                    .min(self.settings.max_file_bytes);
                (size > limit).then(|| file.id.to_string())
            })
            .collect();
        if !too_large.is_empty() {
            return Err(AppError::UploadTooLarge { files: too_large });
        }

        let uploads: Vec<(FileId, UploadInfo)> = heads
            .into_iter()
            .filter_map(|(id, head)| head.map(|head| (id, head)))
            .collect();
        self.ports
            .sessions
            .confirm_uploads(&tenant.id, &session.id, &uploads)
            .await?;
        self.audit(&session, None, None, "session.pending", None)
            .await;
        info!(tenant = %tenant.id, session_id = %session.id, "uploads confirmed");
        let (session, files) = self.load_session(tenant, session.id.as_str()).await?;
        self.session_view(session, files).await
    }

    /// Creates the job and enqueues one message per file; parses nothing.
    pub async fn submit_extraction(
        &self,
        tenant: &Tenant,
        id: &str,
        request: SubmitExtractionRequest,
    ) -> Result<JobAccepted, AppError> {
        let (session, files) = self.load_session(tenant, id).await?;
        if let Some(url) = &request.webhook_url {
            self.validate_webhook_url(url)?;
        }
        let job = match (&session.job_id, session.status) {
            (Some(job_id), _) => self.existing_job(tenant, job_id).await?,
            (None, SessionStatus::AwaitingUpload) => return Err(AppError::SessionNotConfirmed),
            (None, _) => {
                let now = Utc::now();
                let job = Job {
                    id: JobId::generate(),
                    tenant: tenant.id.clone(),
                    session_id: session.id.clone(),
                    status: JobStatus::Queued,
                    created_at: now,
                    updated_at: now,
                    completed_at: None,
                    progress: Progress {
                        total: files.len() as u32,
                        ..Progress::default()
                    },
                    webhook_url: request.webhook_url.or_else(|| session.webhook_url.clone()),
                    dispatched: false,
                    result_key: None,
                    result_size: None,
                };
                match self.ports.jobs.create_job(&job).await? {
                    CreateJob::Created => {
                        self.audit(&session, Some(&job.id), None, "job.queued", None)
                            .await;
                        info!(tenant = %tenant.id, session_id = %session.id, job_id = %job.id, "job created");
                        job
                    }
                    CreateJob::AlreadySubmitted(job_id) => {
                        self.existing_job(tenant, &job_id).await?
                    }
                    CreateJob::NotConfirmed => return Err(AppError::SessionNotConfirmed),
                }
            }
        };
        if !job.dispatched {
            self.dispatch(&job, &files).await?;
        }
        Ok(JobAccepted {
            links: JobLinks::for_job(&job.id),
            job_id: job.id,
            session_id: session.id,
            status: JobStatus::Queued.as_str(),
        })
    }

    /// A session's job: 409 once it is fully enqueued; otherwise it is
    /// returned so that the caller finishes the enqueueing a crashed request
    /// left undone (the worker ignores duplicate messages).
    async fn existing_job(&self, tenant: &Tenant, job_id: &JobId) -> Result<Job, AppError> {
        let job = self
            .ports
            .jobs
            .load_job(&tenant.id, job_id)
            .await?
            .ok_or(AppError::JobNotFound)?;
        if job.dispatched {
            Err(AppError::SessionAlreadyExtracted { job_id: job.id })
        } else {
            Ok(job)
        }
    }

    async fn dispatch(&self, job: &Job, files: &[FileRecord]) -> Result<(), AppError> {
        let messages: Vec<WorkMessage> = files
            .iter()
            .map(|file| WorkMessage {
                v: WorkMessage::VERSION,
                tenant: job.tenant.clone(),
                session_id: job.session_id.clone(),
                job_id: job.id.clone(),
                file_id: file.id.clone(),
                object_key: file.object_key.clone(),
            })
            .collect();
        self.ports.queue.enqueue(&messages).await?;
        self.ports
            .jobs
            .mark_dispatched(&job.tenant, &job.id)
            .await?;
        Ok(())
    }

    pub async fn job_status(&self, tenant: &Tenant, id: &str) -> Result<JobStatusView, AppError> {
        let job = self.load_job(tenant, id).await?;
        let (_, files) = self
            .ports
            .sessions
            .load_session(&tenant.id, &job.session_id)
            .await?
            .ok_or(AppError::JobNotFound)?;
        Ok(JobStatusView {
            job_id: job.id,
            session_id: job.session_id,
            status: job.status.as_str(),
            created_at: job.created_at,
            updated_at: job.updated_at,
            completed_at: job.completed_at,
            progress: ProgressView {
                total: job.progress.total,
                queued: job.progress.queued(),
                processing: job.progress.processing,
                succeeded: job.progress.succeeded,
                failed: job.progress.failed,
            },
            files: files
                .into_iter()
                .map(|file| JobFileView {
                    file_id: file.id,
                    name: file.name,
                    status: file.status.job_view(),
                    attempts: file.attempts,
                    error: file.error,
                })
                .collect(),
        })
    }

    pub async fn job_result(&self, tenant: &Tenant, id: &str) -> Result<JobResult, AppError> {
        let job = self.load_job(tenant, id).await?;
        let (Some(key), Some(size)) = (job.result_key.as_deref(), job.result_size) else {
            return Err(AppError::JobNotFinished);
        };
        if size > self.settings.result_inline_limit {
            let url = self
                .ports
                .objects
                .presign_download(key, self.settings.result_url_ttl)
                .await?;
            return Ok(JobResult::Redirect(url));
        }
        let body = self.ports.objects.get(key).await?.ok_or_else(|| {
            AppError::Store(crate::StoreError::new(
                "job_result",
                "result object is missing",
            ))
        })?;
        Ok(JobResult::Inline(body.to_vec()))
    }

    async fn load_session(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<(Session, Vec<FileRecord>), AppError> {
        let id = SessionId::parse(id).ok_or(AppError::SessionNotFound)?;
        self.ports
            .sessions
            .load_session(&tenant.id, &id)
            .await?
            .ok_or(AppError::SessionNotFound)
    }

    async fn load_job(&self, tenant: &Tenant, id: &str) -> Result<Job, AppError> {
        let id = JobId::parse(id).ok_or(AppError::JobNotFound)?;
        self.ports
            .jobs
            .load_job(&tenant.id, &id)
            .await?
            .ok_or(AppError::JobNotFound)
    }

    async fn session_view(
        &self,
        session: Session,
        files: Vec<FileRecord>,
    ) -> Result<SessionView, AppError> {
        // URLs are signed again on every read, valid until the end of the
        // session's upload window, so a client that lost them can fetch them.
        let upload_open =
            session.status == SessionStatus::AwaitingUpload && session.expires_at > Utc::now();
        let files = stream::iter(files)
            .map(|file| self.session_file_view(&session, file, upload_open))
            .buffered(IO_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(SessionView {
            id: session.id,
            status: session.status,
            created_at: session.created_at,
            expires_at: session.expires_at,
            webhook_url: session.webhook_url,
            metadata: session.metadata,
            job_id: session.job_id,
            files,
        })
    }

    async fn session_file_view(
        &self,
        session: &Session,
        file: FileRecord,
        upload_open: bool,
    ) -> Result<SessionFileView, AppError> {
        let upload = if upload_open && file.status == FileState::AwaitingUpload {
            let request = self
                .ports
                .objects
                .presign_upload(
                    &file.object_key,
                    &file.content_type,
                    session.created_at,
                    self.settings.upload_url_ttl,
                )
                .await?;
            Some(UploadView {
                method: request.method,
                url: request.url,
                headers: request.headers,
                expires_at: session.expires_at,
            })
        } else {
            None
        };
        Ok(SessionFileView {
            id: file.id,
            name: file.name,
            content_type: file.content_type,
            status: file.status.as_str(),
            size: file.upload.map(|upload| upload.size).or(file.declared_size),
            upload,
        })
    }

    fn validate_files(&self, specs: &[FileSpec]) -> Result<(), AppError> {
        let max = self.settings.max_files_per_session;
        if specs.is_empty() {
            return Err(AppError::invalid(
                "no_files",
                "a session needs at least one file",
            ));
        }
        if specs.len() > max {
            return Err(AppError::invalid(
                "too_many_files",
                format!(
                    "a session holds at most {max} files, {} were given",
                    specs.len()
                ),
            ));
        }
        for (index, spec) in specs.iter().enumerate() {
            let chars = spec.name.chars().count();
            if chars == 0 || chars > MAX_NAME_CHARS || spec.name.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    "invalid_file_name",
                    format!("files[{index}].name must be 1 to {MAX_NAME_CHARS} characters without control characters"),
                ));
            }
            if !ACCEPTED_CONTENT_TYPES.contains(&spec.content_type.as_str()) {
                return Err(AppError::invalid(
                    "unsupported_content_type",
                    format!(
                        "files[{index}].content_type {:?} is not one of {}",
                        spec.content_type,
                        ACCEPTED_CONTENT_TYPES.join(", ")
                    ),
                ));
            }
            match spec.size {
                Some(0) => {
                    return Err(AppError::invalid(
                        "invalid_file_size",
                        format!("files[{index}].size must be at least 1 byte"),
                    ))
                }
                Some(size) if size > self.settings.max_file_bytes => {
                    return Err(AppError::FileTooLarge {
                        detail: format!(
                            "files[{index}].size {size} exceeds the maximum of {} bytes",
                            self.settings.max_file_bytes
                        ),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks a webhook URL when it is given (it is checked again, with
    /// DNS, at each delivery).
    pub fn validate_webhook_url(&self, url: &str) -> Result<(), AppError> {
        crate::webhooks::parse_target(url, self.settings.allow_loopback_webhooks)
            .map(|_| ())
            .map_err(|why| AppError::invalid("invalid_webhook_url", format!("webhook_url {why}")))
    }

    pub(crate) async fn audit(
        &self,
        session: &Session,
        job_id: Option<&JobId>,
        file_id: Option<&FileId>,
        event: &str,
        detail: Option<String>,
    ) {
        self.append_audit(AuditEntry {
            at: Utc::now(),
            tenant: session.tenant.clone(),
            session_id: session.id.clone(),
            job_id: job_id.cloned(),
            file_id: file_id.cloned(),
            event: event.to_owned(),
            detail,
        })
        .await;
    }

    /// The trail is written after the state change it records; a failure to
    /// write it is logged and does not undo or fail the change.
    pub(crate) async fn append_audit(&self, entry: AuditEntry) {
        if let Err(error) = self.ports.audit.append(&entry).await {
            warn!(tenant = %entry.tenant, session_id = %entry.session_id, event = %entry.event, %error, "audit entry not written");
        }
    }
}

fn validate_metadata(metadata: Option<&serde_json::Value>) -> Result<(), AppError> {
    let Some(metadata) = metadata else {
        return Ok(());
    };
    if !metadata.is_object() {
        return Err(AppError::invalid(
            "invalid_metadata",
            "metadata must be a JSON object",
        ));
    }
    if serde_json::to_vec(metadata).map_or(0, |bytes| bytes.len()) > MAX_METADATA_BYTES {
        return Err(AppError::invalid(
            "invalid_metadata",
            format!("metadata must be at most {MAX_METADATA_BYTES} bytes of JSON"),
        ));
    }
    Ok(())
}

pub fn upload_key(tenant: &str, session: &SessionId, file: &FileId) -> String {
    format!("uploads/{tenant}/{session}/{file}")
}

pub fn file_result_key(tenant: &str, job: &JobId, file: &FileId) -> String {
    format!("results/{tenant}/{job}/{file}.json")
}

pub fn job_result_key(tenant: &str, job: &JobId) -> String {
    format!("results/{tenant}/{job}.json")
}
