//! Lambda function run by an EventBridge schedule: the reconciler repairs
//! what crashed workers left behind (`intake_domain::reconcile`) and
//! answers with what it repaired.

use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_reconcile()
}
