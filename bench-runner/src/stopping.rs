//! The sweep's use of the one stopping rule (`workloads::sampling::Rule`,
//! the anchors' too): a family of cells (see `family.rs`) runs blocks until
//! every ratio the reports will publish between its cells (each style over
//! `link`, each cell over its raw reference loop) has a bootstrap 95%
//! interval within the target precision, its time budget (the config's, per
//! cell of the family) is spent, or the most repetitions the config allows
//! ran, each only after the config's minimum blocks. A family with no ratio
//! to publish (one cell, no raw loop) is a lone measurement, judged as an
//! anchor is: by the precision of each cell's median. The precision is
//! computed with the statistics the reports show ([`PairedRatio::of`],
//! [`Summary::of`], seeded by the cell's name), so a family the sweep
//! stopped on precision reads as that precise in its report.

use crate::config::Config;
use reports::analysis::model::BASELINE_STYLE;
use reports::analysis::paired::{Blocked, PairedRatio, MIN_BLOCKS};
use reports::analysis::stats::{seed_for, Summary};
use reports::schema::{CellKey, StopReason};
use std::time::Duration;
use workloads::sampling::Rule;

/// The rule a config sets, per cell: a sample is a block (one repetition
/// of each cell of the family), and the budget is each cell's share of its
/// family's.
pub fn rule(config: &Config) -> Rule {
    Rule {
        precision: config.precision,
        min_samples: config.min_repetitions,
        max_samples: Some(config.repetitions),
        budget: config.time_budget,
    }
}

/// Why a family whose `members` ran `blocks` blocks, spending `spent`
/// timing them, runs no further block by `rule` (per cell, so the family's
/// budget is its members' together); `None` to go on.
pub fn decide(
    rule: &Rule,
    members: &[Member<'_>],
    blocks: u32,
    spent: Duration,
) -> Option<StopReason> {
    let family = Rule {
        budget: rule.budget * members.len().max(1) as u32,
        ..*rule
    };
    family.decide(blocks, spent, || family_precision(members))
}

/// The precision a cell's repetitions reached: the half-width of the median's
/// bootstrap interval over the median (`None` with fewer than [`MIN_BLOCKS`]
/// repetitions, which give no interval worth the name, or a zero median).
/// `name` seeds the bootstrap as the reports seed it.
pub fn precision(name: &str, samples: &[f64]) -> Option<f64> {
    if samples.len() < MIN_BLOCKS {
        return None;
    }
    let s = Summary::of(samples, seed_for(name))?;
    (s.median > 0.0).then(|| s.ci.half_width_around(s.median) / s.median)
}

/// What the rule reads of one cell of a family still being measured.
pub struct Member<'a> {
    /// Its coordinates.
    pub key: &'a CellKey,
    /// Its name, which seeds its bootstraps as the reports seed them.
    pub name: &'a str,
    /// ns/step of its ok repetitions, by block.
    pub samples: &'a [Blocked],
    /// Its raw reference loop's ns/step by block, when it has one.
    pub reference: Option<&'a [Blocked]>,
    /// Whether its ratios are published (not oversubscribed).
    pub ranked: bool,
}

impl Member<'_> {
    fn is_baseline(&self) -> bool {
        self.key.style == BASELINE_STYLE && self.key.variant.is_empty()
    }
}

/// The worst precision among the ratios the reports publish between the
/// family's `members` (`None` while one has too few blocks), or, when
/// there is none to publish, among its cells' medians.
pub fn family_precision(members: &[Member<'_>]) -> Option<f64> {
    let baseline = members.iter().find(|m| m.ranked && m.is_baseline());
    let mut ratios = Vec::new();
    for m in members.iter().filter(|m| m.ranked) {
        if let Some(link) = baseline.filter(|_| !m.is_baseline()) {
            ratios.push(PairedRatio::of(m.samples, link.samples, seed_for(m.name)));
        }
        if let Some(raw) = m.reference {
            ratios.push(PairedRatio::of(m.samples, raw, seed_for(m.name)));
        }
    }
    if ratios.is_empty() {
        return members
            .iter()
            .map(|m| {
                let values: Vec<f64> = m.samples.iter().map(|&(_, v)| v).collect();
                precision(m.name, &values)
            })
            .try_fold(0.0f64, |worst, p| Some(worst.max(p?)));
    }
    ratios
        .into_iter()
        .try_fold(0.0f64, |worst, r| Some(worst.max(r?.precision())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        precision: 0.01,
        min_samples: 5,
        max_samples: Some(20),
        budget: Duration::from_secs(1),
    };
    const EARLY: Duration = Duration::from_millis(10);

    fn key(style: &str) -> CellKey {
        CellKey {
            style: style.into(),
            variant: String::new(),
            mode: "default".into(),
            op: "nop".into(),
            forced_async: false,
            groups: 1,
            steps: 8,
            batch: 8,
            submitters: 1,
            sharing: "per-submitter".into(),
        }
    }

    /// `n` blocks of a cell at `base` ns/step on a machine whose speed
    /// drifts by ±20% across blocks, each repetition with `noise` of its own.
    fn drifting(base: f64, n: u32, noise: f64) -> Vec<Blocked> {
        (0..n)
            .map(|b| {
                let drift = 1.0 + 0.2 * (f64::from(b) * 1.7).sin();
                let own = 1.0 + noise * (f64::from(b) * 2.3 + base).cos();
                (b, base * drift * own)
            })
            .collect()
    }

    fn member<'a>(key: &'a CellKey, samples: &'a [Blocked]) -> Member<'a> {
        Member {
            key,
            name: "cell",
            samples,
            reference: None,
            ranked: true,
        }
    }

    #[test]
    fn ratios_that_move_together_stop_the_family_though_each_median_is_wide() {
        let (link, userspace) = (key("link"), key("userspace"));
        let a = drifting(100.0, 6, 0.001);
        let b = drifting(130.0, 6, 0.001);
        let values: Vec<f64> = a.iter().map(|&(_, v)| v).collect();
        assert!(
            precision("cell", &values).unwrap() > 0.05,
            "each median is wide"
        );
        let family = [member(&link, &a), member(&userspace, &b)];
        assert!(family_precision(&family).unwrap() < 0.01);
        assert_eq!(
            decide(&RULE, &family, 6, EARLY),
            Some(StopReason::Precision)
        );
    }

    #[test]
    fn nothing_stops_a_family_before_its_minimum() {
        let (link, userspace) = (key("link"), key("userspace"));
        let a = drifting(100.0, 4, 0.0);
        let b = drifting(130.0, 4, 0.0);
        let family = [member(&link, &a), member(&userspace, &b)];
        assert_eq!(decide(&RULE, &family, 4, Duration::from_secs(60)), None);
        let two = [member(&link, &a[..2]), member(&userspace, &b[..2])];
        let one = Rule {
            min_samples: 1,
            ..RULE
        };
        assert_eq!(decide(&one, &two, 2, EARLY), None, "no interval yet");
    }

    #[test]
    fn a_noisy_ratio_goes_on_until_the_familys_budget_or_the_maximum() {
        let (link, userspace) = (key("link"), key("userspace"));
        let a = drifting(100.0, 20, 0.0);
        let b = drifting(130.0, 20, 0.2);
        let family = [member(&link, &a[..8]), member(&userspace, &b[..8])];
        assert!(family_precision(&family).unwrap() > 0.01);
        assert_eq!(decide(&RULE, &family, 8, EARLY), None);
        assert_eq!(
            decide(&RULE, &family, 8, Duration::from_millis(1999)),
            None,
            "the budget is per cell: two cells have two seconds"
        );
        assert_eq!(
            decide(&RULE, &family, 8, Duration::from_secs(2)),
            Some(StopReason::Budget)
        );
        let all = [member(&link, &a), member(&userspace, &b)];
        assert_eq!(
            decide(&RULE, &all, 20, EARLY),
            Some(StopReason::MaxRepetitions)
        );
    }

    #[test]
    fn the_raw_loop_is_a_ratio_too_and_an_oversubscribed_cells_are_not() {
        let link = key("link");
        let cell = drifting(100.0, 6, 0.0);
        let raw = drifting(90.0, 6, 0.2);
        let mut with_loop = member(&link, &cell);
        with_loop.reference = Some(&raw);
        assert!(family_precision(&[with_loop]).unwrap() > 0.01);
        let userspace = key("userspace");
        let noisy = drifting(130.0, 6, 0.2);
        let mut oversubscribed = member(&userspace, &noisy);
        oversubscribed.ranked = false;
        let precise = drifting(110.0, 6, 0.0);
        let hardlink = key("hardlink");
        let family = [
            member(&link, &cell),
            oversubscribed,
            member(&hardlink, &precise),
        ];
        assert!(family_precision(&family).unwrap() < 0.01);
    }

    #[test]
    fn a_lone_cell_is_judged_by_its_median() {
        let link = key("link");
        let steady: Vec<Blocked> = (0..6)
            .map(|b| (b, 100.0 + f64::from(b % 2) * 0.2))
            .collect();
        assert_eq!(
            decide(&RULE, &[member(&link, &steady)], 6, EARLY),
            Some(StopReason::Precision)
        );
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
    fn the_rule_is_the_configs() {
        let config = Config::parse(
            "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"nop\"]\n\
             groups = [1]\nsteps = [8]\nbatch = [8]\nrepetitions = 12\n\
             min_repetitions = 4\nprecision = 0.02\ntime_budget = \"2s\"",
        )
        .expect("valid config");
        assert_eq!(
            rule(&config),
            Rule {
                precision: 0.02,
                min_samples: 4,
                max_samples: Some(12),
                budget: Duration::from_secs(2),
            }
        );
    }
}
