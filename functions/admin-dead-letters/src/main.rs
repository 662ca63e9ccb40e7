//! Lambda function of the operators' routes `GET /admin/dead-letters` and
//! `POST /admin/dead-letters/replay`.

use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_routes()
}
