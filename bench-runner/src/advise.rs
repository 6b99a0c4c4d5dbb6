//! `advise`: a runtime author's own shape, swept briefly in every style that
//! keeps order, then ranked. The sweep is an ordinary config (built here as
//! text, so it is validated, hashed, run and resumed as any other), whose
//! styles the kernel cannot run are skipped by the usual probe checks.

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
    pub mode: String,
    /// The op.
    pub op: String,
}

/// Enough repetitions for compare's test to reach significance between two
/// cells, each short, with a budget that keeps the whole sweep in seconds.
const SWEEP: &str = r#"submitters = [1]
repetitions = 10
min_repetitions = 10
warmup = "20ms"
time_budget = "1s"
rep_time = "10ms"
profile = false
reference = false
placement = "spread"
"#;

impl AdviseShape {
    /// The sweep's config text: every style of the registry that keeps
    /// order, at this shape, mode and op.
    pub fn config_text(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let styles: Vec<String> = STYLES
            .iter()
            .filter(|s| s.orders())
            .map(|s| quote(s.name()))
            .collect();
        format!(
            "styles = [{}]\nmodes = [{}]\nops = [{}]\ngroups = [{}]\nsteps = [{}]\nbatch = [{}]\n{SWEEP}",
            styles.join(", "),
            quote(&self.mode),
            quote(&self.op),
            self.groups,
            self.steps,
            self.batch
        )
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
            self.mode.clone(),
            "--op".into(),
            self.op.clone(),
        ]
    }

    /// Where its results go by default: `results/advise-gG-sS-bB-MODE-OP`.
    pub fn default_out(&self) -> std::path::PathBuf {
        std::path::Path::new("results").join(format!(
            "advise-g{}-s{}-b{}-{}-{}",
            self.groups, self.steps, self.batch, self.mode, self.op
        ))
    }
}

impl std::fmt::Display for AdviseShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "advise g{}-s{}-b{} {} {}",
            self.groups, self.steps, self.batch, self.mode, self.op
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn shape(groups: u32, mode: &str, op: &str) -> AdviseShape {
        AdviseShape {
            groups,
            steps: 16,
            batch: 4,
            mode: mode.into(),
            op: op.into(),
        }
    }

    #[test]
    fn the_sweep_is_every_ordered_style_at_one_cell_each() {
        let config = Config::parse(&shape(4, "defer-taskrun", "nop").config_text()).unwrap();
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
    }

    #[test]
    fn bad_input_is_the_configs_one_line_error() {
        for (s, says) in [
            (shape(0, "default", "nop"), "groups: 0 is not allowed"),
            (shape(1, "fast", "nop"), "fast"),
            (shape(1, "default", "nope"), "nope"),
        ] {
            let e = Config::parse(&s.config_text()).err().expect("an error");
            assert!(e.contains(says) && !e.contains('\n'), "{e}");
        }
    }
}
