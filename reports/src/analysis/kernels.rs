//! The kernel axis of a report of several results files: which styles ran
//! on each kernel and which were skipped, and why; and the cells set side
//! by side across kernels, each kernel's change against a base kernel
//! judged by compare's own test ([`crate::analysis::judgement::compare_pairs`]).
//!
//! Kernels are compared only within a block of like machines: the real
//! (non-emulated) kernels with each other, the emulated ones with each
//! other, never one with the other, since emulation's timings say nothing
//! of a real machine's. A block's base is its newest kernel release (by the
//! numbers it starts with, `7.2.13+deb14` after `6.12.9`), the first file
//! among equals; every other kernel of the block is compared with it. A
//! block of one kernel stands alone.

use crate::analysis::judgement::{
    compare_pairs, CellComparison, CompareOptions, Verdict, VERDICTS,
};
use crate::analysis::model::{CellStatus, CellSummary, Report, EMULATED_MACHINE_LABEL};
use crate::schema::{Machine, ReasonCode};

/// The kernels of a report that may be compared with each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Whether they ran under software emulation.
    pub emulated: bool,
    /// The source every other is compared with: the newest release.
    pub base: usize,
    /// The other sources of the block, in file order.
    pub others: Vec<usize>,
}

impl Block {
    /// The block's sources, base first.
    pub fn sources(&self) -> Vec<usize> {
        std::iter::once(self.base)
            .chain(self.others.iter().copied())
            .collect()
    }

    /// `real kernels` or `emulated kernels (emulated: timings not comparable)`.
    pub fn title(&self) -> String {
        match self.emulated {
            true => format!("emulated kernels ({EMULATED_MACHINE_LABEL})"),
            false => "real kernels".to_string(),
        }
    }
}

/// The numbers a kernel release starts with (`7.2.13+deb14-cloud-amd64`
/// gives 7, 2, 13): what "newest" is decided by.
pub fn release_numbers(release: &str) -> Vec<u64> {
    release
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or_default()
        .split('.')
        .map_while(|n| n.parse().ok())
        .collect()
}

/// The report's blocks of comparable kernels: the real kernels' first,
/// then the emulated ones'; each with its newest release as its base.
pub fn blocks(report: &Report) -> Vec<Block> {
    [false, true]
        .into_iter()
        .filter_map(|emulated| {
            let sources: Vec<usize> = (0..report.sources.len())
                .filter(|&s| report.sources[s].header.machine.emulated == emulated)
                .collect();
            let release = |s: usize| release_numbers(&report.sources[s].header.machine.kernel);
            // The first of the newest: max_by_key keeps the last of equals.
            let base = sources.iter().rev().copied().max_by_key(|&s| release(s))?;
            Some(Block {
                emulated,
                base,
                others: sources.into_iter().filter(|&s| s != base).collect(),
            })
        })
        .collect()
}

/// The sources in the order a finding that holds on several picks the one
/// whose figures it quotes: the real kernels' base first, then their other
/// kernels, then the emulated block the same way.
pub fn preference(report: &Report) -> Vec<usize> {
    blocks(report).iter().flat_map(Block::sources).collect()
}

/// A style's cells on one kernel that were skipped for one reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The style with its variant.
    pub style: String,
    /// The code they were skipped with (none in files written before codes).
    pub code: Option<ReasonCode>,
    /// How many of the style's cells it skipped.
    pub cells: usize,
    /// How many cells the style has on that kernel.
    pub of: usize,
}

/// Which styles ran on one kernel and which were skipped, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSummary {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// The styles that ran at least one cell (timed, failed or a control),
    /// in report order.
    pub ran: Vec<String>,
    /// The skipped cells, by style and code, in report order.
    pub skipped: Vec<Skipped>,
}

/// Every kernel's summary, computed from its cells.
pub fn summaries(report: &Report) -> Vec<KernelSummary> {
    (0..report.sources.len())
        .map(|source| {
            let mut ran: Vec<String> = Vec::new();
            let mut skipped: Vec<Skipped> = Vec::new();
            let cells = report.cells.iter().filter(|c| c.source == source);
            for c in cells.clone() {
                let style = c.parts().style;
                if c.status != CellStatus::Skipped {
                    if !ran.contains(&style) {
                        ran.push(style);
                    }
                    continue;
                }
                match skipped
                    .iter_mut()
                    .find(|s| s.style == style && s.code == c.reason_code)
                {
                    Some(s) => s.cells += 1,
                    None => skipped.push(Skipped {
                        of: cells.clone().filter(|o| o.parts().style == style).count(),
                        style,
                        code: c.reason_code,
                        cells: 1,
                    }),
                }
            }
            KernelSummary {
                source,
                ran,
                skipped,
            }
        })
        .collect()
}

impl KernelSummary {
    /// One line: `6.1 (bookworm 6.1.176-1, emulated): ran link, userspace; skipped
    /// futex:shared in 12 of 12 cells [unsupported]`.
    pub fn line(&self, report: &Report) -> String {
        let ran = match self.ran.is_empty() {
            true => "no style ran".to_string(),
            false => format!("ran {}", self.ran.join(", ")),
        };
        let skipped: Vec<String> = self
            .skipped
            .iter()
            .map(|s| {
                let code = s.code.map_or("no code".to_string(), |c| c.to_string());
                let cells = match s.cells == s.of {
                    true => format!("all {} cells", s.of),
                    false => format!("{} of {} cells", s.cells, s.of),
                };
                format!("{} in {cells} [{code}]", s.style)
            })
            .collect();
        let skipped = match skipped.is_empty() {
            true => "; nothing skipped".to_string(),
            false => format!("; skipped {}", skipped.join(", ")),
        };
        format!("{}: {ran}{skipped}", kernel_described(report, self.source))
    }
}

/// The distribution package a kernel was booted from, as `bookworm
/// 6.1.176-1`: none when the header does not name one (a machine's own
/// kernel, files written before it was recorded).
pub fn package(machine: &Machine) -> Option<String> {
    machine
        .kernel_package
        .as_ref()
        .map(|p| format!("{} {}", p.suite, p.version))
}

/// A kernel's label with what tells it apart from a like-named one: the
/// package it was booted from and whether it ran emulated, as the
/// per-kernel summary names it (`6.1.0-50-cloud-amd64 (bookworm 6.1.176-1,
/// emulated)`); the label alone when it has neither.
pub fn kernel_described(report: &Report, source: usize) -> String {
    let src = &report.sources[source];
    let m = &src.header.machine;
    let about: Vec<String> = package(m)
        .into_iter()
        .chain(m.emulated.then(|| "emulated".to_string()))
        .collect();
    match about.is_empty() {
        true => src.label.clone(),
        false => format!("{} ({})", src.label, about.join(", ")),
    }
}

/// A kernel's label, with the emulation label when it ran emulated.
pub fn kernel_name(report: &Report, source: usize) -> String {
    let src = &report.sources[source];
    match src.header.machine.emulated {
        true => format!("{} ({EMULATED_MACHINE_LABEL})", src.label),
        false => src.label.clone(),
    }
}

/// One kernel's cell in a [`CellAcross`].
#[derive(Clone, Debug)]
pub struct KernelCell<'r> {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// The cell on that kernel.
    pub cell: &'r CellSummary,
    /// Compare's verdict on it against the base kernel's (none on the base
    /// itself, and where the base has no such cell).
    pub versus: Option<CellComparison>,
}

/// One cell on every kernel of a block that has it, base first.
#[derive(Clone, Debug)]
pub struct CellAcross<'r> {
    /// The cell's name.
    pub name: String,
    /// The kernels that have it.
    pub kernels: Vec<KernelCell<'r>>,
}

/// One kernel of a block against the block's base: how many cells got
/// each verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairCount {
    /// The kernel compared.
    pub source: usize,
    /// Each verdict with its count, in [`VERDICTS`] order, zeros left out.
    pub verdicts: Vec<(Verdict, usize)>,
    /// Cells of the base the kernel does not have, and the reverse.
    pub unmatched: usize,
}

/// A block of kernels set side by side: every cell on each, each kernel's
/// change against the base.
#[derive(Clone, Debug)]
pub struct Between<'r> {
    /// The kernels.
    pub block: Block,
    /// Every cell any of them has, in report order.
    pub cells: Vec<CellAcross<'r>>,
    /// Each other kernel's verdicts against the base.
    pub counts: Vec<PairCount>,
}

/// How a kernel-to-kernel verdict is worded: the candidate is the kernel
/// set against the base, so a regression reads `slower`.
pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Regression => "slower",
        Verdict::Improvement => "faster",
        Verdict::Broken => "BROKEN",
        other => other.word(),
    }
}

/// Every block of two kernels or more, side by side; each other kernel
/// compared with the base as `bench-runner compare BASE OTHER` would, its
/// p-values adjusted over its own cells.
pub fn between<'r>(report: &'r Report, opts: &CompareOptions) -> Vec<Between<'r>> {
    blocks(report)
        .into_iter()
        .filter(|b| !b.others.is_empty())
        .map(|block| {
            let of = |s: usize| report.cells.iter().filter(move |c| c.source == s);
            let mut counts = Vec::new();
            let mut versus: Vec<(usize, CellComparison)> = Vec::new();
            for &other in &block.others {
                let pairs: Vec<_> = of(block.base)
                    .filter_map(|b| Some((b, report.find(other, &b.name)?)))
                    .collect();
                let matched = pairs.len();
                let compared = compare_pairs(pairs, opts);
                counts.push(PairCount {
                    source: other,
                    verdicts: VERDICTS
                        .iter()
                        .map(|v| (*v, compared.iter().filter(|c| c.verdict == *v).count()))
                        .filter(|(_, n)| *n > 0)
                        .collect(),
                    unmatched: of(block.base).count() + of(other).count() - 2 * matched,
                });
                versus.extend(compared.into_iter().map(|c| (other, c)));
            }
            let sources = block.sources();
            let mut cells: Vec<CellAcross> = Vec::new();
            for c in report.cells.iter().filter(|c| sources.contains(&c.source)) {
                let at = match cells.iter().position(|x| x.name == c.name) {
                    Some(i) => i,
                    None => {
                        cells.push(CellAcross {
                            name: c.name.clone(),
                            kernels: Vec::new(),
                        });
                        cells.len() - 1
                    }
                };
                let found = versus
                    .iter()
                    .position(|(s, v)| *s == c.source && v.name == c.name);
                cells[at].kernels.push(KernelCell {
                    source: c.source,
                    cell: c,
                    versus: found.map(|i| versus.swap_remove(i).1),
                });
            }
            for across in &mut cells {
                across
                    .kernels
                    .sort_by_key(|k| sources.iter().position(|s| *s == k.source));
            }
            Between {
                block,
                cells,
                counts,
            }
        })
        .collect()
}

impl PairCount {
    /// `6.1 against 7.2: 72 cells compared: 3 slower, 60 no significant
    /// change, 2 on one kernel only`.
    pub fn line(&self, report: &Report, base: usize) -> String {
        format!(
            "{} against {}: {}",
            report.sources[self.source].label,
            report.sources[base].label,
            self.counts()
        )
    }

    /// `72 cells compared: 3 slower, 60 no significant change`: the counts
    /// without the kernels, for where the base is named once above them.
    /// A count of cells without a change says "no significant change": the
    /// test found none, which is not a measured absence of one.
    pub fn counts(&self) -> String {
        let mut parts: Vec<String> = self
            .verdicts
            .iter()
            .map(|(v, n)| match v {
                Verdict::NoChange => format!("{n} no significant change"),
                v => format!("{n} {}", verdict_word(*v)),
            })
            .collect();
        if self.unmatched > 0 {
            parts.push(format!("{} on one kernel only", self.unmatched));
        }
        let total: usize = self.verdicts.iter().map(|(_, n)| n).sum();
        format!("{total} cells compared: {}", parts.join(", "))
    }
}

impl CellAcross<'_> {
    /// Whether any kernel's change against the base is one to act on or
    /// to read: slower, faster or newly broken.
    pub fn changed(&self) -> bool {
        self.kernels.iter().any(|k| {
            k.versus.as_ref().is_some_and(|v| {
                matches!(
                    v.verdict,
                    Verdict::Regression | Verdict::Improvement | Verdict::Broken
                )
            })
        })
    }
}

/// The sources in a block of their own: nothing to compare them with.
pub fn alone(report: &Report) -> Vec<Block> {
    blocks(report)
        .into_iter()
        .filter(|b| b.others.is_empty())
        .collect()
}

/// What the report says of a kernel that stands alone.
pub fn alone_line(report: &Report, block: &Block) -> String {
    let other = match block.emulated {
        true => "no other emulated kernel",
        false => "no other real kernel",
    };
    format!(
        "{} stands alone: {other} to compare it with",
        kernel_name(report, block.base)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_numbers_are_the_leading_dotted_numbers() {
        assert_eq!(release_numbers("7.2.13+deb14-cloud-amd64"), [7, 2, 13]);
        assert_eq!(release_numbers("6.1.0-37-cloud-amd64"), [6, 1, 0]);
        assert_eq!(release_numbers("6.18.44-fc-v669"), [6, 18, 44]);
        assert_eq!(release_numbers("6.12"), [6, 12]);
        assert!(release_numbers("6.12") > release_numbers("6.2.9"));
        assert!(release_numbers("host").is_empty());
    }
}
