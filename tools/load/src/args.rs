//! The command line: the flags, their defaults and checks, and the usage text.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::api::is_loopback;
use crate::batch::cpu::SELF_NAME;

pub const USAGE: &str =
    "usage: intake-load --url http://127.0.0.1:PORT --api-key KEY --invoice PATH [options]
  --concurrency C        concurrent clients in phase A (default 16)
  --requests N           requests per route in phase A (default 500; 0 skips phase A)
  --jobs J               jobs in phase B (default 100; 0 skips phase B)
  --job-concurrency K    jobs in flight in phase B (default 8)
  --poll-ms MS           status polling interval in phase B (default 20)
  --job-timeout-secs S   a job not terminal after S seconds counts as a timeout (default 60)
  --drain-secs S         phase A: longest wait for its jobs to finish before /result (default 180)
  --request-timeout-secs S  per-request timeout (default 30)
  --webhook-jobs J       jobs in phase C, webhook delivery latency (default 50; 0 skips phase C)
  --webhook-secret S     phase C: check every delivery's webhook-signature with this whsec_ secret
  --webhook-wait-secs S  phase C: longest wait for all deliveries (default 120)
  --webhook-grace-ms MS  phase C: wait after the last expected delivery, to catch duplicates (default 2000)
  --batch-files N        phase D: files in the one batch session (default 2000; 0 skips phase D)
  --corpus DIR           phase D: invoices to send, every *.xml and *.pdf under DIR, cycled to reach N
                         (default <repo>/../shared/corpus)
  --upload-concurrency U phase D: parallel PUTs to the pre-signed URLs (default 16)
  --batch-poll-ms MS     phase D: status polling interval of the batch job (default 200)
  --batch-timeout-secs S phase D: longest wait from extract to the batch's terminal status (default 300)
  --batch-probe-jobs P   phase D: single-file jobs submitted while the batch runs (default 40; 0: none)
  --batch-probe-interval-ms MS  phase D: one new probe job every MS (default 250)
  --batch-page-limit L   phase D: `limit` of the paged GET /jobs/{id}/result (default 1000)
  --runner-pid PID       report the runner's peak RSS (VmHWM of /proc/PID/status) before and after phase D
  --cpu-pid NAME=PID     phase D: CPU time of process PID (utime+stime of /proc/PID/stat) over the batch's
                         extract -> terminal window, reported as NAME; repeatable; the load tool's own
                         process is always reported (as self)
  --max-secs S           overall deadline; no new work starts after it (default 420)
  --json                 one JSON line on stdout (the table goes to stderr)";

#[derive(Debug, Clone)]
pub struct Args {
    pub url: String,
    pub api_key: String,
    pub invoice: PathBuf,
    pub concurrency: usize,
    pub requests: usize,
    pub jobs: usize,
    pub job_concurrency: usize,
    pub poll: Duration,
    pub job_timeout: Duration,
    pub drain: Duration,
    pub request_timeout: Duration,
    pub max: Duration,
    pub webhook_jobs: usize,
    pub webhook_secret: Option<String>,
    pub webhook_wait: Duration,
    pub webhook_grace: Duration,
    pub batch_files: usize,
    pub corpus: PathBuf,
    pub upload_concurrency: usize,
    pub batch_poll: Duration,
    pub batch_timeout: Duration,
    pub batch_probe_jobs: usize,
    pub batch_probe_interval: Duration,
    pub batch_page_limit: usize,
    pub runner_pid: Option<u32>,
    /// `--cpu-pid NAME=PID`, in the order given.
    pub cpu_pids: Vec<(String, u32)>,
    pub json: bool,
}

/// `<repo>/../shared/corpus`, the repository being `tools/load/../..`.
pub const DEFAULT_CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

/// The arguments of this process; Err("") for --help, Err(message) for bad usage.
pub fn parse_args() -> Result<Args, String> {
    parse(std::env::args().skip(1))
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut url = None;
    let mut api_key = None;
    let mut invoice = None;
    let mut args = Args {
        url: String::new(),
        api_key: String::new(),
        invoice: PathBuf::new(),
        concurrency: 16,
        requests: 500,
        jobs: 100,
        job_concurrency: 8,
        poll: Duration::from_millis(20),
        job_timeout: Duration::from_secs(60),
        drain: Duration::from_secs(180),
        request_timeout: Duration::from_secs(30),
        max: Duration::from_secs(420),
        webhook_jobs: 50,
        webhook_secret: None,
        webhook_wait: Duration::from_secs(120),
        webhook_grace: Duration::from_millis(2000),
        batch_files: 2000,
        corpus: PathBuf::from(DEFAULT_CORPUS),
        upload_concurrency: 16,
        batch_poll: Duration::from_millis(200),
        batch_timeout: Duration::from_secs(300),
        batch_probe_jobs: 40,
        batch_probe_interval: Duration::from_millis(250),
        batch_page_limit: 1000,
        runner_pid: None,
        cpu_pids: Vec::new(),
        json: false,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {text}"))
        };
        match flag.as_str() {
            "--url" => url = Some(value("--url")?),
            "--api-key" => api_key = Some(value("--api-key")?),
            "--invoice" => invoice = Some(PathBuf::from(value("--invoice")?)),
            "--concurrency" => args.concurrency = number(&flag, value(&flag)?)? as usize,
            "--requests" => args.requests = number(&flag, value(&flag)?)? as usize,
            "--jobs" => args.jobs = number(&flag, value(&flag)?)? as usize,
            "--job-concurrency" => args.job_concurrency = number(&flag, value(&flag)?)? as usize,
            "--poll-ms" => args.poll = Duration::from_millis(number(&flag, value(&flag)?)?),
            "--job-timeout-secs" => {
                args.job_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--drain-secs" => args.drain = Duration::from_secs(number(&flag, value(&flag)?)?),
            "--request-timeout-secs" => {
                args.request_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--max-secs" => args.max = Duration::from_secs(number(&flag, value(&flag)?)?),
            "--webhook-jobs" => args.webhook_jobs = number(&flag, value(&flag)?)? as usize,
            "--webhook-secret" => args.webhook_secret = Some(value(&flag)?),
            "--webhook-wait-secs" => {
                args.webhook_wait = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--webhook-grace-ms" => {
                args.webhook_grace = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-files" => args.batch_files = number(&flag, value(&flag)?)? as usize,
            "--corpus" => args.corpus = PathBuf::from(value(&flag)?),
            "--upload-concurrency" => {
                args.upload_concurrency = number(&flag, value(&flag)?)? as usize
            }
            "--batch-poll-ms" => {
                args.batch_poll = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-timeout-secs" => {
                args.batch_timeout = Duration::from_secs(number(&flag, value(&flag)?)?)
            }
            "--batch-probe-jobs" => args.batch_probe_jobs = number(&flag, value(&flag)?)? as usize,
            "--batch-probe-interval-ms" => {
                args.batch_probe_interval = Duration::from_millis(number(&flag, value(&flag)?)?)
            }
            "--batch-page-limit" => args.batch_page_limit = number(&flag, value(&flag)?)? as usize,
            "--runner-pid" => {
                let pid = number(&flag, value(&flag)?)?;
                args.runner_pid =
                    Some(u32::try_from(pid).map_err(|_| format!("{flag}: out of range: {pid}"))?);
            }
            "--cpu-pid" => args.cpu_pids.push(cpu_pid(&value(&flag)?)?),
            "--json" => args.json = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.url = url
        .ok_or("--url is required")?
        .trim_end_matches('/')
        .to_owned();
    args.api_key = api_key.ok_or("--api-key is required")?;
    args.invoice = invoice.ok_or("--invoice is required")?;
    if args.concurrency == 0 || args.job_concurrency == 0 || args.upload_concurrency == 0 {
        return Err("concurrencies must be at least 1".into());
    }
    if args.poll.is_zero() || args.batch_poll.is_zero() {
        return Err("--poll-ms and --batch-poll-ms must be at least 1".into());
    }
    if args.batch_probe_jobs > 0 && args.batch_probe_interval.is_zero() {
        return Err("--batch-probe-interval-ms must be at least 1".into());
    }
    if !(1..=1000).contains(&args.batch_page_limit) {
        return Err("--batch-page-limit must be 1 to 1000 (the contract's range)".into());
    }
    let parsed = Url::parse(&args.url).map_err(|e| format!("--url: {e}"))?;
    if !is_loopback(&parsed) {
        return Err(format!(
            "--url must point at a loopback address, not {}",
            args.url
        ));
    }
    Ok(args)
}

/// `NAME=PID` of `--cpu-pid`.
fn cpu_pid(text: &str) -> Result<(String, u32), String> {
    let (name, pid) = text
        .split_once('=')
        .ok_or_else(|| format!("--cpu-pid: not NAME=PID: {text}"))?;
    if name.is_empty() {
        return Err(format!("--cpu-pid: no name in {text}"));
    }
    if name == SELF_NAME {
        return Err(format!(
            "--cpu-pid: {SELF_NAME} names the load tool's own process, always reported"
        ));
    }
    match pid.parse::<u32>() {
        Ok(pid) if pid > 0 => Ok((name.to_owned(), pid)),
        _ => Err(format!("--cpu-pid: not a process id: {pid}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Args, String> {
        let required = [
            "--url",
            "http://127.0.0.1:1",
            "--api-key",
            "k",
            "--invoice",
            "i.xml",
        ];
        parse(required.iter().chain(words).map(|w| w.to_string()))
    }

    #[test]
    fn cpu_pids_repeat_in_order() {
        let args = parse_words(&["--cpu-pid", "runner=123", "--cpu-pid", "moto-s3=456"]).unwrap();
        assert_eq!(
            args.cpu_pids,
            [("runner".to_owned(), 123), ("moto-s3".to_owned(), 456)]
        );
        assert!(parse_words(&[]).unwrap().cpu_pids.is_empty());
    }

    #[test]
    fn bad_cpu_pids_are_refused() {
        for bad in ["runner", "=12", "runner=", "runner=x", "runner=0", "self=1"] {
            assert!(parse_words(&["--cpu-pid", bad]).is_err(), "{bad}");
        }
        assert!(parse_words(&["--cpu-pid"]).is_err());
    }
}
