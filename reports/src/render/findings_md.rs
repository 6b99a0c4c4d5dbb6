//! findings.md: a study's question, where it was asked, the run, how
//! verdicts are reached, and every finding's sentence. Written only for a
//! study: a plain sweep asks no question.

use crate::analysis::findings::{sentence, Finding, Question};
use crate::analysis::judgement::CompareOptions;
use crate::analysis::model::{Report, EMULATED_MACHINE_LABEL};
use crate::error::ReportError;
use crate::format::pct;
use crate::render::exporter::Exporter;
use crate::render::Rendered;
use crate::sanitize::{fence, markdown as markdown_text};

/// Writes findings.md when the report answers a study's question.
pub struct FindingsExporter;

impl Exporter<Rendered> for FindingsExporter {
    fn file_name(&self) -> &'static str {
        "findings.md"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(input.study.as_ref().map(|study| {
            markdown(
                &study.name,
                &study.question,
                &input.report,
                &input.findings,
                &input.options,
            )
            .into_bytes()
        }))
    }
}

/// findings.md: the study's question, where it was asked, the run, how
/// verdicts are reached, and every finding's sentence.
fn markdown(
    name: &str,
    question: &Question,
    report: &Report,
    findings: &[Finding],
    opts: &CompareOptions,
) -> String {
    let mut out = format!("# Study `{name}`: findings\n\n");
    out.push_str(&format!("**Question.** {}\n\n", question.text.trim()));
    out.push_str(&format!("**Asked in.** {}\n\n", question.reference.trim()));
    for source in &report.sources {
        let h = &source.header;
        let command = h.run.reproduce_with().join(" ");
        let ticks = fence(&command).replace("```", "``");
        out.push_str(&format!(
            "**Run.** {ticks} {command} {ticks} on kernel {} ({}, {} CPUs){}.\n\n",
            markdown_text(&h.machine.kernel),
            markdown_text(&h.machine.cpu_model),
            h.machine.cpus,
            if h.machine.emulated {
                format!(", {}", EMULATED_MACHINE_LABEL)
            } else {
                String::new()
            }
        ));
    }
    out.push_str(&format!(
        "**Verdicts.** A ratio is the subject's median over its reference's, with its bootstrap \
         95% interval; `higher` or `lower` needs a Mann–Whitney q (Benjamini–Hochberg over the \
         study's {} measured points) below {} and a change of at least {}, as `bench-runner \
         compare` judges. Failed, skipped and oversubscribed cells are named, never quoted.\n\n",
        findings.iter().map(Finding::measured_count).sum::<usize>(),
        opts.alpha,
        pct(opts.threshold),
    ));
    if findings.is_empty() {
        out.push_str("No cell of the results answers the question.\n");
    }
    for f in findings {
        out.push_str(&format!("- {}\n", sentence(report, f)));
    }
    out
}
