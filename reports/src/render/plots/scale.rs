//! Value axes: linear or logarithmic, chosen from the values they must
//! show, with their range and tick values. Charts are drawn on the axis's
//! own coordinate ([`ValueAxis::pos`]: the value, or its log10), so one
//! drawing routine serves both scales.

use std::ops::Range;

/// Values spanning more than this ratio are drawn on a log axis.
pub const LOG_SPAN: f64 = 10.0;

/// How values map onto an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Proportional, from zero.
    Linear,
    /// Proportional to the logarithm: equal ratios, equal distances.
    Log,
}

/// A value axis: its scale and the range of values it shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueAxis {
    /// Linear or log.
    pub scale: Scale,
    /// Smallest value shown (the baseline bars and missing marks stand on).
    pub lo: f64,
    /// Largest value shown.
    pub hi: f64,
}

impl ValueAxis {
    /// An axis for `values` (medians and interval bounds of cells with a
    /// ranked value only): log when they span more than [`LOG_SPAN`] or
    /// `scale` asks for it, else linear from zero; headroom above the
    /// largest value for footnote markers.
    pub fn fitting(values: impl IntoIterator<Item = f64>, scale: Option<Scale>) -> ValueAxis {
        let (min, max) = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if max <= 0.0 {
            return ValueAxis {
                scale: scale.unwrap_or(Scale::Linear),
                lo: if scale == Some(Scale::Log) { 1.0 } else { 0.0 },
                hi: 10.0,
            };
        }
        match scale.unwrap_or(if max / min > LOG_SPAN {
            Scale::Log
        } else {
            Scale::Linear
        }) {
            Scale::Log => ValueAxis {
                scale: Scale::Log,
                lo: min / 1.4,
                hi: max * 1.4,
            },
            Scale::Linear => ValueAxis {
                scale: Scale::Linear,
                lo: 0.0,
                hi: max * 1.12,
            },
        }
    }

    /// Where `value` sits in the axis's own coordinate.
    pub fn pos(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Linear => value,
            Scale::Log => value.max(self.lo).log10(),
        }
    }

    /// The axis's range in its own coordinate.
    pub fn range(&self) -> Range<f64> {
        self.pos(self.lo)..self.pos(self.hi)
    }

    /// Round values to label, inside the range: multiples of 1, 2 or 5 × 10ⁿ
    /// (about six of them) on a linear axis; powers of ten with 2× and 5×
    /// steps between them on a log axis, fewer steps when that is too many
    /// and 3× added when a short range would have fewer than three.
    pub fn ticks(&self) -> Vec<f64> {
        let inside = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
        match self.scale {
            Scale::Linear => {
                let raw = (self.hi - self.lo) / 6.0;
                let mag = 10f64.powf(raw.log10().floor());
                let step = [1.0, 2.0, 5.0, 10.0]
                    .iter()
                    .map(|m| m * mag)
                    .find(|s| *s >= raw)
                    .unwrap_or(10.0 * mag);
                let first = (self.lo / step).ceil() as i64;
                let last = (self.hi / step).floor() as i64;
                (first..=last).map(|i| i as f64 * step).collect()
            }
            Scale::Log => {
                let decades = |mantissas: &[f64]| -> Vec<f64> {
                    let (a, b) = (
                        self.lo.log10().floor() as i32,
                        self.hi.log10().ceil() as i32,
                    );
                    (a..=b)
                        .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
                        .filter(inside)
                        .collect()
                };
                let ticks = decades(&[1.0, 2.0, 5.0]);
                if ticks.len() > 9 {
                    decades(&[1.0])
                } else if ticks.len() < 3 {
                    decades(&[1.0, 2.0, 3.0, 5.0])
                } else {
                    ticks
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_over_ten_times_is_drawn_on_a_log_axis() {
        let narrow = ValueAxis::fitting([100.0, 250.0, 900.0], None);
        assert_eq!(narrow.scale, Scale::Linear);
        assert_eq!(narrow.lo, 0.0);
        let wide = ValueAxis::fitting([100.0, 250.0, 5000.0], None);
        assert_eq!(wide.scale, Scale::Log);
        assert!(wide.lo < 100.0 && wide.hi > 5000.0);
        assert_eq!(
            ValueAxis::fitting([100.0, 250.0], Some(Scale::Log)).scale,
            Scale::Log
        );
        // Nothing to show: a default range, never a panic.
        assert_eq!(ValueAxis::fitting([], None).hi, 10.0);
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let lin = ValueAxis {
            scale: Scale::Linear,
            lo: 0.0,
            hi: 1120.0,
        };
        assert_eq!(lin.ticks(), [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        let log = ValueAxis {
            scale: Scale::Log,
            lo: 60.0,
            hi: 9000.0,
        };
        assert_eq!(log.ticks(), [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]);
        let wide = ValueAxis {
            scale: Scale::Log,
            lo: 0.7,
            hi: 2e6,
        };
        assert_eq!(wide.ticks(), [1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]);
        let short = ValueAxis {
            scale: Scale::Log,
            lo: 0.7,
            hi: 3.5,
        };
        assert_eq!(short.ticks(), [1.0, 2.0, 3.0]);
        assert!((log.pos(1000.0) - 3.0).abs() < 1e-12);
    }
}
