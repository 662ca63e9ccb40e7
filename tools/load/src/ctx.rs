//! The run's context (API client, arguments, invoice, deadline) and the
//! steps of a single-file job that phases B, C and D share: create, upload,
//! confirm, extract, and polling its status until terminal.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use intake_client::Method;
use serde_json::{json, Value};

use crate::api::{snippet, Api, Reply};
use crate::args::Args;

/// What one timed operation produced.
pub struct Outcome<O> {
    /// Time to a complete response; None when no response came (transport error).
    pub elapsed: Option<Duration>,
    /// Ok(output) when the answer was the expected one.
    pub result: Result<O, String>,
}

/// Turns a reply into an outcome: the status must be one of `expected`.
pub fn expect<O>(
    (elapsed, reply): (Duration, Result<Reply, String>),
    expected: &[u16],
    output: impl FnOnce(&Reply) -> Result<O, String>,
) -> Outcome<O> {
    match reply {
        Err(message) => Outcome {
            elapsed: None,
            result: Err(message),
        },
        Ok(reply) if !expected.contains(&reply.status) => Outcome {
            elapsed: Some(elapsed),
            result: Err(format!("HTTP {}: {}", reply.status, snippet(&reply.text))),
        },
        Ok(reply) => Outcome {
            elapsed: Some(elapsed),
            result: output(&reply),
        },
    }
}

pub fn is_terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "partially_failed" | "failed")
}

pub struct Ctx {
    pub api: Api,
    pub args: Args,
    pub invoice: Vec<u8>,
    /// No new work starts after it (`--max-secs`).
    pub deadline: Instant,
}

impl Ctx {
    fn session_body(&self, webhook_url: Option<&str>) -> Value {
        let mut body = json!({"files": [{"name": "invoice.xml", "content_type": "application/xml", "size": self.invoice.len()}]});
        if let Some(url) = webhook_url {
            body["webhook_url"] = json!(url);
        }
        body
    }

    pub async fn create_session(&self) -> Outcome<(String, Value)> {
        self.create_session_with(None).await
    }

    async fn create_session_with(&self, webhook_url: Option<&str>) -> Outcome<(String, Value)> {
        let body = self.session_body(webhook_url);
        expect(
            self.api.call(Method::POST, "/sessions", Some(&body)).await,
            &[201],
            |reply| {
                let id = reply.body["id"].as_str().ok_or("no id in the session")?;
                let file = reply.body["files"][0].clone();
                Ok((id.to_owned(), file))
            },
        )
    }

    pub async fn upload(&self, session: (String, Value)) -> Outcome<String> {
        let (elapsed, result) = self.api.upload(&session.1, &self.invoice).await;
        Outcome {
            elapsed: result.is_ok().then_some(elapsed),
            result: result.map(|_| session.0),
        }
    }

    pub async fn confirm(&self, id: String) -> Outcome<String> {
        expect(
            self.api
                .call(Method::PATCH, &format!("/sessions/{id}/confirm"), None)
                .await,
            &[200],
            |_| Ok(id.clone()),
        )
    }

    pub async fn extract(&self, id: &str) -> Outcome<String> {
        expect(
            self.api
                .call(Method::POST, &format!("/sessions/{id}/extract"), None)
                .await,
            &[202],
            |reply| {
                reply.body["job_id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "no job_id in the 202".to_owned())
            },
        )
    }

    /// A timed GET that must answer 200.
    pub async fn get_ok(&self, path: &str) -> Outcome<()> {
        expect(self.api.call(Method::GET, path, None).await, &[200], |_| {
            Ok(())
        })
    }

    /// Session created, uploaded and confirmed (untimed set-up).
    pub async fn confirmed_session(&self) -> Result<String, String> {
        self.confirmed_session_with(None).await
    }

    pub async fn confirmed_session_with(
        &self,
        webhook_url: Option<&str>,
    ) -> Result<String, String> {
        let created = self.create_session_with(webhook_url).await.result?;
        let id = self.upload(created).await.result?;
        self.confirm(id).await.result
    }

    pub async fn job_status(&self, job: &str) -> Result<String, String> {
        let body = self.job_status_body(job).await?;
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }

    /// The job's status object (200 only).
    pub async fn job_status_body(&self, job: &str) -> Result<Value, String> {
        let (_, reply) = self
            .api
            .call(Method::GET, &format!("/jobs/{job}/status"), None)
            .await;
        let reply = reply?;
        if reply.status != 200 {
            return Err(format!("HTTP {}: {}", reply.status, snippet(&reply.text)));
        }
        Ok(reply.body)
    }
}

/// How one single-file job ended, from its extract request.
pub enum JobEnd {
    Terminal {
        status: String,
        elapsed: Duration,
        polls: usize,
    },
    Timeout {
        polls: usize,
    },
    Error(String),
}

/// Submits the session's extract, then polls the job's status every `--poll-ms`
/// until it is terminal or `--job-timeout-secs` have passed.
pub async fn run_job(ctx: &Ctx, session: String) -> JobEnd {
    let started = Instant::now();
    let job = match ctx.extract(&session).await.result {
        Ok(job) => job,
        Err(message) => return JobEnd::Error(format!("extract: {message}")),
    };
    let limit = started + ctx.args.job_timeout;
    let mut polls = 0;
    let mut next = Instant::now();
    loop {
        polls += 1;
        match ctx.job_status(&job).await {
            Ok(status) if is_terminal(&status) => {
                return JobEnd::Terminal {
                    status,
                    elapsed: started.elapsed(),
                    polls,
                }
            }
            Ok(_) => {}
            Err(message) => return JobEnd::Error(format!("status: {message}")),
        }
        if Instant::now() >= limit {
            return JobEnd::Timeout { polls };
        }
        pace(&mut next, ctx.args.poll).await;
    }
}

/// Sleeps until the next poll: `every` after the previous poll's start (not
/// after its answer); a poll that is already late starts right away.
pub async fn pace(next: &mut Instant, every: Duration) {
    *next += every;
    let now = Instant::now();
    if *next > now {
        tokio::time::sleep(*next - now).await;
    } else {
        *next = now;
    }
}

/// Prepares `count` sessions with `prepare(k)`, `concurrency` at a time
/// (untimed set-up): the sessions made, then every error.
pub async fn prepare_sessions<F, Fut>(
    count: usize,
    concurrency: usize,
    prepare: F,
) -> (Vec<String>, Vec<String>)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let prepared: Vec<Result<String, String>> = stream::iter(0..count)
        .map(prepare)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut sessions = Vec::new();
    let mut errors = Vec::new();
    for result in prepared {
        match result {
            Ok(id) => sessions.push(id),
            Err(message) => errors.push(message),
        }
    }
    (sessions, errors)
}
