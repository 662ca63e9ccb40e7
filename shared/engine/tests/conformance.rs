//! Runs every case of the official CEN/TC 434 per-rule unit tests
//! (shared/conformance/en16931, 1140 cases): a case passes when every
//! `expect.fatal` / `expect.warning` rule fires with that flag and no
//! `expect.not_fired` rule fires. Rules outside `expect` are ignored (the
//! cases are fragments and trip many unrelated rules).
//!
//! A failing case not in `KNOWN_FAILING` fails the test, and so does a known
//! failing case that passes (remove it from the list), so the pass count can
//! only go up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Cases known to fail, with the reason.
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// The pass count reached; a regression below it fails the test.
const FLOOR: usize = 1140;

fn conformance_dir() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/conformance/en16931"
    ))
    .to_path_buf()
}

/// The index's cases (file → case), checked to be the whole official set.
fn cases(dir: &Path) -> serde_json::Map<String, Value> {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("index.json")).expect("conformance index.json"),
    )
    .expect("index json");
    let cases = index["cases"].as_object().expect("cases").clone();
    assert_eq!(cases.len(), 1140, "the official set has 1140 cases");
    cases
}

/// The engine's (fatal, warning) rule-id sets for one case file.
fn verdict(dir: &Path, file: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let bytes = std::fs::read(dir.join(file)).expect("case file");
    let v = intake_engine::extract(&bytes)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .validation
        .expect("a UBL/CII case gets a verdict");
    (
        v.fatal.into_iter().collect(),
        v.warning.into_iter().collect(),
    )
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Why a case fails (empty when it passes).
fn judge(expect: &Value, fatal: &BTreeSet<String>, warning: &BTreeSet<String>) -> Vec<String> {
    let mut why = Vec::new();
    for r in strings(&expect["fatal"]) {
        if !fatal.contains(&r) {
            why.push(format!("{r} should fire (fatal)"));
        }
    }
    for r in strings(&expect["warning"]) {
        if !warning.contains(&r) {
            why.push(format!("{r} should fire (warning)"));
        }
    }
    for r in strings(&expect["not_fired"]) {
        if fatal.contains(&r) || warning.contains(&r) {
            why.push(format!("{r} should not fire"));
        }
    }
    why
}

#[test]
fn official_per_rule_cases() {
    // Arrange
    let dir = conformance_dir();
    let cases = cases(&dir);
    let known: BTreeSet<&str> = KNOWN_FAILING.iter().map(|(c, _)| *c).collect();
    let (mut passed, mut new_failures, mut fixed) = (0usize, Vec::new(), Vec::new());

    for (file, case) in &cases {
        // Act
        let (fatal, warning) = verdict(&dir, file);

        // Assert (collected)
        let why = judge(&case["expect"], &fatal, &warning);
        match (why.is_empty(), known.contains(file.as_str())) {
            (true, false) => passed += 1,
            (true, true) => fixed.push(file.clone()),
            (false, true) => {}
            (false, false) => new_failures.push(format!("{file}: {}", why.join("; "))),
        }
    }

    println!("conformance: {passed}/{} cases pass", cases.len());
    for f in &new_failures {
        println!("  FAIL {f}");
    }
    assert!(
        new_failures.is_empty(),
        "{} cases fail that are not in KNOWN_FAILING",
        new_failures.len()
    );
    assert!(
        fixed.is_empty(),
        "known failing cases now pass (remove them from KNOWN_FAILING): {fixed:#?}"
    );
    assert!(
        passed >= FLOOR,
        "pass count {passed} fell below the floor {FLOOR}"
    );
    assert_eq!(passed + known.len(), cases.len());
}

/// Rules whose full verdict still differs from the official artefacts on
/// some case, with the reason. A rule that no longer differs anywhere must
/// be removed (the test fails), so the list only shrinks.
const KNOWN_DIFFERENT_RULES: &[(&str, &str)] = &[
    ("BR-AF-04", "BR-IG-08-3.t05: IGIC category ' L ' (padded) on a document-level charge is read as AF by the engine, not by the artefacts"),
];

/// Stronger than `official_per_rule_cases`: every case's whole fatal and
/// warning sets (all rules, not just the case's own) must equal what the
/// official XSLT produced (`xslt` in index.json), except for the rules in
/// `KNOWN_DIFFERENT_RULES`.
#[test]
fn whole_verdicts_match_the_official_artefacts() {
    // Arrange
    let dir = conformance_dir();
    let cases = cases(&dir);
    let known: BTreeSet<&str> = KNOWN_DIFFERENT_RULES.iter().map(|(r, _)| *r).collect();
    let mut differing: BTreeSet<String> = BTreeSet::new();
    let mut unexplained = Vec::new();
    let mut exact = 0usize;

    for (file, case) in &cases {
        // Act
        let (fatal, warning) = verdict(&dir, file);

        // Assert (collected)
        let mut diffs = Vec::new();
        for (ours, key) in [(&fatal, "fatal"), (&warning, "warning")] {
            let theirs: BTreeSet<String> = strings(&case["xslt"][key]).into_iter().collect();
            diffs.extend(theirs.difference(ours).map(|r| (r.clone(), key, "missed")));
            diffs.extend(ours.difference(&theirs).map(|r| (r.clone(), key, "extra")));
        }
        if diffs.is_empty() {
            exact += 1;
        }
        for (rule, key, how) in diffs {
            if !known.contains(rule.as_str()) {
                unexplained.push(format!("{file}: {rule} {how} ({key})"));
            }
            differing.insert(rule);
        }
    }

    println!("whole verdicts: {exact}/{} cases identical", cases.len());
    let stale: Vec<&str> = known
        .iter()
        .copied()
        .filter(|r| !differing.contains(*r))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{} differences not in KNOWN_DIFFERENT_RULES: {unexplained:#?}",
        unexplained.len()
    );
    assert!(
        stale.is_empty(),
        "rules that no longer differ (remove them from KNOWN_DIFFERENT_RULES): {stale:?}"
    );
}
