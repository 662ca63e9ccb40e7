//! Deleting a job's items. The job item becomes a tombstone (`deleted_at`,
//! out of the jobs index) in the same transaction that deletes its session
//! item, conditional on `job::DELETE`'s start states: from that write on
//! the job and its session answer 404 and the job is not listed, so it is
//! never half visible. The rest — the session's file items, the audit
//! trail, the job's counters, webhook event and attempts — goes with
//! grouped deletes, and the tombstone last (`forget_job`), so that a
//! repeated DELETE finds it and finishes the work.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use chrono::Utc;
use futures::try_join;
use intake_domain::ids::{JobId, SessionId};
use intake_domain::model::JobStatus;
use intake_domain::ports::{HideJob, JobRemoval, StoreResult};
use intake_domain::transitions::job;
use intake_domain::StoreError;

use super::conditions::{Condition, Conditional};
use super::job_list::{JOBS_PK, JOBS_SK};
use super::jobs::DELETED_AT;
use super::{
    audit_pk, built, is_conditional_failure, job_pk, session_pk, store_error, DynamoStore,
    Transaction, JOB_SK, SESSION_SK,
};
use crate::item::{get_s, parse, req_s, time};

/// A job that changes under a deletion (re-opened, decided again) is read
/// again this many times.
const HIDE_ATTEMPTS: u32 = 3;

impl DynamoStore {
    /// The tombstone and the session item's deletion, in one transaction.
    async fn tombstone(
        &self,
        tenant: &str,
        job_id: &JobId,
        session_id: &SessionId,
    ) -> StoreResult<Transaction> {
        const OP: &str = "hide_job";
        let tombstone = built(
            self.update(
                Self::key(job_pk(tenant, job_id), JOB_SK),
                &format!("SET {DELETED_AT} = :now REMOVE {JOBS_PK}, {JOBS_SK}"),
            )
            .only_if(
                Condition::from("status", &job::DELETE, JobStatus::as_str)
                    .and(&format!("attribute_not_exists({DELETED_AT})")),
            )
            .expression_attribute_values(":now", time(&Utc::now()))
            .build(),
            OP,
        )?;
        let session = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(Self::key(session_pk(tenant, session_id), SESSION_SK)))
                .build(),
            OP,
        )?;
        self.transact(
            vec![
                TransactWriteItem::builder().update(tombstone).build(),
                TransactWriteItem::builder().delete(session).build(),
            ],
            OP,
        )
        .await
    }
}

#[async_trait]
impl JobRemoval for DynamoStore {
    async fn hide_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<HideJob> {
        const OP: &str = "hide_job";
        for _ in 0..HIDE_ATTEMPTS {
            let Some(item) = self.get(job_pk(tenant, job_id), JOB_SK, OP).await? else {
                return Ok(HideJob::NotFound);
            };
            let session_id = parse(req_s(&item, "session_id")?, "session_id", SessionId::parse)?;
            if item.contains_key(DELETED_AT) {
                return Ok(HideJob::Hidden { session_id });
            }
            let status = parse(req_s(&item, "status")?, "status", JobStatus::parse)?;
            if !job::DELETE.from.contains(&status) {
                return Ok(HideJob::NotFinished);
            }
            if let Transaction::Committed = self.tombstone(tenant, job_id, &session_id).await? {
                return Ok(HideJob::Hidden { session_id });
            }
            // Changed since it was read: read it again.
        }
        Err(StoreError::new(
            OP,
            "the job kept changing during its deletion",
        ))
    }

    async fn remove_job_items(
        &self,
        tenant: &str,
        job_id: &JobId,
        session_id: &SessionId,
    ) -> StoreResult<()> {
        const OP: &str = "remove_job";
        let (files, trail, job_items) = try_join!(
            self.partition_keys(session_pk(tenant, session_id), OP),
            self.partition_keys(audit_pk(tenant, session_id), OP),
            self.partition_keys(job_pk(tenant, job_id), OP),
        )?;
        let keys = files
            .into_iter()
            .chain(trail)
            .chain(
                job_items
                    .into_iter()
                    .filter(|key| get_s(key, "sk") != Some(JOB_SK)),
            )
            .collect();
        self.batch_delete(keys, OP).await
    }

    async fn forget_job(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, job_id), JOB_SK)))
            .condition_expression(format!("attribute_exists({DELETED_AT})"))
            .send()
            .await;
        match deleted {
            // Gone already: an earlier deletion got this far.
            Err(error) if is_conditional_failure(&error) => Ok(()),
            Err(error) => Err(store_error("forget_job", error)),
            Ok(_) => Ok(()),
        }
    }
}
