//! The ports on the fake world: each method one short critical section,
//! with the conditions of the DynamoDB, S3 and SQS adapters.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;

use super::{EventRow, FakeDeadLetters, FakeWorld, IdempotencyRow, Retry};
use crate::error::StoreError;
use crate::ids::{FileId, JobId, SessionId};
use crate::model::{
    DispatchMessage, DispatchState, FileRecord, Job, Lane, Session, StoredResult, Tenant,
    UploadInfo, WorkMessage,
};
use crate::ports::{
    AttemptStart, AuditEntry, ConfirmOutcome, CreateJob, DeadLetter, DeadLetterQueue, Decision,
    FileCounts, FileLookup, FileOutcome, FilePage, IdempotencyClaim, IdempotencyStore, JobStore,
    ObjectStore, PresignedRequest, ReplayedBody, SendOutcome, SessionStore, StoreResult,
    StoredResponse, TenantDirectory, UploadRead, WebhookQueue, WebhookRequest, WebhookSender,
    WebhookStore, WorkQueue,
};
use crate::replays::ReplayMessage;
use crate::transitions::{event, file, job, session};
use crate::webhooks::{AttemptLease, DeliveryAttempt, EventState, WebhookEvent, WebhookMessage};

const FAKE_S3: &str = "https://fake-s3.invalid";

fn key(tenant: &str, id: &JobId) -> (String, JobId) {
    (tenant.to_owned(), id.clone())
}

fn session_key(tenant: &str, id: &SessionId) -> (String, SessionId) {
    (tenant.to_owned(), id.clone())
}

#[async_trait]
impl TenantDirectory for FakeWorld {
    async fn find_by_api_key(&self, api_key: &str) -> StoreResult<Option<Tenant>> {
        Ok(self.lock().tenants.get(api_key).cloned())
    }

    async fn is_admin_key(&self, api_key: &str) -> StoreResult<bool> {
        Ok(self.lock().admin_keys.contains(api_key))
    }

    async fn webhook_secrets(&self, tenant: &str) -> StoreResult<Vec<String>> {
        Ok(self.lock().secrets.get(tenant).cloned().unwrap_or_default())
    }
}

#[async_trait]
impl ObjectStore for FakeWorld {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        valid_from: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<PresignedRequest> {
        Ok(PresignedRequest {
            method: "PUT".to_owned(),
            url: format!(
                "{FAKE_S3}/{key}?X-Amz-Date={}&X-Amz-Expires={}",
                valid_from.timestamp(),
                ttl.as_secs()
            ),
            headers: [("content-type".to_owned(), content_type.to_owned())].into(),
        })
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<(String, UploadInfo)>> {
        Ok(self
            .lock()
            .objects
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, object)| {
                let info = UploadInfo {
                    size: object.bytes.len() as u64,
                    etag: object.etag.clone(),
                    checksum_sha256: None,
                };
                (key.clone(), info)
            })
            .collect())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        Ok(self.object(key))
    }

    /// `If-Match` on the ETag, then the size, as the S3 adapter does.
    async fn read_upload(&self, key: &str, confirmed: &UploadInfo) -> StoreResult<UploadRead> {
        let data = self.lock();
        if let Some(text) = data.failing_reads.get(key) {
            return Err(StoreError::new("get_object", text));
        }
        Ok(match data.objects.get(key) {
            None => UploadRead::Missing,
            Some(object) if object.etag != confirmed.etag => UploadRead::Changed,
            Some(object) if object.bytes.len() as u64 != confirmed.size => UploadRead::Changed,
            Some(object) => UploadRead::Read(object.bytes.clone()),
        })
    }

    async fn put_json(&self, key: &str, body: Vec<u8>) -> StoreResult<()> {
        self.put_object(key, body);
        Ok(())
    }

    /// Nothing is written when a chunk fails (an aborted multipart upload).
    async fn put_json_stream(
        &self,
        key: &str,
        mut chunks: BoxStream<'_, StoreResult<Vec<u8>>>,
    ) -> StoreResult<u64> {
        let mut body = Vec::new();
        while let Some(chunk) = chunks.next().await {
            body.extend_from_slice(&chunk?);
        }
        let size = body.len() as u64;
        self.put_object(key, body);
        Ok(size)
    }

    async fn presign_download(&self, key: &str, ttl: Duration) -> StoreResult<String> {
        Ok(format!("{FAKE_S3}/{key}?X-Amz-Expires={}", ttl.as_secs()))
    }

    async fn exists(&self, key: &str) -> StoreResult<bool> {
        Ok(self.lock().objects.contains_key(key))
    }

    async fn delete_prefix(&self, prefix: &str) -> StoreResult<usize> {
        let mut data = self.lock();
        let before = data.objects.len();
        data.objects.retain(|key, _| !key.starts_with(prefix));
        Ok(before - data.objects.len())
    }

    async fn delete(&self, keys: &[String]) -> StoreResult<()> {
        let mut data = self.lock();
        for key in keys {
            data.objects.remove(key);
        }
        Ok(())
    }
}

#[async_trait]
impl SessionStore for FakeWorld {
    async fn create_session(
        &self,
        new: &Session,
        files: &[FileRecord],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut data = self.lock();
        let id = session_key(&new.tenant, &new.id);
        if data.sessions.contains_key(&id) {
            return Err(StoreError::new("create_session", "the session exists"));
        }
        let files = files.iter().map(|f| (f.id.clone(), f.clone())).collect();
        let row = super::SessionRow {
            session: new.clone(),
            files,
        };
        data.sessions.insert(id, row);
        data.log(audit);
        Ok(())
    }

    async fn load_session(
        &self,
        tenant: &str,
        id: &SessionId,
    ) -> StoreResult<Option<(Session, Vec<FileRecord>)>> {
        let data = self.lock();
        Ok(data
            .sessions
            .get(&session_key(tenant, id))
            .map(|row| (row.session.clone(), row.files.values().cloned().collect())))
    }

    async fn find_session(&self, tenant: &str, id: &SessionId) -> StoreResult<Option<Session>> {
        Ok(self.session(tenant, id))
    }

    async fn load_file_page(
        &self,
        tenant: &str,
        id: &SessionId,
        after: Option<&FileId>,
        limit: usize,
    ) -> StoreResult<FilePage> {
        let data = self.lock();
        let Some(row) = data.sessions.get(&session_key(tenant, id)) else {
            return Ok(FilePage {
                files: Vec::new(),
                more: false,
            });
        };
        let mut files: Vec<FileRecord> = row
            .files
            .values()
            .filter(|f| after.is_none_or(|after| f.id > *after))
            .take(limit.saturating_add(1))
            .cloned()
            .collect();
        let more = files.len() > limit;
        files.truncate(limit);
        Ok(FilePage { files, more })
    }

    /// One critical section, so the adapter's lease is never seen held;
    /// the condition is `session::CONFIRM`'s start state.
    async fn confirm_uploads(
        &self,
        tenant: &str,
        id: &SessionId,
        files: &[FileRecord],
        _lease: Duration,
        audit: &AuditEntry,
    ) -> StoreResult<ConfirmOutcome> {
        let mut data = self.lock();
        let Some(row) = data.sessions.get_mut(&session_key(tenant, id)) else {
            return Ok(ConfirmOutcome::AlreadyConfirmed);
        };
        if !session::CONFIRM.from.contains(&row.session.status) {
            return Ok(ConfirmOutcome::AlreadyConfirmed);
        }
        for record in files {
            row.files.insert(record.id.clone(), record.clone());
        }
        row.session.status = session::CONFIRM.to[0];
        data.log(audit);
        Ok(ConfirmOutcome::Confirmed)
    }
}

#[async_trait]
impl JobStore for FakeWorld {
    async fn create_job(
        &self,
        new: &Job,
        _session: &Session,
        audit: &AuditEntry,
    ) -> StoreResult<CreateJob> {
        let mut data = self.lock();
        let created = data.create_job(new)?;
        if created == CreateJob::Created {
            data.log(audit);
        }
        Ok(created)
    }

    async fn record_dispatch(
        &self,
        tenant: &str,
        job_id: &JobId,
        state: DispatchState,
        progress: Option<(&FileId, u32)>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        let mut data = self.lock();
        let row = match data.jobs.get_mut(&key(tenant, job_id)) {
            Some(row) if row.job.dispatch != DispatchState::Sent => row,
            // Nothing replaces `Sent`; a missing job is the same
            // conditional failure, ignored unless `Sent` was to be written.
            None if state == DispatchState::Sent => {
                return Err(StoreError::new("record_dispatch", "no such job"))
            }
            _ => return Ok(()),
        };
        row.job.dispatch = state;
        if let Some((cursor, sent)) = progress {
            row.job.dispatch_cursor = Some(cursor.clone());
            row.job.dispatch_sent = sent;
        }
        if let Some(audit) = audit {
            data.log(audit);
        }
        Ok(())
    }

    async fn load_job(&self, tenant: &str, id: &JobId) -> StoreResult<Option<Job>> {
        Ok(self.job(tenant, id))
    }

    async fn job_exists(&self, tenant: &str, id: &JobId) -> StoreResult<bool> {
        Ok(self.job(tenant, id).is_some())
    }

    async fn start_attempt(
        &self,
        message: &WorkMessage,
        audit: &AuditEntry,
    ) -> StoreResult<AttemptStart> {
        const OP: &str = "start_attempt";
        let mut data = self.lock();
        let record = data
            .sessions
            .get_mut(&session_key(&message.tenant, &message.session_id))
            .and_then(|row| row.files.get_mut(&message.file_id))
            .ok_or_else(|| StoreError::new(OP, "the file of a work message does not exist"))?;
        if file::START.from.contains(&record.status) {
            record.status = file::START.to[0];
            record.attempts += 1;
            let upload = record.upload.clone();
            data.log(audit);
            return Ok(AttemptStart::Started { upload });
        }
        if record.status.is_terminal() {
            return Ok(AttemptStart::AlreadyFinished {
                state: record.status,
                error_code: record.error.as_ref().map(|error| error.code.clone()),
                cache_hit: record.cache_hit,
            });
        }
        Err(StoreError::new(
            OP,
            format!(
                "file is {}, not ready for processing",
                record.status.as_str()
            ),
        ))
    }

    async fn finish_file(
        &self,
        message: &WorkMessage,
        outcome: &FileOutcome,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut data = self.lock();
        let Some(record) = data
            .sessions
            .get_mut(&session_key(&message.tenant, &message.session_id))
            .and_then(|row| row.files.get_mut(&message.file_id))
            .filter(|record| file::FINISH.from.contains(&record.status))
        else {
            return Ok(false);
        };
        let (state, sha256, result, error) = outcome.parts();
        if let StoredResult::Inline(json) = result {
            std::str::from_utf8(json)
                .map_err(|_| StoreError::new("finish_file", "a file result is not UTF-8"))?;
        }
        record.status = state;
        record.result = Some(result.clone());
        record.cache_hit = outcome.cache_hit();
        if let Some(sha256) = sha256 {
            record.sha256 = Some(sha256.to_owned());
        }
        if let Some(error) = error {
            record.error = Some(error.clone());
        }
        data.log(audit);
        Ok(true)
    }

    /// The file, its job and its count in one critical section.
    async fn reopen_file(&self, message: &WorkMessage, audit: &AuditEntry) -> StoreResult<bool> {
        let mut data = self.lock();
        let job_key = key(&message.tenant, &message.job_id);
        let job_reopenable = data.jobs.get(&job_key).is_some_and(|row| {
            !row.hidden
                && (job::REOPEN.from.contains(&row.job.status)
                    || job::DECIDE.from.contains(&row.job.status))
        });
        let Some(record) = data
            .sessions
            .get_mut(&session_key(&message.tenant, &message.session_id))
            .and_then(|row| row.files.get_mut(&message.file_id))
            .filter(|record| {
                file::REOPEN.from.contains(&record.status)
                    && record
                        .error
                        .as_ref()
                        .is_some_and(|e| e.code == file::REOPENABLE)
            })
            .filter(|_| job_reopenable)
        else {
            return Ok(false);
        };
        record.status = file::REOPEN.to[0];
        record.error = None;
        record.result = None;
        record.cache_hit = false;
        if let Some(row) = data.jobs.get_mut(&job_key) {
            if job::REOPEN.from.contains(&row.job.status) {
                row.job.status = job::REOPEN.to[0];
                row.job.completed_at = None;
                row.job.result_key = None;
                row.job.result_size = None;
                row.deciding_until = None;
            }
        }
        if let Some(counters) = data.counters.get_mut(&job_key) {
            counters.failed.remove(&message.file_id);
        }
        data.log(audit);
        Ok(true)
    }

    /// Set membership: counting a file again changes nothing.
    async fn count_files(
        &self,
        tenant: &str,
        job_id: &JobId,
        counts: &FileCounts,
    ) -> StoreResult<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let mut data = self.lock();
        let counters = data.counters.entry(key(tenant, job_id)).or_default();
        counters.started.extend(counts.started.iter().cloned());
        counters.succeeded.extend(counts.succeeded.iter().cloned());
        counters.failed.extend(counts.failed.iter().cloned());
        counters.cached.extend(counts.cached.iter().cloned());
        Ok(())
    }

    async fn claim_decision(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: Duration,
    ) -> StoreResult<bool> {
        let now = Utc::now().timestamp();
        let mut data = self.lock();
        let Some(row) = data.jobs.get_mut(&key(tenant, job_id)).filter(|row| {
            job::DECIDE.from.contains(&row.job.status)
                && row.deciding_until.is_none_or(|until| until < now)
        }) else {
            return Ok(false);
        };
        row.deciding_until = Some(now + lease.as_secs() as i64);
        Ok(true)
    }

    /// The job's move, its event (replacing an earlier decision's) and its
    /// audit entry, all or nothing.
    async fn complete_job(&self, decision: &Decision<'_>, audit: &AuditEntry) -> StoreResult<bool> {
        let mut data = self.lock();
        let id = key(decision.tenant, decision.job_id);
        let Some(row) = data
            .jobs
            .get_mut(&id)
            .filter(|row| job::DECIDE.from.contains(&row.job.status))
        else {
            return Ok(false);
        };
        let now = Utc::now();
        row.job.status = decision.status;
        row.job.completed_at = Some(now);
        row.job.updated_at = now;
        row.job.result_key = Some(decision.result_key.to_owned());
        row.job.result_size = Some(decision.result_size);
        row.decisions += 1;
        if let Some(new_event) = decision.event {
            let earlier = data.events.remove(&id);
            let row = EventRow {
                event: new_event.clone(),
                leased_until: None,
                attempts: earlier.map(|row| row.attempts).unwrap_or_default(),
            };
            data.events.insert(id, row);
        }
        data.log(audit);
        Ok(true)
    }
}

#[async_trait]
impl WorkQueue for FakeWorld {
    async fn enqueue(&self, messages: &[WorkMessage], lane: Lane) -> StoreResult<()> {
        let mut data = self.lock();
        data.work_messages
            .extend(messages.iter().map(|m| (m.clone(), lane)));
        Ok(())
    }

    async fn enqueue_dispatch(&self, message: &DispatchMessage) -> StoreResult<()> {
        self.lock().dispatch_messages.push(message.clone());
        Ok(())
    }

    async fn enqueue_replay(&self, message: &ReplayMessage) -> StoreResult<()> {
        self.lock().replay_messages.push(message.clone());
        Ok(())
    }

    async fn retry_after(
        &self,
        source: &str,
        receipt_handle: &str,
        delay: Duration,
    ) -> StoreResult<()> {
        self.lock().retries.push(Retry {
            source: source.to_owned(),
            receipt_handle: receipt_handle.to_owned(),
            delay,
        });
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for FakeWorld {
    /// Claimed when absent, expired, or an abandoned claim of the same
    /// request (the DynamoDB adapter's condition).
    async fn claim(
        &self,
        tenant: &str,
        idempotency_key: &str,
        fingerprint: &str,
        lease: Duration,
        retention: Duration,
    ) -> StoreResult<IdempotencyClaim> {
        let now = Utc::now().timestamp();
        let mut data = self.lock();
        let id = (tenant.to_owned(), idempotency_key.to_owned());
        let claimable = data.idempotency.get(&id).is_none_or(|row| {
            row.expires_at < now
                || (row.response.is_none()
                    && row.locked_until < now
                    && row.fingerprint == fingerprint)
        });
        if claimable {
            let row = IdempotencyRow {
                fingerprint: fingerprint.to_owned(),
                locked_until: now + lease.as_secs() as i64,
                expires_at: now + retention.as_secs() as i64,
                response: None,
            };
            data.idempotency.insert(id, row);
            return Ok(IdempotencyClaim::Claimed);
        }
        let row = &data.idempotency[&id];
        Ok(if row.fingerprint != fingerprint {
            IdempotencyClaim::Mismatch
        } else {
            match &row.response {
                Some(response) => IdempotencyClaim::Replay(response.clone()),
                None => IdempotencyClaim::InProgress,
            }
        })
    }

    async fn complete(
        &self,
        tenant: &str,
        idempotency_key: &str,
        response: &StoredResponse,
    ) -> StoreResult<()> {
        let mut data = self.lock();
        let row = data
            .idempotency
            .get_mut(&(tenant.to_owned(), idempotency_key.to_owned()))
            .ok_or_else(|| StoreError::new("complete_idempotency_key", "no such key"))?;
        row.response = Some(response.clone());
        Ok(())
    }

    async fn release(&self, tenant: &str, idempotency_key: &str) -> StoreResult<()> {
        let id = (tenant.to_owned(), idempotency_key.to_owned());
        self.lock().idempotency.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl WebhookStore for FakeWorld {
    async fn load_event(&self, tenant: &str, job_id: &JobId) -> StoreResult<Option<WebhookEvent>> {
        Ok(self.event(tenant, job_id))
    }

    async fn mark_enqueued(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        let mut data = self.lock();
        let row = data
            .events
            .get_mut(&key(tenant, job_id))
            .ok_or_else(|| StoreError::new("mark_enqueued", "no such event"))?;
        row.event.enqueued = true;
        Ok(())
    }

    /// The attempt's record only if new, the event only if it still has
    /// `attempt - 1` attempts: both or neither.
    async fn record_attempt(
        &self,
        new: &WebhookEvent,
        attempt: &DeliveryAttempt,
        state: EventState,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut data = self.lock();
        let Some(row) = data
            .events
            .get_mut(&key(&new.tenant, &new.job_id))
            .filter(|row| {
                !row.attempts
                    .contains_key(&(new.id.clone(), attempt.attempt))
                    && row.event.total_attempts == attempt.attempt.saturating_sub(1)
            })
        else {
            return Ok(false);
        };
        row.attempts
            .insert((new.id.clone(), attempt.attempt), attempt.clone());
        row.event.state = state;
        row.event.next_attempt_at = attempt.next_attempt_at;
        row.event.round_attempts += 1;
        row.event.total_attempts += 1;
        row.leased_until = None;
        data.log(audit);
        Ok(true)
    }

    /// Only from `event::ATTEMPT`'s start state, with the attempts read,
    /// when due, and with no other lease running.
    async fn lease_attempt(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: &AttemptLease,
    ) -> StoreResult<bool> {
        let mut data = self.lock();
        let Some(row) = data.events.get_mut(&key(tenant, job_id)).filter(|row| {
            event::ATTEMPT.from.contains(&row.event.state)
                && row.event.total_attempts == lease.attempts_before
                && row
                    .event
                    .next_attempt_at
                    .is_none_or(|at| at <= lease.due_by)
                && row.leased_until.is_none_or(|until| until < lease.now)
        }) else {
            return Ok(false);
        };
        row.leased_until = Some(lease.until);
        Ok(true)
    }

    async fn attempts(&self, tenant: &str, job_id: &JobId) -> StoreResult<Vec<DeliveryAttempt>> {
        let data = self.lock();
        Ok(data
            .events
            .get(&key(tenant, job_id))
            .map(|row| row.attempts.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn restart(&self, tenant: &str, job_id: &JobId) -> StoreResult<()> {
        let mut data = self.lock();
        let row = data
            .events
            .get_mut(&key(tenant, job_id))
            .ok_or_else(|| StoreError::new("restart_event", "no such event"))?;
        row.event.state = EventState::Pending;
        row.event.round_attempts = 0;
        row.event.next_attempt_at = Some(Utc::now());
        row.event.enqueued = true;
        Ok(())
    }

    async fn is_endpoint_disabled(&self, tenant: &str, url: &str) -> StoreResult<bool> {
        let endpoint = (tenant.to_owned(), url.to_owned());
        Ok(self.lock().disabled_endpoints.contains(&endpoint))
    }

    async fn set_endpoint_disabled(
        &self,
        tenant: &str,
        url: &str,
        disabled: bool,
    ) -> StoreResult<()> {
        let endpoint = (tenant.to_owned(), url.to_owned());
        let mut data = self.lock();
        if disabled {
            data.disabled_endpoints.insert(endpoint);
        } else {
            data.disabled_endpoints.remove(&endpoint);
        }
        Ok(())
    }
}

#[async_trait]
impl WebhookQueue for FakeWorld {
    async fn enqueue(&self, message: &WebhookMessage, delay: Duration) -> StoreResult<()> {
        self.lock().webhook_messages.push((message.clone(), delay));
        Ok(())
    }
}

#[async_trait]
impl WebhookSender for FakeWorld {
    async fn send(&self, request: &WebhookRequest) -> SendOutcome {
        let mut data = self.lock();
        data.webhook_requests.push(request.clone());
        data.webhook_answers
            .pop_front()
            .unwrap_or(SendOutcome::Answered {
                status: 200,
                retry_after: None,
            })
    }
}

#[async_trait]
impl FileLookup for FakeWorld {
    async fn load_file(
        &self,
        tenant: &str,
        session_id: &SessionId,
        file_id: &FileId,
    ) -> StoreResult<Option<FileRecord>> {
        Ok(self.file(tenant, session_id, file_id))
    }
}

#[async_trait]
impl DeadLetterQueue for FakeDeadLetters {
    /// Listing is a receive: it counts on each letter listed.
    async fn peek(&self, limit: usize) -> StoreResult<Vec<DeadLetter>> {
        let mut data = self.world.lock();
        let letters = &mut data.dead_letters[self.queue as usize];
        Ok(letters
            .iter_mut()
            .take(limit)
            .map(|letter| {
                letter.receive_count += 1;
                letter.clone()
            })
            .collect())
    }

    async fn redrive(
        &self,
        message_ids: Option<&[String]>,
        limit: usize,
        replayed: &ReplayedBody,
    ) -> StoreResult<Vec<String>> {
        let mut data = self.world.lock();
        match data.redrives_before_outage.as_mut() {
            Some(0) => return Err(StoreError::new("redrive", "injected SQS outage")),
            Some(left) => *left -= 1,
            None => {}
        }
        let letters = std::mem::take(&mut data.dead_letters[self.queue as usize]);
        let mut moved = Vec::new();
        let mut kept = Vec::new();
        for letter in letters {
            let wanted = message_ids.is_none_or(|ids| ids.contains(&letter.message_id));
            if wanted && moved.len() < limit {
                data.redriven[self.queue as usize].push(replayed(&letter.body));
                moved.push(letter.message_id);
            } else {
                kept.push(letter);
            }
        }
        data.dead_letters[self.queue as usize] = kept;
        Ok(moved)
    }
}
