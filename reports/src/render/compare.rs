//! compare.md and the terminal's text of a [`Comparison`]: the header
//! differences first, then a row per cell (both medians, the change with its
//! interval, p and q, the verdict and why), the cells missing on either
//! side, and a line counting the verdicts. The mail of the same comparison
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
            parts.push(format!("{} only in baseline", self.only_base.len()));
        }
        if !self.only_cand.is_empty() {
            parts.push(format!("{} only in candidate", self.only_cand.len()));
        }
        format!(
            "{} cells compared (threshold {}, alpha {}): {}",
            self.cells.len(),
            signed_pct(self.options.threshold).trim_start_matches('+'),
            self.options.alpha,
            parts.join(", ")
        )
    }

    fn table(&self) -> Table {
        let mut t = Table::new(&[
            ("cell", Align::Left),
            ("base ns/step", Align::Right),
            ("cand ns/step", Align::Right),
            ("change", Align::Right),
            ("95% CI of change", Align::Right),
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
            t.push(vec![
                c.name.clone(),
                value(&c.base),
                value(&c.cand),
                change,
                ci,
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
             at least {}; the interval is the bootstrap {:.0}% CI of the ratio of medians.",
            self.options.alpha,
            signed_pct(self.options.threshold).trim_start_matches('+'),
            CONFIDENCE * 100.0
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
