//! A slow phase of the machine: for a window of wall-clock time, every pass
//! takes longer by a share of its own length, as when a host steals the CPU
//! or drops its frequency for a while. Used to show that ratios measured
//! block by block stay put while the machine drifts under them.

use crate::lane::Lane;
use crate::style::{Instance, StepCtx, StepError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The environment variable that sets the slow phase, `FROM_MS:TO_MS:PERCENT`:
/// from `FROM_MS` to `TO_MS` after the first slowed lane was set up, every pass is
/// followed by a busy spin of `PERCENT`% of its own length.
pub const SLOW_PHASE_ENV: &str = "URING_SYNCBENCH_TEST_SLOW_PHASE";

/// When the first slowed lane was set up: the phase's time origin.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// `instance`, slowed during the phase [`SLOW_PHASE_ENV`] sets, when it is set.
pub(super) fn wrap(instance: Box<dyn Instance>) -> Box<dyn Instance> {
    let phase = std::env::var(SLOW_PHASE_ENV).ok().and_then(|v| {
        let mut parts = v.split(':').map(|p| p.parse::<u64>().ok());
        Some((parts.next()??, parts.next()??, parts.next()??))
    });
    let Some((from, to, percent)) = phase else {
        return instance;
    };
    origin();
    Box::new(Slowed {
        inner: instance,
        from: Duration::from_millis(from),
        to: Duration::from_millis(to),
        share: percent as f64 / 100.0,
    })
}

/// A style instance whose passes take `share` longer between `from` and `to`.
struct Slowed {
    inner: Box<dyn Instance>,
    from: Duration,
    to: Duration,
    share: f64,
}

impl Instance for Slowed {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let start = Instant::now();
        let result = self.inner.run(lane, ctx);
        let at = start - origin();
        if (self.from..self.to).contains(&at) {
            let end = Instant::now() + start.elapsed().mul_f64(self.share);
            while Instant::now() < end {
                std::hint::spin_loop();
            }
        }
        result
    }
}
