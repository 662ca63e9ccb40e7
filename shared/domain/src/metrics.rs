//! Every metric of the service, in one place: its name, its labels and the
//! one function that records it, called by the use cases where the thing
//! happens. Recorded through the `metrics` facade, so the domain does not
//! know where they go: the Lambda functions write them as CloudWatch
//! Embedded Metric Format lines (namespace `INTAKE_METRICS_NAMESPACE`, the
//! labels as dimensions), the local runner serves them as Prometheus text
//! on `INTAKE_METRICS_LISTEN`. Without a recorder (unit tests) they cost
//! nothing.

use std::time::Duration;

use metrics::{counter, histogram};

use serde_json::Value;

use crate::document_cache::Extraction;
use crate::model::{FileState, JobStatus};

/// Jobs accepted by `POST /sessions/{id}/extract`; label `size`.
pub const JOBS_ACCEPTED: &str = "intake_jobs_accepted_total";
/// Jobs decided, from the submission to the terminal status, in seconds;
/// labels `size` and `status`.
pub const JOB_COMPLETION_SECONDS: &str = "intake_job_completion_seconds";
/// Files that reached a terminal state (the worker that moved them counts
/// them, once); label `outcome`: `succeeded`, or `failed` — a permanent
/// failure, for the file's content or after its last attempt.
pub const FILES: &str = "intake_files_total";
/// Documents the engine read, label `syntax` (`UBL`, `CII`, `unknown`) and
/// `outcome`: `valid`, `invalid` (a fatal rule fired) or `rejected` (not
/// an invoice it reads); served from the cache or not, label `cache`.
pub const DOCUMENTS: &str = "intake_documents_total";
/// Reading and extracting one file (upload read, engine, result kept), in
/// seconds; labels `syntax` and `cache`.
pub const FILE_PROCESSING_SECONDS: &str = "intake_file_processing_seconds";
/// Files whose invoice the tenant received before (same business key):
/// those with a non-empty `duplicate_of`.
pub const DUPLICATES: &str = "intake_duplicates_total";
/// Messages handed back to their queue after a transient failure (the
/// retries: a fault of ours or of AWS, tried again after a backoff);
/// label `message`: `file`, `dispatch` or `replay` (a bulk replay's).
pub const RETRIES: &str = "intake_retries_total";
/// Files re-opened by an operator's replay of their dead letter.
pub const FILES_REOPENED: &str = "intake_files_reopened_total";
/// Webhook delivery attempts; label `outcome`: `delivered`, `retry`,
/// `failed` (refused for good) or `exhausted` (no attempt left).
pub const WEBHOOK_ATTEMPTS: &str = "intake_webhook_attempts_total";
/// One per batch a worker handled or reconciler run; label `worker`:
/// `files`, `webhooks` or `reconcile`. The reconciler runs on a schedule,
/// so its series stops only when the service does (an alarm watches it).
pub const HEARTBEAT: &str = "intake_worker_heartbeat_total";

/// The size bucket of a job of `files` files, a label with few values.
pub fn size_bucket(files: u32) -> &'static str {
    match files {
        0..=1 => "1",
        2..=10 => "2-10",
        11..=100 => "11-100",
        101..=1000 => "101-1000",
        _ => "1001+",
    }
}

pub(crate) fn job_accepted(files: u32) {
    counter!(JOBS_ACCEPTED, "size" => size_bucket(files)).increment(1);
}

pub(crate) fn job_completed(files: u32, status: JobStatus, since_submission: Duration) {
    histogram!(JOB_COMPLETION_SECONDS, "size" => size_bucket(files), "status" => status.as_str())
        .record(since_submission.as_secs_f64());
}

pub(crate) fn file_finished(state: FileState) {
    let outcome = match state {
        FileState::Succeeded => "succeeded",
        _ => "failed",
    };
    counter!(FILES, "outcome" => outcome).increment(1);
}

/// A document read for a file, from the engine or the cache: `extraction`
/// is `None` when the engine rejected it.
pub(crate) fn document_read(extraction: Option<&Extraction>, cache_hit: bool, took: Duration) {
    let syntax = extraction
        .and_then(|e| e.get("document")?.get("syntax")?.as_str())
        .map_or("unknown", |syntax| match syntax {
            "UBL" => "UBL",
            "CII" => "CII",
            _ => "unknown",
        });
    let outcome = match extraction.map(|e| e.get("validation").and_then(|v| v.get("valid"))) {
        None => "rejected",
        Some(Some(Value::Bool(true))) => "valid",
        Some(_) => "invalid",
    };
    let cache = if cache_hit { "hit" } else { "miss" };
    counter!(DOCUMENTS, "syntax" => syntax, "outcome" => outcome, "cache" => cache).increment(1);
    histogram!(FILE_PROCESSING_SECONDS, "syntax" => syntax, "cache" => cache)
        .record(took.as_secs_f64());
}

pub(crate) fn duplicate_found() {
    counter!(DUPLICATES).increment(1);
}

pub(crate) fn retried(message: &'static str) {
    counter!(RETRIES, "message" => message).increment(1);
}

pub(crate) fn file_reopened() {
    counter!(FILES_REOPENED).increment(1);
}

pub(crate) fn webhook_attempt(outcome: &'static str) {
    counter!(WEBHOOK_ATTEMPTS, "outcome" => outcome).increment(1);
}

pub(crate) fn heartbeat(worker: &'static str) {
    counter!(HEARTBEAT, "worker" => worker).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_sizes_fall_in_five_buckets() {
        // Arrange
        let sizes = [1, 2, 10, 11, 100, 101, 1000, 1001, 2000];
        // Act
        let buckets: Vec<&str> = sizes.iter().map(|&n| size_bucket(n)).collect();
        // Assert
        assert_eq!(
            buckets,
            ["1", "2-10", "2-10", "11-100", "11-100", "101-1000", "101-1000", "1001+", "1001+"]
        );
    }
}
