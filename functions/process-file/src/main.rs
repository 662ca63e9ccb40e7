//! Lambda function of the work queue: processes a batch of files with the
//! document engine and reports the ones to retry (`ReportBatchItemFailures`).
//! The only function that links the engine.

use aws_lambda_events::event::sqs::SqsEvent;
use intake_extractor::Engine;
use intake_worker::{lambda_deadline, process_batch};
use lambda_runtime::{Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_documents(Engine, |intake, event: LambdaEvent<SqsEvent>| async move {
        let deadline = lambda_deadline(event.context.deadline);
        Ok::<_, Error>(process_batch(intake, event.payload, deadline).await)
    })
    .await
}
