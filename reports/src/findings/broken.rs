//! Broken orders: cells where the kernel did not keep the order their style
//! asked of it (a recorded violation), which is a finding about the kernel.
//! The unordered style, whose reordering is the verifier's positive control,
//! and failures of the harness's own (set-up errors, the watchdog) are not.

use crate::model::Report;
use crate::schema::ViolationRecord;

/// The style that asks for no order: its broken cells prove the verifier
/// works and say nothing about the kernel.
pub const UNORDERED_STYLE: &str = "independent";

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

/// Every cell of one input with a recorded violation, but the unordered style's.
pub fn broken(report: &Report, source: usize) -> Vec<BrokenFinding> {
    report
        .cells
        .iter()
        .filter(|c| c.source == source && c.key.style != UNORDERED_STYLE)
        .filter_map(|c| {
            Some(BrokenFinding {
                cell: c.name.clone(),
                kernel: report.sources[source].header.machine.kernel.clone(),
                violation: c.violation.clone()?,
            })
        })
        .collect()
}
