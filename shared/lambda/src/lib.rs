//! The composition of the Lambda functions: what every function does at
//! cold start — logs, every port built once from the environment
//! (`intake_aws::intake_from_env`), the EMF metrics recorder — and the
//! runtime loop around its handler, flushing the metrics after each
//! invocation. A function's `main.rs` only names what it runs
//! (`run_route(Route::GetJob)`, `run_webhook_delivery()`, …), and passes the
//! document engine if it reads documents (`run_process_file`).
//!
//! Every `run_*` is an ordinary function that owns the whole process, its
//! Tokio runtime included: a `main.rs` that polled a future itself
//! (`#[tokio::main]`) would make rustc compile the runtime, the HTTP stack
//! and the handlers' async code again into each of the fifteen binaries
//! (about 40 s each at -O3); calling a non-generic function of this crate,
//! compiled once, takes under a second.
//!
//! This crate does not depend on the engine: a function links it only by
//! depending on it itself (`intake-extractor`), so the API functions are
//! built without it, whatever else `cargo build` builds along (a cargo
//! feature would not do: a build of the workspace unifies the features of
//! every member, so `cargo lambda build --bin get-job` at the root, as
//! `sam build` runs it, would have enabled it for every function).

use std::future::Future;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use intake_aws::lambda_metrics;
use intake_domain::ports::DocumentEngine;
use intake_domain::Intake;
use intake_http::Route;
use intake_worker::{deliver_batch, lambda_deadline, process_batch};
use lambda_runtime::{Error, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An API function that serves one route.
pub fn run_route(route: Route) -> Result<(), Error> {
    block_on(serve_api(Some(route)))
}

/// An API function that serves several routes: each request by the
/// resource API Gateway matched.
pub fn run_routes() -> Result<(), Error> {
    block_on(serve_api(None))
}

/// The function behind every resource's `ANY` method: 405 with the
/// resource's own methods in `Allow`. It reads no state, so it builds no
/// ports.
pub fn run_method_not_allowed() -> Result<(), Error> {
    block_on(async {
        lambda_runtime::tracing::init_default_subscriber();
        lambda_http::run(lambda_http::service_fn(
            |request: lambda_http::Request| async move {
                Ok::<_, Error>(intake_http::answer_other_method(&request))
            },
        ))
        .await
    })
}

/// The webhook queue's consumer: the attempts each message is due for.
pub fn run_webhook_delivery() -> Result<(), Error> {
    block_on(serve_events(
        None,
        |intake, event: LambdaEvent<SqsEvent>| async move {
            Ok::<_, Error>(deliver_batch(intake, event.payload).await)
        },
    ))
}

/// The scheduled reconciliation run.
pub fn run_reconcile() -> Result<(), Error> {
    // The scheduled event carries nothing the run needs.
    block_on(serve_events(
        None,
        |intake, _: LambdaEvent<serde_json::Value>| async move {
            Ok::<_, Error>(intake.reconcile(chrono::Utc::now()).await?)
        },
    ))
}

/// The work queue's consumer, which reads documents with `engine`: each
/// batch processed before the invocation's deadline.
pub fn run_process_file(engine: Arc<dyn DocumentEngine>) -> Result<(), Error> {
    block_on(serve_events(
        Some(engine),
        |intake, event: LambdaEvent<SqsEvent>| async move {
            let deadline = lambda_deadline(event.context.deadline);
            Ok::<_, Error>(process_batch(intake, event.payload, deadline).await)
        },
    ))
}

/// What `#[tokio::main]` does: a multi-threaded runtime with I/O and time.
fn block_on(function: impl Future<Output = Result<(), Error>>) -> Result<(), Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(function)
}

/// Once per cold start: logs, then every port, with `engine` in the
/// functions that read documents. Kept for the life of the process, so
/// that handlers borrow it.
async fn cold_start(engine: Option<Arc<dyn DocumentEngine>>) -> Result<&'static Intake, Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let intake = intake_aws::intake_from_env(engine).await?;
    Ok(Box::leak(Box::new(intake)))
}

async fn serve_api(route: Option<Route>) -> Result<(), Error> {
    let intake = cold_start(None).await?;
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

/// A function invoked with events of type `E` (a queue's batch, a
/// schedule's tick), each handled by `handler`; its service has the engine
/// only when one is given (otherwise `Intake::engine` is `Err(NoEngine)`).
async fn serve_events<E, R, F, Fut>(
    engine: Option<Arc<dyn DocumentEngine>>,
    handler: F,
) -> Result<(), Error>
where
    E: DeserializeOwned,
    R: Serialize,
    F: Fn(&'static Intake, LambdaEvent<E>) -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    let intake = cold_start(engine).await?;
    lambda_metrics::run_handler(lambda_metrics::collector()?, |event| handler(intake, event)).await
}
