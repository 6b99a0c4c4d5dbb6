//! The first screen of a report, answering "which style, what does each
//! cost here, and how far can I trust it": the verdict paragraph (per mode,
//! who ties with link and what the others cost, then the harness's overhead
//! and the share of precise `×link` intervals), the overview figure (every
//! style's `×link` across every mode and shape), the failures grouped by
//! cause, the skips folded one line per reason code; then the counts, the
//! measurement's trust lines, the verifier's controls and the cheapest
//! style of every place, each by [`crate::analysis::verdict`]'s one rule.
//! Everything after it is detail to look up.

use crate::analysis::causes::{failures, skips};
use crate::analysis::judgement::CompareOptions;
use crate::analysis::load::LoadSummary;
use crate::analysis::model::{CellStatus, CellSummary, Report, BASELINE_STYLE, EXPECTED_BREAK};
use crate::analysis::stats::{median, quantile_sorted, sorted};
use crate::analysis::verdict::{ModeVerdict, Place};
use crate::error::ReportError;
use crate::format::{num, pct, ratio};
use crate::render::document::Block;
use crate::render::plots::overview::figure;
use crate::render::table::{Align, Table};
use crate::render::verdict_text::{cheapest_text, failure_sentence, paragraph};
use crate::schema::{StopReason, Stopping};

/// Heading of the overview, the report's first section.
pub const SUMMARY: &str = "Summary";

/// What opens the verdict paragraph.
pub const VERDICT: &str = "Verdict";

/// The overview's blocks; `with_figure` when the report draws plots.
pub fn blocks(
    report: &Report,
    opts: &CompareOptions,
    with_figure: bool,
) -> Result<Vec<Block>, ReportError> {
    let places = Place::all(report, opts);
    let mut blocks = vec![Block::Heading(2, SUMMARY.into())];
    let verdict = paragraph(report, &ModeVerdict::of_places(&places));
    if !verdict.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "{VERDICT} (×link paired block by block; a difference from link needs q < {} \
             after Benjamini–Hochberg, {:.0}% or more, beyond the harness overheads):",
            opts.alpha,
            opts.threshold * 100.0
        )));
        blocks.push(Block::List(verdict));
    }
    if with_figure {
        blocks.extend(figure(report, &places)?.map(Block::Figure));
    }
    let groups = failures(report);
    if !groups.is_empty() {
        let n: usize = groups.iter().map(|g| g.cells.len()).sum();
        blocks.push(Block::Paragraph(format!("Failed ({n}), by cause:")));
        blocks.push(Block::List(
            groups.iter().map(|g| failure_sentence(report, g)).collect(),
        ));
    }
    let skipped = skips(report);
    if !skipped.is_empty() {
        let n: usize = skipped.iter().map(|(_, _, n)| n).sum();
        blocks.push(Block::Details(
            format!(
                "Skipped ({n}): {} reason{}",
                skipped.len(),
                if skipped.len() == 1 { "" } else { "s" }
            ),
            vec![Block::List(
                skipped
                    .iter()
                    .map(|(code, reason, n)| match code {
                        Some(code) => format!("{n} {code}: {reason}"),
                        None => format!("{n}: {reason}"),
                    })
                    .collect(),
            )],
        ));
    }
    blocks.push(Block::List(vec![status_line(report)]));
    for (s, src) in report.sources.iter().enumerate() {
        let lines = measurement_lines(report, s);
        if !lines.is_empty() {
            let of = if report.multi() {
                format!(" ({})", src.label)
            } else {
                String::new()
            };
            blocks.push(Block::Paragraph(format!("Measurement{of}:")));
            blocks.push(Block::List(lines));
        }
    }
    let controls: Vec<String> = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Control)
        .map(|c| label(report, c))
        .collect();
    if !controls.is_empty() {
        blocks.push(Block::Paragraph(format!(
            "The verifier's controls (a style that promises no order, on an op that \
             finishes out of order), {EXPECTED_BREAK}: {}.",
            controls.join(", ")
        )));
    }
    if let Some(t) = cheapest_table(report, &places) {
        blocks.push(Block::Paragraph(
            "The cheapest style that keeps the order, for every op, shape and mode \
             (ranked cells only; styles the rule does not tell apart are named together), \
             with link's ns/step beside it and the cell's labels:"
                .into(),
        ));
        blocks.push(Block::Table(t));
    }
    Ok(blocks)
}

/// A cell's name, with its kernel when several inputs are side by side.
fn label(report: &Report, cell: &CellSummary) -> String {
    if report.multi() {
        format!("{} @{}", cell.name, report.sources[cell.source].label)
    } else {
        cell.name.clone()
    }
}

/// One line of counts: how many cells, and what became of them.
fn status_line(report: &Report) -> String {
    let count = |status: CellStatus| report.cells.iter().filter(|c| c.status == status).count();
    let oversubscribed = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Ok && c.oversubscribed.is_some())
        .count();
    let noisy = report.cells.iter().filter(|c| report.noisy(c)).count();
    format!(
        "{} cells: {} timed ({oversubscribed} of them oversubscribed, not ranked; {noisy} noisy), \
         {} failed, {} skipped, {} interrupted; controls: {} ({EXPECTED_BREAK})",
        report.cells.len(),
        count(CellStatus::Ok),
        count(CellStatus::Failed),
        count(CellStatus::Skipped),
        count(CellStatus::Interrupted),
        count(CellStatus::Control),
    )
}

/// Per op, shape and mode (and kernel), the cheapest ordering style by
/// the verdict's rule, or the styles tied for it; places where no ordering
/// style was ranked are left out.
fn cheapest_table(report: &Report, places: &[Place]) -> Option<Table> {
    let mut columns = Vec::new();
    if report.multi() {
        columns.push(("kernel", Align::Left));
    }
    columns.extend([
        ("op", Align::Left),
        ("shape", Align::Left),
        ("mode", Align::Left),
        ("cheapest", Align::Left),
        ("ns/step", Align::Right),
        ("link ns/step", Align::Right),
        ("x link", Align::Right),
        ("notes", Align::Left),
    ]);
    let mut t = Table::new(&columns);
    for place in places {
        let (Some(best), Some(text)) = (place.ranked.first(), cheapest_text(place)) else {
            continue;
        };
        let mut row = Vec::new();
        if report.multi() {
            row.push(report.sources[place.source].label.clone());
        }
        row.extend([
            place.op.clone(),
            place.shape.clone(),
            place.mode.clone(),
            text,
            num(best.median),
            place.link().map_or("-".into(), |l| num(l.median)),
            match best.style == BASELINE_STYLE {
                true => ratio(1.0),
                false => report.link_ratio(best.cell).map_or("-".into(), ratio),
            },
            best.cell.labels.join("; "),
        ]);
        t.push(row);
    }
    (!t.rows.is_empty()).then_some(t)
}

/// The median harness overhead above which the tool's own cost is a visible
/// part of every figure, and every output says so.
pub const VISIBLE_OVERHEAD: f64 = 1.10;

/// The interval half-widths whose shares the trust lines give.
const PRECISION_STEPS: [f64; 3] = [0.01, 0.02, 0.05];

/// The timed cells of one source.
fn timed_cells(report: &Report, source: usize) -> Vec<&CellSummary> {
    report
        .cells
        .iter()
        .filter(|c| c.source == source && c.status == CellStatus::Ok)
        .collect()
}

/// The harness's cost and the noise, the first of [`measurement_lines`]:
/// the caution when the harness's overhead is visible in every figure, its
/// overhead over the raw reference loop and the order check's cost (ranked
/// cells only), and the cells' noise against their raw loops'. What the
/// mail quotes of the measurement.
pub fn overhead_lines(report: &Report, source: usize) -> Vec<String> {
    let timed = timed_cells(report, source);
    let mut lines = Vec::new();
    let references: Vec<_> = timed.iter().filter_map(|c| c.ranked_reference()).collect();
    if references.is_empty() {
        return lines;
    }
    let overheads = sorted(
        &references
            .iter()
            .map(|r| r.harness_overhead)
            .collect::<Vec<_>>(),
    );
    let checks: Vec<f64> = references
        .iter()
        .map(|r| r.order_check_ns_per_step)
        .collect();
    let n = references.len();
    let typical = quantile_sorted(&overheads, 0.5);
    if typical > VISIBLE_OVERHEAD {
        lines.push(format!(
            "CAUTION: the harness costs {} its raw reference loop (above {}): every figure here includes the tool's own cost",
            ratio(typical),
            ratio(VISIBLE_OVERHEAD),
        ));
    }
    lines.push(format!(
        "harness overhead {} (middle half {}-{}) over {n} raw-reference cell{}; order check {} ns/step",
        ratio(quantile_sorted(&overheads, 0.5)),
        ratio(quantile_sorted(&overheads, 0.25)),
        ratio(quantile_sorted(&overheads, 0.75)),
        if n == 1 { "" } else { "s" },
        num(median(&checks)),
    ));
    let floor: Vec<(f64, f64)> = timed
        .iter()
        .filter_map(|c| Some((c.ranked()?.cv?, c.ranked_reference()?.cv?)))
        .collect();
    if !floor.is_empty() {
        let (cells, loops): (Vec<f64>, Vec<f64>) = floor.into_iter().unzip();
        lines.push(format!(
            "noise: median CV {} over those cells, {} for their raw loops in the same rounds (the machine's own)",
            pct(median(&cells)),
            pct(median(&loops)),
        ));
    }
    lines
}

/// What a source's cells say about the measurement itself: whether the
/// harness's own cost is visible in the figures, its overhead over the raw
/// reference loop and the order check's cost (ranked cells only), how wide
/// the `×link` intervals are per mode, and how many timed cells reached
/// their target precision, and the machine's load (a warning when it was
/// high). One line each, said only when there is something to say; shared
/// by every rendering.
pub fn measurement_lines(report: &Report, source: usize) -> Vec<String> {
    let timed = timed_cells(report, source);
    let mut lines = overhead_lines(report, source);
    lines.extend(link_precision_line(report, &timed));
    lines.extend(LoadSummary::of(&report.sources[source].loads).map(|l| l.line()));
    let stopped: Vec<&Stopping> = timed.iter().filter_map(|c| c.stopping.as_ref()).collect();
    if let Some(first) = stopped.first() {
        let target = if stopped.iter().all(|s| s.target == first.target) {
            format!("precision ±{}", pct(first.target))
        } else {
            "target precision".to_string()
        };
        let reached = timed.iter().filter(|c| c.precise()).count();
        let by_reason: Vec<String> = [StopReason::Budget, StopReason::MaxRepetitions]
            .iter()
            .filter_map(|&reason| {
                let n = stopped.iter().filter(|s| s.reason == reason).count();
                (n > 0).then(|| format!("{n} on {}", reason.word()))
            })
            .collect();
        let others = if by_reason.is_empty() {
            String::new()
        } else {
            format!(" (stopped {})", by_reason.join(", "))
        };
        lines.push(format!(
            "{target} reached on {reached} of {} cells{others}",
            stopped.len()
        ));
    }
    lines
}

/// How precise the `×link` ratios are, per mode: the share of ranked
/// cells (other than link) whose paired interval lies within ±1%, ±2% and
/// ±5% of the ratio. None when no cell was measured in blocks with link.
fn link_precision_line(report: &Report, timed: &[&CellSummary]) -> Option<String> {
    let mut by_mode: Vec<(&str, Vec<f64>)> = Vec::new();
    for cell in timed {
        let Some(p) = report
            .paired_link(cell)
            .filter(|_| cell.key.style != BASELINE_STYLE)
        else {
            continue;
        };
        match by_mode.iter_mut().find(|(m, _)| *m == cell.key.mode) {
            Some((_, v)) => v.push(p.precision()),
            None => by_mode.push((&cell.key.mode, vec![p.precision()])),
        }
    }
    if by_mode.is_empty() {
        return None;
    }
    let modes: Vec<String> = by_mode
        .iter()
        .map(|(mode, widths)| {
            let shares: Vec<String> = PRECISION_STEPS
                .iter()
                .map(|&w| {
                    let within = widths.iter().filter(|&&p| p <= w).count();
                    format!("{:.0}%", 100.0 * within as f64 / widths.len() as f64)
                })
                .collect();
            format!("{mode} {} of {}", shares.join("/"), widths.len())
        })
        .collect();
    Some(format!(
        "x link 95% intervals within ±1/±2/±5%: {}",
        modes.join("; ")
    ))
}
