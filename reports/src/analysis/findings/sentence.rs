//! The one renderer of findings: each finding becomes one sentence, every
//! number in it read from the finding, every unquoted cell named with why.

use super::contrast::{ContrastFinding, Point, Stretch};
use super::cost::CostFinding;
use super::outcome::{Measured, Outcome, Side};
use super::question::Axis;
use super::range::{RangeFinding, RangePoint};
use super::reproduction::{Observed, ReproductionFinding};
use super::BrokenFinding;
use super::{Finding, Kind};
use crate::analysis::judgement::Verdict;
use crate::analysis::kernels::{self, kernel_name};
use crate::analysis::model::{Report, EMULATED_MACHINE_LABEL};
use crate::analysis::stats::Rate;
use crate::format::{num, ratio, thousands};
use crate::schema::ViolationRecord;

/// The finding as one sentence.
pub fn sentence(report: &Report, finding: &Finding) -> String {
    let source = &report.sources[finding.source];
    let prefix = if report.multi() {
        kernels_prefix(report, finding)
    } else if source.header.machine.emulated {
        "(emulated: timings not comparable) ".to_string()
    } else {
        String::new()
    };
    let body = match &finding.kind {
        Kind::Contrast(c) => contrast(c),
        Kind::Cost(c) => cost(c),
        Kind::Reproduction(r) => reproduction(r),
        Kind::Range(r) => range(r),
        Kind::Broken(b) => broken(b),
    };
    format!("{prefix}{body}.")
}

/// The kernels a finding of a several-kernel report holds on: `On every
/// kernel (figures from K): `, `On every emulated kernel (figures from K): `
/// (or real: every kernel of one kind, when there are both), `On K1, K2
/// (figures from K2): `, `On K1, K2: ` when nothing was measured, `On K only: `
/// (only when the same finding on another kernel would have been merged
/// with it), or `On K: ` for a study's, which answers for its own kernel.
fn kernels_prefix(report: &Report, finding: &Finding) -> String {
    let source = &report.sources[finding.source];
    let quoted = match source.header.machine.emulated {
        true => format!("{}, {EMULATED_MACHINE_LABEL}", source.label),
        false => source.label.clone(),
    };
    if finding.measured_nothing() {
        // No figures to quote, nor timings to warn of: the kernels alone.
        let names: Vec<&str> = finding
            .holds_on
            .iter()
            .map(|&s| report.sources[s].label.as_str())
            .collect();
        return format!("On {}: ", names.join(", "));
    }
    match finding.holds_on.as_slice() {
        [_] if finding.merges() => format!("On {} only: ", kernel_name(report, finding.source)),
        [_] => format!("On {}: ", kernel_name(report, finding.source)),
        all if all.len() == report.sources.len() => {
            format!("On every kernel (figures from {quoted}): ")
        }
        // Every kernel of one kind, where there are both: the kind names
        // them, and says the emulated ones' figures are emulation's.
        some if kernels::blocks(report).len() > 1
            && kernels::blocks(report).iter().any(|b| {
                let mut all = b.sources();
                all.sort_unstable();
                all == some
            }) =>
        {
            let kind = match source.header.machine.emulated {
                true => "emulated",
                false => "real",
            };
            format!("On every {kind} kernel (figures from {}): ", source.label)
        }
        some => {
            let names: Vec<&str> = some
                .iter()
                .map(|&s| report.sources[s].label.as_str())
                .collect();
            format!("On {} (figures from {quoted}): ", names.join(", "))
        }
    }
}

/// `at batch 1–8` for counts, `at mode default, sqpoll` for names.
fn span(axis: Axis, values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => format!("at {} {one}", axis.name()),
        [first, .., last] if axis.count_axis() => format!("at {} {first}–{last}", axis.name()),
        many => format!("at {} {}", axis.name(), many.join(", ")),
    }
}

/// `q 0.003`, `q < 0.001`, or with `bound` (`≤`, `≥`) for a stretch's largest
/// or smallest q: `q ≤ 0.003`.
fn q_text(q: f64, bound: &str) -> String {
    if q < 0.001 {
        "q < 0.001".into()
    } else {
        format!("q {bound}{q:.3}")
    }
}

/// `0.52x [0.50, 0.55]`.
fn ratio_ci(m: &Measured) -> String {
    format!(
        "{} [{}, {}]",
        ratio(m.change.ratio),
        ratio(m.change.ci.lo).trim_end_matches('x'),
        ratio(m.change.ci.hi).trim_end_matches('x')
    )
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Improvement => "lower",
        Verdict::Regression => "higher",
        Verdict::Inconclusive => "inconclusive (too few repetitions for significance)",
        _ => "no significant difference",
    }
}

fn not_quoted(side: Side, word: &str, reason: &Option<String>) -> String {
    let who = match side {
        Side::Subject => "",
        Side::Reference => "its reference ",
    };
    match reason {
        Some(r) => format!("{who}{word} ({r})"),
        None => format!("{who}{word}"),
    }
}

fn stretch<'a>(axis: Axis, s: &Stretch<'a>) -> String {
    match s {
        Stretch::NotQuoted(point) => match &point.outcome {
            Outcome::NotQuoted { side, word, reason } => format!(
                "{} not quoted: {}",
                span(axis, &[point.value.as_str()]),
                not_quoted(*side, word, reason)
            ),
            Outcome::Measured(_) => unreachable!("a measured point is never a NotQuoted stretch"),
        },
        Stretch::Verdict(v, points) => {
            let values: Vec<&str> = points.iter().map(|p| p.value.as_str()).collect();
            let m = |p: &'a Point| p.outcome.measured().expect("a verdict stretch is measured");
            let (first, last) = (m(points[0]), m(points[points.len() - 1]));
            let numbers = if points.len() == 1 {
                format!("{}, {}", ratio_ci(first), q_text(first.change.q, ""))
            } else {
                let qs = points.iter().map(|p| m(p).change.q);
                let q = match v {
                    Verdict::Improvement | Verdict::Regression => {
                        q_text(qs.fold(0.0, f64::max), "≤ ")
                    }
                    _ => q_text(qs.fold(1.0, f64::min), "≥ "),
                };
                format!(
                    "{} at {} to {} at {}, {q}",
                    ratio_ci(first),
                    values[0],
                    ratio_ci(last),
                    values[values.len() - 1]
                )
            };
            format!("{} {} ({numbers})", verdict_word(*v), span(axis, &values))
        }
    }
}

fn contrast(c: &ContrastFinding) -> String {
    let stretches: Vec<String> = c.stretches().iter().map(|s| stretch(c.axis, s)).collect();
    let flips = c.flips();
    let measured = c.points.iter().any(|p| p.outcome.measured().is_some());
    let ending = if !flips.is_empty() {
        let between: Vec<String> = flips
            .iter()
            .map(|f| format!("{} {} and {}", c.axis.name(), f.from.value, f.to.value))
            .collect();
        format!(
            "the ranking flips between {}",
            between.join(", and again between ")
        )
    } else if measured {
        format!("the ranking does not flip along {}", c.axis.name())
    } else {
        "nothing measured to rank".to_string()
    };
    format!(
        "{}: {} of {} over {}: {}; {ending}",
        c.place,
        c.metric.name(),
        c.subject,
        c.reference,
        stretches.join(", ")
    )
}

fn cost(c: &CostFinding) -> String {
    let head = format!("{}: {} over {}", c.place, c.subject, c.reference);
    let m = match &c.outcome {
        Outcome::NotQuoted { side, word, reason } => {
            return format!("{head}: not quoted: {}", not_quoted(*side, word, reason))
        }
        Outcome::Measured(m) => m,
    };
    let mut out = format!(
        "{head}: {} ({}, {})",
        ratio_ci(m),
        verdict_word(m.verdict),
        q_text(m.change.q, "")
    );
    if let Some((d, ci)) = c.difference {
        out.push_str(&format!(
            ", {} ns/step [{}, {}]",
            signed(d),
            signed(ci.lo),
            signed(ci.hi)
        ));
        match &c.anchor.ns {
            Ok(ns) => out.push_str(&format!(
                ", {}x [{}, {}] the {} anchor ({} ns)",
                num(d / ns),
                num(ci.lo / ns),
                num(ci.hi / ns),
                c.anchor.name,
                num(*ns)
            )),
            Err(why) => out.push_str(&format!(", the {} anchor: {why}", c.anchor.name)),
        }
    }
    let probes: Vec<String> = c
        .probes
        .iter()
        .map(|p| {
            let v = |x: Option<f64>| x.map_or("none".to_string(), num);
            format!("{} {} against {}", p.name, v(p.subject), v(p.reference))
        })
        .collect();
    if !probes.is_empty() {
        out.push_str(&format!("; per step, {}", probes.join(", ")));
    }
    if let Some(why) = &c.probes_missing {
        out.push_str(&format!("; probes: {why}"));
    }
    out
}

fn signed(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", num(v))
    } else {
        num(v)
    }
}

/// A count of passes in words: "in all 4,096 passes", or "in 3 of 4,096
/// passes, 0.1%, 95% CI 0.0-0.2%"; `None` when no pass was counted.
pub fn rate_words(rate: Rate) -> Option<String> {
    match (rate.broken, rate.passes) {
        (_, 0) => None,
        (0, 1) => Some("in its one pass".into()),
        (0, n) => Some(format!("in all {} passes", thousands(n))),
        (k, n) => {
            let ci = rate.wilson95();
            Some(format!(
                "in {} of {} passes, {}, 95% CI {}-{}",
                thousands(k),
                thousands(n),
                percent(rate.share()),
                percent_bare(ci.lo),
                percent(ci.hi)
            ))
        }
    }
}

/// A share as a percentage: one decimal, two under 0.1%.
fn percent(share: f64) -> String {
    format!("{}%", percent_bare(share))
}

fn percent_bare(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.1 {
        format!("{p:.2}")
    } else {
        format!("{p:.1}")
    }
}

/// The word a case is grouped by.
fn observed_word(o: &Observed) -> &'static str {
    match o {
        Observed::Held => "held",
        Observed::Broken(_) => "order broken",
        Observed::Failed(..) => "failed",
        Observed::NotRun(word, _) => word,
    }
}

fn reproduction(r: &ReproductionFinding) -> String {
    let mut stretches: Vec<(&'static str, Vec<&super::reproduction::Case>)> = Vec::new();
    for case in &r.cases {
        let word = observed_word(&case.observed);
        match stretches.last_mut() {
            Some((w, cases)) if *w == word => cases.push(case),
            _ => stretches.push((word, vec![case])),
        }
    }
    let told: Vec<String> = stretches
        .iter()
        .map(|(word, cases)| {
            let values: Vec<&str> = cases.iter().map(|c| c.value.as_str()).collect();
            let first = cases[0];
            let what = match &first.observed {
                Observed::Held => None,
                Observed::Broken(v) => Some(format!(
                    "first at {} {}: group {} expected seq {}, got {}, seen in the {}",
                    r.axis.name(),
                    first.value,
                    v.group,
                    v.expected,
                    v.got,
                    v.source
                )),
                Observed::Failed(_, why) => Some(why.clone()),
                Observed::NotRun(_, why) => why.clone(),
            };
            let rate = cases
                .iter()
                .map(|c| c.rate)
                .fold(Rate::default(), Rate::plus);
            let counted = match first.observed {
                Observed::NotRun(..) => None,
                _ => rate_words(rate),
            };
            let detail = match (counted, what) {
                (Some(c), Some(w)) => format!(" ({c}; {w})"),
                (Some(one), None) | (None, Some(one)) => format!(" ({one})"),
                (None, None) => String::new(),
            };
            format!("{word} {}{detail}", span(r.axis, &values))
        })
        .collect();
    let expected = match r.min_rate {
        Some(min) => format!(
            "{} in at least {} of passes",
            r.expect.words_with(r.code),
            percent(min)
        ),
        None => r.expect.words_with(r.code),
    };
    let verdict = match r.as_expected() {
        Some(true) => format!("as expected ({expected})"),
        Some(false) => format!("not as expected: the study expects {expected}"),
        None => "nothing ran, so this kernel leaves it open".to_string(),
    };
    let mut out = format!(
        "on kernel {}, {}: {}; {verdict}",
        r.kernel,
        r.place,
        told.join(", ")
    );
    if r.cut {
        match r.cut_after() {
            Some(n) => out.push_str(&format!(
                "; the kernel cut a chain after {n} SQEs, the per-round cap it applied"
            )),
            None => out.push_str("; no violation shows where a chain was cut"),
        }
    }
    out
}

/// `0.52x [0.50, 0.55] (lower, q < 0.001) at nop g1-s16-b16-t1`.
fn range_end(point: &RangePoint, m: &Measured) -> String {
    format!(
        "{} ({}, {}) at {}",
        ratio_ci(m),
        verdict_word(m.verdict),
        q_text(m.change.q, ""),
        point.place
    )
}

fn range(r: &RangeFinding) -> String {
    let head = format!("{}: {} over link", r.mode, r.style);
    let words: Vec<String> = r
        .not_quoted_words()
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    let skipped = match words.is_empty() {
        true => String::new(),
        false => format!(
            "; of {} cells, not quoted: {}",
            r.points.len(),
            words.join(", ")
        ),
    };
    match (r.lowest(), r.highest()) {
        (Some(lo), Some(hi)) if lo.0.place == hi.0.place => {
            format!("{head}: {}{skipped}", range_end(lo.0, lo.1))
        }
        (Some(lo), Some(hi)) => format!(
            "{head}: {} to {} ({} cells){skipped}",
            range_end(lo.0, lo.1),
            range_end(hi.0, hi.1),
            r.points.len() - r.not_quoted()
        ),
        _ => format!("{head}: nothing measured to rank{skipped}"),
    }
}

fn broken(b: &BrokenFinding) -> String {
    let violation = |v: &ViolationRecord| {
        format!(
            "group {} expected seq {}, got {} ({})",
            v.group, v.expected, v.got, v.source
        )
    };
    match b.cells.as_slice() {
        [(cell, v)] => format!(
            "kernel {} broke the order of {cell}: {}",
            b.kernel,
            violation(v)
        ),
        cells => {
            let (first, v) = &cells[0];
            format!(
                "kernel {} broke the order of {} cells in {}/{} (styles {}; shapes {}); the first, {first}: {}",
                b.kernel,
                cells.len(),
                b.mode,
                b.op,
                b.styles.join(", "),
                b.shapes.join(", "),
                violation(v)
            )
        }
    }
}
