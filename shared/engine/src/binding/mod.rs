//! The syntax bindings: each maps one XML tree into the EN 16931 semantic
//! model ([`crate::model`]), UBL 2.1 per EN 16931-3-2, CII D16B per
//! EN 16931-3-3, and ZUGFeRD 1.0 (the output terms only).

pub(crate) mod cii;
pub(crate) mod ubl;
pub(crate) mod zugferd1;

use crate::input::xml::{Node, Ns};
use crate::model::{Code, Num};

/// An `xs:boolean` cast of an element's text, as the artefacts' `x =
/// false()` / `x = true()` compare it: `None` where the cast fails (the
/// stylesheet then stops with an error and gives no verdict).
pub(crate) fn xs_boolean(text: &str) -> Option<bool> {
    match text.trim_matches([' ', '\t', '\n', '\r']) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `udt:DateTimeString[@format='102']` text of a CII date element (`udt`
/// is the dialect's namespace).
pub(crate) fn date102(n: Node<'_>, udt: Ns) -> Option<String> {
    n.children_named(udt, "DateTimeString")
        .find(|d| d.attr("format") == Some("102"))
        .map(|d| d.text().to_owned())
}

/// Text of the first element at `path` (empty when absent), for the
/// semantic builders of both syntaxes.
pub(crate) fn txt(n: Node<'_>, path: &[(Ns, &str)]) -> String {
    n.first(path)
        .map(|e| e.text().to_owned())
        .unwrap_or_default()
}

pub(crate) fn has(n: Node<'_>, path: &[(Ns, &str)]) -> bool {
    n.first(path).is_some()
}

pub(crate) fn num(n: Node<'_>, path: &[(Ns, &str)]) -> Option<Num> {
    n.first(path).map(|e| Num::new(e.raw_text()))
}

/// A category code element compared trimmed (UBL `normalize-space(cbc:ID)`).
pub(crate) fn code(e: Node<'_>) -> Code {
    Code {
        at: e.loc(),
        value: e.text().to_owned(),
        text: e.text().to_owned(),
    }
}

/// A category code element compared as written (CII `ram:CategoryCode = 'S'`:
/// an untyped node against a string, no whitespace normalisation).
pub(crate) fn exact_code(e: Node<'_>) -> Code {
    Code {
        at: e.loc(),
        value: e.raw_text().to_owned(),
        text: e.text().to_owned(),
    }
}

pub(crate) fn texts(n: Node<'_>, path: &[(Ns, &str)]) -> Vec<String> {
    n.all(path).iter().map(|e| e.text().to_owned()).collect()
}
