//! io_uring switched off by the `kernel.io_uring_disabled` sysctl: with 2 no
//! process may create a ring, with 1 only privileged ones (or members of
//! `kernel.io_uring_group`). Every cell the sweep cannot run is recorded
//! `skipped` with a reason naming the sysctl, and the sweep completes.
//!
//! The sysctl is machine-wide: a guard restores the previous value when the
//! test ends, panics included, and a lock file serialises every test that
//! changes it (this binary holds nothing else, so no other test of the suite
//! runs meanwhile). The window is kept to the few sweeps that need it.

mod common;

use common::{
    as_nobody, assert_clean_exit, config, is_root, nobody_dir, output_within, sweep_command,
    sysctl, write_config, Lines,
};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);
const SYSCTL: &str = "/proc/sys/kernel/io_uring_disabled";
/// Held by whichever test changes the sysctl.
const LOCK: &str = "/tmp/uring-syncbench-io_uring_disabled.lock";

/// Holds the lock file: nobody else changes the sysctl meanwhile.
struct Lock {
    _file: File,
}

impl Lock {
    /// `None` (after saying why) when this machine or user cannot change it.
    fn acquire() -> Option<Lock> {
        if !is_root() {
            eprintln!("skipped: changing kernel.io_uring_disabled needs root");
            return None;
        }
        if sysctl("kernel/io_uring_disabled").is_none() {
            eprintln!("skipped: this kernel has no kernel.io_uring_disabled (before 6.6)");
            return None;
        }
        let file = File::create(LOCK).unwrap();
        // SAFETY: flock on an fd we own; blocks until other holders are done.
        assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
        Some(Lock { _file: file })
    }
}

/// Sets the sysctl and restores its previous value when dropped.
struct Disabled<'a> {
    previous: String,
    _lock: &'a Lock,
}

impl Disabled<'_> {
    fn set<'a>(lock: &'a Lock, value: &str) -> Disabled<'a> {
        let previous = sysctl("kernel/io_uring_disabled").unwrap();
        std::fs::write(SYSCTL, value).unwrap();
        Disabled {
            previous,
            _lock: lock,
        }
    }
}

impl Drop for Disabled<'_> {
    fn drop(&mut self) {
        std::fs::write(SYSCTL, &self.previous).expect("restoring kernel.io_uring_disabled");
    }
}

fn sysctl_config() -> String {
    config("styles = [\"link\"]\nmodes = [\"default\", \"sqpoll\"]\nops = [\"nop\", \"file\"]")
}

/// Runs a sweep of `config` in `dir/name`, as `nobody` if asked.
fn run(
    dir: &Path,
    config: &Path,
    name: &str,
    unprivileged: bool,
) -> (u32, Output, Lines, std::path::PathBuf) {
    let (tmp, out) = if unprivileged {
        (
            nobody_dir(dir, &format!("{name}-tmp")),
            nobody_dir(dir, name).join("out"),
        )
    } else {
        let tmp = dir.join(format!("{name}-tmp"));
        std::fs::create_dir(&tmp).unwrap();
        (tmp, dir.join(name))
    };
    let mut cmd = sweep_command(config, &out, &tmp, &[]);
    if unprivileged {
        as_nobody(&mut cmd);
    }
    let (pid, output) = output_within(cmd, LIMIT);
    (pid, output, Lines::read(&out.join("results.jsonl")), tmp)
}

fn assert_all_skipped(lines: &Lines, cells: usize, reason: &str) {
    let recorded: Vec<_> = lines.cells().collect();
    assert_eq!(recorded.len(), cells, "one line per cell");
    for line in recorded {
        assert_eq!(line["status"], "skipped", "{line}");
        assert_eq!(line["reason_code"], "io_uring_unavailable", "{line}");
        assert_eq!(line["reason"], reason, "{line}");
    }
}

#[test]
fn io_uring_disabled_for_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &sysctl_config());
    let cells = common::planned(&path).len();
    let Some(lock) = Lock::acquire() else {
        return;
    };
    let disabled = Disabled::set(&lock, "2");
    let (pid, output, lines, tmp) = run(dir.path(), &path, "root", false);
    drop(disabled);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_clean_exit(pid, Some(&tmp));
    assert_all_skipped(
        &lines,
        cells,
        "io_uring_setup: EPERM (disabled by sysctl kernel.io_uring_disabled=2)",
    );
    eprintln!("kernel.io_uring_disabled=2: {cells} cells skipped with the sysctl named");
}

#[test]
fn io_uring_disabled_for_the_unprivileged() {
    if !is_root() {
        return eprintln!("skipped: switching to `nobody` needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &sysctl_config());
    let cells = common::planned(&path).len();
    let Some(lock) = Lock::acquire() else {
        return;
    };
    let disabled = Disabled::set(&lock, "1");
    let (nobody_pid, nobody, nobody_lines, nobody_tmp) = run(dir.path(), &path, "nobody", true);
    let (root_pid, root, root_lines, root_tmp) = run(dir.path(), &path, "root", false);
    drop(disabled);
    for output in [&nobody, &root] {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_clean_exit(nobody_pid, Some(&nobody_tmp));
    assert_clean_exit(root_pid, Some(&root_tmp));
    assert_all_skipped(
        &nobody_lines,
        cells,
        "io_uring_setup: EPERM (sysctl kernel.io_uring_disabled=1: only kernel.io_uring_group may use it)",
    );
    let ran = root_lines
        .cells()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .count();
    assert_eq!(
        ran,
        cells * 3,
        "root (CAP_SYS_ADMIN) may still use io_uring"
    );
    eprintln!("kernel.io_uring_disabled=1: {cells} cells skipped as nobody, all run as root");
}

#[test]
fn the_guard_restores_the_sysctl_after_a_panic() {
    let Some(lock) = Lock::acquire() else {
        return;
    };
    let before = sysctl("kernel/io_uring_disabled");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _disabled = Disabled::set(&lock, "2");
        panic!("deliberate panic while io_uring is disabled: the guard must restore the sysctl");
    }));
    assert!(result.is_err());
    assert_eq!(sysctl("kernel/io_uring_disabled"), before);
}
