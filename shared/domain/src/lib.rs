//! The domain of invoice-intake: what a session, a file and a job are, the
//! state machine they move through, the ports the adapters implement, and
//! the use cases the Lambda handlers and workers call.
//!
//! Nothing here knows about AWS or HTTP: adapters live in `intake-aws`, the
//! mapping to HTTP in `intake-http`.

pub mod deletion;
pub mod dispatch;
mod document_cache;
pub mod duplicates;
pub mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod ids;
pub mod job_list;
pub mod jobs;
pub mod metrics;
pub mod model;
pub mod notifications;
pub mod operations;
pub mod paging;
pub mod ports;
pub mod processing;
pub mod reconcile;
pub mod replays;
pub mod results;
pub mod service;
pub mod settings;
pub mod trail;
pub mod transitions;
pub mod views;
pub mod webhooks;

pub use error::{AppError, StoreError};
pub use ids::{FileId, JobId, SessionId};
pub use model::{FileState, JobStatus, SessionStatus, Tenant};
pub use ports::Ports;
pub use service::Intake;
pub use settings::Settings;
