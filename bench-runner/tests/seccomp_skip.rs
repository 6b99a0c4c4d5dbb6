//! The skip path, proven for real: a sweep whose process may not create an
//! io_uring (seccomp returns EPERM for io_uring_setup) records its cells as
//! `skipped` with the reason; the same cell without the filter runs.

mod common;

use common::{bin, cell_lines, config, write_config};
use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;

fn deny_io_uring_setup() -> BpfProgram {
    let rules = BTreeMap::from([(libc::SYS_io_uring_setup, vec![])]);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        std::env::consts::ARCH.try_into().unwrap(),
    )
    .unwrap();
    filter.try_into().unwrap()
}

#[test]
fn io_uring_denied_by_seccomp_is_a_recorded_skip() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config("modes = [\"default\", \"sqpoll\"]"));
    let denied = dir.path().join("denied");
    let program = deny_io_uring_setup();
    let mut cmd = bin();
    cmd.arg("sweep").arg(&path).arg("--out").arg(&denied);
    // SAFETY: only prctl-based filter installation runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || seccompiler::apply_filter(&program).map_err(std::io::Error::other));
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = cell_lines(&denied.join("results.jsonl"));
    assert_eq!(lines.len(), 4, "one skip line per cell");
    for line in &lines {
        assert_eq!(line["status"], "skipped", "{line}");
        assert_eq!(line["reason_code"], "io_uring_unavailable", "{line}");
        assert_eq!(line["reason"], "io_uring_setup: EPERM", "{line}");
    }

    let allowed = dir.path().join("allowed");
    let output = bin()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&allowed)
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines = cell_lines(&allowed.join("results.jsonl"));
    assert!(
        lines.iter().any(|l| l["status"] == "ok"),
        "without the filter the cells run"
    );
    assert!(lines
        .iter()
        .filter(|l| l["pass"] == "timing")
        .all(|l| l["status"] != "skipped"));
}
