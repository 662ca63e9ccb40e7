//! Bulk replay of a dead-letter queue: `POST /admin/dead-letters/replays`
//! records the task and answers at once; the worker drains the queue in
//! rounds; `GET /admin/dead-letters/replays/{id}` shows how far it got.

use std::time::Duration;

use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use intake_client::Method;
use intake_tests::{spawn_app, spawn_app_with, AppOptions, TestApp};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

/// Puts `bodies` into the queue at `url`, ten per call.
async fn send_all(app: &TestApp, url: &str, bodies: &[String]) {
    for (chunk, bodies) in bodies.chunks(10).enumerate() {
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("{chunk}-{i}"))
                    .message_body(body)
                    .build()
                    .expect("entry")
            })
            .collect();
        let sent = app
            .clients
            .sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send to the dead-letter queue");
        assert!(sent.failed().is_empty(), "{:?}", sent.failed());
    }
}

/// The replay once it is completed with `moved` letters moved (two
/// deliveries of its message may run side by side: the tests' queues hide
/// a message for a few seconds only, so the one that finds the queue empty
/// first completes the task while the other still counts its last round).
async fn wait_until_done(app: &TestApp, location: &str, moved: u64) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let reply = app.as_admin(Method::GET, location, None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        if reply.body["status"] == "completed" && reply.body["moved"] == moved {
            return reply.body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not completed with {moved} moved after {WAIT:?}: {}",
            reply.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn messages_in(app: &TestApp, url: &str) -> u64 {
    let attributes = app
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("queue attributes");
    attributes
        .attributes()
        .and_then(|all| all.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|count| count.parse().ok())
        .expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_replay_drains_a_large_work_dead_letter_queue_in_the_background() {
    // Arrange: 250 dead copies of a finished file's work message (many
    // rounds); once back, the workers acknowledge them without effect.
    let app = spawn_app().await;
    let message = app.finished_file_message().await;
    let job_id = &message.job_id;
    let body = serde_json::to_string(&message).expect("JSON");
    send_all(&app, &app.deployment.work_dlq_url, &vec![body; 250]).await;

    // Act
    let started = app
        .as_admin(Method::POST, "/admin/dead-letters/replays", None)
        .await;
    let location = started.header("location").expect("a Location").to_owned();
    let completed = wait_until_done(&app, &location, 250).await;

    // Assert
    assert_eq!(started.status, 202, "{}", started.text);
    assert_eq!(started.body["status"], "running");
    assert_eq!(started.body["queue"], "work");
    let replay_id = started.body["replay_id"].as_str().expect("an id");
    assert!(replay_id.starts_with("rpl_"), "{replay_id}");
    assert_eq!(location, format!("/admin/dead-letters/replays/{replay_id}"));
    assert!(completed["completed_at"].is_string(), "{completed}");
    assert!(app.dead_letters(Duration::from_secs(1)).await.is_empty());
    let status = app.get(&format!("/jobs/{job_id}/status")).await;
    assert_eq!(status.body["status"], "succeeded", "{}", status.text);
    assert_eq!(status.body["files"][0]["attempts"], 1, "{}", status.text);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_replay_of_the_webhook_dead_letters_sends_them_back_unchanged() {
    // Arrange: nobody polls the webhook queue, so what comes back stays.
    let app = spawn_app_with(AppOptions {
        webhook_pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let bodies: Vec<String> = (0..25).map(|i| format!("{{\"letter\":{i}}}")).collect();
    send_all(&app, &app.deployment.webhook_dlq_url, &bodies).await;

    // Act
    let started = app
        .as_admin(
            Method::POST,
            "/admin/dead-letters/replays",
            Some(json!({"queue": "webhooks"})),
        )
        .await;
    let location = started.header("location").expect("a Location").to_owned();
    let completed = wait_until_done(&app, &location, 25).await;

    // Assert
    assert_eq!(started.status, 202, "{}", started.text);
    assert_eq!(
        (&completed["queue"], &completed["moved"]),
        (&json!("webhooks"), &json!(25))
    );
    assert_eq!(
        messages_in(&app, &app.deployment.webhook_queue_url).await,
        25
    );
    assert!(app
        .webhook_dead_letters(Duration::from_secs(1))
        .await
        .is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_replays_refuse_tenants_unknown_queues_and_unknown_ids() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let bad_queue = app
        .as_admin(
            Method::POST,
            "/admin/dead-letters/replays",
            Some(json!({"queue": "express"})),
        )
        .await;
    let unknown_member = app
        .as_admin(
            Method::POST,
            "/admin/dead-letters/replays",
            Some(json!({"limit": 5})),
        )
        .await;
    let unknown = app
        .as_admin(
            Method::GET,
            "/admin/dead-letters/replays/rpl_01J9Z5Q2V4N8K3M6P7R9T1W2XY",
            None,
        )
        .await;
    let malformed = app
        .as_admin(Method::GET, "/admin/dead-letters/replays/job_1", None)
        .await;
    let as_tenant = app
        .send(
            app.request(Method::POST, "/admin/dead-letters/replays")
                .json(&json!({})),
        )
        .await;

    // Assert
    bad_queue.assert_problem(400, "invalid_queue");
    unknown_member.assert_problem(400, "malformed_request");
    unknown.assert_problem(404, "replay_not_found");
    malformed.assert_problem(404, "replay_not_found");
    as_tenant.assert_problem(401, "unauthorized");
    app.stop().await;
}
