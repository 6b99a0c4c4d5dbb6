//! Where on the kernel axis a reproducer's behaviour is present: the runs
//! of built reproducers (`repro` lines, written by `bench-runner presence`)
//! counted per row and kernel. A row is one cell's reproducer, or one study
//! finding (runs that carry a `ReproFinding`): every reproducer built for
//! the cells of one reproduction that share all but its axis, told at the
//! axis values where it was present. A run that broke the order (or lost a
//! wakeup) is a run where the behaviour is present, one that held a run
//! where it is absent; runs skipped for a missing feature or failed say
//! nothing either way and are counted apart. A rate is no timing, so it
//! compares across real and emulated kernels alike; the kernels that ran
//! emulated are still named so.

use crate::analysis::kernels::release_numbers;
use crate::analysis::model::Report;
use crate::analysis::stats::Rate;
use crate::format::thousands;
use crate::schema::{ReasonCode, ReproOutcome, ReproRun};

/// What a kernel's runs of one reproducer say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// At least one run broke.
    Present,
    /// Every run that ran its passes held.
    Absent,
    /// No run ran its passes: the kernel lacks what the cell needs.
    Skipped,
    /// No run ran its passes, and not for a missing feature.
    Failed,
}

impl Verdict {
    /// The word tables and sentences use.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Present => "present",
            Verdict::Absent => "absent",
            Verdict::Skipped => "skipped",
            Verdict::Failed => "failed",
        }
    }
}

/// One row's runs on one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelPresence {
    /// Index into [`Report::sources`].
    pub source: usize,
    /// Runs that broke, of the runs that held or broke (for a finding
    /// present on this kernel: of the runs at the values in
    /// [`Along::present`]).
    pub runs: Rate,
    /// Passes that broke, of those runs' passes.
    pub passes: Rate,
    /// Runs skipped for a missing feature.
    pub skipped: u64,
    /// Runs that failed to run their passes.
    pub failed: u64,
    /// The code of the first skipped or failed run.
    pub code: Option<ReasonCode>,
    /// For a finding's row: where on its axis it was present.
    pub along: Option<Along>,
}

/// Where on its axis a finding was present on one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Along {
    /// The axis (`steps`).
    pub axis: String,
    /// The values at which a run broke, in the order first run.
    pub present: Vec<String>,
    /// The values at which every run that ran held, when it was present
    /// at others (else the runs above hold them all).
    pub held: Vec<String>,
    /// The passes of the runs at `held`.
    pub held_passes: u64,
}

impl Along {
    /// `at steps 9, 16` (nothing when present nowhere).
    fn at(&self) -> String {
        match self.present.is_empty() {
            true => String::new(),
            false => format!(" at {} {}", self.axis, self.present.join(", ")),
        }
    }
}

impl KernelPresence {
    /// What the runs say, taken together.
    pub fn verdict(&self) -> Verdict {
        match (self.runs.broken, self.runs.passes, self.skipped) {
            (1.., _, _) => Verdict::Present,
            (0, 1.., _) => Verdict::Absent,
            (0, 0, 1..) => Verdict::Skipped,
            _ => Verdict::Failed,
        }
    }

    /// The table's cell: `present: 20 of 20 runs (95% CI 84-100%), 1,266
    /// of 1,280 passes`, `absent: 0 of 20 runs (95% CI 0-16%), held in
    /// 1,280 passes`, `skipped [missing_opcode]`, with the runs that failed
    /// beside the others.
    pub fn text(&self) -> String {
        let code = || self.code.map_or("no code".to_string(), |c| c.to_string());
        let at = self.along.as_ref().map_or(String::new(), Along::at);
        let mut text = match self.verdict() {
            Verdict::Present | Verdict::Absent => {
                format!("{}{at}: {}", self.verdict().word(), self.rate())
            }
            Verdict::Skipped => format!("skipped [{}]", code()),
            Verdict::Failed => format!("failed in {} runs [{}]", self.failed, code()),
        };
        if let Some(a) = self.along.as_ref().filter(|a| !a.held.is_empty()) {
            text.push_str(&format!(
                "; held at {} {} in {} passes",
                a.axis,
                a.held.join(", "),
                thousands(a.held_passes)
            ));
        }
        if self.skipped > 0 && self.verdict() != Verdict::Skipped {
            text.push_str(&format!("; {} runs skipped [{}]", self.skipped, code()));
        }
        if self.failed > 0 && self.verdict() != Verdict::Failed {
            text.push_str(&format!("; {} runs failed [{}]", self.failed, code()));
        }
        text
    }

    /// The runs that broke with their Wilson interval, and the passes:
    /// `20 of 20 runs (95% CI 84-100%), 1,266 of 1,280 passes`, or `0 of 20
    /// runs (95% CI 0-16%), held in 1,280 passes`.
    pub fn rate(&self) -> String {
        let ci = self.runs.wilson95();
        let passes = match self.passes.broken {
            0 => format!("held in {} passes", thousands(self.passes.passes)),
            k => format!(
                "{} of {} passes",
                thousands(k),
                thousands(self.passes.passes)
            ),
        };
        format!(
            "{} of {} runs (95% CI {:.0}-{:.0}%), {passes}",
            self.runs.broken,
            self.runs.passes,
            ci.lo * 100.0,
            ci.hi * 100.0
        )
    }

    /// No runs yet on kernel `source`.
    fn empty(source: usize) -> KernelPresence {
        KernelPresence {
            source,
            runs: Rate::default(),
            passes: Rate::default(),
            skipped: 0,
            failed: 0,
            code: None,
            along: None,
        }
    }

    /// The counts of `self` and `other` together.
    fn plus(mut self, other: &KernelPresence) -> KernelPresence {
        self.runs = self.runs.plus(other.runs);
        self.passes = self.passes.plus(other.passes);
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.code = self.code.or(other.code);
        self
    }
}

/// A finding's runs on one kernel, one entry per axis value, folded into
/// one: where some value's runs broke, the runs at those values (runs that
/// held elsewhere on the axis do not dilute the rate, they are named as
/// held); else every run.
fn fold(source: usize, axis: &str, values: &[(String, KernelPresence)]) -> KernelPresence {
    let present: Vec<&(String, KernelPresence)> = values
        .iter()
        .filter(|(_, k)| k.verdict() == Verdict::Present)
        .collect();
    let held: Vec<&(String, KernelPresence)> = values
        .iter()
        .filter(|(_, k)| k.verdict() == Verdict::Absent)
        .collect();
    let mut folded = KernelPresence::empty(source);
    for (_, k) in values {
        let counted = present.is_empty() || k.verdict() == Verdict::Present;
        folded = match counted {
            true => folded.plus(k),
            false => KernelPresence {
                skipped: folded.skipped + k.skipped,
                failed: folded.failed + k.failed,
                code: folded.code.or(k.code),
                ..folded
            },
        };
    }
    let values_of = |of: &[&(String, KernelPresence)]| of.iter().map(|(v, _)| v.clone()).collect();
    folded.along = Some(Along {
        axis: axis.to_string(),
        present: values_of(&present),
        held: match present.is_empty() {
            true => Vec::new(),
            false => values_of(&held),
        },
        held_passes: match present.is_empty() {
            true => 0,
            false => held.iter().map(|(_, k)| k.passes.passes).sum(),
        },
    });
    folded
}

/// One reproducer, or one study finding, across the report's kernels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceRow {
    /// The cell's name, or the finding's (`study: place`).
    pub name: String,
    /// The first violation of the first run that broke, on any kernel.
    pub first: Option<String>,
    /// Its runs on each kernel that ran it, in the order of the kernels'
    /// releases (oldest first).
    pub kernels: Vec<KernelPresence>,
}

/// The sources in the order of their kernel releases, oldest first (the
/// file order among equals).
fn by_release(report: &Report) -> Vec<usize> {
    let mut sources: Vec<usize> = (0..report.sources.len()).collect();
    sources.sort_by_key(|&s| release_numbers(&report.sources[s].header.machine.kernel));
    sources
}

/// Adds one run to a kernel's counts.
fn count(k: &mut KernelPresence, run: &ReproRun) {
    match run.outcome {
        ReproOutcome::Held | ReproOutcome::Broken => {
            let broke = u64::from(run.outcome == ReproOutcome::Broken);
            k.runs = k.runs.plus(Rate {
                broken: broke,
                passes: 1,
            });
            k.passes = k.passes.plus(Rate {
                broken: run.broken,
                passes: run.passes,
            });
        }
        ReproOutcome::Skipped => k.skipped += 1,
        ReproOutcome::Failed => k.failed += 1,
    }
    if matches!(run.outcome, ReproOutcome::Skipped | ReproOutcome::Failed) && k.code.is_none() {
        k.code = run.reason_code;
    }
}

/// Which row a run counts in: its name, and for a finding the axis and
/// the run's value on it.
struct RowKey {
    name: String,
    along: Option<(String, String)>,
}

/// A row being counted: per kernel, per axis value.
struct Counting {
    row: PresenceRow,
    axis: Option<String>,
    kernels: Vec<(usize, Vec<(String, KernelPresence)>)>,
}

/// The rows `key` sorts the runs into (in the order first seen; a run it
/// gives no key is left out), counted per kernel and, for a finding, per
/// axis value, then folded.
fn rows(report: &Report, key: impl Fn(&ReproRun) -> Option<RowKey>) -> Vec<PresenceRow> {
    let mut rows: Vec<Counting> = Vec::new();
    for source in by_release(report) {
        for run in &report.sources[source].repros {
            let Some(key) = key(run) else { continue };
            let at = match rows.iter().position(|r| r.row.name == key.name) {
                Some(at) => at,
                None => {
                    rows.push(Counting {
                        row: PresenceRow {
                            name: key.name.clone(),
                            first: None,
                            kernels: Vec::new(),
                        },
                        axis: key.along.as_ref().map(|(axis, _)| axis.clone()),
                        kernels: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            let counting = &mut rows[at];
            if counting.row.first.is_none() {
                counting.row.first.clone_from(&run.first);
            }
            if counting.kernels.last().is_none_or(|(s, _)| *s != source) {
                counting.kernels.push((source, Vec::new()));
            }
            let (_, values) = counting.kernels.last_mut().expect("pushed above");
            let value = key.along.map(|(_, value)| value).unwrap_or_default();
            let at = match values.iter().position(|(v, _)| *v == value) {
                Some(at) => at,
                None => {
                    values.push((value, KernelPresence::empty(source)));
                    values.len() - 1
                }
            };
            count(&mut values[at].1, run);
        }
    }
    rows.into_iter()
        .map(|c| {
            let mut row = c.row;
            row.kernels = c
                .kernels
                .iter()
                .map(|(source, values)| match &c.axis {
                    Some(axis) => fold(*source, axis, values),
                    None => values
                        .iter()
                        .fold(KernelPresence::empty(*source), |k, (_, v)| k.plus(v)),
                })
                .collect();
            row
        })
        .collect()
}

/// The presence table: one row per reproducer of a single cell and one per
/// study finding (in the order first seen), one entry per kernel that ran
/// it. Empty when no input has runs.
pub fn table(report: &Report) -> Vec<PresenceRow> {
    rows(report, |run| {
        Some(match &run.finding {
            Some(f) => RowKey {
                name: format!("{}: {}", f.study, f.place),
                along: Some((f.axis.clone(), f.value.clone())),
            },
            None => RowKey {
                name: run.name.clone(),
                along: None,
            },
        })
    })
}

/// The runs of cell `name` alone, whether or not they were made for a
/// finding, as one row; `None` when no input ran it.
pub fn of_cell(report: &Report, name: &str) -> Option<PresenceRow> {
    rows(report, |run| {
        (run.name == name).then(|| RowKey {
            name: run.name.clone(),
            along: None,
        })
    })
    .pop()
}

/// A kernel as a sentence names it: its series (`6.12`) when no other
/// input has the same, else its label.
pub fn short_name(report: &Report, source: usize) -> String {
    let series = |s: usize| {
        let numbers = release_numbers(&report.sources[s].header.machine.kernel);
        match numbers.as_slice() {
            [major, minor, ..] => Some(format!("{major}.{minor}")),
            _ => None,
        }
    };
    match series(source) {
        Some(own)
            if (0..report.sources.len())
                .filter(|&s| series(s).as_deref() == Some(own.as_str()))
                .count()
                == 1 =>
        {
            own
        }
        _ => report.sources[source].label.clone(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The row in one sentence, kernels of the same verdict and counts
/// together: `present on 6.12 and 7.2 in 20 of 20 runs, absent on 6.1 in 0
/// of 20; all emulated (qemu TCG)`. A kernel that ran emulated among real
/// ones is marked `(emulated)` itself.
pub fn sentence(report: &Report, row: &PresenceRow) -> String {
    let emulated = |s: usize| report.sources[s].header.machine.emulated;
    let all_emulated = row.kernels.iter().all(|k| emulated(k.source));
    let name = |s: usize| match emulated(s) && !all_emulated {
        true => format!("{} (emulated)", short_name(report, s)),
        false => short_name(report, s),
    };
    // Groups of (verdict, broken runs, runs, code), present first.
    let mut groups: Vec<(&KernelPresence, Vec<String>)> = Vec::new();
    let order = [
        Verdict::Present,
        Verdict::Absent,
        Verdict::Skipped,
        Verdict::Failed,
    ];
    for verdict in order {
        for k in row.kernels.iter().filter(|k| k.verdict() == verdict) {
            let same = |g: &KernelPresence| {
                g.verdict() == verdict
                    && g.runs == k.runs
                    && g.along.as_ref().map(|a| &a.present) == k.along.as_ref().map(|a| &a.present)
                    && (verdict != Verdict::Skipped && verdict != Verdict::Failed
                        || g.code == k.code)
            };
            match groups.iter_mut().find(|(g, _)| same(g)) {
                Some((_, names)) => names.push(name(k.source)),
                None => groups.push((k, vec![name(k.source)])),
            }
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(i, (k, names))| {
            let runs = if i == 0 { " runs" } else { "" };
            let code = k.code.map_or("no code".to_string(), |c| c.to_string());
            let on = and_list(names);
            match k.verdict() {
                Verdict::Present | Verdict::Absent => format!(
                    "{} on {on} in {} of {}{runs}{}",
                    k.verdict().word(),
                    k.runs.broken,
                    k.runs.passes,
                    k.along.as_ref().map_or(String::new(), Along::at)
                ),
                Verdict::Skipped => format!("skipped on {on} [{code}]"),
                Verdict::Failed => format!("failed on {on} [{code}]"),
            }
        })
        .collect();
    let mut text = parts.join(", ");
    if all_emulated && !row.kernels.is_empty() {
        text.push_str("; all emulated (qemu TCG: a rate, not a timing)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Results;
    use crate::schema::{
        CellKey, Header, IoUringInfo, Machine, ReproFinding, RunInfo, Tool, SCHEMA_VERSION,
    };
    use std::path::PathBuf;

    fn key() -> CellKey {
        CellKey {
            style: "link".into(),
            variant: String::new(),
            mode: "sqpoll-shared".into(),
            op: "nop".into(),
            forced_async: false,
            groups: 1,
            steps: 16,
            batch: 16,
            submitters: 1,
            sharing: "per-submitter".into(),
        }
    }

    fn run(i: u32, outcome: ReproOutcome, passes: u64, broken: u64) -> ReproRun {
        let skipped = matches!(outcome, ReproOutcome::Skipped | ReproOutcome::Failed);
        ReproRun {
            name: key().name(),
            cell: key(),
            run: i,
            outcome,
            passes,
            broken,
            first: (broken > 0).then(|| "out of order (cqe): group 0 expected seq 0 got 8".into()),
            reason: skipped.then(|| "opcode FUTEX_WAIT not supported".into()),
            reason_code: match outcome {
                ReproOutcome::Skipped => Some(ReasonCode::MissingOpcode),
                ReproOutcome::Failed => Some(ReasonCode::SetupFailed),
                _ => None,
            },
            finding: None,
            finished_unix: 0,
        }
    }

    fn input(kernel: &str, emulated: bool, repros: Vec<ReproRun>) -> Results {
        Results {
            path: PathBuf::from(format!("{kernel}/results.jsonl")),
            header: Header {
                schema: SCHEMA_VERSION,
                tool: Tool {
                    version: "0".into(),
                    commit: "c".into(),
                },
                machine: Machine {
                    hostname: "kernel-matrix".into(),
                    kernel: kernel.into(),
                    cpu_model: "cpu".into(),
                    cpus: 2,
                    mitigations: Default::default(),
                    emulated,
                    kernel_package: None,
                    fsync_dir: None,
                },
                io_uring: IoUringInfo::default(),
                run: RunInfo {
                    config_path: String::new(),
                    config_hash: String::new(),
                    started_unix: 0,
                    command: vec![],
                    reproduce: None,
                    config_lines: None,
                },
                anchors: vec![],
                calibration: None,
                registry: None,
            },
            records: vec![],
            repros,
            loads: vec![],
            warnings: vec![],
        }
    }

    fn runs(outcome: ReproOutcome, n: u32, passes: u64, broken: u64) -> Vec<ReproRun> {
        (0..n).map(|i| run(i, outcome, passes, broken)).collect()
    }

    /// Three kernels given newest first: the table orders them by release,
    /// counts runs and passes, and the sentence groups like kernels.
    #[test]
    fn the_table_counts_runs_per_kernel_and_the_sentence_groups_them() {
        let report = Report::build(&[
            input(
                "7.2.13+deb14-cloud-amd64",
                true,
                runs(ReproOutcome::Broken, 20, 64, 63),
            ),
            input(
                "6.1.0-50-cloud-amd64",
                true,
                runs(ReproOutcome::Held, 20, 64, 0),
            ),
            input(
                "6.12.117+deb13-cloud-amd64",
                true,
                runs(ReproOutcome::Broken, 20, 64, 64),
            ),
        ]);
        let rows = table(&report);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.name, "link/sqpoll-shared/nop/g1-s16-b16-t1");
        assert_eq!(
            row.first.as_deref(),
            Some("out of order (cqe): group 0 expected seq 0 got 8")
        );
        let order: Vec<usize> = row.kernels.iter().map(|k| k.source).collect();
        assert_eq!(order, [1, 2, 0]);
        let verdicts: Vec<Verdict> = row.kernels.iter().map(KernelPresence::verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Absent, Verdict::Present, Verdict::Present]
        );
        assert_eq!(
            row.kernels[0].text(),
            "absent: 0 of 20 runs (95% CI 0-16%), held in 1,280 passes"
        );
        assert_eq!(
            row.kernels[2].text(),
            "present: 20 of 20 runs (95% CI 84-100%), 1,260 of 1,280 passes"
        );
        assert_eq!(
            sentence(&report, row),
            "present on 6.12 and 7.2 in 20 of 20 runs, absent on 6.1 in 0 of 20; \
             all emulated (qemu TCG: a rate, not a timing)"
        );
    }

    /// A kernel lacking the feature is skipped with its code, failed runs
    /// are counted beside the others, an emulated kernel among real ones is
    /// marked, and two kernels of one series go by their labels.
    #[test]
    fn skips_failures_and_mixed_machines_are_said() {
        let mut mixed = runs(ReproOutcome::Broken, 3, 10, 1);
        mixed.push(run(3, ReproOutcome::Failed, 0, 0));
        let report = Report::build(&[
            input(
                "5.15.0-1-amd64",
                false,
                runs(ReproOutcome::Skipped, 4, 0, 0),
            ),
            input("6.18.44-fc-v1", false, mixed),
            input(
                "6.18.2-cloud-amd64",
                true,
                runs(ReproOutcome::Held, 5, 8, 0),
            ),
        ]);
        let row = &table(&report)[0];
        let texts: Vec<String> = row.kernels.iter().map(KernelPresence::text).collect();
        assert_eq!(
            texts,
            [
                "skipped [missing_opcode]",
                "absent: 0 of 5 runs (95% CI 0-43%), held in 40 passes",
                "present: 3 of 3 runs (95% CI 44-100%), 3 of 30 passes; 1 runs failed [setup_failed]",
            ]
        );
        assert_eq!(
            sentence(&report, row),
            "present on 6.18.44-fc-v1 in 3 of 3 runs, absent on 6.18.2-cloud-amd64 (emulated) \
             in 0 of 5, skipped on 5.15 [missing_opcode]"
        );
    }

    /// Runs of the split finding at steps 4 and 16: `n` runs of each,
    /// those at 16 broken when `broken`.
    fn split_finding(n: u32, broken: bool) -> Vec<ReproRun> {
        let mut out = Vec::new();
        for steps in [4, 16] {
            let mut key = key();
            (key.steps, key.batch) = (steps, steps);
            for i in 0..n {
                let breaks = broken && steps == 16;
                let outcome = match breaks {
                    true => ReproOutcome::Broken,
                    false => ReproOutcome::Held,
                };
                out.push(ReproRun {
                    name: key.name(),
                    cell: key.clone(),
                    finding: Some(ReproFinding {
                        study: "shared-sqpoll-split".into(),
                        place: "link/sqpoll-shared/nop g1-b64-t1".into(),
                        axis: "steps".into(),
                        value: steps.to_string(),
                    }),
                    ..run(i, outcome, 8, u64::from(breaks) * 7)
                });
            }
        }
        out
    }

    /// A study's runs make one row per finding: on a kernel where it broke
    /// at some values, the rate counts the runs there and names the values
    /// that held; where it held everywhere, every run counts. The cell's
    /// own row still reads from the same runs.
    #[test]
    fn a_finding_is_one_row_told_where_on_its_axis_it_broke() {
        let report = Report::build(&[
            input("6.12.117+deb13-cloud-amd64", true, split_finding(3, false)),
            input("7.2.13+deb14-cloud-amd64", true, split_finding(3, true)),
        ]);
        let rows = table(&report);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(
            row.name,
            "shared-sqpoll-split: link/sqpoll-shared/nop g1-b64-t1"
        );
        let texts: Vec<String> = row.kernels.iter().map(KernelPresence::text).collect();
        assert_eq!(
            texts,
            [
                "absent: 0 of 6 runs (95% CI 0-39%), held in 48 passes",
                "present at steps 16: 3 of 3 runs (95% CI 44-100%), 21 of 24 passes; \
                 held at steps 4 in 24 passes",
            ]
        );
        assert_eq!(
            sentence(&report, row),
            "present on 7.2 in 3 of 3 runs at steps 16, absent on 6.12 in 0 of 6; \
             all emulated (qemu TCG: a rate, not a timing)"
        );
        let cell = of_cell(&report, "link/sqpoll-shared/nop/g1-s16-b16-t1").expect("ran");
        assert_eq!(cell.kernels.len(), 2);
        assert_eq!(
            cell.kernels[1].text(),
            "present: 3 of 3 runs (95% CI 44-100%), 21 of 24 passes"
        );
        assert_eq!(of_cell(&report, "link/default/nop/g1-s8-b8-t1"), None);
    }

    #[test]
    fn inputs_without_runs_have_no_table() {
        let report = Report::build(&[input("6.1.0-50-cloud-amd64", true, vec![])]);
        assert!(table(&report).is_empty());
    }
}
