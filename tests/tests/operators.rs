//! The operators' dead-letter routes over both dead-letter queues:
//! `GET /admin/dead-letters?queue=work|webhooks` and
//! `POST /admin/dead-letters/replay` with `{"queue"}`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use intake_domain::ids::SessionId;
use intake_tests::{
    sample_invoice, spawn_app, spawn_app_with, AppOptions, Receiver, Reply, TestApp,
    TEST_WEBHOOK_SECRET,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

async fn list(app: &TestApp, path: &str) -> Reply {
    let reply = app.as_admin(intake_client::Method::GET, path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_dead_letter_is_listed_with_its_event_and_replayed_to_delivery() {
    // Arrange: every webhook lease fails (a DynamoDB outage) until the
    // message has been received `maxReceiveCount` times and dead-lettered.
    let app = spawn_app_with(AppOptions {
        webhook_outage: true,
        ..AppOptions::default()
    })
    .await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let job_id = app.submit_with_webhook(&receiver.url).await;
    app.wait_for_job(&job_id, WAIT).await;
    let dead = app.webhook_dead_letters(Duration::from_secs(60)).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    tokio::time::sleep(Duration::from_secs(2)).await; // the peek above holds it for 1 s
    let event = app
        .get(&format!("/jobs/{job_id}/webhook-deliveries"))
        .await
        .body;
    let event_id = event["event"]["id"].clone();

    // Act
    let webhooks = list(&app, "/admin/dead-letters?queue=webhooks").await;
    let work = list(&app, "/admin/dead-letters").await;
    app.webhook_outage.store(false, Ordering::SeqCst);
    let replayed = app
        .as_admin(
            intake_client::Method::POST,
            "/admin/dead-letters/replay",
            Some(json!({"queue": "webhooks"})),
        )
        .await;
    let deliveries = receiver.wait_for(1, WAIT).await;
    let delivered = app.wait_for_event(&job_id, "delivered", WAIT).await;
    let after = list(&app, "/admin/dead-letters?queue=webhooks").await;

    // Assert
    assert_eq!(event["event"]["state"], "pending", "{event}");
    assert_eq!(webhooks.body["queue"], "webhooks");
    let letters = webhooks.body["dead_letters"]
        .as_array()
        .expect("dead letters");
    assert_eq!(letters.len(), 1, "{}", webhooks.text);
    let letter = &letters[0];
    assert!(letter["message_id"].is_string(), "{letter}");
    assert!(letter["receive_count"].is_u64(), "{letter}");
    assert_eq!(letter["tenant"], app.tenant.as_str(), "{letter}");
    assert_eq!(letter["job_id"], job_id.as_str(), "{letter}");
    assert_eq!(letter["event_id"], event_id, "{letter}");
    assert_eq!(letter["state"], "pending", "{letter}");
    assert_eq!(letter["body"]["event_id"], event_id, "{letter}");
    assert!(letter.get("file_id").is_none(), "{letter}");
    assert!(
        letter.get("last_error").is_none(),
        "no attempt yet: {letter}"
    );
    assert_eq!(work.body, json!({"queue": "work", "dead_letters": []}));
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"], json!([letter["message_id"]]));
    assert_eq!(deliveries[0]["webhook_id"], event_id);
    assert_eq!(deliveries[0]["verified"], true);
    assert_eq!(delivered["event"]["attempts"], 1, "{delivered}");
    assert_eq!(after.body["dead_letters"], json!([]));
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_the_dead_letter_of_a_delivered_event_sends_nothing() {
    // Arrange: an event delivered once, and a dead letter of it (as a
    // message dead-lettered while another delivery went through would be).
    let app = spawn_app().await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let job_id = app.submit_with_webhook(&receiver.url).await;
    let delivered = app.wait_for_event(&job_id, "delivered", WAIT).await;
    receiver.wait_for(1, WAIT).await;
    let body = json!({"v": 1, "tenant": app.tenant, "job_id": job_id,
                      "event_id": delivered["event"]["id"]});
    app.clients
        .sqs
        .send_message()
        .queue_url(&app.deployment.webhook_dlq_url)
        .message_body(body.to_string())
        .send()
        .await
        .expect("send to the webhook DLQ");

    // Act
    let listed = list(&app, "/admin/dead-letters?queue=webhooks").await;
    let replayed = app
        .as_admin(
            intake_client::Method::POST,
            "/admin/dead-letters/replay",
            Some(json!({"queue": "webhooks", "limit": 10})),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Assert
    let letters = listed.body["dead_letters"].as_array().expect("letters");
    assert_eq!(letters.len(), 1, "{}", listed.text);
    assert_eq!(letters[0]["state"], "delivered", "{}", listed.text);
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"].as_array().map(Vec::len), Some(1));
    assert_eq!(receiver.deliveries().len(), 1, "no second delivery");
    let after = app
        .get(&format!("/jobs/{job_id}/webhook-deliveries"))
        .await
        .body;
    assert_eq!(after["event"]["state"], "delivered", "{after}");
    assert_eq!(after["event"]["attempts"], 1, "{after}");
    assert!(
        app.webhook_dead_letters(Duration::from_secs(1))
            .await
            .is_empty(),
        "the replayed message was consumed"
    );
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_dead_letter_is_listed_with_its_file_state_and_public_error() {
    // Arrange: every read of the upload fails, so the file fails and its
    // message is dead-lettered.
    let app = spawn_app_with(AppOptions {
        failing_reads: u32::MAX,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let file_id = session["files"][0]["id"].clone();
    let job_id = app.submit(session["id"].as_str().expect("id")).await;
    let status = app.wait_for_job(&job_id, Duration::from_secs(40)).await;
    assert_eq!(app.dead_letters(Duration::from_secs(30)).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await; // the peek above holds it for 1 s

    // Act
    let listed = list(&app, "/admin/dead-letters?queue=work").await;

    // Assert
    assert_eq!(listed.body["queue"], "work");
    let letters = listed.body["dead_letters"].as_array().expect("letters");
    assert_eq!(letters.len(), 1, "{}", listed.text);
    let letter = &letters[0];
    assert_eq!(letter["tenant"], app.tenant.as_str(), "{letter}");
    assert_eq!(letter["job_id"], job_id.as_str(), "{letter}");
    assert_eq!(letter["file_id"], file_id, "{letter}");
    assert_eq!(letter["state"], "failed", "{letter}");
    assert!(letter["receive_count"].is_u64(), "{letter}");
    assert!(letter.get("event_id").is_none(), "{letter}");
    assert_eq!(
        letter["last_error"], status["files"][0]["error"]["message"],
        "the file's public error: {letter}"
    );
    assert!(letter["last_error"].is_string(), "{letter}");
    for leak in ["injected", "arn:", "amazonaws", "dynamodb"] {
        assert!(
            !listed.text.to_lowercase().contains(leak),
            "{leak}: {}",
            listed.text
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_long_polls_so_a_dead_letter_about_to_show_is_listed() {
    // Arrange: a dead letter that becomes visible a second after the
    // listing starts (a short poll would answer at once, with nothing).
    let app = spawn_app().await;
    let body = json!({"v": 1, "type": "dispatch", "tenant": app.tenant, "job_id": "job_01J9Z5Q2V4N8K3M6P7R9T1W2X4"});
    app.clients
        .sqs
        .send_message()
        .queue_url(&app.deployment.work_dlq_url)
        .message_body(body.to_string())
        .delay_seconds(1)
        .send()
        .await
        .expect("send to the dead-letter queue");

    // Act
    let listed = list(&app, "/admin/dead-letters?queue=work").await;

    // Assert
    let letters = listed.body["dead_letters"].as_array().expect("letters");
    assert_eq!(letters.len(), 1, "{}", listed.text);
    assert_eq!(letters[0]["job_id"], "job_01J9Z5Q2V4N8K3M6P7R9T1W2X4");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_queue_is_a_bad_request() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let listed = app
        .as_admin(
            intake_client::Method::GET,
            "/admin/dead-letters?queue=express",
            None,
        )
        .await;
    let replayed = app
        .as_admin(
            intake_client::Method::POST,
            "/admin/dead-letters/replay",
            Some(json!({"queue": "webhook"})),
        )
        .await;
    let as_tenant = app.get("/admin/dead-letters?queue=webhooks").await;

    // Assert
    listed.assert_problem(400, "invalid_queue");
    replayed.assert_problem(400, "invalid_queue");
    as_tenant.assert_problem(401, "unauthorized");
    app.stop().await;
}

/// The job's status once it is `status`.
async fn wait_for_status(app: &TestApp, job_id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let reply = app.get(&format!("/jobs/{job_id}/status")).await;
        if reply.body["status"] == status {
            return reply.body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job not {status} after {WAIT:?}: {}",
            reply.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_a_file_given_up_on_runs_it_again_and_decides_its_job_again() {
    // Arrange: the upload's reads fail on every allowed receive (3), then
    // the fault is over; the file is given up on and its message is
    // dead-lettered.
    let app = spawn_app_with(AppOptions {
        failing_reads: 3,
        ..AppOptions::default()
    })
    .await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let job_id = app.submit_with_webhook(&receiver.url).await;
    let failed = wait_for_status(&app, &job_id, "failed").await;
    let first = receiver.wait_for(1, WAIT).await;
    assert_eq!(app.dead_letters(WAIT).await.len(), 1);
    tokio::time::sleep(Duration::from_secs(2)).await; // the peek above holds it for 1 s

    // Act
    let replayed = app
        .as_admin(
            intake_client::Method::POST,
            "/admin/dead-letters/replay",
            Some(json!({"queue": "work"})),
        )
        .await;
    let succeeded = wait_for_status(&app, &job_id, "succeeded").await;
    let deliveries = receiver.wait_for(2, WAIT).await;

    // Assert
    assert_eq!(failed["files"][0]["error"]["code"], "processing_failed");
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["replayed"].as_array().map(Vec::len), Some(1));
    let file = &succeeded["files"][0];
    assert_eq!(file["status"], "succeeded", "{succeeded}");
    assert!(file.get("error").is_none_or(Value::is_null), "{file}");
    assert_eq!(
        file["attempts"], 4,
        "three given up on, one after the replay"
    );
    assert_eq!(first[0]["body"]["data"]["status"], "failed");
    assert_eq!(deliveries.len(), 2, "one new event for the new decision");
    assert_eq!(deliveries[1]["body"]["data"]["status"], "succeeded");
    assert_ne!(
        deliveries[1]["webhook_id"], deliveries[0]["webhook_id"],
        "a new evt_ id"
    );
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(result.body["results"][0]["status"], "succeeded");
    let events = app.get(&format!("/jobs/{job_id}/webhook-deliveries")).await;
    assert_eq!(events.body["event"]["id"], deliveries[1]["webhook_id"]);
    assert_eq!(
        events.body["deliveries"].as_array().map(Vec::len),
        Some(2),
        "both events' attempts are kept: {}",
        events.text
    );
    let session_id = SessionId::parse(succeeded["session_id"].as_str().expect("session id"))
        .expect("a session id");
    let trail: Vec<String> = app
        .intake
        .ports()
        .audit
        .trail(&app.tenant, &session_id)
        .await
        .expect("audit trail")
        .into_iter()
        .map(|entry| entry.event)
        .collect();
    let count = |event: &str| trail.iter().filter(|name| *name == event).count();
    assert_eq!(count("file.reopened"), 1, "{trail:?}");
    assert_eq!(count("job.completed"), 2, "{trail:?}");
    assert_eq!(count("file.processing"), 4, "{trail:?}");
    assert!(app.dead_letters(Duration::from_secs(1)).await.is_empty());
    app.stop().await;
}
