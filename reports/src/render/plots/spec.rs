//! What a figure shows, as plain data: built from the report by
//! `figures.rs`, drawn by `draw.rs`, which never looks at cells. Every value,
//! axis range and look is decided here, from the data.

use super::identity::{Identity, Marker, Rgb};
use super::scale::ValueAxis;
use std::fmt;

/// Widest figure: readable as a mailing-list attachment.
pub const WIDTH: u32 = 800;
/// Height of a figure whose content does not ask for more.
pub const HEIGHT: u32 = 500;
/// Tallest figure: content that needs more is split over several figures.
pub const MAX_HEIGHT: u32 = 600;

/// Height of one footnote line under a chart.
pub const NOTE_H: u32 = 20;

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
    /// Not run, failed or oversubscribed: a small mark with this word on
    /// the baseline, outside the axis's range.
    Missing(String),
}

impl Mark {
    /// The values an axis must show for this mark: none for a missing one.
    pub fn extent(&self) -> impl Iterator<Item = f64> {
        match self {
            Mark::Value { median, lo, hi } => vec![*median, *lo, *hi],
            Mark::Missing(_) => Vec::new(),
        }
        .into_iter()
    }
}

/// A legend entry: text, colour and (for a style) its marker.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// Series name.
    pub label: String,
    /// Its colour.
    pub colour: Rgb,
    /// Its marker; none for series drawn only as areas (cost sources).
    pub marker: Option<Marker>,
}

impl LegendEntry {
    /// The entry of a style.
    pub fn style(label: &str, look: Identity) -> LegendEntry {
        LegendEntry {
            label: label.to_string(),
            colour: look.colour,
            marker: Some(look.marker),
        }
    }
}

/// One bar of a grouped bar chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Group (x category) index.
    pub group: usize,
    /// Slot inside the group.
    pub slot: usize,
    /// Its style's look.
    pub look: Identity,
    /// Value or reason.
    pub mark: Mark,
    /// Footnote marker for the cell's labels (`*`, `**`), empty when none.
    pub footnote: String,
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its style's look.
    pub look: Identity,
    /// (x value, value) pairs in x order.
    pub points: Vec<(f64, Mark)>,
    /// Footnote marker for the cells' labels.
    pub footnote: String,
}

/// One horizontal row of a stacked chart.
#[derive(Clone, Debug, PartialEq)]
pub struct StackRow {
    /// Row label.
    pub label: String,
    /// (colour, value) segments, left to right.
    pub segments: Vec<(Rgb, f64)>,
    /// Why there is nothing to stack.
    pub missing: Option<String>,
}

/// One tile of a heatmap.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    /// Row index.
    pub row: usize,
    /// Column index.
    pub col: usize,
    /// The ratio, or why there is none.
    pub value: TileValue,
}

/// What a heatmap tile holds.
#[derive(Clone, Debug, PartialEq)]
pub enum TileValue {
    /// A ratio, coloured on the chart's scale and written out.
    Ratio(f64),
    /// No ratio: grey, with this word.
    Missing(String),
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
        /// The value axis.
        y: ValueAxis,
        /// Group names along x.
        groups: Vec<String>,
        /// Slots per group.
        slots: usize,
        /// Panels side by side.
        panels: Vec<Panel<Bar>>,
    },
    /// Lines over numeric x values, with CI whiskers and markers.
    Lines {
        /// x axis description.
        x_desc: String,
        /// y axis description.
        y_desc: String,
        /// The x axis.
        x: ValueAxis,
        /// The value axis.
        y: ValueAxis,
        /// The x values that have a tick (those of the data).
        xs: Vec<f64>,
        /// Panels side by side.
        panels: Vec<Panel<Line>>,
    },
    /// Horizontal stacked bars, one row per cell, on a linear axis (the
    /// only one on which segments add up).
    Stacked {
        /// x axis description.
        x_desc: String,
        /// The x axis (linear).
        x: ValueAxis,
        /// Rows, top to bottom.
        rows: Vec<StackRow>,
    },
    /// Rows × columns of tiles coloured by a ratio on a log scale centred
    /// on 1, each with its ratio written out.
    Heatmap {
        /// Row names with their style's look, top to bottom.
        rows: Vec<LegendEntry>,
        /// Column names, left to right.
        cols: Vec<String>,
        /// The ratio scale, symmetric around 1: its ends are full colour.
        scale: ValueAxis,
        /// Panels side by side.
        panels: Vec<Panel<Tile>>,
    },
}

/// A complete figure spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File stem, unique within a report.
    pub slug: String,
    /// Title drawn on top.
    pub title: String,
    /// Pixel size, at most [`WIDTH`] × [`MAX_HEIGHT`].
    pub size: (u32, u32),
    /// Legend entries.
    pub legend: Vec<LegendEntry>,
    /// Footnotes drawn under the chart.
    pub notes: Vec<String>,
    /// What is drawn.
    pub chart: Chart,
}

/// A figure the report would have but the data cannot carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotDrawn {
    /// ns/step against batch needs a curve's worth of batch sizes: these
    /// slices (mode, op and the fixed shape) vary batch over too few.
    FewBatches {
        /// The slices, e.g. `default nop g1-s32-t1`.
        slices: Vec<String>,
        /// The batch sizes they have.
        batches: Vec<u32>,
        /// How many a curve needs.
        needed: usize,
    },
    /// The ×link heatmap of this op and shape has no ratio to show: no
    /// style but link has a ranked link cell beside it.
    NoLinkRatio {
        /// Op and shape, e.g. `nop g1-s8-b8-t1`.
        group: String,
    },
}

impl fmt::Display for NotDrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotDrawn::FewBatches {
                slices,
                batches,
                needed,
            } => {
                let which = match slices.as_slice() {
                    [one] => one.clone(),
                    [a, b] => format!("{a} and {b}"),
                    many => format!("{} and {} more slices", many[0], many.len() - 1),
                };
                let sizes: Vec<String> = batches.iter().map(u32::to_string).collect();
                write!(
                    f,
                    "ns per step vs batch is not drawn for {which}: {} batch sizes ({}), \
                     a curve needs at least {needed}",
                    batches.len(),
                    sizes.join(", ")
                )
            }
            NotDrawn::NoLinkRatio { group } => write!(
                f,
                "the x link heatmap of {group} is not drawn: no style has a timed link cell beside it"
            ),
        }
    }
}
