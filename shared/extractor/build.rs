//! The engine's release for the document cache: a digest of the engine's
//! sources (its code, its code lists and its manifest), so that any change
//! to the engine is a new release whose verdicts are never served from an
//! older one's cache, whether or not its version number was raised.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn files_under(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("read {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files_under(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let engine = Path::new(&manifest_dir).join("../engine");
    let sources = engine.join("src");
    let manifest = engine.join("Cargo.toml");
    let mut files = vec![manifest.clone()];
    files_under(&sources, &mut files);
    files.sort();
    let mut digest = Sha256::new();
    for file in &files {
        let relative = file.strip_prefix(&engine).expect("under the engine");
        digest.update(relative.to_string_lossy().as_bytes());
        digest.update([0]);
        let bytes =
            std::fs::read(file).unwrap_or_else(|error| panic!("read {}: {error}", file.display()));
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(&bytes);
    }
    let digest = hex::encode(digest.finalize());
    println!("cargo:rerun-if-changed={}", sources.display());
    println!("cargo:rerun-if-changed={}", manifest.display());
    println!(
        "cargo:rustc-env=INTAKE_ENGINE_SOURCES_SHA256={}",
        &digest[..16]
    );
}
