//! Lambda function run by an EventBridge schedule: the reconciler repairs
//! what crashed workers left behind (`intake_domain::reconcile`) and
//! answers with what it repaired.

use std::sync::Arc;

use intake_worker::Engine;
use lambda_runtime::{run, service_fn, tracing, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(Arc::new(Engine)).await?;
    // The scheduled event carries nothing the run needs.
    run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let intake = &intake;
        async move { Ok::<_, Error>(intake.reconcile(chrono::Utc::now()).await?) }
    }))
    .await
}
