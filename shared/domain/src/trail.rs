//! A job's audit trail (`GET /jobs/{id}/events`): every move of the job
//! and its files, each retry, error and webhook attempt, oldest first, a
//! page at a time. The entries are those the moves wrote in their own
//! transactions (docs/design.md, "Audit in the move's transaction").

use crate::error::AppError;
use crate::model::Tenant;
use crate::paging::{cursor_after, PageRequest, TrailPosition};
use crate::ports::TrailPage;
use crate::service::Intake;
use crate::views::{JobEventView, JobEventsView};

impl Intake {
    /// One page of the job's entries. The session's own entries before the
    /// job (`session.created`, `session.confirmed`) are not the job's: they
    /// are left out.
    pub async fn job_events(
        &self,
        tenant: &Tenant,
        id: &str,
        page: Option<PageRequest<TrailPosition>>,
    ) -> Result<JobEventsView, AppError> {
        let page = page.unwrap_or_default();
        let job = self.load_job(tenant, id).await?;
        let TrailPage { entries, more } = self
            .ports
            .audit
            .job_trail(
                &tenant.id,
                &job.session_id,
                &job.id,
                page.after.as_ref(),
                page.limit,
            )
            .await?;
        let next_cursor = entries
            .last()
            .filter(|_| more)
            .map(|(position, _)| cursor_after(job.id.as_str(), position));
        Ok(JobEventsView {
            job_id: job.id,
            events: entries
                .into_iter()
                .map(|(_, entry)| JobEventView {
                    at: entry.at,
                    kind: entry.event,
                    file_id: entry.file_id,
                    attempt: entry.attempt,
                    detail: entry.detail,
                })
                .collect(),
            next_cursor,
        })
    }
}
