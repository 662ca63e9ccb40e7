//! `intake-load chaos`: the fault-injection run (`make chaos`, and bounded
//! with `--quick` inside `make test`).
//!
//! The driver starts the fault proxy (tools/fault-proxy) in this process in
//! front of the emulators named by `AWS_ENDPOINT_URL_*`, starts the runner
//! (`--runner`, a child it can SIGKILL) with its SDK endpoints on the proxy,
//! a tenant whose webhooks come to this tool's receiver, and an operator
//! key; then runs each scenario of the matrix (`scenario.rs`) and checks the
//! invariants after each (`invariants.rs`). It prints the matrix (fault ×
//! injected × outcome × recovery time) and writes it to `--out`.
//! Exit status: 0 when every scenario's invariants held, 3 when one did
//! not, 2 on bad usage, 1 when the run could not start.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use intake_fault_proxy::{endpoint_addr, Proxy, Service};
use tokio::sync::Mutex;

use crate::api::Api;
use crate::batch::corpus::{load_corpus, random_hex, Source};
use crate::report::progress;

mod invariants;
mod runner;
mod scenario;

use invariants::Webhooks;
use runner::{Direct, Runner, RunnerSpec};
use scenario::{Outcome, Scenario};

pub const USAGE: &str = "usage: intake-load chaos --runner PATH [options]
  (the emulators' endpoints come from AWS_ENDPOINT_URL_S3 / _SQS / _DYNAMODB)
  --runner PATH      the intake-local binary
  --corpus DIR       invoices, every *.xml and *.pdf under DIR (default <repo>/../shared/corpus)
  --quick            small jobs and short faults (the bounded run of `make test`)
  --seed N           the fault schedule's seed (default 1)
  --scenarios LIST   comma-separated subset of: 5xx,throttling,transaction-conflicts,
                     connection-resets,latency,sigkill-restart,dynamodb-outage (default all)
  --out FILE         also write the matrix to FILE";

/// The shared state of a chaos run.
pub struct Chaos {
    pub proxy: Proxy,
    pub runner: Runner,
    pub direct: Direct,
    pub api: Api,
    /// The API with the operator key (`/admin` routes).
    pub admin: Api,
    pub tenant: String,
    pub sources: Vec<Source>,
    pub receiver_url: String,
    pub seed: u64,
    /// How long faults run from the first extract (scenarios a–e).
    pub fault_window: Duration,
    /// How long DynamoDB is down (scenario g).
    pub outage: Duration,
    /// Longest wait from faults off to the invariants holding.
    pub recovery_limit: Duration,
    webhooks: Arc<Mutex<Webhooks>>,
}

impl Chaos {
    /// The `job.completed` events received so far.
    pub async fn webhooks(&self) -> Webhooks {
        self.webhooks.lock().await.clone()
    }
}

struct Args {
    runner: PathBuf,
    corpus: PathBuf,
    quick: bool,
    seed: u64,
    scenarios: Vec<Scenario>,
    out: Option<PathBuf>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        runner: PathBuf::new(),
        corpus: PathBuf::from(crate::args::DEFAULT_CORPUS),
        quick: false,
        seed: 1,
        scenarios: Scenario::ALL.to_vec(),
        out: None,
    };
    let mut runner = None;
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--runner" => runner = Some(PathBuf::from(value()?)),
            "--corpus" => args.corpus = PathBuf::from(value()?),
            "--quick" => args.quick = true,
            "--seed" => {
                let text = value()?;
                args.seed = text
                    .parse()
                    .map_err(|_| format!("--seed: not a number: {text}"))?;
            }
            "--scenarios" => {
                let text = value()?;
                args.scenarios = text
                    .split(',')
                    .map(|name| {
                        Scenario::ALL
                            .into_iter()
                            .find(|s| s.name() == name.trim())
                            .ok_or_else(|| format!("--scenarios: unknown scenario {name}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--out" => args.out = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.runner = runner.ok_or("--runner is required")?;
    Ok(args)
}

pub async fn main(words: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse(words) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("intake-load chaos: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut chaos = match set_up(&args).await {
        Ok(chaos) => chaos,
        Err(message) => {
            eprintln!("intake-load chaos: {message}");
            return ExitCode::from(1);
        }
    };
    // Job sizes: one express job (≤ 10 files) beside larger batches.
    let sizes: &[usize] = if args.quick {
        &[5, 40]
    } else {
        &[8, 50, 120, 300]
    };
    let mut outcomes = Vec::new();
    let mut failed_to_run = false;
    for &scenario in &args.scenarios {
        match scenario::run(&mut chaos, scenario, sizes).await {
            Ok(outcome) => outcomes.push(outcome),
            Err(message) => {
                eprintln!(
                    "intake-load chaos: scenario {} could not run: {message}",
                    scenario.name()
                );
                failed_to_run = true;
                break;
            }
        }
    }
    chaos.runner.stop().await;
    let table = matrix(&outcomes, &args);
    print!("{table}");
    if let Some(out) = &args.out {
        if let Err(error) = std::fs::write(out, &table) {
            eprintln!("intake-load chaos: cannot write {}: {error}", out.display());
        }
    }
    progress(&format!(
        "chaos: runner log {}",
        chaos.runner.log().display()
    ));
    if failed_to_run {
        ExitCode::from(1)
    } else if outcomes.iter().any(|o| !o.violations.is_empty()) {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

async fn set_up(args: &Args) -> Result<Chaos, String> {
    let sources = load_corpus(&args.corpus)?;
    let mut upstreams = Vec::new();
    for (service, variable) in [
        (Service::S3, "AWS_ENDPOINT_URL_S3"),
        (Service::Sqs, "AWS_ENDPOINT_URL_SQS"),
        (Service::Dynamodb, "AWS_ENDPOINT_URL_DYNAMODB"),
    ] {
        let url = std::env::var(variable)
            .map_err(|_| format!("{variable} is not set (source .local/emulators.env)"))?;
        let addr = endpoint_addr(&url)
            .await
            .map_err(|e| format!("{variable}: {e}"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("{variable} must be a loopback emulator, not {url}"));
        }
        upstreams.push((service, addr));
    }
    let proxy = Proxy::start(&upstreams)
        .await
        .map_err(|e| format!("fault proxy: {e}"))?;
    let endpoint = |service| proxy.url(service).unwrap_or_default();
    let endpoints = [
        ("AWS_ENDPOINT_URL_S3", endpoint(Service::S3)),
        ("AWS_ENDPOINT_URL_SQS", endpoint(Service::Sqs)),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint(Service::Dynamodb)),
    ];

    let work_dir = std::env::temp_dir().join(format!("intake-chaos-{}", random_hex()));
    std::fs::create_dir_all(&work_dir).map_err(|e| format!("{}: {e}", work_dir.display()))?;
    let tenant = format!("chaos-{}", &random_hex()[..6]);
    let api_key = format!("ik_chaos_{}", random_hex());
    let admin_key = format!("ik_chaos_admin_{}", random_hex());
    let secret = {
        use base64::Engine;
        let bytes: Vec<u8> = random_hex()
            .bytes()
            .chain(random_hex().bytes())
            .take(24)
            .collect();
        format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    let tenants_file = work_dir.join("tenants.json");
    let tenants =
        serde_json::json!([{"tenant": tenant, "api_key": api_key, "webhook_secret": secret}]);
    std::fs::write(&tenants_file, tenants.to_string()).map_err(|e| e.to_string())?;

    // A free loopback port, the same for every start of the runner.
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let prefix = format!("chaos-{}", &random_hex()[..8]);
    let base = format!("http://127.0.0.1:{port}");
    let timeout = Duration::from_secs(30);
    let api = Api::new(&base, &api_key, timeout)?;
    let admin = Api::new(&base, &admin_key, timeout)?;
    let mut runner = Runner::new(RunnerSpec {
        binary: args.runner.clone(),
        port,
        prefix: prefix.clone(),
        tenants_file,
        admin_key,
        endpoints,
        log: work_dir.join("runner.log"),
    });
    progress(&format!(
        "chaos: runner {} on {} (prefix {prefix}, log {}), proxy s3 {} sqs {} dynamodb {}",
        args.runner.display(),
        runner.base_url(),
        runner.log().display(),
        endpoint(Service::S3),
        endpoint(Service::Sqs),
        endpoint(Service::Dynamodb),
    ));
    runner.start(&api).await?;
    let direct = Direct::new(&prefix).await;

    let mut receiver = crate::receiver::start()
        .await
        .map_err(|e| format!("webhook receiver: {e}"))?;
    let receiver_url = receiver.base_url.clone();
    let webhooks = Arc::new(Mutex::new(Webhooks::new()));
    let collected = webhooks.clone();
    tokio::spawn(async move {
        // Kept alive by this task: dropping the receiver stops it.
        while let Some(delivery) = receiver.deliveries.recv().await {
            let Some(id) = delivery.headers.get("webhook-id").cloned() else {
                continue;
            };
            let body: serde_json::Value =
                serde_json::from_slice(&delivery.body).unwrap_or_default();
            let Some(job) = body["data"]["job_id"].as_str() else {
                continue;
            };
            let mut map: tokio::sync::MutexGuard<'_, HashMap<String, Vec<String>>> =
                collected.lock().await;
            let ids = map.entry(job.to_owned()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    });
    let quick = args.quick;
    Ok(Chaos {
        proxy,
        runner,
        direct,
        api,
        admin,
        tenant,
        sources,
        receiver_url,
        seed: args.seed,
        fault_window: Duration::from_secs(if quick { 6 } else { 20 }),
        // Longer than the runner's retry budget (4 receives, 1 s doubling,
        // plus the SDK's own retries), so that files are given up on.
        outage: Duration::from_secs(if quick { 20 } else { 30 }),
        recovery_limit: Duration::from_secs(if quick { 100 } else { 240 }),
        webhooks,
    })
}

/// The matrix: one row per scenario, then each failing scenario's violations.
fn matrix(outcomes: &[Outcome], args: &Args) -> String {
    let mut out = format!(
        "chaos matrix (seed {}, {} mode)\n| fault | jobs / files | injected | outcome | recovery |\n|---|---|---|---|---|\n",
        args.seed,
        if args.quick { "quick" } else { "full" }
    );
    for o in outcomes {
        let mut injected: Vec<String> =
            o.injected.iter().map(|(k, v)| format!("{k} {v}")).collect();
        if o.runner_kills > 0 {
            injected.push(format!("runner SIGKILL {}", o.runner_kills));
        }
        if injected.is_empty() {
            injected.push("none".into());
        }
        let outcome = if o.violations.is_empty() {
            format!("invariants hold ({} dead letters replayed)", o.replayed)
        } else {
            format!(
                "FAILED: {} violations ({} dead letters replayed)",
                o.violations.len(),
                o.replayed
            )
        };
        let recovery = o.recovery.map_or("not within the limit".to_owned(), |d| {
            format!("{:.1} s", d.as_secs_f64())
        });
        out.push_str(&format!(
            "| {} | {} / {} | {} | {} | {} |\n",
            o.scenario.name(),
            o.jobs,
            o.files,
            injected.join(", "),
            outcome,
            recovery
        ));
    }
    for o in outcomes.iter().filter(|o| !o.violations.is_empty()) {
        out.push_str(&format!("\n{} violations:\n", o.scenario.name()));
        for violation in o.violations.iter().take(15) {
            out.push_str(&format!("  - {violation}\n"));
        }
        if o.violations.len() > 15 {
            out.push_str(&format!("  - … and {} more\n", o.violations.len() - 15));
        }
    }
    out
}
