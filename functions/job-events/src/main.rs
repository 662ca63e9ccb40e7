//! Lambda function of `GET /jobs/{id}/events` (the job's audit trail).

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::GetJobEvents).await
}
