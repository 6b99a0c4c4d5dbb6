//! The judgement of a change, one rule for every comparison the tool
//! makes: baseline against candidate (`compare`), one kernel against
//! another, and a study's findings. Cells are matched by name, each with the
//! change of its median, the bootstrap confidence interval of that change,
//! a Mann–Whitney U test on the repetitions, and a verdict that needs both
//! significance and a minimum effect size ([`Change::verdict`]). Each cell
//! also states the smallest change its repetitions could have shown
//! ([`detectable`]; a cell that could not see the threshold is
//! *underpowered*) and, where both runs have raw reference loops, the change
//! of its ns/step over its own run's loop ([`CellComparison::normalised`]),
//! which a machine that got faster or slower between the runs moves on both
//! sides alike. Cells present on one side only are listed (a baseline cell
//! the candidate lacks fails the comparison unless allowed), and header
//! differences (kernel, machine, tool, config) come first, since they
//! explain most changes.
//!
//! It renders nothing: [`crate::render::compare`] and
//! [`crate::render::mail::compare_email`] write a [`Comparison`] out.

use crate::analysis::model::{CellStatus, CellSummary, Report, Source, EXPECTED_BREAK};
use crate::analysis::paired::{block_ratios, PairedRatio, MIN_BLOCKS};
use crate::analysis::stats::{
    benjamini_hochberg, bootstrap_median_ci, bootstrap_ratio_ci, mann_whitney, median, seed_for,
    Interval, CONFIDENCE, RESAMPLES,
};
use crate::format::{anchor_label, time};
use crate::results::Results;
use crate::schema::{AnchorValue, Header};

/// How strict `compare` is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareOptions {
    /// Smallest relative change of the median that counts (0.05 = 5%).
    pub threshold: f64,
    /// Significance level of the Mann–Whitney U test.
    pub alpha: f64,
    /// Give oversubscribed cells a verdict too (by default they are not
    /// comparable: their threads took turns on a CPU).
    pub include_oversubscribed: bool,
    /// Accept baseline cells the candidate lacks (by default each fails the
    /// comparison: a filtered or broken candidate must not pass on less).
    pub allow_missing: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            alpha: 0.05,
            include_oversubscribed: false,
            allow_missing: false,
        }
    }
}

/// Every verdict, in the order a count of them states them.
pub const VERDICTS: [Verdict; 6] = [
    Verdict::Regression,
    Verdict::Broken,
    Verdict::Improvement,
    Verdict::NoChange,
    Verdict::Inconclusive,
    Verdict::NotComparable,
];

/// What the comparison concludes for one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Significantly slower by at least the threshold.
    Regression,
    /// Significantly faster by at least the threshold.
    Improvement,
    /// Not significant, or smaller than the threshold.
    NoChange,
    /// Too few repetitions for the test to ever reach significance.
    Inconclusive,
    /// The candidate broke the order or failed where the baseline did not.
    Broken,
    /// One side has no timing (skipped, interrupted, or failed on the baseline),
    /// or one is oversubscribed and the comparison leaves those out.
    NotComparable,
}

impl Verdict {
    /// Word shown in tables (upper case where action is needed).
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Regression => "REGRESSION",
            Verdict::Improvement => "improvement",
            Verdict::NoChange => "no change",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Broken => "BROKEN",
            Verdict::NotComparable => "not comparable",
        }
    }

    /// Whether this verdict fails a CI run.
    pub fn fails(self) -> bool {
        matches!(self, Verdict::Regression | Verdict::Broken)
    }
}

/// The measured change of one cell's median.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    /// Candidate median over baseline median.
    pub ratio: f64,
    /// Bootstrap confidence interval of `ratio`.
    pub ci: Interval,
    /// Two-sided Mann–Whitney p-value.
    pub p: f64,
    /// `p` adjusted for the number of cells compared (Benjamini–Hochberg).
    pub q: f64,
    /// The smallest p-value the repetition counts allow.
    pub min_p: f64,
}

/// One cell present on both sides.
#[derive(Clone, Debug)]
pub struct CellComparison {
    /// Cell name.
    pub name: String,
    /// Labels of either side.
    pub labels: Vec<String>,
    /// The baseline's summary.
    pub base: CellSummary,
    /// The candidate's summary.
    pub cand: CellSummary,
    /// The change, when both sides have timings.
    pub change: Option<Change>,
    /// The conclusion.
    pub verdict: Verdict,
    /// Why, for verdicts other than the plain statistical ones.
    pub why: Option<String>,
    /// The smallest relative change of the median these repetitions could
    /// have shown at the options' alpha ([`detectable`]), when the cell has
    /// a change; `None` there when too few repetitions show any.
    pub detectable: Option<f64>,
    /// The change of the cell's ns/step over its own run's raw reference
    /// loop, block by block, from baseline to candidate: what is left of
    /// the change once the machine's own drift between the runs is taken
    /// out. `None` unless both runs have the cell's loop in enough blocks.
    pub normalised: Option<Change>,
}

impl CellComparison {
    /// Whether the cell has a change but could not have shown one of the
    /// threshold: its [`detectable`] change is larger, there is none, or
    /// its repetitions cannot reach significance at all (inconclusive).
    pub fn underpowered(&self, opts: &CompareOptions) -> bool {
        self.change.is_some()
            && (self.verdict == Verdict::Inconclusive
                || self.detectable.is_none_or(|d| d > opts.threshold))
    }
}

/// Why a comparison fails a CI run (exit code 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Cells regressed or broke (their number).
    Regressed(usize),
    /// Baseline cells the candidate lacks (their number), without
    /// [`CompareOptions::allow_missing`].
    Missing(usize),
    /// No cell got a verdict on both sides: nothing was compared.
    NothingCompared,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Regressed(n) => write!(f, "{n} cell(s) regressed or broke"),
            Failure::Missing(n) => write!(
                f,
                "{n} baseline cell(s) missing from the candidate (--allow-missing accepts that)"
            ),
            Failure::NothingCompared => f.write_str("no cell was compared"),
        }
    }
}

/// A complete baseline/candidate comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The baseline input.
    pub base: Source,
    /// The candidate input.
    pub cand: Source,
    /// How the two headers differ (kernel, machine, tool, config), one line each.
    pub header_diff: Vec<String>,
    /// Cells on both sides, in report order.
    pub cells: Vec<CellComparison>,
    /// Cell names only the baseline has.
    pub only_base: Vec<String>,
    /// Cell names only the candidate has.
    pub only_cand: Vec<String>,
    /// The options used.
    pub options: CompareOptions,
    /// How the raw reference loops changed from baseline to candidate: the
    /// median over the cells both runs have loops of, of the ratio of
    /// their loops' medians, and how many cells that is. The machine's own
    /// drift, which [`CellComparison::normalised`] takes out.
    pub raw_loops: Option<(f64, usize)>,
}

/// Compares a candidate run against a baseline run.
pub fn compare(base: &Results, cand: &Results, opts: &CompareOptions) -> Comparison {
    let b = Report::build(std::slice::from_ref(base));
    let c = Report::build(std::slice::from_ref(cand));
    let cells = compare_pairs(
        b.cells
            .iter()
            .filter_map(|bc| Some((bc, c.find(0, &bc.name)?))),
        opts,
    );
    let missing = |from: &Report, other: &Report| -> Vec<String> {
        from.cells
            .iter()
            .filter(|x| other.find(0, &x.name).is_none())
            .map(|x| x.name.clone())
            .collect()
    };
    let loops: Vec<f64> = cells
        .iter()
        .filter_map(|c| {
            let raw = |s: &CellSummary| {
                let v: Vec<f64> = s.reference_samples.iter().map(|&(_, v)| v).collect();
                (!v.is_empty()).then(|| median(&v))
            };
            Some(raw(&c.cand)? / raw(&c.base)?)
        })
        .collect();
    Comparison {
        header_diff: header_diff(&base.header, &cand.header),
        only_base: missing(&b, &c),
        only_cand: missing(&c, &b),
        raw_loops: (!loops.is_empty()).then(|| (median(&loops), loops.len())),
        cells,
        base: b.sources[0].clone(),
        cand: c.sources[0].clone(),
        options: *opts,
    }
}

/// The cells of one baseline set against those of one candidate, pair by
/// pair (baseline, candidate): each pair's change and verdict, with the
/// p-values adjusted together over the pairs (Benjamini–Hochberg). The one
/// test `compare` applies to two runs and the report to two kernels.
pub fn compare_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a CellSummary, &'a CellSummary)>,
    opts: &CompareOptions,
) -> Vec<CellComparison> {
    let mut cells: Vec<CellComparison> = pairs
        .into_iter()
        .map(|(base, cand)| compare_cell(base, cand, opts))
        .collect();
    decide(&mut cells, opts);
    cells
}

fn compare_cell(base: &CellSummary, cand: &CellSummary, opts: &CompareOptions) -> CellComparison {
    let mut labels = base.labels.clone();
    for l in &cand.labels {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let oversubscribed = [("baseline", base), ("candidate", cand)]
        .into_iter()
        .filter(|_| !opts.include_oversubscribed)
        .find_map(|(side, s)| s.oversubscribed.map(|_| side));
    // Each side's median divides the other's: only positive, finite
    // samples are compared (the reader believes no others; see `checks`).
    let usable = |xs: &[f64]| !xs.is_empty() && xs.iter().all(|x| x.is_finite() && *x > 0.0);
    let timed = usable(&base.ns_samples) && usable(&cand.ns_samples);
    let seed = seed_for(&base.name);
    let (change, verdict, why) = match (base.status, cand.status, oversubscribed) {
        (CellStatus::Ok, CellStatus::Ok, Some(side)) if timed => (
            None,
            Verdict::NotComparable,
            Some(format!(
                "{side} is oversubscribed (--include-oversubscribed gives it a verdict)"
            )),
        ),
        (CellStatus::Ok, CellStatus::Ok, None) if timed => {
            let change = Change::measure(&base.ns_samples, &cand.ns_samples, seed);
            // Provisional: the verdict waits for the q-values of all cells.
            (Some(change), Verdict::NoChange, None)
        }
        (CellStatus::Control, CellStatus::Control, _) => (
            None,
            Verdict::NoChange,
            Some(format!("control, {EXPECTED_BREAK} on both sides")),
        ),
        (CellStatus::Control, CellStatus::Ok, _) => (
            None,
            Verdict::Broken,
            Some("the control held the order: the order check no longer catches its break".into()),
        ),
        (b, CellStatus::Failed, _) if b != CellStatus::Failed => (
            None,
            Verdict::Broken,
            Some(format!(
                "candidate {}",
                cand.reason.clone().unwrap_or_else(|| cand.order_verdict())
            )),
        ),
        (b, c, _) => (
            None,
            Verdict::NotComparable,
            Some(format!("baseline {}, candidate {}", b.word(), c.word())),
        ),
    };
    let measured = change.is_some();
    CellComparison {
        name: base.name.clone(),
        labels,
        detectable: measured
            .then(|| detectable(&base.ns_samples, &cand.ns_samples, opts.alpha, seed))
            .flatten(),
        normalised: measured.then(|| normalised(base, cand, seed)).flatten(),
        base: base.clone(),
        cand: cand.clone(),
        change,
        verdict,
        why,
    }
}

/// The smallest relative change of the median that `base` and `cand`, the
/// repetitions of two runs, could show as significant at `alpha`: each
/// side's bootstrap interval of its median at level 1 − alpha, as a
/// fraction of the median, the two combined in quadrature (the critical
/// value of the change of two independent medians: a true change this
/// large is seen about half the time, a smaller one mostly missed). `None`
/// with fewer than [`MIN_BLOCKS`] repetitions on a side, whose interval
/// says nothing. `seed` fixes the bootstraps.
pub fn detectable(base: &[f64], cand: &[f64], alpha: f64, seed: u64) -> Option<f64> {
    let relative = |xs: &[f64], seed: u64| {
        let m = median(xs);
        (xs.len() >= MIN_BLOCKS && m > 0.0)
            .then(|| bootstrap_median_ci(xs, 1.0 - alpha, RESAMPLES, seed).half_width_around(m) / m)
    };
    let (b, c) = (relative(base, seed)?, relative(cand, seed ^ 1)?);
    Some(b.hypot(c))
}

/// The change of `cand`'s ns/step over its run's raw loop from `base`'s,
/// each side's values the per-block ratios of the cell over its loop;
/// `None` unless both sides have [`MIN_BLOCKS`] of them.
fn normalised(base: &CellSummary, cand: &CellSummary, seed: u64) -> Option<Change> {
    let over_loop = |s: &CellSummary| {
        let ratios = block_ratios(&s.by_block(&s.ns_samples), &s.reference_samples);
        (ratios.len() >= MIN_BLOCKS).then_some(ratios)
    };
    Some(Change::measure(&over_loop(base)?, &over_loop(cand)?, seed))
}

/// Adjusts the p-values of all measured cells for their number, then gives
/// each its verdict: significance (q below alpha) and the minimum effect.
fn decide(cells: &mut [CellComparison], opts: &CompareOptions) {
    let measured: Vec<usize> = (0..cells.len())
        .filter(|&i| cells[i].change.is_some())
        .collect();
    let p: Vec<f64> = measured
        .iter()
        .filter_map(|&i| cells[i].change.map(|c| c.p))
        .collect();
    for (&i, q) in measured.iter().zip(benjamini_hochberg(&p)) {
        let cell = &mut cells[i];
        let Some(change) = cell.change.as_mut() else {
            continue;
        };
        change.q = q;
        cell.verdict = change.verdict(opts);
        cell.why = (cell.verdict == Verdict::Inconclusive).then(|| {
            format!(
                "{} vs {} repetitions cannot reach p < {}",
                cell.base.ns_samples.len(),
                cell.cand.ns_samples.len(),
                opts.alpha
            )
        });
    }
}

impl Change {
    /// The change from `base` to `cand` (repetitions of one metric): the
    /// ratio of their medians, its bootstrap interval (fixed by `seed`) and
    /// the Mann–Whitney test, with `q` still equal to `p` until the caller
    /// adjusts it for the number of changes it tests together.
    pub fn measure(base: &[f64], cand: &[f64], seed: u64) -> Change {
        let test = mann_whitney(base, cand);
        Change {
            ratio: median(cand) / median(base),
            ci: bootstrap_ratio_ci(base, cand, CONFIDENCE, RESAMPLES, seed),
            p: test.p,
            q: test.p,
            min_p: test.min_p,
        }
    }

    /// `cand` over `base`, two cells of one run, on the repetitions `pick`
    /// takes of each: block by block where both ran in enough blocks
    /// together ([`PairedRatio`], tested by signed ranks), else as two runs
    /// are compared ([`Change::measure`]). `seed` fixes the bootstrap.
    pub fn within_run(
        base: &CellSummary,
        cand: &CellSummary,
        pick: impl Fn(&CellSummary) -> &[f64],
        seed: u64,
    ) -> Change {
        let (b, c) = (pick(base), pick(cand));
        PairedRatio::of(&cand.by_block(c), &base.by_block(b), seed)
            .map_or_else(|| Change::measure(b, c, seed), Change::from)
    }

    /// The verdict on this change: inconclusive when the repetition counts
    /// cannot reach significance at all, a regression or an improvement when
    /// `q` is below alpha and the ratio moved by at least the threshold, no
    /// change otherwise. The one rule `compare` and the studies' findings share.
    pub fn verdict(&self, opts: &CompareOptions) -> Verdict {
        let big = (self.ratio - 1.0).abs() >= opts.threshold;
        let significant = self.q < opts.alpha;
        if self.min_p >= opts.alpha {
            Verdict::Inconclusive
        } else if significant && big && self.ratio > 1.0 {
            Verdict::Regression
        } else if significant && big {
            Verdict::Improvement
        } else {
            Verdict::NoChange
        }
    }
}

impl From<PairedRatio> for Change {
    /// A paired ratio's figures, `q` still equal to `p`.
    fn from(r: PairedRatio) -> Change {
        Change {
            ratio: r.ratio,
            ci: r.ci,
            p: r.p,
            q: r.p,
            min_p: r.min_p,
        }
    }
}

/// One line per header field that differs, most decisive first.
fn header_diff(a: &Header, b: &Header) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{name}: {x} -> {y}"));
        }
    };
    let (ma, mb) = (&a.machine, &b.machine);
    field("kernel", ma.kernel.clone(), mb.kernel.clone());
    field("host", ma.hostname.clone(), mb.hostname.clone());
    field("cpu", ma.cpu_model.clone(), mb.cpu_model.clone());
    field("cpus", ma.cpus.to_string(), mb.cpus.to_string());
    field("emulated", ma.emulated.to_string(), mb.emulated.to_string());
    field("tool", a.tool.version.clone(), b.tool.version.clone());
    field("commit", a.tool.commit.clone(), b.tool.commit.clone());
    field(
        "config hash",
        a.run.config_hash.clone(),
        b.run.config_hash.clone(),
    );
    let changed: Vec<&str> = ma
        .mitigations
        .keys()
        .chain(mb.mitigations.keys())
        .filter(|k| ma.mitigations.get(*k) != mb.mitigations.get(*k))
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !changed.is_empty() {
        out.push(format!("mitigations changed: {}", changed.join(", ")));
    }
    // Features are every one the kernel reported; opcodes only those of
    // the opcodes each run's cells used (`probed`, or in older files the
    // listed ones alone), so an opcode counts as gone or new only where
    // the other run probed it too.
    let probed = |io: &crate::schema::IoUringInfo| -> Vec<String> {
        if io.probed.is_empty() {
            io.opcodes.clone()
        } else {
            io.probed.clone()
        }
    };
    for (name, x, y, x_probed, y_probed) in [
        (
            "io_uring features",
            &a.io_uring.features,
            &b.io_uring.features,
            a.io_uring.features.clone(),
            b.io_uring.features.clone(),
        ),
        (
            "io_uring opcodes",
            &a.io_uring.opcodes,
            &b.io_uring.opcodes,
            probed(&a.io_uring),
            probed(&b.io_uring),
        ),
    ] {
        let gone: Vec<&str> = x
            .iter()
            .filter(|f| !y.contains(f) && y_probed.contains(f))
            .map(String::as_str)
            .collect();
        let new: Vec<&str> = y
            .iter()
            .filter(|f| !x.contains(f) && x_probed.contains(f))
            .map(String::as_str)
            .collect();
        if !gone.is_empty() || !new.is_empty() {
            out.push(format!(
                "{name}: removed [{}], added [{}]",
                gone.join(" "),
                new.join(" ")
            ));
        }
    }
    for x in &a.anchors {
        if let Some(y) = b.anchors.iter().find(|y| y.name == x.name) {
            out.extend(anchor_moved(x, y));
        }
    }
    out
}

/// The same anchor on two machines or days, when its 95% intervals do not
/// overlap: the machine itself changed ("futex wake round trip: 12.9 µs ->
/// 45.1 µs, 95% CIs apart"), which explains a change of every style using it.
/// `None` when the intervals overlap or either side has none.
fn anchor_moved(base: &AnchorValue, cand: &AnchorValue) -> Option<String> {
    let (b_lo, b_hi, c_lo, c_hi) = (base.ci_low?, base.ci_high?, cand.ci_low?, cand.ci_high?);
    let (b, c) = (base.ns?, cand.ns?);
    (b_hi < c_lo || c_hi < b_lo).then(|| {
        format!(
            "{}: {} -> {}, 95% CIs apart",
            anchor_label(&base.name),
            time(b),
            time(c)
        )
    })
}

impl Comparison {
    /// Why the comparison fails a CI run, each reason once: cells that
    /// regressed or broke, baseline cells the candidate lacks (unless
    /// allowed), or nothing compared at all.
    pub fn failures(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        let failed = self.cells.iter().filter(|c| c.verdict.fails()).count();
        if failed > 0 {
            out.push(Failure::Regressed(failed));
        }
        if !self.only_base.is_empty() && !self.options.allow_missing {
            out.push(Failure::Missing(self.only_base.len()));
        }
        if self
            .cells
            .iter()
            .all(|c| c.verdict == Verdict::NotComparable)
        {
            out.push(Failure::NothingCompared);
        }
        out
    }

    /// Whether the comparison fails: drives exit code 1.
    pub fn has_regression(&self) -> bool {
        !self.failures().is_empty()
    }

    /// The cells compared that could not have shown a change of the threshold.
    pub fn underpowered(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.underpowered(&self.options))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::StopReason;

    fn futex() -> AnchorValue {
        AnchorValue {
            name: "futex_wake_round_trip".into(),
            ns: Some(45_120.0),
            samples: 40,
            ci_low: Some(44_810.0),
            ci_high: Some(45_480.0),
            precision: Some(0.0080),
            stop: Some(StopReason::Precision),
            spent_ns: Some(250_000_000),
            unsupported: None,
        }
    }

    #[test]
    fn an_anchor_moved_only_when_its_intervals_are_apart() {
        let slower = AnchorValue {
            ns: Some(45_900.0),
            ci_low: Some(45_600.0),
            ci_high: Some(46_300.0),
            ..futex()
        };
        assert_eq!(
            anchor_moved(&futex(), &slower).as_deref(),
            Some("futex wake round trip: 45.1 µs -> 45.9 µs, 95% CIs apart")
        );
        let overlapping = AnchorValue {
            ci_low: Some(45_400.0),
            ..slower.clone()
        };
        assert_eq!(anchor_moved(&futex(), &overlapping), None);
        let old = AnchorValue {
            ci_low: None,
            ci_high: None,
            ..slower
        };
        assert_eq!(anchor_moved(&futex(), &old), None);
    }
}
