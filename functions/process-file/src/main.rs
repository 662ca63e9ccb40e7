//! Lambda function of the work queue: processes a batch of files and
//! reports the ones to retry (`ReportBatchItemFailures`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use intake_worker::{lambda_deadline, process_batch, Engine};
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(Arc::new(Engine)).await?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let intake = &intake;
        let deadline = lambda_deadline(event.context.deadline);
        async move { Ok::<_, Error>(process_batch(intake, event.payload, deadline).await) }
    }))
    .await
}
