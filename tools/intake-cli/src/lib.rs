//! `intake`, the command line of invoice-intake (contract/api.md, "Client"
//! and "Local stack"):
//!
//! - `intake extract PATH…` runs the engine locally, without AWS;
//! - `intake submit PATH…` sends files and folders through the API
//!   (sessions, uploads, confirm, extract), resumably, and with `--wait`
//!   prints one JSON line per file once its job is terminal;
//! - `intake status JOB` and `intake result JOB` read a job.
//!
//! Exit codes: 0 every file succeeded, 1 any file failed (or the API
//! refused a request), 2 bad usage or an unreachable API.

mod error;
mod extract;
mod files;
mod jobs;
mod output;
mod progress;
mod submit;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use intake_client::{Client, ClientConfig};

pub use error::CliError;
pub use files::{FileSet, DEFAULT_MAX_FILES_PER_SESSION, DEFAULT_MAX_FILE_BYTES};

/// Where the command writes: results on `out`, progress and errors on
/// `err`; `terminal` when `err` is a terminal (a progress bar, not lines).
pub struct Console {
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    pub terminal: bool,
}

impl Console {
    /// The process's stdout and stderr.
    pub fn real() -> Self {
        Self {
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
            terminal: std::io::stderr().is_terminal(),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "intake",
    about = "Extract EN 16931 invoice data locally, or through the invoice-intake API",
    after_help = "Exit codes: 0 every file succeeded; 1 any file failed; 2 bad usage or an unreachable API."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract UBL/CII XML files and PDFs with an embedded XML invoice
    /// locally; one JSON line per file on stdout.
    Extract {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<OsString>,
    },
    /// Submit files and folders (recursively) to the API: sessions, uploads,
    /// confirm, extract. Running the same command again resumes it and never
    /// creates a second job.
    Submit(SubmitArgs),
    /// Print a job's status object (every page of its files) as JSON.
    Status {
        #[command(flatten)]
        api: ApiArgs,
        #[arg(value_name = "JOB")]
        job: String,
    },
    /// Print a terminal job's results, one JSON line per file.
    Result {
        #[command(flatten)]
        api: ApiArgs,
        /// Also write one JSON file per result into DIR.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(value_name = "JOB")]
        job: String,
    },
}

#[derive(Args)]
struct ApiArgs {
    /// The API's base URL, e.g. http://127.0.0.1:3000.
    #[arg(long = "api", env = "INTAKE_API_URL", value_name = "URL")]
    api_url: String,
    /// The tenant's API key (x-api-key).
    #[arg(
        long = "key",
        env = "INTAKE_API_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    api_key: String,
    /// At most N requests per second to the API (a token bucket; uploads to
    /// storage are not counted). 429 and 5xx answers are retried after
    /// their Retry-After either way.
    #[arg(long, value_name = "N")]
    rate: Option<NonZeroU32>,
}

impl ApiArgs {
    fn client(&self) -> Result<Client, CliError> {
        Ok(Client::new(ClientConfig {
            requests_per_second: self.rate,
            ..ClientConfig::new(&self.api_url, &self.api_key)
        })?)
    }
}

#[derive(Args)]
struct SubmitArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// Where to send the job's `job.completed` event.
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Wait until every job is terminal and print one JSON line per file.
    #[arg(long)]
    wait: bool,
    /// Uploads in flight at once.
    #[arg(long, value_name = "N", default_value = "16")]
    concurrency: NonZeroU32,
    /// Write one JSON file per input file into DIR (implies --wait).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Files per session: the API's MAX_FILES_PER_SESSION (at least 2000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_FILES_PER_SESSION)]
    files_per_session: NonZeroU32,
    /// The largest file the API accepts (its MaxFileBytes), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
    /// Files, or folders whose files are taken recursively.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<OsString>,
}

/// Runs the command line `args` (the program's name first); the exit code.
pub async fn run(args: Vec<OsString>, console: &mut Console) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let text = error.render().to_string();
            let target = if error.use_stderr() {
                &mut console.err
            } else {
                &mut console.out
            };
            let _ = write!(target, "{text}");
            return code;
        }
    };
    let outcome = match cli.command {
        Command::Extract { paths } => return extract::run(&paths, &mut console.out),
        Command::Submit(args) => submit::run(args, console).await,
        Command::Status { api, job } => jobs::status(&api, &job, console).await,
        Command::Result { api, out, job } => {
            jobs::result(&api, &job, out.as_deref(), console).await
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(console.err, "intake: {error}");
            error.exit_code()
        }
    }
}
