//! Lambda function of `GET /jobs/{id}/webhook-deliveries` (every attempt)
//! and `POST /jobs/{id}/webhook-deliveries/replay` (the event again, same id).

use std::sync::Arc;

use intake_http::dispatch;
use lambda_http::{run, service_fn, tracing, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(Arc::new(intake_worker::Engine)).await?;
    run(service_fn(|request: Request| {
        let intake = &intake;
        async move { Ok::<_, Error>(dispatch(intake, request).await) }
    }))
    .await
}
