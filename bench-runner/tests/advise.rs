//! `bench-runner advise` on a real ring: a style slowed on purpose (the
//! test-only per-step delay aimed at it) ranks last; bad input is a
//! one-line error with exit 2 before anything runs.

mod common;

use common::*;
use workloads::fault_injection::{DELAY_ENV, DELAY_STYLE_ENV};

#[test]
fn a_style_slowed_on_purpose_ranks_last() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("advise");
    let output = bin()
        .env(DELAY_ENV, "1000000")
        .env(DELAY_STYLE_ENV, "hardlink")
        .args(["advise", "--groups", "1", "--steps", "16", "--batch", "16"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ranking = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Ranking, ns/step: "))
        .unwrap_or_else(|| panic!("no ranking: {stdout}"));
    let styles: Vec<&str> = ranking
        .trim_end_matches('.')
        .split(", ")
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    if styles.len() < 2 {
        eprintln!("skipped: fewer than two styles timed here: {stdout}");
        return;
    }
    assert_eq!(styles.last(), Some(&"hardlink"), "{stdout}");
    assert!(!stdout.contains("use hardlink"), "{stdout}");
    assert!(stdout.contains(
        "Reproduce with: bench-runner advise --groups 1 --steps 16 --batch 16 --mode default --op nop"
    ));
    assert!(out.join("results.jsonl").exists() && out.join("email.txt").exists());
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            ["--groups", "0", "--mode", "default", "--op", "nop"],
            "groups: 0 is not allowed",
        ),
        (
            ["--groups", "1", "--mode", "fast", "--op", "nop"],
            "unknown mode `fast`",
        ),
        (
            ["--groups", "1", "--mode", "default", "--op", "nope"],
            "nope",
        ),
    ] {
        let out = dir.path().join("never");
        let output = bin()
            .arg("advise")
            .args(args)
            .args(["--steps", "16", "--batch", "4", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing written for bad input");
    }
}
