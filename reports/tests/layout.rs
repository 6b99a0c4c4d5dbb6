//! The crate's layout holds its one rule: analysis never imports rendering
//! (`crate::render`), and `format`, which both read, imports nothing of the
//! crate. Read from the source, so a new `use` that breaks it fails here.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code lines of `file` (comments and docs aside: a doc may point the
/// reader to a renderer) that name a path containing `needle`.
fn naming(file: &Path, needle: &str) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle) && !l.trim_start().starts_with("//"))
        .map(|(i, l)| format!("{}:{}: {}", file.display(), i + 1, l.trim()))
        .collect()
}

#[test]
fn analysis_never_imports_rendering() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src.join("analysis"));
    assert!(files.len() > 5, "{files:?}");
    let offending: Vec<String> = files
        .iter()
        .flat_map(|f| naming(f, "crate::render"))
        .collect();
    assert!(offending.is_empty(), "{}", offending.join("\n"));
}

#[test]
fn format_imports_nothing_of_the_crate() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/format.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap();
    let uses: Vec<&str> = code
        .lines()
        .filter(|l| l.contains("crate::") && !l.trim_start().starts_with("//"))
        .collect();
    assert!(uses.is_empty(), "{uses:?}");
}
