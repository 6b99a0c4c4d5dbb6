//! Adaptive repetitions in real sweeps: a cell stops once its median is as
//! precise as asked, or when its time budget is spent; its final line says
//! which, with the precision it reached and the time it counted, all of which
//! must agree with its own timing lines.

mod common;

use common::{config, finished_sweep};
use reports::analysis::stats::{seed_for, Summary};
use serde_json::Value;

/// One cell's sweep with `extra` settings: its timing samples and wall
/// times, and its final line; `None` (reason printed) when it was not timed.
fn run_one(extra: &str) -> Option<(Vec<f64>, Vec<u64>, Value)> {
    let (_dir, _, lines) = finished_sweep(&config(&format!(
        "styles = [\"link\"]\ngroups = [2]\nsteps = [16]\nbatch = [4]\nreference = false\n{extra}"
    )));
    let timing: Vec<&Value> = lines
        .iter()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .collect();
    if timing.is_empty() {
        eprintln!("skip: the cell was not timed: {lines:?}");
        return None;
    }
    let reps: Vec<u64> = timing.iter().map(|l| l["rep"].as_u64().unwrap()).collect();
    assert_eq!(
        reps,
        (0..reps.len() as u64).collect::<Vec<_>>(),
        "repetitions in order"
    );
    let samples = timing
        .iter()
        .map(|l| l["timing"]["ns_per_step"].as_f64().unwrap())
        .collect();
    let walls = timing
        .iter()
        .map(|l| l["timing"]["wall_ns"].as_u64().unwrap())
        .collect();
    let last = lines.last().unwrap().clone();
    assert_eq!(last["pass"], "profile", "{last}");
    Some((samples, walls, last))
}

/// The precision the reports compute for these samples.
fn precision(samples: &[f64]) -> f64 {
    let s = Summary::of(samples, seed_for("link/default/nop/g2-s16-b4-t1")).unwrap();
    s.ci.half_width_around(s.median) / s.median
}

#[test]
fn a_steady_cell_stops_once_precise_enough() {
    let Some((samples, walls, last)) = run_one(
        "repetitions = 40\nmin_repetitions = 5\nprecision = 0.5\nrep_time = \"5ms\"\ntime_budget = \"60s\"",
    ) else {
        return;
    };
    let stopping = &last["stopping"];
    let n = samples.len();
    assert_eq!(stopping["reason"], "precision", "{stopping}");
    assert_eq!(
        stopping["repetitions"].as_u64(),
        Some(n as u64),
        "{stopping}"
    );
    assert_eq!(stopping["target"].as_f64(), Some(0.5));
    assert!((5..40).contains(&n), "{n} repetitions");
    let reached = stopping["precision"].as_f64().unwrap();
    assert_eq!(reached, precision(&samples), "the reports' statistic");
    assert!(reached <= 0.5, "{stopping}");
    // ... and it stopped at the first repetition that got there.
    assert!(n == 5 || precision(&samples[..n - 1]) > 0.5, "{samples:?}");
    assert_eq!(
        stopping["spent_ns"].as_u64(),
        Some(walls.iter().sum::<u64>())
    );
}

#[test]
fn an_unreachable_precision_stops_on_the_budget() {
    let Some((samples, walls, last)) = run_one(
        "repetitions = 1000\nmin_repetitions = 3\nprecision = 1e-9\nrep_time = \"2ms\"\ntime_budget = \"20ms\"",
    ) else {
        return;
    };
    let stopping = &last["stopping"];
    let n = samples.len();
    assert_eq!(stopping["reason"], "budget", "{stopping}");
    assert_eq!(
        stopping["repetitions"].as_u64(),
        Some(n as u64),
        "{stopping}"
    );
    assert!((3..1000).contains(&n), "{n} repetitions");
    assert!(stopping["precision"].as_f64().unwrap() > 1e-9, "{stopping}");
    let spent = stopping["spent_ns"].as_u64().unwrap();
    assert_eq!(
        spent,
        walls.iter().sum::<u64>(),
        "the budget counts the repetitions' time"
    );
    let budget = 20_000_000;
    assert!(spent >= budget, "{spent} ns spent");
    // ... and no repetition started once the budget was spent.
    assert!(n == 3 || spent - walls[n - 1] < budget, "{walls:?}");
}
