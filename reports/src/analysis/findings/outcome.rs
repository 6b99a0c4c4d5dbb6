//! One subject cell set against its reference on one metric: either a
//! measured change (compare's ratio, interval and test, and later its
//! verdict) or why it is not quoted. Failed, skipped, interrupted and
//! oversubscribed cells, on either side, are never a number here.

use super::question::Metric;
use crate::analysis::judgement::{Change, Verdict};
use crate::analysis::model::{CellSummary, Report};
use crate::analysis::stats::seed_for;
use crate::schema::CellKey;

/// Which side of a comparison a cell is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The cell the finding is about.
    Subject,
    /// The cell it is set against.
    Reference,
}

/// A change that was measured, with the verdict compare's rule gives it once
/// the study's q-values are known, and the two cells it sets side by side
/// (what a mail's table of the quoted cells shows).
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Ratio, interval, p and q (subject over reference).
    pub change: Change,
    /// The subject cell's name.
    pub subject: String,
    /// The reference cell's name.
    pub reference: String,
    /// Compare's verdict: `Regression` is higher than the reference,
    /// `Improvement` lower.
    pub verdict: Verdict,
}

/// What a comparison of two cells came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Both cells are ranked: the change is a number.
    Measured(Measured),
    /// One side has no number that may be quoted.
    NotQuoted {
        /// Which side.
        side: Side,
        /// Why, in one word: `failed`, `skipped`, `interrupted`,
        /// `oversubscribed`, or `absent` (not in the results).
        word: &'static str,
        /// The cell's own reason, when it has one.
        reason: Option<String>,
    },
}

impl Outcome {
    /// The measured change, when there is one.
    pub fn measured(&self) -> Option<&Measured> {
        match self {
            Outcome::Measured(m) => Some(m),
            Outcome::NotQuoted { .. } => None,
        }
    }
}

/// A ranked cell, or why it has no number to quote.
fn ranked(cell: Option<&CellSummary>, side: Side) -> Result<&CellSummary, Outcome> {
    let Some(cell) = cell else {
        return Err(Outcome::NotQuoted {
            side,
            word: "absent",
            reason: None,
        });
    };
    if let Some(word) = cell.unranked_word() {
        let reason = match cell.violation {
            Some(_) => Some(cell.order_verdict()),
            None => cell.reason.clone(),
        };
        return Err(Outcome::NotQuoted { side, word, reason });
    }
    Ok(cell)
}

/// The repetitions of `cell` that `metric` reads.
fn samples(cell: &CellSummary, metric: Metric) -> &[f64] {
    match metric {
        Metric::Wall => &cell.ns_samples,
        Metric::Cpu => &cell.cpu_ns_samples,
    }
}

/// The subject cell against the cell `reference` on the same input.
pub fn compare_cells(
    report: &Report,
    subject: &CellSummary,
    reference: &CellKey,
    metric: Metric,
) -> Outcome {
    let other = report.find(subject.source, &reference.name());
    let sides = ranked(Some(subject), Side::Subject)
        .and_then(|s| ranked(other, Side::Reference).map(|r| (s, r)));
    match sides {
        Ok((s, r)) => Outcome::Measured(Measured {
            change: Change::within_run(r, s, |c| samples(c, metric), seed_for(&subject.name)),
            subject: subject.name.clone(),
            reference: reference.name(),
            // Provisional until the study's q-values are adjusted.
            verdict: Verdict::NoChange,
        }),
        Err(not_quoted) => not_quoted,
    }
}
