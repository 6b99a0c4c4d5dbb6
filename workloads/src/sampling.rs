//! The stopping rule of every repeated measurement: the blocks of a sweep's
//! families of cells and the samples of a physical anchor. Samples are
//! taken until the precision reached is within the target, the time budget
//! is spent or the most samples allowed ran, each counted only once the
//! minimum samples ran; [`StopReason`] says which ended it. [`Rule`] is that
//! rule and the one place its limits are defined.
//!
//! The precision reached is the wider side of a bootstrap interval over its
//! centre. A family judges the ratios the reports publish between its cells,
//! paired by block (bench-runner's `stopping.rs`); a lone measurement is a
//! family with no ratio and is judged by its median's interval: an anchor
//! ([`Sampler`]), or a family of one cell with no raw loop. The statistics
//! come from the caller (an [`Estimator`] here, the reports' paired ratios
//! and summaries in bench-runner), so that this crate holds no copy of the
//! bootstrap the reports use.

use std::time::Duration;

/// Why sampling ended. One definition with the results schema's, so that a
/// family's and an anchor's stops are recorded as they are.
pub use results_schema::StopReason;

/// A median (or ratio) and its confidence interval, as an [`Estimator`]
/// computes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Median of the samples.
    pub median: f64,
    /// Lower bound of the median's confidence interval.
    pub low: f64,
    /// Upper bound of the median's confidence interval.
    pub high: f64,
}

impl Estimate {
    /// The wider side of the interval relative to the median (0.008 reads
    /// "±0.8%"): what is compared with [`Rule::precision`]. Infinite when
    /// the median is not positive, so that such an estimate is never precise.
    pub fn precision(&self) -> f64 {
        if self.median > 0.0 {
            (self.median - self.low).max(self.high - self.median) / self.median
        } else {
            f64::INFINITY
        }
    }
}

/// Computes the [`Estimate`] of a non-empty set of samples. Any
/// `Fn(&[f64]) -> Estimate + Sync` is one; it is `Sync` because two-thread
/// measurements judge their samples on the thread that takes them.
pub trait Estimator: Sync {
    /// The median of `samples` and its confidence interval.
    fn estimate(&self, samples: &[f64]) -> Estimate;
}

impl<F: Fn(&[f64]) -> Estimate + Sync> Estimator for F {
    fn estimate(&self, samples: &[f64]) -> Estimate {
        self(samples)
    }
}

/// When to stop sampling: the limits of one repeated measurement (a
/// family's blocks, an anchor's samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// Largest accepted precision reached (0.01 = ±1%).
    pub precision: f64,
    /// Samples taken before any limit counts. They are taken however small
    /// the budget, which is then overshot (and the overshoot recorded).
    pub min_samples: u32,
    /// The most samples; `None` when only the precision and the budget end it.
    pub max_samples: Option<u32>,
    /// Time after which no further sample starts.
    pub budget: Duration,
}

impl Rule {
    /// Why sampling that took `taken` samples, spending `spent`, takes no
    /// more; `None` to go on. `reached` gives the precision reached (`None`
    /// while there is no interval yet); it is asked only once the minimum
    /// samples ran, since it may cost a bootstrap. The precision is judged
    /// first, then the most samples, then the budget.
    pub fn decide(
        &self,
        taken: u32,
        spent: Duration,
        reached: impl FnOnce() -> Option<f64>,
    ) -> Option<StopReason> {
        if taken < self.min_samples {
            None
        } else if reached().is_some_and(|p| p <= self.precision) {
            Some(StopReason::Precision)
        } else if self.max_samples.is_some_and(|max| taken >= max) {
            Some(StopReason::MaxRepetitions)
        } else if spent >= self.budget {
            Some(StopReason::Budget)
        } else {
            None
        }
    }
}

/// What a finished sampling produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    /// The median and its interval over all samples.
    pub estimate: Estimate,
    /// How many samples there were.
    pub samples: u32,
    /// Why sampling ended.
    pub stop: StopReason,
}

/// Collects the samples of a lone measurement and applies the [`Rule`] to
/// its median's interval. Samples are judged at geometrically spaced counts
/// (each about a quarter more than the last) and whenever the budget is
/// spent, so that judging costs a bounded share of the time however many
/// samples are taken.
pub struct Sampler<'a, E: Estimator + ?Sized> {
    rule: Rule,
    estimator: &'a E,
    samples: Vec<f64>,
    next_judged: usize,
}

impl<'a, E: Estimator + ?Sized> Sampler<'a, E> {
    /// An empty sampler stopping by `rule`, judging with `estimator`.
    pub fn new(rule: Rule, estimator: &'a E) -> Self {
        Sampler {
            rule,
            estimator,
            samples: Vec::new(),
            next_judged: rule.min_samples as usize,
        }
    }

    /// Adds a sample taken when `spent` of the budget had gone; returns the
    /// outcome once the rule says to stop, `None` while more are needed.
    pub fn push(&mut self, sample: f64, spent: Duration) -> Option<Sampled> {
        self.samples.push(sample);
        let n = self.samples.len();
        let spent_all = spent >= self.rule.budget;
        if n < self.next_judged && !(spent_all && n >= self.rule.min_samples as usize) {
            return None;
        }
        self.next_judged = n + (n / 4).max(1);
        let estimate = self.estimator.estimate(&self.samples);
        let samples = n as u32;
        let stop = self
            .rule
            .decide(samples, spent, || Some(estimate.precision()))?;
        Some(Sampled {
            estimate,
            samples,
            stop,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stand-in for the bootstrap: the midrange, bounded by the extremes.
    /// The rule only compares the interval's width with the target.
    fn range(samples: &[f64]) -> Estimate {
        let low = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let high = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Estimate {
            median: (low + high) / 2.0,
            low,
            high,
        }
    }

    const RULE: Rule = Rule {
        precision: 0.01,
        min_samples: 10,
        max_samples: None,
        budget: Duration::from_millis(100),
    };

    /// Feeds `samples`, one per millisecond of budget, until the rule stops.
    fn run(samples: impl IntoIterator<Item = f64>) -> Option<(Sampled, Duration)> {
        let mut sampler = Sampler::new(RULE, &range);
        samples.into_iter().enumerate().find_map(|(i, s)| {
            let spent = Duration::from_millis(i as u64 + 1);
            sampler.push(s, spent).map(|done| (done, spent))
        })
    }

    #[test]
    fn tight_samples_stop_at_the_precision_before_the_budget() {
        let (done, spent) = run((0..).map(|i| 100.0 + (i % 3) as f64 * 0.5)).unwrap();
        assert_eq!(done.stop, StopReason::Precision);
        assert_eq!(done.samples, RULE.min_samples);
        assert!(spent < RULE.budget);
        assert!(done.estimate.precision() <= RULE.precision, "{done:?}");
    }

    #[test]
    fn spread_samples_run_until_the_budget_is_spent() {
        let (done, spent) = run((0..).map(|i| 100.0 + (i % 5) as f64 * 10.0)).unwrap();
        assert_eq!(done.stop, StopReason::Budget);
        assert_eq!(spent, RULE.budget, "stopped at the first sample past it");
        assert_eq!(done.samples, 100);
        assert!(done.estimate.precision() > RULE.precision, "{done:?}");
    }

    #[test]
    fn a_spent_budget_still_takes_the_minimum_samples() {
        let mut sampler = Sampler::new(RULE, &range);
        let late = RULE.budget * 2;
        let spread = (0..).map(|i| 100.0 + (i % 5) as f64 * 10.0);
        let done = spread
            .take(1000)
            .find_map(|s| sampler.push(s, late))
            .unwrap();
        assert_eq!(done.stop, StopReason::Budget);
        assert_eq!(done.samples, RULE.min_samples);
    }

    #[test]
    fn the_rule_asks_nothing_before_the_minimum_then_judges_precision_most_and_budget() {
        let asked = AtomicUsize::new(0);
        let reached = |p| {
            asked.fetch_add(1, Ordering::Relaxed);
            p
        };
        let late = RULE.budget * 2;
        assert_eq!(RULE.decide(9, late, || reached(Some(0.0))), None);
        assert_eq!(
            asked.load(Ordering::Relaxed),
            0,
            "not asked below the minimum"
        );
        let capped = Rule {
            max_samples: Some(20),
            ..RULE
        };
        assert_eq!(
            capped.decide(20, late, || reached(Some(0.01))),
            Some(StopReason::Precision),
            "the precision first"
        );
        assert_eq!(
            capped.decide(20, late, || reached(Some(0.02))),
            Some(StopReason::MaxRepetitions),
            "then the most samples"
        );
        assert_eq!(
            capped.decide(19, late, || reached(None)),
            Some(StopReason::Budget),
            "then the budget, with or without an interval"
        );
        assert_eq!(capped.decide(19, RULE.budget / 2, || reached(None)), None);
        assert_eq!(
            RULE.decide(u32::MAX, RULE.budget / 2, || reached(Some(0.5))),
            None,
            "no most samples: only the budget ends an imprecise one"
        );
        assert_eq!(asked.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn an_empty_median_is_never_precise() {
        let zero = Estimate {
            median: 0.0,
            low: 0.0,
            high: 0.0,
        };
        assert_eq!(zero.precision(), f64::INFINITY);
        let skewed = Estimate {
            median: 100.0,
            low: 99.0,
            high: 103.0,
        };
        assert!((skewed.precision() - 0.03).abs() < 1e-12, "the wider side");
    }

    #[test]
    fn judging_is_spaced_out_as_samples_grow() {
        let calls = AtomicUsize::new(0);
        let counting = |samples: &[f64]| {
            calls.fetch_add(1, Ordering::Relaxed);
            range(samples)
        };
        let mut sampler = Sampler::new(
            Rule {
                budget: Duration::from_secs(1),
                ..RULE
            },
            &counting,
        );
        let spread = (0..1000).map(|i| 100.0 + (i % 5) as f64 * 10.0);
        for (i, s) in spread.enumerate() {
            assert_eq!(sampler.push(s, Duration::from_micros(i as u64)), None);
        }
        let judged = calls.load(Ordering::Relaxed);
        // 10, 12, 15, 18, 22, ... up to 1000: a logarithmic count.
        assert!((15..=25).contains(&judged), "{judged} estimates");
    }
}
