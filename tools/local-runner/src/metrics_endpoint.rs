//! The local runner's metrics: the series the Lambda functions write as
//! CloudWatch EMF (`intake_domain::metrics`), served as Prometheus text on
//! `INTAKE_METRICS_LISTEN` by `metrics-exporter-prometheus`.

use std::net::SocketAddr;

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder};

/// The address when `INTAKE_METRICS_LISTEN` is unset (api.md v1.1).
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:3001";

/// Installs the process's metrics recorder and serves it on `listen`
/// (`GET /metrics`, any path answers); once per process, from a Tokio
/// runtime.
pub fn serve_metrics(listen: SocketAddr) -> Result<(), BuildError> {
    PrometheusBuilder::new()
        .with_http_listener(listen)
        .install()
}
