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

use super::{Instance, PassSqes, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::StepFlags;
use io_uring::squeue::Flags;

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
    fn instance(&self, _: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        Ok(Box::new(Run {
            flags: self.flags,
            pass: None,
        }))
    }
}

struct Run {
    flags: Flags,
    /// The pass's SQEs, laid out on the first pass.
    pass: Option<PassSqes>,
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let batches = ctx.stream.batches();
        let (ops, flags) = (ctx.ops, StepFlags::first(self.flags));
        let pass = self.pass.get_or_insert_with(|| {
            PassSqes::lay_out(batches, |out, batch| {
                for &(g, s) in &batch.steps {
                    ops.push_step(out, g, s, flags);
                }
            })
        });
        for i in 0..batches.len() {
            // Nothing needs a completion before the end of the pass: the last
            // submission also waits for everything.
            let want = if i + 1 == batches.len() {
                ctx.outstanding()
            } else {
                0
            };
            ctx.submit_and_reap(lane, pass.batch(i), want, |_| {})?;
        }
        ctx.drain(lane)
    }
}
