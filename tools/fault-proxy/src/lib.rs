//! A fault-injecting HTTP proxy between the invoice-intake runner and the
//! AWS emulators (`make chaos`): it forwards S3, SQS and DynamoDB requests
//! unchanged and, while a seeded plan is active, answers some of them with
//! the service's own 500/503/throttling/transaction-conflict errors, resets
//! connections before or after forwarding, or delays them.

pub mod errors;
pub mod plan;
pub mod proxy;

pub use plan::{Fault, Kind, Plan, PlanError, Rates, Service};
pub use proxy::{Control, Proxy, ServiceReport};

/// The socket address of an `http://host:port` endpoint (resolved).
pub async fn endpoint_addr(url: &str) -> std::io::Result<std::net::SocketAddr> {
    let uri: http::Uri = url.parse().map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{url}: {e}"))
    })?;
    let host = uri.host().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{url}: no host"))
    })?;
    let port = uri.port_u16().unwrap_or(80);
    let mut addrs = tokio::net::lookup_host((host, port)).await?;
    addrs.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, format!("{url}: no address"))
    })
}
