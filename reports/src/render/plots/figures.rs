//! Which figures a report has and what goes into them (one function per
//! kind of figure), and which it cannot have and why. Cells that did not
//! run, and oversubscribed cells, are carried as [`Mark::Missing`] so they
//! are drawn as such, never as zero, and never set an axis's range.

use super::fold;
use super::identity::{Identities, Identity, Marker};
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
    for (i, (group, cells)) in groups.iter().enumerate() {
        match ctx.styles_by_mode(i, group, cells) {
            Ok(fig) => plan.figures.push(fig),
            Err(why) => plan.not_drawn.push(why),
        }
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
    for (i, (group, cells)) in groups.iter().enumerate() {
        plan.figures.extend(ctx.counts(i, group, cells));
    }
    plan.figures = fold::fold(plan.figures);
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
            None => Mark::Missing(absent(cell)),
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

    /// ns/step of every style, grouped by mode, for one op and shape: a
    /// dot per cell with its interval, link's median across each mode;
    /// none when fewer than two cells have a ranked value.
    fn styles_by_mode(
        &self,
        index: usize,
        group: &str,
        cells: &[&CellSummary],
    ) -> Result<Figure, NotDrawn> {
        let values = cells.iter().filter(|c| c.ranked().is_some()).count();
        if values < 2 {
            return Err(NotDrawn::FewValues {
                group: group.to_string(),
                values,
            });
        }
        let parts = cells[0].parts();
        let modes = distinct(cells.iter().map(|c| c.parts().mode));
        let styles = distinct(cells.iter().map(|c| c.parts().style));
        let mut notes = Notes::default();
        let mut footnotes = vec![String::new(); styles.len()];
        let mut panels = self.panels(cells);
        for (source, panel) in &mut panels {
            for c in cells.iter().filter(|c| c.source == *source) {
                let p = c.parts();
                let slot = position(&styles, &p.style);
                let footnote = notes.marker(self.report, c);
                if footnotes[slot].is_empty() {
                    footnotes[slot] = footnote;
                }
                panel.items.push(Dot {
                    group: position(&modes, &p.mode),
                    slot,
                    look: self.looks.of_style(&p.style),
                    mark: Self::mark(c),
                    reference: p.style == BASELINE_STYLE,
                });
            }
        }
        let dots = || panels.iter().flat_map(|(_, p)| p.items.iter());
        let mut y = ValueAxis::fitting(dots().flat_map(|d| d.mark.extent()), None);
        let missing = dots().any(|d| matches!(d.mark, Mark::Missing(_)));
        if missing && y.scale == Scale::Log {
            // Room on the baseline for the marks of missing values.
            y.lo /= 1.6;
        }
        let has_link = dots().any(|d| d.reference && matches!(d.mark, Mark::Value { .. }));
        let mut legend: Vec<LegendEntry> = styles
            .iter()
            .zip(&footnotes)
            .map(|(s, f)| LegendEntry::style(&format!("{s}{f}"), self.looks.of_style(s)))
            .collect();
        legend.extend(absent_entries(dots().map(|d| &d.mark)));
        let mut notes = notes.finish();
        if has_link {
            notes.insert(0, format!("dashed: {BASELINE_STYLE}'s median in each mode"));
        }
        let height = figure_height(legend.len(), notes.len());
        Ok(Figure {
            slug: format!(
                "styles-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            subject: group.to_string(),
            title: format!("ns per step by style and mode: {group}"),
            size: (WIDTH, height),
            legend,
            notes,
            chart: Chart::Dots {
                x_desc: "submission mode".into(),
                y_desc: y_desc(y),
                y,
                slots: styles.len(),
                groups: modes,
                panels: panels.into_iter().map(|(_, p)| p).collect(),
            },
        })
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
                let value = match (c.ranked(), self.report.link_ratio(c)) {
                    (None, _) => TileValue::Missing(absent(c)),
                    (Some(_), None) => TileValue::Missing(Absent::NoLink),
                    (Some(_), Some(r)) => {
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
        // Tall enough for its rows and for the whole colour scale beside them.
        let rows_h = (150 + 34 * styles.len() as u32).max(HEATMAP_MIN_BODY);
        let height = (rows_h + NOTE_H * notes.len() as u32).min(MAX_HEIGHT);
        Ok(Figure {
            slug: format!(
                "xlink-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            subject: group.to_string(),
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
            subject: family.to_string(),
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

    /// Where the cost goes: the profile pass's events per step, a small
    /// chart per kind of event on its own axis (they cost unlike amounts,
    /// so they are never added up), a row per style with a point per mode;
    /// none when no cell of the group has any. Styles no cell of which ran
    /// are named in a note instead of a row. The cells' labels are left to
    /// the other figures and the tables: counts are no timings.
    fn counts(&self, index: usize, group: &str, cells: &[&CellSummary]) -> Option<Figure> {
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
            return None;
        }
        let ran = |c: &&&CellSummary| c.status != CellStatus::Skipped;
        let rows = distinct(cells.iter().filter(ran).map(|c| c.parts().style));
        let not_run = distinct(
            cells
                .iter()
                .map(|c| c.parts().style)
                .filter(|s| !rows.contains(s)),
        );
        let modes = distinct(cells.iter().filter(ran).map(|c| c.parts().mode));
        let mut counts = Vec::new();
        for c in cells.iter().filter(ran) {
            let p = c.parts();
            let recorded = match (&c.profile, absent_or_none(c)) {
                (_, Some(why)) => Err(why),
                (None, None) => Err(Absent::NoProfile),
                (Some(prof), None) => Ok(present
                    .iter()
                    .map(|&s| COST_SOURCES[s].per_step(prof))
                    .collect()),
            };
            counts.push(CountRow {
                row: position(&rows, &p.style),
                series: position(&modes, &p.mode),
                counts: recorded,
            });
        }
        let axes: Vec<ValueAxis> = (0..present.len())
            .map(|k| {
                let values = counts.iter().filter_map(|r| r.counts.as_ref().ok()?[k]);
                ValueAxis::fitting(values, Some(Scale::Linear))
            })
            .collect();
        let mut notes = vec![
            "each kind of event on its own axis: they cost unlike amounts, so are never added"
                .to_string(),
        ];
        if !not_run.is_empty() {
            notes.push(format!("not run: {}", not_run.join(", ")));
        }
        let absent: Vec<&Absent> = counts
            .iter()
            .filter_map(|r| r.counts.as_ref().err())
            .collect();
        let mut legend: Vec<LegendEntry> = modes
            .iter()
            .enumerate()
            .map(|(i, m)| mode_entry(m, i))
            .collect();
        legend.extend(absent_legend(absent.into_iter().copied()));
        let parts = cells[0].parts();
        let height = (COUNTS_FIXED_H
            + count_row_h(modes.len()) * rows.len() as u32
            + NOTE_H * notes.len() as u32)
            .max(figure_height(legend.len(), notes.len()))
            .min(MAX_HEIGHT);
        Some(Figure {
            slug: format!(
                "cost-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            subject: group.to_string(),
            title: format!("events per step by style and mode: {group}"),
            size: (WIDTH, height),
            legend,
            notes,
            chart: Chart::Counts {
                rows,
                kinds: present
                    .iter()
                    .map(|&s| COST_SOURCES[s].name.to_string())
                    .collect(),
                axes,
                series: modes
                    .iter()
                    .enumerate()
                    .map(|(i, m)| mode_entry(m, i))
                    .collect(),
                counts,
            },
        })
    }
}

/// Why a cell has no ranked value, as its mark.
fn absent(cell: &CellSummary) -> Absent {
    absent_or_none(cell).unwrap_or(Absent::Oversubscribed)
}

/// Why a cell has no value at all (its status), none when it was timed.
fn absent_or_none(cell: &CellSummary) -> Option<Absent> {
    match cell.status {
        CellStatus::Ok if cell.ns.is_some() => None,
        CellStatus::Ok | CellStatus::Skipped => Some(Absent::Skipped),
        CellStatus::Failed => Some(Absent::Failed),
        CellStatus::Control => Some(Absent::Control),
        CellStatus::Interrupted => Some(Absent::Interrupted),
    }
}

/// The legend entries of the kinds of missing value among `marks`.
fn absent_entries<'m>(marks: impl Iterator<Item = &'m Mark>) -> Vec<LegendEntry> {
    absent_legend(marks.filter_map(|m| match m {
        Mark::Missing(a) => Some(*a),
        Mark::Value { .. } => None,
    }))
}

/// One legend entry per kind of missing value, in a fixed order.
fn absent_legend(kinds: impl Iterator<Item = Absent>) -> Vec<LegendEntry> {
    let kinds: std::collections::BTreeSet<Absent> = kinds.collect();
    kinds.into_iter().map(LegendEntry::absent).collect()
}

/// The look of mode `index` in the event counts: a point of its own shape,
/// in the colours of the style slots.
fn mode_entry(mode: &str, index: usize) -> LegendEntry {
    let look = Identity::slot(index);
    LegendEntry {
        label: mode.to_string(),
        colour: look.colour,
        swatch: Swatch::Point(Marker {
            shape: look.marker.shape,
            filled: true,
        }),
    }
}

/// Height of a figure whose legend has `entries` lines and which has
/// `notes` footnotes: [`HEIGHT`], or more for a long legend.
fn figure_height(entries: usize, notes: usize) -> u32 {
    let legend = LEGEND_TOP + LEGEND_LINE * entries as u32 + 12;
    (legend + NOTE_H * notes as u32).clamp(HEIGHT, MAX_HEIGHT)
}

/// Height above the heatmap's notes that shows its colour scale whole.
const HEATMAP_MIN_BODY: u32 = LEGEND_TOP + COLOUR_BAR_H + 24;

/// Height of one row of the event counts, for `modes` points in it.
pub(super) fn count_row_h(modes: usize) -> u32 {
    COUNT_POINT_GAP * modes.max(1) as u32 + 8
}

/// Height of the event counts' figure besides its rows and notes: title,
/// kind names, tick labels and the axis description.
const COUNTS_FIXED_H: u32 = 150;

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
    use super::{slug, unique_slugs, MAX_SLUG};

    #[test]
    fn file_names_from_data_are_bounded_and_unique() {
        let long = format!("{}!", "op".repeat(200));
        assert_eq!(slug(&long).len(), MAX_SLUG);
        assert_eq!(slug("socket:unix  g1/s8"), "socket-unix-g1-s8");
        let mut stems: Vec<String> = ["a", "b", "a", "a"].map(String::from).to_vec();
        unique_slugs(stems.iter_mut());
        assert_eq!(stems, ["a", "b", "a-2", "a-3"]);
    }
}
