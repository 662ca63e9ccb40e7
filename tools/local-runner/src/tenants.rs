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
    #[error("the tenants file {path} has an entry with an empty tenant or api_key")]
    Empty { path: String },
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
    if entries
        .iter()
        .any(|entry| entry.tenant.is_empty() || entry.api_key.is_empty())
    {
        return Err(TenantsError::Empty {
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
    }
}

pub async fn register(store: &DynamoStore, entries: &[TenantEntry]) -> Result<(), TenantsError> {
    for entry in entries {
        let tenant = Tenant {
            id: entry.tenant.clone(),
            webhook_secret: entry.webhook_secret.clone(),
        };
        store
            .put_tenant(&tenant, &entry.api_key)
            .await
            .map_err(|source| TenantsError::Store {
                tenant: entry.tenant.clone(),
                source,
            })?;
    }
    Ok(())
}
