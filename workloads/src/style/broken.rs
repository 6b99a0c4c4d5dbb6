//! A test-only way to break a style on purpose, so that tests can prove the
//! verifier catches a style whose ordering fails: the variant `V+broken`
//! (`+broken` for a style without variants). Configs cannot select it: they
//! accept only the variants a style lists.

use super::StepError;

/// Suffix of a style variant that breaks the style's ordering on purpose.
#[doc(hidden)]
pub const BROKEN_SUFFIX: &str = "+broken";

/// Splits a cell's variant into the style's own variant and whether it is
/// broken on purpose; unknown variants are an error.
pub(super) fn parse<'a>(variant: &'a str, known: &[&str]) -> Result<(&'a str, bool), StepError> {
    let (base, broken) = match variant.strip_suffix(BROKEN_SUFFIX) {
        Some(base) => (base, true),
        None => (variant, false),
    };
    let ok = if known.is_empty() {
        base.is_empty()
    } else {
        known.contains(&base)
    };
    if ok {
        Ok((base, broken))
    } else {
        Err(StepError::Setup(format!("unknown variant `{variant}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_known_variants_only() {
        assert_eq!(parse("queue", &["queue"]).unwrap(), ("queue", false));
        assert_eq!(parse("queue+broken", &["queue"]).unwrap(), ("queue", true));
        assert_eq!(parse("+broken", &[]).unwrap(), ("", true));
        assert!(parse("", &["queue"]).is_err());
        assert!(parse("turbo", &[]).is_err());
    }
}
