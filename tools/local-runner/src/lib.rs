//! Runs invoice-intake on one machine the way AWS runs it: an HTTP server
//! that turns each request into the API Gateway REST event Lambda would get
//! and calls the same handler, and pollers that feed the work queue to the
//! worker the way Lambda's SQS event source mapping does (batches, partial
//! batch failures, visibility timeouts, redrive by the queue itself).

mod api;
mod metrics_endpoint;
mod poller;
mod rate_limit;
mod reconciler;
pub mod tenants;

use std::net::SocketAddr;
use std::time::Duration;

use intake_aws::Deployment;
use intake_domain::Intake;
use poller::Consumer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use metrics_endpoint::{serve_metrics, DEFAULT_METRICS_LISTEN};
pub use poller::PollerConfig;
pub use rate_limit::RateLimit;

/// How the runner behaves.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    pub listen: SocketAddr,
    pub poller: PollerConfig,
    /// Concurrent pollers of the work queue, like the event source
    /// mapping's `MaximumConcurrency` (`WorkerMaxConcurrency` in
    /// `template.yaml`); 0 polls nothing.
    pub work_pollers: usize,
    /// Concurrent pollers of the express queue (`ExpressMaxConcurrency`).
    pub express_pollers: usize,
    /// Concurrent pollers of the webhook queue.
    pub webhook_pollers: usize,
    /// How often the reconciler runs (`ReconcileIntervalMinutes` in
    /// `template.yaml`); `None` never.
    pub reconcile_every: Option<Duration>,
    /// The request rate of each API key, as the usage plan's throttle
    /// (`TenantRateLimit`, `TenantBurstLimit`); `None` does not limit.
    pub rate_limit: Option<RateLimit>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            poller: PollerConfig::default(),
            // On one machine with the emulators the pipeline is bound by
            // their CPU: measured with 2000 files on 2 cores, 2 pollers per
            // core moved as many files per second as 4 (52.7 vs 51.4) with
            // one-file jobs beside the batch at p99 0.69 s instead of
            // 2.42 s; 1 per core fell to 43 files/s.
            work_pollers: 2 * cores,
            express_pollers: 2 * cores,
            webhook_pollers: 4,
            reconcile_every: Some(Duration::from_secs(60)),
            rate_limit: Some(RateLimit::default()),
        }
    }
}

impl RunnerConfig {
    /// A job's files in flight: half a batch per work poller. Measured on
    /// moto, whose `ReceiveMessage` costs grow with the messages in the
    /// queue: a window of 40 (8 pollers) moved 2000 files at 23.8 files/s
    /// with one-file jobs beside it at p50 6.2 s, one of 160 at 17.7 files/s
    /// and 17.3 s (before results moved onto the file items).
    pub fn dispatch_window(&self) -> usize {
        (self.work_pollers * self.poller.batch_size.max(1) as usize / 2).max(1)
    }
}

/// A started runner; `stop` ends it.
pub struct Running {
    pub address: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests and polling, and waits for in-flight
    /// batches to finish.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read a queue's attributes: {0}")]
    Queue(String),
}

/// Starts the API server, the pollers of the work, express and webhook
/// queues, and the reconciler.
pub async fn start(
    intake: Intake,
    sqs: aws_sdk_sqs::Client,
    deployment: &Deployment,
    config: RunnerConfig,
) -> Result<Running, StartError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| StartError::Listen {
        address: config.listen,
        source,
    })?;
    let (shutdown, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(api::serve(
        intake.clone(),
        listener,
        config.rate_limit.map(rate_limit::TenantRateLimiter::new),
        stopped.clone(),
    ))];
    for (consumer, url, pollers) in [
        (
            Consumer::Files,
            &deployment.work_queue_url,
            config.work_pollers,
        ),
        (
            Consumer::Files,
            &deployment.express_queue_url,
            config.express_pollers,
        ),
        (
            Consumer::Webhooks,
            &deployment.webhook_queue_url,
            config.webhook_pollers,
        ),
    ] {
        let queue = poller::Queue::resolve(sqs.clone(), url.clone())
            .await
            .map_err(StartError::Queue)?;
        for _ in 0..pollers {
            tasks.push(tokio::spawn(poller::poll(
                consumer,
                intake.clone(),
                queue.clone(),
                config.poller.clone(),
                stopped.clone(),
            )));
        }
    }
    if let Some(interval) = config.reconcile_every {
        tasks.push(tokio::spawn(reconciler::run(
            intake.clone(),
            interval,
            stopped.clone(),
        )));
    }
    Ok(Running {
        address,
        shutdown,
        tasks,
    })
}

/// The longest a handler may run, as the functions' `Timeout` in
/// `template.yaml`.
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);
