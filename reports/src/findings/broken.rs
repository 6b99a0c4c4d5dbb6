//! Broken orders: cells where the kernel did not keep the order their style
//! asked of it (a recorded violation), which is a finding about the kernel.
//! Controls (a style that promises no order, whose reordering proves the
//! verifier works: `CellStatus::Control`) and failures of the harness's own
//! (set-up errors, the watchdog) are not.

use crate::model::{CellStatus, Report};
use crate::schema::ViolationRecord;

/// One cell whose order the kernel broke.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenFinding {
    /// The cell's name.
    pub cell: String,
    /// The kernel release it ran on.
    pub kernel: String,
    /// The first violation.
    pub violation: ViolationRecord,
}

/// Every cell of one input with a recorded violation, but the controls.
pub fn broken(report: &Report, source: usize) -> Vec<BrokenFinding> {
    report
        .cells
        .iter()
        .filter(|c| c.source == source && c.status != CellStatus::Control)
        .filter_map(|c| {
            Some(BrokenFinding {
                cell: c.name.clone(),
                kernel: report.sources[source].header.machine.kernel.clone(),
                violation: c.violation.clone()?,
            })
        })
        .collect()
}
