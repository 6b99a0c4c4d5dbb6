//! The kernel axis rendered: the per-kernel summary and the between-kernels
//! tables of [`crate::analysis::kernels`], as document blocks (report.md and
//! report.html); the mail's lines of the same are
//! [`crate::render::mail::kernel_lines`]. Said only when a report has several
//! kernels; a single kernel's report has none of it.

use crate::analysis::judgement::{CompareOptions, Verdict};
use crate::analysis::kernels::{self, Between, KernelCell};
use crate::analysis::model::{CellStatus, Report};
use crate::analysis::presence;
use crate::format::{interval, num, p_value, ratio, signed_pct};
use crate::render::document::Block;
use crate::render::table::{Align, Table};

/// How every rendering explains the between-kernels table.
pub(crate) fn rule_text(opts: &CompareOptions) -> String {
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
pub(crate) fn value(k: &KernelCell) -> String {
    k.cell
        .median()
        .map_or_else(|| k.cell.status.word().to_string(), num)
}

/// The change against the base, its interval and q; dashes on the base.
pub(crate) fn change(k: &KernelCell) -> [String; 4] {
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

/// What the presence table's rows and columns mean.
pub(crate) const PRESENCE_RULE: &str = "Each built reproducer (`bench-runner presence`) run \
     several times on each kernel: present when a run broke the order or lost a wakeup, \
     absent when every run held; the 95% interval (Wilson) is of the share of runs that \
     broke. A study's finding (`bench-runner repro --study NAME`) is one row: its cells \
     along the study's axis, counted at the values where it broke, the others named as held. \
     A rate is no timing: it compares across real and emulated kernels alike.";

/// The presence table, for report.md and report.html: one row per
/// reproducer or study finding, one column per kernel (oldest release first), then each
/// row's sentence; nothing when no input has reproducer runs.
pub fn presence_blocks(report: &Report) -> Vec<Block> {
    let rows = presence::table(report);
    if rows.is_empty() {
        return Vec::new();
    }
    let mut sources: Vec<usize> = rows
        .iter()
        .flat_map(|r| r.kernels.iter().map(|k| k.source))
        .collect();
    sources.sort_by_key(|&s| {
        (
            kernels::release_numbers(&report.sources[s].header.machine.kernel),
            s,
        )
    });
    sources.dedup();
    let names: Vec<String> = sources
        .iter()
        .map(|&s| kernels::kernel_name(report, s))
        .collect();
    let mut columns = vec![
        ("reproducer or finding", Align::Left),
        ("behaviour", Align::Left),
    ];
    columns.extend(names.iter().map(|n| (n.as_str(), Align::Left)));
    let mut t = Table::new(&columns);
    for row in &rows {
        let mut cells = vec![row.name.clone(), row.first.clone().unwrap_or("-".into())];
        cells.extend(sources.iter().map(|&s| {
            row.kernels
                .iter()
                .find(|k| k.source == s)
                .map_or("not run".into(), presence::KernelPresence::text)
        }));
        t.push(cells);
    }
    vec![
        Block::Heading(2, "Presence across kernels".into()),
        Block::Paragraph(PRESENCE_RULE.into()),
        Block::Table(t),
        Block::List(
            rows.iter()
                .map(|r| format!("{}: {}", r.name, presence::sentence(report, r)))
                .collect(),
        ),
    ]
}
