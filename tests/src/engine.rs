//! The workers' engine as the tests steer it: the real engine, reporting
//! the release a test gives it and counting the documents it reads.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use intake_domain::ports::{DocumentEngine, Rejection};

/// The real engine, as whichever release the test says it is, counting
/// the documents it reads.
pub(crate) struct ReleasedEngine {
    pub(crate) engine: intake_extractor::Engine,
    pub(crate) release: Arc<Mutex<Option<&'static str>>>,
    pub(crate) runs: Arc<AtomicU32>,
}

impl DocumentEngine for ReleasedEngine {
    fn extract(
        &self,
        bytes: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.engine.extract(bytes)
    }

    fn version(&self) -> &str {
        let release = *self.release.lock().unwrap_or_else(PoisonError::into_inner);
        release.unwrap_or_else(|| self.engine.version())
    }
}
