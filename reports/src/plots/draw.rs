//! Draws a [`Figure`] spec with plotters on any backend (SVG string or PNG
//! file), so both formats come from one drawing routine. Layout: title on
//! top, footnotes at the bottom, legend in a strip on the right, one panel
//! per kernel side by side.

use super::figures::{Bar, Chart, Figure, Line, Mark, Panel, StackRow};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Result of drawing on backend `DB`.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Colour-blind-friendly palette; series keep their index across figures.
const PALETTE: &[RGBColor] = &[
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const GREY: RGBColor = RGBColor(150, 150, 150);
const LIGHT: RGBColor = RGBColor(238, 238, 238);
const FONT: &str = "sans-serif";
const TITLE_H: u32 = 34;
const NOTE_H: u32 = 18;
const LEGEND_W: u32 = 160;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text_style(size).pos(Pos::new(h, v))
}

/// Draws `fig` onto `root` (a fresh area of `fig.size`).
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (w, h) = fig.size;
    root.draw_text(
        &fig.title,
        &anchored(19, HPos::Center, VPos::Center),
        (w as i32 / 2, TITLE_H as i32 / 2),
    )?;
    let notes_h = NOTE_H * fig.notes.len() as u32;
    for (i, note) in fig.notes.iter().enumerate() {
        let y = (h - notes_h + NOTE_H * i as u32 + NOTE_H / 2) as i32;
        root.draw_text(note, &anchored(12, HPos::Left, VPos::Center), (12, y))?;
    }
    let body = root.margin(TITLE_H, notes_h, 0, 0);
    let (plot_area, legend_area) = body.split_horizontally(w - LEGEND_W);
    for (i, entry) in fig.legend.iter().enumerate() {
        let (x0, y0) = legend_area.get_base_pixel();
        let y = y0 + 30 + 20 * i as i32;
        root.draw(&Rectangle::new(
            [(x0 + 6, y - 6), (x0 + 18, y + 6)],
            color(entry.color).filled(),
        ))?;
        root.draw_text(
            &entry.label,
            &anchored(12, HPos::Left, VPos::Center),
            (x0 + 24, y),
        )?;
    }
    match &fig.chart {
        Chart::Grouped {
            x_desc,
            y_desc,
            groups,
            slots,
            panels,
        } => {
            let ymax = y_max(panels.iter().flat_map(|p| p.items.iter().map(|b| &b.mark)));
            for (area, panel) in plot_area.split_evenly((1, panels.len())).iter().zip(panels) {
                grouped(root, area, panel, x_desc, y_desc, groups, *slots, ymax)?;
            }
        }
        Chart::Lines {
            x_desc,
            y_desc,
            xs,
            panels,
        } => {
            let ymax = y_max(
                panels
                    .iter()
                    .flat_map(|p| p.items.iter().flat_map(|l| l.points.iter().map(|(_, m)| m))),
            );
            for (area, panel) in plot_area.split_evenly((1, panels.len())).iter().zip(panels) {
                lines(root, area, panel, x_desc, y_desc, xs, ymax)?;
            }
        }
        Chart::Stacked { x_desc, rows } => stacked(root, &plot_area, x_desc, rows)?,
    }
    Ok(())
}

/// Top of the y axis: the largest upper CI bound plus headroom for markers.
fn y_max<'a>(marks: impl Iterator<Item = &'a Mark>) -> f64 {
    let max = marks
        .filter_map(|m| match m {
            Mark::Value { hi, .. } => Some(*hi),
            Mark::Missing(_) => None,
        })
        .fold(0.0, f64::max);
    if max > 0.0 {
        max * 1.12
    } else {
        1.0
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

/// A vertical confidence-interval whisker with caps, in pixels.
fn whisker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, lo): (i32, i32),
    (_, hi): (i32, i32),
    c: RGBColor,
) -> DrawResult<DB> {
    let s = c.stroke_width(1);
    root.draw(&PathElement::new(vec![(x, lo), (x, hi)], s))?;
    root.draw(&PathElement::new(vec![(x - 3, lo), (x + 3, lo)], s))?;
    root.draw(&PathElement::new(vec![(x - 3, hi), (x + 3, hi)], s))
}

/// Diagonal hatching with an outline and a rotated word: the look of a cell
/// that has no value, so it can never be read as a short bar.
fn hatched<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    word: &str,
    vertical_text: bool,
) -> DrawResult<DB> {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], GREY.stroke_width(1)))?;
    let mut c = x0 - y1;
    while c <= x1 - y0 {
        let xa = x0.max(y0 + c);
        let xb = x1.min(y1 + c);
        if xa < xb {
            root.draw(&PathElement::new(vec![(xa, xa - c), (xb, xb - c)], GREY))?;
        }
        c += 7;
    }
    let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
    let style = anchored(12, HPos::Center, VPos::Center);
    let style = if vertical_text {
        style.transform(FontTransform::Rotate270)
    } else {
        style
    };
    let tw = word.len() as i32 * 4 + 6;
    let (bw, bh) = if vertical_text { (9, tw) } else { (tw, 9) };
    let (bw, bh) = (bw.min((x1 - x0) / 2), bh.min((y1 - y0) / 2));
    root.draw(&Rectangle::new(
        [(cx - bw, cy - bh), (cx + bw, cy + bh)],
        WHITE.filled(),
    ))?;
    root.draw_text(word, &style, (cx, cy))
}

#[allow(clippy::too_many_arguments)]
fn grouped<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<Bar>,
    x_desc: &str,
    y_desc: &str,
    groups: &[String],
    slots: usize,
    ymax: f64,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, text_style(14))
        .margin(8)
        .x_label_area_size(54)
        .y_label_area_size(62)
        .build_cartesian_2d(0f64..groups.len() as f64, 0f64..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&|v| compact(*v))
        .label_style(text_style(12))
        .light_line_style(LIGHT)
        .axis_desc_style(text_style(13))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    // Labels wider than their group are staggered on two rows.
    let group_px = chart.backend_coord(&(1.0, 0.0)).0 - chart.backend_coord(&(0.0, 0.0)).0;
    let widest = groups.iter().map(|g| g.chars().count()).max().unwrap_or(0) as i32;
    let stagger = widest * 7 > group_px;
    for (g, name) in groups.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
        let dy = if stagger && g % 2 == 1 { 20 } else { 6 };
        root.draw_text(name, &anchored(12, HPos::Center, VPos::Top), (x, y + dy))?;
    }
    let width = 0.84 / slots.max(1) as f64;
    for bar in &panel.items {
        let x0 = bar.group as f64 + 0.08 + bar.slot as f64 * width;
        let x1 = x0 + width * 0.88;
        let c = color(bar.color);
        match &bar.mark {
            Mark::Value { median, lo, hi } => {
                chart.draw_series([Rectangle::new([(x0, 0.0), (x1, *median)], c.filled())])?;
                let xc = (x0 + x1) / 2.0;
                whisker(
                    root,
                    chart.backend_coord(&(xc, *lo)),
                    chart.backend_coord(&(xc, *hi)),
                    BLACK,
                )?;
                if !bar.marker.is_empty() {
                    let (px, py) = chart.backend_coord(&(xc, *hi));
                    root.draw_text(
                        &bar.marker,
                        &anchored(13, HPos::Center, VPos::Bottom),
                        (px, py - 2),
                    )?;
                }
            }
            Mark::Missing(word) => {
                let a = chart.backend_coord(&(x0, ymax * 0.9));
                let b = chart.backend_coord(&(x1, 0.0));
                hatched(root, a, b, &format!("{word}{}", bar.marker), true)?;
            }
        }
    }
    Ok(())
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    panel: &Panel<Line>,
    x_desc: &str,
    y_desc: &str,
    xs: &[String],
    ymax: f64,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, text_style(14))
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(62)
        .build_cartesian_2d(-0.5f64..xs.len() as f64 - 0.5, 0f64..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&|v| compact(*v))
        .label_style(text_style(12))
        .light_line_style(LIGHT)
        .axis_desc_style(text_style(13))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    for (i, name) in xs.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, 0.0));
        root.draw(&PathElement::new(vec![(x, y), (x, y + 4)], BLACK))?;
        root.draw_text(name, &anchored(12, HPos::Center, VPos::Top), (x, y + 6))?;
    }
    let mut missing_at: std::collections::HashMap<usize, i32> = Default::default();
    for line in &panel.items {
        series(root, &mut chart, line, &mut missing_at)?;
    }
    Ok(())
}

/// A line chart's coordinates: x the point's index, y the value.
type LineChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One line of a line chart: each value a dot with its whisker, joined to
/// its neighbours; each missing point a cross stacked above the axis (its
/// slot in `missing_at`, per x), breaking the line; the marker beside the
/// last value.
fn series<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut LineChart<'_, DB>,
    line: &Line,
    missing_at: &mut std::collections::HashMap<usize, i32>,
) -> DrawResult<DB> {
    let c = color(line.color);
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut runs = Vec::new();
    for (x, mark) in &line.points {
        let xf = *x as f64;
        match mark {
            Mark::Value { median, lo, hi } => {
                run.push((xf, *median));
                whisker(
                    root,
                    chart.backend_coord(&(xf, *lo)),
                    chart.backend_coord(&(xf, *hi)),
                    c,
                )?;
                chart.draw_series([Circle::new((xf, *median), 4, c.filled())])?;
            }
            Mark::Missing(_) => {
                runs.push(std::mem::take(&mut run));
                let slot = missing_at.entry(*x).or_insert(0);
                let (px, py) = chart.backend_coord(&(xf, 0.0));
                cross(root, (px, py - 8 - 11 * *slot), c)?;
                *slot += 1;
            }
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| r.len() > 1) {
        chart.draw_series(LineSeries::new(run, c.stroke_width(2)))?;
    }
    if let Some((x, Mark::Value { hi, .. })) = line
        .points
        .iter()
        .rev()
        .find(|(_, m)| matches!(m, Mark::Value { .. }))
        .filter(|_| !line.marker.is_empty())
    {
        let (px, py) = chart.backend_coord(&(*x as f64, *hi));
        root.draw_text(
            &line.marker,
            &anchored(13, HPos::Left, VPos::Bottom),
            (px + 5, py),
        )?;
    }
    Ok(())
}

/// The cross of a point with no value, centred on `(px, py)`.
fn cross<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (px, py): (i32, i32),
    c: RGBColor,
) -> DrawResult<DB> {
    let s = c.stroke_width(2);
    root.draw(&PathElement::new(
        vec![(px - 4, py - 4), (px + 4, py + 4)],
        s,
    ))?;
    root.draw(&PathElement::new(
        vec![(px - 4, py + 4), (px + 4, py - 4)],
        s,
    ))
}

fn stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    x_desc: &str,
    rows: &[StackRow],
) -> DrawResult<DB> {
    let xmax = rows
        .iter()
        .map(|r| r.segments.iter().map(|(_, v)| v).sum::<f64>())
        .fold(0.0, f64::max);
    let xmax = if xmax > 0.0 { xmax * 1.08 } else { 1.0 };
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(210)
        .build_cartesian_2d(0f64..xmax, 0f64..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(&|v| compact(*v))
        .label_style(text_style(12))
        .light_line_style(LIGHT)
        .axis_desc_style(text_style(13))
        .x_desc(x_desc)
        .draw()?;
    for (i, row) in rows.iter().enumerate() {
        let top = n - i as f64 - 0.12;
        let bottom = n - i as f64 - 0.88;
        let (px, py) = chart.backend_coord(&(0.0, n - i as f64 - 0.5));
        root.draw_text(
            &row.label,
            &anchored(12, HPos::Right, VPos::Center),
            (px - 6, py),
        )?;
        if let Some(word) = &row.missing {
            let a = chart.backend_coord(&(0.0, top));
            let b = chart.backend_coord(&(xmax * 0.9, bottom));
            hatched(root, a, b, word, false)?;
            continue;
        }
        let mut x = 0.0;
        for (c, v) in &row.segments {
            chart.draw_series([Rectangle::new(
                [(x, bottom), (x + v, top)],
                color(*c).filled(),
            )])?;
            x += v;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::compact;

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
}
