//! The document cache and duplicate invoices (api.md v1.1), end to end:
//! jobs over HTTP on the emulators, then the result entries, the status
//! object's `progress.cached` and the engine's runs compared; the cache and
//! index adapters' conditions against DynamoDB itself.

use std::time::Duration;

use futures::future::join_all;
use intake_domain::duplicates::MAX_INDEXED_COPIES;
use intake_domain::ids::{FileId, JobId};
use intake_domain::model::{FileRef, StoredResult};
use intake_domain::ports::{CacheEntry, CacheKey};
use intake_tests::{
    invoice_with_lines, renumbered_invoice, sample_invoice, spawn_app, spawn_app_with, AppOptions,
    TestApp,
};
use serde_json::{json, Value};

const JOB_TIMEOUT: Duration = Duration::from_secs(60);

/// A finished job: its id, status object and result entries.
struct Finished {
    id: String,
    status: Value,
    results: Vec<Value>,
}

impl Finished {
    /// `{"job_id", "file_id"}` of the result entry `index`.
    fn file(&self, index: usize) -> Value {
        json!({"job_id": self.id, "file_id": self.results[index]["file_id"]})
    }
}

async fn run_job(app: &TestApp, documents: &[(&str, Vec<u8>)]) -> Finished {
    let documents: Vec<(&str, &str, Vec<u8>)> = documents
        .iter()
        .map(|(name, bytes)| (*name, "application/xml", bytes.clone()))
        .collect();
    let session = app.confirmed_session(&documents).await;
    let id = app
        .submit(session["id"].as_str().expect("session id"))
        .await;
    let status = app.wait_for_job(&id, JOB_TIMEOUT).await;
    let result = app.get(&format!("/jobs/{id}/result")).await;
    assert_eq!(result.status, 200, "{}", result.text);
    let results = result.body["results"].as_array().expect("results").clone();
    Finished {
        id,
        status,
        results,
    }
}

/// A result entry without what two files of the same bytes may differ in.
fn content(entry: &Value) -> Value {
    let mut content = entry.clone();
    for member in ["file_id", "cache", "duplicate_of"] {
        content.as_object_mut().expect("an entry").remove(member);
    }
    content
}

fn progress(succeeded: u32, failed: u32, cached: u32) -> Value {
    json!({"total": succeeded + failed, "queued": 0, "processing": 0,
           "succeeded": succeeded, "failed": failed, "cached": cached})
}

/// The sample invoice written again: other whitespace, another note.
fn reserialised() -> Vec<u8> {
    let text = String::from_utf8(sample_invoice()).expect("UTF-8");
    let again = text
        .replacen("\n    <cbc:IssueDate>", "\n\n        <cbc:IssueDate>", 1)
        .replacen("<cbc:Note>Alle", "<cbc:Note>Sent again. Alle", 1);
    assert_ne!(again, text);
    again.into_bytes()
}

fn no_duplicates(entry: &Value) {
    assert!(entry.get("duplicate_of").is_none(), "{entry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_bytes_in_a_later_job_are_served_from_the_cache() {
    // Arrange
    let app = spawn_app().await;
    let first = run_job(&app, &[("a.xml", sample_invoice())]).await;
    let runs = app.engine_runs();

    // Act
    let second = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert
    assert_eq!(app.engine_runs(), runs, "the hit skipped the engine");
    assert_eq!(first.results[0]["cache"], "miss");
    assert_eq!(second.results[0]["cache"], "hit");
    assert_eq!(content(&second.results[0]), content(&first.results[0]));
    assert!(second.results[0]["validation"]["engine"].is_string());
    no_duplicates(&first.results[0]);
    assert_eq!(second.results[0]["duplicate_of"], json!([first.file(0)]));
    assert_eq!(first.status["progress"], progress(1, 0, 0));
    assert_eq!(second.status["progress"], progress(1, 0, 1));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_jobs_extractions_are_no_longer_served() {
    // Arrange: a job whose file was cached, then deleted.
    let app = spawn_app().await;
    let first = run_job(&app, &[("a.xml", sample_invoice())]).await;
    let deleted = app
        .send(app.request(
            intake_client::Method::DELETE,
            &format!("/jobs/{}", first.id),
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let runs = app.engine_runs();

    // Act
    let second = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert: the engine ran again, and the deleted job is nobody's
    // original.
    assert_eq!(app.engine_runs(), runs + 1);
    assert_eq!(second.results[0]["cache"], "miss");
    assert_eq!(second.status["progress"], progress(1, 0, 0));
    no_duplicates(&second.results[0]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_part_hit_part_miss() {
    // Arrange
    let app = spawn_app().await;
    run_job(&app, &[("seen.xml", sample_invoice())]).await;
    let runs = app.engine_runs();

    // Act
    let job = run_job(
        &app,
        &[
            ("seen.xml", sample_invoice()),
            ("new-1.xml", renumbered_invoice("NEW-1")),
            ("new-2.xml", renumbered_invoice("NEW-2")),
        ],
    )
    .await;

    // Assert
    assert_eq!(app.engine_runs(), runs + 2);
    assert_eq!(job.status["progress"], progress(3, 0, 1));
    for entry in &job.results {
        let expected = if entry["name"] == "seen.xml" {
            "hit"
        } else {
            "miss"
        };
        assert_eq!(entry["cache"], expected, "{}", entry["name"]);
    }
    let new: Vec<&Value> = job
        .results
        .iter()
        .filter(|entry| entry["name"] != "seen.xml")
        .collect();
    assert_ne!(new[0]["invoice"]["number"], new[1]["invoice"]["number"]);
    new.into_iter().for_each(no_duplicates);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_with_the_same_bytes_misses_and_sees_no_duplicate() {
    // Arrange
    let mut app = spawn_app().await;
    run_job(&app, &[("a.xml", sample_invoice())]).await;
    let runs = app.engine_runs();
    app.switch_tenant();

    // Act
    let other = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert
    assert_eq!(app.engine_runs(), runs + 1);
    assert_eq!(other.results[0]["cache"], "miss");
    no_duplicates(&other.results[0]);
    assert_eq!(other.status["progress"], progress(1, 0, 0));
    app.switch_tenant();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_engine_release_misses_then_caches_its_own_verdict() {
    // Arrange
    let app = spawn_app().await;
    let first = run_job(&app, &[("a.xml", sample_invoice())]).await;
    app.release_engine("intake-engine test release 2");
    let runs = app.engine_runs();

    // Act
    let upgraded = run_job(&app, &[("a.xml", sample_invoice())]).await;
    let again = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert
    assert_eq!(app.engine_runs(), runs + 1);
    assert_eq!(upgraded.results[0]["cache"], "miss");
    assert_eq!(again.results[0]["cache"], "hit");
    assert_eq!(upgraded.status["progress"]["cached"], 0);
    assert_eq!(
        upgraded.results[0]["duplicate_of"],
        json!([first.file(0)]),
        "a duplicate whatever the engine"
    );
    assert_eq!(
        again.results[0]["duplicate_of"],
        json!([first.file(0), upgraded.file(0)])
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_entry_is_a_miss_and_is_replaced() {
    // Arrange: entries live five seconds.
    let mut options = AppOptions::default();
    options.settings.cache_ttl = Duration::from_secs(5);
    let app = spawn_app_with(options).await;
    run_job(&app, &[("a.xml", sample_invoice())]).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let runs = app.engine_runs();

    // Act
    let late = run_job(&app, &[("a.xml", sample_invoice())]).await;
    let soon_after = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert
    assert_eq!(late.results[0]["cache"], "miss");
    assert_eq!(soon_after.results[0]["cache"], "hit", "the new entry");
    assert_eq!(app.engine_runs(), runs + 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_invoice_in_other_bytes_is_a_duplicate_but_no_hit() {
    // Arrange
    let app = spawn_app().await;
    let first = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Act
    let resent = run_job(&app, &[("resent.xml", reserialised())]).await;
    let other = run_job(&app, &[("other.xml", renumbered_invoice("OTHER-1"))]).await;

    // Assert
    let entry = &resent.results[0];
    assert_ne!(entry["sha256"], first.results[0]["sha256"]);
    assert_eq!(entry["cache"], "miss");
    assert_eq!(entry["duplicate_of"], json!([first.file(0)]));
    assert_eq!(resent.status["progress"]["cached"], 0);
    no_duplicates(&other.results[0]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_copies_in_one_job_see_each_other_once() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let job = run_job(
        &app,
        &[("a.xml", sample_invoice()), ("b.xml", sample_invoice())],
    )
    .await;

    // Assert: exactly one is the earliest; the other lists it.
    let earliest: Vec<usize> = (0..2)
        .filter(|&i| job.results[i].get("duplicate_of").is_none())
        .collect();
    assert_eq!(earliest.len(), 1, "{:?}", job.results);
    let later = 1 - earliest[0];
    assert_eq!(
        job.results[later]["duplicate_of"],
        json!([job.file(earliest[0])])
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_document_is_neither_cached_nor_indexed() {
    // Arrange
    let app = spawn_app().await;
    let broken =
        b"<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"><cbc:ID>1"
            .to_vec();
    let first = run_job(&app, &[("broken.xml", broken.clone())]).await;
    let runs = app.engine_runs();

    // Act
    let again = run_job(&app, &[("broken.xml", broken)]).await;

    // Assert
    assert_eq!(app.engine_runs(), runs + 1, "a rejection is not cached");
    for job in [&first, &again] {
        let entry = &job.results[0];
        assert_eq!(entry["status"], "failed", "{entry}");
        assert_eq!(entry["cache"], "miss");
        no_duplicates(entry);
        assert_eq!(job.status["progress"], progress(0, 1, 0));
    }
    let engine = app.intake.engine().expect("an engine").version().to_owned();
    let key = CacheKey {
        tenant: &app.tenant,
        sha256: again.results[0]["sha256"].as_str().expect("sha256"),
        engine: &engine,
    };
    let entry = app
        .intake
        .ports()
        .cache
        .get(&key, chrono::Utc::now())
        .await
        .expect("cache read");
    assert_eq!(entry, None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_cached_extraction_is_kept_in_s3_under_its_job() {
    // Arrange: a result above the 32 KiB a DynamoDB item keeps.
    let app = spawn_app().await;
    let large = invoice_with_lines(300);
    let first = run_job(&app, &[("large.xml", large.clone())]).await;
    let runs = app.engine_runs();

    // Act
    let second = run_job(&app, &[("large.xml", large)]).await;

    // Assert
    assert_eq!(app.engine_runs(), runs);
    assert_eq!(second.results[0]["cache"], "hit");
    assert_eq!(content(&second.results[0]), content(&first.results[0]));
    assert!(
        first.results[0]["invoice"]["lines"]
            .as_array()
            .map(Vec::len)
            >= Some(300)
    );
    let key = format!(
        "cache/{}/{}/{}.json",
        app.tenant,
        first.id,
        first.results[0]["file_id"].as_str().expect("file id")
    );
    assert!(
        app.intake.ports().objects.exists(&key).await.expect("HEAD"),
        "{key}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_job_deletes_only_the_entries_it_wrote() {
    // Arrange
    let app = spawn_app().await;
    let first = run_job(&app, &[("a.xml", sample_invoice())]).await;
    let sha256 = first.results[0]["sha256"].as_str().expect("sha256");
    let cache = &app.intake.ports().cache;
    let first_job = JobId::parse(&first.id).expect("job id");

    // Act
    let by_another_job = cache
        .forget(&app.tenant, sha256, &JobId::generate())
        .await
        .expect("forget");
    let by_its_job = cache
        .forget(&app.tenant, sha256, &first_job)
        .await
        .expect("forget");
    let after = run_job(&app, &[("a.xml", sample_invoice())]).await;

    // Assert
    assert_eq!((by_another_job, by_its_job), (0, 1));
    assert_eq!(after.results[0]["cache"], "miss");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_honours_expiry_itself_and_keeps_a_live_entry() {
    // Arrange
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let cache = &app.intake.ports().cache;
    let key = CacheKey {
        tenant: &app.tenant,
        sha256: "ab",
        engine: "release 1",
    };
    let now = chrono::Utc::now();
    let entry = |json: &str, expires_at| CacheEntry {
        extraction: StoredResult::Inline(json.as_bytes().to_vec()),
        written_by: FileRef {
            job_id: JobId::generate(),
            file_id: FileId::generate(),
        },
        expires_at,
    };
    let expired = entry("{\"n\":1}", now - chrono::Duration::seconds(5));
    let live = entry("{\"n\":2}", now + chrono::Duration::seconds(600));
    let later = entry("{\"n\":3}", now + chrono::Duration::seconds(900));

    // Act
    let put_expired = cache.put(&key, &expired, now).await.expect("put");
    let read_expired = cache.get(&key, now).await.expect("get");
    let put_live = cache.put(&key, &live, now).await.expect("put");
    let put_later = cache.put(&key, &later, now).await.expect("put");
    let read = cache.get(&key, now).await.expect("get");
    let other_release = cache
        .get(
            &CacheKey {
                engine: "release 2",
                ..key
            },
            now,
        )
        .await
        .expect("get");

    // Assert
    assert!(put_expired && put_live && !put_later);
    assert_eq!(read_expired, None, "expired, whether or not TTL deleted it");
    let read = read.expect("the live entry");
    assert_eq!(read.extraction, live.extraction);
    assert_eq!(read.written_by, live.written_by);
    assert_eq!(read.expires_at.timestamp(), live.expires_at.timestamp());
    assert_eq!(other_release, None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_orders_concurrent_copies_once_and_keeps_its_limit() {
    // Arrange
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let index = &app.intake.ports().invoices;
    let expires_at = chrono::Utc::now() + chrono::Duration::days(30);
    let files: Vec<FileRef> = (0..MAX_INDEXED_COPIES + 5)
        .map(|_| FileRef {
            job_id: JobId::generate(),
            file_id: FileId::generate(),
        })
        .collect();

    // Act: every copy at once, then one again (a redelivery).
    let lists = join_all(
        files
            .iter()
            .map(|file| index.record(&app.tenant, "key", file, MAX_INDEXED_COPIES, expires_at)),
    )
    .await;
    let again = index
        .record(
            &app.tenant,
            "key",
            &files[3],
            MAX_INDEXED_COPIES,
            expires_at,
        )
        .await
        .expect("recorded");

    // Assert: one order, each list a prefix of it, each kept file once.
    let lists: Vec<Vec<FileRef>> = lists
        .into_iter()
        .map(|list| list.expect("recorded"))
        .collect();
    let order = lists.iter().max_by_key(|list| list.len()).expect("a list");
    assert_eq!(order.len(), MAX_INDEXED_COPIES);
    for (file, list) in files.iter().zip(&lists) {
        assert_eq!(list[..], order[..list.len()], "a prefix");
        match order.iter().position(|kept| kept == file) {
            Some(position) => assert_eq!(list.len(), position + 1, "ends with itself"),
            None => assert_eq!(list.len(), MAX_INDEXED_COPIES, "a full list"),
        }
    }
    assert_eq!(&again, order);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_index_list_starts_anew() {
    // Arrange
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let index = &app.intake.ports().invoices;
    let file = || FileRef {
        job_id: JobId::generate(),
        file_id: FileId::generate(),
    };
    let (old, new) = (file(), file());
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    index
        .record(&app.tenant, "key", &old, 5, past)
        .await
        .expect("recorded");

    // Act
    let list = index
        .record(
            &app.tenant,
            "key",
            &new,
            5,
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .await
        .expect("recorded");

    // Assert
    assert_eq!(list, vec![new]);
    app.stop().await;
}
