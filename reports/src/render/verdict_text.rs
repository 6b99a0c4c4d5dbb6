//! The verdict in words, as the report's first screen and the mail both
//! open with it: per mode, who ties with link and what the others cost
//! ([`ModeVerdict`]), how far the figures can be trusted ([`Trust`]), the
//! cheapest style of a place ([`Place::cheapest`]) and the failures by
//! cause ([`FailureGroup`]). Sentences only; the mail passes them through
//! [`crate::format::ascii`].

use crate::analysis::causes::{Cause, FailureGroup, SHARED_POLLER_STUDY};
use crate::analysis::judgement::Change;
use crate::analysis::model::Report;
use crate::analysis::verdict::{
    Cheapest, CostKind, ModeVerdict, Place, StyleCost, Trust, TRUST_WIDTH,
};
use crate::format::ratio;
use crate::render::overview::VISIBLE_OVERHEAD;

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `1.13x [1.10, 1.16]`.
pub fn with_interval(c: &Change) -> String {
    format!(
        "{} [{}, {}]",
        ratio(c.ratio),
        ratio(c.ci.lo).trim_end_matches('x'),
        ratio(c.ci.hi).trim_end_matches('x')
    )
}

/// A range of ratios that never crosses 1x: `1.02–1.13x`, or one ratio.
fn span(lo: f64, hi: f64) -> String {
    let (a, b) = (ratio(lo), ratio(hi));
    match a == b {
        true => b,
        false => format!("{}–{b}", a.trim_end_matches('x')),
    }
}

/// What a style costs in a mode, in a few words: `userspace costs
/// 1.02–1.13x link`, `futex:private is mixed, 0.81x to 4.74x link`.
fn cost_clause(c: &StyleCost) -> String {
    let (lo, hi) = (c.low.0.ratio, c.high.0.ratio);
    let mut text = match c.kind {
        CostKind::Mixed => format!(
            "{} is mixed, {} at {} to {} at {}",
            c.style,
            ratio(lo),
            c.low.1,
            ratio(hi),
            c.high.1
        ),
        CostKind::Dearer | CostKind::Cheaper => {
            format!("{} costs {} link", c.style, span(lo, hi))
        }
    };
    if c.ties > 0 {
        text.push_str(&format!(
            " ({} of {} tie)",
            c.ties,
            c.ties + c.differs + c.too_few
        ));
    }
    text
}

/// One mode's verdict as a sentence: `default: link, hardlink and
/// sync-group:queue tie; userspace costs 1.02–1.13x link; drain 7.2–16x link.`
pub fn mode_sentence(report: &Report, v: &ModeVerdict) -> String {
    let on = match report.multi() {
        true => format!(" ({})", report.sources[v.source].label),
        false => String::new(),
    };
    let mut parts = Vec::new();
    parts.push(match v.ties.len() {
        1 => format!("no style ties with {}", v.ties[0]),
        _ => format!("{} tie", and_list(&v.ties)),
    });
    parts.extend(v.costs.iter().map(cost_clause));
    if !v.too_few.is_empty() {
        parts.push(format!(
            "too few blocks to tell {} from link",
            and_list(&v.too_few)
        ));
    }
    let mut text = format!("{}{on}: {}.", v.mode, parts.join("; "));
    if v.within_overhead > 0 {
        text.push_str(&format!(
            " At {} place{} the cheapest style's lead was within the two styles' \
             harness overhead difference, and is not crowned.",
            v.within_overhead,
            if v.within_overhead == 1 { "" } else { "s" }
        ));
    }
    text
}

/// How far one input's figures can be trusted, in one sentence.
pub fn trust_sentence(report: &Report, source: usize) -> Option<String> {
    let t = Trust::of(report, source);
    let mut parts = Vec::new();
    if let Some(o) = t.overhead {
        let mut text = format!("Harness overhead {} over the raw loops", ratio(o));
        if o > VISIBLE_OVERHEAD {
            text.push_str(&format!(
                " (above {}: a lead within two styles' overhead difference is not crowned)",
                ratio(VISIBLE_OVERHEAD)
            ));
        }
        parts.push(text);
    }
    let (within, of) = t.precise;
    if of > 0 {
        parts.push(format!(
            "x link intervals within ±{:.0}% on {:.0}% of {of} cells",
            TRUST_WIDTH * 100.0,
            100.0 * within as f64 / of as f64
        ));
    }
    let on = match report.multi() {
        true => format!(" ({})", report.sources[source].label),
        false => String::new(),
    };
    (!parts.is_empty()).then(|| format!("{}{on}.", parts.join("; ")))
}

/// The verdict paragraph, input by input: how far its figures can be
/// trusted first (a reader cut short keeps it), then every mode's sentence.
pub fn paragraph(report: &Report, verdicts: &[ModeVerdict]) -> Vec<String> {
    let mut out = Vec::new();
    for source in 0..report.sources.len() {
        out.extend(trust_sentence(report, source));
        out.extend(
            verdicts
                .iter()
                .filter(|v| v.source == source)
                .map(|v| mode_sentence(report, v)),
        );
    }
    out
}

/// The cheapest style of a place: `userspace`, or `link, hardlink,
/// sync-group:queue: no significant difference`, with any lead the harness's
/// overhead explains.
pub fn cheapest_text(place: &Place) -> Option<String> {
    let mut text = match place.cheapest()? {
        Cheapest::One(style) => style,
        Cheapest::Tie(styles) => format!("{}: no significant difference", styles.join(", ")),
    };
    let best = &place.ranked[0].style;
    for e in place.within_overhead() {
        if let Some(j) = e.against_best {
            if let crate::analysis::verdict::Standing::WithinOverhead { overhead_ratio, .. } =
                j.standing
            {
                text.push_str(&format!(
                    "; {best}'s lead over {} ({}) is within their harness overheads' ratio ({}): not crowned",
                    e.style,
                    ratio(j.change.ratio),
                    ratio(overhead_ratio)
                ));
            }
        }
    }
    Some(text)
}

/// A group of failed cells in one sentence: how many, where, the cause
/// named, and the example cell.
pub fn failure_sentence(report: &Report, g: &FailureGroup) -> String {
    let n = g.cells.len();
    let cells = if n == 1 { "cell" } else { "cells" };
    let on = match report.multi() {
        true => format!(" @{}", report.sources[g.source].label),
        false => String::new(),
    };
    let example = g.example();
    let what = match &g.cause {
        Cause::SharedPollerCap => format!(
            "the shared SQPOLL poller's per-round cap on a ring's SQEs cut a chain, \
             which then ran out of order (kernel behaviour; see study {SHARED_POLLER_STUDY})"
        ),
        Cause::OrderBroken => "the kernel broke the order the style asked for".to_string(),
        Cause::Code(Some(code)) => code.to_string(),
        Cause::Code(None) => "no reason code recorded".to_string(),
    };
    let place = match &g.mode {
        Some(mode) => format!(" in {mode}"),
        None => String::new(),
    };
    format!(
        "{n} {cells}{place}{on}: {what}; e.g. {}: {}",
        example.name,
        match &example.violation {
            Some(_) => example.order_verdict(),
            None => example
                .reason
                .clone()
                .unwrap_or_else(|| example.order_verdict()),
        }
    )
}
