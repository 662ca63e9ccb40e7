//! Runs `extract` over every XML/PDF of the shared corpus and compares, field
//! by field, with the oracle in shared/expected (fields read with XPath from
//! each document). Comparison rules mirror shared/tools/compare.py: amounts as
//! decimals, everything else as trimmed strings, VAT breakdown sorted by
//! (category, rate), lines positional.
//!
//! Any disagreement not in `ALLOWED` fails the test, so a regression (or a
//! new corpus file we get wrong) cannot slip in silently; an allowed entry
//! that no longer occurs fails too, so the list stays honest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Known, explained disagreements: (corpus-relative file, field, reason).
/// Fields `validation.fatal` / `validation.warning` compare the rule-id sets
/// with the official artefacts' verdict.
const ALLOWED: &[(&str, &str, &str)] = &[];

const SCALARS: &[(&str, Cmp)] = &[
    ("number", Cmp::Text),
    ("issue_date", Cmp::Text),
    ("type_code", Cmp::Text),
    ("currency", Cmp::Text),
    ("due_date", Cmp::Text),
    ("buyer_reference", Cmp::Text),
    ("seller.name", Cmp::Text),
    ("seller.vat_id", Cmp::Text),
    ("seller.country_code", Cmp::Text),
    ("buyer.name", Cmp::Text),
    ("buyer.vat_id", Cmp::Text),
    ("buyer.country_code", Cmp::Text),
    ("totals.line_net_total", Cmp::Num),
    ("totals.allowance_total", Cmp::Num),
    ("totals.charge_total", Cmp::Num),
    ("totals.tax_exclusive", Cmp::Num),
    ("totals.tax_total", Cmp::Num),
    ("totals.tax_inclusive", Cmp::Num),
    ("totals.prepaid", Cmp::Num),
    ("totals.rounding", Cmp::Num),
    ("totals.payable", Cmp::Num),
];
const LINE_FIELDS: &[(&str, Cmp)] = &[
    ("id", Cmp::Text),
    ("quantity", Cmp::Num),
    ("unit_code", Cmp::Text),
    ("net_amount", Cmp::Num),
    ("item_name", Cmp::Text),
    ("vat_category", Cmp::Text),
    ("vat_rate", Cmp::Num),
];
const VAT_FIELDS: &[(&str, Cmp)] = &[
    ("category", Cmp::Text),
    ("rate", Cmp::Num),
    ("taxable_amount", Cmp::Num),
    ("tax_amount", Cmp::Num),
];
const DOC_FIELDS: &[&str] = &[
    "syntax",
    "kind",
    "container",
    "attachment",
    "customization_id",
];

#[derive(Clone, Copy)]
enum Cmp {
    Text,
    Num,
}

fn shared_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).to_path_buf()
}

fn get<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(v, |cur, k| cur.get(k))
        .filter(|v| !v.is_null())
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// Canonical decimal: sign, digits without leading/trailing zeros, exponent.
fn decimal(s: &str) -> Option<(bool, String, i64)> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let exp = -(frac.len() as i64);
    let trimmed_lead = digits.trim_start_matches('0');
    let trimmed = trimmed_lead.trim_end_matches('0');
    if trimmed.is_empty() {
        return Some((false, String::new(), 0));
    }
    let exp = exp + (trimmed_lead.len() - trimmed.len()) as i64;
    Some((neg, trimmed.to_owned(), exp))
}

fn equal(a: Option<&Value>, b: Option<&Value>, cmp: Cmp) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let (a, b) = (as_text(a), as_text(b));
            if let Cmp::Num = cmp {
                if let (Some(x), Some(y)) = (decimal(&a), decimal(&b)) {
                    return x == y;
                }
            }
            a == b
        }
        _ => false,
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or("<absent>".into(), |v| v.to_string())
}

/// (field → (agree, total)) tally and the list of disagreements.
#[derive(Default)]
struct Report {
    tally: BTreeMap<String, (usize, usize)>,
    problems: BTreeSet<(String, String)>,
    details: Vec<String>,
}

impl Report {
    fn add(&mut self, file: &str, field: &str, ok: bool, detail: impl FnOnce() -> String) {
        let e = self.tally.entry(field.to_owned()).or_default();
        e.1 += 1;
        if ok {
            e.0 += 1;
        } else {
            self.problems.insert((file.to_owned(), field.to_owned()));
            self.details.push(format!("{file}: {field}: {}", detail()));
        }
    }
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn vat_sort_key(e: &Value) -> (String, Option<(bool, String, i64)>, String) {
    let rate = e.get("rate").map(as_text).unwrap_or_default();
    (
        e.get("category").map(as_text).unwrap_or_default(),
        decimal(&rate),
        rate,
    )
}

fn compare_list(
    r: &mut Report,
    file: &str,
    prefix: &str,
    o: Vec<Value>,
    p: Vec<Value>,
    fields: &[(&str, Cmp)],
) {
    if !o.is_empty() || !p.is_empty() {
        r.add(file, &format!("{prefix} count"), o.len() == p.len(), || {
            format!("expected {} got {}", o.len(), p.len())
        });
    }
    for (f, cmp) in fields {
        if !o.iter().chain(p.iter()).any(|e| e.get(*f).is_some()) {
            continue;
        }
        let mut bad = Vec::new();
        for i in 0..o.len().max(p.len()) {
            let a = o.get(i).and_then(|e| get(e, f));
            let b = p.get(i).and_then(|e| get(e, f));
            if !equal(a, b, *cmp) {
                bad.push(format!("[{i}] expected {} got {}", show(a), show(b)));
            }
        }
        let ok = o.len() == p.len() && bad.is_empty();
        r.add(file, &format!("{prefix}.{f}"), ok, || bad.join("; "));
    }
}

fn expected_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            expected_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json")
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('_'))
        {
            out.push(p);
        }
    }
}

#[test]
fn corpus_agrees_with_the_oracle() {
    // Arrange
    let shared = shared_dir();
    let mut oracle_files = Vec::new();
    expected_files(&shared.join("expected"), &mut oracle_files);
    oracle_files.sort();
    assert!(
        oracle_files.len() >= 100,
        "corpus oracle not found under {}",
        shared.display()
    );
    let mut r = Report::default();

    for of in &oracle_files {
        let oracle: Value =
            serde_json::from_str(&std::fs::read_to_string(of).expect("read oracle"))
                .expect("oracle json");
        let file = oracle["file"].as_str().expect("oracle file").to_owned();
        let bytes = std::fs::read(shared.join("corpus").join(&file)).expect("read corpus file");

        // Act
        let got = intake_engine::extract(&bytes);

        // Assert (collected; judged against ALLOWED at the end)
        let syntax = oracle["detected"]["syntax"].as_str().unwrap_or("unknown");
        let result = match got {
            Ok(ex) => serde_json::to_value(&ex).expect("serialise"),
            Err(e) => {
                // No invoice in the file: the engine must say so with the right code.
                let want = if file.ends_with(".pdf") {
                    "no_invoice_attachment"
                } else {
                    "unsupported_document"
                };
                r.add(
                    &file,
                    "error",
                    syntax == "unknown" && e.code() == want,
                    || format!("oracle syntax {syntax}, engine error {}: {e}", e.code()),
                );
                continue;
            }
        };
        r.add(&file, "error", syntax != "unknown", || {
            "engine found an invoice the oracle did not".into()
        });
        for f in DOC_FIELDS {
            let o = get(&oracle["detected"], f);
            let p = get(&result["document"], f);
            if o.is_some() || p.is_some() {
                r.add(
                    &file,
                    &format!("document.{f}"),
                    equal(o, p, Cmp::Text),
                    || format!("expected {} got {}", show(o), show(p)),
                );
            }
        }
        let oi = oracle.get("invoice").cloned().unwrap_or(Value::Null);
        let pi = result.get("invoice").cloned().unwrap_or(Value::Null);
        for (f, cmp) in SCALARS {
            let (o, p) = (get(&oi, f), get(&pi, f));
            if o.is_some() || p.is_some() {
                r.add(&file, f, equal(o, p, *cmp), || {
                    format!("expected {} got {}", show(o), show(p))
                });
            }
        }
        compare_list(
            &mut r,
            &file,
            "lines",
            list(&oi, "lines"),
            list(&pi, "lines"),
            LINE_FIELDS,
        );
        let mut ov = list(&oi, "vat_breakdown");
        let mut pv = list(&pi, "vat_breakdown");
        ov.sort_by_key(vat_sort_key);
        pv.sort_by_key(vat_sort_key);
        compare_list(&mut r, &file, "vat_breakdown", ov, pv, VAT_FIELDS);
        compare_validation(&mut r, &file, &oracle, &result);
    }

    let (mut agree, mut total) = (0, 0);
    let vf = r.tally.get("validation.fatal").copied().unwrap_or_default();
    println!("validation: {}/{} files agree on the fatal set", vf.0, vf.1);
    println!("field agreement (files agreeing / files where either side has the field):");
    for (f, (ok, n)) in &r.tally {
        println!("  {f:28} {ok}/{n}");
        if !f.starts_with("document.") && !f.starts_with("validation.") && f != "error" {
            agree += ok;
            total += n;
        }
    }
    println!("invoice fields: {agree}/{total} agree");
    for d in &r.details {
        println!("  DISAGREE {d}");
    }

    let allowed: BTreeSet<(String, String)> = ALLOWED
        .iter()
        .map(|(f, k, _)| (f.to_string(), k.to_string()))
        .collect();
    let new: Vec<_> = r.problems.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&r.problems).collect();
    assert!(
        new.is_empty(),
        "new disagreements with the oracle: {new:#?}"
    );
    assert!(
        stale.is_empty(),
        "allow-listed disagreements that no longer occur (remove them): {stale:#?}"
    );
}

fn id_set(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// `validation.fatal` / `validation.warning` as sets, where the oracle has a
/// verdict; where it has none (ZUGFeRD 1.0, no invoice) the engine must not
/// give one either.
fn compare_validation(r: &mut Report, file: &str, oracle: &Value, result: &Value) {
    let ov = oracle.get("validation");
    let pv = result.get("validation");
    let applicable = ov
        .and_then(|v| v.get("applicable"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && ov.and_then(|v| v.get("fatal")).is_some();
    if !applicable {
        r.add(file, "validation.absent", pv.is_none(), || {
            "the oracle has no verdict but the engine gave one".into()
        });
        return;
    }
    for key in ["fatal", "warning"] {
        let o = id_set(ov.and_then(|v| v.get(key)));
        let p = id_set(pv.and_then(|v| v.get(key)));
        r.add(file, &format!("validation.{key}"), o == p, || {
            let missing: Vec<_> = o.difference(&p).collect();
            let extra: Vec<_> = p.difference(&o).collect();
            format!("missing {missing:?} extra {extra:?}")
        });
    }
}

#[test]
fn decimal_comparison_ignores_trailing_zeros_only() {
    // Arrange / Act / Assert
    assert_eq!(decimal("100.00"), decimal("100"));
    assert_eq!(decimal("-0.50"), decimal("-.5"));
    assert_eq!(decimal("0.00"), decimal("-0"));
    assert_ne!(decimal("100.01"), decimal("100.1"));
    assert_ne!(decimal("10"), decimal("1"));
    assert_eq!(decimal("abc"), None);
}
