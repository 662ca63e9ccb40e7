//! The document cache: one item per tenant, document bytes and engine
//! release (`T#<tenant>#C#<sha256>`, `ENGINE#<sha256(release)>`), holding
//! the extraction's JSON (or the S3 key of a large one) and the file that
//! wrote it. Its `ttl` is the entry's expiry: DynamoDB deletes expired
//! items lazily, so reads and writes compare it with the time themselves.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use intake_domain::ids::{FileId, JobId};
use intake_domain::model::FileRef;
use intake_domain::ports::{CacheEntry, CacheKey, DocumentCache, StoreResult};
use intake_domain::StoreError;

use super::sessions::{read_result, result_attribute};
use super::{is_conditional_failure, sha256_hex, store_error, DynamoStore, TTL};
use crate::item::{get_s, n, parse, req_n, req_s, s, Item};

const ENGINE_PREFIX: &str = "ENGINE#";

fn cache_pk(tenant: &str, sha256: &str) -> String {
    format!("T#{tenant}#C#{sha256}")
}

/// Engine releases are free text: the key holds their digest.
fn cache_sk(engine: &str) -> String {
    format!("{ENGINE_PREFIX}{}", sha256_hex(engine))
}

fn read_entry(item: &Item) -> StoreResult<CacheEntry> {
    let expires_at: i64 = req_n(item, TTL)?;
    Ok(CacheEntry {
        extraction: read_result(item)
            .ok_or_else(|| StoreError::new("cache_get", "a cache entry has no extraction"))?,
        written_by: FileRef {
            job_id: parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
            file_id: parse(req_s(item, "file_id")?, "file_id", FileId::parse)?,
        },
        expires_at: DateTime::from_timestamp(expires_at, 0)
            .ok_or_else(|| StoreError::new("cache_get", "a cache entry's ttl is out of range"))?,
    })
}

#[async_trait]
impl DocumentCache for DynamoStore {
    async fn get(&self, key: &CacheKey<'_>, now: DateTime<Utc>) -> StoreResult<Option<CacheEntry>> {
        let Some(item) = self
            .get(
                cache_pk(key.tenant, key.sha256),
                &cache_sk(key.engine),
                "cache_get",
            )
            .await?
        else {
            return Ok(None);
        };
        let entry = read_entry(&item)?;
        Ok((entry.expires_at > now).then_some(entry))
    }

    async fn put(
        &self,
        key: &CacheKey<'_>,
        entry: &CacheEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        const OP: &str = "cache_put";
        let (result_name, result_value) = result_attribute(&entry.extraction, OP)?;
        let mut item = Self::key(cache_pk(key.tenant, key.sha256), &cache_sk(key.engine));
        item.insert("engine".into(), s(key.engine));
        item.insert("job_id".into(), s(entry.written_by.job_id.as_str()));
        item.insert("file_id".into(), s(entry.written_by.file_id.as_str()));
        item.insert(result_name.into(), result_value);
        item.insert(TTL.into(), n(entry.expires_at.timestamp()));
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // A live entry stays: its writer is the one `forget` knows.
            .condition_expression("attribute_not_exists(pk) OR #ttl <= :now")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(error) if is_conditional_failure(&error) => Ok(false),
            Err(error) => Err(store_error(OP, error)),
        }
    }

    async fn forget(&self, tenant: &str, sha256: &str, job_id: &JobId) -> StoreResult<usize> {
        const OP: &str = "cache_forget";
        let entries = self.query_all(cache_pk(tenant, sha256), None, OP).await?;
        let mut forgotten = 0;
        for entry in entries
            .iter()
            .filter(|entry| get_s(entry, "job_id") == Some(job_id.as_str()))
        {
            let deleted = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(
                    cache_pk(tenant, sha256),
                    req_s(entry, "sk")?,
                )))
                // Replaced since it was read: another job's entry now.
                .condition_expression("job_id = :job")
                .expression_attribute_values(":job", AttributeValue::S(job_id.to_string()))
                .send()
                .await;
            match deleted {
                Ok(_) => forgotten += 1,
                Err(error) if is_conditional_failure(&error) => {}
                Err(error) => return Err(store_error(OP, error)),
            }
        }
        Ok(forgotten)
    }
}
