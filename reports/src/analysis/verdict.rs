//! The one rule behind every "which style is cheapest here, and what does
//! each cost" answer: report.md and report.html (the verdict paragraph, the
//! cheapest table), email.txt and email-full.txt, and `advise`.
//!
//! A *place* is one input's op, shape and mode: the cells a reader would
//! choose between. At a place every ordering style that was ranked (timed,
//! not oversubscribed) is set against `link` (its `×link`) and against the
//! cheapest style (who else could be used instead), each pair as a paired
//! ratio block by block where the file has blocks
//! ([`Change::within_run`]); where the blocks are too few for the
//! signed-rank test ever to be significant (under six), the repetitions
//! are tested as two runs' are ([`Change::measure`]'s Mann–Whitney). The p-values of one family (the place's
//! comparisons with link; its comparisons with the cheapest) are adjusted
//! together (Benjamini–Hochberg) and judged by compare's rule
//! ([`Change::verdict`]: significance and a minimum effect).
//!
//! One more condition before a difference counts: the harness's own cost.
//! Where both cells have a raw reference loop, each cell's ns/step is its
//! raw loop's times its harness overhead; a lead that does not survive
//! dividing out the ratio of the two overheads by at least the minimum
//! effect is the harness's, not the style's, and is never crowned
//! ([`Standing::WithinOverhead`]). (At nop g4-s16-b4 a lead of 1.115x
//! against an overhead ratio of 1.65/1.52 = 1.086x leaves 1.027x: not a win.)
//!
//! Across the places of one mode a style's standings against link make its
//! [`ModeVerdict`] line: it ties with link, costs a range that never
//! crosses 1x, or is mixed (cheaper at some places, dearer at others).

use crate::analysis::judgement::{Change, CompareOptions, Verdict};
use crate::analysis::model::{group_consecutive, CellSummary, Report, BASELINE_STYLE};
use crate::analysis::stats::{benjamini_hochberg, median, seed_for};

/// How a subject cell stands against its reference cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Standing {
    /// Significantly cheaper, by at least the minimum effect, beyond the
    /// difference of their harness overheads.
    Cheaper,
    /// Significantly dearer, likewise.
    Dearer,
    /// No significant difference, or one smaller than the minimum effect.
    Tie,
    /// Significant and large enough, but within the difference of the two
    /// cells' harness overheads: the harness's cost, not the style's.
    WithinOverhead {
        /// Subject over reference in ns/step.
        ratio: f64,
        /// Subject's harness overhead over the reference's.
        overhead_ratio: f64,
    },
    /// Too few blocks or repetitions for the test ever to be significant.
    TooFew,
}

impl Standing {
    /// Whether the two cells differ by the rule (cheaper or dearer).
    pub fn differs(self) -> bool {
        matches!(self, Standing::Cheaper | Standing::Dearer)
    }
}

/// One comparison judged: the change (subject over reference, with its
/// interval and q) and where that leaves the subject.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    /// Subject over reference.
    pub change: Change,
    /// The rule's conclusion.
    pub standing: Standing,
}

/// A cell's harness overhead over its raw reference loop: paired by block
/// where it can be, else the profile line's figure; none without a loop.
pub fn overhead(cell: &CellSummary) -> Option<f64> {
    cell.paired_overhead()
        .map(|p| p.ratio)
        .or_else(|| cell.ranked_reference().map(|r| r.harness_overhead))
}

/// Judges one family of comparisons, each `(reference, subject)`: the
/// paired changes, their p-values adjusted together, compare's verdict,
/// then the harness-overhead condition.
pub fn judge(pairs: &[(&CellSummary, &CellSummary)], opts: &CompareOptions) -> Vec<Judged> {
    let mut changes: Vec<Change> = pairs
        .iter()
        .map(|(reference, subject)| {
            let seed = seed_for(&subject.name);
            let paired = Change::within_run(reference, subject, |c| &c.ns_samples, seed);
            if paired.min_p < opts.alpha {
                return paired;
            }
            // Blocks too few for the signed-rank test ever to reach alpha
            // (five give 1/16): the repetitions tested as two runs' are,
            // which can; the ratio and its interval stay the paired ones
            // every table quotes.
            let unpaired = Change::measure(&reference.ns_samples, &subject.ns_samples, seed);
            Change {
                p: unpaired.p,
                q: unpaired.p,
                min_p: unpaired.min_p,
                ..paired
            }
        })
        .collect();
    let p: Vec<f64> = changes.iter().map(|c| c.p).collect();
    for (change, q) in changes.iter_mut().zip(benjamini_hochberg(&p)) {
        change.q = q;
    }
    pairs
        .iter()
        .zip(changes)
        .map(|((reference, subject), change)| Judged {
            standing: standing(&change, overhead(subject), overhead(reference), opts),
            change,
        })
        .collect()
}

/// Where a change leaves its subject, given both cells' harness overheads.
fn standing(
    change: &Change,
    subject_overhead: Option<f64>,
    reference_overhead: Option<f64>,
    opts: &CompareOptions,
) -> Standing {
    match change.verdict(opts) {
        Verdict::Inconclusive => Standing::TooFew,
        Verdict::Regression | Verdict::Improvement => {
            let dearer = change.ratio > 1.0;
            if let (Some(s), Some(r)) = (subject_overhead, reference_overhead) {
                let overhead_ratio = s / r;
                let net = change.ratio / overhead_ratio;
                let survives = match dearer {
                    true => net >= 1.0 + opts.threshold,
                    false => net <= 1.0 - opts.threshold,
                };
                if !survives {
                    return Standing::WithinOverhead {
                        ratio: change.ratio,
                        overhead_ratio,
                    };
                }
            }
            match dearer {
                true => Standing::Dearer,
                false => Standing::Cheaper,
            }
        }
        _ => Standing::Tie,
    }
}

/// Where `mode` stands in the registry of `source`'s header (files
/// without one: all alike, so report order holds).
fn mode_rank(report: &Report, source: usize, mode: &str) -> usize {
    report.sources[source]
        .header
        .registry
        .as_ref()
        .and_then(|r| r.modes.iter().position(|m| m == mode))
        .unwrap_or(usize::MAX)
}

/// One ranked style at a place.
#[derive(Clone, Debug)]
pub struct Entry<'r> {
    /// Its cell.
    pub cell: &'r CellSummary,
    /// The style, with its variant.
    pub style: String,
    /// Its median ns/step.
    pub median: f64,
    /// Against link at the place (none for link, or when link has no number).
    pub x_link: Option<Judged>,
    /// Against the cheapest style of the place (none for the cheapest).
    pub against_best: Option<Judged>,
}

/// The answer to "which is cheapest" at a place.
#[derive(Clone, Debug, PartialEq)]
pub enum Cheapest {
    /// One style, ahead of every other by the rule.
    One(String),
    /// Several styles no other is ahead of by the rule, cheapest first.
    Tie(Vec<String>),
}

/// One input's op, shape and mode, every ordering style judged.
#[derive(Clone, Debug)]
pub struct Place<'r> {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// The mode.
    pub mode: String,
    /// The op, with `+async` when forced.
    pub op: String,
    /// The shape (`g4-s16-b64-t1`).
    pub shape: String,
    /// The ranked ordering styles, cheapest first.
    pub ranked: Vec<Entry<'r>>,
    /// The ordering styles without a number, each with why in one word.
    pub not_ranked: Vec<(&'r CellSummary, &'static str)>,
}

impl<'r> Place<'r> {
    /// Judges the cells of one place (cells of styles that promise no
    /// order are left out).
    pub fn of(report: &Report, cells: &[&'r CellSummary], opts: &CompareOptions) -> Place<'r> {
        let ordering: Vec<&CellSummary> = cells
            .iter()
            .copied()
            .filter(|c| report.promises_order(c))
            .collect();
        let mut timed: Vec<(&CellSummary, f64)> = ordering
            .iter()
            .filter_map(|c| Some((*c, c.ranked_median()?)))
            .collect();
        timed.sort_by(|a, b| a.1.total_cmp(&b.1));
        let link = timed
            .iter()
            .find(|(c, _)| c.key.style == BASELINE_STYLE && c.key.variant.is_empty())
            .map(|(c, _)| *c);
        let others: Vec<&CellSummary> = timed
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| Some(*c as *const _) != link.map(|l| l as *const _))
            .collect();
        let x_link = match link {
            Some(l) => judge(&others.iter().map(|c| (l, *c)).collect::<Vec<_>>(), opts),
            None => Vec::new(),
        };
        let best = timed.first().map(|(c, _)| *c);
        let against = match best {
            Some(b) => judge(
                &timed
                    .iter()
                    .skip(1)
                    .map(|(c, _)| (b, *c))
                    .collect::<Vec<_>>(),
                opts,
            ),
            None => Vec::new(),
        };
        let ranked = timed
            .iter()
            .enumerate()
            .map(|(i, (cell, median))| Entry {
                cell,
                style: cell.parts().style,
                median: *median,
                x_link: others
                    .iter()
                    .position(|o| std::ptr::eq(*o, *cell))
                    .and_then(|j| x_link.get(j).copied()),
                against_best: i.checked_sub(1).and_then(|j| against.get(j).copied()),
            })
            .collect();
        let first = cells.first().map(|c| c.parts());
        Place {
            source: cells.first().map_or(0, |c| c.source),
            mode: first.as_ref().map_or(String::new(), |p| p.mode.clone()),
            op: first.as_ref().map_or(String::new(), |p| p.op.clone()),
            shape: first.map_or(String::new(), |p| p.shape),
            ranked,
            not_ranked: ordering
                .iter()
                .filter_map(|c| Some((*c, c.unranked_word()?)))
                .collect(),
        }
    }

    /// Every place of the report, input by input and mode by mode (in the
    /// registry's order of modes, `default` first), each mode's places in
    /// report order.
    pub fn all(report: &'r Report, opts: &CompareOptions) -> Vec<Place<'r>> {
        let mut places: Vec<Place> = group_consecutive(&report.cells, |c| {
            let p = c.parts();
            format!("{} {} {} {}", c.source, p.op, p.shape, p.mode)
        })
        .into_iter()
        .map(|(_, cells)| Place::of(report, &cells, opts))
        .collect();
        places.sort_by_key(|p| (p.source, mode_rank(report, p.source, &p.mode)));
        places
    }

    /// The cheapest style, or the styles tied for it: the cheapest by
    /// median and every style that does not differ from it by the rule.
    pub fn cheapest(&self) -> Option<Cheapest> {
        let best = self.ranked.first()?;
        let tied: Vec<String> = self
            .ranked
            .iter()
            .filter(|e| e.against_best.is_none_or(|j| !j.standing.differs()))
            .map(|e| e.style.clone())
            .collect();
        Some(match tied.len() {
            1 => Cheapest::One(best.style.clone()),
            _ => Cheapest::Tie(tied),
        })
    }

    /// The styles tied with the cheapest whose lead the harness's overhead
    /// explains, with the judgement that says so.
    pub fn within_overhead(&self) -> Vec<&Entry<'r>> {
        self.ranked
            .iter()
            .filter(|e| {
                e.against_best
                    .is_some_and(|j| matches!(j.standing, Standing::WithinOverhead { .. }))
            })
            .collect()
    }

    /// The entry of link, when it was ranked here.
    pub fn link(&self) -> Option<&Entry<'r>> {
        self.ranked.iter().find(|e| e.style == BASELINE_STYLE)
    }
}

/// What one style costs against link across the places of one mode.
#[derive(Clone, Debug, PartialEq)]
pub struct StyleCost {
    /// The style, with its variant.
    pub style: String,
    /// How it stands.
    pub kind: CostKind,
    /// The change with the lowest ratio among the places where it
    /// differs, with the place (`nop g4-s16-b4-t1`).
    pub low: (Change, String),
    /// The highest, likewise.
    pub high: (Change, String),
    /// Places where it differs from link.
    pub differs: usize,
    /// Places where it ties with link (within the overhead difference included).
    pub ties: usize,
    /// Places with too few blocks to tell.
    pub too_few: usize,
}

/// How a style's standings against link add up over a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostKind {
    /// Dearer wherever it differs.
    Dearer,
    /// Cheaper wherever it differs.
    Cheaper,
    /// Cheaper at some places and dearer at others.
    Mixed,
}

/// One input's mode: who ties with link, and what the others cost.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeVerdict {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// The mode.
    pub mode: String,
    /// Link, then every style that ties with it wherever both were ranked.
    pub ties: Vec<String>,
    /// The styles that differ from link somewhere, in report order.
    pub costs: Vec<StyleCost>,
    /// Styles never told apart from link for too few blocks.
    pub too_few: Vec<String>,
    /// Places of the mode where a lead was the harness's (not crowned).
    pub within_overhead: usize,
}

impl ModeVerdict {
    /// The verdict of every mode, per input, in the order of `places`.
    pub fn of_places(places: &[Place]) -> Vec<ModeVerdict> {
        let mut out: Vec<ModeVerdict> = Vec::new();
        for place in places {
            let Some(_) = place.link() else { continue };
            let at = out
                .iter()
                .position(|m| m.source == place.source && m.mode == place.mode);
            let verdict = match at {
                Some(i) => &mut out[i],
                None => {
                    out.push(ModeVerdict {
                        source: place.source,
                        mode: place.mode.clone(),
                        ties: vec![BASELINE_STYLE.to_string()],
                        costs: Vec::new(),
                        too_few: Vec::new(),
                        within_overhead: 0,
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            verdict.within_overhead += usize::from(!place.within_overhead().is_empty());
            for entry in &place.ranked {
                let Some(judged) = entry.x_link else { continue };
                verdict.add(
                    &entry.style,
                    &format!("{} {}", place.op, place.shape),
                    judged,
                );
            }
        }
        for v in &mut out {
            v.settle();
        }
        out
    }

    /// Counts one place's standing of `style` against link.
    fn add(&mut self, style: &str, place: &str, judged: Judged) {
        let at = self.costs.iter().position(|c| c.style == style);
        let cost = match at {
            Some(i) => &mut self.costs[i],
            None => {
                self.costs.push(StyleCost {
                    style: style.to_string(),
                    kind: CostKind::Dearer,
                    low: (judged.change, place.to_string()),
                    high: (judged.change, place.to_string()),
                    differs: 0,
                    ties: 0,
                    too_few: 0,
                });
                self.costs.last_mut().expect("just pushed")
            }
        };
        let r = judged.change.ratio;
        match judged.standing {
            Standing::Cheaper | Standing::Dearer => {
                cost.differs += 1;
                if cost.differs == 1 || r < cost.low.0.ratio {
                    cost.low = (judged.change, place.to_string());
                }
                if cost.differs == 1 || r > cost.high.0.ratio {
                    cost.high = (judged.change, place.to_string());
                }
            }
            Standing::Tie | Standing::WithinOverhead { .. } => cost.ties += 1,
            Standing::TooFew => cost.too_few += 1,
        }
    }

    /// Moves the styles that never differ to the ties (or the undecided),
    /// and names each remaining range's kind.
    fn settle(&mut self) {
        let costs = std::mem::take(&mut self.costs);
        for mut cost in costs {
            if cost.differs == 0 {
                match cost.ties {
                    0 => self.too_few.push(cost.style),
                    _ => self.ties.push(cost.style),
                }
                continue;
            }
            cost.kind = match (cost.low.0.ratio < 1.0, cost.high.0.ratio > 1.0) {
                (true, true) => CostKind::Mixed,
                (true, false) => CostKind::Cheaper,
                _ => CostKind::Dearer,
            };
            self.costs.push(cost);
        }
    }
}

/// How far one input's figures can be trusted, in two numbers: the
/// harness's median overhead over its raw loops, and the share of `×link`
/// intervals within ±[`TRUST_WIDTH`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trust {
    /// Median harness overhead over the ranked cells with a raw loop.
    pub overhead: Option<f64>,
    /// `×link` intervals within ±[`TRUST_WIDTH`], and how many there are.
    pub precise: (usize, usize),
}

/// The half-width, as a fraction of the ratio, the trust figure counts.
pub const TRUST_WIDTH: f64 = 0.02;

impl Trust {
    /// The trust figures of one input.
    pub fn of(report: &Report, source: usize) -> Trust {
        let cells = || {
            report
                .cells
                .iter()
                .filter(move |c| c.source == source && c.ranked().is_some())
        };
        let overheads: Vec<f64> = cells().filter_map(overhead).collect();
        let widths: Vec<f64> = cells()
            .filter(|c| c.key.style != BASELINE_STYLE)
            .filter_map(|c| report.paired_link(c))
            .map(|p| p.precision())
            .collect();
        Trust {
            overhead: (!overheads.is_empty()).then(|| median(&overheads)),
            precise: (
                widths.iter().filter(|w| **w <= TRUST_WIDTH).count(),
                widths.len(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::Interval;

    fn change(ratio: f64, q: f64) -> Change {
        Change {
            ratio,
            ci: Interval {
                lo: ratio * 0.98,
                hi: ratio * 1.02,
            },
            p: q,
            q,
            min_p: 0.001,
        }
    }

    const OPTS: CompareOptions = CompareOptions {
        threshold: 0.05,
        alpha: 0.05,
        include_oversubscribed: false,
        allow_missing: false,
    };

    #[test]
    fn a_lead_without_significance_or_size_is_a_tie() {
        assert_eq!(
            standing(&change(1.01, 0.001), None, None, &OPTS),
            Standing::Tie
        );
        assert_eq!(
            standing(&change(1.30, 0.20), None, None, &OPTS),
            Standing::Tie
        );
        assert_eq!(
            standing(&change(1.30, 0.01), None, None, &OPTS),
            Standing::Dearer
        );
        assert_eq!(
            standing(&change(0.70, 0.01), None, None, &OPTS),
            Standing::Cheaper
        );
        let few = Change {
            min_p: 0.0625,
            ..change(3.0, 0.0625)
        };
        assert_eq!(standing(&few, None, None, &OPTS), Standing::TooFew);
    }

    #[test]
    fn a_lead_inside_the_overhead_difference_is_not_crowned() {
        // nop g4-s16-b4 default: link 126 ns (overhead 1.65x), userspace 113
        // (1.52x): link over userspace is 1.115x, the overheads' ratio
        // 1.086x, which leaves 1.027x, under the 5% minimum effect.
        let lead = change(126.0 / 113.0, 0.001);
        assert!(matches!(
            standing(&lead, Some(1.65), Some(1.52), &OPTS),
            Standing::WithinOverhead { .. }
        ));
        // The same lead seen from the other side.
        let back = change(113.0 / 126.0, 0.001);
        assert!(matches!(
            standing(&back, Some(1.52), Some(1.65), &OPTS),
            Standing::WithinOverhead { .. }
        ));
        // Equal overheads: the lead is the style's.
        assert_eq!(
            standing(&lead, Some(1.5), Some(1.5), &OPTS),
            Standing::Dearer
        );
        // A lead the overhead works against stands.
        assert_eq!(
            standing(&lead, Some(1.4), Some(1.6), &OPTS),
            Standing::Dearer
        );
    }
}
