//! The proxy seen by the AWS SDK: injected answers parse as the service's
//! own errors, resets and latency reach the client, and forwarding keeps
//! the request byte for byte. No emulator is needed: the upstream is either
//! a small echo server of this test or a port nothing listens on.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use intake_fault_proxy::{Plan, Proxy, Rates, Service};

/// An address nothing listens on (a forwarded request fails).
async fn dead_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    listener.local_addr().unwrap()
}

/// An upstream that answers 200 with a JSON echo of the request's method,
/// target, Host header and body, and counts the requests it got.
async fn echo_upstream() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let echo = serde_json::json!({
                            "method": parts.method.as_str(),
                            "target": parts.uri.to_string(),
                            "host": parts.headers.get("host").and_then(|v| v.to_str().ok()),
                            "authorization": parts.headers.get("authorization").and_then(|v| v.to_str().ok()),
                            "body": String::from_utf8_lossy(&body),
                        });
                        Ok::<_, hyper::Error>(http::Response::new(Full::new(Bytes::from(
                            echo.to_string(),
                        ))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, seen)
}

async fn proxy_with(service: Service, upstream: SocketAddr, rates: Rates) -> Proxy {
    let proxy = Proxy::start(&[(service, upstream)]).await.unwrap();
    let mut plan = Plan {
        seed: 1,
        ..Plan::default()
    };
    match service {
        Service::S3 => plan.s3 = rates,
        Service::Sqs => plan.sqs = rates,
        Service::Dynamodb => plan.dynamodb = rates,
    }
    proxy.control.set(plan).unwrap();
    proxy
}

fn credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test")
}

fn dynamodb(proxy: &Proxy) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .http_client(intake_aws::https_client())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(proxy.url(Service::Dynamodb).unwrap())
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn sqs(proxy: &Proxy) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .http_client(intake_aws::https_client())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(proxy.url(Service::Sqs).unwrap())
        .retry_config(aws_sdk_sqs::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

fn s3(proxy: &Proxy) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .http_client(intake_aws::https_client())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(proxy.url(Service::S3).unwrap())
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn always(kind: &str) -> Rates {
    let mut rates = Rates::default();
    match kind {
        "500" => rates.http_500 = 1.0,
        "503" => rates.http_503 = 1.0,
        "throttle" => rates.throttle = 1.0,
        "conflict" => rates.transaction_conflict = 1.0,
        "reset_before" => rates.reset_before = 1.0,
        "reset_after" => rates.reset_after = 1.0,
        other => panic!("{other}"),
    }
    rates
}

async fn get_item_code(client: &aws_sdk_dynamodb::Client) -> (Option<String>, u16) {
    let error = client
        .get_item()
        .table_name("t")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .expect_err("an injected error");
    let status = error.raw_response().map_or(0, |r| r.status().as_u16());
    let code = aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&error).map(str::to_owned);
    (code, status)
}

#[tokio::test]
async fn dynamodb_errors_parse_as_dynamodb_errors() {
    let upstream = dead_upstream().await;
    let proxy = proxy_with(Service::Dynamodb, upstream, always("500")).await;
    assert_eq!(
        get_item_code(&dynamodb(&proxy)).await,
        (Some("InternalServerError".into()), 500)
    );
    let error = dynamodb(&proxy)
        .get_item()
        .table_name("t")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err();
    assert!(error.into_service_error().is_internal_server_error());

    let proxy = proxy_with(Service::Dynamodb, upstream, always("503")).await;
    assert_eq!(
        get_item_code(&dynamodb(&proxy)).await,
        (Some("ServiceUnavailable".into()), 503)
    );

    // Throttling comes as either of DynamoDB's two errors, both seen.
    let proxy = proxy_with(Service::Dynamodb, upstream, always("throttle")).await;
    let client = dynamodb(&proxy);
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..16 {
        let (code, status) = get_item_code(&client).await;
        assert_eq!(status, 400);
        codes.insert(code.unwrap());
    }
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        [
            "ProvisionedThroughputExceededException",
            "ThrottlingException"
        ]
    );
    let error = client
        .get_item()
        .table_name("t")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        error.is_provisioned_throughput_exceeded_exception() || error.is_throttling_exception(),
        "{error:?}"
    );
}

#[tokio::test]
async fn transaction_conflicts_carry_one_reason_per_item() {
    let upstream = dead_upstream().await;
    let proxy = proxy_with(Service::Dynamodb, upstream, always("conflict")).await;
    let client = dynamodb(&proxy);
    let put = |pk: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name("t")
                    .item("pk", AttributeValue::S(pk.into()))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let error = client
        .transact_write_items()
        .transact_items(put("a"))
        .transact_items(put("b"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancelled) = error else {
        panic!("not a cancellation: {error:?}");
    };
    let codes: Vec<Option<&str>> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|reason| reason.code())
        .collect();
    assert_eq!(codes, [Some("TransactionConflict"), Some("None")]);

    // Any other operation is forwarded (and fails here only because the
    // upstream is dead: a dispatch failure, not a service error).
    let error = client
        .get_item()
        .table_name("t")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err();
    assert!(error.as_service_error().is_none(), "{error:?}");
    let report = proxy.control.report();
    assert_eq!(report["dynamodb"].injected["transaction_conflict"], 1);
    assert_eq!(report["dynamodb"].upstream_errors, 1);
}

#[tokio::test]
async fn sqs_errors_parse_as_sqs_errors() {
    let upstream = dead_upstream().await;
    for (kind, code, status) in [
        ("500", "InternalError", 500),
        ("503", "ServiceUnavailable", 503),
        ("throttle", "RequestThrottled", 400),
    ] {
        let proxy = proxy_with(Service::Sqs, upstream, always(kind)).await;
        let error = sqs(&proxy)
            .receive_message()
            .queue_url("http://127.0.0.1:1/000000000000/q")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error.raw_response().map(|r| r.status().as_u16()),
            Some(status)
        );
        assert_eq!(
            aws_sdk_sqs::error::ProvideErrorMetadata::code(&error),
            Some(code),
            "{kind}"
        );
        if kind == "throttle" {
            assert!(error.into_service_error().is_request_throttled());
        }
    }
}

#[tokio::test]
async fn s3_errors_parse_as_s3_errors() {
    let upstream = dead_upstream().await;
    for (kind, code, status) in [
        ("500", "InternalError", 500),
        ("503", "ServiceUnavailable", 503),
        ("throttle", "SlowDown", 503),
    ] {
        let proxy = proxy_with(Service::S3, upstream, always(kind)).await;
        let error = s3(&proxy)
            .get_object()
            .bucket("b")
            .key("k")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error.raw_response().map(|r| r.status().as_u16()),
            Some(status)
        );
        assert_eq!(
            aws_sdk_s3::error::ProvideErrorMetadata::code(&error),
            Some(code),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn forwarding_keeps_host_and_body_byte_for_byte() {
    let (upstream, seen) = echo_upstream().await;
    let proxy = Proxy::start(&[(Service::Sqs, upstream)]).await.unwrap();
    let url = proxy.url(Service::Sqs).unwrap();
    let body = "{\"QueueUrl\":\"q\",\"MessageBody\":\"ü \\\"x\\\"\"}";
    let response = reqwest_like_post(&url, body).await;
    let echo: serde_json::Value = serde_json::from_str(&response).unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["target"], "/some/path?a=b%20c");
    assert_eq!(echo["host"], url.trim_start_matches("http://"));
    assert_eq!(echo["authorization"], "AWS4-HMAC-SHA256 Credential=test");
    assert_eq!(echo["body"], body);
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.control.report()["sqs"].requests, 1);
}

/// A POST through a raw hyper client (the proxy must not care who calls).
async fn reqwest_like_post(url: &str, body: &str) -> String {
    let addr = url.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post("/some/path?a=b%20c")
        .header("host", &addr)
        .header("authorization", "AWS4-HMAC-SHA256 Credential=test")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn resets_before_and_after_forwarding() {
    let (upstream, seen) = echo_upstream().await;
    let proxy = proxy_with(Service::Dynamodb, upstream, always("reset_before")).await;
    let (code, status) = match dynamodb(&proxy).list_tables().send().await {
        Err(error) => (
            error.as_service_error().is_some(),
            error.raw_response().is_some(),
        ),
        Ok(_) => panic!("a reset connection answered"),
    };
    assert_eq!((code, status), (false, false), "no answer at all");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "not forwarded");

    // After forwarding: the upstream got the request, the client no answer.
    let proxy = proxy_with(Service::Dynamodb, upstream, always("reset_after")).await;
    let error = dynamodb(&proxy).list_tables().send().await.unwrap_err();
    assert!(error.raw_response().is_none(), "{error:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 1, "forwarded once");
    let report = proxy.control.report();
    assert_eq!(report["dynamodb"].injected["reset_after"], 1);
}

#[tokio::test]
async fn latency_delays_and_faults_stop_when_turned_off() {
    let (upstream, seen) = echo_upstream().await;
    let rates = Rates {
        latency: 1.0,
        latency_ms: 400,
        ..Rates::default()
    };
    let proxy = proxy_with(Service::Sqs, upstream, rates).await;
    let url = proxy.url(Service::Sqs).unwrap();
    let started = Instant::now();
    reqwest_like_post(&url, "{}").await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    proxy.control.off();
    let started = Instant::now();
    reqwest_like_post(&url, "{}").await;
    // Under the injected 400 ms: a margin for a loaded machine, none for the latency.
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(proxy.control.report()["sqs"].injected["latency"], 1);
}
