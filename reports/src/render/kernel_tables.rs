//! The kernel axis rendered: the per-kernel summary and the between-kernels
//! tables of [`crate::kernels`], as document blocks (report.md and
//! report.html) and as mail lines of [`MAIL_WIDTH`] columns. Said only when
//! a report has several kernels; a single kernel's report has none of it.

use crate::compare::{p_value, CompareOptions, Verdict};
use crate::doc::Block;
use crate::email::{wrap, MAIL_WIDTH};
use crate::format::{ascii, interval, num, ratio, signed_pct};
use crate::kernels::{self, Between, CellAcross, KernelCell};
use crate::model::{CellStatus, Report};
use crate::table::{Align, Table};

/// How every rendering explains the between-kernels table.
fn rule_text(opts: &CompareOptions) -> String {
    format!(
        "Each cell on every kernel of a block, against the block's base: its newest \
         release (the first file among equals). Real kernels are compared only with \
         real ones and emulated kernels only with emulated ones. The change is the \
         ratio of medians with its bootstrap 95% interval; slower or faster needs \
         compare's test, a Mann-Whitney q (Benjamini-Hochberg over the kernel's \
         cells) below {} and a change of at least {}, as `bench-runner compare \
         BASE KERNEL` judges.",
        opts.alpha,
        crate::format::pct(opts.threshold)
    )
}

/// The notes of a kernel's cell: its status when not timed, its
/// oversubscription, and why its verdict could not be reached.
fn notes(k: &KernelCell) -> String {
    let mut notes = Vec::new();
    if k.cell.status != CellStatus::Ok || k.cell.oversubscribed.is_some() {
        notes.push(k.cell.status_line());
    }
    if let Some(v) = &k.versus {
        if v.verdict == Verdict::Inconclusive {
            notes.extend(v.why.clone());
        }
    }
    notes.join("; ")
}

/// The cell's ns/step, or its status word when it has no timing.
fn value(k: &KernelCell) -> String {
    k.cell
        .median()
        .map_or_else(|| k.cell.status.word().to_string(), num)
}

/// The change against the base, its interval and q; dashes on the base.
fn change(k: &KernelCell) -> [String; 4] {
    let dash = || "-".to_string();
    match &k.versus {
        None => [dash(), dash(), dash(), dash()],
        Some(v) => match &v.change {
            Some(ch) => [
                signed_pct(ch.ratio - 1.0),
                format!(
                    "[{}, {}]",
                    signed_pct(ch.ci.lo - 1.0),
                    signed_pct(ch.ci.hi - 1.0)
                ),
                p_value(ch.q),
                kernels::verdict_word(v.verdict).to_string(),
            ],
            None => [
                dash(),
                dash(),
                dash(),
                kernels::verdict_word(v.verdict).to_string(),
            ],
        },
    }
}

/// The table of one block: a row per cell and kernel, the base first.
fn between_table(report: &Report, b: &Between) -> Table {
    let mut t = Table::new(&[
        ("cell", Align::Left),
        ("kernel", Align::Left),
        ("ns/step", Align::Right),
        ("95% CI", Align::Right),
        ("x link", Align::Right),
        ("change", Align::Right),
        ("95% CI of change", Align::Right),
        ("q", Align::Right),
        ("verdict", Align::Left),
        ("notes", Align::Left),
    ]);
    for across in &b.cells {
        for (i, k) in across.kernels.iter().enumerate() {
            let [change, ci, q, verdict] = change(k);
            let verdict = match k.source == b.block.base {
                true => "base".to_string(),
                false => verdict,
            };
            t.push(vec![
                if i == 0 {
                    across.name.clone()
                } else {
                    String::new()
                },
                report.sources[k.source].label.clone(),
                value(k),
                k.cell
                    .ns
                    .as_ref()
                    .map_or("-".into(), |s| interval(s.ci.lo, s.ci.hi)),
                report.link_ratio(k.cell).map_or("-".into(), ratio),
                change,
                ci,
                q,
                verdict,
                notes(k),
            ]);
        }
    }
    t
}

/// The kernels' summary and the between-kernels tables, for report.md and
/// report.html; nothing for a single kernel.
pub fn blocks(report: &Report) -> Vec<Block> {
    if !report.multi() {
        return Vec::new();
    }
    let opts = CompareOptions::default();
    let mut out = vec![
        Block::Heading(2, "Kernels".into()),
        Block::Paragraph("Which styles ran on each kernel, and which were skipped and why:".into()),
        Block::List(
            kernels::summaries(report)
                .iter()
                .map(|s| s.line(report))
                .collect(),
        ),
        Block::Heading(2, "Between kernels".into()),
        Block::Paragraph(rule_text(&opts)),
    ];
    let alone: Vec<String> = kernels::alone(report)
        .iter()
        .map(|b| kernels::alone_line(report, b))
        .collect();
    if !alone.is_empty() {
        out.push(Block::List(alone));
    }
    for b in kernels::between(report, &opts) {
        out.push(Block::Heading(
            3,
            format!(
                "Between {}, against {}",
                b.block.title(),
                report.sources[b.block.base].label
            ),
        ));
        out.push(Block::List(
            b.counts
                .iter()
                .map(|c| c.line(report, b.block.base))
                .collect(),
        ));
        let table = between_table(report, &b);
        out.push(Block::Details(
            format!(
                "{} cells on {} kernels",
                b.cells.len(),
                b.block.sources().len()
            ),
            vec![Block::Table(table)],
        ));
    }
    out
}

/// Widest a kernel label is in the mail's rows.
const LABEL_WIDTH: usize = 24;

/// The block's kernels as its mail rows name them, with the ending they
/// all share (`-cloud-amd64`) cut when a label would not fit
/// [`LABEL_WIDTH`], and a label still too long cut and marked `~`.
/// Returns each source's name and the ending cut, if any.
fn row_labels(report: &Report, b: &Between) -> (Vec<(usize, String)>, Option<String>) {
    let full: Vec<(usize, String)> = b
        .block
        .sources()
        .into_iter()
        .map(|s| (s, ascii(&report.sources[s].label)))
        .collect();
    if full.iter().all(|(_, l)| l.len() <= LABEL_WIDTH) {
        return (full, None);
    }
    let first = &full[0].1;
    let shared = (0..=first.len())
        .rev()
        .map(|n| &first[first.len() - n..])
        .find(|end| full.iter().all(|(_, l)| l.ends_with(end)))
        .unwrap_or_default();
    // Cut at a separator, and only while the names stay apart.
    let cut = shared.find('-').map(|i| &shared[i..]).filter(|end| {
        let short: Vec<&str> = full
            .iter()
            .map(|(_, l)| &l[..l.len() - end.len()])
            .collect();
        short.iter().all(|s| !s.is_empty())
            && short
                .iter()
                .enumerate()
                .all(|(i, s)| !short[..i].contains(s))
    });
    let names = full
        .iter()
        .map(|(s, l)| {
            let mut name = l[..l.len() - cut.map_or(0, str::len)].to_string();
            if name.len() > LABEL_WIDTH {
                name.truncate(LABEL_WIDTH - 1);
                name.push('~');
            }
            (*s, name)
        })
        .collect();
    (names, cut.map(str::to_string))
}

/// One kernel's row of a cell in the mail: kernel, ns/step, x link,
/// change, q, verdict (`base` on the base).
fn mail_row(b: &Between, k: &KernelCell, label: &str, label_w: usize, x_link: String) -> String {
    let [change, _, q, verdict] = change(k);
    let verdict = match k.source == b.block.base {
        true => "base".to_string(),
        false => verdict,
    };
    let row = format!(
        "  {label:<label_w$} {:>8} {:>6} {:>7} {:>6} {verdict}",
        value(k),
        x_link,
        change,
        q,
    );
    row.trim_end().to_string()
}

/// The mail lines of one cell across a block's kernels: its name, then a
/// row per kernel.
fn mail_cell(report: &Report, b: &Between, across: &CellAcross) -> Vec<String> {
    let (labels, _) = row_labels(report, b);
    let label_w = labels.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    let mut lines = wrap(&across.name, MAIL_WIDTH, "", "  ");
    for k in &across.kernels {
        let label = labels
            .iter()
            .find(|(s, _)| *s == k.source)
            .map_or("", |(_, l)| l.as_str());
        let x_link = report.link_ratio(k.cell).map_or("-".into(), ratio);
        lines.push(mail_row(b, k, label, label_w, x_link));
    }
    lines
}

/// The heading of a block in the mail, naming its base once, then each
/// other kernel's counts under the name its rows give it.
fn mail_head(report: &Report, b: &Between) -> Vec<String> {
    // Emulated timings compare only with each other: the heading says so
    // where the changes are read, not only in the machine lines below.
    let title = match b.block.emulated {
        true => "Emulated kernels (timings comparable only with each other)",
        false => "Real kernels",
    };
    let (labels, end) = row_labels(report, b);
    let rows = match end {
        Some(end) => format!(" (named below without {end})"),
        None => String::new(),
    };
    let mut lines = wrap(
        &format!(
            "{title}, each against {}{rows}:",
            report.sources[b.block.base].label
        ),
        MAIL_WIDTH,
        "",
        "  ",
    );
    for c in &b.counts {
        let name = labels
            .iter()
            .find(|(s, _)| *s == c.source)
            .map_or("", |(_, l)| l.as_str());
        lines.extend(wrap(
            &format!("{name}: {}", c.counts()),
            MAIL_WIDTH,
            "- ",
            "  ",
        ));
    }
    lines
}

/// The kernels that stand alone, one wrapped line each.
fn mail_alone(report: &Report) -> Vec<String> {
    kernels::alone(report)
        .iter()
        .flat_map(|b| wrap(&kernels::alone_line(report, b), MAIL_WIDTH, "- ", "  "))
        .collect()
}

/// The per-kernel summary as mail lines.
pub fn mail_summary(report: &Report) -> Vec<String> {
    if !report.multi() {
        return Vec::new();
    }
    let mut lines = vec!["Styles per kernel:".to_string()];
    for s in kernels::summaries(report) {
        lines.extend(wrap(&ascii(&s.line(report)), MAIL_WIDTH, "- ", "  "));
    }
    lines
}

/// Every cell across every block, for email-full.txt; nothing for a
/// single kernel.
pub fn mail_full(report: &Report) -> Vec<String> {
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

/// The between-kernels part of the short mail, within `room` lines: each
/// block's counts, then the cells that changed on some kernel, as many as
/// fit, the rest counted; the kernels standing alone. Nothing for a single
/// kernel.
pub fn mail_brief(report: &Report, room: usize) -> Vec<String> {
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
                crate::brief::FULL_MAIL
            ));
        }
    }
    out.extend(mail_alone(report));
    out
}

/// What the mail's between-kernels block opens with when it shows cells:
/// what their rows hold.
const MAIL_HEADING: &str = "Between kernels (ns/step, x link, change against the newest, q):";
