//! The reconciler's index on the fake world: what the DynamoDB adapter's
//! sparse `open` index holds, read from the rows themselves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::FakeWorld;
use crate::ids::JobId;
use crate::ports::{OpenWork, StoreResult};
use crate::webhooks::EventState;

#[async_trait]
impl OpenWork for FakeWorld {
    async fn open_jobs(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>> {
        let data = self.lock();
        let mut open: Vec<_> = data
            .jobs
            .values()
            .filter(|row| !row.job.status.is_terminal() && row.job.created_at < before)
            .map(|row| {
                (
                    row.job.created_at,
                    row.job.tenant.clone(),
                    row.job.id.clone(),
                )
            })
            .collect();
        open.sort();
        Ok(open
            .into_iter()
            .take(limit)
            .map(|(_, tenant, id)| (tenant, id))
            .collect())
    }

    async fn pending_events(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<(String, JobId)>> {
        let data = self.lock();
        let mut pending: Vec<_> = data
            .events
            .values()
            .map(|row| &row.event)
            .filter(|event| event.state == EventState::Pending && event.created_at < before)
            .map(|event| (event.created_at, event.tenant.clone(), event.job_id.clone()))
            .collect();
        pending.sort();
        Ok(pending
            .into_iter()
            .take(limit)
            .map(|(_, tenant, id)| (tenant, id))
            .collect())
    }
}
