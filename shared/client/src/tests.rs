//! The client against a scripted HTTP server on loopback: what it retries,
//! how long it waits, and how it spaces its requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

const SESSION: &str = r#"{"id":"ses_1","status":"pending","files":[]}"#;

/// A server answering `answers` in turn (the last repeating), one per
/// connection; returns its base URL and the number of requests it read.
async fn scripted(answers: Vec<(u16, &'static str, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let index = count.fetch_add(1, Ordering::SeqCst);
            let (status, headers, body) = answers[index.min(answers.len() - 1)];
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (base, served)
}

fn client(base: &str, attempts: usize) -> Client {
    Client::new(ClientConfig {
        retry: RetryPolicy {
            max_attempts: attempts,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        ..ClientConfig::new(base, "key")
    })
    .expect("client")
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    // Arrange
    let (base, served) = scripted(vec![
        (429, "retry-after: 1\r\n", r#"{"code":"rate_limited"}"#),
        (200, "", SESSION),
    ])
    .await;
    let started = Instant::now();

    // Act
    let session = client(&base, 3)
        .session_page("ses_1", Page::default())
        .await;

    // Assert
    assert_eq!(session.expect("the retry succeeds").id, "ses_1");
    assert_eq!(served.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt_with_the_apis_problem() {
    // Arrange
    let (base, served) = scripted(vec![(
        503,
        "content-type: application/problem+json\r\n",
        r#"{"code":"service_unavailable","title":"t","detail":"d","status":503}"#,
    )])
    .await;

    // Act
    let error = client(&base, 3)
        .session_page("ses_1", Page::default())
        .await
        .expect_err("every attempt fails");

    // Assert
    let api = error.api().expect("the API's problem");
    assert_eq!((api.status, api.code()), (503, "service_unavailable"));
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_post_without_idempotency_key_is_not_sent_twice_after_a_5xx() {
    // Arrange
    let (base, served) = scripted(vec![(500, "", r#"{"code":"internal_error"}"#)]).await;

    // Act
    let error = client(&base, 5)
        .create_session(&CreateSession::default(), None)
        .await
        .expect_err("a 500");

    // Assert
    assert_eq!(error.api().map(|api| api.status), Some(500));
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_post_with_idempotency_key_is_retried_and_its_replay_reported() {
    // Arrange
    let (base, served) = scripted(vec![
        (502, "", ""),
        (201, "idempotent-replayed: true\r\n", SESSION),
    ])
    .await;

    // Act
    let created = client(&base, 5)
        .create_session(&CreateSession::default(), Some("k"))
        .await
        .expect("the retry succeeds");

    // Assert
    assert!(created.replayed);
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_answer_that_is_not_a_problem_document_is_still_a_typed_error() {
    // Arrange
    let (base, _) = scripted(vec![(404, "", "not json")]).await;

    // Act
    let error = client(&base, 1)
        .job_status("job_1", Page::default())
        .await
        .expect_err("a 404");

    // Assert
    let api = error.api().expect("an API error");
    assert_eq!((api.status, api.code()), (404, "unexpected_response"));
}

#[tokio::test]
async fn a_closed_port_is_unreachable_after_bounded_attempts() {
    // Arrange
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();

    // Act
    let error = client(&format!("http://127.0.0.1:{port}"), 3)
        .session_page("ses_1", Page::default())
        .await
        .expect_err("nothing listens");

    // Assert
    assert!(
        matches!(error, ClientError::Unreachable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_request_rate_is_capped_by_a_token_bucket() {
    // Arrange: 10 requests per second, so a burst of 10 and then one
    // every 100 ms.
    let (base, served) = scripted(vec![(200, "", SESSION)]).await;
    let client = Client::new(ClientConfig {
        requests_per_second: NonZeroU32::new(10),
        ..ClientConfig::new(&base, "key")
    })
    .expect("client");
    let started = Instant::now();

    // Act
    for _ in 0..20 {
        client
            .session_page("ses_1", Page::default())
            .await
            .expect("served");
    }

    // Assert: the 10 after the burst waited about a second in all.
    assert_eq!(served.load(Ordering::SeqCst), 20);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    let error = Client::new(ClientConfig::new("ftp://example", "key")).err();
    assert!(
        matches!(error, Some(ClientError::InvalidBaseUrl { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_upload_refused_by_storage_names_the_file_and_not_the_url() {
    // Arrange
    let (base, served) = scripted(vec![(403, "", "<Error>SignatureDoesNotMatch</Error>")]).await;
    let upload = Upload {
        method: "PUT".into(),
        url: format!("{base}/bucket/key?X-Amz-Signature=secret"),
        headers: [("content-type".to_owned(), "application/xml".to_owned())].into(),
        expires_at: "2026-12-01T00:00:00Z".into(),
    };

    // Act
    let error = client(&base, 3)
        .upload("a.xml", &upload, Bytes::from_static(b"<Invoice/>"))
        .await
        .expect_err("refused");

    // Assert: a 403 is final, and the pre-signed URL (a credential) is not shown.
    assert!(
        matches!(&error, ClientError::Upload { name, status: 403 } if name == "a.xml"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
