//! `GET /jobs/{id}/events`: a job's audit trail, written by the moves
//! themselves, read oldest first in pages, only by the job's tenant.

use std::collections::HashSet;
use std::time::Duration;

use intake_client::Method;
use intake_tests::{
    assert_public, sample_invoice, spawn_app, spawn_app_with, AppOptions, Receiver,
    TEST_WEBHOOK_SECRET,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

/// `(type, file_id, attempt)` of each event.
fn lines(events: &[Value]) -> Vec<(String, Option<String>, Option<u64>)> {
    events
        .iter()
        .map(|event| {
            (
                event["type"].as_str().expect("type").to_owned(),
                event["file_id"].as_str().map(str::to_owned),
                event["attempt"].as_u64(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_shows_every_move_retry_failure_and_webhook_attempt_in_order() {
    // Arrange: the first read of an upload fails (an S3 outage), one file
    // is not an invoice, and the receiver answers 500, then 200.
    let app = spawn_app_with(AppOptions {
        failing_reads: 1,
        ..AppOptions::default()
    })
    .await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "500,200").await;
    let created = app
        .create_session(json!({
            "files": [
                {"name": "a.xml", "content_type": "application/xml"},
                {"name": "b.xml", "content_type": "application/xml"},
            ],
            "webhook_url": receiver.url,
        }))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let session_id = created.body["id"].as_str().expect("id").to_owned();
    let files = created.body["files"].as_array().expect("files").clone();
    app.upload(&files[0], sample_invoice()).await;
    app.upload(&files[1], b"<not-an-invoice/>".to_vec()).await;
    assert_eq!(app.confirm(&session_id).await.status, 200);
    let job_id = app.submit(&session_id).await;
    app.wait_for_job(&job_id, WAIT).await;
    app.wait_for_event(&job_id, "delivered", WAIT).await;

    // Act
    let reply = app.get(&format!("/jobs/{job_id}/events")).await;

    // Assert
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_public(&reply.text);
    assert!(reply.body.get("next_cursor").is_none(), "one page");
    let events = reply.body["events"].as_array().expect("events").clone();
    let all = lines(&events);
    let kinds: Vec<&str> = all.iter().map(|(kind, _, _)| kind.as_str()).collect();
    assert_eq!(kinds[0], "job.created", "{kinds:?}");
    // The dispatch is recorded once its messages are sent, so a worker may
    // already have started a file: its place among the file entries is not
    // fixed, only that there is one, before the job completes.
    let dispatched: Vec<usize> = (0..kinds.len())
        .filter(|&i| kinds[i] == "job.dispatched")
        .collect();
    assert_eq!(dispatched.len(), 1, "{kinds:?}");
    assert!(dispatched[0] < kinds.len() - 3, "{kinds:?}");
    assert!(
        !kinds.iter().any(|kind| kind.starts_with("session.")),
        "the session's own entries are not the job's: {kinds:?}"
    );
    let tail: Vec<(String, Option<String>, Option<u64>)> = all[all.len() - 3..].to_vec();
    assert_eq!(
        tail,
        vec![
            ("job.completed".to_owned(), None, None),
            ("webhook.attempt".to_owned(), None, Some(1)),
            ("webhook.attempt".to_owned(), None, Some(2)),
        ],
        "{kinds:?}"
    );
    let retried: Vec<&str> = all
        .iter()
        .filter(|(kind, _, _)| kind == "file.retry")
        .filter_map(|(_, file, _)| file.as_deref())
        .collect();
    assert_eq!(retried.len(), 1, "one outage, one retry: {kinds:?}");
    for file in &files {
        let id = file["id"].as_str().expect("file id");
        let of_file: Vec<(String, Option<u64>)> = all
            .iter()
            .filter(|(_, file, _)| file.as_deref() == Some(id))
            .map(|(kind, _, attempt)| (kind.clone(), *attempt))
            .collect();
        let end = if file["name"] == "a.xml" {
            "file.succeeded"
        } else {
            "file.failed"
        };
        let expected: Vec<(String, Option<u64>)> = if retried[0] == id {
            vec![
                ("file.processing".to_owned(), Some(1)),
                ("file.retry".to_owned(), Some(1)),
                ("file.processing".to_owned(), Some(2)),
                (end.to_owned(), Some(2)),
            ]
        } else {
            vec![
                ("file.processing".to_owned(), Some(1)),
                (end.to_owned(), Some(1)),
            ]
        };
        assert_eq!(of_file, expected, "{}", file["name"]);
    }
    assert_eq!(all.len(), 2 + 6 + 3, "nothing else: {kinds:?}");
    let times: Vec<&str> = events
        .iter()
        .map(|event| event["at"].as_str().expect("at"))
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    let detail = |kind: &str, attempt: u64| -> String {
        events
            .iter()
            .find(|e| e["type"] == kind && e["attempt"] == attempt)
            .and_then(|e| e["detail"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        detail("file.retry", 1).starts_with("the attempt failed because of a fault on our side"),
        "{}",
        detail("file.retry", 1)
    );
    assert!(
        detail("webhook.attempt", 1).starts_with("the receiver answered 500; next attempt in"),
        "{}",
        detail("webhook.attempt", 1)
    );
    assert_eq!(
        detail("webhook.attempt", 2),
        "the receiver answered 200; delivered"
    );
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_two_walk_the_whole_trail_without_gaps_or_repeats() {
    // Arrange: a finished three-file job: 2 + 3 × 2 + 1 entries.
    let app = spawn_app().await;
    let invoice = sample_invoice();
    let session = app
        .confirmed_session(&[
            ("a.xml", "application/xml", invoice.clone()),
            ("b.xml", "application/xml", invoice.clone()),
            ("c.xml", "application/xml", invoice),
        ])
        .await;
    let job_id = app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(&job_id, WAIT).await;
    let whole = app.get(&format!("/jobs/{job_id}/events")).await;
    let whole = whole.body["events"].as_array().expect("events").clone();

    // Act
    let pages = app
        .all_pages(&format!("/jobs/{job_id}/events"), "events", 2)
        .await;

    // Assert
    assert_eq!(whole.len(), 9, "{whole:?}");
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 2, 2, 2, 1]
    );
    let walked: Vec<Value> = pages.concat();
    assert_eq!(walked, whole, "the pages are the whole trail, in order");
    let distinct: HashSet<String> = walked.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), walked.len(), "no entry twice");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_refuses_bad_pages_foreign_cursors_and_other_tenants() {
    // Arrange: two finished jobs, the first of two files.
    let app = spawn_app().await;
    let invoice = sample_invoice();
    let mut jobs = Vec::new();
    for count in [2, 1] {
        let documents: Vec<(&str, &str, Vec<u8>)> = (0..count)
            .map(|_| ("a.xml", "application/xml", invoice.clone()))
            .collect();
        let session = app.confirmed_session(&documents).await;
        let job_id = app.submit(session["id"].as_str().expect("id")).await;
        app.wait_for_job(&job_id, WAIT).await;
        jobs.push(job_id);
    }
    let (first, second) = (&jobs[0], &jobs[1]);
    let cursor_of = |reply: intake_tests::Reply| -> String {
        reply.body["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("a next page: {}", reply.text))
            .to_owned()
    };
    let file_cursor = cursor_of(app.get(&format!("/jobs/{first}/status?limit=1")).await);
    let trail_cursor = cursor_of(app.get(&format!("/jobs/{first}/events?limit=1")).await);
    let list_cursor = cursor_of(app.get("/jobs?limit=1").await);
    let as_other = |path: String| app.as_other(Method::GET, &path);

    // Act
    let stranger = app.send(as_other(format!("/jobs/{first}/events"))).await;
    let unknown = app.get("/jobs/job_01J9Z5R8D2F4G6H8J0K2M4N6P8/events").await;
    let zero = app.get(&format!("/jobs/{first}/events?limit=0")).await;
    let too_many = app.get(&format!("/jobs/{first}/events?limit=1001")).await;
    let garbage = app.get(&format!("/jobs/{first}/events?cursor=abc")).await;
    let of_files = app
        .get(&format!("/jobs/{first}/events?cursor={file_cursor}"))
        .await;
    let of_another_trail = app
        .get(&format!("/jobs/{second}/events?cursor={trail_cursor}"))
        .await;
    let of_the_list = app
        .get(&format!("/jobs/{first}/events?cursor={list_cursor}"))
        .await;
    let no_key = app
        .send(app.without_key(Method::GET, &format!("/jobs/{first}/events")))
        .await;

    // Assert
    stranger.assert_problem(404, "job_not_found");
    unknown.assert_problem(404, "job_not_found");
    zero.assert_problem(400, "invalid_limit");
    too_many.assert_problem(400, "invalid_limit");
    for refused in [garbage, of_files, of_another_trail, of_the_list] {
        refused.assert_problem(400, "invalid_cursor");
    }
    no_key.assert_problem(401, "unauthorized");
    app.stop().await;
}
