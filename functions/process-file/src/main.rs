//! Lambda function of the work queue: processes a batch of files with the
//! document engine and reports the ones to retry (`ReportBatchItemFailures`).
//! The only function that links the engine.

use std::sync::Arc;

use intake_extractor::Engine;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_process_file(Arc::new(Engine))
}
