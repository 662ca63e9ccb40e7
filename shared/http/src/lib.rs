//! The API Gateway side of invoice-intake: one handler per route, the
//! `Idempotency-Key` protocol, and the one mapping of domain results to
//! HTTP statuses and `application/problem+json`.

mod idempotency;
mod problem;
mod routes;

pub use problem::{problem, problem_response};
pub use routes::{
    allowed_methods, answer_other_method, dispatch, handle, method_not_allowed, Route, ROUTES,
};
