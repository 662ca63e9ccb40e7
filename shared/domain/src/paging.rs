//! Pages of a session's or job's files (api.md v1.1 "Pagination"): `limit`
//! 1..=1000 and an opaque `cursor` that names the owner and the last file
//! of the previous page, so a cursor of another job or session is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::AppError;
use crate::ids::FileId;

/// The largest page, and the size of a page when no `limit` is given.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which files a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    /// The last file of the previous page.
    pub after: Option<FileId>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: MAX_PAGE_SIZE,
            after: None,
        }
    }
}

impl PageRequest {
    /// Reads `limit` and `cursor` of a request about `owner` (a job or
    /// session id); `None` when the request has neither.
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
pub fn cursor_after(owner: &str, last: &FileId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{owner}/{last}"))
}

fn decode(owner: &str, raw: &str) -> Result<FileId, AppError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (cursor_owner, file) = text.split_once('/')?;
            (cursor_owner == owner)
                .then(|| FileId::parse(file))
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
        assert_eq!(PageRequest::parse("job_x", None, None).ok(), Some(None));
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
        let error = PageRequest::parse("job_b", None, Some(&cursor)).expect_err("other owner");
        assert_eq!(error.code(), "invalid_cursor");
    }

    #[test]
    fn bad_limits_and_cursors_are_refused_with_their_code() {
        for limit in ["0", "1001", "-1", "ten", ""] {
            let error = PageRequest::parse("job_a", Some(limit), None).expect_err(limit);
            assert_eq!(error.code(), "invalid_limit", "{limit}");
        }
        for cursor in [
            "",
            "!!",
            "am9iX2E",
            &URL_SAFE_NO_PAD.encode("job_a/fil_nope"),
        ] {
            let error = PageRequest::parse("job_a", None, Some(cursor)).expect_err(cursor);
            assert_eq!(error.code(), "invalid_cursor", "{cursor}");
        }
        let page = PageRequest::parse("job_a", Some("1000"), None)
            .ok()
            .flatten();
        assert_eq!(page.map(|page| page.limit), Some(1000));
    }
}
