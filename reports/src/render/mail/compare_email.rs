//! compare-email.txt: a comparison as plain text for the mailing list
//! ([`MAIL_WIDTH`] columns), in the shape of the 0-day/LKP test robot's
//! reports: a headline per regressed or newly failed cell, then only the
//! cells that changed (baseline ± stddev, %change, candidate ± stddev,
//! cell), then how the two runs differ.

use crate::analysis::judgement::{CellComparison, Comparison, Verdict};
use crate::analysis::model::CellSummary;
use crate::analysis::stats::coefficient_of_variation;
use crate::error::ReportError;
use crate::format::{ascii, num, signed_pct};
use crate::render::exporter::Exporter;
use crate::render::mail::{anchor_lines, command_lines, machine_lines, wrap, MAIL_WIDTH};

/// Writes compare-email.txt.
pub struct CompareEmailExporter;

impl Comparison {
    /// Plain text for the mailing list (72 columns), in the shape of the
    /// 0-day/LKP test robot's reports: a headline per regressed or newly
    /// failed cell, then only the cells that changed (baseline ± stddev,
    /// %change, candidate ± stddev, cell), then how the two runs differ.
    pub fn email(&self) -> String {
        let mut out: Vec<String> = vec![
            "uring-syncbench: baseline vs candidate".into(),
            String::new(),
        ];
        let headlines = self.headlines();
        if headlines.is_empty() {
            out.push("No regression and no newly failed cell.".into());
        }
        for line in headlines {
            out.extend(wrap(&line, MAIL_WIDTH, "", "    "));
        }
        let changed: Vec<&CellComparison> = self
            .cells
            .iter()
            .filter(|c| {
                matches!(
                    c.verdict,
                    Verdict::Regression | Verdict::Improvement | Verdict::Broken
                )
            })
            .collect();
        if !changed.is_empty() {
            out.push(String::new());
            out.extend(changed_table(&changed));
        }
        if !self.header_diff.is_empty() {
            out.push(String::new());
            out.push("The runs differ:".into());
            for line in &self.header_diff {
                out.extend(wrap(&ascii(line), MAIL_WIDTH, "  ", "    "));
            }
        }
        if let Some(line) = self.raw_loops_line() {
            out.push(String::new());
            out.extend(wrap(&ascii(&line), MAIL_WIDTH, "", ""));
        }
        for (side, src) in [("Baseline", &self.base), ("Candidate", &self.cand)] {
            out.push(String::new());
            out.push(format!("{side}:"));
            out.extend(machine_lines(src));
            out.extend(anchor_lines(src));
            out.extend(command_lines(src.header.run.reproduce_with()));
        }
        for (side, names) in [
            ("baseline", &self.only_base),
            ("candidate", &self.only_cand),
        ] {
            if !names.is_empty() {
                out.push(String::new());
                out.push(format!("Only in the {side}:"));
                for n in names {
                    out.extend(wrap(n, MAIL_WIDTH, "- ", "  "));
                }
            }
        }
        out.push(String::new());
        out.extend(wrap(&self.summary_line(), MAIL_WIDTH, "", ""));
        let mut text = out.join("\n");
        text.push('\n');
        text
    }

    /// One line per regressed cell (`ns/step +12.2%: regression of CELL`,
    /// one figure: the change of its median ns/step) and per cell that
    /// broke, with why.
    pub fn headlines(&self) -> Vec<String> {
        self.cells
            .iter()
            .filter_map(|c| match (c.verdict, &c.change) {
                (Verdict::Regression, Some(ch)) => Some(format!(
                    "ns/step {}: regression of {}",
                    signed_pct(ch.ratio - 1.0),
                    c.name
                )),
                (Verdict::Broken, _) => Some(format!(
                    "{} newly failed: {}",
                    c.name,
                    c.why.as_deref().unwrap_or("failed")
                )),
                _ => None,
            })
            .collect()
    }
}

/// The LKP-style table of the cells that changed: median ± the relative
/// standard deviation of the repetitions on each side, the change of the
/// median between them, and the cell, which goes on a line of its own when
/// it does not fit beside the numbers.
fn changed_table(cells: &[&CellComparison]) -> Vec<String> {
    let side = |s: &CellSummary| match s.median() {
        Some(m) => format!(
            "{:>7} {:>5}",
            num(m),
            coefficient_of_variation(&s.ns_samples)
                .map_or(String::new(), |cv| format!("+-{:.0}%", cv * 100.0))
        ),
        None => format!("{:>13}", s.status.word()),
    };
    let mut lines = vec![
        "         base            candidate".to_string(),
        "-------------  -------------------------".to_string(),
        "      %stddev   %change        %stddev".to_string(),
        "            \\        |              \\".to_string(),
    ];
    for c in cells {
        let change = c.change.map_or(c.verdict.word().to_string(), |ch| {
            signed_pct(ch.ratio - 1.0)
        });
        let numbers = format!("{}  {:>8}  {}", side(&c.base), change, side(&c.cand));
        if numbers.len() + 2 + c.name.len() <= MAIL_WIDTH {
            lines.push(format!("{numbers}  {}", c.name));
        } else {
            lines.extend(wrap(&c.name, MAIL_WIDTH, "", "  "));
            lines.push(numbers);
        }
    }
    lines
}

impl Exporter<Comparison> for CompareEmailExporter {
    fn file_name(&self) -> &'static str {
        "compare-email.txt"
    }

    fn serialize(&self, input: &Comparison) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(input.email().into_bytes()))
    }
}
