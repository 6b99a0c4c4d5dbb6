//! email-full.txt: the whole report as plain text, the attachment of the
//! mail ([`super::email`] writes the mail itself): every finding, a
//! fixed-width table per op, a short ASCII chart, the kernel and machine,
//! and the exact command that reproduces the run.

use super::kernel_lines::{mail_alone, mail_cell, mail_head, mail_summary};
use super::{
    anchor_lines, command_lines, finding_lines, machine_lines, op_table, wrap, Footnotes,
    MAIL_WIDTH,
};
use crate::analysis::cost_sources::{CostSource, COST_SOURCES};
use crate::analysis::judgement::CompareOptions;
use crate::analysis::kernels;
use crate::analysis::model::{
    group_consecutive, CellStatus, CellSummary, NameParts, Report, Source, EXPECTED_BREAK,
    NOISE_FACTOR,
};
use crate::analysis::verdict::{ModeVerdict, Place};
use crate::error::ReportError;
use crate::format::{ascii, num};
use crate::render::exporter::Exporter;
use crate::render::kernel_tables::rule_text;
use crate::render::mail::email::verdict_title;
use crate::render::overview::measurement_lines;
use crate::render::table::{Align, Table};
use crate::render::verdict_text::paragraph;
use crate::render::Rendered;

/// The file with every finding and every cell, meant as the attachment.
pub const FULL_MAIL: &str = "email-full.txt";
/// Width of the ASCII chart's longest bar.
const BAR_WIDTH: usize = 36;

/// Writes email-full.txt: every finding, then the whole report.
pub struct EmailFullExporter;

impl Exporter<Rendered> for EmailFullExporter {
    fn file_name(&self) -> &'static str {
        FULL_MAIL
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        let report = &input.report;
        let places = Place::all(report, &input.options);
        let mut lines = verdict_title(&input.options);
        for sentence in paragraph(report, &ModeVerdict::of_places(&places)) {
            lines.extend(wrap(&ascii(&sentence), MAIL_WIDTH, "- ", "  "));
        }
        lines.push(String::new());
        lines.push("Findings:".into());
        lines.extend(finding_lines(report, &input.findings).concat());
        lines.push(String::new());
        let mut text = lines.join("\n") + "\n";
        text.push_str(&report_email(report));
        for src in &report.sources {
            if let Some(config) = &src.header.run.config_lines {
                text.push_str(&format!(
                    "\nThe config of the run on {} ({}):\n",
                    ascii(&src.label),
                    src.header.run.config_path
                ));
                for line in config {
                    text.push_str(&ascii(line));
                    text.push('\n');
                }
            }
        }
        Ok(Some(text.into_bytes()))
    }
}

/// The mode/op/shape of one input that the mail charts: the one with the
/// most ranked (timed, not oversubscribed) styles, with its title.
fn featured_group(report: &Report, source: usize) -> Option<(String, Vec<&CellSummary>)> {
    let groups = group_consecutive(report.cells.iter().filter(|c| c.source == source), |c| {
        let p = c.parts();
        format!("{} {} {}", p.op, p.shape, p.mode)
    });
    groups.into_iter().min_by_key(|(_, cells)| {
        std::cmp::Reverse(cells.iter().filter(|c| c.ranked().is_some()).count())
    })
}

/// A short horizontal ASCII bar chart of the featured group; cells without a
/// ranked value show why instead of a bar.
fn ascii_chart(title: &str, cells: &[&CellSummary], notes: &mut Footnotes) -> Vec<String> {
    let max = cells
        .iter()
        .filter_map(|c| c.ranked_median())
        .fold(0.0, f64::max);
    if max <= 0.0 {
        return Vec::new();
    }
    let label_w = cells
        .iter()
        .map(|c| c.parts().style.len() + notes.marker(&c.labels).len())
        .max()
        .unwrap_or(0)
        .min(MAIL_WIDTH - BAR_WIDTH - 12);
    let mut lines = wrap(
        &format!(
            "ns/step, {title} (one # = {} ns):",
            num(max / BAR_WIDTH as f64)
        ),
        MAIL_WIDTH,
        "",
        "  ",
    );
    for c in cells {
        let mut style = c.parts().style;
        style.push_str(&notes.marker(&c.labels));
        style.truncate(label_w);
        let bar = match c.ranked_median() {
            Some(m) => {
                let n = ((m / max) * BAR_WIDTH as f64).round().max(1.0) as usize;
                format!("{:<BAR_WIDTH$} {}", "#".repeat(n), num(m))
            }
            None => format!("({})", c.unranked_word().unwrap_or_default()),
        };
        lines.push(format!("{style:<label_w$} |{bar}"));
    }
    lines
}

/// Where the cost goes in the featured group: profile events per step by
/// source, one row per profiled style; nothing when no cell was profiled.
fn cost_table(title: &str, cells: &[&CellSummary], notes: &mut Footnotes) -> Vec<String> {
    let present: Vec<&CostSource> = COST_SOURCES
        .iter()
        .filter(|s| {
            cells
                .iter()
                .any(|c| c.profile.as_ref().is_some_and(|p| s.per_step(p).is_some()))
        })
        .collect();
    if present.is_empty() {
        return Vec::new();
    }
    let mut columns = vec![("style", Align::Left)];
    columns.extend(present.iter().map(|s| (s.short, Align::Right)));
    let mut t = Table::new(&columns);
    for c in cells {
        let Some(p) = &c.profile else { continue };
        let mut style = c.parts().style;
        style.push_str(&notes.marker(&c.labels));
        let mut row = vec![style];
        row.extend(
            present
                .iter()
                .map(|s| s.per_step(p).map_or("-".into(), num)),
        );
        t.push(row);
    }
    let mut lines = wrap(
        &format!("Where the cost goes, events per step (profile pass), {title}:"),
        MAIL_WIDTH,
        "",
        "  ",
    );
    lines.extend(t.to_text(1, Some(MAIL_WIDTH)).lines().map(str::to_string));
    lines
}

/// Cells without a timing, one entry per distinct status and reason; a
/// reason shared by many cells names them by pattern (`bpf-loop/*/*/*`).
fn not_timed_lines(cells: &[&CellSummary]) -> Vec<String> {
    let why = |c: &CellSummary| c.reason.clone().unwrap_or_else(|| c.order_verdict());
    let groups = group_consecutive(cells.iter().copied(), |c| {
        format!("{} {}", c.status.word(), why(c))
    });
    let mut lines = Vec::new();
    for (_, group) in groups {
        let first = group[0];
        let text = if group.len() <= 3 {
            let names: Vec<&str> = group.iter().map(|c| c.name.as_str()).collect();
            format!(
                "{} {}: {}",
                names.join(", "),
                first.status.word(),
                why(first)
            )
        } else {
            let parts: Vec<NameParts> = group.iter().map(|c| c.parts()).collect();
            let pattern: Vec<&str> = (0..4)
                .map(|i| {
                    let v = parts[0].in_name_order()[i];
                    if parts.iter().all(|p| p.in_name_order()[i] == v) {
                        v
                    } else {
                        "*"
                    }
                })
                .collect();
            format!(
                "{} cells {} ({}): {}",
                group.len(),
                first.status.word(),
                pattern.join("/"),
                why(first)
            )
        };
        lines.extend(wrap(&text, MAIL_WIDTH, "- ", "  "));
    }
    lines
}

/// The whole mail body: what the numbers mean, then each machine's
/// section, then the footnotes every section's markers point to.
pub fn report_email(report: &Report) -> String {
    let mut out = intro_lines(report);
    let mut notes = Footnotes::default();
    for (s, src) in report.sources.iter().enumerate() {
        out.push(String::new());
        if report.multi() {
            out.push(format!("=== {} ===", src.label));
        }
        out.extend(source_lines(report, s, src, &mut notes));
    }
    let between = between_kernels(report);
    if !between.is_empty() {
        out.push(String::new());
        out.extend(between);
    }
    let footnotes = notes.lines();
    if !footnotes.is_empty() {
        out.push(String::new());
        out.extend(footnotes);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The subject line and the paragraph saying how to read the tables.
fn intro_lines(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = vec![
        "uring-syncbench: what ordering io_uring work costs per step".into(),
        String::new(),
    ];
    let mut intro = format!(
        "Median ns per step over the timing repetitions with its bootstrap \
         95% confidence interval; x link is the ratio to link with the same \
         mode, op and shape; ! marks a noisy cell (target precision missed, \
         CV over {NOISE_FACTOR} times the raw loop's in the same rounds)."
    );
    if report.cells.iter().any(|c| c.oversubscribed.is_some()) {
        intro.push_str(
            " An oversubscribed cell needed more busy threads than CPUs: its \
             number is shown, never charted or set against link.",
        );
    }
    out.extend(wrap(&intro, MAIL_WIDTH, "", ""));
    out
}

/// One machine's section: its facts and anchors, its cells, what was not
/// timed and the command that reproduces it.
fn source_lines(report: &Report, s: usize, src: &Source, notes: &mut Footnotes) -> Vec<String> {
    let mut out = machine_lines(src);
    for line in measurement_lines(report, s) {
        out.extend(wrap(&ascii(&format!("{line}.")), MAIL_WIDTH, "", "  "));
    }
    let anchors = anchor_lines(src);
    if !anchors.is_empty() {
        out.push(String::new());
        out.extend(anchors);
    }
    out.extend(cell_lines(report, s, notes));
    let not_run: Vec<&CellSummary> = report
        .cells
        .iter()
        .filter(|c| c.source == s && !c.as_expected())
        .collect();
    if !not_run.is_empty() {
        out.push(String::new());
        out.push("Not timed:".into());
        out.extend(not_timed_lines(&not_run));
    }
    let controls: Vec<&str> = report
        .cells
        .iter()
        .filter(|c| c.source == s && c.status == CellStatus::Control)
        .map(|c| c.name.as_str())
        .collect();
    if !controls.is_empty() {
        out.push(String::new());
        out.extend(wrap(
            &format!("Controls, {EXPECTED_BREAK}: {}", controls.join(", ")),
            MAIL_WIDTH,
            "",
            "  ",
        ));
    }
    out.push(String::new());
    out.push("Reproduce with:".into());
    out.extend(command_lines(src.header.run.reproduce_with()));
    out
}

/// A machine's cells: a table per op, then the featured group's chart and
/// where its cost goes.
fn cell_lines(report: &Report, s: usize, notes: &mut Footnotes) -> Vec<String> {
    let mut out = Vec::new();
    let ops = group_consecutive(report.cells.iter().filter(|c| c.source == s), |c| {
        c.parts().op
    });
    for (op, cells) in ops {
        out.push(String::new());
        out.push(format!("op {op}:"));
        let table = op_table(report, &cells, notes);
        out.extend(
            table
                .to_text(1, Some(MAIL_WIDTH))
                .lines()
                .map(str::to_string),
        );
    }
    if let Some((title, cells)) = featured_group(report, s) {
        for block in [
            ascii_chart(&title, &cells, notes),
            cost_table(&title, &cells, notes),
        ] {
            if !block.is_empty() {
                out.push(String::new());
                out.extend(block);
            }
        }
    }
    out
}

/// Every cell across every block, for email-full.txt; nothing for a
/// single kernel.
fn between_kernels(report: &Report) -> Vec<String> {
    if !report.multi() {
        return Vec::new();
    }
    let opts = CompareOptions::default();
    let mut out = mail_summary(report);
    out.push(String::new());
    out.push("=== Between kernels ===".to_string());
    out.extend(wrap(&ascii(&rule_text(&opts)), MAIL_WIDTH, "", ""));
    for b in kernels::between(report, &opts) {
        out.push(String::new());
        out.extend(mail_head(report, &b));
        for across in &b.cells {
            out.extend(mail_cell(report, &b, across));
        }
    }
    out.push(String::new());
    out.extend(mail_alone(report));
    out
}
