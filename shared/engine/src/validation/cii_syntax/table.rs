//! Tables of asserts whose test is a plain relative path (absent, at most
//! once, exactly once), evaluated on one context node. A table is indexed by
//! the first path step, so a context node is scanned once, child by child,
//! whatever the number of rules.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{RAM, UDT};
use crate::hash::FastHash;
use crate::input::xml::Node;
use crate::validation::rule::{Out, Rule};

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    /// `not(path)`.
    Absent,
    /// `not(path) or <exception>`.
    AbsentUnless(Except),
    /// `count(path) <= 1`.
    AtMostOne,
    /// `count(path) = 1`.
    One,
}

/// Context-dependent exceptions of some CII-DT rules.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Except {
    /// `self::ram:AdditionalReferencedDocument and ram:TypeCode=(codes)`,
    /// the type code as written.
    Additional(&'static [&'static str]),
    /// `self::ram:<name>`.
    SelfIs(&'static str),
    /// `ancestor::ram:ApplicableHeaderTradeSettlement`.
    InHeaderSettlement,
}

/// One assert. `path` is relative to the context: steps separated by `/`,
/// `ram:` by default, `udt:` when prefixed, a final `@name` for an attribute.
pub(super) struct Assert {
    pub(super) rule: &'static Rule,
    pub(super) kind: Kind,
    pub(super) path: &'static str,
}

/// `not(pre+last)`; the split only keeps the tables readable.
macro_rules! no {
    ($id:literal, $pre:literal, $last:literal) => {
        $crate::validation::cii_syntax::table::Assert {
            rule: $crate::validation::rule::rule!($id),
            kind: $crate::validation::cii_syntax::table::Kind::Absent,
            path: concat!($pre, $last),
        }
    };
}
pub(super) use no;

/// Any kind.
macro_rules! r {
    ($kind:expr, $id:literal, $path:literal) => {
        $crate::validation::cii_syntax::table::Assert {
            rule: $crate::validation::rule::rule!($id),
            kind: $kind,
            path: $path,
        }
    };
}
pub(super) use r;

struct Index {
    /// Rule positions by the local name of their first step.
    by_first: HashMap<&'static str, Vec<u8>, FastHash>,
    /// Rules testing an attribute of the context itself.
    on_self: Vec<u8>,
    /// Count rules, in table order; `count_slot[i]` is rule i's counter.
    counted: Vec<u8>,
    count_slot: Vec<u8>,
}

pub(super) struct Table {
    rules: &'static [Assert],
    index: OnceLock<Index>,
}

const MAX_RULES: usize = 128;
const MAX_COUNTED: usize = 32;

impl Table {
    pub(super) const fn new(rules: &'static [Assert]) -> Table {
        Table {
            rules,
            index: OnceLock::new(),
        }
    }

    #[cfg(test)]
    pub(super) fn rules(&self) -> &'static [Assert] {
        self.rules
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            assert!(self.rules.len() <= MAX_RULES);
            let mut ix = Index {
                by_first: HashMap::default(),
                on_self: Vec::new(),
                counted: Vec::new(),
                count_slot: vec![u8::MAX; self.rules.len()],
            };
            for (i, r) in self.rules.iter().enumerate() {
                let i = u8::try_from(i).unwrap_or(u8::MAX);
                if matches!(r.kind, Kind::AtMostOne | Kind::One) {
                    ix.count_slot[usize::from(i)] = u8::try_from(ix.counted.len()).unwrap_or(0);
                    ix.counted.push(i);
                }
                let first = r.path.split('/').next().unwrap_or("");
                if first.starts_with('@') {
                    ix.on_self.push(i);
                } else {
                    ix.by_first.entry(first).or_default().push(i);
                }
            }
            assert!(ix.counted.len() <= MAX_COUNTED);
            ix
        })
    }

    /// Runs every rule of the table on the context node `ctx`, which is
    /// where each failed assert is reported (the SVRL location).
    pub(super) fn run(&self, ctx: Node<'_>, in_header: bool, out: &mut Out) {
        let ix = self.index();
        let mut fired = [false; MAX_RULES];
        let mut counts = [0usize; MAX_COUNTED];
        for &i in &ix.on_self {
            let r = &self.rules[usize::from(i)];
            if ctx.attr(&r.path[1..]).is_some() && !excepted(r.kind, ctx, in_header) {
                out.fire(r.rule, ctx);
            }
        }
        for child in ctx.children() {
            if child.ns() != RAM {
                continue;
            }
            let Some(list) = ix.by_first.get(child.local_name()) else {
                continue;
            };
            for &i in list {
                let i = usize::from(i);
                let r = &self.rules[i];
                let rest = r.path.split_once('/').map_or("", |(_, rest)| rest);
                match r.kind {
                    Kind::Absent | Kind::AbsentUnless(_) => {
                        if !fired[i] && count(child, rest, 1) > 0 {
                            fired[i] = true;
                            if !excepted(r.kind, ctx, in_header) {
                                out.fire(r.rule, ctx);
                            }
                        }
                    }
                    Kind::AtMostOne | Kind::One => {
                        counts[usize::from(ix.count_slot[i])] += count(child, rest, usize::MAX);
                    }
                }
            }
        }
        for (slot, &i) in ix.counted.iter().enumerate() {
            let r = &self.rules[usize::from(i)];
            let n = counts[slot];
            if (r.kind == Kind::AtMostOne && n > 1) || (r.kind == Kind::One && n != 1) {
                out.fire(r.rule, ctx);
            }
        }
    }
}

fn excepted(kind: Kind, ctx: Node<'_>, in_header: bool) -> bool {
    match kind {
        Kind::AbsentUnless(Except::Additional(codes)) => {
            ctx.is(RAM, "AdditionalReferencedDocument")
                && ctx
                    .children_named(RAM, "TypeCode")
                    .any(|t| codes.contains(&t.raw_text()))
        }
        Kind::AbsentUnless(Except::SelfIs(name)) => ctx.is(RAM, name),
        Kind::AbsentUnless(Except::InHeaderSettlement) => in_header,
        _ => false,
    }
}

/// Number of nodes (up to `limit`) matched by the relative path `rest`
/// below `n`; the empty path matches `n` itself.
pub(super) fn count(n: Node<'_>, rest: &str, limit: usize) -> usize {
    if rest.is_empty() {
        return 1;
    }
    let (step, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if let Some(attr) = step.strip_prefix('@') {
        return usize::from(n.attr(attr).is_some());
    }
    let (ns, local) = match step.strip_prefix("udt:") {
        Some(l) => (UDT, l),
        None => (RAM, step),
    };
    let mut total = 0;
    for c in n.children_named(ns, local) {
        total += count(c, tail, limit - total);
        if total >= limit {
            break;
        }
    }
    total
}
