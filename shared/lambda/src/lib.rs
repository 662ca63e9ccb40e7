//! The composition of the Lambda functions: what every function does at
//! cold start — logs, every port built once from the environment
//! (`intake_aws::intake_from_env`), the EMF metrics recorder — and the
//! runtime loop around its handler, flushing the metrics after each
//! invocation. A function's `main.rs` only names its handler.

use std::future::Future;
use std::sync::Arc;

use intake_aws::lambda_metrics;
use intake_domain::Intake;
use intake_http::Route;
use lambda_runtime::{Error, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Once per cold start: logs, then every port. Kept for the life of the
/// process, so that handlers borrow it.
async fn cold_start() -> Result<&'static Intake, Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(Arc::new(intake_worker::Engine)).await?;
    Ok(Box::leak(Box::new(intake)))
}

/// An API function that serves one route.
pub async fn serve_route(route: Route) -> Result<(), Error> {
    serve_api(Some(route)).await
}

/// An API function that serves several routes: each request by the
/// resource API Gateway matched.
pub async fn serve_routes() -> Result<(), Error> {
    serve_api(None).await
}

async fn serve_api(route: Option<Route>) -> Result<(), Error> {
    let intake = cold_start().await?;
    lambda_metrics::run_http(
        lambda_metrics::collector()?,
        lambda_http::service_fn(move |request: lambda_http::Request| async move {
            Ok::<_, Error>(match route {
                Some(route) => intake_http::handle(route, intake, request).await,
                None => intake_http::dispatch(intake, request).await,
            })
        }),
    )
    .await
}

/// The function behind every resource's `ANY` method: 405 with the
/// resource's own methods in `Allow`. It reads no state, so it builds no
/// ports.
pub async fn serve_method_not_allowed() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_http::run(lambda_http::service_fn(
        |request: lambda_http::Request| async move {
            Ok::<_, Error>(intake_http::answer_other_method(&request))
        },
    ))
    .await
}

/// A function invoked with events of type `E` (a queue's batch, a
/// schedule's tick), each handled by `handler`.
pub async fn serve_events<E, R, F, Fut>(handler: F) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize,
    F: Fn(&'static Intake, LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let intake = cold_start().await?;
    lambda_metrics::run_handler(lambda_metrics::collector()?, |event| handler(intake, event)).await
}
