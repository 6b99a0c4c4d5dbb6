//! Which figures a report has and what goes into them, as plain data: the
//! drawing code (`draw.rs`) never looks at cells, and these specs never touch
//! plotters. Cells that did not run, and oversubscribed cells, are carried as
//! [`Mark::Missing`] so they are drawn as such, never as zero, and never set
//! a chart's scale.

use crate::cost::COST_SOURCES;
use crate::model::{group_consecutive, CellStatus, CellSummary, Report};
use std::collections::BTreeMap;

/// Default figure size: readable as a mailing-list attachment.
pub const WIDTH: u32 = 800;
/// Default figure height.
pub const HEIGHT: u32 = 500;

/// One plotted value, or the reason there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// Median with its confidence interval.
    Value {
        /// Median.
        median: f64,
        /// Lower bound of the interval.
        lo: f64,
        /// Upper bound of the interval.
        hi: f64,
    },
    /// Not run, failed or oversubscribed: drawn hatched with this word.
    Missing(String),
}

/// A legend entry: text and palette index.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// Series name.
    pub label: String,
    /// Palette index.
    pub color: usize,
}

/// One bar of a grouped bar chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Group (x category) index.
    pub group: usize,
    /// Slot inside the group.
    pub slot: usize,
    /// Palette index.
    pub color: usize,
    /// Value or reason.
    pub mark: Mark,
    /// Footnote marker for the cell's labels (`*`, `**`), empty when none.
    pub marker: String,
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Palette index.
    pub color: usize,
    /// (x category index, value) pairs in x order.
    pub points: Vec<(usize, Mark)>,
    /// Footnote marker for the cells' labels.
    pub marker: String,
}

/// One horizontal row of a stacked chart.
#[derive(Clone, Debug, PartialEq)]
pub struct StackRow {
    /// Row label.
    pub label: String,
    /// (palette index, value) segments, left to right.
    pub segments: Vec<(usize, f64)>,
    /// Why there is nothing to stack.
    pub missing: Option<String>,
}

/// One side-by-side part of a figure (one per kernel).
#[derive(Clone, Debug, PartialEq)]
pub struct Panel<T> {
    /// Caption (kernel and its labels); empty with a single input.
    pub caption: String,
    /// What the panel holds.
    pub items: Vec<T>,
}

/// The drawable content of a figure.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// Bars grouped along x, one slot per series, with CI whiskers.
    Grouped {
        /// x axis description.
        x_desc: String,
        /// y axis description.
        y_desc: String,
        /// Group names along x.
        groups: Vec<String>,
        /// Slots per group.
        slots: usize,
        /// Panels side by side.
        panels: Vec<Panel<Bar>>,
    },
    /// Lines over categorical x values, with CI whiskers.
    Lines {
        /// x axis description.
        x_desc: String,
        /// y axis description.
        y_desc: String,
        /// x category names.
        xs: Vec<String>,
        /// Panels side by side.
        panels: Vec<Panel<Line>>,
    },
    /// Horizontal stacked bars, one row per cell.
    Stacked {
        /// x axis description.
        x_desc: String,
        /// Rows, top to bottom.
        rows: Vec<StackRow>,
    },
}

/// A complete figure spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File stem, unique within a report.
    pub slug: String,
    /// Title drawn on top.
    pub title: String,
    /// Pixel size.
    pub size: (u32, u32),
    /// Legend entries.
    pub legend: Vec<LegendEntry>,
    /// Footnotes drawn under the chart.
    pub notes: Vec<String>,
    /// What is drawn.
    pub chart: Chart,
}

/// Builds every figure of a report, in the order they appear in it.
pub fn figures(report: &Report) -> Vec<Figure> {
    let ctx = Ctx::new(report);
    let mut out = Vec::new();
    for (i, (_, cells)) in report.by_op_shape().into_iter().enumerate() {
        out.push(ctx.styles_by_mode(i, &cells));
    }
    for axis in [Axis::Batch, Axis::Steps] {
        out.extend(ctx.families(axis));
    }
    for (i, (_, cells)) in report.by_op_shape().into_iter().enumerate() {
        out.extend(ctx.cost(i, &cells));
    }
    out
}

/// The varied shape dimension of a line figure.
#[derive(Clone, Copy)]
enum Axis {
    Batch,
    Steps,
}

impl Axis {
    /// Its word in figure names and its axis description.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Axis::Batch => ("batch", "batch size (steps per submission)"),
            Axis::Steps => ("steps", "steps per group"),
        }
    }

    /// A cell's value on this axis.
    fn value(self, c: &CellSummary) -> u32 {
        match self {
            Axis::Batch => c.key.batch,
            Axis::Steps => c.key.steps,
        }
    }

    /// What the cells of one family share: everything but this axis and
    /// the style.
    fn family(self, c: &CellSummary) -> String {
        let k = &c.key;
        let fixed = match self {
            Axis::Batch => format!("s{}", k.steps),
            Axis::Steps => format!("b{}", k.batch),
        };
        let p = c.parts();
        let sharing = if k.submitters > 1 {
            format!("-{}", k.sharing)
        } else {
            String::new()
        };
        format!(
            "{} {} g{}-{}-t{}{sharing}",
            p.mode, p.op, k.groups, fixed, k.submitters
        )
    }
}

struct Ctx<'a> {
    report: &'a Report,
    /// Series (style) labels in report order: a style keeps its colour in every figure.
    series: Vec<String>,
}

impl<'a> Ctx<'a> {
    fn new(report: &'a Report) -> Ctx<'a> {
        let mut series: Vec<String> = Vec::new();
        for c in &report.cells {
            let s = c.parts().style;
            if !series.contains(&s) {
                series.push(s);
            }
        }
        Ctx { report, series }
    }

    fn color(&self, style: &str) -> usize {
        self.series.iter().position(|s| s == style).unwrap_or(0)
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
                let caption = if !self.report.multi() {
                    src.labels.join(", ")
                } else if src.labels.is_empty() {
                    src.label.clone()
                } else {
                    format!("{} ({})", src.label, src.labels.join(", "))
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
            .map(|s| LegendEntry {
                label: s.clone(),
                color: self.color(s),
            })
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
                    group: modes.iter().position(|m| *m == p.mode).unwrap_or(0),
                    slot: styles.iter().position(|s| *s == p.style).unwrap_or(0),
                    color: self.color(&p.style),
                    mark: Self::mark(c),
                    marker: notes.marker(self.report, c),
                });
            }
        }
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
                y_desc: "ns per step (median, 95% CI)".into(),
                slots: styles.len(),
                groups: modes,
                panels: panels.into_iter().map(|(_, p)| p).collect(),
            },
        }
    }

    /// Line figures of ns/step along one shape axis, one per family of cells
    /// that differ only in that axis (and style), when it has two values or more.
    fn families(&self, axis: Axis) -> Vec<Figure> {
        let (name, desc) = axis.words();
        let mut out = Vec::new();
        for (family, cells) in group_consecutive(&self.report.cells, |c| axis.family(c)) {
            let mut xs: Vec<u32> = cells.iter().map(|c| axis.value(c)).collect();
            xs.sort_unstable();
            xs.dedup();
            if xs.len() < 2 {
                continue;
            }
            let styles = distinct(cells.iter().map(|c| c.parts().style));
            let mut notes = Notes::default();
            let mut untimed = Vec::new();
            let mut panels = self.panels(&cells);
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
                    untimed.extend(self.untimed_note(axis, style, *source, &line_cells));
                    panel
                        .items
                        .push(self.family_line(axis, &xs, style, &line_cells, &mut notes));
                }
            }
            out.push(Figure {
                slug: format!("by-{name}-{:02}-{}", out.len() + 1, slug(&family)),
                title: format!("ns per step vs {name}: {family}"),
                size: (WIDTH, HEIGHT),
                legend: self.legend(&styles),
                notes: notes.finish().into_iter().chain(untimed).collect(),
                chart: Chart::Lines {
                    x_desc: desc.into(),
                    y_desc: "ns per step (median, 95% CI)".into(),
                    xs: xs.iter().map(u32::to_string).collect(),
                    panels: panels.into_iter().map(|(_, p)| p).collect(),
                },
            });
        }
        out
    }

    /// The line of one style's cells (sorted along `axis`) in a family
    /// figure whose x values are `xs`, marked with the first of its cells'
    /// footnote markers.
    fn family_line(
        &self,
        axis: Axis,
        xs: &[u32],
        style: &str,
        cells: &[&CellSummary],
        notes: &mut Notes,
    ) -> Line {
        let marker = cells
            .iter()
            .map(|c| notes.marker(self.report, c))
            .find(|m| !m.is_empty())
            .unwrap_or_default();
        Line {
            color: self.color(style),
            points: cells
                .iter()
                .map(|c| {
                    let x = xs.iter().position(|v| *v == axis.value(c)).unwrap_or(0);
                    (x, Self::mark(c))
                })
                .collect(),
            marker,
        }
    }

    /// The footnote naming where a style's line has no value (a cross on
    /// the axis) and why, e.g. `x on the axis: link failed at 8, 16`.
    fn untimed_note(
        &self,
        axis: Axis,
        style: &str,
        source: usize,
        cells: &[&CellSummary],
    ) -> Option<String> {
        let untimed_cells = cells
            .iter()
            .copied()
            .filter(|c| c.unranked_word().is_some());
        let missing: Vec<String> = group_consecutive(untimed_cells, |c| {
            c.unranked_word().unwrap_or_default().into()
        })
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
    /// per cell (and kernel); `None` when no cell of the group has any.
    fn cost(&self, index: usize, cells: &[&CellSummary]) -> Option<Figure> {
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
        let parts = cells[0].parts();
        let mut notes = Notes::default();
        let rows: Vec<StackRow> = cells
            .iter()
            .map(|c| {
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
                            .map(|&s| (s, COST_SOURCES[s].per_step(prof).unwrap_or(0.0)))
                            .collect()
                    })
                    .unwrap_or_default();
                StackRow {
                    label,
                    segments,
                    missing,
                }
            })
            .collect();
        let absent: Vec<&str> = (0..COST_SOURCES.len())
            .filter(|s| !present.contains(s))
            .map(|s| COST_SOURCES[s].name)
            .collect();
        let mut all_notes = notes.finish();
        if !absent.is_empty() {
            all_notes.push(format!("not recorded: {}", absent.join(", ")));
        }
        let height = HEIGHT.max(130 + 20 * rows.len() as u32 + 18 * all_notes.len() as u32);
        Some(Figure {
            slug: format!(
                "cost-{:02}-{}-{}",
                index + 1,
                slug(&parts.op),
                slug(&parts.shape)
            ),
            title: format!("where the cost goes: {} {}", parts.op, parts.shape),
            size: (WIDTH, height),
            legend: present
                .iter()
                .map(|&s| LegendEntry {
                    label: COST_SOURCES[s].name.to_string(),
                    color: s,
                })
                .collect(),
            notes: all_notes,
            chart: Chart::Stacked {
                x_desc: "events per step (profile pass)".into(),
                rows,
            },
        })
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

/// A file-name-safe version of a label.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}
