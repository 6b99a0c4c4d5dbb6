//! Costs: what a subject cell pays over its reference per step, in ns and in
//! multiples of a physical anchor calibrated on the same machine, with the
//! probes that show where it went, per step for both cells.

use super::outcome::{compare_cells, Outcome};
use super::question::{difference, place, Cost, Metric};
use crate::analysis::model::{CellSummary, Report};
use crate::analysis::stats::{
    bootstrap_difference_ci, median, seed_for, Interval, CONFIDENCE, RESAMPLES,
};

/// The anchor a cost is counted in, as the results header has it.
#[derive(Clone, Debug, PartialEq)]
pub struct AnchorQuote {
    /// Its name.
    pub name: String,
    /// Its median in ns, or why there is none.
    pub ns: Result<f64, String>,
}

/// One probe per step on both sides (`None` where the profile pass has none).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeQuote {
    /// The probe's name.
    pub name: String,
    /// Per step in the subject cell.
    pub subject: Option<f64>,
    /// Per step in the reference cell.
    pub reference: Option<f64>,
}

/// What one subject cell costs over its reference.
#[derive(Clone, Debug, PartialEq)]
pub struct CostFinding {
    /// The coordinates both share.
    pub place: String,
    /// How the subject differs from its reference.
    pub subject: String,
    /// How the reference differs from the subject.
    pub reference: String,
    /// The wall ns/step comparison.
    pub outcome: Outcome,
    /// Median subject ns/step minus median reference ns/step, with its
    /// bootstrap interval, when measured.
    pub difference: Option<(f64, Interval)>,
    /// The anchor.
    pub anchor: AnchorQuote,
    /// The probes, when measured (an unquoted cell's counts are not shown).
    pub probes: Vec<ProbeQuote>,
    /// Why a side has no probe counts, when it has none.
    pub probes_missing: Option<String>,
}

fn probe(cell: Option<&CellSummary>, name: &str) -> Option<f64> {
    cell?.profile.as_ref()?.probes_per_step.get(name).copied()
}

fn probes_missing(cell: Option<&CellSummary>) -> Option<String> {
    let cell = cell?;
    match &cell.profile {
        None => cell.profile_note.clone(),
        Some(p) => p.probes_skipped.clone(),
    }
}

/// The findings of one cost on one input.
pub fn cost(report: &Report, source: usize, c: &Cost) -> Vec<CostFinding> {
    let anchor = AnchorQuote {
        name: c.anchor.clone(),
        ns: match report.sources[source]
            .header
            .anchors
            .iter()
            .find(|a| a.name == c.anchor)
        {
            None => Err("not in the results header".into()),
            Some(a) => match (a.ns, &a.unsupported) {
                (Some(ns), _) if ns > 0.0 => Ok(ns),
                (_, Some(why)) => Err(why.clone()),
                _ => Err("not measured".into()),
            },
        },
    };
    report
        .cells
        .iter()
        .filter(|cell| cell.source == source && c.subject.matches(&cell.key))
        .filter(|cell| c.reference.apply(&cell.key) != cell.key)
        .map(|cell| {
            let key = c.reference.apply(&cell.key);
            let reference = report.find(source, &key.name());
            let outcome = compare_cells(report, cell, &key, Metric::Wall);
            let measured = outcome.measured().is_some();
            let spent = reference.filter(|_| measured).map(|r| {
                let (b, s) = (&r.ns_samples, &cell.ns_samples);
                let seed = seed_for(&cell.name) ^ 2;
                let d = median(s) - median(b);
                (
                    d,
                    bootstrap_difference_ci(b, s, CONFIDENCE, RESAMPLES, seed),
                )
            });
            CostFinding {
                // A cost is one pair of cells: no axis runs through it.
                place: place(&[&cell.key, &key], None),
                subject: difference(&cell.key, &key, None, false),
                reference: difference(&key, &cell.key, None, false),
                outcome,
                difference: spent,
                anchor: anchor.clone(),
                probes: if measured {
                    c.probes
                        .iter()
                        .map(|name| ProbeQuote {
                            name: name.clone(),
                            subject: probe(Some(cell), name),
                            reference: probe(reference, name),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                probes_missing: probes_missing(Some(cell)).or_else(|| probes_missing(reference)),
            }
        })
        .collect()
}
