//! What goes wrong: early calls, failing workers, poison and duplicate
//! messages. Nothing is lost and no terminal state moves.

use std::time::Duration;

use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{QueueMessage, WorkMessage};
use intake_domain::processing::{Delivery, DeliveryOutcome};
use intake_domain::service::upload_key;
use intake_tests::{
    assert_public, function_deadline, sample_invoice, spawn_app, spawn_app_with, AppOptions,
    TestApp,
};
use serde_json::{json, Value};

async fn trail_events(app: &TestApp, session_id: &str) -> Vec<(String, Option<String>)> {
    let session_id = SessionId::parse(session_id).expect("session id");
    app.intake
        .ports()
        .audit
        .trail(&app.tenant, &session_id)
        .await
        .expect("audit trail")
        .into_iter()
        .map(|entry| (entry.event, entry.detail))
        .collect()
}

fn count(events: &[(String, Option<String>)], event: &str) -> usize {
    events.iter().filter(|(name, _)| name == event).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_before_the_upload_names_the_missing_files() {
    // Arrange
    let app = spawn_app().await;
    let created = app
        .create_session(json!({"files": [
            {"name": "a.xml", "content_type": "application/xml"},
            {"name": "b.xml", "content_type": "application/xml"}]}))
        .await;
    let session_id = created.body["id"].as_str().expect("id");
    app.upload(&created.body["files"][0], sample_invoice())
        .await;

    // Act
    let confirmed = app.confirm(session_id).await;

    // Assert
    confirmed.assert_problem(409, "upload_missing");
    assert_eq!(
        confirmed.body["files"],
        json!([created.body["files"][1]["id"]])
    );
    let session = app.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(session.body["status"], "awaiting_upload");
    app.extract(session_id, None)
        .await
        .assert_problem(409, "session_not_confirmed");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_larger_than_declared_is_rejected_at_confirm() {
    // Arrange
    let app = spawn_app().await;
    let created = app
        .create_session(
            json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": 10}]}),
        )
        .await;
    let session_id = created.body["id"].as_str().expect("id");
    app.upload(&created.body["files"][0], sample_invoice())
        .await;

    // Act
    let confirmed = app.confirm(session_id).await;

    // Assert
    confirmed.assert_problem(413, "upload_too_large");
    assert_eq!(
        confirmed.body["files"],
        json!([created.body["files"][0]["id"]])
    );
    let session = app.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(session.body["status"], "awaiting_upload");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_replaced_after_confirm_fails_its_file_as_changed() {
    // Arrange: confirmed, then overwritten through the still valid URL
    // with other bytes of the same length.
    let app = spawn_app().await;
    let invoice = sample_invoice();
    let created = app
        .create_session(json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": invoice.len()}]}))
        .await;
    let session_id = created.body["id"].as_str().expect("id").to_owned();
    let file = created.body["files"][0].clone();
    app.upload(&file, invoice.clone()).await;
    assert_eq!(app.confirm(&session_id).await.status, 200);
    let mut replaced = invoice.clone();
    replaced.reverse();
    app.upload(&file, replaced).await;

    // Act
    let job_id = app.submit(&session_id).await;
    let status = app.wait_for_job(&job_id, Duration::from_secs(30)).await;

    // Assert
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["files"][0]["error"]["code"], "upload_changed");
    assert_eq!(status["files"][0]["attempts"], 1, "not retried");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_of_an_unfinished_job_is_a_conflict() {
    // Arrange: no pollers, so the job stays queued.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let job_id = app.submit(session["id"].as_str().expect("id")).await;

    // Act
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    let status = app.get(&format!("/jobs/{job_id}/status")).await;

    // Assert
    result.assert_problem(409, "job_not_finished");
    assert_eq!(status.body["status"], "queued");
    assert_eq!(status.body["progress"]["queued"], 1);
    assert_eq!(status.body["files"][0]["status"], "queued");
    assert!(status.body.get("completed_at").is_none());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_fails_twice_then_succeeds_backs_off_and_completes() {
    // Arrange: the first two reads of the upload fail.
    let app = spawn_app_with(AppOptions {
        failing_reads: 2,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");

    // Act
    let job_id = app.submit(session_id).await;
    let status = app.wait_for_job(&job_id, Duration::from_secs(30)).await;

    // Assert
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["files"][0]["attempts"], 3);
    let events = trail_events(&app, session_id).await;
    let retries: Vec<&str> = events
        .iter()
        .filter(|(event, _)| event == "file.retry")
        .filter_map(|(_, detail)| detail.as_deref())
        .collect();
    assert_eq!(retries.len(), 2, "{events:?}");
    assert!(
        retries[0].contains("next in 1 s") && retries[1].contains("next in 2 s"),
        "{retries:?}"
    );
    assert!(app.dead_letters(Duration::from_secs(1)).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_last_attempt_the_file_fails_and_the_message_is_dead_lettered() {
    // Arrange: every read of the upload fails.
    let app = spawn_app_with(AppOptions {
        failing_reads: u32::MAX,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");

    // Act
    let job_id = app.submit(session_id).await;
    let status = app.wait_for_job(&job_id, Duration::from_secs(40)).await;
    let dead = app.dead_letters(Duration::from_secs(20)).await;

    // Assert
    assert_eq!(status["status"], "failed", "{status}");
    let file = &status["files"][0];
    assert_eq!(file["status"], "failed");
    assert_eq!(file["error"]["code"], "processing_failed");
    assert!(
        file["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("in 3 attempts")),
        "{file}"
    );
    assert_eq!(dead.len(), 1, "the message is kept in the DLQ");
    let message: Value = serde_json::from_str(&dead[0]).expect("work message");
    assert_eq!(message["file_id"], file["file_id"]);
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    assert_eq!(
        result.body["results"][0]["error"]["code"],
        "processing_failed"
    );
    // The fault's own text stays in the logs.
    assert_public(&status.to_string());
    assert_public(&result.text);
    let trail = trail_events(&app, session_id).await;
    assert_public(&format!("{trail:?}"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_lands_in_the_dead_letter_queue() {
    // Arrange
    let app = spawn_app().await;

    // Act
    app.send_work_message("{this is not a work message").await;
    let dead = app.dead_letters(Duration::from_secs(30)).await;

    // Assert
    assert_eq!(dead, vec!["{this is not a work message".to_owned()]);
    app.stop().await;
}

/// The work message the API sent for the first file of a session.
fn work_message(app: &TestApp, session_id: &str, job_id: &str, file_id: &str) -> WorkMessage {
    let session_id = SessionId::parse(session_id).expect("session id");
    let file_id = FileId::parse(file_id).expect("file id");
    WorkMessage {
        v: WorkMessage::VERSION,
        tenant: app.tenant.clone(),
        object_key: upload_key(&app.tenant, &session_id, &file_id),
        session_id,
        job_id: JobId::parse(job_id).expect("job id"),
        file_id,
        reopen: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_duplicate_delivery_does_not_move_a_finished_job() {
    // Arrange
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");
    let file_id = session["files"][0]["id"].as_str().expect("file id");
    let job_id = app.submit(session_id).await;
    let before = app.wait_for_job(&job_id, Duration::from_secs(30)).await;

    // Act: SQS delivers the same message again, twice.
    let body =
        serde_json::to_string(&work_message(&app, session_id, &job_id, file_id)).expect("json");
    for _ in 0..2 {
        app.send_work_message(&body).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Assert
    let after = app.get(&format!("/jobs/{job_id}/status")).await.body;
    assert_eq!(after, before);
    let events = trail_events(&app, session_id).await;
    assert_eq!(count(&events, "job.completed"), 1, "{events:?}");
    assert_eq!(count(&events, "file.succeeded"), 1, "{events:?}");
    assert!(
        app.dead_letters(Duration::from_secs(1)).await.is_empty(),
        "duplicates are consumed"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_workers_decide_the_job_exactly_once() {
    // Arrange: no pollers; the test is the two workers.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[
            ("a.xml", "application/xml", sample_invoice()),
            ("b.xml", "application/xml", sample_invoice()),
        ])
        .await;
    let session_id = session["id"].as_str().expect("id");
    let job_id = app.submit(session_id).await;
    let deliveries: Vec<Delivery> = session["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| Delivery {
            message: QueueMessage::File(work_message(
                &app,
                session_id,
                &job_id,
                file["id"].as_str().expect("file id"),
            )),
            receipt_handle: "unused".to_owned(),
            receive_count: 1,
            source: app.deployment.work_queue_url.clone(),
        })
        .collect();

    // Act: the batch of both files delivered to four workers at once.
    let outcomes: Vec<DeliveryOutcome> = futures::future::join_all(
        (0..4).map(|_| app.intake.process_batch(&deliveries, function_deadline())),
    )
    .await
    .into_iter()
    .flatten()
    .collect();

    // Assert
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == DeliveryOutcome::Done),
        "{outcomes:?}"
    );
    let status = app.get(&format!("/jobs/{job_id}/status")).await.body;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["progress"]["succeeded"], 2);
    assert_eq!(status["progress"]["processing"], 0);
    let events = trail_events(&app, session_id).await;
    assert_eq!(count(&events, "job.completed"), 1, "{events:?}");
    assert_eq!(count(&events, "file.succeeded"), 2, "{events:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_near_the_function_deadline_is_handed_back_and_succeeds_later() {
    // Arrange: no pollers; the test is the worker.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id");
    let job_id = app.submit(session_id).await;
    let file_id = session["files"][0]["id"].as_str().expect("file id");
    let delivery = |receive_count| Delivery {
        message: QueueMessage::File(work_message(&app, session_id, &job_id, file_id)),
        receipt_handle: "unused".to_owned(),
        receive_count,
        source: app.deployment.work_queue_url.clone(),
    };

    // Act: an invocation with one second left, then one with time.
    let short = tokio::time::Instant::now() + Duration::from_secs(1);
    let handed_back = app.intake.process_batch(&[delivery(1)], short).await;
    let between = app.get(&format!("/jobs/{job_id}/status")).await.body;
    let finished = app
        .intake
        .process_batch(&[delivery(2)], function_deadline())
        .await;

    // Assert
    assert_eq!(handed_back, vec![DeliveryOutcome::Retry]);
    assert_eq!(between["files"][0]["status"], "processing", "{between}");
    assert_eq!(finished, vec![DeliveryOutcome::Done]);
    let status = app.get(&format!("/jobs/{job_id}/status")).await.body;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["files"][0]["attempts"], 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_lists_and_replays_dead_letters() {
    // Arrange: a poison message has reached the DLQ.
    let app = spawn_app().await;
    app.send_work_message("poison").await;
    assert_eq!(app.dead_letters(Duration::from_secs(30)).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await; // the peek above holds it for 1 s

    // Act
    let as_tenant = app.get("/admin/dead-letters").await;
    let listed = app
        .as_admin(intake_client::Method::GET, "/admin/dead-letters", None)
        .await;
    let replayed = app
        .as_admin(
            intake_client::Method::POST,
            "/admin/dead-letters/replay",
            Some(json!({"limit": 10})),
        )
        .await;

    // Assert
    as_tenant.assert_problem(401, "unauthorized");
    assert_eq!(listed.status, 200, "{}", listed.text);
    let letters = listed.body["dead_letters"]
        .as_array()
        .expect("dead letters");
    assert_eq!(letters.len(), 1, "{}", listed.text);
    assert_eq!(letters[0]["body"], "poison");
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"], json!([letters[0]["message_id"]]));
    let again = app
        .as_admin(intake_client::Method::GET, "/admin/dead-letters", None)
        .await;
    assert_eq!(
        again.body["dead_letters"],
        json!([]),
        "moved back to the work queue"
    );
    app.stop().await;
}
