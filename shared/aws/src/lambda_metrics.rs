//! The metrics exporter of the Lambda functions: the `metrics` facade's
//! series (`intake_domain::metrics`) written as CloudWatch Embedded Metric
//! Format lines on stdout, flushed after each invocation, which CloudWatch
//! Logs turns into metrics in the namespace `INTAKE_METRICS_NAMESPACE`
//! (`template.yaml` sets `InvoiceIntake/<stack>`).

use metrics_cloudwatch_embedded::{Builder, Collector, Error};

pub use metrics_cloudwatch_embedded::lambda::handler::run as run_handler;
pub use metrics_cloudwatch_embedded::lambda::service::run_http;

/// The namespace when `INTAKE_METRICS_NAMESPACE` is unset.
pub const DEFAULT_NAMESPACE: &str = "InvoiceIntake";

/// Installs the EMF recorder for this process (once per cold start);
/// `run_handler` / `run_http` flush it after each invocation.
pub fn collector() -> Result<&'static Collector, Error> {
    let namespace = std::env::var("INTAKE_METRICS_NAMESPACE")
        .ok()
        .filter(|namespace| !namespace.is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    Builder::new().cloudwatch_namespace(namespace).init()
}
