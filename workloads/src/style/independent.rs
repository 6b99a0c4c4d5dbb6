//! `independent`: nothing orders the steps. The upper bound every ordering
//! style is compared with; on ops that finish out of order it must fail the
//! order check, which is what proves the verifier works.

use super::{Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;

/// The style.
pub struct Independent;

impl Style for Independent {
    fn name(&self) -> &'static str {
        "independent"
    }
    fn about(&self) -> &'static str {
        "no ordering at all (upper bound; reorders on timeout/async ops)"
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
            entries.extend(batch.iter().map(|&(g, s)| ctx.ops.step(g, s)));
            ctx.submit_and_reap(lane, &entries, 0, |_| {})?;
        }
        ctx.drain(lane)
    }
}
