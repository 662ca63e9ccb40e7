//! The runner under test: `intake-local` as a child process whose AWS
//! endpoints are the fault proxy's listeners, killed with SIGKILL and
//! started again on the same port, prefix and tenants; and the driver's own
//! SDK clients, which talk to the emulators directly (never through faults).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use intake_client::Method;
use tokio::process::{Child, Command};

use crate::api::Api;

/// The queues' visibility timeout while the chaos runs
/// (`INTAKE_VISIBILITY_TIMEOUT_SECS` of the runner). Its default is 180 s
/// (6 × the 30 s function timeout, as `template.yaml`); messages in flight
/// when it is killed would be invisible that long. 40 s still exceeds the
/// function timeout, so a live worker never loses its messages to a second
/// one.
const CHAOS_VISIBILITY_SECS: u32 = 40;

/// How the runner is started, every time.
pub struct RunnerSpec {
    pub binary: PathBuf,
    pub port: u16,
    pub prefix: String,
    pub tenants_file: PathBuf,
    pub admin_key: String,
    /// `AWS_ENDPOINT_URL_S3`, `_SQS`, `_DYNAMODB` of the proxy.
    pub endpoints: [(&'static str, String); 3],
    pub log: PathBuf,
}

pub struct Runner {
    spec: RunnerSpec,
    child: Option<Child>,
    pub starts: u32,
}

impl Runner {
    pub fn new(spec: RunnerSpec) -> Self {
        Self {
            spec,
            child: None,
            starts: 0,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.port)
    }

    /// Starts the runner and waits until its API answers.
    pub async fn start(&mut self, api: &Api) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.spec.log)
            .map_err(|e| format!("{}: {e}", self.spec.log.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(&self.spec.binary);
        command
            .env("INTAKE_LISTEN", format!("127.0.0.1:{}", self.spec.port))
            .env("INTAKE_PREFIX", &self.spec.prefix)
            .env("INTAKE_TENANTS_FILE", &self.spec.tenants_file)
            .env("INTAKE_ADMIN_API_KEY", &self.spec.admin_key)
            .env("INTAKE_ALLOW_LOOPBACK_WEBHOOKS", "1")
            // Faults are injected behind the API, not by throttling it.
            .env("INTAKE_RATE_LIMIT", "0")
            // Any free port: another runner (`make dev`) may hold the default.
            .env("INTAKE_METRICS_LISTEN", "127.0.0.1:0")
            // Bounded retries, so that a fault reaches the dead-letter
            // queue within the run: attempts 1 s, 2 s, 4 s apart.
            .env("INTAKE_MAX_RECEIVE_COUNT", "4")
            .env("INTAKE_RETRY_BASE_DELAY_SECS", "1")
            .env("INTAKE_WEBHOOK_SCHEDULE_SECS", "0,1,1,2,2,3,3,3")
            .env(
                "INTAKE_VISIBILITY_TIMEOUT_SECS",
                CHAOS_VISIBILITY_SECS.to_string(),
            )
            .env(
                "RUST_LOG",
                std::env::var("CHAOS_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .kill_on_drop(true);
        for (name, url) in &self.spec.endpoints {
            command.env(name, url);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.spec.binary.display()))?;
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "the runner exited during start-up ({status}); see {}",
                        self.spec.log.display()
                    ));
                }
            }
            if let (_, Ok(reply)) = api
                .call(Method::GET, "/sessions/ses_chaos_probe", None)
                .await
            {
                if reply.status == 404 {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the runner's API did not answer within 60 s; see {}",
                    self.spec.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL, and the exit reaped.
    pub async fn kill(&mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        child.start_kill().map_err(|e| format!("SIGKILL: {e}"))?;
        child.wait().await.map_err(|e| format!("wait: {e}"))?;
        Ok(())
    }

    /// SIGINT (its in-flight batches finish), SIGKILL after 10 s.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            // Ctrl-C is the runner's own shutdown path (tokio::signal::ctrl_c).
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    pub fn log(&self) -> &Path {
        &self.spec.log
    }
}

/// The driver's SDK clients, on the emulators' own endpoints (the
/// environment's `AWS_ENDPOINT_URL_*`).
pub struct Direct {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub table: String,
    pub prefix: String,
}

impl Direct {
    pub async fn new(prefix: &str) -> Self {
        let sdk = intake_aws::load_sdk_config().await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            table: format!("{prefix}-state"),
            prefix: prefix.to_owned(),
        }
    }

    pub async fn queue_url(&self, suffix: &str) -> Result<String, String> {
        self.sqs
            .get_queue_url()
            .queue_name(format!("{}-{suffix}", self.prefix))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "GetQueueUrl {suffix}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?
            .queue_url
            .ok_or_else(|| format!("no URL for queue {suffix}"))
    }

    /// Visible + in-flight + delayed messages of a queue.
    pub async fn depth(&self, suffix: &str) -> Result<u64, String> {
        let url = self.queue_url(suffix).await?;
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "GetQueueAttributes {suffix}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?
            .attributes
            .unwrap_or_default();
        Ok(attributes
            .values()
            .filter_map(|v| v.parse::<u64>().ok())
            .sum())
    }
}
