//! The typed client of the invoice-intake HTTP API (`contract/api.md`): the
//! one place that knows the API's paths, bodies and errors. It owns the base
//! URL and the key, a client-side request rate (a token bucket), retries of
//! 429, 5xx and lost connections (`retry`), the uploads to pre-signed URLs,
//! and a raw escape hatch for requests the contract refuses (`raw`).

mod error;
mod raw;
mod retry;
mod types;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use backon::Retryable;
use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::{ApiError, ClientError};
pub use raw::{RawRequest, RawResponse};
pub use reqwest::Method;
pub use retry::RetryPolicy;
use types::Paged;
pub use types::*;

pub const API_KEY_HEADER: &str = "x-api-key";
const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Where the API is and how to call it.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// e.g. `http://127.0.0.1:3000` or an API Gateway stage URL.
    pub base_url: String,
    pub api_key: String,
    pub retry: RetryPolicy,
    /// Requests per second to the API (uploads to storage are not counted:
    /// the API's rate limit does not see them); `None` for no limit.
    pub requests_per_second: Option<NonZeroU32>,
    /// The longest a request may take, its body included.
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: &str, api_key: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            retry: RetryPolicy::default(),
            requests_per_second: None,
            timeout: Duration::from_secs(120),
        }
    }
}

/// A client of one API with one key; cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    limiter: Option<DefaultDirectRateLimiter>,
}

/// A created resource, and whether it was created by an earlier request with
/// the same Idempotency-Key (the API replayed that request's answer).
#[derive(Clone, Debug)]
pub struct Created<T> {
    pub body: T,
    pub replayed: bool,
}

/// What one attempt of a call ended with, for the retry loop.
enum Attempt {
    Answered(RawResponse),
    NoAnswer(reqwest::Error),
}

impl Attempt {
    fn outcome(&self) -> retry::Outcome {
        match self {
            Self::Answered(response) => retry::Outcome::Status(
                response.status,
                response
                    .header(RETRY_AFTER.as_str())
                    .and_then(retry::parse_retry_after),
            ),
            Self::NoAnswer(error) if error.is_connect() => retry::Outcome::ConnectFailed,
            Self::NoAnswer(_) => retry::Outcome::NoAnswer,
        }
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(ClientError::InvalidBaseUrl {
                url: config.base_url,
            });
        }
        let http = reqwest::Client::builder()
            // A 303 to a pre-signed URL must be fetched without the API key,
            // so redirects are followed by the calls that expect them.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(config.timeout)
            .build()
            .map_err(ClientError::Setup)?;
        let limiter = config
            .requests_per_second
            .map(|rate| RateLimiter::direct(Quota::per_second(rate)));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                limiter,
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    pub fn api_key(&self) -> &str {
        &self.inner.config.api_key
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.base_url)
    }

    /// Any request, sent once with this client's key: see [`RawRequest`].
    pub fn raw(&self, method: Method, path: &str) -> RawRequest<'_> {
        RawRequest::new(self, method, path)
    }

    /// A request to an absolute URL (a pre-signed GET of a large result),
    /// sent once without the API key.
    pub fn raw_url(&self, method: Method, url: &str) -> RawRequest<'_> {
        RawRequest::to_url(self, method, url)
    }

    /// `POST /sessions`. With an Idempotency-Key, the same request again
    /// answers the first session (`replayed`) instead of a new one.
    pub async fn create_session(
        &self,
        request: &CreateSession,
        idempotency_key: Option<&str>,
    ) -> Result<Created<Session>, ClientError> {
        let response = self
            .call(
                Method::POST,
                "/sessions",
                &[],
                Some(json(request)),
                idempotency_key,
            )
            .await?;
        let replayed = response.header(REPLAYED_HEADER) == Some("true");
        Ok(Created {
            body: parse("/sessions", response)?,
            replayed,
        })
    }

    /// One page of `GET /sessions/{id}`.
    pub async fn session_page(&self, id: &str, page: Page<'_>) -> Result<Session, ClientError> {
        self.get(&format!("/sessions/{id}"), &page.query()).await
    }

    /// `GET /sessions/{id}` with every page of its files.
    pub async fn session(&self, id: &str) -> Result<Session, ClientError> {
        self.all_pages(&format!("/sessions/{id}")).await
    }

    /// `PATCH /sessions/{id}/confirm` (harmless twice).
    pub async fn confirm(&self, id: &str) -> Result<Session, ClientError> {
        let path = format!("/sessions/{id}/confirm");
        let response = self.call(Method::PATCH, &path, &[], None, None).await?;
        parse(&path, response)
    }

    /// `POST /sessions/{id}/extract`.
    pub async fn extract(
        &self,
        id: &str,
        request: &ExtractRequest,
        idempotency_key: Option<&str>,
    ) -> Result<JobAccepted, ClientError> {
        let path = format!("/sessions/{id}/extract");
        let response = self
            .call(
                Method::POST,
                &path,
                &[],
                Some(json(request)),
                idempotency_key,
            )
            .await?;
        parse(&path, response)
    }

    /// One page of `GET /jobs/{id}/status`; `Page::first(1)` reads the
    /// job's progress without its files.
    pub async fn job_status(&self, id: &str, page: Page<'_>) -> Result<JobStatus, ClientError> {
        self.get(&format!("/jobs/{id}/status"), &page.query()).await
    }

    /// `GET /jobs/{id}/status` with every page of its files.
    pub async fn job_status_all(&self, id: &str) -> Result<JobStatus, ClientError> {
        self.all_pages(&format!("/jobs/{id}/status")).await
    }

    /// One page of `GET /jobs/{id}/result` (paged results are always inline).
    pub async fn result_page(&self, id: &str, page: Page<'_>) -> Result<JobResult, ClientError> {
        self.get(&format!("/jobs/{id}/result"), &page.query()).await
    }

    /// The job's whole result, read page by page (never a 303).
    pub async fn result(&self, id: &str) -> Result<JobResult, ClientError> {
        self.all_pages(&format!("/jobs/{id}/result")).await
    }

    /// The job's result document as `GET /jobs/{id}/result` gives it whole:
    /// inline, or behind a 303 whose pre-signed URL is fetched without the
    /// API key.
    pub async fn result_document(&self, id: &str) -> Result<JobResult, ClientError> {
        let path = format!("/jobs/{id}/result");
        let response = self.call(Method::GET, &path, &[], None, None).await?;
        if response.status != 303 {
            return parse(&path, response);
        }
        let location = response
            .header(LOCATION.as_str())
            .ok_or_else(|| ClientError::UnexpectedBody {
                path: path.clone(),
                detail: "a 303 without Location".into(),
            })?
            .to_owned();
        let stored = self
            .send_with_retries(|| self.http().get(&location), true, false)
            .await
            .map_err(|error| unreachable(&origin(&location), error))?;
        parse(&path, stored)
    }

    /// One page of `GET /jobs` (`status`: only jobs in that state).
    pub async fn jobs(
        &self,
        status: Option<JobState>,
        page: Page<'_>,
    ) -> Result<JobList, ClientError> {
        let mut query = page.query();
        if let Some(status) = status {
            query.push(("status", serde_plain(&status)));
        }
        self.get("/jobs", &query).await
    }

    /// One page of `GET /jobs/{id}/events`.
    pub async fn job_events(&self, id: &str, page: Page<'_>) -> Result<JobEvents, ClientError> {
        self.get(&format!("/jobs/{id}/events"), &page.query()).await
    }

    /// `DELETE /jobs/{id}` of a terminal job.
    pub async fn delete_job(&self, id: &str) -> Result<(), ClientError> {
        let path = format!("/jobs/{id}");
        let response = self.call(Method::DELETE, &path, &[], None, None).await?;
        check(response).map(drop)
    }

    /// PUTs a file's bytes to its pre-signed URL with exactly the headers
    /// the API gave (step 2). `name` only names the file in errors.
    pub async fn upload(
        &self,
        name: &str,
        upload: &Upload,
        bytes: Bytes,
    ) -> Result<(), ClientError> {
        let method = Method::from_bytes(upload.method.as_bytes()).unwrap_or(Method::PUT);
        let response = self
            .send_with_retries(
                || {
                    upload.headers.iter().fold(
                        self.http()
                            .request(method.clone(), &upload.url)
                            .body(bytes.clone()),
                        |request, (name, value)| request.header(name, value),
                    )
                },
                true,
                false,
            )
            .await
            // Never the URL itself: its query string is a credential.
            .map_err(|error| unreachable(&origin(&upload.url), error))?;
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(ClientError::Upload {
                name: name.to_owned(),
                status: response.status,
            })
        }
    }

    /// Every page of `path`, the largest pages the API serves, put together.
    async fn all_pages<T: Paged + DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let mut whole: T = self
            .get(path, &Page::first(Page::MAX_LIMIT).query())
            .await?;
        while let Some(cursor) = whole.take_cursor() {
            let next = self
                .get(path, &Page::after(Page::MAX_LIMIT, &cursor).query())
                .await?;
            whole.append(next);
        }
        Ok(whole)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let response = self.call(Method::GET, path, query, None, None).await?;
        parse(path, response)
    }

    /// One API call with its retries. A POST is repeatable only with an
    /// Idempotency-Key; the API's other methods always are (its PATCH is a
    /// confirmation, harmless twice).
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Bytes>,
        idempotency_key: Option<&str>,
    ) -> Result<RawResponse, ClientError> {
        let repeatable = method != Method::POST || idempotency_key.is_some();
        let url = self.url(path);
        self.send_with_retries(
            || {
                let mut request = self
                    .http()
                    .request(method.clone(), &url)
                    .header(API_KEY_HEADER, self.api_key())
                    .query(query);
                if let Some(key) = idempotency_key {
                    request = request.header(IDEMPOTENCY_KEY_HEADER, key);
                }
                if let Some(body) = &body {
                    request = request
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                request
            },
            repeatable,
            true,
        )
        .await
        .map_err(|error| unreachable(self.base_url(), error))
    }

    /// Sends the request `build` makes until it is not retried any more
    /// (`retry`): the last answer, or the last transport error. `to_api`:
    /// the request counts against the client's request rate.
    async fn send_with_retries(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        repeatable: bool,
        to_api: bool,
    ) -> Result<RawResponse, reqwest::Error> {
        let attempt = || async {
            if to_api {
                self.throttle().await;
            }
            match read(build()).await {
                Ok(response) => {
                    let answered = Attempt::Answered(response);
                    if retry::is_retried(answered.outcome(), repeatable) {
                        Err(answered)
                    } else {
                        Ok(answered)
                    }
                }
                Err(error) => Err(Attempt::NoAnswer(error)),
            }
        };
        let last = attempt
            .retry(self.inner.config.retry.backoff())
            .sleep(tokio::time::sleep)
            .when(|failed| retry::is_retried(failed.outcome(), repeatable))
            .adjust(|failed, backoff| retry::next_delay(failed.outcome(), backoff))
            .await;
        match last {
            Ok(Attempt::Answered(response)) | Err(Attempt::Answered(response)) => Ok(response),
            Ok(Attempt::NoAnswer(error)) | Err(Attempt::NoAnswer(error)) => Err(error),
        }
    }

    pub(crate) async fn send_raw(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<RawResponse, ClientError> {
        self.throttle().await;
        read(request)
            .await
            .map_err(|error| unreachable(self.base_url(), error))
    }

    /// Waits for the rate limit's next token, if there is a limit.
    async fn throttle(&self) {
        if let Some(limiter) = &self.inner.limiter {
            limiter.until_ready().await;
        }
    }
}

async fn read(request: reqwest::RequestBuilder) -> Result<RawResponse, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers: HeaderMap = response.headers().clone();
    let body = response.bytes().await?;
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn json(body: &impl Serialize) -> Bytes {
    // These bodies are plain structs of strings and numbers: serialising
    // them cannot fail.
    Bytes::from(serde_json::to_vec(body).unwrap_or_default())
}

/// A value's serde name (`JobState::PartiallyFailed` → `partially_failed`).
fn serde_plain(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A 2xx (or 303) answer, or the API's problem.
fn check(response: RawResponse) -> Result<RawResponse, ClientError> {
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    let problem = serde_json::from_slice(&response.body).unwrap_or_else(|_| Problem {
        code: "unexpected_response".into(),
        title: "Unexpected response".into(),
        detail: format!("HTTP {} without a problem document", response.status),
        extra: Extra::new(),
    });
    Err(ClientError::Api(ApiError {
        status: response.status,
        retry_after: response
            .header(RETRY_AFTER.as_str())
            .and_then(retry::parse_retry_after),
        problem,
    }))
}

fn parse<T: DeserializeOwned>(path: &str, response: RawResponse) -> Result<T, ClientError> {
    let response = check(response)?;
    serde_json::from_slice(&response.body).map_err(|error| ClientError::UnexpectedBody {
        path: path.to_owned(),
        detail: error.to_string(),
    })
}

fn unreachable(url: &str, source: reqwest::Error) -> ClientError {
    ClientError::Unreachable {
        url: url.to_owned(),
        source: source.without_url(),
    }
}

/// `scheme://host[:port]` of a URL, to name it without its path and query.
fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|_| "the storage".to_owned())
}

#[cfg(test)]
mod tests;
