//! `futex`: ordering across batch boundaries kept in the kernel with io_uring
//! futex requests (IORING_OP_FUTEX_WAIT / FUTEX_WAKE, Linux 6.7+). Every chain
//! but a group's first starts with a hardlinked FUTEX_WAIT on the word of the
//! group's previous chain; every chain but the last ends with a linked bump of
//! its own word, then a FUTEX_WAKE of that word. The bump happens in the kernel
//! before the wake, so a wait armed after it fails with -EAGAIN (hardlinked, so
//! the chain goes on) and a wait armed before it is woken: the application
//! submits every batch without waiting. One word per chain, because several
//! chains of a group may be in flight and FUTEX_WAIT can only wait while a word
//! still holds a value.
//!
//! The words (in a MAP_SHARED memfd mapping) start at 1 and the bump is an
//! IORING_OP_READ of 4 bytes from /dev/zero into the word, which completes
//! inline. (An IORING_OP_WRITE of the new value to the memfd works too, but
//! shmem writes are punted to io-wq: on 6.18 that costs about 8 us per bump
//! against under 1 us, and adds an io-wq thread to the picture.)
//!
//! Variants: `shared` and `private` (FUTEX2_PRIVATE) words; `shared-fresh` and
//! `private-fresh` run each pass in a freshly forked, single-threaded process
//! whose first extra thread (the stall watcher) starts once the waits are
//! armed. That reproduces, on purpose, the 6.17/6.18 behaviour where a private
//! wait armed before a process's first extra thread is never woken: the pass
//! then fails with `lost wakeup (group G, step S, scope private)`. The fresh
//! variants are reproductions, not measurements (a fork per pass).

use super::fresh_process::run_in_child;
use super::futex_words::FutexWords;
use super::helper::cpu_of;
use super::order::{Breakable, Kept, Order};
use super::stall::{Progress, Watcher, STALL_SEQ, STALL_WATCHER};
use super::variant::Variants;
use super::{Completion, Helper, HelperRole, Instance, StepCtx, StepError, Style};
use crate::cancel::Cancel;
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::mode::ModeSpec;
use crate::op::StepFlags;
use crate::probe::Need;
use crate::ring::{Ring, RingSize};
use crate::userdata::UserData;
use crate::verify::OrderLog;
use io_uring::{opcode, squeue::Entry, squeue::Flags, types};
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// The style.
pub struct Futex;

/// Who may wake a word's waiters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Any process mapping the word.
    Shared,
    /// Only this process (FUTEX2_PRIVATE).
    Private,
}

impl Scope {
    /// The scope's word in a lost wakeup's message.
    fn name(self) -> &'static str {
        match self {
            Scope::Shared => "shared",
            Scope::Private => "private",
        }
    }

    /// Its FUTEX2 flags beside the word size.
    fn flags(self) -> u32 {
        FUTEX2_SIZE_U32
            | match self {
                Scope::Shared => 0,
                Scope::Private => FUTEX2_PRIVATE,
            }
    }
}

/// A variant: the words' scope, and whether each pass runs in a freshly
/// forked single-threaded process (the lost-wakeup reproduction).
#[derive(Clone, Copy)]
struct Variant {
    scope: Scope,
    fresh: bool,
}

static VARIANTS: Variants<Variant, 4> = Variants::new([
    (
        "shared",
        Variant {
            scope: Scope::Shared,
            fresh: false,
        },
    ),
    (
        "private",
        Variant {
            scope: Scope::Private,
            fresh: false,
        },
    ),
    (
        "shared-fresh",
        Variant {
            scope: Scope::Shared,
            fresh: true,
        },
    ),
    (
        "private-fresh",
        Variant {
            scope: Scope::Private,
            fresh: true,
        },
    ),
]);

/// Requests a chain adds around its steps: FUTEX_WAIT, the bump, FUTEX_WAKE.
const AUX_PER_CHAIN: u32 = 3;

const FUTEX2_SIZE_U32: u32 = libc::FUTEX2_SIZE_U32 as u32;
const FUTEX2_PRIVATE: u32 = libc::FUTEX2_PRIVATE as u32;
const MATCH_ANY: u64 = u32::MAX as u64;

/// A word's value until its chain's bump reads 0 from /dev/zero into it.
const PENDING: u32 = 1;

impl Style for Futex {
    fn name(&self) -> &'static str {
        "futex"
    }
    fn about(&self) -> &'static str {
        "chains wait on the previous chain's futex word (FUTEX_WAIT/WAKE, bumped by a linked READ); *-fresh: reproduction in a forked process"
    }
    fn variants(&self) -> &'static [&'static str] {
        VARIANTS.names()
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        if VARIANTS.of(cell)?.fresh && cell.mode.mode.sqpoll {
            return Err(
                "an SQPOLL thread makes the fresh process multi-threaded before any wait is armed"
                    .into(),
            );
        }
        let chain = cell.shape.batch.min(cell.shape.steps) * cell.op.parts() + AUX_PER_CHAIN;
        if chain > cell.ring_entries {
            return Err(format!(
                "a chain of {chain} requests does not fit the SQ (ring_entries = {})",
                cell.ring_entries
            ));
        }
        Ok(vec![
            Need::Opcode(opcode::FutexWait::CODE, "FUTEX_WAIT"),
            Need::Opcode(opcode::FutexWake::CODE, "FUTEX_WAKE"),
            Need::Opcode(opcode::Read::CODE, "READ"),
            Need::Opcode(opcode::MsgRingData::CODE, "MSG_RING"),
        ])
    }
    /// One enter per batch: the kernel orders every chain after it, and the
    /// last one waits for every CQE of the pass.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        cell.shape.batches_per_pass()
    }
    fn helpers(&self, _cell: &CellSpec) -> &'static [Helper] {
        // In a fresh process too: the child's first extra thread.
        &[STALL_WATCHER]
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        self.build::<Kept>(cell, lane)
    }
}

impl Breakable for Futex {
    fn build<O: Order>(
        &self,
        cell: &CellSpec,
        lane: &Lane,
    ) -> Result<Box<dyn Instance>, StepError> {
        let Variant { scope, fresh } = VARIANTS.of(cell)?;
        let groups = lane.groups();
        let steps = cell.shape.steps;
        let words = FutexWords::new(groups.len() * steps as usize)
            .map_err(|e| StepError::Setup(format!("futex words: {e}")))?;
        let zero = std::fs::File::open("/dev/zero")
            .map_err(|e| StepError::Setup(format!("/dev/zero: {e}")))?;
        let progress = Arc::new(Progress::default());
        let watcher_cpu = cpu_of(cell, lane, HelperRole::StallWatcher)?;
        let watcher = if fresh {
            None
        } else {
            Some(Watcher::start(lane, progress.clone(), watcher_cpu)?)
        };
        let sq = cell.ring_entries;
        Ok(Box::new(Run::<O> {
            order: PhantomData,
            scope,
            fresh,
            first_group: groups.start,
            steps,
            words,
            zero,
            heads: Vec::new(),
            waited: Vec::new(),
            split_rounds: cell.mode.mode.shared_poller,
            progress,
            watcher,
            watcher_cpu,
            sq,
            mode: cell.mode,
            size: RingSize {
                sq,
                cq: (groups.len() as u32 * steps * 2 + 64)
                    .next_power_of_two()
                    .clamp(2 * sq, 65536),
            },
            entries: Vec::new(),
        }))
    }
}

struct Run<O> {
    order: PhantomData<fn() -> O>,
    scope: Scope,
    fresh: bool,
    first_group: u32,
    steps: u32,
    words: FutexWords,
    /// Where bumps read their 0 from.
    zero: std::fs::File,
    /// Per (group, seq) of the lane: whether the step heads a chain.
    heads: Vec<bool>,
    /// Per (group, seq): whether the FUTEX_WAIT of the chain it heads completed this pass.
    waited: Vec<bool>,
    /// Shared SQPOLL rounds take at most 8 SQEs and split longer chains.
    split_rounds: bool,
    progress: Arc<Progress>,
    watcher: Option<Watcher>,
    /// Where the watcher runs (in a fresh process, it starts there late).
    watcher_cpu: usize,
    sq: u32,
    /// For the ring of a fresh process.
    mode: ModeSpec,
    size: RingSize,
    entries: Vec<Entry>,
}

impl<O: Order> Run<O> {
    fn index(&self, group: u32, seq: u32) -> usize {
        ((group - self.first_group) * self.steps + seq) as usize
    }

    /// Appends the chain of steps `start..end` of `group` to `self.entries`:
    /// the wait for the previous chain's bump, the steps, the bump and wake
    /// that release the next chain, every SQE but the chain's last
    /// hardlinked (a step's inner parts too), each written once.
    fn push_chain(&mut self, ctx: &StepCtx<'_>, group: u32, start: u32, end: u32) {
        let flags = self.scope.flags();
        if start > 0 {
            let word = self.words.word(self.index(group, start - 1));
            // Its CQE (0 when woken, -EAGAIN when the word was bumped already)
            // is what tells a lost wakeup apart from a slow chain.
            let wait = opcode::FutexWait::new(word.as_ptr(), u64::from(PENDING), MATCH_ANY, flags)
                .build()
                .flags(Flags::IO_HARDLINK)
                .user_data(UserData::aux(group, start));
            self.entries.push(wait);
        }
        let bump = (end < self.steps).then(|| self.words.word(self.index(group, end - 1)).as_ptr());
        // With the order kept the bump follows the steps and ends the chain;
        // ignored, it goes first and releases the next chain at once.
        let push_bump = |entries: &mut Vec<Entry>, last: bool| {
            let Some(word) = bump else { return };
            let read = opcode::Read::new(types::Fd(self.zero.as_raw_fd()), word.cast(), 4)
                .offset(0)
                .build()
                .flags(Flags::SKIP_SUCCESS | Flags::IO_HARDLINK)
                .user_data(UserData::aux(group, end - 1));
            let link = if last {
                Flags::empty()
            } else {
                Flags::IO_HARDLINK
            };
            let wake = opcode::FutexWake::new(word, 1, MATCH_ANY, flags)
                .build()
                .flags(Flags::SKIP_SUCCESS | link)
                .user_data(UserData::aux(group, end - 1));
            entries.extend([read, wake]);
        };
        if !O::KEPT {
            push_bump(&mut self.entries, false);
        }
        let ends_chain = O::KEPT && bump.is_some();
        for s in start..end {
            let last = if s + 1 == end && !ends_chain {
                Flags::empty()
            } else {
                Flags::IO_HARDLINK
            };
            let add = StepFlags {
                inner: Flags::IO_HARDLINK,
                last,
                ..StepFlags::NONE
            };
            ctx.ops.push_step(&mut self.entries, group, s, add);
        }
        if O::KEPT {
            push_bump(&mut self.entries, true);
        }
    }

    /// CQEs still to come once everything is submitted: those of every
    /// outstanding step (one per SQE) and one per FUTEX_WAIT not completed
    /// yet (bumps and wakes skip theirs on success).
    fn want(&self, ctx: &StepCtx<'_>) -> u32 {
        let waits = self
            .heads
            .iter()
            .zip(&self.waited)
            .enumerate()
            .filter(|&(i, (&head, &waited))| {
                head && !waited && !(i as u32).is_multiple_of(self.steps)
            })
            .count() as u32;
        ctx.outstanding() + waits
    }

    /// Finds a chain whose FUTEX_WAIT never completed although the word it
    /// waits on shows the previous chain's bump: its wakeup was lost.
    fn lost_wakeup(&self) -> Option<StepError> {
        let groups = self.heads.len() as u32 / self.steps;
        (self.first_group..self.first_group + groups).find_map(|g| {
            let head = (1..self.steps).find(|&s| {
                let i = self.index(g, s);
                self.heads[i] && !self.waited[i]
            })?;
            let word = self.words.word(self.index(g, head - 1));
            if word.load(std::sync::atomic::Ordering::Acquire) == PENDING {
                return None;
            }
            let hint = if self.split_rounds {
                "; a shared SQPOLL round takes at most 8 SQEs and may have split the chain, running the wake before the bump"
            } else {
                ""
            };
            Some(StepError::LostWakeup(format!(
                "lost wakeup (group {g}, step {head}, scope {}){hint}",
                self.scope.name()
            )))
        })
    }

    fn submit(
        &mut self,
        lane: &Lane,
        ctx: &mut StepCtx<'_>,
        want: u32,
        record: &mut Vec<(u32, u32)>,
    ) -> Result<(), StepError> {
        let mut stalled = false;
        let mut failed = None;
        self.progress.waiting(want);
        let (first, steps, waited) = (self.first_group, self.steps, &mut self.waited);
        let n = ctx.submit_and_reap(lane, &self.entries, want, |c| match c {
            Completion::Step { group, seq } => {
                if self.fresh {
                    record.push((group, seq));
                }
            }
            Completion::Aux { seq: STALL_SEQ, .. } => stalled = true,
            Completion::Aux { group, seq, res } if res == 0 || res == -libc::EAGAIN => {
                waited[((group - first) * steps + seq) as usize] = true;
            }
            Completion::Aux { group, seq, res } => {
                failed.get_or_insert(StepError::RequestFailed(format!(
                    "futex request of group {group} at step {seq} failed: {}",
                    std::io::Error::from_raw_os_error(-res)
                )));
            }
            Completion::Msg { group, seq } => {
                failed.get_or_insert(StepError::Unexpected(UserData::step(group, seq)));
            }
        })?;
        self.entries.clear();
        self.progress.reaped(n);
        if let Some(e) = failed {
            return Err(e);
        }
        match stalled.then(|| self.lost_wakeup()).flatten() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One pass on `lane`. In a fresh process the stall watcher starts once
    /// every batch is submitted (the process's first extra thread), and step
    /// completions are recorded for the parent.
    fn pass(
        &mut self,
        lane: &Lane,
        ctx: &mut StepCtx<'_>,
        record: &mut Vec<(u32, u32)>,
    ) -> Result<(), StepError> {
        self.words.reset(PENDING);
        self.waited.iter_mut().for_each(|w| *w = false);
        self.progress.in_pass(true);
        let result = self.submit_all(lane, ctx, record);
        self.progress.in_pass(false);
        result
    }

    fn submit_all(
        &mut self,
        lane: &Lane,
        ctx: &mut StepCtx<'_>,
        record: &mut Vec<(u32, u32)>,
    ) -> Result<(), StepError> {
        let batches = ctx.stream.batches();
        for (i, batch) in batches.iter().enumerate() {
            for run in &batch.runs {
                let chain = run.steps() * ctx.ops.parts() + AUX_PER_CHAIN;
                if self.entries.len() as u32 + chain > self.sq {
                    self.submit(lane, ctx, 0, record)?;
                }
                self.push_chain(ctx, run.group, run.start, run.end);
            }
            // The kernel orders the rest: the last submission also waits for
            // everything, once the stall watcher is there to end a lost wakeup.
            let last = i + 1 == batches.len() && self.watcher.is_some();
            let want = if last { self.want(ctx) } else { 0 };
            self.submit(lane, ctx, want, record)?;
        }
        if self.watcher.is_none() {
            let progress = self.progress.clone();
            let watcher = Watcher::start(lane, progress, self.watcher_cpu)?;
            self.watcher = Some(watcher);
        }
        // One enter runs the whole of a DEFER_TASKRUN ring's deferred chains.
        while ctx.outstanding() > 0 {
            let want = self.want(ctx);
            self.submit(lane, ctx, want, record)?;
        }
        Ok(())
    }

    /// A pass in a forked single-threaded child on a ring of its own.
    fn fresh_pass(&mut self, ctx: &mut StepCtx<'_>, cancel: &Cancel) -> Result<(), StepError> {
        let report = run_in_child(cancel, |record| {
            // The parent's Cancel may have been locked by another thread at fork time.
            let cancel = Cancel::new();
            let ring = Ring::build(self.mode, self.size, None, None, cancel.clone())
                .map_err(|e| StepError::Setup(format!("ring: {e}")))?;
            ctx.ops
                .register(&ring)
                .map_err(|e| StepError::Setup(format!("fixed buffers: {e}")))?;
            let lane = Lane::new(Arc::new(ring), cancel, ctx.stream.groups());
            let total = ctx.stream.groups().end;
            let mut log = OrderLog::new(total, self.steps);
            let mut child = StepCtx::new(ctx.ops, &mut log, ctx.stream);
            let result = self.pass(&lane, &mut child, record);
            self.watcher = None;
            result
        })?;
        for (g, s) in report.completions {
            ctx.log.complete(g, s);
        }
        report.error.map_or(Ok(()), Err)
    }
}

impl<O: Order> Instance for Run<O> {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        if self.heads.is_empty() {
            self.heads = vec![false; ctx.stream.groups().len() * self.steps as usize];
            self.waited = self.heads.clone();
            for batch in ctx.stream.batches() {
                for run in &batch.runs {
                    let i = self.index(run.group, run.start);
                    self.heads[i] = true;
                }
            }
        }
        if self.fresh {
            self.fresh_pass(ctx, lane.cancel())
        } else {
            self.pass(lane, ctx, &mut Vec::new())
        }
    }
}
