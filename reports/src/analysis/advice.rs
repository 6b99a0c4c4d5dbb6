//! Advice: the styles of one shape and mode ranked by median ns/step, each
//! set against the fastest with compare's ratio, interval, test and rule
//! (Benjamini–Hochberg over the comparisons), so that styles with no
//! significant difference from the fastest are named as its equals. Cells
//! that were skipped, failed or oversubscribed are named, never ranked.

use crate::compare::{Change, CompareOptions, Verdict};
use crate::format::{ascii, num, ratio};
use crate::model::Report;
use crate::stats::{benjamini_hochberg, seed_for};

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
                    let change =
                        Change::measure(&best.ns_samples, &c.ns_samples, seed_for(&c.name));
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
            place: crate::findings::question::place(
                &keys,
                Some(crate::findings::question::Axis::Style),
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

fn q_text(q: f64) -> String {
    if q < 0.001 {
        "q < 0.001".into()
    } else {
        format!("q {q:.3}")
    }
}

fn change_text(c: &Change) -> String {
    format!(
        "{} [{}, {}] ({})",
        ratio(c.ratio),
        ratio(c.ci.lo).trim_end_matches('x'),
        ratio(c.ci.hi).trim_end_matches('x'),
        q_text(c.q)
    )
}

/// The advice in a few lines, ending with the command that asks it again.
pub fn text(advice: &Advice, command: &[String]) -> String {
    let mut out = Vec::new();
    match advice.ranked.as_slice() {
        [] => out.push(format!("At {}, no style was timed.", advice.place)),
        [best, rest @ ..] => {
            out.push(format!(
                "At {}, use {} ({} ns/step).",
                advice.place,
                best.style,
                num(best.median)
            ));
            let equals = advice.equals();
            if !equals.is_empty() {
                let named: Vec<String> = equals
                    .iter()
                    .filter_map(|r| {
                        r.against_best
                            .map(|(c, _)| format!("{} {}", r.style, change_text(&c)))
                    })
                    .collect();
                out.push(format!(
                    "No significant difference from it: {}; any of them will do.",
                    named.join(", ")
                ));
            }
            if let Some(runner) = rest
                .iter()
                .find(|r| !equals.iter().any(|e| e.style == r.style))
            {
                if let Some((c, _)) = runner.against_best {
                    let who = match equals.is_empty() {
                        true => "The runner-up",
                        false => "The fastest style significantly behind",
                    };
                    out.push(format!(
                        "{who}, {}, costs {} the winner's ns/step: {} ns/step more.",
                        runner.style,
                        change_text(&c),
                        num(runner.median - best.median)
                    ));
                }
            }
            let order: Vec<String> = advice
                .ranked
                .iter()
                .map(|r| format!("{} {}", r.style, num(r.median)))
                .collect();
            out.push(format!("Ranking, ns/step: {}.", order.join(", ")));
        }
    }
    if !advice.not_ranked.is_empty() {
        let named: Vec<String> = advice
            .not_ranked
            .iter()
            .map(|n| format!("{} {}", n.style, n.word))
            .collect();
        out.push(format!("Not ranked: {}.", named.join(", ")));
    }
    out.push(format!(
        "Reproduce with: {}",
        crate::doc::shell_line(command)
    ));
    ascii(&(out.join("\n") + "\n"))
}
