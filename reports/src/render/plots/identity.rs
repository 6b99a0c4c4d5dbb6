//! What a style looks like in every plot: one colour and one marker of its
//! own. A style's look is a function of its key (the name with its variant,
//! e.g. `sync-group:queue`) and its place in the registry of the results
//! header, so it is the same in every figure of a report and in every report
//! written by the same build. Styles the registry does not list (files
//! written before it was recorded, positive controls) take the slots after
//! the registry's in the order the report shows them, so no two styles of
//! one report ever look alike.

use crate::analysis::model::Report;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Colours told apart on white and from each other (every pair at least
/// 25 CIE76 units apart), in the order styles take them. Greys come last
/// so the first styles never resemble the grey of cells without a value.
pub const PALETTE: [Rgb; 20] = [
    Rgb(31, 119, 180),  // blue
    Rgb(255, 127, 14),  // orange
    Rgb(44, 160, 44),   // green
    Rgb(214, 39, 40),   // red
    Rgb(148, 103, 189), // purple
    Rgb(140, 86, 75),   // brown
    Rgb(227, 119, 194), // pink
    Rgb(188, 189, 34),  // olive
    Rgb(23, 190, 207),  // cyan
    Rgb(0, 0, 128),     // navy
    Rgb(128, 0, 0),     // maroon
    Rgb(0, 128, 128),   // teal
    Rgb(230, 171, 2),   // gold
    Rgb(255, 0, 255),   // magenta
    Rgb(0, 224, 0),     // bright green
    Rgb(192, 0, 96),    // crimson
    Rgb(176, 176, 255), // lavender
    Rgb(91, 58, 0),     // dark brown
    Rgb(127, 127, 127), // grey
    Rgb(64, 64, 64),    // dark grey
];

/// The outline of a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A circle.
    Circle,
    /// An axis-aligned square.
    Square,
    /// A triangle pointing up.
    TriangleUp,
    /// A square on its corner.
    Diamond,
    /// A triangle pointing down.
    TriangleDown,
    /// A regular pentagon.
    Pentagon,
    /// A five-pointed star.
    Star,
    /// A regular hexagon.
    Hexagon,
}

/// Every shape, in the order styles take them.
pub const SHAPES: [Shape; 8] = [
    Shape::Circle,
    Shape::Square,
    Shape::TriangleUp,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Pentagon,
    Shape::Star,
    Shape::Hexagon,
];

/// A point marker: a shape, filled or drawn as an outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Marker {
    /// Its outline.
    pub shape: Shape,
    /// Filled with the colour, else white inside a coloured outline.
    pub filled: bool,
}

/// The look of one style: its colour and its marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// Fill of its bars, lines and markers.
    pub colour: Rgb,
    /// Its points' marker.
    pub marker: Marker,
}

impl Identity {
    /// The look of slot `index`: the palette's colours first, then hues a
    /// golden angle apart (distinct from each other and from the palette);
    /// the markers cycle through every shape filled, then every shape hollow.
    pub fn slot(index: usize) -> Identity {
        let colour = PALETTE
            .get(index)
            .copied()
            .unwrap_or_else(|| hue((index - PALETTE.len()) as f64 * 137.507_764));
        let n = SHAPES.len();
        Identity {
            colour,
            marker: Marker {
                shape: SHAPES[index % n],
                filled: (index / n).is_multiple_of(2),
            },
        }
    }
}

/// A mid-light, saturated colour of hue `degrees` (HSL with S 0.7, L 0.42),
/// offset half a degree so it never lands exactly on a palette entry.
fn hue(degrees: f64) -> Rgb {
    let h = (degrees + 0.5).rem_euclid(360.0) / 60.0;
    let (s, l) = (0.7, 0.42);
    let c = (1.0 - (2.0 * l - 1.0f64).abs()) * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round() as u8;
    Rgb(byte(r), byte(g), byte(b))
}

/// The look of every style of one report.
#[derive(Clone, Debug)]
pub struct Identities {
    /// Style keys by slot: the registry's, then the report's unlisted ones.
    keys: Vec<String>,
}

impl Identities {
    /// The slots of `report`'s styles: the registry of the first input that
    /// records one (a style with variants takes one slot per variant), then
    /// styles it does not list, in report order.
    pub fn of(report: &Report) -> Identities {
        let mut keys: Vec<String> = report
            .sources
            .iter()
            .find_map(|s| s.header.registry.as_ref())
            .map(|registry| {
                registry
                    .styles
                    .iter()
                    .flat_map(|style| {
                        if style.variants.is_empty() {
                            vec![style.name.clone()]
                        } else {
                            style
                                .variants
                                .iter()
                                .map(|v| format!("{}:{v}", style.name))
                                .collect()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        for cell in &report.cells {
            let style = cell.parts().style;
            if !keys.contains(&style) {
                keys.push(style);
            }
        }
        Identities { keys }
    }

    /// The look of `style` (its key, with the variant). A style the report
    /// has no cell of takes a slot of its own past every known one.
    pub fn of_style(&self, style: &str) -> Identity {
        let slot = self
            .keys
            .iter()
            .position(|k| k == style)
            .unwrap_or(self.keys.len());
        Identity::slot(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIE L*a*b* of an sRGB colour (D65).
    fn lab(c: Rgb) -> [f64; 3] {
        let lin = |u: u8| {
            let u = u as f64 / 255.0;
            if u <= 0.04045 {
                u / 12.92
            } else {
                ((u + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (lin(c.0), lin(c.1), lin(c.2));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    fn delta_e(a: Rgb, b: Rgb) -> f64 {
        let (a, b) = (lab(a), lab(b));
        (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f64>().sqrt()
    }

    #[test]
    fn palette_colours_are_far_apart_and_visible_on_white() {
        for (i, &a) in PALETTE.iter().enumerate() {
            let lightness = lab(a)[0];
            assert!(
                lightness < 85.0,
                "{a:?} too light on white: L* {lightness:.0}"
            );
            for &b in &PALETTE[i + 1..] {
                let d = delta_e(a, b);
                assert!(d >= 25.0, "{a:?} and {b:?} only {d:.1} apart");
            }
        }
    }

    #[test]
    fn every_slot_has_its_own_colour_and_its_own_look() {
        let looks: Vec<Identity> = (0..64).map(Identity::slot).collect();
        for (i, a) in looks.iter().enumerate() {
            for b in &looks[i + 1..] {
                assert_ne!(a.colour, b.colour, "slots share a colour");
            }
        }
        // The first 16 slots (every registered style) differ in marker too.
        let markers: std::collections::HashSet<Marker> =
            looks[..16].iter().map(|l| l.marker).collect();
        assert_eq!(markers.len(), 16);
    }
}
