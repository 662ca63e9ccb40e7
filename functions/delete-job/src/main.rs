//! Lambda function of `DELETE /jobs/{id}` (a terminal job's uploads, results and records).

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::DeleteJob).await
}
