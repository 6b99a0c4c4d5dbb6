//! Why cells failed, one group per cause: the first screen of a report and
//! the mail name a cause once, with how many cells it took and one example,
//! instead of a line per cell. A cause is decided by the cell's reason code
//! and the header's registry, never by its text.

use crate::analysis::model::{CellStatus, CellSummary, Report};
use crate::schema::ReasonCode;

/// The study that reproduces a shared SQPOLL poller cutting a chain.
pub const SHARED_POLLER_STUDY: &str = "shared-sqpoll-split";

/// What made cells fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The kernel broke the order in a mode whose ring shares its SQPOLL
    /// thread with another ring (the registry's `shared_poller`): the
    /// poller takes a capped number of a ring's SQEs per round, and a chain
    /// cut there runs as two ([`SHARED_POLLER_STUDY`] reproduces it).
    SharedPollerCap,
    /// The kernel broke the order in another mode.
    OrderBroken,
    /// Another failure, by its code (none in files written before codes).
    Code(Option<ReasonCode>),
}

/// The failed cells of one input and cause (and mode, for a broken order,
/// which is a behaviour of the mode).
#[derive(Clone, Debug)]
pub struct FailureGroup<'r> {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// Why.
    pub cause: Cause,
    /// The mode, for a broken order; none for other causes.
    pub mode: Option<String>,
    /// The cells, in report order.
    pub cells: Vec<&'r CellSummary>,
}

impl FailureGroup<'_> {
    /// The cell that stands for the group: the first that is not
    /// oversubscribed (whose threads did not take turns on a CPU), one
    /// group first, else the first.
    pub fn example(&self) -> &CellSummary {
        let fair = || self.cells.iter().filter(|c| c.oversubscribed.is_none());
        fair()
            .find(|c| c.key.groups == 1)
            .or_else(|| fair().next())
            .or_else(|| self.cells.first())
            .expect("a group has a cell")
    }
}

/// The cause of one failed cell.
fn cause_of(report: &Report, cell: &CellSummary) -> Cause {
    if cell.violation.is_none() {
        return Cause::Code(cell.reason_code);
    }
    let shared = report.sources[cell.source]
        .header
        .registry
        .as_ref()
        .is_some_and(|r| r.shared_poller.contains(&cell.key.mode));
    match shared {
        true => Cause::SharedPollerCap,
        false => Cause::OrderBroken,
    }
}

/// Every failed cell (controls aside) grouped by input and cause, groups
/// in the order their first cell appears.
pub fn failures(report: &Report) -> Vec<FailureGroup<'_>> {
    let mut groups: Vec<FailureGroup> = Vec::new();
    for cell in report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Failed)
    {
        let cause = cause_of(report, cell);
        let mode = cell.violation.as_ref().map(|_| cell.key.mode.clone());
        match groups
            .iter_mut()
            .find(|g| g.source == cell.source && g.cause == cause && g.mode == mode)
        {
            Some(g) => g.cells.push(cell),
            None => groups.push(FailureGroup {
                source: cell.source,
                cause,
                mode,
                cells: vec![cell],
            }),
        }
    }
    groups
}

/// The skipped cells of every input, one entry per reason code (and text,
/// for files written before codes): the code, one reason as written, and
/// how many cells.
pub fn skips(report: &Report) -> Vec<(Option<ReasonCode>, String, usize)> {
    let mut out: Vec<(Option<ReasonCode>, String, usize)> = Vec::new();
    for c in report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Skipped)
    {
        let reason = c.reason.clone().unwrap_or_default();
        let same = |(code, text, _): &&mut (Option<ReasonCode>, String, usize)| match c.reason_code
        {
            Some(_) => *code == c.reason_code,
            None => code.is_none() && *text == reason,
        };
        match out.iter_mut().find(same) {
            Some((_, _, n)) => *n += 1,
            None => out.push((c.reason_code, reason, 1)),
        }
    }
    out
}
