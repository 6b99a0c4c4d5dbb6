//! The reports crate owns reading and writing the results format
//! (`results.jsonl`, whose line types are the `results_schema` crate's,
//! re-exported as [`schema`]) and everything rendered from it: statistics, plots,
//! report.md/html, email.txt, bench.json and the baseline/candidate comparison.
//! It must never run a workload or touch io_uring: every output is re-renderable
//! from results files alone, on any machine.
//!
//! Its modules follow the data: [`results`] reads the files (every string
//! cleaned by [`sanitize`], every line held to what a measurement can give by
//! [`checks`]), [`analysis`]
//! turns them into numbers and verdicts (the model, statistics, judgement,
//! findings, kernels, advice), [`mod@render`] writes those out (documents, mail,
//! CI files, plots), and [`mod@format`] is how a number reads in both. Rendering
//! depends on analysis, never the reverse.
//!
//! Entry points: [`render()`] writes every output of one or more results files
//! (several = kernels side by side), [`text_table`] is the terminal summary,
//! and [`compare()`] builds a [`Comparison`] (baseline vs candidate) whose
//! [`Comparison::has_regression`] drives the CLI's exit code.

#![warn(missing_docs)]

pub mod analysis;
pub mod checks;
pub mod error;
pub mod format;
pub mod render;
pub mod results;
pub mod sanitize;
pub use results_schema as schema;

pub use analysis::judgement::{compare, CompareOptions, Comparison, Verdict};
pub use error::ReportError;
pub use results::Results;

use analysis::findings::{self, StudyQuestion};
use analysis::model::Report;
use render::exporter::write_all;
use render::outputs::{COMPARISON_OUTPUTS, REPORT_OUTPUTS};
use render::plots::{self, Plots};
use render::{sections, Rendered};
use std::path::{Path, PathBuf};

/// What [`render()`] produces besides the always-written text outputs.
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

/// Renders every report output of one or more results files into `out_dir`:
/// report.md, report.html, email.txt, email-full.txt, bench.json,
/// bench-github.json and `plots/*.svg|png` ([`render::outputs`] lists them);
/// the mail's findings are what a plain sweep supports
/// ([`findings::find_in_sweep`]). Several files are set side by side on a kernel axis
/// (each header's `machine.kernel`); an emulated machine's cells carry the
/// label "emulated: timings not comparable" everywhere. Returns the paths written.
pub fn render(
    inputs: &[Results],
    out_dir: &Path,
    opts: &RenderOptions,
) -> Result<Vec<PathBuf>, ReportError> {
    render_answering(inputs, out_dir, opts, None).map(|w| w.paths)
}

/// What [`render_answering`] wrote, and the verdict it gave.
pub struct Written {
    /// Every file written.
    pub paths: Vec<PathBuf>,
    /// The verdict paragraph of the page and the mail, sentence by sentence
    /// (how far the figures can be trusted, then each mode's answer), for a
    /// terminal to print beside the files.
    pub verdict: Vec<String>,
    /// The mail's table of ×link at the headline op and shape, styles down
    /// and modes across, line by line (plain ASCII, at most 72 columns).
    pub table: Vec<String>,
}

/// [`render()`], with the mail's findings those of a study's question, and
/// the study's findings.md, when a study is given.
pub fn render_answering(
    inputs: &[Results],
    out_dir: &Path,
    opts: &RenderOptions,
    study: Option<&StudyQuestion>,
) -> Result<Written, ReportError> {
    if inputs.is_empty() {
        return Err(ReportError::NoInputs);
    }
    let report = Report::build(inputs);
    let options = CompareOptions::default();
    let findings = match study {
        Some(s) => findings::find(&report, &s.question, &options),
        None => findings::find_in_sweep(&report, &options),
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
        study: study.cloned(),
        options,
    };
    let mut written = write_all(REPORT_OUTPUTS, &rendered, out_dir)?;
    for plot in &rendered.plots.files {
        written.push(plot.svg_path.clone());
        written.extend(plot.png_path.clone());
    }
    let places = analysis::verdict::Place::all(&rendered.report, &rendered.options);
    let verdict = render::verdict_text::paragraph(
        &rendered.report,
        &analysis::verdict::ModeVerdict::of_places(&places),
    );
    let table = render::mail::email::headline_table(&rendered.report, &places);
    Ok(Written {
        paths: written,
        verdict,
        table,
    })
}

/// Writes every output of a comparison into `out_dir` (compare.md,
/// compare-email.txt and compare-bench.json: [`COMPARISON_OUTPUTS`]),
/// returning the paths written.
pub fn render_comparison(
    comparison: &Comparison,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    write_all(COMPARISON_OUTPUTS, comparison, out_dir)
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
        for line in render::overview::measurement_lines(&report, s) {
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
