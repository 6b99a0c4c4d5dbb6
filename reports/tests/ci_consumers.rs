//! The CI files read by their consumers' own logic: github-action-benchmark's
//! `BenchmarkResult` schema (zod, src/extract.ts of v1.22.0) and its alert
//! rule (`findAlerts`/`getRatio`, src/write.ts), run in Node on the files
//! `render` writes for a baseline and for a candidate in which one cell
//! newly fails. Skips with the reason when Node, npm or zod cannot be had.

mod common;

use common::*;
use reports::{render, RenderOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The action's schema and alert rule, as its sources have them, applied
/// to a previous and a current bench-github.json; prints what it found.
const ACTION: &str = r#"
const fs = require('fs');
const { z } = require('zod');
const BenchmarkResult = z.object({
    name: z.coerce.string(),
    value: z.coerce.number(),
    range: z.coerce.string().optional(),
    unit: z.coerce.string(),
    extra: z.coerce.string().optional(),
});
const BenchmarkResults = z.array(BenchmarkResult);
function extract(path) {
    const benches = BenchmarkResults.parse(JSON.parse(fs.readFileSync(path, 'utf8')));
    if (benches.length === 0) throw new Error('No benchmark result was found');
    return benches;
}
function getRatio(prev, current) {
    if (prev.value === 0 && current.value === 0) return 1;
    return current.value / prev.value; // customSmallerIsBetter
}
const prev = extract(process.argv[2]);
const cur = extract(process.argv[3]);
const threshold = 2.0; // the action's default alert-threshold, 200%
const alerts = [];
for (const current of cur) {
    const p = prev.find((b) => b.name === current.name);
    if (p === undefined) continue;
    if (getRatio(p, current) > threshold) alerts.push(current.name);
}
console.log(JSON.stringify({ entries: cur.length, alerts }));
"#;

/// A directory with zod installed and the action's logic beside it, or why
/// there cannot be one.
fn action_env(node: &Path, npm: &Path, dir: &Path) -> Result<PathBuf, String> {
    for tool in [node, npm] {
        match Command::new(tool).arg("--version").output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                return Err(format!(
                    "{} --version failed ({})",
                    tool.display(),
                    o.status
                ))
            }
            Err(e) => return Err(format!("cannot run {}: {e}", tool.display())),
        }
    }
    let install = Command::new(npm)
        .args(["install", "--silent", "--no-audit", "--no-fund", "zod@4"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !install.status.success() {
        return Err(format!(
            "npm install zod@4 failed: {}",
            String::from_utf8_lossy(&install.stderr).trim()
        ));
    }
    let script = dir.join("action.js");
    std::fs::write(&script, ACTION).map_err(|e| e.to_string())?;
    Ok(script)
}

#[test]
fn skip_path_says_why_the_action_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let why = action_env(Path::new("/nonexistent/node"), Path::new("npm"), dir.path()).unwrap_err();
    assert!(why.starts_with("cannot run /nonexistent/node: "), "{why}");
    let why = action_env(Path::new("/bin/true"), Path::new("/bin/false"), dir.path()).unwrap_err();
    assert!(why.starts_with("/bin/false --version failed"), "{why}");
}

#[test]
fn the_action_parses_both_runs_and_alerts_on_the_cell_that_newly_fails() {
    let dir = tempfile::tempdir().unwrap();
    let script = match action_env(Path::new("node"), Path::new("npm"), dir.path()) {
        Ok(s) => s,
        Err(why) => {
            eprintln!("skipping: github-action-benchmark's logic cannot run: {why}");
            return;
        }
    };
    let records: Vec<_> = sweep(2, 5)
        .into_iter()
        .filter(|r| r.cell.op == "nop" && r.cell.steps == 8)
        .collect();
    let control = key("independent", "default", "timeout", 8, 8);
    let broken = key("drain", "default", "nop", 8, 8);
    let mut base = records.clone();
    base.push(failed(&control));
    let mut cand: Vec<_> = records
        .into_iter()
        .filter(|r| r.name != broken.name())
        .collect();
    cand.push(failed(&control));
    cand.push(failed(&broken));
    let options = RenderOptions {
        plots: false,
        png: false,
    };
    let mut files = Vec::new();
    for (name, records) in [("base", &base), ("cand", &cand)] {
        let input = write(
            dir.path(),
            &format!("{name}.jsonl"),
            &header("6.18.0", false),
            records,
        );
        let out = dir.path().join(name);
        render(&[input], &out, &options).unwrap();
        files.push(out.join("bench-github.json"));
    }
    let out = Command::new("node")
        .arg(&script)
        .args(&files)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts: Vec<&str> = result["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // The failed cell lost its timing but not its place: its not-ok entry
    // went from 0 to 1, which the action's rule reports; the control that
    // broke the order on both runs raises nothing.
    assert_eq!(
        alerts,
        vec![format!("{} not-ok", broken.name())],
        "{result}"
    );
    assert!(result["entries"].as_u64().unwrap() > 20, "{result}");
}
