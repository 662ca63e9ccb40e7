//! The document cache (api.md v1.1, "Document cache"): a file whose bytes
//! the same tenant had extracted with the same engine release within
//! `Settings::cache_ttl` reuses that extraction instead of running the
//! engine, and its result entry says `"cache": "hit"`.
//!
//! Only an engine's extraction is cached, never a rejection and never a
//! result entry: `duplicate_of` is computed afresh for each file. The entry
//! is written once its file is finished (a file that never finishes caches
//! nothing), and only if no live entry is there. The cache only saves
//! work: an entry that cannot be read is a miss, one that cannot be written
//! is left out; neither fails a file.

use chrono::Utc;
use tracing::{debug, warn};

use crate::model::{FileRef, StoredResult, WorkMessage};
use crate::ports::{CacheEntry, CacheKey};
use crate::service::{cache_result_key, Intake};

/// What the engine returns for a document it reads: result.md's
/// `document`, `invoice` and `validation`.
pub(crate) type Extraction = serde_json::Map<String, serde_json::Value>;

/// An extraction the engine just made, to be cached once its file is
/// finished.
pub(crate) struct FreshExtraction {
    /// Hex SHA-256 of the document's bytes.
    pub(crate) sha256: String,
    /// The extraction's JSON.
    pub(crate) json: Vec<u8>,
    /// The engine release that made it (`DocumentEngine::version`).
    pub(crate) engine: String,
}

impl Intake {
    /// The extraction cached for the bytes `sha256` of `message`'s tenant,
    /// if a live entry of the engine release `engine` has it.
    pub(crate) async fn cached_extraction(
        &self,
        message: &WorkMessage,
        sha256: &str,
        engine: &str,
    ) -> Option<Extraction> {
        if self.settings.cache_ttl.is_zero() {
            return None;
        }
        let key = CacheKey {
            tenant: &message.tenant,
            sha256,
            engine,
        };
        let entry = match self.ports.cache.get(&key, Utc::now()).await {
            Ok(entry) => entry?,
            Err(error) => {
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      %error, "document cache not read; the engine runs");
                return None;
            }
        };
        let json = match entry.extraction {
            StoredResult::Inline(json) => json,
            StoredResult::Object(object) => match self.ports.objects.get(&object).await {
                Ok(Some(json)) => json.to_vec(),
                Ok(None) => {
                    warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                          object, "a cached extraction's object is gone; the engine runs");
                    return None;
                }
                Err(error) => {
                    warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                          %error, "cached extraction not read; the engine runs");
                    return None;
                }
            },
        };
        match serde_json::from_slice(&json) {
            Ok(extraction) => Some(extraction),
            Err(error) => {
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      %error, "a cached extraction is not a JSON object; the engine runs");
                None
            }
        }
    }

    /// What to cache of an extraction the engine release `engine` just
    /// made; `None` while the cache is off.
    pub(crate) fn fresh_extraction(
        &self,
        sha256: &str,
        extraction: &Extraction,
        engine: &str,
    ) -> Option<FreshExtraction> {
        if self.settings.cache_ttl.is_zero() {
            return None;
        }
        serde_json::to_vec(extraction)
            .ok()
            .map(|json| FreshExtraction {
                sha256: sha256.to_owned(),
                json,
                engine: engine.to_owned(),
            })
    }

    /// Caches the extraction of `message`'s finished file, unless a live
    /// entry for the same bytes is there already.
    pub(crate) async fn remember_extraction(&self, message: &WorkMessage, fresh: FreshExtraction) {
        let now = Utc::now();
        let extraction = match self
            .keep_json(fresh.json, || {
                cache_result_key(&message.tenant, &message.job_id, &message.file_id)
            })
            .await
        {
            Ok(extraction) => extraction,
            Err(error) => {
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      %error, "extraction not cached");
                return;
            }
        };
        let entry = CacheEntry {
            extraction,
            written_by: FileRef {
                job_id: message.job_id.clone(),
                file_id: message.file_id.clone(),
            },
            expires_at: now + self.settings.cache_ttl,
        };
        let key = CacheKey {
            tenant: &message.tenant,
            sha256: &fresh.sha256,
            engine: &fresh.engine,
        };
        match self.ports.cache.put(&key, &entry, now).await {
            Ok(written) => {
                debug!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                       written, "extraction cached")
            }
            Err(error) => {
                warn!(tenant = %message.tenant, job_id = %message.job_id, file_id = %message.file_id,
                      %error, "extraction not cached")
            }
        }
    }
}
