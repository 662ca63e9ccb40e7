//! Runs the EN 16931 rule set on a parsed UBL / CII document and builds
//! result.md's `validation` object.

pub(crate) mod business;
mod cii_syntax;
pub(crate) mod codes;
mod ubl_restrictions;
mod ubl_syntax;

use crate::input::xml::Node;
use crate::output::{Validation, Violation};
use business::Out;

/// `validation.engine`: which rule set and version ran.
pub const ENGINE: &str = "intake-en16931 (CEN/TC 434 rules v1.3.16)";

/// At most this many violations are listed (the id sets are always complete).
const MAX_VIOLATIONS: usize = 1000;

pub(crate) fn ubl(root: Node<'_>, credit_note: bool) -> Validation {
    let inv = crate::binding::ubl::build(root, credit_note);
    let mut out = Out::default();
    business::evaluate(&inv, &mut out);
    crate::validation::codes::ubl(root, &mut out);
    crate::validation::ubl_syntax::check(root, credit_note, &mut out);
    crate::validation::ubl_restrictions::check(root, credit_note, &mut out);
    finish(out)
}

pub(crate) fn cii(root: Node<'_>) -> Validation {
    let inv = crate::binding::cii::build(root);
    let mut out = Out::default();
    business::evaluate(&inv, &mut out);
    crate::binding::cii::codes(root, &mut out);
    crate::validation::cii_syntax::check(root, &mut out);
    finish(out)
}

fn finish(out: Out) -> Validation {
    let mut fatal: Vec<String> = Vec::new();
    let mut warning: Vec<String> = Vec::new();
    for f in &out.fired {
        let list = if f.fatal { &mut fatal } else { &mut warning };
        list.push(f.rule.to_owned());
    }
    fatal.sort();
    fatal.dedup();
    warning.sort();
    warning.dedup();
    let violations = out
        .fired
        .into_iter()
        .take(MAX_VIOLATIONS)
        .map(|f| Violation {
            rule: f.rule.to_owned(),
            severity: if f.fatal { "fatal" } else { "warning" }.to_owned(),
            message: f.message.to_owned(),
            path: Some(f.path).filter(|p| !p.is_empty()),
        })
        .collect();
    Validation {
        engine: ENGINE.to_owned(),
        valid: fatal.is_empty(),
        fatal,
        warning,
        violations,
    }
}
