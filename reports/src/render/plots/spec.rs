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

/// Where the legend's first line (or the colour scale's name) sits below
/// the figure's top.
pub const LEGEND_TOP: u32 = 66;

/// Height of one legend line.
pub const LEGEND_LINE: u32 = 24;

/// Height of the ×link colour scale's bar.
pub const COLOUR_BAR_H: u32 = 220;

/// Vertical distance between the points of two modes in a row of the
/// event counts.
pub const COUNT_POINT_GAP: u32 = 5;

/// Why a place in a figure has no value. Each has a mark of its own, so
/// a broken order (a finding) never looks like a cell that did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Absent {
    /// A repetition broke the order or errored.
    Failed,
    /// A control's order broke, as it should.
    Control,
    /// Timed, but with more busy threads than CPUs: never ranked.
    Oversubscribed,
    /// Not run on this machine.
    Skipped,
    /// Every repetition was interrupted.
    Interrupted,
    /// Timed, but without a link cell to set it against.
    NoLink,
    /// Ran, but has no profile pass to count events in.
    NoProfile,
}

impl Absent {
    /// The word it is shown with (a legend entry, a heatmap tile).
    pub fn word(self) -> &'static str {
        match self {
            Absent::Failed => "failed",
            Absent::Control => "control",
            Absent::Oversubscribed => "oversubscribed",
            Absent::Skipped => "skipped",
            Absent::Interrupted => "interrupted",
            Absent::NoLink => "no link",
            Absent::NoProfile => "no profile",
        }
    }
}

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
    /// No value: its own mark on the baseline, outside the axis's range.
    Missing(Absent),
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

/// What a legend entry shows before its text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A style: a short line in its colour with its marker.
    Style(Marker),
    /// A series drawn as points only (a mode in the event counts).
    Point(Marker),
    /// The mark of a place without a value.
    Absent(Absent),
}

/// A legend entry: text, colour and what is drawn before it.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// Series name.
    pub label: String,
    /// Its colour.
    pub colour: Rgb,
    /// Its mark.
    pub swatch: Swatch,
}

impl LegendEntry {
    /// The entry of a style.
    pub fn style(label: &str, look: Identity) -> LegendEntry {
        LegendEntry {
            label: label.to_string(),
            colour: look.colour,
            swatch: Swatch::Style(look.marker),
        }
    }

    /// The entry of a kind of missing value.
    pub fn absent(absent: Absent) -> LegendEntry {
        LegendEntry {
            label: absent.word().to_string(),
            colour: Rgb(0, 0, 0),
            swatch: Swatch::Absent(absent),
        }
    }
}

/// One dot of a dot chart: a style's value in one category.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    /// Group (x category) index.
    pub group: usize,
    /// Slot inside the group.
    pub slot: usize,
    /// Its style's look.
    pub look: Identity,
    /// Value or reason.
    pub mark: Mark,
    /// Whether it is the reference style's (link), whose median is drawn
    /// as a line across its group.
    pub reference: bool,
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

/// One cell's row of event counts: a style (row) in one mode (series).
#[derive(Clone, Debug, PartialEq)]
pub struct CountRow {
    /// Row (style) index.
    pub row: usize,
    /// Series (mode) index.
    pub series: usize,
    /// Events per step of each kind (none where not recorded), or why the
    /// cell has no counts.
    pub counts: Result<Vec<Option<f64>>, Absent>,
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
    /// No ratio: its word, on a tile of its own look.
    Missing(Absent),
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
    /// Dots grouped along x, one slot per series, with CI whiskers, and
    /// the reference style's median drawn across each group.
    Dots {
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
        panels: Vec<Panel<Dot>>,
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
    /// Events per step, one small chart per kind of event side by side,
    /// each on its own linear axis from zero: kinds of unlike cost are
    /// never added up. A row per style, a point per mode in it.
    Counts {
        /// Row names (styles), top to bottom.
        rows: Vec<String>,
        /// The kinds of event, left to right.
        kinds: Vec<String>,
        /// Each kind's axis.
        axes: Vec<ValueAxis>,
        /// The series (modes): their looks, top to bottom inside a row.
        series: Vec<LegendEntry>,
        /// Every cell's counts.
        counts: Vec<CountRow>,
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
    /// What it is drawn for (op and shape, or a family of cells), which a
    /// figure folded into it names.
    pub subject: String,
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
    /// Styles by mode needs two ranked values to set side by side: this op
    /// and shape has fewer.
    FewValues {
        /// Op and shape.
        group: String,
        /// The ranked values it has.
        values: usize,
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
            NotDrawn::FewValues { group, values } => write!(
                f,
                "ns per step by style and mode is not drawn for {group}: {values} ranked \
                 value{}, the tables give {}",
                if *values == 1 { "" } else { "s" },
                if *values == 1 { "it" } else { "every cell" }
            ),
        }
    }
}
