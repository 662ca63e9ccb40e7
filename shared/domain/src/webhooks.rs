//! `job.completed` webhooks, signed per the Standard Webhooks specification
//! v1: one event per job, decided with the job's terminal state, delivered
//! at least once with backoff, every attempt recorded, replayable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use url::{Host, Url};

use crate::ids::{EventId, JobId};

/// Where an event is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// The receiver refused it for good (4xx other than 408/429, a
    /// redirect, a refused address, or 410 Gone).
    Failed,
    /// Every scheduled attempt failed; kept for replay.
    Exhausted,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Pending => "pending",
            EventState::Delivered => "delivered",
            EventState::Failed => "failed",
            EventState::Exhausted => "exhausted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            EventState::Pending,
            EventState::Delivered,
            EventState::Failed,
            EventState::Exhausted,
        ]
        .into_iter()
        .find(|state| state.as_str() == raw)
    }
}

/// The one `job.completed` event of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: EventId,
    pub tenant: String,
    pub job_id: JobId,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub state: EventState,
    /// Attempts in the current round (a replay starts a new round); picks
    /// the next delay from the schedule.
    pub round_attempts: u32,
    /// Attempts over the event's life.
    pub total_attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Whether the first delivery message was sent to the webhook queue.
    pub enqueued: bool,
}

/// One recorded attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub attempt: u32,
    #[serde(serialize_with = "crate::views::serialize_time")]
    pub at: DateTime<Utc>,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::views::serialize_optional_time"
    )]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The message of the webhook queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookMessage {
    pub v: u8,
    pub tenant: String,
    pub job_id: JobId,
    pub event_id: EventId,
}

impl WebhookMessage {
    pub const VERSION: u8 = 1;
}

/// The lease on one attempt of an event, as the domain decides it; the
/// store grants it with one conditional write only while every condition
/// still holds, so that of several workers (or message chains) that read
/// the same event, exactly one makes attempt `attempts_before + 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptLease {
    /// The event's attempts the worker read (`total_attempts`): the lease
    /// is refused once another worker recorded an attempt since.
    pub attempts_before: u32,
    /// The attempt must be due by then (`next_attempt_at <= due_by`).
    pub due_by: DateTime<Utc>,
    /// A lease of another worker that ends after `now` is respected.
    pub now: DateTime<Utc>,
    /// The end of this lease.
    pub until: DateTime<Utc>,
}

impl AttemptLease {
    /// The number of the attempt the lease is for (from 1).
    pub fn attempt(&self) -> u32 {
        self.attempts_before + 1
    }
}

/// What a worker does with a webhook message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptDecision {
    /// Nothing: the message is for another event of the job, or the event
    /// is no longer pending (delivered, failed or exhausted).
    Drop,
    /// The attempt is not due yet: send the message back for this long
    /// (SQS delays a message at most 15 minutes).
    NotDue(Duration),
    /// Take this lease, then make the attempt.
    Lease(AttemptLease),
}

/// Decides what a webhook message leads to, from the event as read at
/// `now`. An attempt due within `slack` is made now (clock skew between
/// workers); the lease lasts `lease`.
pub fn decide_attempt(
    event: &WebhookEvent,
    message: &WebhookMessage,
    now: DateTime<Utc>,
    lease: Duration,
    slack: Duration,
) -> AttemptDecision {
    if event.id != message.event_id || event.state != EventState::Pending {
        return AttemptDecision::Drop;
    }
    let slack = chrono::Duration::from_std(slack).unwrap_or_default();
    // An event without a due time is due: it was never scheduled later.
    let due = event.next_attempt_at.unwrap_or(now);
    if due > now + slack {
        return AttemptDecision::NotDue((due - now).to_std().unwrap_or_default());
    }
    AttemptDecision::Lease(AttemptLease {
        attempts_before: event.total_attempts,
        due_by: now + slack,
        now,
        until: now + chrono::Duration::from_std(lease).unwrap_or_default(),
    })
}

/// The default schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h and 10 h after each failure.
pub fn default_schedule() -> Vec<Duration> {
    [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
        .into_iter()
        .map(Duration::from_secs)
        .collect()
}

/// The wait before attempt `next` (0-based) of `schedule`, with ±10 %
/// jitter so that receivers coming back up are not hit all at once; `None`
/// when the schedule is used up.
pub fn next_delay(schedule: &[Duration], next: u32) -> Option<Duration> {
    let base = *schedule.get(next as usize)?;
    let jitter = rand::rng().random_range(0.9..=1.1);
    Some(base.mul_f64(jitter))
}

#[derive(Debug, thiserror::Error)]
#[error("webhook secret is not `whsec_` followed by base64")]
pub struct BadSecret;

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for one secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|raw| base64::engine::general_purpose::STANDARD.decode(raw).ok())
        .ok_or(BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per active secret,
/// space-separated, so receivers keep verifying during a rotation.
pub fn signature_header(
    secrets: &[String],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, BadSecret> {
    let signatures = secrets
        .iter()
        .map(|secret| signature(secret, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// The one answer to a URL or an address that may not receive webhooks,
/// whatever the address: naming it (or its range) would tell a prober what
/// the service's own network holds. Logs carry the detail.
pub const REFUSED_ADDRESS: &str = "must not point to a private, loopback or reserved address";

const NOT_ABSOLUTE: &str = "must be an absolute http(s) URL with a host";

/// The webhook URLs the API takes (openapi.yaml's `WebhookUrl` pattern,
/// character for character): `https://`, a lower-case host name with a dot
/// and a last label that starts with a letter (so never an IP literal), an
/// optional port, path and query of URL characters. No nested repetition:
/// test generators draw from it in milliseconds (with a repeated label
/// group, schemathesis's coverage phase spent 55 s on one operation).
/// Loopback names, which it also matches, are refused by [`parse_target`].
pub const WEBHOOK_URL_PATTERN: &str = r"^https://[a-z0-9][a-z0-9.-]*\.[a-z][a-z0-9-]*(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$";

/// The refusal of a URL [`parse_target`] takes that the pattern does not.
pub const NOT_WEBHOOK_URL_SHAPE: &str = "must be https:// and a lower-case host name (no IP address), with an optional port, path and query";

static WEBHOOK_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(WEBHOOK_URL_PATTERN).expect("WEBHOOK_URL_PATTERN is a regex"));

/// A range of addresses, as a network and a prefix length.
struct Range {
    network: IpAddr,
    prefix: u8,
    /// For logs only; refusals never name the range.
    name: &'static str,
}

impl Range {
    const fn v4(octets: [u8; 4], prefix: u8, name: &'static str) -> Self {
        let [a, b, c, d] = octets;
        Self {
            network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            prefix,
            name,
        }
    }

    const fn v6(segments: [u16; 8], prefix: u8, name: &'static str) -> Self {
        let [a, b, c, d, e, f, g, h] = segments;
        Self {
            network: IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)),
            prefix,
            name,
        }
    }

    fn contains(&self, address: IpAddr) -> bool {
        // The bits after the prefix are shifted out; what is left must match.
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                (u32::from(network) ^ u32::from(address))
                    .checked_shr(32 - u32::from(self.prefix))
                    .unwrap_or(0)
                    == 0
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                (u128::from(network) ^ u128::from(address))
                    .checked_shr(128 - u32::from(self.prefix))
                    .unwrap_or(0)
                    == 0
            }
            _ => false,
        }
    }
}

/// Every range that may not receive webhooks: the IANA special-purpose
/// registries (RFC 6890 and successors), multicast and reserved space. A
/// webhook there would let a tenant probe the service's own network, the
/// cloud metadata endpoint, or reach them through a translator (NAT64,
/// 6to4, Teredo). IPv4-mapped IPv6 addresses (`::ffff:0:0/96`) are judged
/// by their IPv4 address before this table is read.
const REFUSED: [Range; 28] = [
    Range::v4([0, 0, 0, 0], 8, "this network"),
    Range::v4([10, 0, 0, 0], 8, "private"),
    Range::v4(
        [100, 64, 0, 0],
        10,
        "shared address space (carrier-grade NAT)",
    ),
    Range::v4([127, 0, 0, 0], 8, "loopback"),
    Range::v4([169, 254, 0, 0], 16, "link-local (cloud metadata)"),
    Range::v4([172, 16, 0, 0], 12, "private"),
    Range::v4([192, 0, 0, 0], 24, "IETF protocol assignments"),
    Range::v4([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
    Range::v4([192, 88, 99, 0], 24, "6to4 relay anycast"),
    Range::v4([192, 168, 0, 0], 16, "private"),
    Range::v4([198, 18, 0, 0], 15, "benchmarking"),
    Range::v4([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
    Range::v4([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
    Range::v4([224, 0, 0, 0], 4, "multicast"),
    Range::v4([240, 0, 0, 0], 4, "reserved, limited broadcast"),
    Range::v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"),
    Range::v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
    Range::v6([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible (deprecated)"),
    Range::v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "NAT64"),
    Range::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "local-use NAT64"),
    Range::v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only"),
    Range::v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments, Teredo",
    ),
    Range::v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    Range::v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
    Range::v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local"),
    Range::v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
    Range::v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)"),
    Range::v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
];

/// All global unicast IPv6 is allocated from `2000::/3`; an IPv6 address
/// outside it that the table does not name (unassigned space, the
/// IPv4-translated `::ffff:0:0:0/96`) is not a public receiver either.
const GLOBAL_UNICAST_V6: Range = Range::v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3, "");

/// The name of the range that keeps `address` from receiving webhooks, if
/// one does; for logs.
pub fn refused_range(address: IpAddr) -> Option<&'static str> {
    // `::ffff:10.0.0.1` reaches 10.0.0.1: judge the IPv4 address.
    let address = address.to_canonical();
    if let Some(range) = REFUSED.iter().find(|range| range.contains(address)) {
        return Some(range.name);
    }
    (address.is_ipv6() && !GLOBAL_UNICAST_V6.contains(address)).then_some("not global unicast")
}

/// Whether `address` is an ordinary public address: the one test that both
/// the URL check (IP literals) and the resolver (every DNS answer) apply.
pub fn is_public(address: IpAddr) -> bool {
    refused_range(address).is_none()
}

/// Whether `address` may receive webhooks: public, or loopback when the
/// local stack's receivers run on the same machine (`allow_loopback`).
pub fn may_receive(address: IpAddr, allow_loopback: bool) -> bool {
    is_public(address) || (allow_loopback && address.to_canonical().is_loopback())
}

/// `localhost` and its subdomains, which resolvers answer with loopback
/// addresses (RFC 6761).
fn is_loopback_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name == "localhost" || name.ends_with(".localhost")
}

/// A webhook URL that passed [`parse_target`]. The sender connects to this
/// very value, so the check and the connection cannot read the URL
/// differently (the `url` crate is the one reqwest uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookTarget {
    url: Url,
    loopback: bool,
}

impl WebhookTarget {
    pub fn into_url(self) -> Url {
        self.url
    }
}

/// A webhook URL as a client gives it (`webhook_url`): [`parse_target`]'s
/// rules, and the shape of [`WEBHOOK_URL_PATTERN`] unless it is a loopback
/// URL the local stack allows, so that the API takes exactly the URLs
/// openapi.yaml describes.
pub fn check_given_url(raw: &str, allow_loopback: bool) -> Result<WebhookTarget, String> {
    let target = parse_target(raw, allow_loopback)?;
    if target.loopback || WEBHOOK_URL.is_match(raw) {
        Ok(target)
    } else {
        Err(NOT_WEBHOOK_URL_SHAPE.to_owned())
    }
}

/// Parses a webhook URL: `https`, or `http` only to loopback where the
/// local stack allows it; no credentials; a host; and, for IP literals
/// (in whatever form `url` reads as one, e.g. `2130706433` or `0x7f.1`),
/// an address that may receive webhooks. Host names are checked again,
/// address by address, when they are resolved for each delivery.
pub fn parse_target(raw: &str, allow_loopback: bool) -> Result<WebhookTarget, String> {
    const MAX_URL_CHARS: usize = 2048;
    if raw.len() > MAX_URL_CHARS || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("is too long or contains white space".to_owned());
    }
    // `url` forgives `https:host` and `https:///host`; the URL must be
    // written the way it is read.
    let written_with_authority = raw.split_once(':').is_some_and(|(_, rest)| {
        rest.strip_prefix("//")
            .is_some_and(|authority| !authority.starts_with(['/', '\\']))
    });
    let url = Url::parse(raw)
        .ok()
        .filter(|_| written_with_authority)
        .ok_or(NOT_ABSOLUTE)?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err("must use https".to_owned()),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    let literal = match url.host() {
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        None => return Err(NOT_ABSOLUTE.to_owned()),
    };
    let loopback = match literal {
        Some(address) if !may_receive(address, allow_loopback) => {
            return Err(REFUSED_ADDRESS.to_owned())
        }
        Some(address) => address.to_canonical().is_loopback(),
        None => url.host_str().is_some_and(is_loopback_name),
    };
    if loopback && !allow_loopback {
        return Err(REFUSED_ADDRESS.to_owned());
    }
    if !(https || loopback) {
        return Err("must use https".to_owned());
    }
    Ok(WebhookTarget { url, loopback })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let header =
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).expect("sign");
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn two_secrets_give_two_signatures() {
        let secrets = vec!["whsec_AAAA".to_owned(), "whsec_BBBB".to_owned()];
        let header = signature_header(&secrets, "evt_1", 1, b"{}").expect("sign");
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|part| part.starts_with("v1,")));
        assert!(signature("nope", "evt_1", 1, b"{}").is_err());
    }

    fn ip(address: &str) -> IpAddr {
        address.parse().expect("ip")
    }

    #[test]
    fn every_refused_range_is_refused_from_its_first_to_its_last_address() {
        // Arrange: the first and last address of each range of the table.
        let cases = [
            ("0.0.0.0", "0.255.255.255"),
            ("10.0.0.0", "10.255.255.255"),
            ("100.64.0.0", "100.127.255.255"),
            ("127.0.0.0", "127.255.255.255"),
            ("169.254.0.0", "169.254.255.255"),
            ("172.16.0.0", "172.31.255.255"),
            ("192.0.0.0", "192.0.0.255"),
            ("192.0.2.0", "192.0.2.255"),
            ("192.88.99.0", "192.88.99.255"),
            ("192.168.0.0", "192.168.255.255"),
            ("198.18.0.0", "198.19.255.255"),
            ("198.51.100.0", "198.51.100.255"),
            ("203.0.113.0", "203.0.113.255"),
            ("224.0.0.0", "239.255.255.255"),
            ("240.0.0.0", "255.255.255.255"),
            ("::", "::"),
            ("::1", "::1"),
            ("::0.0.0.2", "::255.255.255.255"),
            ("::ffff:0.0.0.0", "::ffff:0.255.255.255"),
            ("64:ff9b::", "64:ff9b::ffff:ffff"),
            ("64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"),
            ("100::", "100::ffff:ffff:ffff:ffff"),
            ("2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("2002::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ];

        for (first, last) in cases {
            // Act
            let verdicts = (is_public(ip(first)), is_public(ip(last)));

            // Assert
            assert_eq!(verdicts, (false, false), "{first} .. {last}");
        }
    }

    #[test]
    fn addresses_next_to_the_refused_ranges_are_public() {
        // Arrange: just outside a range's edges, so a prefix one bit too
        // short would be caught.
        let neighbours = [
            "1.0.0.0",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "191.255.255.255",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "93.184.216.34",
            "::ffff:93.184.216.34",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "2003::1",
            "2606:4700::6810:84e5",
            "3fff:ffff::1",
        ];

        for address in neighbours {
            // Act
            let public = is_public(ip(address));

            // Assert
            assert!(public, "{address}");
        }
    }

    #[test]
    fn ipv6_outside_global_unicast_is_refused() {
        // Arrange: not in the table, but not in 2000::/3 either.
        for address in ["::ffff:0:a00:1", "1::1", "4000::1", "64:ff9b:0:1::1"] {
            // Act
            let range = refused_range(ip(address));

            // Assert
            assert_eq!(range, Some("not global unicast"), "{address}");
        }
    }

    #[test]
    fn mapped_ipv6_is_judged_by_its_ipv4_address() {
        for (address, public) in [
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:198.18.0.1", false),
            ("::ffff:93.184.216.34", true),
        ] {
            // Act
            let verdict = is_public(ip(address));

            // Assert
            assert_eq!(verdict, public, "{address}");
        }
    }

    #[test]
    fn loopback_may_receive_only_when_the_local_stack_allows_it() {
        for (address, allow_loopback, allowed) in [
            ("127.0.0.1", false, false),
            ("::1", false, false),
            ("127.0.0.1", true, true),
            ("127.8.9.10", true, true),
            ("::1", true, true),
            ("::ffff:127.0.0.1", true, true),
            ("10.0.0.1", true, false),
            ("169.254.169.254", true, false),
            ("93.184.216.34", false, true),
        ] {
            // Act
            let verdict = may_receive(ip(address), allow_loopback);

            // Assert
            assert_eq!(verdict, allowed, "{address} with loopback {allow_loopback}");
        }
    }

    #[test]
    fn a_checked_url_keeps_its_parsed_form_for_the_connection() {
        // Act
        let url = parse_target("https://Hooks.Example.com:443/a/../in?x=1", false)
            .expect("valid")
            .into_url();
        let v6 = parse_target("https://[2606:4700::1]:8443/", false)
            .expect("v6")
            .into_url();

        // Assert
        assert_eq!(url.as_str(), "https://hooks.example.com/in?x=1");
        assert_eq!(
            (v6.host(), v6.port()),
            (
                Some(Host::Ipv6("2606:4700::1".parse().expect("ip"))),
                Some(8443)
            )
        );
    }

    #[test]
    fn internal_ip_literals_are_refused_whatever_their_form() {
        // Arrange: `url` reads all of these as IP literals.
        let urls = [
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://0x0a.0.0.1/",
            "https://3232235777/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[2002:a00:1::1]/",
            "https://[2001:0:a00:1::1]/",
            "https://198.18.0.1/",
            "https://192.0.0.170/",
            "http://127.0.0.1:8080/",
            "https://localhost/",
            "https://api.localhost./",
        ];

        for url in urls {
            // Act
            let refusal = parse_target(url, false);

            // Assert: one fixed reason, naming no address.
            assert_eq!(refusal, Err(REFUSED_ADDRESS.to_owned()), "{url}");
        }
    }

    #[test]
    fn odd_ipv4_forms_are_read_as_the_address_they_mean() {
        // Act: allowed on the local stack, so the normalised form shows.
        let url = parse_target("http://0x7f.1:8080/hook", true)
            .expect("loopback on the local stack")
            .into_url();

        // Assert
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/hook");
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        for url in [
            "https://user:pw@hooks.example.com/",
            "https://user@hooks.example.com/",
            "https://:pw@hooks.example.com/",
        ] {
            // Act
            let refusal = parse_target(url, false);

            // Assert
            assert_eq!(
                refusal,
                Err("must not carry credentials".to_owned()),
                "{url}"
            );
        }
    }

    #[test]
    fn only_https_urls_with_a_host_are_accepted() {
        for (url, reason) in [
            ("http://hooks.example.com/", "must use https"),
            ("ftp://hooks.example.com/", "must use https"),
            ("gopher://hooks.example.com/", "must use https"),
            ("file:///etc/passwd", NOT_ABSOLUTE),
            ("javascript:alert(1)", NOT_ABSOLUTE),
            ("https:///path", NOT_ABSOLUTE),
            ("https:hooks.example.com/", NOT_ABSOLUTE),
            ("https:\\\\hooks.example.com/", NOT_ABSOLUTE),
            ("not a url", "is too long or contains white space"),
            ("/relative/hook", NOT_ABSOLUTE),
            ("https://example.com:99999/", NOT_ABSOLUTE),
        ] {
            // Act
            let refusal = parse_target(url, false);

            // Assert
            assert_eq!(refusal, Err(reason.to_owned()), "{url}");
        }
    }

    #[test]
    fn given_urls_take_the_shape_openapi_yaml_describes() {
        for url in [
            "https://hooks.example.com/intake",
            "https://a.b",
            "https://my-host.example.co.uk:8443/a/b-c_d~e.f?x=1&y=%2F",
            "https://123.example.com:0/",
            "https://example.com:65535",
            "https://a..b.example-/%zz",
            "https://a--b.-c.d",
        ] {
            // Act
            let accepted = check_given_url(url, false);

            // Assert
            assert!(accepted.is_ok(), "{url}: {accepted:?}");
        }
        for url in [
            "https://8.8.8.8/hook",
            "https://[2606:4700::1]/hook",
            "https://Hooks.Example.com/",
            "https://b\u{fc}cher.example/",
            "https://example/",
            "https://example.com./",
            "https://-a.example.com/",
            "https://example.com/#fragment",
            "https://example.com/a\\b",
            "https://example.com:65536/",
            "HTTPS://example.com/",
        ] {
            // Act
            let refusal = check_given_url(url, false);

            // Assert: parse_target's reasons come first, then the shape.
            assert!(refusal.is_err(), "{url}");
        }
        assert_eq!(
            check_given_url("https://8.8.8.8/hook", false),
            Err(NOT_WEBHOOK_URL_SHAPE.to_owned())
        );
    }

    #[test]
    fn loopback_names_are_refused_as_openapi_yaml_says_and_allowed_locally() {
        // Act
        let refused = check_given_url("https://api.localhost/hook", false);
        let named = check_given_url("https://localhost.example.com/hook", false);
        let local = check_given_url("http://127.0.0.1:8080/hook", true);

        // Assert
        assert_eq!(refused, Err(REFUSED_ADDRESS.to_owned()));
        assert!(named.is_ok(), "{named:?}");
        assert!(local.is_ok(), "{local:?}");
    }

    #[test]
    fn the_url_shape_is_the_pattern_of_openapi_yaml() {
        // Arrange: the document clients and their generators read.
        let document = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml"));
        // YAML double quotes: a backslash is written twice.
        let line = format!("pattern: \"{}\"", WEBHOOK_URL_PATTERN.replace('\\', "\\\\"));
        let localhost = r#"pattern: "^https://[^/?:]*\\.localhost([:/?]|$)""#;

        // Assert
        assert!(document.contains(&line), "openapi.yaml lacks {line}");
        assert!(
            document.contains(localhost),
            "openapi.yaml lacks {localhost}"
        );
    }

    #[test]
    fn plain_http_is_allowed_only_to_loopback_on_the_local_stack() {
        // Act
        let loopback = parse_target("http://127.0.0.1:8080/hook", true);
        let named = parse_target("http://localhost:8080/hook", true);
        let elsewhere = parse_target("http://example.com/", true);

        // Assert
        assert!(loopback.is_ok(), "{loopback:?}");
        assert!(named.is_ok(), "{named:?}");
        assert_eq!(elsewhere, Err("must use https".to_owned()));
    }

    #[test]
    fn the_schedule_ends_and_jitters_within_ten_percent() {
        let schedule = default_schedule();
        assert_eq!(schedule.len(), 8);
        let delay = next_delay(&schedule, 2).expect("third attempt");
        assert!((270..=330).contains(&delay.as_secs()), "{delay:?}");
        assert_eq!(next_delay(&schedule, 8), None);
    }

    fn pending_event(total_attempts: u32, next_attempt_at: Option<DateTime<Utc>>) -> WebhookEvent {
        WebhookEvent {
            id: EventId::generate(),
            tenant: "acme".into(),
            job_id: JobId::generate(),
            url: "https://hooks.example.com/in".into(),
            created_at: Utc::now(),
            state: EventState::Pending,
            round_attempts: total_attempts,
            total_attempts,
            next_attempt_at,
            enqueued: true,
        }
    }

    fn message_for(event: &WebhookEvent) -> WebhookMessage {
        WebhookMessage {
            v: WebhookMessage::VERSION,
            tenant: event.tenant.clone(),
            job_id: event.job_id.clone(),
            event_id: event.id.clone(),
        }
    }

    const LEASE: Duration = Duration::from_secs(60);
    const SLACK: Duration = Duration::from_millis(100);

    #[test]
    fn a_due_attempt_is_leased_for_the_attempt_number_read() {
        // Arrange: attempt 3 was due a second ago.
        let now = Utc::now();
        let event = pending_event(2, Some(now - chrono::Duration::seconds(1)));

        // Act
        let decision = decide_attempt(&event, &message_for(&event), now, LEASE, SLACK);

        // Assert
        let AttemptDecision::Lease(lease) = decision else {
            panic!("a lease, not {decision:?}");
        };
        assert_eq!(lease.attempts_before, 2, "conditional on the attempts read");
        assert_eq!(lease.attempt(), 3);
        assert_eq!(lease.now, now);
        assert_eq!(lease.due_by, now + chrono::Duration::milliseconds(100));
        assert_eq!(lease.until, now + chrono::Duration::seconds(60));
    }

    #[test]
    fn an_attempt_due_within_the_slack_is_leased_and_one_due_later_waits() {
        let now = Utc::now();
        let almost = pending_event(1, Some(now + chrono::Duration::milliseconds(50)));
        let later = pending_event(1, Some(now + chrono::Duration::seconds(30)));

        let almost = decide_attempt(&almost, &message_for(&almost), now, LEASE, SLACK);
        let later = decide_attempt(&later, &message_for(&later), now, LEASE, SLACK);

        assert!(matches!(almost, AttemptDecision::Lease(_)), "{almost:?}");
        assert_eq!(later, AttemptDecision::NotDue(Duration::from_secs(30)));
    }

    #[test]
    fn an_event_without_a_due_time_is_due() {
        let now = Utc::now();
        let event = pending_event(0, None);

        let decision = decide_attempt(&event, &message_for(&event), now, LEASE, SLACK);

        assert!(
            matches!(&decision, AttemptDecision::Lease(lease) if lease.attempts_before == 0),
            "{decision:?}"
        );
    }

    #[test]
    fn messages_of_finished_events_or_of_another_event_are_dropped() {
        let now = Utc::now();
        let event = pending_event(1, Some(now));
        let mut stale = message_for(&event);
        stale.event_id = EventId::generate();
        assert_eq!(
            decide_attempt(&event, &stale, now, LEASE, SLACK),
            AttemptDecision::Drop
        );
        for state in [
            EventState::Delivered,
            EventState::Failed,
            EventState::Exhausted,
        ] {
            let finished = WebhookEvent {
                state,
                ..event.clone()
            };
            assert_eq!(
                decide_attempt(&finished, &message_for(&finished), now, LEASE, SLACK),
                AttemptDecision::Drop,
                "{state:?}"
            );
        }
    }
}
