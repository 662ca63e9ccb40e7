//! Phase B: the submit -> completed latency of `--jobs` single-file jobs (POST
//! extract until polling of /jobs/{id}/status first sees a terminal status),
//! `--job-concurrency` at a time.

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::args::Args;
use crate::ctx::{prepare_sessions, run_job, Ctx, JobEnd};
use crate::report::progress;
use crate::stats::{latency_columns, per_sec, round, JobOutcomes};

#[derive(Default)]
pub struct PhaseB {
    requested: usize,
    prepared: usize,
    setup_errors: Vec<String>,
    jobs: JobOutcomes,
    wall: Duration,
}

pub async fn phase_b(ctx: &Ctx) -> PhaseB {
    let j = ctx.args.jobs;
    let mut out = PhaseB {
        requested: j,
        ..PhaseB::default()
    };
    progress(&format!(
        "phase B: preparing {j} confirmed single-file sessions"
    ));
    let (sessions, errors) =
        prepare_sessions(j, ctx.args.concurrency, |_| ctx.confirmed_session()).await;
    out.setup_errors = errors.into_iter().take(3).collect();
    out.prepared = sessions.len();
    progress(&format!(
        "phase B: {} jobs, {} in flight, polling every {} ms",
        sessions.len(),
        ctx.args.job_concurrency,
        ctx.args.poll.as_millis()
    ));
    let started = Instant::now();
    let ends: Vec<JobEnd> = stream::iter(sessions)
        .map(|session| async move {
            if Instant::now() >= ctx.deadline {
                JobEnd::Error("not started: overall deadline".into())
            } else {
                run_job(ctx, session).await
            }
        })
        .buffer_unordered(ctx.args.job_concurrency)
        .collect()
        .await;
    out.wall = started.elapsed();
    for end in ends {
        out.jobs.record(end);
    }
    out
}

impl PhaseB {
    fn jobs_per_sec(&self) -> f64 {
        per_sec(self.jobs.completed(), self.wall)
    }

    pub fn problems(&self) -> usize {
        self.jobs.problems() + (self.requested - self.prepared)
    }

    pub fn to_json(&self) -> Value {
        self.jobs.add_json(json!({
            "jobs": self.requested,
            "prepared": self.prepared,
            "wall_s": round(self.wall.as_secs_f64()),
            "jobs_per_s": round(self.jobs_per_sec()),
            "status_polls": self.jobs.polls,
            "setup_errors": self.setup_errors,
        }))
    }

    pub fn table(&self, args: &Args) -> String {
        let b = &self.jobs;
        let [p50, p90, p99, max] = latency_columns(&b.latencies_ms);
        let mut out = format!(
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
            self.requested,
            b.completed(),
            b.succeeded,
            b.partially_failed,
            b.failed,
            b.timeouts,
            b.errors,
            self.jobs_per_sec(),
            p50,
            p90,
            p99,
            max,
        );
        out += &format!(
            "phase B took {:.1} s ({} status polls)\n",
            self.wall.as_secs_f64(),
            b.polls
        );
        for example in &self.setup_errors {
            out += &format!("  set-up error: {example}\n");
        }
        for example in &b.examples {
            out += &format!("  job error: {example}\n");
        }
        out
    }
}
