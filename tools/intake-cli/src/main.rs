//! `intake extract PATH…` — the command-line extractor of contract/api.md.
//!
//! Prints one JSON object per input file on stdout (JSON Lines), in argument
//! order: `{"file", "document", "invoice"?, "validation"?}` or
//! `{"file", "error": {"code", "message"}}`. Exit code: 0 when every file was
//! extracted, 1 when any file produced an error object, 2 on bad usage.

use std::io::{Read, Write};
use std::process::ExitCode;

use intake_engine::{extract, EngineError, Extraction, MAX_INPUT_BYTES};
use serde::Serialize;

const USAGE: &str = "usage: intake extract PATH...\n\n\
Extracts EN 16931 invoice data from UBL/CII XML files and PDFs with an embedded\n\
XML invoice (Factur-X, ZUGFeRD, XRechnung) and prints one JSON object per file\n\
on stdout (JSON Lines). Exit code 0: all files extracted; 1: any file failed;\n\
2: bad usage.\n";

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

/// The paths to extract; empty for a help request; `None` on bad usage.
/// There are no options yet, so an unknown `-x` is refused rather than taken
/// for a file name (a file literally named `-x` can follow `--`).
fn parse_args(args: &[std::ffi::OsString]) -> Option<Vec<&std::ffi::OsStr>> {
    match args.first().and_then(|a| a.to_str()) {
        Some("-h" | "--help" | "help") if args.len() == 1 => return Some(Vec::new()),
        Some("extract") => {}
        _ => return None,
    }
    let mut paths = Vec::new();
    let mut options_done = false;
    for a in &args[1..] {
        let is_option = a
            .to_str()
            .is_some_and(|s| s.starts_with('-') && s.len() > 1);
        if !options_done && a == "--" {
            options_done = true;
        } else if !options_done && is_option {
            return None;
        } else {
            paths.push(a.as_os_str());
        }
    }
    (!paths.is_empty()).then_some(paths)
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let Some(paths) = parse_args(&args) else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    if paths.is_empty() {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut any_failed = false;
    for path in paths {
        let (line, failed) = process(path);
        any_failed |= failed;
        // Flush per line so a consumer streaming the output sees each result
        // as soon as it is ready.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            // stdout closed (e.g. piped into `head`): nothing left to report to.
            return ExitCode::from(1);
        }
    }
    if any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
