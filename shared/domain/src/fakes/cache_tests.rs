//! The document cache and duplicate invoices on the fakes: submitted jobs
//! processed by `Intake::process_batch`, their result documents and the
//! world's cache and index inspected.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::time::Instant;

use super::{ports, FakeEngine, FakeWorld};
use crate::duplicates::MAX_INDEXED_COPIES;
use crate::ids::{FileId, JobId};
use crate::model::{FileRecord, FileRef, Job, QueueMessage, StoredResult, WorkMessage};
use crate::ports::{DocumentCache, InvoiceIndex, Ports};
use crate::processing::{Delivery, DeliveryOutcome};
use crate::service::Intake;
use crate::settings::Settings;

const TENANT: &str = "acme";
const INVOICE: &[u8] = b"<Invoice><ID>INV-1</ID></Invoice>";
const OTHER_INVOICE: &[u8] = b"<Invoice><ID>INV-2</ID></Invoice>";

/// The service on a fresh world, its engine and its ports (to build
/// another service on the same world).
fn intake_with(settings: Settings) -> (Intake, FakeWorld, FakeEngine, Ports) {
    let engine = FakeEngine::default();
    let (ports, world) = ports(Arc::new(engine.clone()));
    (Intake::new(ports.clone(), settings), world, engine, ports)
}

fn intake() -> (Intake, FakeWorld, FakeEngine, Ports) {
    intake_with(Settings::default())
}

/// Submits a job of `documents` for `tenant` and processes it in one
/// batch; returns the job and its result entries in file order.
async fn run_job(
    intake: &Intake,
    world: &FakeWorld,
    tenant: &str,
    documents: &[(&str, &[u8])],
) -> (Job, Vec<Value>) {
    let (session, files) = world.confirmed_session(tenant, documents);
    let job = world.submit(&session, None).expect("submitted");
    let outcomes = intake
        .process_batch(&deliveries(&job, &files), deadline())
        .await;
    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Done),
        "{outcomes:?}"
    );
    let job = world.job(tenant, &job.id).expect("the job");
    let results = results(world, &job);
    (job, results)
}

fn deliveries(job: &Job, files: &[FileRecord]) -> Vec<Delivery> {
    files
        .iter()
        .map(|file| Delivery {
            message: QueueMessage::File(WorkMessage::for_file(job, file)),
            receipt_handle: format!("receipt-{}", file.id),
            receive_count: 1,
            source: "arn:aws:sqs:eu-west-1:000000000000:intake-express".to_owned(),
        })
        .collect()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn results(world: &FakeWorld, job: &Job) -> Vec<Value> {
    let key = job.result_key.as_deref().expect("the job is decided");
    let document: Value =
        serde_json::from_slice(&world.object(key).expect("result document")).expect("JSON");
    document["results"].as_array().expect("results").clone()
}

/// A result entry without what differs between two files of the same
/// bytes: their ids, the cache and `duplicate_of`.
fn content(entry: &Value) -> Value {
    let mut content = entry.clone();
    for member in ["file_id", "cache", "duplicate_of"] {
        content.as_object_mut().expect("an entry").remove(member);
    }
    content
}

fn file_ref(job: &Job, entry: &Value) -> Value {
    serde_json::json!({"job_id": job.id, "file_id": entry["file_id"]})
}

#[tokio::test]
async fn the_same_bytes_in_a_later_job_are_a_cache_hit_and_a_duplicate() {
    let (intake, world, engine, _) = intake();
    let (first, first_results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (second, second_results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 1, "the hit skipped the engine");
    assert_eq!(first_results[0]["cache"], "miss");
    assert_eq!(second_results[0]["cache"], "hit");
    assert_eq!(content(&second_results[0]), content(&first_results[0]));
    assert!(first_results[0].get("duplicate_of").is_none());
    assert_eq!(
        second_results[0]["duplicate_of"],
        Value::Array(vec![file_ref(&first, &first_results[0])])
    );
    assert_eq!((first.progress.cached, second.progress.cached), (0, 1));
    assert_eq!(second.progress.succeeded, 1);
}

#[tokio::test]
async fn a_batch_is_part_hit_part_miss() {
    let (intake, world, engine, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (job, results) = run_job(
        &intake,
        &world,
        TENANT,
        &[("again.xml", INVOICE), ("new.xml", OTHER_INVOICE)],
    )
    .await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!((job.progress.succeeded, job.progress.cached), (2, 1));
    let cache = |name: &str| {
        results
            .iter()
            .find(|entry| entry["name"] == name)
            .map(|entry| entry["cache"].clone())
    };
    assert_eq!(cache("again.xml"), Some("hit".into()));
    assert_eq!(cache("new.xml"), Some("miss".into()));
}

#[tokio::test]
async fn another_tenant_with_the_same_bytes_misses_and_is_no_duplicate() {
    let (intake, world, engine, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (job, results) = run_job(&intake, &world, "globex", &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["cache"], "miss");
    assert!(results[0].get("duplicate_of").is_none(), "{}", results[0]);
    assert_eq!(job.progress.cached, 0);
}

#[tokio::test]
async fn a_new_engine_release_never_serves_the_old_ones_verdict() {
    let (intake, world, engine, ports) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    let upgraded = Intake::new(
        Ports {
            engine: Some(Arc::new(engine.as_release("fake-engine 2"))),
            ..ports
        },
        Settings::default(),
    );

    let (job, results) = run_job(&upgraded, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["cache"], "miss");
    assert_eq!(job.progress.cached, 0);
    let releases: Vec<String> = world
        .cache_entries(TENANT)
        .into_iter()
        .map(|((_, release), _)| release)
        .collect();
    assert_eq!(releases, ["fake-engine 1", "fake-engine 2"]);
}

#[tokio::test]
async fn an_expired_entry_is_a_miss_and_is_replaced() {
    let (intake, world, engine, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    world.expire_cache_at(Utc::now() - chrono::Duration::seconds(1));

    let (job, results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["cache"], "miss");
    let entries = world.cache_entries(TENANT);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].1.written_by.job_id, job.id,
        "the new run's entry"
    );
    assert!(entries[0].1.expires_at > Utc::now());
}

#[tokio::test]
async fn a_zero_ttl_turns_the_cache_off() {
    let (intake, world, engine, _) = intake_with(Settings {
        cache_ttl: Duration::ZERO,
        ..Settings::default()
    });
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (job, results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["cache"], "miss");
    assert_eq!(job.progress.cached, 0);
    assert!(world.cache_entries(TENANT).is_empty());
    assert_eq!(
        results[0]["duplicate_of"].as_array().map(Vec::len),
        Some(1),
        "duplicates are found without the cache"
    );
}

#[tokio::test]
async fn a_cache_outage_costs_the_engine_run_and_fails_no_file() {
    let (intake, world, engine, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    world.set_cache_outage(Some("injected DynamoDB outage"));

    let (job, results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["status"], "succeeded");
    assert_eq!(results[0]["cache"], "miss");
    assert_eq!((job.progress.succeeded, job.progress.cached), (1, 0));
    assert_eq!(results[0]["duplicate_of"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_cached_extraction_too_large_for_an_item_is_an_object_under_its_job() {
    let (intake, world, engine, _) = intake_with(Settings {
        file_result_inline_limit: 64,
        ..Settings::default()
    });
    let (first, first_results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (_, results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let entries = world.cache_entries(TENANT);
    let StoredResult::Object(key) = &entries[0].1.extraction else {
        panic!("an object: {:?}", entries[0].1.extraction);
    };
    let file_id = first_results[0]["file_id"].as_str().expect("file id");
    assert_eq!(key, &format!("cache/{TENANT}/{}/{file_id}.json", first.id));
    assert!(world.object(key).is_some());
    assert_eq!(engine.extractions(), 1);
    assert_eq!(results[0]["cache"], "hit");
    assert_eq!(content(&results[0]), content(&first_results[0]));
}

#[tokio::test]
async fn a_cached_extraction_whose_object_is_gone_is_a_miss() {
    let (intake, world, engine, _) = intake_with(Settings {
        file_result_inline_limit: 64,
        ..Settings::default()
    });
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    let entries = world.cache_entries(TENANT);
    let StoredResult::Object(key) = &entries[0].1.extraction else {
        panic!("an object");
    };
    world.lock().objects.remove(key);

    let (_, results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["status"], "succeeded");
    assert_eq!(results[0]["cache"], "miss");
}

#[tokio::test]
async fn the_same_invoice_in_other_bytes_is_a_duplicate_but_no_hit() {
    let (intake, world, engine, _) = intake();
    let resent = b"<Invoice><ID>INV-1</ID><Note>sent again</Note></Invoice>";
    let (first, first_results) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;

    let (_, results) = run_job(&intake, &world, TENANT, &[("again.xml", resent)]).await;

    assert_eq!(engine.extractions(), 2);
    assert_eq!(results[0]["cache"], "miss");
    assert_eq!(
        results[0]["duplicate_of"],
        Value::Array(vec![file_ref(&first, &first_results[0])])
    );
    let (_, other) = run_job(&intake, &world, TENANT, &[("b.xml", OTHER_INVOICE)]).await;
    assert!(other[0].get("duplicate_of").is_none(), "{}", other[0]);
}

#[tokio::test]
async fn two_copies_in_one_batch_see_each_other_once() {
    let (intake, world, _, _) = intake();

    let (job, results) = run_job(
        &intake,
        &world,
        TENANT,
        &[("a.xml", INVOICE), ("b.xml", INVOICE)],
    )
    .await;

    let listed: Vec<&Value> = results
        .iter()
        .filter_map(|entry| entry.get("duplicate_of"))
        .collect();
    assert_eq!(listed.len(), 1, "exactly one is the earliest: {results:?}");
    let earliest = results
        .iter()
        .find(|entry| entry.get("duplicate_of").is_none())
        .expect("the earliest");
    assert_eq!(*listed[0], Value::Array(vec![file_ref(&job, earliest)]));
}

#[tokio::test]
async fn a_rejected_document_is_neither_cached_nor_indexed() {
    let (intake, world, engine, _) = intake();
    let noise: &[u8] = b"%PDF-1.7 not an invoice";
    run_job(&intake, &world, TENANT, &[("scan.pdf", noise)]).await;

    let (job, results) = run_job(&intake, &world, TENANT, &[("scan.pdf", noise)]).await;

    assert_eq!(engine.extractions(), 2, "a rejection is not cached");
    assert_eq!(results[0]["status"], "failed");
    assert_eq!(results[0]["cache"], "miss");
    assert!(results[0].get("duplicate_of").is_none());
    assert_eq!(job.progress.cached, 0);
    assert!(world.cache_entries(TENANT).is_empty());
    assert!(world.indexed(TENANT).is_empty());
}

#[tokio::test]
async fn an_index_outage_retries_the_file_instead_of_losing_its_duplicates() {
    let (intake, world, _, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    let (session, files) = world.confirmed_session(TENANT, &[("again.xml", INVOICE)]);
    let job = world.submit(&session, None).expect("submitted");
    world.set_index_outage(Some("injected DynamoDB outage"));

    let outcomes = intake
        .process_batch(&deliveries(&job, &files), deadline())
        .await;
    world.set_index_outage(None);
    let retried = intake
        .process_batch(&deliveries(&job, &files), deadline())
        .await;

    assert_eq!(outcomes, [DeliveryOutcome::Retry]);
    assert_eq!(retried, [DeliveryOutcome::Done]);
    let job = world.job(TENANT, &job.id).expect("job");
    let results = results(&world, &job);
    assert_eq!(results[0]["cache"], "hit");
    assert_eq!(results[0]["duplicate_of"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_cache_hit_counted_again_after_a_crash_is_still_cached() {
    let (intake, world, _, _) = intake();
    run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    let (session, files) = world.confirmed_session(TENANT, &[("again.xml", INVOICE)]);
    let job = world.submit(&session, None).expect("submitted");
    intake
        .process_batch(&deliveries(&job, &files), deadline())
        .await;
    // The worker died after the file's transition, before its count.
    world.lock().counters.clear();

    intake
        .process_batch(&deliveries(&job, &files), deadline())
        .await;

    let job = world.job(TENANT, &job.id).expect("job");
    assert_eq!((job.progress.succeeded, job.progress.cached), (1, 1));
}

fn some_file() -> FileRef {
    FileRef {
        job_id: JobId::generate(),
        file_id: FileId::generate(),
    }
}

#[tokio::test]
async fn the_index_records_a_file_once_and_keeps_at_most_its_limit() {
    let (_, world, _, _) = intake();
    let expires_at = Utc::now() + chrono::Duration::days(30);
    let files: Vec<FileRef> = (0..=MAX_INDEXED_COPIES).map(|_| some_file()).collect();

    let mut lists = Vec::new();
    for file in &files {
        lists.push(
            world
                .record(TENANT, "key", file, MAX_INDEXED_COPIES, expires_at)
                .await
                .expect("recorded"),
        );
    }
    let again = world
        .record(TENANT, "key", &files[1], MAX_INDEXED_COPIES, expires_at)
        .await
        .expect("recorded");

    assert_eq!(lists[1], files[..2].to_vec());
    assert_eq!(again, files[..MAX_INDEXED_COPIES].to_vec(), "a redelivery");
    assert_eq!(
        lists[MAX_INDEXED_COPIES],
        files[..MAX_INDEXED_COPIES].to_vec(),
        "the last is not kept"
    );
}

#[tokio::test]
async fn an_expired_index_list_starts_anew() {
    let (_, world, _, _) = intake();
    let (old, new) = (some_file(), some_file());
    let past = Utc::now() - chrono::Duration::seconds(1);
    world
        .record(TENANT, "key", &old, 5, past)
        .await
        .expect("recorded");

    let list = world
        .record(
            TENANT,
            "key",
            &new,
            5,
            Utc::now() + chrono::Duration::days(1),
        )
        .await
        .expect("recorded");

    assert_eq!(list, vec![new]);
}

#[tokio::test]
async fn forgetting_a_job_removes_only_the_entries_it_wrote() {
    let (intake, world, _, _) = intake();
    let (first, _) = run_job(&intake, &world, TENANT, &[("a.xml", INVOICE)]).await;
    let (second, _) = run_job(&intake, &world, TENANT, &[("b.xml", OTHER_INVOICE)]).await;
    let sha256 = |job: &Job| {
        world.files(TENANT, &job.session_id)[0]
            .sha256
            .clone()
            .expect("sha256")
    };

    let other_job = world
        .forget(TENANT, &sha256(&first), &second.id)
        .await
        .expect("forget");
    let own_job = world
        .forget(TENANT, &sha256(&first), &first.id)
        .await
        .expect("forget");

    assert_eq!((other_job, own_job), (0, 1));
    let left = world.cache_entries(TENANT);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].1.written_by.job_id, second.id);
}
