//! The invoice index: one item per tenant and business key
//! (`T#<tenant>#D#<digest>`, `INVOICES`) whose `files` list holds
//! `<job id>/<file id>` in the order the files were recorded. A file is
//! appended with one conditional write (not there yet, the list not full,
//! not expired), so concurrent copies are ordered by DynamoDB, not by a
//! clock, and a redelivered file finds itself where it was. A failed
//! condition returns the item as it was (`ReturnValuesOnConditionCheckFailure`),
//! so no read follows. The item expires (`ttl`) with its first file's
//! retention; an expired list is replaced by a new one.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use intake_domain::ids::{FileId, JobId};
use intake_domain::model::FileRef;
use intake_domain::ports::{InvoiceIndex, StoreResult};
use intake_domain::StoreError;

use super::{store_error, DynamoStore, TTL};
use crate::item::{n, s, Item};

const INDEX_SK: &str = "INVOICES";
const FILES: &str = "files";
/// Rounds of "create, else append" before giving up: a round fails only
/// when the list expired between its two writes.
const RECORD_ROUNDS: usize = 3;
const OP: &str = "record_invoice";

fn index_pk(tenant: &str, key: &str) -> String {
    format!("T#{tenant}#D#{key}")
}

fn member(file: &FileRef) -> String {
    format!("{}/{}", file.job_id, file.file_id)
}

fn read_files(item: &Item) -> StoreResult<Vec<FileRef>> {
    let malformed = || StoreError::new(OP, "an invoice index item is malformed");
    let Some(members) = item.get(FILES) else {
        return Ok(Vec::new());
    };
    members
        .as_l()
        .map_err(|_| malformed())?
        .iter()
        .map(|member| {
            let (job, file) = member
                .as_s()
                .ok()
                .and_then(|member| member.split_once('/'))
                .ok_or_else(malformed)?;
            Ok(FileRef {
                job_id: JobId::parse(job).ok_or_else(malformed)?,
                file_id: FileId::parse(file).ok_or_else(malformed)?,
            })
        })
        .collect()
}

/// The item a write's failed condition returned; `Ok(None)` for a write
/// that succeeded, an error for any other failure.
fn condition_failure<E, R>(
    result: Result<R, SdkError<E>>,
    old_item: impl Fn(&E) -> Option<Option<&Item>>,
) -> StoreResult<Result<R, Item>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Ok(output)),
        Err(error) => match error.as_service_error().and_then(&old_item) {
            Some(item) => Ok(Err(item.cloned().unwrap_or_default())),
            None => Err(store_error(OP, error)),
        },
    }
}

/// Whether a list is final for `file`: it holds it, or is full.
fn settled(files: &[FileRef], file: &FileRef, limit: usize) -> bool {
    files.contains(file) || files.len() >= limit
}

#[async_trait]
impl InvoiceIndex for DynamoStore {
    async fn record(
        &self,
        tenant: &str,
        key: &str,
        file: &FileRef,
        limit: usize,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Vec<FileRef>> {
        let one = AttributeValue::L(vec![s(member(file))]);
        for _ in 0..RECORD_ROUNDS {
            let now = n(Utc::now().timestamp());
            // A new list, where there is none or it expired.
            let mut item = Self::key(index_pk(tenant, key), INDEX_SK);
            item.insert(FILES.into(), one.clone());
            item.insert(TTL.into(), n(expires_at.timestamp()));
            let created = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk) OR #ttl < :now")
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":now", now.clone())
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let existing = match condition_failure(created, |e| match e {
                PutItemError::ConditionalCheckFailedException(failed) => Some(failed.item()),
                _ => None,
            })? {
                Ok(_) => return Ok(vec![file.clone()]),
                Err(existing) => read_files(&existing)?,
            };
            if settled(&existing, file, limit) {
                return Ok(existing);
            }
            let appended = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(Self::key(index_pk(tenant, key), INDEX_SK)))
                .update_expression("SET #files = list_append(#files, :one)")
                .condition_expression(
                    "#ttl >= :now AND NOT contains(#files, :member) AND size(#files) < :limit",
                )
                .expression_attribute_names("#files", FILES)
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":one", one.clone())
                .expression_attribute_values(":member", s(member(file)))
                .expression_attribute_values(":limit", n(limit))
                .expression_attribute_values(":now", now)
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let files = match condition_failure(appended, |e| match e {
                UpdateItemError::ConditionalCheckFailedException(failed) => Some(failed.item()),
                _ => None,
            })? {
                Ok(output) => read_files(&output.attributes.unwrap_or_default())?,
                Err(current) => read_files(&current)?,
            };
            if settled(&files, file, limit) {
                return Ok(files);
            }
            // The list expired between the two writes: start a new one.
        }
        Err(StoreError::new(OP, "the invoice index kept changing"))
    }
}
