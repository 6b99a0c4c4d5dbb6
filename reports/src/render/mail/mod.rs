//! The mail: email.txt ([`email`], the message to post), email-full.txt
//! ([`email_full`], its attachment) and a comparison's compare-email.txt
//! ([`compare_email`]), one file each, named after the file it writes. This
//! module holds what they share: the width and word wrapping of every line,
//! the footnotes of cell labels, the table of cells of one op, the findings
//! as lines, and the machine and command lines. Every line fits in
//! [`MAIL_WIDTH`] columns and is ASCII.

pub mod compare_email;
pub mod email;
pub mod email_full;
pub mod kernel_lines;

use crate::analysis::findings::{sentence, Finding};
use crate::analysis::kernels;
use crate::analysis::load::LoadSummary;
use crate::analysis::model::{CellStatus, CellSummary, Report, Source};
use crate::format::{ascii, num, ratio};
use crate::render::anchor_lines;
use crate::render::document::shell_quote;
use crate::render::sections::fsync_dir_line;
use crate::render::table::{Align, Table};

/// Widest line a mail may have.
pub const MAIL_WIDTH: usize = 72;
/// Word-wraps `text` to `width` columns; the first line starts with `first`,
/// the others with `rest`. Words longer than a line are cut.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    wrap_words(text.split_whitespace(), width, first, rest)
}

/// [`wrap`] over given words (which may contain spaces, e.g. quoted
/// arguments). Linear in the text: each line's width is counted as it grows,
/// and a word longer than a line is cut by walking it once.
fn wrap_words<'a>(
    words: impl Iterator<Item = &'a str>,
    width: usize,
    first: &str,
    rest: &str,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut used = first.chars().count();
    let mut empty = true;
    for word in words {
        let mut word = word;
        let mut len = word.chars().count();
        loop {
            let sep = usize::from(!empty);
            if used + sep + len <= width {
                if !empty {
                    line.push(' ');
                }
                line.push_str(word);
                used += sep + len;
                empty = false;
                break;
            }
            if !empty {
                lines.push(std::mem::replace(&mut line, rest.to_string()));
                used = rest.chars().count();
                empty = true;
                continue;
            }
            let room = width.saturating_sub(used).max(1);
            let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
            line.push_str(&word[..cut]);
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            used = rest.chars().count();
            word = &word[cut..];
            len -= room.min(len);
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
    let package = kernels::package(m).map_or(String::new(), |p| format!(" ({p})"));
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
    // A loaded machine is said beside the machine, in every mail.
    if let Some(warning) = LoadSummary::of(&src.loads).and_then(|l| l.warning()) {
        lines.extend(wrap(&ascii(&warning), MAIL_WIDTH, "", "  "));
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
        lines.extend(wrap(&ascii(&anchor_lines::line(a)), MAIL_WIDTH, "- ", "  "));
    }
    if let Some(c) = &h.calibration {
        lines.extend(wrap(
            &ascii(&anchor_lines::calibration_sentence(c)),
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

/// Every finding as mail lines, each sentence wrapped under a `- `.
pub fn finding_lines(report: &Report, findings: &[Finding]) -> Vec<Vec<String>> {
    findings
        .iter()
        .map(|f| wrap(&ascii(&sentence(report, f)), MAIL_WIDTH, "- ", "  "))
        .collect()
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
    fn wrapping_is_linear_in_the_text() {
        // Quadratic wrapping took 6.6 s for 640 KB and over a minute for 5 MB.
        let word = "h".repeat(5 << 20);
        let text = format!("{word} {}", "w ".repeat(1 << 20));
        let start = std::time::Instant::now();
        let lines = wrap(&text, 72, "  ", "  ");
        let took = start.elapsed();
        assert!(lines.iter().all(|l| l.chars().count() <= 72));
        assert_eq!(lines.concat().matches('h').count(), 5 << 20);
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
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
        assert_eq!(joined, crate::render::document::shell_line(&args));
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
