//! Test hooks, compiled only with the `fault-injection` feature: the test
//! suite's builds turn it on (a dev-dependency of the crates on `workloads`
//! with the feature), `cargo build` never does, so no shipped binary carries
//! any of this. Each hook is a real fault, not a pretend outcome:
//!
//! - [`DELAY_ENV`]: a busy delay per step inside the timed region, a genuinely
//!   slower build, so that comparisons can be shown to catch a regression
//!   (aimed at one style with [`DELAY_STYLE_ENV`]);
//! - [`SLOW_PHASE_ENV`]: a window of time in which every pass is slower by
//!   a share of itself, a machine that drifts, so that ratios measured block
//!   by block can be shown to stay put;
//! - [`HANG_ENV`]: a style whose passes never finish (a read of a pipe nobody
//!   writes), so that the watchdog can be shown to end a hung cell;
//! - [`broken`]: the cross-batch styles with their order ignored, so that the
//!   verifier can be shown to catch each of them breaking order;
//! - [`crate::probe::Capabilities::without_opcode`]: a kernel without one
//!   opcode, so that skip paths run on kernels that have it.
//!
//! The hooks read their environment variables once per lane at set-up and
//! wrap the lane's [`Instance`]; the timed passes check nothing.

mod broken;
mod delay;
mod hang;
mod slow;

pub use broken::broken;
pub use delay::{DELAY_ENV, DELAY_STYLE_ENV};
pub use hang::HANG_ENV;
pub use slow::SLOW_PHASE_ENV;

use crate::cell::{CellError, CellSpec};
use crate::style::Instance;

/// The lane's instance with the hooks the environment asks for around it.
pub(crate) fn inject(
    spec: &CellSpec,
    lane_steps: u32,
    instance: Box<dyn Instance>,
) -> Result<Box<dyn Instance>, CellError> {
    let instance = hang::wrap(spec, instance)?;
    Ok(slow::wrap(delay::wrap(spec, lane_steps, instance)))
}
