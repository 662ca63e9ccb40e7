//! The invariant checker, run once faults have stopped and dead letters
//! were replayed. It reads the API (status pages, the result) and, where the
//! API does not show it, the emulators: the audit items of the job's session
//! in DynamoDB (`T#<tenant>#A#<session>`, see shared/aws/src/dynamo/mod.rs)
//! and the dead-letter queues' depth. Per job:
//! - the job is terminal; every file is terminal; progress counts the files;
//! - the result is complete: one entry per file, statuses and counts equal
//!   the status page's;
//! - no file failed with `processing_failed` (an infrastructure give-up must
//!   be re-opened by the replay of its dead letter, api.md "Re-opened jobs");
//! - the job was decided once per decision: its `job.completed` audit
//!   entries are separated by `file.reopened` entries (a job is decided
//!   again only after a re-opening) with none after the last, and the
//!   webhook receiver got exactly as many distinct `job.completed` events
//!   (`webhook-id`s) as there are decisions.
//!
//! Globally: both dead-letter queues are empty.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use intake_client::Method;
use serde_json::Value;

use super::runner::Direct;
use crate::api::{snippet, Api};
use crate::ctx::is_terminal;

/// One job of a scenario, as submitted.
#[derive(Clone, Debug)]
pub struct JobRef {
    pub tenant: String,
    pub session: String,
    pub job: String,
    pub files: usize,
}

/// The `job.completed` events the receiver got: per job id, the distinct
/// event ids (`webhook-id`), in order of first receipt.
pub type Webhooks = HashMap<String, Vec<String>>;

/// The violations found (empty: every invariant holds).
pub async fn check(
    api: &Api,
    direct: &Direct,
    jobs: &[JobRef],
    webhooks: &Webhooks,
) -> Vec<String> {
    let mut violations = Vec::new();
    for job in jobs {
        if let Err(message) = check_job(api, direct, job, webhooks, &mut violations).await {
            violations.push(format!("{}: could not be checked: {message}", job.job));
        }
    }
    for suffix in ["work-dlq", "webhooks-dlq"] {
        match direct.depth(suffix).await {
            Ok(0) => {}
            Ok(depth) => violations.push(format!("{suffix}: {depth} messages left")),
            Err(message) => violations.push(format!("{suffix}: {message}")),
        }
    }
    violations
}

async fn get(api: &Api, path: &str) -> Result<Value, String> {
    let (_, reply) = api.call(Method::GET, path, None).await;
    let reply = reply?;
    match reply.status {
        200 => Ok(reply.body),
        303 => {
            let location = reply.location.ok_or("303 without Location")?;
            let (_, fetched) = api.get_url(&location).await;
            let fetched = fetched?;
            if fetched.status == 200 {
                Ok(fetched.body)
            } else {
                Err(format!("GET {location}: HTTP {}", fetched.status))
            }
        }
        status => Err(format!(
            "GET {path}: HTTP {status}: {}",
            snippet(&reply.text)
        )),
    }
}

async fn check_job(
    api: &Api,
    direct: &Direct,
    job: &JobRef,
    webhooks: &Webhooks,
    violations: &mut Vec<String>,
) -> Result<(), String> {
    let id = &job.job;
    let mut bad = |message: String| violations.push(format!("{id}: {message}"));

    // Status and every file, page by page.
    let mut files: BTreeMap<String, Value> = BTreeMap::new();
    let mut path = format!("/jobs/{id}/status?limit=1000");
    let first = loop {
        let page = get(api, &path).await?;
        for file in page["files"].as_array().into_iter().flatten() {
            files.insert(
                file["file_id"].as_str().unwrap_or_default().to_owned(),
                file.clone(),
            );
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/jobs/{id}/status?limit=1000&cursor={cursor}"),
            None => break page,
        }
    };
    let status = first["status"].as_str().unwrap_or_default().to_owned();
    if !is_terminal(&status) {
        bad(format!("job is {status}, not terminal"));
    }
    let progress = &first["progress"];
    let count = |key: &str| progress[key].as_u64().unwrap_or(u64::MAX);
    if count("total") != job.files as u64 {
        bad(format!(
            "progress.total {} for {} files",
            count("total"),
            job.files
        ));
    }
    if files.len() != job.files {
        bad(format!(
            "{} files on the status pages for {}",
            files.len(),
            job.files
        ));
    }
    let mut statuses: HashMap<&str, u64> = HashMap::new();
    for (file_id, file) in &files {
        let file_status = file["status"].as_str().unwrap_or_default();
        *statuses.entry(file_status).or_default() += 1;
        if !matches!(file_status, "succeeded" | "failed") {
            bad(format!("file {file_id} is {file_status}, not terminal"));
        }
        if file["error"]["code"].as_str() == Some("processing_failed") {
            bad(format!("file {file_id} failed with processing_failed"));
        }
    }
    for key in ["succeeded", "failed"] {
        let listed = statuses.get(key).copied().unwrap_or(0);
        if count(key) != listed {
            bad(format!(
                "progress.{key} {} but {listed} files {key}",
                count(key)
            ));
        }
    }

    // The result: one entry per file, the same statuses.
    if is_terminal(&status) {
        let result = get(api, &format!("/jobs/{id}/result")).await?;
        let entries = result["results"].as_array().cloned().unwrap_or_default();
        if entries.len() != job.files {
            bad(format!(
                "{} result entries for {} files",
                entries.len(),
                job.files
            ));
        }
        let mut seen = HashSet::new();
        for entry in &entries {
            let file_id = entry["file_id"].as_str().unwrap_or_default();
            if !seen.insert(file_id.to_owned()) {
                bad(format!("file {file_id} twice in the result"));
            }
            match files.get(file_id) {
                None => bad(format!("result entry {file_id} is not a file of the job")),
                Some(file) if file["status"] != entry["status"] => bad(format!(
                    "file {file_id}: {} in the result, {} on the status page",
                    entry["status"], file["status"]
                )),
                Some(_) => {}
            }
        }
    }

    // Decisions: the audit trail and the webhook events.
    let trail = audit_trail(direct, &job.tenant, &job.session).await?;
    let mut decisions = 0usize;
    let mut reopened_since = true;
    for event in &trail {
        match event.as_str() {
            "job.completed" => {
                if !reopened_since {
                    bad(format!(
                        "job.completed #{} without a file.reopened since the previous one",
                        decisions + 1
                    ));
                }
                decisions += 1;
                reopened_since = false;
            }
            "file.reopened" => reopened_since = true,
            _ => {}
        }
    }
    if decisions == 0 {
        bad("no job.completed audit entry".into());
    } else if reopened_since {
        bad("file.reopened after the last job.completed: not decided again".into());
    }
    let events = webhooks.get(id).map_or(0, Vec::len);
    if events != decisions {
        bad(format!(
            "{events} job.completed webhook events (distinct webhook-id) for {decisions} decisions in the audit trail"
        ));
    }
    Ok(())
}

/// The `event` of every audit item of the session, oldest first (the sort
/// key starts with the entry's time).
async fn audit_trail(direct: &Direct, tenant: &str, session: &str) -> Result<Vec<String>, String> {
    let mut events = Vec::new();
    let mut start = None;
    loop {
        let output = direct
            .dynamodb
            .query()
            .table_name(&direct.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("T#{tenant}#A#{session}")),
            )
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "audit query: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
        for item in output.items() {
            if let Some(AttributeValue::S(event)) = item.get("event") {
                events.push(event.clone());
            }
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(events);
        }
    }
}
