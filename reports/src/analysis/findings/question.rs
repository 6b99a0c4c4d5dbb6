//! What a study asks, as its file's `[study]` table states it: the question,
//! where it was asked, and the comparisons whose findings answer it. Pure
//! data, read with serde; every way it can be wrong is a one-line error.

use crate::schema::CellKey;
use crate::schema::ReasonCode;
use crate::schema::ReproFinding;
use serde::Deserialize;

/// A study's question and the comparisons that answer it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question, in words.
    pub text: String,
    /// Where it was asked (thread, message, date), so a reader can check
    /// that the study answers what was asked.
    pub reference: String,
    /// Ratios of subject cells over their reference cells along an axis.
    #[serde(default)]
    pub contrast: Vec<Contrast>,
    /// Costs of subject cells over their reference in multiples of an anchor.
    #[serde(default)]
    pub cost: Vec<Cost>,
    /// Outcomes of cells that reproduce (or must not show) a kernel behaviour.
    #[serde(default)]
    pub reproduce: Vec<Reproduction>,
}

/// Subject cells set against the cell a [`Pin`] makes of each: one finding
/// per metric and per point of the other axes, running along `axis`.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Contrast {
    /// Which cells are the subject.
    pub subject: Selector,
    /// What changes in a subject cell's coordinates to make its reference.
    pub reference: Pin,
    /// The axis a finding runs along: where its verdict holds and flips.
    pub axis: Axis,
    /// Which metrics to set side by side (default: wall ns/step).
    #[serde(default = "wall")]
    pub metrics: Vec<Metric>,
}

fn wall() -> Vec<Metric> {
    vec![Metric::Wall]
}

/// What a subject cell costs over its reference in ns/step, in multiples of
/// a physical anchor, with the probes' counts per step beside it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Which cells are the subject.
    pub subject: Selector,
    /// What changes in a subject cell's coordinates to make its reference.
    pub reference: Pin,
    /// The anchor of the results header the cost is counted in
    /// (e.g. `cache_line_round_trip`).
    pub anchor: String,
    /// Profile-pass probes to show per step for both cells (e.g. `wakeups_cross_cpu`).
    #[serde(default)]
    pub probes: Vec<String>,
}

/// Cells whose outcome is the finding: whether the order held, broke or the
/// run failed, along `axis`, against what the study expects.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reproduction {
    /// Which cells.
    pub cells: Selector,
    /// The axis the outcome is told along (e.g. `steps`: the chain length).
    pub axis: Axis,
    /// What the study expects of them.
    pub expect: Expect,
    /// Read from the order violations where the kernel cut a chain: the
    /// first step of the part that overtook is the count of SQEs it
    /// submitted before the cut.
    #[serde(default)]
    pub cut: bool,
    /// The reason code the expected failure carries (e.g. `lost_wakeup`):
    /// with it, a cell that failed for another reason is not the failure the
    /// study reproduces. Absent: any failure is.
    #[serde(default)]
    pub code: Option<ReasonCode>,
    /// The least share of its passes (0 to 1) in which a cell must show the
    /// expected break for a violation or failure to count as reproduced:
    /// a finding that reproduces once in a million passes is another claim
    /// than one that reproduces in every tenth. Absent: any share.
    #[serde(default, deserialize_with = "share")]
    pub min_rate: Option<f64>,
}

impl Reproduction {
    /// Whether the study expects some of its cells to break (a violation
    /// or a failure): those are the cells a reproducer is built for.
    pub fn expects_break(&self) -> bool {
        self.expect != Expect::Held
    }

    /// The findings of study `study` that `keys`, cells this reproduction
    /// takes, belong to, one per key in order, as its reproducers' runs
    /// record them: cells sharing every coordinate but the axis (a batch
    /// that is the whole stream aside) are one finding, named by the
    /// coordinates they share, as the study's own findings group and name
    /// them (`contrast::along`, [`place`]).
    pub fn findings(&self, study: &str, keys: &[&CellKey]) -> Vec<ReproFinding> {
        let off_axis = |k: &CellKey| super::contrast::without(self.axis, k);
        keys.iter()
            .map(|key| {
                let group: Vec<&CellKey> = keys
                    .iter()
                    .copied()
                    .filter(|k| off_axis(k) == off_axis(key))
                    .collect();
                ReproFinding {
                    study: study.to_string(),
                    place: place(&group, Some(self.axis)),
                    axis: self.axis.name().to_string(),
                    value: self.axis.value(key),
                }
            })
            .collect()
    }
}

/// Reads a share of passes, refusing what is not one.
fn share<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&value) {
        Ok(Some(value))
    } else {
        Err(serde::de::Error::custom(format!(
            "min_rate: {value} is not a share of passes (0 to 1)"
        )))
    }
}

/// What a reproduction expects.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Every cell keeps the order.
    Held,
    /// Some cell breaks the order (a recorded violation).
    Violation,
    /// Some cell fails, by an order violation or an error of its own.
    Failed,
}

impl Expect {
    /// How the expectation reads in a sentence.
    pub fn words(self) -> &'static str {
        match self {
            Expect::Held => "the order to hold",
            Expect::Violation => "an order violation",
            Expect::Failed => "a failure",
        }
    }

    /// The expectation with the code a failure must carry, in a sentence.
    pub fn words_with(self, code: Option<ReasonCode>) -> String {
        match (self, code) {
            (Expect::Failed, Some(code)) => format!("a failure coded {code}"),
            _ => self.words().to_string(),
        }
    }
}

/// Which metric of a cell's repetitions a contrast compares.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Wall ns/step.
    Wall,
    /// CPU ns/step (every thread of the process, io_uring's included).
    Cpu,
}

impl Metric {
    /// Its name in sentences.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Wall => "wall ns/step",
            Metric::Cpu => "CPU ns/step",
        }
    }
}

/// An axis of the sweep, as findings run along it.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Axis {
    /// Style with its variant.
    Style,
    /// Mode.
    Mode,
    /// Op (with `+async`).
    Op,
    /// Groups.
    Groups,
    /// Steps per group.
    Steps,
    /// Steps per submission.
    Batch,
    /// Submitter threads.
    Submitters,
}

/// Every axis, in the order a cell's name writes them.
pub const AXES: [Axis; 7] = [
    Axis::Style,
    Axis::Mode,
    Axis::Op,
    Axis::Groups,
    Axis::Steps,
    Axis::Batch,
    Axis::Submitters,
];

impl Axis {
    /// Its name in sentences and study files.
    pub fn name(self) -> &'static str {
        match self {
            Axis::Style => "style",
            Axis::Mode => "mode",
            Axis::Op => "op",
            Axis::Groups => "groups",
            Axis::Steps => "steps",
            Axis::Batch => "batch",
            Axis::Submitters => "submitters",
        }
    }

    /// Whether its values are counts (ranges read `1–8`), not names.
    pub fn count_axis(self) -> bool {
        !matches!(self, Axis::Style | Axis::Mode | Axis::Op)
    }

    /// The count a cell has on this axis, for the axes that are counts.
    pub fn count(self, key: &CellKey) -> Option<u32> {
        match self {
            Axis::Groups => Some(key.groups),
            Axis::Steps => Some(key.steps),
            Axis::Batch => Some(key.batch),
            Axis::Submitters => Some(key.submitters),
            Axis::Style | Axis::Mode | Axis::Op => None,
        }
    }

    /// A cell's value on this axis as its name writes it (`sync-group:queue`,
    /// `nop+async`, `16`).
    pub fn value(self, key: &CellKey) -> String {
        match self {
            Axis::Style if key.variant.is_empty() => key.style.clone(),
            Axis::Style => format!("{}:{}", key.style, key.variant),
            Axis::Mode => key.mode.clone(),
            Axis::Op if key.forced_async => format!("{}+async", key.op),
            Axis::Op => key.op.clone(),
            _ => self.count(key).unwrap_or_default().to_string(),
        }
    }

    /// The value as a coordinate of a cell's description: `g4`, `s16`, `b8`,
    /// `t1` for the counts, the value itself otherwise.
    pub fn coordinate(self, key: &CellKey) -> String {
        let prefix = match self {
            Axis::Groups => "g",
            Axis::Steps => "s",
            Axis::Batch => "b",
            Axis::Submitters => "t",
            Axis::Style | Axis::Mode | Axis::Op => "",
        };
        format!("{prefix}{}", self.value(key))
    }
}

/// Which cells: for each axis it names, the values a cell may have there
/// (a bare style name takes all its variants); an axis it leaves out takes
/// every value.
#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Styles, bare (`futex`) or with a variant (`futex:shared`).
    pub style: Option<Vec<String>>,
    /// Modes.
    pub mode: Option<Vec<String>>,
    /// Ops.
    pub op: Option<Vec<String>>,
    /// Group counts.
    pub groups: Option<Vec<u32>>,
    /// Steps per group.
    pub steps: Option<Vec<u32>>,
    /// Steps per submission.
    pub batch: Option<Vec<u32>>,
    /// Submitter threads.
    pub submitters: Option<Vec<u32>>,
}

impl Selector {
    /// Whether the cell is one of these.
    pub fn matches(&self, key: &CellKey) -> bool {
        let any = |values: &Option<Vec<String>>, axis: Axis| {
            values
                .as_ref()
                .is_none_or(|v| v.iter().any(|x| *x == axis.value(key)))
        };
        let count = |values: &Option<Vec<u32>>, axis: Axis| {
            values
                .as_ref()
                .is_none_or(|v| axis.count(key).is_some_and(|c| v.contains(&c)))
        };
        let style = self.style.as_ref().is_none_or(|styles| {
            styles
                .iter()
                .any(|s| *s == key.style || *s == Axis::Style.value(key))
        });
        style
            && any(&self.mode, Axis::Mode)
            && any(&self.op, Axis::Op)
            && count(&self.groups, Axis::Groups)
            && count(&self.steps, Axis::Steps)
            && count(&self.batch, Axis::Batch)
            && count(&self.submitters, Axis::Submitters)
    }
}

/// The coordinates that change to make a subject cell's reference; those it
/// leaves out stay the subject's.
#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The reference's style, with its variant when it has one.
    pub style: Option<String>,
    /// The reference's mode.
    pub mode: Option<String>,
    /// The reference's op.
    pub op: Option<String>,
    /// The reference's group count.
    pub groups: Option<u32>,
    /// The reference's steps per group.
    pub steps: Option<u32>,
    /// The reference's batch.
    pub batch: Option<u32>,
    /// The reference's submitters.
    pub submitters: Option<u32>,
}

impl Pin {
    /// The reference of a subject cell.
    pub fn apply(&self, key: &CellKey) -> CellKey {
        let mut out = key.clone();
        if let Some(style) = &self.style {
            let (name, variant) = style.split_once(':').unwrap_or((style, ""));
            out.style = name.to_string();
            out.variant = variant.to_string();
        }
        if let Some(mode) = &self.mode {
            out.mode = mode.clone();
        }
        if let Some(op) = &self.op {
            let (name, forced_async) = match op.strip_suffix("+async") {
                Some(name) => (name, true),
                None => (op.as_str(), false),
            };
            out.op = name.to_string();
            out.forced_async = forced_async;
        }
        out.groups = self.groups.unwrap_or(out.groups);
        out.steps = self.steps.unwrap_or(out.steps);
        out.batch = self.batch.unwrap_or(out.batch);
        out.submitters = self.submitters.unwrap_or(out.submitters);
        out
    }
}

/// How the cells of a finding read: the coordinates they all share (but the
/// axis the finding runs along) as its place, e.g. `default/nop g1-s16-t1`.
pub fn place(keys: &[&CellKey], along: Option<Axis>) -> String {
    let Some(key) = keys.first() else {
        return String::new();
    };
    let shared: Vec<Axis> = AXES
        .into_iter()
        .filter(|&a| Some(a) != along && keys.iter().all(|k| a.value(k) == a.value(key)))
        .collect();
    let join = |axes: &[Axis], sep: &str| {
        axes.iter()
            .filter(|a| shared.contains(a))
            .map(|a| a.coordinate(key))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let names = join(&[Axis::Style, Axis::Mode, Axis::Op], "/");
    let shape = join(
        &[Axis::Groups, Axis::Steps, Axis::Batch, Axis::Submitters],
        "-",
    );
    [names, shape]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The coordinates in which `key` differs from `other`, e.g. `sync-group:queue`,
/// `sqpoll` or `batch 64`; the axis a finding runs along reads `each batch`
/// when `key` is the subject, whose value there varies.
pub fn difference(key: &CellKey, other: &CellKey, along: Option<Axis>, subject: bool) -> String {
    let parts: Vec<String> = AXES
        .into_iter()
        .filter(|&a| a.value(key) != a.value(other))
        .map(|a| {
            if subject && Some(a) == along {
                format!("each {}", a.name())
            } else if a.count(key).is_some() {
                format!("{} {}", a.name(), a.value(key))
            } else {
                a.value(key)
            }
        })
        .collect();
    parts.join(" ")
}
