//! Bulk replays on the fake world, with the DynamoDB adapter's condition
//! (only a running task completes).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::FakeWorld;
use crate::ids::ReplayId;
use crate::ports::{ReplayStore, StoreResult};
use crate::replays::{ReplayStatus, ReplayTask};
use crate::transitions::replay;

#[async_trait]
impl ReplayStore for FakeWorld {
    async fn create_replay(&self, task: &ReplayTask) -> StoreResult<()> {
        self.lock().replays.insert(task.id.clone(), task.clone());
        Ok(())
    }

    async fn load_replay(&self, id: &ReplayId) -> StoreResult<Option<ReplayTask>> {
        Ok(self.lock().replays.get(id).cloned())
    }

    async fn record_replay_round(
        &self,
        id: &ReplayId,
        moved: u64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        if let Some(task) = self.lock().replays.get_mut(id) {
            task.moved += moved;
            task.updated_at = at;
        }
        Ok(())
    }

    async fn complete_replay(&self, id: &ReplayId, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut data = self.lock();
        let Some(task) = data
            .replays
            .get_mut(id)
            .filter(|task| replay::COMPLETE.from.contains(&task.status))
        else {
            return Ok(false);
        };
        task.status = ReplayStatus::Completed;
        task.updated_at = at;
        task.completed_at = Some(at);
        Ok(true)
    }
}
