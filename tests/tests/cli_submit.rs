//! `intake submit`, `intake status` and `intake result` (api.md "Client")
//! against the real stack: the command runs in process, as the binary runs
//! it, with its output captured.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use intake_client::{CreateSession, FileSpec, JobStatus, Method, Page, Session};
use intake_local::RateLimit;
use intake_tests::{sample_invoice, spawn_app, spawn_app_with, AppOptions, TestApp};
use serde_json::Value;

/// What a command printed and its exit code.
struct Run {
    code: u8,
    out: String,
    err: String,
}

impl Run {
    /// stdout's JSON lines.
    fn lines(&self) -> Vec<Value> {
        self.out
            .lines()
            .map(|line| serde_json::from_str(line).expect("each stdout line is JSON"))
            .collect()
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `intake <command> --api <the app> --key <its key> <args…>`.
async fn intake(app: &TestApp, command: &str, args: &[&str]) -> Run {
    let (out, err) = (Captured::default(), Captured::default());
    let mut console = intake_cli::Console {
        out: Box::new(out.clone()),
        err: Box::new(err.clone()),
        terminal: false,
    };
    let mut argv = vec![
        "intake",
        command,
        "--api",
        &app.base_url,
        "--key",
        &app.api_key,
    ];
    argv.extend_from_slice(args);
    let code = intake_cli::run(argv.into_iter().map(Into::into).collect(), &mut console).await;
    Run {
        code,
        out: out.text(),
        err: err.text(),
    }
}

fn corpus(relative: &str) -> String {
    format!(
        "{}/../../shared/corpus/en16931-cen-tc434/{relative}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A fresh folder holding these files (relative path, bytes).
fn folder(files: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "intake-cli-e2e-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    for (path, bytes) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    dir
}

fn text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

/// The session `intake submit FILE` creates (same name, same key) for
/// one sample invoice, created as by an earlier run that stopped there.
async fn earlier_run(app: &TestApp, file: &str) -> Session {
    let set = intake_cli::FileSet::collect(&[file.into()], u64::MAX).expect("files");
    let batch = set.batches(2000, &app.api_key, None).remove(0);
    let request = CreateSession {
        files: vec![FileSpec {
            name: file.to_owned(),
            content_type: "application/xml".into(),
            size: Some(sample_invoice().len() as u64),
        }],
        ..CreateSession::default()
    };
    app.client
        .create_session(&request, Some(&batch.session_key))
        .await
        .expect("the earlier run's session")
        .body
}

/// The tenant's jobs (one page: the tests make a few).
async fn jobs(app: &TestApp) -> Vec<JobStatus> {
    app.client
        .jobs(None, Page::default())
        .await
        .expect("the tenant's jobs")
        .jobs
}

const UBL: &str = "ubl/examples/ubl-tc434-example1.xml";
const CII: &str = "cii/examples/CII_example1.xml";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_wait_prints_one_result_line_per_file_and_exits_0() {
    // Arrange
    let app = spawn_app().await;
    let (ubl, cii) = (corpus(UBL), corpus(CII));

    // Act
    let run = intake(&app, "submit", &["--wait", &ubl, &cii]).await;

    // Assert
    assert_eq!(run.code, 0, "{}", run.err);
    let mut lines = run.lines();
    lines.sort_by_key(|line| line["file"].as_str().map(str::to_owned));
    assert_eq!(lines.len(), 2, "{}", run.out);
    assert_eq!(lines[0]["file"], cii.as_str());
    assert_eq!(lines[0]["document"]["syntax"], "CII");
    assert_eq!(lines[1]["file"], ubl.as_str());
    assert_eq!(lines[1]["document"]["syntax"], "UBL");
    for line in &lines {
        assert_eq!(line["status"], "succeeded", "{line}");
        assert!(
            line["file_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("fil_")),
            "{line}"
        );
        assert!(line["sha256"].is_string(), "{line}");
    }
    assert!(run.err.contains("uploaded 2/2"), "{}", run.err);
    assert!(run.err.contains("processed 2/2"), "{}", run.err);
    assert_eq!(jobs(&app).await.len(), 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_the_same_submit_again_resumes_its_job_instead_of_making_another() {
    // Arrange
    let app = spawn_app().await;
    let (ubl, cii) = (corpus(UBL), corpus(CII));
    let first = intake(&app, "submit", &[&ubl, &cii]).await;
    assert_eq!(first.code, 0, "{}", first.err);

    // Act: the same files, in another order, then waiting for them.
    let second = intake(&app, "submit", &[&cii, &ubl]).await;
    let waited = intake(&app, "submit", &["--wait", &ubl, &cii]).await;

    // Assert
    assert_eq!(second.code, 0, "{}", second.err);
    assert_eq!(waited.code, 0, "{}", waited.err);
    let job = &first.lines()[0];
    assert!(
        job["job_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("job_")),
        "{job}"
    );
    assert_eq!(job["files"], 2);
    assert_eq!(second.lines(), first.lines());
    assert_eq!(waited.lines().len(), 2, "{}", waited.out);
    let listed = jobs(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(job["job_id"], listed[0].job_id.as_str());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_resumes_a_session_an_earlier_run_created_but_never_uploaded() {
    // Arrange: the session the command would create, created by an earlier
    // run that stopped before its uploads (same files, same key).
    let app = spawn_app().await;
    let dir = folder(&[("a.xml", sample_invoice())]);
    let file = text(&dir.join("a.xml"));
    let earlier = earlier_run(&app, &file).await;

    // Act
    let run = intake(&app, "submit", &["--wait", &file]).await;

    // Assert
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(run.lines()[0]["status"], "succeeded", "{}", run.out);
    let listed = jobs(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].session_id, earlier.id);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_upload_window_closed_unconfirmed_is_a_clear_error() {
    // Arrange: an earlier run's session (same files, same key) whose
    // one-second upload window closed before it was confirmed.
    let mut options = AppOptions::default();
    options.settings.upload_url_ttl = Duration::from_secs(1);
    let app = spawn_app_with(options).await;
    let dir = folder(&[("a.xml", sample_invoice())]);
    let file = text(&dir.join("a.xml"));
    earlier_run(&app, &file).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Act
    let run = intake(&app, "submit", &[&file]).await;

    // Assert
    assert_eq!(run.code, 1, "{}", run.err);
    assert!(
        run.err.contains("expired before it was confirmed"),
        "{}",
        run.err
    );
    assert!(jobs(&app).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_fails_gives_its_error_line_and_exit_1() {
    // Arrange
    let app = spawn_app().await;
    let dir = folder(&[
        ("good.xml", sample_invoice()),
        ("notes.xml", b"just text".to_vec()),
    ]);

    // Act
    let run = intake(&app, "submit", &["--wait", &text(&dir)]).await;

    // Assert
    assert_eq!(run.code, 1, "{}", run.err);
    let lines = run.lines();
    let notes = lines
        .iter()
        .find(|line| line["file"] == text(&dir.join("notes.xml")).as_str())
        .expect("the failed file's line");
    assert_eq!(notes["status"], "failed", "{notes}");
    assert_eq!(notes["error"]["code"], "unsupported_document", "{notes}");
    let good = lines
        .iter()
        .find(|line| line["file"] == text(&dir.join("good.xml")).as_str())
        .expect("the good file's line");
    assert_eq!(good["status"], "succeeded", "{good}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_is_submitted_with_its_subfolders_and_out_writes_one_file_each() {
    // Arrange
    let app = spawn_app().await;
    let dir = folder(&[
        ("top.xml", sample_invoice()),
        (
            "deep/er/credit.xml",
            std::fs::read(corpus("ubl/examples/ubl-tc434-creditnote1.xml")).expect("read"),
        ),
        (".hidden.xml", b"never sent".to_vec()),
    ]);
    let out = dir.with_extension("out");

    // Act
    let run = intake(&app, "submit", &["--out", &text(&out), &text(&dir)]).await;

    // Assert
    assert_eq!(run.code, 0, "{}", run.err);
    let mut files: Vec<String> = run
        .lines()
        .iter()
        .map(|line| line["file"].as_str().expect("file").to_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            text(&dir.join("deep/er/credit.xml")),
            text(&dir.join("top.xml"))
        ]
    );
    let written = out.join(
        text(&dir.join("deep/er/credit.xml"))
            .trim_start_matches('/')
            .to_owned()
            + ".json",
    );
    let entry: Value =
        serde_json::from_str(&std::fs::read_to_string(&written).expect("the written result"))
            .expect("JSON");
    assert_eq!(entry["document"]["kind"], "credit_note");
    assert_eq!(
        entry["file"],
        text(&dir.join("deep/er/credit.xml")).as_str()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_split_into_sessions_at_the_per_session_maximum() {
    // Arrange: a stack that holds 2 files per session.
    let mut options = AppOptions::default();
    options.settings.max_files_per_session = 2;
    let app = spawn_app_with(options).await;
    let dir = folder(&[
        ("1.xml", sample_invoice()),
        ("2.xml", std::fs::read(corpus(CII)).expect("read")),
        (
            "3.xml",
            std::fs::read(corpus("ubl/examples/ubl-tc434-creditnote1.xml")).expect("read"),
        ),
    ]);

    // Act
    let unsplit = intake(&app, "submit", &[&text(&dir)]).await;
    let split = intake(
        &app,
        "submit",
        &["--wait", "--files-per-session", "2", &text(&dir)],
    )
    .await;

    // Assert: 3 files in one session are refused; in two they are not.
    assert_eq!(unsplit.code, 1, "{}", unsplit.err);
    assert!(unsplit.err.contains("too_many_files"), "{}", unsplit.err);
    assert_eq!(split.code, 0, "{}", split.err);
    assert_eq!(split.lines().len(), 3, "{}", split.out);
    let listed = jobs(&app).await;
    let mut sizes: Vec<u32> = listed.iter().map(|job| job.progress.total).collect();
    sizes.sort();
    assert_eq!(sizes, [1, 2]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_submit_waits_out_retry_after_and_succeeds() {
    // Arrange: 1 request per second with a burst of 2, far fewer than a
    // submit with --wait makes (create, confirm, extract, polls, result).
    let app = spawn_app_with(AppOptions {
        rate_limit: Some(RateLimit::new(1, 2).expect("non-zero")),
        ..AppOptions::default()
    })
    .await;
    let started = Instant::now();

    // Act
    let run = intake(&app, "submit", &["--wait", &corpus(UBL)]).await;

    // Assert: without honouring the 429s it would have stopped with exit 1.
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(run.lines()[0]["status"], "succeeded", "{}", run.out);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_bad_usage_and_exits_2() {
    // Arrange
    let mut app = spawn_app().await;
    app.api_key = "not-a-key".into();

    // Act
    let run = intake(&app, "submit", &[&corpus(UBL)]).await;

    // Assert
    assert_eq!(run.code, 2, "{}", run.err);
    assert!(run.err.contains("401 unauthorized"), "{}", run.err);
    assert!(run.out.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_result_read_a_submitted_job() {
    // Arrange
    let app = spawn_app().await;
    let dir = folder(&[("a.xml", sample_invoice())]);
    let submitted = intake(&app, "submit", &["--wait", &text(&dir)]).await;
    assert_eq!(submitted.code, 0, "{}", submitted.err);
    let job_id = jobs(&app).await.remove(0).job_id;
    let out = folder(&[]).join("results");

    // Act
    let status = intake(&app, "status", &[&job_id]).await;
    let result = intake(&app, "result", &["--out", &text(&out), &job_id]).await;
    let unknown = intake(&app, "status", &["job_01J9Z5R8D2F4G6H8J0K2M4N6P8"]).await;

    // Assert
    assert_eq!(status.code, 0, "{}", status.err);
    let status = &status.lines()[0];
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(
        status["files"].as_array().map(Vec::len),
        Some(1),
        "{status}"
    );
    assert_eq!(result.code, 0, "{}", result.err);
    let entry = &result.lines()[0];
    assert_eq!(entry["document"]["syntax"], "UBL", "{entry}");
    let name = entry["name"]
        .as_str()
        .expect("name")
        .trim_start_matches('/')
        .to_owned();
    assert!(out.join(name + ".json").is_file());
    assert_eq!(unknown.code, 1, "{}", unknown.err);
    assert!(unknown.err.contains("job_not_found"), "{}", unknown.err);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_of_a_running_job_is_refused_with_exit_1() {
    // Arrange: a stack without workers, so the job stays queued.
    let app = spawn_app_with(AppOptions {
        pollers: 0,
        ..AppOptions::default()
    })
    .await;
    let submitted = intake(&app, "submit", &[&corpus(UBL)]).await;
    let job_id = submitted.lines()[0]["job_id"]
        .as_str()
        .expect("job id")
        .to_owned();

    // Act
    let result = intake(&app, "result", &[&job_id]).await;

    // Assert
    assert_eq!(result.code, 1, "{}", result.err);
    assert!(result.err.contains("job_not_finished"), "{}", result.err);
    let raw = app
        .send(app.request(Method::GET, &format!("/jobs/{job_id}/result")))
        .await;
    raw.assert_problem(409, "job_not_finished");
    app.stop().await;
}
