//! The reports crate owns reading and writing the results format
//! (`results.jsonl`, whose line types are the `results_schema` crate's,
//! re-exported as [`schema`]) and everything rendered from it: statistics, plots,
//! report.md/html, email.txt, bench.json and the baseline/candidate comparison.
//! It must never run a workload or touch io_uring: every output is re-renderable
//! from results files alone, on any machine.
//!
//! Entry points: [`render`] writes every output of one or more results files
//! (several = kernels side by side), [`text_table`] is the terminal summary,
//! and [`compare()`] builds a [`Comparison`] (baseline vs candidate) whose
//! [`Comparison::has_regression`] drives the CLI's exit code.

#![warn(missing_docs)]

pub mod advice;
pub mod anchors;
pub mod bench_json;
pub mod brief;
pub mod checks;
pub mod compare;
pub mod cost;
pub mod doc;
pub mod email;
pub mod error;
pub mod exporter;
pub mod fidelity;
pub mod findings;
pub mod format;
pub mod html;
pub mod kernel_tables;
pub mod kernels;
pub mod markdown;
pub mod model;
pub mod overview;
pub mod paired;
pub mod plots;
pub mod results;
pub mod sanitize;
pub use results_schema as schema;
pub mod sections;
pub mod stats;
pub mod table;

pub use compare::{compare, CompareOptions, Comparison, Verdict};
pub use error::ReportError;
pub use results::Results;

use doc::Document;
use exporter::{write_all, Exporter};
use findings::{Finding, Question};
use model::Report;
use plots::Plots;
use std::path::{Path, PathBuf};

/// What [`render`] produces besides the always-written text outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// Draw the plots (SVG files, inlined in report.html).
    pub plots: bool,
    /// Also write each plot as PNG (for mail attachments).
    pub png: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            plots: true,
            png: true,
        }
    }
}

/// A report with its drawn plots and its findings: the input of every
/// report exporter.
pub struct Rendered {
    /// The statistics of every cell.
    pub report: Report,
    /// The plots, already written, and those left out.
    pub plots: Plots,
    /// A study's findings, or what a plain sweep supports
    /// ([`findings::find_in_sweep`]).
    pub findings: Vec<Finding>,
}

impl Rendered {
    /// The report's content as a rendering-neutral document.
    pub fn document(&self) -> Document {
        sections::report_document(&self.report, &self.plots)
    }
}

/// Renders every report output of one or more results files into `out_dir`:
/// report.md, report.html, email.txt, email-full.txt, bench.json,
/// bench-github.json and `plots/*.svg|png`; the mail's findings are what a
/// plain sweep supports ([`findings::find_in_sweep`]). Several files are set side by side on a kernel axis
/// (each header's `machine.kernel`); an emulated machine's cells carry the
/// label "emulated: timings not comparable" everywhere. Returns the paths written.
pub fn render(
    inputs: &[Results],
    out_dir: &Path,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    render_answering(inputs, out_dir, opts, None)
}

/// [`render`], with the mail's findings those of a study's `question`
/// when one is given.
pub fn render_answering(
    inputs: &[Results],
    out_dir: &Path,
    opts: &RenderOptions,
    question: Option<&Question>,
) -> Result<Vec<PathBuf>, ReportError> {
    if inputs.is_empty() {
        return Err(ReportError::NoInputs);
    }
    let report = Report::build(inputs);
    let compare = CompareOptions::default();
    let findings = match question {
        Some(q) => findings::find(&report, q, &compare),
        None => findings::find_in_sweep(&report, &compare),
    };
    let plots = if opts.plots {
        plots::render_all(&report, &out_dir.join(plots::PLOTS_DIR), opts.png)?
    } else {
        Plots::default()
    };
    let rendered = Rendered {
        report,
        plots,
        findings,
    };
    let exporters: [&dyn Exporter<Rendered>; 6] = [
        &markdown::MarkdownExporter,
        &html::HtmlExporter,
        &brief::BriefExporter,
        &email::EmailExporter,
        &bench_json::BencherExporter,
        &bench_json::GithubBenchmarkExporter,
    ];
    let mut written = write_all(&exporters, &rendered, out_dir)?;
    for plot in &rendered.plots.files {
        written.push(plot.svg_path.clone());
        written.extend(plot.png_path.clone());
    }
    Ok(written)
}

/// Plain-text table of every cell for the terminal (what `bench-runner
/// report` prints): one row per cell and kernel, with its median, interval,
/// noise flag, ratio to link, order verdict and labels.
pub fn text_table(inputs: &[Results]) -> String {
    let report = Report::build(inputs);
    let mut out = String::new();
    for (s, src) in report.sources.iter().enumerate() {
        out.push_str(&format!(
            "{}: {}\n",
            src.label,
            sections::machine_facts(src)[0]
        ));
        for line in sections::measurement_lines(&report, s) {
            out.push_str(&format!("  {line}\n"));
        }
        for w in &src.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
    }

    out.push('\n');
    out.push_str(&sections::cells_table(&report).to_text(2, None));
    out
}
