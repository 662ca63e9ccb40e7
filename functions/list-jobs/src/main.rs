//! Lambda function of `GET /jobs` (the tenant's jobs, newest first).

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::ListJobs).await
}
