//! The work queue: one message per file.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use futures::{stream, StreamExt, TryStreamExt};
use intake_domain::model::WorkMessage;
use intake_domain::ports::{StoreResult, WorkQueue};
use intake_domain::StoreError;

/// SQS's limit on entries in one SendMessageBatch.
const BATCH_LIMIT: usize = 10;
const SEND_CONCURRENCY: usize = 8;
const SEND_ATTEMPTS: usize = 4;
/// SQS's limit on a message's visibility timeout (12 hours).
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Clone, Debug)]
pub struct SqsWorkQueue {
    client: Client,
    queue_url: String,
}

impl SqsWorkQueue {
    pub fn new(client: Client, queue_url: &str) -> Self {
        Self {
            client,
            queue_url: queue_url.to_owned(),
        }
    }

    /// Sends one batch, re-sending the entries SQS reports as failed.
    async fn send_batch(&self, bodies: Vec<(String, String)>) -> StoreResult<()> {
        let mut pending = bodies;
        for _ in 0..SEND_ATTEMPTS {
            let entries = pending
                .iter()
                .map(|(id, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .build()
                        .map_err(|e| StoreError::new("enqueue", e))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| StoreError::new("enqueue", DisplayErrorContext(e)))?;
            let failed: Vec<&str> = output.failed().iter().map(|entry| entry.id()).collect();
            pending.retain(|(id, _)| failed.contains(&id.as_str()));
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(StoreError::new(
            "enqueue",
            format!("{} messages not accepted by SQS", pending.len()),
        ))
    }
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn enqueue(&self, messages: &[WorkMessage]) -> StoreResult<()> {
        let bodies = messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                serde_json::to_string(message)
                    .map(|body| (index.to_string(), body))
                    .map_err(|e| StoreError::new("enqueue", e))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let batches: Vec<Vec<(String, String)>> =
            bodies.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect();
        stream::iter(batches)
            .map(|batch| self.send_batch(batch))
            .buffer_unordered(SEND_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> StoreResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.min(MAX_VISIBILITY).as_secs() as i32)
            .send()
            .await
            .map_err(|e| StoreError::new("retry_after", DisplayErrorContext(e)))?;
        Ok(())
    }
}
