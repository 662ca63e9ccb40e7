//! The state machines of sessions, files, jobs, webhook events and bulk
//! replays, in one place and as data. Each transition names the states it
//! may start from and those it may lead to. The use cases pick a
//! transition; the DynamoDB adapter renders its `from` as the condition of
//! the write that makes it (`#status IN (…)`), so no adapter keeps a list
//! of states of its own and a write that would break the machine fails its
//! condition instead.

use crate::model::{FileState, JobStatus, SessionStatus};
use crate::replays::ReplayStatus;
use crate::webhooks::EventState;

/// One allowed move of a state machine.
#[derive(Debug)]
pub struct Transition<S: 'static> {
    /// What the move is called in logs and audit entries.
    pub name: &'static str,
    /// The states it may start from: the condition of its write.
    pub from: &'static [S],
    /// The states it may end in.
    pub to: &'static [S],
}

impl<S: PartialEq> Transition<S> {
    pub fn allows(&self, from: &S, to: &S) -> bool {
        self.from.contains(from) && self.to.contains(to)
    }
}

/// A session: created awaiting its uploads, confirmed once every upload
/// was checked with S3, submitted once it has its job.
pub mod session {
    use super::*;

    pub const CONFIRM: Transition<SessionStatus> = Transition {
        name: "session.confirmed",
        from: &[SessionStatus::AwaitingUpload],
        to: &[SessionStatus::Pending],
    };
    pub const SUBMIT: Transition<SessionStatus> = Transition {
        name: "session.submitted",
        from: &[SessionStatus::Pending],
        to: &[SessionStatus::Submitted],
    };
    pub const ALL: [&Transition<SessionStatus>; 2] = [&CONFIRM, &SUBMIT];
}

/// A file of a session.
pub mod file {
    use super::*;

    /// Confirm records what S3 listed (under the session's lease).
    pub const CONFIRM: Transition<FileState> = Transition {
        name: "file.uploaded",
        from: &[FileState::AwaitingUpload],
        to: &[FileState::Uploaded],
    };
    /// A worker's attempt; another attempt may follow one that failed.
    pub const START: Transition<FileState> = Transition {
        name: "file.processing",
        from: &[FileState::Uploaded, FileState::Processing],
        to: &[FileState::Processing],
    };
    /// A file normally finishes from `Processing`; a file whose every
    /// start failed is given up on from `Uploaded`.
    pub const FINISH: Transition<FileState> = Transition {
        name: "file.finished",
        from: &[FileState::Processing, FileState::Uploaded],
        to: &[FileState::Succeeded, FileState::Failed],
    };
    /// An operator's replay of a file that was given up on for a fault of
    /// ours (its error code is `REOPENABLE`): it runs again. The only move
    /// out of a terminal state; a file that failed for its content stays
    /// failed.
    pub const REOPEN: Transition<FileState> = Transition {
        name: "file.reopened",
        from: &[FileState::Failed],
        to: &[FileState::Uploaded],
    };
    /// The error code of the files `REOPEN` may move.
    pub const REOPENABLE: &str = "processing_failed";
    pub const ALL: [&Transition<FileState>; 4] = [&CONFIRM, &START, &FINISH, &REOPEN];
}

/// A job. Stored `Queued` until it is decided; `Processing` is only what
/// clients are shown once a file started (`Job::visible_status`), so no
/// worker writes the job item before the decision.
pub mod job {
    use super::*;

    /// Once every file is terminal, exactly once (a conditional write).
    pub const DECIDE: Transition<JobStatus> = Transition {
        name: "job.completed",
        from: &[JobStatus::Queued],
        to: &[
            JobStatus::Succeeded,
            JobStatus::PartiallyFailed,
            JobStatus::Failed,
        ],
    };
    /// A decided job one of whose files is re-opened is decided again
    /// once that file is terminal (a new `job.completed` event).
    pub const REOPEN: Transition<JobStatus> = Transition {
        name: "job.reopened",
        from: &[JobStatus::PartiallyFailed, JobStatus::Failed],
        to: &[JobStatus::Queued],
    };
    /// `DELETE /jobs/{id}` of a terminal job: it leaves the machine (its
    /// item becomes a tombstone, then goes). A job still running is never
    /// deleted, so no worker can write to a job being deleted.
    pub const DELETE: Transition<JobStatus> = Transition {
        name: "job.deleted",
        from: &[
            JobStatus::Succeeded,
            JobStatus::PartiallyFailed,
            JobStatus::Failed,
        ],
        to: &[],
    };
    pub const ALL: [&Transition<JobStatus>; 3] = [&DECIDE, &REOPEN, &DELETE];

    /// The statuses a job item holds: `Processing` is only ever shown.
    pub fn stored() -> impl Iterator<Item = JobStatus> {
        DECIDE.from.iter().chain(DECIDE.to).copied()
    }
}

/// A job's `job.completed` event.
pub mod event {
    use super::*;

    /// One delivery attempt: the event stays pending for the next one,
    /// or ends.
    pub const ATTEMPT: Transition<EventState> = Transition {
        name: "webhook.attempt",
        from: &[EventState::Pending],
        to: &[
            EventState::Pending,
            EventState::Delivered,
            EventState::Failed,
            EventState::Exhausted,
        ],
    };
    /// A tenant's replay sends the same event again, whatever became of it.
    pub const REPLAY: Transition<EventState> = Transition {
        name: "webhook.replayed",
        from: &[
            EventState::Pending,
            EventState::Delivered,
            EventState::Failed,
            EventState::Exhausted,
        ],
        to: &[EventState::Pending],
    };
    pub const ALL: [&Transition<EventState>; 2] = [&ATTEMPT, &REPLAY];
}

/// An operator's bulk replay of a dead-letter queue: running until a
/// round finds the queue empty.
pub mod replay {
    use super::*;

    pub const COMPLETE: Transition<ReplayStatus> = Transition {
        name: "replay.completed",
        from: &[ReplayStatus::Running],
        to: &[ReplayStatus::Completed],
    };
    pub const ALL: [&Transition<ReplayStatus>; 1] = [&COMPLETE];
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state a transition leads to is one the machine can be in:
    /// the start state, or the end of another transition.
    fn reachable<S: PartialEq + std::fmt::Debug>(start: S, all: &[&Transition<S>]) {
        for transition in all {
            for from in transition.from {
                assert!(
                    *from == start || all.iter().any(|t| t.to.contains(from)),
                    "{}: {from:?} can never be reached",
                    transition.name
                );
            }
        }
    }

    #[test]
    fn every_transition_starts_from_a_reachable_state() {
        reachable(SessionStatus::AwaitingUpload, &session::ALL);
        reachable(FileState::AwaitingUpload, &file::ALL);
        reachable(JobStatus::Queued, &job::ALL);
        reachable(EventState::Pending, &event::ALL);
        reachable(ReplayStatus::Running, &replay::ALL);
    }

    #[test]
    fn only_a_reopening_leaves_a_terminal_file_or_job() {
        for transition in file::ALL {
            let leaves_terminal = transition.from.iter().any(|state| state.is_terminal());
            assert_eq!(
                leaves_terminal,
                transition.name == file::REOPEN.name,
                "{}",
                transition.name
            );
        }
        for transition in job::ALL {
            // A deletion ends the machine instead of moving the job on.
            let leaves_terminal = transition.from.iter().any(|status| status.is_terminal())
                && !transition.to.is_empty();
            assert_eq!(
                leaves_terminal,
                transition.name == job::REOPEN.name,
                "{}",
                transition.name
            );
        }
        // A succeeded file or job is never re-opened: only failures are.
        assert!(!file::REOPEN.from.contains(&FileState::Succeeded));
        assert!(!job::REOPEN.from.contains(&JobStatus::Succeeded));
    }

    #[test]
    fn a_decision_ends_every_job_in_a_terminal_status() {
        assert!(job::DECIDE.to.iter().all(|status| status.is_terminal()));
        assert!(!job::DECIDE.to.contains(&JobStatus::Processing));
    }

    #[test]
    fn only_a_terminal_job_is_deleted_and_every_status_is_stored_but_processing() {
        assert!(job::DELETE.from.iter().all(|status| status.is_terminal()));
        assert_eq!(job::DELETE.from.len(), job::DECIDE.to.len());
        assert!(job::DELETE.to.is_empty());
        let stored: Vec<JobStatus> = job::stored().collect();
        assert_eq!(stored.len(), 4);
        assert!(!stored.contains(&JobStatus::Processing));
    }

    #[test]
    fn a_transition_allows_only_its_own_moves() {
        assert!(file::START.allows(&FileState::Uploaded, &FileState::Processing));
        assert!(!file::START.allows(&FileState::Failed, &FileState::Processing));
        assert!(!file::FINISH.allows(&FileState::Succeeded, &FileState::Failed));
        assert!(session::SUBMIT.allows(&SessionStatus::Pending, &SessionStatus::Submitted));
        assert!(!session::SUBMIT.allows(&SessionStatus::AwaitingUpload, &SessionStatus::Submitted));
    }
}
