//! Studies: a question, the focused sweep that answers it and the
//! comparisons whose findings are the answer. Each is a file under
//! `studies/`: a sweep config like any other, validated by the same code with
//! the same errors, and a `[study]` table (the question, where it was
//! asked, the contrasts, costs and reproductions, see
//! `reports::analysis::findings::question`). The TOML parser reads the file
//! once into both ([`Study::parsed`]). The shipped studies are built into the
//! binary, so `study --list` and `study NAME` work from any directory.

use crate::config::{Config, Problem};
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

/// Repetitions of every cell under `--quick`: the fewest at which compare's
/// test can still reach p < 0.05 between two cells (5 against 5).
const QUICK_REPETITIONS: u32 = 5;
/// Length of one repetition under `--quick`.
const QUICK_REP_TIME: Duration = Duration::from_millis(2);
/// Warm-up per cell under `--quick`.
const QUICK_WARMUP: Duration = Duration::from_millis(5);

/// A study file as the TOML parser reads it: the `[study]` table, and the
/// rest, which is the sweep.
#[derive(Deserialize)]
struct StudyFile {
    study: Question,
    #[serde(flatten)]
    sweep: toml::Table,
}

/// A study file, parsed and validated: its sweep and its question.
pub struct Parsed {
    /// The sweep, as its file states it.
    pub sweep: Config,
    /// What the study asks, and the comparisons that answer it.
    pub question: Question,
}

impl Parsed {
    /// The sweep to run: `quick` gives every cell [`QUICK_REPETITIONS`]
    /// short repetitions (and another hash, so that a quick run never
    /// resumes a full one).
    pub fn config(self, quick: bool) -> Config {
        let mut config = self.sweep;
        if quick {
            config.repetitions = QUICK_REPETITIONS;
            config.min_repetitions = QUICK_REPETITIONS;
            config.rep_time = QUICK_REP_TIME;
            config.warmup = QUICK_WARMUP;
            config.time_budget = Duration::ZERO;
            config.hash = format!("{:x}", Sha256::digest(format!("{} quick", config.hash)));
        }
        config
    }
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
    /// The file read by the TOML parser into its sweep (validated as any
    /// config is) and its question.
    pub fn parsed(&self) -> Result<Parsed, Problem> {
        let file: StudyFile =
            toml::from_str(self.text).map_err(|e| Problem::toml(&e, self.text))?;
        Ok(Parsed {
            sweep: Config::from_table(file.sweep)?,
            question: file.study,
        })
    }

    /// The question's first line, for `study --list`.
    pub fn summary(&self) -> String {
        self.parsed()
            .map(|p| {
                let text = p.question.text;
                text.lines().next().unwrap_or_default().trim().to_string()
            })
            .unwrap_or_else(|e| format!("(invalid: {e})"))
    }

    /// The study as the reports take it: its name and its question.
    pub fn asked(&self) -> Result<StudyQuestion, Problem> {
        Ok(StudyQuestion {
            name: self.name.to_string(),
            question: self.parsed()?.question,
        })
    }

    /// The sentences of the findings of the results file (the reports
    /// write them to findings.md).
    pub fn sentences(&self, results: &Results) -> Result<Vec<String>, Problem> {
        let question = self.parsed()?.question;
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
            let Parsed {
                sweep: config,
                question,
            } = study
                .parsed()
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
        const HEAD: &str = "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"nop\"]\n\
                            groups = [1]\nsteps = [2]\nbatch = [2]\n\
                            [study]\ntext = \"q\"\nreference = \"r\"\n\
                            [[study.reproduce]]\ncells = {}\naxis = \"steps\"\nexpect = \"violation\"\n";
        let rate = |text| Study { name: "rate", text }.parsed();
        let question = rate(leaked(HEAD, "min_rate = 0.01\n")).unwrap().question;
        assert_eq!(question.reproduce[0].min_rate, Some(0.01));
        let err = rate(leaked(HEAD, "min_rate = 1.5\n"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("line 14: min_rate: 1.5 is not a share of passes (0 to 1)"),
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
        let (full, quick) = (
            study.parsed().unwrap().config(false),
            study.parsed().unwrap().config(true),
        );
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
