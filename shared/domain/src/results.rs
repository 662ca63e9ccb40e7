//! Job results: each file's result is stored once by the worker; the job's
//! result document and its pages are those stored bytes put together,
//! never parsed into a JSON tree, so memory stays flat in the number of
//! files.

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};

use crate::error::{AppError, StoreError};
use crate::ids::FileId;
use crate::model::{FileRecord, Job, JobStatus, StoredResult, Tenant};
use crate::paging::PageRequest;
use crate::service::{job_result_key, Intake, IO_CONCURRENCY};
use crate::views::JobResult;

/// Files read per query while the whole result is put together: memory
/// holds one page, whatever the job's size.
const ASSEMBLY_PAGE: usize = 500;

/// The `operation` of the error `entries` yields for a file result gone
/// from S3 (past retention), which a result page answers as 410.
const MISSING_FILE_RESULT: &str = "job_result_missing_file_result";

/// A stored result that is gone answers `result_expired`; other
/// failures stay internal.
fn expired_if_missing(error: StoreError) -> AppError {
    if error.operation == MISSING_FILE_RESULT {
        AppError::ResultExpired
    } else {
        AppError::Store(error)
    }
}

impl Intake {
    /// The whole result (inline, or a 303 above the inline limit), or with
    /// `page` one page of it, always inline.
    pub async fn job_result(
        &self,
        tenant: &Tenant,
        id: &str,
        page: Option<PageRequest>,
    ) -> Result<JobResult, AppError> {
        let job = self.load_job(tenant, id).await?;
        let (Some(key), Some(size)) = (job.result_key.as_deref(), job.result_size) else {
            return Err(AppError::JobNotFinished);
        };
        if let Some(page) = page {
            return self.result_page(tenant, &job, page).await;
        }
        if size > self.settings.result_inline_limit {
            // A URL to an object the lifecycle removed would be S3's 404.
            if !self.ports.objects.exists(key).await? {
                return Err(AppError::ResultExpired);
            }
            let url = self
                .ports
                .objects
                .presign_download(key, self.settings.result_url_ttl)
                .await?;
            return Ok(JobResult::Redirect(url));
        }
        let body = self
            .ports
            .objects
            .get(key)
            .await?
            .ok_or(AppError::ResultExpired)?;
        Ok(JobResult::Inline(body.to_vec()))
    }

    async fn result_page(
        &self,
        tenant: &Tenant,
        job: &Job,
        page: PageRequest,
    ) -> Result<JobResult, AppError> {
        let (files, cursor) = self.job_files(tenant, job, page).await?;
        let mut document = document_head(job, job.status)?;
        let mut entries = self.entries(stream::iter(files.into_iter().map(Ok)));
        while let Some(entry) = entries.try_next().await.map_err(expired_if_missing)? {
            document.extend_from_slice(&entry);
        }
        document.push(b']');
        if let Some(cursor) = cursor {
            document.extend_from_slice(b",\"next_cursor\":");
            document.extend_from_slice(&json_bytes(&cursor)?);
        }
        document.push(b'}');
        Ok(JobResult::Inline(document))
    }

    /// Writes the job's result document, streamed: head, each file's
    /// entry as its page is read, tail. Returns its key and size.
    pub(crate) async fn write_job_result(
        &self,
        job: &Job,
        status: JobStatus,
    ) -> Result<(String, u64), StoreError> {
        let key = job_result_key(&job.tenant, &job.id);
        let chunks: BoxStream<'_, Result<Vec<u8>, StoreError>> =
            stream::once(async move { document_head(job, status) })
                .chain(self.entries(self.session_files(job)))
                .chain(stream::once(async { Ok(b"]}".to_vec()) }))
                .boxed();
        let size = self.ports.objects.put_json_stream(&key, chunks).await?;
        Ok((key, size))
    }

    /// Every file of the job's session, read a page at a time.
    fn session_files<'a>(
        &'a self,
        job: &'a Job,
    ) -> impl Stream<Item = Result<FileRecord, StoreError>> + Send + 'a {
        // The state: the file to read after, or `None` once the last page
        // was read.
        let first: Option<Option<FileId>> = Some(None);
        stream::try_unfold(first, move |after| async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let page = self
                .ports
                .sessions
                .load_file_page(&job.tenant, &job.session_id, after.as_ref(), ASSEMBLY_PAGE)
                .await?;
            let next = match (page.more, page.files.last()) {
                (true, Some(last)) => Some(Some(last.id.clone())),
                _ => None,
            };
            Ok(Some((stream::iter(page.files.into_iter().map(Ok)), next)))
        })
        .try_flatten()
    }

    /// The `results` entries of `files` in order, each preceded by a comma
    /// but the first; results kept in S3 are fetched a few at a time.
    fn entries<'a>(
        &'a self,
        files: impl Stream<Item = Result<FileRecord, StoreError>> + Send + 'a,
    ) -> impl Stream<Item = Result<Vec<u8>, StoreError>> + Send + 'a {
        files
            .enumerate()
            .map(move |(index, file)| async move {
                let file = file?;
                let fetched;
                let stored = match &file.result {
                    Some(StoredResult::Inline(bytes)) => Some(bytes.as_slice()),
                    Some(StoredResult::Object(key)) => {
                        fetched = self.ports.objects.get(key).await?.ok_or_else(|| {
                            StoreError::new(
                                MISSING_FILE_RESULT,
                                format!("missing file result {key}"),
                            )
                        })?;
                        Some(&fetched[..])
                    }
                    None => None,
                };
                let mut entry = if index == 0 { Vec::new() } else { vec![b','] };
                entry.extend(result_entry(&file, stored)?);
                Ok(entry)
            })
            .buffered(IO_CONCURRENCY)
    }
}

fn json_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::new("job_result", e))
}

/// `{"job_id":…,"session_id":…,"status":…,"results":[`
fn document_head(job: &Job, status: JobStatus) -> Result<Vec<u8>, StoreError> {
    let mut head = json_bytes(&serde_json::json!({
        "job_id": job.id,
        "session_id": job.session_id,
        "status": status.as_str(),
    }))?;
    head.pop(); // the closing brace: `results` follows
    head.extend_from_slice(b",\"results\":[");
    Ok(head)
}

/// One entry: the file's id, name and status, then the members of its
/// stored result (an object the worker wrote), spliced in as they are.
fn result_entry(file: &FileRecord, stored: Option<&[u8]>) -> Result<Vec<u8>, StoreError> {
    let mut entry = json_bytes(&serde_json::json!({
        "file_id": file.id,
        "name": file.name,
        "status": file.status.as_str(),
    }))?;
    let members = match stored.map(<[u8]>::trim_ascii) {
        None | Some(b"{}") => return Ok(entry),
        Some(object) => object
            .strip_prefix(b"{")
            .and_then(|rest| rest.strip_suffix(b"}"))
            .ok_or_else(|| StoreError::new("job_result", "a file result is not an object"))?,
    };
    entry.pop();
    entry.push(b',');
    entry.extend_from_slice(members);
    entry.push(b'}');
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SessionId;
    use crate::model::FileState;

    fn file(name: &str) -> FileRecord {
        FileRecord {
            id: FileId::generate(),
            session_id: SessionId::generate(),
            name: name.to_owned(),
            content_type: "application/xml".into(),
            declared_size: None,
            object_key: "k".into(),
            status: FileState::Succeeded,
            upload: None,
            attempts: 1,
            error: None,
            sha256: None,
            result: Some(StoredResult::Object("r".into())),
            cache_hit: false,
        }
    }

    #[test]
    fn an_entry_is_the_file_then_its_stored_members() {
        let file = file("a \"quoted\" name.xml");
        let entry = result_entry(
            &file,
            Some(br#" {"sha256":"ab","document":{"syntax":"UBL"}} "#),
        )
        .expect("entry");
        let value: serde_json::Value = serde_json::from_slice(&entry).expect("valid JSON");
        assert_eq!(value["file_id"], file.id.as_str());
        assert_eq!(value["name"], "a \"quoted\" name.xml");
        assert_eq!(value["status"], "succeeded");
        assert_eq!(value["document"]["syntax"], "UBL");
        assert_eq!(value["sha256"], "ab");
    }

    #[test]
    fn empty_or_missing_stored_results_leave_the_file_alone() {
        let file = file("a.xml");
        for stored in [None, Some(&b"{}"[..])] {
            let entry = result_entry(&file, stored).expect("entry");
            let value: serde_json::Value = serde_json::from_slice(&entry).expect("valid JSON");
            assert_eq!(value.as_object().map(|o| o.len()), Some(3));
        }
        let error = result_entry(&file, Some(b"[1]")).expect_err("not an object");
        assert_eq!(error.operation, "job_result");
    }
}
