//! `intake submit`: per session of at most `--files-per-session` files,
//! create (with an Idempotency-Key derived from its files and the API key),
//! upload what is still to upload, confirm, extract (with its own derived
//! key); then with `--wait` poll the jobs and print their results.
//!
//! Resuming: a second run of the same command sends the same keys, so the
//! API answers the first run's session (replayed) and job instead of new
//! ones. The replayed session is read again for its current state and
//! fresh upload URLs: uploads are repeated only while it is unconfirmed,
//! confirm only then, and extract answers the job it already made (or 409
//! `session_already_extracted` with its id, once the key's 24 h are over).

use std::collections::HashMap;
use std::time::Duration;

use futures::{stream, StreamExt, TryStreamExt};
use intake_client::{
    Client, ClientError, CreateSession, ExtractRequest, FileSpec, Page, Session, SessionState,
};
use serde_json::json;

use crate::files::{Batch, FileSet, LocalFile};
use crate::jobs::emit;
use crate::output::print;
use crate::progress::{Phase, Progress};
use crate::{CliError, Console, SubmitArgs};

/// How often the jobs' progress is read while waiting.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// A submitted session's job and its files by file id.
struct SubmittedJob<'a> {
    job_id: String,
    session_id: String,
    files: HashMap<String, &'a LocalFile>,
}

pub async fn run(args: SubmitArgs, console: &mut Console) -> Result<u8, CliError> {
    let client = args.api.client()?;
    let set = FileSet::collect(&args.paths, args.max_file_bytes)?;
    let batches = set.batches(
        args.files_per_session.get() as usize,
        &args.api.api_key,
        args.webhook.as_deref(),
    );
    let mut progress = Progress::new(set.len(), console.terminal);
    progress.start(Phase::Uploading, &mut console.err);
    let mut jobs = Vec::new();
    let mut uploaded = 0;
    for batch in &batches {
        let submitter = Submitter {
            client: &client,
            args: &args,
        };
        jobs.push(
            submitter
                .submit(batch, &mut uploaded, &mut progress, console)
                .await?,
        );
    }
    if !(args.wait || args.out.is_some()) {
        progress.finish(&mut console.err);
        for job in &jobs {
            let line = json!({"job_id": job.job_id, "session_id": job.session_id, "files": job.files.len()});
            print(&mut console.out, &line);
        }
        return Ok(0);
    }
    progress.start(Phase::Processing, &mut console.err);
    wait(&client, &jobs, &mut progress, console).await?;
    progress.finish(&mut console.err);
    let mut code = 0;
    for job in &jobs {
        let result = client.result(&job.job_id).await?;
        let entries = result.results.iter().map(|entry| {
            let file = job
                .files
                .get(&entry.file_id)
                .map(|file| file.shown.as_str());
            (entry, file)
        });
        code = code.max(emit(entries, args.out.as_deref(), console)?);
    }
    Ok(code)
}

struct Submitter<'a> {
    client: &'a Client,
    args: &'a SubmitArgs,
}

impl Submitter<'_> {
    /// One session, from its creation (or its replay) to its job.
    async fn submit<'f>(
        &self,
        batch: &Batch<'f>,
        uploaded: &mut u64,
        progress: &mut Progress,
        console: &mut Console,
    ) -> Result<SubmittedJob<'f>, CliError> {
        let request = CreateSession {
            files: batch
                .files
                .iter()
                .map(|file| FileSpec {
                    name: file.name.clone(),
                    content_type: file.content_type.to_owned(),
                    size: Some(file.size),
                })
                .collect(),
            webhook_url: self.args.webhook.clone(),
            metadata: None,
        };
        let created = self
            .client
            .create_session(&request, Some(&batch.session_key))
            .await?;
        // The session's files come back in the order they were asked for.
        let files: HashMap<String, &LocalFile> = created
            .body
            .files
            .iter()
            .map(|file| file.id.clone())
            .zip(batch.files)
            .collect();
        let session = if created.replayed {
            self.client.session(&created.body.id).await?
        } else {
            created.body
        };
        if session.status == SessionState::AwaitingUpload {
            self.upload(&session, &files, uploaded, progress, console)
                .await?;
            self.client.confirm(&session.id).await?;
        } else {
            *uploaded += batch.files.len() as u64;
            progress.uploaded(*uploaded, &mut console.err);
        }
        let job_id = match self
            .client
            .extract(
                &session.id,
                &ExtractRequest::default(),
                Some(&batch.extract_key),
            )
            .await
        {
            Ok(accepted) => accepted.job_id,
            Err(ClientError::Api(api)) if api.code() == "session_already_extracted" => {
                match api.problem.extra.get("job_id").and_then(|id| id.as_str()) {
                    Some(job_id) => job_id.to_owned(),
                    None => return Err(ClientError::Api(api).into()),
                }
            }
            Err(error) => return Err(error.into()),
        };
        Ok(SubmittedJob {
            job_id,
            session_id: session.id,
            files,
        })
    }

    /// PUTs every file of the session, `--concurrency` at a time.
    async fn upload(
        &self,
        session: &Session,
        files: &HashMap<String, &LocalFile>,
        uploaded: &mut u64,
        progress: &mut Progress,
        console: &mut Console,
    ) -> Result<(), CliError> {
        let mut uploads = Vec::new();
        for file in &session.files {
            let (Some(local), Some(upload)) = (files.get(&file.id), &file.upload) else {
                return Err(CliError::SessionExpired {
                    session: session.id.clone(),
                });
            };
            uploads.push((*local, upload));
        }
        let mut done = stream::iter(uploads)
            .map(|(local, upload)| async move {
                let bytes =
                    tokio::fs::read(&local.path)
                        .await
                        .map_err(|source| CliError::Unreadable {
                            path: local.shown.clone(),
                            source,
                        })?;
                self.client
                    .upload(&local.shown, upload, bytes.into())
                    .await
                    .map_err(CliError::from)
            })
            .buffer_unordered(self.args.concurrency.get() as usize);
        while done.try_next().await?.is_some() {
            *uploaded += 1;
            progress.uploaded(*uploaded, &mut console.err);
        }
        Ok(())
    }
}

/// Polls the jobs' progress (one file per page: the counts are the whole
/// job's) until every job is terminal.
async fn wait(
    client: &Client,
    jobs: &[SubmittedJob<'_>],
    progress: &mut Progress,
    console: &mut Console,
) -> Result<(), CliError> {
    let mut open: Vec<&str> = jobs.iter().map(|job| job.job_id.as_str()).collect();
    let mut finished_jobs = (0, 0);
    loop {
        let (mut processed, mut failed) = finished_jobs;
        let mut still_open = Vec::new();
        for job_id in open {
            let status = client.job_status(job_id, Page::first(1)).await?;
            processed += u64::from(status.progress.finished());
            failed += u64::from(status.progress.failed);
            if status.status.is_terminal() {
                finished_jobs.0 += u64::from(status.progress.finished());
                finished_jobs.1 += u64::from(status.progress.failed);
            } else {
                still_open.push(job_id);
            }
        }
        progress.processed(processed, failed, &mut console.err);
        if still_open.is_empty() {
            return Ok(());
        }
        open = still_open;
        tokio::time::sleep(POLL_EVERY).await;
    }
}
