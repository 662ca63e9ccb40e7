//! Limits and timings of the service, read once per cold start.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Lifetime of pre-signed PUT URLs, and so of a session's upload window.
    pub upload_url_ttl: Duration,
    /// Largest accepted file, declared or uploaded.
    pub max_file_bytes: u64,
    pub max_files_per_session: usize,
    /// Results up to this many bytes are returned inline, larger ones by a
    /// 303 to a pre-signed GET.
    pub result_inline_limit: u64,
    pub result_url_ttl: Duration,
    /// Upload bytes one worker process holds at once, across its batch's
    /// files (a file larger than this is read alone).
    pub read_budget_bytes: u64,
    /// A file's result up to this many bytes is kept on its DynamoDB item
    /// (well under the 400 KB item limit), larger ones in S3.
    pub file_result_inline_limit: usize,
    /// The work queue's redrive `maxReceiveCount`: the attempt that reaches
    /// it is the last, and marks the file failed if it fails.
    pub max_receive_count: u32,
    /// First retry delay; doubles with each attempt.
    pub retry_base_delay: Duration,
    pub retry_max_delay: Duration,
    /// Whether `http://127.0.0.1…` webhook URLs are accepted (local stack only).
    pub allow_loopback_webhooks: bool,
    /// Waits before each webhook attempt, the first normally 0.
    pub webhook_schedule: Vec<Duration>,
    /// Jobs of at most this many files take the express queue, so that
    /// they never wait behind a large batch on the work queue.
    pub express_max_files: usize,
    /// Most files of one job whose work messages wait in the queue or are
    /// being worked on at once: the dispatcher tops the window up as files
    /// finish. At least the workers' concurrency times their batch size.
    pub dispatch_window: usize,
    /// How long a session's, job's, audit and webhook items live (their
    /// DynamoDB `ttl`), the S3 lifecycle of `uploads/` and `results/`.
    pub retention: Duration,
    /// How long a job or webhook event must have stood still before the
    /// reconciler repairs it: longer than the longest retry backoff plus a
    /// visibility timeout, so that a message merely waiting is left alone.
    pub reconcile_after: Duration,
    /// How long an extraction is served from the document cache to later
    /// files of the same tenant with the same bytes (and engine release);
    /// zero turns the cache off. At most `retention`: a cached copy never
    /// outlives the job it was taken from.
    pub cache_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upload_url_ttl: Duration::from_secs(900),
            max_file_bytes: 50 * 1024 * 1024,
            max_files_per_session: 2000,
            result_inline_limit: 1024 * 1024,
            result_url_ttl: Duration::from_secs(300),
            file_result_inline_limit: 32 * 1024,
            read_budget_bytes: 256 * 1024 * 1024,
            // 15 s doubling to 900 s: about 31 minutes of retries before a
            // file is given up on, so a short incident never reaches it.
            max_receive_count: 8,
            retry_base_delay: Duration::from_secs(15),
            retry_max_delay: Duration::from_secs(900),
            allow_loopback_webhooks: false,
            webhook_schedule: crate::webhooks::default_schedule(),
            express_max_files: 10,
            dispatch_window: 1000,
            retention: Duration::from_secs(30 * 24 * 3600),
            reconcile_after: Duration::from_secs(20 * 60),
            cache_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

impl Settings {
    /// Exponential backoff for the attempt that just failed (1-based),
    /// capped at SQS's 12-hour visibility limit and our own maximum.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.retry_base_delay
            .saturating_mul(factor)
            .min(self.retry_max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_and_is_capped() {
        let settings = Settings {
            retry_base_delay: Duration::from_secs(10),
            retry_max_delay: Duration::from_secs(60),
            ..Settings::default()
        };
        let delays: Vec<u64> = (1..=5).map(|n| settings.retry_delay(n).as_secs()).collect();
        assert_eq!(delays, vec![10, 20, 40, 60, 60]);
        assert_eq!(settings.retry_delay(u32::MAX).as_secs(), 60);
    }
}
