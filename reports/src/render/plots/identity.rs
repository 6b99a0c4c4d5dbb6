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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Colours told apart on white and from each other, in the order styles
/// take them: every pair at least [`MIN_DISTANCE`] CIEDE2000 units apart,
/// and at least [`MIN_DISTANCE_DEUTERANOPIA`] under a simulation of
/// deuteranopia (the commonest colour-vision deficiency), each with
/// lightness L* between 30 and 70, and none a grey (the colour of cells
/// without a value). Chosen greedily from an sRGB grid, each next colour
/// the one farthest from those before it, so the first styles differ most.
pub const PALETTE: [Rgb; 20] = [
    Rgb(31, 119, 180),  // blue
    Rgb(0, 195, 0),     // green
    Rgb(255, 105, 255), // pink
    Rgb(150, 0, 0),     // dark red
    Rgb(135, 15, 105),  // plum
    Rgb(240, 135, 135), // salmon
    Rgb(0, 90, 60),     // pine
    Rgb(60, 180, 180),  // turquoise
    Rgb(165, 105, 0),   // ochre
    Rgb(30, 30, 255),   // ultramarine
    Rgb(225, 0, 90),    // raspberry
    Rgb(150, 105, 150), // mauve
    Rgb(135, 120, 255), // periwinkle
    Rgb(75, 75, 135),   // slate
    Rgb(75, 120, 30),   // moss
    Rgb(150, 150, 75),  // khaki
    Rgb(90, 165, 120),  // sage
    Rgb(60, 165, 210),  // sky
    Rgb(255, 90, 165),  // rose
    Rgb(150, 75, 75),   // umber
];

/// The least CIEDE2000 difference between two colours of [`PALETTE`].
pub const MIN_DISTANCE: f64 = 15.0;

/// The least CIEDE2000 difference between two colours of [`PALETTE`] as a
/// deuteranope sees them (Machado, Oliveira and Fernandes 2009, severity 1).
pub const MIN_DISTANCE_DEUTERANOPIA: f64 = 8.0;

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

use palette::color_difference::Ciede2000;
use palette::{IntoColor, Lab, LinSrgb, Srgb};

/// CIE L*a*b* (D65) of an sRGB colour.
fn lab(c: Rgb) -> Lab {
    Srgb::new(c.0, c.1, c.2).into_format::<f32>().into_color()
}

/// How a deuteranope sees `c`: the Machado, Oliveira and Fernandes
/// (2009) matrix of severity 1, applied in linear RGB.
fn deuteranopia(c: Rgb) -> Rgb {
    const M: [[f32; 3]; 3] = [
        [0.367_322, 0.860_646, -0.227_968],
        [0.280_085, 0.672_501, 0.047_413],
        [-0.011_820, 0.042_940, 0.968_881],
    ];
    let lin: LinSrgb = Srgb::new(c.0, c.1, c.2).into_format::<f32>().into_linear();
    let v = [lin.red, lin.green, lin.blue];
    let row = |r: [f32; 3]| (r[0] * v[0] + r[1] * v[1] + r[2] * v[2]).clamp(0.0, 1.0);
    let out: Srgb<u8> = Srgb::from_linear(LinSrgb::new(row(M[0]), row(M[1]), row(M[2])));
    Rgb(out.red, out.green, out.blue)
}

/// The CIEDE2000 difference of two colours, as seen with normal vision
/// and by a deuteranope: what [`MIN_DISTANCE`] and
/// [`MIN_DISTANCE_DEUTERANOPIA`] bound over the palette.
pub fn distances(a: Rgb, b: Rgb) -> (f64, f64) {
    let seen = lab(a).difference(lab(b));
    let deut = lab(deuteranopia(a)).difference(lab(deuteranopia(b)));
    (f64::from(seen), f64::from(deut))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_colours_are_far_apart_to_every_eye_and_visible_on_white() {
        let mut least = (f64::INFINITY, f64::INFINITY);
        for (i, &a) in PALETTE.iter().enumerate() {
            let lightness = lab(a).l;
            assert!(
                (30.0..=70.5).contains(&lightness),
                "{a:?}: L* {lightness:.0}"
            );
            for &b in &PALETTE[i + 1..] {
                let (seen, deut) = distances(a, b);
                assert!(seen >= MIN_DISTANCE, "{a:?} and {b:?}: {seen:.1} apart");
                assert!(
                    deut >= MIN_DISTANCE_DEUTERANOPIA,
                    "{a:?} and {b:?}: {deut:.1} apart to a deuteranope"
                );
                least = (least.0.min(seen), least.1.min(deut));
            }
        }
        println!(
            "least CIEDE2000: {:.1}, deuteranopia {:.1}",
            least.0, least.1
        );
        // The pairs once told apart by hue alone: drain and futex:private
        // (slots 3 and 10), sync-group:append and futex-syscall (6 and 13).
        for (a, b) in [(3, 10), (6, 13)] {
            let (seen, deut) = distances(PALETTE[a], PALETTE[b]);
            assert!(seen >= 20.0 && deut >= 10.0, "{a} {b}: {seen:.1} {deut:.1}");
        }
        // The old palette's olive and bright green (slots 7 and 14), 21
        // units apart to the eye, read as one to a deuteranope: the
        // simulation has a case to catch.
        let (_, deut) = distances(Rgb(188, 189, 34), Rgb(0, 224, 0));
        assert!(deut < MIN_DISTANCE_DEUTERANOPIA, "{deut:.1}");
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
