//! Phase D's report: the JSON object and the text table.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::cpu::CpuReport;
use super::results::ResultFetch;
use super::PhaseD;
use crate::stats::{latency_columns, round, summarize};

impl PhaseD {
    pub fn to_json(&self) -> Value {
        let d = |value: Option<Duration>| value.map(|d| round(d.as_secs_f64() * 1000.0));
        let up = summarize(&self.upload_latencies_ms);
        json!({
            "files": self.requested,
            "corpus_dir": self.corpus_dir,
            "corpus_files": self.corpus_files,
            "corpus_bytes": self.corpus_bytes,
            "batch_bytes": self.batch_bytes,
            "session_id": self.session_id,
            "job_id": self.job_id,
            "create_ms": d(self.create),
            "upload": {
                "wall_ms": d(self.upload_wall),
                "ok": self.upload_latencies_ms.len(),
                "errors": self.upload_errors,
                "put_p50_ms": up.as_ref().map(|s| round(s.p50)),
                "put_p99_ms": up.as_ref().map(|s| round(s.p99)),
                "put_max_ms": up.as_ref().map(|s| round(s.max)),
            },
            "confirm_ms": d(self.confirm),
            "extract_ms": d(self.extract),
            "extract_attempts": self.extract_attempts,
            "extract_to_terminal_ms": d(self.to_terminal),
            "files_per_s": self.files_per_sec().map(round),
            "first_file_done_ms": d(self.first_file_done),
            "all_files_done_ms": d(self.all_files_done),
            "status": self.status,
            "progress": self.progress,
            "status_polls": self.status_polls,
            "cpu": self.cpu.as_ref().map(CpuReport::to_json),
            "probes": self.probes.to_json(),
            "result_whole": self.whole.as_ref().map(ResultFetch::to_json),
            "result_paged": self.paged.as_ref().map(ResultFetch::to_json),
            "problems": self.problems,
            "wall_s": round(self.wall.as_secs_f64()),
        })
    }

    pub fn table(&self, upload_concurrency: usize, page_limit: usize) -> String {
        let secs = |d: Option<Duration>| {
            d.map_or_else(|| "-".into(), |d| format!("{:.2} s", d.as_secs_f64()))
        };
        let mut out = format!(
            "\nPhase D: one batch session of {} files from {} ({} corpus files cycled, {:.1} MB in all)\n",
            self.requested,
            self.corpus_dir,
            self.corpus_files,
            self.batch_bytes as f64 / 1e6
        );
        let mut row = |step: &str, time: String, note: String| {
            out += &format!("{step:<36} {time:>10}  {note}\n");
        };
        row(
            &format!("POST /sessions ({} files)", self.requested),
            secs(self.create),
            String::new(),
        );
        let [put_p50, _, put_p99, _] = latency_columns(&self.upload_latencies_ms);
        row(
            &format!("PUT uploads ({upload_concurrency} parallel)"),
            secs(self.upload_wall),
            format!(
                "{} ok, {} errors; per PUT p50 {} ms, p99 {} ms",
                self.upload_latencies_ms.len(),
                self.upload_errors,
                put_p50,
                put_p99,
            ),
        );
        row(
            "PATCH /sessions/{id}/confirm",
            secs(self.confirm),
            String::new(),
        );
        row(
            "POST /sessions/{id}/extract",
            secs(self.extract),
            if self.extract_attempts > 0 {
                format!(
                    "202: {}; {} attempt(s) with one Idempotency-Key",
                    if self.extract.is_some() { "yes" } else { "NO" },
                    self.extract_attempts
                )
            } else {
                String::new()
            },
        );
        let count = |key| {
            self.count(key)
                .map_or_else(|| "-".into(), |v: u64| v.to_string())
        };
        row(
            "extract -> terminal",
            secs(self.to_terminal),
            match (self.files_per_sec(), &self.status) {
                (Some(rate), Some(status)) => format!(
                    "{rate:.1} files/s; {status}; succeeded {}, failed {} of {} (first file done after {}, all after {})",
                    count("succeeded"),
                    count("failed"),
                    count("total"),
                    secs(self.first_file_done),
                    secs(self.all_files_done),
                ),
                (None, Some(status)) => format!(
                    "NOT terminal: last status {status}, succeeded {}, failed {} of {}",
                    count("succeeded"),
                    count("failed"),
                    count("total")
                ),
                _ => String::new(),
            },
        );
        if let Some(whole) = &self.whole {
            row(
                "GET /jobs/{id}/result (whole)",
                secs(Some(whole.elapsed)),
                whole.summary(),
            );
        }
        if let Some(paged) = &self.paged {
            row(
                &format!("GET /jobs/{{id}}/result?limit={page_limit}"),
                secs(Some(paged.elapsed)),
                paged.summary(),
            );
        }
        let p = &self.probes.jobs;
        let [p50, _, p99, max] = latency_columns(&p.latencies_ms);
        out += &format!(
            "single-file jobs during the batch: {} submitted, {} completed ({} succeeded, {} failed, {} timeouts, {} errors); submit->terminal p50 {} ms, p99 {} ms, max {} ms\n",
            self.probes.submitted,
            p.completed(),
            p.succeeded,
            p.failed + p.partially_failed,
            p.timeouts,
            p.errors,
            p50,
            p99,
            max,
        );
        if let Some(fetch) = self.whole.as_ref().or(self.paged.as_ref()) {
            if !fetch.by_status.is_empty() {
                let join = |m: &BTreeMap<String, usize>| {
                    m.iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out += &format!(
                    "result entries by status: {}; failure codes: {}; corpus files whose copies ended differently: {}\n",
                    join(&fetch.by_status),
                    if fetch.failure_codes.is_empty() {
                        "none".into()
                    } else {
                        join(&fetch.failure_codes)
                    },
                    fetch.inconsistent_sources
                );
            }
        }
        if let Some(cpu) = &self.cpu {
            out += &cpu.table(self.to_terminal.is_some());
        }
        out += &format!("phase D took {:.1} s\n", self.wall.as_secs_f64());
        for problem in &self.problems {
            out += &format!("  problem: {problem}\n");
        }
        for example in &p.examples {
            out += &format!("  probe error: {example}\n");
        }
        out
    }
}
