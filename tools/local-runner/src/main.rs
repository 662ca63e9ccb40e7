//! `intake-local`: the whole API and its workers on this machine, against
//! whatever AWS endpoints the environment names (the emulators of
//! `make dev`, LocalStack, or a real account).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use intake_aws::{
    build_ports, ensure_resources, Clients, DynamoStore, QueueSettings, ResourceNames,
};
use intake_domain::Intake;
use intake_local::{serve_metrics, tenants, RateLimit, RunnerConfig, DEFAULT_METRICS_LISTEN};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A count from the environment, `default` when unset.
fn count_or(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .with_context(|| format!("{name} must be a whole number, not {value:?}")),
        _ => Ok(default),
    }
}

/// `INTAKE_RATE_LIMIT` requests per second and `INTAKE_RATE_BURST` per API
/// key (the usage plan's `TenantRateLimit`, `TenantBurstLimit`); a rate of
/// 0 turns the limit off.
fn rate_limit_from_env(defaults: RateLimit) -> anyhow::Result<Option<RateLimit>> {
    let per_second = count_or("INTAKE_RATE_LIMIT", defaults.per_second.get() as usize)?;
    let burst = count_or("INTAKE_RATE_BURST", defaults.burst.get() as usize)?;
    if per_second == 0 {
        return Ok(None);
    }
    let limit = u32::try_from(per_second)
        .ok()
        .zip(u32::try_from(burst).ok())
        .and_then(|(per_second, burst)| RateLimit::new(per_second, burst))
        .context("INTAKE_RATE_LIMIT and INTAKE_RATE_BURST must be 1 to 4294967295 (a rate of 0 turns the limit off)")?;
    Ok(Some(limit))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let prefix = env_or("INTAKE_PREFIX", "intake-dev");
    let listen: SocketAddr = env_or("INTAKE_LISTEN", "127.0.0.1:3000")
        .parse()
        .context("INTAKE_LISTEN must be host:port")?;
    let metrics_listen: SocketAddr = env_or("INTAKE_METRICS_LISTEN", DEFAULT_METRICS_LISTEN)
        .parse()
        .context("INTAKE_METRICS_LISTEN must be host:port")?;
    serve_metrics(metrics_listen)
        .with_context(|| format!("cannot serve metrics on {metrics_listen}"))?;
    println!("Metrics (Prometheus text): http://{metrics_listen}/metrics");
    let mut settings = intake_aws::settings_from_env()?;
    let defaults = RunnerConfig::default();
    let config = RunnerConfig {
        listen,
        work_pollers: count_or("INTAKE_WORKER_CONCURRENCY", defaults.work_pollers)?,
        express_pollers: count_or("INTAKE_EXPRESS_CONCURRENCY", defaults.express_pollers)?,
        reconcile_every: match count_or("INTAKE_RECONCILE_INTERVAL_SECS", 60)? {
            0 => None,
            secs => Some(Duration::from_secs(secs as u64)),
        },
        rate_limit: rate_limit_from_env(defaults.rate_limit.unwrap_or_default())?,
        ..defaults
    };
    if std::env::var_os("INTAKE_DISPATCH_WINDOW").is_none() {
        // Sized to the pollers, and small: a deep queue is slow on moto.
        settings.dispatch_window = config.dispatch_window();
    }
    let sdk = intake_aws::load_sdk_config().await;
    let clients = Clients::new(&sdk, intake_aws::force_path_style());

    let queue_defaults = QueueSettings::default();
    let visibility = count_or(
        "INTAKE_VISIBILITY_TIMEOUT_SECS",
        queue_defaults.visibility_timeout_secs as usize,
    )?;
    // A message must stay hidden while a worker may still hold it.
    anyhow::ensure!(
        visibility > intake_local::FUNCTION_TIMEOUT.as_secs() as usize && visibility <= 43_200,
        "INTAKE_VISIBILITY_TIMEOUT_SECS must be above the {} s function timeout and at most 43200",
        intake_local::FUNCTION_TIMEOUT.as_secs()
    );
    let queue = QueueSettings {
        max_receive_count: settings.max_receive_count,
        visibility_timeout_secs: visibility as u32,
    };
    let deployment =
        ensure_resources(&clients, &ResourceNames::with_prefix(&prefix), queue).await?;

    let store = DynamoStore::new(clients.dynamodb.clone(), &deployment.table);
    let entries = match std::env::var("INTAKE_TENANTS_FILE") {
        Ok(path) if !path.is_empty() => tenants::read_tenants_file(&path)?,
        _ => {
            let dev = tenants::generate("dev");
            println!("No INTAKE_TENANTS_FILE: created tenant 'dev'");
            println!("  x-api-key:      {}", dev.api_key);
            println!(
                "  webhook secret: {}",
                dev.webhook_secret.as_deref().unwrap_or_default()
            );
            vec![dev]
        }
    };
    tenants::register(&store, &entries).await?;
    let admin_key = match std::env::var("INTAKE_ADMIN_API_KEY") {
        Ok(key) if !key.is_empty() => key,
        _ => {
            let key = tenants::generate("admin").api_key;
            println!("No INTAKE_ADMIN_API_KEY: operator key for /admin routes: {key}");
            key
        }
    };
    // api.md: the operators' key is distinct from every tenant's.
    anyhow::ensure!(
        entries.iter().all(|entry| entry.api_key != admin_key),
        "INTAKE_ADMIN_API_KEY must differ from every tenant's api_key"
    );
    store.put_admin_key(&admin_key).await?;

    let ports = build_ports(
        &clients,
        &deployment,
        Some(Arc::new(intake_extractor::Engine)),
        &settings,
    );
    let intake = Intake::new(ports, settings);
    println!(
        "pollers: {} on the work queue, {} on the express queue, {} on the webhook queue; dispatch window {} files",
        config.work_pollers,
        config.express_pollers,
        config.webhook_pollers,
        intake.settings().dispatch_window
    );
    let running = intake_local::start(intake, clients.sqs.clone(), &deployment, config).await?;
    println!(
        "invoice-intake API on http://{} (table {}, bucket {}, queue {})",
        running.address, deployment.table, deployment.bucket, deployment.work_queue_url
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    running.stop().await;
    Ok(())
}
