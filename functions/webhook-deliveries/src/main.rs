//! Lambda function of `GET /jobs/{id}/webhook-deliveries` (every attempt)
//! and `POST /jobs/{id}/webhook-deliveries/replay` (the event again, same id).

use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_routes()
}
