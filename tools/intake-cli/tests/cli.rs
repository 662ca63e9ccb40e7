//! Black-box tests of the `intake` binary against contract/api.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corpus(rel: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .join(rel)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(args)
        .output()
        .expect("spawn intake")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 stdout")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stdout line is JSON"))
        .collect()
}

fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("intake-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write temp file");
    p
}

#[test]
fn extracts_an_xml_invoice_as_one_json_line() {
    // Arrange
    let path = corpus("en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml");
    // Act
    let out = run(&["extract".as_ref(), path.as_os_str()]);
    // Assert
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let l = lines(&out);
    assert_eq!(l.len(), 1);
    assert_eq!(
        l[0]["file"],
        Value::String(path.to_string_lossy().into_owned())
    );
    assert_eq!(l[0]["document"]["syntax"], "UBL");
    assert_eq!(l[0]["document"]["container"], "xml");
    assert!(l[0]["invoice"]["number"].is_string());
    assert!(l[0].get("error").is_none());
}

#[test]
fn unreadable_file_gives_an_error_line_and_exit_1_without_stopping() {
    // Arrange
    let missing = Path::new("/nonexistent/intake/missing.xml");
    let good = corpus("en16931-cen-tc434/cii/examples/CII_example1.xml");
    // Act
    let out = run(&["extract".as_ref(), missing.as_os_str(), good.as_os_str()]);
    // Assert
    assert_eq!(out.status.code(), Some(1));
    let l = lines(&out);
    assert_eq!(l.len(), 2, "one line per input, in order");
    assert_eq!(l[0]["file"], "/nonexistent/intake/missing.xml");
    assert_eq!(l[0]["error"]["code"], "unreadable_file");
    assert!(l[0]["error"]["message"].is_string());
    assert!(l[0].get("document").is_none());
    assert_eq!(l[1]["document"]["syntax"], "CII");
}

#[test]
fn unsupported_file_gives_unsupported_document() {
    // Arrange
    let order_x = corpus("akretion-factur-x/tests/fixtures/xml/order-x-basic.xml");
    let text = temp_file("notes.xml", b"just some text, not XML");
    // Act
    let out = run(&["extract".as_ref(), order_x.as_os_str(), text.as_os_str()]);
    // Assert
    assert_eq!(out.status.code(), Some(1));
    let l = lines(&out);
    assert_eq!(l.len(), 2);
    for line in &l {
        assert_eq!(line["error"]["code"], "unsupported_document", "{line}");
    }
}

#[test]
fn bad_usage_exits_2_with_nothing_on_stdout() {
    // Arrange
    let cases: &[&[&str]] = &[
        &[],
        &["extract"],
        &["frobnicate", "a.xml"],
        &["extract", "--bogus", "a.xml"],
    ];
    for args in cases {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        // Act
        let out = run(&args);
        // Assert
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .to_lowercase()
                .contains("usage"),
            "{args:?}"
        );
    }
}

#[test]
fn path_is_echoed_as_given() {
    // Arrange: a relative path, run from the corpus directory.
    let dir = corpus("");
    // Act
    let out = Command::new(env!("CARGO_BIN_EXE_intake"))
        .current_dir(&dir)
        .args([
            "extract",
            "./en16931-cen-tc434/ubl/examples/ubl-tc434-creditnote1.xml",
        ])
        .output()
        .expect("spawn intake");
    // Assert
    assert_eq!(out.status.code(), Some(0));
    let l = lines(&out);
    assert_eq!(
        l[0]["file"],
        "./en16931-cen-tc434/ubl/examples/ubl-tc434-creditnote1.xml"
    );
    assert_eq!(l[0]["document"]["kind"], "credit_note");
}

/// A loopback URL nothing listens on.
fn closed_api() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    format!("http://127.0.0.1:{port}")
}

fn submit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intake"))
        .arg("submit")
        .args(args)
        .env_remove("INTAKE_API_URL")
        .env_remove("INTAKE_API_KEY")
        .output()
        .expect("spawn intake")
}

#[test]
fn submit_to_an_unreachable_api_exits_2() {
    // Arrange
    let api = closed_api();
    let invoice = corpus("en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml");
    // Act
    let out = submit(&[
        "--api",
        &api,
        "--key",
        "k",
        invoice.to_str().expect("utf-8"),
    ]);
    // Assert
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn submit_without_api_key_or_paths_is_bad_usage() {
    // Arrange
    let api = closed_api();
    let invoice = corpus("en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml");
    let invoice = invoice.to_str().expect("utf-8");
    let cases: &[&[&str]] = &[
        &["--api", &api, invoice],
        &["--api", &api, "--key", "k"],
        &["--api", &api, "--key", "k", "--concurrency", "0", invoice],
        &["--api", "ftp://nowhere", "--key", "k", invoice],
    ];
    for args in cases {
        // Act
        let out = submit(args);
        // Assert
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_file_above_the_maximum_fails_before_any_request() {
    // Arrange: an API that cannot be reached, so only a check made before
    // any request can name the file.
    let api = closed_api();
    let big = temp_file("big.xml", &[b'x'; 64]);
    // Act
    let out = submit(&[
        "--api",
        &api,
        "--key",
        "k",
        "--max-file-bytes",
        "63",
        big.to_str().expect("utf-8"),
    ]);
    // Assert
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("more than the API's maximum of 63 bytes"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot be reached"), "{stderr}");
}

#[test]
fn a_missing_path_is_bad_usage() {
    let out = submit(&[
        "--api",
        &closed_api(),
        "--key",
        "k",
        "/nonexistent/intake/none.xml",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no such file or folder"), "{stderr}");
}

#[test]
fn status_of_an_unreachable_api_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["status", "--api", &closed_api(), "--key", "k", "job_1"])
        .output()
        .expect("spawn intake");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_api_and_key_come_from_the_environment() {
    // Arrange: an unreachable API, so that reaching for it shows the
    // environment was read (without it, the missing --api is bad usage).
    let api = closed_api();
    let invoice = corpus("en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml");
    // Act
    let out = Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["submit".as_ref(), invoice.as_os_str()])
        .env("INTAKE_API_URL", &api)
        .env("INTAKE_API_KEY", "k")
        .output()
        .expect("spawn intake");
    // Assert
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("the API at {api} cannot be reached")),
        "{stderr}"
    );
}
