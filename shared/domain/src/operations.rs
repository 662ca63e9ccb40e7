//! The operators' use cases: dead letters are never dropped, so an
//! operator can look at them and send them back to the work queue.

use crate::error::AppError;
use crate::service::Intake;
use crate::views::{DeadLetterList, DeadLetterView, ReplayDeadLettersRequest, ReplayReport};

/// Most dead letters one request lists or moves.
pub const MAX_DEAD_LETTERS_PER_REQUEST: usize = 100;

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

    pub async fn list_dead_letters(&self) -> Result<DeadLetterList, AppError> {
        let letters = self
            .ports
            .dead_letters
            .peek(MAX_DEAD_LETTERS_PER_REQUEST)
            .await?;
        Ok(DeadLetterList {
            dead_letters: letters
                .into_iter()
                .map(|letter| DeadLetterView {
                    body: serde_json::from_str(&letter.body)
                        .unwrap_or(serde_json::Value::String(letter.body)),
                    message_id: letter.message_id,
                    receive_count: letter.receive_count,
                    sent_at: letter.sent_at,
                })
                .collect(),
        })
    }

    /// Sends dead letters back to the work queue. A file that was marked
    /// failed when its message gave up stays failed (terminal states never
    /// change): the worker acknowledges such a message without effect.
    pub async fn replay_dead_letters(
        &self,
        request: ReplayDeadLettersRequest,
    ) -> Result<ReplayReport, AppError> {
        let limit = request.limit.unwrap_or(MAX_DEAD_LETTERS_PER_REQUEST);
        if !(1..=MAX_DEAD_LETTERS_PER_REQUEST).contains(&limit) {
            return Err(AppError::invalid(
                "invalid_limit",
                format!("limit must be 1 to {MAX_DEAD_LETTERS_PER_REQUEST}"),
            ));
        }
        let replayed = self
            .ports
            .dead_letters
            .redrive(request.message_ids.as_deref(), limit)
            .await?;
        tracing::info!(replayed = replayed.len(), "dead letters replayed");
        Ok(ReplayReport { replayed })
    }
}
