//! `futex-syscall`: the classic two-thread baseline. The lane thread submits;
//! a completer thread reaps. The submitter blocks in futex(2) until the
//! completer has reaped a group's step k, then submits step k+1 (one step per
//! group in flight, at most `batch` per submission).

use super::handoff::Handoff;
use super::helper::{cpu_of, Completer, OnStep, COMPLETER};
use super::order::{Breakable, Kept, Order};
use super::{Helper, HelperRole, Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::StepFlags;
use io_uring::squeue::Entry;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The style.
pub struct FutexSyscall;

impl Style for FutexSyscall {
    fn name(&self) -> &'static str {
        "futex-syscall"
    }
    fn about(&self) -> &'static str {
        "submitter sleeps in futex(2) until a completer thread reaped step k, then submits k+1"
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<crate::probe::Need>, String> {
        if cell.mode.mode.defer_taskrun {
            return Err(
                "the completer thread reaps; a DEFER_TASKRUN ring completes only in its submitter task".into(),
            );
        }
        Ok(Vec::new())
    }
    /// Per round of one step per free group: the submitter's enter and the
    /// completer's wait for the first CQE.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        2 * cell.shape.one_step_rounds()
    }
    fn helpers(&self, _cell: &CellSpec) -> &'static [Helper] {
        &[COMPLETER]
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        self.build::<Kept>(cell, lane)
    }
}

impl Breakable for FutexSyscall {
    fn build<O: Order>(
        &self,
        cell: &CellSpec,
        lane: &Lane,
    ) -> Result<Box<dyn Instance>, StepError> {
        let groups = lane.groups();
        let handoff = Arc::new(Handoff::new(
            groups.len() * cell.shape.steps as usize,
            cell.op,
        ));
        let reaped: Arc<[AtomicU32]> = (0..groups.end).map(|_| AtomicU32::new(0)).collect();
        let completer = Completer::start(
            lane,
            cpu_of(cell, lane, HelperRole::Completer)?,
            handoff.clone(),
            Count(reaped.clone()),
        )?;
        Ok(Box::new(Run::<O> {
            order: PhantomData,
            handoff,
            reaped,
            next: vec![0; groups.end as usize],
            entries: Vec::new(),
            _completer: completer,
        }))
    }
}

/// The completer's side: counts each group's reaped steps, which is all the
/// submitter waits for (every step CQE is a decision).
struct Count(Arc<[AtomicU32]>);

impl OnStep for Count {
    fn step(&mut self, group: u32, _seq: u32, _res: i32, _out: &mut Vec<Entry>) {
        self.0[group as usize].fetch_add(1, Ordering::Release);
    }
}

struct Run<O> {
    order: PhantomData<fn() -> O>,
    handoff: Arc<Handoff>,
    /// Per group: steps the completer reaped this pass.
    reaped: Arc<[AtomicU32]>,
    /// Per group: the next seq to submit.
    next: Vec<u32>,
    entries: Vec<Entry>,
    _completer: Completer,
}

impl<O: Order> Instance for Run<O> {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let steps = ctx.stream.steps;
        let batch = ctx.stream.batch as usize;
        let groups = ctx.stream.groups();
        self.handoff.relay.reset();
        for g in groups.clone() {
            self.next[g as usize] = 0;
            self.reaped[g as usize].store(0, Ordering::Release);
        }
        let total = groups.len() * steps as usize;
        loop {
            let seen = self.handoff.event.current();
            self.handoff.check()?;
            self.entries.clear();
            let mut submitted = 0;
            for g in groups.clone() {
                let gi = g as usize;
                let idle = !O::KEPT || self.reaped[gi].load(Ordering::Acquire) == self.next[gi];
                if idle && self.next[gi] < steps && submitted < batch {
                    ctx.ops
                        .push_step(&mut self.entries, g, self.next[gi], StepFlags::NONE);
                    submitted += 1;
                    self.next[gi] += 1;
                }
            }
            if !self.entries.is_empty() {
                lane.submit_and_wait(&self.entries, 0)?;
            } else if self.handoff.relay.len() >= total {
                break;
            } else {
                self.handoff.event.wait(seen, lane.cancel())?;
            }
        }
        self.handoff.relay.replay(ctx)
    }
}
