//! `bench-runner fidelity` on real sweeps: a harness made genuinely slower
//! by 20 ns per step (the fault-injection delay, which runs inside the timed
//! region of the cells and never in the raw loop) fails the check, naming
//! its cells; a run with no raw loop is no pass; a file it cannot read is a
//! usage error. Whether today's harness passes is the command's to say in
//! `.ci/run`, not a timed test's.

mod common;

use common::{bin, config, write_config};
use std::process::Output;

/// The cells of the fidelity check at one shape: short, so the test is quick.
const SHAPE: &str = "styles = [\"independent\", \"link\", \"userspace\"]\n\
                     modes = [\"default\", \"defer-taskrun\"]\n\
                     groups = [1]\nsteps = [16]\nbatch = [16]\n\
                     repetitions = 6\nmin_repetitions = 6\nrep_time = \"20ms\"\n\
                     time_budget = \"1s\"\nwarmup = \"10ms\"";

/// Sweeps `text` with `env` set, then runs `fidelity` over its results.
fn swept_fidelity(text: &str, env: &[(&str, &str)]) -> (Output, Output) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), text);
    let out = dir.path().join("out");
    let sweep = bin()
        .arg("sweep")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        sweep.status.success(),
        "{}",
        String::from_utf8_lossy(&sweep.stderr)
    );
    let check = bin()
        .arg("fidelity")
        .arg(out.join("results.jsonl"))
        .output()
        .unwrap();
    (sweep, check)
}

#[test]
fn twenty_nanoseconds_more_per_step_fail_the_check_by_name() {
    let (_, check) = swept_fidelity(&config(SHAPE), &[("URING_SYNCBENCH_TEST_DELAY_NS", "20")]);
    let said = String::from_utf8_lossy(&check.stdout);
    if said.contains("no cell with a raw reference loop") {
        eprintln!("skip: no raw reference loop ran on this machine: {said}");
        return;
    }
    assert_eq!(check.status.code(), Some(1), "{said}");
    let first = said.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("fidelity FAILED: harness overhead"),
        "{said}"
    );
    assert!(
        first.contains("limit 1.10x") && first.contains("over 6 cells"),
        "{first}"
    );
    // Every cell over its limit is named with its figure.
    for line in said.lines().skip(1) {
        let (name, figure) = line.trim().split_once(": ").expect("name: figure");
        assert!(name.ends_with("/nop/g1-s16-b16-t1"), "{line}");
        let low = figure.split(['[', ',']).nth(1).unwrap_or(figure);
        let ratio: f64 = low.trim().trim_end_matches('x').parse().expect("a ratio");
        // Printed to two decimals: a bound just above 1.20 reads "1.20x".
        assert!(ratio >= 1.20, "its interval lies above the limit: {line}");
    }
}

#[test]
fn a_run_without_a_raw_loop_is_no_pass_and_an_unreadable_file_a_usage_error() {
    let (_, check) = swept_fidelity(&config(&format!("{SHAPE}\nreference = false")), &[]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "fidelity: no cell with a raw reference loop was timed"
    );
    let missing = bin()
        .args(["fidelity", "/nonexistent/results.jsonl"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
}
