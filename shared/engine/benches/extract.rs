//! `cargo bench -p intake-engine --bench extract -- --warm-up-time 1 --measurement-time 3`
//!
//! Criterion groups per format over the corpus (throughput in bytes), and
//! generated 1,000 / 10,000-line UBL and CII invoices to show the cost is
//! linear in the line count. Median/p99/docs-per-second figures for the README
//! come from `examples/throughput.rs`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use intake_engine::extract;

#[path = "gen.rs"]
mod gen;

fn corpus(c: &mut Criterion) {
    let files = gen::corpus_files();
    for fmt in ["UBL", "CII", "PDF"] {
        let docs: Vec<&Vec<u8>> = files
            .iter()
            .filter(|(_, b)| gen::format_of(b) == Some(fmt))
            .map(|(_, b)| b)
            .collect();
        let bytes: usize = docs.iter().map(|d| d.len()).sum();
        let mut g = c.benchmark_group(format!("corpus/{fmt}"));
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(format!("all {} docs", docs.len()), |b| {
            b.iter(|| {
                for d in &docs {
                    let _ = std::hint::black_box(extract(d));
                }
            })
        });
        g.finish();
    }
}

fn lines(c: &mut Criterion) {
    let mut g = c.benchmark_group("lines");
    g.sample_size(10);
    for n in [1_000usize, 10_000] {
        for (name, doc) in [("UBL", gen::ubl_lines(n)), ("CII", gen::cii_lines(n))] {
            assert_eq!(
                extract(&doc)
                    .expect("generated")
                    .invoice
                    .map(|i| i.lines.len()),
                Some(n)
            );
            g.throughput(Throughput::Bytes(doc.len() as u64));
            g.bench_with_input(BenchmarkId::new(name, n), &doc, |b, d| {
                b.iter(|| extract(std::hint::black_box(d)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, corpus, lines);
criterion_main!(benches);
