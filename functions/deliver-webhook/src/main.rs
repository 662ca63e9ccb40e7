//! Lambda function of the webhook queue: makes the delivery attempts that
//! are due and reports the messages to retry (`ReportBatchItemFailures`).
//! Separate from `process-file`, so a slow or dead receiver never holds up
//! processing.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use intake_worker::{deliver_batch, Engine};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(Arc::new(Engine)).await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let intake = &intake;
        async move { Ok::<_, Error>(deliver_batch(intake, event.payload).await) }
    }))
    .await
}
