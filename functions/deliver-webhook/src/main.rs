//! Lambda function of the webhook queue: makes the delivery attempts that
//! are due and reports the messages to retry (`ReportBatchItemFailures`).
//! Separate from `process-file`, so a slow or dead receiver never holds up
//! processing.

use aws_lambda_events::event::sqs::SqsEvent;
use intake_worker::deliver_batch;
use lambda_runtime::{Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_events(|intake, event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(deliver_batch(intake, event.payload).await)
    })
    .await
}
