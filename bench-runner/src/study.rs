//! Studies: a question, the focused sweep that answers it and the
//! comparisons whose findings are the answer. Each is a file under
//! `studies/`: a sweep config like any other, validated by the same code with
//! the same errors, followed by a `[study]` table (the question, where it was
//! asked, the contrasts, costs and reproductions, see
//! `reports::analysis::findings::question`), which comes last in the file. The shipped
//! studies are built into the binary, so `study --list` and `study NAME` work
//! from any directory.

use crate::config::Config;
use reports::analysis::findings::{Question, StudyQuestion};
use reports::analysis::model::Report;
use reports::results::Results;
use reports::CompareOptions;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// One shipped study: its name and its file.
pub struct Study {
    /// Its name on the command line (the file's stem).
    pub name: &'static str,
    /// Its file's text.
    pub text: &'static str,
}

macro_rules! studies {
    ($($name:literal),+ $(,)?) => {
        /// Every shipped study, in the order `study --list` shows them.
        pub const STUDIES: &[Study] = &[$(Study {
            name: $name,
            text: include_str!(concat!("../../studies/", $name, ".toml")),
        }),+];
    };
}

studies![
    "cross-submission",
    "message-vs-futex",
    "append-bouncing",
    "sqpoll-ordered",
    "shared-sqpoll-split",
    "bpf-loop",
    "futex-lost-wakeup",
];

/// The line that opens a study file's `[study]` table.
const STUDY_TABLE: &str = "[study]";

/// Repetitions of every cell under `--quick`: the fewest at which compare's
/// test can still reach p < 0.05 between two cells (5 against 5).
const QUICK_REPETITIONS: u32 = 5;
/// Length of one repetition under `--quick`.
const QUICK_REP_TIME: Duration = Duration::from_millis(2);
/// Warm-up per cell under `--quick`.
const QUICK_WARMUP: Duration = Duration::from_millis(5);

/// The `[study]` part of a study file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyPart {
    study: Question,
}

/// The shipped study of this name.
pub fn find(name: &str) -> Option<&'static Study> {
    STUDIES.iter().find(|s| s.name == name)
}

/// The names of the shipped studies, for error messages.
pub fn names() -> String {
    STUDIES
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Study {
    /// The sweep part and the `[study]` part of the file, and the line the
    /// latter starts on.
    fn parts(&self) -> Result<(&'static str, &'static str, usize), String> {
        let mut offset = 0;
        for (n, line) in self.text.split_inclusive('\n').enumerate() {
            if line.trim() == STUDY_TABLE {
                return Ok((&self.text[..offset], &self.text[offset..], n));
            }
            offset += line.len();
        }
        Err(format!("no {STUDY_TABLE} table"))
    }

    /// The question and its comparisons.
    pub fn question(&self) -> Result<Question, String> {
        let (_, part, before) = self.parts()?;
        toml::from_str::<StudyPart>(part)
            .map(|p| p.study)
            .map_err(|e| {
                let line = e.span().map_or(String::new(), |s| {
                    let n = before + part[..s.start].matches('\n').count() + 1;
                    format!("line {n}: ")
                });
                format!("{line}{}", e.message().replace('\n', " ").trim())
            })
    }

    /// The study's sweep, validated as any config is; `quick` gives every
    /// cell [`QUICK_REPETITIONS`] short repetitions (and another hash, so
    /// that a quick run never resumes a full one).
    pub fn config(&self, quick: bool) -> Result<Config, String> {
        let (sweep, _, _) = self.parts()?;
        let mut config = Config::parse(sweep)?;
        if quick {
            config.repetitions = QUICK_REPETITIONS;
            config.min_repetitions = QUICK_REPETITIONS;
            config.rep_time = QUICK_REP_TIME;
            config.warmup = QUICK_WARMUP;
            config.time_budget = Duration::ZERO;
            config.hash = format!("{:x}", Sha256::digest(format!("{} quick", config.hash)));
        }
        Ok(config)
    }

    /// The question's first line, for `study --list`.
    pub fn summary(&self) -> String {
        self.question()
            .map(|q| q.text.lines().next().unwrap_or_default().trim().to_string())
            .unwrap_or_else(|e| format!("(invalid: {e})"))
    }

    /// The study as the reports take it: its name and its question.
    pub fn asked(&self) -> Result<StudyQuestion, String> {
        Ok(StudyQuestion {
            name: self.name.to_string(),
            question: self.question()?,
        })
    }

    /// The sentences of the findings of the results file (the reports
    /// write them to findings.md).
    pub fn sentences(&self, results: &Results) -> Result<Vec<String>, String> {
        let question = self.question()?;
        let report = Report::build(std::slice::from_ref(results));
        let findings =
            reports::analysis::findings::find(&report, &question, &CompareOptions::default());
        Ok(findings
            .iter()
            .map(|f| reports::analysis::findings::sentence(&report, f))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use reports::analysis::findings::question::Selector;

    /// Every shipped study's sweep and question are valid, and every
    /// selector of its question takes at least one cell of its sweep: a
    /// typo in a style or a shape would otherwise answer nothing.
    #[test]
    fn every_study_is_valid_and_its_comparisons_take_cells_of_its_sweep() {
        for study in STUDIES {
            let config = study
                .config(false)
                .unwrap_or_else(|e| panic!("{}: {e}", study.name));
            let question = study
                .question()
                .unwrap_or_else(|e| panic!("{}: {e}", study.name));
            let cells = plan(&config, None);
            let selectors: Vec<&Selector> = question
                .contrast
                .iter()
                .map(|c| &c.subject)
                .chain(question.cost.iter().map(|c| &c.subject))
                .chain(question.reproduce.iter().map(|r| &r.cells))
                .collect();
            assert!(!selectors.is_empty(), "{}: compares nothing", study.name);
            let pairs = question
                .contrast
                .iter()
                .map(|c| (&c.subject, &c.reference))
                .chain(question.cost.iter().map(|c| (&c.subject, &c.reference)));
            for (subject, pin) in pairs {
                for cell in cells.iter().filter(|c| subject.matches(&c.key)) {
                    let reference = pin.apply(&cell.key).name();
                    assert!(
                        cells.iter().any(|c| c.name == reference),
                        "{}: {} has no reference {reference} in the sweep",
                        study.name,
                        cell.name
                    );
                }
            }
            for s in selectors {
                assert!(
                    cells.iter().any(|c| s.matches(&c.key)),
                    "{}: {s:?} takes no cell",
                    study.name
                );
            }
            assert!(!study.summary().starts_with("(invalid"), "{}", study.name);
        }
    }

    #[test]
    fn a_minimum_rate_is_a_share_of_passes() {
        const HEAD: &str = "styles = [\"link\"]\n[study]\ntext = \"q\"\nreference = \"r\"\n\
                            [[study.reproduce]]\ncells = {}\naxis = \"steps\"\nexpect = \"violation\"\n";
        let rate = |text| Study { name: "rate", text }.question();
        let question = rate(leaked(HEAD, "min_rate = 0.01\n")).unwrap();
        assert_eq!(question.reproduce[0].min_rate, Some(0.01));
        let err = rate(leaked(HEAD, "min_rate = 1.5\n")).unwrap_err();
        assert!(
            err.contains("line 9: min_rate: 1.5 is not a share of passes (0 to 1)"),
            "{err}"
        );
    }

    /// `head` and `tail` joined, kept for the test's duration.
    fn leaked(head: &str, tail: &str) -> &'static str {
        Box::leak(format!("{head}{tail}").into_boxed_str())
    }

    #[test]
    fn quick_keeps_the_cells_and_changes_the_hash() {
        let study = &STUDIES[0];
        let (full, quick) = (study.config(false).unwrap(), study.config(true).unwrap());
        assert_ne!(full.hash, quick.hash);
        assert_eq!(quick.repetitions, QUICK_REPETITIONS);
        let names = |c: &Config| {
            plan(c, None)
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&full), names(&quick));
    }
}
