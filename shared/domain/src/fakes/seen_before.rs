//! What a tenant's earlier files left on the fake world: the document
//! cache and the invoice index, with the conditions of their DynamoDB
//! adapters (a live cache entry is never replaced; a file is appended to
//! an index list once, up to its limit, and an expired list starts anew).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{FakeWorld, IndexRow};
use crate::error::StoreError;
use crate::ids::JobId;
use crate::model::FileRef;
use crate::ports::{CacheEntry, CacheKey, DocumentCache, InvoiceIndex, StoreResult};

fn cache_key(key: &CacheKey<'_>) -> (String, String, String) {
    (
        key.tenant.to_owned(),
        key.sha256.to_owned(),
        key.engine.to_owned(),
    )
}

impl FakeWorld {
    // ----- arrange -----

    /// Makes every call of the document cache fail with `text`, or (with
    /// `None`) ends that outage.
    pub fn set_cache_outage(&self, text: Option<&str>) {
        self.lock().cache_outage = text.map(str::to_owned);
    }

    /// Makes every call of the invoice index fail with `text`, or (with
    /// `None`) ends that outage.
    pub fn set_index_outage(&self, text: Option<&str>) {
        self.lock().index_outage = text.map(str::to_owned);
    }

    /// Moves every cache entry's expiry to `at`, as time passing would.
    pub fn expire_cache_at(&self, at: DateTime<Utc>) {
        for entry in self.lock().cache.values_mut() {
            entry.expires_at = at;
        }
    }

    // ----- inspect -----

    /// Every cache entry of `tenant`, by (sha256, engine release).
    pub fn cache_entries(&self, tenant: &str) -> Vec<((String, String), CacheEntry)> {
        self.lock()
            .cache
            .iter()
            .filter(|((owner, _, _), _)| owner == tenant)
            .map(|((_, sha256, engine), entry)| ((sha256.clone(), engine.clone()), entry.clone()))
            .collect()
    }

    /// Every list of `tenant`'s invoice index.
    pub fn indexed(&self, tenant: &str) -> Vec<Vec<FileRef>> {
        self.lock()
            .invoice_index
            .iter()
            .filter(|((owner, _), _)| owner == tenant)
            .map(|(_, row)| row.files.clone())
            .collect()
    }
}

#[async_trait]
impl DocumentCache for FakeWorld {
    async fn get(&self, key: &CacheKey<'_>, now: DateTime<Utc>) -> StoreResult<Option<CacheEntry>> {
        let data = self.lock();
        if let Some(text) = &data.cache_outage {
            return Err(StoreError::new("cache_get", text));
        }
        Ok(data
            .cache
            .get(&cache_key(key))
            .filter(|entry| entry.expires_at > now)
            .cloned())
    }

    async fn put(
        &self,
        key: &CacheKey<'_>,
        entry: &CacheEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut data = self.lock();
        if let Some(text) = &data.cache_outage {
            return Err(StoreError::new("cache_put", text));
        }
        let key = cache_key(key);
        if data
            .cache
            .get(&key)
            .is_some_and(|live| live.expires_at > now)
        {
            return Ok(false);
        }
        data.cache.insert(key, entry.clone());
        Ok(true)
    }

    async fn forget(&self, tenant: &str, sha256: &str, job_id: &JobId) -> StoreResult<usize> {
        let mut data = self.lock();
        if let Some(text) = &data.cache_outage {
            return Err(StoreError::new("cache_forget", text));
        }
        let before = data.cache.len();
        data.cache.retain(|(owner, bytes, _), entry| {
            !(owner == tenant && bytes == sha256 && entry.written_by.job_id == *job_id)
        });
        Ok(before - data.cache.len())
    }
}

#[async_trait]
impl InvoiceIndex for FakeWorld {
    async fn record(
        &self,
        tenant: &str,
        key: &str,
        file: &FileRef,
        limit: usize,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Vec<FileRef>> {
        let mut data = self.lock();
        if let Some(text) = &data.index_outage {
            return Err(StoreError::new("record_invoice", text));
        }
        let now = Utc::now();
        let row = data
            .invoice_index
            .entry((tenant.to_owned(), key.to_owned()))
            .and_modify(|row| {
                if row.expires_at < now {
                    *row = IndexRow {
                        files: Vec::new(),
                        expires_at,
                    };
                }
            })
            .or_insert_with(|| IndexRow {
                files: Vec::new(),
                expires_at,
            });
        if !row.files.contains(file) && row.files.len() < limit {
            row.files.push(file.clone());
        }
        Ok(row.files.clone())
    }
}
