//! Whether a style instance keeps the order its style exists to keep. The
//! styles that order steps across batch boundaries themselves (`sync-group`,
//! `msg-ring`, `futex`, `futex-syscall`) build their instances generic over
//! [`Order`], and read [`Order::KEPT`] at the one decision that holds a step
//! back. Every shipped instance is built with [`Kept`]; only the
//! `fault-injection` build has an `Order` that ignores the decision, so that
//! tests can prove the verifier catches each of these styles breaking order.
//! Being a constant of a type parameter, the decision costs nothing at run time.

use super::{Instance, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;

/// How an instance treats the decision that holds a step back until the
/// step before it in its group completed.
pub(crate) trait Order: 'static {
    /// True when the instance holds the step back (every shipped instance);
    /// false when it lets the step go at once, breaking the order on purpose.
    const KEPT: bool;
}

/// The order kept: how every style runs outside the fault-injection tests.
pub(crate) struct Kept;

impl Order for Kept {
    const KEPT: bool = true;
}

/// A style whose instances can be built with either [`Order`]; its
/// [`Style::instance`] is `build::<Kept>`.
pub(crate) trait Breakable: Style {
    /// Sets up the lane's instance, as [`Style::instance`] promises, with
    /// `O` deciding whether steps are held back.
    fn build<O: Order>(&self, cell: &CellSpec, lane: &Lane)
        -> Result<Box<dyn Instance>, StepError>;
}
