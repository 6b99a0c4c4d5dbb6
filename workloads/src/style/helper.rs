//! Helper threads of a style (completer, reactor, stall watcher): started
//! registered for the cell's cancel kicks and pinned to the CPU the cell's
//! placement gives their role, plus the completer shared by the styles that
//! reap in a second thread while the lane thread only submits.

use super::handoff::{decode, Handoff, STOP_SEQ};
use super::{Helper, HelperRole, StepError};
use crate::cancel::Cancel;
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::placement::pin_to;
use crate::userdata::{Tag, UserData};
use io_uring::{opcode, squeue::Entry};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// The completer as a style declares it: on every step's path.
pub(super) const COMPLETER: Helper = Helper {
    role: HelperRole::Completer,
    busy: true,
    mode_ring: false,
};

/// The CPU `cell`'s placement gives the `role` thread of `lane`. A role the
/// style did not declare in [`super::Style::helpers`] is refused: its thread
/// would run unplaced and unrecorded.
pub(super) fn cpu_of(cell: &CellSpec, lane: &Lane, role: HelperRole) -> Result<usize, StepError> {
    cell.helper_cpu(&lane.groups(), role).ok_or_else(|| {
        StepError::Setup(format!(
            "{} thread not declared by style {}",
            role.name(),
            cell.style.name()
        ))
    })
}

/// Starts `body` in a thread named for `role`, registered for `cancel`'s
/// kicks and pinned to `cpu`. Returns once the thread is registered, so that
/// a cancel issued after this returns reaches it.
pub(super) fn spawn(
    role: HelperRole,
    cpu: usize,
    cancel: &Arc<Cancel>,
    body: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>, StepError> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let cancel = cancel.clone();
    let join = std::thread::Builder::new()
        .name(role.name().into())
        .spawn(move || {
            let _registration = cancel.register();
            let pinned = pin_to(cpu).map_err(|e| StepError::Setup(format!("{}: {e}", role.name())));
            let ok = pinned.is_ok();
            let _ = ready_tx.send(pinned);
            if ok {
                body();
            }
        })
        .map_err(|e| StepError::Setup(format!("spawn: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(join),
        Ok(Err(e)) => {
            let _ = join.join();
            Err(e)
        }
        Err(_) => Err(StepError::HelperDied(format!(
            "{} thread died",
            role.name()
        ))),
    }
}

/// What a completer does besides recording step CQEs: it may queue SQEs
/// (e.g. the next chain of the group) on each one, and it says how many CQEs
/// its next decision needs, so that each of its waits is one io_uring_enter
/// sized like a careful application's.
pub(super) trait OnStep: Send + 'static {
    /// Called for each step completion (its last SQE's CQE) after it was
    /// recorded; SQEs pushed to `out`
    /// are submitted before the completer waits again.
    fn step(&mut self, group: u32, seq: u32, res: i32, out: &mut Vec<Entry>);
    /// CQEs the completer's next wait asks for: a lower bound of those that
    /// will arrive, or it could wait forever; 1 when every CQE is a decision.
    fn want(&self) -> u32 {
        1
    }
}

/// A thread that reaps a lane for the lane thread: records every step's
/// completion (its last SQE's CQE) in the handoff's relay, in the order the
/// kernel posted them, and notifies its event. Stopped on drop by a NOP carrying [`STOP_SEQ`].
pub(super) struct Completer {
    lane: Lane,
    stop_group: u32,
    join: Option<JoinHandle<()>>,
}

impl Completer {
    /// Starts reaping `lane` on `cpu`.
    pub fn start(
        lane: &Lane,
        cpu: usize,
        handoff: Arc<Handoff>,
        mut on: impl OnStep,
    ) -> Result<Completer, StepError> {
        let reaped = lane.clone();
        let join = spawn(HelperRole::Completer, cpu, lane.cancel(), move || {
            if let Err(why) = reap_until_stopped(&reaped, &handoff, &mut on) {
                handoff.fail(&why);
            }
        })?;
        Ok(Completer {
            lane: lane.clone(),
            stop_group: lane.groups().start,
            join: Some(join),
        })
    }
}

fn reap_until_stopped(
    lane: &Lane,
    handoff: &Handoff,
    on: &mut impl OnStep,
) -> Result<(), StepError> {
    let mut queued = Vec::new();
    let mut next = Vec::new();
    loop {
        lane.submit_and_wait(&queued, on.want())?;
        let (mut steps, mut stop, mut bad) = (0, false, None);
        lane.reap(|user_data, res| match decode(user_data) {
            Ok(d @ UserData { tag: Tag::Step, .. }) => {
                if handoff.completes_step(d, res) {
                    handoff.relay.push(user_data, res);
                    on.step(d.group, d.seq, res, &mut next);
                    steps += 1;
                }
            }
            Ok(UserData {
                tag: Tag::Aux,
                seq: STOP_SEQ,
                ..
            }) => stop = true,
            Ok(_) => {
                bad.get_or_insert(StepError::Unexpected(user_data));
            }
            Err(why) => {
                bad.get_or_insert(why);
            }
        })?;
        if steps > 0 {
            handoff.event.notify();
        }
        if let Some(why) = bad {
            return Err(why);
        }
        if stop {
            return Ok(());
        }
        std::mem::swap(&mut queued, &mut next);
        next.clear();
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        let stop = opcode::Nop::new()
            .build()
            .user_data(UserData::aux(self.stop_group, STOP_SEQ));
        if self.lane.submit_and_wait(&[stop], 0).is_err() {
            // The ring is unusable: only the cancel kick can end the thread's wait.
            self.lane.cancel().cancel();
        }
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}
