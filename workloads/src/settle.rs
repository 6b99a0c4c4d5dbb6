//! A fresh set-up starts on a machine the last one has left. A dropped ring
//! is not gone when its fd closes: the kernel frees it from a workqueue once
//! its references drain, which takes an RCU grace period (tens of
//! milliseconds in a guest). Until then a SQPOLL ring's poller thread
//! (`iou-sqp-<pid>`) keeps polling it, spinning on its pinned CPU for up to
//! the ring's idle time ([`SQPOLL_IDLE_MS`]) before it sleeps. A repetition
//! that starts in that window shares its poller's CPU with the last
//! repetition's poller, and measures that: a SQPOLL cell's repetitions then
//! fall on a few discrete levels, one per poller still spinning.
//!
//! [`await_pollers_exit`] waits until no poller of this process remains, at
//! most until the idle time has passed (a poller still there then sleeps and
//! costs nothing). It returns what it waited for, so that the wait is
//! visible to a test and to whoever times the sweep.

use crate::mode::SQPOLL_IDLE_MS;
use std::time::{Duration, Instant};

/// The prefix of a SQPOLL poller thread's name (`comm`), then the pid of the
/// process that created it.
const POLLER_COMM: &str = "iou-sqp-";

/// How [`await_pollers_exit`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    /// How long it waited.
    pub waited: Duration,
    /// Pollers of this process still there when it stopped waiting: zero,
    /// unless one outlived the limit (it is then asleep) or a ring is open.
    pub lingering: usize,
}

/// The longest a poller of a dropped ring can spin: its idle time, and a
/// margin for the kernel's exit work to run once a CPU is free.
pub fn poller_limit() -> Duration {
    Duration::from_millis(u64::from(SQPOLL_IDLE_MS) + 100)
}

/// The SQPOLL poller threads of this process, as `/proc/self/task` lists
/// them; zero when it cannot be read (no procfs: nothing to wait for).
pub fn pollers() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with(POLLER_COMM))
        })
        .count()
}

/// Waits until this process has no SQPOLL poller thread, polling every
/// 200 us, for at most `limit` (see [`poller_limit`]). Call it with no ring
/// of the process open that has a poller: an open one is waited for in vain.
pub fn await_pollers_exit(limit: Duration) -> Settled {
    let start = Instant::now();
    loop {
        let lingering = pollers();
        let waited = start.elapsed();
        if lingering == 0 || waited >= limit {
            return Settled { waited, lingering };
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}
