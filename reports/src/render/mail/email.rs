//! email.txt: the mail a person can post to the io-uring list. It holds at
//! most [`MAIL_LINES`] lines of at most [`MAIL_WIDTH`] ASCII columns, in
//! this order: the findings, one table of the cells the findings quote, a
//! small chart of those cells, with several kernels the cells that changed
//! between them, the machine (with the package its kernel was booted from,
//! when the header names one) with the styles each kernel ran, and each
//! distinct command that reproduces the run once. What does not fit is cut
//! whole (a finding is never cut mid-sentence, a cell never mid-row) and
//! counted in a "... and N more" line pointing to [`FULL_MAIL`], the
//! attachment with every finding and every cell.

use super::email_full::FULL_MAIL;
use super::kernel_lines::{mail_alone, mail_cell, mail_head, mail_summary};
use super::{command_lines, finding_lines, machine_lines, op_table, wrap, Footnotes, MAIL_WIDTH};
use crate::analysis::findings::question::{place, AXES};
use crate::analysis::findings::Finding;
use crate::analysis::judgement::CompareOptions;
use crate::analysis::kernels::{self, CellAcross};
use crate::analysis::model::{group_consecutive, CellSummary, Report};
use crate::error::ReportError;
use crate::format::num;
use crate::render::exporter::Exporter;
use crate::render::Rendered;

/// Most lines email.txt has.
pub const MAIL_LINES: usize = 100;
/// Most cells the table shows.
const TABLE_CELLS: usize = 16;
/// Lines kept for the table before the findings take the rest.
const TABLE_LINES: usize = 14;
/// Most lines the between-kernels block takes.
const KERNEL_LINES: usize = 20;
/// Most bars the chart draws.
const CHART_BARS: usize = 8;
/// Widest a chart label is.
const CHART_LABEL: usize = 28;
/// A value axis spanning more than this factor is drawn log-scaled.
const LOG_SPAN: f64 = 10.0;

/// Writes email.txt.
pub struct EmailExporter;

impl Exporter<Rendered> for EmailExporter {
    fn file_name(&self) -> &'static str {
        "email.txt"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(email(&input.report, &input.findings).into_bytes()))
    }
}

/// The line that stands for what was left out.
fn more_line(n: usize, what: &str) -> String {
    format!("... and {n} more {what} in {FULL_MAIL}")
}

/// The findings in the order the mail gives them: as found, except that
/// with several kernels a style's range with nothing measured on a kernel
/// comes after those with figures, since the per-kernel summary says which
/// styles each kernel skipped.
fn mail_order(report: &Report, findings: &[Finding]) -> Vec<Finding> {
    let (mut first, last): (Vec<Finding>, Vec<Finding>) = findings
        .iter()
        .cloned()
        .partition(|f| !(report.multi() && f.measured_nothing()));
    first.extend(last);
    first
}

/// The whole of email.txt.
pub fn email(report: &Report, findings: &[Finding]) -> String {
    let findings = &mail_order(report, findings)[..];
    let tail = tail_lines(report);
    let mut out = vec![
        "uring-syncbench: what ordering io_uring work costs per step".to_string(),
        String::new(),
        "Findings:".to_string(),
    ];
    let kernels = between_kernels(report, KERNEL_LINES);
    // The tail with its blank line, the chart with its own (title, bars),
    // and the kernels' block with its own.
    let kernel_room = match kernels.is_empty() {
        true => 0,
        false => 1 + kernels.len(),
    };
    let after_table = 1 + tail.len() + 1 + 2 + CHART_BARS + kernel_room;
    let findings_room = MAIL_LINES.saturating_sub(out.len() + after_table + 1 + TABLE_LINES);
    let (shown, lines) = fitted_findings(report, findings, findings_room);
    out.extend(lines);

    let cells = quoted_cells(report, &findings[..shown]);
    let table_room = MAIL_LINES.saturating_sub(out.len() + 1 + after_table);
    let (tabled, table) = fitted_table(report, &cells, table_room);
    for block in [table, chart_lines(report, &cells[..tabled]), kernels] {
        if !block.is_empty() {
            out.push(String::new());
            out.extend(block);
        }
    }
    out.push(String::new());
    out.extend(tail);
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// As many whole findings as fit in `budget` lines, with the line counting
/// the rest when some are left out; returns how many are shown.
fn fitted_findings(report: &Report, findings: &[Finding], budget: usize) -> (usize, Vec<String>) {
    let all = finding_lines(report, findings);
    if all.is_empty() {
        return (
            0,
            vec!["- No finding: no cell could be set against link.".into()],
        );
    }
    let total: usize = all.iter().map(Vec::len).sum();
    let room = if total <= budget {
        budget
    } else {
        budget.saturating_sub(1)
    };
    let mut out = Vec::new();
    let mut shown = 0;
    for lines in &all {
        if out.len() + lines.len() > room {
            break;
        }
        out.extend(lines.iter().cloned());
        shown += 1;
    }
    if shown < all.len() {
        out.push(more_line(all.len() - shown, "findings"));
    }
    (shown, out)
}

/// The cells the shown findings quote, in the order they are first quoted.
fn quoted_cells<'r>(report: &'r Report, findings: &[Finding]) -> Vec<&'r CellSummary> {
    let mut cells: Vec<&CellSummary> = Vec::new();
    for f in findings {
        for name in f.cells() {
            if let Some(c) = report.find(f.source, name) {
                if !cells.iter().any(|k| std::ptr::eq(*k, c)) {
                    cells.push(c);
                }
            }
        }
    }
    cells
}

/// The table of as many of the quoted cells as fit in `room` lines (at
/// most [`TABLE_CELLS`]), the rest counted; returns how many it shows.
fn fitted_table(report: &Report, cells: &[&CellSummary], room: usize) -> (usize, Vec<String>) {
    (0..=cells.len().min(TABLE_CELLS))
        .rev()
        .map(|n| (n, table_lines(report, cells, n)))
        .find(|(_, lines)| lines.len() <= room)
        .unwrap_or_default()
}

/// The table of the first `n` quoted cells, a block per input and op as the
/// full mail has them, with the footnotes of their labels and the line
/// counting the cells left out.
fn table_lines(report: &Report, cells: &[&CellSummary], n: usize) -> Vec<String> {
    if cells.is_empty() {
        return Vec::new();
    }
    let mut notes = Footnotes::default();
    let mut out = vec!["The cells quoted (median ns/step, +-CI, x link):".to_string()];
    let blocks = group_consecutive(cells[..n].iter().copied(), |c| {
        format!("{} {}", c.source, c.parts().op)
    });
    for (_, block) in blocks {
        let op = block[0].parts().op;
        out.push(match report.multi() {
            true => format!("{} op {op}:", report.sources[block[0].source].label),
            false => format!("op {op}:"),
        });
        let table = op_table(report, &block, &mut notes);
        out.extend(
            table
                .to_text(1, Some(MAIL_WIDTH))
                .lines()
                .map(str::to_string),
        );
    }
    out.extend(notes.lines());
    if cells.len() > n {
        out.push(more_line(cells.len() - n, "cells"));
    }
    out
}

/// A horizontal bar chart of the ns/step of the first ranked quoted cells,
/// log-scaled when they span more than [`LOG_SPAN`]; each bar is labelled by
/// the coordinates its cells do not share, the title says those they do.
/// With several kernels it charts the first charted cell's kernel only,
/// named in the title: bars of two kernels side by side would set an
/// emulated machine's timings against a real one's.
fn chart_lines(report: &Report, cells: &[&CellSummary]) -> Vec<String> {
    let ranked = cells
        .iter()
        .filter_map(|c| c.ranked_median().filter(|m| *m > 0.0).map(|m| (*c, m)));
    let source = ranked.clone().next().map(|(c, _)| c.source);
    let ranked: Vec<(&CellSummary, f64)> = ranked
        .filter(|(c, _)| Some(c.source) == source)
        .take(CHART_BARS)
        .collect();
    if ranked.len() < 2 {
        return Vec::new();
    }
    let keys: Vec<_> = ranked.iter().map(|(c, _)| &c.key).collect();
    let shared = place(&keys, None);
    let label = |c: &CellSummary| {
        let own: Vec<String> = AXES
            .into_iter()
            .filter(|a| keys.iter().any(|k| a.value(k) != a.value(&c.key)))
            .map(|a| a.coordinate(&c.key))
            .collect();
        let mut text = own.join(" ");
        text.truncate(CHART_LABEL);
        text
    };
    let labels: Vec<String> = ranked.iter().map(|(c, _)| label(c)).collect();
    let label_w = labels.iter().map(String::len).max().unwrap_or(0);
    let values: Vec<f64> = ranked.iter().map(|(_, m)| *m).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let log = hi / lo > LOG_SPAN;
    let bar_w = MAIL_WIDTH - label_w - 12;
    let length = |v: f64| {
        let share = if log {
            // The smallest bar keeps a quarter of the width's first step.
            let floor = lo / 2.0;
            (v / floor).ln() / (hi / floor).ln()
        } else {
            v / hi
        };
        ((share * bar_w as f64).round() as usize).clamp(1, bar_w)
    };
    let scale = if log { "log scale" } else { "linear from 0" };
    let on = match report.multi() {
        true => format!(" on {}", kernels::kernel_name(report, ranked[0].0.source)),
        false => String::new(),
    };
    let title = match shared.is_empty() {
        true => format!("ns/step{on} ({scale}):"),
        false => format!("ns/step{on}, {shared} ({scale}):"),
    };
    let mut out = wrap(&title, MAIL_WIDTH, "", "  ");
    for (l, v) in labels.iter().zip(&values) {
        out.push(format!(
            "{l:<label_w$} |{:<bar_w$} {}",
            "#".repeat(length(*v)),
            num(*v)
        ));
    }
    out
}

/// The machine of every input, then each distinct command that reproduces
/// them, then where the rest is.
fn tail_lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for src in &report.sources {
        let lines = machine_lines(src);
        // One hanging paragraph per kernel, under its label when the label
        // is not the kernel the lines name.
        let label = match src.label == src.header.machine.kernel {
            true => String::new(),
            false => format!("{}: ", src.label),
        };
        match report.multi() {
            true => out.extend(wrap(
                &format!("{label}{}", lines.join(" ")),
                MAIL_WIDTH,
                "",
                "  ",
            )),
            false => out.extend(lines),
        }
    }
    let summary = mail_summary(report);
    if !summary.is_empty() {
        out.push(String::new());
        out.extend(summary);
    }
    out.push(String::new());
    out.push("Reproduce with:".into());
    // Each distinct command once: kernels swept alike share theirs.
    let mut commands: Vec<&[String]> = Vec::new();
    for src in &report.sources {
        if !commands.contains(&src.header.run.reproduce_with()) {
            commands.push(src.header.run.reproduce_with());
        }
    }
    for command in commands {
        out.extend(command_lines(command));
    }
    out.push(String::new());
    out.extend(wrap(
        &format!("Every finding and every cell, with anchors and profiles: {FULL_MAIL}."),
        MAIL_WIDTH,
        "",
        "",
    ));
    out
}

/// The between-kernels part of the short mail, within `room` lines: each
/// block's counts, then the cells that changed on some kernel, as many as
/// fit, the rest counted; the kernels standing alone. Nothing for a single
/// kernel.
fn between_kernels(report: &Report, room: usize) -> Vec<String> {
    if !report.multi() {
        return Vec::new();
    }
    let opts = CompareOptions::default();
    let mut out = vec!["Between kernels:".to_string()];
    for b in kernels::between(report, &opts) {
        out.extend(mail_head(report, &b));
        let changed: Vec<&CellAcross> = b.cells.iter().filter(|c| c.changed()).collect();
        let mut shown = 0;
        for across in &changed {
            let lines = mail_cell(report, &b, across);
            // Keep a line for the count of the cells left out.
            if out.len() + lines.len() + 1 > room {
                break;
            }
            out.extend(lines);
            shown += 1;
        }
        if shown > 0 {
            out[0] = MAIL_HEADING.to_string();
        }
        if shown < changed.len() {
            out.push(format!(
                "... and {} more changed cells in {}",
                changed.len() - shown,
                FULL_MAIL
            ));
        }
    }
    out.extend(mail_alone(report));
    out
}

/// What the mail's between-kernels block opens with when it shows cells:
/// what their rows hold.
const MAIL_HEADING: &str = "Between kernels (ns/step, x link, change against the newest, q):";
