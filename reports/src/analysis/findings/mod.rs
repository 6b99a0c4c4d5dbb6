//! Findings: the answers a study's data give to its question, each a typed
//! value computed from the results and rendered as one sentence by one
//! renderer ([`sentence`]), never written by hand.
//!
//! Five kinds; the first three answer the questions the studies ask, the
//! last two are what a plain sweep supports:
//! - a **contrast** ([`ContrastFinding`]): subject cells over their
//!   reference cells along an axis, each point the ratio of medians with its
//!   bootstrap interval and compare's test and minimum effect; the stretches
//!   of the axis where one verdict holds, and where the ranking flips;
//! - a **cost** ([`CostFinding`]): what a subject pays over its reference in
//!   ns/step and in multiples of a physical anchor, with probe counts per step;
//! - a **reproduction** ([`ReproductionFinding`]): whether cells held the
//!   order, broke it or failed, along an axis, against what the study expects,
//!   on the kernel they ran on;
//! - a **range** ([`RangeFinding`]): a style over link across every op and
//!   shape of one mode, by its lowest and highest ratio;
//! - a **broken order** ([`BrokenFinding`]): the cells of one mode and op
//!   where the kernel broke the order their styles asked for.
//!
//! A study's question asks for the first three ([`find`]); a plain sweep,
//! which asks none, gets the last two ([`find_in_sweep`]).
//!
//! A failed, skipped, interrupted or oversubscribed cell, on either side, is
//! never quoted as a number: it is named with its reason. The p-values of
//! every measured point of a study are adjusted together (Benjamini–Hochberg)
//! before compare's rule ([`crate::analysis::judgement::Change::verdict`]) judges each.

pub mod broken;
pub mod contrast;
pub mod cost;
pub mod outcome;
pub mod question;
pub mod range;
pub mod reproduction;
mod sentence;

pub use broken::BrokenFinding;
pub use contrast::ContrastFinding;
pub use cost::CostFinding;
pub use question::Question;
pub use range::RangeFinding;
pub use reproduction::ReproductionFinding;
pub use sentence::sentence;

use crate::analysis::judgement::{CompareOptions, Verdict};
use crate::analysis::kernels;
use crate::analysis::model::Report;
use crate::analysis::stats::benjamini_hochberg;
use outcome::{Measured, Outcome};

/// A study as the reports see it: its name (the title of findings.md) and
/// the question its findings answer.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyQuestion {
    /// The study's name, e.g. `message-vs-futex`.
    pub name: String,
    /// What it asks.
    pub question: Question,
}

/// One finding of a study, on one input of the report, and the inputs
/// (kernels) on which it holds alike.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index into [`Report::sources`]: the input whose figures it quotes.
    pub source: usize,
    /// What was found.
    pub kind: Kind,
    /// Every input on which the same finding holds (its verdicts, not its
    /// figures, alike), `source` among them, in input order: the kernels a
    /// sentence names.
    pub holds_on: Vec<usize>,
}

/// What a finding says without its figures: two findings of different
/// kernels that say the same are one finding holding on both.
#[derive(Debug, PartialEq)]
enum Claim<'f> {
    /// A style's range over link in a mode: its verdicts at both ends and
    /// the points it could not quote.
    Range {
        mode: &'f str,
        style: &'f str,
        lowest: Option<Verdict>,
        highest: Option<Verdict>,
        not_quoted: Vec<(&'static str, usize)>,
    },
    /// The kernel broke the order of these styles in a mode and op.
    Broken {
        mode: &'f str,
        op: &'f str,
        styles: &'f [String],
    },
}

/// The kinds of finding.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Subject over reference along an axis.
    Contrast(ContrastFinding),
    /// A cost in anchor multiples.
    Cost(CostFinding),
    /// A reproduction's outcome.
    Reproduction(ReproductionFinding),
    /// A style over link across one mode.
    Range(RangeFinding),
    /// A cell whose order the kernel broke.
    Broken(BrokenFinding),
}

impl Finding {
    /// A finding on one input, holding there.
    fn on(source: usize, kind: Kind) -> Finding {
        Finding {
            source,
            kind,
            holds_on: vec![source],
        }
    }

    /// What it says without its figures; none for a study's findings,
    /// which each kernel answers on its own.
    fn claim(&self) -> Option<Claim<'_>> {
        match &self.kind {
            Kind::Range(r) => Some(Claim::Range {
                mode: &r.mode,
                style: &r.style,
                lowest: r.lowest().map(|(_, m)| m.verdict),
                highest: r.highest().map(|(_, m)| m.verdict),
                not_quoted: r.not_quoted_words(),
            }),
            Kind::Broken(b) => Some(Claim::Broken {
                mode: &b.mode,
                op: &b.op,
                styles: &b.styles,
            }),
            Kind::Contrast(_) | Kind::Cost(_) | Kind::Reproduction(_) => None,
        }
    }

    /// Whether it can be told apart from the same finding on other kernels:
    /// a study's findings hold on their own kernel, and say nothing of
    /// the others.
    pub fn merges(&self) -> bool {
        self.claim().is_some()
    }

    /// The measured points of the finding, to adjust and judge.
    fn measured_mut(&mut self) -> Vec<&mut Measured> {
        let outcomes: Vec<&mut Outcome> = match &mut self.kind {
            Kind::Contrast(c) => c.points.iter_mut().map(|p| &mut p.outcome).collect(),
            Kind::Cost(c) => vec![&mut c.outcome],
            Kind::Range(r) => r.points.iter_mut().map(|p| &mut p.outcome).collect(),
            Kind::Reproduction(_) | Kind::Broken(_) => Vec::new(),
        };
        outcomes
            .into_iter()
            .filter_map(|o| match o {
                Outcome::Measured(m) => Some(m),
                Outcome::NotQuoted { .. } => None,
            })
            .collect()
    }

    /// Whether it is a style's range over link with no cell measured to
    /// rank (every one skipped or failed): a fact the per-kernel summary
    /// of a several-kernel report also states.
    pub fn measured_nothing(&self) -> bool {
        matches!(&self.kind, Kind::Range(r) if r.lowest().is_none())
    }

    /// The names of the cells whose numbers or outcome its sentence quotes,
    /// subject before reference, each once.
    pub fn cells(&self) -> Vec<&str> {
        let measured: Vec<&Measured> = match &self.kind {
            Kind::Contrast(c) => c
                .points
                .iter()
                .filter_map(|p| p.outcome.measured())
                .collect(),
            Kind::Cost(c) => c.outcome.measured().into_iter().collect(),
            Kind::Range(r) => r
                .lowest()
                .into_iter()
                .chain(r.highest())
                .map(|(_, m)| m)
                .collect(),
            Kind::Reproduction(_) => Vec::new(),
            // The first cell stands for the rest, which share its kernel,
            // mode and op: a table of every broken cell would crowd out the
            // timed ones.
            Kind::Broken(b) => return b.cells.iter().take(1).map(|(c, _)| c.as_str()).collect(),
        };
        let mut names: Vec<&str> = Vec::new();
        for m in measured {
            for name in [m.subject.as_str(), m.reference.as_str()] {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// How many measured points its p-values were adjusted over.
    pub fn measured_count(&self) -> usize {
        match &self.kind {
            Kind::Contrast(c) => c
                .points
                .iter()
                .filter(|p| p.outcome.measured().is_some())
                .count(),
            Kind::Cost(c) => usize::from(c.outcome.measured().is_some()),
            Kind::Range(r) => r.points.len() - r.not_quoted(),
            Kind::Reproduction(_) | Kind::Broken(_) => 0,
        }
    }
}

/// Adjusts the p-values of every measured point of `findings` together and
/// gives each its verdict by compare's rule.
fn judge(findings: &mut [Finding], opts: &CompareOptions) {
    let mut measured: Vec<&mut Measured> =
        findings.iter_mut().flat_map(|f| f.measured_mut()).collect();
    let p: Vec<f64> = measured.iter().map(|m| m.change.p).collect();
    for (m, q) in measured.iter_mut().zip(benjamini_hochberg(&p)) {
        m.change.q = q;
        m.verdict = m.change.verdict(opts);
    }
}

/// What a plain sweep's results can say without a question, input by
/// input: every cell whose order the kernel broke, then every style's range
/// over link per mode, judged as [`find`] judges a study's.
pub fn find_in_sweep(report: &Report, opts: &CompareOptions) -> Vec<Finding> {
    let mut findings = Vec::new();
    for source in 0..report.sources.len() {
        let ranges = range::ranges(report, source).into_iter().map(Kind::Range);
        let broken = broken::broken(report, source).into_iter().map(Kind::Broken);
        findings.extend(broken.chain(ranges).map(|kind| Finding::on(source, kind)));
    }
    judge(&mut findings, opts);
    across_kernels(report, findings)
}

/// The findings that say the same on several kernels made one, holding on
/// them all, in the place of the first; it quotes the figures of the kernel
/// first in [`kernels::preference`] (the newest real one).
fn across_kernels(report: &Report, findings: Vec<Finding>) -> Vec<Finding> {
    let rank = kernels::preference(report);
    let rank_of = |s: usize| rank.iter().position(|r| *r == s);
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let same = f.claim().and_then(|claim| {
            out.iter()
                .position(|o| !o.holds_on.contains(&f.source) && o.claim().as_ref() == Some(&claim))
        });
        let Some(i) = same else {
            out.push(f);
            continue;
        };
        let mut holds_on = out[i].holds_on.clone();
        holds_on.push(f.source);
        holds_on.sort_unstable();
        if rank_of(f.source) < rank_of(out[i].source) {
            out[i] = f;
        }
        out[i].holds_on = holds_on;
    }
    out
}

/// Every finding of `question` in `report`, input by input: its contrasts,
/// then its costs, then its reproductions, each judged by compare's rule
/// with `opts` after the study's p-values are adjusted together.
pub fn find(report: &Report, question: &Question, opts: &CompareOptions) -> Vec<Finding> {
    let mut findings = Vec::new();
    for source in 0..report.sources.len() {
        let mut push = |kind| findings.push(Finding::on(source, kind));
        for c in &question.contrast {
            contrast::contrast(report, source, c)
                .into_iter()
                .for_each(|f| push(Kind::Contrast(f)));
        }
        for c in &question.cost {
            cost::cost(report, source, c)
                .into_iter()
                .for_each(|f| push(Kind::Cost(f)));
        }
        for r in &question.reproduce {
            reproduction::reproduction(report, source, r)
                .into_iter()
                .for_each(|f| push(Kind::Reproduction(f)));
        }
    }
    judge(&mut findings, opts);
    findings
}
