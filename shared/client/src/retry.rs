//! When a request is sent again, and after how long: 429 always (the
//! gateway refused it before anything ran), 5xx and lost connections only
//! when sending it twice is harmless, each after the answer's `Retry-After`
//! or else an exponential backoff, with jitter, a bounded number of times.

use std::time::Duration;

use backon::ExponentialBuilder;
use rand::Rng;

/// How often and how patiently calls are retried.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub max_attempts: usize,
    /// The first backoff delay, doubled per attempt.
    pub base_delay: Duration,
    /// The longest backoff delay (a `Retry-After` may ask for more).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry: for tests that must see every answer.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1))
            .with_jitter()
    }
}

/// What one attempt ended with, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An HTTP status, with the answer's `Retry-After`.
    Status(u16, Option<Duration>),
    /// The connection could not be made: nothing reached the server.
    ConnectFailed,
    /// The request may have reached the server, but no answer came.
    NoAnswer,
}

/// Whether an attempt that ended so is tried again. `repeatable`: sending
/// the request twice has the effect of sending it once (GET, PUT, DELETE,
/// the API's PATCH confirm, a POST with an Idempotency-Key).
pub(crate) fn is_retried(outcome: Outcome, repeatable: bool) -> bool {
    match outcome {
        Outcome::Status(429, _) | Outcome::ConnectFailed => true,
        Outcome::Status(500 | 502 | 503 | 504, _) | Outcome::NoAnswer => repeatable,
        Outcome::Status(..) => false,
    }
}

/// The wait before the next attempt: the server's `Retry-After` plus up to
/// a quarter of it (so that clients told the same wait do not all come back
/// at the same instant), else the backoff's own (already jittered) delay.
/// `None` (the backoff is exhausted) stays `None`: attempts stay bounded.
pub(crate) fn next_delay(outcome: Outcome, backoff: Option<Duration>) -> Option<Duration> {
    let backoff = backoff?;
    match outcome {
        Outcome::Status(_, Some(retry_after)) => Some(with_jitter(retry_after)),
        _ => Some(backoff),
    }
}

fn with_jitter(wait: Duration) -> Duration {
    let spread = (wait / 4).max(Duration::from_millis(50));
    wait + rand::rng().random_range(Duration::ZERO..=spread)
}

/// `Retry-After` in whole seconds, as the API sends it (api.md "Rate
/// limits"); an HTTP date or anything else falls back to the backoff.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    #[test]
    fn a_429_is_retried_even_when_the_request_is_not_repeatable() {
        // Arrange
        let throttled = Outcome::Status(429, Some(Duration::from_secs(1)));
        // Act
        let retried = is_retried(throttled, false);
        // Assert
        assert!(retried);
    }

    #[test]
    fn server_errors_and_lost_answers_are_retried_only_when_repeatable() {
        for outcome in [
            Outcome::Status(500, None),
            Outcome::Status(502, None),
            Outcome::Status(503, None),
            Outcome::Status(504, None),
            Outcome::NoAnswer,
        ] {
            assert!(is_retried(outcome, true), "{outcome:?}");
            assert!(!is_retried(outcome, false), "{outcome:?}");
        }
    }

    #[test]
    fn a_failed_connection_is_retried_since_nothing_was_sent() {
        assert!(is_retried(Outcome::ConnectFailed, false));
    }

    #[test]
    fn client_errors_and_successes_are_final() {
        for status in [200, 201, 303, 400, 401, 404, 409, 413, 422, 501] {
            assert!(!is_retried(Outcome::Status(status, None), true), "{status}");
        }
    }

    #[test]
    fn retry_after_is_honoured_with_at_most_a_quarter_more() {
        // Arrange
        let throttled = Outcome::Status(429, Some(Duration::from_secs(4)));
        for _ in 0..200 {
            // Act
            let delay = next_delay(throttled, Some(Duration::from_millis(10))).expect("a delay");
            // Assert
            assert!(
                (Duration::from_secs(4)..=Duration::from_secs(5)).contains(&delay),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn without_retry_after_the_backoff_delay_is_used() {
        let delay = next_delay(Outcome::Status(503, None), Some(Duration::from_millis(300)));
        assert_eq!(delay, Some(Duration::from_millis(300)));
    }

    #[test]
    fn an_exhausted_backoff_ends_the_retries_whatever_retry_after_says() {
        let throttled = Outcome::Status(429, Some(Duration::from_secs(1)));
        assert_eq!(next_delay(throttled, None), None);
    }

    #[test]
    fn retry_after_is_read_as_whole_seconds_only() {
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn the_backoff_is_bounded_and_grows_within_its_limits() {
        // Arrange
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        // Act
        let delays: Vec<Duration> = policy.backoff().build().collect();
        // Assert: 4 retries after the first attempt, each at most the
        // maximum plus its jitter (less than the delay itself).
        assert_eq!(delays.len(), 4, "{delays:?}");
        assert!(
            delays.iter().all(|d| *d >= Duration::from_millis(100)),
            "{delays:?}"
        );
        assert!(
            delays.iter().all(|d| *d < Duration::from_millis(1000)),
            "{delays:?}"
        );
    }

    #[test]
    fn never_makes_exactly_one_attempt() {
        assert_eq!(RetryPolicy::never().backoff().build().count(), 0);
    }
}
