//! `msg-ring`: message-based ordering with upstream primitives, standing in for
//! the BPF reactor of the 2021 thread. A reactor thread owns a second ring (set
//! up for the cell's mode) and its own CQ; it runs each group's steps one after
//! another, submitting the next on each completion. The lane talks to it only
//! through IORING_OP_MSG_RING, in both directions:
//!
//! - `step`: one request message per step, one completion message per step;
//! - `group`: one request message per group run of a batch, one completion
//!   message per finished group.
//!
//! Step CQEs arrive on the reactor's ring. The reactor records them in the order
//! the kernel posted them there, and the lane replays that record into the
//! verifier once the last completion message arrived.

use super::handoff::{decode, Handoff, StepTable, STOP_SEQ};
use super::helper::{cpu_of, spawn};
use super::order::{Breakable, Kept, Order};
use super::variant::Variants;
use super::{Completion, Helper, HelperRole, Instance, StepCtx, StepError, StepSource, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::StepFlags;
use crate::probe::Need;
use crate::ring::{Ring, RingSize};
use crate::userdata::{Tag, UserData};
use io_uring::{opcode, squeue::Entry, squeue::Flags, types};
use std::marker::PhantomData;
use std::ops::Range;
use std::os::fd::RawFd;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// The style.
pub struct MsgRing;

/// What one message stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// A group's run of a batch, and its completion.
    Group,
    /// One step, and its completion.
    Step,
}

static VARIANTS: Variants<Variant, 2> =
    Variants::new([("group", Variant::Group), ("step", Variant::Step)]);

/// The reactor: it runs every step, on a ring set up in the cell's mode.
const REACTOR: Helper = Helper {
    role: HelperRole::Reactor,
    busy: true,
    mode_ring: true,
};

impl Style for MsgRing {
    fn name(&self) -> &'static str {
        "msg-ring"
    }
    fn about(&self) -> &'static str {
        "a reactor thread with its own ring runs each group's steps; requests and completions travel as MSG_RING messages"
    }
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS.names()
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        VARIANTS.of(cell)?;
        Ok(vec![Need::Opcode(opcode::MsgRingData::CODE, "MSG_RING")])
    }
    /// The lane: one enter per batch and one final wait. The reactor: one
    /// enter per round of one step per free group, plus one wait per batch for
    /// its request message.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        2 * cell.shape.batches_per_pass() + 1 + cell.shape.one_step_rounds()
    }
    fn helpers(&self, _cell: &CellSpec) -> &'static [Helper] {
        &[REACTOR]
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        self.build::<Kept>(cell, lane)
    }
}

impl Breakable for MsgRing {
    fn build<O: Order>(
        &self,
        cell: &CellSpec,
        lane: &Lane,
    ) -> Result<Box<dyn Instance>, StepError> {
        let per_step = VARIANTS.of(cell)? == Variant::Step;
        Ok(Box::new(Run::start::<O>(cell, lane, per_step)?))
    }
}

/// A message posted into `ring_fd`'s CQ with `user_data` and `res`. Its own
/// CQE (tagged as an auxiliary request of `group`) is posted only if it fails.
fn message(ring_fd: RawFd, user_data: u64, res: i32, group: u32) -> Entry {
    opcode::MsgRingData::new(types::Fd(ring_fd), res, user_data, None)
        .build()
        .flags(Flags::SKIP_SUCCESS)
        .user_data(UserData::aux(group, 0))
}

fn msg(group: u32, seq: u32) -> u64 {
    UserData::of(Tag::Msg, group, seq).encode()
}

/// What the reactor thread needs, moved into it.
struct Reactor<O> {
    order: PhantomData<fn() -> O>,
    lane_fd: RawFd,
    groups: Range<u32>,
    steps: u32,
    per_step: bool,
    table: Arc<StepTable>,
    handoff: Arc<Handoff>,
}

/// The lane's side: sends requests, counts completion messages.
struct Run {
    lane: Lane,
    per_step: bool,
    reactor_fd: RawFd,
    table: Arc<StepTable>,
    handoff: Arc<Handoff>,
    entries: Vec<Entry>,
    join: Option<JoinHandle<()>>,
}

impl Run {
    fn start<O: Order>(cell: &CellSpec, lane: &Lane, per_step: bool) -> Result<Run, StepError> {
        let groups = lane.groups();
        let lane_steps = groups.len() as u32 * cell.shape.steps;
        let table = Arc::new(StepTable::default());
        let handoff = Arc::new(Handoff::new(lane_steps as usize, cell.op));
        let reactor = Reactor::<O> {
            order: PhantomData,
            lane_fd: lane.ring().fd(),
            groups,
            steps: cell.shape.steps,
            per_step,
            table: table.clone(),
            handoff: handoff.clone(),
        };
        let sq = cell.ring_entries;
        let size = RingSize {
            sq,
            cq: (2 * lane_steps + 64)
                .next_power_of_two()
                .clamp(2 * sq, 65536),
        };
        let mode = cell.mode;
        // The steps' fixed buffers, which the reactor's ring must hold too.
        let fixed = lane.ring().fixed_buffers().to_vec();
        let attach = mode.mode.shared_poller.then(|| lane.ring().fd());
        let sqpoll_cpu = cell.sqpoll_cpu();
        let cpu = cpu_of(cell, lane, HelperRole::Reactor)?;
        let cancel = lane.cancel().clone();
        let (fd_tx, fd_rx) = mpsc::channel();
        let join = spawn(HelperRole::Reactor, cpu, lane.cancel(), move || {
            let ring = match Ring::build(mode, size, attach, sqpoll_cpu, cancel) {
                Ok(ring) => ring,
                Err(e) => {
                    let _ = fd_tx.send(Err(StepError::Setup(format!("reactor ring: {e}"))));
                    return;
                }
            };
            if !fixed.is_empty() {
                if let Err(e) = ring.register_buffers(&fixed) {
                    let _ =
                        fd_tx.send(Err(StepError::Setup(format!("reactor fixed buffers: {e}"))));
                    return;
                }
            }
            let _ = fd_tx.send(Ok(ring.fd()));
            if let Err(why) = reactor.run(&ring) {
                reactor.handoff.fail(&why);
                // Wake the lane if it waits for messages; if even this fails,
                // the watchdog ends the cell.
                let first = reactor.groups.start;
                let stopped = message(reactor.lane_fd, msg(first, STOP_SEQ), 0, first);
                let _ = ring.submit_and_wait(&[stopped], 0);
            }
        })?;
        let reactor_fd = fd_rx
            .recv()
            .map_err(|_| StepError::HelperDied("reactor thread died".into()))??;
        Ok(Run {
            lane: lane.clone(),
            per_step,
            reactor_fd,
            table,
            handoff,
            entries: Vec::new(),
            join: Some(join),
        })
    }
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        self.table.fill(ctx.ops);
        self.handoff.relay.reset();
        let groups = ctx.stream.groups().len() as u32;
        let expected = if self.per_step {
            groups * ctx.stream.steps
        } else {
            groups
        };
        let mut tally = Tally::default();
        for batch in ctx.stream.batches() {
            self.entries.clear();
            for run in &batch.runs {
                let (fd, g) = (self.reactor_fd, run.group);
                if self.per_step {
                    let requests = run.seqs().map(|s| message(fd, msg(g, s), 1, g));
                    self.entries.extend(requests);
                } else {
                    let count = run.steps() as i32;
                    self.entries.push(message(fd, msg(g, run.start), count, g));
                }
            }
            ctx.submit_and_reap(lane, &self.entries, 0, |c| tally.on(c))?;
        }
        // Every message still to come is one CQE: wait for all of them at once.
        while tally.received < expected && tally.failed.is_none() {
            let want = expected - tally.received;
            ctx.submit_and_reap(lane, &[], want, |c| tally.on(c))?;
        }
        self.handoff.check()?;
        if let Some(e) = tally.failed {
            return Err(e);
        }
        self.handoff.relay.replay(ctx)
    }
}

/// What the lane saw during a pass: completion messages, or why it must stop.
#[derive(Default)]
struct Tally {
    received: u32,
    failed: Option<StepError>,
}

impl Tally {
    fn on(&mut self, c: Completion) {
        let failure = match c {
            Completion::Msg { seq: STOP_SEQ, .. } => {
                StepError::HelperDied("reactor stopped".to_string())
            }
            Completion::Msg { .. } => {
                self.received += 1;
                return;
            }
            Completion::Aux { res, .. } => StepError::RequestFailed(format!(
                "MSG_RING to the reactor failed: {}",
                std::io::Error::from_raw_os_error(-res)
            )),
            Completion::Step { group, seq } => StepError::Stray(format!(
                "step group {group} seq {seq} completed on the lane ring"
            )),
        };
        self.failed.get_or_insert(failure);
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let first = self.lane.groups().start;
        let stop = message(self.reactor_fd, msg(first, STOP_SEQ), 0, first);
        if self.lane.submit_and_wait(&[stop], 0).is_err() {
            // Only the cancel kick can end the reactor's wait now.
            self.lane.cancel().cancel();
        }
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

impl<O: Order> Reactor<O> {
    /// Runs requests until the stop message arrives.
    fn run(&self, ring: &Ring) -> Result<(), StepError> {
        let n = self.groups.end as usize;
        let (mut requested, mut next, mut busy) = (vec![0u32; n], vec![0u32; n], vec![false; n]);
        let mut out: Vec<Entry> = Vec::new();
        loop {
            ring.submit_and_wait(&out, 1)?;
            out.clear();
            let (mut stop, mut bad) = (false, None);
            ring.reap(|user_data, res| match decode(user_data) {
                Ok(UserData {
                    tag: Tag::Msg,
                    seq: STOP_SEQ,
                    ..
                }) => stop = true,
                Ok(UserData {
                    tag: Tag::Msg,
                    group,
                    seq,
                    ..
                }) if self.groups.contains(&group) => {
                    let g = group as usize;
                    if seq == 0 {
                        // A pass starts only after the previous one completed.
                        next[g] = 0;
                    }
                    requested[g] = requested[g].max(seq + res as u32);
                }
                Ok(
                    d @ UserData {
                        tag: Tag::Step,
                        group,
                        seq,
                        ..
                    },
                ) if self.groups.contains(&group) => {
                    if !self.handoff.completes_step(d, res) {
                        return;
                    }
                    self.handoff.relay.push(user_data, res);
                    busy[group as usize] = false;
                    if self.per_step || seq + 1 == self.steps {
                        out.push(message(self.lane_fd, msg(group, seq), res, group));
                    }
                }
                Ok(UserData { tag: Tag::Aux, .. }) => {
                    bad.get_or_insert(StepError::RequestFailed(format!(
                        "reactor's MSG_RING to the lane failed: {}",
                        std::io::Error::from_raw_os_error(-res)
                    )));
                }
                Ok(_) => {
                    bad.get_or_insert(StepError::Unexpected(user_data));
                }
                Err(why) => {
                    bad.get_or_insert(why);
                }
            })?;
            if let Some(why) = bad {
                return Err(why);
            }
            if stop {
                return Ok(());
            }
            for g in self.groups.clone() {
                let gi = g as usize;
                // With the order ignored, every requested step goes at once.
                while (!busy[gi] || !O::KEPT) && next[gi] < requested[gi] {
                    self.table
                        .prepared()
                        .push(&mut out, g, next[gi], StepFlags::NONE);
                    next[gi] += 1;
                    busy[gi] = true;
                }
            }
        }
    }
}
