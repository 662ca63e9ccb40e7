//! A small, bounded, namespace-aware element tree, parsed by hand from the
//! UTF-8 input.
//!
//! Why a tree and not pure streaming extraction: the EN 16931 mappings are
//! path-shaped (with predicates such as "the tax scheme is VAT"), and a compact
//! tree makes them read like the standard's XPath while memory stays bounded by
//! the (already capped) input size.
//!
//! Why our own parser: parsing was two thirds of the engine's time with a
//! general pull parser. This one borrows names, texts and attribute values
//! from the input (it copies only text that needs entity or line-end
//! decoding) and resolves every namespace declaration once to a small
//! integer, so a name test is an integer and a short string comparison.
//!
//! Safety properties:
//! * no DTD processing: a `<!DOCTYPE` is rejected, so no internal/external
//!   entities can ever be defined, let alone expanded;
//! * only the five predefined entities and character references are resolved;
//! * nesting depth, element count, attributes per element and namespace
//!   declarations in scope are bounded, so every step is linear in the input;
//! * input must be UTF-8 (or start with a UTF-8 BOM; `input::encoding`
//!   decodes documents written in another encoding first) and be complete
//!   (every element closed, exactly one root).

use std::borrow::Cow;
use std::collections::HashMap;

use memchr::{memchr, memchr2, memmem};

use crate::EngineError;

/// Deeper nesting than this is not a real invoice and would only cost stack/memory.
pub(crate) const MAX_DEPTH: usize = 128;
/// Element count cap; the biggest real invoices have some tens of thousands.
pub(crate) const MAX_ELEMENTS: usize = 2_000_000;
/// Attributes (namespace declarations included) on one element. Real invoices
/// use a handful; the cap also bounds the quadratic duplicate-attribute check.
pub(crate) const MAX_ATTRIBUTES: usize = 64;
/// Namespace declarations in scope at once. Every element's prefix is
/// resolved by a linear search through them, so this bounds the cost per
/// element.
pub(crate) const MAX_NS_IN_SCOPE: usize = 256;

/// An interned namespace. The namespaces the engine asks about have fixed
/// ids, so testing an element's namespace is an integer comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Ns(u32);

impl Ns {
    /// No namespace (no default namespace in scope, or `xmlns=""`).
    pub(crate) const NONE: Ns = Ns(0);
    pub(crate) const UBL_INVOICE: Ns = Ns(1);
    pub(crate) const UBL_CREDIT_NOTE: Ns = Ns(2);
    pub(crate) const UBL_CBC: Ns = Ns(3);
    pub(crate) const UBL_CAC: Ns = Ns(4);
    pub(crate) const UBL_EXT: Ns = Ns(11);
    pub(crate) const CII_RSM: Ns = Ns(5);
    pub(crate) const CII_RAM: Ns = Ns(6);
    pub(crate) const CII_UDT: Ns = Ns(7);
    pub(crate) const ZUGFERD1_RSM: Ns = Ns(8);
    pub(crate) const ZUGFERD1_RAM: Ns = Ns(9);
    pub(crate) const ZUGFERD1_UDT: Ns = Ns(10);
}

/// The URIs of the fixed ids, by id.
const KNOWN_NS: [&str; 12] = [
    "",
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
];

/// One element, 40 bytes: the name borrows the input, text and attributes
/// live in side tables. Elements are stored in document order, so an
/// element's descendants are the elements after it up to its `end`.
#[derive(Debug)]
struct Element<'a> {
    name: &'a str,
    ns: Ns,
    /// Index into `Tree::texts`; 0 is the empty text.
    text: u32,
    attrs_start: u32,
    attrs_len: u32,
    /// One past the index of the last descendant.
    end: u32,
}

/// An immutable parsed document. Node 0 is the root element.
#[derive(Debug)]
pub(crate) struct Tree<'a> {
    /// Namespaces other than `KNOWN_NS`, id `KNOWN_NS.len() + index`.
    other_ns: Vec<Cow<'a, str>>,
    other_ns_ids: HashMap<Cow<'a, str>, Ns>,
    nodes: Vec<Element<'a>>,
    /// Direct texts as written (from the first non-blank chunk on); borrowed
    /// from the input unless decoding changed them.
    texts: Vec<Cow<'a, str>>,
    /// (name, value) of every element's attributes that are in no
    /// namespace, in element order. XPath's `@name` selects exactly these;
    /// no rule or mapping asks for a namespaced attribute, so those are not
    /// kept.
    attrs: Vec<(&'a str, Cow<'a, str>)>,
}

fn malformed(msg: impl std::fmt::Display) -> EngineError {
    EngineError::MalformedXml(msg.to_string())
}

fn u32_of(n: usize) -> Result<u32, EngineError> {
    u32::try_from(n).map_err(|_| malformed("document too large"))
}

/// At most 64 characters of `s`, for error messages about huge names.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_xml_space(b[i]) {
        i += 1;
    }
    i
}

/// Bytes allowed in names: ASCII letters, digits, `-._:` and any non-ASCII
/// (the input is valid UTF-8, so a run of these never splits a character).
/// A table, because name scanning is the parser's innermost loop.
static NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':') || b >= 0x80;
        i += 1;
    }
    t
};

/// The first `needle` in `hay`. Most runs searched here (names, values,
/// indentation) are a few bytes long, where a plain loop beats the set-up
/// of a vectorised search; longer ones still get `memchr`.
#[inline]
fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    let near = &hay[..hay.len().min(32)];
    match near.iter().position(|&c| c == needle) {
        Some(i) => Some(i),
        None if hay.len() > near.len() => {
            memchr(needle, &hay[near.len()..]).map(|i| i + near.len())
        }
        None => None,
    }
}

fn scan_name(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && NAME_BYTE[b[i] as usize] {
        i += 1;
    }
    i
}

/// `qname` split at its colon; at most one, with non-empty parts.
fn split_qname(qname: &str) -> Option<(&str, &str)> {
    match find_byte(b':', qname.as_bytes()) {
        None => Some(("", qname)),
        Some(i) => {
            let (p, l) = (&qname[..i], &qname[i + 1..]);
            (!p.is_empty() && !l.is_empty() && find_byte(b':', l.as_bytes()).is_none())
                .then_some((p, l))
        }
    }
}

fn resolve_ref(name: &str) -> Result<char, EngineError> {
    if let Some(num) = name.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let code = if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(digits, radix).ok()
        } else {
            None
        };
        // XML 1.0 `Char`: no NUL, no other C0 control but tab/LF/CR, no
        // surrogates (`from_u32` refuses those), no U+FFFE/U+FFFF.
        return code
            .and_then(char::from_u32)
            .filter(|&c| {
                matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
            })
            .ok_or_else(|| malformed(format!("invalid character reference &{};", clip(name))));
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(malformed(format!("undefined entity &{};", clip(other)))),
    }
}

/// Character data with references resolved and line ends normalised (XML
/// 1.0 §2.11); in attribute values also tab/LF/CR become spaces (§3.3.3).
/// Borrowed when nothing needs decoding, which is the common case.
fn decode(s: &str, attribute: bool) -> Result<Cow<'_, str>, EngineError> {
    let b = s.as_bytes();
    let next_special = |from: usize| {
        let rest = &b[from..];
        let found = if attribute {
            rest.iter()
                .position(|&c| matches!(c, b'&' | b'\r' | b'\n' | b'\t'))
        } else {
            memchr2(b'&', b'\r', rest)
        };
        found.map_or(b.len(), |i| from + i)
    };
    let first = next_special(0);
    if first == b.len() {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut i = first;
    while i < b.len() {
        match b[i] {
            b'&' => {
                let semi = memchr(b';', &b[i + 1..])
                    .ok_or_else(|| malformed("unterminated entity reference"))?;
                out.push(resolve_ref(&s[i + 1..i + 1 + semi])?);
                i += semi + 2;
            }
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'\n' | b'\t' if attribute => {
                out.push(' ');
                i += 1;
            }
            _ => {
                let end = next_special(i);
                out.push_str(&s[i..end]);
                i = end;
            }
        }
    }
    Ok(Cow::Owned(out))
}

struct Frame<'a> {
    node: u32,
    /// `Parser::bindings` length before this element's declarations.
    bindings: usize,
    qname: &'a str,
}

/// Elements reserved at most before parsing (about 130 KB of tree): a
/// 100 KB invoice's worth.
const RESERVED_ELEMENTS: usize = 2048;
/// Invoices run at 40 to 80 bytes per element (tag names, indentation and
/// a short text): the reservation assumes the dense end of that.
const BYTES_PER_ELEMENT: usize = 48;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    tree: Tree<'a>,
    stack: Vec<Frame<'a>>,
    /// In-scope namespace declarations, innermost last: (prefix, namespace);
    /// the default namespace has the prefix "".
    bindings: Vec<(&'a str, Ns)>,
    root_closed: bool,
    /// Attribute names of the element being parsed (duplicate check).
    seen_attrs: Vec<&'a str>,
}

impl<'a> Tree<'a> {
    /// Parses a complete document, or fails with `malformed_xml`.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Tree<'a>, EngineError> {
        Parser::new(bytes, true)?.run(false)
    }

    /// Parses only up to the root element's start tag: enough to tell
    /// which document this is (the tree holds just the root).
    pub(crate) fn parse_root(bytes: &'a [u8]) -> Result<Tree<'a>, EngineError> {
        Parser::new(bytes, false)?.run(true)
    }

    pub(crate) fn root(&self) -> Node<'_> {
        Node { tree: self, idx: 0 }
    }

    fn namespace_uri(&self, ns: Ns) -> &str {
        let i = ns.0 as usize;
        match KNOWN_NS.get(i) {
            Some(uri) => uri,
            None => &self.other_ns[i - KNOWN_NS.len()],
        }
    }

    fn intern_ns(&mut self, uri: Cow<'a, str>) -> Result<Ns, EngineError> {
        if let Some(i) = KNOWN_NS.iter().position(|k| *k == uri) {
            return Ok(Ns(i as u32));
        }
        if let Some(&ns) = self.other_ns_ids.get(&uri) {
            return Ok(ns);
        }
        let ns = Ns(u32_of(KNOWN_NS.len() + self.other_ns.len())?);
        self.other_ns.push(uri.clone());
        self.other_ns_ids.insert(uri, ns);
        Ok(ns)
    }
}

impl<'a> Parser<'a> {
    /// A parser of `bytes`; with `reserve`, the tree is sized up front for
    /// the input, so that a typical invoice is parsed without the vectors
    /// growing step by step. At most [`RESERVED_ELEMENTS`]: a hostile
    /// document is refused before it costs memory, and a large one grows
    /// from there.
    fn new(bytes: &'a [u8], reserve: bool) -> Result<Parser<'a>, EngineError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let src =
            std::str::from_utf8(bytes).map_err(|e| malformed(format!("not valid UTF-8: {e}")))?;
        let elements = if reserve {
            (src.len() / BYTES_PER_ELEMENT).min(RESERVED_ELEMENTS)
        } else {
            0
        };
        let mut texts = Vec::with_capacity(elements + 1);
        texts.push(Cow::Borrowed(""));
        Ok(Parser {
            src,
            pos: 0,
            tree: Tree {
                other_ns: Vec::new(),
                other_ns_ids: HashMap::new(),
                nodes: Vec::with_capacity(elements),
                texts,
                attrs: Vec::with_capacity(elements / 4),
            },
            stack: Vec::new(),
            bindings: Vec::new(),
            root_closed: false,
            seen_attrs: Vec::new(),
        })
    }

    fn error(&self, at: usize, msg: impl std::fmt::Display) -> EngineError {
        malformed(format!("at byte {at}: {msg}"))
    }

    /// The end of input inside a construct that started at `at`.
    fn truncated(&self, at: usize, what: &str) -> EngineError {
        malformed(format!(
            "truncated document: unterminated {what} at byte {at}"
        ))
    }

    /// The position just after the next `needle` at or after `from`.
    fn past(&self, from: usize, needle: &[u8], what: &str) -> Result<usize, EngineError> {
        let b = self.src.as_bytes();
        memmem::find(&b[from.min(b.len())..], needle)
            .map(|i| from + i + needle.len())
            .ok_or_else(|| self.truncated(self.pos, what))
    }

    fn run(mut self, root_only: bool) -> Result<Tree<'a>, EngineError> {
        let b = self.src.as_bytes();
        loop {
            let lt = find_byte(b'<', &b[self.pos..]).map_or(b.len(), |i| self.pos + i);
            if lt > self.pos {
                self.text(&self.src[self.pos..lt])?;
            }
            if lt == b.len() {
                break;
            }
            self.pos = lt;
            let rest = &b[lt + 1..];
            self.pos = match rest.first() {
                Some(b'/') => self.end_tag()?,
                Some(b'?') => self.past(lt + 2, b"?>", "processing instruction")?,
                Some(b'!') if rest.starts_with(b"!--") => self.past(lt + 4, b"-->", "comment")?,
                Some(b'!') if rest.starts_with(b"![CDATA[") => {
                    let end = self.past(lt + 9, b"]]>", "CDATA section")?;
                    let Some(frame) = self.stack.last() else {
                        return Err(self.error(lt, "CDATA outside the root element"));
                    };
                    let node = frame.node;
                    let raw = &self.src[lt + 9..end - 3];
                    self.push_text(node, decode_line_ends(raw));
                    end
                }
                Some(b'!') if rest.starts_with(b"!DOCTYPE") => {
                    // Refusing DTDs outright removes every entity-expansion
                    // and external-entity attack surface.
                    return Err(malformed("DOCTYPE declarations are not accepted"));
                }
                Some(b'!') => return Err(self.error(lt, "unknown markup declaration")),
                _ => {
                    let end = self.start_tag()?;
                    if root_only {
                        return Ok(self.tree);
                    }
                    end
                }
            };
        }
        if !self.stack.is_empty() {
            return Err(malformed(
                "truncated document: unclosed elements at end of input",
            ));
        }
        if self.tree.nodes.is_empty() {
            return Err(malformed("no root element"));
        }
        Ok(self.tree)
    }

    fn text(&mut self, raw: &'a str) -> Result<(), EngineError> {
        match self.stack.last() {
            Some(frame) => {
                let node = frame.node;
                if self.tree.nodes[node as usize].text == 0 && raw.bytes().all(is_xml_space) {
                    // Indentation: never stored, so not decoded either.
                    return Ok(());
                }
                let text = decode(raw, false).map_err(|e| self.with_position(e))?;
                self.push_text(node, text);
                Ok(())
            }
            None if raw.bytes().all(is_xml_space) => Ok(()),
            None => Err(self.error(self.pos, "text outside the root element")),
        }
    }

    fn with_position(&self, e: EngineError) -> EngineError {
        match e {
            EngineError::MalformedXml(m) => self.error(self.pos, m),
            other => other,
        }
    }

    /// Appends to an element's direct text. A blank chunk before any content
    /// is not stored: indentation between elements costs no memory.
    fn push_text(&mut self, node: u32, s: Cow<'a, str>) {
        let el = &mut self.tree.nodes[node as usize];
        if el.text == 0 {
            if s.bytes().all(is_xml_space) {
                return;
            }
            el.text = self.tree.texts.len() as u32;
            self.tree.texts.push(s);
        } else {
            self.tree.texts[el.text as usize].to_mut().push_str(&s);
        }
    }

    /// Parses `<name attr="v" …>` or `<name …/>` at `self.pos`; returns the
    /// position after it.
    fn start_tag(&mut self) -> Result<usize, EngineError> {
        let at = self.pos;
        if self.root_closed {
            return Err(self.error(at, "content after the root element"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(at, format!("nesting deeper than {MAX_DEPTH}")));
        }
        if self.tree.nodes.len() >= MAX_ELEMENTS {
            return Err(self.error(at, format!("more than {MAX_ELEMENTS} elements")));
        }
        let b = self.src.as_bytes();
        let name_end = scan_name(b, at + 1);
        let qname = &self.src[at + 1..name_end];
        let (prefix, local) = split_qname(qname)
            .ok_or_else(|| self.error(at, format!("bad element name {:?}", clip(qname))))?;
        let attrs_start = u32_of(self.tree.attrs.len())?;
        let bindings_before = self.bindings.len();
        self.seen_attrs.clear();
        let mut p = name_end;
        let empty = loop {
            let q = skip_space(b, p);
            match b.get(q) {
                None => return Err(self.truncated(at, "start tag")),
                Some(b'>') => {
                    p = q + 1;
                    break false;
                }
                Some(b'/') if b.get(q + 1) == Some(&b'>') => {
                    p = q + 2;
                    break true;
                }
                Some(_) if q == p || qname.is_empty() => {
                    return Err(self.error(q, "unexpected character in a start tag"))
                }
                Some(_) => p = self.attribute(at, q)?,
            }
        };
        if self.bindings.len() > MAX_NS_IN_SCOPE {
            return Err(self.error(
                at,
                format!("more than {MAX_NS_IN_SCOPE} namespace declarations in scope"),
            ));
        }
        let ns = match self.bindings.iter().rev().find(|(p, _)| *p == prefix) {
            Some(&(_, ns)) => ns,
            None if prefix.is_empty() => Ns::NONE,
            None => {
                return Err(self.error(
                    at,
                    format!("undeclared namespace prefix {:?}", clip(prefix)),
                ))
            }
        };
        let idx = u32_of(self.tree.nodes.len())?;
        self.tree.nodes.push(Element {
            name: local,
            ns,
            text: 0,
            attrs_start,
            attrs_len: u32_of(self.tree.attrs.len())? - attrs_start,
            end: idx + 1,
        });
        if empty {
            self.bindings.truncate(bindings_before);
            self.root_closed = self.stack.is_empty();
        } else {
            self.stack.push(Frame {
                node: idx,
                bindings: bindings_before,
                qname,
            });
        }
        Ok(p)
    }

    /// Parses `name="value"` at `q` inside the start tag at `tag`: a
    /// namespace declaration goes to `bindings`, an attribute without prefix
    /// to the tree's attributes. A prefixed attribute is in a namespace (a
    /// default namespace never applies to attributes), so XPath's `@name`
    /// does not select it: it is checked like the others but not kept.
    /// Returns the position after the closing quote.
    fn attribute(&mut self, tag: usize, q: usize) -> Result<usize, EngineError> {
        let b = self.src.as_bytes();
        let name_end = scan_name(b, q);
        let name = &self.src[q..name_end];
        let prefixed = match split_qname(name) {
            Some((prefix, _)) => !prefix.is_empty(),
            None => return Err(self.error(q, format!("bad attribute name {:?}", clip(name)))),
        };
        let eq = skip_space(b, name_end);
        match b.get(eq) {
            Some(b'=') => {}
            None => return Err(self.truncated(tag, "start tag")),
            Some(_) => return Err(self.error(eq, "expected '=' after an attribute name")),
        }
        let open = skip_space(b, eq + 1);
        let quote = match b.get(open) {
            Some(&c @ (b'"' | b'\'')) => c,
            None => return Err(self.truncated(tag, "start tag")),
            Some(_) => return Err(self.error(open, "attribute value must be quoted")),
        };
        let close = find_byte(quote, &b[open + 1..])
            .map(|i| open + 1 + i)
            .ok_or_else(|| self.truncated(tag, "attribute value"))?;
        let raw = &self.src[open + 1..close];
        if find_byte(b'<', raw.as_bytes()).is_some() {
            return Err(self.error(open, "'<' in an attribute value"));
        }
        if self.seen_attrs.len() >= MAX_ATTRIBUTES {
            return Err(self.error(
                tag,
                format!("more than {MAX_ATTRIBUTES} attributes on one element"),
            ));
        }
        if self.seen_attrs.contains(&name) {
            return Err(self.error(q, format!("duplicate attribute {:?}", clip(name))));
        }
        self.seen_attrs.push(name);
        let value = decode(raw, true).map_err(|e| self.with_position(e))?;
        if name == "xmlns" {
            let ns = self.tree.intern_ns(value)?;
            self.bindings.push(("", ns));
        } else if let Some(prefix) = name.strip_prefix("xmlns:") {
            if value.is_empty() {
                return Err(self.error(q, format!("empty namespace for prefix {prefix:?}")));
            }
            let ns = self.tree.intern_ns(value)?;
            self.bindings.push((prefix, ns));
        } else if !prefixed {
            self.tree.attrs.push((name, value));
        }
        Ok(close + 1)
    }

    /// Parses `</name>` at `self.pos`; returns the position after it.
    fn end_tag(&mut self) -> Result<usize, EngineError> {
        let at = self.pos;
        let b = self.src.as_bytes();
        // Well-formed input repeats the open element's name: compare it
        // instead of scanning a name.
        let name_end = match self.stack.last() {
            Some(f)
                if b[at + 2..].starts_with(f.qname.as_bytes())
                    && !b
                        .get(at + 2 + f.qname.len())
                        .is_some_and(|&c| NAME_BYTE[c as usize]) =>
            {
                at + 2 + f.qname.len()
            }
            _ => scan_name(b, at + 2),
        };
        let qname = &self.src[at + 2..name_end];
        let close = skip_space(b, name_end);
        match b.get(close) {
            Some(b'>') => {}
            None => return Err(self.truncated(at, "end tag")),
            Some(_) => return Err(self.error(close, "unexpected character in an end tag")),
        }
        let Some(frame) = self.stack.pop() else {
            return Err(self.error(at, "unmatched end tag"));
        };
        if frame.qname != qname {
            return Err(self.error(
                at,
                format!(
                    "end tag </{}> does not match <{}>",
                    clip(qname),
                    clip(frame.qname)
                ),
            ));
        }
        // At most MAX_ELEMENTS, checked when each was added.
        self.tree.nodes[frame.node as usize].end = self.tree.nodes.len() as u32;
        self.bindings.truncate(frame.bindings);
        self.root_closed = self.stack.is_empty();
        Ok(close + 1)
    }
}

/// `a == b` for element names. Queries scan many siblings (every line of a
/// 10 000-line invoice for each header-level lookup), and names of the same
/// length are common, so names are compared first as two overlapping words
/// instead of through a `memcmp` call.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        // Most differing long names differ in their first or last 8 bytes.
        _ => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8) && a == b,
    }
}

/// CDATA content with line ends normalised (no references inside CDATA).
fn decode_line_ends(s: &str) -> Cow<'_, str> {
    if memchr(b'\r', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// An element of a parsed tree by position, kept by the validation so a
/// violation's location is rendered only when it is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Loc(u32);

impl From<Node<'_>> for Loc {
    fn from(n: Node<'_>) -> Loc {
        n.loc()
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

    pub(crate) fn ns(&self) -> Ns {
        self.el().ns
    }

    /// The namespace URI (for messages; tests use `ns`).
    pub(crate) fn namespace(&self) -> &'t str {
        self.tree.namespace_uri(self.el().ns)
    }

    pub(crate) fn is(&self, ns: Ns, local: &str) -> bool {
        let el = self.el();
        el.ns == ns && same_name(el.name, local)
    }

    /// Direct text content, surrounding XML whitespace (space, tab, CR, LF)
    /// removed: what `normalize-space` keeps at the ends.
    pub(crate) fn text(&self) -> &'t str {
        self.raw_text()
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
    }

    /// Direct text content as written, for the rules that measure the
    /// string itself (`string-length(substring-after(., '.'))`, exact
    /// comparisons). Whitespace before the first non-blank chunk of text is
    /// not kept (indentation costs no memory), so only text split by a
    /// comment, CDATA section or processing instruction differs from the
    /// XPath string value.
    pub(crate) fn raw_text(&self) -> &'t str {
        &self.tree.texts[self.el().text as usize]
    }

    /// The value of the attribute `name` in no namespace: XPath's `@name`
    /// (a prefixed attribute of the same local name is another attribute).
    pub(crate) fn attr(&self, name: &str) -> Option<&'t str> {
        self.attrs().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The attributes in no namespace as (name, value): XPath's `@*` but
    /// for the namespaced ones (namespace declarations are no attributes).
    pub(crate) fn attrs(&self) -> impl Iterator<Item = (&'t str, &'t str)> + 't {
        let el = self.el();
        let start = el.attrs_start as usize;
        self.tree.attrs[start..start + el.attrs_len as usize]
            .iter()
            .map(|(k, v)| (*k, &**v))
    }

    pub(crate) fn children(&self) -> impl Iterator<Item = Node<'t>> + 't {
        let tree = self.tree;
        let end = self.el().end;
        let mut next = self.idx + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let idx = next;
            next = tree.nodes[idx as usize].end;
            Some(Node { tree, idx })
        })
    }

    /// Every element below this one, in document order.
    pub(crate) fn descendants(&self) -> impl Iterator<Item = Node<'t>> + 't {
        let tree = self.tree;
        (self.idx + 1..self.el().end).map(move |idx| Node { tree, idx })
    }

    pub(crate) fn children_named<'a>(
        &self,
        ns: Ns,
        local: &'a str,
    ) -> impl Iterator<Item = Node<'t>> + 'a
    where
        't: 'a,
    {
        self.children().filter(move |c| c.is(ns, local))
    }

    /// Every element matched by a relative child path (like XPath `a/b/c`).
    pub(crate) fn all(&self, path: &[(Ns, &str)]) -> Vec<Node<'t>> {
        // Depth-first is document order for child paths: sibling subtrees
        // are disjoint and ordered.
        fn collect<'t>(n: Node<'t>, path: &[(Ns, &str)], out: &mut Vec<Node<'t>>) {
            match path.split_first() {
                None => out.push(n),
                Some((&(ns, local), rest)) => {
                    for c in n.children_named(ns, local) {
                        collect(c, rest, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        collect(*self, path, &mut out);
        out
    }

    /// `all(path).len()` without collecting.
    pub(crate) fn count(&self, path: &[(Ns, &str)]) -> usize {
        match path.split_first() {
            None => 1,
            Some((&(ns, local), rest)) => {
                self.children_named(ns, local).map(|c| c.count(rest)).sum()
            }
        }
    }

    /// The first element in document order matched by a relative child path.
    pub(crate) fn first(&self, path: &[(Ns, &str)]) -> Option<Node<'t>> {
        match path.split_first() {
            None => Some(*self),
            Some((&(ns, local), rest)) => {
                self.children_named(ns, local).find_map(|c| c.first(rest))
            }
        }
    }

    /// Where this element is, as a [`Loc`] the validation keeps until it
    /// renders the location of a violation.
    pub(crate) fn loc(&self) -> Loc {
        Loc(self.idx)
    }

    /// The location of `loc` (an element of this node's tree) in the form the
    /// artefacts' SVRL gives it (their "schematron-select-full-path" mode):
    /// `/*:Local[namespace-uri()='uri'][n]` per step from the root, `n` the
    /// 1-based position among the preceding siblings of the same name and
    /// namespace; a step without namespace is `/name[n]`.
    pub(crate) fn location(&self, loc: Loc) -> String {
        use std::fmt::Write;
        let tree = self.tree;
        let mut path = String::new();
        let mut step = |n: Node<'_>, position: usize| {
            let el = n.el();
            // Writing to a String cannot fail.
            let _ = if el.ns == Ns::NONE {
                write!(path, "/{}[{position}]", el.name)
            } else {
                let uri = tree.namespace_uri(el.ns);
                write!(path, "/*:{}[namespace-uri()='{uri}'][{position}]", el.name)
            };
        };
        let mut current = tree.root();
        step(current, 1);
        // Elements are in document order: the next step is the child whose
        // range holds the target.
        while current.idx != loc.0 {
            let Some(next) = current
                .children()
                .find(|c| c.idx <= loc.0 && loc.0 < c.el().end)
            else {
                break;
            };
            let (ns, name) = (next.el().ns, next.el().name);
            let preceding = current
                .children()
                .take_while(|c| c.idx < next.idx)
                .filter(|c| c.el().ns == ns && c.el().name == name)
                .count();
            step(next, preceding + 1);
            current = next;
        }
        path
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
        assert_eq!((root.namespace(), root.local_name()), ("urn:a", "r"));
        let x = root.children().next().expect("x");
        assert_eq!((x.namespace(), x.local_name()), ("urn:a", "x"));
        assert_eq!(x.text(), "t<A<c>");
        assert_eq!(x.attr("k"), Some("1&2"));
    }

    #[test]
    fn attributes_are_those_in_no_namespace_like_xpath_at_name() {
        // Arrange: a prefixed attribute is in its prefix's namespace, also
        // when declared after it on the same element; the default namespace
        // does not apply to attributes.
        let doc = br#"<r xmlns="urn:d"><a x:schemeID="ns" schemeID="plain" xmlns:x="urn:x"/><b x:schemeID="ns" xmlns:x="urn:x" name="n"/></r>"#;
        // Act
        let tree = Tree::parse(doc).expect("parse");
        // Assert
        let [a, b]: [Node<'_>; 2] = tree
            .root()
            .children()
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_else(|_| panic!("two children"));
        assert_eq!(a.attr("schemeID"), Some("plain"));
        assert_eq!(b.attr("schemeID"), None);
        assert_eq!(b.attrs().collect::<Vec<_>>(), [("name", "n")]);
    }

    #[test]
    fn normalises_line_ends_and_attribute_whitespace() {
        // Arrange
        let doc = b"<r a=\"x\ty\r\nz&#10;\"><t>one\r\ntwo\rthree</t><c><![CDATA[p\r\nq]]></c></r>";
        // Act
        let tree = Tree::parse(doc).expect("parse");
        // Assert
        let root = tree.root();
        let texts: Vec<&str> = root.children().map(|c| c.text()).collect();
        assert_eq!(root.attr("a"), Some("x y z\n"));
        assert_eq!(texts, ["one\ntwo\nthree", "p\nq"]);
    }

    #[test]
    fn children_and_descendants_follow_document_order() {
        // Arrange
        let doc = b"<r><a><b/><c><d/></c></a><e/></r>";
        // Act
        let tree = Tree::parse(doc).expect("parse");
        // Assert
        let root = tree.root();
        let names = |it: &mut dyn Iterator<Item = Node<'_>>| {
            it.map(|n| n.local_name().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(names(&mut root.children()), ["a", "e"]);
        assert_eq!(names(&mut root.descendants()), ["a", "b", "c", "d", "e"]);
        let a = root.children().next().expect("a");
        assert_eq!(names(&mut a.children()), ["b", "c"]);
        assert_eq!(names(&mut a.descendants()), ["b", "c", "d"]);
    }

    #[test]
    fn namespaces_are_scoped_and_interned() {
        // Arrange
        let doc = br#"<r xmlns="urn:x" xmlns:c="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><c:ID/><n xmlns=""><m/></n><o xmlns:c="urn:y"><c:ID/></o><x:p xmlns:x="urn:x"/></r>"#;
        // Act
        let tree = Tree::parse(doc).expect("parse");
        // Assert
        let all: Vec<(String, &str)> = tree
            .root()
            .descendants()
            .map(|n| (n.namespace().to_owned(), n.local_name()))
            .collect();
        assert_eq!(
            all,
            [
                (KNOWN_NS[Ns::UBL_CBC.0 as usize].to_owned(), "ID"),
                (String::new(), "n"),
                (String::new(), "m"),
                ("urn:x".to_owned(), "o"),
                ("urn:y".to_owned(), "ID"),
                ("urn:x".to_owned(), "p"),
            ]
        );
        let first = tree.root().children().next().expect("ID");
        assert!(first.is(Ns::UBL_CBC, "ID"));
        assert_eq!(
            tree.root().ns(),
            tree.root().children().last().expect("p").ns()
        );
    }

    #[test]
    fn rejects_malformed_tags_and_attributes() {
        // Arrange
        let cases: [&[u8]; 14] = [
            b"<r a=1/>",
            b"<r a=\"1\"b=\"2\"/>",
            b"<r a=\"1\" a=\"2\"/>",
            b"<r a=\"<\"/>",
            b"<r a/>",
            b"<r a=\"1/>",
            b"<a:b:c xmlns:a=\"urn:a\"/>",
            b"<r xmlns:p=\"\"/>",
            b"<r></s>",
            b"<r></r  x>",
            b"x<r/>",
            b"<![CDATA[x]]><r/>",
            b"<r>&amp</r>",
            b"<r><!ELEMENT r ANY></r>",
        ];
        // Act / Assert
        for input in cases {
            assert!(
                matches!(Tree::parse(input), Err(EngineError::MalformedXml(_))),
                "accepted {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn parse_root_stops_after_the_root_start_tag() {
        // Arrange: the rest of the document is not even well-formed.
        let doc = b"<?xml version=\"1.0\"?><!-- c --><r xmlns=\"urn:ferd:CrossIndustryDocument:invoice:1p0\"><unclosed>";
        // Act
        let tree = Tree::parse_root(doc).expect("root");
        // Assert
        assert_eq!(tree.root().ns(), Ns::ZUGFERD1_RSM);
        assert_eq!(tree.root().local_name(), "r");
        assert!(Tree::parse(doc).is_err());
    }

    #[test]
    fn word_wise_name_comparison_agrees_with_string_equality() {
        // Arrange: every length class, differences at the start, middle, end.
        let names: Vec<String> = (0..40)
            .map(|n| "abcdefghij".repeat(4)[..n].to_owned())
            .collect();
        for a in &names {
            for pos in 0..a.len() {
                let mut b = a.clone().into_bytes();
                b[pos] = b'X';
                let b = String::from_utf8(b).expect("ascii");
                // Act / Assert
                assert!(!same_name(a, &b), "{a} vs {b}");
            }
            for b in &names {
                assert_eq!(same_name(a, b), a == b, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn byte_search_finds_the_first_match_near_and_far() {
        // Arrange
        let mut hay = vec![b'x'; 100];
        // Act / Assert
        assert_eq!(find_byte(b'<', &hay), None);
        for at in [0, 5, 31, 32, 33, 99] {
            hay[at] = b'<';
            assert_eq!(find_byte(b'<', &hay), Some(at));
            hay[at] = b'x';
        }
        assert_eq!(find_byte(b'<', b""), None);
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
