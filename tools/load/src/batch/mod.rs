//! Phase D: one batch session of `--batch-files` real invoices.
//!
//! Every `*.xml` and `*.pdf` under `--corpus` (recursively, sorted by path)
//! is declared with its name, content type and size, cycling through the
//! corpus until there are N files. So that every file's bytes are distinct
//! (a per-tenant document cache must not serve the copies), each copy after
//! the first pass gets a trailing comment (`<!-- … -->` after an XML
//! document's root element, a `%` comment line after a PDF's `%%EOF`); the
//! first pass sends the corpus files byte for byte.
//!
//! Measured: POST /sessions (N files), the PUTs to the pre-signed URLs
//! (`--upload-concurrency` at a time: wall time and per-PUT latency), PATCH
//! confirm, POST extract (with an `Idempotency-Key`, retried with the same
//! key on a timeout, 5xx or 409 `idempotency_request_in_progress`), extract →
//! terminal wall time (the job's status polled every `--batch-poll-ms`) and
//! files/s, and the final progress counts. Over the same window, from the
//! extract's 202 to the poll that sees the job terminal, the CPU time of each
//! `--cpu-pid NAME=PID` process and of the load tool itself (utime + stime of
//! /proc/PID/stat) tells where the batch's CPU goes. While the batch runs, one
//! single-file job is submitted every `--batch-probe-interval-ms` (at most
//! `--batch-probe-jobs`), each polled every `--poll-ms` until terminal: their
//! submit → terminal latency shows whether small jobs wait behind the batch.
//! Then the result is fetched whole (200 inline, or 303 followed to the
//! pre-signed URL) and paged (`?limit=L`, then `&cursor=<next_cursor>`), and
//! each must hold exactly the N files of the session.
//!
//! Nothing here panics on an unexpected answer: every deviation is recorded
//! as a problem (and counted in the exit status).
//!
//! In the order of the flow: `corpus` (the N files), `upload` (create the
//! session, PUT the files), this file (confirm, extract, wait), `probes`,
//! `watch` (the batch's status), `cpu`, `results` (fetch and check), `report`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use intake_client::Method;
use serde_json::Value;

use crate::api::{snippet, Reply};
use crate::ctx::Ctx;
use crate::report::progress;

pub mod corpus;
pub mod cpu;
mod probes;
mod report;
mod results;
mod upload;
mod watch;

use corpus::{load_corpus, random_hex, BatchFile};
use cpu::{CpuReport, CpuWindow};
use probes::{prepare_probes, run_probes, Probes};
use results::{fetch_results, ResultFetch};
use upload::create_and_upload;
use watch::watch_batch;

/// Extract attempts with the same Idempotency-Key before giving up.
const EXTRACT_ATTEMPTS: usize = 3;

#[derive(Default)]
pub struct PhaseD {
    pub requested: usize,
    pub corpus_dir: String,
    pub corpus_files: usize,
    pub corpus_bytes: usize,
    pub batch_bytes: usize,
    pub session_id: Option<String>,
    pub job_id: Option<String>,
    pub create: Option<Duration>,
    pub upload_wall: Option<Duration>,
    pub upload_latencies_ms: Vec<f64>,
    pub upload_errors: usize,
    pub confirm: Option<Duration>,
    /// Latency of the attempt that got the 202.
    pub extract: Option<Duration>,
    pub extract_attempts: usize,
    /// From sending the first extract request to the first poll that saw a terminal status.
    pub to_terminal: Option<Duration>,
    /// From sending the first extract request to the first poll that saw a finished file.
    pub first_file_done: Option<Duration>,
    /// … and to the first poll that saw every file finished (the job may be decided later).
    pub all_files_done: Option<Duration>,
    pub status: Option<String>,
    pub progress: Value,
    pub status_polls: usize,
    /// CPU time of the watched processes from the extract's 202 to the terminal status.
    pub cpu: Option<CpuReport>,
    pub probes: Probes,
    pub whole: Option<ResultFetch>,
    pub paged: Option<ResultFetch>,
    /// Every deviation from the expected answers; each counts as one problem.
    pub problems: Vec<String>,
    pub wall: Duration,
}

impl PhaseD {
    pub fn files_per_sec(&self) -> Option<f64> {
        self.to_terminal
            .filter(|t| !t.is_zero())
            .map(|t| self.requested as f64 / t.as_secs_f64())
    }

    pub fn problems(&self) -> usize {
        self.problems.len() + self.probes.problems()
    }

    /// A count of the job's last `progress`.
    fn count(&self, key: &str) -> Option<u64> {
        self.progress.get(key).and_then(Value::as_u64)
    }
}

pub async fn phase_d(ctx: &Ctx) -> PhaseD {
    let started = Instant::now();
    let mut out = PhaseD {
        requested: ctx.args.batch_files,
        corpus_dir: ctx.args.corpus.display().to_string(),
        progress: Value::Null,
        ..PhaseD::default()
    };
    if let Err(message) = run(ctx, &mut out).await {
        out.problems.push(message);
    }
    out.wall = started.elapsed();
    out
}

/// The reply of a step that must answer `status`; an error names the step.
fn answered(
    step: &str,
    status: u16,
    (elapsed, reply): (Duration, Result<Reply, String>),
) -> Result<(Duration, Reply), String> {
    let reply = reply.map_err(|e| format!("{step}: {e}"))?;
    if reply.status != status {
        return Err(format!(
            "{step}: HTTP {} after {:.1} s: {}",
            reply.status,
            elapsed.as_secs_f64(),
            snippet(&reply.text)
        ));
    }
    Ok((elapsed, reply))
}

async fn run(ctx: &Ctx, out: &mut PhaseD) -> Result<(), String> {
    if Instant::now() >= ctx.deadline {
        return Err("not started: overall deadline (--max-secs)".into());
    }
    let n = ctx.args.batch_files;
    let sources = load_corpus(&ctx.args.corpus)?;
    out.corpus_dir = std::fs::canonicalize(&ctx.args.corpus)
        .unwrap_or_else(|_| ctx.args.corpus.clone())
        .display()
        .to_string();
    out.corpus_files = sources.len();
    out.corpus_bytes = sources.iter().map(|s| s.bytes.len()).sum();
    let nonce = random_hex();
    let files: Vec<BatchFile> = (0..n)
        .map(|i| BatchFile::new(&sources, i, &nonce))
        .collect();
    out.batch_bytes = files.iter().map(|f| f.size).sum();

    // Probe sessions first (untimed): they must be ready when the batch starts.
    let probe_sessions = prepare_probes(ctx, &nonce, &mut out.probes).await;

    // 1. and 2. Create the session, upload every file.
    let (session, file_ids) = create_and_upload(ctx, &files, &sources, out).await?;

    // 3. Confirm.
    progress("phase D: confirming the session");
    let (elapsed, _) = answered(
        "PATCH confirm",
        200,
        ctx.api
            .call(Method::PATCH, &format!("/sessions/{session}/confirm"), None)
            .await,
    )?;
    out.confirm = Some(elapsed);

    // 4. Extract, with one Idempotency-Key for every attempt.
    let key = format!("intake-load-batch-{nonce}");
    let extract_started = Instant::now();
    let job = loop {
        out.extract_attempts += 1;
        let attempt = out.extract_attempts;
        progress(&format!("phase D: POST extract (attempt {attempt})"));
        let (elapsed, reply) = ctx
            .api
            .call_with(
                Method::POST,
                &format!("/sessions/{session}/extract"),
                None,
                &[("idempotency-key", key.as_str())],
            )
            .await;
        let retry = match reply {
            Ok(reply) if reply.status == 202 => {
                out.extract = Some(elapsed);
                break reply.body["job_id"]
                    .as_str()
                    .ok_or("POST extract: no job_id in the 202")?
                    .to_owned();
            }
            Ok(reply) => {
                let message = format!(
                    "POST extract attempt {attempt}: HTTP {} after {:.1} s: {}",
                    reply.status,
                    elapsed.as_secs_f64(),
                    snippet(&reply.text)
                );
                let again =
                    reply.status >= 500 || reply.body["code"] == "idempotency_request_in_progress";
                (again, message)
            }
            Err(e) => (
                true,
                format!(
                    "POST extract attempt {attempt}: {e} after {:.1} s",
                    elapsed.as_secs_f64()
                ),
            ),
        };
        let (again, message) = retry;
        progress(&message);
        if !again || attempt >= EXTRACT_ATTEMPTS || Instant::now() >= ctx.deadline {
            return Err(message);
        }
        // The first request did not get its answer: that is a problem even if a retry does.
        out.problems.push(message);
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // The CPU window starts as the job is accepted and ends when it is seen terminal.
    let cpu = CpuWindow::start(&ctx.args.cpu_pids);
    out.job_id = Some(job.clone());
    progress(&format!(
        "phase D: job {job} accepted after {:.2} s; polling its status every {} ms, {} probe jobs every {} ms",
        extract_started.elapsed().as_secs_f64(),
        ctx.args.batch_poll.as_millis(),
        out.probes.prepared,
        ctx.args.batch_probe_interval.as_millis()
    ));

    // 5. Wait for the batch; single-file probes run meanwhile.
    let batch_done = AtomicBool::new(false);
    let mut probes = std::mem::take(&mut out.probes);
    let watch = async {
        let result = watch_batch(ctx, &job, extract_started, n).await;
        let cpu = cpu.finish(n);
        batch_done.store(true, Ordering::Release);
        (result, cpu)
    };
    let (((watched, watch_error), cpu), ()) = tokio::join!(
        watch,
        run_probes(ctx, probe_sessions, &batch_done, &mut probes)
    );
    out.probes = probes;
    out.cpu = Some(cpu);
    out.status = watched.status;
    out.progress = watched.progress;
    out.status_polls = watched.polls;
    out.first_file_done = watched.first_file_done;
    out.all_files_done = watched.all_files_done;
    out.to_terminal = watched.terminal;
    if let Some(message) = watch_error {
        return Err(message);
    }
    match (
        out.count("total"),
        out.count("succeeded"),
        out.count("failed"),
    ) {
        (Some(total), Some(succeeded), Some(failed)) => {
            if total as usize != n {
                out.problems
                    .push(format!("progress.total is {total} for {n} files"));
            }
            if (succeeded + failed) as usize != n {
                out.problems.push(format!(
                    "terminal job, but progress counts {succeeded} succeeded + {failed} failed for {n} files"
                ));
            }
        }
        _ => out.problems.push(format!(
            "the status has no progress total/succeeded/failed: {}",
            snippet(&out.progress.to_string())
        )),
    }

    // 6. The result, whole then paged.
    fetch_results(ctx, &job, &file_ids, sources.len(), out).await;
    Ok(())
}
