//! The first screen of a report: what ran and what became of it, the real
//! failures by name, the verifier's controls apart from them, how far the
//! measurement can be trusted, and the cheapest ordering style of every op,
//! shape and mode. Everything after it is detail to look up.

use crate::doc::Block;
use crate::format::{num, ratio};
use crate::model::{CellStatus, CellSummary, Report, EXPECTED_BREAK};
use crate::sections::measurement_lines;
use crate::table::{Align, Table};

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
    let groups = crate::model::group_consecutive(&report.cells, |c| {
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
            .find(|c| c.key.style == crate::model::BASELINE_STYLE)
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
