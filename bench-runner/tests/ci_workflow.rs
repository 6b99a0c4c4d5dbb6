//! The bench workflow's own logic, run here: `scripts/ci-results` merges the
//! results of two jobs into one report and compares each job with its
//! namesake in main's baseline (passing where there is none, exit 1 where a
//! real sweep made slower by a busy delay per step regressed), and fences
//! the job summary so that nothing in it closes the fence;
//! `scripts/ci-runners` keeps a fork's pull request off self-hosted runners;
//! `scripts/lint-workflows` passes `.github/workflows`, fails on a workflow
//! with a mistake in it, and fails when the actionlint it runs would miss a
//! `run:` script's shellcheck finding. Lints of the workflow's text check
//! what actionlint does not: every action pinned to a commit, the baseline
//! taken only from push runs of this repository, the runners chosen by
//! `scripts/ci-runners`.

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
        stderr(&bad).contains("merge, compare or summary"),
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

fn workflow() -> String {
    std::fs::read_to_string(repo().join(".github/workflows/bench.yml")).unwrap()
}

/// The text of the workflow's step named `name`, up to the next step.
fn step(workflow: &str, name: &str) -> String {
    let start = workflow
        .find(&format!("- name: {name}\n"))
        .unwrap_or_else(|| panic!("no step named {name}"));
    let rest = &workflow[start + 2..];
    let end = rest.find("\n      - ").map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_tag_in_a_comment() {
    let text = workflow();
    let uses: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
        })
        .collect();
    assert!(uses.len() >= 5, "{uses:?}");
    for u in uses {
        let (action, tag) = u
            .split_once(" # ")
            .unwrap_or_else(|| panic!("{u}: no tag in a comment"));
        let (_, sha) = action
            .split_once('@')
            .unwrap_or_else(|| panic!("{u}: no ref"));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{u}: not pinned to a commit"
        );
        assert!(
            tag.starts_with('v') && tag[1..].split('.').all(|n| n.parse::<u32>().is_ok()),
            "{u}: the comment is not a release tag"
        );
    }
}

#[test]
fn the_baseline_comes_only_from_push_runs_of_main_in_this_repository() {
    let text = workflow();
    let find = step(&text, "Find main's baseline");
    for filter in [
        "/actions/workflows/bench.yml/runs?branch=main&event=push",
        r#".event == "push""#,
        r#".head_branch == "main""#,
        ".head_repository.full_name == env.GITHUB_REPOSITORY",
    ] {
        assert!(find.contains(filter), "no `{filter}` in:\n{find}");
    }
    assert!(
        !find.contains("/actions/artifacts?"),
        "the repository's artifacts, any run's upload among them:\n{find}"
    );
    let download = step(&text, "Download main's baseline");
    assert!(
        download.contains("run-id: ${{ steps.baseline.outputs.run-id }}"),
        "{download}"
    );
    let keep = step(&text, "Keep this run as main's baseline");
    assert!(
        keep.contains("github.event_name == 'push' && github.ref == 'refs/heads/main'"),
        "{keep}"
    );
}

fn ci_runners(runners: &str, report: &str, event: &str, head: &str) -> (Output, String) {
    let out = Command::new(repo().join("scripts/ci-runners"))
        .args([runners, report, event, head, "team/uring-syncbench"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

#[test]
fn a_forks_pull_request_runs_only_on_github_hosted_runners() {
    let text = workflow();
    for wiring in [
        "runner: ${{ fromJSON(needs.runners.outputs.runners) }}",
        "runs-on: ${{ needs.runners.outputs.report-runner }}",
        "HEAD_REPO: ${{ github.event.pull_request.head.repo.full_name }}",
    ] {
        assert!(text.contains(wiring), "no `{wiring}` in the workflow");
    }
    let runs_on: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runs-on: "))
        .collect();
    assert_eq!(
        runs_on,
        [
            "ubuntu-24.04",
            "${{ matrix.runner }}",
            "${{ needs.runners.outputs.report-runner }}"
        ]
    );

    let mixed = r#"["ubuntu-24.04", ["self-hosted", "linux", "x64", "uring"], "lab-box"]"#;
    let all = "runners=[\"ubuntu-24.04\",[\"self-hosted\",\"linux\",\"x64\",\"uring\"],\"lab-box\"]\nreport-runner=lab-box\n";
    let hosted = "runners=[\"ubuntu-24.04\"]\nreport-runner=ubuntu-24.04\n";
    let (out, fork) = ci_runners(mixed, "lab-box", "pull_request", "someone/uring-syncbench");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fork, hosted);
    assert!(
        stderr(&out).contains("not on self-hosted runners"),
        "{}",
        stderr(&out)
    );
    for (event, head) in [
        ("pull_request", "team/uring-syncbench"),
        ("push", ""),
        ("workflow_dispatch", ""),
    ] {
        assert_eq!(ci_runners(mixed, "lab-box", event, head).1, all, "{event}");
    }
    let (_, only_self_hosted) = ci_runners(
        r#"[["self-hosted", "uring"]]"#,
        "ubuntu-24.04",
        "pull_request",
        "someone/uring-syncbench",
    );
    assert_eq!(only_self_hosted, hosted);
    let (bad, _) = ci_runners("{}", "x", "push", "");
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(stderr(&bad).lines().count(), 1, "{}", stderr(&bad));
}

#[test]
fn the_job_summary_fence_is_longer_than_any_run_of_backticks_in_it() {
    let text = workflow();
    assert!(
        step(&text, "Merge the results into one report").contains(
            "scripts/ci-results summary ci-out/report/email.txt >>\"$GITHUB_STEP_SUMMARY\""
        ),
        "the summary is not fenced by ci-results"
    );
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("email.txt");
    std::fs::write(&mail, "findings\n```\n```` closed?\nlast line").unwrap();
    let out = ci_results(&[Path::new("summary"), &mail]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        summary,
        "`````\nfindings\n```\n```` closed?\nlast line\n`````\n"
    );
    std::fs::write(&mail, "no backticks\n").unwrap();
    let plain = ci_results(&[Path::new("summary"), &mail]);
    assert_eq!(
        String::from_utf8(plain.stdout).unwrap(),
        "```\nno backticks\n```\n"
    );
}
