//! The jobs list (`GET /jobs?limit=&cursor=&status=`): the tenant's jobs,
//! newest first, a page at a time, of one status or all.

use crate::error::AppError;
use crate::jobs::status_view;
use crate::model::{JobStatus, JobSummary, Tenant};
use crate::paging::{cursor_after, JobPosition, PageRequest};
use crate::ports::JobPage;
use crate::service::Intake;
use crate::transitions::job;
use crate::views::JobListView;

/// What a `GET /jobs` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobListQuery {
    pub page: PageRequest<JobPosition>,
    /// Only jobs whose status (as clients see it) is this one.
    pub status: Option<JobStatus>,
}

impl JobListQuery {
    /// Reads `limit`, `cursor` and `status`. A cursor belongs to the list
    /// of one filter: the next page of `status=failed` is not a page of
    /// the whole list.
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        status: Option<&str>,
    ) -> Result<Self, AppError> {
        let status = status
            .map(|raw| {
                JobStatus::parse(raw).ok_or_else(|| {
                    let names: Vec<&str> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
                    AppError::invalid(
                        "invalid_status",
                        format!("status must be one of {}", names.join(", ")),
                    )
                })
            })
            .transpose()?;
        let page = PageRequest::parse(&list_owner(status), limit, cursor)?.unwrap_or_default();
        Ok(Self { page, status })
    }
}

/// The owner a cursor of the list names: the list and its filter.
fn list_owner(status: Option<JobStatus>) -> String {
    match status {
        None => "jobs".to_owned(),
        Some(status) => format!("jobs?status={}", status.as_str()),
    }
}

impl Intake {
    /// One page of the tenant's jobs, newest first, each a status object
    /// without files. A filtered page is full whenever more jobs match:
    /// the catalog is read on until one more than the page matched.
    pub async fn list_jobs(
        &self,
        tenant: &Tenant,
        query: JobListQuery,
    ) -> Result<JobListView, AppError> {
        let limit = query.page.limit;
        // `processing` is never stored: it is a `queued` job one of whose
        // files started, told apart only once its progress is read.
        let stored: Vec<JobStatus> = match query.status {
            None => job::stored().collect(),
            Some(JobStatus::Processing) => vec![JobStatus::Queued],
            Some(status) => vec![status],
        };
        let shown = |job: &JobSummary| query.status.is_none_or(|s| job.visible_status() == s);
        let mut jobs: Vec<JobSummary> = Vec::new();
        let mut before = query.page.after.clone();
        // One job more than the page tells whether another page follows, so
        // that a list never ends with an empty page.
        while jobs.len() <= limit {
            let JobPage { jobs: page, more } = self
                .ports
                .catalog
                .list_jobs(&tenant.id, &stored, before.as_ref(), limit + 1 - jobs.len())
                .await?;
            let Some(last) = page.last() else { break };
            before = Some(last.position());
            jobs.extend(page.into_iter().filter(shown));
            if !more {
                break;
            }
        }
        let more = jobs.len() > limit;
        jobs.truncate(limit);
        let next_cursor = jobs
            .last()
            .filter(|_| more)
            .map(|last| cursor_after(&list_owner(query.status), &last.position()));
        Ok(JobListView {
            jobs: jobs
                .into_iter()
                .map(|job| status_view(job, None, None))
                .collect(),
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_outside_the_machine_is_refused() {
        for status in ["", "done", "QUEUED", "partially-failed"] {
            let error = JobListQuery::parse(None, None, Some(status)).expect_err(status);
            assert_eq!(error.code(), "invalid_status", "{status}");
        }
        let query = JobListQuery::parse(Some("5"), None, Some("partially_failed")).expect("valid");
        assert_eq!(query.status, Some(JobStatus::PartiallyFailed));
        assert_eq!(query.page.limit, 5);
    }

    #[test]
    fn a_cursor_serves_only_the_list_of_its_filter() {
        let position = JobPosition {
            created_at: chrono::Utc::now(),
            job_id: crate::ids::JobId::generate(),
        };
        let of_failed = cursor_after(&list_owner(Some(JobStatus::Failed)), &position);

        let same = JobListQuery::parse(None, Some(&of_failed), Some("failed"));
        let other = JobListQuery::parse(None, Some(&of_failed), None);

        assert_eq!(same.ok().and_then(|q| q.page.after), Some(position));
        assert_eq!(other.err().map(|e| e.code()), Some("invalid_cursor"));
    }
}
