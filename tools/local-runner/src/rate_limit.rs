//! API Gateway's usage plan, locally: a request rate per API key (one key
//! per tenant), over which the gateway answers 429 `rate_limited` with
//! `Retry-After` before any function runs.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests per second and burst per API key: `TenantRateLimit` and
/// `TenantBurstLimit` of `template.yaml`'s usage plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `None` when either is 0.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        Some(Self {
            per_second: NonZeroU32::new(per_second)?,
            burst: NonZeroU32::new(burst)?,
        })
    }
}

impl Default for RateLimit {
    /// The template's defaults.
    fn default() -> Self {
        Self::new(50, 100).expect("non-zero")
    }
}

/// Keys remembered before the limiter forgets those whose bucket is full
/// again: a flood of made-up keys cannot grow it without bound.
const KEYS_KEPT: usize = 10_000;
/// Checks between two looks at the number of keys, a power of two
/// (counting them visits every shard of the map: not something to do on
/// each request).
const CHECKS_PER_PRUNE: u32 = 1024;

pub(crate) struct TenantRateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU32,
}

impl TenantRateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(limit.per_second).allow_burst(limit.burst),
            ),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
        }
    }

    /// `Err(wait)` when the key is over its rate: the request may be made
    /// again after `wait` (whole seconds, at least one, as `Retry-After`
    /// carries them).
    pub(crate) fn check(&self, api_key: &str) -> Result<(), Duration> {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed);
        if checks & (CHECKS_PER_PRUNE - 1) == 0 && self.limiter.len() > KEYS_KEPT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&api_key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
                    .max(Duration::from_secs(1))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_burst_waits_and_others_do_not() {
        // Arrange
        let limiter = TenantRateLimiter::new(RateLimit::new(1, 3).expect("non-zero"));
        // Act
        let first: Vec<bool> = (0..4).map(|_| limiter.check("a").is_ok()).collect();
        let other = limiter.check("b");
        // Assert
        assert_eq!(first, [true, true, true, false]);
        assert_eq!(limiter.check("a"), Err(Duration::from_secs(1)));
        assert_eq!(other, Ok(()));
    }
}
