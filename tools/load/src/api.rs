//! The load tool's calls, each timed from sending to the last body byte,
//! made with the API's client (`intake-client`, sent once: a measurement
//! counts every answer); only loopback URLs are contacted.

use std::time::{Duration, Instant};

use intake_client::Method;
use intake_client::{Client, ClientConfig, ClientError, RawRequest, RetryPolicy, Upload};
use serde_json::Value;
use url::Url;

/// Whether the URL's host is 127.0.0.1 / ::1 / localhost (or another loopback address).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A response, read whole, with the time from sending to the last body byte.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: Value,
    pub text: String,
}

#[derive(Clone)]
pub struct Api {
    client: Client,
}

impl Api {
    /// The API at `base` with `key`; each request may take `timeout`.
    pub fn new(base: &str, key: &str, timeout: Duration) -> Result<Self, String> {
        let client = Client::new(ClientConfig {
            retry: RetryPolicy::never(),
            timeout,
            ..ClientConfig::new(base, key)
        })
        .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (Duration, Result<Reply, String>) {
        self.call_with(method, path, body, &[]).await
    }

    /// `call` with extra request headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (Duration, Result<Reply, String>) {
        let mut request = headers
            .iter()
            .fold(self.client.raw(method, path), |request, (name, value)| {
                request.header(name, value)
            });
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request).await
    }

    /// GET of an absolute loopback URL (e.g. a pre-signed S3 URL), without the API key.
    pub async fn get_url(&self, url: &str) -> (Duration, Result<Reply, String>) {
        match Url::parse(url) {
            Ok(parsed) if is_loopback(&parsed) => send(self.client.raw_url(Method::GET, url)).await,
            Ok(_) => (
                Duration::ZERO,
                Err(format!("refusing a non-loopback URL: {url}")),
            ),
            Err(error) => (Duration::ZERO, Err(format!("bad URL {url}: {error}"))),
        }
    }

    /// PUTs the bytes to a file's pre-signed URL with its headers.
    pub async fn upload(&self, file: &Value, bytes: &[u8]) -> (Duration, Result<(), String>) {
        let started = Instant::now();
        let result = async {
            let upload: Upload = serde_json::from_value(file["upload"].clone())
                .map_err(|e| format!("no upload in the file: {e}"))?;
            let parsed = Url::parse(&upload.url).map_err(|e| format!("upload url: {e}"))?;
            if !is_loopback(&parsed) {
                return Err(format!(
                    "refusing a non-loopback upload URL: {}",
                    upload.url
                ));
            }
            let name = file["name"].as_str().unwrap_or_default();
            self.client
                .upload(name, &upload, bytes.to_vec().into())
                .await
                .map_err(|e| describe(&e))
        }
        .await;
        (started.elapsed(), result)
    }
}

async fn send(request: RawRequest<'_>) -> (Duration, Result<Reply, String>) {
    let started = Instant::now();
    let result = request
        .send()
        .await
        .map(|response| Reply {
            status: response.status,
            location: response.header("location").map(str::to_owned),
            body: response.json(),
            text: response.text(),
        })
        .map_err(|e| describe(&e));
    (started.elapsed(), result)
}

fn describe(error: &ClientError) -> String {
    match error {
        ClientError::Unreachable { source, .. } if source.is_timeout() => "timeout".into(),
        other => other.to_string(),
    }
}

/// The text on one line, at most 200 characters (for error messages).
pub fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}
