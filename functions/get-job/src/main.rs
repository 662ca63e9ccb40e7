//! Lambda function for `GET /jobs/{id} and GET /jobs/{id}/status`.

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::GetJob).await
}
