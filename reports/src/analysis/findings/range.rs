//! Ranges: what a style costs over link across every op and shape of one
//! mode, told by its lowest and its highest ratio. A plain sweep asks no
//! question of its own; this is what it can still say of every style.

use super::outcome::{compare_cells, Measured, Outcome};
use super::question::Metric;
use crate::analysis::model::{Report, BASELINE_STYLE};

/// One op and shape of the mode: the style's cell there against link's.
#[derive(Clone, Debug, PartialEq)]
pub struct RangePoint {
    /// The op and shape, as a cell name writes them (`nop g4-s16-b4-t1`).
    pub place: String,
    /// What the comparison came to.
    pub outcome: Outcome,
}

/// One style over link in one mode, across every op and shape where both ran.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeFinding {
    /// The mode the cells share.
    pub mode: String,
    /// The style, with its variant (`sync-group:queue`).
    pub style: String,
    /// Every op and shape of the mode the style was planned at, in report order.
    pub points: Vec<RangePoint>,
}

impl RangeFinding {
    fn measured(&self) -> impl Iterator<Item = (&RangePoint, &Measured)> {
        self.points
            .iter()
            .filter_map(|p| p.outcome.measured().map(|m| (p, m)))
    }

    /// The point with the lowest measured ratio.
    pub fn lowest(&self) -> Option<(&RangePoint, &Measured)> {
        self.measured()
            .min_by(|a, b| a.1.change.ratio.total_cmp(&b.1.change.ratio))
    }

    /// The point with the highest measured ratio.
    pub fn highest(&self) -> Option<(&RangePoint, &Measured)> {
        self.measured()
            .max_by(|a, b| a.1.change.ratio.total_cmp(&b.1.change.ratio))
    }

    /// How many points have no number to quote.
    pub fn not_quoted(&self) -> usize {
        self.not_quoted_words().iter().map(|(_, n)| n).sum()
    }

    /// Why points have no number to quote: each word (`skipped`,
    /// `failed`, ...) with how many points it holds, in first-seen order.
    pub fn not_quoted_words(&self) -> Vec<(&'static str, usize)> {
        let mut words: Vec<(&'static str, usize)> = Vec::new();
        for p in &self.points {
            if let Outcome::NotQuoted { word, .. } = p.outcome {
                match words.iter_mut().find(|(w, _)| *w == word) {
                    Some((_, n)) => *n += 1,
                    None => words.push((word, 1)),
                }
            }
        }
        words
    }
}

/// Every style's range over link on one input, mode by mode (in the order
/// the report first shows each mode): one finding per style and mode whose
/// link cell at the same op and shape was planned.
pub fn ranges(report: &Report, source: usize) -> Vec<RangeFinding> {
    let mut out: Vec<RangeFinding> = Vec::new();
    for cell in report
        .cells
        .iter()
        .filter(|c| c.source == source && c.key.style != BASELINE_STYLE)
    {
        let mut reference = cell.key.clone();
        reference.style = BASELINE_STYLE.to_string();
        reference.variant.clear();
        if report.find(source, &reference.name()).is_none() {
            continue;
        }
        let parts = cell.parts();
        let point = RangePoint {
            place: format!("{} {}", parts.op, parts.shape),
            outcome: compare_cells(report, cell, &reference, Metric::Wall),
        };
        match out
            .iter_mut()
            .find(|f| f.mode == parts.mode && f.style == parts.style)
        {
            Some(f) => f.points.push(point),
            None => out.push(RangeFinding {
                mode: parts.mode,
                style: parts.style,
                points: vec![point],
            }),
        }
    }
    let mut modes: Vec<String> = Vec::new();
    for f in &out {
        if !modes.contains(&f.mode) {
            modes.push(f.mode.clone());
        }
    }
    out.sort_by_key(|f| modes.iter().position(|m| *m == f.mode));
    out
}
