//! Number formatting shared by every rendering, so a value reads the same in
//! the terminal, the mail and the HTML.

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

/// A confidence interval as `[lo, hi]`.
pub fn interval(lo: f64, hi: f64) -> String {
    format!("[{}, {}]", num(lo), num(hi))
}

/// A fraction as a percentage with one decimal: 0.0523 → "5.2%".
pub fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A signed change as a percentage: 0.2 → "+20.0%".
pub fn signed_pct(v: f64) -> String {
    format!("{:+.1}%", v * 100.0)
}

/// A ratio with two decimals below 10: 2.345 → "2.35x", 0.997 → "1.00x".
pub fn ratio(v: f64) -> String {
    if v.abs() < 10.0 {
        format!("{v:.2}x")
    } else {
        format!("{}x", num(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
