//! A small, bounded, namespace-aware element tree built from quick-xml pull events.
//!
//! Why a tree and not pure streaming extraction: the EN 16931 mappings are
//! path-shaped (with predicates such as "the tax scheme is VAT"), and a compact
//! tree makes them read like the standard's XPath while memory stays bounded by
//! the (already capped) input size. Safety properties:
//! * no DTD processing: a `<!DOCTYPE` is rejected, so no internal/external
//!   entities can ever be defined, let alone expanded;
//! * only the five predefined entities and character references are resolved;
//! * nesting depth and element count are bounded;
//! * input must be UTF-8 (or start with a UTF-8 BOM) and be complete (every
//!   element closed, exactly one root).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::EngineError;

/// Deeper nesting than this is not a real invoice and would only cost stack/memory.
pub(crate) const MAX_DEPTH: usize = 128;
/// Element count cap; the biggest real invoices have some tens of thousands.
pub(crate) const MAX_ELEMENTS: usize = 2_000_000;
/// Attributes (namespace declarations included) on one element. Real invoices
/// use a handful; the cap also bounds quick-xml's quadratic duplicate check.
pub(crate) const MAX_ATTRIBUTES: usize = 64;
/// Namespace declarations in scope at once. Every element name is resolved by
/// a linear search through them, so this bounds the cost per element.
pub(crate) const MAX_NS_IN_SCOPE: usize = 256;

const NONE: u32 = u32::MAX;

/// One element, 40 bytes: the name borrows the input, text and attributes
/// live in side tables, children are a linked list.
#[derive(Debug)]
struct Element<'a> {
    name: &'a str,
    ns: u32,
    /// Index into `Tree::texts`; 0 is the empty text.
    text: u32,
    attrs_start: u32,
    attrs_len: u32,
    first_child: u32,
    next_sibling: u32,
}

/// An immutable parsed document. Node 0 is the root element.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    namespaces: Vec<String>,
    nodes: Vec<Element<'a>>,
    texts: Vec<String>,
    attrs: Vec<(&'a str, String)>,
}

fn malformed(msg: impl std::fmt::Display) -> EngineError {
    EngineError::MalformedXml(msg.to_string())
}

/// `part` as a sub-slice of `src` (quick-xml's slice reader hands out
/// borrowed names), so the tree can point into the input instead of copying.
fn sub_str<'a>(src: &'a str, part: &[u8]) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
    src.get(start..start.checked_add(part.len())?)
}

fn u32_of(n: usize) -> Result<u32, EngineError> {
    u32::try_from(n).map_err(|_| malformed("document too large"))
}

struct Frame {
    node: u32,
    last_child: u32,
    ns_decls: usize,
}

impl<'a> Tree<'a> {
    /// Parses a complete document, or fails with `malformed_xml`.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Tree<'a>, EngineError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let src: &'a str =
            std::str::from_utf8(bytes).map_err(|e| malformed(format!("not valid UTF-8: {e}")))?;
        let mut reader = NsReader::from_str(src);
        // Mismatched end tags are errors; keep the defaults that make them so.
        reader.config_mut().check_end_names = true;
        reader.config_mut().allow_unmatched_ends = false;

        let mut tree = Tree {
            namespaces: vec![String::new()],
            nodes: Vec::new(),
            texts: vec![String::new()],
            attrs: Vec::new(),
        };
        let mut stack: Vec<Frame> = Vec::new();
        let mut ns_in_scope = 0usize;
        let mut root_closed = false;

        loop {
            let pos = reader.buffer_position();
            let (res, event) = reader
                .read_resolved_event()
                .map_err(|e| malformed(format!("after byte {pos}: {e}")))?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    if root_closed {
                        return Err(malformed("content after the root element"));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(malformed(format!("nesting deeper than {MAX_DEPTH}")));
                    }
                    if tree.nodes.len() >= MAX_ELEMENTS {
                        return Err(malformed(format!("more than {MAX_ELEMENTS} elements")));
                    }
                    let ns = match res {
                        ResolveResult::Bound(ns) => {
                            let uri = std::str::from_utf8(ns.as_ref())
                                .map_err(|e| malformed(format!("namespace: {e}")))?;
                            tree.intern_ns(uri)?
                        }
                        ResolveResult::Unbound => 0,
                        ResolveResult::Unknown(p) => {
                            return Err(malformed(format!(
                                "undeclared namespace prefix {:?}",
                                String::from_utf8_lossy(&p)
                            )))
                        }
                    };
                    let local = e.local_name();
                    let name = sub_str(src, local.as_ref())
                        .ok_or_else(|| malformed("element name is not plain text"))?;
                    let attrs_start = u32_of(tree.attrs.len())?;
                    let mut n_attrs = 0usize;
                    let mut ns_decls = 0usize;
                    for a in e.attributes() {
                        n_attrs += 1;
                        if n_attrs > MAX_ATTRIBUTES {
                            return Err(malformed(format!(
                                "more than {MAX_ATTRIBUTES} attributes on one element"
                            )));
                        }
                        let a = a.map_err(|e| malformed(format!("attribute: {e}")))?;
                        // Namespace declarations are not data.
                        let key = a.key;
                        if key.as_namespace_binding().is_some() {
                            ns_decls += 1;
                            continue;
                        }
                        let local = sub_str(src, key.local_name().as_ref())
                            .ok_or_else(|| malformed("attribute name is not plain text"))?;
                        let value = a
                            .unescape_value()
                            .map_err(|e| malformed(format!("attribute value: {e}")))?
                            .into_owned();
                        tree.attrs.push((local, value));
                    }
                    ns_in_scope += ns_decls;
                    if ns_in_scope > MAX_NS_IN_SCOPE {
                        return Err(malformed(format!(
                            "more than {MAX_NS_IN_SCOPE} namespace declarations in scope"
                        )));
                    }
                    let idx = u32_of(tree.nodes.len())?;
                    tree.nodes.push(Element {
                        name,
                        ns,
                        text: 0,
                        attrs_start,
                        attrs_len: u32_of(tree.attrs.len())? - attrs_start,
                        first_child: NONE,
                        next_sibling: NONE,
                    });
                    if let Some(parent) = stack.last_mut() {
                        if parent.last_child == NONE {
                            tree.nodes[parent.node as usize].first_child = idx;
                        } else {
                            tree.nodes[parent.last_child as usize].next_sibling = idx;
                        }
                        parent.last_child = idx;
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(Frame {
                            node: idx,
                            last_child: NONE,
                            ns_decls,
                        });
                    } else {
                        ns_in_scope -= ns_decls;
                        if stack.is_empty() {
                            root_closed = true;
                        }
                    }
                }
                Event::End(_) => {
                    let Some(frame) = stack.pop() else {
                        return Err(malformed("unmatched end tag"));
                    };
                    ns_in_scope -= frame.ns_decls;
                    if stack.is_empty() {
                        root_closed = true;
                    }
                }
                Event::Text(t) => {
                    let s = t
                        .xml10_content()
                        .map_err(|e| malformed(format!("text: {e}")))?;
                    match stack.last() {
                        Some(f) => tree.push_text(f.node, &s, true),
                        None if s.trim().is_empty() => {}
                        None => return Err(malformed("text outside the root element")),
                    }
                }
                Event::CData(t) => {
                    let s =
                        std::str::from_utf8(&t).map_err(|e| malformed(format!("CDATA: {e}")))?;
                    match stack.last() {
                        Some(f) => tree.push_text(f.node, s, false),
                        None => return Err(malformed("CDATA outside the root element")),
                    }
                }
                Event::GeneralRef(r) => {
                    let c = resolve_ref(&r)?;
                    match stack.last() {
                        Some(f) => tree.push_text(f.node, c.encode_utf8(&mut [0; 4]), false),
                        None => return Err(malformed("reference outside the root element")),
                    }
                }
                Event::DocType(_) => {
                    // Refusing DTDs outright removes every entity-expansion and
                    // external-entity attack surface.
                    return Err(malformed("DOCTYPE declarations are not accepted"));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !stack.is_empty() {
            return Err(malformed(
                "truncated document: unclosed elements at end of input",
            ));
        }
        if tree.nodes.is_empty() {
            return Err(malformed("no root element"));
        }
        Ok(tree)
    }

    /// Appends to an element's direct text. Leading whitespace is never
    /// observable (`text()` trims), so whitespace before any content is not
    /// stored: indentation between elements costs no memory.
    fn push_text(&mut self, node: u32, s: &str, skippable: bool) {
        let el = &mut self.nodes[node as usize];
        if el.text == 0 {
            if skippable && s.trim().is_empty() {
                return;
            }
            el.text = self.texts.len() as u32;
            self.texts.push(s.to_owned());
        } else {
            self.texts[el.text as usize].push_str(s);
        }
    }

    fn intern_ns(&mut self, uri: &str) -> Result<u32, EngineError> {
        if let Some(i) = self.namespaces.iter().position(|n| n == uri) {
            return u32_of(i);
        }
        self.namespaces.push(uri.to_owned());
        u32_of(self.namespaces.len() - 1)
    }

    pub(crate) fn root(&self) -> Node<'_> {
        Node { tree: self, idx: 0 }
    }
}

fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<char, EngineError> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            _ => Err(malformed("invalid character reference")),
        };
    }
    match r.as_ref() {
        b"lt" => Ok('<'),
        b"gt" => Ok('>'),
        b"amp" => Ok('&'),
        b"apos" => Ok('\''),
        b"quot" => Ok('"'),
        other => Err(malformed(format!(
            "undefined entity &{};",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// A borrowed handle to one element.
#[derive(Clone, Copy)]
pub(crate) struct Node<'t> {
    tree: &'t Tree<'t>,
    idx: u32,
}

impl<'t> Node<'t> {
    fn el(&self) -> &'t Element<'t> {
        &self.tree.nodes[self.idx as usize]
    }

    pub(crate) fn local_name(&self) -> &'t str {
        self.el().name
    }

    pub(crate) fn namespace(&self) -> &'t str {
        &self.tree.namespaces[self.el().ns as usize]
    }

    pub(crate) fn is(&self, ns: &str, local: &str) -> bool {
        self.local_name() == local && self.namespace() == ns
    }

    /// Direct text content, surrounding whitespace removed.
    pub(crate) fn text(&self) -> &'t str {
        self.tree.texts[self.el().text as usize].trim()
    }

    pub(crate) fn attr(&self, local: &str) -> Option<&'t str> {
        let el = self.el();
        let start = el.attrs_start as usize;
        self.tree.attrs[start..start + el.attrs_len as usize]
            .iter()
            .find(|(k, _)| *k == local)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = Node<'t>> + 't {
        let tree = self.tree;
        let mut next = self.el().first_child;
        std::iter::from_fn(move || {
            if next == NONE {
                return None;
            }
            let idx = next;
            next = tree.nodes[idx as usize].next_sibling;
            Some(Node { tree, idx })
        })
    }

    pub(crate) fn children_named<'a>(
        &self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = Node<'t>> + 'a
    where
        't: 'a,
    {
        self.children().filter(move |c| c.is(ns, local))
    }

    /// Every element matched by a relative child path (like XPath `a/b/c`).
    pub(crate) fn all(&self, path: &[(&str, &str)]) -> Vec<Node<'t>> {
        let mut cur = vec![*self];
        for (ns, local) in path {
            cur = cur
                .iter()
                .flat_map(|n| n.children_named(ns, local).collect::<Vec<_>>())
                .collect();
            if cur.is_empty() {
                break;
            }
        }
        cur
    }

    /// The first element in document order matched by a relative child path.
    pub(crate) fn first(&self, path: &[(&str, &str)]) -> Option<Node<'t>> {
        match path.split_first() {
            None => Some(*self),
            Some(((ns, local), rest)) => self.children_named(ns, local).find_map(|c| c.first(rest)),
        }
    }

    /// The non-empty text of the first element matched by `path` (document
    /// order, like `all(path)` filtered; depth-first so nothing is allocated).
    pub(crate) fn text_at(&self, path: &[(&str, &str)]) -> Option<String> {
        self.find_text(path).map(str::to_owned)
    }

    fn find_text(&self, path: &[(&str, &str)]) -> Option<&'t str> {
        match path.split_first() {
            None => Some(self.text()).filter(|t| !t.is_empty()),
            Some(((ns, local), rest)) => self
                .children_named(ns, local)
                .find_map(|c| c.find_text(rest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_attributes_and_entities() {
        // Arrange
        let doc = br#"<?xml version="1.0"?><a:r xmlns:a="urn:a"><a:x k="1&amp;2">t&lt;&#65;<![CDATA[<c>]]></a:x></a:r>"#;
        // Act
        let tree = Tree::parse(doc).expect("parse");
        // Assert
        let root = tree.root();
        assert!(root.is("urn:a", "r"));
        let x = root.first(&[("urn:a", "x")]).expect("x");
        assert_eq!(x.text(), "t<A<c>");
        assert_eq!(x.attr("k"), Some("1&2"));
    }

    #[test]
    fn rejects_doctype_and_custom_entities() {
        // Arrange
        let with_dtd = br#"<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>"#;
        let undefined_entity = b"<r>&e;</r>";
        // Act
        let a = Tree::parse(with_dtd);
        let b = Tree::parse(undefined_entity);
        // Assert
        assert!(matches!(a, Err(EngineError::MalformedXml(_))));
        assert!(matches!(b, Err(EngineError::MalformedXml(_))));
    }

    #[test]
    fn rejects_truncated_invalid_utf8_and_deep_documents() {
        // Arrange
        let truncated = b"<r><a>1</a>";
        let bad_utf8 = b"<r>\xff\xfe</r>";
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        let mismatched = b"<r><a></b></r>";
        // Act / Assert
        for input in [
            &truncated[..],
            &bad_utf8[..],
            deep.as_bytes(),
            &mismatched[..],
        ] {
            assert!(
                matches!(Tree::parse(input), Err(EngineError::MalformedXml(_))),
                "accepted {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn accepts_depth_at_the_limit() {
        // Arrange
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        // Act
        let tree = Tree::parse(ok.as_bytes());
        // Assert
        assert!(tree.is_ok());
    }
}
