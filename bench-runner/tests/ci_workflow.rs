//! The bench workflow's own logic, run here: `scripts/ci-results` merges the
//! results of two jobs into one report and compares each job with its
//! namesake in main's baseline (passing where there is none, exit 1 where a
//! real sweep made slower by a busy delay per step regressed), and
//! `scripts/lint-workflows` passes `.github/workflows`, fails on a workflow
//! with a mistake in it, and fails when the actionlint it runs would miss a
//! `run:` script's shellcheck finding.

mod common;

use common::{bin, config, write_config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use workloads::fault_injection::DELAY_ENV;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One real sweep of a single cell into `artifacts/JOB/host/`, laid out as
/// `scripts/ci-matrix-job` leaves a job's output; `delay_ns` spins that long
/// per step inside the timed region.
fn job(artifacts: &Path, job: &str, delay_ns: Option<&str>) -> PathBuf {
    let dir = artifacts.join(job).join("host");
    std::fs::create_dir_all(&dir).unwrap();
    let config = write_config(
        artifacts,
        &config(
            r#"styles = ["link"]
groups = [1]
steps = [8]
batch = [8]
repetitions = 5
min_repetitions = 5"#,
        ),
    );
    let mut cmd = bin();
    if let Some(delay) = delay_ns {
        cmd.env(DELAY_ENV, delay);
    }
    let out = cmd
        .arg("sweep")
        .arg(&config)
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "sweep failed: {}", stderr(&out));
    std::fs::write(dir.join("exit-status"), "0\n").unwrap();
    dir.join("results.jsonl")
}

fn ci_results(args: &[&Path]) -> Output {
    Command::new(repo().join("scripts/ci-results"))
        .args(args)
        .env("BENCH_RUNNER", env!("CARGO_BIN_EXE_bench-runner"))
        .output()
        .unwrap()
}

fn ran_ok(results: &Path) -> bool {
    std::fs::read_to_string(results)
        .unwrap()
        .lines()
        .skip(1)
        .any(|l| serde_json::from_str::<Value>(l).unwrap()["status"] == "ok")
}

#[test]
fn ci_results_merges_the_jobs_and_compares_each_with_main() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let a = job(&artifacts, "results-a-host", None);
    if !ran_ok(&a) {
        eprintln!("skipping: the cell was not timed on this machine (see {a:?})");
        return;
    }
    job(&artifacts, "results-b-host", None);

    // Both jobs' results in one report, each cell once per job.
    let report = dir.path().join("report");
    let merged = ci_results(&[Path::new("merge"), &artifacts, &report]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let log = stderr(&merged);
    assert!(
        log.contains("results-a-host: kernel host exited 0"),
        "{log}"
    );
    let entries: Vec<Value> =
        serde_json::from_slice(&std::fs::read(report.join("bench-github.json")).unwrap()).unwrap();
    let timed: Vec<&str> = entries
        .iter()
        .filter(|e| e["unit"] == "ns/step")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(timed.len(), 2, "one timing per job: {timed:?}");
    assert_ne!(timed[0], timed[1], "{timed:?}");
    assert!(report.join("report.md").is_file());

    // No baseline yet: said, and passed.
    let compared = dir.path().join("compare");
    let missing = dir.path().join("no-baseline");
    let first = ci_results(&[Path::new("compare"), &missing, &artifacts, &compared]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("nothing to compare, passing"),
        "{}",
        stderr(&first)
    );

    // A baseline of job a only: a is compared with itself (no change), b is
    // named as having none.
    let baseline = dir.path().join("baseline");
    let base_dir = baseline.join("results-a-host/host");
    std::fs::create_dir_all(&base_dir).unwrap();
    std::fs::copy(&a, base_dir.join("results.jsonl")).unwrap();
    let same = ci_results(&[Path::new("compare"), &baseline, &artifacts, &compared]);
    let log = stderr(&same);
    assert!(same.status.success(), "{log}");
    assert!(log.contains("results-a-host: no regression"), "{log}");
    assert!(
        log.contains("results-b-host: no baseline from main"),
        "{log}"
    );
    assert!(compared.join("results-a-host/compare.md").is_file());

    // Job a now spins 200 µs per step: a regression of its cell, exit 1.
    let slower = dir.path().join("slower");
    job(&slower, "results-a-host", Some("200000"));
    let regressed = ci_results(&[Path::new("compare"), &baseline, &slower, &compared]);
    let log = stderr(&regressed);
    assert_eq!(regressed.status.code(), Some(1), "{log}");
    assert!(log.contains("results-a-host: REGRESSED"), "{log}");
}

#[test]
fn ci_results_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let empty = ci_results(&[Path::new("merge"), dir.path(), &dir.path().join("out")]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(
        stderr(&empty).contains("no results.jsonl under"),
        "{}",
        stderr(&empty)
    );
    let bad = ci_results(&[Path::new("publish")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("merge or compare"),
        "{}",
        stderr(&bad)
    );
}

/// A copy of what `scripts/lint-workflows` reads (itself, its fixture, the
/// apt helper and the workflows) in a fresh directory, to lint changed
/// workflows without touching the repository's.
fn lint_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(repo().join("scripts"))
        .arg(repo().join(".github"))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

fn lint(root: &Path, actionlint: Option<&Path>) -> Output {
    let mut cmd = Command::new(root.join("scripts/lint-workflows"));
    if let Some(path) = actionlint {
        cmd.env("ACTIONLINT", path);
    }
    cmd.output().unwrap()
}

/// Why the lint cannot run here, if it cannot: the script's exit status 2
/// says a tool could not be installed, and its line says which.
fn lint_skip_reason(out: &Output) -> Option<String> {
    (out.status.code() == Some(2)).then(|| stderr(out).trim().to_string())
}

#[test]
fn lint_skip_path_says_which_tool_is_missing() {
    let out = lint(&repo(), Some(Path::new("/nonexistent/actionlint")));
    let why = lint_skip_reason(&out).expect("a missing actionlint is a skip");
    assert_eq!(
        why,
        "lint-workflows: /nonexistent/actionlint is not an executable"
    );
}

#[test]
fn lint_passes_the_workflows_and_fails_on_a_mistake() {
    let clean = lint(&repo(), None);
    if let Some(why) = lint_skip_reason(&clean) {
        eprintln!("skipping: {why}");
        return;
    }
    assert!(clean.status.success(), "{}", stderr(&clean));

    let tree = lint_tree();
    let workflow = tree.path().join(".github/workflows/bench.yml");
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert!(text.contains("steps.merge.outcome"));
    std::fs::write(
        &workflow,
        text.replace("steps.merge.outcome", "steps.merge.outcom"),
    )
    .unwrap();
    let broken = lint(tree.path(), None);
    let log = String::from_utf8_lossy(&broken.stdout).into_owned() + &stderr(&broken);
    assert_eq!(broken.status.code(), Some(1), "{log}");
    assert!(log.contains(r#"property "outcom" is not defined"#), "{log}");
}

#[test]
fn lint_fails_when_actionlint_would_miss_shellcheck() {
    let clean = lint(&repo(), None);
    if let Some(why) = lint_skip_reason(&clean) {
        eprintln!("skipping: {why}");
        return;
    }
    // The installed actionlint, run with its shellcheck integration off.
    let tree = lint_tree();
    let venv = std::fs::read_dir(
        std::env::var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache"))
            .join("uring-syncbench/tools"),
    )
    .unwrap()
    .map(|e| e.unwrap().path().join("bin/actionlint"))
    .find(|p| p.is_file())
    .expect("the clean lint installed actionlint");
    let blind = tree.path().join("actionlint-without-shellcheck");
    std::fs::write(
        &blind,
        format!(
            "#!/bin/sh\n# drops -shellcheck PATH, then turns the integration off\n\
             [ \"$1\" = -shellcheck ] && shift 2\nexec '{}' -shellcheck= \"$@\"\n",
            venv.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&blind)
        .status()
        .unwrap();
    let out = lint(tree.path(), Some(&blind));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("reported no shellcheck finding in scripts/lint-workflows.d/broken.yml"),
        "{}",
        stderr(&out)
    );
}
