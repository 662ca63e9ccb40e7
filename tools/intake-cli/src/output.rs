//! What `submit --wait` and `result` print and write: one JSON line per
//! file (the API's result entry, plus the path as given), and with `--out`
//! one JSON file per file.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use intake_client::ResultEntry;
use serde_json::Value;

use crate::CliError;

/// The result entry as the API wrote it, with `"file": <path as given>`
/// when the file is known.
pub fn result_line(entry: &ResultEntry, file: Option<&str>) -> Value {
    let mut line = serde_json::to_value(entry).unwrap_or(Value::Null);
    if let (Some(file), Value::Object(fields)) = (file, &mut line) {
        fields.insert("file".to_owned(), Value::String(file.to_owned()));
    }
    line
}

/// Prints one line; a closed stdout (piped into `head`) is not an error.
pub fn print(out: &mut dyn Write, line: &Value) {
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Writes `line` to `dir/<path>.json`: the file's path as given, made
/// relative (no root, `..` as `__`), so that the tree of the input is the
/// tree of the output and nothing lands outside `dir`.
pub fn write_out(dir: &Path, path: &str, line: &Value) -> Result<PathBuf, CliError> {
    let target = out_path(dir, path);
    let write = |target: &Path| -> std::io::Result<()> {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, format!("{line:#}\n"))
    };
    write(&target).map_err(|source| CliError::Write {
        path: target.clone(),
        source,
    })?;
    Ok(target)
}

fn out_path(dir: &Path, path: &str) -> PathBuf {
    let mut relative = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::ParentDir => relative.push("__"),
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
        }
    }
    let mut name = relative.into_os_string();
    name.push(".json");
    dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_paths_stay_inside_the_folder() {
        let dir = Path::new("/out");
        assert_eq!(out_path(dir, "a/b.xml"), Path::new("/out/a/b.xml.json"));
        assert_eq!(
            out_path(dir, "/abs/c.pdf"),
            Path::new("/out/abs/c.pdf.json")
        );
        assert_eq!(
            out_path(dir, "../up/./d.xml"),
            Path::new("/out/__/up/d.xml.json")
        );
    }

    #[test]
    fn a_line_is_the_entry_as_the_api_wrote_it_plus_the_file() {
        // Arrange
        let entry: ResultEntry = serde_json::from_value(serde_json::json!({
            "file_id": "fil_1", "name": "a.xml", "status": "succeeded",
            "document": {"syntax": "UBL"}, "cache": "miss"
        }))
        .expect("an entry");
        // Act
        let line = result_line(&entry, Some("./in/a.xml"));
        // Assert
        assert_eq!(line["file"], "./in/a.xml");
        assert_eq!(line["document"]["syntax"], "UBL");
        assert_eq!(line["cache"], "miss");
        assert_eq!(line["file_id"], "fil_1");
    }
}
