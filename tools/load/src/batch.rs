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
//! files/s, and the final progress counts. While the batch runs, one
//! single-file job is submitted every `--batch-probe-interval-ms` (at most
//! `--batch-probe-jobs`), each polled every `--poll-ms` until terminal: their
//! submit → terminal latency shows whether small jobs wait behind the batch.
//! Then the result is fetched whole (200 inline, or 303 followed to the
//! pre-signed URL) and paged (`?limit=L`, then `&cursor=<next_cursor>`), and
//! each must hold exactly the N files of the session.
//!
//! Nothing here panics on an unexpected answer: every deviation is recorded
//! as a problem (and counted in the exit status).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, FuturesUnordered, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};

use crate::{is_terminal, ms, progress, round, run_job, snippet, summarize, Ctx, JobEnd, Summary};

/// Longest file name the API accepts (characters).
const MAX_NAME_CHARS: usize = 255;
/// Extract attempts with the same Idempotency-Key before giving up.
const EXTRACT_ATTEMPTS: usize = 3;
/// Consecutive failed status polls of the batch before giving up.
const MAX_STATUS_ERRORS: usize = 5;
/// How often the batch's progress is logged to stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

// ----------------------------------------------------------------- corpus

/// One file of the corpus.
pub struct Source {
    path: PathBuf,
    content_type: &'static str,
    bytes: Vec<u8>,
}

fn content_type_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    if ext.eq_ignore_ascii_case("xml") {
        Some("application/xml")
    } else if ext.eq_ignore_ascii_case("pdf") {
        Some("application/pdf")
    } else {
        None
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Symlinked directories are not followed (no loops); symlinked files are.
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if content_type_of(&path).is_some()
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Every non-empty `*.xml` / `*.pdf` under `dir`, sorted by path.
pub fn load_corpus(dir: &Path) -> Result<Vec<Source>, String> {
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|e| format!("cannot read the corpus {}: {e}", dir.display()))?;
    paths.sort();
    let mut sources = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.is_empty() {
            continue;
        }
        let content_type = content_type_of(&path).unwrap_or("application/xml");
        sources.push(Source {
            path,
            content_type,
            bytes,
        });
    }
    if sources.is_empty() {
        return Err(format!(
            "no non-empty *.xml or *.pdf file under {}",
            dir.display()
        ));
    }
    Ok(sources)
}

/// A trailing comment that keeps the document valid and makes its bytes unique.
fn marker(content_type: &str, label: &str) -> Vec<u8> {
    if content_type == "application/pdf" {
        format!("\n% intake-load {label}\n").into_bytes()
    } else {
        format!("\n<!-- intake-load {label} -->\n").into_bytes()
    }
}

/// A random hex string (std only: the hasher of a fresh `RandomState`).
fn random_hex() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// The i-th file of the batch.
struct BatchFile {
    source: usize,
    name: String,
    content_type: &'static str,
    suffix: Vec<u8>,
    size: usize,
}

impl BatchFile {
    fn new(sources: &[Source], i: usize, nonce: &str) -> Self {
        let source = i % sources.len();
        let copy = i / sources.len();
        let src = &sources[source];
        let base = src
            .path
            .file_name()
            .map_or_else(|| "invoice".into(), |n| n.to_string_lossy().into_owned());
        let name: String = format!("{i:05}-{base}")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_NAME_CHARS)
            .collect();
        let suffix = if copy == 0 {
            Vec::new()
        } else {
            marker(src.content_type, &format!("copy {copy} {nonce}"))
        };
        Self {
            source,
            name,
            content_type: src.content_type,
            size: src.bytes.len() + suffix.len(),
            suffix,
        }
    }

    fn bytes(&self, sources: &[Source]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.size);
        bytes.extend_from_slice(&sources[self.source].bytes);
        bytes.extend_from_slice(&self.suffix);
        bytes
    }
}

/// The batch index of a result entry, from the `NNNNN-` prefix of its name.
fn index_of(name: &str) -> Option<usize> {
    name.split_once('-')?.0.parse().ok()
}

// ----------------------------------------------------------------- results

/// What one fetch of the job's result (whole or paged) found.
#[derive(Default)]
pub struct ResultFetch {
    /// HTTP statuses in order, e.g. "303 -> 200", or "200 x3" for pages.
    pub http: String,
    pub elapsed: Duration,
    pub bytes: usize,
    pub pages: usize,
    pub entries: usize,
    pub distinct: usize,
    /// Entries whose file_id is not one of the session's files.
    pub foreign: usize,
    pub by_status: BTreeMap<String, usize>,
    /// `error.code` of the failed entries.
    pub failure_codes: BTreeMap<String, usize>,
    /// Corpus files whose copies did not all end in the same status.
    pub inconsistent_sources: usize,
    pub problem: Option<String>,
}

impl ResultFetch {
    fn to_json(&self) -> Value {
        json!({
            "http": self.http,
            "ms": round(self.elapsed.as_secs_f64() * 1000.0),
            "bytes": self.bytes,
            "pages": self.pages,
            "entries": self.entries,
            "distinct_file_ids": self.distinct,
            "foreign_file_ids": self.foreign,
            "by_status": self.by_status,
            "failure_codes": self.failure_codes,
            "inconsistent_sources": self.inconsistent_sources,
            "problem": self.problem,
        })
    }

    fn summary(&self) -> String {
        let mut text = format!(
            "HTTP {}; {} entries ({} distinct)",
            self.http, self.entries, self.distinct
        );
        if self.pages > 0 {
            text += &format!(" in {} pages", self.pages);
        }
        if self.bytes > 0 {
            text += &format!(", {:.1} MB", self.bytes as f64 / 1e6);
        }
        text
    }
}

/// Counts result entries as they arrive (page by page or all at once).
struct Tally<'a> {
    files: &'a HashMap<String, usize>,
    sources: usize,
    ids: HashSet<String>,
    per_source: HashMap<usize, BTreeSet<String>>,
    out: ResultFetch,
}

impl<'a> Tally<'a> {
    fn new(files: &'a HashMap<String, usize>, sources: usize) -> Self {
        Self {
            files,
            sources,
            ids: HashSet::new(),
            per_source: HashMap::new(),
            out: ResultFetch::default(),
        }
    }

    /// Adds the `results` of a body; Err when it has none.
    fn add(&mut self, body: &Value) -> Result<usize, String> {
        let results = body["results"]
            .as_array()
            .ok_or("the body has no results array")?;
        for entry in results {
            self.out.entries += 1;
            let status = entry["status"].as_str().unwrap_or("(none)").to_owned();
            if let Some(id) = entry["file_id"].as_str() {
                if !self.files.contains_key(id) {
                    self.out.foreign += 1;
                }
                self.ids.insert(id.to_owned());
            }
            if status == "failed" {
                let code = entry["error"]["code"].as_str().unwrap_or("(none)");
                *self.out.failure_codes.entry(code.to_owned()).or_default() += 1;
            }
            if let Some(i) = entry["name"].as_str().and_then(index_of) {
                self.per_source
                    .entry(i % self.sources)
                    .or_default()
                    .insert(status.clone());
            }
            *self.out.by_status.entry(status).or_default() += 1;
        }
        Ok(results.len())
    }

    /// Final checks against the session's N files.
    fn finish(mut self, n: usize, elapsed: Duration) -> ResultFetch {
        self.out.elapsed = elapsed;
        self.out.distinct = self.ids.len();
        self.out.inconsistent_sources = self.per_source.values().filter(|s| s.len() > 1).count();
        if self.out.problem.is_none() {
            let mut wrong = Vec::new();
            if self.out.entries != n {
                wrong.push(format!("{} entries", self.out.entries));
            }
            if self.out.distinct != n {
                wrong.push(format!("{} distinct file_ids", self.out.distinct));
            }
            if self.out.foreign > 0 {
                wrong.push(format!("{} file_ids not in the session", self.out.foreign));
            }
            if !wrong.is_empty() {
                self.out.problem = Some(format!("{} for {n} files", wrong.join(", ")));
            }
        }
        self.out
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out += &format!("%{byte:02X}");
        }
    }
    out
}

/// GET /jobs/{id}/result without paging: 200 inline, or 303 to a pre-signed URL that is followed.
async fn fetch_whole(
    ctx: &Ctx,
    job: &str,
    files: &HashMap<String, usize>,
    sources: usize,
) -> ResultFetch {
    let n = files.len();
    let started = Instant::now();
    let mut tally = Tally::new(files, sources);
    let (_, reply) = ctx
        .api
        .call(Method::GET, &format!("/jobs/{job}/result"), None)
        .await;
    let outcome: Result<(), String> = async {
        let reply = reply?;
        tally.out.http = reply.status.to_string();
        let reply = match reply.status {
            200 => reply,
            303 => {
                let location = reply.location.ok_or("303 without Location")?;
                let url = if location.starts_with('/') {
                    format!("{}{location}", ctx.args.url)
                } else {
                    location
                };
                let (_, followed) = ctx.api.get_url(&url).await;
                let followed = followed.map_err(|e| format!("following the 303: {e}"))?;
                tally.out.http += &format!(" -> {}", followed.status);
                if followed.status != 200 {
                    return Err(format!(
                        "the 303's Location answered HTTP {}: {}",
                        followed.status,
                        snippet(&followed.text)
                    ));
                }
                followed
            }
            status => return Err(format!("HTTP {status}: {}", snippet(&reply.text))),
        };
        tally.out.bytes = reply.text.len();
        tally.add(&reply.body)?;
        Ok(())
    }
    .await;
    if let Err(message) = outcome {
        tally.out.problem = Some(message);
    }
    tally.finish(n, started.elapsed())
}

/// GET /jobs/{id}/result?limit=L, then &cursor=… until a page has no next_cursor.
async fn fetch_paged(
    ctx: &Ctx,
    job: &str,
    files: &HashMap<String, usize>,
    sources: usize,
) -> ResultFetch {
    let n = files.len();
    let limit = ctx.args.batch_page_limit;
    let max_pages = n / limit + 3;
    let started = Instant::now();
    let mut tally = Tally::new(files, sources);
    let mut statuses: Vec<u16> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut seen_cursors = HashSet::new();
    let outcome: Result<(), String> = async {
        loop {
            let mut path = format!("/jobs/{job}/result?limit={limit}");
            if let Some(cursor) = &cursor {
                path += &format!("&cursor={}", encode(cursor));
            }
            let (_, reply) = ctx.api.call(Method::GET, &path, None).await;
            let reply = reply.map_err(|e| format!("page {}: {e}", statuses.len() + 1))?;
            statuses.push(reply.status);
            tally.out.pages += 1;
            match reply.status {
                200 => {}
                303 => {
                    return Err(format!(
                        "page {} answered 303 (a paged request must be answered inline with 200: pagination not supported?)",
                        tally.out.pages
                    ))
                }
                status => {
                    return Err(format!(
                        "page {}: HTTP {status}: {}",
                        tally.out.pages,
                        snippet(&reply.text)
                    ))
                }
            }
            tally.out.bytes += reply.text.len();
            let got = tally
                .add(&reply.body)
                .map_err(|e| format!("page {}: {e}", tally.out.pages))?;
            if got > limit {
                return Err(format!(
                    "page {} has {got} entries, more than limit={limit} (the server ignored limit: pagination not supported?)",
                    tally.out.pages
                ));
            }
            match reply.body.get("next_cursor") {
                None | Some(Value::Null) => return Ok(()),
                Some(Value::String(next)) => {
                    if !seen_cursors.insert(next.clone()) {
                        return Err(format!(
                            "page {} repeats an earlier next_cursor",
                            tally.out.pages
                        ));
                    }
                    if tally.out.pages >= max_pages {
                        return Err(format!(
                            "still a next_cursor after {} pages of limit={limit} for {n} files",
                            tally.out.pages
                        ));
                    }
                    cursor = Some(next.clone());
                }
                Some(other) => {
                    return Err(format!(
                        "page {}: next_cursor is not a string: {other}",
                        tally.out.pages
                    ))
                }
            }
        }
    }
    .await;
    let elapsed = started.elapsed();
    tally.out.http = compress(&statuses);
    if let Err(message) = outcome {
        tally.out.problem = Some(message);
    } else if n > 1 && limit >= n {
        // One page held everything: show that `limit` is honoured at all (untimed).
        if let Err(message) = check_limit_honoured(ctx, job).await {
            tally.out.problem = Some(message);
        }
    }
    tally.finish(n, elapsed)
}

/// `?limit=1` must answer 200 with one entry and a next_cursor.
async fn check_limit_honoured(ctx: &Ctx, job: &str) -> Result<(), String> {
    let (_, reply) = ctx
        .api
        .call(Method::GET, &format!("/jobs/{job}/result?limit=1"), None)
        .await;
    let reply = reply.map_err(|e| format!("?limit=1: {e}"))?;
    let entries = reply.body["results"].as_array().map(Vec::len);
    let cursor = reply.body["next_cursor"].as_str().is_some();
    if reply.status == 200 && entries == Some(1) && cursor {
        Ok(())
    } else {
        Err(format!(
            "?limit=1 answered HTTP {} with {} entries and {} next_cursor (pagination not supported?)",
            reply.status,
            entries.map_or_else(|| "no".into(), |n| n.to_string()),
            if cursor { "a" } else { "no" }
        ))
    }
}

/// "200 x3, 400" from [200, 200, 200, 400].
fn compress(statuses: &[u16]) -> String {
    let mut parts: Vec<(u16, usize)> = Vec::new();
    for &status in statuses {
        match parts.last_mut() {
            Some((last, count)) if *last == status => *count += 1,
            _ => parts.push((status, 1)),
        }
    }
    parts
        .iter()
        .map(|(status, count)| {
            if *count > 1 {
                format!("{status} x{count}")
            } else {
                status.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ----------------------------------------------------------------- probes

/// Single-file jobs submitted while the batch runs.
#[derive(Default)]
pub struct Probes {
    pub requested: usize,
    pub prepared: usize,
    pub submitted: usize,
    pub latencies_ms: Vec<f64>,
    pub succeeded: usize,
    pub partially_failed: usize,
    pub failed: usize,
    pub timeouts: usize,
    pub errors: usize,
    pub examples: Vec<String>,
}

impl Probes {
    fn note(&mut self, message: String) {
        if self.examples.len() < 3 && !self.examples.contains(&message) {
            self.examples.push(message);
        }
    }

    fn problems(&self) -> usize {
        (self.requested - self.prepared)
            + self.errors
            + self.timeouts
            + self.failed
            + self.partially_failed
    }

    fn to_json(&self) -> Value {
        let s = summarize(&self.latencies_ms);
        let f = |pick: fn(&Summary) -> f64| s.as_ref().map(|s| round(pick(s)));
        json!({
            "requested": self.requested,
            "prepared": self.prepared,
            "submitted": self.submitted,
            "completed": self.latencies_ms.len(),
            "succeeded": self.succeeded,
            "partially_failed": self.partially_failed,
            "failed": self.failed,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "p50_ms": f(|s| s.p50),
            "p90_ms": f(|s| s.p90),
            "p99_ms": f(|s| s.p99),
            "max_ms": f(|s| s.max),
            "mean_ms": f(|s| s.mean),
            "error_examples": self.examples,
        })
    }
}

/// A confirmed single-file session of the `--invoice` bytes plus a unique trailing comment.
async fn probe_session(ctx: &Ctx, k: usize, nonce: &str) -> Result<String, String> {
    let content_type = content_type_of(&ctx.args.invoice).unwrap_or("application/xml");
    let mut bytes = ctx.invoice.clone();
    bytes.extend(marker(content_type, &format!("probe {k} {nonce}")));
    let ext = if content_type == "application/pdf" {
        "pdf"
    } else {
        "xml"
    };
    let body = json!({"files": [{"name": format!("probe-{k}.{ext}"), "content_type": content_type, "size": bytes.len()}]});
    let (_, reply) = ctx.api.call(Method::POST, "/sessions", Some(&body)).await;
    let reply = reply?;
    if reply.status != 201 {
        return Err(format!(
            "POST /sessions: HTTP {}: {}",
            reply.status,
            snippet(&reply.text)
        ));
    }
    let id = reply.body["id"]
        .as_str()
        .ok_or("no id in the session")?
        .to_owned();
    let (_, uploaded) = ctx.api.upload(&reply.body["files"][0], &bytes).await;
    uploaded.map_err(|e| format!("upload: {e}"))?;
    ctx.confirm(id).await.result
}

/// Submits one probe job every `--batch-probe-interval-ms` until the batch is
/// terminal (or every session is used), then waits for those in flight.
async fn run_probes(ctx: &Ctx, sessions: Vec<String>, batch_done: &AtomicBool, out: &mut Probes) {
    let interval = ctx.args.batch_probe_interval;
    let mut sessions = sessions.into_iter();
    let mut in_flight = FuturesUnordered::new();
    let mut next = Instant::now();
    let mut exhausted = false;
    loop {
        let done = batch_done.load(Ordering::Acquire);
        if !done && !exhausted && Instant::now() >= next {
            match sessions.next() {
                Some(session) => {
                    out.submitted += 1;
                    in_flight.push(run_job(ctx, session));
                }
                None => exhausted = true,
            }
            next += interval;
        }
        if (done || exhausted) && in_flight.is_empty() {
            break;
        }
        // Wake for a finished probe, the next submission, or to look at the batch again.
        let wake = if done || exhausted {
            Duration::from_secs(3600)
        } else {
            next.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(50))
        };
        tokio::select! {
            Some(end) = in_flight.next(), if !in_flight.is_empty() => record_probe(out, end),
            _ = tokio::time::sleep(wake) => {}
        }
    }
}

fn record_probe(out: &mut Probes, end: JobEnd) {
    match end {
        JobEnd::Terminal {
            status, elapsed, ..
        } => {
            out.latencies_ms.push(elapsed.as_secs_f64() * 1000.0);
            match status.as_str() {
                "succeeded" => out.succeeded += 1,
                "partially_failed" => out.partially_failed += 1,
                _ => out.failed += 1,
            }
        }
        JobEnd::Timeout { .. } => {
            out.timeouts += 1;
            out.note("a probe job was not terminal within --job-timeout-secs".into());
        }
        JobEnd::Error(message) => {
            out.errors += 1;
            out.note(message);
        }
    }
}

// ----------------------------------------------------------------- the phase

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

    fn count(&self, key: &str) -> Option<u64> {
        self.progress.get(key).and_then(Value::as_u64)
    }

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
        let up = summarize(&self.upload_latencies_ms);
        row(
            &format!("PUT uploads ({upload_concurrency} parallel)"),
            secs(self.upload_wall),
            format!(
                "{} ok, {} errors; per PUT p50 {} ms, p99 {} ms",
                self.upload_latencies_ms.len(),
                self.upload_errors,
                ms(up.as_ref().map(|s| s.p50)),
                ms(up.as_ref().map(|s| s.p99)),
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
        let p = &self.probes;
        let s = summarize(&p.latencies_ms);
        out += &format!(
            "single-file jobs during the batch: {} submitted, {} completed ({} succeeded, {} failed, {} timeouts, {} errors); submit->terminal p50 {} ms, p99 {} ms, max {} ms\n",
            p.submitted,
            p.latencies_ms.len(),
            p.succeeded,
            p.failed + p.partially_failed,
            p.timeouts,
            p.errors,
            ms(s.as_ref().map(|s| s.p50)),
            ms(s.as_ref().map(|s| s.p99)),
            ms(s.as_ref().map(|s| s.max)),
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
    out.probes.requested = ctx.args.batch_probe_jobs;
    let probe_sessions: Vec<String> = if ctx.args.batch_probe_jobs > 0 {
        progress(&format!(
            "phase D: preparing {} single-file probe sessions",
            ctx.args.batch_probe_jobs
        ));
        let prepared: Vec<Result<String, String>> = stream::iter(0..ctx.args.batch_probe_jobs)
            .map(|k| probe_session(ctx, k, &nonce))
            .buffer_unordered(ctx.args.concurrency)
            .collect()
            .await;
        let mut sessions = Vec::new();
        for result in prepared {
            match result {
                Ok(id) => sessions.push(id),
                Err(message) => out.probes.note(format!("set-up: {message}")),
            }
        }
        out.probes.prepared = sessions.len();
        sessions
    } else {
        Vec::new()
    };

    // 1. Create the session.
    progress(&format!(
        "phase D: creating one session of {n} files ({:.1} MB) from {} corpus files",
        out.batch_bytes as f64 / 1e6,
        sources.len()
    ));
    let body = json!({
        "files": files.iter().map(|f| json!({
            "name": f.name, "content_type": f.content_type, "size": f.size,
        })).collect::<Vec<_>>(),
    });
    let (elapsed, reply) = ctx.api.call(Method::POST, "/sessions", Some(&body)).await;
    let reply = reply.map_err(|e| format!("POST /sessions ({n} files): {e}"))?;
    if reply.status != 201 {
        return Err(format!(
            "POST /sessions ({n} files): HTTP {} after {:.1} s: {}",
            reply.status,
            elapsed.as_secs_f64(),
            snippet(&reply.text)
        ));
    }
    out.create = Some(elapsed);
    let session = reply.body["id"]
        .as_str()
        .ok_or("POST /sessions: no id in the session")?
        .to_owned();
    out.session_id = Some(session.clone());
    let declared = reply.body["files"]
        .as_array()
        .ok_or("POST /sessions: no files array in the session")?;
    if declared.len() != n {
        return Err(format!(
            "POST /sessions: {} files in the session, {n} declared",
            declared.len()
        ));
    }
    // Match the session's files to ours by name (names are unique: NNNNN- prefix).
    let by_name: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i))
        .collect();
    let mut file_ids: HashMap<String, usize> = HashMap::new();
    let mut uploads = Vec::new();
    for file in declared {
        let name = file["name"].as_str().unwrap_or_default();
        let i = *by_name
            .get(name)
            .ok_or_else(|| format!("POST /sessions: unexpected file name {name:?}"))?;
        let id = file["id"]
            .as_str()
            .ok_or("POST /sessions: a file has no id")?;
        file_ids.insert(id.to_owned(), i);
        uploads.push((i, file));
    }

    // 2. Upload every file to its pre-signed URL.
    progress(&format!(
        "phase D: uploading {n} files, {} at a time",
        ctx.args.upload_concurrency
    ));
    let upload_started = Instant::now();
    let files_ref = &files;
    let sources_ref = &sources;
    let results: Vec<(Duration, Result<u16, String>)> = stream::iter(uploads)
        .map(|(i, file)| async move {
            let bytes = files_ref[i].bytes(sources_ref);
            ctx.api.upload(file, &bytes).await
        })
        .buffer_unordered(ctx.args.upload_concurrency)
        .collect()
        .await;
    out.upload_wall = Some(upload_started.elapsed());
    let mut first_error = None;
    for (elapsed, result) in results {
        match result {
            Ok(_) => out.upload_latencies_ms.push(elapsed.as_secs_f64() * 1000.0),
            Err(message) => {
                out.upload_errors += 1;
                first_error.get_or_insert(message);
            }
        }
    }
    if let Some(message) = first_error {
        return Err(format!(
            "{} of {n} uploads failed, e.g. {message}",
            out.upload_errors
        ));
    }

    // 3. Confirm.
    progress("phase D: confirming the session");
    let (elapsed, reply) = ctx
        .api
        .call(Method::PATCH, &format!("/sessions/{session}/confirm"), None)
        .await;
    let reply = reply.map_err(|e| format!("PATCH confirm: {e}"))?;
    if reply.status != 200 {
        return Err(format!(
            "PATCH confirm: HTTP {} after {:.1} s: {}",
            reply.status,
            elapsed.as_secs_f64(),
            snippet(&reply.text)
        ));
    }
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
        batch_done.store(true, Ordering::Release);
        result
    };
    let ((watched, watch_error), ()) = tokio::join!(
        watch,
        run_probes(ctx, probe_sessions, &batch_done, &mut probes)
    );
    out.probes = probes;
    out.status = watched.status;
    out.progress = watched.progress;
    out.status_polls = watched.polls;
    out.first_file_done = watched.first_file_done;
    out.all_files_done = watched.all_files_done;
    out.to_terminal = watched.terminal;
    if let Some(message) = watch_error {
        return Err(message);
    }
    let count = |key: &str| out.progress.get(key).and_then(Value::as_u64);
    match (count("total"), count("succeeded"), count("failed")) {
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
    progress("phase D: fetching the result (whole)");
    let whole = fetch_whole(ctx, &job, &file_ids, sources.len()).await;
    progress(&format!(
        "phase D: fetching the result in pages of {}",
        ctx.args.batch_page_limit
    ));
    let paged = fetch_paged(ctx, &job, &file_ids, sources.len()).await;
    for (label, fetch) in [("whole", &whole), ("paged", &paged)] {
        if let Some(problem) = &fetch.problem {
            out.problems.push(format!("result ({label}): {problem}"));
        }
    }
    if let Some(fetch) = [&whole, &paged].into_iter().find(|f| f.problem.is_none()) {
        if let Some(n) = fetch
            .failure_codes
            .get("processing_failed")
            .filter(|n| **n > 0)
        {
            out.problems.push(format!(
                "{n} files failed for infrastructure reasons (processing_failed)"
            ));
        }
        if fetch.inconsistent_sources > 0 {
            out.problems.push(format!(
                "{} corpus files got different outcomes for identical copies",
                fetch.inconsistent_sources
            ));
        }
        let succeeded = fetch.by_status.get("succeeded").copied().unwrap_or(0) as u64;
        if count("succeeded").is_some_and(|s| s != succeeded) {
            out.problems.push(format!(
                "the result has {succeeded} succeeded entries, the status's progress {}",
                count("succeeded").unwrap_or(0)
            ));
        }
    }
    out.whole = Some(whole);
    out.paged = Some(paged);
    Ok(())
}

#[derive(Default)]
struct Watched {
    status: Option<String>,
    progress: Value,
    polls: usize,
    first_file_done: Option<Duration>,
    all_files_done: Option<Duration>,
    terminal: Option<Duration>,
}

/// Polls the batch's status until terminal; the error, if any, comes second.
async fn watch_batch(ctx: &Ctx, job: &str, since: Instant, n: usize) -> (Watched, Option<String>) {
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
        next += ctx.args.batch_poll;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        } else {
            next = now;
        }
    }
}

// ----------------------------------------------------------------- runner memory

/// VmHWM (peak RSS) and VmRSS of a process, in KiB, from /proc/PID/status.
pub fn runner_memory(pid: u32) -> Result<(u64, u64), String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_unique_and_sized() {
        let sources = vec![
            Source {
                path: PathBuf::from("/c/a.xml"),
                content_type: "application/xml",
                bytes: b"<a/>".to_vec(),
            },
            Source {
                path: PathBuf::from("/c/b.PDF"),
                content_type: "application/pdf",
                bytes: b"%PDF-1.4\n%%EOF".to_vec(),
            },
        ];
        let files: Vec<BatchFile> = (0..5).map(|i| BatchFile::new(&sources, i, "n")).collect();
        assert_eq!(files[0].name, "00000-a.xml");
        assert_eq!(files[3].name, "00003-b.PDF");
        assert!(files[0].suffix.is_empty() && files[1].suffix.is_empty());
        let all: HashSet<Vec<u8>> = files.iter().map(|f| f.bytes(&sources)).collect();
        assert_eq!(all.len(), 5);
        for f in &files {
            assert_eq!(f.bytes(&sources).len(), f.size);
        }
        assert!(String::from_utf8(files[2].bytes(&sources))
            .unwrap()
            .ends_with("<!-- intake-load copy 1 n -->\n"));
        assert_eq!(index_of(&files[4].name), Some(4));
    }

    #[test]
    fn cursors_are_percent_encoded() {
        assert_eq!(encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(encode("Az09-._~"), "Az09-._~");
    }

    #[test]
    fn statuses_are_compressed() {
        assert_eq!(compress(&[200, 200, 200, 400]), "200 x3, 400");
        assert_eq!(compress(&[]), "");
    }

    #[test]
    fn own_memory_is_readable() {
        let (hwm, rss) = runner_memory(std::process::id()).unwrap();
        assert!(hwm >= rss && rss > 0);
    }
}
