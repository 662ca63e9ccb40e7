//! SQS-triggered workers: the Lambda side of the work and webhook queues.
//! The document engine is not here (`intake-extractor`): the webhook
//! worker does not link it.

use std::collections::HashMap;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use intake_domain::model::QueueMessage;
use intake_domain::processing::{Delivery, DeliveryOutcome};
use intake_domain::webhooks::WebhookMessage;
use intake_domain::Intake;
use tracing::error;

#[derive(Debug, thiserror::Error)]
enum MessageError {
    #[error("the message has no receipt handle")]
    NoReceiptHandle,
    #[error("the body is not a work message: {0}")]
    Body(String),
}

fn delivery(message: &SqsMessage) -> Result<Delivery, MessageError> {
    let body = message.body.as_deref().unwrap_or_default();
    Ok(Delivery {
        message: QueueMessage::parse(body).map_err(MessageError::Body)?,
        receipt_handle: message
            .receipt_handle
            .clone()
            .ok_or(MessageError::NoReceiptHandle)?,
        receive_count: receive_count(&message.attributes),
        source: message.event_source_arn.clone().unwrap_or_default(),
    })
}

fn receive_count(attributes: &HashMap<String, String>) -> u32 {
    attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

/// Processes a batch of work and dispatch messages together, before the
/// invocation's `deadline`, and reports only the ones to retry. A message
/// that cannot be read is reported too, so that redrive moves it to the
/// dead-letter queue instead of losing it.
pub async fn process_batch(
    intake: &Intake,
    event: SqsEvent,
    deadline: tokio::time::Instant,
) -> SqsBatchResponse {
    let mut deliveries = Vec::with_capacity(event.records.len());
    let mut ids = Vec::with_capacity(event.records.len());
    let mut failures = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match delivery(record) {
            Ok(delivery) => {
                deliveries.push(delivery);
                ids.push(id);
            }
            Err(problem) => {
                unreadable(record, &problem);
                failures.push(id);
            }
        }
    }
    let outcomes = intake.process_batch(&deliveries, deadline).await;
    failures.extend(
        ids.into_iter()
            .zip(outcomes)
            .filter(|(_, outcome)| *outcome == DeliveryOutcome::Retry)
            .map(|(id, _)| id),
    );
    batch_response(failures)
}

/// The instant of a Lambda invocation's deadline (`Context::deadline`,
/// milliseconds since the epoch).
pub fn lambda_deadline(deadline_epoch_ms: u64) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    tokio::time::Instant::now()
        + std::time::Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms))
}

/// Makes the webhook attempts a batch of webhook messages is due for.
pub async fn deliver_batch(intake: &Intake, event: SqsEvent) -> SqsBatchResponse {
    answer(&event, |record| async move {
        let body = record.body.as_deref().unwrap_or_default();
        match serde_json::from_str::<WebhookMessage>(body) {
            Ok(message) if message.v == WebhookMessage::VERSION => {
                intake.deliver_webhook(&message).await
            }
            Ok(message) => unreadable(
                record,
                &MessageError::Body(format!("unknown version {}", message.v)),
            ),
            Err(error) => unreadable(record, &MessageError::Body(error.to_string())),
        }
    })
    .await
}

fn unreadable(record: &SqsMessage, problem: &MessageError) -> DeliveryOutcome {
    error!(message_id = record.message_id.as_deref().unwrap_or_default(), error = %problem, "unreadable message");
    DeliveryOutcome::Retry
}

/// Runs `handle` on every record at once; the response names the records
/// to retry.
async fn answer<'a, F, Fut>(event: &'a SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(&'a SqsMessage) -> Fut,
    Fut: std::future::Future<Output = DeliveryOutcome>,
{
    let outcomes = join_all(event.records.iter().map(|record| {
        let outcome = handle(record);
        async move { (record.message_id.clone().unwrap_or_default(), outcome.await) }
    }))
    .await;
    batch_response(
        outcomes
            .into_iter()
            .filter(|(_, outcome)| *outcome == DeliveryOutcome::Retry)
            .map(|(id, _)| id),
    )
}

/// The answer naming the messages to retry.
fn batch_response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> SqsEvent {
        let path = format!("{}/../../events/sqs/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("sample event");
        serde_json::from_str(&text).expect("an SQS event")
    }

    #[test]
    fn sample_work_messages_are_read_with_their_receive_count() {
        let event = event("process-file.json");
        assert_eq!(event.records.len(), 2);
        for record in &event.records {
            let delivery = delivery(record).expect("a work message");
            let QueueMessage::File(message) = &delivery.message else {
                panic!("a file's work message");
            };
            assert_eq!(message.tenant, "acme");
            assert_eq!(delivery.receive_count, 1);
            assert!(!delivery.receipt_handle.is_empty());
            assert!(delivery.source.ends_with("-work"), "{}", delivery.source);
        }
    }

    #[test]
    fn express_samples_hold_a_dispatch_and_a_file_message() {
        let event = event("process-file-express.json");
        let messages: Vec<QueueMessage> = event
            .records
            .iter()
            .map(|record| delivery(record).expect("a message").message)
            .collect();
        assert!(matches!(messages[0], QueueMessage::Dispatch(_)));
        assert!(matches!(messages[1], QueueMessage::File(_)));
    }

    #[test]
    fn a_poison_message_is_an_error_not_a_panic() {
        let event = event("process-file-poison.json");
        let error = delivery(&event.records[0]).expect_err("poison");
        assert!(matches!(error, MessageError::Body(_)), "{error}");
    }

    #[test]
    fn sample_webhook_messages_are_read() {
        let event = event("deliver-webhook.json");
        let body = event.records[0].body.as_deref().expect("body");
        let message: WebhookMessage = serde_json::from_str(body).expect("a webhook message");
        assert_eq!(message.tenant, "acme");
        assert!(message.event_id.as_str().starts_with("evt_"));
    }
}
