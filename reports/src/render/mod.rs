//! Every file the tool writes, rendered from [`crate::analysis`]'s values:
//! report.md and report.html (one [`document::Document`] rendered twice),
//! the mail ([`mail`]), the CI files ([`bench_json`]), the plots
//! ([`plots`]), a study's findings.md ([`findings_md`]) and a comparison's
//! outputs ([`compare`]); and what the terminal shows of them
//! ([`advice_text`], [`crate::text_table`]). Each file is one [`exporter::Exporter`], listed in
//! the one registry, [`outputs`].

pub mod advice_text;
pub mod anchor_lines;
pub mod bench_json;
pub mod compare;
pub mod document;
pub mod exporter;
pub mod findings_md;
pub mod html;
pub mod kernel_tables;
pub mod mail;
pub mod markdown;
pub mod outputs;
pub mod overview;
pub mod plots;
pub mod sections;
pub mod table;
pub mod verdict_text;

use crate::analysis::findings::{Finding, StudyQuestion};
use crate::analysis::judgement::CompareOptions;
use crate::analysis::model::Report;
use document::Document;
use plots::Plots;

/// A report with its drawn plots and its findings: the input of every
/// report exporter.
pub struct Rendered {
    /// The statistics of every cell.
    pub report: Report,
    /// The plots, already written, and those left out.
    pub plots: Plots,
    /// A study's findings, or what a plain sweep supports
    /// ([`crate::analysis::findings::find_in_sweep`]).
    pub findings: Vec<Finding>,
    /// The study whose question the findings answer, if any.
    pub study: Option<StudyQuestion>,
    /// How the findings were judged.
    pub options: CompareOptions,
}

impl Rendered {
    /// The report's content as a rendering-neutral document.
    pub fn document(&self) -> Result<Document, crate::error::ReportError> {
        sections::report_document(&self.report, &self.plots, &self.options)
    }

    /// Whether plots were drawn for this report (the overview figure is
    /// one of them).
    pub fn has_plots(&self) -> bool {
        self.plots.drawn()
    }
}
