//! Lambda function run by an EventBridge schedule: the reconciler repairs
//! what crashed workers left behind (`intake_domain::reconcile`) and
//! answers with what it repaired.

use lambda_runtime::{Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The scheduled event carries nothing the run needs.
    intake_lambda::serve_events(|intake, _: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(intake.reconcile(chrono::Utc::now()).await?)
    })
    .await
}
