//! The report model: results files folded into one summary per cell (status,
//! order verdict, labels, statistics, profile). Every rendering reads this
//! model, never the raw lines, so all outputs agree on every number.

use crate::analysis::paired::{median_ratio, Blocked, PairedRatio};
use crate::analysis::stats::{seed_for, Rate, Summary};
use crate::results::Results;
use crate::schema::{
    AnchorValue, CellKey, CellRecord, Header, LoadRecord, Oversubscribed, Pass, Profile,
    ReferenceSummary, Registry, Status, Stopping, Timing,
};
use crate::schema::{ReasonCode, ReproRun, ViolationRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// Label put on every cell of a run made under software emulation.
pub const EMULATED_MACHINE_LABEL: &str = "emulated: timings not comparable";

/// How every output states a control's outcome: its order broke, which is
/// what proves the verifier catches a real violation.
pub const EXPECTED_BREAK: &str = "order broken, as expected";

/// The word shown for an oversubscribed cell where its value is left out.
pub const OVERSUBSCRIBED: &str = "oversubscribed";

/// The style every `×link` ratio is taken against.
pub const BASELINE_STYLE: &str = "link";

/// One input results file as the report sees it.
#[derive(Clone, Debug)]
pub struct Source {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// Name on the kernel axis: the kernel, made unique with host/index when needed.
    pub label: String,
    /// Labels that apply to every cell of this input.
    pub labels: Vec<String>,
    /// Lines the reader skipped.
    pub warnings: Vec<String>,
    /// Its reproducer runs (`bench-runner presence`), in file order: what
    /// the presence table counts.
    pub repros: Vec<ReproRun>,
    /// The styles that promise no order, from the input's registry (else
    /// the first registry among the inputs): their cells are controls.
    pub unordered: BTreeSet<String>,
    /// The machine's load over each block (none in files written before
    /// it was recorded).
    pub loads: Vec<LoadRecord>,
}

/// What became of a cell as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellStatus {
    /// At least one repetition ran and none broke the order.
    Ok,
    /// A repetition broke the order or errored: no timing is shown.
    Failed,
    /// The order broke in a cell whose style promises none (the verifier's
    /// control, e.g. `independent` on `timeout`): the expected outcome, which
    /// every output states as "order broken, as expected" and never counts
    /// or lists as a failure. No timing is shown.
    Control,
    /// Not run on this machine.
    Skipped,
    /// Every repetition was interrupted.
    Interrupted,
}

impl CellStatus {
    /// Lower-case word used in tables and plots.
    pub fn word(self) -> &'static str {
        match self {
            CellStatus::Ok => "ok",
            CellStatus::Failed => "failed",
            CellStatus::Control => "control",
            CellStatus::Skipped => "skipped",
            CellStatus::Interrupted => "interrupted",
        }
    }
}

/// The parts of [`CellKey::name`], for tables that show them as columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameParts {
    /// Style with its variant, e.g. `sync-group:append`.
    pub style: String,
    /// Mode, e.g. `sqpoll+registered-ring`.
    pub mode: String,
    /// Op with `+async` when forced through io-wq.
    pub op: String,
    /// Shape, e.g. `g1-s8-b8-t1`.
    pub shape: String,
}

impl NameParts {
    /// The parts of the key's name, each read from its fields.
    pub fn of(key: &CellKey) -> NameParts {
        NameParts {
            style: key.style_label(),
            mode: key.mode.clone(),
            op: key.op_label(),
            shape: key.shape(),
        }
    }

    /// The parts in the order the name gives them.
    pub fn in_name_order(&self) -> [&str; 4] {
        [&self.style, &self.mode, &self.op, &self.shape]
    }
}

/// The profile pass is one pass with the observers attached, set against
/// the median of the timing repetitions; its ratio to that median means an
/// observer's cost only when it lies outside the repetitions' own spread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ObserverCost {
    /// Slower than every timing repetition: the ratio is (at least) what
    /// observing costs.
    Above(f64),
    /// Within the range of the timing repetitions: the single observed pass
    /// cannot tell the observers' cost from the cell's own variation.
    WithinSpread,
    /// Faster than every timing repetition: the timing repetitions, each on
    /// a fresh set-up right after another cell's, ran slower than the one
    /// profile pass did; the ratio is no cost of observing.
    Below(f64),
}

impl ObserverCost {
    /// How tables show it: `1.35x`, `in noise`, `0.40x, below every repetition`.
    pub fn text(self) -> String {
        match self {
            ObserverCost::Above(r) => crate::format::ratio(r),
            ObserverCost::WithinSpread => "in noise".to_string(),
            ObserverCost::Below(r) => {
                format!("{}, below every repetition", crate::format::ratio(r))
            }
        }
    }
}

/// How many times the machine's own noise a cell's CV must exceed, with its
/// target precision missed, to be called noisy.
pub const NOISE_FACTOR: f64 = 2.0;

/// The fewest repetitions of a raw loop whose order-check cost gets an
/// interval: fewer give none worth printing.
pub const MIN_ORDER_CHECK_REPS: usize = 3;

/// The CV of a cell's repetitions above which it is noisy however noisy
/// the machine itself was: a median known to ±1% needs its repetitions
/// within about this spread.
pub const CV_LIMIT: f64 = 0.10;

/// Everything the report says about one cell of one input.
#[derive(Clone, Debug)]
pub struct CellSummary {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// Coordinates.
    pub key: CellKey,
    /// [`CellKey::name`].
    pub name: String,
    /// Overall status.
    pub status: CellStatus,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// The code of `reason`, what the report decides by (absent in files
    /// written before codes).
    pub reason_code: Option<ReasonCode>,
    /// The first order violation seen.
    pub violation: Option<ViolationRecord>,
    /// Labels to show wherever the cell is shown (cell's and input's, and its
    /// oversubscription).
    pub labels: Vec<String>,
    /// Set when the cell needed more busy threads than CPUs: its numbers are
    /// shown, but kept out of ratios, chart scales, CI files and verdicts.
    pub oversubscribed: Option<Oversubscribed>,
    /// ns/step of every ok timing repetition, in file order.
    pub ns_samples: Vec<f64>,
    /// Statistics of `ns_samples`.
    pub ns: Option<Summary>,
    /// Statistics of CPU ns/step of the same repetitions.
    pub cpu_ns: Option<Summary>,
    /// CPU ns/step of the same repetitions, in the same order.
    pub cpu_ns_samples: Vec<f64>,
    /// The block of its family each of those repetitions ran in, in the
    /// same order; empty in files written before blocks (or when a line
    /// lacks its block), whose ratios are then unpaired.
    pub blocks: Vec<u32>,
    /// Its raw reference loop's plain ns/step by block, for the harness's
    /// overhead block by block; empty without a loop or blocks.
    pub reference_samples: Vec<Blocked>,
    /// What the order check added to the raw loop per step (checked minus
    /// plain ns/step), each from one repetition of the loop, so paired
    /// within its block; empty without a loop.
    pub order_check_samples: Vec<f64>,
    /// Repetitions abandoned by an interrupt.
    pub interrupted: usize,
    /// The profile pass, when it ran.
    pub profile: Option<Profile>,
    /// Why the profile pass is missing or failed, when it is.
    pub profile_note: Option<String>,
    /// How its timing repetitions stopped (a timed cell's final line).
    pub stopping: Option<Stopping>,
    /// The harness's overhead over the raw reference loop (a timed cell that has one).
    pub reference: Option<ReferenceSummary>,
    /// Why its raw reference loop failed, when it did (the cell's own timing stands).
    pub reference_note: Option<String>,
    /// The passes whose order its timing lines checked, and how many broke:
    /// a cell stops at the first pass that breaks, so at most one.
    pub rate: Rate,
}

impl CellSummary {
    /// One-line verdict of the order check.
    pub fn order_verdict(&self) -> String {
        match (self.status, &self.violation) {
            (CellStatus::Control, Some(v)) => format!(
                "{EXPECTED_BREAK}: group {} expected seq {}, got {} ({})",
                v.group, v.expected, v.got, v.source
            ),
            (_, Some(v)) => format!(
                "BROKEN: group {} expected seq {}, got {} ({})",
                v.group, v.expected, v.got, v.source
            ),
            (CellStatus::Ok, None) => "held".to_string(),
            (CellStatus::Failed, None) => self
                .reason_code
                .map_or("error", ReasonCode::as_str)
                .to_string(),
            (CellStatus::Skipped, None) => "not run".to_string(),
            (CellStatus::Control, None) => EXPECTED_BREAK.to_string(),
            (CellStatus::Interrupted, None) => "interrupted".to_string(),
        }
    }

    /// Whether the cell gave the outcome it should: timed with its order
    /// held, or a control whose order broke. What CI files and `compare`
    /// treat as ok; a failed, skipped or interrupted cell is not.
    pub fn as_expected(&self) -> bool {
        matches!(self.status, CellStatus::Ok | CellStatus::Control)
    }

    /// The cell's status in a few words, with its reason when it has one
    /// (`failed: out of order (cqe) ...`, `control: order broken, as expected`,
    /// `ok, oversubscribed`).
    pub fn status_line(&self) -> String {
        match self.status {
            CellStatus::Ok if self.oversubscribed.is_some() => format!("ok, {OVERSUBSCRIBED}"),
            CellStatus::Ok => "ok".to_string(),
            CellStatus::Control => format!("control: {EXPECTED_BREAK}"),
            status => {
                let code = self
                    .reason_code
                    .map_or(String::new(), |code| format!(" [{code}]"));
                match &self.reason {
                    Some(reason) => format!("{}{code}: {reason}", status.word()),
                    None => format!("{}{code}: {}", status.word(), self.order_verdict()),
                }
            }
        }
    }

    /// Median ns/step when the cell has a timing.
    pub fn median(&self) -> Option<f64> {
        self.ns.as_ref().map(|s| s.median)
    }

    /// The ns/step statistics when they may be set against other cells'
    /// (ratios, chart scales, CI dashboards): timed and not oversubscribed.
    pub fn ranked(&self) -> Option<&Summary> {
        self.ns.as_ref().filter(|_| self.oversubscribed.is_none())
    }

    /// The median of [`CellSummary::ranked`].
    pub fn ranked_median(&self) -> Option<f64> {
        self.ranked().map(|s| s.median)
    }

    /// `values` (its `ns_samples` or `cpu_ns_samples`) with the block each
    /// ran in; empty when the file records no blocks.
    pub fn by_block(&self, values: &[f64]) -> Vec<Blocked> {
        if self.blocks.len() != values.len() {
            return Vec::new();
        }
        self.blocks
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect()
    }

    /// The harness's overhead over its raw reference loop, block by block,
    /// with its interval: a ranked cell with enough blocks of both.
    pub fn paired_overhead(&self) -> Option<PairedRatio> {
        self.ranked()?;
        let own = self.by_block(&self.ns_samples);
        PairedRatio::of(&own, &self.reference_samples, seed_for(&self.name))
    }

    /// What the order check costs the raw loop per step, with its
    /// interval (the median of the per-repetition differences, bootstrapped
    /// over the repetitions): a ranked cell whose loop ran at least
    /// [`MIN_ORDER_CHECK_REPS`] times.
    pub fn order_check(&self) -> Option<Summary> {
        self.ranked_reference()?;
        if self.order_check_samples.len() < MIN_ORDER_CHECK_REPS {
            return None;
        }
        Summary::of(&self.order_check_samples, seed_for(&self.name) ^ 2)
    }

    /// Why the cell has no ranked value, in one word: its status when it has
    /// no timing, `oversubscribed` when it has one that must not be ranked.
    pub fn unranked_word(&self) -> Option<&'static str> {
        if self.ranked().is_some() {
            None
        } else if self.ns.is_some() {
            Some(OVERSUBSCRIBED)
        } else {
            Some(self.status.word())
        }
    }

    /// The raw reference's verdict when it may be shown as a ratio: the cell
    /// is ranked (timed, not oversubscribed) and has a reference.
    pub fn ranked_reference(&self) -> Option<&ReferenceSummary> {
        self.ranked().and(self.reference.as_ref())
    }

    /// Whether its repetitions stopped within their target precision.
    pub fn precise(&self) -> bool {
        self.stopping
            .as_ref()
            .is_some_and(|s| s.precision.is_some_and(|p| p <= s.target))
    }

    /// What the profile pass's ns/step says about the observers' cost, set
    /// against the spread of the timing repetitions: none without both.
    pub fn observer_cost(&self) -> Option<ObserverCost> {
        let ratio = self.profile.as_ref()?.overhead_ratio?;
        let median = self.median()?;
        let observed = ratio * median;
        let lowest = self
            .ns_samples
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let highest = self.ns_samples.iter().copied().fold(0.0, f64::max);
        Some(if observed > highest {
            ObserverCost::Above(ratio)
        } else if observed < lowest {
            ObserverCost::Below(ratio)
        } else {
            ObserverCost::WithinSpread
        })
    }

    /// The cell name's parts.
    pub fn parts(&self) -> NameParts {
        NameParts::of(&self.key)
    }
}

/// All inputs folded into cell summaries, sorted so that cells to compare
/// (same op and shape, then mode, then style, then kernel) sit together.
#[derive(Clone, Debug)]
pub struct Report {
    /// The inputs, in the order given.
    pub sources: Vec<Source>,
    /// One entry per (input, cell).
    pub cells: Vec<CellSummary>,
    index: HashMap<(usize, String), usize>,
}

impl Report {
    /// Folds results files into the report model.
    pub fn build(inputs: &[Results]) -> Report {
        let sources = sources_of(inputs);
        let mut order = Order::default();
        let mut cells = Vec::new();
        if let Some(registry) = inputs.iter().find_map(|i| i.header.registry.as_ref()) {
            order.registry(registry);
        }
        for (i, input) in inputs.iter().enumerate() {
            let unordered = &sources[i].unordered;
            let mut grouped: BTreeMap<String, Vec<&CellRecord>> = BTreeMap::new();
            for record in &input.records {
                order.see(&record.cell);
                grouped.entry(record.name.clone()).or_default().push(record);
            }
            cells.extend(
                grouped
                    .into_values()
                    .map(|records| summarize(i, &sources[i].labels, unordered, &records)),
            );
        }
        for cell in &mut cells {
            let anchors = &sources[cell.source].header.anchors;
            if let Some(label) = crate::analysis::bare_metal::label(anchors, &cell.key.style) {
                cell.labels.push(label);
            }
        }
        cells.sort_by_cached_key(|c| order.key(c));
        let index = cells
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.source, c.name.clone()), i))
            .collect();
        Report {
            sources,
            cells,
            index,
        }
    }

    /// Whether several inputs are set side by side (a kernel axis).
    pub fn multi(&self) -> bool {
        self.sources.len() > 1
    }

    /// The cell of `source` with this name.
    pub fn find(&self, source: usize, name: &str) -> Option<&CellSummary> {
        self.index
            .get(&(source, name.to_string()))
            .map(|&i| &self.cells[i])
    }

    /// The cell `link` with the same mode, op and shape on the same input.
    fn link_of(&self, cell: &CellSummary) -> Option<&CellSummary> {
        let link = CellKey {
            style: BASELINE_STYLE.to_string(),
            variant: String::new(),
            ..cell.key.clone()
        };
        self.find(cell.source, &link.name())
    }

    /// This cell over `link` with the same mode, op and shape on the same
    /// input: the median of the per-block ratios where both ran in enough
    /// blocks together ([`Report::paired_link`]), else the ratio of their
    /// medians (files written before blocks); none when either is
    /// oversubscribed.
    pub fn link_ratio(&self, cell: &CellSummary) -> Option<f64> {
        let link = self.link_of(cell)?;
        let base = link.ranked_median()?;
        let own = cell.ranked_median()?;
        let paired = median_ratio(
            &cell.by_block(&cell.ns_samples),
            &link.by_block(&link.ns_samples),
        );
        Some(paired.unwrap_or(own / base))
    }

    /// This cell over `link`, block by block, with its interval: both
    /// ranked and run in enough blocks together.
    pub fn paired_link(&self, cell: &CellSummary) -> Option<PairedRatio> {
        let link = self.link_of(cell)?;
        link.ranked()?;
        cell.ranked()?;
        let own = cell.by_block(&cell.ns_samples);
        let base = link.by_block(&link.ns_samples);
        PairedRatio::of(&own, &base, seed_for(&cell.name))
    }

    /// The anchors of the cell's input that have a value.
    pub fn anchors_of(&self, cell: &CellSummary) -> Vec<&AnchorValue> {
        self.sources[cell.source]
            .header
            .anchors
            .iter()
            .filter(|a| a.ns.is_some_and(|ns| ns > 0.0))
            .collect()
    }

    /// Whether the cell's style promises to keep the order (not a control's).
    pub fn promises_order(&self, cell: &CellSummary) -> bool {
        !self.sources[cell.source]
            .unordered
            .contains(&cell.key.style)
    }

    /// The noise a cell's CV is set against: the CV of its raw reference
    /// loop in the same rounds (the machine's own), else the median of its
    /// input's raw loops' CVs, else (an input with no raw loop) the median
    /// CV of its input's timed cells; none when there is nothing to set it
    /// against.
    pub fn noise_floor(&self, cell: &CellSummary) -> Option<f64> {
        if let Some(cv) = cell.reference.as_ref().and_then(|r| r.cv) {
            return Some(cv);
        }
        let of_source = || self.cells.iter().filter(|c| c.source == cell.source);
        let loops: Vec<f64> = of_source()
            .filter_map(|c| c.reference.as_ref()?.cv)
            .collect();
        let cells: Vec<f64> = of_source().filter_map(|c| c.ns.as_ref()?.cv).collect();
        [loops, cells]
            .into_iter()
            .find(|v| !v.is_empty())
            .map(|v| crate::analysis::stats::median(&v))
    }

    /// Whether a timed cell is noisy: its repetitions' CV is above
    /// [`CV_LIMIT`] whatever the machine's own noise (a loaded machine is
    /// noisy throughout, and a relative test alone would pass it), or they
    /// missed their target precision (when it is recorded) with a CV more
    /// than [`NOISE_FACTOR`] times the machine's own noise
    /// ([`Report::noise_floor`]): a spread of the cell's own.
    pub fn noisy(&self, cell: &CellSummary) -> bool {
        let Some(cv) = cell.ns.as_ref().and_then(|s| s.cv) else {
            return false;
        };
        let missed = cell.stopping.is_none() || !cell.precise();
        let relative = missed
            && self
                .noise_floor(cell)
                .is_some_and(|floor| cv > NOISE_FACTOR * floor);
        relative || cv > CV_LIMIT
    }

    /// Cells grouped by op and shape (everything but mode and style), in report order.
    pub fn by_op_shape(&self) -> Vec<(String, Vec<&CellSummary>)> {
        group_consecutive(&self.cells, |c| {
            let p = c.parts();
            format!("{} {}", p.op, p.shape)
        })
    }
}

/// Groups items by a key, keeping first-appearance order of keys and items.
pub fn group_consecutive<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&T) -> String,
) -> Vec<(String, Vec<&'a T>)> {
    let mut groups: Vec<(String, Vec<&T>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for item in items {
        let k = key(item);
        match at.get(&k) {
            Some(&i) => groups[i].1.push(item),
            None => {
                at.insert(k.clone(), groups.len());
                groups.push((k, vec![item]));
            }
        }
    }
    groups
}

fn sources_of(inputs: &[Results]) -> Vec<Source> {
    let first_registry = inputs.iter().find_map(|i| i.header.registry.as_ref());
    let kernels: Vec<&str> = inputs
        .iter()
        .map(|r| r.header.machine.kernel.as_str())
        .collect();
    let hosts: Vec<String> = inputs
        .iter()
        .map(|r| format!("{}@{}", r.header.machine.kernel, r.header.machine.hostname))
        .collect();
    inputs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let count = |v: &[&str], x: &str| v.iter().filter(|y| **y == x).count();
            let host_refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
            let label = if count(&kernels, kernels[i]) == 1 {
                kernels[i].to_string()
            } else if count(&host_refs, &hosts[i]) == 1 {
                hosts[i].clone()
            } else {
                format!("{}#{}", hosts[i], i + 1)
            };
            let labels = if r.header.machine.emulated {
                vec![EMULATED_MACHINE_LABEL.to_string()]
            } else {
                Vec::new()
            };
            let unordered = r
                .header
                .registry
                .as_ref()
                .or(first_registry)
                .map(|reg| {
                    reg.styles
                        .iter()
                        .filter(|s| s.unordered)
                        .map(|s| s.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            Source {
                unordered,
                loads: r.loads.clone(),
                path: r.path.clone(),
                header: r.header.clone(),
                label,
                labels,
                warnings: r.warnings.clone(),
                repros: r.repros.clone(),
            }
        })
        .collect()
}

/// Summarizes one cell of input `source`; `unordered` holds the styles that
/// promise no order (the registry's), whose broken order is a control's.
fn summarize(
    source: usize,
    source_labels: &[String],
    unordered: &BTreeSet<String>,
    all: &[&CellRecord],
) -> CellSummary {
    let first = all[0];
    // Reference lines are the raw loop's, never the cell's: they neither time
    // nor fail it.
    let (reference_lines, records): (Vec<&CellRecord>, Vec<&CellRecord>) =
        all.iter().partition(|r| r.pass == Pass::Reference);
    let timing: Vec<&CellRecord> = records
        .iter()
        .copied()
        .filter(|r| r.pass == Pass::Timing)
        .collect();
    let profile_rec = records.iter().copied().find(|r| r.pass == Pass::Profile);
    let violation = records.iter().find_map(|r| r.violation.clone());
    let control = violation.is_some() && unordered.contains(&first.cell.style);
    let status = cell_status(&timing, violation.is_some(), control);
    let ns_samples = ok_samples(&timing, |t| t.ns_per_step);
    let blocks: Vec<u32> = timing
        .iter()
        .filter(|r| r.status == Status::Ok && r.timing.is_some())
        .filter_map(|r| r.block)
        .collect();
    let reference_samples: Vec<Blocked> = reference_lines
        .iter()
        .filter(|r| r.status == Status::Ok)
        .filter_map(|r| Some((r.block?, r.reference_timing.as_ref()?.ns_per_step)))
        .collect();
    let order_check_samples: Vec<f64> = reference_lines
        .iter()
        .filter(|r| r.status == Status::Ok)
        .filter_map(|r| r.reference_timing.as_ref())
        .map(|t| t.checked_ns_per_step - t.ns_per_step)
        .collect();
    let cpu = ok_samples(&timing, |t| t.cpu_ns_per_step);
    let seed = seed_for(&first.name);
    let timed = status == CellStatus::Ok;
    let oversubscribed = records.iter().find_map(|r| r.oversubscribed);
    let (reason, reason_code) = status_reason(status, &records, &timing);
    CellSummary {
        source,
        key: first.cell.clone(),
        name: first.name.clone(),
        status,
        reason,
        reason_code,
        violation,
        labels: cell_labels(&records, source_labels, oversubscribed),
        oversubscribed,
        ns: timed.then(|| Summary::of(&ns_samples, seed)).flatten(),
        cpu_ns: timed.then(|| Summary::of(&cpu, seed ^ 1)).flatten(),
        ns_samples: if timed { ns_samples } else { Vec::new() },
        cpu_ns_samples: if timed { cpu } else { Vec::new() },
        blocks: if timed { blocks } else { Vec::new() },
        reference_samples: if timed { reference_samples } else { Vec::new() },
        order_check_samples: if timed {
            order_check_samples
        } else {
            Vec::new()
        },
        interrupted: timing
            .iter()
            .filter(|r| r.status == Status::Interrupted)
            .count(),
        profile: profile_rec.and_then(|p| p.profile.clone()),
        profile_note: profile_note(profile_rec),
        stopping: profile_rec
            .filter(|_| timed)
            .and_then(|p| p.stopping.clone()),
        reference: profile_rec
            .filter(|_| timed)
            .and_then(|p| p.reference.clone()),
        reference_note: reference_note(&reference_lines),
        rate: rate(&timing),
    }
}

/// The passes a cell's timing lines checked (their own count, or the timed
/// passes in files written before it) and the one that failed at a pass, if
/// one did (a violation, or a failure whose line counts its passes; one
/// without either failed before any pass ran).
fn rate(timing: &[&CellRecord]) -> Rate {
    timing
        .iter()
        .map(|r| {
            let at_pass = r.violation.is_some() || r.passes.is_some();
            let broken = u64::from(r.status == Status::Failed && at_pass);
            Rate {
                broken,
                passes: r
                    .passes
                    .or(r.timing.as_ref().map(|t| t.iterations))
                    .unwrap_or(broken),
            }
        })
        .fold(Rate::default(), Rate::plus)
}

/// A cell's status from its timing lines: a control when a style that
/// promises no order broke it (`control`), failed when one failed or the
/// order broke anywhere, ok when one was timed, skipped when skipped or
/// never timed, interrupted otherwise.
fn cell_status(timing: &[&CellRecord], violated: bool, control: bool) -> CellStatus {
    let has = |s: Status| timing.iter().any(|r| r.status == s);
    if control {
        CellStatus::Control
    } else if has(Status::Failed) || violated {
        CellStatus::Failed
    } else if has(Status::Ok) {
        CellStatus::Ok
    } else if has(Status::Skipped) || timing.is_empty() {
        CellStatus::Skipped
    } else {
        CellStatus::Interrupted
    }
}

/// Why a cell has its status, with its code: the first failed line's
/// reason, or the first reason its timing lines give.
fn status_reason(
    status: CellStatus,
    records: &[&CellRecord],
    timing: &[&CellRecord],
) -> (Option<String>, Option<ReasonCode>) {
    let explained = match status {
        CellStatus::Failed | CellStatus::Control => {
            records.iter().copied().find(|r| r.status == Status::Failed)
        }
        CellStatus::Skipped if timing.is_empty() => None,
        _ => timing.iter().copied().find(|r| r.reason.is_some()),
    };
    let reason = match (status, explained) {
        (CellStatus::Skipped, None) => Some("no timing repetition recorded".into()),
        _ => explained.and_then(|r| r.reason.clone()),
    };
    (reason, explained.and_then(|r| r.reason_code))
}

/// One figure of every ok timing line, in file order.
fn ok_samples(timing: &[&CellRecord], figure: impl Fn(&Timing) -> f64) -> Vec<f64> {
    timing
        .iter()
        .filter(|r| r.status == Status::Ok)
        .filter_map(|r| r.timing.as_ref().map(&figure))
        .collect()
}

/// The cell's labels, each once: its lines', its source's, then its
/// oversubscription.
fn cell_labels(
    records: &[&CellRecord],
    source_labels: &[String],
    oversubscribed: Option<Oversubscribed>,
) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for label in records
        .iter()
        .flat_map(|r| r.labels.iter())
        .chain(source_labels)
        .cloned()
        .chain(oversubscribed.map(|o| o.to_string()))
    {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

/// What the report says of a missing or unsuccessful profile pass.
fn profile_note(profile: Option<&CellRecord>) -> Option<String> {
    match profile {
        None => Some("no profile pass recorded".to_string()),
        Some(p) if p.status != Status::Ok => Some(format!(
            "profile pass {}: {}",
            match p.status {
                Status::Failed => "failed",
                Status::Skipped => "skipped",
                _ => "interrupted",
            },
            p.reason.as_deref().unwrap_or("no reason given")
        )),
        Some(_) => None,
    }
}

/// What the report says when the raw reference loop failed beside the cell.
fn reference_note(reference_lines: &[&CellRecord]) -> Option<String> {
    reference_lines
        .iter()
        .find(|r| r.status == Status::Failed)
        .map(|r| {
            format!(
                "raw reference failed: {}",
                r.reason.as_deref().unwrap_or("no reason given")
            )
        })
}

/// Ranks of ops, modes and styles, so the report follows the config's order
/// (ops and modes, by first appearance) and the tool's own order of styles
/// (from the first header among the inputs that records its registry; by
/// first appearance in files written before it did), never the alphabet.
#[derive(Default)]
struct Order {
    ops: HashMap<String, usize>,
    modes: HashMap<String, usize>,
    styles: HashMap<String, usize>,
}

type SortKey = (
    usize,
    bool,
    u32,
    u32,
    u32,
    u32,
    String,
    usize,
    usize,
    String,
    String,
    usize,
);

impl Order {
    /// Takes the styles' order from a registry, before any cell is seen.
    fn registry(&mut self, registry: &Registry) {
        for (rank, style) in registry.styles.iter().enumerate() {
            self.styles.insert(style.name.clone(), rank);
        }
    }

    fn see(&mut self, key: &CellKey) {
        let n = self.ops.len();
        self.ops.entry(key.op.clone()).or_insert(n);
        let n = self.modes.len();
        self.modes.entry(key.mode.clone()).or_insert(n);
        let n = self.styles.len();
        self.styles.entry(key.style.clone()).or_insert(n);
    }

    fn key(&self, c: &CellSummary) -> SortKey {
        let k = &c.key;
        (
            self.ops[&k.op],
            k.forced_async,
            k.groups,
            k.steps,
            k.batch,
            k.submitters,
            k.sharing.clone(),
            self.modes[&k.mode],
            self.styles[&k.style],
            k.style.clone(),
            k.variant.clone(),
            c.source,
        )
    }
}
