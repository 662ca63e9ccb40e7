//! The single DynamoDB table: sessions, files, jobs, tenants, idempotency
//! records and the audit trail. Every state transition is a conditional
//! write; the file and its job's counters change in one transaction.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | tenant | `KEY#<sha256(api key)>` | `TENANT` |
//! | operator key | `KEY#<sha256(api key)>` | `ADMIN` |
//! | tenant profile (webhook secrets) | `TENANT#<tenant>` | `PROFILE` |
//! | session | `T#<tenant>#S#<session>` | `SESSION` |
//! | file | `T#<tenant>#S#<session>` | `FILE#<file>` |
//! | job | `T#<tenant>#J#<job>` | `JOB` |
//! | idempotency record | `T#<tenant>#I#<sha256(key)>` | `IDEM` |
//! | audit entry | `T#<tenant>#A#<session>` | `<time>#<random>` |
//! | webhook event | `T#<tenant>#J#<job>` | `EVENT` |
//! | webhook attempt | `T#<tenant>#J#<job>` | `ATTEMPT#<time>#<n>` |
//! | disabled endpoint (410) | `T#<tenant>#E#<sha256(url)>` | `ENDPOINT` |
//!
//! Tenant ids are part of every key, so another tenant's id can only miss.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::Utc;
use futures::{stream, StreamExt, TryStreamExt};
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{
    FileError, FileRecord, FileState, Job, JobStatus, Progress, Session, SessionStatus, Tenant,
    UploadInfo, WorkMessage,
};
use intake_domain::ports::{
    AttemptStart, AuditEntry, AuditLog, CreateJob, FileOutcome, IdempotencyClaim, IdempotencyStore,
    JobStore, SessionStore, StoreResult, StoredResponse, TenantDirectory,
};
use intake_domain::webhooks::WebhookEvent;
use intake_domain::StoreError;
use rand::Rng;
use sha2::{Digest, Sha256};

mod webhooks;

use crate::item::{get_n, get_s, get_time, n, parse, req_n, req_s, req_time, s, time, Item};

/// DynamoDB's limit on items in one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;
const WRITE_CONCURRENCY: usize = 8;
/// Transactions on one job item conflict when many files finish at once;
/// they are retried with jittered backoff this many times.
const TRANSACTION_ATTEMPTS: u32 = 12;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn tenant_pk(api_key: &str) -> String {
    format!("KEY#{}", sha256_hex(api_key))
}

fn profile_pk(tenant: &str) -> String {
    format!("TENANT#{tenant}")
}

fn session_pk(tenant: &str, session: &SessionId) -> String {
    format!("T#{tenant}#S#{session}")
}

fn file_sk(file: &FileId) -> String {
    format!("FILE#{file}")
}

fn job_pk(tenant: &str, job: &JobId) -> String {
    format!("T#{tenant}#J#{job}")
}

fn idempotency_pk(tenant: &str, key: &str) -> String {
    format!("T#{tenant}#I#{}", sha256_hex(key))
}

fn audit_pk(tenant: &str, session: &SessionId) -> String {
    format!("T#{tenant}#A#{session}")
}

const SESSION_SK: &str = "SESSION";
const JOB_SK: &str = "JOB";
const TENANT_SK: &str = "TENANT";
const PROFILE_SK: &str = "PROFILE";
const ADMIN_SK: &str = "ADMIN";
const IDEMPOTENCY_SK: &str = "IDEM";

fn store_error<E: std::error::Error + 'static>(
    operation: &'static str,
    error: SdkError<E>,
) -> StoreError {
    StoreError::new(
        operation,
        aws_sdk_dynamodb::error::DisplayErrorContext(error),
    )
}

/// Why a transaction did not commit.
enum Transaction {
    Committed,
    /// The condition of the item at this index failed.
    ConditionFailed(Vec<usize>),
}

impl DynamoStore {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_owned(),
        }
    }

    fn key(pk: String, sk: &str) -> Item {
        Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
    }

    /// Writes `item` unconditionally (`op` names the call in errors).
    async fn put(&self, item: Item, op: &'static str) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| store_error(op, e))?;
        Ok(())
    }

    /// Registers a tenant's API key (the local runner, tests and the
    /// operator's provisioning use it; the API only reads).
    /// `webhook_secrets` are the active `whsec_…` secrets, newest first.
    pub async fn put_tenant(
        &self,
        tenant: &Tenant,
        api_key: &str,
        webhook_secrets: &[String],
    ) -> StoreResult<()> {
        let mut key_item = Self::key(tenant_pk(api_key), TENANT_SK);
        key_item.insert("tenant".into(), s(&tenant.id));
        let mut profile = Self::key(profile_pk(&tenant.id), PROFILE_SK);
        profile.insert(
            "webhook_secrets".into(),
            AttributeValue::L(webhook_secrets.iter().map(s).collect()),
        );
        for item in [key_item, profile] {
            self.put(item, "put_tenant").await?;
        }
        Ok(())
    }

    /// Registers an operator's API key for the `/admin` routes.
    pub async fn put_admin_key(&self, api_key: &str) -> StoreResult<()> {
        self.put(Self::key(tenant_pk(api_key), ADMIN_SK), "put_admin_key")
            .await
    }

    async fn get(
        &self,
        pk: String,
        sk: &str,
        operation: &'static str,
    ) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(operation, e))?;
        Ok(output.item)
    }

    async fn query_all(&self, pk: String, operation: &'static str) -> StoreResult<Vec<Item>> {
        let pages: Vec<_> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        pages
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| store_error(operation, e))
    }

    async fn batch_put(&self, items: Vec<Item>, operation: &'static str) -> StoreResult<()> {
        let chunks: Vec<Vec<Item>> = items
            .chunks(BATCH_WRITE_LIMIT)
            .map(<[Item]>::to_vec)
            .collect();
        stream::iter(chunks)
            .map(|chunk| self.batch_put_chunk(chunk, operation))
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    /// One BatchWriteItem, retrying what DynamoDB left unprocessed.
    async fn batch_put_chunk(&self, chunk: Vec<Item>, operation: &'static str) -> StoreResult<()> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut pending: Vec<WriteRequest> = chunk
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::new(operation, e))
            })
            .collect::<StoreResult<_>>()?;
        for attempt in 0..TRANSACTION_ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                backoff(attempt).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(|e| store_error(operation, e))?;
            pending = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .unwrap_or_default();
        }
        if pending.is_empty() {
            Ok(())
        } else {
            Err(StoreError::new(
                operation,
                "items left unprocessed after retries",
            ))
        }
    }

    /// Runs a transaction, retrying it while it only conflicts with another.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        operation: &'static str,
    ) -> StoreResult<Transaction> {
        for attempt in 0..TRANSACTION_ATTEMPTS {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Transaction::Committed),
                Err(error) => error,
            };
            let reasons: Vec<Option<String>> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().map(str::to_owned))
                    .collect(),
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => continue,
                _ => return Err(store_error(operation, error)),
            };
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, code)| code.as_deref() == Some("ConditionalCheckFailed"))
                .map(|(index, _)| index)
                .collect();
            if !failed.is_empty() {
                return Ok(Transaction::ConditionFailed(failed));
            }
            // Cancelled for a conflict or throttling only: try again.
        }
        Err(StoreError::new(operation, "transaction kept conflicting"))
    }

    /// One file's upload, as S3 reported it: `AwaitingUpload → Uploaded`.
    async fn record_upload(
        &self,
        tenant: &str,
        id: &SessionId,
        file_id: FileId,
        upload: UploadInfo,
    ) -> StoreResult<()> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session_pk(tenant, id), &file_sk(&file_id))))
            .update_expression(if upload.checksum_sha256.is_some() {
                "SET #status = :uploaded, #size = :size, etag = :etag, checksum_sha256 = :checksum"
            } else {
                "SET #status = :uploaded, #size = :size, etag = :etag"
            })
            .condition_expression("#status IN (:awaiting, :uploaded)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":uploaded", s(FileState::Uploaded.as_str()))
            .expression_attribute_values(":awaiting", s(FileState::AwaitingUpload.as_str()))
            .expression_attribute_values(":size", n(upload.size))
            .expression_attribute_values(":etag", s(&upload.etag));
        if let Some(checksum) = &upload.checksum_sha256 {
            request = request.expression_attribute_values(":checksum", s(checksum));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            // Already past `Uploaded`: the session moved on meanwhile.
            Err(error) if is_conditional_failure(&error) => Ok(()),
            Err(error) => Err(store_error("confirm_uploads", error)),
        }
    }

    fn update(
        &self,
        key: Item,
        expression: &str,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
    }
}

async fn backoff(attempt: u32) {
    let ceiling = 10u64.saturating_mul(1 << attempt.min(6));
    let millis = rand::rng().random_range(ceiling / 2..=ceiling);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

fn built<T>(
    result: Result<T, aws_sdk_dynamodb::error::BuildError>,
    operation: &'static str,
) -> StoreResult<T> {
    result.map_err(|e| StoreError::new(operation, e))
}

fn is_conditional_failure<E>(error: &SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn session_item(session: &Session) -> StoreResult<Item> {
    let mut item = DynamoStore::key(session_pk(&session.tenant, &session.id), SESSION_SK);
    item.insert("session_id".into(), s(session.id.as_str()));
    item.insert("tenant".into(), s(&session.tenant));
    item.insert("status".into(), s(session_status_name(session.status)));
    item.insert("created_at".into(), time(&session.created_at));
    item.insert("expires_at".into(), time(&session.expires_at));
    item.insert("file_count".into(), n(session.file_count));
    if let Some(url) = &session.webhook_url {
        item.insert("webhook_url".into(), s(url));
    }
    if let Some(metadata) = &session.metadata {
        let json =
            serde_json::to_string(metadata).map_err(|e| StoreError::new("session_item", e))?;
        item.insert("metadata".into(), s(json));
    }
    if let Some(job_id) = &session.job_id {
        item.insert("job_id".into(), s(job_id.as_str()));
    }
    Ok(item)
}

fn session_status_name(status: SessionStatus) -> &'static str {
    match status {
        SessionStatus::AwaitingUpload => "awaiting_upload",
        SessionStatus::Pending => "pending",
        SessionStatus::Submitted => "submitted",
    }
}

fn parse_session_status(raw: &str) -> Option<SessionStatus> {
    [
        SessionStatus::AwaitingUpload,
        SessionStatus::Pending,
        SessionStatus::Submitted,
    ]
    .into_iter()
    .find(|status| session_status_name(*status) == raw)
}

fn read_session(item: &Item) -> StoreResult<Session> {
    Ok(Session {
        id: parse(req_s(item, "session_id")?, "session_id", SessionId::parse)?,
        tenant: req_s(item, "tenant")?.to_owned(),
        status: parse(req_s(item, "status")?, "status", parse_session_status)?,
        created_at: req_time(item, "created_at")?,
        expires_at: req_time(item, "expires_at")?,
        webhook_url: get_s(item, "webhook_url").map(str::to_owned),
        metadata: get_s(item, "metadata")
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StoreError::new("read_session", e))?,
        job_id: get_s(item, "job_id")
            .map(|raw| parse(raw, "job_id", JobId::parse))
            .transpose()?,
        file_count: req_n(item, "file_count")?,
    })
}

fn file_item(tenant: &str, file: &FileRecord) -> Item {
    let mut item = DynamoStore::key(session_pk(tenant, &file.session_id), &file_sk(&file.id));
    item.insert("file_id".into(), s(file.id.as_str()));
    item.insert("session_id".into(), s(file.session_id.as_str()));
    item.insert("name".into(), s(&file.name));
    item.insert("content_type".into(), s(&file.content_type));
    item.insert("object_key".into(), s(&file.object_key));
    item.insert("status".into(), s(file.status.as_str()));
    item.insert("attempts".into(), n(file.attempts));
    if let Some(size) = file.declared_size {
        item.insert("declared_size".into(), n(size));
    }
    item
}

fn read_file(item: &Item) -> StoreResult<FileRecord> {
    let upload = get_n::<u64>(item, "size")?.map(|size| UploadInfo {
        size,
        etag: get_s(item, "etag").unwrap_or_default().to_owned(),
        checksum_sha256: get_s(item, "checksum_sha256").map(str::to_owned),
    });
    let error = match (get_s(item, "error_code"), get_s(item, "error_message")) {
        (Some(code), message) => Some(FileError {
            code: code.to_owned(),
            message: message.unwrap_or_default().to_owned(),
        }),
        _ => None,
    };
    Ok(FileRecord {
        id: parse(req_s(item, "file_id")?, "file_id", FileId::parse)?,
        session_id: parse(req_s(item, "session_id")?, "session_id", SessionId::parse)?,
        name: req_s(item, "name")?.to_owned(),
        content_type: req_s(item, "content_type")?.to_owned(),
        declared_size: get_n(item, "declared_size")?,
        object_key: req_s(item, "object_key")?.to_owned(),
        status: parse(req_s(item, "status")?, "status", FileState::parse)?,
        upload,
        attempts: get_n(item, "attempts")?.unwrap_or(0),
        error,
        sha256: get_s(item, "sha256").map(str::to_owned),
        result_key: get_s(item, "result_key").map(str::to_owned),
    })
}

fn job_item(job: &Job) -> Item {
    let mut item = DynamoStore::key(job_pk(&job.tenant, &job.id), JOB_SK);
    item.insert("job_id".into(), s(job.id.as_str()));
    item.insert("tenant".into(), s(&job.tenant));
    item.insert("session_id".into(), s(job.session_id.as_str()));
    item.insert("status".into(), s(job.status.as_str()));
    item.insert("created_at".into(), time(&job.created_at));
    item.insert("updated_at".into(), time(&job.updated_at));
    item.insert("total".into(), n(job.progress.total));
    item.insert("processing".into(), n(job.progress.processing));
    item.insert("succeeded".into(), n(job.progress.succeeded));
    item.insert("failed".into(), n(job.progress.failed));
    item.insert("done".into(), n(job.progress.done()));
    item.insert("dispatched".into(), AttributeValue::Bool(job.dispatched));
    if let Some(url) = &job.webhook_url {
        item.insert("webhook_url".into(), s(url));
    }
    item
}

fn read_job(item: &Item) -> StoreResult<Job> {
    Ok(Job {
        id: parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
        tenant: req_s(item, "tenant")?.to_owned(),
        session_id: parse(req_s(item, "session_id")?, "session_id", SessionId::parse)?,
        status: parse(req_s(item, "status")?, "status", JobStatus::parse)?,
        created_at: req_time(item, "created_at")?,
        updated_at: req_time(item, "updated_at")?,
        completed_at: get_time(item, "completed_at")?,
        progress: Progress {
            total: req_n(item, "total")?,
            processing: req_n(item, "processing")?,
            succeeded: req_n(item, "succeeded")?,
            failed: req_n(item, "failed")?,
        },
        webhook_url: get_s(item, "webhook_url").map(str::to_owned),
        dispatched: item
            .get("dispatched")
            .and_then(|value| value.as_bool().ok().copied())
            .unwrap_or(false),
        result_key: get_s(item, "result_key").map(str::to_owned),
        result_size: get_n(item, "result_size")?,
    })
}

#[async_trait]
impl TenantDirectory for DynamoStore {
    async fn find_by_api_key(&self, api_key: &str) -> StoreResult<Option<Tenant>> {
        let Some(item) = self
            .get(tenant_pk(api_key), TENANT_SK, "find_tenant")
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Tenant {
            id: req_s(&item, "tenant")?.to_owned(),
        }))
    }

    async fn webhook_secrets(&self, tenant: &str) -> StoreResult<Vec<String>> {
        let Some(item) = self
            .get(profile_pk(tenant), PROFILE_SK, "webhook_secrets")
            .await?
        else {
            return Ok(Vec::new());
        };
        Ok(item
            .get("webhook_secrets")
            .and_then(|value| value.as_l().ok())
            .map(|secrets| {
                secrets
                    .iter()
                    .filter_map(|secret| secret.as_s().ok().cloned())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn is_admin_key(&self, api_key: &str) -> StoreResult<bool> {
        Ok(self
            .get(tenant_pk(api_key), ADMIN_SK, "find_admin_key")
            .await?
            .is_some())
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn create_session(&self, session: &Session, files: &[FileRecord]) -> StoreResult<()> {
        // Files first: until the session item exists the session is not
        // visible, so a crash in between leaves only unreachable file items.
        let items = files
            .iter()
            .map(|file| file_item(&session.tenant, file))
            .collect();
        self.batch_put(items, "create_session").await?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(session_item(session)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| store_error("create_session", e))?;
        Ok(())
    }

    async fn load_session(
        &self,
        tenant: &str,
        id: &SessionId,
    ) -> StoreResult<Option<(Session, Vec<FileRecord>)>> {
        let items = self
            .query_all(session_pk(tenant, id), "load_session")
            .await?;
        let mut session = None;
        let mut files = Vec::with_capacity(items.len());
        for item in &items {
            match get_s(item, "sk") {
                Some(SESSION_SK) => session = Some(read_session(item)?),
                Some(sk) if sk.starts_with("FILE#") => files.push(read_file(item)?),
                _ => {}
            }
        }
        Ok(session.map(|session| (session, files)))
    }

    async fn confirm_uploads(
        &self,
        tenant: &str,
        id: &SessionId,
        uploads: &[(FileId, UploadInfo)],
    ) -> StoreResult<()> {
        stream::iter(uploads.to_vec())
            .map(|(file_id, upload)| self.record_upload(tenant, id, file_id, upload))
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session_pk(tenant, id), SESSION_SK)))
            .update_expression("SET #status = :pending")
            .condition_expression("#status = :awaiting")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":awaiting", s("awaiting_upload"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_conditional_failure(&error) => Ok(()),
            Err(error) => Err(store_error("confirm_uploads", error)),
        }
    }
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(&self, job: &Job) -> StoreResult<CreateJob> {
        const OP: &str = "create_job";
        let claim_session = built(
            self.update(
                Self::key(session_pk(&job.tenant, &job.session_id), SESSION_SK),
                "SET #status = :submitted, job_id = :job",
            )
            .condition_expression("#status = :pending AND attribute_not_exists(job_id)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":submitted", s("submitted"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":job", s(job.id.as_str()))
            .build(),
            OP,
        )?;
        let put_job = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(job_item(job)))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().update(claim_session).build(),
            TransactWriteItem::builder().put(put_job).build(),
        ];
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(CreateJob::Created),
            Transaction::ConditionFailed(_) => {
                let session = self
                    .get(session_pk(&job.tenant, &job.session_id), SESSION_SK, OP)
                    .await?
                    .map(|item| read_session(&item))
                    .transpose()?
                    .ok_or_else(|| StoreError::new(OP, "session vanished"))?;
                Ok(match session.job_id {
                    Some(job_id) => CreateJob::AlreadySubmitted(job_id),
                    None => CreateJob::NotConfirmed,
                })
            }
        }
    }

    async fn mark_dispatched(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, job_id), JOB_SK)))
            .update_expression("SET dispatched = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| store_error("mark_dispatched", e))?;
        Ok(())
    }

    async fn load_job(&self, tenant: &str, id: &JobId) -> StoreResult<Option<Job>> {
        self.get(job_pk(tenant, id), JOB_SK, "load_job")
            .await?
            .map(|item| read_job(&item))
            .transpose()
    }

    async fn start_attempt(&self, message: &WorkMessage) -> StoreResult<AttemptStart> {
        const OP: &str = "start_attempt";
        let file_key = Self::key(
            session_pk(&message.tenant, &message.session_id),
            &file_sk(&message.file_id),
        );
        let now = time(&Utc::now());
        // First attempt: Uploaded → Processing, counted on the job.
        let start_file = built(
            self.update(file_key.clone(), "SET #status = :processing, attempts = if_not_exists(attempts, :zero) + :one, updated_at = :now")
                .condition_expression("#status = :uploaded")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":processing", s(FileState::Processing.as_str()))
                .expression_attribute_values(":uploaded", s(FileState::Uploaded.as_str()))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", now.clone())
                .build(),
            OP,
        )?;
        let count_on_job = built(
            self.update(
                Self::key(job_pk(&message.tenant, &message.job_id), JOB_SK),
                "SET #status = :processing, updated_at = :now ADD #processing :one",
            )
            .condition_expression("#status IN (:queued, :processing)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#processing", "processing")
            .expression_attribute_values(":processing", s(JobStatus::Processing.as_str()))
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", now.clone())
            .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().update(start_file).build(),
            TransactWriteItem::builder().update(count_on_job).build(),
        ];
        if let Transaction::Committed = self.transact(items, OP).await? {
            return Ok(AttemptStart::Started { attempt: 1 });
        }
        // A later attempt: the file stays Processing, the job is unchanged.
        let retry = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(file_key.clone()))
            .update_expression("SET attempts = attempts + :one, updated_at = :now")
            .condition_expression("#status = :processing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":processing", s(FileState::Processing.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", now)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match retry {
            Ok(output) => {
                let attempt = output
                    .attributes
                    .as_ref()
                    .map(|attributes| req_n(attributes, "attempts"))
                    .transpose()?
                    .unwrap_or(1);
                Ok(AttemptStart::Started { attempt })
            }
            Err(error) if is_conditional_failure(&error) => {
                let item = self
                    .get(
                        session_pk(&message.tenant, &message.session_id),
                        &file_sk(&message.file_id),
                        OP,
                    )
                    .await?
                    .ok_or_else(|| {
                        StoreError::new(OP, "the file of a work message does not exist")
                    })?;
                let file = read_file(&item)?;
                if file.status.is_terminal() {
                    Ok(AttemptStart::AlreadyFinished)
                } else {
                    Err(StoreError::new(
                        OP,
                        format!("file is {}, not ready for processing", file.status.as_str()),
                    ))
                }
            }
            Err(error) => Err(store_error(OP, error)),
        }
    }

    async fn finish_file(&self, message: &WorkMessage, outcome: &FileOutcome) -> StoreResult<bool> {
        const OP: &str = "finish_file";
        let (state, counter, sha256, result_key, error) = match outcome {
            FileOutcome::Succeeded { sha256, result_key } => (
                FileState::Succeeded,
                "succeeded",
                Some(sha256),
                result_key,
                None,
            ),
            FileOutcome::Failed {
                sha256,
                result_key,
                error,
            } => (
                FileState::Failed,
                "failed",
                sha256.as_ref(),
                result_key,
                Some(error),
            ),
        };
        let now = time(&Utc::now());
        // A file normally finishes from Processing; a file whose every start
        // failed is given up on from Uploaded.
        for from in [FileState::Processing, FileState::Uploaded] {
            let mut set =
                String::from("SET #status = :to, result_key = :result_key, updated_at = :now");
            let mut file = self
                .update(
                    Self::key(
                        session_pk(&message.tenant, &message.session_id),
                        &file_sk(&message.file_id),
                    ),
                    "",
                )
                .condition_expression("#status = :from")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":to", s(state.as_str()))
                .expression_attribute_values(":from", s(from.as_str()))
                .expression_attribute_values(":result_key", s(result_key))
                .expression_attribute_values(":now", now.clone());
            if let Some(sha256) = sha256 {
                set.push_str(", sha256 = :sha256");
                file = file.expression_attribute_values(":sha256", s(sha256));
            }
            if let Some(error) = error {
                set.push_str(", error_code = :code, error_message = :message");
                file = file
                    .expression_attribute_values(":code", s(&error.code))
                    .expression_attribute_values(":message", s(&error.message));
            }
            let file = built(file.update_expression(set).build(), OP)?;
            let processing_delta = if from == FileState::Processing { -1 } else { 0 };
            let job = built(
                self.update(
                    Self::key(job_pk(&message.tenant, &message.job_id), JOB_SK),
                    "SET updated_at = :now ADD #processing :delta, #outcome :one, done :one",
                )
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#processing", "processing")
                .expression_attribute_names("#outcome", counter)
                .expression_attribute_values(":delta", n(processing_delta))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", now.clone())
                .build(),
                OP,
            )?;
            let items = vec![
                TransactWriteItem::builder().update(file).build(),
                TransactWriteItem::builder().update(job).build(),
            ];
            match self.transact(items, OP).await? {
                Transaction::Committed => return Ok(true),
                Transaction::ConditionFailed(failed) if failed == [0] => continue,
                Transaction::ConditionFailed(_) => {
                    return Err(StoreError::new(
                        OP,
                        "the job of a work message does not exist",
                    ))
                }
            }
        }
        Ok(false)
    }

    async fn complete_job(
        &self,
        tenant: &str,
        id: &JobId,
        status: JobStatus,
        result_key: &str,
        result_size: u64,
        event: Option<&WebhookEvent>,
    ) -> StoreResult<bool> {
        const OP: &str = "complete_job";
        let now = time(&Utc::now());
        let complete = self
            .update(Self::key(job_pk(tenant, id), JOB_SK), "")
            .update_expression("SET #status = :terminal, completed_at = :now, updated_at = :now, result_key = :key, result_size = :size")
            .condition_expression("#status IN (:queued, :processing) AND done = #total")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#total", "total")
            .expression_attribute_values(":terminal", s(status.as_str()))
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":processing", s(JobStatus::Processing.as_str()))
            .expression_attribute_values(":now", now)
            .expression_attribute_values(":key", s(result_key))
            .expression_attribute_values(":size", n(result_size));
        let mut items = vec![TransactWriteItem::builder()
            .update(built(complete.build(), OP)?)
            .build()];
        if let Some(event) = event {
            items.push(
                TransactWriteItem::builder()
                    .put(self.put_event(event)?)
                    .build(),
            );
        }
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(true),
            Transaction::ConditionFailed(_) => Ok(false),
        }
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn claim(
        &self,
        tenant: &str,
        key: &str,
        fingerprint: &str,
        lease: Duration,
        retention: Duration,
    ) -> StoreResult<IdempotencyClaim> {
        const OP: &str = "claim_idempotency_key";
        let now = Utc::now().timestamp();
        let mut item = Self::key(idempotency_pk(tenant, key), IDEMPOTENCY_SK);
        item.insert("fingerprint".into(), s(fingerprint));
        item.insert("state".into(), s("in_progress"));
        item.insert("locked_until".into(), n(now + lease.as_secs() as i64));
        item.insert("ttl".into(), n(now + retention.as_secs() as i64));
        // TTL deletion lags by up to days, so an expired record counts as
        // absent; so does an abandoned claim of the same request.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR #ttl < :now \
                 OR (#state = :in_progress AND locked_until < :now AND fingerprint = :fingerprint)",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await;
        match result {
            Ok(_) => return Ok(IdempotencyClaim::Claimed),
            Err(error) if is_conditional_failure(&error) => {}
            Err(error) => return Err(store_error(OP, error)),
        }
        let Some(existing) = self
            .get(idempotency_pk(tenant, key), IDEMPOTENCY_SK, OP)
            .await?
        else {
            // Released between our write and this read: the other request
            // is being retried right now.
            return Ok(IdempotencyClaim::InProgress);
        };
        if get_s(&existing, "fingerprint") != Some(fingerprint) {
            return Ok(IdempotencyClaim::Mismatch);
        }
        match get_s(&existing, "response") {
            Some(response) => serde_json::from_str(response)
                .map(IdempotencyClaim::Replay)
                .map_err(|e| StoreError::new(OP, e)),
            None => Ok(IdempotencyClaim::InProgress),
        }
    }

    async fn complete(
        &self,
        tenant: &str,
        key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        let response = serde_json::to_string(response)
            .map_err(|e| StoreError::new("complete_idempotency_key", e))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(idempotency_pk(tenant, key), IDEMPOTENCY_SK)))
            .update_expression("SET #state = :completed, #response = :response")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", s("completed"))
            .expression_attribute_values(":response", s(response))
            .send()
            .await
            .map_err(|e| store_error("complete_idempotency_key", e))?;
        Ok(())
    }

    async fn release(&self, tenant: &str, key: &str) -> StoreResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(idempotency_pk(tenant, key), IDEMPOTENCY_SK)))
            .send()
            .await
            .map_err(|e| store_error("release_idempotency_key", e))?;
        Ok(())
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append(&self, entry: &AuditEntry) -> StoreResult<()> {
        let suffix: u32 = rand::rng().random();
        let sk = format!(
            "{}#{suffix:08x}",
            entry
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        );
        let mut item = Self::key(audit_pk(&entry.tenant, &entry.session_id), &sk);
        item.insert("at".into(), time(&entry.at));
        item.insert("event".into(), s(&entry.event));
        if let Some(job_id) = &entry.job_id {
            item.insert("job_id".into(), s(job_id.as_str()));
        }
        if let Some(file_id) = &entry.file_id {
            item.insert("file_id".into(), s(file_id.as_str()));
        }
        if let Some(detail) = &entry.detail {
            item.insert("detail".into(), s(detail));
        }
        self.put(item, "append_audit").await
    }

    async fn trail(&self, tenant: &str, session_id: &SessionId) -> StoreResult<Vec<AuditEntry>> {
        let items = self
            .query_all(audit_pk(tenant, session_id), "audit_trail")
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(AuditEntry {
                    at: req_time(item, "at")?,
                    tenant: tenant.to_owned(),
                    session_id: session_id.clone(),
                    job_id: get_s(item, "job_id")
                        .map(|raw| parse(raw, "job_id", JobId::parse))
                        .transpose()?,
                    file_id: get_s(item, "file_id")
                        .map(|raw| parse(raw, "file_id", FileId::parse))
                        .transpose()?,
                    event: req_s(item, "event")?.to_owned(),
                    detail: get_s(item, "detail").map(str::to_owned),
                })
            })
            .collect()
    }
}
