//! Pages of a resource's items (api.md v1.1 "Pagination"): `limit`
//! 1..=1000 and an opaque `cursor` that names the owner (a job, a session,
//! the jobs list of one filter) and the position of the last item of the
//! previous page, so a cursor of another resource is refused. One codec
//! for every list: files, audit entries and jobs differ only in their
//! [`Position`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::AppError;
use crate::ids::{FileId, JobId};

/// The largest page, and the size of a page when no `limit` is given.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Where an item sits in its list, as a cursor carries it: a text that
/// reads back as the same position.
pub trait Position: Sized {
    fn render(&self) -> String;
    fn parse(raw: &str) -> Option<Self>;
}

/// Files are listed in file id order.
impl Position for FileId {
    fn render(&self) -> String {
        self.as_str().to_owned()
    }

    fn parse(raw: &str) -> Option<Self> {
        FileId::parse(raw)
    }
}

/// A time to the nanosecond, so that it reads back exactly.
fn render_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Where an audit entry sits in its trail, oldest first: its time, then a
/// random tie-breaker that keeps entries of the same instant apart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrailPosition {
    pub at: DateTime<Utc>,
    pub tiebreak: u32,
}

impl Position for TrailPosition {
    fn render(&self) -> String {
        format!("{}~{:08x}", render_time(&self.at), self.tiebreak)
    }

    fn parse(raw: &str) -> Option<Self> {
        let (at, tiebreak) = raw.split_once('~')?;
        (tiebreak.len() == 8).then_some(())?;
        Some(Self {
            at: parse_time(at)?,
            tiebreak: u32::from_str_radix(tiebreak, 16).ok()?,
        })
    }
}

/// Where a job sits in its tenant's list, newest first: its creation time,
/// then its id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobPosition {
    pub created_at: DateTime<Utc>,
    pub job_id: JobId,
}

impl Position for JobPosition {
    fn render(&self) -> String {
        format!("{}~{}", render_time(&self.created_at), self.job_id)
    }

    fn parse(raw: &str) -> Option<Self> {
        let (created_at, job_id) = raw.split_once('~')?;
        Some(Self {
            created_at: parse_time(created_at)?,
            job_id: JobId::parse(job_id)?,
        })
    }
}

/// Which items a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest<P = FileId> {
    pub limit: usize,
    /// The last item of the previous page.
    pub after: Option<P>,
}

impl<P> Default for PageRequest<P> {
    fn default() -> Self {
        Self {
            limit: MAX_PAGE_SIZE,
            after: None,
        }
    }
}

impl<P: Position> PageRequest<P> {
    /// Reads `limit` and `cursor` of a request about `owner` (a job or
    /// session id, or the jobs list); `None` when the request has neither.
    pub fn parse(
        owner: &str,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Option<Self>, AppError> {
        if limit.is_none() && cursor.is_none() {
            return Ok(None);
        }
        let limit = match limit {
            None => MAX_PAGE_SIZE,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                .ok_or_else(|| {
                    AppError::invalid(
                        "invalid_limit",
                        format!("limit must be an integer from 1 to {MAX_PAGE_SIZE}"),
                    )
                })?,
        };
        let after = cursor.map(|raw| decode(owner, raw)).transpose()?;
        Ok(Some(Self { limit, after }))
    }
}

/// The cursor of the page that follows `last`.
pub fn cursor_after<P: Position>(owner: &str, last: &P) -> String {
    URL_SAFE_NO_PAD.encode(format!("{owner}/{}", last.render()))
}

fn decode<P: Position>(owner: &str, raw: &str) -> Result<P, AppError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (cursor_owner, position) = text.split_once('/')?;
            (cursor_owner == owner)
                .then(|| P::parse(position))
                .flatten()
        })
        .ok_or_else(|| {
            AppError::invalid(
                "invalid_cursor",
                "cursor is not a next_cursor of this resource",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_parameters_is_no_page() {
        assert_eq!(
            PageRequest::<FileId>::parse("job_x", None, None).ok(),
            Some(None)
        );
    }

    #[test]
    fn a_cursor_round_trips_for_its_owner_only() {
        let file = FileId::generate();
        let cursor = cursor_after("job_a", &file);
        let page = PageRequest::parse("job_a", Some("10"), Some(&cursor))
            .ok()
            .flatten()
            .expect("a page");
        assert_eq!(page.limit, 10);
        assert_eq!(page.after, Some(file));
        let error =
            PageRequest::<FileId>::parse("job_b", None, Some(&cursor)).expect_err("other owner");
        assert_eq!(error.code(), "invalid_cursor");
    }

    #[test]
    fn bad_limits_and_cursors_are_refused_with_their_code() {
        for limit in ["0", "1001", "-1", "ten", ""] {
            let error = PageRequest::<FileId>::parse("job_a", Some(limit), None).expect_err(limit);
            assert_eq!(error.code(), "invalid_limit", "{limit}");
        }
        for cursor in [
            "",
            "!!",
            "am9iX2E",
            &URL_SAFE_NO_PAD.encode("job_a/fil_nope"),
        ] {
            let error =
                PageRequest::<FileId>::parse("job_a", None, Some(cursor)).expect_err(cursor);
            assert_eq!(error.code(), "invalid_cursor", "{cursor}");
        }
        let page = PageRequest::<FileId>::parse("job_a", Some("1000"), None)
            .ok()
            .flatten();
        assert_eq!(page.map(|page| page.limit), Some(1000));
    }

    #[test]
    fn trail_and_job_positions_read_back_exactly() {
        // Arrange: nanoseconds, which a millisecond or microsecond text
        // would lose.
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:20:30.123456789Z")
            .expect("time")
            .with_timezone(&Utc);
        let trail = TrailPosition {
            at,
            tiebreak: 0x00ab_cdef,
        };
        let job = JobPosition {
            created_at: at,
            job_id: JobId::generate(),
        };

        // Act
        let trail_page = PageRequest::<TrailPosition>::parse(
            "job_a",
            None,
            Some(&cursor_after("job_a", &trail)),
        );
        let job_page =
            PageRequest::<JobPosition>::parse("jobs", None, Some(&cursor_after("jobs", &job)));

        // Assert
        assert_eq!(trail_page.ok().flatten().and_then(|p| p.after), Some(trail));
        assert_eq!(job_page.ok().flatten().and_then(|p| p.after), Some(job));
    }

    #[test]
    fn a_cursor_of_another_kind_of_list_is_refused() {
        // Arrange: a file page's cursor of the same job, given to its trail.
        let file_cursor = cursor_after("job_a", &FileId::generate());
        let malformed = [
            URL_SAFE_NO_PAD.encode("job_a/2026-03-01T10:20:30Z~xyz"),
            URL_SAFE_NO_PAD.encode("job_a/2026-03-01T10:20:30Z~0000000001"),
            URL_SAFE_NO_PAD.encode("job_a/yesterday~00000001"),
        ];

        for cursor in std::iter::once(&file_cursor).chain(&malformed) {
            // Act
            let error =
                PageRequest::<TrailPosition>::parse("job_a", None, Some(cursor)).expect_err(cursor);

            // Assert
            assert_eq!(error.code(), "invalid_cursor", "{cursor}");
        }
        let trail_cursor = cursor_after(
            "jobs",
            &TrailPosition {
                at: Utc::now(),
                tiebreak: 1,
            },
        );
        let error = PageRequest::<JobPosition>::parse("jobs", None, Some(&trail_cursor))
            .expect_err("a trail position is not a job position");
        assert_eq!(error.code(), "invalid_cursor");
    }
}
