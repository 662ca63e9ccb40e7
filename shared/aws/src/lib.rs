//! AWS adapters of the invoice-intake ports: DynamoDB (state, idempotency,
//! tenants, audit), S3 (uploads and results) and SQS (the work queue), plus
//! the configuration read from the environment and the bootstrap that
//! creates the resources on an emulator.

pub mod bootstrap;
pub mod config;
mod dynamo;
mod http_sender;
mod item;
pub mod lambda_metrics;
mod s3;
mod sqs;

use std::sync::Arc;

use intake_domain::ports::{DocumentEngine, Ports};
use intake_domain::Settings;

pub use bootstrap::{ensure_resources, QueueSettings, ResourceNames};
pub use config::{force_path_style, https_client, load_sdk_config, settings_from_env, Deployment};
pub use dynamo::{transaction_retries, DynamoStore};
pub use http_sender::HttpWebhookSender;
pub use s3::S3Objects;
pub use sqs::{SqsDeadLetters, SqsWebhookQueue, SqsWorkQueue};

/// The AWS clients, built once per cold start.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// `force_path_style` addresses S3 as `host/bucket/key`, which emulators
    /// need; AWS itself works either way.
    pub fn new(sdk: &aws_config::SdkConfig, force_path_style: bool) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(force_path_style)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }
}

/// Every port, backed by the deployment's resources; items expire after
/// `settings.retention`; webhooks go out over HTTPS (and to loopback where
/// `settings.allow_loopback_webhooks`). `engine` is `None` in a process
/// that never reads a document (`Ports::engine`).
pub fn build_ports(
    clients: &Clients,
    deployment: &Deployment,
    engine: Option<Arc<dyn DocumentEngine>>,
    settings: &Settings,
) -> Ports {
    let store = Arc::new(
        DynamoStore::new(clients.dynamodb.clone(), &deployment.table)
            .with_retention(settings.retention),
    );
    Ports {
        tenants: store.clone(),
        sessions: store.clone(),
        jobs: store.clone(),
        catalog: store.clone(),
        removal: store.clone(),
        idempotency: store.clone(),
        audit: store.clone(),
        files: store.clone(),
        open_work: store.clone(),
        cache: store.clone(),
        invoices: store.clone(),
        replays: store.clone(),
        webhooks: store,
        webhook_queue: Arc::new(SqsWebhookQueue::new(
            clients.sqs.clone(),
            &deployment.webhook_queue_url,
        )),
        webhook_sender: Arc::new(HttpWebhookSender::new(settings.allow_loopback_webhooks)),
        objects: Arc::new(S3Objects::new(clients.s3.clone(), &deployment.bucket)),
        queue: Arc::new(SqsWorkQueue::new(
            clients.sqs.clone(),
            &deployment.work_queue_url,
            &deployment.express_queue_url,
        )),
        dead_letters: Arc::new(SqsDeadLetters::new(
            clients.sqs.clone(),
            &deployment.work_dlq_url,
            &deployment.work_queue_url,
        )),
        webhook_dead_letters: Arc::new(SqsDeadLetters::new(
            clients.sqs.clone(),
            &deployment.webhook_dlq_url,
            &deployment.webhook_queue_url,
        )),
        engine,
    }
}

/// The service as a Lambda function builds it at cold start: settings and
/// resource names from the environment, one client per AWS service, and
/// the document engine only in the functions that read documents.
pub async fn intake_from_env(
    engine: Option<Arc<dyn DocumentEngine>>,
) -> Result<intake_domain::Intake, config::ConfigError> {
    let deployment = Deployment::from_env()?;
    let settings = settings_from_env()?;
    let sdk = load_sdk_config().await;
    let clients = Clients::new(&sdk, force_path_style());
    Ok(intake_domain::Intake::new(
        build_ports(&clients, &deployment, engine, &settings),
        settings,
    ))
}
