//! The HTTP client: API calls with the key, pre-signed URL GETs and PUTs, each
//! timed from sending to the last body byte; only loopback URLs are contacted.

use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde_json::Value;

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
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
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
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    /// GET of an absolute loopback URL (e.g. a pre-signed S3 URL), without the API key.
    pub async fn get_url(&self, url: &str) -> (Duration, Result<Reply, String>) {
        let parsed = match Url::parse(url) {
            Ok(parsed) if is_loopback(&parsed) => parsed,
            Ok(_) => {
                return (
                    Duration::ZERO,
                    Err(format!("refusing a non-loopback URL: {url}")),
                )
            }
            Err(error) => return (Duration::ZERO, Err(format!("bad URL {url}: {error}"))),
        };
        self.send(self.http.get(parsed)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (Duration, Result<Reply, String>) {
        let started = Instant::now();
        let result = async {
            let response = request.send().await.map_err(|e| describe(&e))?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = response.text().await.map_err(|e| describe(&e))?;
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok(Reply {
                status,
                location,
                body,
                text,
            })
        }
        .await;
        (started.elapsed(), result)
    }

    /// PUTs the bytes to a file's pre-signed URL with its headers.
    pub async fn upload(&self, file: &Value, bytes: &[u8]) -> (Duration, Result<u16, String>) {
        let started = Instant::now();
        let result = async {
            let upload = &file["upload"];
            let url = upload["url"].as_str().ok_or("no upload.url in the file")?;
            let parsed = Url::parse(url).map_err(|e| format!("upload url: {e}"))?;
            if !is_loopback(&parsed) {
                return Err(format!("refusing a non-loopback upload URL: {url}"));
            }
            let mut request = self.http.put(parsed).body(bytes.to_vec());
            if let Some(headers) = upload["headers"].as_object() {
                for (name, value) in headers {
                    request = request.header(name.as_str(), value.as_str().unwrap_or_default());
                }
            }
            let response = request.send().await.map_err(|e| describe(&e))?;
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if status.is_success() {
                Ok(status.as_u16())
            } else {
                Err(format!("HTTP {status}: {}", snippet(&text)))
            }
        }
        .await;
        (started.elapsed(), result)
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else if error.is_connect() {
        format!("connect error: {error}")
    } else {
        format!("transport error: {error}")
    }
}

/// The text on one line, at most 200 characters (for error messages).
pub fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}
