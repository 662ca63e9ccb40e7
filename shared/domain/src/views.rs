//! The request and response bodies of the HTTP contract (api.md).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{EventId, FileId, JobId, ReplayId, SessionId};
use crate::model::{FileError, SessionStatus};
use crate::replays::ReplayTask;

/// RFC 3339 in UTC with millisecond precision, as every timestamp of the API.
pub fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn serialize_time<S: Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(at))
}

/// An optional member of a request body that is there: `null` is not a
/// value of it (openapi.yaml's types admit no `null`; absent means left
/// out). With `#[serde(default)]`, a member left out is `None`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// An optional whole number of a request body, also when written with a
/// zero fraction (`1234.0`): openapi.yaml's `integer` is JSON Schema's, a
/// number whose fraction is zero however it is spelled. Never `null`.
fn whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    /// 2^64, the first f64 above every u64.
    const PAST_U64: f64 = 18_446_744_073_709_551_616.0;
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_u64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|value| value.fract() == 0.0 && (0.0..PAST_U64).contains(value))
                .map(|value| value as u64)
        })
        .and_then(|value| T::try_from(value).ok())
        .map(Some)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "invalid value: {number}, expected a whole number from 0"
            ))
        })
}

pub(crate) fn serialize_optional_time<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize_time(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    #[serde(default, deserialize_with = "present")]
    pub files: Option<Vec<FileSpec>>,
    #[serde(default, deserialize_with = "present")]
    pub webhook_url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub name: String,
    pub content_type: String,
    #[serde(default, deserialize_with = "whole_number")]
    pub size: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitExtractionRequest {
    #[serde(default, deserialize_with = "present")]
    pub webhook_url: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SessionView {
    pub id: SessionId,
    pub status: SessionStatus,
    #[serde(serialize_with = "serialize_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub expires_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    pub files: Vec<SessionFileView>,
    /// Present while more files follow (`GET /sessions/{id}?cursor=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SessionFileView {
    pub id: FileId,
    pub name: String,
    pub content_type: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UploadView {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    #[serde(serialize_with = "serialize_time")]
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobAccepted {
    pub job_id: JobId,
    pub session_id: SessionId,
    pub status: &'static str,
    pub links: JobLinks,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobLinks {
    pub status: String,
    pub result: String,
}

impl JobLinks {
    pub fn for_job(job_id: &JobId) -> Self {
        Self {
            status: format!("/jobs/{job_id}/status"),
            result: format!("/jobs/{job_id}/result"),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct JobStatusView {
    pub job_id: JobId,
    pub session_id: SessionId,
    pub status: &'static str,
    #[serde(serialize_with = "serialize_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub updated_at: DateTime<Utc>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_time"
    )]
    pub completed_at: Option<DateTime<Utc>>,
    pub progress: ProgressView,
    /// Absent in the `job.completed` event of a job of more than 100 files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<JobFileView>>,
    /// Present while more files follow (`GET /jobs/{id}/status?cursor=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgressView {
    pub total: u32,
    pub queued: u32,
    pub processing: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// Of `succeeded`, the files served from the document cache.
    pub cached: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobFileView {
    pub file_id: FileId,
    pub name: String,
    pub status: &'static str,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FileError>,
}

/// `GET /jobs`: one page of the tenant's jobs, newest first, each a status
/// object without `files`.
#[derive(Clone, Debug, Serialize)]
pub struct JobListView {
    pub jobs: Vec<JobStatusView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /jobs/{id}/events`: one page of the job's audit trail, oldest first.
#[derive(Clone, Debug, Serialize)]
pub struct JobEventsView {
    pub job_id: JobId,
    pub events: Vec<JobEventView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobEventView {
    #[serde(serialize_with = "serialize_time")]
    pub at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_id: Option<FileId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What `GET /jobs/{id}/result` answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobResult {
    /// The result document itself.
    Inline(Vec<u8>),
    /// A pre-signed URL of the same document, for results above the inline limit.
    Redirect(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct DeadLetterList {
    /// The dead-letter queue listed: `work` or `webhooks`.
    pub queue: &'static str,
    pub dead_letters: Vec<DeadLetterView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeadLetterView {
    pub message_id: String,
    pub receive_count: u32,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_time"
    )]
    pub sent_at: Option<DateTime<Utc>>,
    /// The message as JSON when it is JSON, else the raw text.
    pub body: serde_json::Value,
    /// The rest is read from the message and the store; absent when the
    /// message is not one of ours or the item is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// A file's work message (queue `work`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_id: Option<FileId>,
    /// A job's webhook message (queue `webhooks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<EventId>,
    /// The file's status now (`queued`, `processing`, `succeeded`,
    /// `failed`) or the event's state (`pending`, `delivered`, `failed`,
    /// `exhausted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// The file's error or the event's last attempt's error: the same
    /// public text the tenant sees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayDeadLettersRequest {
    /// `work` (default) or `webhooks`.
    #[serde(default, deserialize_with = "present")]
    pub queue: Option<String>,
    /// Only these messages; all (up to `limit`) when absent.
    #[serde(default, deserialize_with = "present")]
    pub message_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "whole_number")]
    pub limit: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    pub replayed: Vec<String>,
}

/// `POST /admin/dead-letters/replays`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartReplayRequest {
    /// `work` (default) or `webhooks`.
    #[serde(default, deserialize_with = "present")]
    pub queue: Option<String>,
}

/// A bulk replay (`GET /admin/dead-letters/replays/{id}`).
#[derive(Clone, Debug, Serialize)]
pub struct ReplayTaskView {
    pub replay_id: ReplayId,
    pub queue: &'static str,
    /// `running`, then `completed` once a round found the queue empty.
    pub status: &'static str,
    /// Dead letters sent back so far.
    pub moved: u64,
    #[serde(serialize_with = "serialize_time")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    pub updated_at: DateTime<Utc>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_time"
    )]
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<ReplayTask> for ReplayTaskView {
    fn from(task: ReplayTask) -> Self {
        Self {
            replay_id: task.id,
            queue: task.queue.as_str(),
            status: task.status.as_str(),
            moved: task.moved,
            created_at: task.created_at,
            updated_at: task.updated_at,
            completed_at: task.completed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(json: &str) -> Result<Option<u64>, serde_json::Error> {
        serde_json::from_str::<FileSpec>(&format!(
            r#"{{"name": "a.xml", "content_type": "application/xml"{json}}}"#
        ))
        .map(|spec| spec.size)
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        for (json, expected) in [
            ("", None),
            (r#", "size": 998"#, Some(998)),
            (r#", "size": 998.0"#, Some(998)),
            (r#", "size": 9.98e2"#, Some(998)),
            (r#", "size": 0"#, Some(0)),
        ] {
            // Act
            let parsed = size(json).expect(json);

            // Assert
            assert_eq!(parsed, expected, "{json}");
        }
    }

    #[test]
    fn a_fraction_a_negative_number_or_text_is_not_a_whole_number() {
        for json in [
            r#", "size": 998.5"#,
            r#", "size": -1"#,
            r#", "size": -1.0"#,
            r#", "size": 1e20"#,
            r#", "size": "998""#,
        ] {
            // Act
            let parsed = size(json);

            // Assert
            assert!(parsed.is_err(), "{json}: {parsed:?}");
        }
    }

    #[test]
    fn null_is_not_a_value_of_a_request_member() {
        for body in [
            r#"{"files": null}"#,
            r#"{"webhook_url": null}"#,
            r#"{"files": [{"name": "a.xml", "content_type": "application/xml", "size": null}]}"#,
        ] {
            // Act
            let parsed = serde_json::from_str::<CreateSessionRequest>(body);

            // Assert
            assert!(parsed.is_err(), "{body}: {parsed:?}");
        }
        let left_out: CreateSessionRequest = serde_json::from_str("{}").expect("{}");
        let metadata: CreateSessionRequest =
            serde_json::from_str(r#"{"metadata": null}"#).expect("metadata null");
        assert!(left_out.files.is_none() && left_out.webhook_url.is_none());
        // `metadata` is any JSON: a null one is there, and not an object (invalid_metadata).
        assert_eq!(metadata.metadata, Some(serde_json::Value::Null));
        for body in [
            r#"{"queue": null}"#,
            r#"{"message_ids": null}"#,
            r#"{"limit": null}"#,
        ] {
            let parsed = serde_json::from_str::<ReplayDeadLettersRequest>(body);
            assert!(parsed.is_err(), "{body}: {parsed:?}");
        }
        assert!(serde_json::from_str::<StartReplayRequest>(r#"{"queue": null}"#).is_err());
        assert!(
            serde_json::from_str::<SubmitExtractionRequest>(r#"{"webhook_url": null}"#).is_err()
        );
    }

    #[test]
    fn a_replay_limit_is_a_whole_number_too() {
        // Act
        let request: ReplayDeadLettersRequest =
            serde_json::from_str(r#"{"limit": 10.0}"#).expect("limit 10.0");
        let fraction = serde_json::from_str::<ReplayDeadLettersRequest>(r#"{"limit": 1.5}"#);

        // Assert
        assert_eq!(request.limit, Some(10));
        assert!(fraction.is_err());
    }
}
