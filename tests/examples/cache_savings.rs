//! What a document-cache hit saves, measured on the emulators:
//! `cargo run --release -p intake-tests --example cache_savings` with the
//! emulators' variables exported (`.local/emulators.env`).
//!
//! The worker's use case (`Intake::process_batch`) runs one delivery at a
//! time, so each time is one file's whole worker-side path: start, S3 read,
//! hash, cache lookup, engine (on a miss), index, finish, cache write (on a
//! miss), count. Two workloads: `FILES` distinct corpus-sized invoices, then
//! one invoice of `LARGE_LINES` lines; each run as misses, then as hits
//! (the same bytes in a second job), then on a stack whose cache is off
//! (`INTAKE_CACHE_TTL_SECS=0`: what the cache's own calls cost a miss). The
//! engine alone is timed on the same bytes, and the bytes each path reads
//! and writes are counted.

use std::time::{Duration, Instant};

use intake_domain::model::QueueMessage;
use intake_domain::ports::DocumentEngine;
use intake_domain::processing::{Delivery, DeliveryOutcome};
use intake_tests::{invoice_with_lines, renumbered_invoice, spawn_app_with, AppOptions, TestApp};
use serde_json::Value;

const FILES: usize = 200;
const LARGE_LINES: usize = 10_000;

/// A submitted job of `documents` whose work messages the measurement
/// delivers itself (the app has no pollers).
async fn submitted(app: &TestApp, documents: &[Vec<u8>]) -> Vec<Delivery> {
    let named: Vec<(String, Vec<u8>)> = documents
        .iter()
        .enumerate()
        .map(|(i, bytes)| (format!("file-{i:04}.xml"), bytes.clone()))
        .collect();
    let documents: Vec<(&str, &str, Vec<u8>)> = named
        .iter()
        .map(|(name, bytes)| (name.as_str(), "application/xml", bytes.clone()))
        .collect();
    let session = app.confirmed_session(&documents).await;
    app.submit_for_delivery(&session).await.1
}

/// Each delivery alone, in turn: one file's worker-side time each.
async fn process_one_by_one(app: &TestApp, deliveries: &[Delivery]) -> Vec<Duration> {
    let mut times = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let started = Instant::now();
        let outcomes = app
            .intake
            .process_batch(
                std::slice::from_ref(delivery),
                intake_tests::function_deadline(),
            )
            .await;
        times.push(started.elapsed());
        assert_eq!(outcomes, [DeliveryOutcome::Done]);
    }
    times
}

/// The job's result entries, in pages (large results are a 303 whole).
async fn entries(app: &TestApp, deliveries: &[Delivery]) -> Vec<Value> {
    let QueueMessage::File(message) = &deliveries[0].message else {
        unreachable!("file deliveries")
    };
    let page = app
        .get(&format!("/jobs/{}/result?limit=1000", message.job_id))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.body["results"].as_array().expect("results").clone()
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Median and mean in milliseconds.
fn summary(times: &[Duration]) -> (f64, f64) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = millis(sorted[sorted.len() / 2]);
    let mean = millis(times.iter().sum::<Duration>()) / times.len() as f64;
    (median, mean)
}

fn engine_time(documents: &[Vec<u8>]) -> Vec<Duration> {
    let engine = intake_extractor::Engine;
    documents
        .iter()
        .map(|bytes| {
            let started = Instant::now();
            engine.extract(bytes).expect("an invoice");
            started.elapsed()
        })
        .collect()
}

/// The bytes of one file's cached extraction: what a miss writes to the
/// cache and a hit reads from it.
fn extraction_bytes(entry: &Value) -> usize {
    ["document", "invoice", "validation"]
        .iter()
        .filter_map(|member| entry.get(*member))
        .map(|value| serde_json::to_vec(value).map_or(0, |json| json.len()))
        .sum()
}

/// Processes `documents` as the misses of a first job, the hits of a
/// second one and, on `uncached` (an app whose cache is off), as files
/// that neither look the cache up nor write it.
async fn measure(app: &TestApp, uncached: &TestApp, label: &str, documents: &[Vec<u8>]) {
    let misses = submitted(app, documents).await;
    let hits = submitted(app, documents).await;
    let without_cache = submitted(uncached, documents).await;
    let runs = app.engine_runs();
    let miss_times = process_one_by_one(app, &misses).await;
    let after_misses = app.engine_runs();
    let hit_times = process_one_by_one(app, &hits).await;
    assert_eq!(
        app.engine_runs(),
        after_misses,
        "every second copy was a hit"
    );
    let uncached_times = process_one_by_one(uncached, &without_cache).await;
    let miss_entries = entries(app, &misses).await;
    let hit_entries = entries(app, &hits).await;
    assert!(miss_entries.iter().all(|entry| entry["cache"] == "miss"));
    assert!(hit_entries.iter().all(|entry| entry["cache"] == "hit"));
    let engine = engine_time(documents);

    let upload = documents.iter().map(Vec::len).sum::<usize>() / documents.len();
    let cached = miss_entries.iter().map(extraction_bytes).sum::<usize>() / miss_entries.len();
    println!(
        "{label}: {} files, engine ran {} times",
        documents.len(),
        after_misses - runs
    );
    for (what, times) in [
        ("worker time per file, miss", &miss_times),
        ("worker time per file, hit", &hit_times),
        ("worker time per file, cache off", &uncached_times),
        ("engine alone (what a hit skips)", &engine),
    ] {
        let (median, mean) = summary(times);
        println!("  {what}: median {median:.1} ms, mean {mean:.1} ms");
    }
    println!(
        "  per file: upload read {upload} B (miss and hit); extraction {cached} B written to the cache (miss) or read from it (hit)"
    );
}

#[tokio::main]
async fn main() {
    let options = || AppOptions {
        pollers: 0,
        webhook_pollers: 0,
        ..AppOptions::default()
    };
    let app = spawn_app_with(options()).await;
    let mut off = options();
    off.settings.cache_ttl = Duration::ZERO;
    let uncached = spawn_app_with(off).await;
    let corpus_sized: Vec<Vec<u8>> = (0..FILES)
        .map(|i| renumbered_invoice(&format!("MEASURE-{i}")))
        .collect();
    measure(
        &app,
        &uncached,
        "corpus-sized invoices (21.5 KB)",
        &corpus_sized,
    )
    .await;
    measure(
        &app,
        &uncached,
        "one 10 000-line invoice",
        &[invoice_with_lines(LARGE_LINES)],
    )
    .await;
    app.stop().await;
    uncached.stop().await;
}
