//! `intake extract PATH…` — the command-line extractor of contract/api.md.
//!
//! Prints one JSON object per input file on stdout (JSON Lines), in argument
//! order: `{"file", "document", "invoice"?, "validation"?}` or
//! `{"file", "error": {"code", "message"}}`. Exit code: 0 when every file was
//! extracted, 1 when any file produced an error object, 2 on bad usage.

use std::io::{Read, Write};

use intake_engine::{extract, EngineError, Extraction, MAX_INPUT_BYTES};
use serde::Serialize;

#[derive(Serialize)]
struct Success<'a> {
    file: &'a str,
    #[serde(flatten)]
    extraction: &'a Extraction,
}

#[derive(Serialize)]
struct Failure<'a> {
    file: &'a str,
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
}

/// Outcome of one file: the JSON line and whether it is an error.
fn process(path: &std::ffi::OsStr) -> (String, bool) {
    let file = path.to_string_lossy();
    let line = match read_capped(path) {
        Err((code, message)) => serde_json::to_string(&Failure {
            file: &file,
            error: ErrorBody { code, message },
        }),
        Ok(bytes) => match extract(&bytes) {
            Ok(ex) => {
                return (
                    to_line(serde_json::to_string(&Success {
                        file: &file,
                        extraction: &ex,
                    })),
                    false,
                )
            }
            Err(e) => serde_json::to_string(&Failure {
                file: &file,
                error: engine_error(&e),
            }),
        },
    };
    (to_line(line), true)
}

fn engine_error(e: &EngineError) -> ErrorBody<'static> {
    ErrorBody {
        code: e.code(),
        message: e.to_string(),
    }
}

/// Serialising these plain structs cannot fail; should it ever, emit a valid
/// JSON error line rather than nothing.
fn to_line(r: serde_json::Result<String>) -> String {
    r.unwrap_or_else(|e| {
        format!(
            "{{\"error\":{{\"code\":\"internal_error\",\"message\":{}}}}}",
            serde_json::Value::String(e.to_string())
        )
    })
}

/// Reads at most `MAX_INPUT_BYTES + 1` bytes so a huge file cannot exhaust
/// memory; the engine then reports `too_large` for the over-long input.
fn read_capped(path: &std::ffi::OsStr) -> Result<Vec<u8>, (&'static str, String)> {
    let unreadable = |e: std::io::Error| ("unreadable_file", format!("cannot read file: {e}"));
    let f = std::fs::File::open(path).map_err(unreadable)?;
    let meta = f.metadata().map_err(unreadable)?;
    if meta.is_dir() {
        return Err(("unreadable_file", "cannot read file: is a directory".into()));
    }
    if meta.len() > MAX_INPUT_BYTES as u64 {
        return Err((
            "too_large",
            format!(
                "file is {} bytes, the limit is {MAX_INPUT_BYTES}",
                meta.len()
            ),
        ));
    }
    let mut buf = Vec::new();
    f.take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(unreadable)?;
    Ok(buf)
}

/// Extracts every path in turn, one JSON line each; the exit code.
pub fn run(paths: &[std::ffi::OsString], out: &mut dyn Write) -> u8 {
    let mut any_failed = false;
    for path in paths {
        let (line, failed) = process(path);
        any_failed |= failed;
        // Flush per line so a consumer streaming the output sees each result
        // as soon as it is ready.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            // stdout closed (e.g. piped into `head`): nothing left to report to.
            return 1;
        }
    }
    u8::from(any_failed)
}
