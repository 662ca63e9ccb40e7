//! The SQS event source mapping: long-poll the queue, hand each batch to
//! the worker as the SQS event Lambda would build, delete what succeeded.
//! What the worker reports as failed is left alone: it comes back after its
//! visibility timeout, and the queue's redrive policy moves it to the
//! dead-letter queue after `maxReceiveCount` receives.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};
use intake_domain::Intake;
use serde_json::{json, Map, Value};
use tokio::sync::watch;
use tracing::{error, warn};

use crate::FUNCTION_TIMEOUT;

#[derive(Clone, Debug)]
pub struct PollerConfig {
    /// `BatchSize` of the event source mapping (1 to 10).
    pub batch_size: i32,
    /// Long-poll wait; short so that shutdown is quick.
    pub wait: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            batch_size: 10,
            wait: Duration::from_secs(1),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    region: String,
}

impl Queue {
    pub(crate) async fn resolve(client: aws_sdk_sqs::Client, url: String) -> Result<Self, String> {
        let arn = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?
            .attributes
            .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
            .ok_or("the queue has no QueueArn")?;
        let region = arn.split(':').nth(3).unwrap_or("us-east-1").to_owned();
        Ok(Self {
            client,
            url,
            arn,
            region,
        })
    }

    /// The SQS event Lambda would build for these messages.
    fn event(&self, messages: &[Message]) -> Result<SqsEvent, serde_json::Error> {
        let records: Vec<Value> = messages
            .iter()
            .map(|message| {
                let attributes: Map<String, Value> = message
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
                    .collect();
                json!({
                    "messageId": message.message_id(),
                    "receiptHandle": message.receipt_handle(),
                    "body": message.body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": message.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                    "awsRegion": self.region,
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records }))
    }

    async fn receive(&self, config: &PollerConfig) -> Result<Vec<Message>, String> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(config.batch_size.clamp(1, 10))
            .wait_time_seconds(config.wait.as_secs().clamp(0, 20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        Ok(output.messages.unwrap_or_default())
    }

    async fn delete(&self, messages: &[&Message]) -> Result<(), String> {
        if messages.is_empty() {
            return Ok(());
        }
        let entries = messages
            .iter()
            .enumerate()
            .map(|(index, message)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .delete_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?;
        if output.failed().is_empty() {
            Ok(())
        } else {
            Err(format!("{} deletes failed", output.failed().len()))
        }
    }
}

/// The function an event source mapping feeds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Consumer {
    /// `process-file` on the work queue.
    Files,
    /// `deliver-webhook` on the webhook queue.
    Webhooks,
}

impl Consumer {
    async fn invoke(self, intake: &Intake, event: SqsEvent) -> SqsBatchResponse {
        match self {
            Consumer::Files => {
                let deadline = tokio::time::Instant::now() + FUNCTION_TIMEOUT;
                intake_worker::process_batch(intake, event, deadline).await
            }
            Consumer::Webhooks => intake_worker::deliver_batch(intake, event).await,
        }
    }
}

pub(crate) async fn poll(
    consumer: Consumer,
    intake: Intake,
    queue: Queue,
    config: PollerConfig,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        let messages = tokio::select! {
            received = queue.receive(&config) => match received {
                Ok(messages) => messages,
                Err(problem) => {
                    warn!(error = %problem, "receive failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        if messages.is_empty() {
            continue;
        }
        let event = match queue.event(&messages) {
            Ok(event) => event,
            Err(problem) => {
                error!(error = %problem, "could not build the SQS event; the batch will be retried");
                continue;
            }
        };
        // A timed-out invocation fails the whole batch, as in Lambda.
        let Ok(response) =
            tokio::time::timeout(FUNCTION_TIMEOUT, consumer.invoke(&intake, event)).await
        else {
            warn!(
                messages = messages.len(),
                "worker timed out; the batch will be retried"
            );
            continue;
        };
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect();
        let succeeded: Vec<&Message> = messages
            .iter()
            .filter(|message| !failed.contains(&message.message_id().unwrap_or_default()))
            .collect();
        if let Err(problem) = queue.delete(&succeeded).await {
            warn!(error = %problem, "delete failed; those messages will be delivered again");
        }
    }
}
