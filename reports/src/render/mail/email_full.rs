//! email-full.txt: the whole report as plain text, the attachment of the
//! mail ([`crate::brief`] writes the mail itself). Every line fits in
//! [`MAIL_WIDTH`] columns and is ASCII: every finding, a fixed-width table
//! per op, a short ASCII chart, the kernel and machine, and the exact
//! command that reproduces the run.

use crate::anchors;
use crate::cost::{CostSource, COST_SOURCES};
use crate::doc::shell_quote;
use crate::error::ReportError;
use crate::exporter::Exporter;
use crate::format::{ascii, num, ratio};
use crate::model::{
    group_consecutive, CellStatus, CellSummary, Report, Source, EXPECTED_BREAK, NOISE_FACTOR,
};
use crate::sections::{fsync_dir_line, measurement_lines};
use crate::table::{Align, Table};
use crate::Rendered;

/// Widest line a mail may have.
pub const MAIL_WIDTH: usize = 72;
/// Width of the ASCII chart's longest bar.
const BAR_WIDTH: usize = 36;

/// Writes email-full.txt: every finding, then the whole report.
pub struct EmailExporter;

impl Exporter<Rendered> for EmailExporter {
    fn file_name(&self) -> &'static str {
        crate::brief::FULL_MAIL
    }

    fn serialize(&self, input: &Rendered) -> Result<Vec<u8>, ReportError> {
        let findings = crate::brief::finding_lines(&input.report, &input.findings);
        let mut text = String::from("Findings:\n");
        for line in findings.concat() {
            text.push_str(&line);
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&report_email(&input.report));
        Ok(text.into_bytes())
    }
}

/// Word-wraps `text` to `width` columns; the first line starts with `first`,
/// the others with `rest`. Words longer than a line are cut.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    wrap_words(text.split_whitespace(), width, first, rest)
}

/// [`wrap`] over given words (which may contain spaces, e.g. quoted arguments).
fn wrap_words<'a>(
    words: impl Iterator<Item = &'a str>,
    width: usize,
    first: &str,
    rest: &str,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in words {
        let mut word = word.to_string();
        loop {
            let sep = usize::from(!empty);
            if line.chars().count() + sep + word.chars().count() <= width {
                if !empty {
                    line.push(' ');
                }
                line.push_str(&word);
                empty = false;
                break;
            }
            if !empty {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                empty = true;
                continue;
            }
            let room = width.saturating_sub(line.chars().count()).max(1);
            let head: String = word.chars().take(room).collect();
            word = word.chars().skip(room).collect();
            line.push_str(&head);
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            if word.is_empty() {
                break;
            }
        }
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The command as shell lines joined by backslash continuations, each
/// within the mail width; lines break between arguments only (an argument
/// longer than a line is the one exception, cut where it must be).
pub fn command_lines(args: &[String]) -> Vec<String> {
    let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    let mut lines = wrap_words(
        quoted.iter().map(String::as_str),
        MAIL_WIDTH - 2,
        "  ",
        "      ",
    );
    let last = lines.len() - 1;
    for line in &mut lines[..last] {
        line.push_str(" \\");
    }
    lines
}

/// The kernel (with the package it was booted from, when the header names
/// one) and the machine of one input, wrapped.
pub fn machine_lines(src: &Source) -> Vec<String> {
    let m = &src.header.machine;
    let package = crate::kernels::package(m).map_or(String::new(), |p| format!(" ({p})"));
    let mut text = format!(
        "Kernel {}{package} on {} ({} CPUs), host {}, uring-syncbench {} ({}).",
        m.kernel, m.cpu_model, m.cpus, m.hostname, src.header.tool.version, src.header.tool.commit
    );
    if m.emulated {
        text.push_str(" Software emulation: timings not comparable.");
    }
    let mut lines = wrap(&text, MAIL_WIDTH, "", "");
    if let Some(d) = &m.fsync_dir {
        lines.extend(wrap(&ascii(&fsync_dir_line(d)), MAIL_WIDTH, "", "  "));
    }
    lines
}

/// The physical anchors of one input and how they were calibrated, wrapped
/// and in ASCII; nothing when the input has none.
pub fn anchor_lines(src: &Source) -> Vec<String> {
    let h = &src.header;
    if h.anchors.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["Physical anchors:".to_string()];
    for a in &h.anchors {
        lines.extend(wrap(&ascii(&anchors::line(a)), MAIL_WIDTH, "- ", "  "));
    }
    if let Some(c) = &h.calibration {
        lines.extend(wrap(
            &ascii(&anchors::calibration_sentence(c)),
            MAIL_WIDTH,
            "",
            "",
        ));
    }
    lines
}

/// Footnote markers for cell labels, shared by one mail.
#[derive(Default)]
pub struct Footnotes {
    labels: Vec<String>,
}

impl Footnotes {
    /// `*`, `**`, ... for the cell's labels, empty when it has none.
    pub fn marker(&mut self, labels: &[String]) -> String {
        if labels.is_empty() {
            return String::new();
        }
        let text = labels.join(", ");
        let index = match self.labels.iter().position(|l| *l == text) {
            Some(i) => i,
            None => {
                self.labels.push(text);
                self.labels.len() - 1
            }
        };
        "*".repeat(index + 1)
    }

    /// The footnote lines, wrapped.
    pub fn lines(&self) -> Vec<String> {
        self.labels
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                let mark = "*".repeat(i + 1);
                let pad = " ".repeat(mark.len() + 1);
                wrap(l, MAIL_WIDTH, &format!("{mark} "), &pad)
            })
            .collect()
    }
}

/// The fixed-width table of `cells`: style, mode, shape, median, interval,
/// ×link and the flags (footnote marker, `!` when noisy).
pub(crate) fn op_table(report: &Report, cells: &[&CellSummary], notes: &mut Footnotes) -> Table {
    let mut t = Table::new(&[
        ("style", Align::Left),
        ("mode", Align::Left),
        ("shape", Align::Left),
        ("ns/step", Align::Right),
        ("95% CI", Align::Right),
        ("x link", Align::Right),
        ("", Align::Left),
    ]);
    for c in cells {
        let p = c.parts();
        let mut flags = notes.marker(&c.labels);
        let (value, ci, x_link) = match &c.ns {
            Some(s) => {
                if report.noisy(c) {
                    flags.push('!');
                }
                (
                    num(s.median),
                    format!("{}-{}", num(s.ci.lo), num(s.ci.hi)),
                    report.link_ratio(c).map_or("-".into(), ratio),
                )
            }
            None => (
                match c.status {
                    CellStatus::Failed => "FAILED".to_string(),
                    status => status.word().to_string(),
                },
                "-".into(),
                "-".into(),
            ),
        };
        t.push(vec![p.style, p.mode, p.shape, value, ci, x_link, flags]);
    }
    t
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
            let parts: Vec<Vec<String>> = group
                .iter()
                .map(|c| c.name.splitn(4, '/').map(str::to_string).collect())
                .collect();
            let pattern: Vec<&str> = (0..4)
                .map(|i| {
                    let v = parts[0].get(i).map_or("", String::as_str);
                    if parts
                        .iter()
                        .all(|p| p.get(i).map(String::as_str) == Some(v))
                    {
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
    let between = crate::kernel_tables::mail_full(report);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_width_and_cuts_long_words() {
        let long = "x".repeat(100);
        let lines = wrap(&format!("a few words then {long} end"), 20, "- ", "  ");
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert!(lines[0].starts_with("- a few"));
        assert!(lines.last().unwrap().ends_with("x end"));
        assert_eq!(lines.concat().matches('x').count(), 100);
        assert_eq!(wrap("", 10, "", ""), vec![String::new()]);
    }

    #[test]
    fn command_lines_continue_with_backslashes() {
        let mut args: Vec<String> = (0..30).map(|i| format!("--arg{i}")).collect();
        args.insert(9, "a path/with spaces in it".into());
        let lines = command_lines(&args);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= MAIL_WIDTH));
        assert!(lines[..lines.len() - 1].iter().all(|l| l.ends_with(" \\")));
        let joined: String = lines
            .iter()
            .map(|l| l.trim_end_matches('\\').trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined, crate::doc::shell_line(&args));
        assert!(lines
            .iter()
            .any(|l| l.contains("'a path/with spaces in it'")));
    }

    #[test]
    fn footnote_markers_are_stable_per_label_set() {
        let mut f = Footnotes::default();
        assert_eq!(f.marker(&[]), "");
        assert_eq!(f.marker(&["in userspace".into()]), "*");
        assert_eq!(f.marker(&["other".into()]), "**");
        assert_eq!(f.marker(&["in userspace".into()]), "*");
        assert_eq!(f.lines(), vec!["* in userspace", "** other"]);
    }
}
