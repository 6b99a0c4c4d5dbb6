//! `drain`: every step carries IOSQE_IO_DRAIN, so it starts only after every
//! earlier request of the ring completed: order holds across batches and
//! groups, at the price of serialising everything (the over-serialising baseline).

use super::{Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use io_uring::squeue::Flags;

/// The style.
pub struct Drain;

impl Style for Drain {
    fn name(&self) -> &'static str {
        "drain"
    }
    fn about(&self) -> &'static str {
        "IOSQE_IO_DRAIN on every step (orders against all earlier requests)"
    }
    fn instance(&self, _: &CellSpec, _: &Lane) -> Result<Box<dyn Instance>, StepError> {
        Ok(Box::new(Run))
    }
}

struct Run;

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let mut entries = Vec::with_capacity(ctx.stream.batch as usize);
        for batch in ctx.stream.batches() {
            entries.clear();
            entries.extend(
                batch
                    .iter()
                    .map(|&(g, s)| ctx.ops.step(g, s).flags(Flags::IO_DRAIN)),
            );
            ctx.submit_and_reap(lane, &entries, 0, |_| {})?;
        }
        ctx.drain(lane)
    }
}
