//! The command line against the real binary and kernel: a `--filter` that
//! names no cell is refused before anything is written, patterns match
//! whole name segments, progress counts cells, `sweep` names the page and
//! the mail, `list` keeps its columns apart, `plan` states skips, clamped
//! batches and a time estimate, and `compare` cannot pass on nothing:
//! missing cells, underpowered cells, the change over the raw loop on a
//! machine that drifted, and header differences that are real.

mod common;

use common::{bin, config, sweep, write_config};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Two styles, one of them `hardlink`, whose name holds `link`.
fn link_and_hardlink() -> String {
    config(r#"styles = ["link", "hardlink"]"#)
}

fn plan(config: &Path, extra: &[&str]) -> Output {
    bin().arg("plan").arg(config).args(extra).output().unwrap()
}

#[test]
fn a_filter_that_names_no_cell_is_refused_in_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &link_and_hardlink());
    let out = dir.path().join("out");
    let run = sweep(&config, &out, &["--filter", "nosuch"]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --filter 'nosuch' matches none of the 2 cell(s)"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written, not even the directory");

    let planned = plan(&config, &["--filter", "nosuch"]);
    assert_eq!(planned.status.code(), Some(2));
    assert!(text(&planned.stderr).contains("'nosuch'"));
    assert!(planned.stdout.is_empty());
}

#[test]
fn a_filter_matches_whole_name_segments_with_globs() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &link_and_hardlink());
    let names = |pattern: &str| -> Vec<String> {
        let output = plan(&config, &["--filter", pattern]);
        assert!(output.status.success(), "{pattern}: {output:?}");
        text(&output.stdout)
            .lines()
            .filter(|l| l.contains('/'))
            .map(String::from)
            .collect()
    };
    let link = "link/default/nop/g2-s4-b2-t1";
    let hardlink = "hardlink/default/nop/g2-s4-b2-t1";
    assert_eq!(names("link/default/nop/g2-s4-b2"), [link]);
    assert_eq!(names("link"), [link]);
    assert_eq!(names("hardlink"), [hardlink]);
    assert_eq!(names("*link"), [link, hardlink]);
    assert_eq!(names("*/default/*/g2-s4"), [link, hardlink]);
}

#[test]
fn plan_states_skips_clamped_batches_and_how_long_the_sweep_takes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &config("styles = [\"link\", \"bpf-loop\"]\ngroups = [1]\nsteps = [16]\nbatch = [16, 64]"),
    );
    let output = plan(&config, &[]);
    assert!(output.status.success(), "{output:?}");
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        out,
        "link/default/nop/g1-s16-b16-t1\nbpf-loop/default/nop/g1-s16-b16-t1\n2 cell(s)\n"
    );
    // The sweep's own capability check: the BPF loop needs DEFER_TASKRUN.
    assert!(
        err.contains("1 cell(s) skipped on this machine (unsupported_combination)")
            && err.contains("  bpf-loop/default/nop/g1-s16-b16-t1\n"),
        "{err}"
    );
    assert!(err.contains("batch 64 clamped to 16 at g1-s16"), "{err}");
    let time = err
        .lines()
        .find(|l| l.starts_with("time measuring: "))
        .expect(&err);
    assert!(
        time.contains("at least ")
            && time.contains("likely about ")
            && time.contains("at most ")
            && time.contains("1 cell(s)"),
        "{time}"
    );
}

#[test]
fn sweep_says_which_batch_it_clamped_as_plan_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &config(
            "styles = [\"link\"]\ngroups = [1]\nsteps = [4]\nbatch = [8]\n\
             repetitions = 2\nmin_repetitions = 1\nprofile = false",
        ),
    );
    let output = sweep(&config, &dir.path().join("out"), &[]);
    assert!(output.status.success(), "{output:?}");
    let err = text(&output.stderr);
    assert_eq!(
        err.lines().next(),
        Some("batch 8 clamped to 4 at g1-s4: a batch is at most the whole stream (groups x steps)"),
        "{err}"
    );
}

#[test]
fn list_keeps_its_columns_apart_and_describes_a_registered_ring() {
    let output = bin().arg("list").output().unwrap();
    assert!(output.status.success());
    let out = text(&output.stdout);
    let row = |name: &str| -> Vec<String> {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} row in:\n{out}"));
        line.split("   ")
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    // Three columns apart: the name, what it is, the verdict.
    let (default, registered) = (row("default"), row("registered-ring"));
    assert_eq!(default.len(), 3, "{default:?}");
    assert_eq!(registered.len(), 3, "{registered:?}");
    assert_ne!(
        default[1], registered[1],
        "registered-ring has its own description"
    );
    assert!(
        registered[1].contains("IORING_REGISTER_RING_FDS"),
        "{registered:?}"
    );
    let sqpoll = row("sqpoll");
    assert!(sqpoll[1].ends_with("submission queue"), "{sqpoll:?}");
    assert!(sqpoll[2].starts_with("supported") || sqpoll[2].starts_with("unsupported"));
}

/// A finished tiny sweep of `config_text` in `dir/name`, with `extra`
/// arguments; its results file.
fn swept(dir: &Path, name: &str, config_text: &str, extra: &[&str]) -> (PathBuf, String) {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(&config, config_text).unwrap();
    let out = dir.join(name);
    let run = sweep(&config, &out, extra);
    let err = text(&run.stderr);
    assert!(run.status.success(), "{err}");
    (out.join("results.jsonl"), err)
}

#[test]
fn a_sweep_counts_its_progress_in_cells_prints_its_verdict_and_names_the_page_and_the_mail() {
    let dir = tempfile::tempdir().unwrap();
    let (results, err) = swept(dir.path(), "run", &config(""), &[]);
    let counts: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix('[')?.split(' ').next())
        .collect();
    assert!(counts.contains(&"2/2"), "{err}");
    assert!(counts.iter().all(|c| c.ends_with("/2")), "{counts:?}");
    let out = results.parent().unwrap();
    for (what, file) in [("report", "report.html"), ("mail", "email.txt")] {
        let line = format!("{what}: {}", out.join(file).display());
        assert!(err.lines().any(|l| l == line), "no `{line}` in:\n{err}");
        assert!(out.join(file).exists());
    }
    // The verdict, as the page and the mail give it, comes before them.
    let (before_page, _) = err.split_once("\nreport: ").expect("the page is named");
    let verdict = before_page
        .split_once("\n- ")
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no verdict in:\n{err}"));
    assert!(verdict.contains("x link intervals within"), "{err}");
    // Then the mail's table of verdicts, line for line as the mail has it.
    let mail = std::fs::read_to_string(out.join("email.txt")).unwrap();
    let table: Vec<&str> = before_page
        .lines()
        .skip_while(|l| !l.starts_with("x link at "))
        .collect();
    assert!(table.len() >= 4, "no table of verdicts in:\n{err}");
    assert!(mail.contains(&table.join("\n")), "{mail}");
    // The machine section dates the run.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let started = md
        .lines()
        .find(|l| l.contains(", started "))
        .expect("the run's start");
    assert!(
        started.ends_with(" UTC") && !started.contains("(unix)"),
        "{started}"
    );
}

/// Rewrites a results file line by line through `edit` (header included,
/// as the line's JSON), into `to`.
fn rewrite(from: &Path, to: &Path, mut edit: impl FnMut(&mut Value) -> bool) {
    let mut out = String::new();
    for line in std::fs::read_to_string(from).unwrap().lines() {
        let mut v: Value = serde_json::from_str(line).unwrap();
        if edit(&mut v) {
            out.push_str(&serde_json::to_string(&v).unwrap());
            out.push('\n');
        }
    }
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(to, out).unwrap();
}

/// Multiplies a timing's (or a raw loop's) times by `f`, its totals and
/// its per-step figures alike.
fn scale(timing: &mut Value, f: f64) {
    for key in ["wall_ns", "cpu_ns", "checked_wall_ns"] {
        if let Some(n) = timing[key].as_u64() {
            timing[key] = Value::from((n as f64 * f) as u64);
        }
    }
    let steps = timing["steps"].as_u64().unwrap_or(1).max(1) as f64;
    for (per_step, total) in [
        ("ns_per_step", "wall_ns"),
        ("cpu_ns_per_step", "cpu_ns"),
        ("checked_ns_per_step", "checked_wall_ns"),
    ] {
        if let Some(n) = timing[total].as_u64() {
            timing[per_step] = Value::from(n as f64 / steps);
        }
    }
}

fn compare(base: &Path, cand: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let output = bin()
        .arg("compare")
        .arg(base)
        .arg(cand)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code(),
        text(&output.stdout) + &text(&output.stderr),
    )
}

/// A tiny real sweep with raw reference loops, or why there is none.
fn base_sweep(dir: &Path) -> Option<PathBuf> {
    let (results, _) = swept(
        dir,
        "base",
        &config("repetitions = 5\nmin_repetitions = 5"),
        &[],
    );
    let lines = common::cell_lines(&results);
    if !lines
        .iter()
        .any(|l| l["pass"] == "reference" && l["status"] == "ok")
    {
        eprintln!("skipping: no raw reference loop ran: {lines:?}");
        return None;
    }
    Some(results)
}

#[test]
fn a_machine_twenty_percent_slower_changes_nothing_over_the_raw_loop() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = base_sweep(dir.path()) else {
        return;
    };
    // Every repetition of every cell and of every raw loop 20% slower: the
    // machine, not the code, changed.
    let cand = dir.path().join("slow/results.jsonl");
    rewrite(&base, &cand, |v| {
        for key in ["timing", "reference_timing"] {
            if v[key].is_object() {
                scale(&mut v[key], 1.2);
            }
        }
        true
    });
    let (_, out) = compare(&base, &cand, &dir.path().join("cmp"), &[]);
    assert!(
        out.contains("Raw reference loops: +20.0% ns/step from baseline to candidate"),
        "{out}"
    );
    let bmf: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cmp/compare-bench.json")).unwrap(),
    )
    .unwrap();
    let cells = bmf.as_object().unwrap();
    assert_eq!(cells.len(), 2, "{bmf}");
    for (name, m) in cells {
        let plain = m["ratio-to-baseline"]["value"].as_f64().unwrap();
        let normalised = m["ratio-to-baseline-over-raw-loop"]["value"]
            .as_f64()
            .unwrap();
        assert!((plain - 1.2).abs() < 0.01, "{name}: {plain}");
        assert!((normalised - 1.0).abs() < 0.01, "{name}: {normalised}");
        // The terminal shows both beside each other.
        let row = out.lines().find(|l| l.starts_with(name.as_str())).unwrap();
        assert!(row.contains("+20.0%") && row.contains("+0.0%"), "{row}");
    }
}

#[test]
fn a_baseline_cell_missing_from_the_candidate_fails_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = base_sweep(dir.path()) else {
        return;
    };
    let gone = "userspace/default/nop/g2-s4-b2-t1";
    let cand = dir.path().join("fewer/results.jsonl");
    rewrite(&base, &cand, |v| v["name"] != gone);
    let (code, out) = compare(&base, &cand, &dir.path().join("cmp"), &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("1 only in baseline"), "{out}");
    assert!(
        out.contains("FAILED: 1 baseline cell(s) missing from the candidate"),
        "{out}"
    );
    let (code, out) = compare(&base, &cand, &dir.path().join("cmp2"), &["--allow-missing"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 only in baseline (allowed)"), "{out}");

    // A candidate of no cells at all compares nothing: never a pass.
    let empty = dir.path().join("empty/results.jsonl");
    rewrite(&base, &empty, |v| v.get("name").is_none());
    let (code, out) = compare(
        &base,
        &empty,
        &dir.path().join("cmp3"),
        &["--allow-missing"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no cell was compared"), "{out}");
}

#[test]
fn a_cell_too_noisy_to_see_the_threshold_is_marked_underpowered() {
    let dir = tempfile::tempdir().unwrap();
    let Some(base) = base_sweep(dir.path()) else {
        return;
    };
    // userspace's repetitions spread by ±30%, link's left as measured but
    // set within 0.1% of each other: only userspace cannot see 5%.
    let noisy = dir.path().join("noisy/results.jsonl");
    let mut rep = 0;
    rewrite(&base, &noisy, |v| {
        if v["pass"] == "timing" && v["status"] == "ok" {
            let spread = if v["cell"]["style"] == "userspace" {
                0.3
            } else {
                0.001
            };
            let f = 1.0 + spread * [-1.0, 0.0, 1.0][rep % 3];
            rep += 1;
            let ns = v["timing"]["ns_per_step"].as_f64().unwrap();
            // Every repetition at the cell's first value, then spread.
            scale(&mut v["timing"], 100.0 * f / ns);
        }
        true
    });
    let (code, out) = compare(&noisy, &noisy, &dir.path().join("cmp"), &[]);
    assert_eq!(code, Some(0), "underpowered is stated, not failed:\n{out}");
    assert!(
        out.contains("1 underpowered (could not detect a 5.0% change)"),
        "{out}"
    );
    let row = |style: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{style}/")))
            .unwrap()
            .to_string()
    };
    assert!(row("userspace").contains("underpowered"), "{out}");
    assert!(!row("link").contains("underpowered"), "{out}");
    let bmf: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cmp/compare-bench.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        bmf["userspace/default/nop/g2-s4-b2-t1"]["underpowered"]["value"],
        1
    );
    assert_eq!(
        bmf["link/default/nop/g2-s4-b2-t1"]["underpowered"]["value"],
        0
    );
    let md = std::fs::read_to_string(dir.path().join("cmp/compare.md")).unwrap();
    assert!(md.contains("1 underpowered"), "{md}");
}

#[test]
fn a_filtered_run_lists_no_opcode_as_removed_that_it_never_probed() {
    let dir = tempfile::tempdir().unwrap();
    let both = config(r#"styles = ["link", "msg-ring"]"#);
    let (full, _) = swept(dir.path(), "full", &both, &[]);
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&full)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let opcodes = header["io_uring"]["opcodes"].to_string();
    if !opcodes.contains("MSG_RING") {
        eprintln!("skipping: this kernel has no MSG_RING ({opcodes})");
        return;
    }
    let (filtered, _) = swept(dir.path(), "filtered", &both, &["--filter", "link"]);
    let (_, out) = compare(
        &full,
        &filtered,
        &dir.path().join("cmp"),
        &["--allow-missing"],
    );
    assert!(!out.contains("io_uring opcodes"), "{out}");
    // Both msg-ring variants are only in the baseline.
    assert!(out.contains("2 only in baseline (allowed)"), "{out}");
}
