//! The dispatcher: sends a job's work messages after the submit request
//! answered. Resumable: the job records the last file sent, so a dispatcher
//! that dies is followed by one (its message's redelivery) that sends the
//! rest; a run that nears its time budget hands over to a new message.

use std::time::{Duration, Instant};

use tracing::info;

use crate::error::StoreError;
use crate::model::{DispatchMessage, DispatchState, FileRecord, Job, Lane, WorkMessage};
use crate::ports::AuditEntry;
use crate::service::Intake;

/// Work messages sent between two records of progress.
const DISPATCH_CHUNK: usize = 500;
/// A dispatcher past this hands the rest to a new dispatch message, well
/// before the function's timeout.
const DISPATCH_BUDGET: Duration = Duration::from_secs(10);

impl Intake {
    pub(crate) async fn dispatch_job(&self, message: &DispatchMessage) -> Result<(), StoreError> {
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
        let (_, files) = self
            .ports
            .sessions
            .load_session(&job.tenant, &job.session_id)
            .await?
            .ok_or_else(|| StoreError::new("dispatch", "the session of a job does not exist"))?;
        let lane = if files.len() <= self.settings.express_max_files {
            Lane::Express
        } else {
            Lane::Bulk
        };
        let pending: Vec<&FileRecord> = files
            .iter()
            .filter(|file| {
                job.dispatch_cursor
                    .as_ref()
                    .is_none_or(|cursor| file.id > *cursor)
            })
            .collect();
        let started = Instant::now();
        let mut sent = 0;
        for chunk in pending.chunks(DISPATCH_CHUNK) {
            let messages: Vec<WorkMessage> =
                chunk.iter().map(|file| work_message(&job, file)).collect();
            self.ports.queue.enqueue(&messages, lane).await?;
            sent += messages.len();
            let cursor = chunk.last().map(|file| &file.id);
            if sent == pending.len() {
                break;
            }
            self.ports
                .jobs
                .record_dispatch(&job.tenant, &job.id, DispatchState::Enqueued, cursor)
                .await?;
            if started.elapsed() > DISPATCH_BUDGET {
                info!(tenant = %job.tenant, job_id = %job.id, sent, "dispatch continues in a new message");
                return self.ports.queue.enqueue_dispatch(message).await;
            }
        }
        let last = files.last().map(|file| &file.id);
        self.ports
            .jobs
            .record_dispatch(&job.tenant, &job.id, DispatchState::Sent, last)
            .await?;
        self.append_audit(AuditEntry {
            at: chrono::Utc::now(),
            tenant: job.tenant.clone(),
            session_id: job.session_id.clone(),
            job_id: Some(job.id.clone()),
            file_id: None,
            event: "job.dispatched".to_owned(),
            detail: Some(format!("{} work messages", files.len())),
        })
        .await;
        info!(tenant = %job.tenant, job_id = %job.id, files = files.len(), sent, ?lane,
              millis = started.elapsed().as_millis() as u64, "job dispatched");
        Ok(())
    }
}

fn work_message(job: &Job, file: &FileRecord) -> WorkMessage {
    WorkMessage {
        v: WorkMessage::VERSION,
        tenant: job.tenant.clone(),
        session_id: job.session_id.clone(),
        job_id: job.id.clone(),
        file_id: file.id.clone(),
        object_key: file.object_key.clone(),
    }
}
