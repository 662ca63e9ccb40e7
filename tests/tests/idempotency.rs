//! `Idempotency-Key` on POSTs and extraction submitted more than once.

use std::collections::HashSet;

use intake_client::Method;
use intake_tests::{sample_invoice, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_create_with_the_same_key_replays_the_first_response() {
    // Arrange
    let app = spawn_app().await;
    let body = json!({"files": [{"name": "a.xml", "content_type": "application/xml"}]});
    let create = || {
        app.request(Method::POST, "/sessions")
            .header("idempotency-key", "create-1")
            .json(&body)
    };

    // Act
    let first = app.send(create()).await;
    let second = app.send(create()).await;

    // Assert
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(first.body, second.body, "same body, no second session");
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("location"), second.header("location"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_body_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let with_body = |name: &str| {
        app.request(Method::POST, "/sessions")
            .header("idempotency-key", "create-2")
            .json(&json!({"files": [{"name": name, "content_type": "application/xml"}]}))
    };
    assert_eq!(app.send(with_body("a.xml")).await.status, 201);

    // Act
    let reused = app.send(with_body("b.xml")).await;

    // Assert
    reused.assert_problem(422, "idempotency_key_reused");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_per_tenant() {
    // Arrange
    let app = spawn_app().await;
    let body = json!({});
    let first = app
        .send(
            app.request(Method::POST, "/sessions")
                .header("idempotency-key", "shared")
                .json(&body),
        )
        .await;

    // Act
    let other = app
        .send(
            app.as_other(Method::POST, "/sessions")
                .header("idempotency-key", "shared")
                .json(&body),
        )
        .await;

    // Assert
    assert_eq!(other.status, 201);
    assert_ne!(first.body["id"], other.body["id"]);
    assert!(other.header("idempotent-replayed").is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_key_is_a_bad_request() {
    let app = spawn_app().await;
    for key in ["", &"k".repeat(256)] {
        let reply = app
            .send(
                app.request(Method::POST, "/sessions")
                    .header("idempotency-key", key),
            )
            .await;
        reply.assert_problem(400, "invalid_idempotency_key");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_submissions_with_one_key_create_one_job() {
    // Arrange
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");

    // Act
    let replies =
        futures::future::join_all((0..50).map(|_| app.extract(session_id, Some("submit-once"))))
            .await;

    // Assert: every answer is the job's 202 or "still in progress"; one job.
    let mut jobs = HashSet::new();
    for reply in &replies {
        match reply.status {
            202 => {
                jobs.insert(reply.body["job_id"].as_str().expect("job id").to_owned());
            }
            409 => reply.assert_problem(409, "idempotency_request_in_progress"),
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let again = app.extract(session_id, Some("submit-once")).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert!(jobs.contains(again.body["job_id"].as_str().expect("job id")));
    let job_id = jobs.into_iter().next().expect("one job");
    let status = app
        .wait_for_job(&job_id, std::time::Duration::from_secs(30))
        .await;
    assert_eq!(status["progress"]["total"], 1);
    assert_eq!(
        status["files"][0]["attempts"], 1,
        "one message for the file"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extracting_a_session_twice_without_the_key_names_the_existing_job() {
    // Arrange
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");
    let first = app.extract(session_id, None).await;

    // Act
    let second = app.extract(session_id, None).await;
    let other_key = app.extract(session_id, Some("another-key")).await;

    // Assert
    assert_eq!(first.status, 202);
    second.assert_problem(409, "session_already_extracted");
    assert_eq!(second.body["job_id"], first.body["job_id"]);
    other_key.assert_problem(409, "session_already_extracted");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_whose_first_answer_was_a_server_error_gets_the_dispatched_job() {
    // Arrange: extracted with a key, then the key's record released, as the
    // API does when its answer is a 5xx (here one after the job and its work
    // message were written, so its dispatch has moved on).
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");
    let first = app.extract(session_id, Some("submit-1")).await;
    app.intake
        .ports()
        .idempotency
        .release(&app.tenant, "submit-1")
        .await
        .expect("release");

    // Act
    let retry = app.extract(session_id, Some("submit-1")).await;
    let other_key = app.extract(session_id, Some("submit-2")).await;

    // Assert
    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(retry.status, 202, "{}", retry.text);
    assert_eq!(retry.body, first.body);
    assert_eq!(
        retry.header("idempotent-replayed"),
        None,
        "answered again, not replayed"
    );
    other_key.assert_problem(409, "session_already_extracted");
    app.stop().await;
}
