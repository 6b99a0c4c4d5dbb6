//! When a cell has run enough timing repetitions: once the median's bootstrap
//! 95% confidence interval is within the target precision, once its time
//! budget is spent, or at the most repetitions the config allows, each only
//! after the minimum repetitions ran. The precision is computed with the
//! statistics the reports show ([`Summary::of`], seeded by the cell's name),
//! so a cell the sweep stopped on precision reads as that precise in its report.

use crate::config::Config;
use reports::analysis::stats::{seed_for, Summary};
use reports::schema::StopReason;
use std::time::Duration;

/// The stopping rule of a sweep, from its config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Target half-width of the median's interval, as a fraction of the median.
    pub precision: f64,
    /// Repetitions run before any other limit counts.
    pub min_repetitions: u32,
    /// The most repetitions of a cell.
    pub max_repetitions: u32,
    /// Time spent timing after which no further repetition starts.
    pub time_budget: Duration,
}

/// Fewer repetitions than this have no interval worth the name: one sample's
/// bootstrap interval has no width at all, two agree by luck.
pub const MIN_SAMPLES: usize = 3;

/// The precision a cell's repetitions reached: the half-width of the median's
/// bootstrap interval over the median (`None` with fewer than [`MIN_SAMPLES`]
/// or a zero median). `name` seeds the bootstrap as the reports seed it.
pub fn precision(name: &str, samples: &[f64]) -> Option<f64> {
    if samples.len() < MIN_SAMPLES {
        return None;
    }
    let s = Summary::of(samples, seed_for(name))?;
    (s.median > 0.0).then(|| s.ci.half_width_around(s.median) / s.median)
}

impl Rule {
    /// The rule a config sets.
    pub fn of(config: &Config) -> Rule {
        Rule {
            precision: config.precision,
            min_repetitions: config.min_repetitions,
            max_repetitions: config.repetitions,
            time_budget: config.time_budget,
        }
    }

    /// Why the cell named `name`, with these ns/step samples (in results-file
    /// order) and `spent` timing them, runs no further repetition; `None` to go on.
    pub fn decide(&self, name: &str, samples: &[f64], spent: Duration) -> Option<StopReason> {
        let n = samples.len() as u32;
        if n < self.min_repetitions {
            return None;
        }
        if precision(name, samples).is_some_and(|p| p <= self.precision) {
            Some(StopReason::Precision)
        } else if n >= self.max_repetitions {
            Some(StopReason::MaxRepetitions)
        } else if spent >= self.time_budget {
            Some(StopReason::Budget)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        precision: 0.01,
        min_repetitions: 5,
        max_repetitions: 20,
        time_budget: Duration::from_secs(1),
    };
    const EARLY: Duration = Duration::from_millis(10);

    #[test]
    fn nothing_stops_a_cell_before_its_minimum() {
        let steady = [100.0; 4];
        assert_eq!(RULE.decide("c", &steady, Duration::from_secs(60)), None);
        let one = Rule {
            min_repetitions: 1,
            ..RULE
        };
        assert_eq!(
            one.decide("c", &[100.0, 100.0], EARLY),
            None,
            "no interval yet"
        );
        assert_eq!(
            RULE.decide("c", &[100.0; 5], EARLY),
            Some(StopReason::Precision)
        );
    }

    #[test]
    fn a_steady_cell_stops_on_precision_a_noisy_one_goes_on() {
        let steady = [100.0, 100.3, 99.8, 100.1, 99.9, 100.2];
        assert!(precision("c", &steady).unwrap() <= 0.01);
        assert_eq!(
            RULE.decide("c", &steady, EARLY),
            Some(StopReason::Precision)
        );
        let noisy = [100.0, 130.0, 80.0, 115.0, 90.0, 125.0];
        assert!(precision("c", &noisy).unwrap() > 0.01);
        assert_eq!(RULE.decide("c", &noisy, EARLY), None);
    }

    #[test]
    fn a_noisy_cell_stops_on_its_budget_or_at_the_maximum() {
        let noisy: Vec<f64> = (0..8).map(|i| 100.0 + 30.0 * f64::from(i % 3)).collect();
        assert_eq!(
            RULE.decide("c", &noisy, Duration::from_secs(1)),
            Some(StopReason::Budget)
        );
        let many: Vec<f64> = noisy.iter().copied().cycle().take(20).collect();
        assert_eq!(
            RULE.decide("c", &many, EARLY),
            Some(StopReason::MaxRepetitions)
        );
        assert_eq!(RULE.decide("c", &many[..19], EARLY), None);
    }

    #[test]
    fn precision_is_the_interval_the_reports_show() {
        let samples = [100.0, 104.0, 97.0, 101.0, 99.0, 103.0, 98.0];
        let s = Summary::of(&samples, seed_for("cell")).unwrap();
        assert_eq!(
            precision("cell", &samples),
            Some(s.ci.half_width_around(s.median) / s.median)
        );
        assert_eq!(precision("cell", &[100.0, 100.0]), None, "too few");
        assert_eq!(precision("cell", &[0.0; 3]), None, "zero median");
    }

    #[test]
    fn precision_is_judged_first_and_the_minimum_may_reach_the_maximum() {
        let steady = [100.0; 20];
        assert_eq!(
            RULE.decide("c", &steady, Duration::from_secs(5)),
            Some(StopReason::Precision),
            "a precise cell says so even when its budget and maximum are spent"
        );
        let all = Rule {
            min_repetitions: 20,
            ..RULE
        };
        let noisy: Vec<f64> = (0..20).map(|i| 100.0 + 30.0 * f64::from(i % 3)).collect();
        assert_eq!(all.decide("c", &noisy[..19], Duration::from_secs(5)), None);
        assert_eq!(
            all.decide("c", &noisy, EARLY),
            Some(StopReason::MaxRepetitions)
        );
    }

    #[test]
    fn the_rule_is_the_configs() {
        let config = Config::parse(
            "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"nop\"]\n\
             groups = [1]\nsteps = [8]\nbatch = [8]\nrepetitions = 12\n\
             min_repetitions = 4\nprecision = 0.02\ntime_budget = \"2s\"",
        )
        .expect("valid config");
        assert_eq!(
            Rule::of(&config),
            Rule {
                precision: 0.02,
                min_repetitions: 4,
                max_repetitions: 12,
                time_budget: Duration::from_secs(2),
            }
        );
    }
}
