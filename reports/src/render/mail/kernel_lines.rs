//! The kernel axis in the mail: the per-kernel summary and the cells set
//! side by side across kernels ([`crate::analysis::kernels`]), as lines of
//! [`MAIL_WIDTH`] columns: the parts email-full.txt gives whole and email.txt
//! cuts to its room.

use super::{wrap, MAIL_WIDTH};
use crate::analysis::kernels::{self, Between, CellAcross, KernelCell};
use crate::analysis::model::Report;
use crate::analysis::presence;
use crate::format::{ascii, ratio};
use crate::render::kernel_tables::{change, value};

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
pub(super) fn mail_cell(report: &Report, b: &Between, across: &CellAcross) -> Vec<String> {
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
pub(super) fn mail_head(report: &Report, b: &Between) -> Vec<String> {
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
pub(super) fn mail_alone(report: &Report) -> Vec<String> {
    kernels::alone(report)
        .iter()
        .flat_map(|b| wrap(&kernels::alone_line(report, b), MAIL_WIDTH, "- ", "  "))
        .collect()
}

/// The per-kernel summary as mail lines, then where each reproducer's
/// behaviour is present (when the inputs have reproducer runs).
pub fn mail_summary(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    if report.multi() {
        lines.push("Styles per kernel:".to_string());
        for s in kernels::summaries(report) {
            lines.extend(wrap(&ascii(&s.line(report)), MAIL_WIDTH, "- ", "  "));
        }
    }
    lines.extend(presence_lines(report));
    lines
}

/// Each reproducer's presence sentence, one item each; nothing when no
/// input has reproducer runs.
pub fn presence_lines(report: &Report) -> Vec<String> {
    let rows = presence::table(report);
    if rows.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["Reproducers per kernel:".to_string()];
    for row in &rows {
        let text = format!("{}: {}", row.name, presence::sentence(report, row));
        lines.extend(wrap(&ascii(&text), MAIL_WIDTH, "- ", "  "));
    }
    lines
}
