//! Prints the README's performance numbers: per format (UBL, CII, PDF from
//! the corpus) the median and p99 time per document, documents per second on
//! one core and MB/s; then the generated 1k/10k-line invoices.
//!
//! `cargo run --release -p intake-engine --example throughput [-- --write DIR]`
//! (`--write` also saves the generated invoices, e.g. for peak-RSS
//! measurements with `/usr/bin/time -v intake extract DIR/ubl-10000.xml`).

use std::time::{Duration, Instant};

use intake_engine::extract;

#[path = "../benches/gen.rs"]
mod gen;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

/// Times `rounds` passes over `docs` (after one warm-up pass); every single
/// extraction is one sample.
fn measure(docs: &[&[u8]], rounds: usize) -> (Vec<Duration>, Duration, usize) {
    for d in docs {
        let _ = std::hint::black_box(extract(d));
    }
    let mut samples = Vec::with_capacity(docs.len() * rounds);
    let mut bytes = 0;
    let t0 = Instant::now();
    for _ in 0..rounds {
        for d in docs {
            let t = Instant::now();
            let _ = std::hint::black_box(extract(std::hint::black_box(d)));
            samples.push(t.elapsed());
            bytes += d.len();
        }
    }
    let total = t0.elapsed();
    samples.sort();
    (samples, total, bytes)
}

fn report(label: &str, n_docs: usize, typical: usize, docs: &[&[u8]], rounds: usize) {
    let (s, total, bytes) = measure(docs, rounds);
    let per_s = s.len() as f64 / total.as_secs_f64();
    let mbs = bytes as f64 / 1e6 / total.as_secs_f64();
    println!(
        "| {label:<14} | {n_docs:>4} | {:>8} | {:>10} | {:>10} | {:>10.0} | {:>7.1} |",
        format!("{:.1} KB", typical as f64 / 1000.0),
        fmt(pct(&s, 0.5)),
        fmt(pct(&s, 0.99)),
        per_s,
        mbs
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1));

    let files = gen::corpus_files();
    println!("| format         | docs | median size | median | p99 | docs/s/core | MB/s |");
    println!("|---|---|---|---|---|---|---|");
    for f in ["UBL", "CII", "PDF"] {
        let docs: Vec<&[u8]> = files
            .iter()
            .filter(|(_, b)| gen::format_of(b) == Some(f))
            .map(|(_, b)| b.as_slice())
            .collect();
        let mut sizes: Vec<usize> = docs.iter().map(|d| d.len()).collect();
        sizes.sort();
        let rounds = (200_000 / docs.len().max(1)).clamp(20, 2000);
        report(f, docs.len(), sizes[sizes.len() / 2], &docs, rounds);
        if f != "PDF" {
            let small: Vec<&[u8]> = docs.iter().copied().filter(|d| d.len() <= 50_000).collect();
            let mut ss: Vec<usize> = small.iter().map(|d| d.len()).collect();
            ss.sort();
            report(
                &format!("{f} ≤ 50 KB"),
                small.len(),
                ss[ss.len() / 2],
                &small,
                rounds,
            );
        }
    }
    println!();
    println!("| generated | lines | size | median | p99 | per line | MB/s |");
    println!("|---|---|---|---|---|---|---|");
    for n in [1usize, 100, 1_000, 10_000] {
        for (name, doc) in [("UBL", gen::ubl_lines(n)), ("CII", gen::cii_lines(n))] {
            let rounds = (2_000 / n).clamp(20, 2000);
            let (s, total, bytes) = measure(&[&doc], rounds);
            let med = pct(&s, 0.5);
            println!(
                "| {name} | {n} | {:.2} MB | {} | {} | {:.2} µs | {:.1} |",
                doc.len() as f64 / 1e6,
                fmt(med),
                fmt(pct(&s, 0.99)),
                med.as_secs_f64() * 1e6 / n as f64,
                bytes as f64 / 1e6 / total.as_secs_f64()
            );
            if let Some(dir) = write_dir {
                std::fs::create_dir_all(dir).expect("mkdir");
                std::fs::write(format!("{dir}/{}-{n}.xml", name.to_lowercase()), &doc)
                    .expect("write");
            }
        }
    }
    if let Some(dir) = write_dir {
        // The largest input the engine accepts: a ~60 MB invoice.
        let big = gen::ubl_lines(52_000);
        std::fs::write(format!("{dir}/ubl-big.xml"), &big).expect("write");
        let ws = vec![b' '; 100 * 1024 * 1024];
        std::fs::write(format!("{dir}/whitespace-100mb.xml"), &ws).expect("write");
        let mut ws60 = b"<?xml version=\"1.0\"?>".to_vec();
        ws60.resize(60 * 1024 * 1024, b' ');
        std::fs::write(format!("{dir}/whitespace-60mb.xml"), &ws60).expect("write");
        println!("\nwrote generated files to {dir}");
    }
}
