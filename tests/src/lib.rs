//! `spawn_app()`: the real stack — local runner, same handlers and worker —
//! against the emulators, with resources of its own for each test.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;
use intake_aws::{
    build_ports, ensure_resources, Clients, Deployment, DynamoStore, HttpWebhookSender,
    QueueSettings, ResourceNames,
};
use intake_client::{
    Client, ClientConfig, CreateSession, ExtractRequest, FileSpec, Method, Page, RawRequest,
    RawResponse, RetryPolicy, Upload,
};
use intake_domain::ids::JobId;
use intake_domain::model::{DispatchMessage, Lane, UploadInfo, WorkMessage};
use intake_domain::ports::{
    AuditEntry, ObjectStore, PresignedRequest, StoreResult, UploadRead, WebhookStore, WorkQueue,
};
use intake_domain::replays::ReplayMessage;
use intake_domain::webhooks::{AttemptLease, DeliveryAttempt, EventState, WebhookEvent};
use intake_domain::{Intake, Settings, StoreError, Tenant};
use intake_local::{PollerConfig, RateLimit, RunnerConfig, Running};
use rand::RngCore;
use serde_json::{json, Value};

mod deliveries;
mod engine;
mod invoices;
use engine::ReleasedEngine;
pub use invoices::{invoice_with_lines, renumbered_invoice};

/// The queue settings tests use: short, so retries and redrive happen in
/// seconds. Backoff is 1 s, 2 s, … and the third receive is the last.
pub const TEST_MAX_RECEIVE_COUNT: u32 = 3;
/// The test tenant's webhook secret (the Standard Webhooks specification's example).
pub const TEST_WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Short, so that redrive happens in seconds; longer than a dispatcher's
/// round takes even on a loaded CI machine, or its message would come back
/// while it runs and move towards the dead-letter queue.
const TEST_VISIBILITY_SECS: u32 = 5;
/// Parallel PUTs of a test client, as a real client would bound them.
const UPLOAD_CONCURRENCY: usize = 32;

pub struct TestApp {
    pub base_url: String,
    pub api_key: String,
    pub other_api_key: String,
    /// The operators' key for `/admin` routes.
    pub admin_key: String,
    /// The API's typed client with `api_key` (swapped by `switch_tenant`),
    /// never retrying: a test sees every answer the stack gives.
    pub client: Client,
    pub clients: Clients,
    pub deployment: Deployment,
    pub intake: Intake,
    pub tenant: String,
    /// The tenant of `other_api_key`.
    pub other_tenant: String,
    /// While set, every webhook lease fails as a DynamoDB outage would
    /// (`AppOptions::webhook_outage` sets it at start).
    pub webhook_outage: Arc<AtomicBool>,
    /// The engine release the workers report, when a test replaced the
    /// engine's own (`TestApp::release_engine`).
    engine_release: Arc<Mutex<Option<&'static str>>>,
    /// Documents the workers' engine read.
    engine_runs: Arc<AtomicU32>,
    running: Option<Running>,
}

/// How a test wants the stack.
pub struct AppOptions {
    pub settings: Settings,
    /// Pollers feeding the worker from each work queue; 0 leaves them alone.
    pub pollers: usize,
    /// Upload reads that fail before they start to succeed.
    pub failing_reads: u32,
    /// Every this many sends of work messages fails, as an SQS outage would.
    pub failing_enqueue_every: Option<u32>,
    /// The tenant's webhook secrets.
    pub webhook_secrets: Vec<String>,
    /// Host names the webhook sender resolves without DNS.
    pub webhook_hosts: Vec<(String, IpAddr)>,
    /// Pollers feeding `deliver-webhook` from the webhook queue; 0 leaves
    /// it alone.
    pub webhook_pollers: usize,
    /// Webhook leases fail from the start, until the test clears
    /// `TestApp::webhook_outage`.
    pub webhook_outage: bool,
    /// Every webhook lease but the first is asked for only after this wait,
    /// so that workers that read the event together lease one after the
    /// other.
    pub delayed_leases: Option<Duration>,
    /// The gateway's request rate per API key; none by default, so that
    /// tests of other things are never throttled.
    pub rate_limit: Option<RateLimit>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            settings: Settings {
                max_receive_count: TEST_MAX_RECEIVE_COUNT,
                retry_base_delay: Duration::from_secs(1),
                allow_loopback_webhooks: true,
                webhook_schedule: [0, 1, 4].map(Duration::from_secs).to_vec(),
                // Two batches for each of the two pollers.
                dispatch_window: 40,
                ..Settings::default()
            },
            pollers: 2,
            failing_reads: 0,
            failing_enqueue_every: None,
            webhook_secrets: vec![TEST_WEBHOOK_SECRET.to_owned()],
            webhook_hosts: Vec::new(),
            webhook_pollers: 4,
            webhook_outage: false,
            delayed_leases: None,
            rate_limit: None,
        }
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// The emulators' endpoints must be in the environment (`make test` puts
/// them there). Without them the test fails: it never skips.
fn require_emulators() {
    for name in [
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ] {
        assert!(
            std::env::var(name).is_ok_and(|value| !value.is_empty()),
            "{name} is not set: these tests need the emulators. Run `make test`, or \
             `scripts/emulators.sh start` and export the variables of .local/emulators.env"
        );
    }
}

/// The deadline of a worker invocation that a test makes itself: the
/// local runner's function timeout from now.
pub fn function_deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + intake_local::FUNCTION_TIMEOUT
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    require_emulators();
    // RUST_LOG=warn (for example) shows what the stack logs during a test.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let sdk = intake_aws::load_sdk_config().await;
    let clients = Clients::new(&sdk, true);
    let prefix = format!("it-{}", random_hex(6));
    let deployment = ensure_resources(
        &clients,
        &ResourceNames::with_prefix(&prefix),
        QueueSettings {
            visibility_timeout_secs: TEST_VISIBILITY_SECS,
            max_receive_count: options.settings.max_receive_count,
        },
    )
    .await
    .expect("create the test's resources on the emulators");

    let store = DynamoStore::new(clients.dynamodb.clone(), &deployment.table);
    let tenant = format!("tenant-{}", random_hex(4));
    let other_tenant = format!("other-{tenant}");
    let api_key = format!("key-{}", random_hex(16));
    let other_api_key = format!("key-{}", random_hex(16));
    let admin_key = format!("admin-{}", random_hex(16));
    store
        .put_admin_key(&admin_key)
        .await
        .expect("register the admin key");
    for (id, key) in [(&tenant, &api_key), (&other_tenant, &other_api_key)] {
        let record = Tenant { id: id.clone() };
        store
            .put_tenant(&record, key, &options.webhook_secrets)
            .await
            .expect("register tenant");
    }

    let engine_release = Arc::new(Mutex::new(None));
    let engine_runs = Arc::new(AtomicU32::new(0));
    let engine = ReleasedEngine {
        engine: intake_extractor::Engine,
        release: engine_release.clone(),
        runs: engine_runs.clone(),
    };
    let mut ports = build_ports(
        &clients,
        &deployment,
        Some(Arc::new(engine)),
        &options.settings,
    );
    if !options.webhook_hosts.is_empty() {
        let sender = options.webhook_hosts.iter().fold(
            HttpWebhookSender::new(options.settings.allow_loopback_webhooks),
            |sender, (host, address)| sender.with_host(host, vec![*address]),
        );
        ports.webhook_sender = Arc::new(sender);
    }
    if options.failing_reads > 0 {
        ports.objects = Arc::new(FailingReads {
            inner: ports.objects,
            failures_left: AtomicU32::new(options.failing_reads),
        });
    }
    if let Some(every) = options.failing_enqueue_every {
        ports.queue = Arc::new(FlakyQueue {
            inner: ports.queue,
            every,
            calls: AtomicU32::new(0),
        });
    }
    let webhook_outage = Arc::new(AtomicBool::new(options.webhook_outage));
    ports.webhooks = Arc::new(FaultyWebhookStore {
        inner: ports.webhooks,
        outage: webhook_outage.clone(),
        lease_delay: options.delayed_leases,
        leases: AtomicU32::new(0),
    });
    let intake = Intake::new(ports, options.settings);
    let running = intake_local::start(
        intake.clone(),
        clients.sqs.clone(),
        &deployment,
        RunnerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            poller: PollerConfig {
                batch_size: 10,
                wait: Duration::from_secs(1),
            },
            work_pollers: options.pollers,
            express_pollers: options.pollers,
            webhook_pollers: options.webhook_pollers,
            // Tests run the reconciler themselves, at the time they choose.
            reconcile_every: None,
            rate_limit: options.rate_limit,
        },
    )
    .await
    .expect("start the local runner");
    let base_url = format!("http://{}", running.address);
    let client = test_client(&base_url, &api_key);
    TestApp {
        base_url,
        api_key,
        other_api_key,
        admin_key,
        client,
        clients,
        deployment,
        intake,
        tenant,
        other_tenant,
        webhook_outage,
        engine_release,
        engine_runs,
        running: Some(running),
    }
}

/// A client of the test's stack that sends every request once.
fn test_client(base_url: &str, api_key: &str) -> Client {
    Client::new(ClientConfig {
        retry: RetryPolicy::never(),
        ..ClientConfig::new(base_url, api_key)
    })
    .expect("a client of the local runner")
}

/// Fault injection around the real S3 adapter: the first reads of uploads
/// fail as an S3 outage would.
struct FailingReads {
    inner: Arc<dyn ObjectStore>,
    failures_left: AtomicU32,
}

#[async_trait]
impl ObjectStore for FailingReads {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        valid_from: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<PresignedRequest> {
        self.inner
            .presign_upload(key, content_type, valid_from, ttl)
            .await
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<(String, UploadInfo)>> {
        self.inner.list(prefix).await
    }
    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        self.inner.get(key).await
    }
    async fn read_upload(&self, key: &str, confirmed: &UploadInfo) -> StoreResult<UploadRead> {
        let failing = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if failing {
            return Err(StoreError::new("get_object", "injected S3 outage"));
        }
        self.inner.read_upload(key, confirmed).await
    }
    async fn put_json(&self, key: &str, body: Vec<u8>) -> StoreResult<()> {
        self.inner.put_json(key, body).await
    }
    async fn put_json_stream(
        &self,
        key: &str,
        chunks: BoxStream<'_, StoreResult<Vec<u8>>>,
    ) -> StoreResult<u64> {
        self.inner.put_json_stream(key, chunks).await
    }
    async fn presign_download(&self, key: &str, ttl: Duration) -> StoreResult<String> {
        self.inner.presign_download(key, ttl).await
    }
    async fn exists(&self, key: &str) -> StoreResult<bool> {
        self.inner.exists(key).await
    }
    async fn delete_prefix(&self, prefix: &str) -> StoreResult<usize> {
        self.inner.delete_prefix(prefix).await
    }
    async fn delete(&self, keys: &[String]) -> StoreResult<()> {
        self.inner.delete(keys).await
    }
}

/// Fault injection around the real SQS adapter: every `every`-th send of
/// work messages fails before it reaches SQS.
struct FlakyQueue {
    inner: Arc<dyn WorkQueue>,
    every: u32,
    calls: AtomicU32,
}

#[async_trait]
impl WorkQueue for FlakyQueue {
    async fn enqueue(&self, messages: &[WorkMessage], lane: Lane) -> StoreResult<()> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call.is_multiple_of(self.every) {
            return Err(StoreError::new("enqueue", "injected SQS outage"));
        }
        self.inner.enqueue(messages, lane).await
    }
    async fn enqueue_dispatch(&self, message: &DispatchMessage) -> StoreResult<()> {
        self.inner.enqueue_dispatch(message).await
    }
    async fn enqueue_replay(&self, message: &ReplayMessage) -> StoreResult<()> {
        self.inner.enqueue_replay(message).await
    }
    async fn retry_after(
        &self,
        source: &str,
        receipt_handle: &str,
        delay: Duration,
    ) -> StoreResult<()> {
        self.inner.retry_after(source, receipt_handle, delay).await
    }
}

/// Fault injection around the real webhook store: leases fail while
/// `outage` is set, and every lease but the first waits `lease_delay`.
struct FaultyWebhookStore {
    inner: Arc<dyn WebhookStore>,
    outage: Arc<AtomicBool>,
    lease_delay: Option<Duration>,
    leases: AtomicU32,
}

#[async_trait]
impl WebhookStore for FaultyWebhookStore {
    async fn load_event(&self, tenant: &str, job_id: &JobId) -> StoreResult<Option<WebhookEvent>> {
        self.inner.load_event(tenant, job_id).await
    }
    async fn mark_enqueued(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        self.inner.mark_enqueued(tenant, job_id).await
    }
    async fn record_attempt(
        &self,
        event: &WebhookEvent,
        attempt: &DeliveryAttempt,
        state: EventState,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        self.inner
            .record_attempt(event, attempt, state, audit)
            .await
    }
    async fn lease_attempt(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: &AttemptLease,
    ) -> StoreResult<bool> {
        if self.outage.load(Ordering::SeqCst) {
            return Err(StoreError::new("lease_attempt", "injected DynamoDB outage"));
        }
        let earlier = self.leases.fetch_add(1, Ordering::SeqCst);
        if let Some(delay) = self.lease_delay.filter(|_| earlier > 0) {
            tokio::time::sleep(delay).await;
        }
        self.inner.lease_attempt(tenant, job_id, lease).await
    }
    async fn attempts(&self, tenant: &str, job_id: &JobId) -> StoreResult<Vec<DeliveryAttempt>> {
        self.inner.attempts(tenant, job_id).await
    }
    async fn restart(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        self.inner.restart(tenant, job_id).await
    }
    async fn is_endpoint_disabled(&self, tenant: &str, url: &str) -> StoreResult<bool> {
        self.inner.is_endpoint_disabled(tenant, url).await
    }
    async fn set_endpoint_disabled(
        &self,
        tenant: &str,
        url: &str,
        disabled: bool,
    ) -> StoreResult<()> {
        self.inner
            .set_endpoint_disabled(tenant, url, disabled)
            .await
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    response: RawResponse,
}

impl Reply {
    fn read(response: RawResponse) -> Self {
        Self {
            status: response.status,
            body: response.json(),
            text: response.text(),
            response,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.response.header(name)
    }

    /// Asserts a problem+json with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
    }
}

impl TestApp {
    /// From now on the workers' engine reports `release` as its version,
    /// as a deployment of a new engine would.
    pub fn release_engine(&self, release: &'static str) {
        *self
            .engine_release
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(release);
    }

    /// How many documents the workers' engine read (cache hits skip it).
    pub fn engine_runs(&self) -> u32 {
        self.engine_runs.load(Ordering::SeqCst)
    }

    /// From now on the requests are the other tenant's (`other_api_key`),
    /// and back on the next call.
    pub fn switch_tenant(&mut self) {
        std::mem::swap(&mut self.api_key, &mut self.other_api_key);
        std::mem::swap(&mut self.tenant, &mut self.other_tenant);
        self.client = test_client(&self.base_url, &self.api_key);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request with this tenant's key.
    pub fn request(&self, method: Method, path: &str) -> RawRequest<'_> {
        self.client.raw(method, path)
    }

    /// A request with the other tenant's key.
    pub fn as_other(&self, method: Method, path: &str) -> RawRequest<'_> {
        self.client.raw(method, path).api_key(&self.other_api_key)
    }

    /// A request without any key.
    pub fn without_key(&self, method: Method, path: &str) -> RawRequest<'_> {
        self.client.raw(method, path).without_api_key()
    }

    /// A request with the operators' key.
    pub fn admin_request(&self, method: Method, path: &str) -> RawRequest<'_> {
        self.client.raw(method, path).api_key(&self.admin_key)
    }

    /// An operator's request, with `body` as JSON if given.
    pub async fn as_admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.admin_request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn send(&self, request: RawRequest<'_>) -> Reply {
        Reply::read(request.send().await.expect("request reaches the runner"))
    }

    pub async fn create_session(&self, body: Value) -> Reply {
        self.send(self.request(Method::POST, "/sessions").json(&body))
            .await
    }

    pub async fn confirm(&self, session_id: &str) -> Reply {
        self.send(self.request(Method::PATCH, &format!("/sessions/{session_id}/confirm")))
            .await
    }

    pub async fn extract(&self, session_id: &str, idempotency_key: Option<&str>) -> Reply {
        let mut request = self.request(Method::POST, &format!("/sessions/{session_id}/extract"));
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        self.send(request).await
    }

    /// Submits the session's extraction (no Idempotency-Key); returns the job id.
    pub async fn submit(&self, session_id: &str) -> String {
        self.client
            .extract(session_id, &ExtractRequest::default(), None)
            .await
            .expect("the extraction is accepted")
            .job_id
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    /// Every page of `path` (which may have a query of its own), `limit`
    /// at a time, following `next_cursor`: the items of `field` of each
    /// page, in order.
    pub async fn all_pages(&self, path: &str, field: &str, limit: usize) -> Vec<Vec<Value>> {
        const MOST_PAGES: usize = 5000;
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("{path}{separator}limit={limit}&cursor={cursor}"),
                None => format!("{path}{separator}limit={limit}"),
            };
            let page = self.get(&query).await;
            assert_eq!(page.status, 200, "{query}: {}", page.text);
            pages.push(page.body[field].as_array().expect("a page").clone());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return pages,
            }
            assert!(pages.len() <= MOST_PAGES, "pages never end");
        }
    }

    /// PUTs `bytes` to a file's pre-signed URL, as a client would.
    pub async fn upload(&self, file: &Value, bytes: impl Into<Bytes>) {
        let upload: Upload =
            serde_json::from_value(file["upload"].clone()).expect("the file's upload");
        let name = file["name"].as_str().unwrap_or_default();
        self.client
            .upload(name, &upload, bytes.into())
            .await
            .expect("the upload succeeds");
    }

    /// Creates a session for these files, uploads them and confirms it.
    pub async fn confirmed_session(&self, documents: &[(&str, &str, Vec<u8>)]) -> Value {
        let client = &self.client;
        let request = CreateSession {
            files: documents
                .iter()
                .map(|(name, content_type, bytes)| FileSpec {
                    name: (*name).to_owned(),
                    content_type: (*content_type).to_owned(),
                    size: Some(bytes.len() as u64),
                })
                .collect(),
            ..CreateSession::default()
        };
        let created = client
            .create_session(&request, None)
            .await
            .expect("the session is created")
            .body;
        futures::stream::iter(created.files.iter().zip(documents))
            .for_each_concurrent(UPLOAD_CONCURRENCY, |(file, (_, _, bytes))| async move {
                let upload = file.upload.as_ref().expect("an upload URL");
                client
                    .upload(&file.name, upload, Bytes::from(bytes.clone()))
                    .await
                    .expect("the upload succeeds");
            })
            .await;
        let confirmed = client
            .confirm(&created.id)
            .await
            .expect("the session is confirmed");
        serde_json::to_value(confirmed).expect("the session as JSON")
    }

    /// Polls the job's status until it is terminal.
    pub async fn wait_for_job(&self, job_id: &str, timeout: Duration) -> Value {
        let client = &self.client;
        let deadline = Instant::now() + timeout;
        loop {
            let status = client
                .job_status(job_id, Page::default())
                .await
                .expect("the job's status");
            if status.status.is_terminal() {
                return serde_json::to_value(status).expect("the status as JSON");
            }
            assert!(
                Instant::now() < deadline,
                "job {job_id} still {:?} after {timeout:?}: {status:?}",
                status.status
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Puts a raw message on the work queue, as a duplicate or broken
    /// delivery would.
    pub async fn send_work_message(&self, body: &str) {
        self.clients
            .sqs
            .send_message()
            .queue_url(&self.deployment.work_queue_url)
            .message_body(body)
            .send()
            .await
            .expect("send to the work queue");
    }

    /// Messages now in the work queue's dead-letter queue.
    pub async fn dead_letters(&self, wait: Duration) -> Vec<String> {
        self.dead_letters_in(&self.deployment.work_dlq_url, wait)
            .await
    }

    /// Messages now in the webhook queue's dead-letter queue.
    pub async fn webhook_dead_letters(&self, wait: Duration) -> Vec<String> {
        self.dead_letters_in(&self.deployment.webhook_dlq_url, wait)
            .await
    }

    /// Messages now in the dead-letter queue at `url`, waiting up to `wait`
    /// for the first; each is hidden for a second after.
    async fn dead_letters_in(&self, url: &str, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        loop {
            let output = self
                .clients
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .visibility_timeout(1)
                .send()
                .await
                .expect("receive from the DLQ");
            let bodies: Vec<String> = output
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|message| message.body)
                .collect();
            if !bodies.is_empty() || Instant::now() >= deadline {
                return bodies;
            }
        }
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }
}

/// Fails if `text` (an answer or record a client can see) carries
/// infrastructure detail: AWS names, SDK error types, operation names, the
/// injected fault.
pub fn assert_public(text: &str) {
    for leak in [
        "arn:",
        "amazonaws",
        "SdkError",
        "ServiceError",
        "DispatchFailure",
        "dynamodb",
        "get_object",
        "injected",
        "outage",
    ] {
        assert!(
            !text.to_lowercase().contains(&leak.to_lowercase()),
            "{leak:?} in {text}"
        );
    }
}

/// A small, valid UBL invoice from the shared corpus.
pub fn sample_invoice() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/corpus/en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml"
    );
    std::fs::read(path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

/// A webhook receiver (tests/webhook_receiver.py) that verifies each
/// delivery with the independent `standardwebhooks` package.
pub struct Receiver {
    pub url: String,
    log: std::path::PathBuf,
    child: tokio::process::Child,
}

impl Receiver {
    /// `answers`: statuses to answer in turn, the last repeating, e.g.
    /// `"500,500,200"`; `redirect:URL` answers 302.
    pub async fn start(secret: &str, answers: &str) -> Self {
        Self::start_on(secret, answers, 0).await
    }

    pub async fn start_on(secret: &str, answers: &str, port: u16) -> Self {
        use tokio::io::AsyncBufReadExt;
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let python = format!("{root}/.local/venv/bin/python");
        assert!(
            std::path::Path::new(&python).exists(),
            "{python} is missing: run `make setup` (it installs standardwebhooks)"
        );
        let log = std::env::temp_dir().join(format!("receiver-{}.jsonl", random_hex(8)));
        let mut child = tokio::process::Command::new(python)
            .arg(format!("{root}/tests/webhook_receiver.py"))
            .arg(secret)
            .arg(&log)
            .arg(answers)
            .arg(port.to_string())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the webhook receiver");
        let stdout = child.stdout.take().expect("receiver stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(20),
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the receiver starts within 20 s")
        .expect("read the receiver's port");
        let port: u16 = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected receiver output {line:?}"));
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            log,
            child,
        }
    }

    /// The deliveries received so far, in order.
    pub fn deliveries(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("receiver log line"))
            .collect()
    }

    /// Waits until `count` deliveries arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count {
                return deliveries;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} deliveries after {timeout:?}",
                deliveries.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl TestApp {
    /// Polls the job's webhook deliveries until the event is in `state`.
    pub async fn wait_for_event(&self, job_id: &str, state: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let reply = self
                .get(&format!("/jobs/{job_id}/webhook-deliveries"))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text);
            if reply.body["event"]["state"] == state {
                return reply.body;
            }
            assert!(
                Instant::now() < deadline,
                "event not {state} after {timeout:?}: {}",
                reply.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A confirmed one-invoice session whose job reports to `webhook_url`,
    /// submitted; returns the job id.
    pub async fn submit_with_webhook(&self, webhook_url: &str) -> String {
        let created = self
            .create_session(json!({
                "files": [{"name": "a.xml", "content_type": "application/xml"}],
                "webhook_url": webhook_url,
            }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let session_id = created.body["id"].as_str().expect("id").to_owned();
        self.upload(&created.body["files"][0], sample_invoice())
            .await;
        assert_eq!(self.confirm(&session_id).await.status, 200);
        let accepted = self.extract(&session_id, None).await;
        assert_eq!(accepted.status, 202, "{}", accepted.text);
        accepted.body["job_id"].as_str().expect("job id").to_owned()
    }
}
