//! Tenants of the local stack: from `INTAKE_TENANTS_FILE`, or one dev
//! tenant made up at start.

use base64::Engine as _;
use intake_aws::DynamoStore;
use intake_domain::Tenant;
use rand::RngCore;
use serde::Deserialize;

/// One entry of the tenants file (api.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantEntry {
    pub tenant: String,
    pub api_key: String,
    pub webhook_secret: Option<String>,
    /// The secret being rotated out: deliveries are signed with both.
    pub previous_webhook_secret: Option<String>,
}

impl TenantEntry {
    fn secrets(&self) -> Vec<String> {
        [&self.webhook_secret, &self.previous_webhook_secret]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// A Standard Webhooks secret: `whsec_` and base64 of at least 24 bytes.
fn is_valid_secret(secret: &str) -> bool {
    secret
        .strip_prefix("whsec_")
        .and_then(|raw| base64::engine::general_purpose::STANDARD.decode(raw).ok())
        .is_some_and(|bytes| bytes.len() >= 24)
}

#[derive(Debug, thiserror::Error)]
pub enum TenantsError {
    #[error("cannot read the tenants file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the tenants file {path} is not a JSON array of {{tenant, api_key, webhook_secret}}: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("the tenants file {path} has an entry whose tenant is not 1 to 64 of [A-Za-z0-9_-], whose api_key is empty, or whose webhook secret is not whsec_ + base64 of 24 bytes or more")]
    Invalid { path: String },
    #[error("cannot store tenant {tenant}: {source}")]
    Store {
        tenant: String,
        source: intake_domain::StoreError,
    },
}

pub fn read_tenants_file(path: &str) -> Result<Vec<TenantEntry>, TenantsError> {
    let text = std::fs::read_to_string(path).map_err(|source| TenantsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let entries: Vec<TenantEntry> =
        serde_json::from_str(&text).map_err(|source| TenantsError::Parse {
            path: path.to_owned(),
            source,
        })?;
    // Tenant ids are part of DynamoDB and S3 keys, where `#` and `/` separate.
    let valid_tenant = |tenant: &str| {
        (1..=64).contains(&tenant.len())
            && tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let valid_secrets =
        |entry: &TenantEntry| entry.secrets().iter().all(|secret| is_valid_secret(secret));
    if entries.iter().any(|entry| {
        !valid_tenant(&entry.tenant) || entry.api_key.is_empty() || !valid_secrets(entry)
    }) {
        return Err(TenantsError::Invalid {
            path: path.to_owned(),
        });
    }
    Ok(entries)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A tenant with a fresh API key and a Standard Webhooks secret
/// (`whsec_` + base64 of 24 random bytes).
pub fn generate(tenant: &str) -> TenantEntry {
    TenantEntry {
        tenant: tenant.to_owned(),
        api_key: format!("ik_{}", hex::encode(random_bytes::<16>())),
        webhook_secret: Some(format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(random_bytes::<24>())
        )),
        previous_webhook_secret: None,
    }
}

pub async fn register(store: &DynamoStore, entries: &[TenantEntry]) -> Result<(), TenantsError> {
    for entry in entries {
        let tenant = Tenant {
            id: entry.tenant.clone(),
        };
        store
            .put_tenant(&tenant, &entry.api_key, &entry.secrets())
            .await
            .map_err(|source| TenantsError::Store {
                tenant: entry.tenant.clone(),
                source,
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Vec<TenantEntry>, TenantsError> {
        let path = std::env::temp_dir().join(format!("tenants-{}.json", rand::random::<u64>()));
        std::fs::write(&path, json).expect("write");
        let result = read_tenants_file(path.to_str().expect("path"));
        let _ = std::fs::remove_file(&path);
        result
    }

    #[test]
    fn a_tenants_file_is_read_and_checked() {
        let entries =
            read(r#"[{"tenant": "acme", "api_key": "k1", "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]"#)
                .expect("valid");
        assert_eq!(entries[0].tenant, "acme");
        for bad in [
            r#"[{"tenant": "a#b", "api_key": "k"}]"#,
            r#"[{"tenant": "a/b", "api_key": "k"}]"#,
            r#"[{"tenant": "", "api_key": "k"}]"#,
            r#"[{"tenant": "acme", "api_key": ""}]"#,
            r#"[{"tenant": "acme", "api_key": "k", "webhook_secret": "secret"}]"#,
            r#"[{"tenant": "acme", "api_key": "k", "webhook_secret": "whsec_AAAA"}]"#,
        ] {
            assert!(
                matches!(read(bad), Err(TenantsError::Invalid { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            read(r#"{"tenant": "acme"}"#),
            Err(TenantsError::Parse { .. })
        ));
        assert!(matches!(
            read_tenants_file("/nonexistent/tenants.json"),
            Err(TenantsError::Read { .. })
        ));
    }

    #[test]
    fn generated_tenants_have_a_standard_webhooks_secret() {
        let entry = generate("dev");
        let secret = entry.webhook_secret.expect("secret");
        let raw = secret.strip_prefix("whsec_").expect("prefix");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .expect("base64");
        assert_eq!(bytes.len(), 24);
        assert_ne!(generate("dev").api_key, entry.api_key);
    }
}
