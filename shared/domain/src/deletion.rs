//! Deleting a terminal job (`DELETE /jobs/{id}`): its uploads, results and
//! items. The job is taken out of sight first, with one conditional write
//! (a tombstone), so that it is never half visible; everything after that
//! is idempotent, and a repeated DELETE of a job whose deletion was cut
//! short finishes it.

use std::collections::BTreeSet;

use futures::future::try_join_all;
use tracing::info;

use crate::error::AppError;
use crate::ids::JobId;
use crate::ids::SessionId;
use crate::model::Tenant;
use crate::ports::HideJob;
use crate::service::{
    cache_results_prefix, file_results_prefix, job_result_key, upload_prefix, Intake,
};
use crate::transitions::job;

/// Files read per page while collecting a job's upload digests.
const FILE_PAGE: usize = 1000;
/// Cache entries forgotten at once.
const FORGET_CONCURRENCY: usize = 16;

impl Intake {
    pub async fn delete_job(&self, tenant: &Tenant, id: &str) -> Result<(), AppError> {
        let job_id = JobId::parse(id).ok_or(AppError::JobNotFound)?;
        let session_id = match self.ports.removal.hide_job(&tenant.id, &job_id).await? {
            HideJob::Hidden { session_id } => session_id,
            HideJob::NotFinished => return Err(AppError::JobNotFinished),
            HideJob::NotFound => return Err(AppError::JobNotFound),
        };
        // The document cache's entries written by this job go first, while
        // the file items still name their bytes: a later job with the same
        // bytes is a miss, never served from a deleted job's extraction.
        self.forget_cached_extractions(&tenant.id, &job_id, &session_id)
            .await?;

        // Objects and items at once; the tombstone last, so that a repeated
        // DELETE finds whatever a deletion cut short left behind.
        let objects = &self.ports.objects;
        let removal = &self.ports.removal;
        let uploads = upload_prefix(&tenant.id, &session_id);
        let file_results = file_results_prefix(&tenant.id, &job_id);
        let document = [job_result_key(&tenant.id, &job_id)];
        let cached = cache_results_prefix(&tenant.id, &job_id);
        let (uploads_deleted, file_results_deleted, _, (), ()) = futures::try_join!(
            objects.delete_prefix(&uploads),
            objects.delete_prefix(&file_results),
            objects.delete_prefix(&cached),
            objects.delete(&document),
            removal.remove_job_items(&tenant.id, &job_id, &session_id),
        )?;
        removal.forget_job(&tenant.id, &job_id).await?;
        info!(tenant = %tenant.id, job_id = %job_id, session_id = %session_id,
              uploads_deleted, file_results_deleted, event = job::DELETE.name, "job deleted");
        Ok(())
    }

    /// Forgets the cache entries the job's files wrote: one conditional
    /// delete per distinct upload digest (an entry another job wrote
    /// stays).
    async fn forget_cached_extractions(
        &self,
        tenant: &str,
        job_id: &JobId,
        session_id: &SessionId,
    ) -> Result<(), AppError> {
        let mut digests = BTreeSet::new();
        let mut after = None;
        loop {
            let page = self
                .ports
                .sessions
                .load_file_page(tenant, session_id, after.as_ref(), FILE_PAGE)
                .await?;
            digests.extend(page.files.iter().filter_map(|f| f.sha256.clone()));
            after = page.files.last().map(|f| f.id.clone());
            if !page.more || after.is_none() {
                break;
            }
        }
        let digests: Vec<String> = digests.into_iter().collect();
        for chunk in digests.chunks(FORGET_CONCURRENCY) {
            try_join_all(
                chunk
                    .iter()
                    .map(|sha256| self.ports.cache.forget(tenant, sha256, job_id)),
            )
            .await?;
        }
        Ok(())
    }
}
