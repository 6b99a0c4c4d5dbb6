//! The first screen of a report: what ran and what became of it, the real
//! failures by name, the verifier's controls apart from them, how far the
//! measurement can be trusted, and the cheapest ordering style of every op,
//! shape and mode. Everything after it is detail to look up.

use crate::analysis::load::LoadSummary;
use crate::analysis::model::{CellStatus, CellSummary, Report, BASELINE_STYLE, EXPECTED_BREAK};
use crate::analysis::stats::{median, quantile_sorted, sorted};
use crate::format::{num, pct, ratio};
use crate::render::document::Block;
use crate::render::table::{Align, Table};
use crate::schema::{StopReason, Stopping};

/// Heading of the overview, the report's first section.
pub const SUMMARY: &str = "Summary";

/// How many real failures the overview names before it points to the full list.
const NAMED_FAILURES: usize = 12;

/// The overview's blocks.
pub fn blocks(report: &Report) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(2, SUMMARY.into()),
        Block::List(status_lines(report)),
    ];
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
    let failed: Vec<&CellSummary> = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Failed)
        .collect();
    if !failed.is_empty() {
        blocks.push(Block::Paragraph(format!("Failed ({}):", failed.len())));
        let mut items: Vec<String> = failed
            .iter()
            .take(NAMED_FAILURES)
            .map(|c| format!("{}: {}", label(report, c), c.status_line()))
            .collect();
        if failed.len() > NAMED_FAILURES {
            items.push(format!(
                "and {} more, listed under \"Skipped, failed and interrupted cells\"",
                failed.len() - NAMED_FAILURES
            ));
        }
        blocks.push(Block::List(items));
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
    if let Some(t) = cheapest_table(report) {
        blocks.push(Block::Paragraph(
            "The cheapest style that keeps the order, for every op, shape and mode \
             (ranked cells only), with link's ns/step beside it and the cell's labels:"
                .into(),
        ));
        blocks.push(Block::Table(t));
    }
    blocks
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
fn status_lines(report: &Report) -> Vec<String> {
    let count = |status: CellStatus| report.cells.iter().filter(|c| c.status == status).count();
    let oversubscribed = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Ok && c.oversubscribed.is_some())
        .count();
    let noisy = report.cells.iter().filter(|c| report.noisy(c)).count();
    let mut lines = vec![format!(
        "{} cells: {} timed ({oversubscribed} of them oversubscribed, not ranked; {noisy} noisy), \
         {} failed, {} skipped, {} interrupted; controls: {} ({EXPECTED_BREAK})",
        report.cells.len(),
        count(CellStatus::Ok),
        count(CellStatus::Failed),
        count(CellStatus::Skipped),
        count(CellStatus::Interrupted),
        count(CellStatus::Control),
    )];
    let skipped = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Skipped)
        .filter_map(|c| c.reason.as_deref());
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for reason in skipped {
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((reason, 1)),
        }
    }
    lines.extend(
        reasons
            .into_iter()
            .map(|(reason, n)| format!("skipped {n}: {reason}")),
    );
    lines
}

/// Per op, shape and mode (and kernel), the ordering style with the lowest
/// ranked median; `independent` and every other style that promises no
/// order are left out, as are groups where no ordering style was ranked.
fn cheapest_table(report: &Report) -> Option<Table> {
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
    let groups = crate::analysis::model::group_consecutive(&report.cells, |c| {
        let p = c.parts();
        format!("{} {} {} {}", c.source, p.op, p.shape, p.mode)
    });
    for (_, cells) in groups {
        let best = cells
            .iter()
            .filter(|c| report.promises_order(c))
            .filter_map(|c| Some((*c, c.ranked_median()?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let Some((cell, median)) = best else { continue };
        let p = cell.parts();
        let link = cells
            .iter()
            .find(|c| c.key.style == crate::analysis::model::BASELINE_STYLE)
            .and_then(|c| c.ranked_median());
        let mut row = Vec::new();
        if report.multi() {
            row.push(report.sources[cell.source].label.clone());
        }
        row.extend([
            p.op,
            p.shape,
            p.mode,
            p.style,
            num(median),
            link.map_or("-".into(), num),
            report.link_ratio(cell).map_or("-".into(), ratio),
            cell.labels.join("; "),
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

/// What a source's cells say about the measurement itself: whether the
/// harness's own cost is visible in the figures, its overhead over the raw
/// reference loop and the order check's cost (ranked cells only), how wide
/// the `×link` intervals are per mode, and how many timed cells reached
/// their target precision, and the machine's load (a warning when it was
/// high). One line each, said only when there is something to say; shared
/// by every rendering.
pub fn measurement_lines(report: &Report, source: usize) -> Vec<String> {
    let timed: Vec<&CellSummary> = report
        .cells
        .iter()
        .filter(|c| c.source == source && c.status == CellStatus::Ok)
        .collect();
    let mut lines = Vec::new();
    let references: Vec<_> = timed.iter().filter_map(|c| c.ranked_reference()).collect();
    if !references.is_empty() {
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
    }
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
