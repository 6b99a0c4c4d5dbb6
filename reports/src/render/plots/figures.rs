//! Which figures a report has and what goes into them (one function per
//! kind of figure), and which it cannot have and why. Cells that did not
//! run, and oversubscribed cells, are carried as [`Mark::Missing`] so they
//! are drawn as such, never as zero, and never set an axis's range.

use super::identity::{Identities, PALETTE};
use super::scale::{Scale, ValueAxis};
use super::spec::*;
use crate::analysis::cost_sources::COST_SOURCES;
use crate::analysis::model::{
    group_consecutive, CellStatus, CellSummary, Report, BASELINE_STYLE, EMULATED_MACHINE_LABEL,
};
use std::collections::BTreeMap;

/// The figures of a report, in the order they appear in it, and those it
/// cannot draw.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Figures to draw.
    pub figures: Vec<Figure>,
    /// Figures left out, each with why.
    pub not_drawn: Vec<NotDrawn>,
}

/// Plans every figure of a report.
pub fn plan(report: &Report) -> Plan {
    let ctx = Ctx::new(report);
    let groups = report.by_op_shape();
    let mut plan = Plan::default();
    for (i, (_, cells)) in groups.iter().enumerate() {
        plan.figures.push(ctx.styles_by_mode(i, cells));
    }
    for (i, (group, cells)) in groups.iter().enumerate() {
        match ctx.heatmap(i, group, cells) {
            Ok(fig) => plan.figures.push(fig),
            Err(why) => plan.not_drawn.push(why),
        }
    }
    for axis in [Axis::Batch, Axis::Steps] {
        let (figures, not_drawn) = ctx.curves(axis);
        plan.figures.extend(figures);
        plan.not_drawn.extend(not_drawn);
    }
    for (i, (_, cells)) in groups.iter().enumerate() {
        plan.figures.extend(ctx.cost(i, cells));
    }
    unique_slugs(plan.figures.iter_mut().map(|f| &mut f.slug));
    plan
}

/// The varied shape dimension of a curve figure.
#[derive(Clone, Copy)]
enum Axis {
    /// Batch: the cross-submission curve, log-log, from five batch sizes.
    Batch,
    /// Steps per group.
    Steps,
}

impl Axis {
    fn name(self) -> &'static str {
        match self {
            Axis::Batch => "batch",
            Axis::Steps => "steps",
        }
    }

    fn desc(self) -> &'static str {
        match self {
            Axis::Batch => "batch size (steps per submission)",
            Axis::Steps => "steps per group",
        }
    }

    fn value(self, c: &CellSummary) -> u32 {
        match self {
            Axis::Batch => c.key.batch,
            Axis::Steps => c.key.steps,
        }
    }

    /// The shape dimension held fixed along the curve, as in shape names.
    fn fixed(self, c: &CellSummary) -> String {
        match self {
            Axis::Batch => format!("s{}", c.key.steps),
            Axis::Steps => format!("b{}", c.key.batch),
        }
    }

    /// The fewest x values a curve is drawn from.
    fn min_points(self) -> usize {
        match self {
            Axis::Batch => 5,
            Axis::Steps => 2,
        }
    }

    /// The scale of both axes, when fixed rather than chosen by the span.
    fn scale(self) -> Option<Scale> {
        match self {
            Axis::Batch => Some(Scale::Log),
            Axis::Steps => None,
        }
    }
}

struct Ctx<'a> {
    report: &'a Report,
    looks: Identities,
}

impl<'a> Ctx<'a> {
    fn new(report: &'a Report) -> Ctx<'a> {
        Ctx {
            report,
            looks: Identities::of(report),
        }
    }

    fn mark(cell: &CellSummary) -> Mark {
        match cell.ranked() {
            Some(s) => Mark::Value {
                median: s.median,
                lo: s.ci.lo,
                hi: s.ci.hi,
            },
            None => Mark::Missing(cell.unranked_word().unwrap_or_default().to_string()),
        }
    }

    /// Panels for the inputs that have cells here, with the kernel as caption.
    fn panels<T>(&self, cells: &[&CellSummary]) -> Vec<(usize, Panel<T>)> {
        let mut sources: Vec<usize> = cells.iter().map(|c| c.source).collect();
        sources.sort_unstable();
        sources.dedup();
        sources
            .into_iter()
            .map(|s| {
                let src = &self.report.sources[s];
                // Beside a kernel, in a panel of several, the emulation
                // label says only `emulated`: the machine section says why
                // that matters, and the panel has no room for it.
                let short: Vec<&str> = src
                    .labels
                    .iter()
                    .map(|l| match l == EMULATED_MACHINE_LABEL {
                        true => "emulated",
                        false => l.as_str(),
                    })
                    .collect();
                let caption = if !self.report.multi() {
                    src.labels.join(", ")
                } else if src.labels.is_empty() {
                    src.label.clone()
                } else {
                    format!("{} ({})", src.label, short.join(", "))
                };
                (
                    s,
                    Panel {
                        caption,
                        items: Vec::new(),
                    },
                )
            })
            .collect()
    }

    fn legend(&self, styles: &[String]) -> Vec<LegendEntry> {
        styles
            .iter()
            .map(|s| LegendEntry::style(s, self.looks.of_style(s)))
            .collect()
    }

    /// ns/step of every style, grouped by mode, for one op and shape.
    fn styles_by_mode(&self, index: usize, cells: &[&CellSummary]) -> Figure {
        let parts = cells[0].parts();
        let modes = distinct(cells.iter().map(|c| c.parts().mode));
        let styles = distinct(cells.iter().map(|c| c.parts().style));
        let mut notes = Notes::default();
        let mut panels = self.panels(cells);
        for (source, panel) in &mut panels {
            for c in cells.iter().filter(|c| c.source == *source) {
                let p = c.parts();
                panel.items.push(Bar {
                    group: position(&modes, &p.mode),
                    slot: position(&styles, &p.style),
                    look: self.looks.of_style(&p.style),
                    mark: Self::mark(c),
                    footnote: notes.marker(self.report, c),
                });
            }
        }
        let y = ValueAxis::fitting(
            panels
                .iter()
                .flat_map(|(_, p)| p.items.iter().flat_map(|b| b.mark.extent())),
            None,
        );
        Figure {
            slug: format!(
                "styles-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            title: format!(
                "ns per step by style and mode: {} {}",
                parts.op, parts.shape
            ),
            size: (WIDTH, HEIGHT),
            legend: self.legend(&styles),
            notes: notes.finish(),
            chart: Chart::Grouped {
                x_desc: "submission mode".into(),
                y_desc: y_desc(y),
                y,
                slots: styles.len(),
                groups: modes,
                panels: panels.into_iter().map(|(_, p)| p).collect(),
            },
        }
    }

    /// Every cell's ×link, styles down and modes across, for one op and shape.
    fn heatmap(
        &self,
        index: usize,
        group: &str,
        cells: &[&CellSummary],
    ) -> Result<Figure, NotDrawn> {
        let modes = distinct(cells.iter().map(|c| c.parts().mode));
        let styles = distinct(cells.iter().map(|c| c.parts().style));
        let mut notes = Notes::default();
        let mut footnotes = vec![String::new(); styles.len()];
        let mut compared = false;
        let mut panels = self.panels(cells);
        for (source, panel) in &mut panels {
            for c in cells.iter().filter(|c| c.source == *source) {
                let p = c.parts();
                let row = position(&styles, &p.style);
                let footnote = notes.marker(self.report, c);
                if footnotes[row].is_empty() {
                    footnotes[row] = footnote;
                }
                let value = match (c.unranked_word(), self.report.link_ratio(c)) {
                    (Some(word), _) => TileValue::Missing(word.to_string()),
                    (None, None) => TileValue::Missing("no link".into()),
                    (None, Some(r)) => {
                        compared |= p.style != BASELINE_STYLE;
                        TileValue::Ratio(r)
                    }
                };
                panel.items.push(Tile {
                    row,
                    col: position(&modes, &p.mode),
                    value,
                });
            }
        }
        if !compared {
            return Err(NotDrawn::NoLinkRatio {
                group: group.to_string(),
            });
        }
        let widest = panels
            .iter()
            .flat_map(|(_, p)| &p.items)
            .filter_map(|t| match t.value {
                TileValue::Ratio(r) if r > 0.0 => Some(r.max(1.0 / r)),
                _ => None,
            })
            .fold(2.0, f64::max);
        let parts = cells[0].parts();
        let notes = notes.finish();
        let height = (150 + 34 * styles.len() as u32 + NOTE_H * notes.len() as u32).min(MAX_HEIGHT);
        Ok(Figure {
            slug: format!(
                "xlink-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            title: format!("x link by style and mode: {group}"),
            size: (WIDTH, height),
            legend: Vec::new(),
            notes,
            chart: Chart::Heatmap {
                rows: styles
                    .iter()
                    .zip(footnotes)
                    .map(|(s, footnote)| {
                        LegendEntry::style(&format!("{s}{footnote}"), self.looks.of_style(s))
                    })
                    .collect(),
                cols: modes,
                scale: ValueAxis {
                    scale: Scale::Log,
                    lo: 1.0 / widest,
                    hi: widest,
                },
                panels: panels.into_iter().map(|(_, p)| p).collect(),
            },
        })
    }

    /// Curves of ns/step along one shape axis, one figure per family of
    /// cells that differ only in that axis (and style) when it has enough
    /// values; the families that vary it over too few are said, not drawn.
    fn curves(&self, axis: Axis) -> (Vec<Figure>, Vec<NotDrawn>) {
        let families = group_consecutive(&self.report.cells, |c| {
            let k = &c.key;
            let p = c.parts();
            let sharing = if k.submitters > 1 {
                format!("-{}", k.sharing)
            } else {
                String::new()
            };
            format!(
                "{} {} g{}-{}-t{}{sharing}",
                p.mode,
                p.op,
                k.groups,
                axis.fixed(c),
                k.submitters
            )
        });
        let mut figures = Vec::new();
        let mut too_few: BTreeMap<Vec<u32>, Vec<String>> = BTreeMap::new();
        for (family, cells) in families {
            let mut xs: Vec<u32> = cells.iter().map(|c| axis.value(c)).collect();
            xs.sort_unstable();
            xs.dedup();
            if xs.len() >= axis.min_points() {
                let fig = self.curve(axis, figures.len(), &family, &cells, &xs);
                figures.push(fig);
            } else if xs.len() > 1 {
                too_few.entry(xs).or_default().push(family);
            }
        }
        let not_drawn = too_few
            .into_iter()
            .map(|(batches, slices)| NotDrawn::FewBatches {
                slices,
                batches,
                needed: axis.min_points(),
            });
        // Only the batch curve is asked for wherever batch varies.
        let not_drawn = match axis {
            Axis::Batch => not_drawn.collect(),
            Axis::Steps => Vec::new(),
        };
        (figures, not_drawn)
    }

    /// One curve figure: a line per style (and kernel) over `xs`.
    fn curve(
        &self,
        axis: Axis,
        index: usize,
        family: &str,
        cells: &[&CellSummary],
        xs: &[u32],
    ) -> Figure {
        let styles = distinct(cells.iter().map(|c| c.parts().style));
        let mut notes = Notes::default();
        let mut untimed = Vec::new();
        let mut panels = self.panels(cells);
        for (source, panel) in &mut panels {
            for style in &styles {
                let mut line_cells: Vec<&CellSummary> = cells
                    .iter()
                    .copied()
                    .filter(|c| c.source == *source && c.parts().style == *style)
                    .collect();
                if line_cells.is_empty() {
                    continue;
                }
                line_cells.sort_by_key(|c| axis.value(c));
                let footnote = line_cells
                    .iter()
                    .map(|c| notes.marker(self.report, c))
                    .find(|m| !m.is_empty())
                    .unwrap_or_default();
                untimed.extend(self.untimed_note(axis, *source, style, &line_cells));
                panel.items.push(Line {
                    look: self.looks.of_style(style),
                    points: line_cells
                        .iter()
                        .map(|c| (axis.value(c) as f64, Self::mark(c)))
                        .collect(),
                    footnote,
                });
            }
        }
        let marks = || {
            panels
                .iter()
                .flat_map(|(_, p)| p.items.iter().flat_map(|l| l.points.iter()))
        };
        let y = ValueAxis::fitting(marks().flat_map(|(_, m)| m.extent()), axis.scale());
        let x = ValueAxis::fitting(xs.iter().map(|v| *v as f64), axis.scale());
        let name = axis.name();
        Figure {
            slug: format!("by-{name}-{:02}-{}", index + 1, slug(family)),
            title: format!("ns per step vs {name}: {family}"),
            size: (WIDTH, HEIGHT),
            legend: self.legend(&styles),
            notes: notes.finish().into_iter().chain(untimed).collect(),
            chart: Chart::Lines {
                x_desc: axis.desc().into(),
                y_desc: y_desc(y),
                x,
                y,
                xs: xs.iter().map(|v| *v as f64).collect(),
                panels: panels.into_iter().map(|(_, p)| p).collect(),
            },
        }
    }

    /// The note naming where a line has no value ("x on the axis: ...").
    fn untimed_note(
        &self,
        axis: Axis,
        source: usize,
        style: &str,
        cells: &[&CellSummary],
    ) -> Option<String> {
        let untimed = cells
            .iter()
            .copied()
            .filter(|c| c.unranked_word().is_some());
        let missing: Vec<String> =
            group_consecutive(untimed, |c| c.unranked_word().unwrap_or_default().into())
                .into_iter()
                .map(|(word, cells)| {
                    let at: Vec<String> = cells.iter().map(|c| axis.value(c).to_string()).collect();
                    format!("{word} at {}", at.join(", "))
                })
                .collect();
        if missing.is_empty() {
            return None;
        }
        let kernel = if self.report.multi() {
            format!(" @{}", self.report.sources[source].label)
        } else {
            String::new()
        };
        Some(format!(
            "x on the axis: {style}{kernel} {}",
            missing.join(", ")
        ))
    }

    /// Where the cost goes: profile events per step stacked by source, one row
    /// per cell (and kernel), over as many figures as keep each within
    /// [`MAX_HEIGHT`] (whole modes to a figure where they fit); none when no
    /// cell of the group has any.
    fn cost(&self, index: usize, cells: &[&CellSummary]) -> Vec<Figure> {
        let present: Vec<usize> = (0..COST_SOURCES.len())
            .filter(|&s| {
                cells.iter().any(|c| {
                    c.profile
                        .as_ref()
                        .is_some_and(|p| COST_SOURCES[s].per_step(p).is_some())
                })
            })
            .collect();
        if present.is_empty() {
            return Vec::new();
        }
        let absent: Vec<&str> = (0..COST_SOURCES.len())
            .filter(|s| !present.contains(s))
            .map(|s| COST_SOURCES[s].name)
            .collect();
        let parts = cells[0].parts();
        let pages = pages(cells, |c| c.parts().mode, COST_ROWS);
        let paged = pages.len() > 1;
        pages
            .into_iter()
            .enumerate()
            .map(|(page, cells)| {
                let modes = distinct(cells.iter().map(|c| c.parts().mode));
                let mut notes = Notes::default();
                let rows: Vec<StackRow> = cells
                    .iter()
                    .map(|c| self.cost_row(c, &present, &mut notes))
                    .collect();
                let mut all_notes = notes.finish();
                if !absent.is_empty() {
                    all_notes.push(format!("not recorded: {}", absent.join(", ")));
                }
                let (slug_tail, title_tail) = if paged {
                    (
                        format!("-p{}", page + 1),
                        format!(" ({})", modes.join(", ")),
                    )
                } else {
                    (String::new(), String::new())
                };
                let height = (130 + ROW_H * rows.len() as u32 + NOTE_H * all_notes.len() as u32)
                    .clamp(HEIGHT.min(MAX_HEIGHT), MAX_HEIGHT);
                Figure {
                    slug: format!(
                        "cost-{:02}-{}-{}{slug_tail}",
                        index + 1,
                        slug(&parts.op),
                        slug(&parts.shape)
                    ),
                    title: format!(
                        "where the cost goes: {} {}{title_tail}",
                        parts.op, parts.shape
                    ),
                    size: (WIDTH, height),
                    legend: present
                        .iter()
                        .map(|&s| LegendEntry {
                            label: COST_SOURCES[s].name.to_string(),
                            colour: PALETTE[s],
                            marker: None,
                        })
                        .collect(),
                    notes: all_notes,
                    chart: Chart::Stacked {
                        x_desc: "events per step (profile pass)".into(),
                        x: ValueAxis::fitting(
                            rows.iter().map(|r| r.segments.iter().map(|(_, v)| v).sum()),
                            Some(Scale::Linear),
                        ),
                        rows,
                    },
                }
            })
            .collect()
    }

    /// One cell's row of the cost chart.
    fn cost_row(&self, c: &CellSummary, present: &[usize], notes: &mut Notes) -> StackRow {
        let p = c.parts();
        let mut label = format!("{} {}", p.style, p.mode);
        if self.report.multi() {
            label = format!("{label} @{}", self.report.sources[c.source].label);
        }
        label.push_str(&notes.marker(self.report, c));
        let missing = match (&c.profile, c.status) {
            (_, CellStatus::Failed) => Some("failed".to_string()),
            (None, CellStatus::Ok) => Some("no profile".to_string()),
            (None, status) => Some(status.word().to_string()),
            (Some(_), _) => None,
        };
        let segments = c
            .profile
            .as_ref()
            .filter(|_| missing.is_none())
            .map(|prof| {
                present
                    .iter()
                    .map(|&s| (PALETTE[s], COST_SOURCES[s].per_step(prof).unwrap_or(0.0)))
                    .collect()
            })
            .unwrap_or_default();
        StackRow {
            label,
            segments,
            missing,
        }
    }
}

/// Height of one row of the cost chart.
const ROW_H: u32 = 20;
/// Most rows in one cost figure: what fits [`MAX_HEIGHT`] with a few notes.
const COST_ROWS: usize = ((MAX_HEIGHT - 130 - 3 * NOTE_H) / ROW_H) as usize;

/// Splits `items` into pages of at most `cap`, keeping runs with the same
/// `key` on one page where they fit (a longer run gets pages of its own).
fn pages<'a, T>(items: &[&'a T], key: impl Fn(&T) -> String, cap: usize) -> Vec<Vec<&'a T>> {
    let mut out: Vec<Vec<&T>> = Vec::new();
    for (_, run) in group_consecutive(items.iter().copied(), key) {
        for chunk in run.chunks(cap) {
            match out.last_mut() {
                Some(page) if page.len() + chunk.len() <= cap => page.extend(chunk),
                _ => out.push(chunk.to_vec()),
            }
        }
    }
    out
}

/// The y axis description, naming a log scale.
fn y_desc(axis: ValueAxis) -> String {
    match axis.scale {
        Scale::Linear => "ns per step (median, 95% CI)".into(),
        Scale::Log => "ns per step (median, 95% CI, log)".into(),
    }
}

/// Footnote markers for cell labels (those not already on the panel caption).
#[derive(Default)]
struct Notes {
    labels: BTreeMap<String, usize>,
}

impl Notes {
    fn marker(&mut self, report: &Report, cell: &CellSummary) -> String {
        let source_labels = &report.sources[cell.source].labels;
        let own: Vec<&String> = cell
            .labels
            .iter()
            .filter(|l| !source_labels.contains(l))
            .collect();
        if own.is_empty() {
            return String::new();
        }
        let text = own
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let n = self.labels.len() + 1;
        let index = *self.labels.entry(text).or_insert(n);
        "*".repeat(index)
    }

    fn finish(self) -> Vec<String> {
        let mut v: Vec<(usize, String)> = self.labels.into_iter().map(|(l, i)| (i, l)).collect();
        v.sort();
        v.into_iter()
            .map(|(i, l)| format!("{} {l}", "*".repeat(i)))
            .collect()
    }
}

fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn position(items: &[String], item: &str) -> usize {
    items.iter().position(|i| i == item).unwrap_or(0)
}

/// A file-name-safe version of a label.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if out.len() >= MAX_SLUG {
            break;
        }
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The most characters a part of a plot's file name takes from the data, so
/// that a name stays far below a file system's 255 bytes.
const MAX_SLUG: usize = 40;

/// Makes every figure's file stem unique: a stem seen before gets `-2`,
/// `-3`, ... (parts cut to [`MAX_SLUG`] may meet).
fn unique_slugs<'a>(slugs: impl Iterator<Item = &'a mut String>) {
    let mut seen = std::collections::BTreeSet::new();
    for slug in slugs {
        let mut stem = slug.clone();
        let mut n = 1;
        while !seen.insert(stem.clone()) {
            n += 1;
            stem = format!("{slug}-{n}");
        }
        *slug = stem;
    }
}

#[cfg(test)]
mod tests {
    use super::{pages, slug, unique_slugs, MAX_SLUG};

    #[test]
    fn file_names_from_data_are_bounded_and_unique() {
        let long = format!("{}!", "op".repeat(200));
        assert_eq!(slug(&long).len(), MAX_SLUG);
        assert_eq!(slug("socket:unix  g1/s8"), "socket-unix-g1-s8");
        let mut stems: Vec<String> = ["a", "b", "a", "a"].map(String::from).to_vec();
        unique_slugs(stems.iter_mut());
        assert_eq!(stems, ["a", "b", "a-2", "a-3"]);
    }

    #[test]
    fn pages_keep_runs_together_where_they_fit() {
        let items: Vec<String> = ["a1", "a2", "b1", "b2", "b3", "c1", "c2", "c3", "c4", "c5"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let refs: Vec<&String> = items.iter().collect();
        let run = |s: &String| s[..1].to_string();
        let paged: Vec<Vec<&str>> = pages(&refs, run, 4)
            .into_iter()
            .map(|p| p.into_iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            paged,
            [
                vec!["a1", "a2"],
                vec!["b1", "b2", "b3"],
                vec!["c1", "c2", "c3", "c4"],
                vec!["c5"]
            ]
        );
    }
}
