//! `link` and `hardlink`: the steps a group has in one batch are submitted as one
//! chain (IOSQE_IO_LINK or IOSQE_IO_HARDLINK on all but the last). Links never
//! cross a submission, so when a group's next steps arrive in a later batch
//! while its previous chain is still in flight, the application has to wait for
//! that chain's tail CQE before submitting them: the cross-batch cost.

use super::{runs, Completion, Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use io_uring::squeue::{Entry, Flags};

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
    fn instance(&self, cell: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        Ok(Box::new(Run {
            flag: self.flag,
            tails: vec![None; cell.shape.groups as usize],
            entries: Vec::new(),
        }))
    }
}

struct Run {
    flag: Flags,
    /// Per group: the seq of the tail of its chain in flight.
    tails: Vec<Option<u32>>,
    entries: Vec<Entry>,
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let tails = &mut self.tails;
        for batch in ctx.stream.batches() {
            let chains = runs(batch);
            while chains.iter().any(|(g, _)| tails[*g as usize].is_some()) {
                ctx.submit_and_reap(lane, &[], 1, |c| {
                    if let Completion::Step { group, seq } = c {
                        if tails[group as usize] == Some(seq) {
                            tails[group as usize] = None;
                        }
                    }
                })?;
            }
            self.entries.clear();
            for (group, seqs) in &chains {
                let last = seqs.len() - 1;
                self.entries.extend(seqs.iter().enumerate().map(|(i, &s)| {
                    let e = ctx.ops.step(*group, s);
                    if i < last {
                        e.flags(self.flag)
                    } else {
                        e
                    }
                }));
                tails[*group as usize] = seqs.last().copied();
            }
            ctx.submit_and_reap(lane, &self.entries, 0, |c| {
                if let Completion::Step { group, seq } = c {
                    if tails[group as usize] == Some(seq) {
                        tails[group as usize] = None;
                    }
                }
            })?;
        }
        ctx.drain(lane)?;
        tails.iter_mut().for_each(|t| *t = None);
        Ok(())
    }
}
