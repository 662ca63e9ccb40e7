//! `intake-load`: a bounded load generator for the invoice-intake API.
//!
//! Phase A measures the latency of each API route under `--concurrency`
//! concurrent clients (`--requests` requests per route); phase B measures
//! submit→completed latency of `--jobs` single-file jobs (POST /extract until
//! polling of /jobs/{id}/status first sees a terminal status), run
//! `--job-concurrency` at a time; phase C measures webhook delivery latency:
//! the tool runs its own HTTP receiver on 127.0.0.1, submits `--webhook-jobs`
//! single-file jobs whose session has `webhook_url` = that receiver, and
//! measures for each job the time from its `completed_at` (GET
//! /jobs/{id}/status) to the receipt of its `job.completed` event (matched by
//! the body's `data.job_id`); every job must be delivered exactly once (the
//! runner must allow loopback webhooks: INTAKE_ALLOW_LOOPBACK_WEBHOOKS=1).
//! With `--webhook-secret` the Standard Webhooks signature of every delivery
//! is checked too. Phase D (see `batch.rs`) submits one session of
//! `--batch-files` real invoices from `--corpus` and measures create,
//! upload, confirm, extract, extract→terminal (files/s), the latency of
//! single-file jobs submitted while the batch runs, and the fetch of its
//! result (whole and paged); with `--runner-pid` the runner's peak RSS
//! (VmHWM) is reported too. Everything is bounded: per-request timeout,
//! per-job timeout, and an overall deadline (`--max-secs`) after which no new
//! work starts.
//!
//! Only loopback addresses are ever contacted: `--url` and every pre-signed
//! upload URL the API returns must point at 127.0.0.1 / localhost / ::1.
//!
//! Output: a table on stdout; with `--json` the table goes to stderr and one
//! JSON line goes to stdout. Exit status: 0 when every request got its
//! expected answer, 3 when some did not (numbers are printed anyway), 2 on bad
//! usage, 1 when the run could not start.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod batch;
mod receiver;

use futures::stream::{self, StreamExt};
use reqwest::{Method, Url};
use serde_json::{json, Value};

const USAGE: &str =
    "usage: intake-load --url http://127.0.0.1:PORT --api-key KEY --invoice PATH [options]
  --concurrency C        concurrent clients in phase A (default 16)
  --requests N           requests per route in phase A (default 500; 0 skips phase A)
  --jobs J               jobs in phase B (default 100; 0 skips phase B)
  --job-concurrency K    jobs in flight in phase B (default 8)
  --poll-ms MS           status polling interval in phase B (default 20)
  --job-timeout-secs S   a job not terminal after S seconds counts as a timeout (default 60)
  --drain-secs S         phase A: longest wait for its jobs to finish before /result (default 180)
  --request-timeout-secs S  per-request timeout (default 30)
  --webhook-jobs J       jobs in phase C, webhook delivery latency (default 50; 0 skips phase C)
  --webhook-secret S     phase C: check every delivery's webhook-signature with this whsec_ secret
  --webhook-wait-secs S  phase C: longest wait for all deliveries (default 120)
  --webhook-grace-ms MS  phase C: wait after the last expected delivery, to catch duplicates (default 2000)
  --batch-files N        phase D: files in the one batch session (default 2000; 0 skips phase D)
  --corpus DIR           phase D: invoices to send, every *.xml and *.pdf under DIR, cycled to reach N
                         (default <repo>/../shared/corpus)
  --upload-concurrency U phase D: parallel PUTs to the pre-signed URLs (default 16)
  --batch-poll-ms MS     phase D: status polling interval of the batch job (default 200)
  --batch-timeout-secs S phase D: longest wait from extract to the batch's terminal status (default 300)
  --batch-probe-jobs P   phase D: single-file jobs submitted while the batch runs (default 40; 0: none)
  --batch-probe-interval-ms MS  phase D: one new probe job every MS (default 250)
  --batch-page-limit L   phase D: `limit` of the paged GET /jobs/{id}/result (default 1000)
  --runner-pid PID       report the runner's peak RSS (VmHWM of /proc/PID/status) before and after phase D
  --max-secs S           overall deadline; no new work starts after it (default 420)
  --json                 one JSON line on stdout (the table goes to stderr)";

#[derive(Debug, Clone)]
struct Args {
    url: String,
    api_key: String,
    invoice: PathBuf,
    concurrency: usize,
    requests: usize,
    jobs: usize,
    job_concurrency: usize,
    poll: Duration,
    job_timeout: Duration,
    drain: Duration,
    request_timeout: Duration,
    max: Duration,
    webhook_jobs: usize,
    webhook_secret: Option<String>,
    webhook_wait: Duration,
    webhook_grace: Duration,
    batch_files: usize,
    corpus: PathBuf,
    upload_concurrency: usize,
    batch_poll: Duration,
    batch_timeout: Duration,
    batch_probe_jobs: usize,
    batch_probe_interval: Duration,
    batch_page_limit: usize,
    runner_pid: Option<u32>,
    json: bool,
}

/// `<repo>/../shared/corpus`, the repository being `tools/load/../..`.
const DEFAULT_CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut api_key = None;
    let mut invoice = None;
    let mut args = Args {
        url: String::new(),
        api_key: String::new(),
        invoice: PathBuf::new(),
        concurrency: 16,
        requests: 500,
        jobs: 100,
        job_concurrency: 8,
        poll: Duration::from_millis(20),
        job_timeout: Duration::from_secs(60),
        drain: Duration::from_secs(180),
        request_timeout: Duration::from_secs(30),
        max: Duration::from_secs(420),
        webhook_jobs: 50,
        webhook_secret: None,
        webhook_wait: Duration::from_secs(120),
        webhook_grace: Duration::from_millis(2000),
        batch_files: 2000,
        corpus: PathBuf::from(DEFAULT_CORPUS),
        upload_concurrency: 16,
        batch_poll: Duration::from_millis(200),
        batch_timeout: Duration::from_secs(300),
        batch_probe_jobs: 40,
        batch_probe_interval: Duration::from_millis(250),
        batch_page_limit: 1000,
        runner_pid: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {text}"))
        };
        match flag.as_str() {
            "--url" => url = Some(value("--url")?),
            "--api-key" => api_key = Some(value("--api-key")?),
            "--invoice" => invoice = Some(PathBuf::from(value("--invoice")?)),
            "--concurrency" => args.concurrency = number(&flag, value(&flag)?)? as usize,
            "--requests" => args.requests = number(&flag, value(&flag)?)? as usize,
            "--jobs" => args.jobs = number(&flag, value(&flag)?)? as usize,
            "--job-concurrency" => args.job_concurrency = number(&flag, value(&flag)?)? as usize,
            "--poll-ms" => args.poll = Duration::from_millis(number(&flag, value(&flag)?)?),
            "--job-timeout-secs" => {
                args.job_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--drain-secs" => args.drain = Duration::from_secs(number(&flag, value(&flag)?)?),
            "--request-timeout-secs" => {
                args.request_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--max-secs" => args.max = Duration::from_secs(number(&flag, value(&flag)?)?),
            "--webhook-jobs" => args.webhook_jobs = number(&flag, value(&flag)?)? as usize,
            "--webhook-secret" => args.webhook_secret = Some(value(&flag)?),
            "--webhook-wait-secs" => {
                args.webhook_wait = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--webhook-grace-ms" => {
                args.webhook_grace = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-files" => args.batch_files = number(&flag, value(&flag)?)? as usize,
            "--corpus" => args.corpus = PathBuf::from(value(&flag)?),
            "--upload-concurrency" => {
                args.upload_concurrency = number(&flag, value(&flag)?)? as usize
            }
            "--batch-poll-ms" => {
                args.batch_poll = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-timeout-secs" => {
                args.batch_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--batch-probe-jobs" => args.batch_probe_jobs = number(&flag, value(&flag)?)? as usize,
            "--batch-probe-interval-ms" => {
                args.batch_probe_interval = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-page-limit" => args.batch_page_limit = number(&flag, value(&flag)?)? as usize,
            "--runner-pid" => {
                let pid = number(&flag, value(&flag)?)?;
                args.runner_pid =
                    Some(u32::try_from(pid).map_err(|_| format!("{flag}: out of range: {pid}"))?);
            }
            "--json" => args.json = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.url = url
        .ok_or("--url is required")?
        .trim_end_matches('/')
        .to_owned();
    args.api_key = api_key.ok_or("--api-key is required")?;
    args.invoice = invoice.ok_or("--invoice is required")?;
    if args.concurrency == 0 || args.job_concurrency == 0 || args.upload_concurrency == 0 {
        return Err("concurrencies must be at least 1".into());
    }
    if args.poll.is_zero() || args.batch_poll.is_zero() {
        return Err("--poll-ms and --batch-poll-ms must be at least 1".into());
    }
    if args.batch_probe_jobs > 0 && args.batch_probe_interval.is_zero() {
        return Err("--batch-probe-interval-ms must be at least 1".into());
    }
    if !(1..=1000).contains(&args.batch_page_limit) {
        return Err("--batch-page-limit must be 1 to 1000 (the contract's range)".into());
    }
    let parsed = Url::parse(&args.url).map_err(|e| format!("--url: {e}"))?;
    if !is_loopback(&parsed) {
        return Err(format!(
            "--url must point at a loopback address, not {}",
            args.url
        ));
    }
    Ok(args)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

// ----------------------------------------------------------------- HTTP

/// A response, read whole, with the time from sending to the last body byte.
struct Reply {
    status: u16,
    location: Option<String>,
    body: Value,
    text: String,
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (Duration, Result<Reply, String>) {
        self.call_with(method, path, body, &[]).await
    }

    /// `call` with extra request headers.
    async fn call_with(
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
    async fn get_url(&self, url: &str) -> (Duration, Result<Reply, String>) {
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
    async fn upload(&self, file: &Value, bytes: &[u8]) -> (Duration, Result<u16, String>) {
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

fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}

// ----------------------------------------------------------------- statistics

#[derive(Default)]
struct RouteStats {
    route: String,
    count: usize,
    errors: usize,
    skipped: usize,
    latencies_ms: Vec<f64>,
    wall: Duration,
    examples: Vec<String>,
}

struct Summary {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest-rank percentile.
    let pick = |p: f64| {
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    };
    Some(Summary {
        p50: pick(0.50),
        p90: pick(0.90),
        p99: pick(0.99),
        max: *sorted.last().unwrap_or(&0.0),
        mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
    })
}

impl RouteStats {
    fn throughput(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.count as f64 / secs
        } else {
            0.0
        }
    }

    fn note_error(&mut self, message: String) {
        self.errors += 1;
        if self.examples.len() < 3 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }

    fn to_json(&self) -> Value {
        let s = summarize(&self.latencies_ms);
        let f = |pick: fn(&Summary) -> f64| s.as_ref().map(|s| round(pick(s)));
        json!({
            "route": self.route,
            "count": self.count,
            "errors": self.errors,
            "skipped": self.skipped,
            "wall_s": round(self.wall.as_secs_f64()),
            "rps": round(self.throughput()),
            "p50_ms": f(|s| s.p50),
            "p90_ms": f(|s| s.p90),
            "p99_ms": f(|s| s.p99),
            "max_ms": f(|s| s.max),
            "mean_ms": f(|s| s.mean),
            "error_examples": self.examples,
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What one timed operation produced.
struct Outcome<O> {
    /// Time to a complete response; None when no response came (transport error).
    elapsed: Option<Duration>,
    /// Ok(output) when the answer was the expected one.
    result: Result<O, String>,
}

/// Runs `op` on every input, `concurrency` at a time, and records the
/// latency of each call under `route`. Inputs not started before the deadline
/// are counted as skipped.
async fn measure<I, O, F, Fut>(
    route: &str,
    inputs: Vec<I>,
    concurrency: usize,
    deadline: Instant,
    op: F,
) -> (RouteStats, Vec<O>)
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Outcome<O>>,
{
    let started = Instant::now();
    let op = &op;
    let outcomes: Vec<Option<Outcome<O>>> = stream::iter(inputs)
        .map(|input| async move {
            if Instant::now() >= deadline {
                None
            } else {
                Some(op(input).await)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut stats = RouteStats {
        route: route.to_owned(),
        wall: started.elapsed(),
        ..RouteStats::default()
    };
    let mut outputs = Vec::new();
    for outcome in outcomes {
        let Some(outcome) = outcome else {
            stats.skipped += 1;
            continue;
        };
        stats.count += 1;
        if let Some(elapsed) = outcome.elapsed {
            stats.latencies_ms.push(elapsed.as_secs_f64() * 1000.0);
        }
        match outcome.result {
            Ok(output) => outputs.push(output),
            Err(message) => stats.note_error(message),
        }
    }
    (stats, outputs)
}

/// Turns a reply into an outcome: the status must be one of `expected`.
fn expect<O>(
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

fn is_terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "partially_failed" | "failed")
}

// ----------------------------------------------------------------- the phases

struct Ctx {
    api: Api,
    args: Args,
    invoice: Vec<u8>,
    deadline: Instant,
}

impl Ctx {
    fn session_body(&self, webhook_url: Option<&str>) -> Value {
        let mut body = json!({"files": [{"name": "invoice.xml", "content_type": "application/xml", "size": self.invoice.len()}]});
        if let Some(url) = webhook_url {
            body["webhook_url"] = json!(url);
        }
        body
    }

    async fn create_session(&self) -> Outcome<(String, Value)> {
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

    async fn upload(&self, session: (String, Value)) -> Outcome<String> {
        let (elapsed, result) = self.api.upload(&session.1, &self.invoice).await;
        Outcome {
            elapsed: result.is_ok().then_some(elapsed),
            result: result.map(|_| session.0),
        }
    }

    async fn confirm(&self, id: String) -> Outcome<String> {
        expect(
            self.api
                .call(Method::PATCH, &format!("/sessions/{id}/confirm"), None)
                .await,
            &[200],
            |_| Ok(id.clone()),
        )
    }

    async fn extract(&self, id: &str) -> Outcome<String> {
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
    async fn get_ok(&self, path: &str) -> Outcome<()> {
        expect(self.api.call(Method::GET, path, None).await, &[200], |_| {
            Ok(())
        })
    }

    /// Session created, uploaded and confirmed (untimed set-up).
    async fn confirmed_session(&self) -> Result<String, String> {
        self.confirmed_session_with(None).await
    }

    async fn confirmed_session_with(&self, webhook_url: Option<&str>) -> Result<String, String> {
        let created = self.create_session_with(webhook_url).await.result?;
        let id = self.upload(created).await.result?;
        self.confirm(id).await.result
    }

    async fn job_status(&self, job: &str) -> Result<String, String> {
        let body = self.job_status_body(job).await?;
        Ok(body["status"].as_str().unwrap_or_default().to_owned())
    }

    /// The job's status object (200 only).
    async fn job_status_body(&self, job: &str) -> Result<Value, String> {
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

struct PhaseA {
    routes: Vec<RouteStats>,
    jobs_total: usize,
    jobs_finished: usize,
    drain_wait: Duration,
    wall: Duration,
}

async fn phase_a(ctx: &Ctx) -> PhaseA {
    let n = ctx.args.requests;
    let c = ctx.args.concurrency;
    let started = Instant::now();
    let mut routes = Vec::new();
    progress(&format!(
        "phase A: {n} requests per route, {c} concurrent clients"
    ));

    let (stats, sessions) = measure("POST /sessions", vec![(); n], c, ctx.deadline, |_| {
        ctx.create_session()
    })
    .await;
    routes.push(stats);

    let (stats, uploaded) = measure("PUT upload (S3, not API)", sessions, c, ctx.deadline, |s| {
        ctx.upload(s)
    })
    .await;
    routes.push(stats);

    let (stats, confirmed) = measure(
        "PATCH /sessions/{id}/confirm",
        uploaded,
        c,
        ctx.deadline,
        |id| ctx.confirm(id),
    )
    .await;
    routes.push(stats);

    let (stats, _) = measure(
        "GET /sessions/{id}",
        confirmed.clone(),
        c,
        ctx.deadline,
        |id| async move { ctx.get_ok(&format!("/sessions/{id}")).await },
    )
    .await;
    routes.push(stats);

    let (stats, jobs) = measure(
        "POST /sessions/{id}/extract",
        confirmed,
        c,
        ctx.deadline,
        |id| async move { ctx.extract(&id).await },
    )
    .await;
    routes.push(stats);

    // Measured while the worker is busy with the jobs just submitted.
    let (stats, _) = measure(
        "GET /jobs/{id}/status",
        jobs.clone(),
        c,
        ctx.deadline,
        |job| async move { ctx.get_ok(&format!("/jobs/{job}/status")).await },
    )
    .await;
    routes.push(stats);

    // Wait (untimed, bounded) for the jobs to finish before asking for results.
    let drain_started = Instant::now();
    let drain_deadline = (drain_started + ctx.args.drain).min(ctx.deadline);
    let mut pending = jobs.clone();
    let mut finished = Vec::new();
    progress(&format!(
        "phase A: waiting for {} jobs to finish",
        pending.len()
    ));
    while !pending.is_empty() && Instant::now() < drain_deadline {
        let checked: Vec<(String, bool)> = stream::iter(pending)
            .map(|job| async move {
                let done = matches!(ctx.job_status(&job).await, Ok(s) if is_terminal(&s));
                (job, done)
            })
            .buffer_unordered(c.min(4))
            .collect()
            .await;
        pending = Vec::new();
        for (job, done) in checked {
            if done {
                finished.push(job);
            } else {
                pending.push(job);
            }
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let drain_wait = drain_started.elapsed();
    progress(&format!(
        "phase A: {} of {} jobs finished after {:.1} s",
        finished.len(),
        jobs.len(),
        drain_wait.as_secs_f64()
    ));

    let (stats, _) = measure(
        "GET /jobs/{id}/result",
        finished.clone(),
        c,
        ctx.deadline,
        |job| async move {
            expect(
                ctx.api
                    .call(Method::GET, &format!("/jobs/{job}/result"), None)
                    .await,
                &[200, 303],
                |reply| {
                    if reply.status == 303 && reply.location.is_none() {
                        Err("303 without Location".into())
                    } else {
                        Ok(())
                    }
                },
            )
        },
    )
    .await;
    routes.push(stats);

    PhaseA {
        routes,
        jobs_total: jobs.len(),
        jobs_finished: finished.len(),
        drain_wait,
        wall: started.elapsed(),
    }
}

#[derive(Default)]
struct PhaseB {
    requested: usize,
    prepared: usize,
    setup_errors: Vec<String>,
    latencies_ms: Vec<f64>,
    succeeded: usize,
    partially_failed: usize,
    failed: usize,
    timeouts: usize,
    errors: usize,
    examples: Vec<String>,
    polls: usize,
    wall: Duration,
}

enum JobEnd {
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

async fn run_job(ctx: &Ctx, session: String) -> JobEnd {
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
        // Every `poll` from the previous poll's start (not after its answer).
        next += ctx.args.poll;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        } else {
            next = now;
        }
    }
}

async fn phase_b(ctx: &Ctx) -> PhaseB {
    let j = ctx.args.jobs;
    let mut out = PhaseB {
        requested: j,
        ..PhaseB::default()
    };
    progress(&format!(
        "phase B: preparing {j} confirmed single-file sessions"
    ));
    let prepared: Vec<Result<String, String>> = stream::iter(0..j)
        .map(|_| ctx.confirmed_session())
        .buffer_unordered(ctx.args.concurrency)
        .collect()
        .await;
    let mut sessions = Vec::new();
    for result in prepared {
        match result {
            Ok(id) => sessions.push(id),
            Err(message) => {
                if out.setup_errors.len() < 3 {
                    out.setup_errors.push(message);
                }
            }
        }
    }
    out.prepared = sessions.len();
    progress(&format!(
        "phase B: {} jobs, {} in flight, polling every {} ms",
        sessions.len(),
        ctx.args.job_concurrency,
        ctx.args.poll.as_millis()
    ));
    let started = Instant::now();
    let ends: Vec<Option<JobEnd>> = stream::iter(sessions)
        .map(|session| async move {
            if Instant::now() >= ctx.deadline {
                None
            } else {
                Some(run_job(ctx, session).await)
            }
        })
        .buffer_unordered(ctx.args.job_concurrency)
        .collect()
        .await;
    out.wall = started.elapsed();
    for end in ends {
        match end {
            None => {
                out.errors += 1;
                if out.examples.len() < 3 {
                    out.examples.push("not started: overall deadline".into());
                }
            }
            Some(JobEnd::Terminal {
                status,
                elapsed,
                polls,
            }) => {
                out.polls += polls;
                out.latencies_ms.push(elapsed.as_secs_f64() * 1000.0);
                match status.as_str() {
                    "succeeded" => out.succeeded += 1,
                    "partially_failed" => out.partially_failed += 1,
                    _ => out.failed += 1,
                }
            }
            Some(JobEnd::Timeout { polls }) => {
                out.polls += polls;
                out.timeouts += 1;
            }
            Some(JobEnd::Error(message)) => {
                out.errors += 1;
                if out.examples.len() < 3 && !out.examples.contains(&message) {
                    out.examples.push(message);
                }
            }
        }
    }
    out
}

impl PhaseB {
    fn completed(&self) -> usize {
        self.latencies_ms.len()
    }
    fn jobs_per_sec(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.completed() as f64 / secs
        } else {
            0.0
        }
    }
    fn problems(&self) -> usize {
        self.errors
            + self.timeouts
            + self.failed
            + self.partially_failed
            + (self.requested - self.prepared)
    }
    fn to_json(&self) -> Value {
        let s = summarize(&self.latencies_ms);
        let f = |pick: fn(&Summary) -> f64| s.as_ref().map(|s| round(pick(s)));
        json!({
            "jobs": self.requested,
            "prepared": self.prepared,
            "completed": self.completed(),
            "succeeded": self.succeeded,
            "partially_failed": self.partially_failed,
            "failed": self.failed,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "wall_s": round(self.wall.as_secs_f64()),
            "jobs_per_s": round(self.jobs_per_sec()),
            "status_polls": self.polls,
            "p50_ms": f(|s| s.p50),
            "p90_ms": f(|s| s.p90),
            "p99_ms": f(|s| s.p99),
            "max_ms": f(|s| s.max),
            "mean_ms": f(|s| s.mean),
            "setup_errors": self.setup_errors,
            "error_examples": self.examples,
        })
    }
}

// ----------------------------------------------------------------- phase C

#[derive(Default)]
struct PhaseC {
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

    fn problems(&self) -> usize {
        (self.requested - self.prepared)
            + (self.prepared - self.submitted)
            + self.duplicates
            + self.missing
            + self.unexpected
            + self.bad_signatures
            + self.completed_at_mismatches
            + self.errors
    }

    fn to_json(&self) -> Value {
        let s = summarize(&self.latencies_ms);
        let f = |pick: fn(&Summary) -> f64| s.as_ref().map(|s| round(pick(s)));
        json!({
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
            "p50_ms": f(|s| s.p50),
            "p90_ms": f(|s| s.p90),
            "p99_ms": f(|s| s.p99),
            "max_ms": f(|s| s.max),
            "mean_ms": f(|s| s.mean),
            "setup_errors": self.setup_errors,
            "error_examples": self.examples,
        })
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

async fn phase_c(ctx: &Ctx) -> PhaseC {
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
    let prepared: Vec<Result<String, String>> = stream::iter(0..j)
        .map(|_| ctx.confirmed_session_with(Some(&hook_url)))
        .buffer_unordered(ctx.args.concurrency)
        .collect()
        .await;
    let mut sessions = Vec::new();
    for result in prepared {
        match result {
            Ok(id) => sessions.push(id),
            Err(message) => {
                if out.setup_errors.len() < 3 {
                    out.setup_errors.push(message);
                }
            }
        }
    }
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

// ----------------------------------------------------------------- output

fn progress(message: &str) {
    eprintln!("[load] {message}");
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn table(args: &Args, a: Option<&PhaseA>, b: Option<&PhaseB>, c: Option<&PhaseC>) -> String {
    let mut out = String::new();
    if let Some(a) = a {
        out += &format!(
            "\nPhase A: API latency per route ({} concurrent clients, {} requests per route; ms)\n",
            args.concurrency, args.requests
        );
        out += &format!(
            "{:<30} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            "route", "count", "errors", "req/s", "p50", "p90", "p99", "max"
        );
        for r in &a.routes {
            let s = summarize(&r.latencies_ms);
            out += &format!(
                "{:<30} {:>6} {:>6} {:>8.1} {:>8} {:>8} {:>8} {:>8}{}\n",
                r.route,
                r.count,
                r.errors,
                r.throughput(),
                ms(s.as_ref().map(|s| s.p50)),
                ms(s.as_ref().map(|s| s.p90)),
                ms(s.as_ref().map(|s| s.p99)),
                ms(s.as_ref().map(|s| s.max)),
                if r.skipped > 0 {
                    format!("  ({} skipped: deadline)", r.skipped)
                } else {
                    String::new()
                }
            );
        }
        out += &format!(
            "jobs submitted in phase A: {}, finished before /result: {} (waited {:.1} s); phase A took {:.1} s\n",
            a.jobs_total,
            a.jobs_finished,
            a.drain_wait.as_secs_f64(),
            a.wall.as_secs_f64()
        );
        for r in &a.routes {
            for example in &r.examples {
                out += &format!("  error on {}: {example}\n", r.route);
            }
        }
    }
    if let Some(b) = b {
        let s = summarize(&b.latencies_ms);
        out += &format!(
            "\nPhase B: submit->completed latency, single-file jobs ({} in flight, status polled every {} ms; ms)\n",
            args.job_concurrency,
            args.poll.as_millis()
        );
        out += &format!(
            "{:>5} {:>9} {:>9} {:>7} {:>7} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            "jobs",
            "completed",
            "succeeded",
            "partial",
            "failed",
            "timeouts",
            "errors",
            "jobs/s",
            "p50",
            "p90",
            "p99",
            "max"
        );
        out += &format!(
            "{:>5} {:>9} {:>9} {:>7} {:>7} {:>8} {:>6} {:>8.2} {:>8} {:>8} {:>8} {:>8}\n",
            b.requested,
            b.completed(),
            b.succeeded,
            b.partially_failed,
            b.failed,
            b.timeouts,
            b.errors,
            b.jobs_per_sec(),
            ms(s.as_ref().map(|s| s.p50)),
            ms(s.as_ref().map(|s| s.p90)),
            ms(s.as_ref().map(|s| s.p99)),
            ms(s.as_ref().map(|s| s.max)),
        );
        out += &format!(
            "phase B took {:.1} s ({} status polls)\n",
            b.wall.as_secs_f64(),
            b.polls
        );
        for example in &b.setup_errors {
            out += &format!("  set-up error: {example}\n");
        }
        for example in &b.examples {
            out += &format!("  job error: {example}\n");
        }
    }
    if let Some(c) = c {
        let s = summarize(&c.latencies_ms);
        out += &format!(
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
            ms(s.as_ref().map(|s| s.p50)),
            ms(s.as_ref().map(|s| s.p90)),
            ms(s.as_ref().map(|s| s.p99)),
            ms(s.as_ref().map(|s| s.max)),
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
    }
    out
}

// ----------------------------------------------------------------- runner memory

/// The runner's VmHWM / VmRSS (KiB) before phase D and at the end (`--runner-pid`).
#[derive(Default)]
struct RunnerMemory {
    before_d: Option<(u64, u64)>,
    end: Option<(u64, u64)>,
    error: Option<String>,
}

impl RunnerMemory {
    fn read(&mut self, pid: Option<u32>) -> Option<(u64, u64)> {
        match batch::runner_memory(pid?) {
            Ok(memory) => Some(memory),
            Err(message) => {
                self.error.get_or_insert(message);
                None
            }
        }
    }

    fn to_json(&self, pid: u32) -> Value {
        json!({
            "pid": pid,
            "peak_rss_kib": self.end.map(|m| m.0),
            "rss_kib": self.end.map(|m| m.1),
            "peak_rss_kib_before_phase_d": self.before_d.map(|m| m.0),
            "rss_kib_before_phase_d": self.before_d.map(|m| m.1),
            "error": self.error,
        })
    }

    fn table(&self, pid: u32) -> String {
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        let mut out = format!("\nRunner (pid {pid}) memory: ");
        match self.end {
            Some((hwm, rss)) => {
                out += &format!("peak RSS (VmHWM) {} at the end, RSS {}", mib(hwm), mib(rss));
                if let Some((hwm_d, rss_d)) = self.before_d {
                    out += &format!("; before phase D: peak {}, RSS {}", mib(hwm_d), mib(rss_d));
                }
                out += "\n";
            }
            None => {
                out += &format!(
                    "unknown ({})\n",
                    self.error.as_deref().unwrap_or("not read")
                )
            }
        }
        out
    }
}

// ----------------------------------------------------------------- main

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("intake-load: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let invoice = match std::fs::read(&args.invoice) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!(
                "intake-load: cannot read {}: {error}",
                args.invoice.display()
            );
            return ExitCode::from(1);
        }
    };
    let http = match reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(args.request_timeout)
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(
            args.concurrency
                .max(args.job_concurrency)
                .max(args.upload_concurrency)
                * 2,
        )
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            eprintln!("intake-load: cannot build the HTTP client: {error}");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    let ctx = Ctx {
        api: Api {
            http,
            base: args.url.clone(),
            key: args.api_key.clone(),
        },
        args: args.clone(),
        invoice,
        deadline: started + args.max,
    };

    // The API must answer and accept the key before anything is measured.
    match ctx
        .api
        .call(Method::GET, "/sessions/ses_doesnotexist", None)
        .await
    {
        (_, Ok(reply)) if reply.status == 401 => {
            eprintln!("intake-load: the API rejects the key (401)");
            return ExitCode::from(1);
        }
        (_, Ok(_)) => {}
        (_, Err(message)) => {
            eprintln!(
                "intake-load: the API at {} does not answer: {message}",
                args.url
            );
            return ExitCode::from(1);
        }
    }

    let a = if args.requests > 0 {
        Some(phase_a(&ctx).await)
    } else {
        None
    };
    let b = if args.jobs > 0 {
        Some(phase_b(&ctx).await)
    } else {
        None
    };

    let c = if args.webhook_jobs > 0 {
        Some(phase_c(&ctx).await)
    } else {
        None
    };

    let mut runner = RunnerMemory::default();
    if args.batch_files > 0 {
        runner.before_d = runner.read(args.runner_pid);
    }
    let d = if args.batch_files > 0 {
        Some(batch::phase_d(&ctx).await)
    } else {
        None
    };
    runner.end = runner.read(args.runner_pid);

    let mut text = table(&args, a.as_ref(), b.as_ref(), c.as_ref());
    if let Some(d) = &d {
        text += &d.table(args.upload_concurrency, args.batch_page_limit);
    }
    if let Some(pid) = args.runner_pid {
        text += &runner.table(pid);
    }
    let problems = a.as_ref().map_or(0, |a| {
        a.routes.iter().map(|r| r.errors + r.skipped).sum::<usize>()
            + (a.jobs_total - a.jobs_finished)
    }) + b.as_ref().map_or(0, PhaseB::problems)
        + c.as_ref().map_or(0, PhaseC::problems)
        + d.as_ref().map_or(0, batch::PhaseD::problems);
    if args.json {
        eprint!("{text}");
        let line = json!({
            "config": {
                "url": args.url,
                "concurrency": args.concurrency,
                "requests_per_route": args.requests,
                "jobs": args.jobs,
                "job_concurrency": args.job_concurrency,
                "poll_ms": args.poll.as_millis() as u64,
                "webhook_jobs": args.webhook_jobs,
                "webhook_signatures_checked": args.webhook_secret.is_some(),
                "invoice_bytes": ctx.invoice.len(),
                "batch_files": args.batch_files,
                "corpus": args.corpus.display().to_string(),
                "upload_concurrency": args.upload_concurrency,
                "batch_poll_ms": args.batch_poll.as_millis() as u64,
                "batch_probe_jobs": args.batch_probe_jobs,
                "batch_probe_interval_ms": args.batch_probe_interval.as_millis() as u64,
                "batch_page_limit": args.batch_page_limit,
            },
            "phase_a": a.as_ref().map(|a| json!({
                "routes": a.routes.iter().map(RouteStats::to_json).collect::<Vec<_>>(),
                "jobs_submitted": a.jobs_total,
                "jobs_finished": a.jobs_finished,
                "drain_wait_s": round(a.drain_wait.as_secs_f64()),
                "wall_s": round(a.wall.as_secs_f64()),
            })),
            "phase_b": b.as_ref().map(PhaseB::to_json),
            "phase_c": c.as_ref().map(PhaseC::to_json),
            "phase_d": d.as_ref().map(batch::PhaseD::to_json),
            "runner": args.runner_pid.map(|pid| runner.to_json(pid)),
            "total_s": round(started.elapsed().as_secs_f64()),
            "problems": problems,
        });
        println!("{line}");
    } else {
        print!("{text}");
        println!("total {:.1} s", started.elapsed().as_secs_f64());
    }
    if problems > 0 {
        eprintln!("intake-load: {problems} requests/jobs did not get the expected answer");
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}
