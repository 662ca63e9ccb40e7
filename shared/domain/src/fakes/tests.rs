//! `Intake::process_batch` on the fakes: arrange a confirmed, submitted
//! session in the world, deliver its work messages, inspect the world.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{ports, FakeEngine, FakeWorld};
use crate::model::{FileRecord, FileState, Job, JobStatus, QueueMessage, WorkMessage};
use crate::processing::{Delivery, DeliveryOutcome};
use crate::service::Intake;
use crate::settings::Settings;

const TENANT: &str = "acme";
const INVOICE: &[u8] = b"<Invoice><ID>INV-1</ID></Invoice>";
const WEBHOOK: &str = "https://hooks.example.com/in";

fn intake() -> (Intake, FakeWorld) {
    let (ports, world) = ports(Arc::new(FakeEngine));
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

fn delivery(job: &Job, file: &FileRecord, receive_count: u32) -> Delivery {
    Delivery {
        message: QueueMessage::File(WorkMessage::for_file(job, file)),
        receipt_handle: format!("receipt-{}-{receive_count}", file.id),
        receive_count,
        source: "arn:aws:sqs:eu-west-1:000000000000:intake-express".to_owned(),
    }
}

fn deadline() -> Instant {
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

fn stored(world: &FakeWorld, file: &FileRecord) -> FileRecord {
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
