//! In-memory fakes of every port, for millisecond tests of the use cases.
//!
//! One [`FakeWorld`] holds all the state behind one mutex and implements
//! the ports itself (the dead-letter queues and the engine are small
//! structs of their own), so a test builds its `Ports` with [`ports`],
//! arranges through the world and inspects it afterwards. The fakes keep
//! the conditions of the DynamoDB and S3 adapters; where a condition is a
//! transition's start state they ask `crate::transitions`, as the DynamoDB
//! adapter does, instead of listing states.

#[cfg(test)]
mod cache_tests;
mod job_tests;
mod listing;
mod open_work;
#[cfg(test)]
mod replay_tests;
mod replays;
mod seen_before;
mod stores;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::ids::{EventId, FileId, JobId, ReplayId, SessionId};
use crate::model::{
    DispatchMessage, DispatchState, FileRecord, FileRef, FileState, Job, Lane, Progress, Session,
    SessionStatus, Tenant, UploadInfo, WorkMessage,
};
use crate::paging::TrailPosition;
use crate::ports::{
    AuditEntry, CacheEntry, CreateJob, DeadLetter, DocumentEngine, Ports, Rejection, SendOutcome,
    StoreResult, StoredResponse, WebhookRequest,
};
use crate::replays::{ReplayMessage, ReplayTask};
use crate::service::upload_key;
use crate::transitions::session;
use crate::webhooks::{DeliveryAttempt, WebhookEvent, WebhookMessage};

/// Builds every port on one fresh [`FakeWorld`], with `engine` as the
/// document engine; the world is the test's handle on the state.
pub fn ports(engine: Arc<dyn DocumentEngine>) -> (Ports, FakeWorld) {
    let world = FakeWorld::default();
    let shared = Arc::new(world.clone());
    let ports = Ports {
        tenants: shared.clone(),
        sessions: shared.clone(),
        jobs: shared.clone(),
        catalog: shared.clone(),
        removal: shared.clone(),
        objects: shared.clone(),
        queue: shared.clone(),
        dead_letters: Arc::new(FakeDeadLetters::new(&world, DeadLetters::Work)),
        webhook_dead_letters: Arc::new(FakeDeadLetters::new(&world, DeadLetters::Webhook)),
        files: shared.clone(),
        open_work: shared.clone(),
        webhooks: shared.clone(),
        webhook_queue: shared.clone(),
        webhook_sender: shared.clone(),
        idempotency: shared.clone(),
        audit: shared.clone(),
        engine: Some(engine),
        cache: shared.clone(),
        invoices: shared.clone(),
        replays: shared,
    };
    (ports, world)
}

/// The state of every fake port, shared by its clones.
#[derive(Clone, Default)]
pub struct FakeWorld {
    data: Arc<Mutex<Data>>,
}

/// An S3 object: its bytes and ETag.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub(crate) bytes: Bytes,
    pub(crate) etag: String,
}

/// A session item with its file items.
#[derive(Clone, Debug)]
pub(crate) struct SessionRow {
    pub(crate) session: Session,
    pub(crate) files: BTreeMap<FileId, FileRecord>,
}

/// A job item (its `progress.total` only) and its decision lease.
#[derive(Clone, Debug)]
pub(crate) struct JobRow {
    pub(crate) job: Job,
    /// A tombstone: the job is being deleted, and reads miss it.
    pub(crate) hidden: bool,
    pub(crate) deciding_until: Option<i64>,
    /// How many `complete_job` calls moved the job (one per decision: a
    /// re-opened job is decided again).
    pub(crate) decisions: u32,
}

/// A job's counted file ids (the union of its counter shards).
#[derive(Clone, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) started: BTreeSet<FileId>,
    pub(crate) succeeded: BTreeSet<FileId>,
    pub(crate) failed: BTreeSet<FileId>,
    pub(crate) cached: BTreeSet<FileId>,
}

/// The files recorded under one business key, kept until `expires_at`.
#[derive(Clone, Debug)]
pub(crate) struct IndexRow {
    pub(crate) files: Vec<FileRef>,
    pub(crate) expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub(crate) struct EventRow {
    pub(crate) event: WebhookEvent,
    pub(crate) leased_until: Option<DateTime<Utc>>,
    /// Every attempt of the job's events, by event and attempt number.
    pub(crate) attempts: BTreeMap<(EventId, u32), DeliveryAttempt>,
}

#[derive(Clone, Debug)]
pub(crate) struct IdempotencyRow {
    pub(crate) fingerprint: String,
    pub(crate) locked_until: i64,
    pub(crate) expires_at: i64,
    pub(crate) response: Option<StoredResponse>,
}

/// Everything the fakes store.
#[derive(Default)]
pub(crate) struct Data {
    pub(crate) tenants: HashMap<String, Tenant>,
    pub(crate) admin_keys: HashSet<String>,
    pub(crate) secrets: HashMap<String, Vec<String>>,
    pub(crate) objects: BTreeMap<String, Object>,
    /// Keys whose reads fail, with the error's text.
    pub(crate) failing_reads: HashMap<String, String>,
    pub(crate) sessions: BTreeMap<(String, SessionId), SessionRow>,
    pub(crate) jobs: BTreeMap<(String, JobId), JobRow>,
    pub(crate) counters: BTreeMap<(String, JobId), Counters>,
    pub(crate) events: BTreeMap<(String, JobId), EventRow>,
    pub(crate) disabled_endpoints: BTreeSet<(String, String)>,
    pub(crate) idempotency: BTreeMap<(String, String), IdempotencyRow>,
    /// Every audit entry in the order written, with its position.
    pub(crate) audit: Vec<(TrailPosition, AuditEntry)>,
    /// Entries ever written: the next entry's tie-breaker.
    pub(crate) audit_written: u32,
    pub(crate) work_messages: Vec<(WorkMessage, Lane)>,
    pub(crate) dispatch_messages: Vec<DispatchMessage>,
    pub(crate) replay_messages: Vec<ReplayMessage>,
    pub(crate) replays: BTreeMap<ReplayId, ReplayTask>,
    pub(crate) retries: Vec<Retry>,
    pub(crate) webhook_messages: Vec<(WebhookMessage, Duration)>,
    pub(crate) webhook_requests: Vec<WebhookRequest>,
    /// What the receiver answers next; `200` once these are used up.
    pub(crate) webhook_answers: VecDeque<SendOutcome>,
    pub(crate) dead_letters: [Vec<DeadLetter>; 2],
    /// The bodies redriven from each dead-letter queue.
    pub(crate) redriven: [Vec<String>; 2],
    /// Document cache entries by (tenant, sha256, engine release).
    pub(crate) cache: BTreeMap<(String, String, String), CacheEntry>,
    /// Invoice index lists by (tenant, business key digest).
    pub(crate) invoice_index: BTreeMap<(String, String), IndexRow>,
    /// While set, every call of the document cache fails with this text.
    pub(crate) cache_outage: Option<String>,
    /// While set, every call of the invoice index fails with this text.
    pub(crate) index_outage: Option<String>,
    /// Redrives that succeed before every further one fails, as an SQS
    /// outage would; `None`: none fails.
    pub(crate) redrives_before_outage: Option<usize>,
}

/// A `WorkQueue::retry_after` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub source: String,
    pub receipt_handle: String,
    pub delay: Duration,
}

/// An S3-like ETag: a digest of the bytes, so another body is another ETag.
pub(crate) fn etag(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..16])
}

/// Which of the two dead-letter queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadLetters {
    Work = 0,
    Webhook = 1,
}

/// A dead-letter queue of the world.
pub struct FakeDeadLetters {
    pub(crate) world: FakeWorld,
    pub(crate) queue: DeadLetters,
}

impl FakeDeadLetters {
    pub fn new(world: &FakeWorld, queue: DeadLetters) -> Self {
        Self {
            world: world.clone(),
            queue,
        }
    }
}

/// Reads bytes starting with `<Invoice` as an invoice of one seller, its
/// number the text of its `<ID>` (`INV-1` without one); rejects the rest.
/// Counts its extractions, shared by its clones.
#[derive(Clone, Debug)]
pub struct FakeEngine {
    /// `DocumentEngine::version`.
    pub release: &'static str,
    extractions: Arc<AtomicUsize>,
}

impl Default for FakeEngine {
    fn default() -> Self {
        Self::release("fake-engine 1")
    }
}

impl FakeEngine {
    pub fn release(release: &'static str) -> Self {
        Self {
            release,
            extractions: Arc::default(),
        }
    }

    /// The same engine, counting with this one, as another release.
    pub fn as_release(&self, release: &'static str) -> Self {
        Self {
            release,
            extractions: self.extractions.clone(),
        }
    }

    /// How many documents it read (rejected or not).
    pub fn extractions(&self) -> usize {
        self.extractions.load(Ordering::SeqCst)
    }
}

impl DocumentEngine for FakeEngine {
    fn extract(
        &self,
        bytes: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection> {
        self.extractions.fetch_add(1, Ordering::SeqCst);
        if !bytes.starts_with(b"<Invoice") {
            return Err(Rejection {
                code: "unsupported_document".to_owned(),
                message: "the document is not a supported invoice format".to_owned(),
            });
        }
        let text = String::from_utf8_lossy(bytes);
        let number = text
            .split_once("<ID>")
            .and_then(|(_, rest)| rest.split_once("</ID>"))
            .map_or("INV-1", |(number, _)| number);
        let json = serde_json::json!({
            "document": { "format": "fake-xml", "bytes": bytes.len() },
            "invoice": {
                "number": number, "issue_date": "2024-01-15", "type_code": "380",
                "seller": { "name": "Fake Seller", "vat_id": "DE123456789" },
                "total": "100.00", "currency": "EUR",
            },
            "validation": { "valid": true, "errors": [] },
        });
        match json {
            serde_json::Value::Object(map) => Ok(map),
            _ => unreachable!("a JSON object literal"),
        }
    }

    fn version(&self) -> &str {
        self.release
    }
}

impl FakeWorld {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- arrange -----

    /// Puts an object (a new ETag for new bytes); returns what a listing
    /// would show of it.
    pub fn put_object(&self, key: &str, bytes: impl Into<Bytes>) -> UploadInfo {
        let bytes = bytes.into();
        let object = Object {
            etag: etag(&bytes),
            bytes,
        };
        let info = UploadInfo {
            size: object.bytes.len() as u64,
            etag: object.etag.clone(),
            checksum_sha256: None,
        };
        self.lock().objects.insert(key.to_owned(), object);
        info
    }

    /// Makes every read of `key` fail with a `StoreError` saying `text`.
    pub fn fail_reads(&self, key: &str, text: &str) {
        self.lock()
            .failing_reads
            .insert(key.to_owned(), text.to_owned());
    }

    /// Ends `fail_reads` of `key`: the fault is over.
    pub fn heal_reads(&self, key: &str) {
        self.lock().failing_reads.remove(key);
    }

    pub fn add_tenant(&self, api_key: &str, tenant: &str) {
        self.lock().tenants.insert(
            api_key.to_owned(),
            Tenant {
                id: tenant.to_owned(),
            },
        );
    }

    pub fn add_admin_key(&self, api_key: &str) {
        self.lock().admin_keys.insert(api_key.to_owned());
    }

    pub fn set_webhook_secrets(&self, tenant: &str, secrets: &[&str]) {
        self.lock().secrets.insert(
            tenant.to_owned(),
            secrets.iter().map(|s| (*s).to_owned()).collect(),
        );
    }

    /// The receiver's next answer (then `200` again).
    pub fn answer_webhook(&self, outcome: SendOutcome) {
        self.lock().webhook_answers.push_back(outcome);
    }

    /// Lets `count` more redrives succeed, then fails every one after.
    pub fn fail_redrives_after(&self, count: usize) {
        self.lock().redrives_before_outage = Some(count);
    }

    pub fn add_dead_letter(&self, queue: DeadLetters, message_id: &str, body: &str) {
        self.lock().dead_letters[queue as usize].push(DeadLetter {
            message_id: message_id.to_owned(),
            body: body.to_owned(),
            receive_count: 0,
            sent_at: Some(Utc::now()),
        });
    }

    /// A confirmed (`Pending`) session of `tenant` whose files are the
    /// uploaded `documents` (name, bytes), in file id order.
    pub fn confirmed_session(
        &self,
        tenant: &str,
        documents: &[(&str, &[u8])],
    ) -> (Session, Vec<FileRecord>) {
        let now = Utc::now();
        let session = Session {
            id: SessionId::generate(),
            tenant: tenant.to_owned(),
            status: session::CONFIRM.to[0],
            created_at: now,
            expires_at: now + chrono::Duration::minutes(15),
            webhook_url: None,
            metadata: None,
            job_id: None,
            file_count: documents.len() as u32,
        };
        let mut files: Vec<FileRecord> = documents
            .iter()
            .map(|(name, bytes)| {
                let id = FileId::generate();
                let object_key = upload_key(tenant, &session.id, &id);
                let upload = self.put_object(&object_key, bytes.to_vec());
                FileRecord {
                    id,
                    session_id: session.id.clone(),
                    name: (*name).to_owned(),
                    content_type: "application/xml".to_owned(),
                    declared_size: Some(upload.size),
                    object_key,
                    status: FileState::Uploaded,
                    upload: Some(upload),
                    attempts: 0,
                    error: None,
                    sha256: None,
                    result: None,
                    cache_hit: false,
                }
            })
            .collect();
        files.sort_by(|a, b| a.id.cmp(&b.id));
        self.lock().sessions.insert(
            (tenant.to_owned(), session.id.clone()),
            SessionRow {
                session: session.clone(),
                files: files.iter().map(|f| (f.id.clone(), f.clone())).collect(),
            },
        );
        (session, files)
    }

    /// Submits `session` as `JobStore::create_job` would for the submit
    /// use case: a `Queued` job whose work messages were all sent.
    pub fn submit(&self, session: &Session, webhook_url: Option<&str>) -> StoreResult<Job> {
        let job = Job {
            dispatch: DispatchState::Sent,
            dispatch_sent: session.file_count,
            ..Job::queued(session, webhook_url.map(str::to_owned), Utc::now())
        };
        match self.lock().create_job(&job)? {
            CreateJob::Created => Ok(job),
            other => Err(StoreError::new("submit", format!("{other:?}"))),
        }
    }

    // ----- inspect -----

    pub fn object(&self, key: &str) -> Option<Bytes> {
        self.lock().objects.get(key).map(|o| o.bytes.clone())
    }

    pub fn session(&self, tenant: &str, id: &SessionId) -> Option<Session> {
        let data = self.lock();
        let row = data.sessions.get(&(tenant.to_owned(), id.clone()))?;
        Some(row.session.clone())
    }

    /// A session's files in file id order.
    pub fn files(&self, tenant: &str, id: &SessionId) -> Vec<FileRecord> {
        self.lock()
            .sessions
            .get(&(tenant.to_owned(), id.clone()))
            .map(|row| row.files.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn file(&self, tenant: &str, session: &SessionId, id: &FileId) -> Option<FileRecord> {
        let data = self.lock();
        let row = data.sessions.get(&(tenant.to_owned(), session.clone()))?;
        row.files.get(id).cloned()
    }

    /// The job as `load_job` reads it (progress from the counted ids).
    pub fn job(&self, tenant: &str, id: &JobId) -> Option<Job> {
        self.lock().read_job(tenant, id)
    }

    /// How many times the job was moved to a terminal status (one at most
    /// if the conditions hold).
    pub fn decisions(&self, tenant: &str, id: &JobId) -> u32 {
        self.lock()
            .jobs
            .get(&(tenant.to_owned(), id.clone()))
            .map_or(0, |row| row.decisions)
    }

    pub fn event(&self, tenant: &str, job: &JobId) -> Option<WebhookEvent> {
        let data = self.lock();
        let row = data.events.get(&(tenant.to_owned(), job.clone()))?;
        Some(row.event.clone())
    }

    /// Every audit entry, in the order written.
    pub fn audit(&self) -> Vec<AuditEntry> {
        let data = self.lock();
        data.audit.iter().map(|(_, entry)| entry.clone()).collect()
    }

    pub fn work_messages(&self) -> Vec<(WorkMessage, Lane)> {
        self.lock().work_messages.clone()
    }

    pub fn dispatch_messages(&self) -> Vec<DispatchMessage> {
        self.lock().dispatch_messages.clone()
    }

    pub fn replay_messages(&self) -> Vec<ReplayMessage> {
        self.lock().replay_messages.clone()
    }

    pub fn retries(&self) -> Vec<Retry> {
        self.lock().retries.clone()
    }

    pub fn webhook_messages(&self) -> Vec<(WebhookMessage, Duration)> {
        self.lock().webhook_messages.clone()
    }

    pub fn webhook_requests(&self) -> Vec<WebhookRequest> {
        self.lock().webhook_requests.clone()
    }

    pub fn redriven(&self, queue: DeadLetters) -> Vec<String> {
        self.lock().redriven[queue as usize].clone()
    }
}

impl Data {
    /// `JobStore::create_job`: the job, and the session `Submitted`, only
    /// if the session may be submitted and has no job.
    pub(crate) fn create_job(&mut self, job: &Job) -> StoreResult<CreateJob> {
        let job_key = (job.tenant.clone(), job.id.clone());
        let job_free = !self.jobs.contains_key(&job_key);
        let row = self
            .sessions
            .get_mut(&(job.tenant.clone(), job.session_id.clone()))
            .ok_or_else(|| StoreError::new("create_job", "session vanished"))?;
        let session = &mut row.session;
        if !(session::SUBMIT.from.contains(&session.status) && session.job_id.is_none() && job_free)
        {
            return Ok(match &session.job_id {
                Some(id) => CreateJob::AlreadySubmitted(id.clone()),
                None => CreateJob::NotConfirmed,
            });
        }
        session.status = SessionStatus::Submitted;
        session.job_id = Some(job.id.clone());
        self.jobs.insert(
            job_key,
            JobRow {
                job: job.clone(),
                hidden: false,
                deciding_until: None,
                decisions: 0,
            },
        );
        Ok(CreateJob::Created)
    }

    /// Appends an audit entry; its position's tie-breaker counts the
    /// entries written, so entries of the same instant keep their order.
    pub(crate) fn log(&mut self, entry: &AuditEntry) {
        let position = TrailPosition {
            at: entry.at,
            tiebreak: self.audit_written,
        };
        self.audit_written += 1;
        self.audit.push((position, entry.clone()));
    }

    /// The job with its progress summed from the counted file ids; `None`
    /// for a tombstone.
    pub(crate) fn read_job(&self, tenant: &str, id: &JobId) -> Option<Job> {
        let key = (tenant.to_owned(), id.clone());
        let mut job = self.jobs.get(&key).filter(|row| !row.hidden)?.job.clone();
        let counters = self.counters.get(&key).cloned().unwrap_or_default();
        let processing = counters
            .started
            .iter()
            .filter(|id| !counters.succeeded.contains(*id) && !counters.failed.contains(*id))
            .count();
        job.progress = Progress {
            total: job.progress.total,
            processing: processing as u32,
            succeeded: counters.succeeded.len() as u32,
            failed: counters.failed.len() as u32,
            cached: counters.cached.len() as u32,
        };
        Some(job)
    }
}
