//! Lambda function of `GET /jobs/{id}/events` (the job's audit trail).

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::GetJobEvents)
}
