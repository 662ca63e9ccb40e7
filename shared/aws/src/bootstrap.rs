//! Creates a deployment's resources with the same names and attributes as
//! `template.yaml`, against any endpoint: the emulators, LocalStack or AWS.
//! Every step tolerates resources that already exist.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::Deployment;
use crate::dynamo::{OPEN, OPEN_INDEX, OPEN_SINCE};
use crate::Clients;

#[derive(Debug, thiserror::Error)]
#[error("bootstrap: {step}: {message}")]
pub struct BootstrapError {
    step: &'static str,
    message: String,
}

fn failed(step: &'static str, error: impl std::fmt::Display) -> BootstrapError {
    BootstrapError {
        step,
        message: error.to_string(),
    }
}

/// The names of one deployment's resources, all derived from one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceNames {
    pub table: String,
    pub bucket: String,
    pub work_queue: String,
    pub express_queue: String,
    pub work_dlq: String,
    pub webhook_queue: String,
    pub webhook_dlq: String,
}

impl ResourceNames {
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            table: format!("{prefix}-state"),
            bucket: format!("{prefix}-files"),
            work_queue: format!("{prefix}-work"),
            express_queue: format!("{prefix}-express"),
            work_dlq: format!("{prefix}-work-dlq"),
            webhook_queue: format!("{prefix}-webhooks"),
            webhook_dlq: format!("{prefix}-webhooks-dlq"),
        }
    }
}

/// The work queue's timing, as `template.yaml` sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    pub visibility_timeout_secs: u32,
    pub max_receive_count: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            visibility_timeout_secs: 180,
            max_receive_count: 8,
        }
    }
}

pub async fn ensure_resources(
    clients: &Clients,
    names: &ResourceNames,
    queue: QueueSettings,
) -> Result<Deployment, BootstrapError> {
    ensure_table(&clients.dynamodb, &names.table).await?;
    ensure_bucket(&clients.s3, &names.bucket).await?;
    let (work_queue_url, work_dlq_url) =
        queue_with_dead_letters(&clients.sqs, &names.work_queue, &names.work_dlq, queue).await?;
    // The express queue shares the work queue's dead-letter queue.
    let express_queue_url =
        redriven_queue(&clients.sqs, &names.express_queue, &work_dlq_url, queue).await?;
    let (webhook_queue_url, webhook_dlq_url) = queue_with_dead_letters(
        &clients.sqs,
        &names.webhook_queue,
        &names.webhook_dlq,
        queue,
    )
    .await?;
    Ok(Deployment {
        table: names.table.clone(),
        bucket: names.bucket.clone(),
        work_queue_url,
        express_queue_url,
        work_dlq_url,
        webhook_queue_url,
        webhook_dlq_url,
    })
}

/// A queue whose messages move to its dead-letter queue after
/// `maxReceiveCount` receives; returns both URLs.
async fn queue_with_dead_letters(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    dlq_name: &str,
    queue: QueueSettings,
) -> Result<(String, String), BootstrapError> {
    let dlq_url = create_queue(
        sqs,
        dlq_name,
        HashMap::from([(
            QueueAttributeName::MessageRetentionPeriod,
            "1209600".to_owned(),
        )]),
    )
    .await?;
    let url = redriven_queue(sqs, name, &dlq_url, queue).await?;
    Ok((url, dlq_url))
}

/// A queue whose messages move to the dead-letter queue at `dlq_url` after
/// `maxReceiveCount` receives.
async fn redriven_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    dlq_url: &str,
    queue: QueueSettings,
) -> Result<String, BootstrapError> {
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| {
            failed(
                "get_queue_attributes",
                aws_sdk_sqs::error::DisplayErrorContext(e),
            )
        })?
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| failed("get_queue_attributes", "no QueueArn"))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": queue.max_receive_count,
    });
    create_queue(
        sqs,
        name,
        HashMap::from([
            (
                QueueAttributeName::VisibilityTimeout,
                queue.visibility_timeout_secs.to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive.to_string()),
        ]),
    )
    .await
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, BootstrapError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| failed("create_table", e))
}

/// The reconciler's sparse index of open jobs and pending events
/// (`dynamo::open_work`); template.yaml declares the same.
fn open_index() -> Result<GlobalSecondaryIndex, BootstrapError> {
    GlobalSecondaryIndex::builder()
        .index_name(OPEN_INDEX)
        .key_schema(key(OPEN, KeyType::Hash)?)
        .key_schema(key(OPEN_SINCE, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes("tenant")
                .non_key_attributes("job_id")
                .build(),
        )
        .build()
        .map_err(|e| failed("create_table", e))
}

async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), BootstrapError> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| failed("create_table", e))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .attribute_definitions(attribute(OPEN)?)
        .attribute_definitions(attribute(OPEN_SINCE)?)
        .global_secondary_indexes(open_index()?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(());
        }
        Err(error) => {
            return Err(failed(
                "create_table",
                aws_sdk_dynamodb::error::DisplayErrorContext(error),
            ))
        }
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("ttl")
                .enabled(true)
                .build()
                .map_err(|e| failed("update_time_to_live", e))?,
        )
        .send()
        .await
        .map_err(|e| {
            failed(
                "update_time_to_live",
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )
        })?;
    Ok(())
}

async fn ensure_bucket(client: &aws_sdk_s3::Client, bucket: &str) -> Result<(), BootstrapError> {
    match client.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(error)
            if error.as_service_error().is_some_and(|e| {
                e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
            }) =>
        {
            Ok(())
        }
        Err(error) => Err(failed(
            "create_bucket",
            aws_sdk_s3::error::DisplayErrorContext(error),
        )),
    }
}

/// CreateQueue is idempotent for identical attributes.
async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<String, BootstrapError> {
    client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| failed("create_queue", aws_sdk_sqs::error::DisplayErrorContext(e)))?
        .queue_url
        .ok_or_else(|| failed("create_queue", "no QueueUrl"))
}
