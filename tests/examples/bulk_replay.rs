//! How long a bulk replay of a large dead-letter queue takes, measured on
//! the emulators: `cargo run --release -p intake-tests --example bulk_replay`
//! with the emulators' variables exported (`.local/emulators.env`).
//!
//! `LETTERS` copies of a finished file's work message wait in the work
//! dead-letter queue (as after an outage that gave up on that many
//! deliveries); `POST /admin/dead-letters/replays` starts the task; the
//! time is from the request to the task's `completed` with every letter
//! counted, and to the queue being empty. The stack's workers acknowledge
//! the letters once they are back (their file is finished).

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use intake_tests::spawn_app;

const LETTERS: usize = 2000;

#[tokio::main]
async fn main() {
    let app = spawn_app().await;
    let body = serde_json::to_string(&app.finished_file_message().await).expect("JSON");
    for chunk in 0..LETTERS.div_ceil(10) {
        let entries = (0..10.min(LETTERS - chunk * 10))
            .map(|i| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&body)
                    .build()
                    .expect("entry")
            })
            .collect();
        app.clients
            .sqs
            .send_message_batch()
            .queue_url(&app.deployment.work_dlq_url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("send to the dead-letter queue");
    }

    let started = Instant::now();
    let reply = app
        .send(app.admin_request(intake_client::Method::POST, "/admin/dead-letters/replays"))
        .await;
    let answered = started.elapsed();
    assert_eq!(reply.status, 202, "{}", reply.text);
    let location = reply.header("location").expect("Location").to_owned();
    let (completed, counted) = loop {
        let status = app
            .send(app.admin_request(intake_client::Method::GET, &location))
            .await;
        if status.body["status"] == "completed" && status.body["moved"] == LETTERS as u64 {
            break (started.elapsed(), status.body["moved"].clone());
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "{}",
            status.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let left = app.dead_letters(Duration::from_secs(1)).await.len();
    println!(
        "bulk replay of {LETTERS} dead letters: 202 after {:.0} ms, completed with {counted} moved after {:.1} s ({:.0} letters/s); {left} left in the queue",
        answered.as_secs_f64() * 1000.0,
        completed.as_secs_f64(),
        LETTERS as f64 / completed.as_secs_f64()
    );
    app.stop().await;
}
