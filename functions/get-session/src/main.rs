//! Lambda function for `GET /sessions/{id}`.

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::GetSession).await
}
