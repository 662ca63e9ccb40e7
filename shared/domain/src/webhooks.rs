//! `job.completed` webhooks, signed per the Standard Webhooks specification
//! v1: one event per job, decided with the job's terminal state, delivered
//! at least once with backoff, every attempt recorded, replayable.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

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

/// Why an address may not receive webhooks, if it may not: the service
/// must not be turned into a probe of its own network (SSRF).
pub fn forbidden_address(address: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    let address = match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                (!allow_loopback).then_some("loopback address")
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                Some("private address")
            } else if v4.is_link_local() {
                Some("link-local address (cloud metadata)")
            } else if v4.is_multicast() || v4.is_broadcast() {
                Some("multicast or broadcast address")
            } else if v4.is_unspecified() || a == 0 || a >= 240 || v4.is_documentation() {
                Some("reserved address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                (!allow_loopback).then_some("loopback address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("unique-local address")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local address")
            } else if v6.is_multicast() {
                Some("multicast address")
            } else if v6.is_unspecified() {
                Some("reserved address")
            } else {
                None
            }
        }
    }
}

/// The parts of a webhook URL that delivery needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookTarget {
    pub https: bool,
    /// Host name or IP literal, without brackets.
    pub host: String,
    pub port: u16,
}

/// Parses a webhook URL: `https`, or `http` only to loopback where the
/// local stack allows it; no credentials; a host; and, for IP literals,
/// an address that may receive webhooks.
pub fn parse_target(url: &str, allow_loopback: bool) -> Result<WebhookTarget, String> {
    const MAX_URL_CHARS: usize = 2048;
    if url.len() > MAX_URL_CHARS || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("is too long or contains white space".to_owned());
    }
    let (scheme, rest) = url.split_once("://").ok_or("must be an absolute URL")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err("must name a host and carry no credentials".to_owned());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("has an unclosed IPv6 literal")?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => false,
        _ => return Err("must use https".to_owned()),
    };
    let port = match port {
        Some(port) => port
            .parse::<u16>()
            .map_err(|_| "has an invalid port".to_owned())?,
        None if https => 443,
        None => 80,
    };
    if host.is_empty() {
        return Err("must name a host".to_owned());
    }
    let host = host.to_ascii_lowercase();
    let literal: Option<IpAddr> = host.parse().ok();
    let loopback_name = host == "localhost" || literal.is_some_and(|ip| ip.is_loopback());
    let plain_http_allowed = allow_loopback && loopback_name;
    if !(https || plain_http_allowed) {
        return Err("must use https".to_owned());
    }
    if let Some(reason) = literal.and_then(|ip| forbidden_address(ip, allow_loopback)) {
        return Err(format!("points to a {reason}"));
    }
    if host == "localhost" && !allow_loopback {
        return Err("points to a loopback address".to_owned());
    }
    Ok(WebhookTarget { https, host, port })
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

    #[test]
    fn internal_addresses_are_refused() {
        for (address, refused) in [
            ("127.0.0.1", true),
            ("10.0.0.1", true),
            ("172.16.5.4", true),
            ("192.168.1.1", true),
            ("100.64.0.1", true),
            ("169.254.169.254", true),
            ("224.0.0.1", true),
            ("0.0.0.0", true),
            ("::1", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("ff02::1", true),
            ("::ffff:10.0.0.1", true),
            ("93.184.216.34", false),
            ("2606:4700::6810:84e5", false),
        ] {
            let ip: IpAddr = address.parse().expect("ip");
            assert_eq!(forbidden_address(ip, false).is_some(), refused, "{address}");
        }
        assert_eq!(
            forbidden_address("127.0.0.1".parse().expect("ip"), true),
            None
        );
        assert!(forbidden_address("10.0.0.1".parse().expect("ip"), true).is_some());
    }

    #[test]
    fn webhook_urls_are_checked_when_given() {
        let target = parse_target("https://hooks.example.com/in?x=1", false).expect("valid");
        assert_eq!(
            (target.host.as_str(), target.port, target.https),
            ("hooks.example.com", 443, true)
        );
        assert_eq!(
            parse_target("https://[2606:4700::1]:8443/", false)
                .expect("v6")
                .port,
            8443
        );
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https:///path",
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "http://127.0.0.1:8080/",
            "https://localhost/",
            "not a url",
            "https://example.com:99999/",
        ] {
            assert!(parse_target(bad, false).is_err(), "{bad}");
        }
        assert!(parse_target("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(
            parse_target("http://example.com/", true).is_err(),
            "http only to loopback"
        );
    }

    #[test]
    fn the_schedule_ends_and_jitters_within_ten_percent() {
        let schedule = default_schedule();
        assert_eq!(schedule.len(), 8);
        let delay = next_delay(&schedule, 2).expect("third attempt");
        assert!((270..=330).contains(&delay.as_secs()), "{delay:?}");
        assert_eq!(next_delay(&schedule, 8), None);
    }
}
