//! The jobs list without a scan: a global secondary index (`jobs`) over
//! the job items. Its partition is the tenant and the job's stored status
//! (`jobs_pk = T#<tenant>#<status>`), its sort key the job's creation time
//! and id (`jobs_sk = <created_at>#<job id>`), so a page of one status is
//! one descending `Query`, and a page of every status merges the four
//! status partitions (`Queued` and the three terminal ones), each read
//! newest first from the same position. A decision moves the job from the
//! `queued` partition to its terminal one; a deletion's tombstone takes it
//! out of the index. The index projects what the status object shows, and
//! a decided job carries its final counts, so a terminal job is listed
//! from the index alone; a job still open is read with its counters.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::try_join_all;
use futures::{stream, StreamExt, TryStreamExt};
use intake_domain::ids::{JobId, SessionId};
use intake_domain::model::{JobStatus, JobSummary, Progress};
use intake_domain::paging::JobPosition;
use intake_domain::ports::{JobCatalog, JobPage, JobStore, StoreResult};

use super::{store_error, DynamoStore};
use crate::item::{get_n, get_time, parse, req_n, req_s, req_time, s, Item};

/// The index's name, its partition and sort key attributes.
pub(crate) const JOBS_INDEX: &str = "jobs";
pub(crate) const JOBS_PK: &str = "jobs_pk";
pub(crate) const JOBS_SK: &str = "jobs_sk";
/// A decided job's final counts (the counters' sums when it was decided).
pub(super) const SUCCEEDED_COUNT: &str = "succeeded_count";
pub(super) const FAILED_COUNT: &str = "failed_count";
pub(super) const CACHED_COUNT: &str = "cached_count";
/// What the index projects besides its keys: the status object's members.
pub(crate) const JOBS_INDEX_ATTRIBUTES: [&str; 10] = [
    "job_id",
    "session_id",
    "status",
    "created_at",
    "updated_at",
    "completed_at",
    "total",
    SUCCEEDED_COUNT,
    FAILED_COUNT,
    CACHED_COUNT,
];
/// Jobs still open read with their counters at once.
const READ_CONCURRENCY: usize = 16;

/// The index partition of `tenant`'s jobs in `status`.
pub(super) fn jobs_pk(tenant: &str, status: JobStatus) -> String {
    format!("T#{tenant}#{}", status.as_str())
}

/// The index sort key of a job: newest last, so read descending.
pub(super) fn jobs_sk(created_at: &DateTime<Utc>, job_id: &JobId) -> String {
    format!(
        "{}#{job_id}",
        created_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// A terminal job's summary from its index item.
fn read_decided(item: &Item, status: JobStatus) -> StoreResult<JobSummary> {
    Ok(JobSummary {
        id: parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
        session_id: parse(req_s(item, "session_id")?, "session_id", SessionId::parse)?,
        status,
        created_at: req_time(item, "created_at")?,
        updated_at: req_time(item, "updated_at")?,
        completed_at: get_time(item, "completed_at")?,
        progress: Progress {
            total: req_n(item, "total")?,
            processing: 0,
            succeeded: req_n(item, SUCCEEDED_COUNT)?,
            failed: req_n(item, FAILED_COUNT)?,
            // Absent on jobs decided before the cache counted.
            cached: get_n(item, CACHED_COUNT)?.unwrap_or(0),
        },
    })
}

impl DynamoStore {
    /// Up to `limit` index items of one status partition, newest first,
    /// created before `before`.
    async fn newest_jobs(
        &self,
        tenant: &str,
        status: JobStatus,
        before: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Item>> {
        const OP: &str = "list_jobs";
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(JOBS_INDEX)
                .expression_attribute_names("#pk", JOBS_PK)
                .expression_attribute_values(":pk", s(jobs_pk(tenant, status)))
                .scan_index_forward(false)
                .set_limit(i32::try_from(limit - items.len()).ok())
                .set_exclusive_start_key(start.take());
            query = match before {
                Some(before) => query
                    .key_condition_expression("#pk = :pk AND #sk < :before")
                    .expression_attribute_names("#sk", JOBS_SK)
                    .expression_attribute_values(":before", s(before)),
                None => query.key_condition_expression("#pk = :pk"),
            };
            let output = query.send().await.map_err(|e| store_error(OP, e))?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() && items.len() < limit => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// The summary of a listed job: from the index for a decided one,
    /// from the table (job and counters) for one still open; `None` for a
    /// job deleted since the index was read.
    async fn listed_job(&self, tenant: &str, item: Item) -> StoreResult<Option<JobSummary>> {
        let status = parse(req_s(&item, "status")?, "status", JobStatus::parse)?;
        if status.is_terminal() {
            return read_decided(&item, status).map(Some);
        }
        let id = parse(req_s(&item, "job_id")?, "job_id", JobId::parse)?;
        Ok(self.load_job(tenant, &id).await?.map(|job| job.summary()))
    }
}

#[async_trait]
impl JobCatalog for DynamoStore {
    async fn list_jobs(
        &self,
        tenant: &str,
        statuses: &[JobStatus],
        before: Option<&JobPosition>,
        limit: usize,
    ) -> StoreResult<JobPage> {
        let before = before.map(|position| jobs_sk(&position.created_at, &position.job_id));
        // One more than the page tells whether another follows.
        let wanted = limit.saturating_add(1);
        let partitions = try_join_all(
            statuses
                .iter()
                .map(|status| self.newest_jobs(tenant, *status, before.as_deref(), wanted)),
        )
        .await?;
        let mut items: Vec<(String, Item)> = partitions
            .into_iter()
            .flatten()
            .map(|item| Ok((req_s(&item, JOBS_SK)?.to_owned(), item)))
            .collect::<StoreResult<_>>()?;
        items.sort_by(|(a, _), (b, _)| b.cmp(a));
        items.truncate(wanted);
        let more = items.len() > limit;
        items.truncate(limit);
        let jobs: Vec<Option<JobSummary>> = stream::iter(items)
            .map(|(_, item)| self.listed_job(tenant, item))
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(JobPage {
            jobs: jobs.into_iter().flatten().collect(),
            more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_jobs_sort_after_older_ones_and_ties_by_id() {
        let earlier = DateTime::parse_from_rfc3339("2026-03-01T10:20:30.000001Z")
            .expect("time")
            .with_timezone(&Utc);
        let later = earlier + chrono::Duration::microseconds(1);
        let (first, second) = (JobId::generate(), JobId::generate());
        let (a, b) = if first < second {
            (first, second)
        } else {
            (second, first)
        };

        assert!(jobs_sk(&earlier, &b) < jobs_sk(&later, &a));
        assert!(jobs_sk(&later, &a) < jobs_sk(&later, &b));
        assert_eq!(
            jobs_pk("acme", JobStatus::PartiallyFailed),
            "T#acme#partially_failed"
        );
    }
}
