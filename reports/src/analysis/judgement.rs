//! Baseline against candidate: cells matched by name, each with the change
//! of its median, the bootstrap confidence interval of that change, a
//! Mann–Whitney U test on the repetitions, and a verdict that needs both
//! significance and a minimum effect size. Cells present on one side only
//! are listed, and header differences (kernel, machine, tool, config) come
//! first, since they explain most changes.

use crate::anchors;
use crate::bench_json::{bmf_metric, to_bytes};
use crate::doc::{Block, Document};
use crate::email::{anchor_lines, command_lines, machine_lines, wrap, MAIL_WIDTH};
use crate::error::ReportError;
use crate::exporter::{write_all, Exporter};
use crate::format::{ascii, num, signed_pct};
use crate::markdown::to_markdown;
use crate::model::{CellStatus, CellSummary, Report, Source, EXPECTED_BREAK};
use crate::results::Results;
use crate::schema::Header;
use crate::stats::{
    benjamini_hochberg, bootstrap_ratio_ci, coefficient_of_variation, mann_whitney, median,
    seed_for, Interval, CONFIDENCE, RESAMPLES,
};
use crate::table::{Align, Table};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

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
    let timed = !base.ns_samples.is_empty() && !cand.ns_samples.is_empty();
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
            out.extend(anchors::moved(x, y));
        }
    }
    out
}

impl Comparison {
    /// Whether any cell regressed or broke: drives exit code 1.
    pub fn has_regression(&self) -> bool {
        self.cells.iter().any(|c| c.verdict.fails())
    }

    /// How many cells got each verdict, as one line.
    pub fn summary_line(&self) -> String {
        let count = |v: Verdict| self.cells.iter().filter(|c| c.verdict == v).count();
        let mut parts: Vec<String> = VERDICTS
            .iter()
            .filter(|v| count(**v) > 0)
            .map(|v| format!("{} {}", count(*v), v.word()))
            .collect();
        if !self.only_base.is_empty() {
            parts.push(format!("{} only in baseline", self.only_base.len()));
        }
        if !self.only_cand.is_empty() {
            parts.push(format!("{} only in candidate", self.only_cand.len()));
        }
        format!(
            "{} cells compared (threshold {}, alpha {}): {}",
            self.cells.len(),
            signed_pct(self.options.threshold).trim_start_matches('+'),
            self.options.alpha,
            parts.join(", ")
        )
    }

    fn table(&self) -> Table {
        let mut t = Table::new(&[
            ("cell", Align::Left),
            ("base ns/step", Align::Right),
            ("cand ns/step", Align::Right),
            ("change", Align::Right),
            ("95% CI of change", Align::Right),
            ("p", Align::Right),
            ("q", Align::Right),
            ("verdict", Align::Left),
            ("notes", Align::Left),
        ]);
        for c in &self.cells {
            let value = |s: &CellSummary| s.median().map_or(s.status.word().to_string(), num);
            let (change, ci, p, q) = match &c.change {
                Some(ch) => (
                    signed_pct(ch.ratio - 1.0),
                    format!(
                        "[{}, {}]",
                        signed_pct(ch.ci.lo - 1.0),
                        signed_pct(ch.ci.hi - 1.0)
                    ),
                    p_value(ch.p),
                    p_value(ch.q),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let mut notes = c.labels.clone();
            notes.extend(c.why.clone());
            t.push(vec![
                c.name.clone(),
                value(&c.base),
                value(&c.cand),
                change,
                ci,
                p,
                q,
                c.verdict.word().into(),
                notes.join("; "),
            ]);
        }
        t
    }

    /// Plain text for the terminal: header differences first, then the table,
    /// the cells missing on either side, and the summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.header_diff.is_empty() {
            out.push_str("Baseline and candidate runs differ:\n");
            for line in &self.header_diff {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "baseline:  {}\ncandidate: {}\n\n",
            self.base.path.display(),
            self.cand.path.display()
        ));
        out.push_str(&self.table().to_text(2, None));
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                out.push_str(&format!("\nOnly in the {side}:\n"));
                for n in names {
                    out.push_str(&format!("  {n}\n"));
                }
            }
        }
        out.push('\n');
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// The comparison as a document (for compare.md).
    pub fn document(&self) -> Document {
        let mut doc = Document::new("uring-syncbench comparison");
        if !self.header_diff.is_empty() {
            doc.push(Block::Heading(2, "Runs differ".into()));
            doc.push(Block::List(self.header_diff.clone()));
        }
        doc.push(Block::List(vec![
            format!(
                "baseline: {} ({})",
                self.base.path.display(),
                self.base.label
            ),
            format!(
                "candidate: {} ({})",
                self.cand.path.display(),
                self.cand.label
            ),
        ]));
        doc.push(Block::Paragraph(format!(
            "A verdict needs both significance (the Mann-Whitney U p-value of the \
             repetitions, adjusted for the number of cells compared by \
             Benjamini-Hochberg into q, below {}) and a change of the median of \
             at least {}; the interval is the bootstrap {:.0}% CI of the ratio of medians.",
            self.options.alpha,
            signed_pct(self.options.threshold).trim_start_matches('+'),
            CONFIDENCE * 100.0
        )));
        let oversubscribed = self
            .cells
            .iter()
            .any(|c| c.base.oversubscribed.is_some() || c.cand.oversubscribed.is_some());
        if oversubscribed {
            doc.push(Block::Paragraph(
                if self.options.include_oversubscribed {
                    "Oversubscribed cells (more busy threads than CPUs) were given verdicts \
                     too (--include-oversubscribed): their threads took turns on a CPU."
                } else {
                    "Oversubscribed cells (more busy threads than CPUs) are not comparable: \
                     their threads took turns on a CPU. --include-oversubscribed gives \
                     them verdicts."
                }
                .into(),
            ));
        }
        doc.push(Block::Table(self.table()));
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                doc.push(Block::Heading(2, format!("Only in the {side}")));
                doc.push(Block::List(names.clone()));
            }
        }
        doc.push(Block::Paragraph(self.summary_line()));
        doc
    }

    /// Plain text for the mailing list (72 columns), in the shape of the
    /// 0-day/LKP test robot's reports: a headline per regressed or newly
    /// failed cell, then only the cells that changed (baseline ± stddev,
    /// %change, candidate ± stddev, cell), then how the two runs differ.
    pub fn email(&self) -> String {
        let mut out: Vec<String> = vec![
            "uring-syncbench: baseline vs candidate".into(),
            String::new(),
        ];
        let headlines = self.headlines();
        if headlines.is_empty() {
            out.push("No regression and no newly failed cell.".into());
        }
        for line in headlines {
            out.extend(wrap(&line, MAIL_WIDTH, "", "    "));
        }
        let changed: Vec<&CellComparison> = self
            .cells
            .iter()
            .filter(|c| {
                matches!(
                    c.verdict,
                    Verdict::Regression | Verdict::Improvement | Verdict::Broken
                )
            })
            .collect();
        if !changed.is_empty() {
            out.push(String::new());
            out.extend(changed_table(&changed));
        }
        if !self.header_diff.is_empty() {
            out.push(String::new());
            out.push("The runs differ:".into());
            for line in &self.header_diff {
                out.extend(wrap(&ascii(line), MAIL_WIDTH, "  ", "    "));
            }
        }
        for (side, src) in [("Baseline", &self.base), ("Candidate", &self.cand)] {
            out.push(String::new());
            out.push(format!("{side}:"));
            out.extend(machine_lines(src));
            out.extend(anchor_lines(src));
            out.extend(command_lines(src.header.run.reproduce_with()));
        }
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                out.push(String::new());
                out.push(format!("Only in the {side}:"));
                for n in names {
                    out.extend(wrap(n, MAIL_WIDTH, "- ", "  "));
                }
            }
        }
        out.push(String::new());
        out.extend(wrap(&self.summary_line(), MAIL_WIDTH, "", ""));
        let mut text = out.join("\n");
        text.push('\n');
        text
    }

    /// One line per regressed cell (`-10.9% regression of CELL`: the change
    /// of its steps per second, with its ns/step change beside it) and per
    /// cell that broke, with why.
    pub fn headlines(&self) -> Vec<String> {
        self.cells
            .iter()
            .filter_map(|c| match (c.verdict, &c.change) {
                (Verdict::Regression, Some(ch)) => Some(format!(
                    "{} regression of {} (ns/step {})",
                    signed_pct(1.0 / ch.ratio - 1.0),
                    c.name,
                    signed_pct(ch.ratio - 1.0)
                )),
                (Verdict::Broken, _) => Some(format!(
                    "{} newly failed: {}",
                    c.name,
                    c.why.as_deref().unwrap_or("failed")
                )),
                _ => None,
            })
            .collect()
    }

    /// Writes compare.md, compare-email.txt and compare-bench.json into `out_dir`.
    pub fn render(&self, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
        write_all(
            &[&CompareMarkdown, &CompareEmail, &CompareBench],
            self,
            out_dir,
        )
    }
}

/// The LKP-style table of the cells that changed: median ± the relative
/// standard deviation of the repetitions on each side, the change of the
/// median between them, and the cell, which goes on a line of its own when
/// it does not fit beside the numbers.
fn changed_table(cells: &[&CellComparison]) -> Vec<String> {
    let side = |s: &CellSummary| match s.median() {
        Some(m) => format!(
            "{:>7} {:>5}",
            num(m),
            coefficient_of_variation(&s.ns_samples)
                .map_or(String::new(), |cv| format!("+-{:.0}%", cv * 100.0))
        ),
        None => format!("{:>13}", s.status.word()),
    };
    let mut lines = vec![
        "         base            candidate".to_string(),
        "-------------  -------------------------".to_string(),
        "      %stddev   %change        %stddev".to_string(),
        "            \\        |              \\".to_string(),
    ];
    for c in cells {
        let change = c.change.map_or(c.verdict.word().to_string(), |ch| {
            signed_pct(ch.ratio - 1.0)
        });
        let numbers = format!("{}  {:>8}  {}", side(&c.base), change, side(&c.cand));
        if numbers.len() + 2 + c.name.len() <= MAIL_WIDTH {
            lines.push(format!("{numbers}  {}", c.name));
        } else {
            lines.extend(wrap(&c.name, MAIL_WIDTH, "", "  "));
            lines.push(numbers);
        }
    }
    lines
}

/// A p-value with three decimals, `<0.001` below that.
pub(crate) fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

struct CompareMarkdown;
struct CompareEmail;
struct CompareBench;

impl Exporter<Comparison> for CompareMarkdown {
    fn file_name(&self) -> &'static str {
        "compare.md"
    }

    fn serialize(&self, input: &Comparison) -> Result<Vec<u8>, ReportError> {
        Ok(to_markdown(&input.document()).into_bytes())
    }
}

impl Exporter<Comparison> for CompareEmail {
    fn file_name(&self) -> &'static str {
        "compare-email.txt"
    }

    fn serialize(&self, input: &Comparison) -> Result<Vec<u8>, ReportError> {
        Ok(input.email().into_bytes())
    }
}

/// BMF of the candidate: its ns/step and its ratio to the baseline.
impl Exporter<Comparison> for CompareBench {
    fn file_name(&self) -> &'static str {
        "compare-bench.json"
    }

    fn serialize(&self, input: &Comparison) -> Result<Vec<u8>, ReportError> {
        let mut root = Map::new();
        for c in &input.cells {
            let (Some(ns), Some(change)) = (&c.cand.ns, &c.change) else {
                continue;
            };
            root.insert(
                c.name.clone(),
                json!({
                    crate::bench_json::MEASURE_LATENCY: bmf_metric(ns),
                    "ratio-to-baseline": {
                        "value": change.ratio,
                        "lower_value": change.ci.lo,
                        "upper_value": change.ci.hi,
                    },
                }),
            );
        }
        Ok(to_bytes(&Value::Object(root)))
    }
}
