//! Work messages a test delivers to the worker itself, as the queue's
//! event source would (an app without pollers), or puts in a queue.

use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{QueueMessage, WorkMessage};
use intake_domain::processing::Delivery;
use intake_domain::service::upload_key;
use std::time::Duration;

use serde_json::Value;

use crate::{sample_invoice, TestApp};

impl TestApp {
    /// Submits the confirmed `session` (its JSON as the API answered it)
    /// and returns its job's id and the first delivery of each file's work
    /// message.
    pub async fn submit_for_delivery(&self, session: &Value) -> (JobId, Vec<Delivery>) {
        let session_id = SessionId::parse(session["id"].as_str().expect("id")).expect("session id");
        let job_id = JobId::parse(&self.submit(session_id.as_str()).await).expect("job id");
        let deliveries = session["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|file| {
                let file_id = FileId::parse(file["id"].as_str().expect("id")).expect("file id");
                Delivery {
                    message: QueueMessage::File(WorkMessage {
                        v: WorkMessage::VERSION,
                        tenant: self.tenant.clone(),
                        object_key: upload_key(&self.tenant, &session_id, &file_id),
                        session_id: session_id.clone(),
                        job_id: job_id.clone(),
                        file_id,
                        reopen: false,
                    }),
                    receipt_handle: "unused".to_owned(),
                    receive_count: 1,
                    source: self.deployment.work_queue_url.clone(),
                }
            })
            .collect();
        (job_id, deliveries)
    }

    /// The work message of a file that is finished: a one-file job of the
    /// sample invoice, run to its end. A copy of it changes nothing when
    /// delivered (dead letters a test replays).
    pub async fn finished_file_message(&self) -> WorkMessage {
        let session = self
            .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
            .await;
        let session_id = SessionId::parse(session["id"].as_str().expect("id")).expect("session id");
        let file_id =
            FileId::parse(session["files"][0]["id"].as_str().expect("id")).expect("file id");
        let job_id = self.submit(session_id.as_str()).await;
        self.wait_for_job(&job_id, Duration::from_secs(60)).await;
        WorkMessage {
            v: WorkMessage::VERSION,
            tenant: self.tenant.clone(),
            object_key: upload_key(&self.tenant, &session_id, &file_id),
            session_id,
            job_id: JobId::parse(&job_id).expect("job id"),
            file_id,
            reopen: false,
        }
    }
}
