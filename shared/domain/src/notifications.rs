//! Delivering, listing and replaying a job's `job.completed` event.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use tracing::{info, warn};

use crate::error::{AppError, StoreError};
use crate::ids::{EventId, JobId};
use crate::metrics;
use crate::model::{Job, Tenant};
use crate::ports::{AuditEntry, SendOutcome, WebhookRequest};
use crate::processing::DeliveryOutcome;
use crate::service::Intake;
use crate::transitions;
use crate::views::rfc3339;
use crate::webhooks::{
    decide_attempt, next_delay, signature_header, AttemptDecision, DeliveryAttempt, EventState,
    WebhookEvent, WebhookMessage,
};

/// Longer than one attempt can take (10 s timeout plus bookkeeping); a
/// worker that dies mid-attempt frees the event after it.
const ATTEMPT_LEASE: Duration = Duration::from_secs(60);
/// An attempt this close to due is made now (clock skew between workers).
const DUE_SLACK: Duration = Duration::from_millis(100);

#[derive(Clone, Debug, Serialize)]
pub struct WebhookDeliveriesView {
    pub job_id: JobId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventView>,
    pub deliveries: Vec<DeliveryAttempt>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub state: EventState,
    pub created_at: String,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WebhookReplayView {
    pub event_id: EventId,
    pub state: EventState,
}

/// What one answer means for the event.
struct Verdict {
    state: EventState,
    error: Option<String>,
    /// The receiver's own wait (429 Retry-After), if longer than ours.
    at_least: Option<Duration>,
}

fn verdict(outcome: &SendOutcome) -> Verdict {
    let retry = |error: Option<String>, at_least: Option<Duration>| Verdict {
        state: EventState::Pending,
        error,
        at_least,
    };
    let stop = |error: String| Verdict {
        state: EventState::Failed,
        error: Some(error),
        at_least: None,
    };
    match outcome {
        SendOutcome::Answered { status, .. } if (200..300).contains(status) => Verdict {
            state: EventState::Delivered,
            error: None,
            at_least: None,
        },
        SendOutcome::Answered {
            status: 429,
            retry_after,
        } => retry(Some("429 Too Many Requests".into()), *retry_after),
        SendOutcome::Answered { status, .. } if *status == 408 || *status >= 500 => {
            retry(Some(format!("receiver answered {status}")), None)
        }
        SendOutcome::Answered { status: 410, .. } => {
            stop("410 Gone: the endpoint is disabled".into())
        }
        SendOutcome::Answered { status, .. } if (300..400).contains(status) => stop(format!(
            "receiver answered {status}; redirects are not followed"
        )),
        SendOutcome::Answered { status, .. } => stop(format!("receiver answered {status}")),
        SendOutcome::Refused(reason) => stop(format!("refused: {reason}")),
        SendOutcome::Unreachable(error) => retry(Some(error.clone()), None),
    }
}

/// The audit trail's words for an attempt: the receiver's answer and what
/// follows. A network error's own text (a socket's, a resolver's) stays in
/// the attempt's record and the logs.
fn attempt_detail(outcome: &SendOutcome, state: EventState, next: Option<Duration>) -> String {
    let answer = match outcome {
        SendOutcome::Answered { status, .. } => format!("the receiver answered {status}"),
        SendOutcome::Refused(reason) => format!("not sent: {reason}"),
        SendOutcome::Unreachable(_) => {
            "the receiver could not be reached (network error or timeout)".to_owned()
        }
    };
    let then = match (state, next) {
        (EventState::Delivered, _) => "delivered".to_owned(),
        (EventState::Pending, Some(delay)) => format!("next attempt in {} s", delay.as_secs()),
        (EventState::Exhausted, _) | (EventState::Pending, None) => {
            "no attempt left in the schedule".to_owned()
        }
        (EventState::Failed, _) => "not retried".to_owned(),
    };
    format!("{answer}; {then}")
}

fn store_failure(error: AppError) -> StoreError {
    match error {
        AppError::Store(error) => error,
        other => StoreError::new("deliver_webhook", other),
    }
}

impl Intake {
    /// Makes the attempt a webhook message is due for. Infrastructure
    /// errors retry the message; the receiver's failures are scheduled by
    /// the event's own backoff.
    pub async fn deliver_webhook(&self, message: &WebhookMessage) -> DeliveryOutcome {
        metrics::heartbeat("webhooks");
        match self.try_deliver_webhook(message).await {
            Ok(()) => DeliveryOutcome::Done,
            Err(error) => {
                warn!(tenant = %message.tenant, job_id = %message.job_id, %error, "webhook delivery will be retried");
                DeliveryOutcome::Retry
            }
        }
    }

    async fn try_deliver_webhook(&self, message: &WebhookMessage) -> Result<(), StoreError> {
        let webhooks = &self.ports.webhooks;
        let Some(event) = webhooks
            .load_event(&message.tenant, &message.job_id)
            .await?
        else {
            warn!(job_id = %message.job_id, "webhook message for a job without an event");
            return Ok(());
        };
        let now = Utc::now();
        let lease = match decide_attempt(&event, message, now, ATTEMPT_LEASE, DUE_SLACK) {
            AttemptDecision::Drop => return Ok(()),
            // The queue delays a message at most 15 minutes, so a longer
            // wait arrives early and goes back until the attempt is due.
            AttemptDecision::NotDue(wait) => {
                return self.ports.webhook_queue.enqueue(message, wait).await
            }
            AttemptDecision::Lease(lease) => lease,
        };
        // The status object the event carries, and the session whose audit
        // trail records the attempt.
        let Some(job) = self
            .ports
            .jobs
            .load_job(&event.tenant, &event.job_id)
            .await?
        else {
            info!(tenant = %event.tenant, job_id = %event.job_id, "webhook of a deleted job dropped");
            return Ok(());
        };
        if !webhooks
            .lease_attempt(&event.tenant, &event.job_id, &lease)
            .await?
        {
            // Another worker made this attempt since we read the event (it
            // carries the schedule on), or holds its lease: alive, or dead
            // mid-attempt. Only in the first case is this message spent; in
            // the second it comes back once the lease may have run out, so a
            // dead holder never strands the event.
            let still_due = webhooks
                .load_event(&event.tenant, &event.job_id)
                .await?
                .is_some_and(|now| {
                    now.id == event.id
                        && now.state == EventState::Pending
                        && now.total_attempts == lease.attempts_before
                });
            if still_due {
                return Err(StoreError::new(
                    "lease_attempt",
                    "another worker holds the attempt's lease",
                ));
            }
            info!(tenant = %event.tenant, job_id = %event.job_id, event_id = %event.id,
                  attempt = lease.attempt(), "webhook attempt made by another worker");
            return Ok(());
        }
        let (outcome, latency) = self.attempt(&event, &job).await?;
        let verdict = verdict(&outcome);
        let status_code = match outcome {
            SendOutcome::Answered { status, .. } => Some(status),
            _ => None,
        };
        let (state, next_delay) = match verdict.state {
            EventState::Pending => {
                match next_delay(&self.settings.webhook_schedule, event.round_attempts + 1) {
                    Some(delay) => (
                        EventState::Pending,
                        Some(delay.max(verdict.at_least.unwrap_or_default())),
                    ),
                    None => (EventState::Exhausted, None),
                }
            }
            other => (other, None),
        };
        let attempt = DeliveryAttempt {
            attempt: lease.attempt(),
            at: now,
            url: event.url.clone(),
            status_code,
            latency_ms: latency.as_millis() as u64,
            error: verdict.error,
            next_attempt_at: next_delay
                .and_then(|delay| chrono::Duration::from_std(delay).ok())
                .map(|delay| now + delay),
        };
        let entry = AuditEntry {
            at: now,
            tenant: event.tenant.clone(),
            session_id: job.session_id.clone(),
            job_id: Some(event.job_id.clone()),
            file_id: None,
            event: transitions::event::ATTEMPT.name.to_owned(),
            attempt: Some(attempt.attempt),
            detail: Some(attempt_detail(&outcome, state, next_delay)),
        };
        if !webhooks
            .record_attempt(&event, &attempt, state, &entry)
            .await?
        {
            // Our lease ran out mid-attempt and another worker recorded this
            // attempt: its record stands, and its schedule goes on.
            warn!(tenant = %event.tenant, job_id = %event.job_id, event_id = %event.id,
                  attempt = attempt.attempt, "webhook attempt already recorded by another worker");
            return Ok(());
        }
        info!(tenant = %event.tenant, job_id = %event.job_id, event_id = %event.id, attempt = attempt.attempt,
              status_code, latency_ms = attempt.latency_ms, state = state.as_str(), "webhook attempt");
        metrics::webhook_attempt(match state {
            EventState::Pending => "retry",
            EventState::Delivered => "delivered",
            EventState::Failed => "failed",
            EventState::Exhausted => "exhausted",
        });
        if status_code == Some(410) {
            webhooks
                .set_endpoint_disabled(&event.tenant, &event.url, true)
                .await?;
        }
        if let Some(delay) = next_delay {
            self.ports.webhook_queue.enqueue(message, delay).await?;
        }
        Ok(())
    }

    /// Signs and sends the event of `job` once; refuses without sending
    /// where the endpoint is disabled or the tenant has no secret.
    async fn attempt(
        &self,
        event: &WebhookEvent,
        job: &Job,
    ) -> Result<(SendOutcome, Duration), StoreError> {
        if self
            .ports
            .webhooks
            .is_endpoint_disabled(&event.tenant, &event.url)
            .await?
        {
            return Ok((
                SendOutcome::Refused("the endpoint answered 410 Gone before".into()),
                Duration::ZERO,
            ));
        }
        let secrets = self.ports.tenants.webhook_secrets(&event.tenant).await?;
        let data = self.event_status(job).await.map_err(store_failure)?;
        let body = serde_json::to_vec(&serde_json::json!({
            "id": event.id,
            "type": "job.completed",
            "created_at": rfc3339(&event.created_at),
            "data": data,
        }))
        .map_err(|e| StoreError::new("deliver_webhook", e))?;
        if secrets.is_empty() {
            return Ok((
                SendOutcome::Refused("the tenant has no webhook secret".into()),
                Duration::ZERO,
            ));
        }
        let timestamp = Utc::now().timestamp();
        let Ok(signature) = signature_header(&secrets, event.id.as_str(), timestamp, &body) else {
            return Ok((
                SendOutcome::Refused("the tenant's webhook secret is not valid".into()),
                Duration::ZERO,
            ));
        };
        let request = WebhookRequest {
            url: event.url.clone(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "user-agent".into(),
                    concat!("invoice-intake/", env!("CARGO_PKG_VERSION")).into(),
                ),
                ("webhook-id".into(), event.id.to_string()),
                ("webhook-timestamp".into(), timestamp.to_string()),
                ("webhook-signature".into(), signature),
            ],
            body,
        };
        let started = Instant::now();
        let outcome = self.ports.webhook_sender.send(&request).await;
        Ok((outcome, started.elapsed()))
    }

    pub async fn webhook_deliveries(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<WebhookDeliveriesView, AppError> {
        let job_id = JobId::parse(id).ok_or(AppError::JobNotFound)?;
        self.ports
            .jobs
            .load_job(&tenant.id, &job_id)
            .await?
            .ok_or(AppError::JobNotFound)?;
        let event = self.ports.webhooks.load_event(&tenant.id, &job_id).await?;
        let deliveries = match &event {
            Some(_) => self.ports.webhooks.attempts(&tenant.id, &job_id).await?,
            None => Vec::new(),
        };
        Ok(WebhookDeliveriesView {
            job_id,
            event: event.map(|event| EventView {
                id: event.id,
                kind: "job.completed",
                url: event.url,
                state: event.state,
                created_at: rfc3339(&event.created_at),
                attempts: event.total_attempts,
                next_attempt_at: event
                    .next_attempt_at
                    .filter(|_| event.state == EventState::Pending)
                    .map(|at| rfc3339(&at)),
            }),
            deliveries,
        })
    }

    /// Sends the job's event again, same id, with a fresh schedule; a
    /// disabled endpoint is enabled again by this explicit request.
    pub async fn replay_webhook(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<WebhookReplayView, AppError> {
        let job_id = JobId::parse(id).ok_or(AppError::JobNotFound)?;
        let job = self
            .ports
            .jobs
            .load_job(&tenant.id, &job_id)
            .await?
            .ok_or(AppError::JobNotFound)?;
        if !job.status.is_terminal() {
            return Err(AppError::JobNotFinished);
        }
        let event = self
            .ports
            .webhooks
            .load_event(&tenant.id, &job_id)
            .await?
            .ok_or(AppError::WebhookNotConfigured)?;
        self.ports
            .webhooks
            .set_endpoint_disabled(&tenant.id, &event.url, false)
            .await?;
        self.ports.webhooks.restart(&tenant.id, &job_id).await?;
        let message = WebhookMessage {
            v: WebhookMessage::VERSION,
            tenant: tenant.id.clone(),
            job_id,
            event_id: event.id.clone(),
        };
        self.ports
            .webhook_queue
            .enqueue(&message, Duration::ZERO)
            .await?;
        info!(tenant = %tenant.id, job_id = %message.job_id, event_id = %event.id, "webhook replay");
        Ok(WebhookReplayView {
            event_id: event.id,
            state: EventState::Pending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> SendOutcome {
        SendOutcome::Answered {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn answers_decide_between_done_retry_and_stop() {
        for (outcome, state) in [
            (answered(200), EventState::Delivered),
            (answered(204), EventState::Delivered),
            (answered(408), EventState::Pending),
            (answered(429), EventState::Pending),
            (answered(500), EventState::Pending),
            (answered(503), EventState::Pending),
            (
                SendOutcome::Unreachable("timeout".into()),
                EventState::Pending,
            ),
            (answered(400), EventState::Failed),
            (answered(401), EventState::Failed),
            (answered(404), EventState::Failed),
            (answered(410), EventState::Failed),
            (answered(302), EventState::Failed),
            (
                SendOutcome::Refused("private address".into()),
                EventState::Failed,
            ),
        ] {
            assert_eq!(verdict(&outcome).state, state, "{outcome:?}");
        }
    }

    #[test]
    fn the_trail_tells_the_answer_and_what_follows_without_network_error_text() {
        let unreachable = SendOutcome::Unreachable(
            "request failed: error sending request for url (http://10.1.2.3/): tcp connect".into(),
        );
        for (outcome, state, next, expected) in [
            (
                answered(200),
                EventState::Delivered,
                None,
                "the receiver answered 200; delivered",
            ),
            (
                answered(503),
                EventState::Pending,
                Some(Duration::from_secs(5)),
                "the receiver answered 503; next attempt in 5 s",
            ),
            (
                unreachable,
                EventState::Exhausted,
                None,
                "the receiver could not be reached (network error or timeout); no attempt left in the schedule",
            ),
            (
                SendOutcome::Refused("the tenant has no webhook secret".into()),
                EventState::Failed,
                None,
                "not sent: the tenant has no webhook secret; not retried",
            ),
        ] {
            assert_eq!(attempt_detail(&outcome, state, next), expected);
        }
    }

    #[test]
    fn retry_after_is_honoured_only_for_429() {
        let throttled = SendOutcome::Answered {
            status: 429,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(verdict(&throttled).at_least, Some(Duration::from_secs(120)));
        let failing = SendOutcome::Answered {
            status: 503,
            retry_after: Some(Duration::from_secs(120)),
        };
        assert_eq!(verdict(&failing).at_least, None);
        assert!(verdict(&answered(410))
            .error
            .is_some_and(|e| e.contains("disabled")));
    }
}
