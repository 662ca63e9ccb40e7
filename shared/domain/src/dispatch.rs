//! The dispatcher: sends a job's work messages after the submit request
//! answered, as a pump that keeps at most `Settings::dispatch_window` of the
//! job's files in flight (sent and not yet finished). Each run tops the
//! window up for a short while, then hands over to a new dispatch message,
//! so it never holds an express worker for long. Resumable: the job records
//! the last file sent, so a dispatcher that dies is followed by one (its
//! message's redelivery) that sends the rest.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::error::StoreError;
use crate::model::{DispatchMessage, DispatchState, Job, WorkMessage};
use crate::ports::{AuditEntry, FilePage};
use crate::service::Intake;

/// How long one run tops the window up before it hands over.
const PUMP_BUDGET: Duration = Duration::from_millis(500);
/// The smallest top-up worth a round: one SQS batch.
const TOP_UP_STEP: usize = 10;
/// The wait between two looks at a full window.
const PUMP_INTERVAL: Duration = Duration::from_millis(100);

impl Intake {
    pub(crate) async fn dispatch_job(&self, message: &DispatchMessage) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut progressed = false;
        loop {
            let Some(job) = self
                .ports
                .jobs
                .load_job(&message.tenant, &message.job_id)
                .await?
            else {
                return Err(StoreError::new(
                    "dispatch",
                    "the job of a dispatch message does not exist",
                ));
            };
            if job.dispatch == DispatchState::Sent {
                return Ok(());
            }
            match self.top_up(&job).await {
                Ok(TopUp::Complete) => return Ok(()),
                Ok(TopUp::Sent) => progressed = true,
                Ok(TopUp::Waiting) => {}
                // What was sent is recorded: a new message resumes from
                // there, so a failure after progress does not bring this
                // message closer to the dead-letter queue.
                Err(error) if progressed => {
                    warn!(tenant = %job.tenant, job_id = %job.id, %error, "dispatch round failed; a new message resumes it");
                    return self.ports.queue.enqueue_dispatch(message).await;
                }
                Err(error) => return Err(error),
            }
            if started.elapsed() > PUMP_BUDGET {
                return self.ports.queue.enqueue_dispatch(message).await;
            }
            tokio::time::sleep(PUMP_INTERVAL).await;
        }
    }

    /// Sends the next files that fit in the job's window.
    pub(crate) async fn top_up(&self, job: &Job) -> Result<TopUp, StoreError> {
        let total = job.progress.total as usize;
        let sent = job.dispatch_sent as usize;
        let in_flight = sent.saturating_sub(job.progress.done() as usize);
        let room = self
            .settings
            .dispatch_window
            .saturating_sub(in_flight)
            .min(total.saturating_sub(sent));
        // Top up by whole batches (or the whole window, if smaller), or
        // whatever is left.
        let step = TOP_UP_STEP.min(self.settings.dispatch_window);
        if room == 0 || (room < step && sent + room < total) {
            return Ok(TopUp::Waiting);
        }
        let FilePage { files, more } = self
            .ports
            .sessions
            .load_file_page(
                &job.tenant,
                &job.session_id,
                job.dispatch_cursor.as_ref(),
                room,
            )
            .await?;
        let lane = job.lane(self.settings.express_max_files);
        let messages: Vec<WorkMessage> = files
            .iter()
            .map(|file| WorkMessage::for_file(job, file))
            .collect();
        self.ports.queue.enqueue(&messages, lane).await?;
        let sent = sent + files.len();
        let state = if more {
            DispatchState::Enqueued
        } else {
            DispatchState::Sent
        };
        let cursor = files.last().map(|file| (&file.id, sent as u32));
        let dispatched = (!more).then(|| {
            AuditEntry::of_job(job, "job.dispatched", Some(format!("{sent} work messages")))
        });
        self.ports
            .jobs
            .record_dispatch(&job.tenant, &job.id, state, cursor, dispatched.as_ref())
            .await?;
        if more {
            return Ok(TopUp::Sent);
        }
        info!(tenant = %job.tenant, job_id = %job.id, files = total, ?lane, "job dispatched");
        Ok(TopUp::Complete)
    }
}

/// What one top-up of a job's window did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TopUp {
    /// Every work message of the job was sent.
    Complete,
    /// Some were sent; more follow as files finish.
    Sent,
    /// The window is full.
    Waiting,
}
