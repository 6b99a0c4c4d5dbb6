//! `sync-group` (emulated in userspace): the 2021 RFC's sync groups, where a step is
//! appended to its group's chain even while that chain is in flight, so the
//! stream never stalls at a batch boundary the way `link` does.
//!
//! - `queue`: one thread; each group has a pending queue in userspace, and when
//!   the in-flight chain's tail CQE arrives the pending steps are submitted as
//!   the group's next linked chain.
//! - `append`: models the proposed in-kernel lock-free append. Each group has a
//!   tail word (in flight?, appended end, end handed to the kernel) shared by
//!   the submitter (the lane thread) and a completer thread, each on the CPU
//!   the cell's placement gives its role (by default two different CPUs). The submitter appends with a CAS; the completer, on the tail CQE,
//!   either marks the group idle or submits what was appended meanwhile. The
//!   cache-line traffic of that append is what this variant measures.
//!
//! Neither exists upstream: every output of this style is labelled
//! [`USERSPACE_EMULATION_LABEL`], worded apart from machine emulation's label.

use results_schema::USERSPACE_EMULATION_LABEL;

use super::handoff::{Handoff, StepTable};
use super::helper::{cpu_of, Completer, OnStep, COMPLETER};
use super::order::{Breakable, Kept, Order};
use super::variant::Variants;
use super::{push_chain, Completion, Helper, HelperRole, Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::probe::Need;
use io_uring::squeue::{Entry, Flags};
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// The style.
pub struct SyncGroup;

/// The two ways of appending to a chain in flight.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Userspace pending queues, re-linked on each tail CQE.
    Queue,
    /// Lock-free tail words shared with a completer thread.
    Append,
}

static VARIANTS: Variants<Variant, 2> =
    Variants::new([("queue", Variant::Queue), ("append", Variant::Append)]);

impl Style for SyncGroup {
    fn name(&self) -> &'static str {
        "sync-group"
    }
    fn about(&self) -> &'static str {
        "RFC sync groups: append to the group's in-flight chain (queue: userspace re-link; append: lock-free tail words, a submitter and a completer thread)"
    }
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS.names()
    }
    fn labels(&self) -> &'static [&'static str] {
        &[USERSPACE_EMULATION_LABEL]
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        if VARIANTS.of(cell)? == Variant::Queue {
            return Ok(Vec::new());
        }
        if cell.mode.mode.defer_taskrun {
            return Err(
                "the append variant reaps in a completer thread; a DEFER_TASKRUN ring completes only in its submitter task".into(),
            );
        }
        Ok(vec![Need::Cpus(2)])
    }
    /// `queue`: one enter per batch (its re-linked chains ride along, and
    /// the last one waits for the next tail). `append`: the lane's enter per
    /// batch, plus the completer's wait for each chain's tail, at most one
    /// per batch.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        let batches = cell.shape.batches_per_pass();
        match VARIANTS.of(cell) {
            Ok(Variant::Append) => 2 * batches,
            _ => batches,
        }
    }
    fn helpers(&self, cell: &CellSpec) -> &'static [Helper] {
        match VARIANTS.of(cell) {
            Ok(Variant::Append) => &[COMPLETER],
            _ => &[],
        }
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        self.build::<Kept>(cell, lane)
    }
}

impl Breakable for SyncGroup {
    fn build<O: Order>(
        &self,
        cell: &CellSpec,
        lane: &Lane,
    ) -> Result<Box<dyn Instance>, StepError> {
        let groups = lane.groups();
        // A chain of `cap` steps fills at most half the SQ, whatever their SQEs.
        let parts = cell.op.parts();
        let cap = (cell.ring_entries / 2 / parts).max(1);
        Ok(match VARIANTS.of(cell)? {
            Variant::Queue => Box::new(Queue::<O>::new(groups, cap, cell.ring_entries, parts)),
            Variant::Append => Box::new(Append::<O>::start(cell, lane, groups, cap)?),
        })
    }
}

/// Per-group state of the `queue` variant, indexed by group.
struct Queue<O> {
    order: PhantomData<fn() -> O>,
    /// Longest chain handed to the kernel at once, in steps.
    cap: u32,
    /// SQEs per step.
    parts: u32,
    /// SQ entries: a submission of several chains is cut where it would not fit.
    sq: u32,
    /// End of the steps the application produced so far.
    appended: Vec<u32>,
    /// End of the steps handed to the kernel.
    kernel_end: Vec<u32>,
    /// Whether a chain is in flight.
    busy: Vec<bool>,
    /// Groups whose tail completed while steps were pending.
    ready: Vec<u32>,
    entries: Vec<Entry>,
}

impl<O: Order> Queue<O> {
    fn new(groups: Range<u32>, cap: u32, sq: u32, parts: u32) -> Queue<O> {
        let n = groups.end as usize;
        Queue {
            order: PhantomData,
            cap,
            parts,
            sq,
            appended: vec![0; n],
            kernel_end: vec![0; n],
            busy: vec![false; n],
            ready: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Queues group `g`'s next chain (its pending steps, up to the cap).
    fn push_next(&mut self, g: u32, ctx: &StepCtx<'_>) {
        let gi = g as usize;
        let start = self.kernel_end[gi];
        let end = self.appended[gi].min(start + self.cap);
        if end > start {
            push_chain(&mut self.entries, ctx.ops, g, start..end, Flags::IO_LINK);
            self.kernel_end[gi] = end;
            self.busy[gi] = true;
        }
    }

    fn submit(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>, want: u32) -> Result<(), StepError> {
        let (busy, kernel_end, appended, ready) = (
            &mut self.busy,
            &self.kernel_end,
            &self.appended,
            &mut self.ready,
        );
        ctx.submit_and_reap(lane, &self.entries, want, |c| {
            if let Completion::Step { group, seq } = c {
                let g = group as usize;
                if seq + 1 == kernel_end[g] {
                    busy[g] = false;
                    if appended[g] > kernel_end[g] {
                        ready.push(group);
                    }
                }
            }
        })?;
        self.entries.clear();
        Ok(())
    }

    /// The CQEs the next decision needs: those of the rest of every chain in
    /// flight that has steps waiting behind it (their tails let them go), or,
    /// when no steps wait, of every step in flight. Chains complete in
    /// order, so that many CQEs come at least.
    fn want(&self, ctx: &StepCtx<'_>) -> u32 {
        let in_flight = |g: u32| self.kernel_end[g as usize].saturating_sub(ctx.log.completed(g));
        let groups = ctx.stream.groups();
        let waiting: u32 = groups
            .clone()
            .filter(|&g| self.appended[g as usize] > self.kernel_end[g as usize])
            .map(in_flight)
            .sum();
        let steps = match waiting {
            0 => groups.map(in_flight).sum::<u32>().max(1),
            n => n,
        };
        ctx.step_cqes(steps)
    }

    /// Queues the next chain of every group whose tail completed, to ride
    /// along with the next submission (submitting early only when the SQ would
    /// not hold them).
    fn push_ready(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        while let Some(g) = self.ready.pop() {
            if self.busy[g as usize] {
                continue;
            }
            if self.entries.len() as u32 + self.cap * self.parts > self.sq {
                self.submit(lane, ctx, 0)?;
            }
            self.push_next(g, ctx);
        }
        Ok(())
    }
}

impl<O: Order> Instance for Queue<O> {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        for g in ctx.stream.groups() {
            let gi = g as usize;
            (self.appended[gi], self.kernel_end[gi], self.busy[gi]) = (0, 0, false);
        }
        self.ready.clear();
        let batches = ctx.stream.batches();
        for (i, batch) in batches.iter().enumerate() {
            for run in &batch.runs {
                let gi = run.group as usize;
                self.appended[gi] = run.end;
                if !O::KEPT {
                    // Order ignored: each run becomes its own chain at once,
                    // overlapping the group's chain in flight.
                    self.kernel_end[gi] = run.start;
                    self.busy[gi] = false;
                }
                if !self.busy[gi] {
                    self.push_next(run.group, ctx);
                }
            }
            self.push_ready(lane, ctx)?;
            // The last submission already waits for the next decision.
            let want = if i + 1 == batches.len() {
                self.want(ctx)
            } else {
                0
            };
            self.submit(lane, ctx, want)?;
        }
        // Each enter submits the chains the last tails released and waits for
        // the next decision, so a DEFER_TASKRUN ring runs a whole chain in one.
        while ctx.outstanding() > 0 {
            self.push_ready(lane, ctx)?;
            let want = self.want(ctx);
            self.submit(lane, ctx, want)?;
        }
        Ok(())
    }
}

/// A group's tail word: bit 63 = a chain is in flight, bits 32..63 = end of the
/// steps appended, bits 0..32 = end of the steps handed to the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Tail {
    busy: bool,
    appended: u32,
    kernel_end: u32,
}

const BUSY: u64 = 1 << 63;

impl Tail {
    fn load(word: &AtomicU64) -> Tail {
        let w = word.load(Ordering::Acquire);
        Tail {
            busy: w & BUSY != 0,
            appended: ((w >> 32) as u32) & 0x7fff_ffff,
            kernel_end: w as u32,
        }
    }

    fn word(self) -> u64 {
        (if self.busy { BUSY } else { 0 })
            | u64::from(self.appended) << 32
            | u64::from(self.kernel_end)
    }

    fn replace(word: &AtomicU64, old: Tail, new: Tail) -> bool {
        word.compare_exchange(old.word(), new.word(), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// The `append` variant: the lane thread submits or appends, a completer
/// (placed as a helper) reaps and continues chains.
struct Append<O> {
    order: PhantomData<fn() -> O>,
    tails: Arc<[AtomicU64]>,
    /// The completer's per-group count of step CQEs, reset between passes.
    reaped: Arc<[AtomicU32]>,
    table: Arc<StepTable>,
    handoff: Arc<Handoff>,
    _completer: Completer,
    entries: Vec<Entry>,
}

impl<O: Order> Append<O> {
    fn start(
        cell: &CellSpec,
        lane: &Lane,
        groups: Range<u32>,
        cap: u32,
    ) -> Result<Append<O>, StepError> {
        let tails: Arc<[AtomicU64]> = (0..groups.end).map(|_| AtomicU64::new(0)).collect();
        let table = Arc::new(StepTable::default());
        let lane_steps = groups.len() * cell.shape.steps as usize;
        let handoff = Arc::new(Handoff::new(lane_steps, cell.op));
        let reaped: Arc<[AtomicU32]> = (0..groups.end).map(|_| AtomicU32::new(0)).collect();
        let continuation = Continue {
            tails: tails.clone(),
            table: table.clone(),
            cap,
            reaped: reaped.clone(),
        };
        let completer = Completer::start(
            lane,
            cpu_of(cell, lane, HelperRole::Completer)?,
            handoff.clone(),
            continuation,
        )?;
        Ok(Append {
            order: PhantomData,
            tails,
            reaped,
            table,
            handoff,
            _completer: completer,
            entries: Vec::new(),
        })
    }
}

/// The completer's side of the append.
struct Continue {
    tails: Arc<[AtomicU64]>,
    table: Arc<StepTable>,
    cap: u32,
    /// Per group: step CQEs reaped this pass (reset by the lane between passes).
    reaped: Arc<[AtomicU32]>,
}

impl OnStep for Continue {
    fn step(&mut self, group: u32, seq: u32, _res: i32, out: &mut Vec<Entry>) {
        self.reaped[group as usize].fetch_add(1, Ordering::Relaxed);
        let word = &self.tails[group as usize];
        continue_chain(word, group, seq, self.cap, &self.table, out);
    }

    /// The rest of every chain in flight: their tails are the decisions the
    /// completer makes, and chains complete in order, so that many CQEs come
    /// at least; 1 when none is in flight.
    fn want(&self) -> u32 {
        let left: u32 = self
            .tails
            .iter()
            .map(Tail::load)
            .zip(self.reaped.iter())
            .filter(|(tail, _)| tail.busy)
            .map(|(tail, reaped)| {
                tail.kernel_end
                    .saturating_sub(reaped.load(Ordering::Relaxed))
            })
            .sum();
        left.max(1)
    }
}

/// On the CQE of step `seq`, if it was the
/// end of what the kernel had, either mark the group idle or hand the kernel
/// what the submitter appended meanwhile.
fn continue_chain(
    word: &AtomicU64,
    group: u32,
    seq: u32,
    cap: u32,
    table: &StepTable,
    out: &mut Vec<Entry>,
) {
    loop {
        let old = Tail::load(word);
        if seq + 1 != old.kernel_end {
            return;
        }
        let new = if old.appended == old.kernel_end {
            Tail { busy: false, ..old }
        } else {
            Tail {
                kernel_end: old.appended.min(old.kernel_end + cap),
                ..old
            }
        };
        if Tail::replace(word, old, new) {
            if new.busy {
                let chain = old.kernel_end..new.kernel_end;
                push_chain(out, table, group, chain, Flags::IO_LINK);
            }
            return;
        }
    }
}

impl<O: Order> Instance for Append<O> {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        self.table.fill(ctx.ops);
        self.handoff.relay.reset();
        // Nothing is in flight between passes: the completer sees these first.
        for g in ctx.stream.groups() {
            self.tails[g as usize].store(0, Ordering::Release);
            self.reaped[g as usize].store(0, Ordering::Relaxed);
        }
        for batch in ctx.stream.batches() {
            self.entries.clear();
            for run in &batch.runs {
                let (g, start, end) = (run.group, run.start, run.end);
                let word = &self.tails[g as usize];
                loop {
                    let old = Tail::load(word);
                    let own = !old.busy || !O::KEPT;
                    let new = Tail {
                        busy: true,
                        appended: end,
                        kernel_end: if own { end } else { old.kernel_end },
                    };
                    if Tail::replace(word, old, new) {
                        if own {
                            let table = &*self.table;
                            push_chain(&mut self.entries, table, g, start..end, Flags::IO_LINK);
                        }
                        break;
                    }
                }
            }
            if !self.entries.is_empty() {
                lane.submit_and_wait(&self.entries, 0)?;
            }
        }
        let steps = ctx.stream.steps as usize * ctx.stream.groups().len();
        let relay = &self.handoff.relay;
        self.handoff
            .wait_until(lane.cancel(), || relay.len() >= steps)?;
        self.handoff.relay.replay(ctx)
    }
}
