//! What the run tells: progress lines on stderr while it runs, then the text
//! tables of every phase and the one JSON line.

use serde_json::{json, Value};

use crate::args::Args;
use crate::batch::PhaseD;
use crate::phase_a::PhaseA;
use crate::phase_b::PhaseB;
use crate::phase_c::PhaseC;
use crate::runner_memory::RunnerMemory;
use crate::stats::round;

pub fn progress(message: &str) {
    eprintln!("[load] {message}");
}

/// What every phase measured (None: the phase was skipped).
pub struct Report {
    pub a: Option<PhaseA>,
    pub b: Option<PhaseB>,
    pub c: Option<PhaseC>,
    pub d: Option<PhaseD>,
    pub runner: RunnerMemory,
}

impl Report {
    /// Requests and jobs that did not get the expected answer.
    pub fn problems(&self) -> usize {
        self.a.as_ref().map_or(0, PhaseA::problems)
            + self.b.as_ref().map_or(0, PhaseB::problems)
            + self.c.as_ref().map_or(0, PhaseC::problems)
            + self.d.as_ref().map_or(0, PhaseD::problems)
    }

    pub fn text(&self, args: &Args) -> String {
        let mut text = String::new();
        if let Some(a) = &self.a {
            text += &a.table(args);
        }
        if let Some(b) = &self.b {
            text += &b.table(args);
        }
        if let Some(c) = &self.c {
            text += &c.table(args);
        }
        if let Some(d) = &self.d {
            text += &d.table(args.upload_concurrency, args.batch_page_limit);
        }
        if let Some(pid) = args.runner_pid {
            text += &self.runner.table(pid);
        }
        text
    }

    pub fn json(&self, args: &Args, invoice_bytes: usize, total_s: f64) -> Value {
        json!({
            "config": {
                "url": args.url,
                "concurrency": args.concurrency,
                "requests_per_route": args.requests,
                "jobs": args.jobs,
                "job_concurrency": args.job_concurrency,
                "poll_ms": args.poll.as_millis() as u64,
                "webhook_jobs": args.webhook_jobs,
                "webhook_signatures_checked": args.webhook_secret.is_some(),
                "invoice_bytes": invoice_bytes,
                "batch_files": args.batch_files,
                "corpus": args.corpus.display().to_string(),
                "upload_concurrency": args.upload_concurrency,
                "batch_poll_ms": args.batch_poll.as_millis() as u64,
                "batch_probe_jobs": args.batch_probe_jobs,
                "batch_probe_interval_ms": args.batch_probe_interval.as_millis() as u64,
                "batch_page_limit": args.batch_page_limit,
            },
            "phase_a": self.a.as_ref().map(PhaseA::to_json),
            "phase_b": self.b.as_ref().map(PhaseB::to_json),
            "phase_c": self.c.as_ref().map(PhaseC::to_json),
            "phase_d": self.d.as_ref().map(PhaseD::to_json),
            "runner": args.runner_pid.map(|pid| self.runner.to_json(pid)),
            "total_s": round(total_s),
            "problems": self.problems(),
        })
    }
}
