//! Sends webhooks over HTTPS, refusing what could reach the service's own
//! network: the host is resolved here, every address is checked, and the
//! connection is pinned to a checked address so that DNS cannot change
//! between the check and the connect. No redirects are followed and only a
//! little of the answer is read.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use intake_domain::ports::{SendOutcome, WebhookRequest, WebhookSender};
use intake_domain::webhooks::{forbidden_address, parse_target};

const TIMEOUT: Duration = Duration::from_secs(10);
/// Receivers' answers are not used; this much is read before hanging up.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, Default)]
pub struct HttpWebhookSender {
    allow_loopback: bool,
    /// Fixed answers for host names, like `/etc/hosts`; for tests.
    hosts: HashMap<String, Vec<IpAddr>>,
}

impl HttpWebhookSender {
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            allow_loopback,
            hosts: HashMap::new(),
        }
    }

    /// Resolves `host` to `addresses` instead of asking DNS.
    pub fn with_host(mut self, host: &str, addresses: Vec<IpAddr>) -> Self {
        self.hosts.insert(host.to_ascii_lowercase(), addresses);
        self
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        if let Some(addresses) = self.hosts.get(host) {
            return Ok(addresses
                .iter()
                .map(|ip| SocketAddr::new(*ip, port))
                .collect());
        }
        tokio::net::lookup_host((host, port))
            .await
            .map(Iterator::collect)
            .map_err(|error| format!("cannot resolve {host}: {error}"))
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    parse_retry_after(
        response
            .headers()
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?,
    )
}

/// `Retry-After` as seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, request: &WebhookRequest) -> SendOutcome {
        let target = match parse_target(&request.url, self.allow_loopback) {
            Ok(target) => target,
            Err(why) => return SendOutcome::Refused(format!("the URL {why}")),
        };
        let addresses = match self.resolve(&target.host, target.port).await {
            Ok(addresses) if !addresses.is_empty() => addresses,
            Ok(_) => return SendOutcome::Unreachable(format!("{} has no address", target.host)),
            Err(error) => return SendOutcome::Unreachable(error),
        };
        // Every address must be allowed: any one of them could be used.
        if let Some((address, reason)) = addresses.iter().find_map(|address| {
            forbidden_address(address.ip(), self.allow_loopback).map(|reason| (address, reason))
        }) {
            return SendOutcome::Refused(format!(
                "{} resolves to {} ({reason})",
                target.host,
                address.ip()
            ));
        }
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .resolve_to_addrs(&target.host, &addresses)
            .no_proxy()
            .build()
        {
            Ok(client) => client,
            Err(error) => return SendOutcome::Unreachable(format!("HTTP client: {error}")),
        };
        let mut builder = client.post(&request.url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                return SendOutcome::Unreachable(format!(
                    "no answer within {} s",
                    TIMEOUT.as_secs()
                ))
            }
            Err(error) => return SendOutcome::Unreachable(format!("request failed: {error}")),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(&response);
        let mut read = 0;
        while read < MAX_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        SendOutcome::Answered {
            status,
            retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> WebhookRequest {
        WebhookRequest {
            url: url.to_owned(),
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        let wait = parse_retry_after(&later).expect("date");
        assert!((290..=300).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            parse_retry_after("Mon, 01 Jan 2001 00:00:00 +0000"),
            None,
            "in the past"
        );
    }

    #[tokio::test]
    async fn internal_targets_are_refused_before_any_connection() {
        let sender = HttpWebhookSender::new(false)
            .with_host("internal.example", vec!["10.0.0.5".parse().expect("ip")])
            .with_host(
                "mixed.example",
                vec![
                    "93.184.216.34".parse().expect("ip"),
                    "127.0.0.1".parse().expect("ip"),
                ],
            );
        for url in [
            "http://127.0.0.1:9/hook",
            "https://127.0.0.1/hook",
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/hook",
            "https://internal.example/hook",
            "https://mixed.example/hook",
        ] {
            let outcome = sender.send(&request(url)).await;
            assert!(
                matches!(outcome, SendOutcome::Refused(_)),
                "{url}: {outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn loopback_is_allowed_only_when_the_local_stack_says_so() {
        let sender = HttpWebhookSender::new(true);
        // Port 9 (discard) is closed here: allowed, then unreachable.
        let outcome = sender.send(&request("http://127.0.0.1:9/hook")).await;
        assert!(
            matches!(outcome, SendOutcome::Unreachable(_)),
            "{outcome:?}"
        );
        let outcome = sender.send(&request("https://10.0.0.1/hook")).await;
        assert!(matches!(outcome, SendOutcome::Refused(_)), "{outcome:?}");
    }
}
