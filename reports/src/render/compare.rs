//! compare.md and the terminal's text of a [`Comparison`]: the header
//! differences and the raw loops' drift first, then a row per cell (both
//! medians, the ns/step change with its interval, the change over the raw
//! loop, the smallest change it could show, p and q, the verdict and why),
//! the cells missing on either side, and a line counting the verdicts, the
//! underpowered cells and why the comparison fails, if it does. The mail of the same comparison
//! is [`crate::render::mail::compare_email`].

use crate::analysis::judgement::{Comparison, Verdict, VERDICTS};
use crate::analysis::model::CellSummary;
use crate::analysis::stats::CONFIDENCE;
use crate::error::ReportError;
use crate::format::{num, p_value, signed_pct};
use crate::render::document::{Block, Document};
use crate::render::exporter::Exporter;
use crate::render::markdown::to_markdown;
use crate::render::table::{Align, Table};

/// Writes compare.md.
pub struct CompareMarkdownExporter;

impl Comparison {
    /// How many cells got each verdict, as one line.
    pub fn summary_line(&self) -> String {
        let count = |v: Verdict| self.cells.iter().filter(|c| c.verdict == v).count();
        let mut parts: Vec<String> = VERDICTS
            .iter()
            .filter(|v| count(**v) > 0)
            .map(|v| format!("{} {}", count(*v), v.word()))
            .collect();
        if !self.only_base.is_empty() {
            parts.push(format!(
                "{} only in baseline{}",
                self.only_base.len(),
                if self.options.allow_missing {
                    " (allowed)"
                } else {
                    ""
                }
            ));
        }
        if !self.only_cand.is_empty() {
            parts.push(format!("{} only in candidate", self.only_cand.len()));
        }
        let underpowered = self.underpowered();
        if underpowered > 0 {
            parts.push(format!(
                "{underpowered} underpowered (could not detect a {} change)",
                self.threshold_word()
            ));
        }
        let mut line = format!(
            "{} cells compared (threshold {}, alpha {}): {}",
            self.cells.len(),
            self.threshold_word(),
            self.options.alpha,
            parts.join(", ")
        );
        let failures: Vec<String> = self.failures().iter().map(ToString::to_string).collect();
        if !failures.is_empty() {
            line.push_str(&format!("; FAILED: {}", failures.join("; ")));
        }
        line
    }

    /// The threshold as a percentage without its sign.
    fn threshold_word(&self) -> String {
        signed_pct(self.options.threshold)
            .trim_start_matches('+')
            .to_string()
    }

    /// The raw loops' drift between the runs, as one sentence.
    pub fn raw_loops_line(&self) -> Option<String> {
        let (ratio, cells) = self.raw_loops?;
        Some(format!(
            "Raw reference loops: {} ns/step from baseline to candidate (median over {cells} \
             cells): the machine's own change, which the change over the raw loop takes out.",
            signed_pct(ratio - 1.0)
        ))
    }

    fn table(&self) -> Table {
        let mut t = Table::new(&[
            ("cell", Align::Left),
            ("base ns/step", Align::Right),
            ("cand ns/step", Align::Right),
            ("ns/step change", Align::Right),
            ("95% CI of change", Align::Right),
            ("over raw loop", Align::Right),
            ("detectable", Align::Right),
            ("p", Align::Right),
            ("q", Align::Right),
            ("verdict", Align::Left),
            ("notes", Align::Left),
        ]);
        for c in &self.cells {
            let value = |s: &CellSummary| s.median().map_or(s.status.word().to_string(), num);
            let (change, ci, p, q) = match &c.change {
                Some(ch) => (
                    signed_pct(ch.ratio - 1.0),
                    format!(
                        "[{}, {}]",
                        signed_pct(ch.ci.lo - 1.0),
                        signed_pct(ch.ci.hi - 1.0)
                    ),
                    p_value(ch.p),
                    p_value(ch.q),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let mut notes = c.labels.clone();
            notes.extend(c.why.clone());
            if c.underpowered(&self.options) {
                notes.push(format!(
                    "underpowered: cannot detect a {} change",
                    self.threshold_word()
                ));
            }
            let normalised = c
                .normalised
                .map_or("-".into(), |n| signed_pct(n.ratio - 1.0));
            let detectable = match (&c.change, c.detectable) {
                (None, _) => "-".into(),
                (Some(_), None) => "none".into(),
                (Some(_), Some(d)) => format!("±{}", signed_pct(d).trim_start_matches('+')),
            };
            t.push(vec![
                c.name.clone(),
                value(&c.base),
                value(&c.cand),
                change,
                ci,
                normalised,
                detectable,
                p,
                q,
                c.verdict.word().into(),
                notes.join("; "),
            ]);
        }
        t
    }

    /// Plain text for the terminal: header differences first, then the table,
    /// the cells missing on either side, and the summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.header_diff.is_empty() {
            out.push_str("Baseline and candidate runs differ:\n");
            for line in &self.header_diff {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
        }
        if let Some(line) = self.raw_loops_line() {
            out.push_str(&format!("{line}\n\n"));
        }
        out.push_str(&format!(
            "baseline:  {}\ncandidate: {}\n\n",
            self.base.path.display(),
            self.cand.path.display()
        ));
        out.push_str(&self.table().to_text(2, None));
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                out.push_str(&format!("\nOnly in the {side}:\n"));
                for n in names {
                    out.push_str(&format!("  {n}\n"));
                }
            }
        }
        out.push('\n');
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// The comparison as a document (for compare.md).
    pub fn document(&self) -> Document {
        let mut doc = Document::new("uring-syncbench comparison");
        if !self.header_diff.is_empty() {
            doc.push(Block::Heading(2, "Runs differ".into()));
            doc.push(Block::List(self.header_diff.clone()));
        }
        if let Some(line) = self.raw_loops_line() {
            doc.push(Block::Paragraph(line));
        }
        doc.push(Block::List(vec![
            format!(
                "baseline: {} ({})",
                self.base.path.display(),
                self.base.label
            ),
            format!(
                "candidate: {} ({})",
                self.cand.path.display(),
                self.cand.label
            ),
        ]));
        doc.push(Block::Paragraph(format!(
            "A verdict needs both significance (the Mann-Whitney U p-value of the \
             repetitions, adjusted for the number of cells compared by \
             Benjamini-Hochberg into q, below {}) and a change of the median of \
             at least {}; the interval is the bootstrap {:.0}% CI of the ratio of medians. \
             \"over raw loop\" is the same change of each cell's ns/step over its own run's raw \
             reference loop, block by block, which a machine that got faster or slower between \
             the runs moves on both sides alike. \"detectable\" is the smallest change the two \
             runs' repetitions could show at alpha {} (their medians' intervals combined); a \
             cell whose detectable change exceeds the threshold is underpowered: a regression \
             of the threshold there would pass unseen.",
            self.options.alpha,
            self.threshold_word(),
            CONFIDENCE * 100.0,
            self.options.alpha
        )));
        let oversubscribed = self
            .cells
            .iter()
            .any(|c| c.base.oversubscribed.is_some() || c.cand.oversubscribed.is_some());
        if oversubscribed {
            doc.push(Block::Paragraph(
                if self.options.include_oversubscribed {
                    "Oversubscribed cells (more busy threads than CPUs) were given verdicts \
                     too (--include-oversubscribed): their threads took turns on a CPU."
                } else {
                    "Oversubscribed cells (more busy threads than CPUs) are not comparable: \
                     their threads took turns on a CPU. --include-oversubscribed gives \
                     them verdicts."
                }
                .into(),
            ));
        }
        doc.push(Block::Table(self.table()));
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                doc.push(Block::Heading(2, format!("Only in the {side}")));
                doc.push(Block::List(names.clone()));
            }
        }
        doc.push(Block::Paragraph(self.summary_line()));
        doc
    }
}

impl Exporter<Comparison> for CompareMarkdownExporter {
    fn file_name(&self) -> &'static str {
        "compare.md"
    }

    fn serialize(&self, input: &Comparison) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(to_markdown(&input.document()).into_bytes()))
    }
}
