//! Lambda function of `DELETE /jobs/{id}` (a terminal job's uploads, results and records).

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::DeleteJob)
}
