//! Configuration from the environment (set by `template.yaml` in AWS and by
//! the local runner and tests on a laptop).

use std::time::Duration;

use aws_smithy_http_client::tls;
use intake_domain::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {value:?}")]
    Invalid { name: &'static str, value: String },
}

/// The names of the resources one deployment uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub table: String,
    pub bucket: String,
    pub work_queue_url: String,
    /// Small jobs' files and every job's dispatch message.
    pub express_queue_url: String,
    /// The dead-letter queue of both work queues.
    pub work_dlq_url: String,
    pub webhook_queue_url: String,
    /// The webhook queue's dead-letter queue (operators' routes).
    pub webhook_dlq_url: String,
}

impl Deployment {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("INTAKE_TABLE")?,
            bucket: required("INTAKE_BUCKET")?,
            work_queue_url: required("INTAKE_WORK_QUEUE_URL")?,
            express_queue_url: required("INTAKE_EXPRESS_QUEUE_URL")?,
            work_dlq_url: required("INTAKE_WORK_DLQ_URL")?,
            webhook_queue_url: required("INTAKE_WEBHOOK_QUEUE_URL")?,
            webhook_dlq_url: required("INTAKE_WEBHOOK_DLQ_URL")?,
        })
    }
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .ok_or(ConfigError::Missing(name))
}

fn number(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .map_err(|_| ConfigError::Invalid { name, value }),
        _ => Ok(default),
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|value| value == "1" || value.eq_ignore_ascii_case("true"))
}

/// `INTAKE_WEBHOOK_SCHEDULE_SECS`: comma-separated waits before each
/// attempt, e.g. `0,5,300`.
fn webhook_schedule(default: Vec<Duration>) -> Result<Vec<Duration>, ConfigError> {
    const NAME: &str = "INTAKE_WEBHOOK_SCHEDULE_SECS";
    match std::env::var(NAME) {
        Ok(value) if !value.is_empty() => value
            .split(',')
            .map(|part| part.trim().parse().map(Duration::from_secs))
            .collect::<Result<Vec<_>, _>>()
            .ok()
            .filter(|schedule| !schedule.is_empty())
            .ok_or(ConfigError::Invalid { name: NAME, value }),
        _ => Ok(default),
    }
}

/// The contract promises sessions of at least 2000 files.
fn max_files_per_session(default: usize) -> Result<usize, ConfigError> {
    const NAME: &str = "INTAKE_MAX_FILES_PER_SESSION";
    let value = number(NAME, default as u64)?;
    if value < 2000 {
        return Err(ConfigError::Invalid {
            name: NAME,
            value: format!("{value} (the contract's minimum is 2000)"),
        });
    }
    Ok(value as usize)
}

/// The service's limits, each overridable by an `INTAKE_…` variable.
pub fn settings_from_env() -> Result<Settings, ConfigError> {
    let defaults = Settings::default();
    let retention = retention(defaults.retention)?;
    Ok(Settings {
        upload_url_ttl: Duration::from_secs(number(
            "INTAKE_UPLOAD_URL_TTL_SECS",
            defaults.upload_url_ttl.as_secs(),
        )?),
        max_file_bytes: number("INTAKE_MAX_FILE_BYTES", defaults.max_file_bytes)?,
        max_files_per_session: max_files_per_session(defaults.max_files_per_session)?,
        result_inline_limit: number("INTAKE_RESULT_INLINE_LIMIT", defaults.result_inline_limit)?,
        result_url_ttl: defaults.result_url_ttl,
        // Fixed: bounded by DynamoDB's item size, not a deployment's choice.
        file_result_inline_limit: defaults.file_result_inline_limit,
        read_budget_bytes: number("INTAKE_READ_BUDGET_BYTES", defaults.read_budget_bytes)?,
        max_receive_count: number(
            "INTAKE_MAX_RECEIVE_COUNT",
            u64::from(defaults.max_receive_count),
        )? as u32,
        retry_base_delay: Duration::from_secs(number(
            "INTAKE_RETRY_BASE_DELAY_SECS",
            defaults.retry_base_delay.as_secs(),
        )?),
        retry_max_delay: defaults.retry_max_delay,
        allow_loopback_webhooks: flag("INTAKE_ALLOW_LOOPBACK_WEBHOOKS"),
        webhook_schedule: webhook_schedule(defaults.webhook_schedule)?,
        express_max_files: number(
            "INTAKE_EXPRESS_MAX_FILES",
            defaults.express_max_files as u64,
        )? as usize,
        dispatch_window: dispatch_window(defaults.dispatch_window)?,
        retention,
        reconcile_after: Duration::from_secs(number(
            "INTAKE_RECONCILE_AFTER_SECS",
            defaults.reconcile_after.as_secs(),
        )?),
        cache_ttl: cache_ttl(defaults.cache_ttl, retention)?,
    })
}

/// `INTAKE_CACHE_TTL_SECS`: seconds an extraction is served from the
/// document cache (0: no cache), at most the retention, so that a cached
/// copy never outlives the job it came from.
fn cache_ttl(default: Duration, retention: Duration) -> Result<Duration, ConfigError> {
    const NAME: &str = "INTAKE_CACHE_TTL_SECS";
    let secs = number(NAME, default.as_secs())?;
    if secs > retention.as_secs() {
        return Err(ConfigError::Invalid {
            name: NAME,
            value: format!(
                "{secs} (more than INTAKE_RETENTION_DAYS, {} s)",
                retention.as_secs()
            ),
        });
    }
    Ok(Duration::from_secs(secs))
}

/// `INTAKE_RETENTION_DAYS`: days items live, like the S3 lifecycle's
/// `FileRetentionDays` (at least 1).
fn retention(default: Duration) -> Result<Duration, ConfigError> {
    const NAME: &str = "INTAKE_RETENTION_DAYS";
    match number(NAME, default.as_secs() / 86_400)? {
        days @ 1..=36_500 => Ok(Duration::from_secs(days * 86_400)),
        days => Err(ConfigError::Invalid {
            name: NAME,
            value: days.to_string(),
        }),
    }
}

/// `INTAKE_DISPATCH_WINDOW`: at least 1, or no file would ever be sent.
fn dispatch_window(default: usize) -> Result<usize, ConfigError> {
    const NAME: &str = "INTAKE_DISPATCH_WINDOW";
    match number(NAME, default as u64)? {
        0 => Err(ConfigError::Invalid {
            name: NAME,
            value: "0".to_owned(),
        }),
        window => Ok(window as usize),
    }
}

/// The SDK configuration; endpoints come from `AWS_ENDPOINT_URL_*` where set.
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The SDK's HTTPS client: hyper with rustls on ring. The SDK crates are
/// built without a default client (Cargo.toml says why), so every client
/// gets this one, through `load_sdk_config` or its own `http_client`.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Whether S3 must be addressed path-style (emulators).
pub fn force_path_style() -> bool {
    flag("INTAKE_S3_FORCE_PATH_STYLE")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only test of this crate that sets `INTAKE_CACHE_TTL_SECS`, so
    /// no other test sees it change.
    #[test]
    fn the_cache_ttl_is_a_number_of_seconds_within_the_retention() {
        let read = |value: Option<&str>| {
            match value {
                Some(value) => std::env::set_var("INTAKE_CACHE_TTL_SECS", value),
                None => std::env::remove_var("INTAKE_CACHE_TTL_SECS"),
            }
            let ttl = cache_ttl(
                Duration::from_secs(86_400),
                Duration::from_secs(30 * 86_400),
            );
            std::env::remove_var("INTAKE_CACHE_TTL_SECS");
            ttl
        };

        assert_eq!(read(None).ok(), Some(Duration::from_secs(86_400)));
        assert_eq!(read(Some("0")).ok(), Some(Duration::ZERO));
        assert_eq!(read(Some("600")).ok(), Some(Duration::from_secs(600)));
        let not_a_number = read(Some("a day")).expect_err("not a number");
        assert_eq!(
            not_a_number.to_string(),
            "environment variable INTAKE_CACHE_TTL_SECS is not valid: \"a day\""
        );
        let too_long = read(Some("2592001")).expect_err("longer than the retention");
        assert!(
            too_long
                .to_string()
                .contains("more than INTAKE_RETENTION_DAYS"),
            "{too_long}"
        );
    }
}
