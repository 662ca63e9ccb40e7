//! Webhook events, their attempts and disabled endpoints, in the state table.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use intake_domain::ids::{EventId, JobId};
use intake_domain::ports::{AuditEntry, StoreResult, WebhookStore};
use intake_domain::transitions::event;
use intake_domain::webhooks::{AttemptLease, DeliveryAttempt, EventState, WebhookEvent};
use sha2::{Digest, Sha256};

use super::conditions::{Condition, Conditional};
use super::open_work::{mark_open, OPEN, OPEN_EVENT, OPEN_SINCE};
use super::{built, is_conditional_failure, job_pk, store_error, DynamoStore, Transaction, TTL};
use crate::item::{get_n, get_s, get_time, n, parse, req_n, req_s, req_time, s, time, Item};

const EVENT_SK: &str = "EVENT";
const ENDPOINT_SK: &str = "ENDPOINT";

/// An attempt's key: by event (ids sort by creation, so a re-decided job's
/// later event sorts after the earlier one), then by number, zero-padded
/// so that attempts sort in order.
fn attempt_sk(event: &EventId, attempt: &DeliveryAttempt) -> String {
    format!("ATTEMPT#{}#{:06}", event.as_str(), attempt.attempt)
}

fn endpoint_pk(tenant: &str, url: &str) -> String {
    format!(
        "T#{tenant}#E#{}",
        hex::encode(Sha256::digest(url.as_bytes()))
    )
}

fn event_item(event: &WebhookEvent) -> Item {
    let mut item = DynamoStore::key(job_pk(&event.tenant, &event.job_id), EVENT_SK);
    item.insert("event_id".into(), s(event.id.as_str()));
    item.insert("tenant".into(), s(&event.tenant));
    item.insert("job_id".into(), s(event.job_id.as_str()));
    item.insert("url".into(), s(&event.url));
    item.insert("created_at".into(), time(&event.created_at));
    item.insert("state".into(), s(event.state.as_str()));
    item.insert("round_attempts".into(), n(event.round_attempts));
    item.insert("total_attempts".into(), n(event.total_attempts));
    item.insert("enqueued".into(), AttributeValue::Bool(event.enqueued));
    if let Some(at) = &event.next_attempt_at {
        item.insert("next_attempt_at".into(), time(at));
    }
    if event.state == EventState::Pending {
        mark_open(&mut item, OPEN_EVENT, &event.created_at);
    }
    item
}

fn read_event(item: &Item) -> StoreResult<WebhookEvent> {
    Ok(WebhookEvent {
        id: parse(req_s(item, "event_id")?, "event_id", EventId::parse)?,
        tenant: req_s(item, "tenant")?.to_owned(),
        job_id: parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
        url: req_s(item, "url")?.to_owned(),
        created_at: req_time(item, "created_at")?,
        state: parse(req_s(item, "state")?, "state", EventState::parse)?,
        round_attempts: req_n(item, "round_attempts")?,
        total_attempts: req_n(item, "total_attempts")?,
        next_attempt_at: get_time(item, "next_attempt_at")?,
        enqueued: item
            .get("enqueued")
            .and_then(|value| value.as_bool().ok().copied())
            .unwrap_or(false),
    })
}

fn read_attempt(item: &Item) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        attempt: req_n(item, "attempt")?,
        at: req_time(item, "at")?,
        url: req_s(item, "url")?.to_owned(),
        status_code: get_n(item, "status_code")?,
        latency_ms: req_n(item, "latency_ms")?,
        error: get_s(item, "error").map(str::to_owned),
        next_attempt_at: get_time(item, "next_attempt_at")?,
    })
}

impl DynamoStore {
    /// The event's first write, part of the job's deciding transaction,
    /// whose condition lets one decision in: a re-opened job's new decision
    /// replaces the earlier decision's event (its attempts stay).
    pub(super) fn put_event(&self, event: &WebhookEvent) -> StoreResult<Put> {
        built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some({
                    let mut item = event_item(event);
                    item.insert(TTL.into(), self.ttl(&event.created_at));
                    item
                }))
                .build(),
            "put_event",
        )
    }

    async fn update_event(
        &self,
        tenant: &str,
        job_id: &JobId,
        expression: &str,
        values: Vec<(&str, AttributeValue)>,
        operation: &'static str,
    ) -> StoreResult<()> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, job_id), EVENT_SK)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)");
        // `state` is a reserved word; DynamoDB also rejects unused names.
        if expression.contains("#state") {
            request = request.expression_attribute_names("#state", "state");
        }
        if expression.contains("#open") {
            request = request
                .expression_attribute_names("#open", OPEN)
                .expression_attribute_names("#open_since", OPEN_SINCE);
        }
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        request
            .send()
            .await
            .map_err(|e| store_error(operation, e))?;
        Ok(())
    }
}

fn optional_time(at: Option<&DateTime<Utc>>) -> AttributeValue {
    at.map(time).unwrap_or(AttributeValue::Null(true))
}

#[async_trait]
impl WebhookStore for DynamoStore {
    async fn load_event(&self, tenant: &str, job_id: &JobId) -> StoreResult<Option<WebhookEvent>> {
        self.get(job_pk(tenant, job_id), EVENT_SK, "load_event")
            .await?
            .map(|item| read_event(&item))
            .transpose()
    }

    async fn mark_enqueued(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        self.update_event(
            tenant,
            job_id,
            "SET enqueued = :yes",
            vec![(":yes", AttributeValue::Bool(true))],
            "mark_enqueued",
        )
        .await
    }

    async fn record_attempt(
        &self,
        event: &WebhookEvent,
        attempt: &DeliveryAttempt,
        state: EventState,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        const OP: &str = "record_attempt";
        let mut item = Self::key(
            job_pk(&event.tenant, &event.job_id),
            &attempt_sk(&event.id, attempt),
        );
        // Attempts expire with their event.
        item.insert(TTL.into(), self.ttl(&event.created_at));
        item.insert("attempt".into(), n(attempt.attempt));
        item.insert("at".into(), time(&attempt.at));
        item.insert("url".into(), s(&attempt.url));
        item.insert("latency_ms".into(), n(attempt.latency_ms));
        if let Some(code) = attempt.status_code {
            item.insert("status_code".into(), n(code));
        }
        if let Some(error) = &attempt.error {
            item.insert("error".into(), s(error));
        }
        if let Some(at) = &attempt.next_attempt_at {
            item.insert("next_attempt_at".into(), time(at));
        }
        // The record is never overwritten, and the event moves on only from
        // the attempts its lease was taken with: both (with the attempt's
        // audit entry) or neither.
        let record = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
            OP,
        )?;
        // An event that ends leaves the reconciler's index.
        let closes = if state == EventState::Pending {
            ""
        } else {
            ", #open, #open_since"
        };
        let mut update = self
            .update(
                Self::key(job_pk(&event.tenant, &event.job_id), EVENT_SK),
                &format!(
                    "SET #state = :state, next_attempt_at = :next REMOVE leased_until{closes} \
                     ADD round_attempts :one, total_attempts :one"
                ),
            )
            .condition_expression("total_attempts = :before");
        if !closes.is_empty() {
            update = update
                .expression_attribute_names("#open", OPEN)
                .expression_attribute_names("#open_since", OPEN_SINCE);
        }
        let update = built(
            update
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":state", s(state.as_str()))
                .expression_attribute_values(
                    ":next",
                    optional_time(attempt.next_attempt_at.as_ref()),
                )
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":before", n(attempt.attempt.saturating_sub(1)))
                .build(),
            OP,
        )?;
        let outcome = self
            .transact(
                vec![
                    TransactWriteItem::builder().put(record).build(),
                    TransactWriteItem::builder().update(update).build(),
                    self.audit_write(audit, OP)?,
                ],
                OP,
            )
            .await?;
        Ok(matches!(outcome, Transaction::Committed))
    }

    async fn lease_attempt(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: &AttemptLease,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, job_id), EVENT_SK)))
            .update_expression("SET leased_until = :until")
            .only_if(
                Condition::from("state", &event::ATTEMPT, EventState::as_str).and(
                    "total_attempts = :before \
                     AND (attribute_not_exists(next_attempt_at) OR next_attempt_at <= :due_by) \
                     AND (attribute_not_exists(leased_until) OR leased_until < :now)",
                ),
            )
            .expression_attribute_values(":before", n(lease.attempts_before))
            .expression_attribute_values(":due_by", time(&lease.due_by))
            .expression_attribute_values(":until", time(&lease.until))
            .expression_attribute_values(":now", time(&lease.now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_conditional_failure(&error) => Ok(false),
            Err(error) => Err(store_error("lease_attempt", error)),
        }
    }

    async fn attempts(&self, tenant: &str, job_id: &JobId) -> StoreResult<Vec<DeliveryAttempt>> {
        // Only the attempts: the job's partition also holds its counters.
        let items = self
            .query_all(
                job_pk(tenant, job_id),
                Some(("ATTEMPT#", "ATTEMPT#~")),
                "webhook_attempts",
            )
            .await?;
        items.iter().map(read_attempt).collect()
    }

    async fn restart(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        self.update_event(
            tenant,
            job_id,
            "SET #state = :pending, round_attempts = :zero, next_attempt_at = :now, enqueued = :yes, \
             #open = :open, #open_since = :now",
            vec![
                (":pending", s(EventState::Pending.as_str())),
                (":open", s(OPEN_EVENT)),
                (":zero", n(0)),
                (":now", time(&Utc::now())),
                (":yes", AttributeValue::Bool(true)),
            ],
            "restart_event",
        )
        .await
    }

    async fn is_endpoint_disabled(&self, tenant: &str, url: &str) -> StoreResult<bool> {
        Ok(self
            .get(
                endpoint_pk(tenant, url),
                ENDPOINT_SK,
                "is_endpoint_disabled",
            )
            .await?
            .is_some())
    }

    async fn set_endpoint_disabled(
        &self,
        tenant: &str,
        url: &str,
        disabled: bool,
    ) -> StoreResult<()> {
        let key = Self::key(endpoint_pk(tenant, url), ENDPOINT_SK);
        if disabled {
            let mut item = key;
            item.insert("url".into(), s(url));
            item.insert("disabled_at".into(), time(&Utc::now()));
            self.put(item, "disable_endpoint").await
        } else {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| store_error("enable_endpoint", e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_item_mapping() {
        let event = WebhookEvent {
            id: EventId::generate(),
            tenant: "acme".into(),
            job_id: JobId::generate(),
            url: "https://hooks.example.com/in".into(),
            created_at: Utc::now(),
            state: EventState::Exhausted,
            round_attempts: 2,
            total_attempts: 9,
            next_attempt_at: None,
            enqueued: true,
        };
        let read = read_event(&event_item(&event)).expect("read back");
        assert_eq!(read.id, event.id);
        assert_eq!(read.state, EventState::Exhausted);
        assert_eq!((read.round_attempts, read.total_attempts), (2, 9));
        assert!(read.enqueued);
    }
}
