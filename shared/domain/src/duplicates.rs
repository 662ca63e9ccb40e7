//! Duplicate invoices (api.md v1.1, "Duplicate invoices"): a succeeded
//! file is recorded in the tenant's invoice index under its invoice's
//! business key — the seller (BT-31 VAT id, else BT-27 name), the number
//! (BT-1), the issue date (BT-2) and the type code (BT-3) — and its result
//! entry lists the files recorded before it as `duplicate_of`, earliest
//! first. The order is the index's, never a clock's: recording is one
//! atomic append, so of two copies recorded at once exactly one is the
//! earlier and the other lists it.

use std::collections::BTreeSet;

use futures::future::try_join_all;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::document_cache::Extraction;
use crate::error::StoreError;
use crate::ids::JobId;
use crate::model::{FileRef, WorkMessage};
use crate::service::Intake;

/// Most files the index keeps under one business key: its item stays
/// around 2 KB (DynamoDB's limit is 400 KB), and a result lists at most this
/// many earlier copies. Copies past it list the first ones.
pub const MAX_INDEXED_COPIES: usize = 25;

/// The hex SHA-256 of an invoice's business key, each part trimmed; `None`
/// when a part is missing (EN 16931 makes all four mandatory): such an
/// invoice is not indexed.
pub(crate) fn business_key(extraction: &Extraction) -> Option<String> {
    let invoice = extraction.get("invoice")?;
    fn part(value: Option<&Value>) -> Option<&str> {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|part| !part.is_empty())
    }
    let seller = invoice.get("seller");
    // Tagged, so that a seller's name never equals another's VAT id.
    let seller = match part(seller.and_then(|s| s.get("vat_id"))) {
        Some(vat_id) => format!("vat_id:{vat_id}"),
        None => format!("name:{}", part(seller.and_then(|s| s.get("name")))?),
    };
    let parts = [
        seller.as_str(),
        part(invoice.get("number"))?,
        part(invoice.get("issue_date"))?,
        part(invoice.get("type_code"))?,
    ];
    // A JSON array: no separator inside a part can make two keys one.
    let canonical = serde_json::to_vec(&parts).ok()?;
    Some(hex::encode(Sha256::digest(canonical)))
}

/// The files recorded before `file`: all of them when the index was full
/// before `file` came.
fn recorded_before(recorded: Vec<FileRef>, file: &FileRef) -> Vec<FileRef> {
    recorded
        .into_iter()
        .take_while(|earlier| earlier != file)
        .collect()
}

impl Intake {
    /// Records `message`'s file under its invoice's business key; returns
    /// the tenant's files recorded before it (its `duplicate_of`), but none
    /// of a job that is gone (deleted by its tenant, or expired; one read
    /// of the job item per other job listed, never its counters): the list
    /// keeps such entries until it expires, and a result never names them.
    pub(crate) async fn earlier_copies(
        &self,
        message: &WorkMessage,
        extraction: &Extraction,
    ) -> Result<Vec<FileRef>, StoreError> {
        let Some(key) = business_key(extraction) else {
            return Ok(Vec::new());
        };
        let file = FileRef {
            job_id: message.job_id.clone(),
            file_id: message.file_id.clone(),
        };
        // The list lives as long as the jobs it names can: every file on it
        // came after its first, whose job lives `retention`.
        let expires_at = chrono::Utc::now() + self.settings.retention;
        let recorded = self
            .ports
            .invoices
            .record(&message.tenant, &key, &file, MAX_INDEXED_COPIES, expires_at)
            .await?;
        let earlier = recorded_before(recorded, &file);
        let other_jobs: BTreeSet<&JobId> = earlier
            .iter()
            .map(|earlier| &earlier.job_id)
            .filter(|job_id| **job_id != message.job_id)
            .collect();
        // One read per earlier job, side by side: a copy's latency is one
        // round trip however many jobs sent the invoice before.
        let gone: BTreeSet<JobId> = try_join_all(other_jobs.into_iter().map(|job_id| async move {
            let exists = self.ports.jobs.job_exists(&message.tenant, job_id).await?;
            Ok::<_, StoreError>((!exists).then(|| job_id.clone()))
        }))
        .await?
        .into_iter()
        .flatten()
        .collect();
        Ok(earlier
            .into_iter()
            .filter(|earlier| !gone.contains(&earlier.job_id))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{FileId, JobId};
    use serde_json::json;

    fn extraction(invoice: Value) -> Extraction {
        match json!({"document": {"syntax": "UBL"}, "invoice": invoice}) {
            Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }

    fn invoice() -> Value {
        json!({
            "number": "INV-1", "issue_date": "2024-01-15", "type_code": "380",
            "seller": {"name": "Seller GmbH", "vat_id": "DE123456789"},
            "lines": [{"id": "1"}],
        })
    }

    #[test]
    fn the_key_is_seller_number_date_and_type_trimmed() {
        let key = business_key(&extraction(invoice())).expect("a key");
        let mut padded = invoice();
        padded["number"] = json!("  INV-1\n");
        padded["lines"] = json!([]);
        padded["note"] = json!("re-sent");

        assert_eq!(key.len(), 64);
        assert_eq!(business_key(&extraction(padded)), Some(key.clone()));
        for (field, other) in [
            ("number", json!("INV-2")),
            ("issue_date", json!("2024-01-16")),
            ("type_code", json!("381")),
        ] {
            let mut changed = invoice();
            changed[field] = other;
            assert_ne!(
                business_key(&extraction(changed)),
                Some(key.clone()),
                "{field}"
            );
        }
    }

    #[test]
    fn the_seller_is_its_vat_id_else_its_name() {
        let mut renamed = invoice();
        renamed["seller"]["name"] = json!("Seller AG");
        let mut no_vat_id = invoice();
        no_vat_id["seller"] = json!({"name": "Seller GmbH"});
        let mut name_is_the_vat_id = invoice();
        name_is_the_vat_id["seller"] = json!({"name": "DE123456789"});

        let key = business_key(&extraction(invoice()));
        assert_eq!(
            business_key(&extraction(renamed)),
            key,
            "the VAT id decides"
        );
        let by_name = business_key(&extraction(no_vat_id)).expect("keyed by name");
        assert_ne!(Some(by_name), key);
        assert_ne!(business_key(&extraction(name_is_the_vat_id)), key);
    }

    #[test]
    fn an_invoice_missing_a_part_has_no_key() {
        for field in ["number", "issue_date", "type_code", "seller"] {
            let mut partial = invoice();
            partial.as_object_mut().expect("object").remove(field);
            assert_eq!(business_key(&extraction(partial)), None, "{field}");
        }
        let mut blank = invoice();
        blank["number"] = json!("   ");
        assert_eq!(business_key(&extraction(blank)), None);
        let no_invoice = match json!({"document": {}}) {
            Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        };
        assert_eq!(business_key(&no_invoice), None);
    }

    #[test]
    fn a_file_is_preceded_by_those_recorded_before_it() {
        let files: Vec<FileRef> = (0..3)
            .map(|_| FileRef {
                job_id: JobId::generate(),
                file_id: FileId::generate(),
            })
            .collect();
        let stranger = FileRef {
            job_id: JobId::generate(),
            file_id: FileId::generate(),
        };

        assert_eq!(recorded_before(files.clone(), &files[0]), vec![]);
        assert_eq!(
            recorded_before(files.clone(), &files[2]),
            files[..2].to_vec()
        );
        assert_eq!(
            recorded_before(files.clone(), &stranger),
            files,
            "a full index: every file it holds"
        );
    }
}
