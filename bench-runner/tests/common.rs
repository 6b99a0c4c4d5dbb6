//! Helpers shared by the bench-runner integration tests: the binary, small
//! configs, and reading results files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench-runner"))
}

/// A small, valid config; `extra` lines replace keys of the same name.
pub fn config(extra: &str) -> String {
    let base = [
        ("styles", r#"["link", "userspace"]"#),
        ("modes", r#"["default"]"#),
        ("ops", r#"["nop"]"#),
        ("groups", "[2]"),
        ("steps", "[4]"),
        ("batch", "[2]"),
        ("repetitions", "3"),
        ("min_repetitions", "1"),
        ("warmup", r#""5ms""#),
        ("time_budget", r#""100ms""#),
        ("rep_time", r#""2ms""#),
        ("profile", "false"),
    ];
    let overridden: Vec<&str> = extra
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut text: String = base
        .iter()
        .filter(|(k, _)| !overridden.contains(k))
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    text.push_str(extra);
    text.push('\n');
    text
}

/// Writes `text` as a config file in `dir`.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a sweep and returns its output.
pub fn sweep(config: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("sweep")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The cell lines of a results file as JSON values.
pub fn cell_lines(results: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(results)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
