//! Phase D's first two steps: POST /sessions with the N files declared, then
//! the PUT of every file to its pre-signed URL, `--upload-concurrency` at a time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use intake_client::Method;
use serde_json::json;

use super::corpus::{BatchFile, Source};
use super::{answered, PhaseD};
use crate::ctx::Ctx;
use crate::report::progress;

/// Creates the session and uploads its files: the session id, and each file
/// id's index in `files`.
pub async fn create_and_upload(
    ctx: &Ctx,
    files: &[BatchFile],
    sources: &[Source],
    out: &mut PhaseD,
) -> Result<(String, HashMap<String, usize>), String> {
    let n = files.len();
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
    let (elapsed, reply) = answered(
        &format!("POST /sessions ({n} files)"),
        201,
        ctx.api.call(Method::POST, "/sessions", Some(&body)).await,
    )?;
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

    // Upload every file to its pre-signed URL.
    progress(&format!(
        "phase D: uploading {n} files, {} at a time",
        ctx.args.upload_concurrency
    ));
    let upload_started = Instant::now();
    let results: Vec<(Duration, Result<(), String>)> = stream::iter(uploads)
        .map(|(i, file)| async move {
            let bytes = files[i].bytes(sources);
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
    Ok((session, file_ids))
}
