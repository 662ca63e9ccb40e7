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
//! is checked too. Phase D (see `batch/`) submits one session of
//! `--batch-files` real invoices from `--corpus` and measures create,
//! upload, confirm, extract, extract→terminal (files/s), the latency of
//! single-file jobs submitted while the batch runs, and the fetch of its
//! result (whole and paged); with `--cpu-pid NAME=PID` (repeatable) it
//! reports the CPU time of those processes, and always of its own, over the
//! extract→terminal window, to tell where the batch's CPU goes. With
//! `--runner-pid` the runner's peak RSS (VmHWM) is reported too. Everything
//! is bounded: per-request timeout, per-job timeout, and an overall deadline
//! (`--max-secs`) after which no new work starts.
//!
//! Only loopback addresses are ever contacted: `--url` and every pre-signed
//! upload URL the API returns must point at 127.0.0.1 / localhost / ::1.
//!
//! Output: a table on stdout; with `--json` the table goes to stderr and one
//! JSON line goes to stdout. Exit status: 0 when every request got its
//! expected answer, 3 when some did not (numbers are printed anyway), 2 on bad
//! usage, 1 when the run could not start.
//!
//! `intake-load chaos` is another mode: the fault-injection run of
//! `make chaos` (see `chaos/`).
//!
//! This file parses the arguments and runs the phases in order; `args` (the
//! flags), `api` (HTTP), `ctx` (the single-file job steps), `stats`,
//! `phase_a`, `phase_b`, `phase_c` with `receiver`, `batch/` (phase D),
//! `runner_memory` and `report` (the tables and the JSON line).

use std::process::ExitCode;
use std::time::Instant;

use intake_client::Method;

mod api;
mod args;
mod batch;
mod chaos;
mod ctx;
mod phase_a;
mod phase_b;
mod phase_c;
mod receiver;
mod report;
mod runner_memory;
mod stats;

use api::Api;
use args::{parse_args, USAGE};
use ctx::Ctx;
use report::Report;
use runner_memory::RunnerMemory;

#[tokio::main]
async fn main() -> ExitCode {
    // `intake-load chaos …` is the fault-injection run (chaos/).
    if std::env::args().nth(1).as_deref() == Some("chaos") {
        return chaos::main(std::env::args().skip(2)).await;
    }
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
    let api = match Api::new(&args.url, &args.api_key, args.request_timeout) {
        Ok(api) => api,
        Err(error) => {
            eprintln!("intake-load: cannot build the HTTP client: {error}");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    let ctx = Ctx {
        api,
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
        Some(phase_a::phase_a(&ctx).await)
    } else {
        None
    };
    let b = if args.jobs > 0 {
        Some(phase_b::phase_b(&ctx).await)
    } else {
        None
    };

    let c = if args.webhook_jobs > 0 {
        Some(phase_c::phase_c(&ctx).await)
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

    let report = Report { a, b, c, d, runner };
    let text = report.text(&args);
    let problems = report.problems();
    if args.json {
        eprint!("{text}");
        let line = report.json(&args, ctx.invoice.len(), started.elapsed().as_secs_f64());
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
