//! Noticing a lane that stopped making progress, without arming any timer on
//! the lane's own hot path: a watcher thread looks at the lane's CQE count
//! every [`STALL_BOUND`] and, when a pass made no progress for that long, posts
//! "stalled" messages into the lane's ring through IORING_OP_MSG_RING (which
//! also reaches DEFER_TASKRUN rings), as many as the lane's wait asks for
//! CQEs. Woken by them, the style looks for evidence
//! of what went wrong (e.g. a lost futex wakeup) instead of hanging until the
//! watchdog ends the cell with a bare timeout.

use super::helper::spawn;
use super::{Helper, HelperRole, StepError};
use crate::lane::Lane;
use crate::mode::ModeSpec;
use crate::ring::{Ring, RingSize};
use crate::userdata::UserData;
use io_uring::{opcode, squeue::Flags, types};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a pass may go without any CQE before the watcher reports it.
pub(super) const STALL_BOUND: Duration = Duration::from_millis(500);

/// The most "stalled" messages the watcher submits at once.
const PINGS_PER_SUBMISSION: usize = 64;

/// The seq of the "stalled" message (never a step's seq).
pub(super) const STALL_SEQ: u32 = u32::MAX - 1;

/// The watcher as a style declares it: asleep but for a look twice a second.
pub(super) const STALL_WATCHER: Helper = Helper {
    role: HelperRole::StallWatcher,
    busy: false,
    mode_ring: false,
};

/// What the lane publishes for the watcher.
#[derive(Default)]
pub(super) struct Progress {
    reaped: AtomicU64,
    in_pass: AtomicBool,
    /// CQEs the lane's current wait asks for: a stalled wait is ended by as
    /// many "stalled" messages, however many of its CQEs never came.
    waiting: AtomicU32,
}

impl Progress {
    /// Counts CQEs reaped by the lane.
    pub fn reaped(&self, n: usize) {
        if n > 0 {
            self.reaped.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// Publishes how many CQEs the lane is about to wait for.
    pub fn waiting(&self, want: u32) {
        self.waiting.store(want, Ordering::Relaxed);
    }

    /// Marks the start or end of a pass; a start counts as progress, so a pass
    /// is reported only after a whole bound without any CQE.
    pub fn in_pass(&self, on: bool) {
        if on {
            self.reaped.fetch_add(1, Ordering::Relaxed);
        }
        self.in_pass.store(on, Ordering::Relaxed);
    }
}

/// The watcher thread; stopped and joined on drop.
pub(super) struct Watcher {
    stop: Option<mpsc::Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching `progress` of `lane`, on `cpu`; the message carries
    /// the lane's first group, for routing.
    pub fn start(lane: &Lane, progress: Arc<Progress>, cpu: usize) -> Result<Watcher, StepError> {
        let (ring_fd, group, cancel) = (lane.ring().fd(), lane.groups().start, lane.cancel());
        let (stop, stopped) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let ring_cancel = cancel.clone();
        let join = spawn(HelperRole::StallWatcher, cpu, cancel, move || {
            let default = ModeSpec::default();
            let size = RingSize {
                sq: PINGS_PER_SUBMISSION as u32,
                cq: 2 * PINGS_PER_SUBMISSION as u32,
            };
            let ring = match Ring::build(default, size, None, None, ring_cancel) {
                Ok(ring) => {
                    let _ = ready_tx.send(Ok(()));
                    ring
                }
                Err(e) => {
                    let _ =
                        ready_tx.send(Err(StepError::Setup(format!("stall watcher ring: {e}"))));
                    return;
                }
            };
            let ping = opcode::MsgRingData::new(
                types::Fd(ring_fd),
                0,
                UserData::aux(group, STALL_SEQ),
                None,
            )
            .build()
            .flags(Flags::SKIP_SUCCESS);
            let mut last = u64::MAX;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(STALL_BOUND) {
                let now = progress.reaped.load(Ordering::Relaxed);
                if progress.in_pass.load(Ordering::Relaxed) && now == last {
                    let mut left = progress.waiting.load(Ordering::Relaxed).max(1) as usize;
                    while left > 0 {
                        let n = left.min(PINGS_PER_SUBMISSION);
                        // A failed ping leaves only the watchdog; nothing else to do.
                        let _ = ring.submit_and_wait(&vec![ping.clone(); n], 0);
                        let _ = ring.reap(|_, _| {});
                        left -= n;
                    }
                }
                last = now;
            }
        })?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Watcher {
                stop: Some(stop),
                join: Some(join),
            }),
            Ok(Err(why)) => Err(why),
            Err(_) => Err(StepError::HelperDied("stall watcher died".into())),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}
