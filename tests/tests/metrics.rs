//! The metrics of `intake_domain::metrics`, served by the local runner as
//! Prometheus text (`INTAKE_METRICS_LISTEN`): a job's work shows up in
//! them. One test per process: the recorder is global.

use intake_tests::{closed_port, sample_invoice, spawn_app};

/// The value of the sample `series` (name and labels as rendered), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jobs_work_is_counted_in_the_prometheus_metrics() {
    // Arrange
    let listen = format!("127.0.0.1:{}", closed_port());
    intake_local::serve_metrics(listen.parse().expect("address")).expect("metrics endpoint");
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[
            ("a.xml", "application/xml", sample_invoice()),
            ("b.xml", "application/xml", b"not an invoice".to_vec()),
        ])
        .await;
    let job_id = app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(&job_id, std::time::Duration::from_secs(60))
        .await;

    // Act
    let text = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");

    // Assert
    let expect = |series: &str, value: f64| {
        assert_eq!(sample(&text, series), Some(value), "{series} in:\n{text}");
    };
    expect(r#"intake_jobs_accepted_total{size="2-10"}"#, 1.0);
    expect(r#"intake_files_total{outcome="succeeded"}"#, 1.0);
    expect(r#"intake_files_total{outcome="failed"}"#, 1.0);
    expect(
        r#"intake_documents_total{syntax="UBL",outcome="valid",cache="miss"}"#,
        1.0,
    );
    expect(
        r#"intake_documents_total{syntax="unknown",outcome="rejected",cache="miss"}"#,
        1.0,
    );
    assert!(
        text.contains(
            r#"intake_job_completion_seconds_count{size="2-10",status="partially_failed"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("intake_file_processing_seconds"), "{text}");
    assert!(
        sample(&text, r#"intake_worker_heartbeat_total{worker="files"}"#).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    app.stop().await;
}
