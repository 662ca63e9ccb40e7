//! Authentication, tenant isolation and bad requests: each a problem+json
//! with a stable code.

use intake_client::Method;
use intake_domain::webhooks::NOT_WEBHOOK_URL_SHAPE;
use intake_tests::{sample_invoice, spawn_app, spawn_app_with, AppOptions};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_api_key_is_unauthorized() {
    let app = spawn_app().await;
    let missing = app.send(app.without_key(Method::POST, "/sessions")).await;
    let unknown = app
        .send(
            app.request(Method::GET, "/sessions/ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4")
                .api_key("nope"),
        )
        .await;
    missing.assert_problem(401, "unauthorized");
    unknown.assert_problem(401, "unauthorized");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_session_and_job_do_not_exist() {
    // Arrange
    let app = spawn_app().await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id").to_owned();
    let job_id = app.submit(&session_id).await;
    let as_other = |method: Method, path: String| app.as_other(method, &path);

    // Act
    let replies = vec![
        (
            app.send(as_other(Method::GET, format!("/sessions/{session_id}")))
                .await,
            "session_not_found",
        ),
        (
            app.send(as_other(
                Method::PATCH,
                format!("/sessions/{session_id}/confirm"),
            ))
            .await,
            "session_not_found",
        ),
        (
            app.send(as_other(
                Method::POST,
                format!("/sessions/{session_id}/extract"),
            ))
            .await,
            "session_not_found",
        ),
        (
            app.send(as_other(Method::GET, format!("/jobs/{job_id}")))
                .await,
            "job_not_found",
        ),
        (
            app.send(as_other(Method::GET, format!("/jobs/{job_id}/status")))
                .await,
            "job_not_found",
        ),
        (
            app.send(as_other(Method::GET, format!("/jobs/{job_id}/result")))
                .await,
            "job_not_found",
        ),
    ];

    // Assert
    for (reply, code) in replies {
        reply.assert_problem(404, code);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_unknown_ids_are_not_found() {
    let app = spawn_app().await;
    for (path, code) in [
        (
            "/sessions/ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4",
            "session_not_found",
        ),
        (
            "/sessions/job_01J9Z5Q2V4N8K3M6P7R9T1W2X4",
            "session_not_found",
        ),
        ("/sessions/..%2F..%2Fetc", "session_not_found"),
        ("/jobs/job_01J9Z5Q2V4N8K3M6P7R9T1W2X4", "job_not_found"),
        ("/jobs/1/result", "job_not_found"),
    ] {
        app.get(path).await.assert_problem(404, code);
    }
    let unknown_route = app.get("/invoices").await;
    unknown_route.assert_problem(404, "not_found");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_resource_does_not_have_is_405_with_allow() {
    // Arrange
    let app = spawn_app().await;
    let trace = intake_client::Method::from_bytes(b"TRACE").expect("method");

    // Act
    let replies = [
        (app.send(app.request(trace, "/sessions")).await, "POST"),
        (
            app.send(app.request(intake_client::Method::PUT, "/jobs/job_1"))
                .await,
            "GET, DELETE",
        ),
        (
            app.send(app.request(intake_client::Method::GET, "/sessions/ses_1/extract"))
                .await,
            "POST",
        ),
        (
            app.send(app.request(intake_client::Method::DELETE, "/admin/dead-letters"))
                .await,
            "GET",
        ),
    ];

    // Assert
    for (reply, allow) in replies {
        reply.assert_problem(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{}", reply.text);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_session_requests_get_stable_codes() {
    // Arrange
    let app = spawn_app().await;
    let file = |name: &str, content_type: &str| json!({"name": name, "content_type": content_type});
    let too_many: Vec<_> = (0..2001)
        .map(|i| file(&format!("{i}.xml"), "application/xml"))
        .collect();
    let cases = [
        (json!({"files": []}), 400, "no_files"),
        (json!({"files": too_many}), 400, "too_many_files"),
        (
            json!({"files": [file("", "application/xml")]}),
            400,
            "invalid_file_name",
        ),
        (
            json!({"files": [file(&"n".repeat(256), "application/xml")]}),
            400,
            "invalid_file_name",
        ),
        (
            json!({"files": [file("a\nb.xml", "application/xml")]}),
            400,
            "invalid_file_name",
        ),
        (
            // A C1 control character: openapi.yaml's name pattern excludes U+007F–U+009F too.
            json!({"files": [file("a\u{85}b.xml", "application/xml")]}),
            400,
            "invalid_file_name",
        ),
        (
            // One byte over openapi.yaml's `maximum` (the default file limit).
            json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": 52_428_801}]}),
            413,
            "file_too_large",
        ),
        (
            json!({"files": [file("a.png", "image/png")]}),
            400,
            "unsupported_content_type",
        ),
        (
            json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": 0}]}),
            400,
            "invalid_file_size",
        ),
        (
            json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": 1u64 << 40}]}),
            413,
            "file_too_large",
        ),
        (
            json!({"files": [file("a.xml", "application/xml")], "colour": "red"}),
            400,
            "malformed_request",
        ),
        (
            json!({"files": [{"name": "a.xml"}]}),
            400,
            "malformed_request",
        ),
        (json!({"files": "a.xml"}), 400, "malformed_request"),
        (
            json!({"webhook_url": "http://example.com/hook"}),
            400,
            "invalid_webhook_url",
        ),
        (
            json!({"webhook_url": "not a url"}),
            400,
            "invalid_webhook_url",
        ),
        (json!({"metadata": [1, 2]}), 400, "invalid_metadata"),
        // openapi.yaml's members admit no null: a member is left out or has a value.
        (json!({"webhook_url": null}), 400, "malformed_request"),
        (
            json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": null}]}),
            400,
            "malformed_request",
        ),
        (json!({"metadata": null}), 400, "invalid_metadata"),
    ];

    for (body, status, code) in cases {
        // Act
        let reply = app.create_session(body.clone()).await;
        // Assert
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        reply.assert_problem(status, code);
    }
    let two_thousand: Vec<_> = (0..2000)
        .map(|i| file(&format!("{i}.xml"), "application/xml"))
        .collect();
    let at_the_limit = app
        .create_session(json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": 52_428_800}]}))
        .await;
    assert_eq!(at_the_limit.status, 201, "{}", at_the_limit.text);
    let largest = app.create_session(json!({ "files": two_thousand })).await;
    assert_eq!(largest.status, 201, "2000 files is the limit, not over it");
    assert_eq!(largest.body["files"].as_array().map(Vec::len), Some(2000));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_bad_request() {
    let app = spawn_app().await;
    let broken = app
        .send(
            app.request(Method::POST, "/sessions")
                .header("content-type", "application/json")
                .body("{\"files\": ["),
        )
        .await;
    let form = app
        .send(
            app.request(Method::POST, "/sessions")
                .header("content-type", "text/plain")
                .body("files"),
        )
        .await;
    broken.assert_problem(400, "malformed_request");
    form.assert_problem(400, "malformed_request");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_urls_outside_the_documented_shape_are_refused() {
    // Arrange: as in AWS, no loopback allowance; openapi.yaml's WebhookUrl
    // pattern names no IP literal, no upper-case host and no fragment.
    let mut options = AppOptions::default();
    options.settings.allow_loopback_webhooks = false;
    let app = spawn_app_with(options).await;
    let session = app
        .confirmed_session(&[("a.xml", "application/xml", sample_invoice())])
        .await;
    let session_id = session["id"].as_str().expect("id").to_owned();

    for url in [
        "https://8.8.8.8/hook",
        "https://[2606:4700::1]/hook",
        "https://Hooks.Example.com/hook",
        "https://hooks.example.com/hook#part",
    ] {
        // Act
        let created = app.create_session(json!({ "webhook_url": url })).await;
        let extracted = app
            .send(
                app.request(Method::POST, &format!("/sessions/{session_id}/extract"))
                    .json(&json!({ "webhook_url": url })),
            )
            .await;

        // Assert
        for reply in [created, extracted] {
            reply.assert_problem(400, "invalid_webhook_url");
            assert_eq!(
                reply.body["detail"],
                format!("webhook_url {NOT_WEBHOOK_URL_SHAPE}"),
                "{url}"
            );
        }
    }
    let documented = app
        .create_session(json!({"webhook_url": "https://hooks.example.com:8443/in?x=%2F"}))
        .await;
    assert_eq!(documented.status, 201, "{}", documented.text);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_written_with_a_zero_fraction_is_a_whole_number() {
    // Arrange: JSON Schema's integer (openapi.yaml) includes 998.0.
    let app = spawn_app().await;
    let file = |size: serde_json::Value| json!({"files": [{"name": "a.xml", "content_type": "application/xml", "size": size}]});

    // Act
    let whole = app.create_session(file(json!(998.0))).await;
    let fraction = app.create_session(file(json!(998.5))).await;

    // Assert
    assert_eq!(whole.status, 201, "{}", whole.text);
    assert_eq!(whole.body["files"][0]["size"], 998);
    fraction.assert_problem(400, "malformed_request");
    app.stop().await;
}
