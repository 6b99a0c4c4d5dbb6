//! Statistics over the repetitions of a cell: median with a seeded bootstrap
//! confidence interval, coefficient of variation, Tukey outliers, and the
//! Mann–Whitney U test that `compare` bases its verdicts on. Everything here
//! is deterministic for a given seed so that a report re-rendered anywhere
//! shows the same intervals.

/// Confidence level of every interval the reports show.
pub const CONFIDENCE: f64 = 0.95;
/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 2000;

/// A small seeded generator (SplitMix64): enough quality for resampling and
/// reproducible across platforms, unlike a thread-local random source.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform index in `0..n` (n > 0), by multiply-shift (bias below 2^-32 for small n).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A stable seed derived from a name (FNV-1a), so each cell's bootstrap is
/// reproducible independently of the order cells are processed in.
pub fn seed_for(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Quantile of already sorted data by linear interpolation between order
/// statistics (the common "type 7" definition).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of no data");
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Sorted copy of the data (NaN-free input assumed; NaNs sort last).
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Median of the data.
pub fn median(xs: &[f64]) -> f64 {
    quantile_sorted(&sorted(xs), 0.5)
}

/// Median computed in place (reorders `xs`); the bootstrap's hot path.
fn median_in_place(xs: &mut [f64]) -> f64 {
    let n = xs.len();
    let mid = n / 2;
    let (below, m, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *m;
    if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// A closed interval `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies inside (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// The larger distance from `center` to either bound: the "±" shown in tables.
    pub fn half_width_around(&self, center: f64) -> f64 {
        (center - self.lo).max(self.hi - center)
    }
}

fn percentile_interval(mut stats: Vec<f64>, level: f64) -> Interval {
    stats.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    Interval {
        lo: quantile_sorted(&stats, tail),
        hi: quantile_sorted(&stats, 1.0 - tail),
    }
}

/// Percentile bootstrap confidence interval of the median.
pub fn bootstrap_median_ci(xs: &[f64], level: f64, resamples: usize, seed: u64) -> Interval {
    assert!(!xs.is_empty(), "bootstrap of no data");
    let mut rng = Rng::new(seed);
    let mut buf = vec![0.0; xs.len()];
    let stats = (0..resamples)
        .map(|_| {
            resample_into(xs, &mut buf, &mut rng);
            median_in_place(&mut buf)
        })
        .collect();
    percentile_interval(stats, level)
}

/// Percentile bootstrap confidence interval of `median(cand) / median(base)`,
/// resampling both sides independently.
pub fn bootstrap_ratio_ci(
    base: &[f64],
    cand: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Interval {
    bootstrap_two_sample_ci(base, cand, level, resamples, seed, |b, c| c / b)
}

/// Percentile bootstrap confidence interval of `median(cand) - median(base)`,
/// resampling both sides independently: what a change costs in the metric's
/// own unit.
pub fn bootstrap_difference_ci(
    base: &[f64],
    cand: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Interval {
    bootstrap_two_sample_ci(base, cand, level, resamples, seed, |b, c| c - b)
}

/// The percentile interval of `stat(median(base), median(cand))` over
/// resamples of both sides.
fn bootstrap_two_sample_ci(
    base: &[f64],
    cand: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
    stat: impl Fn(f64, f64) -> f64,
) -> Interval {
    assert!(!base.is_empty() && !cand.is_empty(), "bootstrap of no data");
    let mut rng = Rng::new(seed);
    let mut b = vec![0.0; base.len()];
    let mut c = vec![0.0; cand.len()];
    let stats = (0..resamples)
        .map(|_| {
            resample_into(base, &mut b, &mut rng);
            resample_into(cand, &mut c, &mut rng);
            let cand_median = median_in_place(&mut c);
            stat(median_in_place(&mut b), cand_median)
        })
        .collect();
    percentile_interval(stats, level)
}

fn resample_into(xs: &[f64], out: &mut [f64], rng: &mut Rng) {
    for slot in out.iter_mut() {
        *slot = xs[rng.below(xs.len())];
    }
}

/// Coefficient of variation (sample standard deviation over mean); `None`
/// with fewer than two values or a zero mean.
pub fn coefficient_of_variation(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return None;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt() / mean.abs())
}

/// Values outside Tukey's fences (1.5 × IQR beyond the quartiles).
pub fn tukey_outliers(xs: &[f64]) -> usize {
    if xs.len() < 4 {
        return 0;
    }
    let s = sorted(xs);
    let q1 = quantile_sorted(&s, 0.25);
    let q3 = quantile_sorted(&s, 0.75);
    let fence = 1.5 * (q3 - q1);
    s.iter()
        .filter(|&&x| x < q1 - fence || x > q3 + fence)
        .count()
}

/// What the reports say about one sample (the repetitions of one cell).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// Bootstrap confidence interval of the median at [`CONFIDENCE`].
    pub ci: Interval,
    /// Coefficient of variation, when defined.
    pub cv: Option<f64>,
    /// Count of values outside Tukey's fences.
    pub outliers: usize,
}

impl Summary {
    /// Summarises a non-empty sample; `seed` fixes the bootstrap.
    pub fn of(xs: &[f64], seed: u64) -> Option<Summary> {
        if xs.is_empty() {
            return None;
        }
        Some(Summary {
            n: xs.len(),
            median: median(xs),
            ci: bootstrap_median_ci(xs, CONFIDENCE, RESAMPLES, seed),
            cv: coefficient_of_variation(xs),
            outliers: tukey_outliers(xs),
        })
    }
}

/// Result of a two-sided Mann–Whitney U test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample.
    pub u: f64,
    /// Two-sided p-value (exact for small tie-free samples, normal approximation otherwise).
    pub p: f64,
    /// The smallest p-value these sample sizes could give at all.
    pub min_p: f64,
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input order:
/// rejecting every q below alpha keeps the expected share of false
/// discoveries among many compared cells at alpha.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Largest sample size for which the exact null distribution is used.
const EXACT_MAX_N: usize = 20;

/// Two-sided Mann–Whitney U test of whether `a` and `b` come from the same
/// distribution. Both samples must be non-empty.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> MannWhitney {
    assert!(!a.is_empty() && !b.is_empty(), "test of no data");
    let (m, n) = (a.len(), b.len());
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += all[i..=j].iter().filter(|(_, in_a)| *in_a).count() as f64 * avg_rank;
        i = j + 1;
    }
    let u = rank_sum_a - (m * (m + 1)) as f64 / 2.0;
    let exact = ExactU::new(m, n);
    let min_p = (2.0 / exact.total).min(1.0);
    let p = if tie_term == 0.0 && m.max(n) <= EXACT_MAX_N {
        exact.two_sided_p(u as usize)
    } else {
        let big_n = (m + n) as f64;
        let mean = (m * n) as f64 / 2.0;
        let var = (m * n) as f64 / 12.0 * ((big_n + 1.0) - tie_term / (big_n * (big_n - 1.0)));
        if var <= 0.0 {
            1.0
        } else {
            let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
            erfc(z / std::f64::consts::SQRT_2).min(1.0)
        }
    };
    MannWhitney { u, p, min_p }
}

/// The exact null distribution of U for sample sizes (m, n): counts of
/// arrangements giving each U, built by the recurrence
/// c(u; m, n) = c(u - n; m - 1, n) + c(u; m, n - 1).
struct ExactU {
    counts: Vec<f64>,
    total: f64,
}

impl ExactU {
    fn new(m: usize, n: usize) -> ExactU {
        if m.max(n) > EXACT_MAX_N {
            // Only `total` is needed (for min_p), and it is astronomically large.
            return ExactU {
                counts: Vec::new(),
                total: binomial(m + n, m),
            };
        }
        // table[j] holds the distribution for (i, j) while sweeping i upwards.
        let mut table: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect();
        for i in 1..=m {
            let mut next: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
            next.push(vec![1.0]);
            for j in 1..=n {
                let mut c = vec![0.0; i * j + 1];
                for (u, slot) in c.iter_mut().enumerate() {
                    let from_a = if u >= j {
                        table[j].get(u - j).copied().unwrap_or(0.0)
                    } else {
                        0.0
                    };
                    let from_b = next[j - 1].get(u).copied().unwrap_or(0.0);
                    *slot = from_a + from_b;
                }
                next.push(c);
            }
            table = next;
        }
        let counts = table.pop().expect("n + 1 rows");
        let total = counts.iter().sum();
        ExactU { counts, total }
    }

    fn two_sided_p(&self, u: usize) -> f64 {
        let below: f64 = self.counts[..=u].iter().sum();
        let above: f64 = self.counts[u..].iter().sum();
        (2.0 * below.min(above) / self.total).min(1.0)
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit,
/// relative error below 1.2e-7), enough for p-values.
pub(crate) fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// How many of some passes broke: a reproduction's count, what a rate and
/// its interval are computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    /// Passes that broke (the order, or a wakeup).
    pub broken: u64,
    /// Passes run.
    pub passes: u64,
}

impl Rate {
    /// The share that broke (0 when nothing ran).
    pub fn share(&self) -> f64 {
        if self.passes == 0 {
            0.0
        } else {
            self.broken as f64 / self.passes as f64
        }
    }

    /// The Wilson score interval of the share at 95%: sound at 0 and at all
    /// passes broken, where the normal approximation gives a zero width.
    pub fn wilson95(&self) -> Interval {
        if self.passes == 0 {
            return Interval { lo: 0.0, hi: 1.0 };
        }
        let (z, n, p) = (1.959_964, self.passes as f64, self.share());
        let z2n = z * z / n;
        let mid = (p + z2n / 2.0) / (1.0 + z2n);
        let half = z * (p * (1.0 - p) / n + z2n / (4.0 * n)).sqrt() / (1.0 + z2n);
        Interval {
            lo: (mid - half).max(0.0),
            hi: (mid + half).min(1.0),
        }
    }

    /// Both counts added.
    pub fn plus(self, other: Rate) -> Rate {
        Rate {
            broken: self.broken + other.broken,
            passes: self.passes + other.passes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard exponential draws (median ln 2), heavy right tail like latencies.
    fn exponential(rng: &mut Rng, n: usize) -> Vec<f64> {
        (0..n).map(|_| -(1.0 - rng.unit()).ln()).collect()
    }

    #[test]
    fn median_and_quantiles_of_known_data() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let mut v = vec![4.0, 1.0, 2.0, 3.0];
        assert_eq!(median_in_place(&mut v), 2.5);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
    }

    #[test]
    fn bootstrap_ci_covers_true_median_at_stated_rate() {
        let true_median = std::f64::consts::LN_2;
        let mut rng = Rng::new(7);
        let trials = 400;
        let covered = (0..trials)
            .filter(|&t| {
                let xs = exponential(&mut rng, 40);
                bootstrap_median_ci(&xs, CONFIDENCE, RESAMPLES, t).contains(true_median)
            })
            .count();
        let rate = covered as f64 / trials as f64;
        assert!((0.90..=0.99).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn bootstrap_is_reproducible_and_seed_dependent() {
        let xs: Vec<f64> = (0..15).map(|i| (i * 7 % 11) as f64).collect();
        let a = bootstrap_median_ci(&xs, 0.95, 500, 1);
        assert_eq!(a, bootstrap_median_ci(&xs, 0.95, 500, 1));
        let b = bootstrap_median_ci(&xs, 0.5, 500, 1);
        assert!(b.hi - b.lo < a.hi - a.lo, "a 50% interval is narrower");
    }

    #[test]
    fn ratio_ci_brackets_a_known_shift() {
        let mut rng = Rng::new(3);
        let base: Vec<f64> = (0..30).map(|_| 100.0 + rng.unit()).collect();
        let cand: Vec<f64> = base.iter().map(|x| x * 1.2).collect();
        let ci = bootstrap_ratio_ci(&base, &cand, 0.95, 2000, 9);
        assert!(ci.contains(1.2) && ci.lo > 1.15 && ci.hi < 1.25, "{ci:?}");
    }

    #[test]
    fn cv_and_outliers() {
        assert!(coefficient_of_variation(&[5.0]).is_none());
        let cv = coefficient_of_variation(&[9.0, 10.0, 11.0]).unwrap();
        assert!((cv - 0.1).abs() < 1e-12);
        assert_eq!(tukey_outliers(&[10.0, 10.1, 9.9, 10.05, 9.95, 30.0]), 1);
        assert_eq!(tukey_outliers(&[1.0, 2.0, 3.0, 4.0, 5.0]), 0);
    }

    #[test]
    fn mann_whitney_exact_matches_tables() {
        // Complete separation of 5 vs 5: p = 2 / C(10, 5) = 2/252.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        let r = mann_whitney(&a, &b);
        assert_eq!(r.u, 0.0);
        assert!((r.p - 2.0 / 252.0).abs() < 1e-12);
        assert!((r.min_p - 2.0 / 252.0).abs() < 1e-12);
        // Interleaved samples: nothing to see.
        let r = mann_whitney(&[1.0, 3.0, 5.0, 7.0], &[2.0, 4.0, 6.0, 8.0]);
        assert!(r.p > 0.5);
        // Three against three can never reach 5%.
        assert!(mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).p > 0.05);
    }

    #[test]
    fn mann_whitney_normal_approximation_agrees_with_exact() {
        let mut rng = Rng::new(11);
        let a: Vec<f64> = (0..20).map(|_| rng.unit()).collect();
        let b: Vec<f64> = (0..20).map(|_| rng.unit() + 0.3).collect();
        let exact = mann_whitney(&a, &b).p;
        // One tied pair forces the approximation on nearly the same data.
        let mut a_tied = a.clone();
        a_tied[0] = b[0];
        let approx = mann_whitney(&a_tied, &b).p;
        assert!(exact < 0.05 && approx < 0.05, "{exact} {approx}");
        assert!((exact.ln() - approx.ln()).abs() < 1.0, "{exact} {approx}");
        // Large samples: the approximation, and it rejects at about alpha under the null.
        let mut rejections = 0;
        for _ in 0..400 {
            let x = exponential(&mut rng, 30);
            let y = exponential(&mut rng, 30);
            if mann_whitney(&x, &y).p < 0.05 {
                rejections += 1;
            }
        }
        assert!((8..=36).contains(&rejections), "{rejections} of 400");
    }

    #[test]
    fn benjamini_hochberg_matches_hand_computation() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        // Sorted: 0.005 (x4/1 = 0.02), 0.01 (x4/2 = 0.02), 0.03 (x4/3 = 0.04), 0.04 (x4/4 = 0.04).
        let expect = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[0.9, 0.8]), vec![0.9, 0.9]);
    }

    #[test]
    fn erfc_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((erfc(1.959_963_985 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_79).abs() < 1e-6);
    }

    #[test]
    fn bootstrap_bounds_are_sample_medians_around_the_median() {
        let xs = [10.0, 12.0, 11.0, 50.0, 9.0, 10.5, 11.5];
        let ci = bootstrap_median_ci(&xs, CONFIDENCE, RESAMPLES, seed_for("cell"));
        assert!(ci.lo <= median(&xs) && median(&xs) <= ci.hi, "{ci:?}");
        assert!(
            ci.lo >= 9.0 && ci.hi < 50.0,
            "the outlier is never a median: {ci:?}"
        );
        let constant = bootstrap_median_ci(&[7.0; 5], CONFIDENCE, RESAMPLES, 1);
        assert_eq!(constant, Interval { lo: 7.0, hi: 7.0 });
        let one = bootstrap_median_ci(&[3.0], CONFIDENCE, RESAMPLES, 1);
        assert_eq!(one.half_width_around(3.0), 0.0, "one sample has no width");
    }

    #[test]
    fn the_half_width_is_the_longer_side() {
        let ci = Interval {
            lo: 90.0,
            hi: 130.0,
        };
        assert_eq!(ci.half_width_around(100.0), 30.0);
        assert_eq!(ci.half_width_around(125.0), 35.0);
        assert!(ci.contains(90.0) && ci.contains(130.0) && !ci.contains(130.5));
    }

    #[test]
    fn summaries_of_no_data_and_of_a_zero_mean() {
        assert_eq!(Summary::of(&[], 1), None);
        assert_eq!(coefficient_of_variation(&[-1.0, 1.0]), None);
        let s = Summary::of(&[4.0, 2.0, 6.0], 1).unwrap();
        assert_eq!((s.n, s.median, s.outliers), (3, 4.0, 0));
        assert_eq!(s.cv, Some(0.5));
    }

    #[test]
    fn seeds_are_stable_per_name() {
        assert_eq!(seed_for(""), 0xcbf2_9ce4_8422_2325, "FNV-1a's offset basis");
        assert_eq!(seed_for("link"), seed_for("link"));
        assert_ne!(seed_for("link"), seed_for("link "));
    }

    #[test]
    fn a_shift_is_significant_and_identical_samples_are_not() {
        let base: Vec<f64> = (0..12).map(|i| 100.0 + f64::from(i)).collect();
        let slower: Vec<f64> = base.iter().map(|x| x + 20.0).collect();
        let r = mann_whitney(&base, &slower);
        assert!(r.p < 0.001, "{r:?}");
        assert_eq!(r.u, 0.0, "every base value is below every slower one");
        let same = mann_whitney(&base, &base);
        assert!(same.p > 0.9, "{same:?}");
    }

    #[test]
    fn wilson_intervals_match_the_published_values_and_stay_in_range() {
        // Wilson's interval for 37 of 4,096 and for the edges (Newcombe 1998's method 3).
        let ci = |broken, passes| {
            let i = Rate { broken, passes }.wilson95();
            ((i.lo * 1e4).round() / 1e4, (i.hi * 1e4).round() / 1e4)
        };
        assert_eq!(ci(37, 4096), (0.0066, 0.0124));
        assert_eq!(ci(0, 4096), (0.0, 0.0009));
        assert_eq!(ci(10, 10), (0.7225, 1.0));
        assert_eq!(ci(0, 0), (0.0, 1.0));
        assert_eq!(
            Rate {
                broken: 1,
                passes: 4
            }
            .share(),
            0.25
        );
    }
}
