//! Helpers shared by the probe tests: the lock, the skip, rings, children.

use std::{
    env,
    process::{Command, Stdio},
    sync::{Mutex, MutexGuard},
};

use bpf::Probes;
use io_uring::{squeue, IoUring};

static KERNEL: Mutex<()> = Mutex::new(());

/// Environment variable that turns a re-run of one test into its child role.
const CHILD_ROLE: &str = "URSB_BPF_TEST_CHILD";

/// Holds off every other test of this binary while one runs.
pub fn exclusive() -> MutexGuard<'static, ()> {
    KERNEL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Loads the probes, or prints why this machine cannot and returns `None`.
/// A real (non-skip) error fails the test.
pub fn probes_or_skip() -> Option<Probes> {
    match Probes::load() {
        Ok(probes) => Some(probes),
        Err(error) if error.is_unsupported() => {
            eprintln!("skipped: {error}");
            None
        }
        Err(error) => panic!("loading probes failed: {error}"),
    }
}

/// This process's tgid.
pub fn tgid() -> u32 {
    std::process::id()
}

/// Pushes `entries` as one batch, waits for all their CQEs and returns the
/// results in completion order.
pub fn run_batch(ring: &mut IoUring, entries: &[squeue::Entry]) -> Vec<i32> {
    {
        let mut sq = ring.submission();
        for entry in entries {
            // SAFETY: the entries reference no buffers, or buffers the caller
            // keeps alive until this function returns with their CQEs.
            unsafe { sq.push(entry) }.expect("batch larger than the SQ");
        }
    }
    ring.submit_and_wait(entries.len()).expect("io_uring_enter");
    let mut results = Vec::with_capacity(entries.len());
    while results.len() < entries.len() {
        results.extend(ring.completion().map(|cqe| cqe.result()));
        if results.len() < entries.len() {
            ring.submit_and_wait(entries.len() - results.len())
                .expect("io_uring_enter");
        }
    }
    results
}

/// The role this process was started in by [`child`], if it is a child.
pub fn child_role() -> Option<String> {
    env::var(CHILD_ROLE).ok()
}

/// A command re-running the single test `test` (module path inside this
/// binary) of this test binary in the child role `role`.
pub fn child(test: &str, role: &str) -> Command {
    let mut command = Command::new(env::current_exe().expect("test binary path"));
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
}

/// What a child printed after a `child: ` marker on one line of its
/// stdout, which it shares with libtest (whose "test NAME ... " has no line
/// end before the test's own output).
pub fn child_says(line: &str) -> Option<&str> {
    line.split_once("child: ").map(|(_, said)| said.trim_end())
}

/// Everything a child said, one entry per line.
pub fn child_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(child_says)
        .map(str::to_owned)
        .collect()
}
