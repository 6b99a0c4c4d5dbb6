//! What a style's helper thread (a completer or a reactor) shares with the lane
//! thread that runs the pass: the step SQEs it may submit, the completions it
//! saw in the order the kernel posted them (replayed into the verifier), a
//! futex-backed event to wait on, and the first failure it met. A helper
//! relays only the CQE that completes a step (its last SQE's); an inner
//! part's CQE is dropped, or made the handoff's failure when it failed.

use super::{StepCtx, StepError, StepSource};
use crate::cancel::Cancel;
use crate::op::{OpKind, Ops, PreparedSteps};
use crate::ring::RingError;
use crate::sys::futex;
use crate::userdata::UserData;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The seq of a style's own stop request (never a step's seq).
pub(super) const STOP_SEQ: u32 = u32::MAX;

/// Completions recorded by one producer thread, read by the lane thread once it
/// knows the pass is over. Lock-free so that recording costs the producer no
/// more than two stores.
pub(super) struct Relay {
    steps: Box<[AtomicU64]>,
    results: Box<[AtomicI32]>,
    len: AtomicUsize,
    overflow: AtomicBool,
}

impl Relay {
    /// Room for `capacity` completions per pass.
    pub fn new(capacity: usize) -> Relay {
        Relay {
            steps: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            results: (0..capacity).map(|_| AtomicI32::new(0)).collect(),
            len: AtomicUsize::new(0),
            overflow: AtomicBool::new(false),
        }
    }

    /// Empties the relay; only while nothing is in flight.
    pub fn reset(&self) {
        self.len.store(0, Ordering::Release);
        self.overflow.store(false, Ordering::Release);
    }

    /// Records that the step CQE `user_data` (a step's last SQE's) arrived
    /// with `res` (producer only).
    pub fn push(&self, user_data: u64, res: i32) {
        let i = self.len.load(Ordering::Relaxed);
        if i == self.steps.len() {
            self.overflow.store(true, Ordering::Release);
            return;
        }
        self.steps[i].store(user_data, Ordering::Relaxed);
        self.results[i].store(res, Ordering::Relaxed);
        self.len.store(i + 1, Ordering::Release);
    }

    /// Completions recorded so far.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Logs every recorded completion, in recorded order, into the pass's order
    /// log, checking each step's result as [`StepCtx::submit_and_reap`] does.
    pub fn replay(&self, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        if self.overflow.load(Ordering::Acquire) {
            return Err(StepError::Stray(
                "more step completions than steps in a pass".into(),
            ));
        }
        let mut failure = None;
        for i in 0..self.len() {
            let word = self.steps[i].load(Ordering::Relaxed);
            let d = UserData::decode(word).ok_or(StepError::Unexpected(word))?;
            let res = self.results[i].load(Ordering::Relaxed);
            if !ctx.ops.succeeded(d.part, res) {
                failure.get_or_insert(StepError::Failed {
                    group: d.group,
                    seq: d.seq,
                    res,
                });
            }
            ctx.log.complete(d.group, d.seq);
        }
        failure.map_or(Ok(()), Err)
    }
}

/// A counter another thread can sleep on in futex(2). Bit 0 says the waiter is
/// (about to be) asleep, so a notifier only enters the kernel when needed.
pub(super) struct Event {
    word: AtomicU32,
}

const SLEEPING: u32 = 1;

impl Event {
    fn new() -> Event {
        Event {
            word: AtomicU32::new(0),
        }
    }

    /// The current value, read before checking the condition to wait for.
    pub fn current(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Publishes progress and wakes the waiter if it sleeps.
    pub fn notify(&self) {
        if self.word.fetch_add(2, Ordering::AcqRel) & SLEEPING != 0 {
            futex(&self.word, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1);
        }
    }

    /// Sleeps until the value differs from `seen` (one waiter only). EINTR from
    /// the cancel kick ends the wait with [`RingError::Cancelled`].
    pub fn wait(&self, seen: u32, cancel: &Cancel) -> Result<(), StepError> {
        let asleep = seen | SLEEPING;
        if self
            .word
            .compare_exchange(seen, asleep, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            || seen == asleep
        {
            let r = futex(
                &self.word,
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                asleep,
            );
            if r < 0 && errno() == libc::EINTR && cancel.is_cancelled() {
                return Err(RingError::Cancelled.into());
            }
        }
        self.word.fetch_and(!SLEEPING, Ordering::AcqRel);
        Ok(())
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Everything a helper thread hands back to the lane thread.
pub(super) struct Handoff {
    /// Step completions in the order the helper reaped them.
    pub relay: Relay,
    /// Bumped whenever the helper made progress or failed.
    pub event: Event,
    failure: Mutex<Option<StepError>>,
    failed: AtomicBool,
    op: OpKind,
}

impl Handoff {
    /// A handoff for passes of `steps` steps of `op`.
    pub fn new(steps: usize, op: OpKind) -> Handoff {
        Handoff {
            relay: Relay::new(steps),
            event: Event::new(),
            failure: Mutex::new(None),
            failed: AtomicBool::new(false),
            op,
        }
    }

    /// Whether the step CQE `d` with `res` completes its step (the last SQE's
    /// CQE, which the helper relays). An inner part's CQE does not; if it
    /// failed, its failure is the step's and becomes the handoff's.
    pub fn completes_step(&self, d: UserData, res: i32) -> bool {
        if !d.last && !self.op.succeeded(d.part, res) {
            self.fail(&StepError::Failed {
                group: d.group,
                seq: d.seq,
                res,
            });
        }
        d.last
    }

    /// Records the helper's first failure and wakes the lane thread.
    pub fn fail(&self, why: &StepError) {
        self.failure.lock().unwrap().get_or_insert(why.relayed());
        self.failed.store(true, Ordering::Release);
        self.event.notify();
    }

    /// The helper's failure, if it had one.
    pub fn check(&self) -> Result<(), StepError> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let failure = self.failure.lock().unwrap();
        Err(failure
            .as_ref()
            .expect("a failure is stored before it is flagged")
            .relayed())
    }

    /// Sleeps on the event until `done()` holds, the helper failed, or the cell
    /// was cancelled.
    pub fn wait_until(&self, cancel: &Cancel, done: impl Fn() -> bool) -> Result<(), StepError> {
        loop {
            let seen = self.event.current();
            self.check()?;
            if done() {
                return Ok(());
            }
            self.event.wait(seen, cancel)?;
        }
    }
}

/// The lane's [`PreparedSteps`], handed by the lane thread to its helper
/// thread, so that the helper submits steps without touching the ops (whose
/// buffers live for the whole cell) and copies each step's SQEs exactly as
/// the lane thread would.
#[derive(Default)]
pub(super) struct StepTable {
    prepared: OnceLock<Arc<PreparedSteps>>,
}

impl StepTable {
    /// Takes the lane's prepared steps on the first call; later calls do nothing.
    pub fn fill(&self, ops: &Ops) {
        self.prepared.get_or_init(|| ops.prepared().clone());
    }
}

impl StepSource for StepTable {
    /// Panics if the table was not filled first, which would be a bug of the
    /// style (it fills before anything is submitted).
    #[inline]
    fn prepared(&self) -> &PreparedSteps {
        self.prepared.get().expect("step table filled")
    }
}

/// The decoded user_data of a CQE of a helper's ring, or the error to report.
pub(super) fn decode(user_data: u64) -> Result<UserData, StepError> {
    UserData::decode(user_data).ok_or(StepError::Unexpected(user_data))
}

#[cfg(test)]
mod tests {
    use super::super::Stream;
    use super::*;
    use crate::op::{OpKind, StepFlags};
    use crate::verify::OrderLog;
    use results_schema::ReasonCode;
    use std::time::Duration;

    fn nop_ops(groups: u32, steps: u32) -> Ops {
        Ops::new(
            OpKind::Nop,
            false,
            0,
            groups,
            steps,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("nop ops need no resources")
    }

    #[test]
    fn the_relay_replays_completions_in_recorded_order_into_the_log() {
        let ops = nop_ops(2, 2);
        let stream = Stream::new(0..2, 2, 4);
        let mut log = OrderLog::new(2, 2);
        let relay = Relay::new(4);
        for (g, s) in [(1, 0), (0, 1), (0, 0), (1, 1)] {
            relay.push(UserData::step(g, s), 0);
        }
        assert_eq!(relay.len(), 4);
        let mut ctx = StepCtx::new(&ops, &mut log, &stream);
        relay.replay(&mut ctx).expect("every step succeeded");
        assert!(log.all_done());
        let v = log.violation().expect("group 0 completed 1 before 0");
        assert_eq!((v.group, v.expected, v.got), (0, 0, 1));
    }

    #[test]
    fn a_failed_step_is_reported_after_every_completion_is_logged() {
        let ops = nop_ops(1, 3);
        let stream = Stream::new(0..1, 3, 3);
        let mut log = OrderLog::new(1, 3);
        let relay = Relay::new(3);
        relay.push(UserData::step(0, 0), 0);
        relay.push(UserData::step(0, 1), -libc::EINVAL);
        relay.push(UserData::step(0, 2), -libc::EIO);
        let mut ctx = StepCtx::new(&ops, &mut log, &stream);
        let failure = relay.replay(&mut ctx).unwrap_err();
        assert!(
            matches!(failure, StepError::Failed { group: 0, seq: 1, res } if res == -libc::EINVAL),
            "the first failure: {failure}"
        );
        assert!(log.all_done(), "the failure does not stop the log");
    }

    #[test]
    fn more_completions_than_room_fail_the_replay_until_reset() {
        let ops = nop_ops(1, 1);
        let stream = Stream::new(0..1, 1, 1);
        let mut log = OrderLog::new(1, 1);
        let relay = Relay::new(1);
        relay.push(UserData::step(0, 0), 0);
        relay.push(UserData::step(0, 0), 0);
        assert_eq!(relay.len(), 1, "the extra completion is not stored");
        let mut ctx = StepCtx::new(&ops, &mut log, &stream);
        assert!(relay.replay(&mut ctx).is_err());
        relay.reset();
        assert_eq!(relay.len(), 0);
        relay.push(UserData::step(0, 0), 0);
        assert!(relay.replay(&mut ctx).is_ok());
    }

    #[test]
    fn a_helper_relays_a_step_at_its_last_sqe_and_fails_it_at_a_failed_inner_one() {
        let part = |seq, part, last| UserData::decode(UserData::step_part(0, seq, part, last));
        let handoff = Handoff::new(2, OpKind::Copy);
        assert!(!handoff.completes_step(part(0, 0, false).unwrap(), 8));
        assert!(handoff.check().is_ok(), "a READ_FIXED of 8 bytes succeeded");
        assert!(handoff.completes_step(part(0, 1, true).unwrap(), 8));
        assert!(!handoff.completes_step(part(1, 0, false).unwrap(), -libc::EIO));
        let failure = handoff.check().unwrap_err();
        assert_eq!(failure.code(), ReasonCode::StepFailed);
        assert!(failure.to_string().contains("seq 1"), "{failure}");

        let ops = Ops::new(
            OpKind::Copy,
            false,
            0,
            1,
            2,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("copy");
        let stream = Stream::new(0..1, 2, 2);
        let mut log = OrderLog::new(1, 2);
        let relay = Relay::new(2);
        relay.push(UserData::step_part(0, 0, 1, true), 8);
        relay.push(UserData::step_part(0, 1, 1, true), -libc::ECANCELED);
        let mut ctx = StepCtx::new(&ops, &mut log, &stream);
        let failure = relay.replay(&mut ctx).unwrap_err();
        assert!(
            matches!(failure, StepError::Failed { seq: 1, res, .. } if res == -libc::ECANCELED),
            "the cancelled WRITE_FIXED fails its step: {failure}"
        );
        assert!(log.all_done());
    }

    #[test]
    fn a_wait_on_a_moved_event_returns_at_once() {
        let event = Event::new();
        let seen = event.current();
        event.notify();
        assert_ne!(event.current(), seen, "notify publishes progress");
        assert!(event.wait(seen, &Cancel::default()).is_ok());
        assert_eq!(event.current() & SLEEPING, 0, "no sleeper is left marked");
    }

    #[test]
    fn a_notify_wakes_a_sleeping_waiter() {
        let handoff = Arc::new(Handoff::new(1, OpKind::Nop));
        let seen = handoff.event.current();
        let waiter = {
            let handoff = handoff.clone();
            std::thread::spawn(move || handoff.event.wait(seen, &Cancel::default()))
        };
        while handoff.event.current() & SLEEPING == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        handoff.event.notify();
        assert!(waiter.join().expect("the waiter returns").is_ok());
    }

    #[test]
    fn the_first_failure_is_kept_and_ends_a_wait() {
        let handoff = Handoff::new(1, OpKind::Nop);
        assert!(handoff.check().is_ok());
        handoff.fail(&StepError::LostWakeup("reactor lost a message".into()));
        handoff.fail(&StepError::HelperDied("a later failure".into()));
        let failure = handoff.check().unwrap_err();
        assert_eq!(failure.code(), ReasonCode::LostWakeup);
        let failure = failure.to_string();
        assert_eq!(failure, "reactor lost a message");
        let waited = handoff.wait_until(&Cancel::default(), || false);
        assert_eq!(waited.unwrap_err().to_string(), failure);
    }

    #[test]
    fn the_step_table_holds_each_steps_sqe_by_group_and_seq() {
        let ops = Ops::new(
            OpKind::Nop,
            false,
            3,
            2,
            4,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("nop ops");
        let table = StepTable::default();
        table.fill(&ops);
        for (g, s) in [(3, 0), (3, 3), (4, 0), (4, 2)] {
            let mut sqes = Vec::new();
            table.prepared().push(&mut sqes, g, s, StepFlags::NONE);
            assert_eq!(sqes.len(), 1);
            assert_eq!(sqes[0].get_user_data(), UserData::step(g, s));
        }
    }

    #[test]
    fn decode_names_a_word_this_tool_never_writes() {
        assert_eq!(
            decode(UserData::aux(2, 5)).ok().map(|d| (d.group, d.seq)),
            Some((2, 5))
        );
        let stray = decode(0x42).unwrap_err();
        assert!(matches!(stray, StepError::Unexpected(0x42)), "{stray:?}");
        assert_eq!(stray.to_string(), "unexpected completion user_data 0x42");
    }
}
