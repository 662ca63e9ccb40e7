//! A rule of the catalogue ([`super::catalogue`]) and the record of the
//! rules that fired on one document ([`Out`]).
//!
//! Checks name a rule by its id through [`rule!`], which looks it up at
//! compile time: an id the artefacts do not have does not build, and the
//! flag and message a violation reports are always the catalogue's.

use super::catalogue::RULES;
use crate::input::xml::Loc;

/// Flags of [`Rule`] bindings, as the catalogue writes them.
pub(crate) const F: bool = true;
pub(crate) const W: bool = false;

/// Which stylesheet's binding of a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stylesheet {
    Ubl,
    Cii,
}

/// One rule of the official artefacts: per syntax, whether it is fatal and
/// its message; `None` where that syntax's stylesheet does not have it.
#[derive(Debug)]
pub(crate) struct Rule {
    pub id: &'static str,
    pub ubl: Option<(bool, &'static str)>,
    pub cii: Option<(bool, &'static str)>,
}

impl Rule {
    /// (fatal, message) of the rule in `stylesheet`.
    pub(crate) fn binding(&self, stylesheet: Stylesheet) -> Option<(bool, &'static str)> {
        match stylesheet {
            Stylesheet::Ubl => self.ubl,
            Stylesheet::Cii => self.cii,
        }
    }
}

/// The catalogue entry of `id`, for ids built at run time.
pub(crate) fn find(id: &str) -> Option<&'static Rule> {
    RULES
        .binary_search_by(|r| r.id.as_bytes().cmp(id.as_bytes()))
        .ok()
        .map(|i| &RULES[i])
}

/// The catalogue entry of `id`. Meant for const contexts ([`rule!`]), where
/// an unknown id stops the build.
pub(crate) const fn lookup(id: &str) -> &'static Rule {
    let (mut lo, mut hi) = (0, RULES.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        match compare(RULES[mid].id.as_bytes(), id.as_bytes()) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return &RULES[mid],
        }
    }
    panic!("rule id not in the catalogue of the artefacts")
}

const fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return if a[i] < b[i] {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
        }
        i += 1;
    }
    if a.len() < b.len() {
        std::cmp::Ordering::Less
    } else if a.len() > b.len() {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// `rule!("BR-S-08")`: the catalogue entry, found while compiling.
macro_rules! rule {
    ($id:expr) => {{
        const RULE: &'static $crate::validation::rule::Rule = $crate::validation::rule::lookup($id);
        RULE
    }};
}
pub(crate) use rule;

/// One fired assertion.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub rule: &'static Rule,
    /// The context element of the artefact's rule.
    pub at: Loc,
}

/// The assertions that fired on one document, in the order they fired.
#[derive(Default)]
pub(crate) struct Out {
    pub fired: Vec<Fired>,
}

impl Out {
    /// Reports `rule` at `at`.
    pub(crate) fn fire(&mut self, rule: &'static Rule, at: impl Into<Loc>) {
        self.fired.push(Fired {
            rule,
            at: at.into(),
        });
    }

    /// Reports `rule` at `at` unless `ok`.
    pub(crate) fn check(&mut self, ok: bool, rule: &'static Rule, at: impl Into<Loc>) {
        if !ok {
            self.fire(rule, at);
        }
    }
}

/// Tests write expected locations short: the SVRL location of `at` without
/// its `*:` and `[namespace-uri()='…']` parts (`/Invoice[1]/InvoiceLine[2]`).
#[cfg(test)]
pub(crate) fn short_location(root: crate::input::xml::Node<'_>, at: Loc) -> String {
    let mut s = root.location(at).replace("/*:", "/");
    while let Some(start) = s.find("[namespace-uri()='") {
        let Some(len) = s[start..].find("']") else {
            break;
        };
        s.replace_range(start..start + len + 2, "");
    }
    s
}

/// Tests compare (rule, short location) pairs, sorted: what `out` fired.
#[cfg(test)]
pub(crate) fn fired_at(
    root: crate::input::xml::Node<'_>,
    out: &Out,
) -> Vec<(&'static str, String)> {
    let mut got: Vec<(&'static str, String)> = out
        .fired
        .iter()
        .map(|f| (f.rule.id, short_location(root, f.at)))
        .collect();
    got.sort();
    got
}

/// Expected (rule, short location) pairs, sorted like [`fired_at`].
#[cfg(test)]
pub(crate) fn expected(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> =
        pairs.iter().map(|(r, l)| (*r, (*l).to_owned())).collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_sorted_so_lookups_find_every_id() {
        // Arrange
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        // Act
        let found: Vec<&str> = ids.iter().map(|id| lookup(id).id).collect();
        // Assert
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        assert_eq!(found, ids);
    }

    #[test]
    fn a_rule_keeps_the_flag_and_message_of_each_stylesheet() {
        // Arrange: BR-51 is a warning in UBL and fatal in CII.
        let br51 = rule!("BR-51");
        // Act
        let (ubl, cii) = (br51.binding(Stylesheet::Ubl), br51.binding(Stylesheet::Cii));
        // Assert
        assert_eq!(ubl.map(|b| b.0), Some(W));
        assert_eq!(cii.map(|b| b.0), Some(F));
        assert!(cii.is_some_and(|b| b.1.contains("(BT-97)")));
        assert!(rule!("UBL-CR-001").cii.is_none());
    }

    /// The message as tools/catalogue/generate.py writes it: whitespace
    /// runs folded, the "[ID]-" lead removed.
    fn folded(id: &str, text: &str) -> String {
        let text = text.replace('\u{a0}', " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let lead = format!("[{id}]");
        match text.strip_prefix(&lead) {
            Some(rest) => rest
                .trim_start()
                .trim_start_matches('-')
                .trim_start()
                .to_owned(),
            None => text,
        }
    }

    /// (id, fatal, message) of every failed-assert of one official stylesheet.
    fn stylesheet(name: &str) -> Vec<(String, bool, String)> {
        use crate::input::xml::Tree;
        let path = format!(
            "{}/../../../shared/artefacts/en16931-1.3.16/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let tree = Tree::parse(&bytes).expect("the stylesheet is well-formed XML");
        let root = tree.root();
        let mut asserts: Vec<(String, bool, String)> = root
            .descendants()
            .filter(|n| n.local_name() == "failed-assert")
            .map(|n| {
                let attribute = |name: &str| {
                    n.children()
                        .find(|c| c.local_name() == "attribute" && c.attr("name") == Some(name))
                        .map(|c| c.text().to_owned())
                        .unwrap_or_default()
                };
                let id = attribute("id");
                let text = n
                    .children()
                    .find(|c| c.local_name() == "text")
                    .map(|c| c.text().to_owned())
                    .unwrap_or_default();
                let message = folded(&id, &text);
                (id, attribute("flag") == "fatal", message)
            })
            .collect();
        asserts.sort();
        asserts
    }

    fn catalogue(
        binding: impl Fn(&Rule) -> Option<(bool, &'static str)>,
    ) -> Vec<(String, bool, String)> {
        RULES
            .iter()
            .filter_map(|r| binding(r).map(|(fatal, m)| (r.id.to_owned(), fatal, m.to_owned())))
            .collect()
    }

    #[test]
    fn catalogue_is_the_artefacts() {
        // Arrange: the official stylesheets beside the checkout.
        let ubl = stylesheet("EN16931-UBL-validation.xslt");
        let cii = stylesheet("EN16931-CII-validation.xslt");
        // Act
        let (our_ubl, our_cii) = (catalogue(|r| r.ubl), catalogue(|r| r.cii));
        // Assert: same rules, flags and messages (run `make catalogue` after
        // an artefact update).
        assert_eq!((ubl.len(), cii.len()), (979, 806));
        assert_eq!(our_ubl, ubl);
        assert_eq!(our_cii, cii);
    }
}
