//! Where every text of a figure lands: each figure drawn once more on a
//! backend that paints nothing and records each text's box as the embedded
//! font measures it (the same layout box, anchor and rotation the pixel
//! backends use), and the colours of the styles it shows. What a check of
//! the figures reads: that no two labels overlap, that no two styles look
//! alike, on any report.

use super::draw;
use super::identity::Rgb;
use super::spec::{Chart, Figure, Swatch};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::convert::Infallible;

/// The box one drawn text takes, in pixels of its figure.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    /// The text.
    pub text: String,
    /// Left edge.
    pub x0: i32,
    /// Top edge.
    pub y0: i32,
    /// Right edge (exclusive).
    pub x1: i32,
    /// Bottom edge (exclusive).
    pub y1: i32,
}

impl TextBox {
    /// Whether the two boxes share any pixel.
    pub fn overlaps(&self, other: &TextBox) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// One figure's texts and the styles it shows.
#[derive(Clone, Debug)]
pub struct FigureLayout {
    /// The figure's file stem.
    pub slug: String,
    /// Its size in pixels.
    pub size: (u32, u32),
    /// Every text drawn, in drawing order (empty texts left out).
    pub texts: Vec<TextBox>,
    /// The styles in its legend or rows, with their colours.
    pub styles: Vec<(String, Rgb)>,
}

/// The layout of `fig`: each text's box as drawn.
pub fn of(fig: &Figure) -> FigureLayout {
    super::register_embedded_font();
    let mut recorder = Recorder {
        size: fig.size,
        texts: Vec::new(),
    };
    {
        let root = (&mut recorder).into_drawing_area();
        // Drawing on a backend that cannot fail fails only on a font, which
        // is compiled in and measured before.
        let _ = draw::draw(&root, fig);
    }
    let rows = match &fig.chart {
        Chart::Heatmap { rows, .. } => rows.as_slice(),
        _ => &[],
    };
    let styles = fig
        .legend
        .iter()
        .chain(rows)
        .filter(|e| matches!(e.swatch, Swatch::Style(_)))
        .map(|e| (e.label.clone(), e.colour))
        .collect();
    FigureLayout {
        slug: fig.slug.clone(),
        size: fig.size,
        texts: recorder.texts,
        styles,
    }
}

/// A backend that records text boxes and paints nothing.
struct Recorder {
    size: (u32, u32),
    texts: Vec<TextBox>,
}

impl DrawingBackend for &mut Recorder {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        _: BackendCoord,
        _: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        _: BackendCoord,
        _: BackendCoord,
        _: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        _: BackendCoord,
        _: BackendCoord,
        _: &S,
        _: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        _: I,
        _: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        _: BackendCoord,
        _: u32,
        _: &S,
        _: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        _: I,
        _: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    /// The box the default `draw_text` paints into: the font's layout box,
    /// moved by the anchor, turned about the anchor point.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let Ok(((min_x, min_y), (max_x, max_y))) = style.layout_box(text) else {
            return Ok(());
        };
        let (width, height) = (max_x - min_x, max_y - min_y);
        if text.trim().is_empty() || width <= 0 {
            return Ok(());
        }
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let turn = |x: i32, y: i32| style.transform().transform(x, y);
        let (a, b) = (turn(dx, dy), turn(dx + width, dy + height));
        self.texts.push(TextBox {
            text: text.to_string(),
            x0: pos.0 + a.0.min(b.0),
            y0: pos.1 + a.1.min(b.1),
            x1: pos.0 + a.0.max(b.0),
            y1: pos.1 + a.1.max(b.1),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::text_anchor::Pos;
    use plotters_backend::FontTransform;

    /// The recorded box is the font's: as wide as the text measures, moved
    /// by its anchor and turned with it, so two texts drawn on one spot are
    /// caught overlapping and two a box apart are not.
    #[test]
    fn a_texts_box_is_measured_anchored_and_turned_as_drawn() {
        super::super::register_embedded_font();
        let mut recorder = Recorder {
            size: (400, 300),
            texts: Vec::new(),
        };
        let style = ("sans-serif", 16).into_font().color(&BLACK);
        let centred = style.pos(Pos::new(HPos::Center, VPos::Center));
        let (width, height) = style.font.box_size("sqpoll-shared").unwrap();
        {
            let root = (&mut recorder).into_drawing_area();
            root.draw_text("sqpoll-shared", &centred, (200, 100))
                .unwrap();
            root.draw_text("failed", &centred, (210, 104)).unwrap();
            let turned = centred.transform(FontTransform::Rotate270);
            root.draw_text("sqpoll-shared", &turned, (100, 200))
                .unwrap();
            root.draw_text("below", &style, (200, 100 + height as i32))
                .unwrap();
        }
        let [level, on_it, turned, below] = &recorder.texts[..] else {
            panic!("{:?}", recorder.texts);
        };
        assert_eq!((level.x1 - level.x0) as u32, width);
        assert_eq!((level.y1 - level.y0) as u32, height);
        assert!(level.x0 < 200 && level.x1 > 200 && level.y0 < 100 && level.y1 > 100);
        assert!(level.overlaps(on_it) && on_it.overlaps(level));
        // Turned: as tall as the text is wide, centred on its point.
        assert_eq!((turned.y1 - turned.y0) as u32, width);
        assert_eq!((turned.x1 - turned.x0) as u32, height);
        assert!(turned.y0 < 200 && turned.y1 > 200);
        assert!(!level.overlaps(turned));
        // A box below another, touching, does not overlap it.
        assert!(!level.overlaps(below), "{level:?} {below:?}");
    }
}
