//! Ratios measured block by block on real sweeps: a family of two styles
//! run once on a steady machine and once with a slow phase part-way through
//! (the fault-injection hook: for a window of time every pass takes twice
//! as long, as when a host takes the CPU away). The slow phase moves each
//! cell's repetitions, and so widens the unpaired interval of their ratio,
//! but it slows both cells of a block alike, so the paired ratio stays
//! where the steady run put it.

mod common;

use common::{config, finished_sweep, write_config};
use reports::analysis::judgement::Change;
use reports::analysis::model::Report;
use reports::analysis::stats::seed_for;
use reports::results::Results;

const FAMILY: &str = "styles = [\"link\", \"userspace\"]\n\
                      groups = [1]\nsteps = [16]\nbatch = [4]\n\
                      repetitions = 16\nmin_repetitions = 16\nrep_time = \"10ms\"\n\
                      warmup = \"5ms\"\ntime_budget = \"10s\"\nreference = false";

/// Sweeps the family with `env` set and reads its report.
fn run(env: &[(&str, &str)]) -> Option<Report> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config(FAMILY));
    let out = dir.path().join("out");
    let status = common::bin()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let results = Results::read(&out.join("results.jsonl")).unwrap();
    let report = Report::build(&[results]);
    if report.cells.iter().any(|c| c.ranked().is_none()) {
        eprintln!("skip: a cell was not timed here");
        return None;
    }
    Some(report)
}

#[test]
fn a_slow_phase_moves_each_cell_but_not_their_paired_ratio() {
    // The helper is only for the unpaired side's shape check.
    let _ = finished_sweep;
    let Some(steady) = run(&[]) else { return };
    let Some(drifted) = run(&[("URING_SYNCBENCH_TEST_SLOW_PHASE", "120:320:100")]) else {
        return;
    };
    let pick = |r: &Report, style: &str| {
        r.cells
            .iter()
            .find(|c| c.key.style == style)
            .cloned()
            .expect("both styles")
    };
    let (link, userspace) = (pick(&drifted, "link"), pick(&drifted, "userspace"));
    let spread = |c: &reports::analysis::model::CellSummary| {
        let max = c.ns_samples.iter().copied().fold(0.0, f64::max);
        let min = c.ns_samples.iter().copied().fold(f64::MAX, f64::min);
        max / min
    };
    assert!(
        spread(&link) > 1.5 && spread(&userspace) > 1.5,
        "the slow phase moved the repetitions: {:?} {:?}",
        link.ns_samples,
        userspace.ns_samples
    );
    let paired = drifted.paired_link(&userspace).expect("16 blocks");
    let before = steady
        .paired_link(&pick(&steady, "userspace"))
        .expect("16 blocks");
    // Two runs on a guest whose vCPUs change speed between them: the slow
    // phase that moved each cell by more than half moves their paired ratio
    // by no more than runs differ anyway (their intervals overlap, or the
    // ratios lie within 10% of each other: five steady runs back to back
    // beside a build gave 1.21-1.31 here).
    let overlap = before.ci.lo <= paired.ci.hi && paired.ci.lo <= before.ci.hi;
    assert!(
        overlap || (paired.ratio / before.ratio - 1.0).abs() < 0.10,
        "steady {before:?}, drifted {paired:?}"
    );
    let unpaired = Change::measure(
        &link.ns_samples,
        &userspace.ns_samples,
        seed_for(&userspace.name),
    );
    let width = |lo: f64, hi: f64, mid: f64| (hi - lo) / mid;
    assert!(
        width(unpaired.ci.lo, unpaired.ci.hi, unpaired.ratio)
            > width(paired.ci.lo, paired.ci.hi, paired.ratio),
        "unpaired {unpaired:?} against paired {paired:?}"
    );
}
