//! `userspace`: the application submits a group's step k+1 only after it reaped
//! step k's CQE. Every step is a round trip through userspace; up to one step per
//! group (at most `batch` per submission) is in flight. A step of several SQEs
//! goes in whole (the op links its SQEs) and is done at its last SQE's CQE.

use super::{Completion, Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::StepFlags;
use io_uring::squeue::Entry;

/// The style.
pub struct Userspace;

impl Style for Userspace {
    fn name(&self) -> &'static str {
        "userspace"
    }
    fn about(&self) -> &'static str {
        "submit step k+1 only after reaping step k's CQE"
    }
    /// One enter per round of one step per free group: it submits them and
    /// waits for the first CQE, the next decision.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        cell.shape.one_step_rounds()
    }
    fn instance(&self, cell: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        Ok(Box::new(Run {
            next: vec![0; cell.shape.groups as usize],
            busy: vec![false; cell.shape.groups as usize],
            entries: Vec::new(),
        }))
    }
}

struct Run {
    /// Per group: the next seq to submit.
    next: Vec<u32>,
    /// Per group: whether a step is in flight.
    busy: Vec<bool>,
    entries: Vec<Entry>,
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let steps = ctx.stream.steps;
        let batch = ctx.stream.batch as usize;
        let groups = ctx.stream.groups();
        groups.clone().for_each(|g| {
            self.next[g as usize] = 0;
            self.busy[g as usize] = false;
        });
        loop {
            self.entries.clear();
            let mut submitted = 0;
            for g in groups.clone() {
                let gi = g as usize;
                if !self.busy[gi] && self.next[gi] < steps && submitted < batch {
                    ctx.ops
                        .push_step(&mut self.entries, g, self.next[gi], StepFlags::NONE);
                    submitted += 1;
                    self.next[gi] += 1;
                    self.busy[gi] = true;
                }
            }
            if self.entries.is_empty() && !self.busy.iter().any(|b| *b) {
                return Ok(());
            }
            let busy = &mut self.busy;
            // The next decision is the first step to complete.
            let want = ctx.step_cqes(1);
            ctx.submit_and_reap(lane, &self.entries, want, |c| {
                if let Completion::Step { group, .. } = c {
                    busy[group as usize] = false;
                }
            })?;
        }
    }
}
