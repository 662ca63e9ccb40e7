//! Phase D's wait for the batch: its status polled every `--batch-poll-ms`
//! until terminal, with the times at which the first and the last file were
//! counted as done.

use std::time::{Duration, Instant};

use intake_client::Method;
use serde_json::Value;

use crate::api::snippet;
use crate::ctx::{is_terminal, pace, Ctx};
use crate::report::progress;

/// Consecutive failed status polls of the batch before giving up.
const MAX_STATUS_ERRORS: usize = 5;
/// How often the batch's progress is logged to stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What the polls of the batch's status saw (times from the first extract request).
#[derive(Default)]
pub struct Watched {
    pub status: Option<String>,
    pub progress: Value,
    pub polls: usize,
    pub first_file_done: Option<Duration>,
    pub all_files_done: Option<Duration>,
    pub terminal: Option<Duration>,
}

/// Polls the batch's status until terminal; the error, if any, comes second.
pub async fn watch_batch(
    ctx: &Ctx,
    job: &str,
    since: Instant,
    n: usize,
) -> (Watched, Option<String>) {
    let mut out = Watched::default();
    // One file per page when the server pages `files` (progress counts the whole job).
    let mut path = format!("/jobs/{job}/status?limit=1");
    let limit = Instant::now() + ctx.args.batch_timeout;
    let mut next = Instant::now();
    let mut errors = 0;
    let mut logged = Instant::now();
    loop {
        out.polls += 1;
        let (_, reply) = ctx.api.call(Method::GET, &path, None).await;
        match reply {
            Ok(reply) if reply.status == 200 => {
                errors = 0;
                let status = reply.body["status"].as_str().unwrap_or_default().to_owned();
                out.progress = reply.body["progress"].clone();
                let done = ["succeeded", "failed"]
                    .iter()
                    .filter_map(|k| out.progress.get(*k).and_then(Value::as_u64))
                    .sum::<u64>();
                if done > 0 && out.first_file_done.is_none() {
                    out.first_file_done = Some(since.elapsed());
                }
                if done as usize >= n && out.all_files_done.is_none() {
                    out.all_files_done = Some(since.elapsed());
                }
                let terminal = is_terminal(&status);
                out.status = Some(status);
                if terminal {
                    out.terminal = Some(since.elapsed());
                    return (out, None);
                }
                if logged.elapsed() >= PROGRESS_EVERY {
                    logged = Instant::now();
                    let secs = since.elapsed().as_secs_f64();
                    progress(&format!(
                        "phase D: {done} of {n} files done after {secs:.0} s ({:.1} files/s)",
                        done as f64 / secs
                    ));
                }
            }
            Ok(reply) if reply.status == 400 && path.contains('?') => {
                // A server that refuses the query: poll without it.
                path = format!("/jobs/{job}/status");
                continue;
            }
            Ok(reply) => {
                errors += 1;
                if errors >= MAX_STATUS_ERRORS {
                    let message = format!(
                        "GET status: HTTP {}: {}",
                        reply.status,
                        snippet(&reply.text)
                    );
                    return (out, Some(message));
                }
            }
            Err(message) => {
                errors += 1;
                if errors >= MAX_STATUS_ERRORS {
                    return (out, Some(format!("GET status: {message}")));
                }
            }
        }
        if Instant::now() >= limit {
            let message = format!(
                "the batch was not terminal {} s after extract (--batch-timeout-secs)",
                ctx.args.batch_timeout.as_secs()
            );
            return (out, Some(message));
        }
        pace(&mut next, ctx.args.batch_poll).await;
    }
}
