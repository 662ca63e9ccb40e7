//! Lambda function for `POST /sessions/{id}/extract`.

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::SubmitExtraction)
}
