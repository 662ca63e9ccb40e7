//! The service and the session routes' use cases (jobs: `jobs.rs`,
//! results: `results.rs`, workers: `processing.rs` and `dispatch.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::{stream, StreamExt, TryStreamExt};
use tokio::sync::Semaphore;
use tracing::info;

use crate::error::AppError;
use crate::ids::{FileId, JobId, SessionId};
use crate::model::{FileRecord, FileState, Session, SessionStatus, Tenant, UploadInfo};
use crate::paging::{cursor_after, PageRequest};
use crate::ports::{AuditEntry, ConfirmOutcome, DocumentEngine, FilePage, NoEngine, Ports};
use crate::settings::Settings;
use crate::transitions::session;
use crate::views::{CreateSessionRequest, FileSpec, SessionFileView, SessionView, UploadView};

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
/// How long a confirmation holds its session (longer than a function may
/// run, so a lease outlives its holder).
const CONFIRM_LEASE: Duration = Duration::from_secs(60);
/// How long a confirmation waits for another one of the same session.
const CONFIRM_WAIT: Duration = Duration::from_secs(10);
const CONFIRM_POLL: Duration = Duration::from_millis(200);

/// The service: ports plus settings, built once per cold start and shared by
/// every request of that Lambda instance.
#[derive(Clone)]
pub struct Intake {
    pub(crate) ports: Ports,
    pub(crate) settings: Settings,
    /// Documents the engine reads at once, one per core: the engine runs on
    /// blocking threads, off the async executor.
    pub(crate) engine_slots: Arc<Semaphore>,
    /// The upload bytes this process's workers hold at once, in KiB
    /// permits (`Settings::read_budget_bytes`).
    pub(crate) read_budget: Arc<Semaphore>,
}

impl Intake {
    pub fn new(ports: Ports, settings: Settings) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        let read_budget = kib(settings.read_budget_bytes).max(1) as usize;
        Self {
            ports,
            settings,
            engine_slots: Arc::new(Semaphore::new(cores)),
            read_budget: Arc::new(Semaphore::new(read_budget)),
        }
    }

    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The document engine, which only the processes that read documents
    /// are built with.
    pub fn engine(&self) -> Result<&Arc<dyn DocumentEngine>, NoEngine> {
        self.ports.engine.as_ref().ok_or(NoEngine)
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
                    result: None,
                    cache_hit: false,
                }
            })
            .collect();
        let created = AuditEntry::of_session(&session, "session.created");
        self.ports
            .sessions
            .create_session(&session, &files, &created)
            .await?;
        info!(tenant = %tenant.id, session_id = %session.id, files = files.len(), "session created");
        self.session_view(session, files).await
    }

    pub async fn get_session(
        &self,
        tenant: &Tenant,
        id: &str,
        page: Option<PageRequest>,
    ) -> Result<SessionView, AppError> {
        let page = page.unwrap_or_default();
        let session_id = SessionId::parse(id).ok_or(AppError::SessionNotFound)?;
        let (session, FilePage { files, more }) = futures::try_join!(
            self.ports.sessions.find_session(&tenant.id, &session_id),
            self.ports.sessions.load_file_page(
                &tenant.id,
                &session_id,
                page.after.as_ref(),
                page.limit
            ),
        )?;
        let session = session.ok_or(AppError::SessionNotFound)?;
        let next_cursor = next_cursor(session.id.as_str(), &files, more);
        let mut view = self.session_view(session, files).await?;
        view.next_cursor = next_cursor;
        Ok(view)
    }

    /// Checks every upload against one listing of the session's S3 prefix
    /// and moves the session to `Pending`.
    pub async fn confirm_upload(&self, tenant: &Tenant, id: &str) -> Result<SessionView, AppError> {
        let deadline = Instant::now() + CONFIRM_WAIT;
        loop {
            let (session, files) = self.load_session(tenant, id).await?;
            if session.status != SessionStatus::AwaitingUpload {
                return self.session_view(session, files).await;
            }
            let uploaded = self.check_uploads(&session, files).await?;
            let confirmed = AuditEntry::of_session(&session, session::CONFIRM.name);
            let outcome = self
                .ports
                .sessions
                .confirm_uploads(
                    &tenant.id,
                    &session.id,
                    &uploaded,
                    CONFIRM_LEASE,
                    &confirmed,
                )
                .await?;
            match outcome {
                ConfirmOutcome::Confirmed => {
                    info!(tenant = %tenant.id, session_id = %session.id, files = uploaded.len(), "uploads confirmed");
                    break;
                }
                ConfirmOutcome::AlreadyConfirmed => break,
                // Another request is confirming: its answer is ours.
                ConfirmOutcome::InProgress if Instant::now() < deadline => {
                    tokio::time::sleep(CONFIRM_POLL).await;
                }
                ConfirmOutcome::InProgress => return Err(AppError::ConfirmInProgress),
            }
        }
        let (session, files) = self.load_session(tenant, id).await?;
        self.session_view(session, files).await
    }

    /// The session's files as S3 lists them: all there and within their
    /// size, or the error naming those that are not.
    async fn check_uploads(
        &self,
        session: &Session,
        files: Vec<FileRecord>,
    ) -> Result<Vec<FileRecord>, AppError> {
        let mut listed: HashMap<String, UploadInfo> = self
            .ports
            .objects
            .list(&upload_prefix(&session.tenant, &session.id))
            .await?
            .into_iter()
            .collect();
        let missing: Vec<String> = files
            .iter()
            .filter(|file| !listed.contains_key(&file.object_key))
            .map(|file| file.id.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(AppError::UploadMissing { files: missing });
        }
        let too_large: Vec<String> = files
            .iter()
            .filter(|file| {
                let limit = file
                    .declared_size
                    .unwrap_or(self.settings.max_file_bytes)
                    .min(self.settings.max_file_bytes);
                listed
                    .get(&file.object_key)
                    .is_some_and(|upload| upload.size > limit)
            })
            .map(|file| file.id.to_string())
            .collect();
        if !too_large.is_empty() {
            return Err(AppError::UploadTooLarge { files: too_large });
        }
        Ok(files
            .into_iter()
            .map(|mut file| {
                file.upload = listed.remove(&file.object_key);
                file.status = FileState::Uploaded;
                file
            })
            .collect())
    }

    pub(crate) async fn load_session(
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
            next_cursor: None,
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
        crate::webhooks::check_given_url(url, self.settings.allow_loopback_webhooks)
            .map(|_| ())
            .map_err(|why| AppError::invalid("invalid_webhook_url", format!("webhook_url {why}")))
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

/// The cursor of the page after `files`, when more follow.
pub(crate) fn next_cursor(owner: &str, files: &[FileRecord], more: bool) -> Option<String> {
    files
        .last()
        .filter(|_| more)
        .map(|last| cursor_after(owner, &last.id))
}

pub fn upload_prefix(tenant: &str, session: &SessionId) -> String {
    format!("uploads/{tenant}/{session}/")
}

pub fn upload_key(tenant: &str, session: &SessionId, file: &FileId) -> String {
    format!("{}{file}", upload_prefix(tenant, session))
}

/// Where the results of a job's files too large for their items are kept.
pub fn file_results_prefix(tenant: &str, job: &JobId) -> String {
    format!("results/{tenant}/{job}/")
}

pub fn file_result_key(tenant: &str, job: &JobId, file: &FileId) -> String {
    format!("{}{file}.json", file_results_prefix(tenant, job))
}

/// Where a large cached extraction is kept: under the prefix of the job
/// whose file wrote it, so that deleting a job's objects can take its
/// cache entries' too.
pub fn cache_result_key(tenant: &str, job: &JobId, file: &FileId) -> String {
    format!("{}{file}.json", cache_results_prefix(tenant, job))
}

/// The prefix of the large cached extractions a job's files wrote.
pub fn cache_results_prefix(tenant: &str, job: &JobId) -> String {
    format!("cache/{tenant}/{job}/")
}

pub fn job_result_key(tenant: &str, job: &JobId) -> String {
    format!("results/{tenant}/{job}.json")
}

/// `bytes` in KiB, rounded up, as semaphore permits.
pub(crate) fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}
