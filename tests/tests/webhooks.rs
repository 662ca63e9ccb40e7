//! `job.completed` webhooks, verified by an independent implementation of
//! the Standard Webhooks specification (the `standardwebhooks` package).

use std::net::IpAddr;
use std::time::Duration;

use intake_domain::ids::{EventId, JobId, SessionId};
use intake_domain::ports::AuditEntry;
use intake_domain::processing::DeliveryOutcome;
use intake_domain::webhooks::{DeliveryAttempt, EventState, WebhookMessage, REFUSED_ADDRESS};
use intake_tests::{
    closed_port, sample_invoice, spawn_app, spawn_app_with, AppOptions, Receiver,
    TEST_WEBHOOK_SECRET,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_sends_one_signed_event() {
    // Arrange
    let app = spawn_app().await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;

    // Act
    let job_id = app.submit_with_webhook(&receiver.url).await;
    let status = app.wait_for_job(&job_id, WAIT).await;
    let deliveries = receiver.wait_for(1, WAIT).await;
    let record = app.wait_for_event(&job_id, "delivered", WAIT).await;

    // Assert
    let delivery = &deliveries[0];
    assert_eq!(delivery["verified"], true, "{delivery}");
    let event = &delivery["body"];
    assert_eq!(event["type"], "job.completed");
    assert!(event["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("evt_")));
    assert_eq!(
        delivery["webhook_id"], event["id"],
        "webhook-id is the event id"
    );
    assert_eq!(event["data"]["job_id"], job_id);
    assert_eq!(event["data"]["status"], "succeeded");
    assert_eq!(event["data"], status, "data is the status object");
    assert_eq!(record["event"]["id"], event["id"]);
    assert_eq!(record["event"]["attempts"], 1);
    assert_eq!(record["deliveries"][0]["status_code"], 200);
    assert!(record["deliveries"][0]["latency_ms"].is_u64());
    let completed_at = chrono::DateTime::parse_from_rfc3339(
        status["completed_at"].as_str().expect("completed_at"),
    )
    .expect("timestamp")
    .timestamp_millis() as f64
        / 1000.0;
    let latency = delivery["received_at"].as_f64().expect("received_at") - completed_at;
    println!("terminal state -> receiver: {:.0} ms", latency * 1000.0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.deliveries().len(), 1, "exactly one delivery");
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_both_secrets_sign() {
    // Arrange: the receiver still knows only the old secret.
    let new_secret = "whsec_c2VjcmV0LXJvdGF0ZWQtaW4tMjAyNi0xMS0yMw==";
    let app = spawn_app_with(AppOptions {
        webhook_secrets: vec![new_secret.to_owned(), TEST_WEBHOOK_SECRET.to_owned()],
        ..AppOptions::default()
    })
    .await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;

    // Act
    app.submit_with_webhook(&receiver.url).await;
    let deliveries = receiver.wait_for(1, WAIT).await;

    // Assert
    assert_eq!(
        deliveries[0]["signatures"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(deliveries[0]["verified"], true, "{}", deliveries[0]);
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_three_attempts_with_growing_gaps() {
    // Arrange: the test schedule waits 0 s, 1 s, 4 s (SQS delays are whole seconds).
    let app = spawn_app().await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "500,503,200").await;

    // Act
    let job_id = app.submit_with_webhook(&receiver.url).await;
    let deliveries = receiver.wait_for(3, WAIT).await;
    let record = app.wait_for_event(&job_id, "delivered", WAIT).await;

    // Assert
    let ids: Vec<_> = deliveries.iter().map(|d| d["webhook_id"].clone()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "same webhook-id on every attempt: {ids:?}"
    );
    assert!(deliveries.iter().all(|d| d["verified"] == true));
    let at: Vec<f64> = deliveries
        .iter()
        .map(|d| d["received_at"].as_f64().expect("time"))
        .collect();
    let (first_gap, second_gap) = (at[1] - at[0], at[2] - at[1]);
    assert!(
        first_gap >= 0.8 && second_gap > first_gap,
        "gaps {first_gap:.2} s then {second_gap:.2} s: {record}"
    );
    let codes: Vec<_> = record["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(503), json!(200)]);
    assert!(record["deliveries"][0]["next_attempt_at"].is_string());
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_exhausted_while_the_receiver_was_down_is_delivered_by_replay() {
    // Arrange: nothing listens on the port during all three attempts.
    let app = spawn_app().await;
    let port = closed_port();
    let job_id = app
        .submit_with_webhook(&format!("http://127.0.0.1:{port}/hook"))
        .await;
    let exhausted = app.wait_for_event(&job_id, "exhausted", WAIT).await;
    let receiver = Receiver::start_on(TEST_WEBHOOK_SECRET, "200", port).await;

    // Act
    let replay = app
        .send(app.request(
            intake_client::Method::POST,
            &format!("/jobs/{job_id}/webhook-deliveries/replay"),
        ))
        .await;
    let deliveries = receiver.wait_for(1, WAIT).await;
    let delivered = app.wait_for_event(&job_id, "delivered", WAIT).await;

    // Assert
    assert_eq!(
        exhausted["deliveries"].as_array().map(Vec::len),
        Some(3),
        "{exhausted}"
    );
    assert!(exhausted["deliveries"][0]["error"].is_string());
    assert_eq!(replay.status, 202, "{}", replay.text);
    assert_eq!(replay.body["event_id"], exhausted["event"]["id"]);
    assert_eq!(
        deliveries[0]["webhook_id"], exhausted["event"]["id"],
        "same id after replay"
    );
    assert_eq!(deliveries[0]["verified"], true);
    assert_eq!(delivered["event"]["attempts"], 4);
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_deliveries_of_the_last_file_produce_one_event() {
    // Arrange
    let app = spawn_app().await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "200").await;
    let created = app
        .create_session(json!({"files": [{"name": "a.xml", "content_type": "application/xml"}], "webhook_url": receiver.url}))
        .await;
    let session_id = created.body["id"].as_str().expect("id").to_owned();
    let file_id = created.body["files"][0]["id"]
        .as_str()
        .expect("file id")
        .to_owned();
    app.upload(&created.body["files"][0], sample_invoice())
        .await;
    app.confirm(&session_id).await;

    // Act: the file's message is delivered four times, at once.
    let job_id = app.submit(&session_id).await;
    let body = json!({"v": 1, "tenant": app.tenant, "session_id": session_id, "job_id": job_id, "file_id": file_id,
                      "object_key": format!("uploads/{}/{session_id}/{file_id}", app.tenant)})
    .to_string();
    for _ in 0..3 {
        app.send_work_message(&body).await;
    }
    app.wait_for_event(&job_id, "delivered", WAIT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Assert
    let deliveries = receiver.deliveries();
    assert_eq!(
        deliveries.len(),
        1,
        "one event, delivered once: {deliveries:?}"
    );
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_with_the_reason_recorded() {
    // Arrange: host names that resolve inside; no loopback allowance. The
    // recorded reason names no address.
    let hosts: Vec<(String, IpAddr)> = [
        ("private.test", "10.0.0.1"),
        ("metadata.test", "169.254.169.254"),
        ("loopback.test", "127.0.0.1"),
        ("v6-loopback.test", "::1"),
        ("nat64.test", "64:ff9b::a00:1"),
        ("benchmarking.test", "198.18.0.1"),
    ]
    .into_iter()
    .map(|(host, ip)| (host.to_owned(), ip.parse().expect("ip")))
    .collect();
    let mut options = AppOptions {
        webhook_hosts: hosts.clone(),
        ..AppOptions::default()
    };
    options.settings.allow_loopback_webhooks = false;
    let app = spawn_app_with(options).await;

    for (host, ip) in hosts {
        // Act
        let job_id = app
            .submit_with_webhook(&format!("https://{host}/hook"))
            .await;
        let record = app.wait_for_event(&job_id, "failed", WAIT).await;

        // Assert
        let error = record["deliveries"][0]["error"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            error,
            format!("refused: the URL {REFUSED_ADDRESS}"),
            "{host}"
        );
        assert!(!error.contains(&ip.to_string()), "{host}: {error}");
        assert!(record["deliveries"][0].get("status_code").is_none());
    }
    for literal in [
        "http://127.0.0.1:8080/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/",
        "https://[::1]/hook",
        "https://2130706433/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://198.18.0.1/hook",
    ] {
        let reply = app.create_session(json!({"webhook_url": literal})).await;
        reply.assert_problem(400, "invalid_webhook_url");
        assert_eq!(
            reply.body["detail"],
            format!("webhook_url {REFUSED_ADDRESS}"),
            "{literal}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed() {
    // Arrange: the receiver points elsewhere, at a private address.
    let app = spawn_app().await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "redirect:http://10.0.0.1/steal").await;

    // Act
    let job_id = app.submit_with_webhook(&receiver.url).await;
    let record = app.wait_for_event(&job_id, "failed", WAIT).await;

    // Assert
    assert_eq!(record["deliveries"][0]["status_code"], 302);
    assert!(record["deliveries"][0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("redirects are not followed")));
    assert_eq!(receiver.deliveries().len(), 1);
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_without_a_webhook_has_no_event_to_replay() {
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let job_id = app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(&job_id, WAIT).await;

    let listed = app.get(&format!("/jobs/{job_id}/webhook-deliveries")).await;
    let replay = app
        .send(app.request(
            intake_client::Method::POST,
            &format!("/jobs/{job_id}/webhook-deliveries/replay"),
        ))
        .await;

    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["deliveries"], json!([]));
    assert!(listed.body.get("event").is_none());
    replay.assert_problem(409, "webhook_not_configured");
    app.stop().await;
}

/// The job's event as `GET /jobs/{id}/webhook-deliveries` shows it, and the
/// webhook message that names it.
async fn event_and_message(app: &intake_tests::TestApp, job_id: &str) -> (Value, WebhookMessage) {
    let record = app.wait_for_event(job_id, "pending", WAIT).await;
    let message = WebhookMessage {
        v: WebhookMessage::VERSION,
        tenant: app.tenant.clone(),
        job_id: JobId::parse(job_id).expect("job id"),
        event_id: EventId::parse(record["event"]["id"].as_str().expect("event id"))
            .expect("event id"),
    };
    (record, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_that_read_the_event_together_send_its_attempt_once() {
    // Arrange: no webhook pollers, the test is the workers. The receiver
    // fails and the schedule's second wait is 0, so the event stays pending
    // and is due again at once; every lease but the first is asked for 2 s
    // later, when the first lease is gone: only the attempt number read
    // tells the late workers that attempt 1 was made.
    let mut options = AppOptions {
        webhook_pollers: 0,
        delayed_leases: Some(Duration::from_secs(2)),
        ..AppOptions::default()
    };
    options.settings.webhook_schedule = [0, 0, 4].map(Duration::from_secs).to_vec();
    let app = spawn_app_with(options).await;
    let receiver = Receiver::start(TEST_WEBHOOK_SECRET, "500").await;
    let job_id = app.submit_with_webhook(&receiver.url).await;
    app.wait_for_job(&job_id, WAIT).await;
    let (before, message) = event_and_message(&app, &job_id).await;

    // Act: four deliveries of the same message at once.
    let outcomes =
        futures::future::join_all((0..4).map(|_| app.intake.deliver_webhook(&message))).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Assert
    assert_eq!(before["event"]["attempts"], 0, "{before}");
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == DeliveryOutcome::Done),
        "{outcomes:?}"
    );
    let after = app
        .get(&format!("/jobs/{job_id}/webhook-deliveries"))
        .await
        .body;
    let deliveries = after["deliveries"].as_array().expect("deliveries");
    let numbers: Vec<u64> = deliveries
        .iter()
        .map(|delivery| delivery["attempt"].as_u64().expect("attempt"))
        .collect();
    // A worker that read the event only after attempt 1 was recorded may
    // rightly make attempt 2 (due at once): each attempt once, in order.
    assert_eq!(numbers[0], 1, "{after}");
    assert!(
        numbers
            .iter()
            .zip(1..)
            .all(|(number, expected)| *number == expected),
        "one record per attempt: {after}"
    );
    assert_eq!(deliveries[0]["status_code"], 500);
    assert_eq!(after["event"]["attempts"], deliveries.len(), "{after}");
    let sent = receiver.deliveries();
    assert_eq!(
        sent.len(),
        deliveries.len(),
        "each attempt sent once: {sent:?}\n{after}"
    );
    receiver.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_record_is_never_overwritten() {
    // Arrange: a job's pending event, no webhook pollers.
    let app = spawn_app_with(AppOptions {
        webhook_pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let job_id = app
        .submit_with_webhook(&format!("http://127.0.0.1:{}/hook", closed_port()))
        .await;
    app.wait_for_job(&job_id, WAIT).await;
    let (_, message) = event_and_message(&app, &job_id).await;
    let webhooks = &app.intake.ports().webhooks;
    let event = webhooks
        .load_event(&message.tenant, &message.job_id)
        .await
        .expect("load")
        .expect("the job's event");
    let attempt = |status_code: u16| DeliveryAttempt {
        attempt: 1,
        at: chrono::Utc::now(),
        url: event.url.clone(),
        status_code: Some(status_code),
        latency_ms: 5,
        error: Some(format!("receiver answered {status_code}")),
        next_attempt_at: Some(chrono::Utc::now() + chrono::Duration::seconds(60)),
    };
    let status = app.get(&format!("/jobs/{job_id}")).await.body;
    let session_id =
        SessionId::parse(status["session_id"].as_str().expect("session id")).expect("an id");
    let entry = |status_code: u16| AuditEntry {
        at: chrono::Utc::now(),
        tenant: app.tenant.clone(),
        session_id: session_id.clone(),
        job_id: Some(event.job_id.clone()),
        file_id: None,
        event: "webhook.attempt".to_owned(),
        attempt: Some(1),
        detail: Some(format!("the receiver answered {status_code}")),
    };

    // Act: two workers record attempt 1, one after the other.
    let first = webhooks
        .record_attempt(&event, &attempt(503), EventState::Pending, &entry(503))
        .await
        .expect("first record");
    let second = webhooks
        .record_attempt(&event, &attempt(500), EventState::Pending, &entry(500))
        .await
        .expect("second record");

    // Assert
    assert!(first, "the first record is written");
    assert!(!second, "the second is refused");
    let after = app
        .get(&format!("/jobs/{job_id}/webhook-deliveries"))
        .await
        .body;
    let deliveries = after["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{after}");
    assert_eq!(deliveries[0]["status_code"], 503, "the first record stands");
    assert_eq!(after["event"]["attempts"], 1, "counted once: {after}");
    let trail = app.get(&format!("/jobs/{job_id}/events")).await.body;
    let attempts: Vec<&Value> = trail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|entry| entry["type"] == "webhook.attempt")
        .collect();
    assert_eq!(
        attempts.len(),
        1,
        "the refused record wrote no entry: {trail}"
    );
    assert_eq!(attempts[0]["detail"], "the receiver answered 503");
    app.stop().await;
}
