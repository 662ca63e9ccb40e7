//! Runs the EN 16931 rule set on a parsed UBL / CII document and builds
//! result.md's `validation` object.

pub(crate) mod business;
pub(crate) mod catalogue;
mod cii_syntax;
pub(crate) mod codes;
pub(crate) mod rule;
mod ubl_restrictions;
mod ubl_syntax;

use crate::input::xml::Node;
use crate::model::Invoice;
use crate::output::{Validation, Violation};
use rule::{Out, Stylesheet};

/// `validation.engine`: which rule set and version ran.
pub const ENGINE: &str = "intake-en16931 (CEN/TC 434 rules v1.3.16)";

/// At most this many violations are listed (the id sets are always complete).
const MAX_VIOLATIONS: usize = 1000;

/// The verdict on a UBL document: the business rules on its model, the
/// syntax rules on its tree.
pub(crate) fn ubl(root: Node<'_>, inv: &Invoice, credit_note: bool) -> Validation {
    let mut out = Out::default();
    business::evaluate(inv, &mut out);
    codes::ubl(root, &mut out);
    crate::validation::ubl_syntax::check(root, credit_note, &mut out);
    crate::validation::ubl_restrictions::check(root, credit_note, &mut out);
    finish(out, root, Stylesheet::Ubl)
}

/// The verdict on a CII document: the business rules on its model, the
/// syntax rules on its tree.
pub(crate) fn cii(root: Node<'_>, inv: &Invoice) -> Validation {
    let mut out = Out::default();
    business::evaluate(inv, &mut out);
    codes::cii(root, &mut out);
    crate::validation::cii_syntax::check(root, &mut out);
    finish(out, root, Stylesheet::Cii)
}

fn finish(out: Out, root: Node<'_>, stylesheet: Stylesheet) -> Validation {
    let mut fatal: Vec<String> = Vec::new();
    let mut warning: Vec<String> = Vec::new();
    let mut violations = Vec::new();
    for f in out.fired {
        // Every check names a rule of its own syntax's stylesheet; a rule
        // the stylesheet does not have cannot be part of its verdict.
        let Some((is_fatal, message)) = f.rule.binding(stylesheet) else {
            debug_assert!(false, "{} is not a rule of {stylesheet:?}", f.rule.id);
            continue;
        };
        let list = if is_fatal { &mut fatal } else { &mut warning };
        list.push(f.rule.id.to_owned());
        if violations.len() < MAX_VIOLATIONS {
            violations.push(Violation {
                rule: f.rule.id.to_owned(),
                severity: if is_fatal { "fatal" } else { "warning" }.to_owned(),
                message: message.to_owned(),
                path: Some(root.location(f.at)),
            });
        }
    }
    fatal.sort();
    fatal.dedup();
    warning.sort();
    warning.dedup();
    Validation {
        engine: ENGINE.to_owned(),
        valid: fatal.is_empty(),
        fatal,
        warning,
        violations,
    }
}
