//! The harness's fidelity: whether its own cost stays out of its figures.
//! Every cell with a raw reference loop states its overhead over that loop,
//! measured in the same blocks; a run passes when the median overhead is
//! within its limit and no cell is over its own: a cell is over when its
//! overhead's whole interval lies above the limit (its point estimate,
//! where it has no interval), so one repetition disturbed by a busy machine
//! does not fail a run. It is a ratio against a loop measured side by side,
//! so it holds on a busy machine, and CI can gate on it (`bench-runner
//! fidelity`).

use crate::analysis::model::{CellStatus, Report};
use crate::analysis::stats::Interval;
use crate::format::ratio;

/// The limits a run's overheads are held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The most the median overhead may be.
    pub median: f64,
    /// The most any one cell's overhead may be.
    pub cell: f64,
}

impl Limits {
    /// The limits CI holds every change to: 1.10x median, 1.20x per cell.
    pub const CI: Limits = Limits {
        median: 1.10,
        cell: 1.20,
    };
}

/// One cell's overhead.
#[derive(Clone, Debug, PartialEq)]
pub struct Overhead {
    /// The cell's name.
    pub name: String,
    /// Its ns/step over its raw loop's (per-block median where paired).
    pub ratio: f64,
    /// The 95% interval of `ratio` over blocks, where it was paired.
    pub ci: Option<Interval>,
}

impl Overhead {
    /// Whether it is over `limit`: its whole interval above it, or, with
    /// no interval, its point estimate.
    fn over(&self, limit: f64) -> bool {
        self.ci.map_or(self.ratio, |ci| ci.lo) > limit
    }
}

/// What the overheads of a report came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Fidelity {
    /// No ranked cell has a raw reference loop: nothing to judge.
    Unmeasured,
    /// The overheads, judged.
    Judged {
        /// The limits applied.
        limits: Limits,
        /// The median overhead.
        median: f64,
        /// Every ranked cell with a loop, in report order.
        cells: Vec<Overhead>,
    },
}

impl Fidelity {
    /// The overheads of every ranked (timed, not oversubscribed) cell with a
    /// raw reference loop, of every input of `report`, against `limits`.
    pub fn judge(report: &Report, limits: Limits) -> Fidelity {
        let cells: Vec<Overhead> = report
            .cells
            .iter()
            .filter(|c| c.status == CellStatus::Ok)
            .filter_map(|c| {
                Some(Overhead {
                    name: c.name.clone(),
                    ratio: c.ranked_reference()?.harness_overhead,
                    ci: c.paired_overhead().map(|p| p.ci),
                })
            })
            .collect();
        if cells.is_empty() {
            return Fidelity::Unmeasured;
        }
        let ratios: Vec<f64> = cells.iter().map(|c| c.ratio).collect();
        Fidelity::Judged {
            limits,
            median: crate::analysis::stats::median(&ratios),
            cells,
        }
    }

    /// The cells over the per-cell limit.
    pub fn over(&self) -> Vec<&Overhead> {
        match self {
            Fidelity::Unmeasured => Vec::new(),
            Fidelity::Judged { limits, cells, .. } => {
                cells.iter().filter(|c| c.over(limits.cell)).collect()
            }
        }
    }

    /// Whether the run passes: measured, its median and every cell within limits.
    pub fn passed(&self) -> bool {
        match self {
            Fidelity::Unmeasured => false,
            Fidelity::Judged { limits, median, .. } => {
                *median <= limits.median && self.over().is_empty()
            }
        }
    }

    /// The verdict, one line, then a line per cell over its limit.
    pub fn lines(&self) -> Vec<String> {
        let Fidelity::Judged {
            limits,
            median,
            cells,
        } = self
        else {
            return vec!["fidelity: no cell with a raw reference loop was timed".into()];
        };
        let over = self.over();
        let verdict = if self.passed() { "ok" } else { "FAILED" };
        let mut lines = vec![format!(
            "fidelity {verdict}: harness overhead {} median (limit {}) over {} cells, {} over the per-cell limit {}",
            ratio(*median),
            ratio(limits.median),
            cells.len(),
            over.len(),
            ratio(limits.cell),
        )];
        lines.extend(over.iter().map(|c| {
            let ci = c.ci.map_or(String::new(), |ci| {
                format!(" [{}, {}]", ratio(ci.lo), ratio(ci.hi))
            });
            format!("  {}: {}{ci}", c.name, ratio(c.ratio))
        }));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(ratios: &[f64]) -> Fidelity {
        let cells: Vec<Overhead> = ratios
            .iter()
            .enumerate()
            .map(|(i, &ratio)| Overhead {
                name: format!("c{i}"),
                ratio,
                ci: None,
            })
            .collect();
        let values: Vec<f64> = ratios.to_vec();
        Fidelity::Judged {
            limits: Limits::CI,
            median: crate::analysis::stats::median(&values),
            cells,
        }
    }

    #[test]
    fn a_run_passes_only_within_both_limits_and_names_the_cells_over() {
        assert!(judged(&[1.01, 1.03, 1.08]).passed());
        let high = judged(&[1.12, 1.15, 1.18]);
        assert!(
            !high.passed() && high.over().is_empty(),
            "the median alone fails it"
        );
        let one = judged(&[1.0, 1.02, 1.25]);
        assert!(!one.passed());
        assert_eq!(one.over().len(), 1);
        let lines = one.lines();
        assert!(
            lines[0].starts_with("fidelity FAILED: harness overhead 1.02x median"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "  c2: 1.25x");
        assert!(
            !Fidelity::Unmeasured.passed(),
            "nothing measured is no pass"
        );
        let disturbed = Overhead {
            name: "c".into(),
            ratio: 1.27,
            ci: Some(Interval { lo: 1.05, hi: 1.40 }),
        };
        assert!(
            !disturbed.over(1.20),
            "an interval reaching below the limit"
        );
        let slow = Overhead {
            ci: Some(Interval { lo: 1.22, hi: 1.30 }),
            ..disturbed
        };
        assert!(slow.over(1.20));
    }
}
