//! The reconciler against the emulators: it finds stalled jobs and pending
//! events through the table's `open` index and repairs them. No pollers
//! run, so each test decides what the queues lose; the reconciler runs "30
//! minutes later" (past `Settings::reconcile_after`).

use chrono::Utc;
use intake_domain::ids::JobId;
use intake_domain::model::{DispatchState, QueueMessage, WorkMessage};
use intake_domain::processing::Delivery;
use intake_domain::reconcile::ReconcileReport;
use intake_tests::{closed_port, function_deadline, spawn_app_with, AppOptions, TestApp};

fn without_pollers() -> AppOptions {
    AppOptions {
        pollers: 0,
        webhook_pollers: 0,
        ..AppOptions::default()
    }
}

/// Takes (and deletes) every message waiting in the queue at `url`: their
/// bodies.
async fn take_messages(app: &TestApp, url: &str) -> Vec<String> {
    let mut taken = Vec::new();
    loop {
        let received = app
            .clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return taken;
        }
        for message in messages {
            app.clients
                .sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().expect("handle"))
                .send()
                .await
                .expect("delete");
            taken.push(message.body().unwrap_or_default().to_owned());
        }
    }
}

/// A first delivery of a work message taken from the express queue.
fn delivery(app: &TestApp, body: &str) -> Delivery {
    Delivery {
        message: QueueMessage::parse(body).expect("a work message"),
        receipt_handle: "taken".to_owned(),
        receive_count: 1,
        source: app.deployment.express_queue_url.clone(),
    }
}

async fn reconcile_later(app: &TestApp) -> ReconcileReport {
    app.intake
        .reconcile(Utc::now() + chrono::Duration::minutes(30))
        .await
        .expect("reconciled")
}

/// A submitted one-invoice job whose work message is gone; its ids.
async fn job_with_lost_message(app: &TestApp, webhook: Option<String>) -> (JobId, WorkMessage) {
    let job_id = match webhook {
        Some(url) => app.submit_with_webhook(&url).await,
        None => {
            let session = app
                .confirmed_session(&[("a.xml", "application/xml", intake_tests::sample_invoice())])
                .await;
            app.submit(session["id"].as_str().expect("id")).await
        }
    };
    let lost = take_messages(app, &app.deployment.express_queue_url).await;
    assert_eq!(lost.len(), 1, "the one work message was sent");
    let Ok(QueueMessage::File(message)) = QueueMessage::parse(&lost[0]) else {
        panic!("not a work message: {}", lost[0]);
    };
    (JobId::parse(&job_id).expect("job id"), message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_work_message_is_sent_again_and_the_job_completes() {
    // Arrange
    let app = spawn_app_with(without_pollers()).await;
    let (job_id, _) = job_with_lost_message(&app, None).await;

    // Act
    let early = app.intake.reconcile(Utc::now()).await.expect("reconciled");
    let report = reconcile_later(&app).await;
    let requeued = take_messages(&app, &app.deployment.express_queue_url).await;
    let deliveries: Vec<Delivery> = requeued.iter().map(|body| delivery(&app, body)).collect();
    app.intake
        .process_batch(&deliveries, function_deadline())
        .await;

    // Assert
    assert_eq!(
        early,
        ReconcileReport::default(),
        "a recent job is left alone"
    );
    assert_eq!((report.jobs_checked, report.files_requeued), (1, 1));
    assert_eq!(requeued.len(), 1);
    let status = app.get(&format!("/jobs/{job_id}/status")).await.body;
    assert_eq!(status["status"], "succeeded", "{status}");
    let again = reconcile_later(&app).await;
    assert_eq!(again.jobs_checked, 0, "a decided job leaves the open index");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_whose_worker_died_on_every_attempt_is_given_up_and_its_job_decided() {
    // Arrange: every allowed attempt started and none finished.
    let app = spawn_app_with(without_pollers()).await;
    let (job_id, message) = job_with_lost_message(&app, None).await;
    let jobs = &app.intake.ports().jobs;
    for receive in 1..=app.intake.settings().max_receive_count {
        let entry = intake_domain::ports::AuditEntry {
            at: Utc::now(),
            tenant: message.tenant.clone(),
            session_id: message.session_id.clone(),
            job_id: Some(message.job_id.clone()),
            file_id: Some(message.file_id.clone()),
            event: "file.processing".to_owned(),
            attempt: Some(receive),
            detail: None,
        };
        jobs.start_attempt(&message, &entry).await.expect("started");
    }

    // Act
    let report = reconcile_later(&app).await;

    // Assert
    assert_eq!((report.files_given_up, report.jobs_decided), (1, 1));
    let status = app.get(&format!("/jobs/{job_id}/status")).await.body;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["files"][0]["error"]["code"], "processing_failed");
    let job = jobs
        .load_job(&app.tenant, &job_id)
        .await
        .expect("load")
        .expect("job");
    assert_eq!(job.dispatch, DispatchState::Sent);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_pending_event_is_sent_to_the_webhook_queue_again() {
    // Arrange: a decided job whose event waits in the webhook queue.
    let app = spawn_app_with(without_pollers()).await;
    let url = format!("http://127.0.0.1:{}/hook", closed_port());
    let (job_id, message) = job_with_lost_message(&app, Some(url)).await;
    let body = serde_json::to_string(&message).expect("body");
    app.intake
        .process_batch(&[delivery(&app, &body)], function_deadline())
        .await;
    let first = take_messages(&app, &app.deployment.webhook_queue_url).await;

    // Act
    let report = reconcile_later(&app).await;
    let again = take_messages(&app, &app.deployment.webhook_queue_url).await;

    // Assert
    assert_eq!(first.len(), 1, "the decision sent its event");
    assert_eq!((report.jobs_checked, report.webhooks_requeued), (0, 1));
    assert_eq!(again.len(), 1);
    let event = app
        .intake
        .ports()
        .webhooks
        .load_event(&app.tenant, &job_id)
        .await
        .expect("load")
        .expect("event");
    assert!(event.enqueued);
    app.stop().await;
}
