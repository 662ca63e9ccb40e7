//! The single DynamoDB table: sessions, files, jobs, tenants, idempotency
//! records and the audit trail. Every state transition is a conditional
//! write on the item it moves; a job's progress is counted in sets of file
//! ids spread over counter items, so no write contends on the job item
//! until the job is decided (docs/design.md).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | tenant | `KEY#<sha256(api key)>` | `TENANT` |
//! | operator key | `KEY#<sha256(api key)>` | `ADMIN` |
//! | tenant profile (webhook secrets) | `TENANT#<tenant>` | `PROFILE` |
//! | session | `T#<tenant>#S#<session>` | `SESSION` |
//! | file | `T#<tenant>#S#<session>` | `FILE#<file>` |
//! | job (a tombstone with `deleted_at` while it is deleted) | `T#<tenant>#J#<job>` | `JOB` |
//! | job progress counter (16 shards) | `T#<tenant>#J#<job>` | `COUNT#<nn>` |
//! | idempotency record | `T#<tenant>#I#<sha256(key)>` | `IDEM` |
//! | audit entry (the session's and its job's) | `T#<tenant>#A#<session>` | `<time>#<random>` |
//! | webhook event | `T#<tenant>#J#<job>` | `EVENT` |
//! | webhook attempt (never overwritten) | `T#<tenant>#J#<job>` | `ATTEMPT#<nnnnnn>` (attempt number) |
//! | disabled endpoint (410) | `T#<tenant>#E#<sha256(url)>` | `ENDPOINT` |
//! | document cache entry | `T#<tenant>#C#<sha256(bytes)>` | `ENGINE#<sha256(engine release)>` |
//! | invoice index list | `T#<tenant>#D#<sha256(business key)>` | `INVOICES` |
//! | bulk replay of a dead-letter queue | `OPS#R#<replay id>` | `REPLAY` |
//!
//! Two global secondary indexes: `open` (the reconciler's, `open_work`) and
//! `jobs` (the jobs list, `job_list`).
//!
//! Tenant ids are part of every key, so another tenant's id can only miss.
//! Session, file, job, counter, audit, webhook event and attempt items carry
//! `ttl` (epoch seconds, the table's TTL attribute) = a creation time plus
//! the retention, computed by [`expires_at`] (docs/design.md, "Retention");
//! a cache entry's and an index list's `ttl` is the expiry the domain gives
//! them, compared with the time on every read and write (TTL deletes
//! lazily).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::Tenant;
use intake_domain::ports::{
    IdempotencyClaim, IdempotencyStore, StoreResult, StoredResponse, TenantDirectory,
};
use intake_domain::StoreError;
use rand::Rng;
use sha2::{Digest, Sha256};

mod audit;
mod conditions;
mod document_cache;
mod files;
mod invoice_index;
mod job_list;
mod jobs;
mod open_work;
mod removal;
mod replays;
mod sessions;
mod webhooks;

pub(crate) use job_list::{JOBS_INDEX, JOBS_INDEX_ATTRIBUTES, JOBS_PK, JOBS_SK};
pub(crate) use open_work::{OPEN, OPEN_INDEX, OPEN_SINCE};

use crate::item::{get_s, n, req_s, s, Item};

/// DynamoDB's limit on items in one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;
const WRITE_CONCURRENCY: usize = 8;
/// A transaction cancelled only by a conflict with another (or throttling)
/// is retried with jittered backoff this many times.
const TRANSACTION_ATTEMPTS: u32 = 12;

/// Transactions retried because they conflicted, since the process started
/// (the 64-worker test reports it).
static TRANSACTION_RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many transactions were retried after a conflict in this process.
pub fn transaction_retries() -> u64 {
    TRANSACTION_RETRIES.load(Ordering::Relaxed)
}

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long items live after their creation time (`ttl`).
    retention: Duration,
}

/// The table's TTL attribute.
const TTL: &str = "ttl";

/// The `ttl` of an item created at `created` and kept for `retention`:
/// epoch seconds, as DynamoDB's TTL wants them.
pub(crate) fn expires_at(created: &DateTime<Utc>, retention: Duration) -> i64 {
    let retention = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
    created.timestamp().saturating_add(retention)
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
    /// The condition of an item failed.
    ConditionFailed,
}

impl DynamoStore {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_owned(),
            retention: intake_domain::Settings::default().retention,
        }
    }

    /// Items written from now on live `retention` after their creation.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The `ttl` attribute of an item created at `created`.
    fn ttl(&self, created: &DateTime<Utc>) -> AttributeValue {
        n(expires_at(created, self.retention))
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

    /// Every item of partition `pk`, or with `sk_range` those whose sort key
    /// lies between its bounds (inclusive).
    async fn query_all(
        &self,
        pk: String,
        sk_range: Option<(&str, &str)>,
        operation: &'static str,
    ) -> StoreResult<Vec<Item>> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(pk));
        query = match sk_range {
            Some((from, to)) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to)),
            None => query.key_condition_expression("pk = :pk"),
        };
        every_item(query, operation).await
    }

    /// The keys (`pk`, `sk`) of every item of partition `pk`.
    async fn partition_keys(&self, pk: String, operation: &'static str) -> StoreResult<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .projection_expression("pk, sk");
        every_item(query, operation).await
    }

    /// Writes `items` with grouped writes (no condition).
    async fn batch_put(&self, items: Vec<Item>, operation: &'static str) -> StoreResult<()> {
        self.batch_write(items, operation, |item| {
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map(|put| WriteRequest::builder().put_request(put).build())
        })
        .await
    }

    /// Deletes the items of `keys` with grouped writes (no condition).
    async fn batch_delete(&self, keys: Vec<Item>, operation: &'static str) -> StoreResult<()> {
        self.batch_write(keys, operation, |key| {
            DeleteRequest::builder()
                .set_key(Some(key))
                .build()
                .map(|delete| WriteRequest::builder().delete_request(delete).build())
        })
        .await
    }

    /// `BatchWriteItem`s of 25 of the `request`s of `items`,
    /// `WRITE_CONCURRENCY` at a time.
    async fn batch_write(
        &self,
        items: Vec<Item>,
        operation: &'static str,
        request: impl Fn(Item) -> Result<WriteRequest, aws_sdk_dynamodb::error::BuildError>,
    ) -> StoreResult<()> {
        let requests = items
            .into_iter()
            .map(request)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::new(operation, e))?;
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(BATCH_WRITE_LIMIT)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        stream::iter(chunks)
            .map(|chunk| self.batch_write_chunk(chunk, operation))
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    /// One BatchWriteItem, retrying what DynamoDB left unprocessed.
    async fn batch_write_chunk(
        &self,
        mut pending: Vec<WriteRequest>,
        operation: &'static str,
    ) -> StoreResult<()> {
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
                TRANSACTION_RETRIES.fetch_add(1, Ordering::Relaxed);
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
            if reasons
                .iter()
                .any(|code| code.as_deref() == Some("ConditionalCheckFailed"))
            {
                return Ok(Transaction::ConditionFailed);
            }
            // Cancelled for a conflict or throttling only: try again.
        }
        Err(StoreError::new(operation, "transaction kept conflicting"))
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

/// Every item `query` answers, page after page, read strongly consistent.
async fn every_item(query: QueryFluentBuilder, operation: &'static str) -> StoreResult<Vec<Item>> {
    let pages: Vec<_> = query
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
        item.insert(TTL.into(), n(now + retention.as_secs() as i64));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_expires_its_retention_after_its_creation() {
        let created = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let thirty_days = Duration::from_secs(30 * 86_400);
        assert_eq!(
            expires_at(&created, thirty_days),
            created.timestamp() + 30 * 86_400
        );
        // 2026-01-31T00:00:00Z
        assert_eq!(expires_at(&created, thirty_days), 1_769_817_600);
        assert_eq!(expires_at(&created, Duration::ZERO), created.timestamp());
        assert_eq!(expires_at(&created, Duration::MAX), i64::MAX);
    }
}
