//! Lambda function for `GET /sessions/{id}`.

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::GetSession)
}
