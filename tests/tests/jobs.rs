//! `GET /jobs` (the tenant's jobs, newest first, without a scan) and
//! `DELETE /jobs/{id}` (a terminal job's uploads, results and items).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use intake_client::Method;
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{QueueMessage, WorkMessage};
use intake_domain::processing::Delivery;
use intake_domain::service::upload_key;
use intake_tests::{
    function_deadline, sample_invoice, spawn_app, spawn_app_with, AppOptions, Receiver, Reply,
    TestApp, TEST_WEBHOOK_SECRET,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);
/// API Gateway's integration timeout.
const GATEWAY_LIMIT: Duration = Duration::from_secs(29);
/// What a DELETE of a 2000-file job may take on the emulators.
const DELETE_BUDGET: Duration = Duration::from_secs(20);

fn broken() -> Vec<u8> {
    b"<not-an-invoice/>".to_vec()
}

/// A job of `documents` (name, bytes) run to its end; its status object.
async fn finished_job(app: &TestApp, documents: &[(&str, Vec<u8>)]) -> Value {
    let documents: Vec<(&str, &str, Vec<u8>)> = documents
        .iter()
        .map(|(name, bytes)| (*name, "application/xml", bytes.clone()))
        .collect();
    let session = app.confirmed_session(&documents).await;
    let job_id = app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(&job_id, WAIT).await
}

/// The stack without work pollers: a job stays queued.
fn without_workers() -> AppOptions {
    AppOptions {
        pollers: 0,
        ..AppOptions::default()
    }
}

/// A one-invoice job submitted and left queued: (session id, job id).
async fn queued_job(app: &TestApp) -> (String, String) {
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let job_id = app.submit(&session_id).await;
    (session_id, job_id)
}

fn id_of(status: &Value) -> String {
    status["job_id"].as_str().expect("job id").to_owned()
}

/// Every page of `GET /jobs?{query}`, `limit` at a time: the job ids and
/// statuses of each page.
async fn list_pages(app: &TestApp, query: &str, limit: usize) -> Vec<Vec<(String, String)>> {
    let path = match query {
        "" => "/jobs".to_owned(),
        query => format!("/jobs?{query}"),
    };
    let pages = app.all_pages(&path, "jobs", limit).await;
    pages
        .iter()
        .map(|jobs| {
            jobs.iter()
                .map(|job| {
                    assert!(job.get("files").is_none(), "no files in the list: {job}");
                    assert!(job["progress"]["total"].is_u64(), "{job}");
                    let status = job["status"].as_str().expect("status");
                    (id_of(job), status.to_owned())
                })
                .collect()
        })
        .collect()
}

async fn delete(app: &TestApp, job_id: &str) -> Reply {
    app.send(app.request(Method::DELETE, &format!("/jobs/{job_id}")))
        .await
}

/// The keys of every object under `prefix`.
async fn objects(app: &TestApp, prefix: &str) -> Vec<String> {
    let pages: Vec<_> = app
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.deployment.bucket)
        .prefix(prefix)
        .into_paginator()
        .send()
        .collect()
        .await;
    pages
        .into_iter()
        .flat_map(|page| page.expect("list objects").contents().to_vec())
        .filter_map(|object| object.key().map(str::to_owned))
        .collect()
}

/// The partition keys of the test's table that name one of `ids` (a
/// test table of its own, so a scan is fine here).
async fn items_naming(app: &TestApp, ids: &[&str]) -> BTreeSet<String> {
    let pages: Vec<_> = app
        .clients
        .dynamodb
        .scan()
        .table_name(&app.deployment.table)
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages
        .into_iter()
        .map(|item| item.expect("scan"))
        .filter_map(|item| item.get("pk")?.as_s().ok().cloned())
        .filter(|pk| ids.iter().any(|id| pk.contains(id)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_is_newest_first_paged_and_filtered_by_status() {
    // Arrange: succeeded, partially failed, succeeded, in that order.
    let app = spawn_app().await;
    let oldest = finished_job(&app, &[("a.xml", sample_invoice())]).await;
    let partial = finished_job(&app, &[("a.xml", sample_invoice()), ("b.xml", broken())]).await;
    let newest = finished_job(&app, &[("a.xml", sample_invoice())]).await;
    let row = |status: &Value| {
        (
            id_of(status),
            status["status"].as_str().expect("s").to_owned(),
        )
    };

    // Act
    let all = list_pages(&app, "", 2).await;
    let succeeded = list_pages(&app, "status=succeeded", 1).await;
    let partially_failed = list_pages(&app, "status=partially_failed", 1000).await;
    let failed = list_pages(&app, "status=failed", 10).await;
    let whole = app.get("/jobs").await;

    // Assert
    assert_eq!(
        all,
        vec![vec![row(&newest), row(&partial)], vec![row(&oldest)]]
    );
    assert_eq!(
        succeeded,
        vec![vec![row(&newest)], vec![row(&oldest)]],
        "full pages of one status, no empty last page"
    );
    assert_eq!(partially_failed, vec![vec![row(&partial)]]);
    assert_eq!(failed, vec![Vec::new()]);
    assert_eq!(whole.status, 200, "{}", whole.text);
    let listed = &whole.body["jobs"][1];
    for member in [
        "job_id",
        "session_id",
        "status",
        "created_at",
        "updated_at",
        "completed_at",
    ] {
        assert_eq!(listed[member], partial[member], "{member}");
    }
    // a.xml was extracted before by the oldest job: served from the cache.
    assert_eq!(
        listed["progress"],
        json!({"total": 2, "queued": 0, "processing": 0, "succeeded": 1, "failed": 1, "cached": 1})
    );
    assert_eq!(listed["progress"], partial["progress"]);
    assert!(whole.body.get("next_cursor").is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_is_listed_before_it_runs_and_bad_queries_are_refused() {
    // Arrange
    let app = spawn_app_with(without_workers()).await;
    let (_, job_id) = queued_job(&app).await;

    // Act
    let queued = app.get("/jobs?status=queued").await;
    let processing = app.get("/jobs?status=processing").await;
    let refused = [
        (app.get("/jobs?limit=0").await, "invalid_limit"),
        (app.get("/jobs?limit=1001").await, "invalid_limit"),
        (app.get("/jobs?limit=many").await, "invalid_limit"),
        (app.get("/jobs?cursor=abc").await, "invalid_cursor"),
        (app.get("/jobs?status=done").await, "invalid_status"),
        (app.get("/jobs?status=").await, "invalid_status"),
    ];
    let no_key = app.send(app.without_key(Method::GET, "/jobs")).await;

    // Assert
    assert_eq!(queued.status, 200, "{}", queued.text);
    assert_eq!(queued.body["jobs"][0]["job_id"], job_id.as_str());
    assert_eq!(queued.body["jobs"][0]["status"], "queued");
    assert_eq!(queued.body["jobs"][0]["progress"]["queued"], 1);
    assert_eq!(processing.body["jobs"], json!([]));
    for (reply, code) in refused {
        reply.assert_problem(400, code);
    }
    no_key.assert_problem(401, "unauthorized");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_of_one_filter_is_refused_by_another() {
    // Arrange: two succeeded jobs, so the first page has a cursor.
    let app = spawn_app().await;
    for _ in 0..2 {
        finished_job(&app, &[("a.xml", sample_invoice())]).await;
    }
    let page = app.get("/jobs?status=succeeded&limit=1").await;
    let cursor = page.body["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();

    // Act
    let same = app
        .get(&format!("/jobs?status=succeeded&limit=1&cursor={cursor}"))
        .await;
    let unfiltered = app.get(&format!("/jobs?cursor={cursor}")).await;
    let other = app
        .get(&format!("/jobs?status=failed&cursor={cursor}"))
        .await;

    // Assert
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.body["jobs"].as_array().map(Vec::len), Some(1));
    unfiltered.assert_problem(400, "invalid_cursor");
    other.assert_problem(400, "invalid_cursor");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_neither_lists_nor_reads_nor_deletes_a_job() {
    // Arrange
    let app = spawn_app().await;
    let status = finished_job(&app, &[("a.xml", sample_invoice())]).await;
    let job_id = id_of(&status);
    let uploads = format!(
        "uploads/{}/{}/",
        app.tenant,
        status["session_id"].as_str().expect("s")
    );
    assert_eq!(objects(&app, &uploads).await.len(), 1);

    // Act
    let listed = app.send(app.as_other(Method::GET, "/jobs")).await;
    let events = app
        .send(app.as_other(Method::GET, &format!("/jobs/{job_id}/events")))
        .await;
    let deleted = app
        .send(app.as_other(Method::DELETE, &format!("/jobs/{job_id}")))
        .await;

    // Assert
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["jobs"], json!([]));
    events.assert_problem(404, "job_not_found");
    deleted.assert_problem(404, "job_not_found");
    let still = app.get(&format!("/jobs/{job_id}/status")).await;
    assert_eq!(still.status, 200, "nothing deleted: {}", still.text);
    assert_eq!(objects(&app, &uploads).await.len(), 1, "the upload stays");
    assert_eq!(list_pages(&app, "", 10).await.concat().len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_finished_job_removes_its_uploads_results_and_items() {
    // Arrange: every file result kept in S3 (a tiny inline limit), a
    // delivered webhook (event and attempt items), and another job that
    // must stay.
    let mut options = AppOptions::default();
    options.settings.file_result_inline_limit = 16;
    let app = spawn_app_with(options).await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let keep = finished_job(&app, &[("keep.xml", sample_invoice())]).await;
    let session = app
        .confirmed_session(&[
            ("a.xml", "application/xml", sample_invoice()),
            ("b.xml", "application/xml", broken()),
        ])
        .await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let accepted = app
        .send(
            app.request(Method::POST, &format!("/sessions/{session_id}/extract"))
                .json(&json!({"webhook_url": receiver.url})),
        )
        .await;
    let job_id = accepted.body["job_id"].as_str().expect("job id").to_owned();
    app.wait_for_job(&job_id, WAIT).await;
    app.wait_for_event(&job_id, "delivered", WAIT).await;
    let uploads = format!("uploads/{}/{session_id}/", app.tenant);
    let results = format!("results/{}/{job_id}", app.tenant);
    assert_eq!(objects(&app, &uploads).await.len(), 2);
    assert_eq!(
        objects(&app, &results).await.len(),
        3,
        "two file results and the job's document"
    );
    assert!(items_naming(&app, &[&job_id, &session_id]).await.len() >= 3);

    // Act
    let started = Instant::now();
    let deleted = delete(&app, &job_id).await;
    let took = started.elapsed();

    // Assert
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(deleted.text.is_empty(), "{}", deleted.text);
    println!("DELETE of a finished two-file job: {took:?}");
    for path in [
        format!("/jobs/{job_id}"),
        format!("/jobs/{job_id}/status"),
        format!("/jobs/{job_id}/result"),
        format!("/jobs/{job_id}/events"),
        format!("/jobs/{job_id}/webhook-deliveries"),
    ] {
        app.get(&path).await.assert_problem(404, "job_not_found");
    }
    app.get(&format!("/sessions/{session_id}"))
        .await
        .assert_problem(404, "session_not_found");
    let listed = list_pages(&app, "", 10).await.concat();
    assert_eq!(listed, vec![(id_of(&keep), "succeeded".to_owned())]);
    assert_eq!(objects(&app, &uploads).await, Vec::<String>::new());
    assert_eq!(objects(&app, &results).await, Vec::<String>::new());
    assert_eq!(
        items_naming(&app, &[&job_id, &session_id]).await,
        BTreeSet::new()
    );
    let kept = id_of(&keep);
    let kept_session = keep["session_id"].as_str().expect("session id");
    assert!(!items_naming(&app, &[&kept, kept_session]).await.is_empty());
    assert_eq!(
        objects(&app, &format!("uploads/{}/{kept_session}/", app.tenant))
            .await
            .len(),
        1
    );
    assert_eq!(app.get(&format!("/jobs/{kept}/result")).await.status, 200);
    delete(&app, &job_id)
        .await
        .assert_problem(404, "job_not_found");
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_still_running_is_not_deleted() {
    // Arrange
    let app = spawn_app_with(without_workers()).await;
    let (session_id, job_id) = queued_job(&app).await;

    // Act
    let deleted = delete(&app, &job_id).await;

    // Assert
    deleted.assert_problem(409, "job_not_finished");
    let status = app.get(&format!("/jobs/{job_id}/status")).await;
    assert_eq!(status.body["status"], "queued", "{}", status.text);
    assert_eq!(
        app.get(&format!("/sessions/{session_id}")).await.status,
        200
    );
    let uploads = format!("uploads/{}/{session_id}/", app.tenant);
    assert_eq!(objects(&app, &uploads).await.len(), 1);
    delete(&app, "job_nope")
        .await
        .assert_problem(404, "job_not_found");
    app.stop().await;
}

const FILES: usize = 2000;
/// Deliveries a worker invocation takes (the template's BatchSize), and
/// invocations at once.
const BATCH: usize = 10;
const WORKERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2000_file_job_is_deleted_well_inside_api_gateways_limit() {
    // Arrange: the state a real 2000-file job leaves, built without SQS
    // to keep the test short: the session created, uploaded (with the
    // pre-signed URLs) and confirmed through the API, the job submitted
    // through the API, then every file run by the worker's own use case
    // (`process_batch`, batches of 10, 8 at once) instead of pollers. So
    // every item and object is the real one: file items with their
    // results, two audit entries per file, counters, the decision, the
    // result document.
    let app = spawn_app_with(without_workers()).await;
    let invoice = sample_invoice();
    let documents: Vec<(String, &str, Vec<u8>)> = (0..FILES)
        .map(|i| {
            (
                format!("invoice-{i:04}.xml"),
                "application/xml",
                invoice.clone(),
            )
        })
        .collect();
    let documents: Vec<(&str, &str, Vec<u8>)> = documents
        .iter()
        .map(|(name, content_type, bytes)| (name.as_str(), *content_type, bytes.clone()))
        .collect();
    let built = Instant::now();
    let session = app.confirmed_session(&documents).await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let job_id = app.submit(&session_id).await;
    let job = JobId::parse(&job_id).expect("job id");
    let session = SessionId::parse(&session_id).expect("session id");
    let file_ids: Vec<FileId> = app
        .all_pages(&format!("/jobs/{job_id}/status"), "files", 1000)
        .await
        .concat()
        .iter()
        .map(|file| FileId::parse(file["file_id"].as_str().expect("id")).expect("file id"))
        .collect();
    assert_eq!(file_ids.len(), FILES);
    let deliveries: Vec<Delivery> = file_ids
        .iter()
        .map(|file_id| Delivery {
            message: QueueMessage::File(WorkMessage {
                v: WorkMessage::VERSION,
                tenant: app.tenant.clone(),
                session_id: session.clone(),
                job_id: job.clone(),
                file_id: file_id.clone(),
                object_key: upload_key(&app.tenant, &session, file_id),
                reopen: false,
            }),
            receipt_handle: format!("receipt-{file_id}"),
            receive_count: 1,
            source: "arn:aws:sqs:us-east-1:000000000000:work".to_owned(),
        })
        .collect();
    futures::stream::iter(deliveries.chunks(BATCH))
        .for_each_concurrent(WORKERS, |batch| async {
            app.intake.process_batch(batch, function_deadline()).await;
        })
        .await;
    let status = app.wait_for_job(&job_id, WAIT).await;
    assert_eq!(status["status"], "succeeded", "{}", status["progress"]);
    let trail = app.get(&format!("/jobs/{job_id}/events?limit=1000")).await;
    assert!(trail.body["next_cursor"].is_string(), "a trail of pages");
    let uploads = format!("uploads/{}/{session_id}/", app.tenant);
    assert_eq!(objects(&app, &uploads).await.len(), FILES);
    let items_before = items_naming(&app, &[&job_id, &session_id]).await;
    println!("2000-file state built in {:?}", built.elapsed());

    // Act
    let started = Instant::now();
    let deleted = delete(&app, &job_id).await;
    let took = started.elapsed();

    // Assert
    println!("DELETE of a 2000-file job: {took:?}");
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    // Measured 8–11 s on DynamoDB Local sharing two busy cores; AWS's
    // BatchWriteItem is several times faster.
    assert!(
        took < DELETE_BUDGET,
        "{took:?} is not well inside API Gateway's {GATEWAY_LIMIT:?}"
    );
    assert!(!items_before.is_empty());
    assert_eq!(
        items_naming(&app, &[&job_id, &session_id]).await,
        BTreeSet::new()
    );
    assert_eq!(objects(&app, &uploads).await, Vec::<String>::new());
    assert_eq!(
        objects(&app, &format!("results/{}/{job_id}", app.tenant)).await,
        Vec::<String>::new()
    );
    app.get(&format!("/jobs/{job_id}/status"))
        .await
        .assert_problem(404, "job_not_found");
    app.stop().await;
}
