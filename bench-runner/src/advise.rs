//! `advise`: a runtime author's own shape, swept briefly in every style that
//! keeps order, then ranked. The sweep is an ordinary [`Config`], built here
//! from typed values and checked by the config's own rules (so it is
//! validated, hashed, run and resumed as any other), whose styles the kernel
//! cannot run are skipped by the usual probe checks.

use crate::config::{mode_choice, op_choice, style_choices, Config, Grid, Problem};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;
use workloads::cell::Sharing;
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::style::STYLES;

/// The shape, mode and op a runtime author asks about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdviseShape {
    /// Groups.
    pub groups: u32,
    /// Steps per group.
    pub steps: u32,
    /// Steps per submission.
    pub batch: u32,
    /// The mode.
    pub mode: ModeSpec,
    /// The op.
    pub op: OpKind,
}

/// Enough repetitions for compare's test to reach significance between two
/// cells, each short, with a budget that keeps the whole sweep in seconds.
const REPETITIONS: u32 = 10;
/// Warm-up per cell.
const WARMUP: Duration = Duration::from_millis(20);
/// Time per cell after which no further repetition starts.
const TIME_BUDGET: Duration = Duration::from_secs(1);
/// Length of one repetition.
const REP_TIME: Duration = Duration::from_millis(10);

/// How the shape reads in messages: `advise g4-s16-b4 default nop`.
fn label(groups: u32, steps: u32, batch: u32, mode: &dyn fmt::Display, op: &str) -> String {
    format!("advise g{groups}-s{steps}-b{batch} {mode} {op}")
}

impl AdviseShape {
    /// The shape asked on the command line; an unknown mode or op is the
    /// config's one-line problem, said of the request as given.
    pub fn new(
        groups: u32,
        steps: u32,
        batch: u32,
        mode: &str,
        op: &str,
    ) -> Result<AdviseShape, crate::config::ConfigError> {
        let parsed = mode_choice(mode).and_then(|mode| Ok((mode, op_choice(op)?)));
        match parsed {
            Ok((mode, op)) => Ok(AdviseShape {
                groups,
                steps,
                batch,
                mode,
                op,
            }),
            Err(problem) => Err(problem.of(label(groups, steps, batch, &mode, op))),
        }
    }

    /// The sweep: every style of the registry that keeps order, at this
    /// shape, mode and op, one submitter, [`REPETITIONS`] short
    /// repetitions each, no profile pass and no raw loop.
    pub fn config(&self) -> Result<Config, Problem> {
        let mut styles = Vec::new();
        for style in STYLES.iter().filter(|s| s.orders()) {
            styles.extend(style_choices(style.name())?);
        }
        let grid = Grid {
            styles,
            modes: vec![self.mode],
            ops: vec![self.op],
            forced_async: vec![false],
            groups: vec![self.groups],
            steps: vec![self.steps],
            batch: vec![self.batch],
            submitters: vec![1],
            sharing: vec![Sharing::PerSubmitter],
        };
        let hash = format!("{:x}", Sha256::digest(self.args().join(" ")));
        Config::of_grid(hash, grid, |c| {
            c.repetitions = REPETITIONS;
            c.min_repetitions = REPETITIONS;
            c.warmup = WARMUP;
            c.time_budget = TIME_BUDGET;
            c.rep_time = REP_TIME;
            c.profile = false;
            c.reference = false;
        })
    }

    /// The arguments of `bench-runner advise` that ask this again.
    pub fn args(&self) -> Vec<String> {
        vec![
            "advise".into(),
            "--groups".into(),
            self.groups.to_string(),
            "--steps".into(),
            self.steps.to_string(),
            "--batch".into(),
            self.batch.to_string(),
            "--mode".into(),
            self.mode.to_string(),
            "--op".into(),
            self.op.name().into(),
        ]
    }

    /// Where its results go by default: `results/advise-gG-sS-bB-MODE-OP`.
    pub fn default_out(&self) -> std::path::PathBuf {
        std::path::Path::new("results").join(format!(
            "advise-g{}-s{}-b{}-{}-{}",
            self.groups,
            self.steps,
            self.batch,
            self.mode,
            self.op.name()
        ))
    }
}

impl fmt::Display for AdviseShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&label(
            self.groups,
            self.steps,
            self.batch,
            &self.mode,
            self.op.name(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(groups: u32, mode: &str, op: &str) -> Result<Config, String> {
        let shape = AdviseShape::new(groups, 16, 4, mode, op).map_err(|e| e.to_string())?;
        shape
            .config()
            .map_err(|problem| problem.of(&shape).to_string())
    }

    #[test]
    fn the_sweep_is_every_ordered_style_at_one_cell_each() {
        let config = shape(4, "defer-taskrun", "nop").unwrap();
        let cells = crate::plan::plan(&config, None);
        let unordered: Vec<&str> = STYLES
            .iter()
            .filter(|s| !s.orders())
            .map(|s| s.name())
            .collect();
        assert!(!unordered.is_empty(), "the registry has a control style");
        assert!(cells
            .iter()
            .all(|c| !unordered.contains(&c.key.style.as_str())));
        let styles = STYLES.iter().filter(|s| s.orders());
        let expected: usize = styles.map(|s| s.variants().len().max(1)).sum();
        assert_eq!(cells.len(), expected);
        assert!(cells
            .iter()
            .all(|c| c.name.ends_with("/defer-taskrun/nop/g4-s16-b4-t1")));
        assert_eq!(config.repetitions, REPETITIONS);
        assert!(!config.profile && !config.reference);
    }

    #[test]
    fn bad_input_is_the_configs_one_line_error() {
        for (groups, mode, op, says) in [
            (
                0,
                "default",
                "nop",
                "advise g0-s16-b4 default nop: groups: 0 is not allowed",
            ),
            (
                1,
                "fast",
                "nop",
                "advise g1-s16-b4 fast nop: modes: unknown mode `fast`",
            ),
            (1, "default", "nope", "ops: unknown op `nope`"),
        ] {
            let e = shape(groups, mode, op).err().expect("an error");
            assert!(e.contains(says) && !e.contains('\n'), "{e}");
        }
    }
}
