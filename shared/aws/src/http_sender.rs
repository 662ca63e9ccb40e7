//! Sends webhooks over HTTPS, refusing what could reach the service's own
//! network. The URL is parsed once, checked, and that very `Url` is what
//! reqwest connects to; every DNS answer goes through [`CheckedResolver`],
//! which drops the addresses that may not receive webhooks, so a host name
//! cannot lead the connection inside. No redirects are followed, no proxy
//! from the environment is used (it would resolve the name itself), and
//! only a little of the answer is read.

use std::collections::HashMap;
use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use intake_domain::ports::{SendOutcome, WebhookRequest, WebhookSender};
use intake_domain::webhooks::{may_receive, parse_target, refused_range, REFUSED_ADDRESS};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

const TIMEOUT: Duration = Duration::from_secs(10);
/// Receivers' answers are not used; this much is read before hanging up.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, Default)]
pub struct HttpWebhookSender {
    resolver: Arc<CheckedResolver>,
}

impl HttpWebhookSender {
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            resolver: Arc::new(CheckedResolver {
                allow_loopback,
                hosts: HashMap::new(),
            }),
        }
    }

    /// Resolves `host` to `addresses` instead of asking DNS; the answer is
    /// filtered like any other.
    pub fn with_host(mut self, host: &str, addresses: Vec<IpAddr>) -> Self {
        Arc::make_mut(&mut self.resolver)
            .hosts
            .insert(host.to_ascii_lowercase(), addresses);
        self
    }
}

/// The resolver of every webhook connection: it keeps only the answers
/// that may receive webhooks, and fails when none is left, so the check
/// holds for the address actually connected to (not one looked up earlier,
/// which DNS could change in between). IP literals never reach a resolver;
/// `parse_target` checks them.
#[derive(Clone, Debug, Default)]
struct CheckedResolver {
    allow_loopback: bool,
    /// Fixed answers for host names, like `/etc/hosts`; for tests.
    hosts: HashMap<String, Vec<IpAddr>>,
}

/// Every address of the host was dropped. The text names no address; the
/// log does.
#[derive(Debug, thiserror::Error)]
#[error("the host resolves only to addresses that may not receive webhooks")]
struct AddressRefused;

/// The addresses of `answers` that may receive webhooks; an error when
/// none may.
fn keep_allowed(
    host: &str,
    answers: Vec<IpAddr>,
    allow_loopback: bool,
) -> Result<Vec<IpAddr>, AddressRefused> {
    let (kept, dropped): (Vec<IpAddr>, Vec<IpAddr>) = answers
        .into_iter()
        .partition(|address| may_receive(*address, allow_loopback));
    for address in &dropped {
        tracing::warn!(
            host,
            %address,
            range = refused_range(*address).unwrap_or_default(),
            "dropped a webhook host's address"
        );
    }
    if kept.is_empty() {
        return Err(AddressRefused);
    }
    Ok(kept)
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let fixed = self.hosts.get(name.as_str()).cloned();
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str();
            let answers = match fixed {
                Some(addresses) => addresses,
                // Port 0: reqwest puts in the URL's port.
                None => tokio::net::lookup_host((host, 0))
                    .await?
                    .map(|address| address.ip())
                    .collect(),
            };
            let kept = keep_allowed(host, answers, allow_loopback)?;
            let addresses: Addrs =
                Box::new(kept.into_iter().map(|address| SocketAddr::new(address, 0)));
            Ok(addresses)
        })
    }
}

/// Whether the request failed because [`CheckedResolver`] left no address.
fn refused_by_resolver(error: &reqwest::Error) -> bool {
    let mut cause = error.source();
    while let Some(error) = cause {
        if error.is::<AddressRefused>() {
            return true;
        }
        cause = error.source();
    }
    false
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
        let url = match parse_target(&request.url, self.resolver.allow_loopback) {
            Ok(target) => target.into_url(),
            Err(why) => return SendOutcome::Refused(format!("the URL {why}")),
        };
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .dns_resolver(Arc::clone(&self.resolver))
            .no_proxy()
            .build()
        {
            Ok(client) => client,
            Err(error) => return SendOutcome::Unreachable(format!("HTTP client: {error}")),
        };
        let mut builder = client.post(url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(error) if refused_by_resolver(&error) => {
                return SendOutcome::Refused(format!("the URL {REFUSED_ADDRESS}"))
            }
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
        // Arrange
        let sender = HttpWebhookSender::new(false)
            .with_host("internal.example", vec!["10.0.0.5".parse().expect("ip")]);

        for url in [
            "http://127.0.0.1:9/hook",
            "https://127.0.0.1/hook",
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/hook",
            "https://2130706433/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[64:ff9b::a00:1]/hook",
            "https://internal.example/hook",
        ] {
            // Act
            let outcome = sender.send(&request(url)).await;

            // Assert
            assert_eq!(
                outcome,
                SendOutcome::Refused(format!("the URL {REFUSED_ADDRESS}")),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_the_allowed_addresses_of_a_mixed_answer() {
        // Arrange
        let answer: Vec<IpAddr> = [
            "10.0.0.5",
            "93.184.216.34",
            "127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "2606:4700::6810:84e5",
        ]
        .into_iter()
        .map(|address| address.parse().expect("ip"))
        .collect();
        let sender = HttpWebhookSender::new(false).with_host("mixed.example", answer);

        // Act
        let kept: Vec<SocketAddr> = sender
            .resolver
            .resolve("mixed.example".parse().expect("name"))
            .await
            .expect("some addresses are public")
            .collect();

        // Assert
        let public: Vec<SocketAddr> = ["93.184.216.34:0", "[2606:4700::6810:84e5]:0"]
            .into_iter()
            .map(|address| address.parse().expect("socket address"))
            .collect();
        assert_eq!(kept, public);
    }

    #[tokio::test]
    async fn a_host_with_only_refused_addresses_fails_without_connecting() {
        // Arrange: a listener stands at the refused loopback address.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listener");
        let port = listener.local_addr().expect("port").port();
        let sender = HttpWebhookSender::new(false).with_host(
            "inside.example",
            vec![
                "10.0.0.5".parse().expect("ip"),
                "127.0.0.1".parse().expect("ip"),
            ],
        );

        // Act
        let outcome = sender
            .send(&request(&format!("https://inside.example:{port}/hook")))
            .await;

        // Assert: refused, the reason naming no address, nothing connected.
        assert_eq!(
            outcome,
            SendOutcome::Refused(format!("the URL {REFUSED_ADDRESS}"))
        );
        let connection = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(connection.is_err(), "a connection was made");
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
