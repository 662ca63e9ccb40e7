//! Phase D's files: every `*.xml` and `*.pdf` under `--corpus` (recursively,
//! sorted by path), cycled until there are N; each copy after the first pass
//! gets a trailing comment so that no two files have the same bytes.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};

/// Longest file name the API accepts (characters).
const MAX_NAME_CHARS: usize = 255;

/// One file of the corpus.
pub struct Source {
    path: PathBuf,
    content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub fn content_type_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?;
    if ext.eq_ignore_ascii_case("xml") {
        Some("application/xml")
    } else if ext.eq_ignore_ascii_case("pdf") {
        Some("application/pdf")
    } else {
        None
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Symlinked directories are not followed (no loops); symlinked files are.
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if content_type_of(&path).is_some()
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Every non-empty `*.xml` / `*.pdf` under `dir`, sorted by path.
pub fn load_corpus(dir: &Path) -> Result<Vec<Source>, String> {
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|e| format!("cannot read the corpus {}: {e}", dir.display()))?;
    paths.sort();
    let mut sources = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.is_empty() {
            continue;
        }
        let content_type = content_type_of(&path).unwrap_or("application/xml");
        sources.push(Source {
            path,
            content_type,
            bytes,
        });
    }
    if sources.is_empty() {
        return Err(format!(
            "no non-empty *.xml or *.pdf file under {}",
            dir.display()
        ));
    }
    Ok(sources)
}

/// A trailing comment that keeps the document valid and makes its bytes unique.
pub fn marker(content_type: &str, label: &str) -> Vec<u8> {
    if content_type == "application/pdf" {
        format!("\n% intake-load {label}\n").into_bytes()
    } else {
        format!("\n<!-- intake-load {label} -->\n").into_bytes()
    }
}

/// A random hex string (std only: the hasher of a fresh `RandomState`).
pub fn random_hex() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// The i-th file of the batch.
pub struct BatchFile {
    source: usize,
    pub name: String,
    pub content_type: &'static str,
    suffix: Vec<u8>,
    pub size: usize,
}

impl BatchFile {
    pub fn new(sources: &[Source], i: usize, nonce: &str) -> Self {
        let source = i % sources.len();
        let copy = i / sources.len();
        let src = &sources[source];
        let base = src
            .path
            .file_name()
            .map_or_else(|| "invoice".into(), |n| n.to_string_lossy().into_owned());
        let name: String = format!("{i:05}-{base}")
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_NAME_CHARS)
            .collect();
        let suffix = if copy == 0 {
            Vec::new()
        } else {
            marker(src.content_type, &format!("copy {copy} {nonce}"))
        };
        Self {
            source,
            name,
            content_type: src.content_type,
            size: src.bytes.len() + suffix.len(),
            suffix,
        }
    }

    pub fn bytes(&self, sources: &[Source]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.size);
        bytes.extend_from_slice(&sources[self.source].bytes);
        bytes.extend_from_slice(&self.suffix);
        bytes
    }
}

/// The batch index of a result entry, from the `NNNNN-` prefix of its name.
pub fn index_of(name: &str) -> Option<usize> {
    name.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn copies_are_unique_and_sized() {
        let sources = vec![
            Source {
                path: PathBuf::from("/c/a.xml"),
                content_type: "application/xml",
                bytes: b"<a/>".to_vec(),
            },
            Source {
                path: PathBuf::from("/c/b.PDF"),
                content_type: "application/pdf",
                bytes: b"%PDF-1.4\n%%EOF".to_vec(),
            },
        ];
        let files: Vec<BatchFile> = (0..5).map(|i| BatchFile::new(&sources, i, "n")).collect();
        assert_eq!(files[0].name, "00000-a.xml");
        assert_eq!(files[3].name, "00003-b.PDF");
        assert!(files[0].suffix.is_empty() && files[1].suffix.is_empty());
        let all: HashSet<Vec<u8>> = files.iter().map(|f| f.bytes(&sources)).collect();
        assert_eq!(all.len(), 5);
        for f in &files {
            assert_eq!(f.bytes(&sources).len(), f.size);
        }
        assert!(String::from_utf8(files[2].bytes(&sources))
            .unwrap()
            .ends_with("<!-- intake-load copy 1 n -->\n"));
        assert_eq!(index_of(&files[4].name), Some(4));
    }
}
