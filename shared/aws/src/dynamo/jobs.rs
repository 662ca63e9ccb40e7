//! Jobs: the job item, written when the job is created, when its outbox
//! moves and once when it is decided; and its progress, counted by the
//! workers in sets of file ids on `COUNTER_SHARDS` counter items beside it.
//! A set counts a file once however often it is added, so a worker that
//! died after a file's transition counts it on the redelivery.

use std::collections::HashSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use chrono::Utc;
use intake_domain::ids::{FileId, JobId, SessionId};
use intake_domain::model::{
    DispatchState, FileRecord, FileState, Job, JobStatus, Progress, Session, SessionStatus,
    WorkMessage,
};
use intake_domain::ports::{
    AttemptStart, AuditEntry, CreateJob, Decision, FileCounts, FileOutcome, JobStore, StoreResult,
};
use intake_domain::transitions::{file, job, session};
use intake_domain::StoreError;
use rand::Rng;

use super::conditions::{Condition, Conditional};
use super::job_list::{
    jobs_pk, jobs_sk, CACHED_COUNT, FAILED_COUNT, JOBS_PK, JOBS_SK, SUCCEEDED_COUNT,
};
use super::open_work::{mark_open, OPEN, OPEN_JOB, OPEN_SINCE};
use super::sessions::{read_file, read_session, result_attribute, session_status_name, CACHE_HIT};
use super::{
    built, file_sk, is_conditional_failure, job_pk, session_pk, store_error, DynamoStore,
    Transaction, JOB_SK, SESSION_SK, TTL,
};
use crate::item::{get_n, get_s, get_time, n, parse, req_n, req_s, req_time, s, time, Item};

/// Counter items per job. A batch's count goes to one picked at random, so
/// concurrent workers spread their writes; 16 items of at most ~125 file
/// ids each for a 2000-file job (4 KB apiece; 8 KB if every file was a
/// cache hit, counted in `cached` as well).
const COUNTER_SHARDS: u32 = 16;
const COUNTER_PREFIX: &str = "COUNT#";
const SETS: [&str; 4] = ["started", "succeeded", "failed", "cached"];

/// The job's item, expiring at `ttl` (its session's).
fn job_item(job: &Job, ttl: AttributeValue) -> Item {
    let mut item = DynamoStore::key(job_pk(&job.tenant, &job.id), JOB_SK);
    item.insert(TTL.into(), ttl);
    item.insert("job_id".into(), s(job.id.as_str()));
    item.insert("tenant".into(), s(&job.tenant));
    item.insert("session_id".into(), s(job.session_id.as_str()));
    item.insert("status".into(), s(job.status.as_str()));
    item.insert("created_at".into(), time(&job.created_at));
    item.insert("updated_at".into(), time(&job.updated_at));
    item.insert("total".into(), n(job.progress.total));
    item.insert("dispatch".into(), s(job.dispatch.as_str()));
    if let Some(url) = &job.webhook_url {
        item.insert("webhook_url".into(), s(url));
    }
    if let Some(digest) = &job.submitted_with {
        item.insert("submitted_with".into(), s(digest));
    }
    mark_open(&mut item, OPEN_JOB, &job.created_at);
    item.insert(JOBS_PK.into(), s(jobs_pk(&job.tenant, job.status)));
    item.insert(JOBS_SK.into(), s(jobs_sk(&job.created_at, &job.id)));
    item
}

/// A deleted job's item until its deletion is finished: reads miss it.
pub(super) const DELETED_AT: &str = "deleted_at";

/// The job item, with its progress from the counter items' sets.
fn read_job(item: &Item, counters: &[Item]) -> StoreResult<Job> {
    let members = |name: &str| -> HashSet<&str> {
        counters
            .iter()
            .filter_map(|counter| counter.get(name)?.as_ss().ok())
            .flatten()
            .map(String::as_str)
            .collect()
    };
    let (started, succeeded, failed, cached) = (
        members("started"),
        members("succeeded"),
        members("failed"),
        members("cached"),
    );
    let processing = started
        .iter()
        .filter(|id| !succeeded.contains(*id) && !failed.contains(*id))
        .count();
    let status = parse(req_s(item, "status")?, "status", JobStatus::parse)?;
    let mut updated_at = req_time(item, "updated_at")?;
    // A decided job's time stays put: late duplicates count files again.
    if !status.is_terminal() {
        for counter in counters {
            if let Some(at) = get_time(counter, "updated_at")? {
                updated_at = updated_at.max(at);
            }
        }
    }
    Ok(Job {
        id: parse(req_s(item, "job_id")?, "job_id", JobId::parse)?,
        tenant: req_s(item, "tenant")?.to_owned(),
        session_id: parse(req_s(item, "session_id")?, "session_id", SessionId::parse)?,
        status,
        created_at: req_time(item, "created_at")?,
        updated_at,
        completed_at: get_time(item, "completed_at")?,
        progress: Progress {
            total: req_n(item, "total")?,
            processing: processing as u32,
            succeeded: succeeded.len() as u32,
            failed: failed.len() as u32,
            cached: cached.len() as u32,
        },
        webhook_url: get_s(item, "webhook_url").map(str::to_owned),
        dispatch: parse(req_s(item, "dispatch")?, "dispatch", DispatchState::parse)?,
        dispatch_cursor: get_s(item, "dispatch_cursor")
            .map(|raw| parse(raw, "dispatch_cursor", FileId::parse))
            .transpose()?,
        dispatch_sent: get_n(item, "dispatch_sent")?.unwrap_or(0),
        result_key: get_s(item, "result_key").map(str::to_owned),
        result_size: get_n(item, "result_size")?,
        submitted_with: get_s(item, "submitted_with").map(str::to_owned),
    })
}

fn string_set<'a>(ids: impl IntoIterator<Item = &'a FileId>) -> AttributeValue {
    AttributeValue::Ss(ids.into_iter().map(|id| id.as_str().to_owned()).collect())
}

/// What a delivery of a terminal file is told; `None` for a file that can
/// still be worked on.
fn already_finished(file: &FileRecord) -> Option<AttemptStart> {
    file.status
        .is_terminal()
        .then(|| AttemptStart::AlreadyFinished {
            state: file.status,
            error_code: file.error.as_ref().map(|error| error.code.clone()),
            cache_hit: file.cache_hit,
        })
}

impl DynamoStore {
    fn file_key(&self, message: &WorkMessage) -> Item {
        Self::key(
            session_pk(&message.tenant, &message.session_id),
            &file_sk(&message.file_id),
        )
    }

    /// The file a work message names (a strongly consistent read).
    async fn read_message_file(
        &self,
        message: &WorkMessage,
        operation: &'static str,
    ) -> StoreResult<FileRecord> {
        let item = self
            .get(
                session_pk(&message.tenant, &message.session_id),
                &file_sk(&message.file_id),
                operation,
            )
            .await?
            .ok_or_else(|| {
                StoreError::new(operation, "the file of a work message does not exist")
            })?;
        read_file(&item)
    }
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(
        &self,
        job: &Job,
        session: &Session,
        audit: &AuditEntry,
    ) -> StoreResult<CreateJob> {
        const OP: &str = "create_job";
        // The job expires with its session (the same `ttl`), so that it
        // never outlives the file items its results are read from.
        let ttl = self.ttl(&session.created_at);
        let claim_session = built(
            self.update(
                Self::key(session_pk(&job.tenant, &job.session_id), SESSION_SK),
                "SET #status = :submitted, job_id = :job",
            )
            .only_if(
                Condition::from("status", &session::SUBMIT, session_status_name)
                    .and("attribute_not_exists(job_id)"),
            )
            .expression_attribute_values(
                ":submitted",
                s(session_status_name(SessionStatus::Submitted)),
            )
            .expression_attribute_values(":job", s(job.id.as_str()))
            .build(),
            OP,
        )?;
        let put_job = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(job_item(job, ttl)))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().update(claim_session).build(),
            TransactWriteItem::builder().put(put_job).build(),
            self.audit_write(audit, OP)?,
        ];
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(CreateJob::Created),
            Transaction::ConditionFailed => {
                let session = self
                    .get(session_pk(&job.tenant, &job.session_id), SESSION_SK, OP)
                    .await?
                    .map(|item| read_session(&item))
                    .transpose()?
                    .ok_or_else(|| StoreError::new(OP, "session vanished"))?;
                Ok(match session.job_id {
                    Some(job_id) => CreateJob::AlreadySubmitted(job_id),
                    None => CreateJob::NotConfirmed,
                })
            }
        }
    }

    async fn record_dispatch(
        &self,
        tenant: &str,
        job_id: &JobId,
        state: DispatchState,
        progress: Option<(&FileId, u32)>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        const OP: &str = "record_dispatch";
        let mut update = self
            .update(Self::key(job_pk(tenant, job_id), JOB_SK), "")
            // Nothing replaces `Sent`, so it is written (and audited) once.
            .condition_expression("attribute_exists(pk) AND #dispatch <> :sent")
            .expression_attribute_names("#dispatch", "dispatch")
            .expression_attribute_values(":state", s(state.as_str()))
            .expression_attribute_values(":sent", s(DispatchState::Sent.as_str()));
        update = match progress {
            Some((cursor, sent)) => update
                .update_expression(
                    "SET #dispatch = :state, dispatch_cursor = :cursor, dispatch_sent = :count",
                )
                .expression_attribute_values(":cursor", s(cursor.as_str()))
                .expression_attribute_values(":count", n(sent)),
            None => update.update_expression("SET #dispatch = :state"),
        };
        let mut items = vec![TransactWriteItem::builder()
            .update(built(update.build(), OP)?)
            .build()];
        if let Some(audit) = audit {
            items.push(self.audit_write(audit, OP)?);
        }
        // A condition that failed: another dispatcher already wrote `Sent`.
        self.transact(items, OP).await.map(|_| ())
    }

    async fn load_job(&self, tenant: &str, id: &JobId) -> StoreResult<Option<Job>> {
        const OP: &str = "load_job";
        // COUNT#… < EVENT < JOB: one range holds the job and its counters.
        let items = self
            .query_all(job_pk(tenant, id), Some((COUNTER_PREFIX, JOB_SK)), OP)
            .await?;
        let (jobs, counters): (Vec<Item>, Vec<Item>) = items
            .into_iter()
            .filter(|item| get_s(item, "sk") != Some("EVENT"))
            .partition(|item| get_s(item, "sk") == Some(JOB_SK));
        jobs.first()
            .filter(|job| !job.contains_key(DELETED_AT))
            .map(|job| read_job(job, &counters))
            .transpose()
    }

    async fn job_exists(&self, tenant: &str, id: &JobId) -> StoreResult<bool> {
        // The job item only: a 2000-file job's counters hold ~70 KB of ids.
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, id), JOB_SK)))
            .projection_expression("pk, #deleted_at")
            .expression_attribute_names("#deleted_at", DELETED_AT)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("job_exists", e))?;
        Ok(output.item.is_some_and(|job| !job.contains_key(DELETED_AT)))
    }

    async fn start_attempt(
        &self,
        message: &WorkMessage,
        audit: &AuditEntry,
    ) -> StoreResult<AttemptStart> {
        const OP: &str = "start_attempt";
        // Read first: a duplicate delivery of a finished file costs a read,
        // and the attempt needs the upload confirm recorded.
        let file = self.read_message_file(message, OP).await?;
        if let Some(finished) = already_finished(&file) {
            return Ok(finished);
        }
        // Uploaded → Processing, or another attempt while Processing.
        let start = built(
            self.update(
                self.file_key(message),
                "SET #status = :processing, attempts = if_not_exists(attempts, :zero) + :one, updated_at = :now",
            )
            .only_if(Condition::from("status", &file::START, FileState::as_str))
            .expression_attribute_values(":processing", s(FileState::Processing.as_str()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", time(&Utc::now()))
            .build(),
            OP,
        )?;
        let items = vec![
            TransactWriteItem::builder().update(start).build(),
            self.audit_write(audit, OP)?,
        ];
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(AttemptStart::Started {
                upload: file.upload,
            }),
            // Finished meanwhile, by another delivery.
            Transaction::ConditionFailed => {
                let file = self.read_message_file(message, OP).await?;
                already_finished(&file).ok_or_else(|| {
                    StoreError::new(
                        OP,
                        format!("file is {}, not ready for processing", file.status.as_str()),
                    )
                })
            }
        }
    }

    async fn finish_file(
        &self,
        message: &WorkMessage,
        outcome: &FileOutcome,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        const OP: &str = "finish_file";
        let (state, sha256, result, error) = outcome.parts();
        let (result_attribute, result_value) = result_attribute(result, OP)?;
        let mut set = format!("SET #status = :to, {result_attribute} = :result, updated_at = :now");
        let mut update = self
            .update(self.file_key(message), "")
            .only_if(Condition::from("status", &file::FINISH, FileState::as_str))
            .expression_attribute_values(":to", s(state.as_str()))
            .expression_attribute_values(":result", result_value)
            .expression_attribute_values(":now", time(&Utc::now()));
        if let Some(sha256) = sha256 {
            set.push_str(", sha256 = :sha256");
            update = update.expression_attribute_values(":sha256", s(sha256));
        }
        if outcome.cache_hit() {
            set.push_str(&format!(", {CACHE_HIT} = :hit"));
            update = update.expression_attribute_values(":hit", AttributeValue::Bool(true));
        }
        if let Some(error) = error {
            set.push_str(", error_code = :code, error_message = :message");
            update = update
                .expression_attribute_values(":code", s(&error.code))
                .expression_attribute_values(":message", s(&error.message));
        }
        let items = vec![
            TransactWriteItem::builder()
                .update(built(update.update_expression(set).build(), OP)?)
                .build(),
            self.audit_write(audit, OP)?,
        ];
        Ok(matches!(
            self.transact(items, OP).await?,
            Transaction::Committed
        ))
    }

    async fn reopen_file(&self, message: &WorkMessage, audit: &AuditEntry) -> StoreResult<bool> {
        const OP: &str = "reopen_file";
        let items = self
            .query_all(
                job_pk(&message.tenant, &message.job_id),
                Some((COUNTER_PREFIX, JOB_SK)),
                OP,
            )
            .await?;
        let Some(job_item) = items.iter().find(|item| get_s(item, "sk") == Some(JOB_SK)) else {
            return Err(StoreError::new(
                OP,
                "the job of a work message does not exist",
            ));
        };
        let status = parse(req_s(job_item, "status")?, "status", JobStatus::parse)?;
        let reopen_file = built(
            self.update(
                self.file_key(message),
                "SET #status = :uploaded, updated_at = :now \
                 REMOVE error_code, error_message, result_json, result_key, cache_hit",
            )
            .only_if(
                Condition::from("status", &file::REOPEN, FileState::as_str)
                    .and("error_code = :reopenable"),
            )
            .expression_attribute_values(":uploaded", s(file::REOPEN.to[0].as_str()))
            .expression_attribute_values(":reopenable", s(file::REOPENABLE))
            .expression_attribute_values(":now", time(&Utc::now()))
            .build(),
            OP,
        )?;
        let job_key = Self::key(job_pk(&message.tenant, &message.job_id), JOB_SK);
        // A decided job goes back to `Queued` (and to the list's `queued`
        // partition) unless it is being deleted; one still open is checked
        // to stay open, so that no decision can miss the file's new outcome.
        let job_write = if job::REOPEN.from.contains(&status) {
            let queued = job::REOPEN.to[0];
            let reopen_job = self
                .update(
                    job_key,
                    &format!(
                        "SET #status = :queued, updated_at = :now, #open = :open, #open_since = :now, \
                         {JOBS_PK} = :listed \
                         REMOVE completed_at, result_key, result_size, deciding_until, \
                         {SUCCEEDED_COUNT}, {FAILED_COUNT}, {CACHED_COUNT}"
                    ),
                )
                .expression_attribute_names("#open", OPEN)
                .expression_attribute_names("#open_since", OPEN_SINCE)
                .expression_attribute_values(":open", s(OPEN_JOB))
                .only_if(
                    Condition::from("status", &job::REOPEN, JobStatus::as_str)
                        .and(&format!("attribute_not_exists({DELETED_AT})")),
                )
                .expression_attribute_values(":queued", s(queued.as_str()))
                .expression_attribute_values(":listed", s(jobs_pk(&message.tenant, queued)))
                .expression_attribute_values(":now", time(&Utc::now()));
            TransactWriteItem::builder()
                .update(built(reopen_job.build(), OP)?)
                .build()
        } else {
            let still_open = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(job_key))
                .only_if(Condition::from("status", &job::DECIDE, JobStatus::as_str));
            TransactWriteItem::builder()
                .condition_check(built(still_open.build(), OP)?)
                .build()
        };
        let mut writes = vec![
            TransactWriteItem::builder().update(reopen_file).build(),
            job_write,
        ];
        // The failure is no longer counted, on whichever counters hold it.
        for counter in items.iter().filter(|item| {
            item.get("failed")
                .and_then(|set| set.as_ss().ok())
                .is_some_and(|ids| ids.iter().any(|id| id == message.file_id.as_str()))
        }) {
            let sk = req_s(counter, "sk")?;
            let uncount = self
                .update(
                    Self::key(job_pk(&message.tenant, &message.job_id), sk),
                    "DELETE failed :file",
                )
                .expression_attribute_values(":file", string_set([&message.file_id]));
            writes.push(
                TransactWriteItem::builder()
                    .update(built(uncount.build(), OP)?)
                    .build(),
            );
        }
        writes.push(self.audit_write(audit, OP)?);
        Ok(matches!(
            self.transact(writes, OP).await?,
            Transaction::Committed
        ))
    }

    async fn count_files(
        &self,
        tenant: &str,
        job_id: &JobId,
        counts: &FileCounts,
    ) -> StoreResult<()> {
        let shard = rand::rng().random_range(0..COUNTER_SHARDS);
        let now = Utc::now();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(
                job_pk(tenant, job_id),
                &format!("{COUNTER_PREFIX}{shard:02}"),
            )))
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":ttl", self.ttl(&now))
            .expression_attribute_values(":now", time(&now));
        // DynamoDB refuses empty sets: add only those with members.
        let mut added = Vec::new();
        for (name, ids) in SETS.iter().zip([
            &counts.started,
            &counts.succeeded,
            &counts.failed,
            &counts.cached,
        ]) {
            if !ids.is_empty() {
                added.push(format!("{name} :{name}"));
                request = request.expression_attribute_values(format!(":{name}"), string_set(ids));
            }
        }
        if added.is_empty() {
            return Ok(());
        }
        request
            .update_expression(format!(
                "SET updated_at = :now, #ttl = if_not_exists(#ttl, :ttl) ADD {}",
                added.join(", ")
            ))
            .send()
            .await
            .map_err(|e| store_error("count_files", e))?;
        Ok(())
    }

    async fn claim_decision(
        &self,
        tenant: &str,
        job_id: &JobId,
        lease: std::time::Duration,
    ) -> StoreResult<bool> {
        let now = Utc::now().timestamp();
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(job_pk(tenant, job_id), JOB_SK)))
            .update_expression("SET deciding_until = :until")
            .only_if(
                Condition::from("status", &job::DECIDE, JobStatus::as_str)
                    .and("attribute_not_exists(deciding_until) OR deciding_until < :now"),
            )
            .expression_attribute_values(":until", n(now + lease.as_secs() as i64))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(error) if is_conditional_failure(&error) => Ok(false),
            Err(error) => Err(store_error("claim_decision", error)),
        }
    }

    async fn complete_job(&self, decision: &Decision<'_>, audit: &AuditEntry) -> StoreResult<bool> {
        const OP: &str = "complete_job";
        let now = time(&Utc::now());
        // The job moves to its status's partition of the list, with the
        // counts it was decided on.
        let complete = self
            .update(
                Self::key(job_pk(decision.tenant, decision.job_id), JOB_SK),
                &format!(
                    "SET #status = :terminal, completed_at = :now, updated_at = :now, \
                     result_key = :key, result_size = :size, {JOBS_PK} = :listed, \
                     {SUCCEEDED_COUNT} = :succeeded, {FAILED_COUNT} = :failed, \
                     {CACHED_COUNT} = :cached \
                     REMOVE #open, #open_since"
                ),
            )
            .expression_attribute_names("#open", OPEN)
            .expression_attribute_names("#open_since", OPEN_SINCE)
            .only_if(Condition::from("status", &job::DECIDE, JobStatus::as_str))
            .expression_attribute_values(":terminal", s(decision.status.as_str()))
            .expression_attribute_values(":listed", s(jobs_pk(decision.tenant, decision.status)))
            .expression_attribute_values(":succeeded", n(decision.progress.succeeded))
            .expression_attribute_values(":failed", n(decision.progress.failed))
            .expression_attribute_values(":cached", n(decision.progress.cached))
            .expression_attribute_values(":now", now)
            .expression_attribute_values(":key", s(decision.result_key))
            .expression_attribute_values(":size", n(decision.result_size));
        let mut items = vec![TransactWriteItem::builder()
            .update(built(complete.build(), OP)?)
            .build()];
        if let Some(event) = decision.event {
            items.push(
                TransactWriteItem::builder()
                    .put(self.put_event(event)?)
                    .build(),
            );
        }
        items.push(self.audit_write(audit, OP)?);
        match self.transact(items, OP).await? {
            Transaction::Committed => Ok(true),
            Transaction::ConditionFailed => Ok(false),
        }
    }
}
