//! `Intake::process_batch` on the fakes: arrange a confirmed, submitted
//! session in the world, deliver its work messages, inspect the world.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::{ports, DeadLetters, FakeEngine, FakeWorld};
use crate::model::{FileRecord, FileState, Job, JobStatus, QueueMessage, WorkMessage};
use crate::ports::{NoEngine, Ports};
use crate::processing::{file_entry, Delivery, DeliveryOutcome};
use crate::reconcile::ReconcileReport;
use crate::service::Intake;
use crate::settings::Settings;
use crate::views::ReplayDeadLettersRequest;

pub(super) const TENANT: &str = "acme";
pub(super) const INVOICE: &[u8] = b"<Invoice><ID>INV-1</ID></Invoice>";
pub(super) const WEBHOOK: &str = "https://hooks.example.com/in";

fn intake() -> (Intake, FakeWorld) {
    let (ports, world) = ports(Arc::new(FakeEngine::default()));
    let settings = Settings {
        max_receive_count: 3,
        ..Settings::default()
    };
    (Intake::new(ports, settings), world)
}

/// A submitted job of `documents`, with its files in file id order.
fn job_of(world: &FakeWorld, documents: &[(&str, &[u8])]) -> (Job, Vec<FileRecord>) {
    let (session, files) = world.confirmed_session(TENANT, documents);
    let job = world.submit(&session, Some(WEBHOOK)).expect("submitted");
    (job, files)
}

pub(super) fn delivery(job: &Job, file: &FileRecord, receive_count: u32) -> Delivery {
    Delivery {
        message: QueueMessage::File(WorkMessage::for_file(job, file)),
        receipt_handle: format!("receipt-{}-{receive_count}", file.id),
        receive_count,
        source: "arn:aws:sqs:eu-west-1:000000000000:intake-express".to_owned(),
    }
}

pub(super) fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn completions(world: &FakeWorld) -> Vec<Option<String>> {
    world
        .audit()
        .into_iter()
        .filter(|entry| entry.event == "job.completed")
        .map(|entry| entry.detail)
        .collect()
}

pub(super) fn stored(world: &FakeWorld, file: &FileRecord) -> FileRecord {
    world
        .file(TENANT, &file.session_id, &file.id)
        .expect("the file is stored")
}

#[tokio::test]
async fn a_three_file_job_is_decided_once_with_every_result() {
    let (intake, world) = intake();
    let documents: [(&str, &[u8]); 3] =
        [("a.xml", INVOICE), ("b.xml", INVOICE), ("c.xml", INVOICE)];
    let (job, files) = job_of(&world, &documents);
    let batch: Vec<Delivery> = files.iter().map(|f| delivery(&job, f, 1)).collect();

    let outcomes = intake.process_batch(&batch, deadline()).await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Done; 3]);
    let decided = world.job(TENANT, &job.id).expect("job");
    assert_eq!(decided.status, JobStatus::Succeeded);
    assert_eq!(decided.progress.succeeded, 3);
    assert_eq!(world.decisions(TENANT, &job.id), 1);
    assert_eq!(completions(&world), vec![Some("succeeded".to_owned())]);
    for file in &files {
        let file = stored(&world, file);
        assert_eq!((file.status, file.attempts), (FileState::Succeeded, 1));
    }
    let key = decided.result_key.expect("result key");
    let document: serde_json::Value =
        serde_json::from_slice(&world.object(&key).expect("result document")).expect("JSON");
    assert_eq!(
        decided.result_size,
        Some(world.object(&key).unwrap().len() as u64)
    );
    assert_eq!(document["status"], "succeeded");
    let results = document["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    assert!(results
        .iter()
        .all(|r| r["status"] == "succeeded" && r["invoice"]["number"] == "INV-1"));
    assert_eq!(
        world.webhook_messages().len(),
        1,
        "the event is enqueued once"
    );
    assert!(world.retries().is_empty());
}

#[tokio::test]
async fn a_process_built_without_the_engine_hands_a_file_back_untouched() {
    let (ports, world) = ports(Arc::new(FakeEngine::default()));
    let ports = Ports {
        engine: None,
        ..ports
    };
    let settings = Settings {
        max_receive_count: 3,
        ..Settings::default()
    };
    let intake = Intake::new(ports, settings);
    assert!(matches!(intake.engine(), Err(NoEngine)));
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    let before = (world.job(TENANT, &job.id), stored(&world, &files[0]));

    let outcomes = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Retry]);
    let after = (world.job(TENANT, &job.id), stored(&world, &files[0]));
    assert_eq!(after, before, "no state moved");
    assert_eq!(world.decisions(TENANT, &job.id), 0);
}

#[tokio::test]
async fn a_duplicate_delivery_of_a_finished_file_changes_nothing() {
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    let first = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;
    assert_eq!(first, vec![DeliveryOutcome::Done]);
    let decided = world.job(TENANT, &job.id).expect("job");
    let file = stored(&world, &files[0]);

    let again = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;

    assert_eq!(again, vec![DeliveryOutcome::Done]);
    assert_eq!(world.job(TENANT, &job.id), Some(decided));
    assert_eq!(stored(&world, &files[0]), file);
    assert_eq!(world.decisions(TENANT, &job.id), 1);
    assert_eq!(completions(&world), vec![Some("succeeded".to_owned())]);
    assert_eq!(world.webhook_messages().len(), 1);
}

#[tokio::test]
async fn a_document_the_engine_rejects_fails_at_once() {
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("scan.pdf", b"%PDF-1.7 not an invoice")]);

    let outcomes = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Done]);
    let file = stored(&world, &files[0]);
    assert_eq!((file.status, file.attempts), (FileState::Failed, 1));
    assert_eq!(file.error.expect("error").code, "unsupported_document");
    assert!(file.sha256.is_some(), "the bytes were read");
    assert!(world.retries().is_empty(), "not retried");
    assert_eq!(
        world.job(TENANT, &job.id).map(|j| j.status),
        Some(JobStatus::Failed)
    );
    assert_eq!(completions(&world), vec![Some("failed".to_owned())]);
}

#[tokio::test]
async fn an_upload_replaced_after_confirm_fails_as_changed() {
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    world.put_object(
        &files[0].object_key,
        &b"<Invoice><ID>OTHER</ID></Invoice>"[..],
    );

    let outcomes = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Done]);
    let file = stored(&world, &files[0]);
    assert_eq!((file.status, file.attempts), (FileState::Failed, 1));
    assert_eq!(file.error.expect("error").code, "upload_changed");
    assert_eq!(file.sha256, None, "the replaced bytes were not read");
    assert!(world.retries().is_empty());
}

#[tokio::test]
async fn a_file_whose_reads_always_fail_is_given_up_on_the_last_receive() {
    let (intake, world) = intake();
    let last = 3; // `Settings::max_receive_count` of `intake()`
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    let injected = "injected: connection reset by peer";
    world.fail_reads(&files[0].object_key, injected);

    for receive in 1..last {
        let outcomes = intake
            .process_batch(&[delivery(&job, &files[0], receive)], deadline())
            .await;
        assert_eq!(outcomes, vec![DeliveryOutcome::Retry], "receive {receive}");
        let file = stored(&world, &files[0]);
        assert_eq!(
            (file.status, file.attempts),
            (FileState::Processing, receive)
        );
    }
    let outcomes = intake
        .process_batch(&[delivery(&job, &files[0], last)], deadline())
        .await;

    assert_eq!(
        outcomes,
        vec![DeliveryOutcome::Retry],
        "handed back so that it stays in the dead-letter queue"
    );
    let file = stored(&world, &files[0]);
    assert_eq!((file.status, file.attempts), (FileState::Failed, last));
    let error = file.error.expect("error");
    assert_eq!(error.code, "processing_failed");
    assert!(!error.message.contains(injected), "{}", error.message);
    assert!(!error.message.contains("connection reset"));
    let delays: Vec<Duration> = world.retries().iter().map(|r| r.delay).collect();
    let settings = intake.settings();
    assert_eq!(
        delays,
        vec![settings.retry_delay(1), settings.retry_delay(2)]
    );
    assert_eq!(
        world.job(TENANT, &job.id).map(|j| j.status),
        Some(JobStatus::Failed)
    );
    assert_eq!(world.decisions(TENANT, &job.id), 1);
}

/// Gives `file` up after `max_receive_count` failed reads, as an outage
/// would, and puts its message in the work dead-letter queue.
async fn give_up_on(intake: &Intake, world: &FakeWorld, job: &Job, file: &FileRecord) {
    world.fail_reads(&file.object_key, "injected: service unavailable");
    for receive in 1..=intake.settings().max_receive_count {
        intake
            .process_batch(&[delivery(job, file, receive)], deadline())
            .await;
    }
    assert_eq!(stored(world, file).status, FileState::Failed);
    let body = serde_json::to_string(&WorkMessage::for_file(job, file)).expect("body");
    world.add_dead_letter(DeadLetters::Work, "m-1", &body);
}

/// The operator's replay of every work dead letter; the messages it sent
/// back, as the worker receives them.
async fn replay(intake: &Intake, world: &FakeWorld) -> Vec<Delivery> {
    let report = intake
        .replay_dead_letters(ReplayDeadLettersRequest {
            queue: None,
            message_ids: None,
            limit: None,
        })
        .await
        .expect("replayed");
    assert_eq!(report.replayed.len(), 1);
    world
        .redriven(DeadLetters::Work)
        .iter()
        .map(|body| Delivery {
            message: QueueMessage::parse(body).expect("a work message"),
            receipt_handle: "receipt-replayed".to_owned(),
            receive_count: 1,
            source: "arn:aws:sqs:eu-west-1:000000000000:intake-work".to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn a_replayed_dead_letter_reopens_a_file_given_up_on_and_decides_its_job_again() {
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE), ("b.xml", INVOICE)]);
    intake
        .process_batch(&[delivery(&job, &files[1], 1)], deadline())
        .await;
    give_up_on(&intake, &world, &job, &files[0]).await;
    let first_event = world.event(TENANT, &job.id).expect("first event");
    world.heal_reads(&files[0].object_key);
    // A late copy of the original message re-opens nothing.
    let late = intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;
    assert_eq!(late, vec![DeliveryOutcome::Done]);
    assert_eq!(stored(&world, &files[0]).status, FileState::Failed);

    let replayed = replay(&intake, &world).await;
    let outcomes = intake.process_batch(&replayed, deadline()).await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Done]);
    let file = stored(&world, &files[0]);
    assert_eq!((file.status, file.error), (FileState::Succeeded, None));
    let job_now = world.job(TENANT, &job.id).expect("job");
    assert_eq!(job_now.status, JobStatus::Succeeded);
    assert_eq!(
        (job_now.progress.succeeded, job_now.progress.failed),
        (2, 0)
    );
    assert_eq!(world.decisions(TENANT, &job.id), 2);
    assert_eq!(
        completions(&world),
        vec![
            Some("partially_failed".to_owned()),
            Some("succeeded".to_owned())
        ]
    );
    let second_event = world.event(TENANT, &job.id).expect("second event");
    assert_ne!(second_event.id, first_event.id, "a new evt_ id");
    let reopened: Vec<_> = world
        .audit()
        .into_iter()
        .filter(|entry| entry.event == "file.reopened")
        .collect();
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].file_id.as_ref(), Some(&files[0].id));
}

#[tokio::test]
async fn a_replayed_message_of_a_file_that_failed_for_its_content_changes_nothing() {
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.txt", b"not an invoice")]);
    intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;
    let body = serde_json::to_string(&WorkMessage::for_file(&job, &files[0])).expect("body");
    world.add_dead_letter(DeadLetters::Work, "m-1", &body);

    let replayed = replay(&intake, &world).await;
    let outcomes = intake.process_batch(&replayed, deadline()).await;

    assert_eq!(outcomes, vec![DeliveryOutcome::Done]);
    let file = stored(&world, &files[0]);
    assert_eq!(file.status, FileState::Failed);
    assert_eq!(file.error.expect("error").code, "unsupported_document");
    assert_eq!(world.decisions(TENANT, &job.id), 1);
    assert_eq!(completions(&world), vec![Some("failed".to_owned())]);
}

/// A reconciler's run at `minutes` from now: everything older than
/// `Settings::reconcile_after` (20 min) before it counts as stalled.
async fn reconcile_in(intake: &Intake, minutes: i64) -> ReconcileReport {
    intake
        .reconcile(Utc::now() + chrono::Duration::minutes(minutes))
        .await
        .expect("reconciled")
}

#[tokio::test]
async fn the_reconciler_gives_up_on_a_file_whose_worker_died_on_every_attempt() {
    // Arrange: every allowed attempt started, and its worker died before
    // it finished (no message comes back from the dead-letter queue).
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    let message = WorkMessage::for_file(&job, &files[0]);
    for receive in 1..=intake.settings().max_receive_count {
        let entry = file_entry(&message, "file.processing", Some(receive), None);
        intake
            .ports()
            .jobs
            .start_attempt(&message, &entry)
            .await
            .expect("started");
    }

    // Act
    let early = reconcile_in(&intake, 0).await;
    let report = reconcile_in(&intake, 30).await;

    // Assert
    assert_eq!(
        early,
        ReconcileReport::default(),
        "a recent job is left alone"
    );
    assert_eq!(
        (
            report.jobs_checked,
            report.files_given_up,
            report.jobs_decided
        ),
        (1, 1, 1)
    );
    let file = stored(&world, &files[0]);
    assert_eq!(file.status, FileState::Failed);
    assert_eq!(file.error.expect("error").code, "processing_failed");
    assert_eq!(completions(&world), vec![Some("failed".to_owned())]);
    assert_eq!(world.webhook_messages().len(), 1, "its event was sent");
}

#[tokio::test]
async fn the_reconciler_requeues_a_file_whose_message_was_lost_and_the_job_completes() {
    // Arrange: one file finished, the other's message is gone.
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE), ("b.xml", INVOICE)]);
    intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;

    // Act
    let report = reconcile_in(&intake, 30).await;
    let requeued: Vec<Delivery> = world
        .work_messages()
        .into_iter()
        .map(|(message, _)| Delivery {
            message: QueueMessage::File(message),
            receipt_handle: "receipt-requeued".to_owned(),
            receive_count: 1,
            source: "arn:aws:sqs:eu-west-1:000000000000:intake-express".to_owned(),
        })
        .collect();
    let outcomes = intake.process_batch(&requeued, deadline()).await;

    // Assert
    assert_eq!((report.files_requeued, report.jobs_decided), (1, 0));
    assert_eq!(requeued.len(), 1);
    assert_eq!(outcomes, vec![DeliveryOutcome::Done]);
    assert_eq!(
        world.job(TENANT, &job.id).map(|job| job.status),
        Some(JobStatus::Succeeded)
    );
    let repairs = world
        .audit()
        .into_iter()
        .filter(|entry| entry.event == "reconcile.requeued")
        .count();
    assert_eq!(repairs, 1);
}

#[tokio::test]
async fn the_reconciler_sends_an_overdue_pending_event_again() {
    // Arrange: a decided job whose event message was lost.
    let (intake, world) = intake();
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;
    assert_eq!(world.webhook_messages().len(), 1);

    // Act
    let soon = reconcile_in(&intake, 1).await;
    let late = reconcile_in(&intake, 30).await;

    // Assert
    assert_eq!(soon.webhooks_requeued, 0, "not overdue yet");
    assert_eq!(late.webhooks_requeued, 1);
    let messages = world.webhook_messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].0.event_id, messages[1].0.event_id);
}

#[tokio::test]
async fn a_webhook_message_is_kept_while_a_dead_worker_holds_its_attempts_lease() {
    // Arrange: a decided job; a worker took its first attempt's lease and
    // died before it sent anything.
    let (intake, world) = intake();
    world.set_webhook_secrets(TENANT, &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
    let (job, files) = job_of(&world, &[("a.xml", INVOICE)]);
    intake
        .process_batch(&[delivery(&job, &files[0], 1)], deadline())
        .await;
    let (message, _) = world.webhook_messages().remove(0);
    let now = Utc::now();
    let held = crate::webhooks::AttemptLease {
        attempts_before: 0,
        due_by: now + chrono::Duration::seconds(1),
        now,
        until: now + chrono::Duration::seconds(60),
    };
    assert!(intake
        .ports()
        .webhooks
        .lease_attempt(TENANT, &job.id, &held)
        .await
        .expect("leased"));

    // Act
    let outcome = intake.deliver_webhook(&message).await;

    // Assert: not dropped (nothing else would ever send the event), and
    // nothing sent under another worker's lease.
    assert_eq!(outcome, DeliveryOutcome::Retry);
    assert!(world.webhook_requests().is_empty());
    let event = world.event(TENANT, &job.id).expect("event");
    assert_eq!((event.total_attempts, event.state.as_str()), (0, "pending"));
}
