//! Reproductions: cells whose outcome, not their time, is the finding (a
//! kernel behaviour that breaks the order, or a wakeup that is lost), told
//! along an axis against what the study expects, on the kernel they ran on.

use super::contrast::along;
use super::question::{place, Axis, Expect, Reproduction};
use crate::analysis::model::{CellStatus, Report};
use crate::analysis::stats::Rate;
use crate::schema::{ReasonCode, ViolationRecord};

/// What became of one cell of a reproduction.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// It ran and kept the order.
    Held,
    /// It broke the order: the first violation.
    Broken(ViolationRecord),
    /// It failed otherwise: its reason code (absent in files written
    /// before codes) and its reason.
    Failed(Option<ReasonCode>, String),
    /// It did not run (skipped or interrupted): the word and the reason.
    NotRun(&'static str, Option<String>),
}

/// One point of a reproduction's axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// The axis value.
    pub value: String,
    /// What became of the cell.
    pub observed: Observed,
    /// The passes it checked and how many broke.
    pub rate: Rate,
}

/// The outcome of the cells of one reproduction that share their other
/// coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct ReproductionFinding {
    /// The coordinates the cells share.
    pub place: String,
    /// The kernel release they ran on.
    pub kernel: String,
    /// The axis the cases run along.
    pub axis: Axis,
    /// What the study expects.
    pub expect: Expect,
    /// Whether to read where the kernel cut a chain from the violations.
    pub cut: bool,
    /// The code the expected failure carries, when the study names one.
    pub code: Option<ReasonCode>,
    /// The least share of passes that must break, when the study sets one.
    pub min_rate: Option<f64>,
    /// The cases, in axis order.
    pub cases: Vec<Case>,
}

impl ReproductionFinding {
    /// Whether what ran came out as expected; `None` when nothing ran.
    pub fn as_expected(&self) -> Option<bool> {
        let ran: Vec<&Case> = self
            .cases
            .iter()
            .filter(|c| !matches!(c.observed, Observed::NotRun(..)))
            .collect();
        if ran.is_empty() {
            return None;
        }
        let often = |c: &Case| self.min_rate.is_none_or(|min| c.rate.share() >= min);
        Some(match self.expect {
            Expect::Held => ran.iter().all(|c| matches!(c.observed, Observed::Held)),
            Expect::Violation => ran
                .iter()
                .any(|c| matches!(c.observed, Observed::Broken(_)) && often(c)),
            Expect::Failed => ran.iter().any(|c| {
                let failed = match (&c.observed, self.code) {
                    (Observed::Held | Observed::NotRun(..), _) => false,
                    (Observed::Failed(got, _), Some(code)) => *got == Some(code),
                    (Observed::Broken(_), Some(code)) => code == ReasonCode::OrderViolation,
                    (_, None) => true,
                };
                failed && often(c)
            }),
        })
    }

    /// Where the kernel cut a chain, read from the violations in which a
    /// later step overtook an earlier one: the part that overtook starts at
    /// the first step the kernel left for a later round, so its seq counts
    /// the SQEs taken before the cut. The smallest over the cases.
    pub fn cut_after(&self) -> Option<u32> {
        self.cases
            .iter()
            .filter_map(|c| match &c.observed {
                Observed::Broken(v) if v.got > v.expected => Some(v.got),
                _ => None,
            })
            .min()
    }
}

/// The findings of one reproduction on one input.
pub fn reproduction(report: &Report, source: usize, r: &Reproduction) -> Vec<ReproductionFinding> {
    let kernel = report.sources[source].header.machine.kernel.clone();
    along(report, source, r.axis, |c| r.cells.matches(&c.key))
        .into_iter()
        .map(|cells| ReproductionFinding {
            place: place(
                &cells.iter().map(|c| &c.key).collect::<Vec<_>>(),
                Some(r.axis),
            ),
            kernel: kernel.clone(),
            axis: r.axis,
            expect: r.expect,
            cut: r.cut,
            code: r.code,
            min_rate: r.min_rate,
            cases: cells
                .iter()
                .map(|c| Case {
                    value: r.axis.value(&c.key),
                    observed: match (c.status, &c.violation) {
                        (_, Some(v)) => Observed::Broken(v.clone()),
                        (CellStatus::Ok, None) => Observed::Held,
                        (CellStatus::Failed, None) => Observed::Failed(
                            c.reason_code,
                            c.reason.clone().unwrap_or_else(|| "no reason given".into()),
                        ),
                        (status, None) => Observed::NotRun(status.word(), c.reason.clone()),
                    },
                    rate: c.rate,
                })
                .collect(),
        })
        .collect()
}
