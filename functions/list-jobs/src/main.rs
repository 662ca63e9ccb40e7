//! Lambda function of `GET /jobs` (the tenant's jobs, newest first).

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::ListJobs)
}
