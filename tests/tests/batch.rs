//! Sessions of the contract's full size (2000 files): the whole lifecycle,
//! pages of files and results, the express lane, 64 racing workers, and the
//! idempotent replay of an answer too large for a DynamoDB item.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use intake_domain::ids::SessionId;
use intake_domain::processing::DeliveryOutcome;
use intake_tests::{
    sample_invoice, spawn_app, spawn_app_with, AppOptions, Receiver, TestApp, TEST_WEBHOOK_SECRET,
};
use serde_json::{json, Value};

const FILES: usize = 2000;

/// The 2000-file tests take turns: on two cores, running both at once only
/// makes each slower.
static FULL_SIZE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `count` invoices, the one at `broken` (if any) not an invoice.
fn documents(count: usize, broken: Option<usize>) -> Vec<(String, &'static str, Vec<u8>)> {
    let invoice = sample_invoice();
    (0..count)
        .map(|i| {
            let bytes = if Some(i) == broken {
                b"<not-an-invoice/>".to_vec()
            } else {
                invoice.clone()
            };
            (format!("invoice-{i:04}.xml"), "application/xml", bytes)
        })
        .collect()
}

async fn confirmed(app: &TestApp, documents: &[(String, &'static str, Vec<u8>)]) -> Value {
    let documents: Vec<(&str, &str, Vec<u8>)> = documents
        .iter()
        .map(|(name, content_type, bytes)| (name.as_str(), *content_type, bytes.clone()))
        .collect();
    app.confirmed_session(&documents).await
}

/// A job's progress without `cached`: how many of a batch's copies of one
/// invoice were served from the cache depends on how many ran before the
/// first was cached, but it never exceeds `succeeded`.
fn progress_but_cached(status: &Value) -> Value {
    let mut progress = status["progress"].clone();
    let cached = progress
        .as_object_mut()
        .and_then(|progress| progress.remove("cached"))
        .and_then(|cached| cached.as_u64())
        .expect("progress.cached");
    assert!(
        cached <= progress["succeeded"].as_u64().unwrap_or(0),
        "{status}"
    );
    progress
}

fn ids(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| item[field].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2000_file_session_completes_whole_with_one_event_and_pages() {
    let _turn = FULL_SIZE.lock().await;
    // Arrange: four pollers per queue and a window of two batches each.
    let mut options = AppOptions {
        pollers: 4,
        ..AppOptions::default()
    };
    options.settings.dispatch_window = 80;
    let app = spawn_app_with(options).await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let documents = documents(FILES, Some(7));
    let session = confirmed(&app, &documents).await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let single = app
        .confirmed_session(&[("alone.xml", "application/xml", sample_invoice())])
        .await;

    // Act: the batch, then a one-file job while the batch runs.
    let accepted = app
        .send(
            app.request(
                intake_client::Method::POST,
                &format!("/sessions/{session_id}/extract"),
            )
            .json(&json!({"webhook_url": receiver.url})),
        )
        .await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    let job_id = accepted.body["job_id"].as_str().expect("job id").to_owned();
    let single_job = app.submit(single["id"].as_str().expect("id")).await;
    app.wait_for_job(&single_job, Duration::from_secs(60)).await;
    let batch_when_single_done = app.get(&format!("/jobs/{job_id}/status?limit=1")).await;
    let status = app.wait_for_job(&job_id, Duration::from_secs(600)).await;
    println!(
        "2000 files: submitted at {}, completed at {}",
        status["created_at"], status["completed_at"]
    );

    // Assert: the express lane did not wait behind the batch.
    assert!(
        !["succeeded", "partially_failed", "failed"].contains(
            &batch_when_single_done.body["status"]
                .as_str()
                .unwrap_or_default()
        ),
        "the one-file job finished only after the batch: {}",
        batch_when_single_done.text
    );
    // Every file is terminal, counted once.
    assert_eq!(
        status["status"], "partially_failed",
        "{}",
        status["progress"]
    );
    assert_eq!(
        progress_but_cached(&status),
        json!({"total": FILES, "queued": 0, "processing": 0, "succeeded": FILES - 1, "failed": 1})
    );
    // Status pages: 1000 by default, then the rest.
    assert_eq!(status["files"].as_array().map(Vec::len), Some(1000));
    let status_pages = app
        .all_pages(&format!("/jobs/{job_id}/status"), "files", 1000)
        .await;
    assert_eq!(
        status_pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [1000, 1000]
    );
    let file_ids: Vec<String> = status_pages
        .iter()
        .flat_map(|page| ids(page, "file_id"))
        .collect();
    assert_eq!(file_ids.iter().collect::<HashSet<_>>().len(), FILES);
    // Session pages of another size name the same files in the same order.
    let session_pages = app
        .all_pages(&format!("/sessions/{session_id}"), "files", 700)
        .await;
    assert_eq!(
        session_pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [700, 700, 600]
    );
    let session_ids: Vec<String> = session_pages
        .iter()
        .flat_map(|page| ids(page, "id"))
        .collect();
    assert_eq!(session_ids, file_ids);
    // The whole result (a redirect to the same JSON above 1 MiB; followed).
    let redirect = app.get(&format!("/jobs/{job_id}/result")).await;
    assert_eq!(redirect.status, 303, "{}", redirect.text);
    let whole = serde_json::to_value(
        app.client
            .result_document(&job_id)
            .await
            .expect("the whole result behind the redirect"),
    )
    .expect("the result as JSON");
    let results = whole["results"].as_array().expect("results");
    assert_eq!(ids(results, "file_id"), file_ids);
    assert_eq!(whole["status"], "partially_failed");
    let failed: Vec<&Value> = results.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["name"], "invoice-0007.xml");
    assert!(results
        .iter()
        .filter(|r| r["status"] == "succeeded")
        .all(|r| r["invoice"]["number"].is_string() && r["sha256"].is_string()));
    // The paged result holds the same entries.
    let result_pages = app
        .all_pages(&format!("/jobs/{job_id}/result"), "results", 1000)
        .await;
    let paged: Vec<Value> = result_pages.into_iter().flatten().collect();
    assert_eq!(&paged, results);
    // One event, without a files array for a job this large.
    let deliveries = receiver.wait_for(1, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let deliveries_after_grace = receiver.deliveries();
    assert_eq!(
        deliveries_after_grace.len(),
        1,
        "{deliveries_after_grace:?}"
    );
    let data = &deliveries[0]["body"]["data"];
    assert_eq!(data["job_id"], job_id, "{data}");
    assert_eq!(data["progress"]["total"], FILES);
    assert!(data.get("files").is_none(), "{data}");
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_workers_on_one_2000_file_job_decide_it_once() {
    let _turn = FULL_SIZE.lock().await;
    // Arrange: no pollers; the test is the 64 workers.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = confirmed(&app, &documents(FILES, None)).await;
    let session_id = SessionId::parse(session["id"].as_str().expect("id")).expect("session id");
    let (job_id, deliveries) = app.submit_for_delivery(&session).await;
    let retries_before = intake_aws::transaction_retries();

    // Act: batches of 10, 64 workers at once. What is tested is the
    // decision, not the deadline: 64 batches on two shared cores may take
    // longer than a function's 30 s, so each gets ample time.
    let outcomes: Vec<DeliveryOutcome> = futures::stream::iter(deliveries.chunks(10))
        .map(|batch| {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
            app.intake.process_batch(batch, deadline)
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();

    // Assert
    let retries = intake_aws::transaction_retries() - retries_before;
    println!("64 workers, {FILES} files: {retries} transaction conflict retries");
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == DeliveryOutcome::Done),
        "{} retries asked",
        outcomes
            .iter()
            .filter(|o| **o == DeliveryOutcome::Retry)
            .count()
    );
    let status = app
        .get(&format!("/jobs/{job_id}/status?limit=1"))
        .await
        .body;
    assert_eq!(status["status"], "succeeded", "{}", status["progress"]);
    assert_eq!(
        progress_but_cached(&status),
        json!({"total": FILES, "queued": 0, "processing": 0, "succeeded": FILES, "failed": 0})
    );
    let trail = app
        .intake
        .ports()
        .audit
        .trail(&app.tenant, &session_id)
        .await
        .expect("audit trail");
    let completed = trail.iter().filter(|e| e.event == "job.completed").count();
    assert_eq!(completed, 1, "the job is decided once");
    assert!(
        retries < 64,
        "{retries} conflict retries: the per-file path must not contend"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_refuse_bad_limits_and_foreign_cursors() {
    // Arrange: two finished three-file jobs.
    let app = spawn_app().await;
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let session = confirmed(&app, &documents(3, None)).await;
        let job = app.submit(session["id"].as_str().expect("id")).await;
        app.wait_for_job(&job, Duration::from_secs(60)).await;
        jobs.push((session["id"].as_str().expect("id").to_owned(), job));
    }
    let (session, job) = &jobs[0];
    let other_cursor = app
        .get(&format!("/jobs/{}/status?limit=1", jobs[1].1))
        .await
        .body["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();

    // Act
    let one_by_one = app
        .all_pages(&format!("/jobs/{job}/result"), "results", 1)
        .await;
    let session_pages = app
        .all_pages(&format!("/sessions/{session}"), "files", 2)
        .await;
    let whole = app.get(&format!("/jobs/{job}/status")).await;

    // Assert
    assert_eq!(
        one_by_one.iter().map(Vec::len).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert_eq!(
        session_pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(whole.body.get("next_cursor").is_none(), "{}", whole.text);
    for path in [
        format!("/jobs/{job}/status"),
        format!("/jobs/{job}"),
        format!("/jobs/{job}/result"),
        format!("/sessions/{session}"),
    ] {
        for limit in ["0", "1001", "-1", "many"] {
            app.get(&format!("{path}?limit={limit}"))
                .await
                .assert_problem(400, "invalid_limit");
        }
        for cursor in ["x", "%21%21", other_cursor.as_str()] {
            app.get(&format!("{path}?cursor={cursor}"))
                .await
                .assert_problem(400, "invalid_cursor");
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2000_file_session_answer_is_replayed_for_its_key() {
    // Arrange: the answer (2000 pre-signed URLs) is several MB, above
    // DynamoDB's 400 KB item limit.
    let app = spawn_app().await;
    let files: Vec<Value> = (0..FILES)
        .map(|i| json!({"name": format!("f{i}.xml"), "content_type": "application/xml"}))
        .collect();
    let body = json!({ "files": files });
    let create = || {
        app.send(
            app.request(intake_client::Method::POST, "/sessions")
                .header("idempotency-key", "large-session")
                .json(&body),
        )
    };

    // Act
    let first = create().await;
    let second = create().await;

    // Assert
    assert_eq!(first.status, 201, "{}", first.text.len());
    assert!(first.text.len() > 400 * 1024, "{} bytes", first.text.len());
    assert_eq!(second.status, 201);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        second.text, first.text,
        "the same session, not a second one"
    );
    assert_eq!(second.header("location"), first.header("location"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_an_unfinished_job_result_is_a_conflict() {
    // Arrange: nobody works the queues.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = confirmed(&app, &documents(2, None)).await;
    let job = app.submit(session["id"].as_str().expect("id")).await;

    // Act
    let page = app.get(&format!("/jobs/{job}/result?limit=1")).await;
    let status = app.get(&format!("/jobs/{job}/status?limit=1")).await;

    // Assert
    page.assert_problem(409, "job_not_finished");
    assert_eq!(status.status, 200);
    assert_eq!(status.body["status"], "queued");
    assert_eq!(status.body["files"].as_array().map(Vec::len), Some(1));
    assert!(status.body["next_cursor"].is_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_that_fails_midway_resumes_and_sends_every_file() {
    // Arrange: every second send of work messages fails; the window makes
    // the dispatcher send a 60-file job in several rounds.
    let mut options = AppOptions {
        failing_enqueue_every: Some(2),
        ..AppOptions::default()
    };
    options.settings.dispatch_window = 20;
    let app = spawn_app_with(options).await;
    let session = confirmed(&app, &documents(60, None)).await;

    // Act
    let job = app.submit(session["id"].as_str().expect("id")).await;
    let status = app.wait_for_job(&job, Duration::from_secs(120)).await;

    // Assert: every file was sent, processed and counted once.
    assert_eq!(status["status"], "succeeded", "{}", status["progress"]);
    assert_eq!(
        progress_but_cached(&status),
        json!({"total": 60, "queued": 0, "processing": 0, "succeeded": 60, "failed": 0})
    );
    let files = status["files"].as_array().expect("files");
    assert!(files.iter().all(|file| file["status"] == "succeeded"));
    assert!(
        app.dead_letters(Duration::from_secs(3)).await.is_empty(),
        "no dispatch or work message gave up"
    );
    app.stop().await;
}
