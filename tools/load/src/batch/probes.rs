//! Phase D's probes: single-file jobs submitted one every
//! `--batch-probe-interval-ms` while the batch runs (at most
//! `--batch-probe-jobs`), each polled every `--poll-ms` until terminal: their
//! submit -> terminal latency shows whether small jobs wait behind the batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use intake_client::Method;
use serde_json::{json, Value};

use super::corpus::{content_type_of, marker};
use crate::api::snippet;
use crate::ctx::{prepare_sessions, run_job, Ctx, JobEnd};
use crate::report::progress;
use crate::stats::JobOutcomes;

/// Single-file jobs submitted while the batch runs.
#[derive(Default)]
pub struct Probes {
    pub requested: usize,
    pub prepared: usize,
    pub submitted: usize,
    pub jobs: JobOutcomes,
}

impl Probes {
    pub fn problems(&self) -> usize {
        (self.requested - self.prepared) + self.jobs.problems()
    }

    pub fn to_json(&self) -> Value {
        self.jobs.add_json(json!({
            "requested": self.requested,
            "prepared": self.prepared,
            "submitted": self.submitted,
        }))
    }

    fn record(&mut self, end: JobEnd) {
        if matches!(end, JobEnd::Timeout { .. }) {
            self.jobs
                .note("a probe job was not terminal within --job-timeout-secs".into());
        }
        self.jobs.record(end);
    }
}

/// The `--batch-probe-jobs` confirmed probe sessions (untimed set-up).
pub async fn prepare_probes(ctx: &Ctx, nonce: &str, out: &mut Probes) -> Vec<String> {
    out.requested = ctx.args.batch_probe_jobs;
    if out.requested == 0 {
        return Vec::new();
    }
    progress(&format!(
        "phase D: preparing {} single-file probe sessions",
        out.requested
    ));
    let (sessions, errors) = prepare_sessions(out.requested, ctx.args.concurrency, |k| {
        probe_session(ctx, k, nonce)
    })
    .await;
    for message in errors {
        out.jobs.note(format!("set-up: {message}"));
    }
    out.prepared = sessions.len();
    sessions
}

/// A confirmed single-file session of the `--invoice` bytes plus a unique trailing comment.
async fn probe_session(ctx: &Ctx, k: usize, nonce: &str) -> Result<String, String> {
    let content_type = content_type_of(&ctx.args.invoice).unwrap_or("application/xml");
    let mut bytes = ctx.invoice.clone();
    bytes.extend(marker(content_type, &format!("probe {k} {nonce}")));
    let ext = if content_type == "application/pdf" {
        "pdf"
    } else {
        "xml"
    };
    let body = json!({"files": [{"name": format!("probe-{k}.{ext}"), "content_type": content_type, "size": bytes.len()}]});
    let (_, reply) = ctx.api.call(Method::POST, "/sessions", Some(&body)).await;
    let reply = reply?;
    if reply.status != 201 {
        return Err(format!(
            "POST /sessions: HTTP {}: {}",
            reply.status,
            snippet(&reply.text)
        ));
    }
    let id = reply.body["id"]
        .as_str()
        .ok_or("no id in the session")?
        .to_owned();
    let (_, uploaded) = ctx.api.upload(&reply.body["files"][0], &bytes).await;
    uploaded.map_err(|e| format!("upload: {e}"))?;
    ctx.confirm(id).await.result
}

/// Submits one probe job every `--batch-probe-interval-ms` until the batch is
/// terminal (or every session is used), then waits for those in flight.
pub async fn run_probes(
    ctx: &Ctx,
    sessions: Vec<String>,
    batch_done: &AtomicBool,
    out: &mut Probes,
) {
    let interval = ctx.args.batch_probe_interval;
    let mut sessions = sessions.into_iter();
    let mut in_flight = FuturesUnordered::new();
    let mut next = Instant::now();
    let mut exhausted = false;
    loop {
        let done = batch_done.load(Ordering::Acquire);
        if !done && !exhausted && Instant::now() >= next {
            match sessions.next() {
                Some(session) => {
                    out.submitted += 1;
                    in_flight.push(run_job(ctx, session));
                }
                None => exhausted = true,
            }
            next += interval;
        }
        if (done || exhausted) && in_flight.is_empty() {
            break;
        }
        // Wake for a finished probe, the next submission, or to look at the batch again.
        let wake = if done || exhausted {
            Duration::from_secs(3600)
        } else {
            next.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(50))
        };
        tokio::select! {
            Some(end) = in_flight.next(), if !in_flight.is_empty() => out.record(end),
            _ = tokio::time::sleep(wake) => {}
        }
    }
}
