//! Lambda function for `GET /jobs/{id}/result`.

use intake_http::Route;
use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_route(Route::GetResult)
}
