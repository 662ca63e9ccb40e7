//! Creates a deployment's resources with the same names and attributes as
//! `template.yaml`, against any endpoint: the emulators, LocalStack or AWS.
//! Every step tolerates resources that already exist.

use std::collections::HashMap;

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::Deployment;
use crate::dynamo::{
    JOBS_INDEX, JOBS_INDEX_ATTRIBUTES, JOBS_PK, JOBS_SK, OPEN, OPEN_INDEX, OPEN_SINCE,
};

/// How long an index added to an existing table may take to be built.
const INDEX_WAIT: Duration = Duration::from_secs(120);
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

/// The jobs list's index, by tenant and status, newest first
/// (`dynamo::job_list`); template.yaml declares the same.
fn jobs_index() -> Result<GlobalSecondaryIndex, BootstrapError> {
    let projection = JOBS_INDEX_ATTRIBUTES
        .iter()
        .fold(
            Projection::builder().projection_type(ProjectionType::Include),
            |projection, attribute| projection.non_key_attributes(*attribute),
        )
        .build();
    GlobalSecondaryIndex::builder()
        .index_name(JOBS_INDEX)
        .key_schema(key(JOBS_PK, KeyType::Hash)?)
        .key_schema(key(JOBS_SK, KeyType::Range)?)
        .projection(projection)
        .build()
        .map_err(|e| failed("create_table", e))
}

/// The table's indexes with their key attributes.
fn indexes() -> Result<[(GlobalSecondaryIndex, [&'static str; 2]); 2], BootstrapError> {
    Ok([
        (open_index()?, [OPEN, OPEN_SINCE]),
        (jobs_index()?, [JOBS_PK, JOBS_SK]),
    ])
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, BootstrapError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| failed("create_table", e))
}

async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), BootstrapError> {
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .attribute_definitions(string_attribute("pk")?)
        .attribute_definitions(string_attribute("sk")?);
    for (index, attributes) in indexes()? {
        create = create.global_secondary_indexes(index);
        for attribute in attributes {
            create = create.attribute_definitions(string_attribute(attribute)?);
        }
    }
    match create.send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return add_missing_indexes(client, table).await;
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

/// Adds the indexes a table made by an earlier version lacks (a local
/// table that outlived an upgrade), one at a time as DynamoDB wants.
async fn add_missing_indexes(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), BootstrapError> {
    for (index, attributes) in indexes()? {
        let name = index.index_name().to_owned();
        if index_status(client, table, &name).await?.is_some() {
            continue;
        }
        let action = CreateGlobalSecondaryIndexAction::builder()
            .index_name(&name)
            .set_key_schema(Some(index.key_schema().to_vec()))
            .set_projection(index.projection().cloned())
            .build()
            .map_err(|e| failed("update_table", e))?;
        let mut update = client
            .update_table()
            .table_name(table)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(action).build(),
            );
        for attribute in attributes {
            update = update.attribute_definitions(string_attribute(attribute)?);
        }
        update.send().await.map_err(|e| {
            failed(
                "update_table",
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )
        })?;
        let deadline = tokio::time::Instant::now() + INDEX_WAIT;
        while index_status(client, table, &name).await? != Some(IndexStatus::Active) {
            if tokio::time::Instant::now() > deadline {
                return Err(failed(
                    "update_table",
                    format!("index {name} is still being built"),
                ));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    Ok(())
}

/// The status of the table's index `name`; `None` if it has none.
async fn index_status(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    name: &str,
) -> Result<Option<IndexStatus>, BootstrapError> {
    let described = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| {
            failed(
                "describe_table",
                aws_sdk_dynamodb::error::DisplayErrorContext(e),
            )
        })?;
    Ok(described
        .table()
        .map(|table| table.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .find(|index| index.index_name() == Some(name))
        // DynamoDB Local reports no status: it builds indexes at once.
        .map(|index| index.index_status().cloned().unwrap_or(IndexStatus::Active)))
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
