//! The content of a report (machine headers, cell table, anchors, profile,
//! plots, skips) as a [`Document`], plus the cell table the terminal prints.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::judgement::CompareOptions;
use crate::analysis::model::{
    group_consecutive, CellStatus, CellSummary, ObserverCost, Report, Source, CV_LIMIT,
    EXPECTED_BREAK, NOISE_FACTOR,
};
use crate::error::ReportError;
use crate::format::{interval, num, pct, ratio};
use crate::render::anchor_lines;
use crate::render::document::{shell_line, Block, Document};
use crate::render::overview::{self, measurement_lines};
use crate::render::plots::Plots;
use crate::render::table::{Align, Table};
use crate::schema::{FsyncDir, ReasonCode, StopReason};

/// Title of every rendered report.
pub const REPORT_TITLE: &str = "uring-syncbench report";

/// Cells that ran, plus those that did not with why: the main table.
pub fn cells_table(report: &Report) -> Table {
    let mut columns = Vec::new();
    if report.multi() {
        columns.push(("kernel", Align::Left));
    }
    columns.extend([
        ("style", Align::Left),
        ("mode", Align::Left),
        ("op", Align::Left),
        ("shape", Align::Left),
        ("ns/step", Align::Right),
        ("95% CI", Align::Right),
        ("CV", Align::Right),
        ("out", Align::Right),
        ("cpu ns/step", Align::Right),
        ("x link", Align::Right),
        ("x raw", Align::Right),
        ("precision", Align::Right),
        ("order", Align::Left),
        ("notes", Align::Left),
    ]);
    let mut table = Table::new(&columns);
    for cell in &report.cells {
        let p = cell.parts();
        let mut row = Vec::new();
        if report.multi() {
            row.push(report.sources[cell.source].label.clone());
        }
        row.extend([p.style, p.mode, p.op, p.shape]);
        match &cell.ns {
            Some(s) => row.extend([
                num(s.median),
                interval(s.ci.lo, s.ci.hi),
                s.cv.map_or("-".into(), |cv| {
                    let noisy = if report.noisy(cell) { " noisy" } else { "" };
                    format!("{}{noisy}", pct(cv))
                }),
                format!("{}/{}", s.outliers, s.n),
                cell.cpu_ns.as_ref().map_or("-".into(), |c| num(c.median)),
                report.link_ratio(cell).map_or("-".into(), ratio),
                cell.ranked_reference()
                    .map_or("-".into(), |r| ratio(r.harness_overhead)),
                precision(cell),
            ]),
            None => {
                row.push(cell.status.word().to_string());
                row.extend(std::iter::repeat_n("-".to_string(), 7));
            }
        }
        row.push(cell.order_verdict());
        row.push(notes(cell));
        table.push(row);
    }
    table
}

/// The precision a cell's repetitions reached, with why they stopped when
/// that was not the precision: `±0.8%`, `±2.1% budget`, `±1.4% max`.
pub fn precision(cell: &CellSummary) -> String {
    let Some(s) = &cell.stopping else {
        return "-".into();
    };
    let reached = s.precision.map_or("-".into(), |p| format!("±{}", pct(p)));
    match s.reason {
        StopReason::Precision => reached,
        StopReason::Budget => format!("{reached} budget"),
        StopReason::MaxRepetitions => format!("{reached} max"),
    }
}

/// The columns of a table with a row per cell: the cell (and its kernel when
/// several inputs are set side by side), then `rest`.
fn per_cell_columns<'a>(report: &Report, rest: &[(&'a str, Align)]) -> Vec<(&'a str, Align)> {
    let mut columns = vec![("cell", Align::Left)];
    if report.multi() {
        columns.push(("kernel", Align::Left));
    }
    columns.extend_from_slice(rest);
    columns
}

/// The first entries of a cell's row in a [`per_cell_columns`] table.
fn per_cell_row(report: &Report, cell: &CellSummary) -> Vec<String> {
    let mut row = vec![cell.name.clone()];
    if report.multi() {
        row.push(report.sources[cell.source].label.clone());
    }
    row
}

/// Each ranked cell with a raw reference: its median, the raw loop's, their
/// ratio and what the order check costs the raw loop.
fn harness_table(report: &Report) -> Option<Table> {
    let mut t = Table::new(&per_cell_columns(
        report,
        &[
            ("ns/step", Align::Right),
            ("raw ns/step", Align::Right),
            ("x raw", Align::Right),
            ("order check ns/step", Align::Right),
            ("raw reps", Align::Right),
        ],
    ));
    for cell in &report.cells {
        let (Some(median), Some(r)) = (cell.ranked_median(), cell.ranked_reference()) else {
            continue;
        };
        let mut row = per_cell_row(report, cell);
        row.extend([
            num(median),
            num(r.ns_per_step),
            ratio(r.harness_overhead),
            order_check_text(cell),
            r.repetitions.to_string(),
        ]);
        t.push(row);
    }
    (!t.rows.is_empty()).then_some(t)
}

/// What the order check costs a cell's raw loop per step: the median with
/// its interval when the interval lies on one side of zero, `in noise`
/// when it crosses zero (the figure would be noise), `-` without one.
fn order_check_text(cell: &CellSummary) -> String {
    match cell.order_check() {
        Some(s) if s.ci.lo > 0.0 || s.ci.hi < 0.0 => {
            format!("{} {}", num(s.median), interval(s.ci.lo, s.ci.hi))
        }
        Some(_) => "in noise".to_string(),
        None => "-".to_string(),
    }
}

/// Labels, the skip/failure reason and interrupted repetitions of a cell, in one line.
pub fn notes(cell: &CellSummary) -> String {
    let mut parts: Vec<String> = cell.labels.clone();
    if cell.status != CellStatus::Ok {
        if let Some(reason) = &cell.reason {
            parts.push(reason.clone());
        }
    }
    if cell.interrupted > 0 && cell.status == CellStatus::Ok {
        parts.push(format!("{} repetition(s) interrupted", cell.interrupted));
    }
    parts.extend(cell.reference_note.clone());
    parts.join("; ")
}

/// One line per fact of an input's header.
pub fn machine_facts(src: &Source) -> Vec<String> {
    let h = &src.header;
    let m = &h.machine;
    let vulnerable = m
        .mitigations
        .iter()
        .filter(|(_, v)| v.starts_with("Vulnerable"))
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>();
    let mut facts = vec![
        format!(
            "kernel {}{} on {} ({} CPUs), host {}",
            m.kernel,
            crate::analysis::kernels::package(m).map_or(String::new(), |p| format!(" ({p})")),
            m.cpu_model,
            m.cpus,
            m.hostname
        ),
        format!(
            "mitigations: {} entries{}",
            m.mitigations.len(),
            if vulnerable.is_empty() {
                String::new()
            } else {
                format!(", vulnerable: {}", vulnerable.join(", "))
            }
        ),
    ];
    if m.emulated {
        facts.push("software emulation: timings not comparable".into());
    }
    facts.extend(m.fsync_dir.as_ref().map(fsync_dir_line));
    match &h.io_uring.unavailable {
        Some(why) => facts.push(format!("io_uring unavailable: {why}")),
        None => {
            facts.push(format!(
                "io_uring features: {}",
                h.io_uring.features.join(" ")
            ));
            facts.push(format!(
                "io_uring opcodes: {}",
                h.io_uring.opcodes.join(" ")
            ));
        }
    }
    facts.push(format!(
        "tool {} (commit {})",
        h.tool.version, h.tool.commit
    ));
    facts.push(format!(
        "config {} (sha256 {}), started {}",
        h.run.config_path,
        h.run.config_hash,
        crate::format::utc(h.run.started_unix)
    ));
    facts.push(format!("results file {}", src.path.display()));
    facts
}

/// Where the `fsync` op's files were, in one line: `fsync files: /var/tmp
/// on ext4 (/dev/vda, rw,relatime; write cache: write back, non-rotational)`,
/// each part the header lacks left out.
pub fn fsync_dir_line(d: &FsyncDir) -> String {
    let mut line = format!(
        "fsync files: {} on {}",
        d.path,
        d.fs_type.as_deref().unwrap_or("an unknown file system")
    );
    let mount = [d.source.as_deref(), d.mount_options.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let disk = [
        d.write_cache.as_ref().map(|c| format!("write cache: {c}")),
        d.rotational
            .map(|r| if r { "rotational" } else { "non-rotational" }.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let detail = [mount, disk]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if !detail.is_empty() {
        line.push_str(&format!(" ({detail})"));
    }
    line
}

/// The anchors of one input, one line each, and how they were calibrated.
fn anchor_blocks(src: &Source) -> Vec<Block> {
    let h = &src.header;
    if h.anchors.is_empty() {
        return Vec::new();
    }
    let mut blocks = vec![
        Block::Heading(3, format!("Physical anchors ({})", src.label)),
        Block::List(h.anchors.iter().map(anchor_lines::line).collect()),
    ];
    blocks.extend(
        h.calibration
            .as_ref()
            .map(|c| Block::Paragraph(anchor_lines::calibration_sentence(c))),
    );
    blocks
}

/// The smallest multiple of an anchor worth a number: below it a cell's cost
/// is a small fraction of the anchor's, and two decimals of it say nothing.
pub const ANCHOR_FLOOR: f64 = 0.1;

/// A cell's cost as a multiple of an anchor, or `<0.1x` below [`ANCHOR_FLOOR`].
fn anchor_multiple(m: f64) -> String {
    if m < ANCHOR_FLOOR {
        format!("<{ANCHOR_FLOOR}x")
    } else {
        ratio(m)
    }
}

/// Each ranked cell's median as a multiple of the anchors of its machine
/// that some cell reaches a tenth of ([`ANCHOR_FLOOR`]); the anchors no cell
/// comes near are returned by name, to be said once instead of a column of
/// `<0.1x`.
fn in_anchors_table(report: &Report) -> Option<(Table, Vec<String>)> {
    let multiple = |cell: &CellSummary, name: &str| {
        let ns = report
            .anchors_of(cell)
            .into_iter()
            .find(|a| a.name == name)?
            .ns?;
        Some(cell.ranked_median()? / ns)
    };
    let mut names: Vec<String> = Vec::new();
    for src in &report.sources {
        for a in src
            .header
            .anchors
            .iter()
            .filter(|a| a.ns.is_some_and(|ns| ns > 0.0))
        {
            if !names.contains(&a.name) {
                names.push(a.name.clone());
            }
        }
    }
    let (names, beyond): (Vec<String>, Vec<String>) = names.into_iter().partition(|name| {
        report
            .cells
            .iter()
            .any(|c| multiple(c, name).is_some_and(|m| m >= ANCHOR_FLOOR))
    });
    if names.is_empty() {
        return None;
    }
    let headers: Vec<String> = names.iter().map(|n| format!("x {n}")).collect();
    let mut columns = vec![("ns/step", Align::Right)];
    columns.extend(headers.iter().map(|h| (h.as_str(), Align::Right)));
    let columns = per_cell_columns(report, &columns);
    let mut t = Table::new(&columns);
    for cell in &report.cells {
        let Some(median) = cell.ranked_median() else {
            continue;
        };
        let mut row = per_cell_row(report, cell);
        row.push(num(median));
        for name in &names {
            row.push(multiple(cell, name).map_or("-".into(), anchor_multiple));
        }
        t.push(row);
    }
    Some((t, beyond))
}

/// The probe that counts the process's io_uring_enter(2) calls.
const ENTER_PROBE: &str = "io_uring_enter";

/// How far above its syscall budget a cell may go before the report says so:
/// the styles with a helper thread may need an extra enter when the threads
/// interleave differently.
pub const ENTER_BUDGET_SLACK: f64 = 0.25;

fn profile_table(report: &Report) -> Option<Table> {
    let mut t = Table::new(&per_cell_columns(
        report,
        &[
            ("overhead", Align::Right),
            ("enters/step (budget)", Align::Right),
            ("counters per step", Align::Left),
            ("probes per step", Align::Left),
            ("notes", Align::Left),
        ],
    ));
    for cell in &report.cells {
        let Some(p) = &cell.profile else { continue };
        let mut row = per_cell_row(report, cell);
        // Counters without a value are said once, under the table.
        let counters: Vec<String> = p
            .counters
            .iter()
            .filter_map(|c| Some(format!("{} {}", c.name, num(c.per_step?))))
            .collect();
        let probes: Vec<String> = p
            .probes_per_step
            .iter()
            .map(|(k, v)| format!("{k} {}", num(*v)))
            .collect();
        let mut notes: Vec<String> = cell.labels.clone();
        notes.extend(observer_note(
            "counters",
            &p.counters_skipped,
            p.counters_skipped_code,
        ));
        notes.extend(observer_note(
            "probes",
            &p.probes_skipped,
            p.probes_skipped_code,
        ));
        notes.extend(cell.profile_note.clone());
        let enters = p.probes_per_step.get(ENTER_PROBE).copied();
        if let (Some(e), Some(b)) = (enters, p.enter_budget_per_step) {
            if e > b * (1.0 + ENTER_BUDGET_SLACK) {
                notes.push(format!("over its syscall budget ({} > {})", num(e), num(b)));
            }
        }
        row.extend([
            cell.observer_cost().map_or("-".into(), ObserverCost::text),
            match (enters, p.enter_budget_per_step) {
                (Some(e), Some(b)) => format!("{} ({})", num(e), num(b)),
                (Some(e), None) => num(e),
                _ => "-".into(),
            },
            counters.join(", "),
            probes.join(", "),
            notes.join("; "),
        ]);
        t.push(row);
    }
    (!t.rows.is_empty()).then_some(t)
}

/// Why an observer of the profile pass recorded nothing: a machine that
/// lacks it says so plainly, one that broke says `failed`, by the code.
fn observer_note(
    observer: &str,
    text: &Option<String>,
    code: Option<ReasonCode>,
) -> Option<String> {
    let text = text.as_deref()?;
    Some(match code {
        Some(code) if !code.is_missing_capability() => format!("{observer} failed: {text}"),
        _ => format!("{observer}: {text}"),
    })
}

/// One line per reason a perf counter has no value, naming the counters and
/// how many profiled cells it applies to: said once under the profile table
/// rather than in every row, as `perf stat` says `<not supported>` and no more.
fn counters_without_value(report: &Report) -> Vec<String> {
    let mut by_reason: BTreeMap<String, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for cell in &report.cells {
        let Some(p) = &cell.profile else { continue };
        let mut reasons_here = BTreeSet::new();
        for c in p.counters.iter().filter(|c| c.per_step.is_none()) {
            // Said with its code, as the cells not run are; a counter
            // without a code (files from before codes) was not counted.
            let code = c.unsupported_code.unwrap_or(ReasonCode::CounterNotCounted);
            let why = match c.unsupported.as_deref() {
                Some(text) => format!("[{code}]: {text}"),
                None => format!("[{code}]"),
            };
            by_reason
                .entry(why.clone())
                .or_default()
                .0
                .insert(c.name.as_str());
            reasons_here.insert(why);
        }
        for why in reasons_here {
            by_reason.entry(why).or_default().1 += 1;
        }
    }
    by_reason
        .into_iter()
        .map(|(why, (names, cells))| {
            let names: Vec<&str> = names.into_iter().collect();
            let word = if cells == 1 { "cell" } else { "cells" };
            format!("{} {why} (in {cells} {word})", names.join(", "))
        })
        .collect()
}

/// The whole report as a document: the overview first, then the plots,
/// the full tables folded under one line each, the machines, and the cells
/// that did not run as they should; a section with nothing to say is left out.
pub fn report_document(
    report: &Report,
    plots: &Plots,
    opts: &CompareOptions,
) -> Result<Document, ReportError> {
    let mut doc = Document::new(REPORT_TITLE);
    doc.blocks
        .extend(overview::blocks(report, opts, plots.drawn())?);
    doc.blocks
        .extend(crate::render::kernel_tables::blocks(report));
    doc.blocks
        .extend(crate::render::kernel_tables::presence_blocks(report));
    doc.blocks.extend(plot_blocks(plots));
    for section in [
        cell_blocks,
        harness_blocks,
        anchor_cost_blocks,
        profile_blocks,
        machine_blocks,
        not_run_blocks,
        control_blocks,
    ] {
        doc.blocks.extend(section(report));
    }
    Ok(doc)
}

/// The cell table, folded, with what its columns mean.
fn cell_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    blocks.push(Block::Heading(2, "Cells".into()));
    blocks.push(Block::Paragraph(format!(
        "Median ns per step over the timing repetitions with its bootstrap 95% \
         confidence interval; CV is the coefficient of variation, marked noisy when \
         it is over {} whatever the machine, or when \
         the cell missed its target precision and its CV is over {NOISE_FACTOR} times \
         the machine's own (its raw loop's in the same rounds; without raw loops, \
         the median CV of the input's cells); \
         out counts repetitions outside Tukey's fences; x link is the ratio to \
         link with the same mode, op and shape; x raw is the harness's overhead, \
         the ratio to the raw reference loop run beside the cell; precision is the \
         half-width of the interval over the median, with why the repetitions \
         stopped when that was not the target precision (budget, max); order is \
         the verdict of the order check, and a control's broken order is \
         \"{EXPECTED_BREAK}\". A cell noted oversubscribed needed more busy threads \
         (submitters, SQPOLL threads, helpers on every step's path) than the \
         CPUs it could use: its threads took turns on a CPU, so its number is \
         shown but left out of every ratio, chart scale and comparison.",
        pct(CV_LIMIT)
    )));
    blocks.push(folded(
        format!("All {} cells", report.cells.len()),
        cells_table(report),
    ));
    blocks
}

/// The harness overhead table, for cells with a raw reference loop.
fn harness_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some(t) = harness_table(report) {
        blocks.push(Block::Heading(2, "Harness overhead".into()));
        blocks.push(Block::Paragraph(
            "Each cell with a raw reference loop (the same stream of NOPs on the io-uring \
             crate, no harness, run beside every repetition): its median ns/step, the raw \
             loop's, their ratio, and what the order check adds to the raw loop per step \
             (checked minus plain, median of the loop's repetitions with its 95% \
             interval; \"in noise\" where that interval crosses zero, so no figure is \
             given)."
                .into(),
        ));
        blocks.push(folded(format!("{} cells", t.rows.len()), t));
    }
    blocks
}

/// Each cell's cost in its machine's anchors, where informative.
fn anchor_cost_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some((t, beyond)) = in_anchors_table(report) {
        blocks.push(Block::Heading(2, "Cost in physical anchors".into()));
        let mut text = format!(
            "Each cell's median ns/step divided by the anchors calibrated on its machine; \
             below {ANCHOR_FLOOR}x a cell costs a small fraction of the anchor and no \
             multiple is given."
        );
        if !beyond.is_empty() {
            text.push_str(&format!(
                " No column for the anchors no cell costs {ANCHOR_FLOOR}x of: {}.",
                beyond.join(", ")
            ));
        }
        blocks.push(Block::Paragraph(text));
        blocks.push(folded(format!("{} cells", t.rows.len()), t));
    }
    blocks
}

/// The profile pass: counts per step, its overhead, and the counters
/// without a value said once.
fn profile_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some(t) = profile_table(report) {
        blocks.push(Block::Heading(2, "Profile pass".into()));
        blocks.push(Block::Paragraph(
            "Counts per step with perf counters and BPF probes attached. Overhead is \
             the one observed pass's ns/step over the timing repetitions' median, shown \
             only where that pass lies outside the repetitions' own range: \"in noise\" \
             when it lies within it (one pass cannot tell the observers' cost from the \
             cell's variation), and \"below every repetition\" when the timing \
             repetitions, each on a fresh set-up right after another cell's, all ran \
             slower than the profile pass did, which is no cost of observing."
                .into(),
        ));
        let why = counters_without_value(report);
        if !why.is_empty() {
            blocks.push(Block::Paragraph(
                "Counters without a value, and why:".into(),
            ));
            blocks.push(Block::List(why));
        }
        blocks.push(folded(format!("{} cells", t.rows.len()), t));
    }
    blocks
}

/// Each machine: its facts, how it measured, the command that reproduces
/// the run, its anchors and the lines that could not be read.
fn machine_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (s, src) in report.sources.iter().enumerate() {
        blocks.push(Block::Heading(2, format!("Machine: {}", src.label)));
        blocks.push(Block::List(machine_facts(src)));
        let measurement = measurement_lines(report, s);
        if !measurement.is_empty() {
            blocks.push(Block::Paragraph("Measurement:".into()));
            blocks.push(Block::List(measurement));
        }
        blocks.push(Block::Paragraph("Reproduce with:".into()));
        blocks.push(Block::Code(shell_line(src.header.run.reproduce_with())));
        blocks.extend(anchor_blocks(src));
        if !src.warnings.is_empty() {
            blocks.push(Block::Heading(3, "Lines skipped while reading".into()));
            blocks.push(Block::List(src.warnings.clone()));
        }
    }
    blocks
}

/// The input a cell came from, when the report has several.
fn source_of(report: &Report, c: &CellSummary) -> String {
    if report.multi() {
        format!(" @{}", report.sources[c.source].label)
    } else {
        String::new()
    }
}

/// The cells that were skipped, failed or interrupted, with their codes.
fn not_run_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    let not_run: Vec<String> = report
        .cells
        .iter()
        .filter(|c| !c.as_expected())
        .map(|c| format!("{}{}: {}", c.name, source_of(report, c), c.status_line()))
        .collect();
    if !not_run.is_empty() {
        blocks.push(Block::Heading(
            2,
            "Skipped, failed and interrupted cells".into(),
        ));
        blocks.push(Block::List(not_run));
    }
    blocks
}

/// The controls: cells of a style that promises no order, whose broken
/// order proves the check catches a real one.
fn control_blocks(report: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    let controls: Vec<String> = report
        .cells
        .iter()
        .filter(|c| c.status == CellStatus::Control)
        .map(|c| format!("{}{}: {}", c.name, source_of(report, c), c.order_verdict()))
        .collect();
    if !controls.is_empty() {
        blocks.push(Block::Heading(2, "Controls".into()));
        blocks.push(Block::Paragraph(
            "Cells of a style that promises no order: where the op finishes out of \
             order, the order check must catch the break, which proves it catches a \
             real one. Not failures."
                .into(),
        ));
        blocks.push(Block::List(controls));
    }
    blocks
}

/// A full table folded under a one-line summary.
fn folded(summary: String, table: Table) -> Block {
    Block::Details(summary, vec![Block::Table(table)])
}

/// The report's "Plots" section: of each kind of figure (the title
/// before its `:`) the first, the others folded under one line, then one
/// line per figure left out; nothing when there is neither.
fn plot_blocks(plots: &Plots) -> Vec<Block> {
    if plots.files.is_empty() && plots.not_drawn.is_empty() {
        return Vec::new();
    }
    let mut blocks = vec![Block::Heading(2, "Plots".into())];
    let kinds = group_consecutive(&plots.files, |f| {
        f.title
            .split_once(": ")
            .map_or(&*f.title, |(kind, _)| kind)
            .to_string()
    });
    for (kind, files) in kinds {
        let mut figures = files.into_iter().cloned().map(Block::Figure);
        blocks.extend(figures.next());
        let rest: Vec<Block> = figures.collect();
        if !rest.is_empty() {
            blocks.push(Block::Details(format!("{} more: {kind}", rest.len()), rest));
        }
    }
    if !plots.not_drawn.is_empty() {
        blocks.push(Block::Paragraph("Not drawn:".into()));
        blocks.push(Block::List(
            plots.not_drawn.iter().map(ToString::to_string).collect(),
        ));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fsync_dir_line_names_what_the_header_holds_and_leaves_out_the_rest() {
        let full = FsyncDir {
            path: "/var/tmp".into(),
            fs_type: Some("ext4".into()),
            source: Some("/dev/vda".into()),
            mount_options: Some("rw,relatime".into()),
            write_cache: Some("write back".into()),
            rotational: Some(false),
        };
        assert_eq!(
            fsync_dir_line(&full),
            "fsync files: /var/tmp on ext4 (/dev/vda, rw,relatime; write cache: write back, non-rotational)"
        );
        let tmpfs = FsyncDir {
            write_cache: None,
            rotational: None,
            source: Some("tmpfs".into()),
            fs_type: Some("tmpfs".into()),
            ..full
        };
        assert_eq!(
            fsync_dir_line(&tmpfs),
            "fsync files: /var/tmp on tmpfs (tmpfs, rw,relatime)"
        );
        let missing = FsyncDir {
            path: "/nowhere".into(),
            ..FsyncDir::default()
        };
        assert_eq!(
            fsync_dir_line(&missing),
            "fsync files: /nowhere on an unknown file system"
        );
    }
}
