//! The operators' use cases: dead letters (of the work queues and of the
//! webhook queue) are never dropped, so an operator can look at them and
//! send them back to the queue they came from.

use futures::stream::{self, StreamExt};
use tracing::warn;

use crate::error::{AppError, StoreError};
use crate::model::QueueMessage;
use crate::ports::{DeadLetter, ReplayedBody};
use crate::service::Intake;
use crate::views::{DeadLetterList, DeadLetterView, ReplayDeadLettersRequest, ReplayReport};
use crate::webhooks::WebhookMessage;

/// Most dead letters one request lists or moves.
pub const MAX_DEAD_LETTERS_PER_REQUEST: usize = 100;
/// Store reads at once while describing a listing's dead letters.
const LOOKUP_CONCURRENCY: usize = 8;

/// The dead-letter queues an operator can look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadLetterSource {
    /// `<stack>-work-dlq`: the work and express queues' dead letters.
    Work,
    /// `<stack>-webhooks-dlq`: webhook messages that failed on
    /// infrastructure errors.
    Webhooks,
}

impl DeadLetterSource {
    /// The `queue` of a request: `work` when absent.
    pub fn parse(queue: Option<&str>) -> Result<Self, AppError> {
        match queue {
            None | Some("work") => Ok(DeadLetterSource::Work),
            Some("webhooks") => Ok(DeadLetterSource::Webhooks),
            Some(_) => Err(AppError::invalid(
                "invalid_queue",
                "queue must be `work` or `webhooks`",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterSource::Work => "work",
            DeadLetterSource::Webhooks => "webhooks",
        }
    }

    /// What a dead letter's body becomes when it is sent back: a file's
    /// message is marked `reopen`, a webhook message goes back as it was.
    pub(crate) fn replayed_body(self) -> &'static ReplayedBody {
        match self {
            DeadLetterSource::Work => &QueueMessage::replayed,
            DeadLetterSource::Webhooks => &str::to_owned,
        }
    }
}

impl Intake {
    pub async fn authenticate_admin(&self, api_key: Option<&str>) -> Result<(), AppError> {
        let api_key = api_key
            .filter(|key| !key.is_empty())
            .ok_or(AppError::Unauthorized)?;
        if self.ports.tenants.is_admin_key(api_key).await? {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }

    /// Up to 100 dead letters of `queue` (`work` when absent), each with
    /// what its message names (tenant, job, file or event) and that
    /// file's or event's state now.
    pub async fn list_dead_letters(&self, queue: Option<&str>) -> Result<DeadLetterList, AppError> {
        let source = DeadLetterSource::parse(queue)?;
        let letters = self
            .dead_letter_queue(source)
            .peek(MAX_DEAD_LETTERS_PER_REQUEST)
            .await?;
        let dead_letters = stream::iter(letters)
            .map(|letter| self.describe_dead_letter(source, letter))
            .buffered(LOOKUP_CONCURRENCY)
            .collect()
            .await;
        Ok(DeadLetterList {
            queue: source.as_str(),
            dead_letters,
        })
    }

    /// Sends dead letters back to the queue they came from. A file's message
    /// goes back marked `reopen`: a file given up on for a fault of ours
    /// runs again and its job is decided again (a file that failed for its
    /// content stays failed). A webhook message leads to the attempt its
    /// event is due for if the event is still pending, and to nothing
    /// otherwise.
    pub async fn replay_dead_letters(
        &self,
        request: ReplayDeadLettersRequest,
    ) -> Result<ReplayReport, AppError> {
        let source = DeadLetterSource::parse(request.queue.as_deref())?;
        let limit = request.limit.unwrap_or(MAX_DEAD_LETTERS_PER_REQUEST);
        if !(1..=MAX_DEAD_LETTERS_PER_REQUEST).contains(&limit) {
            return Err(AppError::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_DEAD_LETTERS_PER_REQUEST}"),
            ));
        }
        let replayed = self
            .dead_letter_queue(source)
            .redrive(
                request.message_ids.as_deref(),
                limit,
                source.replayed_body(),
            )
            .await?;
        tracing::info!(
            queue = source.as_str(),
            replayed = replayed.len(),
            "dead letters replayed"
        );
        Ok(ReplayReport { replayed })
    }

    pub(crate) fn dead_letter_queue(
        &self,
        source: DeadLetterSource,
    ) -> &dyn crate::ports::DeadLetterQueue {
        match source {
            DeadLetterSource::Work => self.ports.dead_letters.as_ref(),
            DeadLetterSource::Webhooks => self.ports.webhook_dead_letters.as_ref(),
        }
    }

    /// The letter with what its message names and the state read from the
    /// store. The listing is what operators need during an outage, so a
    /// failed read leaves the state out instead of failing the request.
    async fn describe_dead_letter(
        &self,
        source: DeadLetterSource,
        letter: DeadLetter,
    ) -> DeadLetterView {
        let mut view = DeadLetterView {
            body: serde_json::from_str(&letter.body)
                .unwrap_or_else(|_| serde_json::Value::String(letter.body.clone())),
            message_id: letter.message_id.clone(),
            receive_count: letter.receive_count,
            sent_at: letter.sent_at,
            tenant: None,
            job_id: None,
            file_id: None,
            event_id: None,
            state: None,
            last_error: None,
        };
        let described = match source {
            DeadLetterSource::Work => self.describe_work_letter(&letter.body, &mut view).await,
            DeadLetterSource::Webhooks => {
                self.describe_webhook_letter(&letter.body, &mut view).await
            }
        };
        if let Err(error) = described {
            warn!(message_id = %letter.message_id, %error, "dead letter listed without its state");
        }
        view
    }

    async fn describe_work_letter(
        &self,
        body: &str,
        view: &mut DeadLetterView,
    ) -> Result<(), StoreError> {
        match QueueMessage::parse(body) {
            Ok(QueueMessage::File(message)) => {
                view.tenant = Some(message.tenant.clone());
                view.job_id = Some(message.job_id.clone());
                view.file_id = Some(message.file_id.clone());
                if let Some(file) = self
                    .ports
                    .files
                    .load_file(&message.tenant, &message.session_id, &message.file_id)
                    .await?
                {
                    view.state = Some(file.status.job_view());
                    view.last_error = file.error.map(|error| error.message);
                }
            }
            Ok(QueueMessage::Dispatch(message)) => {
                view.tenant = Some(message.tenant);
                view.job_id = Some(message.job_id);
            }
            // An operator's bulk replay names no tenant.
            Ok(QueueMessage::Replay(_)) | Err(_) => {}
        }
        Ok(())
    }

    async fn describe_webhook_letter(
        &self,
        body: &str,
        view: &mut DeadLetterView,
    ) -> Result<(), StoreError> {
        let Ok(message) = serde_json::from_str::<WebhookMessage>(body) else {
            return Ok(());
        };
        view.tenant = Some(message.tenant.clone());
        view.job_id = Some(message.job_id.clone());
        view.event_id = Some(message.event_id.clone());
        let webhooks = &self.ports.webhooks;
        // A re-opened job has a newer event: this one is no longer kept.
        let Some(event) = webhooks
            .load_event(&message.tenant, &message.job_id)
            .await?
            .filter(|event| event.id == message.event_id)
        else {
            return Ok(());
        };
        view.state = Some(event.state.as_str());
        view.last_error = webhooks
            .attempts(&message.tenant, &message.job_id)
            .await?
            .pop()
            .and_then(|attempt| attempt.error);
        Ok(())
    }
}
