//! Broken orders: cells where the kernel did not keep the order their style
//! asked of it (a recorded violation), which is a finding about the kernel.
//! Controls (a style that promises no order, whose reordering proves the
//! verifier works: `CellStatus::Control`) and failures of the harness's own
//! (set-up errors, the watchdog) are not. The cells one kernel broke in one
//! mode and op make one finding, so that one behaviour of the kernel (such
//! as a shared SQPOLL poller cutting chains) reads as one sentence however
//! many styles and shapes show it.

use crate::analysis::model::{CellStatus, Report};
use crate::schema::ViolationRecord;

/// The cells of one mode and op whose order one kernel broke.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenFinding {
    /// The kernel release they ran on.
    pub kernel: String,
    /// Their mode, e.g. `sqpoll-shared`.
    pub mode: String,
    /// Their op (with `+async` when forced through io-wq).
    pub op: String,
    /// Each cell's name and first violation, in report order.
    pub cells: Vec<(String, ViolationRecord)>,
    /// The styles among them, each once, in report order.
    pub styles: Vec<String>,
    /// The shapes among them, each once, in report order.
    pub shapes: Vec<String>,
}

/// Every mode and op of one input with a recorded violation, but the
/// controls', in report order.
pub fn broken(report: &Report, source: usize) -> Vec<BrokenFinding> {
    let kernel = &report.sources[source].header.machine.kernel;
    let mut found: Vec<BrokenFinding> = Vec::new();
    for c in report
        .cells
        .iter()
        .filter(|c| c.source == source && c.status != CellStatus::Control)
    {
        let Some(v) = &c.violation else { continue };
        let parts = c.parts();
        let at = found
            .iter()
            .position(|f| f.mode == parts.mode && f.op == parts.op);
        let f = match at {
            Some(i) => &mut found[i],
            None => {
                found.push(BrokenFinding {
                    kernel: kernel.clone(),
                    mode: parts.mode.clone(),
                    op: parts.op.clone(),
                    cells: Vec::new(),
                    styles: Vec::new(),
                    shapes: Vec::new(),
                });
                found.last_mut().expect("just pushed")
            }
        };
        f.cells.push((c.name.clone(), v.clone()));
        if !f.styles.contains(&parts.style) {
            f.styles.push(parts.style);
        }
        if !f.shapes.contains(&parts.shape) {
            f.shapes.push(parts.shape);
        }
    }
    found
}
