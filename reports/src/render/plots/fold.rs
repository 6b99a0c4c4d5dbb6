//! Folding figures that would look the same: of each kind of figure (its
//! title before the `:`), one whose every value is within a tolerance of an
//! earlier one's, over the same styles, modes and kinds, is not drawn; the
//! earlier figure names it in a note. A report of many shapes then draws
//! each distinct picture once.

use super::spec::{Chart, CountRow, Figure, Mark, Panel, TileValue};
use std::collections::BTreeMap;

/// Values on a ratio scale (ns/step, ×link) fold within this share of each
/// other: on the log axes they are drawn on, less than a marker's width.
pub const RATIO_TOLERANCE: f64 = 0.10;

/// Event counts fold within this share of their axis's range.
pub const COUNT_TOLERANCE: f64 = 0.05;

/// The figures with each one that looks like an earlier one of its kind
/// left out, and named in that one's notes.
pub fn fold(figures: Vec<Figure>) -> Vec<Figure> {
    let mut kept: Vec<(Figure, Vec<String>)> = Vec::new();
    for fig in figures {
        match kept.iter_mut().find(|(k, _)| same_picture(k, &fig)) {
            Some((_, folded)) => folded.push(fig.subject),
            None => kept.push((fig, Vec::new())),
        }
    }
    kept.into_iter()
        .map(|(mut fig, folded)| {
            if !folded.is_empty() {
                let within = match fig.chart {
                    Chart::Counts { .. } => "every count within 5% of its axis",
                    _ => "every value within 10%",
                };
                fig.notes.push(fold_note(&folded, within));
                let grown = fig.size.1 + super::spec::NOTE_H;
                fig.size.1 = grown.min(super::spec::MAX_HEIGHT);
            }
            fig
        })
        .collect()
}

/// The note naming the figures folded into one, and how alike they are.
fn fold_note(folded: &[String], within: &str) -> String {
    let which = match folded {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, rest @ ..] => format!("{a} and {} more", rest.len()),
        [] => String::new(),
    };
    format!("also stands for {which} ({within})")
}

/// The kind of a figure: its title before the `:`.
fn kind(fig: &Figure) -> &str {
    fig.title.split_once(": ").map_or(&*fig.title, |(k, _)| k)
}

/// Whether `b` would show what `a` shows, every value within tolerance.
fn same_picture(a: &Figure, b: &Figure) -> bool {
    if kind(a) != kind(b) {
        return false;
    }
    match (&a.chart, &b.chart) {
        (
            Chart::Dots {
                groups: ga,
                slots: sa,
                panels: pa,
                ..
            },
            Chart::Dots {
                groups: gb,
                slots: sb,
                panels: pb,
                ..
            },
        ) => {
            ga == gb
                && sa == sb
                && panels_match(
                    pa,
                    pb,
                    |d| (d.group, d.slot, d.look.colour),
                    |x, y| close_marks(&x.mark, &y.mark),
                )
        }
        (
            Chart::Heatmap {
                rows: ra,
                cols: ca,
                panels: pa,
                ..
            },
            Chart::Heatmap {
                rows: rb,
                cols: cb,
                panels: pb,
                ..
            },
        ) => {
            ra == rb
                && ca == cb
                && panels_match(
                    pa,
                    pb,
                    |t| (t.row, t.col),
                    |x, y| match (&x.value, &y.value) {
                        (TileValue::Ratio(p), TileValue::Ratio(q)) => close(*p, *q),
                        (p, q) => p == q,
                    },
                )
        }
        (
            Chart::Lines {
                xs: xa, panels: pa, ..
            },
            Chart::Lines {
                xs: xb, panels: pb, ..
            },
        ) => {
            xa == xb
                && panels_match(
                    pa,
                    pb,
                    |l| l.look.colour,
                    |x, y| {
                        x.points.len() == y.points.len()
                            && x.points
                                .iter()
                                .zip(&y.points)
                                .all(|((p, m), (q, n))| p == q && close_marks(m, n))
                    },
                )
        }
        (
            Chart::Counts {
                rows: ra,
                kinds: ka,
                axes: aa,
                series: sa,
                counts: ca,
            },
            Chart::Counts {
                rows: rb,
                kinds: kb,
                axes: ab,
                series: sb,
                counts: cb,
            },
        ) => {
            let spans: Vec<f64> = aa.iter().zip(ab).map(|(x, y)| x.hi.max(y.hi)).collect();
            ra == rb
                && ka == kb
                && sa == sb
                && keyed_match(
                    ca,
                    cb,
                    |r: &CountRow| (r.row, r.series),
                    |x, y| close_counts(&x.counts, &y.counts, &spans),
                )
        }
        _ => false,
    }
}

/// Whether two panels' lists hold the same items by `key`, each pair `alike`.
fn panels_match<T, K: Ord>(
    a: &[Panel<T>],
    b: &[Panel<T>],
    key: impl Fn(&T) -> K + Copy,
    alike: impl Fn(&T, &T) -> bool + Copy,
) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(p, q)| p.caption == q.caption && keyed_match(&p.items, &q.items, key, alike))
}

/// Whether `a` and `b` hold items of the same keys, each pair `alike`.
fn keyed_match<T, K: Ord>(
    a: &[T],
    b: &[T],
    key: impl Fn(&T) -> K,
    alike: impl Fn(&T, &T) -> bool,
) -> bool {
    let by_key = |items: &[T]| -> BTreeMap<K, usize> {
        items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
    };
    let (ka, kb) = (by_key(a), by_key(b));
    ka.len() == a.len()
        && ka.len() == kb.len()
        && ka
            .iter()
            .zip(&kb)
            .all(|((x, &i), (y, &j))| x == y && alike(&a[i], &b[j]))
}

/// Two positive values within [`RATIO_TOLERANCE`] of each other.
fn close(a: f64, b: f64) -> bool {
    a > 0.0 && b > 0.0 && (a / b).ln().abs() <= (1.0 + RATIO_TOLERANCE).ln()
}

/// Two marks alike: both missing for the same reason, or both values with
/// medians and interval bounds close.
fn close_marks(a: &Mark, b: &Mark) -> bool {
    match (a, b) {
        (
            Mark::Value { median, lo, hi },
            Mark::Value {
                median: m,
                lo: l,
                hi: h,
            },
        ) => close(*median, *m) && close(*lo, *l) && close(*hi, *h),
        (a, b) => a == b,
    }
}

/// Two cells' counts alike: each kind within [`COUNT_TOLERANCE`] of its
/// axis's range `spans`, or both missing for the same reason.
fn close_counts(
    a: &Result<Vec<Option<f64>>, super::spec::Absent>,
    b: &Result<Vec<Option<f64>>, super::spec::Absent>,
    spans: &[f64],
) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x
            .iter()
            .zip(y)
            .zip(spans)
            .all(|((p, q), span)| match (p, q) {
                (Some(p), Some(q)) => (p - q).abs() <= COUNT_TOLERANCE * span,
                (p, q) => p == q,
            }),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::plots::identity::Identity;
    use crate::render::plots::scale::{Scale, ValueAxis};
    use crate::render::plots::spec::{Absent, Dot};

    fn styles(subject: &str, link: f64, other: Mark) -> Figure {
        let dot = |slot, mark| Dot {
            group: 0,
            slot,
            look: Identity::slot(slot),
            mark,
            reference: slot == 0,
        };
        let value = |v: f64| Mark::Value {
            median: v,
            lo: v * 0.98,
            hi: v * 1.02,
        };
        Figure {
            slug: subject.into(),
            subject: subject.into(),
            title: format!("ns per step by style and mode: {subject}"),
            size: (800, 500),
            legend: Vec::new(),
            notes: Vec::new(),
            chart: Chart::Dots {
                x_desc: String::new(),
                y_desc: String::new(),
                y: ValueAxis {
                    scale: Scale::Log,
                    lo: 10.0,
                    hi: 1000.0,
                },
                groups: vec!["default".into()],
                slots: 2,
                panels: vec![Panel {
                    caption: String::new(),
                    items: vec![dot(0, value(link)), dot(1, other)],
                }],
            },
        }
    }

    #[test]
    fn a_figure_within_ten_percent_of_an_earlier_one_is_folded_into_it() {
        let value = |v: f64| Mark::Value {
            median: v,
            lo: v * 0.98,
            hi: v * 1.02,
        };
        let figures = vec![
            styles("a", 100.0, value(300.0)),
            styles("b", 104.0, value(310.0)),
            // 20% off: a picture of its own.
            styles("c", 120.0, value(300.0)),
            // A failure where the first has a value: never folded.
            styles("d", 100.0, Mark::Missing(Absent::Failed)),
            styles("e", 101.0, Mark::Missing(Absent::Failed)),
        ];
        let kept = fold(figures);
        let subjects: Vec<&str> = kept.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["a", "c", "d"]);
        assert_eq!(
            kept[0].notes,
            ["also stands for b (every value within 10%)"]
        );
        assert_eq!(kept[0].size.1, 520);
        assert!(kept[1].notes.is_empty());
        assert_eq!(
            kept[2].notes,
            ["also stands for e (every value within 10%)"]
        );
    }
}
