//! One scenario of the matrix: its jobs prepared with faults off (create,
//! upload, confirm), then extracted while its fault runs, then faults off,
//! dead letters replayed until none are left, and the invariants checked
//! until they hold. Recovery time: from faults off (for the SIGKILL
//! scenario, from the kill) to the first check with every invariant holding.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use intake_client::Method;
use intake_fault_proxy::{Plan, Rates};
use serde_json::{json, Value};

use super::invariants::{check, JobRef};
use super::Chaos;
use crate::api::snippet;
use crate::batch::corpus::BatchFile;
use crate::ctx::is_terminal;
use crate::report::progress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    ServerErrors,
    Throttling,
    TransactionConflicts,
    Resets,
    Latency,
    Sigkill,
    DynamodbOutage,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::ServerErrors,
        Scenario::Throttling,
        Scenario::TransactionConflicts,
        Scenario::Resets,
        Scenario::Latency,
        Scenario::Sigkill,
        Scenario::DynamodbOutage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::ServerErrors => "5xx",
            Scenario::Throttling => "throttling",
            Scenario::TransactionConflicts => "transaction-conflicts",
            Scenario::Resets => "connection-resets",
            Scenario::Latency => "latency",
            Scenario::Sigkill => "sigkill-restart",
            Scenario::DynamodbOutage => "dynamodb-outage",
        }
    }

    /// The faults, on every service unless said otherwise (None: no proxy
    /// faults, the runner is killed instead).
    fn plan(self, seed: u64) -> Option<Plan> {
        let everywhere = |rates: Rates| Plan {
            seed,
            s3: rates.clone(),
            sqs: rates.clone(),
            dynamodb: rates,
        };
        match self {
            Scenario::ServerErrors => Some(everywhere(Rates {
                http_500: 0.1,
                http_503: 0.1,
                ..Rates::default()
            })),
            Scenario::Throttling => Some(everywhere(Rates {
                throttle: 0.2,
                ..Rates::default()
            })),
            Scenario::TransactionConflicts => Some(Plan {
                seed,
                dynamodb: Rates {
                    transaction_conflict: 0.5,
                    ..Rates::default()
                },
                ..Plan::default()
            }),
            Scenario::Resets => Some(everywhere(Rates {
                reset_before: 0.05,
                reset_after: 0.05,
                ..Rates::default()
            })),
            Scenario::Latency => Some(everywhere(Rates {
                latency: 0.3,
                latency_ms: 400,
                ..Rates::default()
            })),
            Scenario::Sigkill => None,
            Scenario::DynamodbOutage => Some(Plan {
                seed,
                dynamodb: Rates {
                    http_500: 1.0,
                    ..Rates::default()
                },
                ..Plan::default()
            }),
        }
    }
}

/// What one scenario came to.
pub struct Outcome {
    pub scenario: Scenario,
    pub jobs: usize,
    pub files: usize,
    /// Faults injected during the scenario, `service.kind` → count.
    pub injected: BTreeMap<String, u64>,
    pub runner_kills: u32,
    pub replayed: usize,
    /// From faults off to the invariants holding (None: they never did).
    pub recovery: Option<Duration>,
    pub violations: Vec<String>,
}

/// Runs one scenario on `jobs` jobs of `sizes[i]` files.
pub async fn run(
    chaos: &mut Chaos,
    scenario: Scenario,
    sizes: &[usize],
) -> Result<Outcome, String> {
    let name = scenario.name();
    progress(&format!(
        "chaos {name}: preparing {} jobs ({} files), faults off",
        sizes.len(),
        sizes.iter().sum::<usize>()
    ));
    chaos.proxy.control.off();
    let mut sessions = Vec::new();
    for &size in sizes {
        sessions.push((prepare(chaos, size).await?, size));
    }
    let before = chaos.proxy.control.report();
    let mut kills = 0;
    let started = Instant::now();
    let mut jobs = Vec::new();
    let faults_off_at = match scenario {
        Scenario::Sigkill | Scenario::DynamodbOutage => {
            for (session, files) in &sessions {
                jobs.push(extract(chaos, session, *files).await?);
            }
            // Mid-batch: once a fifth of the files are done.
            wait_for_progress(chaos, &jobs, 0.2).await;
            if scenario == Scenario::Sigkill {
                progress(&format!("chaos {name}: SIGKILL of the runner"));
                chaos.runner.kill().await?;
                kills += 1;
                let killed = Instant::now();
                chaos.runner.start(&chaos.api).await?;
                progress(&format!("chaos {name}: runner restarted"));
                killed
            } else {
                let plan = scenario.plan(chaos.seed).ok_or("no plan")?;
                chaos.proxy.control.set(plan).map_err(|e| e.to_string())?;
                progress(&format!(
                    "chaos {name}: DynamoDB down for {} s",
                    chaos.outage.as_secs()
                ));
                tokio::time::sleep(chaos.outage).await;
                chaos.proxy.control.off();
                Instant::now()
            }
        }
        _ => {
            let plan = scenario.plan(chaos.seed).ok_or("no plan")?;
            chaos.proxy.control.set(plan).map_err(|e| e.to_string())?;
            for (session, files) in &sessions {
                jobs.push(extract(chaos, session, *files).await?);
            }
            let window = chaos.fault_window.saturating_sub(started.elapsed());
            tokio::time::sleep(window).await;
            chaos.proxy.control.off();
            Instant::now()
        }
    };
    progress(&format!(
        "chaos {name}: faults off after {:.1} s; recovering",
        started.elapsed().as_secs_f64()
    ));
    let (recovery, mut violations, replayed) = recover(chaos, &jobs, faults_off_at).await;
    // The outage outlasts the runner's retry budget: files are given up on
    // and their dead letters replayed, so re-opening is what recovered them.
    if scenario == Scenario::DynamodbOutage && replayed == 0 {
        violations.push(
            "the outage gave up on no file: the dead-letter replay was not exercised".to_owned(),
        );
    }
    let after = chaos.proxy.control.report();
    let mut injected = BTreeMap::new();
    for (service, report) in &after {
        for (kind, count) in &report.injected {
            let earlier = before[service].injected[kind];
            if *count > earlier {
                injected.insert(format!("{service}.{kind}"), count - earlier);
            }
        }
    }
    Ok(Outcome {
        scenario,
        jobs: jobs.len(),
        files: sizes.iter().sum(),
        injected,
        runner_kills: kills,
        replayed,
        recovery,
        violations,
    })
}

/// A session of `size` corpus files with the receiver as its webhook URL,
/// uploaded and confirmed: its id.
async fn prepare(chaos: &Chaos, size: usize) -> Result<String, String> {
    let nonce = crate::batch::corpus::random_hex();
    let files: Vec<BatchFile> = (0..size)
        .map(|i| BatchFile::new(&chaos.sources, i, &nonce))
        .collect();
    let body = json!({
        "files": files.iter().map(|f| json!({"name": f.name, "content_type": f.content_type, "size": f.size})).collect::<Vec<_>>(),
        "webhook_url": format!("{}/hooks", chaos.receiver_url),
    });
    let (_, reply) = chaos.api.call(Method::POST, "/sessions", Some(&body)).await;
    let reply = reply?;
    if reply.status != 201 {
        return Err(format!(
            "POST /sessions: HTTP {}: {}",
            reply.status,
            snippet(&reply.text)
        ));
    }
    let session = reply.body["id"].as_str().ok_or("no session id")?.to_owned();
    let declared: Vec<Value> = reply.body["files"].as_array().cloned().unwrap_or_default();
    let uploads = declared.iter().zip(&files).map(|(slot, file)| {
        let bytes = file.bytes(&chaos.sources);
        async move { chaos.api.upload(slot, &bytes).await.1 }
    });
    let results: Vec<Result<(), String>> =
        stream::iter(uploads).buffer_unordered(8).collect().await;
    if let Some(Err(message)) = results.into_iter().find(Result::is_err) {
        return Err(format!("upload: {message}"));
    }
    let path = format!("/sessions/{session}/confirm");
    let (_, reply) = chaos.api.call(Method::PATCH, &path, None).await;
    let reply = reply?;
    if reply.status != 200 {
        return Err(format!(
            "confirm: HTTP {}: {}",
            reply.status,
            snippet(&reply.text)
        ));
    }
    Ok(session)
}

/// How long a client keeps retrying POST extract: longer than the
/// idempotency lease (60 s, shared/http/src/idempotency.rs), because a
/// request whose 5xx could not release its key (the release failed under
/// the same fault) leaves the key claimed, answering 409 until the lease
/// ends.
const EXTRACT_PATIENCE: Duration = Duration::from_secs(90);

/// POST extract with an Idempotency-Key, repeated with the same key while
/// faults make it fail (transport error, 5xx, 409 in progress).
async fn extract(chaos: &Chaos, session: &str, files: usize) -> Result<JobRef, String> {
    let key = format!("chaos-{session}");
    let path = format!("/sessions/{session}/extract");
    let mut last = String::new();
    let deadline = Instant::now() + EXTRACT_PATIENCE;
    while Instant::now() < deadline {
        let (_, reply) = chaos
            .api
            .call_with(Method::POST, &path, None, &[("Idempotency-Key", &key)])
            .await;
        match reply {
            Ok(reply) if reply.status == 202 => {
                let job = reply.body["job_id"].as_str().ok_or("no job_id")?.to_owned();
                return Ok(JobRef {
                    tenant: chaos.tenant.clone(),
                    session: session.to_owned(),
                    job,
                    files,
                });
            }
            Ok(reply) if reply.status >= 500 || reply.status == 409 => {
                last = format!("HTTP {}: {}", reply.status, snippet(&reply.text));
            }
            Ok(reply) => {
                return Err(format!(
                    "extract: HTTP {}: {}",
                    reply.status,
                    snippet(&reply.text)
                ))
            }
            Err(message) => last = message,
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!(
        "extract kept failing for {} s: {last}",
        EXTRACT_PATIENCE.as_secs()
    ))
}

/// Sum of succeeded + failed over the jobs (status errors count as 0).
async fn done_files(chaos: &Chaos, jobs: &[JobRef]) -> (usize, usize) {
    let mut done = 0;
    let mut terminal = 0;
    for job in jobs {
        let (_, reply) = chaos
            .api
            .call(
                Method::GET,
                &format!("/jobs/{}/status?limit=1", job.job),
                None,
            )
            .await;
        if let Ok(reply) = reply {
            let progress = &reply.body["progress"];
            done += ["succeeded", "failed"]
                .iter()
                .filter_map(|k| progress[*k].as_u64())
                .sum::<u64>() as usize;
            if is_terminal(reply.body["status"].as_str().unwrap_or_default()) {
                terminal += 1;
            }
        }
    }
    (done, terminal)
}

async fn wait_for_progress(chaos: &Chaos, jobs: &[JobRef], share: f64) {
    let total: usize = jobs.iter().map(|j| j.files).sum();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let (done, _) = done_files(chaos, jobs).await;
        if done as f64 >= share * total as f64 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Until the invariants hold or the recovery deadline: replays whatever
/// reached a dead-letter queue and, once every job is terminal and the
/// queues are drained, runs the checker. Returns the recovery time, the
/// last check's violations and the number of messages replayed.
async fn recover(
    chaos: &Chaos,
    jobs: &[JobRef],
    since: Instant,
) -> (Option<Duration>, Vec<String>, usize) {
    let deadline = since + chaos.recovery_limit;
    let mut replayed = 0;
    let mut violations = vec!["never checked: jobs not terminal or queues not drained".to_owned()];
    loop {
        for queue in ["work", "webhooks"] {
            let dlq = format!("{queue}-dlq");
            if chaos.direct.depth(&dlq).await.unwrap_or(0) > 0 {
                replayed += replay(chaos, queue).await;
            }
        }
        let (_, terminal) = done_files(chaos, jobs).await;
        let mut drained = true;
        for queue in ["work", "express", "webhooks", "work-dlq", "webhooks-dlq"] {
            drained &= chaos
                .direct
                .depth(queue)
                .await
                .is_ok_and(|depth| depth == 0);
        }
        if terminal == jobs.len() && drained {
            // Deliveries still on their way (a webhook attempt is not queued while it runs).
            tokio::time::sleep(Duration::from_millis(500)).await;
            let webhooks = chaos.webhooks().await;
            violations = check(&chaos.api, &chaos.direct, jobs, &webhooks).await;
            if violations.is_empty() {
                return (Some(since.elapsed()), violations, replayed);
            }
        }
        if Instant::now() >= deadline {
            return (None, violations, replayed);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `POST /admin/dead-letters/replay` of one queue: the messages moved.
async fn replay(chaos: &Chaos, queue: &str) -> usize {
    let body = json!({"queue": queue});
    let (_, reply) = chaos
        .admin
        .call(Method::POST, "/admin/dead-letters/replay", Some(&body))
        .await;
    match reply {
        Ok(reply) if reply.status == 200 => {
            let moved = reply.body["replayed"].as_array().map_or(0, Vec::len);
            progress(&format!(
                "chaos: replayed {moved} dead letters of the {queue} queue"
            ));
            moved
        }
        Ok(reply) => {
            progress(&format!(
                "chaos: replay of {queue}: HTTP {}: {}",
                reply.status,
                snippet(&reply.text)
            ));
            0
        }
        Err(message) => {
            progress(&format!("chaos: replay of {queue}: {message}"));
            0
        }
    }
}
