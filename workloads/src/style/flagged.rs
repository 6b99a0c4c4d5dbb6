//! Styles that hand the stream to the kernel batch by batch, every step
//! carrying the same SQE flags, and wait only at the end of the pass:
//! - `independent`: no flag, nothing orders the steps. The upper bound every
//!   ordering style is compared with; on ops that finish out of order it must
//!   fail the order check, which is what proves the verifier works.
//! - `drain`: IOSQE_IO_DRAIN on every step, so each starts only after every
//!   earlier request of the ring completed: order holds across batches and
//!   groups, at the price of serialising everything (the over-serialising baseline).
//!
//! A step of several SQEs (linked inside by the op) carries the flags on its
//! first SQE: a drain then waits before the step starts, and the step's own
//! link keeps its later SQEs behind its first. `independent` adds nothing, so
//! its steps still run their own SQEs in order but race each other.

use super::{Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::StepFlags;
use io_uring::squeue::{Entry, Flags};

/// A style whose steps all carry `flags`.
pub struct Flagged {
    name: &'static str,
    flags: Flags,
    about: &'static str,
    orders: bool,
}

/// No ordering at all.
pub const INDEPENDENT: Flagged = Flagged {
    name: "independent",
    flags: Flags::empty(),
    about: "no ordering at all (upper bound; reorders on timeout/async ops)",
    orders: false,
};

/// IOSQE_IO_DRAIN on every step.
pub const DRAIN: Flagged = Flagged {
    name: "drain",
    flags: Flags::IO_DRAIN,
    about: "IOSQE_IO_DRAIN on every step (orders against all earlier requests)",
    orders: true,
};

impl Style for Flagged {
    fn name(&self) -> &'static str {
        self.name
    }
    fn about(&self) -> &'static str {
        self.about
    }
    fn orders(&self) -> bool {
        self.orders
    }
    /// One enter per batch, the last one also waiting for the whole pass;
    /// an SQPOLL thread submits, leaving only that one wait.
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        if cell.mode.mode.sqpoll {
            1
        } else {
            cell.shape.batches_per_pass()
        }
    }
    fn instance(&self, cell: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        let sqes = cell.shape.batch as usize * cell.op.parts() as usize;
        Ok(Box::new(Run {
            flags: self.flags,
            entries: Vec::with_capacity(sqes),
        }))
    }
}

struct Run {
    flags: Flags,
    /// One batch's SQEs, reused by every batch of every pass.
    entries: Vec<Entry>,
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let batches = ctx.stream.batches();
        let entries = &mut self.entries;
        for (i, batch) in batches.iter().enumerate() {
            entries.clear();
            for &(g, s) in &batch.steps {
                ctx.ops
                    .push_step(entries, g, s, StepFlags::first(self.flags));
            }
            // Nothing needs a completion before the end of the pass: the last
            // submission also waits for everything.
            let want = if i + 1 == batches.len() {
                ctx.outstanding()
            } else {
                0
            };
            ctx.submit_and_reap(lane, entries, want, |_| {})?;
        }
        ctx.drain(lane)
    }
}
