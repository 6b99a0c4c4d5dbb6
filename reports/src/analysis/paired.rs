//! Ratios of cells measured side by side. A sweep runs the cells one
//! comparison sets against each other (a *family*: the same op, shape and
//! mode, across its styles and their raw reference loops) in *blocks*: one
//! repetition of each, in a random order, back to back. A drift of the
//! machine that lasts longer than a block then moves both sides of a ratio
//! alike, so each block gives one ratio nearly free of it, and the interval
//! of a ratio is bootstrapped over blocks, not over two independent sets of
//! repetitions that may lie tens of seconds apart.
//!
//! Every ratio the reports publish between cells of one run (`×link`, the
//! harness's overhead, a study's contrasts, `advise`'s ranking) is a
//! [`PairedRatio`] when both sides carry blocks; files written before blocks
//! fall back to the unpaired ratio of medians. Two runs are never paired.

use crate::analysis::stats::{bootstrap_median_ci, median, Interval, CONFIDENCE, RESAMPLES};

/// Fewer paired blocks than this give no interval worth the name.
pub const MIN_BLOCKS: usize = 3;

/// One repetition's value with the block of its family it ran in.
pub type Blocked = (u32, f64);

/// `num_b / den_b` for every block `b` both sides have, in block order (a
/// side's first value of a block counts; a block holds one repetition each).
pub fn block_ratios(num: &[Blocked], den: &[Blocked]) -> Vec<f64> {
    let mut den: Vec<Blocked> = den.to_vec();
    den.sort_by_key(|&(b, _)| b);
    den.dedup_by_key(|&mut (b, _)| b);
    let mut num: Vec<Blocked> = num.to_vec();
    num.sort_by_key(|&(b, _)| b);
    num.dedup_by_key(|&mut (b, _)| b);
    num.iter()
        .filter_map(|&(b, n)| {
            let i = den.binary_search_by_key(&b, |&(b, _)| b).ok()?;
            let d = den[i].1;
            (n > 0.0 && d > 0.0 && n.is_finite() && d.is_finite()).then(|| n / d)
        })
        .collect()
}

/// The median of the per-block ratios of `num` over `den`, without the
/// interval: what a table or a summary quotes; `None` with fewer than
/// [`MIN_BLOCKS`] blocks in common. Equal to [`PairedRatio::of`]'s `ratio`.
pub fn median_ratio(num: &[Blocked], den: &[Blocked]) -> Option<f64> {
    let ratios = block_ratios(num, den);
    (ratios.len() >= MIN_BLOCKS).then(|| median(&ratios))
}

/// The ratio of two cells of one run, block by block: the median of the
/// per-block ratios, its percentile bootstrap interval over blocks, and the
/// Wilcoxon signed-rank test of whether the ratio differs from 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedRatio {
    /// Median of the per-block ratios.
    pub ratio: f64,
    /// Bootstrap confidence interval of `ratio`, resampling blocks.
    pub ci: Interval,
    /// Blocks both sides ran in.
    pub blocks: usize,
    /// Two-sided p-value of the signed-rank test on the log ratios.
    pub p: f64,
    /// The smallest p-value this many blocks could give at all.
    pub min_p: f64,
}

impl PairedRatio {
    /// `num` over `den`, paired by block; `None` with fewer than
    /// [`MIN_BLOCKS`] blocks in common. `seed` fixes the bootstrap.
    pub fn of(num: &[Blocked], den: &[Blocked], seed: u64) -> Option<PairedRatio> {
        let ratios = block_ratios(num, den);
        if ratios.len() < MIN_BLOCKS {
            return None;
        }
        let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
        let test = signed_rank(&logs);
        Some(PairedRatio {
            ratio: median(&ratios),
            ci: bootstrap_median_ci(&ratios, CONFIDENCE, RESAMPLES, seed),
            blocks: ratios.len(),
            p: test.p,
            min_p: test.min_p,
        })
    }

    /// The interval's half-width around the ratio, as a fraction of it: the
    /// precision the stopping rule and the trust section judge.
    pub fn precision(&self) -> f64 {
        self.ci.half_width_around(self.ratio) / self.ratio
    }
}

/// A two-sided Wilcoxon signed-rank test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SignedRank {
    /// Two-sided p-value (exact without ties up to [`EXACT_MAX_N`] pairs,
    /// the normal approximation otherwise).
    pub p: f64,
    /// The smallest p-value this many non-zero differences could give.
    pub min_p: f64,
}

/// Largest count of differences for which the exact distribution is used.
const EXACT_MAX_N: usize = 30;

/// The Wilcoxon signed-rank test of whether the differences `d` are
/// centred on zero. Zero differences are dropped (Wilcoxon's convention).
pub fn signed_rank(d: &[f64]) -> SignedRank {
    let mut nonzero: Vec<f64> = d.iter().copied().filter(|x| *x != 0.0).collect();
    let n = nonzero.len();
    if n == 0 {
        return SignedRank { p: 1.0, min_p: 1.0 };
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let mut w_plus = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && nonzero[j + 1].abs() == nonzero[i].abs() {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        w_plus += nonzero[i..=j].iter().filter(|x| **x > 0.0).count() as f64 * rank;
        i = j + 1;
    }
    let total = 2f64.powi(n as i32);
    let min_p = (2.0 / total).min(1.0);
    let p = if tie_term == 0.0 && n <= EXACT_MAX_N {
        let counts = exact_counts(n);
        let w = w_plus as usize;
        let below: f64 = counts[..=w].iter().sum();
        let above: f64 = counts[w..].iter().sum();
        (2.0 * below.min(above) / total).min(1.0)
    } else {
        let nf = n as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
        if var <= 0.0 {
            1.0
        } else {
            let z = ((w_plus - mean).abs() - 0.5).max(0.0) / var.sqrt();
            crate::analysis::stats::erfc(z / std::f64::consts::SQRT_2).min(1.0)
        }
    };
    SignedRank { p, min_p }
}

/// How many of the 2^n sign assignments of ranks 1..=n give each sum W+.
fn exact_counts(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0.0; max + 1];
    counts[0] = 1.0;
    for rank in 1..=n {
        for w in (rank..=max).rev() {
            counts[w] += counts[w - rank];
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::{bootstrap_ratio_ci, Rng};

    /// A slow drift of the machine: every repetition of block `b` runs at
    /// `1 + 0.3 sin(b / 3)` of its speed, plus 0.5% noise of its own.
    fn drifting(base: f64, blocks: u32, rng: &mut Rng) -> Vec<Blocked> {
        (0..blocks)
            .map(|b| {
                let drift = 1.0 + 0.3 * (f64::from(b) / 3.0).sin();
                let noise = 1.0 + 0.005 * (rng.unit() - 0.5);
                (b, base * drift * noise)
            })
            .collect()
    }

    #[test]
    fn pairing_by_block_cancels_a_slow_drift_that_widens_the_unpaired_interval() {
        let mut rng = Rng::new(7);
        let link = drifting(100.0, 20, &mut rng);
        let style = drifting(110.0, 20, &mut rng);
        let paired = PairedRatio::of(&style, &link, 1).expect("20 blocks");
        assert!((paired.ratio - 1.10).abs() < 0.005, "{paired:?}");
        assert!(paired.precision() < 0.005, "paired: {paired:?}");
        let values = |s: &[Blocked]| s.iter().map(|&(_, v)| v).collect::<Vec<_>>();
        let unpaired =
            bootstrap_ratio_ci(&values(&link), &values(&style), CONFIDENCE, RESAMPLES, 1);
        let width = unpaired.half_width_around(1.10) / 1.10;
        assert!(width > 0.05, "unpaired half-width {width}");
        assert!(paired.p < 1e-4 && paired.min_p < 1e-5, "{paired:?}");
    }

    #[test]
    fn only_blocks_both_sides_ran_in_are_paired() {
        let num = [(0, 10.0), (1, 20.0), (3, 40.0), (3, 99.0)];
        let den = [(3, 4.0), (0, 5.0), (2, 1.0)];
        assert_eq!(block_ratios(&num, &den), [2.0, 10.0]);
        assert_eq!(
            PairedRatio::of(&num, &den, 0),
            None,
            "two blocks are too few"
        );
        let bad = [(0, 0.0), (1, f64::NAN), (2, 3.0)];
        assert_eq!(block_ratios(&bad, &[(0, 1.0), (1, 1.0), (2, 1.0)]), [3.0]);
    }

    #[test]
    fn signed_rank_matches_its_exact_distribution() {
        // Five positive differences: W+ = 15, the largest of 32 outcomes.
        let all_up = signed_rank(&[0.1, 0.2, 0.3, 0.4, 0.5]);
        assert!((all_up.p - 2.0 / 32.0).abs() < 1e-12, "{all_up:?}");
        assert!((all_up.min_p - 2.0 / 32.0).abs() < 1e-12);
        // W+ at the middle of its distribution: no evidence at all.
        assert_eq!(signed_rank(&[0.1, -0.2, -0.3, 0.4]).p, 1.0);
        // Six blocks are the fewest that can reach p < 0.05.
        assert!(signed_rank(&[0.01, 0.02, 0.03, 0.04, 0.05, 0.06]).p < 0.05);
        assert_eq!(exact_counts(3), [1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]);
    }
}
