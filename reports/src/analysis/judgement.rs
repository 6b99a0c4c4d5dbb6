//! The judgement of a change, one rule for every comparison the tool
//! makes: baseline against candidate (`compare`), one kernel against
//! another, and a study's findings. Cells are matched by name, each with the
//! change of its median, the bootstrap confidence interval of that change,
//! a Mann–Whitney U test on the repetitions, and a verdict that needs both
//! significance and a minimum effect size ([`Change::verdict`]). Cells present
//! on one side only are listed, and header differences (kernel, machine,
//! tool, config) come first, since they explain most changes.
//!
//! It renders nothing: [`crate::render::compare`] and
//! [`crate::render::mail::compare_email`] write a [`Comparison`] out.

use crate::analysis::model::{CellStatus, CellSummary, Report, Source, EXPECTED_BREAK};
use crate::analysis::paired::PairedRatio;
use crate::analysis::stats::{
    benjamini_hochberg, bootstrap_ratio_ci, mann_whitney, median, seed_for, Interval, CONFIDENCE,
    RESAMPLES,
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
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            alpha: 0.05,
            include_oversubscribed: false,
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
    Comparison {
        header_diff: header_diff(&base.header, &cand.header),
        only_base: missing(&b, &c),
        only_cand: missing(&c, &b),
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
    let (change, verdict, why) = match (base.status, cand.status, oversubscribed) {
        (CellStatus::Ok, CellStatus::Ok, Some(side)) if timed => (
            None,
            Verdict::NotComparable,
            Some(format!(
                "{side} is oversubscribed (--include-oversubscribed gives it a verdict)"
            )),
        ),
        (CellStatus::Ok, CellStatus::Ok, None) if timed => {
            let change = Change::measure(&base.ns_samples, &cand.ns_samples, seed_for(&base.name));
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
    CellComparison {
        name: base.name.clone(),
        labels,
        base: base.clone(),
        cand: cand.clone(),
        change,
        verdict,
        why,
    }
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
    for (name, x, y) in [
        (
            "io_uring features",
            &a.io_uring.features,
            &b.io_uring.features,
        ),
        ("io_uring opcodes", &a.io_uring.opcodes, &b.io_uring.opcodes),
    ] {
        let gone: Vec<&str> = x
            .iter()
            .filter(|f| !y.contains(f))
            .map(String::as_str)
            .collect();
        let new: Vec<&str> = y
            .iter()
            .filter(|f| !x.contains(f))
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
    /// Whether any cell regressed or broke: drives exit code 1.
    pub fn has_regression(&self) -> bool {
        self.cells.iter().any(|c| c.verdict.fails())
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
