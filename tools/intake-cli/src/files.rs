//! The files of `intake submit`: what the paths name, how each is called in
//! its session, how they are split into sessions, and the Idempotency-Keys
//! that make a second run of the same command resume the first.

use std::ffi::OsString;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::CliError;

/// The API's smallest `MAX_FILES_PER_SESSION` (api.md: at least 2000;
/// `--files-per-session`'s default).
pub const DEFAULT_MAX_FILES_PER_SESSION: NonZeroU32 = NonZeroU32::new(2000).unwrap();
/// The API's default `MaxFileBytes` (50 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// The longest file name the API accepts, in characters.
const MAX_NAME_CHARS: usize = 255;

/// One file to submit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// The path as the user gave it (a folder's files: the folder as given
    /// joined with the path found under it): the `file` of its output.
    pub shown: String,
    pub path: PathBuf,
    /// Its name in the session: `shown`, its last 255 characters if longer.
    pub name: String,
    pub content_type: &'static str,
    pub size: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// The files of one command, in a stable order (name, then content): the
/// same files give the same sessions whatever the order of the arguments.
#[derive(Debug)]
pub struct FileSet {
    files: Vec<LocalFile>,
}

/// The files of one session and the keys that make it and its job once.
#[derive(Debug)]
pub struct Batch<'a> {
    pub files: &'a [LocalFile],
    pub session_key: String,
    pub extract_key: String,
}

impl FileSet {
    /// Reads and hashes every file the paths name (folders recursively,
    /// without their hidden files). Fails before any request on a path
    /// that does not exist, an empty file or one above `max_file_bytes`.
    pub fn collect(paths: &[OsString], max_file_bytes: u64) -> Result<Self, CliError> {
        let mut files = Vec::new();
        for given in paths {
            let root = Path::new(given);
            let shown_root = given.to_string_lossy();
            if !root.exists() {
                return Err(CliError::Missing {
                    path: shown_root.into_owned(),
                });
            }
            if root.is_file() {
                files.push(local_file(root, shown_root.into_owned(), max_file_bytes)?);
                continue;
            }
            let walk = WalkDir::new(root)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
            for entry in walk {
                let entry = entry.map_err(|error| CliError::Unreadable {
                    path: shown_root.clone().into_owned(),
                    source: error.into(),
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let shown = root.join(entry.path().strip_prefix(root).unwrap_or(entry.path()));
                files.push(local_file(
                    entry.path(),
                    shown.to_string_lossy().into_owned(),
                    max_file_bytes,
                )?);
            }
        }
        if files.is_empty() {
            return Err(CliError::NoFiles {
                paths: paths
                    .iter()
                    .map(|path| path.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
        files.sort_by(|a, b| (&a.name, &a.sha256, &a.shown).cmp(&(&b.name, &b.sha256, &b.shown)));
        Ok(Self { files })
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The sessions: `per_session` files each (the last may hold fewer),
    /// with their keys.
    pub fn batches(
        &self,
        per_session: usize,
        api_key: &str,
        webhook: Option<&str>,
    ) -> Vec<Batch<'_>> {
        self.files
            .chunks(per_session.max(1))
            .map(|files| {
                let digest = batch_digest(files, api_key, webhook);
                Batch {
                    files,
                    session_key: format!("intake-submit-{digest}-session"),
                    extract_key: format!("intake-submit-{digest}-extract"),
                }
            })
            .collect()
    }
}

/// What identifies a session's request: the tenant (a hash of its key,
/// never the key), the webhook, and each file's name and content. Another
/// run over the same files derives the same digest, so the API replays its
/// session and its job instead of making new ones.
fn batch_digest(files: &[LocalFile], api_key: &str, webhook: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(b"intake submit v1\n");
    hash.update(hex::encode(Sha256::digest(api_key.as_bytes())));
    hash.update(b"\nwebhook ");
    hash.update(webhook.unwrap_or_default());
    hash.update(b"\n");
    for file in files {
        hash.update(file.name.as_bytes());
        hash.update(b"\0");
        hash.update(file.sha256.as_bytes());
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn local_file(path: &Path, shown: String, max_file_bytes: u64) -> Result<LocalFile, CliError> {
    let unreadable = |source| CliError::Unreadable {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size == 0 {
        return Err(CliError::Empty { path: shown });
    }
    if size > max_file_bytes {
        return Err(CliError::TooLarge {
            path: shown,
            size,
            max: max_file_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    Ok(LocalFile {
        name: session_name(&shown),
        path: path.to_owned(),
        content_type: content_type_of(path),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        shown,
    })
}

/// A name the API accepts: no control characters, at most 255 characters
/// (the end of a longer path, where the file's own name is).
fn session_name(shown: &str) -> String {
    let clean: Vec<char> = shown
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    clean[clean.len().saturating_sub(MAX_NAME_CHARS)..]
        .iter()
        .collect()
}

/// The content type the session declares; the API reads the format from
/// the bytes, never from this.
fn content_type_of(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("xml") => "application/xml",
        Some(ext) if ext.eq_ignore_ascii_case("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder with these files (relative path, contents).
    fn folder(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "intake-files-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        for (path, contents) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, contents).expect("write");
        }
        dir
    }

    fn rand_suffix() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        NEXT.fetch_add(1, Ordering::SeqCst).to_string()
    }

    fn arg(path: &Path) -> OsString {
        path.as_os_str().to_owned()
    }

    fn keys(set: &FileSet, per_session: usize, api_key: &str) -> Vec<(String, String)> {
        set.batches(per_session, api_key, None)
            .into_iter()
            .map(|batch| (batch.session_key, batch.extract_key))
            .collect()
    }

    #[test]
    fn a_folder_is_read_recursively_without_hidden_files() {
        // Arrange
        let dir = folder(&[
            ("a.xml", "a"),
            ("sub/b.pdf", "b"),
            (".hidden", "h"),
            (".git/c.xml", "c"),
        ]);
        // Act
        let set = FileSet::collect(&[arg(&dir)], 100).expect("collected");
        // Assert
        let shown: Vec<&str> = set.files.iter().map(|f| f.shown.as_str()).collect();
        let expected = [dir.join("a.xml"), dir.join("sub/b.pdf")];
        assert_eq!(
            shown,
            expected
                .iter()
                .map(|p| p.to_str().unwrap())
                .collect::<Vec<_>>()
        );
        assert_eq!(set.files[1].content_type, "application/pdf");
    }

    #[test]
    fn the_same_files_give_the_same_keys_whatever_the_order_of_the_arguments() {
        // Arrange
        let dir = folder(&[("a.xml", "a"), ("b.xml", "b")]);
        let (a, b) = (arg(&dir.join("a.xml")), arg(&dir.join("b.xml")));
        // Act
        let first = FileSet::collect(&[a.clone(), b.clone()], 100).expect("collected");
        let second = FileSet::collect(&[b, a], 100).expect("collected");
        // Assert
        assert_eq!(keys(&first, 10, "k"), keys(&second, 10, "k"));
    }

    #[test]
    fn other_contents_another_key_or_another_webhook_give_other_keys() {
        // Arrange
        let dir = folder(&[("a.xml", "a")]);
        let set = FileSet::collect(&[arg(&dir)], 100).expect("collected");
        std::fs::write(dir.join("a.xml"), "changed").expect("write");
        let changed = FileSet::collect(&[arg(&dir)], 100).expect("collected");
        // Act
        let base = keys(&set, 10, "k");
        let other_key = keys(&set, 10, "other");
        let other_content = keys(&changed, 10, "k");
        let with_webhook = set.batches(10, "k", Some("https://example.com/hook"))[0]
            .session_key
            .clone();
        // Assert
        assert_ne!(base, other_key);
        assert_ne!(base, other_content);
        assert_ne!(base[0].0, with_webhook);
    }

    #[test]
    fn keys_are_valid_idempotency_keys_that_never_show_the_api_key() {
        // Arrange
        let dir = folder(&[("a.xml", "a")]);
        let set = FileSet::collect(&[arg(&dir)], 100).expect("collected");
        let api_key = "ik_secret_key_of_the_tenant";
        // Act
        let (session, extract) = keys(&set, 10, api_key).remove(0);
        // Assert
        for key in [&session, &extract] {
            assert!((1..=255).contains(&key.len()), "{key}");
            assert!(key.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{key}");
            assert!(!key.contains(api_key), "{key}");
        }
        assert_ne!(session, extract);
    }

    #[test]
    fn files_are_split_into_sessions_of_at_most_the_maximum() {
        // Arrange
        let dir = folder(&[
            ("1.xml", "1"),
            ("2.xml", "2"),
            ("3.xml", "3"),
            ("4.xml", "4"),
            ("5.xml", "5"),
        ]);
        let set = FileSet::collect(&[arg(&dir)], 100).expect("collected");
        // Act
        let batches = set.batches(2, "k", None);
        // Assert
        let sizes: Vec<usize> = batches.iter().map(|b| b.files.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);
        let distinct: std::collections::HashSet<&str> =
            batches.iter().map(|b| b.session_key.as_str()).collect();
        assert_eq!(distinct.len(), 3);
    }

    #[test]
    fn a_file_above_the_maximum_is_refused_before_anything_is_sent() {
        // Arrange
        let dir = folder(&[("big.xml", "0123456789"), ("ok.xml", "1")]);
        // Act
        let error = FileSet::collect(&[arg(&dir)], 9).expect_err("too large");
        // Assert
        assert!(
            matches!(
                error,
                CliError::TooLarge {
                    size: 10,
                    max: 9,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn missing_paths_empty_files_and_empty_folders_are_bad_usage() {
        // Arrange
        let dir = folder(&[("empty.xml", "")]);
        let empty_folder = dir.join("nothing");
        std::fs::create_dir_all(&empty_folder).expect("mkdir");
        // Act
        let missing = FileSet::collect(&[arg(&dir.join("none.xml"))], 100).expect_err("missing");
        let empty = FileSet::collect(&[arg(&dir.join("empty.xml"))], 100).expect_err("empty");
        let none = FileSet::collect(&[arg(&empty_folder)], 100).expect_err("no files");
        // Assert
        assert!(matches!(missing, CliError::Missing { .. }), "{missing}");
        assert!(matches!(empty, CliError::Empty { .. }), "{empty}");
        assert!(matches!(none, CliError::NoFiles { .. }), "{none}");
        assert!([missing, empty, none].iter().all(|e| e.exit_code() == 2));
    }

    #[test]
    fn a_long_path_keeps_its_last_255_characters_without_control_characters() {
        // Arrange
        let shown = format!("{}/\u{7}x.xml", "d".repeat(300));
        // Act
        let name = session_name(&shown);
        // Assert
        assert_eq!(name.chars().count(), 255);
        assert!(name.ends_with("/?x.xml"), "{name}");
    }
}
