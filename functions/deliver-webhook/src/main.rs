//! Lambda function of the webhook queue: makes the delivery attempts that
//! are due and reports the messages to retry (`ReportBatchItemFailures`).
//! Separate from `process-file`, so a slow or dead receiver never holds up
//! processing.

use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_webhook_delivery()
}
