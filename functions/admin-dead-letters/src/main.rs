//! Lambda function of the operators' routes `GET /admin/dead-letters` and
//! `POST /admin/dead-letters/replay`.

use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    intake_lambda::serve_routes().await
}
