//! The audit trail: one partition per session (`T#<tenant>#A#<session>`),
//! its job's entries included, one item per entry whose sort key is its
//! time (microseconds) and a random tie-breaker (`<time>#<8 hex>`), so the
//! partition reads oldest first. Entries of a move are written by the
//! move's own transaction ([`DynamoStore::audit_write`]); the others with
//! grouped writes.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, SecondsFormat, Utc};
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::paging::TrailPosition;
use intake_domain::ports::{AuditEntry, AuditLog, StoreResult, TrailPage};
use intake_domain::StoreError;
use rand::Rng;

use super::{audit_pk, built, store_error, DynamoStore, TTL};
use crate::item::{get_n, get_s, n, parse, req_s, req_time, s, time, Item};

/// The sort key of the entry at `position`.
fn audit_sk(position: &TrailPosition) -> String {
    format!(
        "{}#{:08x}",
        position.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        position.tiebreak
    )
}

/// The position an entry's sort key names.
fn trail_position(sk: &str) -> StoreResult<TrailPosition> {
    let malformed = || StoreError::new("audit_trail", format!("malformed audit key {sk:?}"));
    let (at, tiebreak) = sk.rsplit_once('#').ok_or_else(malformed)?;
    Ok(TrailPosition {
        at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| malformed())?
            .with_timezone(&Utc),
        tiebreak: u32::from_str_radix(tiebreak, 16).map_err(|_| malformed())?,
    })
}

fn audit_item(entry: &AuditEntry) -> Item {
    let position = TrailPosition {
        at: entry.at,
        tiebreak: rand::rng().random(),
    };
    let mut item = DynamoStore::key(
        audit_pk(&entry.tenant, &entry.session_id),
        &audit_sk(&position),
    );
    item.insert("at".into(), time(&entry.at));
    item.insert("event".into(), s(&entry.event));
    if let Some(job_id) = &entry.job_id {
        item.insert("job_id".into(), s(job_id.as_str()));
    }
    if let Some(file_id) = &entry.file_id {
        item.insert("file_id".into(), s(file_id.as_str()));
    }
    if let Some(attempt) = entry.attempt {
        item.insert("attempt".into(), n(attempt));
    }
    if let Some(detail) = &entry.detail {
        item.insert("detail".into(), s(detail));
    }
    item
}

fn read_entry(item: &Item, tenant: &str, session_id: &SessionId) -> StoreResult<AuditEntry> {
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
        attempt: get_n(item, "attempt")?,
        detail: get_s(item, "detail").map(str::to_owned),
    })
}

impl DynamoStore {
    /// One audit entry; the random tie-breaker keeps entries of the same
    /// microsecond apart. It expires `retention` after it happened.
    fn audit_entry_item(&self, entry: &AuditEntry) -> Item {
        let mut item = audit_item(entry);
        item.insert(TTL.into(), self.ttl(&entry.at));
        item
    }

    /// The audit entry of a state machine's move, as an item of the
    /// transaction that makes the move.
    pub(super) fn audit_write(
        &self,
        entry: &AuditEntry,
        operation: &'static str,
    ) -> StoreResult<TransactWriteItem> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(self.audit_entry_item(entry)))
                .build(),
            operation,
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append_all(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        let items = entries
            .iter()
            .map(|entry| self.audit_entry_item(entry))
            .collect();
        self.batch_put(items, "append_audit").await
    }

    async fn trail(&self, tenant: &str, session_id: &SessionId) -> StoreResult<Vec<AuditEntry>> {
        let items = self
            .query_all(audit_pk(tenant, session_id), None, "audit_trail")
            .await?;
        items
            .iter()
            .map(|item| read_entry(item, tenant, session_id))
            .collect()
    }

    /// A key range of the session's partition, filtered to the job's
    /// entries (only the session's two entries before the job are left
    /// out), read on until one more than the page is found.
    async fn job_trail(
        &self,
        tenant: &str,
        session_id: &SessionId,
        job_id: &JobId,
        after: Option<&TrailPosition>,
        limit: usize,
    ) -> StoreResult<TrailPage> {
        const OP: &str = "job_trail";
        let after = after.map(audit_sk);
        let mut start = None;
        let mut entries = Vec::new();
        loop {
            let wanted = limit.saturating_sub(entries.len()).saturating_add(1);
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .filter_expression("job_id = :job")
                .expression_attribute_values(":pk", s(audit_pk(tenant, session_id)))
                .expression_attribute_values(":job", s(job_id.as_str()))
                .consistent_read(true)
                .set_limit(i32::try_from(wanted).ok())
                .set_exclusive_start_key(start.take());
            query = match &after {
                Some(after) => query
                    .key_condition_expression("pk = :pk AND sk > :after")
                    .expression_attribute_values(":after", s(after)),
                None => query.key_condition_expression("pk = :pk"),
            };
            let output = query.send().await.map_err(|e| store_error(OP, e))?;
            for item in output.items() {
                entries.push((
                    trail_position(req_s(item, "sk")?)?,
                    read_entry(item, tenant, session_id)?,
                ));
            }
            if entries.len() > limit {
                entries.truncate(limit);
                return Ok(TrailPage {
                    entries,
                    more: true,
                });
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => {
                    return Ok(TrailPage {
                        entries,
                        more: false,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_sorts_by_its_time_and_its_key_names_its_position() {
        // Arrange
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:20:30.123456Z")
            .expect("time")
            .with_timezone(&Utc);
        let entry = AuditEntry {
            at,
            tenant: "acme".into(),
            session_id: SessionId::generate(),
            job_id: Some(JobId::generate()),
            file_id: None,
            event: "webhook.attempt".into(),
            attempt: Some(2),
            detail: Some("the receiver answered 200; delivered".into()),
        };

        // Act
        let item = audit_item(&entry);
        let sk = req_s(&item, "sk").expect("sort key");
        let position = trail_position(sk).expect("position");

        // Assert
        assert!(sk.starts_with("2026-03-01T10:20:30.123456Z#"), "{sk}");
        assert_eq!(position.at, at);
        assert_eq!(audit_sk(&position), sk);
        assert_eq!(
            read_entry(&item, "acme", &entry.session_id).expect("read back"),
            entry
        );
        assert!(trail_position("2026-03-01T10:20:30Z").is_err());
    }
}
