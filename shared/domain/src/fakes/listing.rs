//! The audit log, the jobs list and job deletion on the fake world: what
//! the DynamoDB adapter reads from the audit partitions and the `jobs`
//! index, and the tombstone it writes, from the rows themselves.

use async_trait::async_trait;

use super::FakeWorld;
use crate::ids::{JobId, SessionId};
use crate::model::JobStatus;
use crate::paging::{JobPosition, TrailPosition};
use crate::ports::{
    AuditEntry, AuditLog, HideJob, JobCatalog, JobPage, JobRemoval, StoreResult, TrailPage,
};
use crate::transitions::job;

#[async_trait]
impl AuditLog for FakeWorld {
    async fn append_all(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        let mut data = self.lock();
        for entry in entries {
            data.log(entry);
        }
        Ok(())
    }

    async fn trail(&self, tenant: &str, session_id: &SessionId) -> StoreResult<Vec<AuditEntry>> {
        let mut trail: Vec<(TrailPosition, AuditEntry)> = self
            .lock()
            .audit
            .iter()
            .filter(|(_, e)| e.tenant == tenant && e.session_id == *session_id)
            .cloned()
            .collect();
        trail.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(trail.into_iter().map(|(_, entry)| entry).collect())
    }

    async fn job_trail(
        &self,
        tenant: &str,
        session_id: &SessionId,
        job_id: &JobId,
        after: Option<&TrailPosition>,
        limit: usize,
    ) -> StoreResult<TrailPage> {
        let mut entries: Vec<(TrailPosition, AuditEntry)> = self
            .lock()
            .audit
            .iter()
            .filter(|(position, e)| {
                e.tenant == tenant
                    && e.session_id == *session_id
                    && e.job_id.as_ref() == Some(job_id)
                    && after.is_none_or(|after| position > after)
            })
            .cloned()
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let more = entries.len() > limit;
        entries.truncate(limit);
        Ok(TrailPage { entries, more })
    }
}

#[async_trait]
impl JobCatalog for FakeWorld {
    /// Newest first over every status asked for, as the adapter merges
    /// the index's status partitions.
    async fn list_jobs(
        &self,
        tenant: &str,
        statuses: &[JobStatus],
        before: Option<&JobPosition>,
        limit: usize,
    ) -> StoreResult<JobPage> {
        let data = self.lock();
        let mut jobs: Vec<_> = data
            .jobs
            .iter()
            .filter(|((owner, _), row)| {
                owner == tenant && !row.hidden && statuses.contains(&row.job.status)
            })
            .filter_map(|((owner, id), _)| data.read_job(owner, id))
            .map(|job| job.summary())
            .filter(|job| before.is_none_or(|before| job.position() < *before))
            .collect();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.position()));
        let more = jobs.len() > limit;
        jobs.truncate(limit);
        Ok(JobPage { jobs, more })
    }
}

#[async_trait]
impl JobRemoval for FakeWorld {
    /// The tombstone only from `job::DELETE`'s start states; the session
    /// (with its files, which nothing reads once it is gone) goes with it.
    async fn hide_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<HideJob> {
        let mut data = self.lock();
        let Some(row) = data.jobs.get_mut(&(tenant.to_owned(), job_id.clone())) else {
            return Ok(HideJob::NotFound);
        };
        let session_id = row.job.session_id.clone();
        if !row.hidden {
            if !job::DELETE.from.contains(&row.job.status) {
                return Ok(HideJob::NotFinished);
            }
            row.hidden = true;
            data.sessions
                .remove(&(tenant.to_owned(), session_id.clone()));
        }
        Ok(HideJob::Hidden { session_id })
    }

    async fn remove_job_items(
        &self,
        tenant: &str,
        job_id: &JobId,
        session_id: &SessionId,
    ) -> StoreResult<()> {
        let mut data = self.lock();
        let key = (tenant.to_owned(), job_id.clone());
        data.sessions
            .remove(&(tenant.to_owned(), session_id.clone()));
        data.audit
            .retain(|(_, e)| !(e.tenant == tenant && e.session_id == *session_id));
        data.counters.remove(&key);
        data.events.remove(&key);
        Ok(())
    }

    /// Only a tombstone, as the adapter's condition.
    async fn forget_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        let mut data = self.lock();
        let key = (tenant.to_owned(), job_id.clone());
        if data.jobs.get(&key).is_some_and(|row| row.hidden) {
            data.jobs.remove(&key);
        }
        Ok(())
    }
}
