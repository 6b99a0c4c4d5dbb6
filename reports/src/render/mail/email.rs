//! email.txt: the mail a person can post to the io-uring list, built to
//! make its point in thirty seconds. It holds at most [`MAIL_LINES`] lines
//! of at most [`MAIL_WIDTH`] ASCII columns, in this order:
//! - a `Subject:` line built from the headline finding (the cheapest style
//!   at the headline place, and the dearest style there);
//! - the verdict paragraph the report opens with ([`verdict_text`]);
//! - one table: styles down, modes across, `×link` with its interval, at
//!   the headline op and shape;
//! - the findings: a study's, or for a plain sweep the verdict's claims
//!   (a style's cost against link at named places, with intervals; a range
//!   never crosses 1x: a style cheaper at one place and dearer at another
//!   says so); with several kernels, the findings merged across kernels
//!   (which say once what holds on several);
//! - the failures, grouped by cause;
//! - with several kernels, the cells that changed between them;
//! - the measurement's overhead and noise lines;
//! - a legend of the shape notation;
//! - the machine and a reproduce block that works from the mail alone: a
//!   config file's lines inline when the run had one and they fit, else
//!   the built-in config's command with the tool's version.
//!
//! What does not fit is cut whole (a finding or a claim is never cut
//! mid-sentence) and counted in a "... and N more" line pointing to
//! [`FULL_MAIL`], the attachment with every finding and every cell.

use super::email_full::FULL_MAIL;
use super::kernel_lines::{mail_alone, mail_cell, mail_head, mail_summary};
use super::{command_lines, finding_lines, machine_lines, wrap, MAIL_WIDTH};
use crate::analysis::causes::failures;
use crate::analysis::findings::{Finding, Kind};
use crate::analysis::judgement::CompareOptions;
use crate::analysis::kernels::{self, CellAcross};
use crate::analysis::model::{Report, Source, BASELINE_STYLE, OVERSUBSCRIBED};
use crate::analysis::verdict::{Cheapest, CostKind, ModeVerdict, Place, StyleCost};
use crate::error::ReportError;
use crate::format::{ascii, ratio};
use crate::render::exporter::Exporter;
use crate::render::overview::overhead_lines;
use crate::render::table::{Align, Table};
use crate::render::verdict_text::{failure_sentence, paragraph, with_interval};
use crate::render::Rendered;
use crate::schema::CellKey;

/// Most lines email.txt has.
pub const MAIL_LINES: usize = 100;
/// Most lines the between-kernels block takes.
const KERNEL_LINES: usize = 20;
/// Lines kept for the findings before the verdict takes the rest.
const FINDINGS_ROOM: usize = 12;
/// Most lines a config is quoted in; a longer one is in [`FULL_MAIL`].
pub const CONFIG_LINES: usize = 15;
/// The file name the inline config is saved as.
pub const INLINE_CONFIG: &str = "sweep.toml";

/// Writes email.txt.
pub struct EmailExporter;

impl Exporter<Rendered> for EmailExporter {
    fn file_name(&self) -> &'static str {
        "email.txt"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(email(input).into_bytes()))
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
pub fn email(input: &Rendered) -> String {
    let report = &input.report;
    let places = Place::all(report, &input.options);
    let verdicts = ModeVerdict::of_places(&places);
    let headline = headline(report, &places);
    let verdict: Vec<Vec<String>> = paragraph(report, &verdicts)
        .iter()
        .map(|s| wrap(&ascii(s), MAIL_WIDTH, "- ", "  "))
        .collect();
    let table = headline_table(report, &places);
    let failed: Vec<String> = failures(report)
        .iter()
        .flat_map(|g| wrap(&ascii(&failure_sentence(report, g)), MAIL_WIDTH, "- ", "  "))
        .collect();
    let measurement: Vec<String> = (0..report.sources.len())
        .flat_map(|s| overhead_and_noise(report, s))
        .flat_map(|l| wrap(&ascii(&l), MAIL_WIDTH, "- ", "  "))
        .collect();
    let legend = headline.map_or_else(Vec::new, |h| legend_lines(&h.ranked[0].cell.key));
    let tail = tail_lines(report);
    let kernels = between_kernels(report, KERNEL_LINES);
    // A study's findings, and with several kernels the findings merged
    // across them, are the findings' own; a plain sweep on one kernel
    // gets the verdict's claims.
    let own = input.study.is_some() || report.multi() || !sweep_findings(&input.findings);
    let claims: Vec<Vec<String>> = match own {
        true => finding_lines(report, &mail_order(report, &input.findings)),
        false => verdicts
            .iter()
            .flat_map(|v| claims(report, v))
            .map(|c| wrap(&ascii(&c), MAIL_WIDTH, "- ", "  "))
            .collect(),
    };

    let mut out = vec![subject(report, headline), String::new()];
    let titled = |title: &str, lines: Vec<String>| -> Vec<String> {
        match lines.is_empty() {
            true => lines,
            false => std::iter::once(title.to_string()).chain(lines).collect(),
        }
    };
    let failed = titled("Failed, by cause:", failed);
    let measurement = titled("Measurement:", measurement);
    let after: Vec<Vec<String>> = [failed, kernels, measurement, legend, tail]
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect();
    let after_len: usize = after.iter().map(|b| b.len() + 1).sum();
    // The verdict's sentences, as many as leave room for the table and
    // what follows; then the findings in what is left.
    // The findings keep a few claims' room; the verdict takes the rest.
    let reserve = claims
        .iter()
        .map(Vec::len)
        .sum::<usize>()
        .min(FINDINGS_ROOM)
        + 2;
    let verdict_room = MAIL_LINES.saturating_sub(
        out.len() + verdict_title(&input.options).len() + 1 + table.len() + after_len + reserve,
    );
    let (_, verdict_lines) = fitted(&verdict, verdict_room, "verdicts");
    if !verdict_lines.is_empty() {
        out.extend(verdict_title(&input.options));
        out.extend(verdict_lines);
    }
    if !table.is_empty() {
        out.push(String::new());
        out.extend(table);
    }
    let findings_room = MAIL_LINES.saturating_sub(out.len() + 2 + after_len);
    if findings_room > 1 && !claims.is_empty() {
        let (_, lines) = fitted(&claims, findings_room - 1, "findings");
        out.push(String::new());
        out.push("Findings:".to_string());
        out.extend(lines);
    }
    for block in after {
        out.push(String::new());
        out.extend(block);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The measurement's overhead and noise lines of one input (its trust
/// sentence in the verdict gives the share of precise intervals).
fn overhead_and_noise(report: &Report, source: usize) -> Vec<String> {
    let on = match report.multi() {
        true => format!("{}: ", report.sources[source].label),
        false => String::new(),
    };
    overhead_lines(report, source)
        .into_iter()
        .map(|l| format!("{on}{l}"))
        .collect()
}

/// What the verdict's lines open with: the rule they follow.
pub fn verdict_title(opts: &CompareOptions) -> Vec<String> {
    wrap(
        &format!(
            "Verdict (a difference from link needs q < {} after \
             Benjamini-Hochberg, {:.0}% or more, beyond the harness overheads):",
            opts.alpha,
            opts.threshold * 100.0
        ),
        MAIL_WIDTH,
        "",
        "",
    )
}

/// Whether the findings are a plain sweep's (ranges and broken orders,
/// which the verdict's claims and the failures by cause replace).
fn sweep_findings(findings: &[Finding]) -> bool {
    findings
        .iter()
        .all(|f| matches!(f.kind, Kind::Range(_) | Kind::Broken(_)))
}

/// As many whole items (each a few lines) as fit in `budget` lines, with a
/// line counting the rest when some are left out; returns how many are shown.
fn fitted(items: &[Vec<String>], budget: usize, what: &str) -> (usize, Vec<String>) {
    let total: usize = items.iter().map(Vec::len).sum();
    let room = match total <= budget {
        true => budget,
        false => budget.saturating_sub(1),
    };
    let mut out = Vec::new();
    let mut shown = 0;
    for lines in items {
        if out.len() + lines.len() > room {
            break;
        }
        out.extend(lines.iter().cloned());
        shown += 1;
    }
    if shown < items.len() {
        out.push(more_line(items.len() - shown, what));
    }
    (shown, out)
}

/// The headline place: of the preferred kernel, the op and shape where the
/// most styles were set against link over every mode, at its first mode.
fn headline<'p, 'r>(report: &Report, places: &'p [Place<'r>]) -> Option<&'p Place<'r>> {
    let source = *kernels::preference(report).first()?;
    let of_source = || {
        places
            .iter()
            .filter(move |p| p.source == source && p.link().is_some())
    };
    let compared = |p: &Place| p.ranked.iter().filter(|e| e.x_link.is_some()).count();
    let mut best: Option<(&Place, usize)> = None;
    for p in of_source() {
        let n: usize = of_source()
            .filter(|q| q.op == p.op && q.shape == p.shape)
            .map(compared)
            .sum();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((p, n));
        }
    }
    best.map(|(p, _)| p)
}

/// `Subject:` from the headline place: the cheapest style (or the styles
/// tied for it) and the dearest style's `×link`, shortened to the width.
fn subject(report: &Report, headline: Option<&Place>) -> String {
    let Some(h) = headline else {
        return "Subject: [uring-syncbench] no style could be set against link".into();
    };
    let kernel = ascii(&report.sources[h.source].label);
    let at = format!("{} {} {}", h.mode, h.op, h.shape);
    let cheapest = match h.cheapest() {
        Some(Cheapest::One(style)) => vec![format!("{style} cheapest")],
        Some(Cheapest::Tie(styles)) => vec![
            format!("{} tie cheapest", styles.join(" = ")),
            format!("{} styles tie cheapest", styles.len()),
        ],
        None => vec![String::new()],
    };
    let dearest = h
        .ranked
        .iter()
        .rev()
        .find_map(|e| Some((e, e.x_link?)))
        .filter(|(_, j)| j.standing.differs())
        .map(|(e, j)| format!(", {} {} link", e.style, ratio(j.change.ratio)));
    let dearest = dearest.unwrap_or_default();
    let candidates: Vec<String> = cheapest
        .iter()
        .flat_map(|c| {
            [
                format!("Subject: [uring-syncbench] {kernel} {at}: {c}{dearest}"),
                format!("Subject: [uring-syncbench] {kernel} {at}: {c}"),
                format!("Subject: [uring-syncbench] {at}: {c}"),
                format!("Subject: {at}: {c}"),
            ]
        })
        .collect();
    match candidates.iter().find(|s| s.len() <= MAIL_WIDTH) {
        Some(s) => s.clone(),
        None => wrap(
            candidates.last().map_or("", String::as_str),
            MAIL_WIDTH,
            "",
            "",
        )
        .swap_remove(0),
    }
}

/// A ratio's interval as `±2%` of it (under 1% with one decimal).
fn plus_minus(c: &crate::analysis::judgement::Change) -> String {
    let w = 100.0 * c.ci.half_width_around(c.ratio) / c.ratio;
    match w < 1.0 {
        true => format!("+-{w:.1}%"),
        false => format!("+-{w:.0}%"),
    }
}

/// The mail's table of verdicts at its headline op and shape (see
/// [`table_lines`]), for a terminal to print at the end of a sweep; empty
/// when no place has link timed.
pub fn headline_table(report: &Report, places: &[Place]) -> Vec<String> {
    headline(report, places).map_or_else(Vec::new, |h| table_lines(report, places, h))
}

/// The one table: every ordering style but link down, the modes across,
/// each cell `×link ±interval` at the headline op and shape; split into
/// blocks of modes when one would be wider than the mail.
fn table_lines(report: &Report, places: &[Place], h: &Place) -> Vec<String> {
    let here: Vec<&Place> = places
        .iter()
        .filter(|p| p.source == h.source && p.op == h.op && p.shape == h.shape)
        .collect();
    let mut styles: Vec<String> = Vec::new();
    for c in report.cells.iter().filter(|c| {
        let p = c.parts();
        c.source == h.source && p.op == h.op && p.shape == h.shape && report.promises_order(c)
    }) {
        let style = c.parts().style;
        if style != BASELINE_STYLE && !styles.contains(&style) {
            styles.push(style);
        }
    }
    let value = |p: &Place, style: &str| -> String {
        if let Some(e) = p.ranked.iter().find(|e| e.style == style) {
            return match e.x_link {
                Some(j) => format!("{} {}", ratio(j.change.ratio), plus_minus(&j.change)),
                None => "-".into(),
            };
        }
        match p.not_ranked.iter().find(|(c, _)| c.parts().style == style) {
            Some((_, w)) if *w == OVERSUBSCRIBED => "oversub.".into(),
            Some((_, w)) => (*w).into(),
            None => "-".into(),
        }
    };
    // One kernel's figures: an emulated kernel's never beside a real one's.
    let on = match report.multi() {
        true => format!(" on {}", ascii(&report.sources[h.source].label)),
        false => String::new(),
    };
    let mut out = wrap(
        &format!("x link at {} {}{on}, +- its 95% interval:", h.op, h.shape),
        MAIL_WIDTH,
        "",
        "  ",
    );
    let mut modes: &[&Place] = &here;
    while !modes.is_empty() {
        let mut n = modes.len();
        loop {
            let t = mode_table(&modes[..n], &styles, value);
            let text = t.to_text(1, None);
            if n == 1 || text.lines().all(|l| l.len() <= MAIL_WIDTH) {
                out.extend(t.to_text(1, Some(MAIL_WIDTH)).lines().map(str::to_string));
                break;
            }
            n -= 1;
        }
        modes = &modes[n..];
    }
    out
}

fn mode_table(
    modes: &[&Place],
    styles: &[String],
    value: impl Fn(&Place, &str) -> String,
) -> Table {
    let mut columns = vec![("style", Align::Left)];
    columns.extend(modes.iter().map(|p| (p.mode.as_str(), Align::Right)));
    let mut t = Table::new(&columns);
    for style in styles {
        let mut row = vec![style.clone()];
        row.extend(modes.iter().map(|p| value(p, style)));
        t.push(row);
    }
    t
}

/// The verdict of one mode as claims a reader can check: each style's cost
/// against link at named places with intervals, the styles that tie with
/// it, the styles too few blocks left undecided.
fn claims(report: &Report, v: &ModeVerdict) -> Vec<String> {
    let on = match report.multi() {
        true => format!(" ({})", report.sources[v.source].label),
        false => String::new(),
    };
    let mut out: Vec<String> = v
        .costs
        .iter()
        .map(|c| cost_claim(&v.mode, &on, c))
        .collect();
    if v.ties.len() > 1 {
        out.push(format!(
            "{}{on}: {} show no significant difference from link at any place.",
            v.mode,
            crate::render::verdict_text::and_list(&v.ties[1..])
        ));
    }
    out
}

fn cost_claim(mode: &str, on: &str, c: &StyleCost) -> String {
    let places = c.differs + c.ties + c.too_few;
    let ties = match c.ties {
        0 => String::new(),
        n => format!(", ties at {n}"),
    };
    let count = format!(
        "differs from link at {} of {places} places{ties}",
        c.differs
    );
    let (lo, hi) = (&c.low, &c.high);
    match (c.kind, lo.1 == hi.1) {
        (CostKind::Mixed, _) => format!(
            "{mode}{on}: {} is cheaper than link at {}, {}, and dearer at {}, {} ({count}).",
            c.style,
            lo.1,
            with_interval(&lo.0),
            hi.1,
            with_interval(&hi.0)
        ),
        (_, true) => format!(
            "{mode}{on}: {} costs {} link at {} ({count}).",
            c.style,
            with_interval(&lo.0),
            lo.1
        ),
        (_, false) => format!(
            "{mode}{on}: {} costs {} link at {} to {} at {} ({count}).",
            c.style,
            with_interval(&lo.0),
            lo.1,
            with_interval(&hi.0),
            hi.1
        ),
    }
}

/// What a shape's name means, with the headline's as the example.
fn legend_lines(key: &CellKey) -> Vec<String> {
    let sharing = match key.submitters > 1 {
        true => format!(", sharing rings {}", key.sharing),
        false => String::new(),
    };
    let plural = |n: u32, word: &str| match n {
        1 => format!("{n} {word}"),
        _ => format!("{n} {word}s"),
    };
    wrap(
        &format!(
            "Shapes: {} = {}, {} each, batch {} (steps per submission), {}{sharing}. \
             x link: ns/step over link's at the same mode, op and shape.",
            key.shape(),
            plural(key.groups, "group"),
            plural(key.steps, "step"),
            key.batch,
            plural(key.submitters, "submitter"),
        ),
        MAIL_WIDTH,
        "",
        "  ",
    )
}

/// A TOML line cut after commas inside an array (outside strings) so that
/// each piece fits `width`; `None` when it cannot be.
fn toml_lines(line: &str, width: usize) -> Option<Vec<String>> {
    if line.len() <= width {
        return Some(vec![line.to_string()]);
    }
    let mut cuts = Vec::new();
    let (mut depth, mut quote) = (0i32, None::<char>);
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth -= 1,
            (None, ',') if depth > 0 => cuts.push(i + 1),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    while line.len() - start + usize::from(start > 0) * 4 > width {
        let limit = start + width - usize::from(start > 0) * 4;
        let cut = cuts.iter().rev().find(|&&c| c > start && c <= limit)?;
        out.push(line[start..*cut].to_string());
        start = *cut;
    }
    out.push(line[start..].to_string());
    Some(
        out.iter()
            .enumerate()
            .map(|(i, piece)| match i {
                0 => piece.trim_end().to_string(),
                _ => format!("    {}", piece.trim()),
            })
            .collect(),
    )
}

/// The config of `src`, as lines that fit the mail, when the run had a
/// config file, its command names it, and it fits in [`CONFIG_LINES`].
pub fn inline_config(src: &Source) -> Option<Vec<String>> {
    let run = &src.header.run;
    let lines = run.config_lines.as_ref()?;
    run.reproduce_with()
        .iter()
        .find(|a| **a == run.config_path)?;
    let mut out = Vec::new();
    for line in lines {
        out.extend(toml_lines(&ascii(line), MAIL_WIDTH)?);
    }
    (out.len() <= CONFIG_LINES && out.iter().all(|l| l.is_ascii())).then_some(out)
}

/// The reproduce block of one input: the config inline as a here-document
/// and the command with [`INLINE_CONFIG`] in its place, or the command
/// alone (a built-in config, which the tool's version names), or the
/// command and where the config is.
fn reproduce_lines(src: &Source) -> Vec<String> {
    let tool = &src.header.tool;
    let run = &src.header.run;
    let mut out = vec![format!(
        "Reproduce with uring-syncbench {} ({}):",
        tool.version, tool.commit
    )];
    match (inline_config(src), &run.config_lines) {
        (Some(config), _) => {
            out.push(format!("cat > {INLINE_CONFIG} <<'EOF'"));
            out.extend(config);
            out.push("EOF".into());
            let command: Vec<String> = run
                .reproduce_with()
                .iter()
                .map(|a| match *a == run.config_path {
                    true => INLINE_CONFIG.to_string(),
                    false => a.clone(),
                })
                .collect();
            out.extend(
                command_lines(&command)
                    .into_iter()
                    .map(|l| l.trim_start().to_string()),
            );
        }
        (None, Some(lines)) => {
            out.extend(command_lines(run.reproduce_with()));
            out.extend(wrap(
                &format!(
                    "The config ({} lines) is at the end of {FULL_MAIL}.",
                    lines.len()
                ),
                MAIL_WIDTH,
                "",
                "",
            ));
        }
        (None, None) => out.extend(command_lines(run.reproduce_with())),
    }
    out
}

/// The machine of every input, then each distinct reproduce block once,
/// then where the rest is.
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
    // Each distinct block once: kernels swept alike share theirs.
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for src in &report.sources {
        let block = reproduce_lines(src);
        if !blocks.contains(&block) {
            blocks.push(block);
        }
    }
    for block in blocks {
        out.push(String::new());
        out.extend(block);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_toml_array_is_cut_after_its_commas() {
        let line = r#"styles = ["independent", "link", "hardlink", "drain", "userspace", "sync-group", "msg-ring"]"#;
        let lines = toml_lines(line, 40).unwrap();
        assert!(
            lines.len() > 2 && lines.iter().all(|l| l.len() <= 40),
            "{lines:?}"
        );
        assert_eq!(lines.concat().replace(' ', ""), line.replace(' ', ""));
        assert_eq!(
            toml_lines(r#"x = "a, b, c, d""#, 8),
            None,
            "no cut inside a string"
        );
    }
}
