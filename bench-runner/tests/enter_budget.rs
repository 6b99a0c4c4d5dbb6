//! The syscall budget: every style, in every mode, makes no more
//! io_uring_enter(2) calls per step than its written minimum
//! (`Style::enter_budget`), as the profile pass's BPF probe counts them for the
//! whole process. A wait strategy that regresses (e.g. waiting for one CQE at
//! a time on a DEFER_TASKRUN ring, which then runs one link per enter) makes
//! this fail.

mod common;

use common::{config, finished_sweep};
use serde_json::Value;
use std::collections::BTreeSet;

/// How far a measurement may exceed the budget: a style with a helper thread
/// may need an extra enter when its threads interleave differently. The same
/// slack the report uses before it flags a cell.
const SLACK: f64 = reports::render::sections::ENTER_BUDGET_SLACK;

const MODES: &str =
    r#"["default", "sqpoll", "sqpoll-shared", "defer-taskrun", "coop-taskrun", "registered-ring"]"#;

#[test]
fn every_style_stays_within_its_enter_budget_in_every_mode() {
    // Every style of the registry, so that a new style is checked without
    // editing this test.
    let every_style: Vec<&str> = workloads::style::STYLES.iter().map(|s| s.name()).collect();
    let text = config(&format!(
        r#"styles = {every_style:?}
modes = {MODES}
groups = [1, 4]
steps = [16]
batch = [4, 16]
repetitions = 1
min_repetitions = 1
rep_time = "2ms"
profile = true"#
    ));
    let (_dir, _, lines) = finished_sweep(&text);
    let Some(profiles) = profiles_with_probes(&lines) else {
        return;
    };
    let mut over = Vec::new();
    let mut checked = BTreeSet::new();
    let mut unchecked = BTreeSet::new();
    for l in profiles.iter().filter(|l| l["status"] == "ok") {
        let p = &l["profile"];
        let name = l["name"].as_str().unwrap();
        let cell = &l["cell"];
        let pair = (
            cell["style"].as_str().unwrap().to_string(),
            cell["mode"].as_str().unwrap().to_string(),
        );
        // More busy threads than CPUs: how the threads interleave is the
        // scheduler's, and so is the count of their waits. Such a cell is no
        // evidence, of its syscalls either.
        if !l["oversubscribed"].is_null() {
            unchecked.insert(pair);
            continue;
        }
        let enters = p["probes_per_step"]["io_uring_enter"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: no io_uring_enter count"));
        let budget = p["enter_budget_per_step"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: no enter budget"));
        if enters > budget * (1.0 + SLACK) {
            over.push(format!(
                "{name}: {enters:.3} enters/step, budget {budget:.3}"
            ));
        }
        checked.insert(pair);
    }
    assert!(
        over.is_empty(),
        "over the syscall budget:\n{}",
        over.join("\n")
    );
    for (style, mode) in unchecked.difference(&checked) {
        eprintln!("not checked: {style} on {mode} is oversubscribed on this machine");
    }
    // Every style ran in every mode it applies to (ordering failures of the
    // shared poller and skips are recorded on the timing lines instead).
    let ran = |style: &str, mode: &str| {
        let pair = (style.to_string(), mode.to_string());
        assert!(
            checked.contains(&pair) || unchecked.contains(&pair),
            "{style} on {mode} did not run"
        );
    };
    // Every style of the registry but the ones that need what not every
    // machine has (bpf-loop: 7.1+) or that a mode refuses (futex-syscall:
    // DEFER_TASKRUN), which are checked below.
    let styles = workloads::style::STYLES
        .iter()
        .map(|s| s.name())
        .filter(|&s| s != "bpf-loop" && s != "futex-syscall");
    for style in styles {
        for mode in [
            "default",
            "sqpoll",
            "defer-taskrun",
            "coop-taskrun",
            "registered-ring",
        ] {
            ran(style, mode);
        }
    }
    for mode in ["default", "sqpoll", "coop-taskrun", "registered-ring"] {
        ran("futex-syscall", mode);
    }
    assert!(
        checked.len() > unchecked.len(),
        "most style x mode pairs are checked: {} checked, {} oversubscribed",
        checked.len(),
        unchecked.len()
    );
}

/// A step of two SQEs (`copy`: READ_FIXED then WRITE_FIXED; `fsync`: WRITE
/// then FSYNC) adds SQEs and CQEs, never an io_uring_enter: the styles whose
/// waits are sized in CQEs stay within the budget written for one-SQE NOP
/// steps, although these steps need not complete inline.
#[test]
fn steps_of_two_sqes_add_no_enters() {
    let text = config(
        r#"styles = ["link", "hardlink", "drain", "sync-group:queue", "futex:shared"]
modes = ["default", "defer-taskrun"]
ops = ["copy", "fsync"]
groups = [1, 4]
steps = [16]
batch = [4]
repetitions = 1
min_repetitions = 1
rep_time = "2ms"
profile = true"#,
    );
    let (_dir, _, lines) = finished_sweep(&text);
    let Some(profiles) = profiles_with_probes(&lines) else {
        return;
    };
    let mut checked = BTreeSet::new();
    for l in profiles.iter().filter(|l| l["status"] == "ok") {
        let name = l["name"].as_str().unwrap();
        let p = &l["profile"];
        let enters = p["probes_per_step"]["io_uring_enter"].as_f64().unwrap();
        let budget = p["enter_budget_per_step"].as_f64().unwrap();
        assert!(
            enters <= budget * (1.0 + SLACK),
            "{name}: {enters:.3} enters/step, budget {budget:.3}"
        );
        checked.insert(l["cell"]["op"].as_str().unwrap().to_string());
    }
    let skipped: Vec<&str> = lines
        .iter()
        .filter(|l| l["status"] == "skipped")
        .filter_map(|l| l["reason"].as_str())
        .collect();
    assert!(checked.contains("copy"), "no copy cell ran: {skipped:?}");
    if !checked.contains("fsync") {
        eprintln!("fsync not checked: {skipped:?}");
    }
}

/// The profile lines of a finished sweep, or `None` (the skip printed) when
/// the BPF probes that count io_uring_enter were unavailable.
fn profiles_with_probes(lines: &[Value]) -> Option<Vec<&Value>> {
    let profiles: Vec<&Value> = lines.iter().filter(|l| l["pass"] == "profile").collect();
    if let Some(why) = profiles
        .iter()
        .find_map(|l| l["profile"]["probes_skipped"].as_str())
    {
        eprintln!("skipped: the BPF probes that count io_uring_enter are unavailable: {why}");
        return None;
    }
    Some(profiles)
}
