//! The report's first figure: `×link` of every ordering style at every
//! place (mode, op and shape) of one input, on one log axis, with link's
//! line at 1x, so one look says which styles sit on link's line, which far
//! above it, and where a style moves between modes. Each point is the
//! paired ratio's median with its 95% interval as a vertical stroke; the
//! places of a mode stand side by side under the mode's name. Drawn as SVG
//! (inlined in report.html, written as `overview.svg` by
//! [`OverviewExporter`]); a style keeps its colour of every other plot.

use super::identity::Identities;
use super::register_embedded_font;
use super::scale::{Scale, ValueAxis};
use crate::analysis::kernels;
use crate::analysis::model::{Report, BASELINE_STYLE};
use crate::analysis::verdict::Place;
use crate::error::ReportError;
use crate::render::exporter::Exporter;
use crate::render::plots::PlotFile;
use crate::render::Rendered;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::PathBuf;

/// The figure's file, beside report.html.
pub const OVERVIEW_SVG: &str = "overview.svg";
/// Its slug (the figure's id in report.html).
const SLUG: &str = "overview";
/// Width and height in pixels.
const SIZE: (u32, u32) = (800, 310);
/// Room for the legend on the right, the axis labels left and the mode
/// names below.
const LEGEND_W: i32 = 170;
const LEFT: i32 = 58;
const TOP: i32 = 34;
const BOTTOM: i32 = 48;
const FONT: &str = "sans-serif";

/// One point: a style's `×link` at a place, with its interval.
struct Point {
    x: usize,
    style: String,
    ratio: f64,
    lo: f64,
    hi: f64,
}

/// What the figure shows: its columns (one per place) grouped by mode,
/// and the points.
struct Layout {
    columns: usize,
    /// Each mode with its first column and how many it spans.
    modes: Vec<(String, usize, usize)>,
    points: Vec<Point>,
    /// The styles with a point, in legend order.
    styles: Vec<String>,
    title: String,
}

/// The places of the input the figure shows (the preferred kernel's), mode
/// by mode, and each style's ratio there.
fn layout(report: &Report, places: &[Place]) -> Option<Layout> {
    let source = *kernels::preference(report).first()?;
    let mut modes: Vec<String> = Vec::new();
    let shown: Vec<&Place> = places
        .iter()
        .filter(|p| p.source == source && p.link().is_some())
        .collect();
    for p in &shown {
        if !modes.contains(&p.mode) {
            modes.push(p.mode.clone());
        }
    }
    let mut points = Vec::new();
    let mut spans = Vec::new();
    let mut styles: Vec<String> = Vec::new();
    let mut x = 0;
    for mode in &modes {
        let first = x;
        for place in shown.iter().filter(|p| &p.mode == mode) {
            for e in &place.ranked {
                let Some(j) = e.x_link else { continue };
                if !styles.contains(&e.style) {
                    styles.push(e.style.clone());
                }
                points.push(Point {
                    x,
                    style: e.style.clone(),
                    ratio: j.change.ratio,
                    lo: j.change.ci.lo,
                    hi: j.change.ci.hi,
                });
            }
            x += 1;
        }
        spans.push((mode.clone(), first, x - first));
    }
    if points.is_empty() {
        return None;
    }
    // Legend in report order (the registry's order of styles).
    let mut in_order: Vec<String> = Vec::new();
    for c in &report.cells {
        let style = c.parts().style;
        if styles.contains(&style) && !in_order.contains(&style) {
            in_order.push(style);
        }
    }
    let styles = in_order;
    let on = match report.multi() {
        true => format!(" on {}", report.sources[source].label),
        false => String::new(),
    };
    Some(Layout {
        columns: x,
        modes: spans,
        points,
        styles,
        title: format!("×link of every style, every mode and shape{on} (log scale)"),
    })
}

/// The figure as a [`PlotFile`] for the document, none when no style could
/// be set against link.
pub fn figure(report: &Report, places: &[Place]) -> Result<Option<PlotFile>, ReportError> {
    let Some(layout) = layout(report, places) else {
        return Ok(None);
    };
    register_embedded_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, report, &layout).map_err(|e| ReportError::Plot {
            plot: SLUG.into(),
            message: e.to_string(),
        })?;
        root.present().map_err(|e| ReportError::Plot {
            plot: SLUG.into(),
            message: e.to_string(),
        })?;
    }
    Ok(Some(PlotFile {
        slug: SLUG.into(),
        title: layout.title,
        svg,
        svg_path: PathBuf::from(OVERVIEW_SVG),
        png_path: None,
    }))
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn text(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK).pos(Pos::new(h, v))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    l: &Layout,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
    let axis = ValueAxis::fitting(
        l.points
            .iter()
            .flat_map(|p| [p.lo, p.hi, p.ratio])
            .chain([1.0]),
        Some(Scale::Log),
    );
    let (x0, x1) = (LEFT, w - LEGEND_W);
    let (y0, y1) = (TOP, h - BOTTOM);
    let range = axis.range();
    let y_of = |v: f64| {
        let t = (axis.pos(v) - range.start) / (range.end - range.start);
        y1 - (t * f64::from(y1 - y0)).round() as i32
    };
    let col_w = f64::from(x1 - x0) / l.columns as f64;
    let x_of = |x: usize| x0 + ((x as f64 + 0.5) * col_w).round() as i32;
    root.draw_text(&l.title, &text(18, HPos::Left, VPos::Top), (8, 6))?;
    let grid = RGBColor(225, 225, 225);
    for t in axis.ticks() {
        let y = y_of(t);
        root.draw(&PathElement::new(vec![(x0, y), (x1, y)], grid))?;
        let label = crate::format::ratio(t);
        root.draw_text(&label, &text(13, HPos::Right, VPos::Center), (x0 - 6, y))?;
    }
    // The modes: a band of alternating shade, its name below.
    for (i, (mode, first, n)) in l.modes.iter().enumerate() {
        let (a, b) = (
            x0 + (*first as f64 * col_w).round() as i32,
            x0 + ((first + n) as f64 * col_w).round() as i32,
        );
        if i % 2 == 1 {
            root.draw(&Rectangle::new(
                [(a, y0), (b, y1)],
                RGBColor(246, 246, 246).filled(),
            ))?;
        }
        root.draw_text(
            mode,
            &text(13, HPos::Center, VPos::Top),
            ((a + b) / 2, y1 + 6),
        )?;
    }
    root.draw(&PathElement::new(vec![(x0, y0), (x0, y1), (x1, y1)], BLACK))?;
    // Link's line.
    let one = y_of(1.0);
    root.draw(&PathElement::new(
        vec![(x0, one), (x1, one)],
        BLACK.stroke_width(2),
    ))?;
    let looks = Identities::of(report);
    for p in &l.points {
        let c = looks.of_style(&p.style).colour;
        let colour = RGBColor(c.0, c.1, c.2);
        let x = x_of(p.x);
        root.draw(&PathElement::new(
            vec![(x, y_of(p.lo)), (x, y_of(p.hi))],
            colour.stroke_width(2),
        ))?;
        root.draw(&Circle::new((x, y_of(p.ratio)), 4, colour.filled()))?;
    }
    let x = w - LEGEND_W + 14;
    root.draw(&PathElement::new(
        vec![(x - 8, TOP + 8), (x + 8, TOP + 8)],
        BLACK.stroke_width(2),
    ))?;
    root.draw_text(
        &format!("{BASELINE_STYLE} (1x)"),
        &text(13, HPos::Left, VPos::Center),
        (x + 12, TOP + 8),
    )?;
    // Entries 20 px apart, closer when that many would run off the figure.
    let step = ((h - TOP - 40) / l.styles.len().max(1) as i32).clamp(10, 20);
    for (i, style) in l.styles.iter().enumerate() {
        let c = looks.of_style(style).colour;
        let y = TOP + 28 + step * i as i32;
        root.draw(&Circle::new((x, y), 5, RGBColor(c.0, c.1, c.2).filled()))?;
        root.draw_text(style, &text(13, HPos::Left, VPos::Center), (x + 12, y))?;
    }
    root.draw_text(
        &format!("each column one op and shape; {BASELINE_STYLE}'s own line at 1x"),
        &text(12, HPos::Left, VPos::Bottom),
        (x0, h - 4),
    )?;
    Ok(())
}

/// Writes overview.svg beside report.html.
pub struct OverviewExporter;

impl Exporter<Rendered> for OverviewExporter {
    fn file_name(&self) -> &'static str {
        OVERVIEW_SVG
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        if !input.has_plots() {
            return Ok(None);
        }
        let places = Place::all(&input.report, &input.options);
        Ok(figure(&input.report, &places)?.map(|f| f.svg.into_bytes()))
    }
}
