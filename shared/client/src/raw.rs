//! The escape hatch: any method, path, headers and body, sent once, and the
//! answer as it came (status, headers, bytes). For tests of bad input and
//! for measuring the API, not for ordinary use.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::{Client, ClientError};

/// A request being built; `send` sends it once, without retries.
#[must_use]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
    api_key: Option<String>,
}

impl<'a> RawRequest<'a> {
    pub(crate) fn new(client: &'a Client, method: Method, path: &str) -> Self {
        Self {
            client,
            method,
            url: client.url(path),
            headers: Vec::new(),
            body: None,
            api_key: Some(client.api_key().to_owned()),
        }
    }

    /// A request to an absolute URL (a pre-signed one), without the key.
    pub(crate) fn to_url(client: &'a Client, method: Method, url: &str) -> Self {
        Self {
            url: url.to_owned(),
            api_key: None,
            ..Self::new(client, method, "")
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body as JSON, with `content-type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Another key than the client's (another tenant, an operator).
    pub fn api_key(mut self, key: &str) -> Self {
        self.api_key = Some(key.to_owned());
        self
    }

    /// No `x-api-key` header at all.
    pub fn without_api_key(mut self) -> Self {
        self.api_key = None;
        self
    }

    pub async fn send(self) -> Result<RawResponse, ClientError> {
        let mut request = self.client.http().request(self.method, &self.url);
        if let Some(key) = &self.api_key {
            request = request.header(crate::API_KEY_HEADER, key);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        self.client.send_raw(request).await
    }
}

/// An answer read whole.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
