//! Phase A: the latency of each API route under `--concurrency` concurrent
//! clients, `--requests` requests per route, in the order of a job's life
//! (create, upload, confirm, get, extract, status while the jobs run, result).

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use intake_client::Method;
use serde_json::{json, Value};

use crate::args::Args;
use crate::ctx::{expect, is_terminal, Ctx, Outcome};
use crate::report::progress;
use crate::stats::{latency_columns, latency_json, merge, per_sec, round};

/// The requests of one route.
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

impl RouteStats {
    fn throughput(&self) -> f64 {
        per_sec(self.count, self.wall)
    }

    fn note_error(&mut self, message: String) {
        self.errors += 1;
        if self.examples.len() < 3 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }

    fn to_json(&self) -> Value {
        let body = json!({
            "route": self.route,
            "count": self.count,
            "errors": self.errors,
            "skipped": self.skipped,
            "wall_s": round(self.wall.as_secs_f64()),
            "rps": round(self.throughput()),
            "error_examples": self.examples,
        });
        merge(body, latency_json(&self.latencies_ms))
    }
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

pub struct PhaseA {
    routes: Vec<RouteStats>,
    jobs_total: usize,
    jobs_finished: usize,
    drain_wait: Duration,
    wall: Duration,
}

pub async fn phase_a(ctx: &Ctx) -> PhaseA {
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

impl PhaseA {
    /// Route errors, inputs skipped at the deadline, and jobs not finished before /result.
    pub fn problems(&self) -> usize {
        self.routes
            .iter()
            .map(|r| r.errors + r.skipped)
            .sum::<usize>()
            + (self.jobs_total - self.jobs_finished)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "routes": self.routes.iter().map(RouteStats::to_json).collect::<Vec<_>>(),
            "jobs_submitted": self.jobs_total,
            "jobs_finished": self.jobs_finished,
            "drain_wait_s": round(self.drain_wait.as_secs_f64()),
            "wall_s": round(self.wall.as_secs_f64()),
        })
    }

    pub fn table(&self, args: &Args) -> String {
        let mut out = format!(
            "\nPhase A: API latency per route ({} concurrent clients, {} requests per route; ms)\n",
            args.concurrency, args.requests
        );
        out += &format!(
            "{:<30} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            "route", "count", "errors", "req/s", "p50", "p90", "p99", "max"
        );
        for r in &self.routes {
            let [p50, p90, p99, max] = latency_columns(&r.latencies_ms);
            out += &format!(
                "{:<30} {:>6} {:>6} {:>8.1} {:>8} {:>8} {:>8} {:>8}{}\n",
                r.route,
                r.count,
                r.errors,
                r.throughput(),
                p50,
                p90,
                p99,
                max,
                if r.skipped > 0 {
                    format!("  ({} skipped: deadline)", r.skipped)
                } else {
                    String::new()
                }
            );
        }
        out += &format!(
            "jobs submitted in phase A: {}, finished before /result: {} (waited {:.1} s); phase A took {:.1} s\n",
            self.jobs_total,
            self.jobs_finished,
            self.drain_wait.as_secs_f64(),
            self.wall.as_secs_f64()
        );
        for r in &self.routes {
            for example in &r.examples {
                out += &format!("  error on {}: {example}\n", r.route);
            }
        }
        out
    }
}
