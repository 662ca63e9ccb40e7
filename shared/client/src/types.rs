//! The request and response bodies of the contract (api.md, result.md).
//!
//! Every response type keeps the fields it does not name in `extra`, so a
//! body read and written again (the CLI prints what the API answered) loses
//! nothing, and a field the server adds later does not break a client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields a response carried beyond the ones this client names.
pub type Extra = Map<String, Value>;

/// `POST /sessions`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CreateSession {
    pub files: Vec<FileSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// One file slot of a new session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileSpec {
    pub name: String,
    pub content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The session object (`POST /sessions`, `GET /sessions/{id}`, confirm).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Session {
    pub id: String,
    pub status: SessionState,
    /// The session's job, once it was extracted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    pub files: Vec<SessionFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    AwaitingUpload,
    Pending,
    Submitted,
    /// A state this client does not know (a newer server).
    #[serde(other)]
    Other,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SessionFile {
    pub id: String,
    pub name: String,
    pub status: String,
    /// Present while the file can be uploaded (re-signed on every read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where and how to PUT a file's bytes.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Upload {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// `POST /sessions/{id}/extract`'s optional body.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExtractRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

/// The 202 of `POST /sessions/{id}/extract`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobAccepted {
    pub job_id: String,
    pub session_id: String,
    pub status: JobState,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Processing,
    Succeeded,
    PartiallyFailed,
    Failed,
    #[serde(other)]
    Other,
}

impl JobState {
    /// Terminal states never change again (api.md step 5).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::PartiallyFailed | Self::Failed)
    }
}

/// The status object (`GET /jobs/{id}/status`, `GET /jobs/{id}`, the
/// entries of `GET /jobs`, a `job.completed` event's `data`).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobStatus {
    pub job_id: String,
    pub session_id: String,
    pub status: JobState,
    pub progress: JobProgress,
    /// Absent in the jobs list and in the events of large jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<JobFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Counts of the whole job, whatever the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct JobProgress {
    pub total: u32,
    pub queued: u32,
    pub processing: u32,
    pub succeeded: u32,
    pub failed: u32,
    #[serde(default)]
    pub cached: u32,
}

impl JobProgress {
    /// Files in a terminal state.
    pub fn finished(&self) -> u32 {
        self.succeeded + self.failed
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobFile {
    pub file_id: String,
    pub name: String,
    pub status: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FileError>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct FileError {
    pub code: String,
    pub message: String,
}

/// `GET /jobs/{id}/result` (one page of it, or all of it).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobResult {
    pub job_id: String,
    pub status: JobState,
    pub results: Vec<ResultEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One file's result: `document`, `invoice`, `validation`, `cache`,
/// `duplicate_of`… (result.md) stay in `extra` as the API wrote them.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ResultEntry {
    pub file_id: String,
    pub name: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FileError>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ResultEntry {
    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }
}

/// `GET /jobs`: a page of the tenant's jobs, newest first.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobList {
    pub jobs: Vec<JobStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /jobs/{id}/events`: a page of the job's audit trail, oldest first.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobEvents {
    pub job_id: String,
    pub events: Vec<JobEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct JobEvent {
    pub at: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An RFC 9457 problem document: every error of the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Problem {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: String,
    /// What some problems add: `job_id` (409 `session_already_extracted`),
    /// `files` (409 `upload_missing`)…
    #[serde(flatten)]
    pub extra: Extra,
}

/// Which page of a paged resource to read (api.md v1.1 "Pagination").
#[derive(Clone, Copy, Debug, Default)]
pub struct Page<'a> {
    /// 1..=1000; the server's default (1000) when absent.
    pub limit: Option<u32>,
    pub cursor: Option<&'a str>,
}

impl<'a> Page<'a> {
    /// The largest page the API serves.
    pub const MAX_LIMIT: u32 = 1000;

    pub fn first(limit: u32) -> Self {
        Self {
            limit: Some(limit),
            cursor: None,
        }
    }

    pub fn after(limit: u32, cursor: &'a str) -> Self {
        Self {
            limit: Some(limit),
            cursor: Some(cursor),
        }
    }

    /// The query string of this page (`?limit=…&cursor=…`, or empty).
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = self.cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        query
    }
}

/// A resource served in pages: its items of one page are added to another's.
pub(crate) trait Paged {
    /// The cursor of the page after this one, taken out.
    fn take_cursor(&mut self) -> Option<String>;
    /// Adds the items of the next page, and takes its cursor.
    fn append(&mut self, next: Self);
}

impl Paged for Session {
    fn take_cursor(&mut self) -> Option<String> {
        self.next_cursor.take()
    }
    fn append(&mut self, mut next: Self) {
        self.files.append(&mut next.files);
        self.next_cursor = next.next_cursor;
    }
}

impl Paged for JobStatus {
    fn take_cursor(&mut self) -> Option<String> {
        self.next_cursor.take()
    }
    fn append(&mut self, next: Self) {
        if let (Some(files), Some(more)) = (&mut self.files, next.files) {
            files.extend(more);
        }
        self.next_cursor = next.next_cursor;
    }
}

impl Paged for JobResult {
    fn take_cursor(&mut self) -> Option<String> {
        self.next_cursor.take()
    }
    fn append(&mut self, mut next: Self) {
        self.results.append(&mut next.results);
        self.next_cursor = next.next_cursor;
    }
}
