//! Bulk replays of a dead-letter queue: one item per task
//! (`OPS#R#<replay id>`, `REPLAY`), kept as long as SQS keeps a dead letter
//! (14 days). Each round adds to `moved`; the round that finds the queue
//! empty completes a running task (`transitions::replay`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use intake_domain::ids::ReplayId;
use intake_domain::operations::DeadLetterSource;
use intake_domain::ports::{ReplayStore, StoreResult};
use intake_domain::replays::{ReplayStatus, ReplayTask};
use intake_domain::transitions::replay;

use super::conditions::{Condition, Conditional};
use super::{expires_at, is_conditional_failure, store_error, DynamoStore, TTL};
use crate::item::{get_time, n, parse, req_n, req_s, req_time, s, time, Item};

const REPLAY_SK: &str = "REPLAY";
/// SQS's longest message retention, that of both dead-letter queues.
const KEPT: Duration = Duration::from_secs(14 * 24 * 60 * 60);

fn replay_pk(id: &ReplayId) -> String {
    format!("OPS#R#{id}")
}

fn read_replay(item: &Item) -> StoreResult<ReplayTask> {
    Ok(ReplayTask {
        id: parse(req_s(item, "replay_id")?, "replay_id", ReplayId::parse)?,
        queue: parse(req_s(item, "queue")?, "queue", |raw| {
            DeadLetterSource::parse(Some(raw)).ok()
        })?,
        status: parse(req_s(item, "status")?, "status", ReplayStatus::parse)?,
        moved: req_n(item, "moved")?,
        created_at: req_time(item, "created_at")?,
        updated_at: req_time(item, "updated_at")?,
        completed_at: get_time(item, "completed_at")?,
    })
}

#[async_trait]
impl ReplayStore for DynamoStore {
    async fn create_replay(&self, task: &ReplayTask) -> StoreResult<()> {
        let mut item = Self::key(replay_pk(&task.id), REPLAY_SK);
        item.insert(TTL.into(), n(expires_at(&task.created_at, KEPT)));
        item.insert("replay_id".into(), s(task.id.as_str()));
        item.insert("queue".into(), s(task.queue.as_str()));
        item.insert("status".into(), s(task.status.as_str()));
        item.insert("moved".into(), n(task.moved));
        item.insert("created_at".into(), time(&task.created_at));
        item.insert("updated_at".into(), time(&task.updated_at));
        self.put(item, "create_replay").await
    }

    async fn load_replay(&self, id: &ReplayId) -> StoreResult<Option<ReplayTask>> {
        self.get(replay_pk(id), REPLAY_SK, "load_replay")
            .await?
            .map(|item| read_replay(&item))
            .transpose()
    }

    async fn record_replay_round(
        &self,
        id: &ReplayId,
        moved: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(replay_pk(id), REPLAY_SK)))
            .update_expression("ADD moved :moved SET updated_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":moved", n(moved))
            .expression_attribute_values(":at", time(&at))
            .send()
            .await
            .map_err(|e| store_error("record_replay_round", e))?;
        Ok(())
    }

    async fn complete_replay(&self, id: &ReplayId, at: DateTime<Utc>) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(replay_pk(id), REPLAY_SK)))
            .update_expression("SET #status = :completed, completed_at = :at, updated_at = :at")
            .only_if(Condition::from(
                "status",
                &replay::COMPLETE,
                ReplayStatus::as_str,
            ))
            .expression_attribute_values(":completed", s(ReplayStatus::Completed.as_str()))
            .expression_attribute_values(":at", time(&at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_conditional_failure(&error) => Ok(false),
            Err(error) => Err(store_error("complete_replay", error)),
        }
    }
}
