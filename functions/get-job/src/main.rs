//! Lambda function for `GET /jobs/{id} and GET /jobs/{id}/status`.

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::GetJob)
}
