//! The gateway's per-tenant request rate (the usage plan's throttle, the
//! local runner's `INTAKE_RATE_LIMIT`): over it, 429 `rate_limited` with
//! `Retry-After`, and no other tenant is slowed down.

use intake_local::RateLimit;
use intake_tests::{spawn_app_with, AppOptions, TestApp};

/// The stack with the gateway limiting each API key to `per_second`
/// requests per second, `burst` at once.
async fn app_limited_to(per_second: u32, burst: u32) -> TestApp {
    spawn_app_with(AppOptions {
        rate_limit: Some(RateLimit::new(per_second, burst).expect("non-zero")),
        ..AppOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_over_its_rate_gets_429_and_others_do_not() {
    // Arrange: 1 request per second, a burst of 3.
    let app = app_limited_to(1, 3).await;
    let path = "/sessions/ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4";

    // Act: six requests at once from one tenant, then one from another.
    let mut replies = Vec::new();
    for _ in 0..6 {
        replies.push(app.get(path).await);
    }
    let other = app
        .send(app.as_other(intake_client::Method::GET, path))
        .await;

    // Assert: the burst is served (404: no such session), the rest are
    // throttled before any function runs.
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..3], [404, 404, 404], "{statuses:?}");
    let throttled: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(throttled.len() >= 2, "{statuses:?}");
    for reply in throttled {
        reply.assert_problem(429, "rate_limited");
        let retry_after: u64 = reply
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("whole seconds");
        assert!((1..=2).contains(&retry_after), "{retry_after}");
    }
    other.assert_problem(404, "session_not_found");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_tenant_is_served_again_after_retry_after() {
    // Arrange
    let app = app_limited_to(1, 1).await;
    let path = "/sessions/ses_01J9Z5Q2V4N8K3M6P7R9T1W2X4";
    app.get(path).await.assert_problem(404, "session_not_found");
    let throttled = app.get(path).await;
    throttled.assert_problem(429, "rate_limited");
    let wait: u64 = throttled
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("whole seconds");

    // Act
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let again = app.get(path).await;

    // Assert
    again.assert_problem(404, "session_not_found");
    app.stop().await;
}
