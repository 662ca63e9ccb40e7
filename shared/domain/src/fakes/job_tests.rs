//! Submitting a job, the jobs list, a job's audit trail and a job's
//! deletion on the fakes: jobs submitted through the use case (so their
//! trail starts with `job.created`), run by `process_batch`, then listed,
//! read and deleted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::tests::{deadline, delivery, INVOICE, TENANT, WEBHOOK};
use super::{ports, FakeEngine, FakeWorld};
use crate::error::AppError;
use crate::ids::JobId;
use crate::job_list::JobListQuery;
use crate::model::{FileRecord, Job, Tenant};
use crate::paging::{PageRequest, TrailPosition};
use crate::ports::{HideJob, SendOutcome};
use crate::service::{file_result_key, Intake};
use crate::settings::Settings;
use crate::views::{JobEventView, SubmitExtractionRequest};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOT_AN_INVOICE: &[u8] = b"not an invoice";

/// Webhook attempts follow each other at once, so a test can make two.
fn intake() -> (Intake, FakeWorld) {
    let (ports, world) = ports(Arc::new(FakeEngine::default()));
    let settings = Settings {
        max_receive_count: 3,
        webhook_schedule: vec![Duration::ZERO; 3],
        ..Settings::default()
    };
    world.set_webhook_secrets(TENANT, &[SECRET]);
    (Intake::new(ports, settings), world)
}

fn tenant(id: &str) -> Tenant {
    Tenant { id: id.to_owned() }
}

/// A job of `documents` submitted by the use case (its work messages sent
/// with the answer: a small job), with its files in the order of
/// `documents` (file ids are random, so their order is not).
async fn submitted(
    intake: &Intake,
    world: &FakeWorld,
    documents: &[(&str, &[u8])],
) -> (Job, Vec<FileRecord>) {
    let (session, mut files) = world.confirmed_session(TENANT, documents);
    files.sort_by_key(|file| documents.iter().position(|(name, _)| *name == file.name));
    let accepted = intake
        .submit_extraction(
            &tenant(TENANT),
            session.id.as_str(),
            SubmitExtractionRequest {
                webhook_url: Some(WEBHOOK.to_owned()),
            },
            None,
        )
        .await
        .expect("submitted");
    let job = world.job(TENANT, &accepted.job_id).expect("the job");
    (job, files)
}

/// Runs every file of `job` once, successfully or not.
async fn run(intake: &Intake, job: &Job, files: &[FileRecord]) {
    let batch: Vec<_> = files.iter().map(|file| delivery(job, file, 1)).collect();
    intake.process_batch(&batch, deadline()).await;
}

async fn all_events(intake: &Intake, job: &Job) -> Vec<JobEventView> {
    intake
        .job_events(&tenant(TENANT), job.id.as_str(), None)
        .await
        .expect("events")
        .events
}

#[tokio::test]
async fn a_retry_with_the_creating_key_gets_the_job_after_it_was_dispatched() {
    // Arrange: a job submitted with key `k`; its one work message went out
    // with the answer, so its dispatch moved on. The key's record is gone
    // (the first answer was a 5xx: the HTTP layer released it).
    let (intake, world) = intake();
    let (session, _) = world.confirmed_session(TENANT, &[("a.xml", INVOICE)]);
    let acme = tenant(TENANT);
    let submit = |key| {
        intake.submit_extraction(
            &acme,
            session.id.as_str(),
            SubmitExtractionRequest::default(),
            key,
        )
    };
    let first = submit(Some("k")).await.expect("submitted");

    // Act
    let retry = submit(Some("k")).await;
    let other_key = submit(Some("other")).await;
    let no_key = submit(None).await;

    // Assert
    assert_eq!(retry.expect("the retry gets the job").job_id, first.job_id);
    for refused in [other_key, no_key] {
        assert!(
            matches!(&refused, Err(AppError::SessionAlreadyExtracted { job_id }) if *job_id == first.job_id),
            "{refused:?}"
        );
    }
    assert_eq!(
        world.work_messages().len(),
        1,
        "the retry sent nothing again"
    );
}

#[tokio::test]
async fn a_trail_holds_the_moves_retries_failures_and_webhook_attempts_in_order() {
    // Arrange: `a` fails once on an outage, `b` is not an invoice, the
    // receiver answers 503 then 200.
    let (intake, world) = intake();
    let (job, files) = submitted(
        &intake,
        &world,
        &[("a.xml", INVOICE), ("b.txt", NOT_AN_INVOICE)],
    )
    .await;
    let (a, b) = (&files[0], &files[1]);
    world.fail_reads(&a.object_key, "injected: connection reset by peer");
    intake
        .process_batch(&[delivery(&job, a, 1), delivery(&job, b, 1)], deadline())
        .await;
    world.heal_reads(&a.object_key);
    intake
        .process_batch(&[delivery(&job, a, 2)], deadline())
        .await;
    world.answer_webhook(SendOutcome::Answered {
        status: 503,
        retry_after: None,
    });
    let (message, _) = world.webhook_messages().remove(0);
    intake.deliver_webhook(&message).await;
    intake.deliver_webhook(&message).await;

    // Act
    let events = all_events(&intake, &job).await;

    // Assert
    let line = |event: &JobEventView| (event.kind.clone(), event.file_id.clone(), event.attempt);
    let of_file = |id| -> Vec<(String, Option<u32>)> {
        events
            .iter()
            .filter(|event| event.file_id.as_ref() == Some(id))
            .map(|event| (event.kind.clone(), event.attempt))
            .collect()
    };
    let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    assert_eq!(kinds[..2], ["job.created", "job.dispatched"], "{kinds:?}");
    assert_eq!(
        events[events.len() - 3..]
            .iter()
            .map(line)
            .collect::<Vec<_>>(),
        vec![
            ("job.completed".to_owned(), None, None),
            ("webhook.attempt".to_owned(), None, Some(1)),
            ("webhook.attempt".to_owned(), None, Some(2)),
        ]
    );
    assert_eq!(
        of_file(&a.id),
        vec![
            ("file.processing".to_owned(), Some(1)),
            ("file.retry".to_owned(), Some(1)),
            ("file.processing".to_owned(), Some(2)),
            ("file.succeeded".to_owned(), Some(2)),
        ]
    );
    assert_eq!(
        of_file(&b.id),
        vec![
            ("file.processing".to_owned(), Some(1)),
            ("file.failed".to_owned(), Some(1)),
        ]
    );
    assert_eq!(events.len(), 2 + 4 + 2 + 3, "nothing else: {kinds:?}");
    let details: Vec<&str> = events.iter().filter_map(|e| e.detail.as_deref()).collect();
    assert!(
        details.contains(&"the receiver answered 503; next attempt in 0 s")
            && details.contains(&"the receiver answered 200; delivered")
            && details
                .contains(&"unsupported_document: the document is not a supported invoice format")
            && details.contains(&"partially_failed"),
        "{details:?}"
    );
    assert!(
        details.iter().all(|d| !d.contains("injected")
            && !d.contains("connection reset")
            && !d.contains("get_object")),
        "{details:?}"
    );
    let session_entries = world
        .audit()
        .iter()
        .filter(|e| e.event.starts_with("session."))
        .count();
    assert_eq!(
        session_entries, 0,
        "the fake session was arranged, not created"
    );
}

#[tokio::test]
async fn pages_of_two_walk_the_whole_trail_without_gaps_or_repeats() {
    // Arrange: a three-file job, decided: 2 + 6 + 1 entries.
    let (intake, world) = intake();
    let documents: [(&str, &[u8]); 3] =
        [("a.xml", INVOICE), ("b.xml", INVOICE), ("c.xml", INVOICE)];
    let (job, files) = submitted(&intake, &world, &documents).await;
    run(&intake, &job, &files).await;
    let whole = all_events(&intake, &job).await;

    // Act
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            None => PageRequest::<TrailPosition>::parse(job.id.as_str(), Some("2"), None),
            Some(cursor) => PageRequest::parse(job.id.as_str(), Some("2"), Some(cursor)),
        }
        .expect("valid page");
        let answer = intake
            .job_events(&tenant(TENANT), job.id.as_str(), page)
            .await
            .expect("a page");
        pages.push(answer.events);
        match answer.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages.len() <= whole.len(), "pages never end");
    }

    // Assert
    assert_eq!(whole.len(), 9);
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 2, 2, 2, 1]
    );
    let walked: Vec<(String, Option<String>, Option<u32>)> = pages
        .iter()
        .flatten()
        .map(|e| {
            (
                e.kind.clone(),
                e.file_id.as_ref().map(|f| f.to_string()),
                e.attempt,
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>, Option<u32>)> = whole
        .iter()
        .map(|e| {
            (
                e.kind.clone(),
                e.file_id.as_ref().map(|f| f.to_string()),
                e.attempt,
            )
        })
        .collect();
    assert_eq!(walked, expected);
}

#[tokio::test]
async fn another_tenants_job_has_no_trail_and_cannot_be_deleted() {
    let (intake, world) = intake();
    let (job, files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    run(&intake, &job, &files).await;
    let stranger = tenant("globex");

    let events = intake.job_events(&stranger, job.id.as_str(), None).await;
    let deleted = intake.delete_job(&stranger, job.id.as_str()).await;
    let listed = intake
        .list_jobs(
            &stranger,
            JobListQuery::parse(None, None, None).expect("query"),
        )
        .await
        .expect("list");

    assert!(matches!(events, Err(AppError::JobNotFound)), "{events:?}");
    assert!(matches!(deleted, Err(AppError::JobNotFound)), "{deleted:?}");
    assert!(listed.jobs.is_empty());
    assert!(world.job(TENANT, &job.id).is_some(), "nothing deleted");
    assert!(world.object(&files[0].object_key).is_some());
}

/// Jobs in every status, newest last: `succeeded`, `partially_failed`,
/// `processing` (a file started), `queued`, `queued`.
async fn jobs_in_every_status(intake: &Intake, world: &FakeWorld) -> Vec<(JobId, &'static str)> {
    let mut jobs = Vec::new();
    let (done, files) = submitted(intake, world, &[("a.xml", INVOICE)]).await;
    run(intake, &done, &files).await;
    jobs.push((done.id, "succeeded"));
    let (partial, files) = submitted(
        intake,
        world,
        &[("a.xml", INVOICE), ("b.txt", NOT_AN_INVOICE)],
    )
    .await;
    run(intake, &partial, &files).await;
    jobs.push((partial.id, "partially_failed"));
    let (started, files) =
        submitted(intake, world, &[("a.xml", INVOICE), ("b.xml", INVOICE)]).await;
    run(intake, &started, &files[..1]).await;
    jobs.push((started.id, "processing"));
    for _ in 0..2 {
        let (queued, _) = submitted(intake, world, &[("a.xml", INVOICE)]).await;
        jobs.push((queued.id, "queued"));
    }
    jobs
}

/// Every page of the list, `limit` at a time: the (job id, status) of
/// each page.
async fn list_pages(
    intake: &Intake,
    limit: &str,
    status: Option<&str>,
) -> Vec<Vec<(String, String)>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = JobListQuery::parse(Some(limit), cursor.as_deref(), status).expect("query");
        let page = intake
            .list_jobs(&tenant(TENANT), query)
            .await
            .expect("a page");
        pages.push(
            page.jobs
                .iter()
                .map(|job| {
                    assert!(job.files.is_none(), "no files in the list");
                    (job.job_id.to_string(), job.status.to_owned())
                })
                .collect(),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() <= 10, "pages never end");
    }
}

#[tokio::test]
async fn the_list_is_newest_first_in_full_pages_of_every_status_or_one() {
    // Arrange
    let (intake, world) = intake();
    let jobs = jobs_in_every_status(&intake, &world).await;
    let newest_first: Vec<(String, String)> = jobs
        .iter()
        .rev()
        .map(|(id, status)| (id.to_string(), (*status).to_owned()))
        .collect();

    // Act
    let all = list_pages(&intake, "2", None).await;
    let queued = list_pages(&intake, "1", Some("queued")).await;
    let processing = list_pages(&intake, "1", Some("processing")).await;
    let partial = list_pages(&intake, "1000", Some("partially_failed")).await;
    let failed = list_pages(&intake, "10", Some("failed")).await;

    // Assert
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    assert_eq!(all.concat(), newest_first);
    let with = |status: &str| -> Vec<(String, String)> {
        newest_first
            .iter()
            .filter(|(_, s)| s == status)
            .cloned()
            .collect()
    };
    assert_eq!(
        queued,
        vec![with("queued")[..1].to_vec(), with("queued")[1..].to_vec()],
        "full pages, no empty last page"
    );
    assert_eq!(processing, vec![with("processing")]);
    assert_eq!(partial, vec![with("partially_failed")]);
    assert_eq!(failed, vec![Vec::new()]);
}

#[tokio::test]
async fn deleting_a_finished_job_removes_its_uploads_results_and_records() {
    // Arrange: a decided job whose second file's result is kept in S3.
    let (intake, world) = intake();
    let (job, files) = submitted(&intake, &world, &[("a.xml", INVOICE), ("b.xml", INVOICE)]).await;
    run(&intake, &job, &files).await;
    let large = file_result_key(TENANT, &job.id, &files[1].id);
    world.put_object(&large, &b"{}"[..]);
    let (other, other_files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    let decided = world.job(TENANT, &job.id).expect("job");
    let document = decided.result_key.clone().expect("result document");

    // Act
    let first = intake.delete_job(&tenant(TENANT), job.id.as_str()).await;
    let second = intake.delete_job(&tenant(TENANT), job.id.as_str()).await;

    // Assert
    assert!(first.is_ok(), "{first:?}");
    assert!(matches!(second, Err(AppError::JobNotFound)), "{second:?}");
    for key in files
        .iter()
        .map(|f| f.object_key.clone())
        .chain([large, document])
    {
        assert!(world.object(&key).is_none(), "{key} is still there");
    }
    assert!(world.job(TENANT, &job.id).is_none());
    assert!(world.session(TENANT, &job.session_id).is_none());
    assert!(world.event(TENANT, &job.id).is_none());
    assert!(world
        .audit()
        .iter()
        .all(|e| e.job_id.as_ref() != Some(&job.id)));
    let status = intake
        .job_status(&tenant(TENANT), job.id.as_str(), None)
        .await;
    assert!(matches!(status, Err(AppError::JobNotFound)), "{status:?}");
    let listed = list_pages(&intake, "10", None).await.concat();
    assert_eq!(listed, vec![(other.id.to_string(), "queued".to_owned())]);
    assert!(
        world.object(&other_files[0].object_key).is_some(),
        "another job's upload stays"
    );
}

#[tokio::test]
async fn a_job_still_running_is_not_deleted() {
    let (intake, world) = intake();
    let (job, files) = submitted(&intake, &world, &[("a.xml", INVOICE), ("b.xml", INVOICE)]).await;
    run(&intake, &job, &files[..1]).await;

    let deleted = intake.delete_job(&tenant(TENANT), job.id.as_str()).await;

    assert!(
        matches!(deleted, Err(AppError::JobNotFinished)),
        "{deleted:?}"
    );
    assert!(world.job(TENANT, &job.id).is_some());
    assert!(world.session(TENANT, &job.session_id).is_some());
    assert!(files.iter().all(|f| world.object(&f.object_key).is_some()));
}

#[tokio::test]
async fn a_deletion_cut_short_after_the_tombstone_is_finished_by_the_next_delete() {
    // Arrange: the job was hidden, then the deleting request died.
    let (intake, world) = intake();
    let (job, files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    run(&intake, &job, &files).await;
    let hidden = intake
        .ports()
        .removal
        .hide_job(TENANT, &job.id)
        .await
        .expect("hidden");
    assert_eq!(
        hidden,
        HideJob::Hidden {
            session_id: job.session_id.clone()
        }
    );
    let seen = intake
        .job_status(&tenant(TENANT), job.id.as_str(), None)
        .await;
    assert!(
        matches!(seen, Err(AppError::JobNotFound)),
        "out of sight at once: {seen:?}"
    );

    // Act
    let finished = intake.delete_job(&tenant(TENANT), job.id.as_str()).await;

    // Assert
    assert!(finished.is_ok(), "{finished:?}");
    assert!(world.object(&files[0].object_key).is_none());
    assert!(world.event(TENANT, &job.id).is_none());
    let again = intake.delete_job(&tenant(TENANT), job.id.as_str()).await;
    assert!(matches!(again, Err(AppError::JobNotFound)), "{again:?}");
}

#[tokio::test]
async fn the_trail_has_no_entry_twice_across_jobs_of_one_tenant() {
    // Two jobs' trails share nothing: each is read from its own session.
    let (intake, world) = intake();
    let (first, first_files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    let (second, second_files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    run(&intake, &first, &first_files).await;
    run(&intake, &second, &second_files).await;

    let first_events = all_events(&intake, &first).await;
    let second_events = all_events(&intake, &second).await;

    let files = |events: &[JobEventView]| -> HashSet<String> {
        events
            .iter()
            .filter_map(|e| e.file_id.as_ref().map(|f| f.to_string()))
            .collect()
    };
    assert_eq!(
        files(&first_events),
        HashSet::from([first_files[0].id.to_string()])
    );
    assert_eq!(
        files(&second_events),
        HashSet::from([second_files[0].id.to_string()])
    );
}

#[tokio::test]
async fn a_pending_webhook_of_a_job_being_deleted_is_dropped_unsent() {
    // Arrange: a decided job whose event is pending, hidden by a deletion
    // that has not removed its items yet.
    let (intake, world) = intake();
    let (job, files) = submitted(&intake, &world, &[("a.xml", INVOICE)]).await;
    run(&intake, &job, &files).await;
    let (message, _) = world.webhook_messages().remove(0);
    intake
        .ports()
        .removal
        .hide_job(TENANT, &job.id)
        .await
        .expect("hidden");

    // Act
    let outcome = intake.deliver_webhook(&message).await;

    // Assert
    assert_eq!(outcome, crate::processing::DeliveryOutcome::Done);
    assert!(world.webhook_requests().is_empty(), "nothing sent");
    let event = world
        .event(TENANT, &job.id)
        .expect("the event, until removed");
    assert_eq!(event.total_attempts, 0);
}
