//! Phase C: webhook delivery latency. The tool runs its own HTTP receiver on
//! 127.0.0.1, submits `--webhook-jobs` single-file jobs whose session has
//! `webhook_url` = that receiver, and measures for each job the time from its
//! `completed_at` (GET /jobs/{id}/status) to the receipt of its
//! `job.completed` event (matched by the body's `data.job_id`); every job must
//! be delivered exactly once. With `--webhook-secret` the Standard Webhooks
//! signature of every delivery is checked too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::api::snippet;
use crate::args::Args;
use crate::ctx::{prepare_sessions, Ctx};
use crate::receiver;
use crate::report::progress;
use crate::stats::{latency_columns, latency_json, merge, round};

#[derive(Default)]
pub struct PhaseC {
    requested: usize,
    prepared: usize,
    submitted: usize,
    setup_errors: Vec<String>,
    /// completed_at -> receipt, one per job delivered.
    latencies_ms: Vec<f64>,
    /// Requests the receiver got (all of them, duplicates included).
    deliveries: usize,
    /// Jobs of this phase delivered at least once.
    delivered_jobs: usize,
    /// Deliveries beyond the first of a job.
    duplicates: usize,
    /// Submitted jobs never delivered within the wait.
    missing: usize,
    /// Requests that are not a `job.completed` event of one of our jobs.
    unexpected: usize,
    /// Deliveries whose signature did not verify (with --webhook-secret).
    bad_signatures: usize,
    /// Events whose `data.completed_at` differs from the status's.
    completed_at_mismatches: usize,
    errors: usize,
    examples: Vec<String>,
    /// From the first extract to the last expected delivery.
    wall: Duration,
}

impl PhaseC {
    fn note(&mut self, message: String) {
        if self.examples.len() < 5 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }

    pub fn problems(&self) -> usize {
        (self.requested - self.prepared)
            + (self.prepared - self.submitted)
            + self.duplicates
            + self.missing
            + self.unexpected
            + self.bad_signatures
            + self.completed_at_mismatches
            + self.errors
    }

    pub fn to_json(&self) -> Value {
        let body = json!({
            "jobs": self.requested,
            "prepared": self.prepared,
            "submitted": self.submitted,
            "deliveries": self.deliveries,
            "delivered_jobs": self.delivered_jobs,
            "duplicates": self.duplicates,
            "missing": self.missing,
            "unexpected": self.unexpected,
            "bad_signatures": self.bad_signatures,
            "completed_at_mismatches": self.completed_at_mismatches,
            "errors": self.errors,
            "wall_s": round(self.wall.as_secs_f64()),
            "setup_errors": self.setup_errors,
            "error_examples": self.examples,
        });
        merge(body, latency_json(&self.latencies_ms))
    }
}

/// Checks a Standard Webhooks v1 signature header against `secret`.
fn signature_ok(secret: &str, delivery: &receiver::Delivery) -> Result<(), String> {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let header = |name: &str| {
        delivery
            .headers
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("no {name} header"))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|raw| b64.decode(raw).ok())
        .ok_or("--webhook-secret is not whsec_<base64>")?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&delivery.body);
    let expected = format!("v1,{}", b64.encode(mac.finalize().into_bytes()));
    if signatures.split(' ').any(|part| part == expected) {
        Ok(())
    } else {
        Err(format!(
            "webhook-signature does not verify (webhook-id {id})"
        ))
    }
}

pub async fn phase_c(ctx: &Ctx) -> PhaseC {
    let j = ctx.args.webhook_jobs;
    let mut out = PhaseC {
        requested: j,
        ..PhaseC::default()
    };
    let mut receiver = match receiver::start().await {
        Ok(receiver) => receiver,
        Err(error) => {
            out.setup_errors
                .push(format!("cannot start the webhook receiver: {error}"));
            return out;
        }
    };
    let hook_url = format!("{}/hooks/intake-load", receiver.base_url);
    progress(&format!(
        "phase C: receiver on {hook_url}; preparing {j} confirmed single-file sessions"
    ));
    let (sessions, errors) = prepare_sessions(j, ctx.args.concurrency, |_| {
        ctx.confirmed_session_with(Some(&hook_url))
    })
    .await;
    out.setup_errors = errors.into_iter().take(3).collect();
    out.prepared = sessions.len();

    // Submit every job (K at a time); deliveries are collected as they come.
    progress(&format!(
        "phase C: submitting {} jobs, {} at a time",
        sessions.len(),
        ctx.args.job_concurrency
    ));
    let started = Instant::now();
    let submitted: Vec<Result<String, String>> = stream::iter(sessions)
        .map(|session| async move {
            if Instant::now() >= ctx.deadline {
                Err("not started: overall deadline".to_owned())
            } else {
                ctx.extract(&session).await.result
            }
        })
        .buffer_unordered(ctx.args.job_concurrency)
        .collect()
        .await;
    // job id -> receipt time of its first delivery, and its event body.
    let mut jobs: HashMap<String, Option<(chrono::DateTime<chrono::Utc>, Value)>> = HashMap::new();
    for result in submitted {
        match result {
            Ok(job) => {
                jobs.insert(job, None);
            }
            Err(message) => {
                out.errors += 1;
                out.note(format!("extract: {message}"));
            }
        }
    }
    out.submitted = jobs.len();

    let mut take = |delivery: receiver::Delivery, out: &mut PhaseC| {
        out.deliveries += 1;
        if let Some(secret) = &ctx.args.webhook_secret {
            if let Err(message) = signature_ok(secret, &delivery) {
                out.bad_signatures += 1;
                out.note(message);
            }
        }
        let event: Value = serde_json::from_slice(&delivery.body).unwrap_or(Value::Null);
        let job = event["data"]["job_id"].as_str().unwrap_or_default();
        match jobs.get_mut(job) {
            Some(slot @ None) if delivery.method == "POST" && event["type"] == "job.completed" => {
                *slot = Some((delivery.received.into(), event));
                out.delivered_jobs += 1;
            }
            Some(Some(_)) => {
                out.duplicates += 1;
                out.note(format!("job {job} delivered more than once"));
            }
            _ => {
                out.unexpected += 1;
                out.note(format!(
                    "unexpected {} request: {}",
                    delivery.method,
                    snippet(&String::from_utf8_lossy(&delivery.body))
                ));
            }
        }
    };

    // Wait (bounded) for one delivery per job, then a grace period for duplicates.
    let wait_until = (Instant::now() + ctx.args.webhook_wait).min(ctx.deadline.max(Instant::now()));
    while out.delivered_jobs < out.submitted {
        let left = wait_until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, receiver.deliveries.recv()).await {
            Ok(Some(delivery)) => take(delivery, &mut out),
            _ => break,
        }
    }
    out.wall = started.elapsed();
    progress(&format!(
        "phase C: {} of {} jobs delivered after {:.1} s; {} ms grace for duplicates",
        out.delivered_jobs,
        out.submitted,
        out.wall.as_secs_f64(),
        ctx.args.webhook_grace.as_millis()
    ));
    let grace_until = Instant::now() + ctx.args.webhook_grace;
    loop {
        let left = grace_until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, receiver.deliveries.recv()).await {
            Ok(Some(delivery)) => take(delivery, &mut out),
            _ => break,
        }
    }
    drop(receiver);
    out.missing = out.submitted - out.delivered_jobs;

    // completed_at of each delivered job, from its status.
    let delivered: Vec<(String, chrono::DateTime<chrono::Utc>, Value)> = jobs
        .into_iter()
        .filter_map(|(job, slot)| slot.map(|(at, event)| (job, at, event)))
        .collect();
    let checked: Vec<Result<(f64, bool), String>> = stream::iter(delivered)
        .map(|(job, received, event)| async move {
            let status = ctx
                .job_status_body(&job)
                .await
                .map_err(|e| format!("status of {job}: {e}"))?;
            let text = status["completed_at"]
                .as_str()
                .ok_or_else(|| format!("job {job} has no completed_at"))?;
            let completed = chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("job {job}: completed_at {text:?}: {e}"))?
                .with_timezone(&chrono::Utc);
            let latency = (received - completed)
                .num_microseconds()
                .unwrap_or(i64::MAX) as f64
                / 1000.0;
            Ok((
                latency,
                event["data"]["completed_at"].as_str() == Some(text),
            ))
        })
        .buffer_unordered(ctx.args.concurrency)
        .collect()
        .await;
    for result in checked {
        match result {
            Ok((latency, same)) => {
                out.latencies_ms.push(latency);
                if !same {
                    out.completed_at_mismatches += 1;
                    out.note("an event's data.completed_at differs from the job status".into());
                }
            }
            Err(message) => {
                out.errors += 1;
                out.note(message);
            }
        }
    }
    out
}

impl PhaseC {
    pub fn table(&self, args: &Args) -> String {
        let c = self;
        let [p50, p90, p99, max] = latency_columns(&c.latencies_ms);
        let mut out = format!(
            "\nPhase C: webhook delivery latency, job completed_at -> receipt ({} jobs submitted {} at a time; ms)\n",
            c.submitted, args.job_concurrency
        );
        out += &format!(
            "{:>5} {:>10} {:>9} {:>10} {:>7} {:>10} {:>7} {:>8} {:>8} {:>8} {:>8}\n",
            "jobs",
            "deliveries",
            "delivered",
            "duplicates",
            "missing",
            "unexpected",
            "badsig",
            "p50",
            "p90",
            "p99",
            "max"
        );
        out += &format!(
            "{:>5} {:>10} {:>9} {:>10} {:>7} {:>10} {:>7} {:>8} {:>8} {:>8} {:>8}\n",
            c.requested,
            c.deliveries,
            c.delivered_jobs,
            c.duplicates,
            c.missing,
            c.unexpected,
            if args.webhook_secret.is_some() {
                c.bad_signatures.to_string()
            } else {
                "-".into()
            },
            p50,
            p90,
            p99,
            max,
        );
        let once = c.submitted == c.requested
            && c.deliveries == c.requested
            && c.delivered_jobs == c.requested
            && c.duplicates == 0
            && c.unexpected == 0;
        out += &format!(
            "deliveries: {} for {} jobs (each exactly once: {}); phase C took {:.1} s from the first extract to the last delivery\n",
            c.deliveries,
            c.requested,
            if once { "yes" } else { "NO" },
            c.wall.as_secs_f64()
        );
        for example in &c.setup_errors {
            out += &format!("  set-up error: {example}\n");
        }
        for example in &c.examples {
            out += &format!("  webhook error: {example}\n");
        }
        out
    }
}
