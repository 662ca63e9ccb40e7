//! The document engine behind the domain's port. Only the processes that
//! read documents depend on this crate (the `process-file` function, the
//! local runner, the tests): the API functions are built without the
//! engine (`Ports::engine` is `None` there).

use std::sync::LazyLock;

use intake_domain::ports::{DocumentEngine, Rejection};

/// The document engine behind the domain's port.
#[derive(Clone, Copy, Debug, Default)]
pub struct Engine;

/// The engine's rule set and a digest of its sources (`build.rs`): any
/// change to the engine is a new release for the document cache.
static ENGINE_VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}; sources {}",
        intake_engine::VALIDATION_ENGINE,
        env!("INTAKE_ENGINE_SOURCES_SHA256")
    )
});

impl DocumentEngine for Engine {
    fn extract(
        &self,
        bytes: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, Rejection> {
        let extraction = intake_engine::extract(bytes).map_err(|error| Rejection {
            code: error.code().to_owned(),
            message: error.to_string(),
        })?;
        match serde_json::to_value(extraction) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            _ => Err(Rejection {
                code: "internal_error".to_owned(),
                message: "the engine's result could not be serialised".to_owned(),
            }),
        }
    }

    fn version(&self) -> &str {
        &ENGINE_VERSION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_release_names_its_rule_set_and_its_sources() {
        let version = Engine.version();
        let (rules, sources) = version.split_once("; sources ").expect("two parts");
        assert_eq!(rules, intake_engine::VALIDATION_ENGINE);
        assert_eq!(sources.len(), 16);
        assert!(sources.bytes().all(|b| b.is_ascii_hexdigit()), "{sources}");
    }

    #[test]
    fn the_engine_adapter_reports_rejections_with_their_code() {
        let rejection = Engine.extract(b"not an invoice").expect_err("random bytes");
        assert_eq!(rejection.code, "unsupported_document");
    }
}
