//! `link` and `hardlink`: the steps a group has in one batch are submitted as one
//! chain (IOSQE_IO_LINK or IOSQE_IO_HARDLINK on all but the last). Links never
//! cross a submission, so when a group's next steps arrive in a later batch
//! while its previous chain is still in flight, the application has to wait for
//! that chain's tail CQE before submitting them: the cross-batch cost.
//!
//! A step of several SQEs (linked inside by the op) is one link of the chain:
//! the style's flag goes on its last SQE, so the next step waits for the whole
//! step, and the chain's tail is the last SQE of its last step.

use super::{push_chain, Batch, Completion, Instance, PassSqes, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use io_uring::squeue::Flags;

/// A chaining style: which link flag it uses.
pub struct Chain {
    name: &'static str,
    flag: Flags,
    about: &'static str,
}

/// IOSQE_IO_LINK chains: a failed step cancels the rest of its chain.
pub const LINK: Chain = Chain {
    name: "link",
    flag: Flags::IO_LINK,
    about: "IOSQE_IO_LINK within a batch; waits for the chain tail across batches",
};

/// IOSQE_IO_HARDLINK chains: the chain goes on even if a step fails.
pub const HARDLINK: Chain = Chain {
    name: "hardlink",
    flag: Flags::IO_HARDLINK,
    about: "IOSQE_IO_HARDLINK within a batch; waits for the chain tail across batches",
};

impl Style for Chain {
    fn name(&self) -> &'static str {
        self.name
    }
    fn about(&self) -> &'static str {
        self.about
    }
    /// One enter per batch: it submits the batch's chains and waits for the
    /// tails the next batch continues (with SQPOLL, only the wait is left).
    fn enter_budget(&self, cell: &CellSpec) -> u32 {
        cell.shape.batches_per_pass()
    }
    fn instance(&self, cell: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        Ok(Box::new(Run {
            flag: self.flag,
            in_flight: vec![0; cell.shape.groups as usize],
            pass: None,
        }))
    }
}

struct Run {
    flag: Flags,
    /// Per group: steps of its chain in flight still to complete (0: none in flight).
    in_flight: Vec<u32>,
    /// The pass's chains, laid out on the first pass.
    pass: Option<PassSqes>,
}

/// The steps that must complete before `batch` may be submitted: the rest of
/// every chain in flight (`in_flight`, per group) of a group the batch
/// continues. Chains complete in order, so a group is free exactly when all
/// of them did.
fn blocking(in_flight: &[u32], batch: &Batch) -> u32 {
    batch.runs.iter().map(|r| in_flight[r.group as usize]).sum()
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let batches = ctx.stream.batches();
        let (ops, flag) = (ctx.ops, self.flag);
        let pass = self.pass.get_or_insert_with(|| {
            PassSqes::lay_out(batches, |out, batch| {
                for run in &batch.runs {
                    push_chain(out, ops, run.group, run.seqs(), flag);
                }
            })
        });
        for (i, batch) in batches.iter().enumerate() {
            // Only when the previous wait was satisfied by other groups' CQEs.
            loop {
                let want = ctx.step_cqes(blocking(&self.in_flight, batch));
                if want == 0 {
                    break;
                }
                let in_flight = &mut self.in_flight;
                ctx.submit_and_reap(lane, &[], want, |c| arrived(in_flight, c))?;
            }
            for run in &batch.runs {
                self.in_flight[run.group as usize] = run.steps();
            }
            // One enter submits this batch and waits for what the next needs
            // (all that is left, after the last).
            let want = match batches.get(i + 1) {
                Some(next) => ctx.step_cqes(blocking(&self.in_flight, next)),
                None => ctx.outstanding(),
            };
            let in_flight = &mut self.in_flight;
            ctx.submit_and_reap(lane, pass.batch(i), want, |c| arrived(in_flight, c))?;
        }
        ctx.drain(lane)?;
        self.in_flight.iter_mut().for_each(|n| *n = 0);
        Ok(())
    }
}

/// Counts a completed step against its group's chain in flight.
fn arrived(in_flight: &mut [u32], c: Completion) {
    if let Completion::Step { group, .. } = c {
        let n = &mut in_flight[group as usize];
        *n = n.saturating_sub(1);
    }
}
