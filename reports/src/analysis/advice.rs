//! Advice: the styles of one shape and mode ranked by median ns/step, each
//! set against the fastest by the one rule of [`crate::analysis::verdict`]
//! (paired ratio, Benjamini–Hochberg over the comparisons, minimum effect,
//! and no lead the harness's overhead explains), so that styles no rule
//! tells apart from the fastest are named as its equals. Cells that were
//! skipped, failed or oversubscribed are named, never ranked. `advise`
//! prints it as [`crate::render::advice_text`] words it.

use crate::analysis::judgement::CompareOptions;
use crate::analysis::model::Report;
use crate::analysis::verdict::{Judged, Place};

/// A ranked style.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    /// The style, with its variant.
    pub style: String,
    /// Its median ns/step.
    pub median: f64,
    /// Set against the fastest (none for the fastest itself): its change
    /// over the fastest and where the rule leaves it.
    pub against_best: Option<Judged>,
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
        let place = Place::of(report, &cells, opts);
        Advice {
            place: crate::analysis::findings::question::place(
                &keys,
                Some(crate::analysis::findings::question::Axis::Style),
            ),
            ranked: place
                .ranked
                .iter()
                .map(|e| Ranked {
                    style: e.style.clone(),
                    median: e.median,
                    against_best: e.against_best,
                })
                .collect(),
            not_ranked: place
                .not_ranked
                .iter()
                .map(|(c, word)| NotRanked {
                    style: c.parts().style,
                    word,
                })
                .collect(),
        }
    }

    /// The styles after the fastest that the rule does not tell apart from it.
    pub fn equals(&self) -> Vec<&Ranked> {
        self.ranked
            .iter()
            .filter(|r| r.against_best.is_some_and(|j| !j.standing.differs()))
            .collect()
    }
}
