//! A real busy delay per step, inside the timed region.

use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::style::{Instance, StepCtx, StepError};
use std::time::{Duration, Instant};

/// The environment variable that adds a busy delay per step (nanoseconds):
/// a genuinely slower build, used to prove that comparisons catch regressions.
pub const DELAY_ENV: &str = "URING_SYNCBENCH_TEST_DELAY_NS";

/// With [`DELAY_ENV`], the environment variable that aims the delay at the
/// cells of one style (its name, as `list` shows it) and no other, so a
/// test can make one style genuinely the slowest.
pub const DELAY_STYLE_ENV: &str = "URING_SYNCBENCH_TEST_DELAY_STYLE";

/// `instance`, spinning `DELAY_ENV` ns per step after each pass when set
/// (and, when `DELAY_STYLE_ENV` is set, the cell's style is the one it names).
pub(super) fn wrap(
    spec: &CellSpec,
    lane_steps: u32,
    instance: Box<dyn Instance>,
) -> Box<dyn Instance> {
    let aimed = std::env::var(DELAY_STYLE_ENV).map_or(true, |s| s == spec.style.name());
    let per_step: u64 = std::env::var(DELAY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if per_step == 0 || !aimed {
        return instance;
    }
    Box::new(Delayed {
        inner: instance,
        per_pass: Duration::from_nanos(per_step * u64::from(lane_steps)),
    })
}

/// A style instance followed, in every pass, by a spin of `per_pass`.
struct Delayed {
    inner: Box<dyn Instance>,
    per_pass: Duration,
}

impl Instance for Delayed {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let result = self.inner.run(lane, ctx);
        let end = Instant::now() + self.per_pass;
        while Instant::now() < end {
            std::hint::spin_loop();
        }
        result
    }
}
