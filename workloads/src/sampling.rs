//! The stopping rule of a repeated measurement: take samples until the
//! median's confidence interval is within a target precision or the time
//! budget is spent, and say which of the two ended it. The statistics (the
//! median and its interval) come from the caller as an [`Estimator`], so
//! that this crate holds no copy of the bootstrap the reports use.

use std::time::Duration;

/// A median and its confidence interval, as an [`Estimator`] computes them.
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
    /// "±0.8%"): what is compared with [`Target::precision`]. Infinite when
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

/// Why sampling ended: the interval reached the target precision, or the
/// budget was spent first. One definition with the results schema's, so an
/// anchor's stop is recorded as it is.
pub use results_schema::AnchorStop as Stop;

/// When to stop sampling: at the target precision, or once the budget is spent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    /// Largest accepted [`Estimate::precision`] (0.01 = ±1%).
    pub precision: f64,
    /// Time after which no more samples are taken.
    pub budget: Duration,
}

/// Fewest samples an estimate is judged on; they are taken however small
/// the budget, which is then overshot (and the overshoot recorded).
pub const MIN_SAMPLES: usize = 10;

/// What a finished sampling produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    /// The median and its interval over all samples.
    pub estimate: Estimate,
    /// How many samples there were.
    pub samples: u32,
    /// Why sampling ended.
    pub stop: Stop,
}

/// Collects samples and applies the rule after each. Samples are judged at
/// geometrically spaced counts (each about a quarter more than the last) and
/// whenever the budget is spent, so that judging costs a bounded share of the
/// time however many samples are taken.
pub struct Sampler<'a, E: Estimator + ?Sized> {
    target: Target,
    estimator: &'a E,
    samples: Vec<f64>,
    next_judged: usize,
}

impl<'a, E: Estimator + ?Sized> Sampler<'a, E> {
    /// An empty sampler for `target`, judging with `estimator`.
    pub fn new(target: Target, estimator: &'a E) -> Self {
        Sampler {
            target,
            estimator,
            samples: Vec::new(),
            next_judged: MIN_SAMPLES,
        }
    }

    /// Adds a sample taken when `spent` of the budget had gone; returns the
    /// outcome once the rule says to stop, `None` while more are needed.
    pub fn push(&mut self, sample: f64, spent: Duration) -> Option<Sampled> {
        self.samples.push(sample);
        let n = self.samples.len();
        let spent_all = spent >= self.target.budget;
        if n < self.next_judged && !(spent_all && n >= MIN_SAMPLES) {
            return None;
        }
        self.next_judged = n + (n / 4).max(1);
        let estimate = self.estimator.estimate(&self.samples);
        let stop = if estimate.precision() <= self.target.precision {
            Stop::Precision
        } else if spent_all {
            Stop::Budget
        } else {
            return None;
        };
        Some(Sampled {
            estimate,
            samples: n as u32,
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

    const TARGET: Target = Target {
        precision: 0.01,
        budget: Duration::from_millis(100),
    };

    /// Feeds `samples`, one per millisecond of budget, until the rule stops.
    fn run(samples: impl IntoIterator<Item = f64>) -> Option<(Sampled, Duration)> {
        let mut sampler = Sampler::new(TARGET, &range);
        samples.into_iter().enumerate().find_map(|(i, s)| {
            let spent = Duration::from_millis(i as u64 + 1);
            sampler.push(s, spent).map(|done| (done, spent))
        })
    }

    #[test]
    fn tight_samples_stop_at_the_precision_before_the_budget() {
        let (done, spent) = run((0..).map(|i| 100.0 + (i % 3) as f64 * 0.5)).unwrap();
        assert_eq!(done.stop, Stop::Precision);
        assert_eq!(done.samples as usize, MIN_SAMPLES);
        assert!(spent < TARGET.budget);
        assert!(done.estimate.precision() <= TARGET.precision, "{done:?}");
    }

    #[test]
    fn spread_samples_run_until_the_budget_is_spent() {
        let (done, spent) = run((0..).map(|i| 100.0 + (i % 5) as f64 * 10.0)).unwrap();
        assert_eq!(done.stop, Stop::Budget);
        assert_eq!(spent, TARGET.budget, "stopped at the first sample past it");
        assert_eq!(done.samples, 100);
        assert!(done.estimate.precision() > TARGET.precision, "{done:?}");
    }

    #[test]
    fn a_spent_budget_still_takes_the_minimum_samples() {
        let mut sampler = Sampler::new(TARGET, &range);
        let late = TARGET.budget * 2;
        let spread = (0..).map(|i| 100.0 + (i % 5) as f64 * 10.0);
        let done = spread
            .take(1000)
            .find_map(|s| sampler.push(s, late))
            .unwrap();
        assert_eq!(done.stop, Stop::Budget);
        assert_eq!(done.samples as usize, MIN_SAMPLES);
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
            Target {
                budget: Duration::from_secs(1),
                ..TARGET
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
