//! Advice: the styles of one shape and mode ranked by median ns/step, each
//! set against the fastest with compare's ratio, interval, test and rule
//! (Benjamini–Hochberg over the comparisons), so that styles with no
//! significant difference from the fastest are named as its equals. Cells
//! that were skipped, failed or oversubscribed are named, never ranked.
//! `advise` prints it as [`crate::render::advice_text`] words it.

use crate::analysis::judgement::{Change, CompareOptions, Verdict};
use crate::analysis::model::Report;
use crate::analysis::stats::{benjamini_hochberg, seed_for};

/// A ranked style.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    /// The style, with its variant.
    pub style: String,
    /// Its median ns/step.
    pub median: f64,
    /// Set against the fastest (none for the fastest itself): its change
    /// over the fastest and compare's verdict on it.
    pub against_best: Option<(Change, Verdict)>,
}

/// A style with no number to rank.
#[derive(Clone, Debug, PartialEq)]
pub struct NotRanked {
    /// The style, with its variant.
    pub style: String,
    /// Why, in one word (`skipped`, `failed`, `oversubscribed`, ...).
    pub word: &'static str,
}

/// The ranking of one shape and mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    /// The coordinates the cells share (`defer-taskrun/nop g4-s16-b4-t1`).
    pub place: String,
    /// The ranked styles, fastest first.
    pub ranked: Vec<Ranked>,
    /// The styles without a number.
    pub not_ranked: Vec<NotRanked>,
}

impl Advice {
    /// The ranking of the first input's cells, judged with `opts`.
    pub fn of(report: &Report, opts: &CompareOptions) -> Advice {
        let cells: Vec<_> = report.cells.iter().filter(|c| c.source == 0).collect();
        let keys: Vec<_> = cells.iter().map(|c| &c.key).collect();
        let mut timed: Vec<_> = cells.iter().filter(|c| c.ranked().is_some()).collect();
        timed.sort_by(|a, b| {
            a.ranked_median()
                .unwrap_or(f64::MAX)
                .total_cmp(&b.ranked_median().unwrap_or(f64::MAX))
        });
        let mut ranked: Vec<Ranked> = timed
            .iter()
            .map(|c| Ranked {
                style: c.parts().style,
                median: c.ranked_median().unwrap_or_default(),
                against_best: timed.first().filter(|b| b.name != c.name).map(|best| {
                    let change = Change::within_run(best, c, |x| &x.ns_samples, seed_for(&c.name));
                    (change, Verdict::NoChange)
                }),
            })
            .collect();
        let p: Vec<f64> = ranked
            .iter()
            .filter_map(|r| r.against_best.map(|(c, _)| c.p))
            .collect();
        let q = benjamini_hochberg(&p);
        for ((change, verdict), q) in ranked
            .iter_mut()
            .filter_map(|r| r.against_best.as_mut())
            .zip(q)
        {
            change.q = q;
            *verdict = change.verdict(opts);
        }
        Advice {
            place: crate::analysis::findings::question::place(
                &keys,
                Some(crate::analysis::findings::question::Axis::Style),
            ),
            ranked,
            not_ranked: cells
                .iter()
                .filter_map(|c| {
                    c.unranked_word().map(|word| NotRanked {
                        style: c.parts().style,
                        word,
                    })
                })
                .collect(),
        }
    }

    /// The styles after the fastest with no significant difference from it.
    pub fn equals(&self) -> Vec<&Ranked> {
        self.ranked
            .iter()
            .filter(|r| {
                r.against_best
                    .is_some_and(|(_, v)| v != Verdict::Regression)
            })
            .collect()
    }
}
