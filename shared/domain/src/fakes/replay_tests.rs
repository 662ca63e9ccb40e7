//! Bulk replays on the fakes: started by the use case, run by
//! `process_batch` as the worker runs their messages.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::tests::deadline;
use super::{ports, DeadLetters, FakeEngine, FakeWorld};
use crate::error::AppError;
use crate::model::QueueMessage;
use crate::processing::{Delivery, DeliveryOutcome};
use crate::replays::ReplayMessage;
use crate::service::Intake;
use crate::settings::Settings;
use crate::views::{ReplayTaskView, StartReplayRequest};

fn intake() -> (Intake, FakeWorld) {
    let (ports, world) = ports(Arc::new(FakeEngine::default()));
    (Intake::new(ports, Settings::default()), world)
}

fn replay_delivery(message: ReplayMessage) -> Delivery {
    Delivery {
        message: QueueMessage::Replay(message),
        receipt_handle: "receipt-replay".to_owned(),
        receive_count: 1,
        source: "arn:aws:sqs:eu-west-1:000000000000:intake-express".to_owned(),
    }
}

/// `count` dead letters of the work queue, each a file's message body.
fn dead_letters(world: &FakeWorld, count: usize) {
    for i in 0..count {
        world.add_dead_letter(DeadLetters::Work, &format!("m-{i}"), r#"{"v":1}"#);
    }
}

async fn start(intake: &Intake, queue: Option<&str>) -> Result<ReplayTaskView, AppError> {
    intake
        .start_replay(StartReplayRequest {
            queue: queue.map(str::to_owned),
        })
        .await
}

#[tokio::test]
async fn a_bulk_replay_moves_every_dead_letter_in_rounds_and_completes() {
    // Arrange: more dead letters than one round moves.
    let (intake, world) = intake();
    dead_letters(&world, 250);
    let started = start(&intake, None).await.expect("started");
    let message = world.replay_messages().remove(0);

    // Act
    let outcomes = intake
        .process_batch(&[replay_delivery(message)], deadline())
        .await;

    // Assert
    assert_eq!(outcomes, [DeliveryOutcome::Done]);
    let task = intake
        .replay_status(started.replay_id.as_str())
        .await
        .expect("status");
    assert_eq!((task.status, task.moved), ("completed", 250));
    assert!(task.completed_at.is_some());
    assert_eq!(world.redriven(DeadLetters::Work).len(), 250);
    assert_eq!(world.replay_messages().len(), 1, "no successor was needed");
}

#[tokio::test]
async fn a_replay_message_near_its_deadline_hands_the_rest_to_its_successor() {
    // Arrange
    let (intake, world) = intake();
    dead_letters(&world, 3);
    let started = start(&intake, None).await.expect("started");
    let message = world.replay_messages().remove(0);
    let near = Instant::now() + Duration::from_secs(2);

    // Act
    let first = intake
        .process_batch(&[replay_delivery(message.clone())], near)
        .await;
    let second = intake
        .process_batch(&[replay_delivery(message.clone())], deadline())
        .await;

    // Assert: the first moved nothing and sent its successor; the
    // successor did the work.
    assert_eq!(first, [DeliveryOutcome::Done]);
    assert_eq!(second, [DeliveryOutcome::Done]);
    assert_eq!(world.replay_messages(), [message.clone(), message]);
    let task = intake
        .replay_status(started.replay_id.as_str())
        .await
        .expect("status");
    assert_eq!((task.status, task.moved), ("completed", 3));
}

#[tokio::test]
async fn a_round_that_fails_after_progress_hands_over_instead_of_failing_the_message() {
    // Arrange: two rounds' worth of letters; SQS fails after the first.
    let (intake, world) = intake();
    dead_letters(&world, 15);
    let started = start(&intake, None).await.expect("started");
    let message = world.replay_messages().remove(0);
    world.fail_redrives_after(1);

    // Act
    let outcome = intake
        .process_batch(&[replay_delivery(message.clone())], deadline())
        .await;

    // Assert: the message is acknowledged (it does not move towards the
    // dead-letter queue) and its successor is sent; the first round counts.
    assert_eq!(outcome, [DeliveryOutcome::Done]);
    assert_eq!(world.replay_messages(), [message.clone(), message]);
    let task = intake
        .replay_status(started.replay_id.as_str())
        .await
        .expect("status");
    assert_eq!((task.status, task.moved), ("running", 10));
}

#[tokio::test]
async fn a_round_that_fails_before_any_progress_fails_the_message() {
    // Arrange
    let (intake, world) = intake();
    dead_letters(&world, 5);
    start(&intake, None).await.expect("started");
    let message = world.replay_messages().remove(0);
    world.fail_redrives_after(0);

    // Act
    let outcome = intake
        .process_batch(&[replay_delivery(message.clone())], deadline())
        .await;

    // Assert: delivered again later; no successor doubles it.
    assert_eq!(outcome, [DeliveryOutcome::Retry]);
    assert_eq!(world.replay_messages(), [message], "only the first");
}

#[tokio::test]
async fn a_completed_replay_is_not_run_again_and_bad_requests_are_refused() {
    // Arrange: a replay that completed on an empty queue, then a letter.
    let (intake, world) = intake();
    let started = start(&intake, Some("webhooks")).await.expect("started");
    let message = world.replay_messages().remove(0);
    intake
        .process_batch(&[replay_delivery(message.clone())], deadline())
        .await;
    world.add_dead_letter(DeadLetters::Webhook, "late", "{}");

    // Act
    intake
        .process_batch(&[replay_delivery(message)], deadline())
        .await;
    let unknown_queue = start(&intake, Some("express")).await;
    let unknown_id = intake.replay_status("rpl_01J9Z5Q2V4N8K3M6P7R9T1W2XY").await;
    let malformed_id = intake.replay_status("job_1").await;

    // Assert
    let task = intake
        .replay_status(started.replay_id.as_str())
        .await
        .expect("status");
    assert_eq!(
        (task.queue, task.status, task.moved),
        ("webhooks", "completed", 0)
    );
    assert!(
        world.redriven(DeadLetters::Webhook).is_empty(),
        "the late letter stays"
    );
    assert_eq!(unknown_queue.expect_err("refused").code(), "invalid_queue");
    assert_eq!(unknown_id.expect_err("404").code(), "replay_not_found");
    assert_eq!(malformed_id.expect_err("404").code(), "replay_not_found");
}
