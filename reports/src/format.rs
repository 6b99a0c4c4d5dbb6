//! How numbers and names read, shared by every rendering (so a value reads
//! the same in the terminal, the mail and the HTML) and by the few sentences
//! analysis states itself (a finding, a header difference). It depends on
//! nothing else in the crate: the one module both halves may import.

/// A measurement with about three significant digits: 1234.5 → "1235", 88.04 → "88.0".
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The unit a time of `ns` nanoseconds reads best in, and its size in
/// nanoseconds: 95 → ns, 45 100 → µs, 1.2e9 → s. Values that must read in
/// one unit (a median and its interval) share the unit of the median.
pub fn time_unit(ns: f64) -> (&'static str, f64) {
    let a = ns.abs();
    if a >= 1e9 {
        ("s", 1e9)
    } else if a >= 1e6 {
        ("ms", 1e6)
    } else if a >= 1e3 {
        ("µs", 1e3)
    } else {
        ("ns", 1.0)
    }
}

/// A time in the unit [`time_unit`] picks: 45 100.0 → "45.1 µs".
pub fn time(ns: f64) -> String {
    let (unit, size) = time_unit(ns);
    format!("{} {unit}", num(ns / size))
}

/// The text with the few non-ASCII signs the renderings use spelled in
/// ASCII, for the mail: µ → u, ± → +-, – → -, ≤ → <=, ≥ → >=, × → x.
pub fn ascii(text: &str) -> String {
    text.replace('µ', "u")
        .replace('±', "+-")
        .replace('–', "-")
        .replace('≤', "<=")
        .replace('≥', ">=")
        .replace('×', "x")
}

/// A confidence interval as `[lo, hi]`.
pub fn interval(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", num(lo), num(hi))
}

/// `value` rounded to the digits an interval of `width` supports: to a tenth
/// of the interval's leading decimal place (width 19 263 → thousands, width
/// 2.4 → tenths), so a CI file never claims digits its own interval denies.
/// A zero or undefined width keeps three significant digits, as [`num`].
pub fn round_to_interval(value: f64, width: f64) -> f64 {
    let step_exp = if width.is_finite() && width > 0.0 {
        width.log10().floor() as i32 - 1
    } else if value != 0.0 && value.is_finite() {
        value.abs().log10().floor() as i32 - 2
    } else {
        0
    };
    let decimals = usize::try_from(-step_exp).unwrap_or(0);
    let step = 10f64.powi(step_exp);
    // Through its shortest decimal text, so 100.1 stays 100.1 in JSON.
    format!("{:.decimals$}", (value / step).round() * step)
        .parse()
        .unwrap_or(value)
}

/// A fraction as a percentage with one decimal: 0.0523 → "5.2%".
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A signed change as a percentage: 0.2 → "+20.0%"; a change that rounds
/// to nothing reads "+0.0%", never "-0.0%".
pub fn signed_pct(v: f64) -> String {
    match format!("{:+.1}%", v * 100.0) {
        zero if zero == "-0.0%" => "+0.0%".into(),
        text => text,
    }
}

/// A ratio with two decimals below 10: 2.345 → "2.35x", 0.997 → "1.00x".
pub fn ratio(v: f64) -> String {
    if v.abs() < 10.0 {
        format!("{v:.2}x")
    } else {
        format!("{}x", num(v))
    }
}

/// The anchor's name as words: `futex_wake_round_trip` → "futex wake round
/// trip", `msg_ring_round_trip` → "MSG_RING round trip".
pub fn anchor_label(name: &str) -> String {
    name.replace('_', " ").replace("msg ring", "MSG_RING")
}

/// A p-value with three decimals, `<0.001` below that.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds since the Unix epoch as a UTC date and time to the second:
/// `2026-12-06 05:53:56 UTC`.
pub fn utc(unix: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix);
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace('T', " ")
        .replace('Z', " UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_that_rounds_to_nothing_has_no_minus() {
        assert_eq!(signed_pct(-0.000_01), "+0.0%");
        assert_eq!(signed_pct(-0.001), "-0.1%");
    }

    #[test]
    fn unix_times_read_as_utc_dates() {
        assert_eq!(utc(1_796_521_585), "2026-12-06 01:46:25 UTC");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn formats() {
        assert_eq!(num(1234.5), "1234");
        assert_eq!(num(88.04), "88.0");
        assert_eq!(num(5.123), "5.12");
        assert_eq!(num(0.01234), "0.012");
        assert_eq!(interval(1.0, 2.0), "[1.00, 2.00]");
        assert_eq!(pct(0.0523), "5.2%");
        assert_eq!(signed_pct(0.2), "+20.0%");
        assert_eq!(signed_pct(-0.031), "-3.1%");
        assert_eq!(ratio(2.345), "2.35x");
        assert_eq!(ratio(0.997), "1.00x");
        assert_eq!(ratio(25.31), "25.3x");
        assert_eq!(time(95.0), "95.0 ns");
        assert_eq!(time(45_120.0), "45.1 µs");
        assert_eq!(time(1_234_567.0), "1.23 ms");
        assert_eq!(time(1.2e9), "1.20 s");
        assert_eq!(time_unit(999.0), ("ns", 1.0));
        assert_eq!(round_to_interval(6876.4, 19263.0), 7000.0);
        assert_eq!(round_to_interval(6876.4, 120.0), 6880.0);
        assert_eq!(round_to_interval(100.123, 2.4), 100.1);
        assert_eq!(round_to_interval(0.012345, 0.0), 0.0123);
        assert_eq!(round_to_interval(0.0, 0.0), 0.0);
        assert_eq!(
            ascii("45.1 µs (95% CI 44.8–45.5, ±0.8%)"),
            "45.1 us (95% CI 44.8-45.5, +-0.8%)"
        );
    }
}
