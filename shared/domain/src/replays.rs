//! Bulk replay of a dead-letter queue (`POST /admin/dead-letters/replays`):
//! however many dead letters there are, the request only records a task
//! and sends its message; the worker of the work queues then drains the
//! queue in rounds until a round finds it empty. A message runs rounds for a
//! couple of seconds, then sends its successor, like the dispatcher: no
//! invocation or API request runs long, an express worker is soon free for
//! the small jobs beside it, and a run ends well within its message's
//! visibility timeout (were it to outlast it, the message would be delivered
//! again while it runs, each time closer to the dead-letter queue). `POST /admin/dead-letters/replay` stays the
//! way to replay a chosen few, in the request.
//!
//! Why not SQS's `StartMessageMoveTask`: it moves bodies unchanged, and a
//! work queue's dead letters must go back marked `reopen`; for the webhook
//! queue's alone it would fit, but then the two queues would replay by two
//! mechanisms, one of which no emulator here implements (moto has no move
//! tasks). One mechanism, tested end to end, serves both.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::error::{AppError, StoreError};
use crate::ids::ReplayId;
use crate::operations::DeadLetterSource;
use crate::service::Intake;
use crate::views::{ReplayTaskView, StartReplayRequest};

/// Dead letters moved per round, between two records of the task's count:
/// one SQS batch (a receive, a batch send, a batch delete), so that a round
/// is short even when SQS is slow, and a delivery cut off by its function's
/// timeout loses the count of one batch at most.
const ROUND: usize = 10;
/// How long one message starts rounds before it hands over to its
/// successor.
const RUN_BUDGET: Duration = Duration::from_secs(2);
/// A round is started only while this much of the function's time is left:
/// its three SQS calls and one DynamoDB write, with room for slow ones.
const ROUND_TIME: Duration = Duration::from_secs(8);

/// A bulk replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayTask {
    pub id: ReplayId,
    pub queue: DeadLetterSource,
    pub status: ReplayStatus,
    /// Dead letters sent back so far (a round cut short by a crash may have
    /// moved messages it did not count).
    pub moved: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A bulk replay's state (`transitions::replay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayStatus {
    Running,
    Completed,
}

impl ReplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayStatus::Running => "running",
            ReplayStatus::Completed => "completed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "running" => Some(ReplayStatus::Running),
            "completed" => Some(ReplayStatus::Completed),
            _ => None,
        }
    }
}

/// The message that runs a bulk replay (on the express queue, beside the
/// jobs' dispatch messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayMessage {
    pub v: u8,
    /// Always `"replay"`.
    #[serde(rename = "type")]
    pub kind: ReplayKind,
    pub replay_id: ReplayId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayKind {
    Replay,
}

impl ReplayMessage {
    pub const VERSION: u8 = 1;

    pub fn new(replay_id: &ReplayId) -> Self {
        Self {
            v: Self::VERSION,
            kind: ReplayKind::Replay,
            replay_id: replay_id.clone(),
        }
    }
}

impl Intake {
    /// Records a bulk replay of `queue` and sends its first message.
    pub async fn start_replay(
        &self,
        request: StartReplayRequest,
    ) -> Result<ReplayTaskView, AppError> {
        let queue = DeadLetterSource::parse(request.queue.as_deref())?;
        let now = Utc::now();
        let task = ReplayTask {
            id: ReplayId::generate(),
            queue,
            status: ReplayStatus::Running,
            moved: 0,
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        self.ports.replays.create_replay(&task).await?;
        self.ports
            .queue
            .enqueue_replay(&ReplayMessage::new(&task.id))
            .await?;
        info!(replay_id = %task.id, queue = queue.as_str(), "bulk replay started");
        Ok(ReplayTaskView::from(task))
    }

    /// A bulk replay as it stands.
    pub async fn replay_status(&self, id: &str) -> Result<ReplayTaskView, AppError> {
        let id = ReplayId::parse(id).ok_or(AppError::ReplayNotFound)?;
        let task = self
            .ports
            .replays
            .load_replay(&id)
            .await?
            .ok_or(AppError::ReplayNotFound)?;
        Ok(ReplayTaskView::from(task))
    }

    /// One message's share of a bulk replay: rounds of up to `ROUND` dead
    /// letters until one finds the queue empty (the task completes), or
    /// until `RUN_BUDGET` is spent or `deadline` is near (then it sends the
    /// successor message). An error before any round counted leaves this
    /// message to be delivered again; after one, the successor takes over,
    /// so that progress never brings the task's message closer to the
    /// dead-letter queue, and the task never goes without a message. Two
    /// deliveries of one task (a successor sent by a delivery that then
    /// failed, or a message delivered again while it ran) drain the same
    /// queue side by side, which is harmless: each dead letter is held by
    /// one receive at a time, and both count theirs.
    pub(crate) async fn continue_replay(
        &self,
        message: &ReplayMessage,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let Some(task) = self.ports.replays.load_replay(&message.replay_id).await? else {
            warn!(replay_id = %message.replay_id, "no such bulk replay; message dropped");
            return Ok(());
        };
        if task.status != ReplayStatus::Running {
            return Ok(());
        }
        let started = Instant::now();
        let mut progressed = false;
        loop {
            if started.elapsed() > RUN_BUDGET
                || deadline.saturating_duration_since(Instant::now()) < ROUND_TIME
            {
                return self.ports.queue.enqueue_replay(message).await;
            }
            let moved = match self.replay_round(&task).await {
                Ok(moved) => moved,
                Err(error) if progressed => {
                    warn!(replay_id = %task.id, %error, "bulk replay round failed; a new message resumes it");
                    return self.ports.queue.enqueue_replay(message).await;
                }
                Err(error) => return Err(error),
            };
            progressed = true;
            let replays = &self.ports.replays;
            // Fewer than asked: a long-polled receive found the queue empty.
            // Until then this delivery goes on even if another one found it
            // empty first (and completed the task) while this one held the
            // rest of the letters.
            if moved < ROUND {
                if replays.complete_replay(&task.id, Utc::now()).await? {
                    info!(replay_id = %task.id, queue = task.queue.as_str(), "bulk replay completed");
                }
                return Ok(());
            }
        }
    }

    /// Moves up to `ROUND` dead letters back and counts them on the task;
    /// the number moved.
    async fn replay_round(&self, task: &ReplayTask) -> Result<usize, StoreError> {
        let moved = self
            .dead_letter_queue(task.queue)
            .redrive(None, ROUND, task.queue.replayed_body())
            .await?;
        debug!(replay_id = %task.id, moved = moved.len(), "bulk replay round");
        self.ports
            .replays
            .record_replay_round(&task.id, moved.len() as u64, Utc::now())
            .await?;
        Ok(moved.len())
    }
}
