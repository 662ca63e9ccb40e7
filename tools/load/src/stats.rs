//! Latency summaries (nearest-rank percentiles) and the tally of single-file
//! jobs, shared by the phases' JSON and text reports.

use std::time::Duration;

use serde_json::{json, Value};

use crate::ctx::JobEnd;

pub struct Summary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
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

pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Milliseconds with one decimal, or "-" when there is no value.
pub fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

/// `count` per second of `wall` (0 for no time at all).
pub fn per_sec(count: usize, wall: Duration) -> f64 {
    let secs = wall.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

/// `p50_ms`, `p90_ms`, `p99_ms`, `max_ms` and `mean_ms` of the latencies (null when none).
pub fn latency_json(latencies_ms: &[f64]) -> Value {
    let s = summarize(latencies_ms);
    let f = |pick: fn(&Summary) -> f64| s.as_ref().map(|s| round(pick(s)));
    json!({
        "p50_ms": f(|s| s.p50),
        "p90_ms": f(|s| s.p90),
        "p99_ms": f(|s| s.p99),
        "max_ms": f(|s| s.max),
        "mean_ms": f(|s| s.mean),
    })
}

/// p50, p90, p99 and max of the latencies, as table cells.
pub fn latency_columns(latencies_ms: &[f64]) -> [String; 4] {
    let s = summarize(latencies_ms);
    let f = |pick: fn(&Summary) -> f64| ms(s.as_ref().map(pick));
    [f(|s| s.p50), f(|s| s.p90), f(|s| s.p99), f(|s| s.max)]
}

/// Adds the fields of the JSON object `extra` to the JSON object `body`.
pub fn merge(mut body: Value, extra: Value) -> Value {
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    body
}

/// How a set of single-file jobs ended (phase B, and phase D's probe jobs).
#[derive(Default)]
pub struct JobOutcomes {
    /// Submit -> terminal, one per job that got there.
    pub latencies_ms: Vec<f64>,
    pub succeeded: usize,
    pub partially_failed: usize,
    pub failed: usize,
    pub timeouts: usize,
    pub errors: usize,
    /// Status polls of every job.
    pub polls: usize,
    /// Up to three distinct error messages.
    pub examples: Vec<String>,
}

impl JobOutcomes {
    pub fn record(&mut self, end: JobEnd) {
        match end {
            JobEnd::Terminal {
                status,
                elapsed,
                polls,
            } => {
                self.polls += polls;
                self.latencies_ms.push(elapsed.as_secs_f64() * 1000.0);
                match status.as_str() {
                    "succeeded" => self.succeeded += 1,
                    "partially_failed" => self.partially_failed += 1,
                    _ => self.failed += 1,
                }
            }
            JobEnd::Timeout { polls } => {
                self.polls += polls;
                self.timeouts += 1;
            }
            JobEnd::Error(message) => {
                self.errors += 1;
                self.note(message);
            }
        }
    }

    pub fn note(&mut self, message: String) {
        if self.examples.len() < 3 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }

    pub fn completed(&self) -> usize {
        self.latencies_ms.len()
    }

    /// Jobs that did not end `succeeded`.
    pub fn problems(&self) -> usize {
        self.errors + self.timeouts + self.failed + self.partially_failed
    }

    /// `body` (a JSON object) with the counts, the latency percentiles and the error examples.
    pub fn add_json(&self, body: Value) -> Value {
        let counts = json!({
            "completed": self.completed(),
            "succeeded": self.succeeded,
            "partially_failed": self.partially_failed,
            "failed": self.failed,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "error_examples": self.examples,
        });
        merge(merge(body, counts), latency_json(&self.latencies_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&values).unwrap();
        assert_eq!(
            (s.p50, s.p90, s.p99, s.max, s.mean),
            (50.0, 90.0, 99.0, 100.0, 50.5)
        );
        assert!(summarize(&[]).is_none());
        assert_eq!(latency_columns(&[]), ["-", "-", "-", "-"]);
    }

    #[test]
    fn job_outcomes_add_to_a_json_object() {
        let mut jobs = JobOutcomes::default();
        jobs.record(JobEnd::Terminal {
            status: "succeeded".into(),
            elapsed: Duration::from_millis(12),
            polls: 2,
        });
        jobs.record(JobEnd::Error("boom".into()));
        jobs.record(JobEnd::Error("boom".into()));
        let body = jobs.add_json(json!({"jobs": 3}));
        assert_eq!(body["jobs"], 3);
        assert_eq!(body["completed"], 1);
        assert_eq!(body["errors"], 2);
        assert_eq!(body["error_examples"], json!(["boom"]));
        assert_eq!(body["p50_ms"], 12.0);
        assert_eq!((jobs.polls, jobs.problems()), (2, 2));
    }
}
