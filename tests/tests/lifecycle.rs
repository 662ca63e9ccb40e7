//! The six steps of the contract, end to end over HTTP.

use std::time::Duration;

use intake_domain::processing::DeliveryOutcome;
use intake_tests::{sample_invoice, spawn_app, spawn_app_with, AppOptions};
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
        json!({"total": 1, "queued": 0, "processing": 0, "succeeded": 1, "failed": 0, "cached": 0})
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifty_file_batch_completes_with_every_file_accounted_for() {
    // Arrange
    let app = spawn_app().await;
    let invoice = sample_invoice();
    let documents: Vec<(String, &str, Vec<u8>)> = (0..50)
        .map(|i| {
            (
                format!("invoice-{i:02}.xml"),
                "application/xml",
                invoice.clone(),
            )
        })
        .collect();
    let documents: Vec<(&str, &str, Vec<u8>)> = documents
        .iter()
        .map(|(name, content_type, bytes)| (name.as_str(), *content_type, bytes.clone()))
        .collect();
    let session = app.confirmed_session(&documents).await;
    let session_id = session["id"].as_str().expect("id");

    // Act
    let job_id = &app.submit(session_id).await;
    let status = app.wait_for_job(job_id, Duration::from_secs(90)).await;

    // Assert
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["progress"]["succeeded"], 50);
    assert_eq!(status["files"].as_array().map(Vec::len), Some(50));
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    let results = result.body["results"].as_array().expect("results");
    assert_eq!(results.len(), 50);
    let mut names: Vec<&str> = results.iter().filter_map(|r| r["name"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 50, "each file exactly once");
    assert!(results.iter().all(|r| r["document"]["syntax"] == "UBL"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_the_engine_rejects_fails_its_file_with_the_engine_code() {
    // Arrange
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[
            ("good.xml", "application/xml", sample_invoice()),
            (
                "noise.bin",
                "application/octet-stream",
                b"\x00\x01 not an invoice".to_vec(),
            ),
        ])
        .await;

    // Act
    let job_id = &app.submit(session["id"].as_str().expect("id")).await;
    let status = app.wait_for_job(job_id, Duration::from_secs(30)).await;

    // Assert
    assert_eq!(status["status"], "partially_failed", "{status}");
    let failed = status["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|file| file["name"] == "noise.bin")
        .expect("noise.bin")
        .clone();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "unsupported_document");
    assert_eq!(failed["attempts"], 1, "a rejected document is not retried");
    let result = app.get(&format!("/jobs/{job_id}/result")).await;
    let entry = result.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|entry| entry["name"] == "noise.bin")
        .expect("noise.bin result")
        .clone();
    assert_eq!(entry["error"]["code"], "unsupported_document");
    assert_eq!(entry["sha256"].as_str().map(str::len), Some(64));
    assert!(
        entry.get("invoice").is_none(),
        "no invented invoice fields: {entry}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_above_the_inline_limit_is_a_redirect_to_the_same_json() {
    // Arrange
    let mut options = AppOptions::default();
    options.settings.result_inline_limit = 64;
    let app = spawn_app_with(options).await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let job_id = &app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(job_id, Duration::from_secs(30)).await;

    // Act
    let response = app.get(&format!("/jobs/{job_id}/result")).await;
    let document = app
        .client
        .result_document(job_id)
        .await
        .expect("the result behind the pre-signed GET");

    // Assert
    assert_eq!(response.status, 303, "{}", response.text);
    assert!(response
        .header("location")
        .is_some_and(|url| url.starts_with("http")));
    assert_eq!(document.job_id, job_id.as_str());
    assert_eq!(document.results[0].extra["document"]["syntax"], "UBL");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_results_are_kept_on_their_item_or_in_s3_by_size_and_read_back_alike() {
    // Arrange: an invoice's result is over 200 bytes, a rejection's is not.
    let mut options = AppOptions::default();
    options.settings.file_result_inline_limit = 200;
    let app = spawn_app_with(options).await;
    let session = app
        .confirmed_session(&[
            ("big.xml", "application/xml", sample_invoice()),
            (
                "small.bin",
                "application/octet-stream",
                b"not an invoice".to_vec(),
            ),
        ])
        .await;

    // Act
    let job_id = &app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(job_id, Duration::from_secs(30)).await;
    let whole = app.get(&format!("/jobs/{job_id}/result")).await;
    let first = app.get(&format!("/jobs/{job_id}/result?limit=1")).await;
    let cursor = first.body["next_cursor"].as_str().expect("a second page");
    let second = app
        .get(&format!("/jobs/{job_id}/result?limit=1&cursor={cursor}"))
        .await;

    // Assert: only the large result is an object of its own in S3...
    let listed = app
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.deployment.bucket)
        .prefix(format!("results/{}/{job_id}/", app.tenant))
        .send()
        .await
        .expect("list results");
    assert_eq!(listed.key_count(), Some(1), "{listed:?}");
    // ...and both read back the same, whole and paged.
    let paged: Vec<serde_json::Value> = [&first, &second]
        .iter()
        .flat_map(|page| page.body["results"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(whole.body["results"].as_array(), Some(&paged));
    let by_name = |name: &str| {
        paged
            .iter()
            .find(|entry| entry["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {paged:?}"))
            .clone()
    };
    assert_eq!(by_name("big.xml")["document"]["syntax"], "UBL");
    assert_eq!(
        by_name("small.bin")["error"]["code"],
        "unsupported_document"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_twice_is_harmless_and_upload_urls_can_be_fetched_again() {
    // Arrange
    let app = spawn_app().await;
    let created = app.create_session(json!({})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let session_id = created.body["id"].as_str().expect("id").to_owned();

    // Act: no body means one file slot; its URL is served again by GET.
    let fetched = app.get(&format!("/sessions/{session_id}")).await;
    let slot = fetched.body["files"][0].clone();
    app.upload(&slot, sample_invoice()).await;
    let first = app.confirm(&session_id).await;
    let second = app.confirm(&session_id).await;

    // Assert
    assert_eq!(created.body["files"].as_array().map(Vec::len), Some(1));
    assert_eq!(slot["content_type"], "application/octet-stream");
    assert!(slot["upload"]["url"].is_string());
    assert_eq!(first.status, 200);
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["status"], "pending");
    assert_eq!(first.body, second.body);
    assert!(
        second.body["files"][0].get("upload").is_none(),
        "no upload URL once uploaded"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_past_retention_answers_410_result_expired() {
    // Arrange: a finished job whose file result is kept in S3, then the
    // S3 lifecycle (here: a delete) takes the objects under `results/`.
    let mut options = AppOptions::default();
    options.settings.file_result_inline_limit = 200;
    let app = spawn_app_with(options).await;
    let session = app
        .confirmed_session(&[("big.xml", "application/xml", sample_invoice())])
        .await;
    let job_id = &app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(job_id, Duration::from_secs(30)).await;
    let before = app.get(&format!("/jobs/{job_id}/result")).await;
    assert_eq!(before.status, 200, "{}", before.text);
    let listed = app
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.deployment.bucket)
        .prefix(format!("results/{}/{job_id}", app.tenant))
        .send()
        .await
        .expect("list results");
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|object| object.key().map(str::to_owned))
        .collect();
    let job_key = format!("results/{}/{job_id}.json", app.tenant);
    assert!(keys.contains(&job_key), "{keys:?}");
    assert_eq!(keys.len(), 2, "the job's and the file's result: {keys:?}");

    // Act
    for key in &keys {
        app.clients
            .s3
            .delete_object()
            .bucket(&app.deployment.bucket)
            .key(key)
            .send()
            .await
            .expect("delete a result object");
    }
    let whole = app.get(&format!("/jobs/{job_id}/result")).await;
    let page = app.get(&format!("/jobs/{job_id}/result?limit=10")).await;
    let status = app.get(&format!("/jobs/{job_id}/status")).await;

    // Assert: gone, not an internal error; the job itself is still there.
    whole.assert_problem(410, "result_expired");
    page.assert_problem(410, "result_expired");
    assert_eq!(status.status, 200, "{}", status.text);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_result_past_retention_is_410_not_a_redirect_to_nothing() {
    // Arrange: a result above the inline limit (answered by a 303), then
    // its object is gone.
    let mut options = AppOptions::default();
    options.settings.result_inline_limit = 64;
    let app = spawn_app_with(options).await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let job_id = &app.submit(session["id"].as_str().expect("id")).await;
    app.wait_for_job(job_id, Duration::from_secs(30)).await;
    app.clients
        .s3
        .delete_object()
        .bucket(&app.deployment.bucket)
        .key(format!("results/{}/{job_id}.json", app.tenant))
        .send()
        .await
        .expect("delete the result object");

    // Act
    let whole = app.get(&format!("/jobs/{job_id}/result")).await;

    // Assert
    whole.assert_problem(410, "result_expired");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_file_job_and_audit_items_expire_after_the_retention() {
    use aws_sdk_dynamodb::types::AttributeValue;

    // Arrange: a retention other than the default, to see it is the one used.
    let retention_secs = 3 * 86_400;
    let mut options = AppOptions::default();
    options.settings.retention = Duration::from_secs(retention_secs);
    let app = spawn_app_with(options).await;
    let created_at = chrono::Utc::now().timestamp();

    // Act
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let file_id = session["files"][0]["id"]
        .as_str()
        .expect("file id")
        .to_owned();
    let job_id = app.submit(&session_id).await;
    app.wait_for_job(&job_id, Duration::from_secs(30)).await;
    let finished_at = chrono::Utc::now().timestamp();

    // Assert
    let ttl_of = |item: &std::collections::HashMap<String, AttributeValue>| -> i64 {
        item.get("ttl")
            .and_then(|ttl| ttl.as_n().ok())
            .and_then(|ttl| ttl.parse().ok())
            .unwrap_or_else(|| panic!("no numeric ttl on {item:?}"))
    };
    let get = |pk: String, sk: String| {
        let app = &app;
        async move {
            app.clients
                .dynamodb
                .get_item()
                .table_name(&app.deployment.table)
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .consistent_read(true)
                .send()
                .await
                .expect("get item")
                .item
                .expect("the item exists")
        }
    };
    let query = |pk: String| {
        let app = &app;
        async move {
            app.clients
                .dynamodb
                .query()
                .table_name(&app.deployment.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .consistent_read(true)
                .send()
                .await
                .expect("query items")
                .items
                .unwrap_or_default()
        }
    };
    let tenant = &app.tenant;
    let session_item = get(format!("T#{tenant}#S#{session_id}"), "SESSION".into()).await;
    let file_item = get(
        format!("T#{tenant}#S#{session_id}"),
        format!("FILE#{file_id}"),
    )
    .await;
    let job_items = query(format!("T#{tenant}#J#{job_id}")).await;
    let audit_items = query(format!("T#{tenant}#A#{session_id}")).await;

    let expected =
        (created_at + retention_secs as i64 - 2)..=(finished_at + retention_secs as i64 + 2);
    let session_ttl = ttl_of(&session_item);
    assert!(
        expected.contains(&session_ttl),
        "{session_ttl} not in {expected:?}"
    );
    // The file (rewritten by the confirmation) and the job expire with their session.
    assert_eq!(ttl_of(&file_item), session_ttl);
    let sort_keys: Vec<&str> = job_items
        .iter()
        .filter_map(|item| item.get("sk")?.as_s().ok().map(String::as_str))
        .collect();
    assert!(sort_keys.contains(&"JOB"), "{sort_keys:?}");
    assert!(
        sort_keys.iter().any(|sk| sk.starts_with("COUNT#")),
        "{sort_keys:?}"
    );
    for item in &job_items {
        let ttl = ttl_of(item);
        if item
            .get("sk")
            .and_then(|sk| sk.as_s().ok())
            .map(String::as_str)
            == Some("JOB")
        {
            assert_eq!(ttl, session_ttl);
        } else {
            assert!(expected.contains(&ttl), "{item:?}");
        }
    }
    assert!(!audit_items.is_empty());
    for item in &audit_items {
        assert!(expected.contains(&ttl_of(item)), "{item:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_deliveries_of_one_file_in_one_batch_count_it_once() {
    // Arrange: no pollers, the test is the worker; SQS hands it one file's
    // message twice in a batch (at-least-once delivery, replayed copies).
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let (job_id, deliveries) = app.submit_for_delivery(&session).await;
    let twice = [deliveries[0].clone(), deliveries[0].clone()];

    // Act
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let outcomes = app.intake.process_batch(&twice, deadline).await;

    // Assert: counted once, in one write of string sets without duplicates.
    assert_eq!(outcomes, [DeliveryOutcome::Done, DeliveryOutcome::Done]);
    let status = app.get(&format!("/jobs/{job_id}/status")).await;
    assert_eq!(status.body["status"], "succeeded", "{}", status.text);
    assert_eq!(status.body["progress"]["succeeded"], 1, "{}", status.text);
    app.stop().await;
}
