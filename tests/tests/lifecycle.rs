//! The six steps of the contract, end to end over HTTP.

use std::time::Duration;

use intake_tests::{sample_invoice, spawn_app};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_invoice_goes_through_the_six_steps() {
    // Arrange
    let app = spawn_app().await;
    let invoice = sample_invoice();

    // Act: 1. create the session
    let created = app
        .create_session(json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": invoice.len()}]}))
        .await;

    // Assert
    assert_eq!(created.status, 201, "{}", created.text);
    let session_id = created.body["id"].as_str().expect("session id").to_owned();
    assert!(session_id.starts_with("ses_"));
    assert_eq!(created.body["status"], "awaiting_upload");
    let file = &created.body["files"][0];
    assert!(file["id"].as_str().is_some_and(|id| id.starts_with("fil_")));
    assert_eq!(file["upload"]["method"], "PUT");
    assert_eq!(file["upload"]["headers"]["content-type"], "application/xml");
    assert!(created.body["expires_at"].as_str().is_some());

    // 2. upload straight to S3; 3. confirm
    app.upload(file, invoice.clone()).await;
    let confirmed = app.confirm(&session_id).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(confirmed.body["status"], "pending");
    assert_eq!(confirmed.body["files"][0]["size"], invoice.len());
    assert_eq!(confirmed.body["files"][0]["status"], "uploaded");

    // 4. submit
    let accepted = app.extract(&session_id, None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    let job_id = accepted.body["job_id"].as_str().expect("job id").to_owned();
    assert_eq!(
        accepted.header("location"),
        Some(format!("/jobs/{job_id}/status").as_str())
    );
    assert_eq!(accepted.body["status"], "queued");
    assert_eq!(
        accepted.body["links"]["result"],
        format!("/jobs/{job_id}/result")
    );

    // 5. poll until terminal
    let status = app.wait_for_job(&job_id, Duration::from_secs(30)).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(
        status["progress"],
        json!({"total": 1, "queued": 0, "processing": 0, "succeeded": 1, "failed": 0})
    );
    assert_eq!(status["files"][0]["status"], "succeeded");
    assert_eq!(status["files"][0]["attempts"], 1);
    assert!(status["completed_at"].is_string());
    let alias = app.get(&format!("/jobs/{job_id}")).await;
    assert_eq!(
        alias.body, status,
        "GET /jobs/{{id}} is an alias of /status"
    );

    // 6. the result
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    assert_eq!(result.status, 200, "{}", result.text);
    let entry = &result.body["results"][0];
    assert_eq!(result.body["job_id"], job_id);
    assert_eq!(entry["status"], "succeeded");
    assert_eq!(entry["name"], "a.xml");
    assert_eq!(entry["document"]["syntax"], "UBL");
    assert_eq!(entry["document"]["container"], "xml");
    assert_eq!(entry["sha256"].as_str().map(str::len), Some(64));
    assert!(entry["invoice"]["number"].is_string(), "{entry}");

    let session = app.get(&format!("/sessions/{session_id}")).await;
    assert_eq!(session.body["status"], "submitted");
    assert_eq!(session.body["job_id"], job_id);
    app.stop().await;
}
