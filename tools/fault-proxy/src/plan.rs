//! The fault schedule: which request gets which fault.
//!
//! A plan holds a seed and, per service, the probability of each fault kind.
//! The k-th request a service's listener receives while the plan is active
//! draws its fault from `(seed, service, k)` alone, with no shared random
//! state: the same seed gives the same sequence of faults whatever the
//! interleaving of the proxy's connections, so a failing run can be
//! repeated with its seed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The upstream an injected fault pretends to come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    S3,
    Sqs,
    Dynamodb,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::S3, Service::Sqs, Service::Dynamodb];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::S3 => "s3",
            Service::Sqs => "sqs",
            Service::Dynamodb => "dynamodb",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Keeps the services' schedules apart under one seed.
    fn salt(self) -> u64 {
        match self {
            Service::S3 => 0x5333_0000_0000_0001,
            Service::Sqs => 0x5351_5300_0000_0002,
            Service::Dynamodb => 0x4444_4200_0000_0003,
        }
    }
}

/// What the proxy does to one request instead of (or besides) forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// HTTP 500 in the service's error format, not forwarded.
    Http500,
    /// HTTP 503 in the service's error format, not forwarded.
    Http503,
    /// The service's throttling error, not forwarded.
    Throttle,
    /// DynamoDB `TransactionCanceledException` with `TransactionConflict`,
    /// only for `TransactWriteItems`; not forwarded.
    TransactionConflict,
    /// The connection is reset before the request is forwarded.
    ResetBefore,
    /// The request is forwarded and answered upstream, then the connection
    /// is reset: the write happened, the client never hears of it.
    ResetAfter,
    /// The request is forwarded after a delay.
    Latency,
}

impl Kind {
    /// In the order the cumulative draw walks them.
    pub const ALL: [Kind; 7] = [
        Kind::Http500,
        Kind::Http503,
        Kind::Throttle,
        Kind::TransactionConflict,
        Kind::ResetBefore,
        Kind::ResetAfter,
        Kind::Latency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Http500 => "http_500",
            Kind::Http503 => "http_503",
            Kind::Throttle => "throttle",
            Kind::TransactionConflict => "transaction_conflict",
            Kind::ResetBefore => "reset_before",
            Kind::ResetAfter => "reset_after",
            Kind::Latency => "latency",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Per-request probabilities of each kind for one service (exclusive
/// outcomes: their sum is at most 1), and the latency a `latency` fault adds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rates {
    pub http_500: f64,
    pub http_503: f64,
    pub throttle: f64,
    pub transaction_conflict: f64,
    pub reset_before: f64,
    pub reset_after: f64,
    pub latency: f64,
    /// A latency fault delays the request by 50 % to 100 % of this.
    pub latency_ms: u64,
}

impl Rates {
    fn rate(&self, kind: Kind) -> f64 {
        match kind {
            Kind::Http500 => self.http_500,
            Kind::Http503 => self.http_503,
            Kind::Throttle => self.throttle,
            Kind::TransactionConflict => self.transaction_conflict,
            Kind::ResetBefore => self.reset_before,
            Kind::ResetAfter => self.reset_after,
            Kind::Latency => self.latency,
        }
    }
}

/// A seed and the rates of each service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plan {
    pub seed: u64,
    pub s3: Rates,
    pub sqs: Rates,
    pub dynamodb: Rates,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("{service}.{kind}: rate {rate} is not between 0 and 1")]
    BadRate {
        service: &'static str,
        kind: &'static str,
        rate: f64,
    },
    #[error("{service}: the rates add up to {sum}, more than 1")]
    OverOne { service: &'static str, sum: f64 },
}

/// One drawn fault.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fault {
    pub kind: Kind,
    /// The delay of a `latency` fault (zero for the others).
    pub delay: Duration,
    /// Picks between a service's equivalent answers (e.g. DynamoDB's two
    /// throttling errors), drawn with the fault.
    pub variant: u8,
}

impl Plan {
    pub fn rates(&self, service: Service) -> &Rates {
        match service {
            Service::S3 => &self.s3,
            Service::Sqs => &self.sqs,
            Service::Dynamodb => &self.dynamodb,
        }
    }

    pub fn validate(&self) -> Result<(), PlanError> {
        for service in Service::ALL {
            let rates = self.rates(service);
            let mut sum = 0.0;
            for kind in Kind::ALL {
                let rate = rates.rate(kind);
                if !(0.0..=1.0).contains(&rate) {
                    return Err(PlanError::BadRate {
                        service: service.as_str(),
                        kind: kind.as_str(),
                        rate,
                    });
                }
                sum += rate;
            }
            if sum > 1.0 + 1e-9 {
                return Err(PlanError::OverOne {
                    service: service.as_str(),
                    sum,
                });
            }
        }
        Ok(())
    }

    /// The fault of the `n`-th request to `service` (None: forward it as
    /// is). A `transaction_conflict` slot of a request that is not a
    /// DynamoDB `TransactWriteItems` stays fault-free, so the draw of every
    /// other request is the same whatever the mix of operations.
    pub fn draw(&self, service: Service, n: u64, transaction: bool) -> Option<Fault> {
        let rates = self.rates(service);
        let word = splitmix64(self.seed ^ service.salt() ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let second = splitmix64(word);
        let u = unit(word);
        let mut edge = 0.0;
        for kind in Kind::ALL {
            edge += rates.rate(kind);
            if u < edge {
                if kind == Kind::TransactionConflict
                    && !(transaction && service == Service::Dynamodb)
                {
                    return None;
                }
                let delay = if kind == Kind::Latency {
                    let share = 0.5 + 0.5 * unit(second);
                    Duration::from_secs_f64(rates.latency_ms as f64 * share / 1000.0)
                } else {
                    Duration::ZERO
                };
                return Some(Fault {
                    kind,
                    delay,
                    variant: (second >> 60) as u8 & 1,
                });
            }
        }
        None
    }
}

/// SplitMix64's finaliser: a stateless, well-mixed 64-bit hash, stable
/// across versions (unlike `rand`'s `StdRng`), so a seed means the same
/// schedule tomorrow.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The top 53 bits as a number in [0, 1).
fn unit(word: u64) -> f64 {
    (word >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(seed: u64) -> Plan {
        Plan {
            seed,
            dynamodb: Rates {
                http_500: 0.1,
                throttle: 0.1,
                transaction_conflict: 0.2,
                reset_after: 0.05,
                latency: 0.1,
                latency_ms: 200,
                ..Rates::default()
            },
            sqs: Rates {
                http_503: 0.3,
                ..Rates::default()
            },
            ..Plan::default()
        }
    }

    fn sequence(plan: &Plan, service: Service) -> Vec<Option<Kind>> {
        (0..2000)
            .map(|n| plan.draw(service, n, true).map(|f| f.kind))
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_schedule() {
        for service in Service::ALL {
            assert_eq!(
                sequence(&plan(7), service),
                sequence(&plan(7), service),
                "{service:?}"
            );
        }
        assert_ne!(
            sequence(&plan(7), Service::Dynamodb),
            sequence(&plan(8), Service::Dynamodb)
        );
        // One seed, but each service has its own schedule.
        let both = Plan {
            sqs: plan(7).dynamodb,
            ..plan(7)
        };
        let sqs: Vec<Option<Kind>> = (0..2000)
            .map(|n| both.draw(Service::Sqs, n, false).map(|f| f.kind))
            .collect();
        let dynamodb: Vec<Option<Kind>> = (0..2000)
            .map(|n| both.draw(Service::Dynamodb, n, false).map(|f| f.kind))
            .collect();
        assert_ne!(sqs, dynamodb);
    }

    #[test]
    fn kinds_come_at_their_rates() {
        let plan = plan(42);
        let draws = 100_000u64;
        let mut counts = [0u64; Kind::ALL.len()];
        for n in 0..draws {
            if let Some(fault) = plan.draw(Service::Dynamodb, n, true) {
                counts[fault.kind.index()] += 1;
            }
        }
        for kind in Kind::ALL {
            let observed = counts[kind.index()] as f64 / draws as f64;
            let expected = plan.dynamodb.rate(kind);
            assert!(
                (observed - expected).abs() < 0.01,
                "{kind:?}: {observed} for {expected}"
            );
        }
    }

    #[test]
    fn conflicts_only_hit_transactions_and_leave_the_rest_in_place() {
        let plan = plan(3);
        let mut conflicts = 0;
        for n in 0..5000 {
            let transaction = plan.draw(Service::Dynamodb, n, true);
            let other = plan.draw(Service::Dynamodb, n, false);
            match transaction.map(|f| f.kind) {
                Some(Kind::TransactionConflict) => {
                    conflicts += 1;
                    assert_eq!(other, None, "request {n}");
                }
                _ => assert_eq!(transaction, other, "request {n}"),
            }
            // S3 and SQS never get a transaction conflict.
            assert_ne!(
                plan.draw(Service::Sqs, n, true).map(|f| f.kind),
                Some(Kind::TransactionConflict)
            );
        }
        assert!(conflicts > 800, "{conflicts}");
    }

    #[test]
    fn latency_is_half_to_all_of_latency_ms() {
        let plan = plan(11);
        let delays: Vec<Duration> = (0..5000)
            .filter_map(|n| plan.draw(Service::Dynamodb, n, false))
            .filter(|f| f.kind == Kind::Latency)
            .map(|f| f.delay)
            .collect();
        assert!(delays.len() > 300);
        assert!(delays
            .iter()
            .all(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_millis(200)));
        assert!(delays.iter().any(|d| *d < Duration::from_millis(150)));
        assert!(delays.iter().any(|d| *d > Duration::from_millis(150)));
    }

    #[test]
    fn no_rates_no_faults_and_full_outage_always() {
        let quiet = Plan::default();
        assert!((0..1000).all(|n| quiet.draw(Service::S3, n, false).is_none()));
        let outage = Plan {
            dynamodb: Rates {
                http_500: 1.0,
                ..Rates::default()
            },
            ..Plan::default()
        };
        assert!((0..1000).all(|n| outage
            .draw(Service::Dynamodb, n, false)
            .is_some_and(|f| f.kind == Kind::Http500)));
    }

    #[test]
    fn bad_rates_are_refused() {
        let mut bad = plan(1);
        bad.s3.latency = 1.5;
        assert!(matches!(bad.validate(), Err(PlanError::BadRate { .. })));
        let mut over = plan(1);
        over.sqs.http_500 = 0.8;
        assert!(matches!(over.validate(), Err(PlanError::OverOne { .. })));
        assert_eq!(plan(1).validate(), Ok(()));
    }
}
