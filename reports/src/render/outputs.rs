//! The registry of every file the tool writes (the plots aside, drawn as a
//! report is built): a report's files and a comparison's, each an
//! [`Exporter`]. Adding an output is one `Exporter` impl and one entry here.

use crate::analysis::judgement::Comparison;
use crate::render::exporter::Exporter;
use crate::render::mail::compare_email::CompareEmailExporter;
use crate::render::mail::email::EmailExporter;
use crate::render::mail::email_full::EmailFullExporter;
use crate::render::plots::overview::OverviewExporter;
use crate::render::{bench_json, compare, findings_md, html, markdown, Rendered};

/// The files of a report, in the order they are written.
pub const REPORT_OUTPUTS: &[&dyn Exporter<Rendered>] = &[
    &markdown::MarkdownExporter,
    &html::HtmlExporter,
    &EmailExporter,
    &EmailFullExporter,
    &bench_json::BencherExporter,
    &bench_json::GithubBenchmarkExporter,
    &findings_md::FindingsExporter,
    &OverviewExporter,
];

/// The files of a comparison (`compare --out`).
pub const COMPARISON_OUTPUTS: &[&dyn Exporter<Comparison>] = &[
    &compare::CompareMarkdownExporter,
    &CompareEmailExporter,
    &bench_json::CompareBenchExporter,
];
