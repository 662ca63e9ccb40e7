//! The reconciler's index: a sparse global secondary index (`open`) over
//! the items still to finish. A job item carries `open = JOB` from its
//! creation (or re-opening) until its decision; a webhook event item
//! carries `open = EVENT` while it is pending. `open_since` sorts them by
//! when they became open, so a run reads the oldest first, without a scan.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use intake_domain::ids::JobId;
use intake_domain::ports::{OpenWork, StoreResult};

use super::{store_error, DynamoStore};
use crate::item::{parse, req_s, s, time, Item};

/// The index's name, its partition and sort key attributes.
pub(crate) const OPEN_INDEX: &str = "open";
pub(crate) const OPEN: &str = "open";
pub(crate) const OPEN_SINCE: &str = "open_since";
/// The index's two partitions.
pub(super) const OPEN_JOB: &str = "JOB";
pub(super) const OPEN_EVENT: &str = "EVENT";

/// Marks `item` open in the index's `kind` partition since `since`.
pub(super) fn mark_open(item: &mut Item, kind: &str, since: &DateTime<Utc>) {
    item.insert(OPEN.into(), s(kind));
    item.insert(OPEN_SINCE.into(), time(since));
}

impl DynamoStore {
    async fn open_items(
        &self,
        kind: &str,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>> {
        const OP: &str = "open_work";
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OPEN_INDEX)
            .key_condition_expression("#open = :kind AND #since < :before")
            .expression_attribute_names("#open", OPEN)
            .expression_attribute_names("#since", OPEN_SINCE)
            .expression_attribute_values(":kind", s(kind))
            .expression_attribute_values(":before", time(&before))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| store_error(OP, e))?;
        output
            .items()
            .iter()
            .map(|item| {
                Ok((
                    req_s(item, "tenant")?.to_owned(),
                    parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
                ))
            })
            .collect()
    }
}

#[async_trait]
impl OpenWork for DynamoStore {
    async fn open_jobs(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>> {
        self.open_items(OPEN_JOB, before, limit).await
    }

    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>> {
        self.open_items(OPEN_EVENT, before, limit).await
    }
}
