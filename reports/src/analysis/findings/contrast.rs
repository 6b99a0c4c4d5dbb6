//! Contrasts: subject cells over their references along an axis, one
//! finding per metric and per point of the other axes. The finding keeps
//! every point; where its verdict holds and where it flips are read from
//! them, never stored beside them.

use super::outcome::{compare_cells, Outcome};
use super::question::{difference, place, Axis, Contrast, Metric};
use crate::analysis::judgement::Verdict;
use crate::analysis::model::{CellSummary, Report};
use crate::schema::CellKey;

/// One point of the axis: its value and what the comparison came to there.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The axis value, as a cell name writes it.
    pub value: String,
    /// What the comparison came to.
    pub outcome: Outcome,
}

/// Subject over reference on one metric, along one axis.
#[derive(Clone, Debug, PartialEq)]
pub struct ContrastFinding {
    /// The coordinates subject and reference share, but the axis.
    pub place: String,
    /// How the subject differs from its reference (`sync-group:queue`).
    pub subject: String,
    /// How the reference differs from the subject (`link`).
    pub reference: String,
    /// The metric compared.
    pub metric: Metric,
    /// The axis the points run along.
    pub axis: Axis,
    /// The points, in the axis's order.
    pub points: Vec<Point>,
}

/// A stretch of consecutive points with one verdict, or one point not quoted.
#[derive(Clone, Debug, PartialEq)]
pub enum Stretch<'a> {
    /// Measured points sharing a verdict.
    Verdict(Verdict, Vec<&'a Point>),
    /// A point with no number to quote.
    NotQuoted(&'a Point),
}

/// Where the ranking flips: the last point of one significant verdict and
/// the first of the opposite one after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Flip<'a> {
    /// The last point of the earlier verdict.
    pub from: &'a Point,
    /// The first point of the opposite verdict.
    pub to: &'a Point,
}

impl ContrastFinding {
    /// The points cut into stretches of one verdict, in axis order.
    pub fn stretches(&self) -> Vec<Stretch<'_>> {
        let mut out: Vec<Stretch<'_>> = Vec::new();
        for point in &self.points {
            match (point.outcome.measured(), out.last_mut()) {
                (None, _) => out.push(Stretch::NotQuoted(point)),
                (Some(m), Some(Stretch::Verdict(v, points))) if *v == m.verdict => {
                    points.push(point)
                }
                (Some(m), _) => out.push(Stretch::Verdict(m.verdict, vec![point])),
            }
        }
        out
    }

    /// Every place where a significant verdict gives way to the opposite
    /// one further along the axis (points in between may be neither).
    pub fn flips(&self) -> Vec<Flip<'_>> {
        let significant = |v: Verdict| matches!(v, Verdict::Regression | Verdict::Improvement);
        let mut last: Option<(Verdict, &Point)> = None;
        let mut out = Vec::new();
        for point in &self.points {
            let Some(m) = point.outcome.measured().filter(|m| significant(m.verdict)) else {
                continue;
            };
            if let Some((v, from)) = last {
                if v != m.verdict {
                    out.push(Flip { from, to: point });
                }
            }
            last = Some((m.verdict, point));
        }
        out
    }
}

/// `key` with its value on `axis` cleared: the cells of one finding share it.
/// A batch that holds the whole stream is one submission per pass whatever
/// its count (the plan writes it as the stream's length), so it is cleared
/// too: chains of 2 and of 16 steps, each one submission, are one finding.
pub fn without(axis: Axis, key: &CellKey) -> CellKey {
    let mut k = key.clone();
    match axis {
        Axis::Style => (k.style, k.variant) = (String::new(), String::new()),
        Axis::Mode => k.mode.clear(),
        Axis::Op => (k.op, k.forced_async) = (String::new(), false),
        Axis::Groups => k.groups = 0,
        Axis::Steps => k.steps = 0,
        Axis::Batch => k.batch = 0,
        Axis::Submitters => k.submitters = 0,
    }
    if key.batch == key.groups * key.steps {
        k.batch = 0;
    }
    k
}

/// The cells of one input that `select` takes, grouped by their coordinates
/// off `axis`, each group in axis order (counts ascending, names in report order).
pub fn along(
    report: &Report,
    source: usize,
    axis: Axis,
    select: impl Fn(&CellSummary) -> bool,
) -> Vec<Vec<&CellSummary>> {
    let mut groups: Vec<(CellKey, Vec<&CellSummary>)> = Vec::new();
    for cell in report
        .cells
        .iter()
        .filter(|c| c.source == source && select(c))
    {
        let key = without(axis, &cell.key);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, cells)) => cells.push(cell),
            None => groups.push((key, vec![cell])),
        }
    }
    for (_, cells) in &mut groups {
        cells.sort_by_key(|c| axis.count(&c.key));
    }
    groups.into_iter().map(|(_, cells)| cells).collect()
}

/// The findings of one contrast on one input.
pub fn contrast(report: &Report, source: usize, c: &Contrast) -> Vec<ContrastFinding> {
    let mut out = Vec::new();
    let groups = along(report, source, c.axis, |cell| {
        c.subject.matches(&cell.key) && c.reference.apply(&cell.key) != cell.key
    });
    for cells in groups {
        let first = &cells[0].key;
        let reference = c.reference.apply(first);
        let references: Vec<CellKey> = cells.iter().map(|c2| c.reference.apply(&c2.key)).collect();
        let keys: Vec<&CellKey> = cells.iter().map(|c| &c.key).chain(&references).collect();
        for &metric in &c.metrics {
            out.push(ContrastFinding {
                place: place(&keys, Some(c.axis)),
                subject: difference(first, &reference, Some(c.axis), true),
                reference: difference(&reference, first, Some(c.axis), false),
                metric,
                axis: c.axis,
                points: cells
                    .iter()
                    .map(|cell| Point {
                        value: c.axis.value(&cell.key),
                        outcome: compare_cells(report, cell, &c.reference.apply(&cell.key), metric),
                    })
                    .collect(),
            });
        }
    }
    out
}
