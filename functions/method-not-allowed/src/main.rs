//! Lambda function behind every resource's `ANY` method: API Gateway
//! prefers a resource's own methods, so only the others reach it (405).

use lambda_runtime::Error;

fn main() -> Result<(), Error> {
    intake_lambda::run_method_not_allowed()
}
