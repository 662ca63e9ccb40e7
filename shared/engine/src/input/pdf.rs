//! PDF container: finds the embedded XML invoice (Factur-X / ZUGFeRD / XRechnung).
//!
//! A deliberately small reader: it only needs the trailer, the catalog, the
//! EmbeddedFiles name tree, `/AF`, the XMP metadata and the embedded streams.
//! Every index is checked (`get`), every loop and recursion is bounded, and
//! inflation is capped per stream and per document, so hostile input yields an
//! error, never a panic or unbounded memory.
//!
//! Object location: the xref chain (tables and xref streams, `/Prev`,
//! `/XRefStm`) is used when it is sound; objects it cannot place (or a broken
//! xref altogether) are found by scanning the file for `N G obj` and inside
//! object streams, as PDF readers do for damaged files.

use std::collections::{HashMap, HashSet};

use crate::input::detect::detect_root;
use crate::EngineError;

/// Cap on one inflated stream (an XML invoice is far smaller).
pub(crate) const MAX_STREAM_BYTES: usize = 32 * 1024 * 1024;
/// Cap on everything inflated while reading one PDF (defeats many small bombs).
pub(crate) const MAX_TOTAL_INFLATED: usize = 128 * 1024 * 1024;
const MAX_NESTING: usize = 64;
const MAX_XREF_SECTIONS: usize = 64;
const MAX_NAME_TREE_NODES: usize = 10_000;
const MAX_REF_CHAIN: usize = 16;
/// Parsing work (bytes lexed, objects copied) allowed per input byte. A sound
/// file needs about 2; without a budget, objects nested in strings or
/// comments, missing `endstream`s or one big object referenced a million
/// times make a naive reader quadratic.
const WORK_PER_INPUT_BYTE: usize = 16;
const WORK_BASE: usize = 1024 * 1024;
/// Work charged per parsed object node (about its size in memory): a 2-byte
/// `0 ` becomes a 48-byte `Obj`, so bytes alone under-count.
const NODE_COST: usize = 48;
/// Objects in one parse (one indirect object or trailer): bounds the memory a
/// single huge array or dictionary can take (~12 MiB).
const MAX_PARSE_NODES: usize = 256 * 1024;

pub(crate) struct Attachment {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
}

/// `%PDF-` within the first 1024 bytes (readers tolerate a short preamble).
pub(crate) fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

fn malformed(msg: impl Into<String>) -> EngineError {
    EngineError::MalformedPdf(msg.into())
}

// ---------------------------------------------------------------- objects

type Dict = Vec<(Vec<u8>, Obj)>;

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real,
    Str(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32),
    /// Stream dictionary and the raw (still encoded) data range in the file.
    Stream(Dict, usize, usize),
}

fn dict_get<'d>(d: &'d Dict, key: &[u8]) -> Option<&'d Obj> {
    d.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl Obj {
    fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) | Obj::Stream(d, _, _) => Some(d),
            _ => None,
        }
    }
    fn as_int(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            _ => None,
        }
    }
    fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- lexer

fn is_ws(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}
fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    /// Objects parsed so far (see MAX_PARSE_NODES).
    nodes: usize,
}

impl<'a> Lexer<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer {
            data,
            pos,
            nodes: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A bare keyword/number token (regular characters up to a delimiter).
    fn word(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_ws(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        self.data.get(start..self.pos).unwrap_or_default()
    }

    fn uint(&mut self) -> Option<u64> {
        let w = self.word();
        if w.is_empty() || !w.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(w).ok()?.parse().ok()
    }

    fn keyword(&mut self, kw: &[u8]) -> bool {
        let save = self.pos;
        if self.word() == kw {
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn object(&mut self, depth: usize) -> Result<Obj, EngineError> {
        if depth > MAX_NESTING {
            return Err(malformed("objects nested too deeply"));
        }
        self.nodes += 1;
        if self.nodes > MAX_PARSE_NODES {
            return Err(malformed(format!(
                "an object with more than {MAX_PARSE_NODES} parts"
            )));
        }
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(malformed("unexpected end of file in an object"));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Obj::Name(self.name_body()))
            }
            b'(' => self.literal_string().map(Obj::Str),
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut d = Dict::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b'>') if self.data.get(self.pos + 1) == Some(&b'>') => {
                            self.pos += 2;
                            return Ok(Obj::Dict(d));
                        }
                        Some(b'/') => {
                            self.pos += 1;
                            let k = self.name_body();
                            let v = self.object(depth + 1)?;
                            d.push((k, v));
                        }
                        _ => return Err(malformed("bad dictionary key")),
                    }
                }
            }
            b'<' => self.hex_string().map(Obj::Str),
            b'[' => {
                self.pos += 1;
                let mut a = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Obj::Array(a));
                        }
                        None => return Err(malformed("unterminated array")),
                        _ => a.push(self.object(depth + 1)?),
                    }
                }
            }
            _ => {
                let start = self.pos;
                let w = self.word();
                match w {
                    b"true" => Ok(Obj::Bool(true)),
                    b"false" => Ok(Obj::Bool(false)),
                    b"null" => Ok(Obj::Null),
                    _ if !w.is_empty()
                        && w.iter()
                            .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')) =>
                    {
                        if w.contains(&b'.') {
                            return Ok(Obj::Real);
                        }
                        let n: i64 = std::str::from_utf8(w)
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| malformed("bad number"))?;
                        // `N G R` is a reference; anything else leaves N alone.
                        let save = self.pos;
                        if n >= 0 && self.uint().is_some() && self.keyword(b"R") {
                            return u32::try_from(n)
                                .map(Obj::Ref)
                                .map_err(|_| malformed("object number out of range"));
                        }
                        self.pos = save;
                        Ok(Obj::Int(n))
                    }
                    _ => {
                        self.pos = start;
                        Err(malformed(format!(
                            "unexpected token {:?}",
                            String::from_utf8_lossy(w.get(..w.len().min(20)).unwrap_or_default())
                        )))
                    }
                }
            }
        }
    }

    fn name_body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if is_ws(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let hex = self.data.get(self.pos..self.pos + 2).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                });
                if let Some(v) = hex {
                    out.push(v);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(b);
        }
        out
    }

    fn literal_string(&mut self) -> Result<Vec<u8>, EngineError> {
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut level = 1usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(malformed("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    level += 1;
                    out.push(b);
                }
                b')' => {
                    level -= 1;
                    if level == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(malformed("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex_string(&mut self) -> Result<Vec<u8>, EngineError> {
        self.pos += 1; // '<'
        let mut nibbles = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(malformed("unterminated hex string"));
            };
            self.pos += 1;
            match b {
                b'>' => break,
                _ if is_ws(b) => {}
                _ => match (b as char).to_digit(16) {
                    Some(v) => nibbles.push(v as u8),
                    None => return Err(malformed("bad hex string")),
                },
            }
        }
        if nibbles.len() % 2 == 1 {
            nibbles.push(0);
        }
        Ok(nibbles.chunks(2).map(|c| (c[0] << 4) | c[1]).collect())
    }
}

// ---------------------------------------------------------------- document

#[derive(Debug, Clone, Copy)]
enum Loc {
    Offset(usize),
    InStream(u32, usize),
}

struct Pdf<'a> {
    data: &'a [u8],
    xref: HashMap<u32, Loc>,
    /// Built on first need: object locations found by scanning the file.
    scanned: Option<HashMap<u32, Loc>>,
    trailer: Dict,
    /// Members of decoded object streams: (number, object, source length).
    objstm_cache: HashMap<u32, Vec<(u32, Obj, usize)>>,
    objstm_loading: HashSet<u32>,
    inflated_total: usize,
    work: usize,
    work_limit: usize,
}

impl<'a> Pdf<'a> {
    fn open(data: &'a [u8]) -> Result<Pdf<'a>, EngineError> {
        let mut pdf = Pdf {
            data,
            xref: HashMap::new(),
            scanned: None,
            trailer: Dict::new(),
            objstm_cache: HashMap::new(),
            objstm_loading: HashSet::new(),
            inflated_total: 0,
            work: 0,
            work_limit: data
                .len()
                .saturating_mul(WORK_PER_INPUT_BYTE)
                .saturating_add(WORK_BASE),
        };
        let xref_ok = pdf.load_xref_chain().is_ok() && dict_get(&pdf.trailer, b"Root").is_some();
        if !xref_ok {
            // Damaged xref: rebuild from the objects themselves.
            pdf.xref.clear();
            pdf.trailer = pdf.scan_trailer()?;
        }
        if dict_get(&pdf.trailer, b"Encrypt").is_some_and(|e| *e != Obj::Null) {
            return Err(EngineError::EncryptedPdf);
        }
        pdf.check_budget()?;
        Ok(pdf)
    }

    fn exhausted(&self) -> bool {
        self.work > self.work_limit
    }

    fn check_budget(&self) -> Result<(), EngineError> {
        if self.exhausted() {
            return Err(EngineError::TooLarge(format!(
                "reading this PDF's structure takes more than {WORK_PER_INPUT_BYTE}x its size in parsing work (damaged or hostile object graph)"
            )));
        }
        Ok(())
    }

    /// Records parsing work; once over budget every further parse fails.
    fn spend(&mut self, n: usize) -> Result<(), EngineError> {
        self.work = self.work.saturating_add(n);
        self.check_budget()
    }

    fn load_xref_chain(&mut self) -> Result<(), EngineError> {
        let tail_start = self.data.len().saturating_sub(4096);
        let tail = self.data.get(tail_start..).unwrap_or_default();
        let at = rfind(tail, b"startxref").ok_or_else(|| malformed("no startxref"))?;
        let mut lx = Lexer::new(self.data, tail_start + at + 9);
        let mut next = lx.uint().map(|o| o as usize);
        let mut seen = HashSet::new();
        let mut first = true;
        while let Some(off) = next {
            if !seen.insert(off) || seen.len() > MAX_XREF_SECTIONS {
                break;
            }
            let trailer = self.load_xref_section(off)?;
            if let Some(Obj::Int(x)) = dict_get(&trailer, b"XRefStm") {
                // Hybrid file: the xref stream complements the table.
                if let Ok(x) = usize::try_from(*x) {
                    if seen.insert(x) {
                        let _ = self.load_xref_section(x);
                    }
                }
            }
            next = dict_get(&trailer, b"Prev")
                .and_then(Obj::as_int)
                .and_then(|p| usize::try_from(p).ok());
            if first {
                self.trailer = trailer;
                first = false;
            } else if dict_get(&self.trailer, b"Encrypt").is_none() {
                if let Some(e) = dict_get(&trailer, b"Encrypt") {
                    self.trailer.push((b"Encrypt".to_vec(), e.clone()));
                }
            }
        }
        if first {
            return Err(malformed("no xref section"));
        }
        Ok(())
    }

    /// Reads one xref table or xref stream at `off`; newer sections were read
    /// first, so existing entries win. Returns that section's trailer.
    fn load_xref_section(&mut self, off: usize) -> Result<Dict, EngineError> {
        let mut lx = Lexer::new(self.data, off);
        if lx.keyword(b"xref") {
            loop {
                let save = lx.pos;
                let (Some(start), Some(count)) = (lx.uint(), lx.uint()) else {
                    lx.pos = save;
                    break;
                };
                for i in 0..count {
                    let (Some(o), Some(_gen)) = (lx.uint(), lx.uint()) else {
                        return Err(malformed("bad xref entry"));
                    };
                    let kind = lx.word();
                    let num = start.checked_add(i).and_then(|n| u32::try_from(n).ok());
                    if let (b"n", Some(num)) = (kind, num) {
                        self.xref.entry(num).or_insert(Loc::Offset(o as usize));
                    } else if kind != b"f" && kind != b"n" {
                        return Err(malformed("bad xref entry type"));
                    }
                }
            }
            if !lx.keyword(b"trailer") {
                return Err(malformed("xref table without trailer"));
            }
            return match lx.object(0)? {
                Obj::Dict(d) => Ok(d),
                _ => Err(malformed("trailer is not a dictionary")),
            };
        }
        // Cross-reference stream.
        let (_, obj) = self.indirect_at(off)?;
        let Obj::Stream(d, _, _) = &obj else {
            return Err(malformed(
                "startxref points at neither xref nor xref stream",
            ));
        };
        let data = self.stream_data(&obj)?;
        let w: Vec<usize> = match dict_get(d, b"W") {
            Some(Obj::Array(a)) if a.len() == 3 => a
                .iter()
                .map(|x| {
                    x.as_int()
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|&i| i <= 8)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| malformed("bad xref stream /W"))?,
            _ => return Err(malformed("bad xref stream /W")),
        };
        let size = dict_get(d, b"Size").and_then(Obj::as_int).unwrap_or(0);
        let index: Vec<i64> = match dict_get(d, b"Index") {
            Some(Obj::Array(a)) => a.iter().filter_map(Obj::as_int).collect(),
            _ => vec![0, size],
        };
        let row = w[0] + w[1] + w[2];
        if row == 0 {
            return Err(malformed("bad xref stream /W"));
        }
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks(2) {
            let (Some(&start), Some(&count)) = (pair.first(), pair.get(1)) else {
                break;
            };
            for i in 0..count.max(0) {
                let Some(r) = rows.next() else { break };
                let field = |from: usize, len: usize| {
                    r.get(from..from + len)
                        .unwrap_or_default()
                        .iter()
                        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
                };
                // A missing type field means type 1 (PDF 32000 7.5.8.2).
                let kind = if w[0] == 0 { 1 } else { field(0, w[0]) };
                let f2 = field(w[0], w[1]);
                let f3 = field(w[0] + w[1], w[2]);
                let Some(num) = start.checked_add(i).and_then(|n| u32::try_from(n).ok()) else {
                    continue;
                };
                let loc = match kind {
                    1 => Loc::Offset(f2 as usize),
                    2 => match u32::try_from(f2) {
                        Ok(s) => Loc::InStream(s, f3 as usize),
                        Err(_) => continue,
                    },
                    _ => continue,
                };
                self.xref.entry(num).or_insert(loc);
            }
        }
        Ok(d.clone())
    }

    /// Parses `N G obj <object> [stream…]` at `off`.
    fn indirect_at(&mut self, off: usize) -> Result<(u32, Obj), EngineError> {
        self.check_budget()?;
        let mut lx = Lexer::new(self.data, off);
        let num = lx.uint().and_then(|n| u32::try_from(n).ok());
        let (Some(num), Some(_), true) = (num, lx.uint(), lx.keyword(b"obj")) else {
            self.spend(lx.pos.saturating_sub(off))?;
            return Err(malformed(format!("no object at offset {off}")));
        };
        let obj = lx.object(0);
        self.spend(lx.pos.saturating_sub(off) + lx.nodes * NODE_COST)?;
        let obj = obj?;
        let Obj::Dict(d) = obj else {
            return Ok((num, obj));
        };
        if !lx.keyword(b"stream") {
            return Ok((num, Obj::Dict(d)));
        }
        // Data starts after the EOL that follows `stream`.
        let mut start = lx.pos;
        if self.data.get(start) == Some(&b'\r') {
            start += 1;
        }
        if self.data.get(start) == Some(&b'\n') {
            start += 1;
        }
        let declared = match dict_get(&d, b"Length") {
            Some(Obj::Int(n)) => usize::try_from(*n).ok(),
            // An indirect length must be a plain integer object; resolve it
            // without following further streams.
            Some(Obj::Ref(r)) => self.resolve_plain_int(*r),
            _ => None,
        };
        let end = declared
            .and_then(|n| start.checked_add(n))
            .filter(|&e| e <= self.data.len() && self.endstream_follows(e))
            .or_else(|| {
                // Wrong /Length (common in damaged files): trust `endstream`.
                let found = find(self.data.get(start..)?, b"endstream");
                self.work = self
                    .work
                    .saturating_add(found.unwrap_or(self.data.len().saturating_sub(start)));
                found.map(|i| {
                    let mut e = start + i;
                    if e > start && self.data.get(e - 1) == Some(&b'\n') {
                        e -= 1;
                    }
                    if e > start && self.data.get(e - 1) == Some(&b'\r') {
                        e -= 1;
                    }
                    e
                })
            })
            .ok_or_else(|| malformed("stream without end"))?;
        self.check_budget()?;
        Ok((num, Obj::Stream(d, start, end)))
    }

    fn endstream_follows(&self, end: usize) -> bool {
        let mut lx = Lexer::new(self.data, end);
        lx.keyword(b"endstream")
    }

    fn resolve_plain_int(&mut self, r: u32) -> Option<usize> {
        let loc = self.locate(r)?;
        let Loc::Offset(off) = loc else { return None };
        let mut lx = Lexer::new(self.data, off);
        lx.uint()?;
        lx.uint()?;
        if !lx.keyword(b"obj") {
            return None;
        }
        lx.uint().map(|n| n as usize)
    }

    fn locate(&mut self, num: u32) -> Option<Loc> {
        if let Some(l) = self.xref.get(&num) {
            return Some(*l);
        }
        self.scan_index().get(&num).copied()
    }

    fn scan_index(&mut self) -> &HashMap<u32, Loc> {
        if self.scanned.is_none() {
            // Re-entrancy guard: parsing during the scan (an indirect /Length,
            // an object stream's /Filter) may look objects up again; it then
            // sees an empty index instead of recursing into another scan.
            self.scanned = Some(HashMap::new());
            let idx = self.scan_objects();
            self.scanned = Some(idx);
        }
        self.scanned.get_or_insert_with(HashMap::new)
    }

    /// Finds every `N G obj` in the file (later definitions win, as with
    /// incremental updates), then the members of object streams.
    fn scan_objects(&mut self) -> HashMap<u32, Loc> {
        let mut idx = HashMap::new();
        let data = self.data;
        let mut i = 0;
        while let Some(rel) = data.get(i..).and_then(|d| find(d, b"obj")) {
            let at = i + rel;
            i = at + 3;
            if let Some(start) = obj_header_start(data, at) {
                let mut lx = Lexer::new(data, start);
                if let Some(num) = lx.uint().and_then(|n| u32::try_from(n).ok()) {
                    idx.insert(num, Loc::Offset(start));
                }
            }
        }
        let stream_objs: Vec<(u32, usize)> = idx
            .iter()
            .filter_map(|(n, l)| match l {
                Loc::Offset(o) => Some((*n, *o)),
                Loc::InStream(..) => None,
            })
            .collect();
        for (num, off) in stream_objs {
            let is_objstm = matches!(self.indirect_at(off), Ok((_, Obj::Stream(ref d, _, _)))
                if dict_get(d, b"Type").and_then(Obj::as_name) == Some(b"ObjStm"));
            if is_objstm {
                if let Ok(members) = self.objstm_members(num, off) {
                    for (i, (m, _, _)) in members.iter().enumerate() {
                        idx.entry(*m).or_insert(Loc::InStream(num, i));
                    }
                }
            }
        }
        idx
    }

    /// Trailer of a file whose xref is unusable: the last `trailer` dictionary
    /// or xref-stream dictionary naming a /Root, else a synthesized one
    /// pointing at the last /Catalog object found.
    fn scan_trailer(&mut self) -> Result<Dict, EngineError> {
        let data = self.data;
        let mut best: Option<Dict> = None;
        let mut i = 0;
        while let Some(rel) = data.get(i..).and_then(|d| find(d, b"trailer")) {
            let at = i + rel + 7;
            i = at;
            let mut lx = Lexer::new(data, at);
            let parsed = lx.object(0);
            self.spend(lx.pos.saturating_sub(at) + lx.nodes * NODE_COST)?;
            if let Ok(Obj::Dict(d)) = parsed {
                if dict_get(&d, b"Root").is_some() {
                    best = Some(d);
                }
            }
        }
        let mut index: Vec<(u32, Loc)> = self.scan_index().iter().map(|(k, v)| (*k, *v)).collect();
        // File order, so "the last catalog" is deterministic (incremental
        // updates append newer objects).
        let pos = |l: &Loc| match l {
            Loc::Offset(o) => (*o, 0, 0),
            Loc::InStream(s, i) => (usize::MAX, *s, *i),
        };
        index.sort_by_key(|(_, l)| pos(l));
        let mut catalog = None;
        let mut encrypt = None;
        for (num, _) in index {
            // Members of object streams count too: the catalog often lives there.
            let obj = self.get(num);
            let Some(d) = obj.as_dict() else { continue };
            match dict_get(d, b"Type").and_then(Obj::as_name) {
                Some(b"XRef") => {
                    if let Some(e) = dict_get(d, b"Encrypt") {
                        encrypt = Some(e.clone());
                    }
                    if best.is_none() && dict_get(d, b"Root").is_some() {
                        best = Some(d.clone());
                    }
                }
                Some(b"Catalog") => catalog = Some(num),
                _ => {}
            }
        }
        let mut t = match (best, catalog) {
            (Some(t), _) => t,
            (None, Some(c)) => vec![(b"Root".to_vec(), Obj::Ref(c))],
            (None, None) => return Err(malformed("no document catalog found")),
        };
        if let (Some(e), None) = (encrypt, dict_get(&t, b"Encrypt")) {
            t.push((b"Encrypt".to_vec(), e));
        }
        Ok(t)
    }

    fn objstm_members(
        &mut self,
        num: u32,
        off: usize,
    ) -> Result<&Vec<(u32, Obj, usize)>, EngineError> {
        if !self.objstm_cache.contains_key(&num) {
            // An object stream whose own dictionary refers into itself would
            // otherwise recurse without end.
            if !self.objstm_loading.insert(num) {
                return Err(malformed("object stream refers to itself"));
            }
            let members = self.decode_objstm(off);
            self.objstm_loading.remove(&num);
            self.objstm_cache.insert(num, members?);
        }
        self.objstm_cache
            .get(&num)
            .ok_or_else(|| malformed("object stream cache"))
    }

    fn decode_objstm(&mut self, off: usize) -> Result<Vec<(u32, Obj, usize)>, EngineError> {
        {
            let (_, obj) = self.indirect_at(off)?;
            let Obj::Stream(d, _, _) = &obj else {
                return Err(malformed("object stream is not a stream"));
            };
            let n = dict_get(d, b"N").and_then(Obj::as_int).unwrap_or(0).max(0) as usize;
            let first = dict_get(d, b"First")
                .and_then(Obj::as_int)
                .unwrap_or(0)
                .max(0) as usize;
            let data = self.stream_data(&obj)?;
            let mut lx = Lexer::new(&data, 0);
            let mut heads = Vec::new();
            for _ in 0..n.min(data.len()) {
                match (lx.uint(), lx.uint()) {
                    (Some(o), Some(rel)) => heads.push((o, rel)),
                    _ => break,
                }
            }
            let mut members = Vec::new();
            for (o, rel) in heads {
                let (Ok(o), Some(pos)) = (u32::try_from(o), first.checked_add(rel as usize)) else {
                    continue;
                };
                let mut lx = Lexer::new(&data, pos);
                let obj = lx.object(0).unwrap_or(Obj::Null);
                let len = lx.pos.saturating_sub(pos) + lx.nodes * NODE_COST;
                self.spend(len)?;
                members.push((o, obj, len));
            }
            Ok(members)
        }
    }

    /// The object with number `num`, or `Null` when it does not exist
    /// (PDF 32000 7.3.10: a reference to a missing object is null).
    fn get(&mut self, num: u32) -> Obj {
        let from_xref = self.xref.get(&num).copied();
        if let Some(obj) = from_xref.and_then(|l| self.load(num, l)) {
            return obj;
        }
        // The xref entry was wrong or missing: try the scanned location.
        let scanned = self.scan_index().get(&num).copied();
        scanned.and_then(|l| self.load(num, l)).unwrap_or(Obj::Null)
    }

    fn load(&mut self, num: u32, loc: Loc) -> Option<Obj> {
        match loc {
            Loc::Offset(off) => match self.indirect_at(off) {
                Ok((n, obj)) if n == num => Some(obj),
                _ => None,
            },
            Loc::InStream(stm, i) => {
                let off = match self.locate(stm)? {
                    Loc::Offset(o) => o,
                    Loc::InStream(..) => return None,
                };
                let members = self.objstm_members(stm, off).ok()?;
                let (obj, len) = members
                    .get(i)
                    .filter(|(n, _, _)| *n == num)
                    .map(|(_, o, len)| (o.clone(), *len))?;
                // Copying a cached member costs like parsing it again.
                self.spend(len).ok()?;
                Some(obj)
            }
        }
    }

    /// Follows references (bounded) to a direct object.
    fn resolve(&mut self, obj: &Obj) -> Obj {
        let mut cur = obj.clone();
        for _ in 0..MAX_REF_CHAIN {
            match cur {
                Obj::Ref(n) => cur = self.get(n),
                other => return other,
            }
        }
        Obj::Null
    }

    fn resolve_key(&mut self, d: &Dict, key: &[u8]) -> Obj {
        match dict_get(d, key) {
            Some(v) => self.resolve(&v.clone()),
            None => Obj::Null,
        }
    }

    /// Decoded stream data, within the per-stream and per-document caps.
    fn stream_data(&mut self, obj: &Obj) -> Result<Vec<u8>, EngineError> {
        let Obj::Stream(d, start, end) = obj else {
            return Err(malformed("not a stream"));
        };
        let mut data = self
            .data
            .get(*start..*end)
            .ok_or_else(|| malformed("stream out of bounds"))?
            .to_vec();
        let filters: Vec<Vec<u8>> = match self.resolve_key(d, b"Filter") {
            Obj::Name(n) => vec![n],
            Obj::Array(a) => a
                .iter()
                .filter_map(|f| f.as_name().map(<[u8]>::to_vec))
                .collect(),
            _ => Vec::new(),
        };
        let params: Vec<Obj> = match self.resolve_key(d, b"DecodeParms") {
            Obj::Array(a) => a,
            Obj::Null => Vec::new(),
            p => vec![p],
        };
        for (i, f) in filters.iter().enumerate() {
            data = match f.as_slice() {
                b"FlateDecode" | b"Fl" => {
                    let out = self.inflate(&data)?;
                    match params.get(i).map(|p| self.resolve(p)) {
                        Some(Obj::Dict(p)) => png_unpredict(out, &p)?,
                        _ => out,
                    }
                }
                b"ASCIIHexDecode" | b"AHx" => {
                    let mut s = data.clone();
                    s.push(b'>');
                    s.insert(0, b'<');
                    Lexer::new(&s, 0).hex_string()?
                }
                other => {
                    return Err(malformed(format!(
                        "unsupported stream filter {}",
                        String::from_utf8_lossy(other)
                    )))
                }
            };
        }
        Ok(data)
    }

    fn inflate(&mut self, data: &[u8]) -> Result<Vec<u8>, EngineError> {
        use miniz_oxide::inflate::{
            decompress_to_vec_with_limit, decompress_to_vec_zlib_with_limit, TINFLStatus,
        };
        let budget = MAX_TOTAL_INFLATED.saturating_sub(self.inflated_total);
        let limit = MAX_STREAM_BYTES.min(budget);
        let too_large = || {
            EngineError::TooLarge(format!(
                "a compressed PDF stream inflates beyond {limit} bytes"
            ))
        };
        let out = match decompress_to_vec_zlib_with_limit(data, limit) {
            Ok(v) => v,
            Err(e) if e.status == TINFLStatus::HasMoreOutput => return Err(too_large()),
            // Some producers write raw deflate without the zlib header.
            Err(_) => match decompress_to_vec_with_limit(data, limit) {
                Ok(v) => v,
                Err(e) if e.status == TINFLStatus::HasMoreOutput => return Err(too_large()),
                Err(_) => return Err(malformed("corrupt FlateDecode stream")),
            },
        };
        self.inflated_total = self.inflated_total.saturating_add(out.len());
        Ok(out)
    }
}

/// Undoes the PNG predictors (/Predictor >= 10), used by xref and object streams.
fn png_unpredict(data: Vec<u8>, p: &Dict) -> Result<Vec<u8>, EngineError> {
    let predictor = dict_get(p, b"Predictor").and_then(Obj::as_int).unwrap_or(1);
    if predictor < 10 {
        return if predictor <= 1 {
            Ok(data)
        } else {
            Err(malformed("TIFF predictor not supported"))
        };
    }
    let int = |k: &[u8], dflt: i64| dict_get(p, k).and_then(Obj::as_int).unwrap_or(dflt);
    let (colors, bpc, columns) = (
        int(b"Colors", 1),
        int(b"BitsPerComponent", 8),
        int(b"Columns", 1),
    );
    if !(1..=32).contains(&colors)
        || !matches!(bpc, 1 | 2 | 4 | 8 | 16)
        || !(1..=1 << 20).contains(&columns)
    {
        return Err(malformed("bad predictor parameters"));
    }
    let bpp = ((colors * bpc + 7) / 8) as usize;
    let row_len = ((colors * bpc * columns + 7) / 8) as usize;
    // A row longer than the data is a lie that would only cost memory (up to
    // 64 MiB per row); a sound stream holds at least one full row.
    if row_len >= data.len() {
        return Err(malformed("predictor rows longer than the stream"));
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let (Some(&ft), Some(raw)) = (chunk.first(), chunk.get(1..)) else {
            break;
        };
        let mut row = raw.to_vec();
        row.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { row[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            row[i] = match ft {
                0 => row[i],
                1 => row[i].wrapping_add(left),
                2 => row[i].wrapping_add(up),
                3 => row[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => row[i].wrapping_add(paeth(left, up, up_left)),
                _ => return Err(malformed("bad PNG predictor row type")),
            };
        }
        out.extend_from_slice(&row);
        prev = row;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// For an `obj` keyword at `at`, the offset of its `N G ` header, if it is one.
fn obj_header_start(data: &[u8], at: usize) -> Option<usize> {
    // `obj` must be a whole word.
    if data.get(at + 3).is_some_and(|&b| !is_ws(b) && !is_delim(b)) {
        return None;
    }
    let mut i = at;
    let back = |need_ws: bool, i: &mut usize| -> Option<()> {
        let mut n = 0;
        while *i > 0 && data.get(*i - 1).is_some_and(|&b| is_ws(b)) {
            *i -= 1;
            n += 1;
        }
        if need_ws && n == 0 {
            return None;
        }
        let end = *i;
        while *i > 0 && data.get(*i - 1).is_some_and(u8::is_ascii_digit) {
            *i -= 1;
        }
        (*i < end && end - *i <= 10).then_some(())
    };
    back(true, &mut i)?; // generation
    back(true, &mut i)?; // object number
    if i > 0 && data.get(i - 1).is_some_and(|&b| !is_ws(b) && !is_delim(b)) {
        return None;
    }
    Some(i)
}

// ---------------------------------------------------------------- attachments

struct Candidate {
    name: String,
    stream: Obj,
}

/// A PDF text string: UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding
/// (read as Latin-1, which agrees on everything a file name uses).
fn text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(b"\xFE\xFF") {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|&c| char::from(c)).collect()
}

impl Pdf<'_> {
    fn candidates(&mut self) -> Vec<Candidate> {
        let mut out = Vec::new();
        let root = self.resolve_key(&self.trailer.clone(), b"Root");
        let Some(catalog) = root.as_dict().cloned() else {
            return out;
        };
        let names = self.resolve_key(&catalog, b"Names");
        if let Some(names) = names.as_dict().cloned() {
            let tree = self.resolve_key(&names, b"EmbeddedFiles");
            let mut budget = MAX_NAME_TREE_NODES;
            let mut visited = HashSet::new();
            self.walk_name_tree(&tree, 0, &mut budget, &mut visited, &mut out);
        }
        // PDF/A-3 associated files (Factur-X requires the XML there too).
        if let Obj::Array(af) = self.resolve_key(&catalog, b"AF") {
            for spec in af.iter().take(MAX_NAME_TREE_NODES) {
                let spec = self.resolve(spec);
                if let Some(c) = self.filespec(&spec, None) {
                    out.push(c);
                }
            }
        }
        // The same file is often reachable both ways; keep the first.
        let mut seen = HashSet::new();
        out.retain(|c| match &c.stream {
            Obj::Stream(_, s, e) => seen.insert((*s, *e)),
            _ => false,
        });
        out
    }

    fn walk_name_tree(
        &mut self,
        node: &Obj,
        depth: usize,
        budget: &mut usize,
        visited: &mut HashSet<u32>,
        out: &mut Vec<Candidate>,
    ) {
        if depth > MAX_NESTING || *budget == 0 {
            return;
        }
        *budget -= 1;
        let Some(d) = node.as_dict().cloned() else {
            return;
        };
        if let Obj::Array(pairs) = self.resolve_key(&d, b"Names") {
            for pair in pairs.chunks(2) {
                let (Some(key), Some(val)) = (pair.first(), pair.get(1)) else {
                    break;
                };
                let key = match self.resolve(key) {
                    Obj::Str(s) => Some(text_string(&s)),
                    _ => None,
                };
                let spec = self.resolve(val);
                if let Some(c) = self.filespec(&spec, key) {
                    out.push(c);
                }
            }
        }
        if let Some(Obj::Array(kids)) = dict_get(&d, b"Kids").map(|k| self.resolve(k)) {
            for kid in kids {
                if let Obj::Ref(n) = kid {
                    if !visited.insert(n) {
                        continue; // cycle
                    }
                }
                let kid = self.resolve(&kid);
                self.walk_name_tree(&kid, depth + 1, budget, visited, out);
            }
        }
    }

    fn filespec(&mut self, spec: &Obj, key: Option<String>) -> Option<Candidate> {
        let d = spec.as_dict()?.clone();
        let ef = self.resolve_key(&d, b"EF");
        let ef = ef.as_dict()?.clone();
        let stream = match self.resolve_key(&ef, b"UF") {
            s @ Obj::Stream(..) => s,
            _ => self.resolve_key(&ef, b"F"),
        };
        if !matches!(stream, Obj::Stream(..)) {
            return None;
        }
        let name = [b"UF".as_slice(), b"F"]
            .iter()
            .find_map(|k| match self.resolve_key(&d, k) {
                Obj::Str(s) if !s.is_empty() => Some(text_string(&s)),
                _ => None,
            })
            .or(key)
            .unwrap_or_default();
        Some(Candidate { name, stream })
    }

    /// `fx:DocumentFileName` (any prefix) from the catalog's XMP metadata.
    fn xmp_document_file_name(&mut self) -> Option<String> {
        let root = self.resolve_key(&self.trailer.clone(), b"Root");
        let catalog = root.as_dict()?.clone();
        let meta = self.resolve_key(&catalog, b"Metadata");
        let xmp = self.stream_data(&meta).ok()?;
        xmp_value(&xmp, b"DocumentFileName")
    }
}

/// The value of the XMP property `<p:local>v</p:local>` or `p:local="v"`.
/// (A bare `local` as text, e.g. in the PDF/A extension schema, is skipped.)
fn xmp_value(xmp: &[u8], local: &[u8]) -> Option<String> {
    let mut i = 0;
    while let Some(rel) = xmp.get(i..).and_then(|d| find(d, local)) {
        let at = i + rel;
        i = at + local.len();
        if at == 0 || xmp.get(at - 1) != Some(&b':') {
            continue;
        }
        let rest = xmp.get(i..)?;
        let value = if let Some(r) = rest.strip_prefix(b">") {
            r.get(..find(r, b"<")?)?
        } else if let Some(r) = rest.strip_prefix(b"=\"") {
            r.get(..find(r, b"\"")?)?
        } else if let Some(r) = rest.strip_prefix(b"='") {
            r.get(..find(r, b"'")?)?
        } else {
            continue;
        };
        let v = String::from_utf8_lossy(value).trim().to_owned();
        if !v.is_empty() {
            return Some(v);
        }
    }
    None
}

const WELL_KNOWN: &[&str] = &["factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml"];

enum Sniff {
    Invoice,
    OtherXml,
    NotXml,
}

/// Looks only at the root element (cheap; the full parse comes later).
fn sniff(bytes: &[u8]) -> Sniff {
    match crate::input::xml::Tree::parse_root(bytes) {
        Ok(tree) => match detect_root(tree.root().ns(), tree.root().local_name()) {
            Some(_) => Sniff::Invoice,
            None => Sniff::OtherXml,
        },
        Err(_) => Sniff::NotXml,
    }
}

/// Finds the XML invoice embedded in a PDF. Preference: the file the XMP
/// metadata names, then the well-known names (any case), then any attached
/// XML whose root is an invoice.
pub(crate) fn find_invoice_attachment(bytes: &[u8]) -> Result<Attachment, EngineError> {
    let mut pdf = Pdf::open(bytes)?;
    let candidates = pdf.candidates();
    pdf.check_budget()?;
    if candidates.is_empty() {
        return Err(EngineError::NoInvoiceAttachment(String::new()));
    }
    let xmp_name = pdf.xmp_document_file_name();
    pdf.check_budget()?;
    let mut order: Vec<&Candidate> = Vec::new();
    if let Some(x) = &xmp_name {
        order.extend(candidates.iter().filter(|c| &c.name == x));
        order.extend(
            candidates
                .iter()
                .filter(|c| c.name != *x && c.name.eq_ignore_ascii_case(x)),
        );
    }
    for known in WELL_KNOWN {
        order.extend(
            candidates
                .iter()
                .filter(|c| c.name.eq_ignore_ascii_case(known)),
        );
    }
    let preferred = order.len();
    order.extend(candidates.iter());

    let mut tried = HashSet::new();
    let mut first_error = None;
    for (i, c) in order.into_iter().enumerate() {
        if !tried.insert(c.name.clone()) && i >= preferred {
            continue;
        }
        let data = match pdf.stream_data(&c.stream) {
            Ok(d) => d,
            Err(e @ EngineError::TooLarge(_)) => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        match sniff(&data) {
            Sniff::Invoice => {
                return Ok(Attachment {
                    name: c.name.clone(),
                    bytes: data,
                })
            }
            // A named invoice file that is not even XML is reported as such
            // (the full parse gives the precise malformed_xml error).
            Sniff::NotXml
                if i < preferred
                    && data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') =>
            {
                return Ok(Attachment {
                    name: c.name.clone(),
                    bytes: data,
                });
            }
            _ => {}
        }
    }
    pdf.check_budget()?;
    match first_error {
        Some(e) => Err(EngineError::NoInvoiceAttachment(format!(" ({e})"))),
        None => Err(EngineError::NoInvoiceAttachment(String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_value_reads_element_and_attribute_forms_but_not_schema_text() {
        // Arrange
        let element = b"<pdfaProperty:name>DocumentFileName</pdfaProperty:name><fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>";
        let attribute = b"<rdf:Description zf:DocumentFileName=\"ZUGFeRD-invoice.xml\"/>";
        let none = b"<pdfaProperty:name>DocumentFileName</pdfaProperty:name>";
        // Act / Assert
        assert_eq!(
            xmp_value(element, b"DocumentFileName").as_deref(),
            Some("factur-x.xml")
        );
        assert_eq!(
            xmp_value(attribute, b"DocumentFileName").as_deref(),
            Some("ZUGFeRD-invoice.xml")
        );
        assert_eq!(xmp_value(none, b"DocumentFileName"), None);
    }

    #[test]
    fn lexer_reads_refs_strings_names_and_nested_dicts() {
        // Arrange
        let src =
            b"<< /A 12 0 R /B (a\\(b\\)\\101) /C <48 49> /D#20x [1 2.5 /N] /E << /F true >> >>";
        // Act
        let obj = Lexer::new(src, 0).object(0).expect("object");
        // Assert
        let d = obj.as_dict().expect("dict");
        assert_eq!(dict_get(d, b"A"), Some(&Obj::Ref(12)));
        assert_eq!(dict_get(d, b"B"), Some(&Obj::Str(b"a(b)A".to_vec())));
        assert_eq!(dict_get(d, b"C"), Some(&Obj::Str(b"HI".to_vec())));
        assert_eq!(
            dict_get(d, b"D x"),
            Some(&Obj::Array(vec![
                Obj::Int(1),
                Obj::Real,
                Obj::Name(b"N".to_vec())
            ]))
        );
        assert!(matches!(dict_get(d, b"E"), Some(Obj::Dict(_))));
    }

    #[test]
    fn lexer_bounds_nesting() {
        // Arrange
        let deep = "[".repeat(MAX_NESTING + 10);
        // Act
        let r = Lexer::new(deep.as_bytes(), 0).object(0);
        // Assert
        assert!(matches!(r, Err(EngineError::MalformedPdf(_))));
    }

    #[test]
    fn text_string_decodes_utf16_and_latin1() {
        // Arrange
        let utf16 = b"\xFE\xFF\x00f\x00x";
        let latin1 = b"caf\xe9";
        // Act / Assert
        assert_eq!(text_string(utf16), "fx");
        assert_eq!(text_string(latin1), "café");
    }

    #[test]
    fn obj_header_start_requires_two_integers() {
        // Arrange
        let data = b"x 12 0 obj << >> endobj 3 obj";
        // Act
        let good = obj_header_start(data, 7);
        let bad = obj_header_start(data, 26);
        // Assert
        assert_eq!(good, Some(2));
        assert_eq!(bad, None);
    }
}
