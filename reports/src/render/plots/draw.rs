//! Draws a [`Figure`] spec with plotters on any backend (SVG string or PNG
//! file), so both formats come from one drawing routine. Layout: title on
//! top, footnotes at the bottom, legend (or a heatmap's colour scale) in a
//! strip on the right, one panel per kernel side by side. Every chart is
//! drawn on its axes' own coordinate ([`ValueAxis::pos`]), with ticks and
//! grid drawn here from [`ValueAxis::ticks`], so linear and log axes share
//! one routine.

use super::identity::{Marker, Rgb, Shape};
use super::scale::{Scale, ValueAxis};
use super::spec::*;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// Result of drawing on backend `DB`.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Marks of cells without a value, and tiles without a ratio.
const GREY: RGBColor = RGBColor(120, 120, 120);
/// The mark and tile of a failed cell: a finding, darker than any grey.
const FAILED: RGBColor = RGBColor(40, 40, 40);
const GRID: RGBColor = RGBColor(225, 225, 225);
const NO_VALUE: RGBColor = RGBColor(238, 238, 238);
/// The ends of the ×link scale: faster than link, slower than link.
const FASTER: Rgb = Rgb(33, 102, 172);
const SLOWER: Rgb = Rgb(178, 24, 43);
const FONT: &str = "sans-serif";
const TITLE_H: u32 = 36;
/// Text sizes (plotters draws a font of size n about n/1.24 pixels high),
/// chosen to stay readable with the figure shrunk to half its width.
const TITLE_PX: u32 = 22;
const LABEL_PX: u32 = 16;
const NOTE_PX: u32 = 15;
/// The smallest text a heatmap tile takes before it goes without.
const SMALLEST_PX: u32 = 10;
/// Radius of a point marker.
const MARKER_R: i32 = 5;
/// Most lines a panel caption wraps to; what does not fit ends in `…`.
const CAPTION_LINES: usize = 3;
/// Height of one caption line.
const CAPTION_LINE_H: i32 = 18;
/// Space kept on each side of a panel's caption.
const CAPTION_PAD: u32 = 6;

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text_style(size).pos(Pos::new(h, v))
}

/// Width in pixels `text` takes at font size `size` in the embedded font
/// (0 when it cannot be measured).
fn text_width(text: &str, size: u32) -> u32 {
    text_style(size).font.box_size(text).map_or(0, |(w, _)| w)
}

/// A caption cut into lines of at most `width` pixels: wrapped after a
/// space, `-` or `+` (kernel releases break there), at most
/// [`CAPTION_LINES`] lines. A caption that does not fit keeps its closing
/// note (`(emulated)`) whole on its last lines and cuts the name before it,
/// marked `…`.
pub(super) fn caption_lines(text: &str, width: u32) -> Vec<String> {
    let whole = wrapped(text, width);
    if whole.len() <= CAPTION_LINES {
        return whole;
    }
    match text.rfind(" (").filter(|_| text.ends_with(')')) {
        Some(at) => {
            let note = cut_to(wrapped(&text[at + 1..], width), CAPTION_LINES - 1, width);
            let mut lines = cut_to(
                wrapped(&text[..at], width),
                CAPTION_LINES - note.len(),
                width,
            );
            lines.extend(note);
            lines
        }
        None => cut_to(whole, CAPTION_LINES, width),
    }
}

/// Whether `text` takes at most `width` pixels as a caption.
fn fits(text: &str, width: u32) -> bool {
    text_width(text.trim_end(), LABEL_PX) <= width
}

/// `text` wrapped into lines of at most `width` pixels after a space, `-`
/// or `+`, a piece wider than a line broken where the line is full.
fn wrapped(text: &str, width: u32) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for c in text.chars() {
        match pieces.last_mut() {
            Some(p) if !p.ends_with([' ', '-', '+']) => p.push(c),
            _ => pieces.push(c.to_string()),
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for piece in pieces {
        match lines.last_mut() {
            Some(line) if fits(&format!("{line}{piece}"), width) => line.push_str(&piece),
            _ if fits(&piece, width) => lines.push(piece),
            _ => {
                for c in piece.chars() {
                    match lines.last_mut() {
                        Some(line) if fits(&format!("{line}{c}"), width) => line.push(c),
                        _ => lines.push(c.to_string()),
                    }
                }
            }
        }
    }
    lines.iter().map(|l| l.trim_end().to_string()).collect()
}

/// The first `n` lines, the last ended with `…` when lines were left out.
fn cut_to(mut lines: Vec<String>, n: usize, width: u32) -> Vec<String> {
    if lines.len() <= n {
        return lines;
    }
    lines.truncate(n);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && !fits(&format!("{last}…"), width) {
            last.pop();
        }
        last.push('…');
    }
    lines
}

/// `text` at font size `size` cut to `width` pixels, ended with `…` when
/// cut (a footnote naming many labels).
fn within(text: &str, size: u32, width: u32) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && text_width(&format!("{cut}…"), size) > width {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// Every panel's caption lines for panels `width` pixels wide, and how
/// many lines the tallest takes (0 when no panel has a caption).
fn panel_captions<T>(panels: &[Panel<T>], width: u32) -> (Vec<Vec<String>>, usize) {
    let width = width.saturating_sub(2 * CAPTION_PAD);
    let lines: Vec<Vec<String>> = panels
        .iter()
        .map(|p| match p.caption.is_empty() {
            true => Vec::new(),
            false => caption_lines(&p.caption, width),
        })
        .collect();
    let tallest = lines.iter().map(Vec::len).max().unwrap_or(0);
    (lines, tallest)
}

/// Draws caption lines centred on `x` from `top` down.
fn draw_caption<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lines: &[String],
    (x, top): (i32, i32),
) -> DrawResult<DB> {
    for (i, line) in lines.iter().enumerate() {
        root.draw_text(
            line,
            &anchored(LABEL_PX, HPos::Center, VPos::Top),
            (x, top + CAPTION_LINE_H * i as i32),
        )?;
    }
    Ok(())
}

/// Draws `fig` onto `root` (a fresh area of `fig.size`).
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (w, h) = fig.size;
    root.draw_text(
        &fig.title,
        &anchored(TITLE_PX, HPos::Center, VPos::Center),
        (w as i32 / 2, TITLE_H as i32 / 2),
    )?;
    let notes_h = NOTE_H * fig.notes.len() as u32;
    for (i, note) in fig.notes.iter().enumerate() {
        let y = (h - notes_h + NOTE_H * i as u32 + NOTE_H / 2) as i32;
        let note = within(note, NOTE_PX, w.saturating_sub(24));
        root.draw_text(&note, &anchored(NOTE_PX, HPos::Left, VPos::Center), (12, y))?;
    }
    let body = root.margin(TITLE_H, notes_h, 0, 0);
    let legend_w = match &fig.chart {
        Chart::Heatmap { .. } => 96,
        _ => legend_width(&fig.legend),
    };
    let (plot_area, legend_area) = body.split_horizontally(w - legend_w);
    let (x0, _) = legend_area.get_base_pixel();
    let legend_top = LEGEND_TOP as i32;
    for (i, entry) in fig.legend.iter().enumerate() {
        let y = legend_top + (LEGEND_LINE * i as u32) as i32;
        legend_entry(root, (x0 + 6, y), entry)?;
    }
    match &fig.chart {
        Chart::Dots {
            x_desc,
            y_desc,
            y,
            groups,
            slots,
            panels,
        } => {
            let areas = plot_area.split_evenly((1, panels.len()));
            let (captions, tall) = panel_captions(panels, areas[0].dim_in_pixel().0);
            for ((area, panel), caption) in areas.iter().zip(panels).zip(&captions) {
                let caption = (caption.as_slice(), tall);
                let axes = DotAxes {
                    desc: (x_desc, y_desc),
                    y,
                    groups,
                    slots: *slots,
                };
                dots(root, area, panel, caption, &axes)?;
            }
        }
        Chart::Lines {
            x_desc,
            y_desc,
            x,
            y,
            xs,
            panels,
        } => {
            let areas = plot_area.split_evenly((1, panels.len()));
            let (captions, tall) = panel_captions(panels, areas[0].dim_in_pixel().0);
            for ((area, panel), caption) in areas.iter().zip(panels).zip(&captions) {
                let caption = (caption.as_slice(), tall);
                lines(root, area, panel, caption, (x_desc, y_desc), (x, y), xs)?;
            }
        }
        Chart::Counts {
            rows,
            kinds,
            axes,
            series,
            counts: cells,
        } => counts(root, &plot_area, (rows, kinds), axes, series, cells)?,
        Chart::Heatmap {
            rows,
            cols,
            scale,
            panels,
        } => {
            heatmap(root, &plot_area, rows, cols, scale, panels)?;
            colour_scale(root, (x0 + 8, legend_top), scale)?;
        }
    }
    Ok(())
}

/// Width of the legend strip: its longest label as the font measures it,
/// within bounds.
fn legend_width(legend: &[LegendEntry]) -> u32 {
    let widest = legend.iter().map(|e| text_width(&e.label, LABEL_PX)).max();
    widest.map_or(0, |w| (w + 44).clamp(110, 260))
}

/// One legend entry: a short line in the colour with the marker on it (a
/// style), the marker alone (a series of points) or the mark of a missing
/// value; then the label.
fn legend_entry<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    entry: &LegendEntry,
) -> DrawResult<DB> {
    let c = rgb(entry.colour);
    match entry.swatch {
        Swatch::Style(m) => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + 22, y)],
                c.stroke_width(3),
            ))?;
            marker(root, (x + 11, y), c, m, MARKER_R)?;
        }
        Swatch::Point(m) => marker(root, (x + 11, y), c, m, MARKER_R)?,
        Swatch::Absent(a) => absent_mark(root, (x + 11, y), a, 5)?,
    }
    root.draw_text(
        &entry.label,
        &anchored(LABEL_PX, HPos::Left, VPos::Center),
        (x + 28, y),
    )
}

/// A point marker of radius `r`: filled in the colour with a white rim (so
/// it stands out on a line or a bar of its own colour), or white inside a
/// coloured outline.
fn marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    c: RGBColor,
    m: Marker,
    r: i32,
) -> DrawResult<DB> {
    let (fill, rim, rim_w) = if m.filled {
        (c, WHITE, 1)
    } else {
        (WHITE, c, 2)
    };
    if m.shape == Shape::Circle {
        root.draw(&Circle::new((x, y), r, fill.filled()))?;
        return root.draw(&Circle::new((x, y), r, rim.stroke_width(rim_w)));
    }
    let (corners, start, inner) = match m.shape {
        Shape::Square => (4, 45.0, 1.0),
        Shape::TriangleUp => (3, -90.0, 1.0),
        Shape::Diamond => (4, 0.0, 1.0),
        Shape::TriangleDown => (3, 90.0, 1.0),
        Shape::Pentagon => (5, -90.0, 1.0),
        Shape::Star => (10, -90.0, 0.45),
        Shape::Hexagon | Shape::Circle => (6, 0.0, 1.0),
    };
    let r = r as f64 + 1.0;
    let points: Vec<(i32, i32)> = (0..corners)
        .map(|i| {
            let a = (start + 360.0 * i as f64 / corners as f64).to_radians();
            let k = if i % 2 == 1 { inner } else { 1.0 };
            (
                x + (r * k * a.cos()).round() as i32,
                y + (r * k * a.sin()).round() as i32,
            )
        })
        .collect();
    root.draw(&Polygon::new(points.clone(), fill.filled()))?;
    let mut outline = points.clone();
    outline.push(points[0]);
    root.draw(&PathElement::new(outline, rim.stroke_width(rim_w)))
}

/// A vertical confidence-interval whisker with caps, in pixels.
fn whisker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    (lo, hi): (i32, i32),
    c: RGBColor,
) -> DrawResult<DB> {
    let s = c.stroke_width(1);
    root.draw(&PathElement::new(vec![(x, lo), (x, hi)], s))?;
    root.draw(&PathElement::new(vec![(x - 3, lo), (x + 3, lo)], s))?;
    root.draw(&PathElement::new(vec![(x - 3, hi), (x + 3, hi)], s))
}

/// A small cross, the mark of a place that has no value.
fn cross<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    c: RGBColor,
    r: i32,
) -> DrawResult<DB> {
    let s = c.stroke_width(2);
    root.draw(&PathElement::new(vec![(x - r, y - r), (x + r, y + r)], s))?;
    root.draw(&PathElement::new(vec![(x - r, y + r), (x + r, y - r)], s))
}

/// The mark of a place without a value, of half-size `r`, one look per
/// reason: a failure (a finding) a black cross in a ring, a skip a grey
/// cross, an oversubscribed cell a grey ring, a control a grey tick, the
/// rest a grey bar.
fn absent_mark<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    absent: Absent,
    r: i32,
) -> DrawResult<DB> {
    let grey = GREY.stroke_width(2);
    match absent {
        Absent::Failed => {
            root.draw(&Circle::new((x, y), r + 1, FAILED.filled()))?;
            let white = WHITE.stroke_width(2);
            let k = (r * 2) / 3;
            root.draw(&PathElement::new(
                vec![(x - k, y - k), (x + k, y + k)],
                white,
            ))?;
            root.draw(&PathElement::new(
                vec![(x - k, y + k), (x + k, y - k)],
                white,
            ))
        }
        Absent::Skipped => cross(root, (x, y), GREY, r - 1),
        Absent::Oversubscribed => root.draw(&Circle::new((x, y), r, grey)),
        Absent::Control => root.draw(&PathElement::new(
            vec![(x - r, y), (x - r / 3, y + r), (x + r, y - r)],
            grey,
        )),
        Absent::Interrupted | Absent::NoLink | Absent::NoProfile => {
            root.draw(&PathElement::new(vec![(x - r, y), (x + r, y)], grey))
        }
    }
}

/// Axis tick text: 1234 → "1.2k".
fn compact(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    };
    s.replace(".0k", "k").replace(".0M", "M")
}

/// A panel's caption lines, and the most lines any panel's caption takes
/// (so that every panel's chart starts at the same height).
type Caption<'c> = (&'c [String], usize);

/// A chart on `area` under its caption, with axis lines and descriptions,
/// ticks left to the caller.
fn frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    (caption, tall): Caption,
    (x_desc, y_desc): (&str, &str),
    (x, y): (Range<f64>, Range<f64>),
    (x_label_h, y_label_w): (u32, u32),
) -> Result<Chart2d<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    draw_caption(area, caption, (area.dim_in_pixel().0 as i32 / 2, 10))?;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_top(10 + CAPTION_LINE_H as u32 * tall as u32 + 4)
        .x_label_area_size(x_label_h)
        .y_label_area_size(y_label_w)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_desc_style(text_style(LABEL_PX))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    Ok(chart)
}

/// Grid lines and tick labels of a value axis, vertical (y) or horizontal (x).
fn value_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart2d<'_, DB>,
    axis: &ValueAxis,
    vertical: bool,
) -> DrawResult<DB> {
    let (xr, yr) = (chart.x_range(), chart.y_range());
    for v in axis.ticks() {
        let p = axis.pos(v);
        let (from, to) = if vertical {
            ((xr.start, p), (xr.end, p))
        } else {
            ((p, yr.start), (p, yr.end))
        };
        let (a, b) = (chart.backend_coord(&from), chart.backend_coord(&to));
        root.draw(&PathElement::new(vec![a, b], GRID))?;
        let (tick_end, style, at) = if vertical {
            (
                (a.0 - 5, a.1),
                anchored(LABEL_PX, HPos::Right, VPos::Center),
                (a.0 - 7, a.1),
            )
        } else {
            (
                (a.0, a.1 + 5),
                anchored(LABEL_PX, HPos::Center, VPos::Top),
                (a.0, a.1 + 7),
            )
        };
        root.draw(&PathElement::new(vec![a, tick_end], BLACK))?;
        root.draw_text(&compact(v), &style, at)?;
    }
    Ok(())
}

/// Pixels kept clear between two category names along an axis.
const TICK_GAP: u32 = 6;

/// How category names sit along an axis, one per slot: level when each
/// pair of neighbours fits their spacing, else turned to run upward (their
/// extent along the axis is then one line's height), every `every`-th shown
/// when even turned they would touch. `depth` is the room they take across
/// the axis; `slot` the spacing it was laid out for.
#[derive(Debug, PartialEq)]
struct TickLayout {
    slot: u32,
    turned: bool,
    every: usize,
    depth: u32,
}

/// Width and height of `text` as a tick label in the embedded font.
fn tick_size(text: &str) -> (u32, u32) {
    text_style(LABEL_PX).font.box_size(text).unwrap_or((0, 0))
}

/// The layout that keeps names `slot_px` apart from touching.
fn tick_layout(names: &[String], slot_px: u32) -> TickLayout {
    let sizes: Vec<(u32, u32)> = names.iter().map(|n| tick_size(n)).collect();
    let level = sizes
        .windows(2)
        .all(|w| (w[0].0 + w[1].0).div_ceil(2) + TICK_GAP <= slot_px);
    let tallest = sizes.iter().map(|s| s.1).max().unwrap_or(0);
    let widest = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    match level {
        true => TickLayout {
            slot: slot_px,
            turned: false,
            every: 1,
            depth: tallest,
        },
        false => TickLayout {
            slot: slot_px,
            turned: true,
            every: ((tallest + TICK_GAP) as usize).div_ceil(slot_px.max(1) as usize),
            depth: widest,
        },
    }
}

/// The extent along the axis of each name `layout` shows (by index), with
/// slot `i` centred at `slot * (i + 0.5)`.
fn tick_extents(names: &[String], layout: &TickLayout) -> Vec<(usize, i32, i32)> {
    let slot_px = layout.slot;
    names
        .iter()
        .enumerate()
        .step_by(layout.every.max(1))
        .map(|(i, n)| {
            let (w, h) = tick_size(n);
            let along = if layout.turned { h } else { w } as i32;
            let centre = (slot_px as i32 * (2 * i as i32 + 1)) / 2;
            (i, centre - along / 2, centre + along - along / 2)
        })
        .collect()
}

/// Category names along an axis, per [`tick_layout`]: `at(i)` is the
/// point on the axis under slot `i`; names hang below it (`below`) or stand
/// above it, level or turned.
fn category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    names: &[String],
    at: impl Fn(usize) -> (i32, i32),
    layout: &TickLayout,
    below: bool,
) -> DrawResult<DB> {
    for (i, _, _) in tick_extents(names, layout) {
        let name = &names[i];
        let (x, y) = at(i);
        let (w, _) = tick_size(name);
        if layout.turned {
            let style = text_style(LABEL_PX)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Center));
            let half = w as i32 / 2 + 6;
            let cy = if below { y + half } else { y - half };
            root.draw_text(name, &style, (x, cy))?;
        } else {
            let v = if below { VPos::Top } else { VPos::Bottom };
            let dy = if below { 6 } else { -6 };
            root.draw_text(name, &anchored(LABEL_PX, HPos::Center, v), (x, y + dy))?;
        }
    }
    Ok(())
}

/// The axes of a dot chart: descriptions, value axis, the groups along x
/// and the slots in each.
struct DotAxes<'a> {
    desc: (&'a str, &'a str),
    y: &'a ValueAxis,
    groups: &'a [String],
    slots: usize,
}

/// A dot chart: in each group (mode) a slot per style with its median as
/// the style's marker and its interval as a whisker, the reference style's
/// median as a dashed line across the group, and a cell without a value as
/// its reason's mark on the baseline.
fn dots<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<Dot>,
    caption: Caption,
    axes: &DotAxes<'_>,
) -> DrawResult<DB> {
    let DotAxes {
        desc,
        y,
        groups,
        slots,
    } = *axes;
    // The plot's width is the area's less its margins and the value axis.
    let plot_w = (area.dim_in_pixel().0 as i32 - 20 - 66).max(1) as u32;
    let group_px = plot_w / groups.len().max(1) as u32;
    let layout = tick_layout(groups, group_px);
    let chart = frame(
        area,
        caption,
        desc,
        (0f64..groups.len() as f64, y.range()),
        (58.max(layout.depth + 34), 66),
    )?;
    value_ticks(root, &chart, y, true)?;
    let px = |x: f64, v: f64| chart.backend_coord(&(x, y.pos(v)));
    category_labels(root, groups, |g| px(g as f64 + 0.5, y.lo), &layout, true)?;
    let width = 0.84 / slots.max(1) as f64;
    let slot_px = (group_px as f64 * width) as i32;
    let r = (slot_px / 2).clamp(2, MARKER_R);
    // Marks of missing values keep their size; where slots are narrower
    // than a mark, every other slot's mark stands a row higher.
    let absent_r = 4;
    let rows = if slot_px < 2 * absent_r + 4 { 2 } else { 1 };
    for dot in panel.items.iter().filter(|d| d.reference) {
        if let Mark::Value { median, .. } = dot.mark {
            let g = dot.group as f64;
            let (from, to) = (px(g + 0.03, median), px(g + 0.97, median));
            dashed(root, (from, to.0), rgb(dot.look.colour))?;
        }
    }
    for dot in &panel.items {
        let xc = dot.group as f64 + 0.08 + (dot.slot as f64 + 0.5) * width;
        let (cx, base) = px(xc, y.lo);
        match &dot.mark {
            Mark::Value { median, lo, hi } => {
                let c = rgb(dot.look.colour);
                let (lo_px, hi_px) = (px(xc, *lo).1, px(xc, *hi).1);
                whisker(root, cx, (lo_px, hi_px), c)?;
                marker(root, (cx, px(xc, *median).1), c, dot.look.marker, r)?;
            }
            Mark::Missing(absent) => {
                let row = (dot.slot % rows) as i32;
                absent_mark(root, (cx, base - 8 - 11 * row), *absent, absent_r)?
            }
        }
    }
    Ok(())
}

/// A horizontal dashed line from `(x, y)` to `x_end`.
fn dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    ((x, y), x_end): ((i32, i32), i32),
    c: RGBColor,
) -> DrawResult<DB> {
    let mut at = x;
    while at < x_end {
        let end = (at + 6).min(x_end);
        root.draw(&PathElement::new(
            vec![(at, y), (end, y)],
            c.stroke_width(2),
        ))?;
        at += 10;
    }
    Ok(())
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<Line>,
    caption: Caption,
    desc: (&str, &str),
    (x, y): (&ValueAxis, &ValueAxis),
    xs: &[f64],
) -> DrawResult<DB> {
    let chart = frame(area, caption, desc, (x.range(), y.range()), (48, 66))?;
    value_ticks(root, &chart, y, true)?;
    let px = |xv: f64, v: f64| chart.backend_coord(&(x.pos(xv), y.pos(v)));
    for &xv in xs {
        let (cx, cy) = px(xv, y.lo);
        root.draw(&PathElement::new(vec![(cx, cy), (cx, cy + 5)], BLACK))?;
        root.draw_text(
            &compact(xv),
            &anchored(LABEL_PX, HPos::Center, VPos::Top),
            (cx, cy + 7),
        )?;
    }
    let mut missing_at: Vec<(u64, i32)> = Vec::new();
    for line in &panel.items {
        let c = rgb(line.look.colour);
        let mut runs: Vec<Vec<(i32, i32)>> = vec![Vec::new()];
        for (xv, mark) in &line.points {
            match mark {
                Mark::Value { median, .. } => runs.last_mut().into_iter().for_each(|r| {
                    r.push(px(*xv, *median));
                }),
                Mark::Missing(_) => {
                    runs.push(Vec::new());
                    let stacked = match missing_at.iter_mut().find(|(k, _)| *k == xv.to_bits()) {
                        Some((_, n)) => {
                            *n += 1;
                            *n
                        }
                        None => {
                            missing_at.push((xv.to_bits(), 0));
                            0
                        }
                    };
                    let (cx, cy) = px(*xv, y.lo);
                    cross(root, (cx, cy - 8 - 11 * stacked), c, 4)?;
                }
            }
        }
        for run in runs.into_iter().filter(|r| r.len() > 1) {
            root.draw(&PathElement::new(run, c.stroke_width(2)))?;
        }
        for (xv, mark) in &line.points {
            if let Mark::Value { median, lo, hi } = mark {
                let (cx, cy) = px(*xv, *median);
                whisker(root, cx, (px(*xv, *lo).1, px(*xv, *hi).1), c)?;
                marker(root, (cx, cy), c, line.look.marker, MARKER_R)?;
            }
        }
        let last = line.points.iter().rev().find_map(|(xv, m)| match m {
            Mark::Value { hi, .. } => Some(px(*xv, *hi)),
            Mark::Missing(_) => None,
        });
        if let Some((cx, cy)) = last.filter(|_| !line.footnote.is_empty()) {
            root.draw_text(
                &line.footnote,
                &anchored(LABEL_PX, HPos::Left, VPos::Bottom),
                (cx + 6, cy),
            )?;
        }
    }
    Ok(())
}

/// The event counts: the row (style) names on the left, then a small
/// chart per kind of event, each with its own axis from zero, a point per
/// mode in each row; a cell without counts is its reason's mark beside
/// its row's name.
fn counts<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    (rows, kinds): (&[String], &[String]),
    axes: &[ValueAxis],
    series: &[LegendEntry],
    cells: &[CountRow],
) -> DrawResult<DB> {
    let (left, top) = area.get_base_pixel();
    let (w, h) = area.dim_in_pixel();
    let (right, bottom) = (left + w as i32 - 8, top + h as i32);
    let gutter = rows
        .iter()
        .map(|r| text_width(r, LABEL_PX))
        .max()
        .unwrap_or(0) as i32
        + 34;
    let between = 18;
    let panel_w =
        (right - left - gutter - between * (kinds.len() as i32 - 1)) / kinds.len().max(1) as i32;
    let names: Vec<Vec<String>> = kinds
        .iter()
        .map(|k| caption_lines(k, panel_w.max(1) as u32))
        .collect();
    let name_lines = names.iter().map(Vec::len).max().unwrap_or(0) as i32;
    let body_top = top + 6 + CAPTION_LINE_H * name_lines + 6;
    // Rows take their nominal height, or share what room there is.
    let room = (bottom - 52 - body_top) / rows.len().max(1) as i32;
    let row_h = (super::figures::count_row_h(series.len()) as i32).min(room);
    let gap = ((row_h - 8) / series.len().max(1) as i32).max(1);
    let axis_y = body_top + row_h * rows.len() as i32;
    for (i, row) in rows.iter().enumerate() {
        let y = body_top + row_h * i as i32 + row_h / 2;
        root.draw_text(
            row,
            &anchored(LABEL_PX, HPos::Right, VPos::Center),
            (left + gutter - 22, y),
        )?;
        if i > 0 {
            let line = vec![(left + gutter, y - row_h / 2), (right, y - row_h / 2)];
            root.draw(&PathElement::new(line, GRID))?;
        }
    }
    let point_y =
        |c: &CountRow| body_top + row_h * c.row as i32 + 4 + gap * c.series as i32 + gap / 2;
    for cell in cells {
        if let Err(absent) = cell.counts {
            absent_mark(root, (left + gutter - 10, point_y(cell)), absent, 3)?;
        }
    }
    for (k, axis) in axes.iter().enumerate() {
        let x0 = left + gutter + (panel_w + between) * k as i32;
        let x1 = x0 + panel_w;
        draw_caption(root, &names[k], (x0 + panel_w / 2, top + 6))?;
        let at = |v: f64| {
            let span = (axis.hi - axis.lo).max(f64::MIN_POSITIVE);
            x0 + ((v - axis.lo) / span * panel_w as f64).round() as i32
        };
        root.draw(&Rectangle::new(
            [(x0, body_top), (x1, axis_y)],
            GREY.stroke_width(1),
        ))?;
        let bounds = (x0 - between / 2, x1 + between / 2);
        for v in thinned(&axis.ticks(), at, bounds) {
            let x = at(v);
            root.draw(&PathElement::new(vec![(x, body_top), (x, axis_y)], GRID))?;
            root.draw(&PathElement::new(vec![(x, axis_y), (x, axis_y + 5)], BLACK))?;
            root.draw_text(
                &compact(v),
                &anchored(LABEL_PX, HPos::Center, VPos::Top),
                (x, axis_y + 7),
            )?;
        }
        for cell in cells {
            let Ok(values) = &cell.counts else { continue };
            let look = series.get(cell.series);
            if let (Some(v), Some(look)) = (values.get(k).copied().flatten(), look) {
                let m = match look.swatch {
                    Swatch::Point(m) | Swatch::Style(m) => m,
                    Swatch::Absent(_) => continue,
                };
                marker(root, (at(v), point_y(cell)), rgb(look.colour), m, 3)?;
            }
        }
    }
    root.draw_text(
        "events per step (profile pass)",
        &anchored(LABEL_PX, HPos::Center, VPos::Top),
        ((left + gutter + right) / 2, axis_y + 28),
    )
}

/// The ticks whose labels, centred under them, keep [`TICK_GAP`] apart
/// and inside `bounds`, first to last.
fn thinned(ticks: &[f64], at: impl Fn(f64) -> i32, bounds: (i32, i32)) -> Vec<f64> {
    let mut kept = Vec::new();
    let mut end = bounds.0;
    for &v in ticks {
        let w = tick_size(&compact(v)).0 as i32;
        let (from, to) = (at(v) - w / 2, at(v) + w - w / 2);
        if from >= end && to <= bounds.1 {
            kept.push(v);
            end = to + TICK_GAP as i32;
        }
    }
    kept
}

/// The colour of a ratio on a ×link scale: white at 1, full colour at the
/// scale's ends (blue below, red above), by log distance.
fn ratio_colour(scale: &ValueAxis, r: f64) -> (RGBColor, f64) {
    let t = (scale.pos(r.clamp(scale.lo, scale.hi)) / scale.pos(scale.hi)).clamp(-1.0, 1.0);
    let end = if t < 0.0 { FASTER } else { SLOWER };
    let mix = |e: u8| (255.0 + (e as f64 - 255.0) * t.abs()).round() as u8;
    (RGBColor(mix(end.0), mix(end.1), mix(end.2)), t.abs())
}

/// Width of the heatmap's row labels: the longest as the font measures
/// it, with room for a marker.
fn row_label_width(rows: &[LegendEntry]) -> i32 {
    let widest = rows.iter().map(|r| text_width(&r.label, LABEL_PX)).max();
    (widest.unwrap_or(0) as i32 + 36).clamp(80, 260)
}

fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    rows: &[LegendEntry],
    cols: &[String],
    scale: &ValueAxis,
    panels: &[Panel<Tile>],
) -> DrawResult<DB> {
    let ((left, top), (right, bottom)) = {
        let (x0, y0) = area.get_base_pixel();
        let (w, h) = area.dim_in_pixel();
        ((x0, y0), (x0 + w as i32, y0 + h as i32))
    };
    let label_w = row_label_width(rows);
    let panel_w = (right - left - label_w - 8) / panels.len().max(1) as i32;
    // Panel captions (one per kernel) above the column names, which stand
    // level or turned.
    let (captions, tall) = panel_captions(panels, panel_w.max(0) as u32);
    let caption_h = match tall {
        0 => 0,
        n => CAPTION_LINE_H * n as i32 + 4,
    };
    let col_w = panel_w / cols.len().max(1) as i32;
    let layout = tick_layout(cols, col_w.max(0) as u32);
    let header_h = caption_h + 52.max(layout.depth as i32 + 16);
    let row_h = ((bottom - top - header_h - 8) / rows.len().max(1) as i32).min(34);
    for (i, row) in rows.iter().enumerate() {
        let y = top + header_h + row_h * i as i32 + row_h / 2;
        if let Swatch::Style(m) = row.swatch {
            marker(root, (left + 14, y), rgb(row.colour), m, MARKER_R)?;
        }
        root.draw_text(
            &row.label,
            &anchored(LABEL_PX, HPos::Left, VPos::Center),
            (left + 26, y),
        )?;
    }
    for (p, (panel, caption)) in panels.iter().zip(&captions).enumerate() {
        let x0 = left + label_w + panel_w * p as i32;
        draw_caption(root, caption, (x0 + panel_w / 2, top + 2))?;
        category_labels(
            root,
            cols,
            |c| (x0 + col_w * c as i32 + col_w / 2, top + header_h - 4),
            &layout,
            false,
        )?;
        for tile in &panel.items {
            let tx = x0 + col_w * tile.col as i32;
            let ty = top + header_h + row_h * tile.row as i32;
            let rect = [(tx + 1, ty + 1), (tx + col_w - 1, ty + row_h - 1)];
            let centre = (tx + col_w / 2, ty + row_h / 2);
            match &tile.value {
                TileValue::Ratio(r) => {
                    let (fill, strength) = ratio_colour(scale, *r);
                    root.draw(&Rectangle::new(rect, fill.filled()))?;
                    let ink = if strength > 0.55 { WHITE } else { BLACK };
                    tile_text(root, &crate::format::ratio(*r), ink, centre, col_w - 6)?;
                }
                // A failure is a finding: a dark tile, never the grey of
                // a cell that did not run.
                TileValue::Missing(Absent::Failed) => {
                    root.draw(&Rectangle::new(rect, FAILED.filled()))?;
                    tile_text(root, Absent::Failed.word(), WHITE, centre, col_w - 6)?;
                }
                TileValue::Missing(absent) => {
                    root.draw(&Rectangle::new(rect, NO_VALUE.filled()))?;
                    tile_text(root, absent.word(), GREY, centre, col_w - 6)?;
                }
            }
        }
    }
    Ok(())
}

/// A tile's text centred on `centre`, at the largest size from
/// [`LABEL_PX`] down to [`SMALLEST_PX`] at which it fits `room` pixels;
/// left out when none does (the tile's colour still says it).
fn tile_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    ink: RGBColor,
    centre: (i32, i32),
    room: i32,
) -> DrawResult<DB> {
    let fits = (SMALLEST_PX..=LABEL_PX)
        .rev()
        .find(|&px| text_width(text, px) as i32 <= room);
    match fits {
        Some(px) => {
            let style = anchored(px, HPos::Center, VPos::Center).color(&ink);
            root.draw_text(text, &style, centre)
        }
        None => Ok(()),
    }
}

/// The ×link colour scale: a vertical bar from the slowest ratio (top) to
/// the fastest, with its ticks.
fn colour_scale<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    scale: &ValueAxis,
) -> DrawResult<DB> {
    root.draw_text(
        "x link",
        &anchored(LABEL_PX, HPos::Left, VPos::Bottom),
        (x, y),
    )?;
    let (top, h, w) = (y + 8, COLOUR_BAR_H as i32, 18);
    let range = scale.range();
    let at =
        |v: f64| top + ((range.end - scale.pos(v)) / (range.end - range.start) * h as f64) as i32;
    for i in 0..h {
        let v = 10f64.powf(range.end - (range.end - range.start) * i as f64 / h as f64);
        let (c, _) = ratio_colour(scale, v);
        root.draw(&Rectangle::new(
            [(x, top + i), (x + w, top + i + 1)],
            c.filled(),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(x, top), (x + w, top + h)],
        GREY.stroke_width(1),
    ))?;
    let ticks = match scale.scale {
        Scale::Log => scale.ticks(),
        Scale::Linear => vec![1.0],
    };
    for v in ticks {
        let ty = at(v);
        root.draw(&PathElement::new(vec![(x + w, ty), (x + w + 4, ty)], BLACK))?;
        root.draw_text(
            &format!("{}x", compact(v)),
            &anchored(LABEL_PX, HPos::Left, VPos::Center),
            (x + w + 7, ty),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captions of a report over the kernels of a kernel matrix.
    const KERNEL_CAPTIONS: [&str; 4] = [
        "6.1.0-50-cloud-amd64 (emulated)",
        "6.12.117+deb13-cloud-amd64 (emulated)",
        "7.2.13+deb14-cloud-amd64 (emulated)",
        "6.18.44-fc-v669",
    ];

    #[test]
    fn panel_captions_fit_their_panel_width_as_the_font_measures_them() {
        super::super::register_embedded_font();
        // A figure of four panels: its panels' width in the grouped and the
        // heatmap layouts, and the narrowest a panel gets.
        for panel_w in [80u32, 117, 131, 162, 400] {
            let panels: Vec<Panel<Dot>> = KERNEL_CAPTIONS
                .iter()
                .map(|c| Panel {
                    caption: c.to_string(),
                    items: Vec::new(),
                })
                .collect();
            let (captions, tall) = panel_captions(&panels, panel_w);
            let room = panel_w - 2 * CAPTION_PAD;
            assert!((1..=CAPTION_LINES).contains(&tall), "{captions:?}");
            for (caption, full) in captions.iter().zip(KERNEL_CAPTIONS) {
                for line in caption {
                    let w = text_width(line, LABEL_PX);
                    assert!(w > 0 && w <= room, "{line:?} is {w} px in {room} px");
                }
                let shown = caption.concat().replace(' ', "");
                let full = full.replace(' ', "");
                match shown.split_once('…') {
                    // Cut: the start of the name, and the note whole.
                    Some((name, note)) => {
                        assert!(full.starts_with(name), "{caption:?}");
                        assert!(full.ends_with(note), "{caption:?}");
                        assert_eq!(note, if full.contains('(') { "(emulated)" } else { "" });
                    }
                    None => assert_eq!(shown, full, "{caption:?}"),
                }
            }
        }
        // The full label overruns a narrow panel, so the measure has a
        // case to catch; a wide panel keeps every caption on one line.
        assert!(text_width(KERNEL_CAPTIONS[1], LABEL_PX) > 131);
        let wide = caption_lines(KERNEL_CAPTIONS[1], 600);
        assert_eq!(wide, [KERNEL_CAPTIONS[1]]);
        let narrow = caption_lines(KERNEL_CAPTIONS[1], 150);
        assert_eq!(narrow[0], "6.12.117+deb13-");
        let long = caption_lines(&"x".repeat(80), 100);
        assert!(
            long.len() == CAPTION_LINES && long[2].ends_with('…'),
            "{long:?}"
        );
    }

    /// Mode names never touch along the axis, however narrow their slots:
    /// level where they fit, turned (and thinned) where they do not.
    #[test]
    fn category_names_never_overlap_their_neighbours() {
        let names: Vec<String> = ["default", "defer-taskrun", "coop-taskrun", "sqpoll"]
            .map(String::from)
            .to_vec();
        super::super::register_embedded_font();
        let mut seen = (false, false, false);
        for slot in (4..=240).step_by(3) {
            let layout = tick_layout(&names, slot);
            let shown = tick_extents(&names, &layout);
            for w in shown.windows(2) {
                let ((a, _, a_end), (b, b_start, _)) = (w[0], w[1]);
                assert!(
                    a_end + TICK_GAP as i32 <= b_start,
                    "slot {slot}: {} and {} overlap ({layout:?})",
                    names[a],
                    names[b]
                );
            }
            assert!(!shown.is_empty());
            seen = (
                seen.0 || !layout.turned,
                seen.1 || (layout.turned && layout.every == 1),
                seen.2 || layout.every > 1,
            );
        }
        assert_eq!(seen, (true, true, true), "every layout exercised");
        // A slot wide enough for the words, measured by the font, keeps
        // them level; a narrow one turns them.
        let widest = names.iter().map(|n| tick_size(n).0).max().unwrap();
        assert!(widest > 50, "the font measures real widths: {widest}");
        assert!(!tick_layout(&names, widest + TICK_GAP).turned);
        assert!(tick_layout(&names, widest / 2).turned);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(2.0), "2");
        assert_eq!(compact(250.0), "250");
        assert_eq!(compact(1500.0), "1.5k");
        assert_eq!(compact(35_000.0), "35k");
        assert_eq!(compact(2_000_000.0), "2M");
    }

    #[test]
    fn ratios_shade_from_white_at_one_to_full_colour_at_the_ends() {
        let scale = ValueAxis {
            scale: Scale::Log,
            lo: 0.25,
            hi: 4.0,
        };
        assert_eq!(ratio_colour(&scale, 1.0).0, WHITE);
        assert_eq!(ratio_colour(&scale, 4.0).0, rgb(SLOWER));
        assert_eq!(ratio_colour(&scale, 100.0).0, rgb(SLOWER));
        assert_eq!(ratio_colour(&scale, 0.25).0, rgb(FASTER));
        let (half, strength) = ratio_colour(&scale, 2.0);
        assert!((strength - 0.5).abs() < 1e-9);
        assert!(half.1 > SLOWER.1 && half.1 < 255);
    }
}
