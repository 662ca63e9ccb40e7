//! Sessions and their files: one partition per session, the session item
//! and one item per file (in file id order, so pages are key ranges).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::Utc;
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{
    FileError, FileRecord, FileState, Session, SessionStatus, StoredResult, UploadInfo,
};
use intake_domain::ports::{AuditEntry, ConfirmOutcome, FilePage, SessionStore, StoreResult};
use intake_domain::transitions::session;
use intake_domain::StoreError;
use rand::Rng;

use super::conditions::{Condition, Conditional};
use super::{
    built, file_sk, is_conditional_failure, session_pk, store_error, DynamoStore, Transaction,
    SESSION_SK, TTL,
};
use crate::item::{get_n, get_s, n, parse, req_n, req_s, req_time, s, time, Item};

const FILE_PREFIX: &str = "FILE#";
/// Set (`true`) on a file that succeeded with a result from the document
/// cache.
pub(super) const CACHE_HIT: &str = "cache_hit";

/// The session's item; it and its files' expire at `ttl`.
fn session_item(session: &Session, ttl: AttributeValue) -> StoreResult<Item> {
    let mut item = DynamoStore::key(session_pk(&session.tenant, &session.id), SESSION_SK);
    item.insert(TTL.into(), ttl);
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

pub(super) fn session_status_name(status: SessionStatus) -> &'static str {
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

pub(super) fn read_session(item: &Item) -> StoreResult<Session> {
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

/// A file's item, expiring with its session's (`ttl`).
fn file_item(tenant: &str, file: &FileRecord, ttl: &AttributeValue) -> Item {
    let mut item = DynamoStore::key(session_pk(tenant, &file.session_id), &file_sk(&file.id));
    item.insert(TTL.into(), ttl.clone());
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
    if let Some(upload) = &file.upload {
        item.insert("size".into(), n(upload.size));
        item.insert("etag".into(), s(&upload.etag));
        if let Some(checksum) = &upload.checksum_sha256 {
            item.insert("checksum_sha256".into(), s(checksum));
        }
    }
    item
}

pub(super) fn read_file(item: &Item) -> StoreResult<FileRecord> {
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
        result: read_result(item),
        cache_hit: item
            .get(CACHE_HIT)
            .is_some_and(|hit| hit.as_bool().is_ok_and(|hit| *hit)),
    })
}

/// Attributes of a file's result: the JSON text itself, or the S3 key of
/// the object holding it.
const RESULT_INLINE: &str = "result_json";
const RESULT_OBJECT: &str = "result_key";

pub(super) fn read_result(item: &Item) -> Option<StoredResult> {
    match (get_s(item, RESULT_INLINE), get_s(item, RESULT_OBJECT)) {
        (Some(json), _) => Some(StoredResult::Inline(json.as_bytes().to_vec())),
        (None, Some(key)) => Some(StoredResult::Object(key.to_owned())),
        (None, None) => None,
    }
}

/// The attribute name and value that keep `result` on a file's item.
pub(super) fn result_attribute(
    result: &StoredResult,
    operation: &'static str,
) -> StoreResult<(&'static str, AttributeValue)> {
    Ok(match result {
        StoredResult::Inline(json) => {
            let text = std::str::from_utf8(json)
                .map_err(|_| StoreError::new(operation, "a file result is not UTF-8"))?;
            (RESULT_INLINE, s(text))
        }
        StoredResult::Object(key) => (RESULT_OBJECT, s(key)),
    })
}

impl DynamoStore {
    /// Files of a session after `after` (all of them with `usize::MAX`),
    /// in file id order, and whether more follow.
    async fn file_page(
        &self,
        tenant: &str,
        id: &SessionId,
        after: Option<&FileId>,
        limit: usize,
    ) -> StoreResult<FilePage> {
        const OP: &str = "load_files";
        let pk = session_pk(tenant, id);
        let mut start = after.map(|file| Self::key(pk.clone(), &file_sk(file)));
        let mut files = Vec::new();
        loop {
            let wanted = limit.saturating_sub(files.len()).saturating_add(1);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :files)")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":files", s(FILE_PREFIX))
                .consistent_read(true)
                .set_limit(i32::try_from(wanted).ok())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(OP, e))?;
            for item in output.items() {
                files.push(read_file(item)?);
            }
            if files.len() > limit {
                files.truncate(limit);
                return Ok(FilePage { files, more: true });
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(FilePage { files, more: false }),
            }
        }
    }

    /// Takes the session's confirmation lease and returns the session's
    /// `ttl`, which its rewritten file items keep; `Err` tells why not.
    async fn claim_confirmation(
        &self,
        tenant: &str,
        id: &SessionId,
        token: &str,
        lease: Duration,
    ) -> StoreResult<Result<AttributeValue, ConfirmOutcome>> {
        const OP: &str = "confirm_uploads";
        let now = Utc::now().timestamp();
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session_pk(tenant, id), SESSION_SK)))
            .update_expression("SET confirm_token = :token, confirm_until = :until")
            .only_if(
                Condition::from("status", &session::CONFIRM, session_status_name)
                    .and("attribute_not_exists(confirm_until) OR confirm_until < :now"),
            )
            .expression_attribute_values(":token", s(token))
            .expression_attribute_values(":until", n(now + lease.as_secs() as i64))
            .expression_attribute_values(":now", n(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match claimed {
            Ok(output) => {
                let session = output
                    .attributes()
                    .ok_or_else(|| StoreError::new(OP, "the session's item was not returned"))?;
                // Sessions written before items had a `ttl` expire from
                // their creation like the others.
                Ok(Ok(match session.get(TTL) {
                    Some(ttl) => ttl.clone(),
                    None => self.ttl(&req_time(session, "created_at")?),
                }))
            }
            Err(error) if is_conditional_failure(&error) => {
                let session = self.find_session(tenant, id).await?;
                Ok(Err(match session.map(|session| session.status) {
                    Some(SessionStatus::AwaitingUpload) => ConfirmOutcome::InProgress,
                    _ => ConfirmOutcome::AlreadyConfirmed,
                }))
            }
            Err(error) => Err(store_error(OP, error)),
        }
    }

    /// Ends the lease `token` holds, the session unmoved.
    async fn release_confirmation(
        &self,
        tenant: &str,
        id: &SessionId,
        token: &str,
    ) -> StoreResult<()> {
        let released = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(session_pk(tenant, id), SESSION_SK)))
            .update_expression("REMOVE confirm_token, confirm_until")
            .condition_expression("confirm_token = :token")
            .expression_attribute_values(":token", s(token))
            .send()
            .await;
        match released {
            Err(error) if !is_conditional_failure(&error) => {
                Err(store_error("confirm_uploads", error))
            }
            _ => Ok(()),
        }
    }

    /// Ends the lease `token` holds by moving the session to `Pending`,
    /// with its audit entry; `false` if the lease was lost.
    async fn finish_confirmation(
        &self,
        tenant: &str,
        id: &SessionId,
        token: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        const OP: &str = "confirm_uploads";
        let pending = built(
            self.update(
                Self::key(session_pk(tenant, id), SESSION_SK),
                "SET #status = :pending REMOVE confirm_token, confirm_until",
            )
            .condition_expression("confirm_token = :token")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":token", s(token))
            .expression_attribute_values(":pending", s(session_status_name(SessionStatus::Pending)))
            .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().update(pending).build(),
            self.audit_write(audit, OP)?,
        ];
        Ok(matches!(
            self.transact(items, OP).await?,
            Transaction::Committed
        ))
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn create_session(
        &self,
        session: &Session,
        files: &[FileRecord],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        const OP: &str = "create_session";
        // Files first: until the session item exists the session is not
        // visible, so a crash in between leaves only unreachable file items.
        let ttl = self.ttl(&session.created_at);
        let items = files
            .iter()
            .map(|file| file_item(&session.tenant, file, &ttl))
            .collect();
        self.batch_put(items, OP).await?;
        let put_session = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(session_item(session, ttl)?))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().put(put_session).build(),
            self.audit_write(audit, OP)?,
        ];
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(()),
            Transaction::ConditionFailed => Err(StoreError::new(OP, "the session exists")),
        }
    }

    async fn find_session(&self, tenant: &str, id: &SessionId) -> StoreResult<Option<Session>> {
        self.get(session_pk(tenant, id), SESSION_SK, "find_session")
            .await?
            .map(|item| read_session(&item))
            .transpose()
    }

    async fn load_session(
        &self,
        tenant: &str,
        id: &SessionId,
    ) -> StoreResult<Option<(Session, Vec<FileRecord>)>> {
        let Some(session) = self.find_session(tenant, id).await? else {
            return Ok(None);
        };
        let page = self.file_page(tenant, id, None, usize::MAX).await?;
        Ok(Some((session, page.files)))
    }

    async fn load_file_page(
        &self,
        tenant: &str,
        id: &SessionId,
        after: Option<&FileId>,
        limit: usize,
    ) -> StoreResult<FilePage> {
        self.file_page(tenant, id, after, limit).await
    }

    async fn confirm_uploads(
        &self,
        tenant: &str,
        id: &SessionId,
        files: &[FileRecord],
        lease: Duration,
        audit: &AuditEntry,
    ) -> StoreResult<ConfirmOutcome> {
        let token = format!("{:016x}", rand::rng().random::<u64>());
        let ttl = match self.claim_confirmation(tenant, id, &token, lease).await? {
            Ok(ttl) => ttl,
            Err(outcome) => return Ok(outcome),
        };
        let items = files
            .iter()
            .map(|file| file_item(tenant, file, &ttl))
            .collect();
        if let Err(error) = self.batch_put(items, "confirm_uploads").await {
            // Let the client's retry take the session at once.
            let _ = self.release_confirmation(tenant, id, &token).await;
            return Err(error);
        }
        Ok(
            if self.finish_confirmation(tenant, id, &token, audit).await? {
                ConfirmOutcome::Confirmed
            } else {
                // The lease ran out and another confirmation took over.
                ConfirmOutcome::InProgress
            },
        )
    }
}
