//! The work queues: one message per file, on the work queue for large
//! jobs and on the express queue for small ones and for dispatch messages.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use futures::{stream, StreamExt, TryStreamExt};
use intake_domain::model::{DispatchMessage, Lane, WorkMessage};
use intake_domain::ports::{
    DeadLetter, DeadLetterQueue, ReplayedBody, StoreResult, WebhookQueue, WorkQueue,
};
use intake_domain::replays::ReplayMessage;
use intake_domain::webhooks::WebhookMessage;
use intake_domain::StoreError;
use serde::Serialize;

/// SQS's limit on entries in one SendMessageBatch.
const BATCH_LIMIT: usize = 10;
const SEND_CONCURRENCY: usize = 8;
const SEND_ATTEMPTS: usize = 4;
/// SQS's limit on a message's visibility timeout (12 hours).
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Clone, Debug)]
pub struct SqsWorkQueue {
    client: Client,
    work_queue_url: String,
    express_queue_url: String,
}

/// The name at the end of a queue URL or ARN.
fn queue_name(url_or_arn: &str) -> &str {
    url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn)
}

impl SqsWorkQueue {
    pub fn new(client: Client, work_queue_url: &str, express_queue_url: &str) -> Self {
        Self {
            client,
            work_queue_url: work_queue_url.to_owned(),
            express_queue_url: express_queue_url.to_owned(),
        }
    }

    fn url(&self, lane: Lane) -> &str {
        match lane {
            Lane::Bulk => &self.work_queue_url,
            Lane::Express => &self.express_queue_url,
        }
    }

    /// Sends one control message (dispatch, replay) on the express queue.
    async fn send_express(&self, message: &impl Serialize, op: &'static str) -> StoreResult<()> {
        let body = serde_json::to_string(message).map_err(|e| StoreError::new(op, e))?;
        self.client
            .send_message()
            .queue_url(&self.express_queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| StoreError::new(op, DisplayErrorContext(e)))?;
        Ok(())
    }

    /// The URL of the queue a message came from (its `eventSourceARN`).
    fn source_url(&self, source: &str) -> &str {
        if queue_name(source) == queue_name(&self.express_queue_url) {
            &self.express_queue_url
        } else {
            &self.work_queue_url
        }
    }
}

/// Sends one batch of (entry id, body), re-sending the entries SQS reports
/// as failed; `op` names the operation in errors.
async fn send_batch(
    client: &Client,
    queue_url: &str,
    bodies: Vec<(String, String)>,
    op: &'static str,
) -> StoreResult<()> {
    let mut pending = bodies;
    for _ in 0..SEND_ATTEMPTS {
        let entries = pending
            .iter()
            .map(|(id, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(id)
                    .message_body(body)
                    .build()
                    .map_err(|e| StoreError::new(op, e))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let output = client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| StoreError::new(op, DisplayErrorContext(e)))?;
        let failed: Vec<&str> = output.failed().iter().map(|entry| entry.id()).collect();
        pending.retain(|(id, _)| failed.contains(&id.as_str()));
        if pending.is_empty() {
            return Ok(());
        }
    }
    Err(StoreError::new(
        op,
        format!("{} messages not accepted by SQS", pending.len()),
    ))
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn enqueue(&self, messages: &[WorkMessage], lane: Lane) -> StoreResult<()> {
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
            .map(|batch| send_batch(&self.client, self.url(lane), batch, "enqueue"))
            .buffer_unordered(SEND_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    async fn enqueue_dispatch(&self, message: &DispatchMessage) -> StoreResult<()> {
        self.send_express(message, "enqueue_dispatch").await
    }

    async fn enqueue_replay(&self, message: &ReplayMessage) -> StoreResult<()> {
        self.send_express(message, "enqueue_replay").await
    }

    async fn retry_after(
        &self,
        source: &str,
        receipt_handle: &str,
        delay: Duration,
    ) -> StoreResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(self.source_url(source))
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.min(MAX_VISIBILITY).as_secs() as i32)
            .send()
            .await
            .map_err(|e| StoreError::new("retry_after", DisplayErrorContext(e)))?;
        Ok(())
    }
}

/// A dead-letter queue, and the way back from it to the queue it serves
/// (the work queue for the work queues' DLQ, the webhook queue for the
/// webhook queue's).
#[derive(Clone, Debug)]
pub struct SqsDeadLetters {
    client: Client,
    dlq_url: String,
    target_url: String,
}

/// How long a listed or moving dead letter stays hidden from others.
const HOLD: Duration = Duration::from_secs(30);
/// Each receive long-polls for this long: SQS then asks all of its servers,
/// so an empty answer means no message is visible (a short poll samples
/// some of them and may answer empty on a non-empty queue). It is also
/// what the last, empty, receive of a listing costs.
const LONG_POLL: Duration = Duration::from_secs(2);

impl SqsDeadLetters {
    pub fn new(client: Client, dlq_url: &str, target_url: &str) -> Self {
        Self {
            client,
            dlq_url: dlq_url.to_owned(),
            target_url: target_url.to_owned(),
        }
    }

    async fn receive(&self) -> StoreResult<Vec<aws_sdk_sqs::types::Message>> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(BATCH_LIMIT as i32)
            .visibility_timeout(HOLD.as_secs() as i32)
            .wait_time_seconds(LONG_POLL.as_secs() as i32)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| StoreError::new("receive_dead_letters", DisplayErrorContext(e)))?;
        Ok(output.messages.unwrap_or_default())
    }

    /// Deletes received messages, one batch call.
    async fn delete(&self, receipt_handles: impl Iterator<Item = &str>) -> StoreResult<()> {
        let entries = receipt_handles
            .enumerate()
            .map(|(entry, handle)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(entry.to_string())
                    .receipt_handle(handle)
                    .build()
                    .map_err(|e| StoreError::new("redrive", e))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let output = self
            .client
            .delete_message_batch()
            .queue_url(&self.dlq_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| StoreError::new("redrive", DisplayErrorContext(e)))?;
        // Left undeleted, a message sent back already would be sent again.
        match output.failed().len() {
            0 => Ok(()),
            failed => Err(StoreError::new(
                "redrive",
                format!("{failed} dead letters sent back but not deleted"),
            )),
        }
    }

    /// Makes held messages visible again at once.
    async fn release(&self, receipt_handles: &[String]) -> StoreResult<()> {
        for handle in receipt_handles {
            self.client
                .change_message_visibility()
                .queue_url(&self.dlq_url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .map_err(|e| StoreError::new("release_dead_letter", DisplayErrorContext(e)))?;
        }
        Ok(())
    }
}

fn dead_letter(message: &aws_sdk_sqs::types::Message) -> DeadLetter {
    use aws_sdk_sqs::types::MessageSystemAttributeName as Attribute;
    let attribute = |name: Attribute| {
        message
            .attributes()
            .and_then(|attributes| attributes.get(&name))
    };
    DeadLetter {
        message_id: message.message_id().unwrap_or_default().to_owned(),
        body: message.body().unwrap_or_default().to_owned(),
        receive_count: attribute(Attribute::ApproximateReceiveCount)
            .and_then(|count| count.parse().ok())
            .unwrap_or(0),
        sent_at: attribute(Attribute::SentTimestamp)
            .and_then(|millis| millis.parse().ok())
            .and_then(chrono::DateTime::from_timestamp_millis),
    }
}

#[async_trait]
impl DeadLetterQueue for SqsDeadLetters {
    async fn peek(&self, limit: usize) -> StoreResult<Vec<DeadLetter>> {
        let mut letters: Vec<DeadLetter> = Vec::new();
        let mut held = Vec::new();
        // Messages stay held while we read on, so each receive brings new
        // ones; an empty receive means we have seen them all.
        while letters.len() < limit {
            let batch = self.receive().await?;
            if batch.is_empty() {
                break;
            }
            for message in &batch {
                held.extend(message.receipt_handle().map(str::to_owned));
                let letter = dead_letter(message);
                if letters.len() < limit
                    && !letters
                        .iter()
                        .any(|seen| seen.message_id == letter.message_id)
                {
                    letters.push(letter);
                }
            }
        }
        self.release(&held).await?;
        Ok(letters)
    }

    async fn redrive(
        &self,
        message_ids: Option<&[String]>,
        limit: usize,
        replayed: &ReplayedBody,
    ) -> StoreResult<Vec<String>> {
        let mut moved = Vec::new();
        let mut skipped = Vec::new();
        while moved.len() < limit {
            let batch = self.receive().await?;
            if batch.is_empty() {
                break;
            }
            let mut chosen = Vec::new();
            for message in batch {
                let id = message.message_id().unwrap_or_default().to_owned();
                let handle = message.receipt_handle().unwrap_or_default().to_owned();
                let wanted = message_ids.is_none_or(|ids| ids.contains(&id));
                if !wanted || moved.len() + chosen.len() >= limit {
                    skipped.push(handle);
                    continue;
                }
                let body = replayed(message.body().unwrap_or_default());
                chosen.push((id, handle, body));
            }
            if chosen.is_empty() {
                continue;
            }
            // Send before delete: a crash in between duplicates the
            // messages, which the workers tolerate, instead of losing them.
            let bodies = chosen
                .iter()
                .enumerate()
                .map(|(entry, (_, _, body))| (entry.to_string(), body.clone()))
                .collect();
            send_batch(&self.client, &self.target_url, bodies, "redrive").await?;
            self.delete(chosen.iter().map(|(_, handle, _)| handle.as_str()))
                .await?;
            moved.extend(chosen.into_iter().map(|(id, _, _)| id));
        }
        self.release(&skipped).await?;
        Ok(moved)
    }
}

/// The webhook queue: one message per due delivery attempt.
#[derive(Clone, Debug)]
pub struct SqsWebhookQueue {
    client: Client,
    queue_url: String,
}

impl SqsWebhookQueue {
    pub fn new(client: Client, queue_url: &str) -> Self {
        Self {
            client,
            queue_url: queue_url.to_owned(),
        }
    }
}

/// SQS's longest message delay.
const MAX_DELAY: Duration = Duration::from_secs(900);

#[async_trait]
impl WebhookQueue for SqsWebhookQueue {
    async fn enqueue(&self, message: &WebhookMessage, delay: Duration) -> StoreResult<()> {
        let body =
            serde_json::to_string(message).map_err(|e| StoreError::new("enqueue_webhook", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            // Whole seconds, rounded up: never earlier than asked.
            .delay_seconds(delay.min(MAX_DELAY).as_secs_f64().ceil() as i32)
            .send()
            .await
            .map_err(|e| StoreError::new("enqueue_webhook", DisplayErrorContext(e)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::queue_name;

    #[test]
    fn queue_names_come_from_urls_and_arns_alike() {
        assert_eq!(
            queue_name("http://127.0.0.1:4571/123456789012/intake-dev-express"),
            "intake-dev-express"
        );
        assert_eq!(
            queue_name("arn:aws:sqs:us-east-1:123456789012:intake-dev-express"),
            "intake-dev-express"
        );
    }
}
