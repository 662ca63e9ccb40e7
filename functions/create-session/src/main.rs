//! Lambda function for `POST /sessions`.

use intake_http::Route;
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_route(Route::CreateSession).await
}
