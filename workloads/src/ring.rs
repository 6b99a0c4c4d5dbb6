//! One io_uring instance built for a [`ModeSpec`] and driven the way that mode
//! wants: when to enter, with which flags, through the raw or the registered fd.
//! Submission and completion sides each sit behind their own lock, so a style
//! may submit from one thread and reap from another; a ring that only its own
//! thread drives takes no lock at all, as a plain liburing loop takes none:
//! the locks are taken once the ring is marked shared, before a second
//! handle can reach another thread (a lane cloned for a completer, lanes
//! sharing one ring).
//!
//! [`Ring::submit_and_wait`] pushes, syncs and reads the SQ in one look and
//! enters once to submit and wait together (an SQPOLL ring enters only to
//! wake its poller, to wait for room, or to wait for CQEs not yet there).
//! Styles pass the number of CQEs their next decision needs: `link` the rest
//! of the chains the next batch continues, `drain`/`independent` nothing
//! until the last batch and then everything, the completers the rest of the
//! chains in flight. A DEFER_TASKRUN ring runs its task_work only in such a
//! wait, so a wait of one CQE at a time would run one link per enter: the
//! syscall budget test (`bench-runner/tests/enter_budget.rs`) holds every
//! style to its [`Style::enter_budget`](crate::style::Style::enter_budget)
//! in every mode, steps of two SQEs included. Submit and reap are inlined
//! into each style's loop, as the raw reference loop's are.

use crate::cancel::Cancel;
use crate::mode::ModeSpec;
use io_uring::{squeue::Entry, IoUring};
use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

const ENTER_GETEVENTS: u32 = 1 << 0;
const ENTER_SQ_WAKEUP: u32 = 1 << 1;
const ENTER_SQ_WAIT: u32 = 1 << 2;
const ENTER_REGISTERED_RING: u32 = 1 << 4;
const REGISTER_RING_FDS: u32 = 20;
const UNREGISTER_RING_FDS: u32 = 21;

/// Why driving a ring failed.
#[derive(thiserror::Error, Debug)]
pub enum RingError {
    /// The cell was cancelled (watchdog or Ctrl-C) while waiting.
    #[error("cancelled")]
    Cancelled,
    /// A syscall failed.
    #[error("{what}: {source}")]
    Sys {
        /// Which call.
        what: &'static str,
        /// The error.
        source: io::Error,
    },
}

/// The layout of `struct io_uring_rsrc_update` (uapi), for ring fd registration.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

/// What the SQ ring's head, tail and flags say at one moment.
struct SqState {
    /// SQEs queued that the kernel has not consumed.
    pending: u32,
    /// No room for another SQE.
    full: bool,
    /// The SQPOLL thread sleeps and must be woken (SQPOLL rings only).
    need_wakeup: bool,
    /// COOP_TASKRUN: task_work is waiting for an enter (COOP_TASKRUN rings only).
    taskrun: bool,
}

/// A ring plus how its mode drives it.
pub struct Ring {
    uring: IoUring,
    sq: Mutex<()>,
    cq: Mutex<()>,
    /// Set once a second thread may use the ring: only then are the locks taken.
    shared: AtomicBool,
    sqpoll: bool,
    /// COOP_TASKRUN with TASKRUN_FLAG: reaping checks IORING_SQ_TASKRUN.
    coop: bool,
    /// The registered fd's index and the thread ([`thread_id`]) it belongs to.
    registered: Option<(u32, u32)>,
    /// The fixed buffers' regions (address, length), once registered.
    fixed: OnceLock<Vec<(usize, usize)>>,
    cancel: Arc<Cancel>,
}

/// How large a ring to build.
#[derive(Clone, Copy, Debug)]
pub struct RingSize {
    /// SQ entries.
    pub sq: u32,
    /// CQ entries (at least `sq`).
    pub cq: u32,
}

impl Ring {
    /// Builds a ring for `mode` in the calling thread (DEFER_TASKRUN rings and
    /// registered fds belong to the task that creates them). `attach_to` is the
    /// fd of a ring whose SQPOLL thread this ring shares; otherwise an SQPOLL
    /// mode's thread is pinned to `sqpoll_cpu` (IORING_SETUP_SQ_AFF) when given.
    pub fn build(
        mode: ModeSpec,
        size: RingSize,
        attach_to: Option<RawFd>,
        sqpoll_cpu: Option<usize>,
        cancel: Arc<Cancel>,
    ) -> io::Result<Ring> {
        let m = mode.mode;
        let mut builder = IoUring::builder();
        builder.setup_cqsize(size.cq.max(size.sq));
        m.configure(&mut builder, attach_to, sqpoll_cpu)?;
        let uring = builder.build(size.sq)?;
        let mut ring = Ring {
            uring,
            sq: Mutex::new(()),
            cq: Mutex::new(()),
            shared: AtomicBool::new(false),
            sqpoll: m.sqpoll,
            coop: m.coop_taskrun,
            registered: None,
            fixed: OnceLock::new(),
            cancel,
        };
        if mode.registered {
            let mut update = RsrcUpdate {
                offset: u32::MAX,
                resv: 0,
                data: ring.fd() as u64,
            };
            ring.register(REGISTER_RING_FDS, &mut update)?;
            ring.registered = Some((update.offset, thread_id()));
        }
        Ok(ring)
    }

    fn register(&self, opcode: u32, update: &mut RsrcUpdate) -> io::Result<()> {
        // SAFETY: io_uring_register with a pointer to one live rsrc update.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                self.fd(),
                opcode,
                update as *mut RsrcUpdate,
                1,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Registers `regions` (address, length) as the ring's fixed buffers,
    /// which READ_FIXED and WRITE_FIXED name by index, and remembers them so
    /// that a helper ring running the same steps can register them too
    /// ([`Ring::fixed_buffers`]). The kernel pins their pages until the ring
    /// goes, so the memory stays valid for it whatever the caller frees.
    pub fn register_buffers(&self, regions: &[(usize, usize)]) -> io::Result<()> {
        let iovecs: Vec<libc::iovec> = regions
            .iter()
            .map(|&(base, len)| libc::iovec {
                iov_base: base as *mut libc::c_void,
                iov_len: len,
            })
            .collect();
        // SAFETY: the kernel pins the pages; SQEs pointing into them are
        // built only while the caller's buffers are alive.
        unsafe { self.uring.submitter().register_buffers(&iovecs) }?;
        self.fixed
            .set(regions.to_vec())
            .map_err(|_| io::Error::from_raw_os_error(libc::EBUSY))
    }

    /// The regions [`Ring::register_buffers`] registered (empty when none).
    pub fn fixed_buffers(&self) -> &[(usize, usize)] {
        self.fixed.get().map_or(&[], Vec::as_slice)
    }

    /// Makes the ring take its locks from now on. Called before a second
    /// handle to it can reach another thread (a lane's clone, lanes sharing
    /// the ring), so that thread, and this one afterwards, see it set.
    pub(crate) fn share(&self) {
        self.shared.store(true, Ordering::SeqCst);
    }

    /// One side's lock, taken only once a second thread may use the ring.
    /// The locks guard no data of their own, so one a panicking thread held
    /// is as good as any.
    #[inline]
    fn side<'a>(&self, lock: &'a Mutex<()>) -> Option<MutexGuard<'a, ()>> {
        self.shared
            .load(Ordering::Relaxed)
            .then(|| lock.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The ring's file descriptor (for MSG_RING targets and ATTACH_WQ).
    pub fn fd(&self) -> RawFd {
        self.uring.as_raw_fd()
    }

    /// SQ and CQ entries as the kernel sized them (powers of two), for
    /// programs that index the rings themselves (the BPF event loop).
    pub fn entries(&self) -> (u32, u32) {
        let p = self.uring.params();
        (p.sq_entries(), p.cq_entries())
    }

    /// Names of the IORING_FEAT_* bits the kernel reported for this ring.
    pub fn feature_names(&self) -> Vec<&'static str> {
        let p = self.uring.params();
        [
            ("SINGLE_MMAP", p.is_feature_single_mmap()),
            ("NODROP", p.is_feature_nodrop()),
            ("SUBMIT_STABLE", p.is_feature_submit_stable()),
            ("RW_CUR_POS", p.is_feature_rw_cur_pos()),
            ("CUR_PERSONALITY", p.is_feature_cur_personality()),
            ("FAST_POLL", p.is_feature_fast_poll()),
            ("POLL_32BITS", p.is_feature_poll_32bits()),
            ("SQPOLL_NONFIXED", p.is_feature_sqpoll_nonfixed()),
            ("EXT_ARG", p.is_feature_ext_arg()),
            ("NATIVE_WORKERS", p.is_feature_native_workers()),
            ("RSRC_TAGS", p.is_feature_resource_tagging()),
            ("CQE_SKIP", p.is_feature_skip_cqe_on_success()),
            ("LINKED_FILE", p.is_feature_linked_file()),
            ("RECVSEND_BUNDLE", p.is_feature_recvsend_bundle()),
            ("MIN_TIMEOUT", p.is_feature_min_timeout()),
            ("NO_IOWAIT", p.is_feature_no_iowait()),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }

    #[inline]
    fn enter(&self, to_submit: u32, min_complete: u32, flags: u32) -> io::Result<u32> {
        let (fd, flags) = match self.registered {
            Some((index, owner)) if owner == thread_id() => {
                (index as i32, flags | ENTER_REGISTERED_RING)
            }
            _ => (self.fd(), flags),
        };
        crate::sys::io_uring_enter(fd, to_submit, min_complete, flags)
    }

    /// Enters, retrying on EINTR unless the cell was cancelled.
    #[inline]
    fn enter_retrying(&self, to_submit: u32, min: u32, flags: u32) -> Result<u32, RingError> {
        loop {
            match self.enter(to_submit, min, flags) {
                Ok(n) => return Ok(n),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {
                    if self.cancel.is_cancelled() {
                        return Err(RingError::Cancelled);
                    }
                }
                Err(source) => {
                    return Err(RingError::Sys {
                        what: "io_uring_enter",
                        source,
                    })
                }
            }
        }
    }

    /// Queues `entries` (in order, as one submission where they fit), makes the
    /// kernel see them and waits until at least `want` CQEs are ready, in as few
    /// io_uring_enter calls as the mode allows: one that both submits and
    /// waits without SQPOLL, none when an SQPOLL thread is awake and the CQEs
    /// are already there. The wait may end with fewer than `want` CQEs ready:
    /// the kernel wakes every waiter when a TIMEOUT request completes, so a
    /// caller counts what it reaps and waits again for the rest.
    #[inline(always)]
    pub fn submit_and_wait(&self, entries: &[Entry], want: u32) -> Result<(), RingError> {
        let mut rest = entries;
        loop {
            let (pushed, sq) = self.push(rest);
            rest = &rest[pushed..];
            // With entries left over, the SQ is full: hand it over before waiting.
            let more = !rest.is_empty();
            let wait = if more { 0 } else { want };
            if self.sqpoll {
                self.kick_poller(&sq, wait, more)?;
            } else if sq.pending > 0 || (wait > 0 && self.cq_ready() < wait) {
                let flags = if wait > 0 { ENTER_GETEVENTS } else { 0 };
                let submitted = self.enter_retrying(sq.pending, wait, flags)?;
                if submitted < sq.pending {
                    // The kernel stopped early (a failed SQE): the rest is still queued.
                    continue;
                }
            }
            if !more {
                return Ok(());
            }
        }
    }

    /// Pushes the entries if they all fit, or as many as fit when they are more
    /// than the SQ holds; returns how many, and the SQ as the kernel sees it
    /// afterwards (one lock for both).
    #[inline(always)]
    fn push(&self, entries: &[Entry]) -> (usize, SqState) {
        let _guard = self.side(&self.sq);
        // SAFETY: the sq lock (or the ring's having one thread) guarantees no
        // other SubmissionQueue exists.
        let mut sq = unsafe { self.uring.submission_shared() };
        let n = fitting(entries.len(), sq.capacity(), sq.capacity() - sq.len());
        // SAFETY: entries point to buffers the caller keeps alive until completion
        // (the ops own them for the whole cell).
        unsafe { sq.push_multiple(&entries[..n]).expect("room was checked") };
        sq.sync();
        let state = SqState {
            pending: sq.len() as u32,
            full: sq.is_full(),
            need_wakeup: self.sqpoll && sq.need_wakeup(),
            taskrun: self.coop && sq.taskrun(),
        };
        (n, state)
    }

    /// SQPOLL: the poller submits; enter only to wake it, to wait for room in a
    /// full SQ, or to wait for CQEs that are not there yet.
    fn kick_poller(&self, sq: &SqState, want: u32, more: bool) -> Result<(), RingError> {
        if let Some(enter) = poller_enter(sq, want, more, || self.cq_ready()) {
            self.enter_retrying(0, enter.min_complete, enter.flags)?;
        }
        Ok(())
    }

    fn cq_ready(&self) -> u32 {
        let _guard = self.side(&self.cq);
        // SAFETY: the cq lock (or the ring's having one thread) guarantees no
        // other CompletionQueue exists.
        let mut cq = unsafe { self.uring.completion_shared() };
        cq.sync();
        cq.len() as u32
    }

    /// Runs pending task_work when the kernel asks for it (COOP_TASKRUN's
    /// IORING_SQ_TASKRUN flag) and hands every ready CQE to `f(user_data, res)`.
    /// Returns how many were reaped.
    #[inline(always)]
    pub fn reap(&self, mut f: impl FnMut(u64, i32)) -> Result<usize, RingError> {
        if self.coop && self.push(&[]).1.taskrun {
            self.enter_retrying(0, 0, ENTER_GETEVENTS)?;
        }
        let _guard = self.side(&self.cq);
        // SAFETY: the cq lock (or the ring's having one thread) guarantees no
        // other CompletionQueue exists.
        let cq = unsafe { self.uring.completion_shared() };
        let mut n = 0;
        for cqe in cq {
            f(cqe.user_data(), cqe.result());
            n += 1;
        }
        Ok(n)
    }
}

/// The calling thread's id (gettid), read once per thread: a registered ring
/// fd belongs to the thread that registered it, and every enter asks whether
/// it is that thread, which `thread::current()` would answer with an atomic
/// reference count taken and dropped per system call.
#[inline(always)]
fn thread_id() -> u32 {
    thread_local! {
        static TID: Cell<u32> = const { Cell::new(0) };
    }
    TID.with(|tid| match tid.get() {
        0 => {
            // SAFETY: gettid has no arguments and cannot fail.
            let id = unsafe { libc::gettid() } as u32;
            tid.set(id);
            id
        }
        id => id,
    })
}

/// How many of `len` entries to push into an SQ of `capacity` entries with
/// `room` free. A submission that fits the SQ goes in whole or not at all: a
/// prefix that an SQPOLL thread picks up alone would cut its link chains. One
/// larger than the SQ goes in as far as there is room.
fn fitting(len: usize, capacity: usize, room: usize) -> usize {
    if len <= capacity && len > room {
        0
    } else {
        room.min(len)
    }
}

/// The io_uring_enter(2) an SQPOLL ring makes, when it makes one.
#[derive(Debug, PartialEq, Eq)]
struct PollerEnter {
    /// IORING_ENTER_* flags.
    flags: u32,
    /// CQEs to wait for.
    min_complete: u32,
}

/// Whether an SQPOLL ring must enter after pushing, and how: to wake a
/// sleeping poller, to wait for room when `more` entries wait for a full SQ,
/// or to wait for `want` CQEs when fewer are `ready` (read only if `want`
/// is not zero). `None`: the poller is awake and nothing needs waiting for.
fn poller_enter(
    sq: &SqState,
    want: u32,
    more: bool,
    ready: impl FnOnce() -> u32,
) -> Option<PollerEnter> {
    let mut flags = 0;
    if sq.need_wakeup {
        flags |= ENTER_SQ_WAKEUP;
    }
    if more && sq.full {
        flags |= ENTER_SQ_WAIT;
    }
    let wait = want > 0 && ready() < want;
    if wait {
        flags |= ENTER_GETEVENTS;
    }
    (flags != 0).then_some(PollerEnter {
        flags,
        min_complete: if wait { want } else { 0 },
    })
}

impl Drop for Ring {
    fn drop(&mut self) {
        if let Some((index, owner)) = self.registered {
            if owner == thread_id() {
                let mut update = RsrcUpdate {
                    offset: index,
                    resv: 0,
                    data: 0,
                };
                // A failure only delays the release of the ring to thread exit.
                let _ = self.register(UNREGISTER_RING_FDS, &mut update);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(need_wakeup: bool, full: bool) -> SqState {
        SqState {
            pending: 0,
            full,
            need_wakeup,
            taskrun: false,
        }
    }

    #[test]
    fn a_submission_that_fits_the_sq_goes_in_whole_or_waits() {
        assert_eq!(fitting(4, 8, 8), 4);
        assert_eq!(fitting(4, 8, 4), 4, "exactly the room left");
        assert_eq!(fitting(4, 8, 3), 0, "a prefix would cut a chain");
        assert_eq!(fitting(0, 8, 0), 0);
    }

    #[test]
    fn a_submission_larger_than_the_sq_goes_in_as_far_as_there_is_room() {
        assert_eq!(fitting(20, 8, 8), 8);
        assert_eq!(fitting(20, 8, 5), 5);
        assert_eq!(fitting(20, 8, 0), 0);
    }

    #[test]
    fn an_awake_poller_with_the_cqes_there_needs_no_enter() {
        let ready = || 4;
        assert_eq!(poller_enter(&sq(false, false), 4, false, ready), None);
        assert_eq!(
            poller_enter(&sq(false, true), 0, false, ready),
            None,
            "full but nothing left"
        );
        let never = || -> u32 { panic!("the CQ is read only when CQEs are wanted") };
        assert_eq!(poller_enter(&sq(false, false), 0, false, never), None);
    }

    #[test]
    fn the_poller_enter_asks_for_exactly_what_is_missing() {
        let enter = |s: &SqState, want, more, ready: u32| poller_enter(s, want, more, || ready);
        assert_eq!(
            enter(&sq(true, false), 0, false, 0),
            Some(PollerEnter {
                flags: ENTER_SQ_WAKEUP,
                min_complete: 0
            })
        );
        assert_eq!(
            enter(&sq(false, true), 0, true, 0),
            Some(PollerEnter {
                flags: ENTER_SQ_WAIT,
                min_complete: 0
            }),
            "entries left over wait for room"
        );
        assert_eq!(
            enter(&sq(false, false), 3, false, 2),
            Some(PollerEnter {
                flags: ENTER_GETEVENTS,
                min_complete: 3
            })
        );
        assert_eq!(
            enter(&sq(true, true), 3, true, 0),
            Some(PollerEnter {
                flags: ENTER_SQ_WAKEUP | ENTER_SQ_WAIT | ENTER_GETEVENTS,
                min_complete: 3
            })
        );
    }
}
