//! `intake status JOB` and `intake result JOB [--out DIR]`.

use std::path::Path;

use intake_client::ResultEntry;

use crate::output::{print, result_line, write_out};
use crate::{ApiArgs, CliError, Console};

/// Prints the status object with every page of its files; exit 0.
pub async fn status(api: &ApiArgs, job: &str, console: &mut Console) -> Result<u8, CliError> {
    let status = api.client()?.job_status_all(job).await?;
    print(
        &mut console.out,
        &serde_json::to_value(&status).unwrap_or_default(),
    );
    Ok(0)
}

/// Prints one line per result entry (the API's entry), writes them under
/// `out` by name; exit 0 when every file succeeded, else 1.
pub async fn result(
    api: &ApiArgs,
    job: &str,
    out: Option<&Path>,
    console: &mut Console,
) -> Result<u8, CliError> {
    let result = api.client()?.result(job).await?;
    emit(
        result.results.iter().map(|entry| (entry, None)),
        out,
        console,
    )
}

/// Prints (and writes) each entry with its file; the exit code.
pub fn emit<'a>(
    entries: impl Iterator<Item = (&'a ResultEntry, Option<&'a str>)>,
    out: Option<&Path>,
    console: &mut Console,
) -> Result<u8, CliError> {
    let mut any_failed = false;
    for (entry, file) in entries {
        any_failed |= !entry.succeeded();
        let line = result_line(entry, file);
        print(&mut console.out, &line);
        if let Some(dir) = out {
            write_out(dir, file.unwrap_or(&entry.name), &line)?;
        }
    }
    Ok(u8::from(any_failed))
}
