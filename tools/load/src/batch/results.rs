//! Phase D's result: GET /jobs/{id}/result fetched whole (200 inline, or 303
//! followed to the pre-signed URL) and paged (`?limit=L`, then
//! `&cursor=<next_cursor>`); each must hold exactly the N files of the
//! session, and agree with the job's progress counts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use intake_client::Method;
use serde_json::{json, Value};

use super::corpus::index_of;
use super::PhaseD;
use crate::api::snippet;
use crate::ctx::Ctx;
use crate::report::progress;
use crate::stats::round;

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
    pub fn to_json(&self) -> Value {
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

    pub fn summary(&self) -> String {
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

/// Fetches the job's result whole, then paged, and records what does not
/// match the session's files or the job's progress as problems.
pub async fn fetch_results(
    ctx: &Ctx,
    job: &str,
    file_ids: &HashMap<String, usize>,
    sources: usize,
    out: &mut PhaseD,
) {
    progress("phase D: fetching the result (whole)");
    let whole = fetch_whole(ctx, job, file_ids, sources).await;
    progress(&format!(
        "phase D: fetching the result in pages of {}",
        ctx.args.batch_page_limit
    ));
    let paged = fetch_paged(ctx, job, file_ids, sources).await;
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
        if out.count("succeeded").is_some_and(|s| s != succeeded) {
            out.problems.push(format!(
                "the result has {succeeded} succeeded entries, the status's progress {}",
                out.count("succeeded").unwrap_or(0)
            ));
        }
    }
    out.whole = Some(whole);
    out.paged = Some(paged);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
