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
/// may need an extra enter when its threads interleave differently (the same
/// slack the report uses before it flags a cell).
const SLACK: f64 = 0.25;

const MODES: &str =
    r#"["default", "sqpoll", "sqpoll-shared", "defer-taskrun", "coop-taskrun", "registered-ring"]"#;

#[test]
fn every_style_stays_within_its_enter_budget_in_every_mode() {
    let text = config(&format!(
        r#"styles = ["independent", "link", "hardlink", "drain", "userspace", "sync-group", "msg-ring", "futex", "futex-syscall", "bpf-loop"]
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
    let profiles: Vec<&Value> = lines.iter().filter(|l| l["pass"] == "profile").collect();
    if let Some(why) = profiles
        .iter()
        .find_map(|l| l["profile"]["probes_skipped"].as_str())
    {
        eprintln!("skipped: the BPF probes that count io_uring_enter are unavailable: {why}");
        return;
    }
    let mut over = Vec::new();
    let mut checked = BTreeSet::new();
    for l in profiles.iter().filter(|l| l["status"] == "ok") {
        let p = &l["profile"];
        let name = l["name"].as_str().unwrap();
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
        let cell = &l["cell"];
        checked.insert((
            cell["style"].as_str().unwrap().to_string(),
            cell["mode"].as_str().unwrap().to_string(),
        ));
    }
    assert!(
        over.is_empty(),
        "over the syscall budget:\n{}",
        over.join("\n")
    );
    // Every style ran in every mode it applies to (ordering failures of the
    // shared poller and skips are recorded on the timing lines instead).
    for style in [
        "independent",
        "link",
        "hardlink",
        "drain",
        "userspace",
        "sync-group",
        "msg-ring",
        "futex",
    ] {
        for mode in [
            "default",
            "sqpoll",
            "defer-taskrun",
            "coop-taskrun",
            "registered-ring",
        ] {
            assert!(
                checked.contains(&(style.to_string(), mode.to_string())),
                "{style} on {mode} was not checked"
            );
        }
    }
    for mode in ["default", "sqpoll", "coop-taskrun", "registered-ring"] {
        assert!(
            checked.contains(&("futex-syscall".into(), mode.into())),
            "futex-syscall on {mode} was not checked"
        );
    }
}
