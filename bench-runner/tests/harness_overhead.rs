//! The raw reference loop in real sweeps: every cell that has one runs it
//! beside each of its repetitions and states `harness_overhead` on its final
//! line, computed from the lines themselves; cells without one (sync-group,
//! pipe) have none; `reference = false` turns it off; the reports re-render
//! it from results.jsonl alone; `--resume` keeps what was measured.

mod common;

use common::{bin, cell_lines, config, finished_sweep, sweep};
use reports::analysis::stats::median;
use serde_json::Value;
use std::collections::BTreeMap;

const AXES: &str = "styles = [\"independent\", \"link\", \"userspace\", \"sync-group:queue\"]\n\
                    ops = [\"nop\", \"pipe\"]";

/// The lines of each cell, by name.
fn by_cell(lines: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut cells: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for line in lines {
        cells
            .entry(line["name"].as_str().unwrap().to_string())
            .or_default()
            .push(line);
    }
    cells
}

fn of_pass<'a>(lines: &[&'a Value], pass: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .copied()
        .filter(|l| l["pass"] == pass && l["status"] == "ok")
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Runs the sweep of `extra` in a fresh directory; its lines, or `None` (the
/// reason printed) when this machine timed nothing.
fn run(extra: &str) -> Option<(tempfile::TempDir, Vec<Value>)> {
    let (dir, _, lines) = finished_sweep(&config(extra));
    if !lines.iter().any(|l| l["status"] == "ok") {
        eprintln!("skip: no cell was timed on this machine: {lines:?}");
        return None;
    }
    Some((dir, lines))
}

/// Checks the final line's `reference` of an eligible cell against its
/// timing and reference lines.
fn check_eligible(name: &str, lines: &[&Value]) {
    let timing = of_pass(lines, "timing");
    let reference = of_pass(lines, "reference");
    assert!(!timing.is_empty(), "{name}: no timing repetition");
    let reps = |v: &[&Value]| {
        v.iter()
            .map(|l| l["rep"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        reps(&reference),
        reps(&timing),
        "{name}: a reference beside each repetition"
    );
    for line in &reference {
        let t = &line["reference_timing"];
        let steps = t["steps"].as_u64().unwrap();
        assert_eq!(
            steps,
            t["iterations"].as_u64().unwrap() * 2 * 4,
            "{name}: {t}"
        );
        assert_eq!(
            f(&t["ns_per_step"]),
            t["wall_ns"].as_u64().unwrap() as f64 / steps as f64
        );
        assert!(f(&t["checked_ns_per_step"]) > 0.0, "{name}: {t}");
    }
    let plain: Vec<f64> = reference
        .iter()
        .map(|l| f(&l["reference_timing"]["ns_per_step"]))
        .collect();
    let checked: Vec<f64> = reference
        .iter()
        .map(|l| f(&l["reference_timing"]["checked_ns_per_step"]))
        .collect();
    let check_cost: Vec<f64> = checked.iter().zip(&plain).map(|(c, p)| c - p).collect();
    let cell: Vec<f64> = timing
        .iter()
        .map(|l| f(&l["timing"]["ns_per_step"]))
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(
        last["pass"], "profile",
        "{name}: the final line is the profile line"
    );
    let summary = &last["reference"];
    assert_eq!(
        summary["repetitions"].as_u64(),
        Some(reference.len() as u64),
        "{name}"
    );
    assert_eq!(f(&summary["ns_per_step"]), median(&plain), "{name}");
    assert_eq!(
        f(&summary["checked_ns_per_step"]),
        median(&checked),
        "{name}"
    );
    assert_eq!(
        f(&summary["order_check_ns_per_step"]),
        median(&check_cost),
        "{name}"
    );
    // Each repetition ran in the block of its index, its raw loop's too,
    // and the overhead is the median of the per-block ratios.
    for line in timing.iter().chain(&reference) {
        assert_eq!(line["block"], line["rep"], "{name}: {line}");
    }
    let ratios: Vec<f64> = cell.iter().zip(&plain).map(|(c, p)| c / p).collect();
    let paired = if ratios.len() >= reports::analysis::paired::MIN_BLOCKS {
        median(&ratios)
    } else {
        median(&cell) / median(&plain)
    };
    assert_eq!(f(&summary["harness_overhead"]), paired, "{name}");
}

#[test]
fn eligible_cells_state_their_overhead_and_the_others_do_not() {
    let Some((dir, lines)) = run(AXES) else {
        return;
    };
    let cells = by_cell(&lines);
    let eligible = [
        "independent/default/nop/g2-s4-b2-t1",
        "link/default/nop/g2-s4-b2-t1",
        "userspace/default/nop/g2-s4-b2-t1",
    ];
    assert_eq!(cells.len(), 8, "{:?}", cells.keys());
    for (name, of_cell) in &cells {
        if eligible.contains(&name.as_str()) {
            check_eligible(name, of_cell);
        } else {
            assert!(
                of_cell.iter().all(|l| l["pass"] != "reference"),
                "{name}: a reference line for a cell without a reference"
            );
            assert!(!of_pass(of_cell, "timing").is_empty(), "{name}: not timed");
            let last = of_cell.last().unwrap();
            assert_eq!(last["pass"], "profile", "{name}");
            assert!(last.get("reference").is_none(), "{name}: {last}");
        }
    }

    // The reports say it, re-rendered from results.jsonl alone.
    let results = dir.path().join("out/results.jsonl");
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(&results, copy.join("results.jsonl")).unwrap();
    let report = bin()
        .arg("report")
        .arg(copy.join("results.jsonl"))
        .arg("--no-plots")
        .output()
        .unwrap();
    assert!(report.status.success(), "{report:?}");
    let mut overheads: Vec<f64> = eligible
        .iter()
        .map(|name| f(&cells[*name].last().unwrap()["reference"]["harness_overhead"]))
        .collect();
    overheads.sort_by(f64::total_cmp);
    // The median and the middle half of three values.
    let [lo, mid, hi] = overheads[..] else {
        panic!("three eligible cells: {overheads:?}")
    };
    let range = format!(
        "{mid:.2}x (middle half {:.2}x-{:.2}x)",
        lo + (mid - lo) * 0.5,
        mid + (hi - mid) * 0.5
    );
    let said = format!("harness overhead {range} over 3 raw-reference cells");
    let terminal = String::from_utf8_lossy(&report.stdout);
    assert!(terminal.contains(&said), "{said:?} not in:\n{terminal}");
    let email = std::fs::read_to_string(copy.join("email-full.txt")).unwrap();
    assert!(
        email.replace("\n  ", " ").contains(&said),
        "{said:?} not in:\n{email}"
    );
    for file in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(copy.join(file)).unwrap();
        assert!(text.contains(&said), "{file}: {said:?} missing");
        assert!(
            text.contains("Harness overhead"),
            "{file}: no overhead table"
        );
        for o in overheads.iter().map(|o| format!("{o:.2}x")) {
            assert!(text.contains(&o), "{file}: {o} missing");
        }
    }
}

#[test]
fn reference_false_turns_it_off() {
    let Some((_dir, lines)) = run(&format!("{AXES}\nreference = false")) else {
        return;
    };
    assert!(lines.iter().all(|l| l["pass"] != "reference"), "{lines:?}");
    let finals: Vec<_> = lines.iter().filter(|l| l["pass"] == "profile").collect();
    assert_eq!(finals.len(), 8);
    assert!(
        finals.iter().all(|l| l.get("reference").is_none()),
        "{finals:?}"
    );
}

/// A resumed sweep reads reference lines as the raw loop's, not as
/// repetitions: when only the final lines are lost, it writes them again
/// from the kept lines, running no repetition of either kind.
#[test]
fn resume_keeps_the_reference_of_finished_repetitions() {
    let (dir, results, full) = finished_sweep(&config("styles = [\"link\", \"userspace\"]"));
    if !full.iter().any(|l| l["pass"] == "reference") {
        eprintln!("skip: no reference ran on this machine: {full:?}");
        return;
    }
    let text = std::fs::read_to_string(&results).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.contains("\"pass\":\"profile\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&results, &kept).unwrap();
    let resumed = sweep(
        &dir.path().join("config.toml"),
        &dir.path().join("out"),
        &["--resume"],
    );
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let after = std::fs::read_to_string(&results).unwrap();
    assert!(after.starts_with(&kept), "kept lines changed");
    let lines = cell_lines(&results);
    assert_eq!(
        lines.len(),
        full.len(),
        "one final line per cell, nothing else"
    );
    let added = &lines[full.len() - 2..];
    let before = by_cell(&full);
    for line in added {
        let name = line["name"].as_str().unwrap();
        assert_eq!(line["pass"], "profile", "{line}");
        let original = before[name].last().unwrap();
        assert_eq!(line["reference"], original["reference"], "{name}");
        assert_eq!(line["stopping"], original["stopping"], "{name}");
        assert_eq!(line["stopping"]["repetitions"], 3, "{name}: {line}");
    }
}
