//! Plots of a report, drawn with plotters as SVG (also inlined in
//! report.html) and PNG, each at most 800×600 so it reads as a mail
//! attachment. `figures.rs` decides what each figure shows (`spec.rs`, plain
//! data), `draw.rs` draws any spec; every style keeps one colour and marker
//! across them (`identity.rs`), and value axes turn logarithmic when their
//! values span more than 10× (`scale.rs`). Text is drawn with the DejaVu
//! Sans font compiled into the crate, so rendering needs no system fonts.
//!
//! Text never collides: a panel's caption (its kernel, with several) is
//! wrapped to the panel's width as the embedded font measures it, at most
//! three lines, so panels side by side never run into each other; category
//! names along an axis (the modes) are measured the same way, level when
//! each pair of neighbours fits its spacing, else turned to run upward, every
//! n-th shown when even turned they would touch.

mod draw;
mod figures;
mod fold;
mod identity;
mod layout;
pub mod overview;
mod scale;
mod spec;

pub use identity::{distances, Rgb, MIN_DISTANCE, MIN_DISTANCE_DEUTERANOPIA, PALETTE};
pub use layout::{FigureLayout, TextBox};
use spec::Figure;
pub use spec::NotDrawn;

/// Directory (inside the output directory) that holds the plot files.
pub const PLOTS_DIR: &str = "plots";

use crate::analysis::model::Report;
use crate::error::ReportError;
use crate::render::exporter::{own_dir, write_file};
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see fonts/LICENSE-DejaVu.txt).
static FONT_BYTES: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");

/// Makes the embedded font the `sans-serif` family of plotters (once per process).
pub fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_err() {
            unreachable!("the embedded DejaVu Sans font is a valid TrueType file");
        }
    });
}

/// A drawn figure: its SVG text and the files written for it.
#[derive(Clone, Debug)]
pub struct PlotFile {
    /// File stem.
    pub slug: String,
    /// Figure title.
    pub title: String,
    /// The SVG document (also written to `svg_path`).
    pub svg: String,
    /// The .svg file.
    pub svg_path: PathBuf,
    /// The .png file, when PNGs were asked for.
    pub png_path: Option<PathBuf>,
}

/// The plots of a report: the figures drawn and those its data cannot carry.
#[derive(Clone, Debug, Default)]
pub struct Plots {
    /// The drawn figures, in report order.
    pub files: Vec<PlotFile>,
    /// Figures left out, each with why (said in the report in one line).
    pub not_drawn: Vec<NotDrawn>,
}

impl Plots {
    /// Whether plots were asked for and planned (what decides whether the
    /// report shows its overview figure too).
    pub fn drawn(&self) -> bool {
        !self.files.is_empty() || !self.not_drawn.is_empty()
    }
}

/// Draws every figure of `report` into `dir` (created if needed), and
/// removes plot files a previous rendering left there that this one did not
/// write, so the directory matches the report.
pub fn render_all(report: &Report, dir: &Path, png: bool) -> Result<Plots, ReportError> {
    register_embedded_font();
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(ReportError::io(parent))?;
    }
    own_dir(dir)?;
    let plan = figures::plan(report);
    let plots = plan
        .figures
        .iter()
        .map(|fig| render_one(fig, dir, png))
        .collect::<Result<Vec<_>, _>>()?;
    let current: Vec<&Path> = plots
        .iter()
        .flat_map(|p| std::iter::once(p.svg_path.as_path()).chain(p.png_path.as_deref()))
        .collect();
    for entry in std::fs::read_dir(dir).map_err(ReportError::io(dir))? {
        let path = entry.map_err(ReportError::io(dir))?.path();
        let is_plot = path.extension().is_some_and(|e| e == "svg" || e == "png");
        if is_plot && !current.contains(&path.as_path()) {
            std::fs::remove_file(&path).map_err(ReportError::io(&path))?;
        }
    }
    Ok(Plots {
        files: plots,
        not_drawn: plan.not_drawn,
    })
}

/// The layout of every figure `report` would draw (after folding): each
/// text's box as the embedded font measures it, and the styles' colours;
/// see [`layout`].
pub fn layouts(report: &Report) -> Vec<FigureLayout> {
    figures::plan(report)
        .figures
        .iter()
        .map(layout::of)
        .collect()
}

/// Draws one figure as SVG (and PNG when `png`) into `dir`.
fn render_one(fig: &Figure, dir: &Path, png: bool) -> Result<PlotFile, ReportError> {
    register_embedded_font();
    let plot_err = |e: &dyn std::fmt::Display| ReportError::Plot {
        plot: fig.slug.clone(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, fig.size).into_drawing_area();
        draw::draw(&root, fig).map_err(|e| plot_err(&e))?;
        root.present().map_err(|e| plot_err(&e))?;
    }
    let svg_path = dir.join(format!("{}.svg", fig.slug));
    write_file(&svg_path, svg.as_bytes())?;
    let png_path = if png {
        let path = dir.join(format!("{}.png", fig.slug));
        let (width, height) = fig.size;
        let mut rgb = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, fig.size).into_drawing_area();
            draw::draw(&root, fig).map_err(|e| plot_err(&e))?;
            root.present().map_err(|e| plot_err(&e))?;
        }
        let mut encoded = Vec::new();
        PngEncoder::new(&mut encoded)
            .write_image(&rgb, width, height, ColorType::Rgb8)
            .map_err(|e| plot_err(&e))?;
        write_file(&path, &encoded)?;
        Some(path)
    } else {
        None
    };
    Ok(PlotFile {
        slug: fig.slug.clone(),
        title: fig.title.clone(),
        svg,
        svg_path,
        png_path,
    })
}
