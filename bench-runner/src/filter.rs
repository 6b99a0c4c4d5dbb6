//! `--filter`: which cells of a plan a pattern names. A cell's name is four
//! segments, `style[:variant]/mode/op/shape`; the pattern is matched on
//! whole segments, never on a substring, so `link` names the style `link`
//! and never `hardlink`.
//!
//! - The pattern is split on `/`; its segments must match that many
//!   consecutive segments of the name (`link`, `link/default`,
//!   `*/sqpoll/*`, `nop/g1-s16-b16-t1`).
//! - A pattern segment matches a name segment whole, `*` standing for any
//!   text and `?` for one character, or a leading part of it cut where the
//!   name adds to it: before `:variant` (`futex` names every futex
//!   variant), before `+registered-ring` or `+async`, and, in the shape,
//!   before a `-` (`g1-s16-b4` names `g1-s16-b4-t1`). `sqpoll` therefore
//!   names `sqpoll` and `sqpoll+registered-ring`, never `sqpoll-shared`.

use wildmatch::WildMatch;

/// Index of the shape among a name's segments.
const SHAPE: usize = 3;

/// A parsed `--filter` pattern.
#[derive(Debug)]
pub struct Filter {
    /// The pattern as given, for messages.
    pattern: String,
    /// Its segments, each a glob.
    segments: Vec<WildMatch>,
}

impl Filter {
    /// The filter of `pattern` (a leading or trailing `/` is ignored).
    pub fn new(pattern: &str) -> Filter {
        Filter {
            pattern: pattern.to_string(),
            segments: pattern
                .trim_matches('/')
                .split('/')
                .map(WildMatch::new)
                .collect(),
        }
    }

    /// Whether the cell called `name` is one the pattern names.
    pub fn matches(&self, name: &str) -> bool {
        let segments: Vec<&str> = name.split('/').collect();
        let n = self.segments.len();
        (0..segments.len().saturating_sub(n - 1)).any(|start| {
            self.segments
                .iter()
                .zip(&segments[start..start + n])
                .enumerate()
                .all(|(i, (glob, segment))| matches_segment(glob, segment, start + i == SHAPE))
        })
    }
}

/// Whether `glob` matches `segment` whole or a leading part of it cut where
/// the name adds to it (see the module's doc).
fn matches_segment(glob: &WildMatch, segment: &str, shape: bool) -> bool {
    let cut = |c: char| c == ':' || c == '+' || (shape && c == '-');
    glob.matches(segment)
        || segment
            .match_indices(cut)
            .any(|(at, _)| glob.matches(&segment[..at]))
}

/// A filter that names no cell of its config: a bad invocation, refused
/// before anything is run or written.
#[derive(thiserror::Error, Debug, PartialEq)]
#[error("--filter '{pattern}' matches none of the {cells} cell(s) of {config} (it matches whole name segments of style[:variant]/mode/op/shape; `*` is any text)")]
pub struct NoMatch {
    /// The pattern.
    pub pattern: String,
    /// The config it was applied to.
    pub config: String,
    /// Cells the config plans.
    pub cells: usize,
}

impl Filter {
    /// `Err` when `kept`, the cells this filter kept of `config`'s
    /// `planned`, is none.
    pub fn check(&self, kept: usize, planned: usize, config: &str) -> Result<(), NoMatch> {
        if kept > 0 {
            return Ok(());
        }
        Err(NoMatch {
            pattern: self.pattern.clone(),
            config: config.to_string(),
            cells: planned,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Filter;

    const LINK: &str = "link/default/nop/g1-s16-b4-t1";
    const HARDLINK: &str = "hardlink/default/nop/g1-s16-b4-t1";

    fn names(pattern: &str, name: &str) -> bool {
        Filter::new(pattern).matches(name)
    }

    #[test]
    fn a_segment_is_matched_whole_never_as_a_substring() {
        assert!(names("link/default/nop/g1-s16-b4", LINK));
        assert!(!names("link/default/nop/g1-s16-b4", HARDLINK));
        assert!(names("link", LINK));
        assert!(!names("link", HARDLINK));
        assert!(!names("ink", LINK));
        assert!(!names("g1-s1", LINK), "s1 is not s16");
    }

    #[test]
    fn globs_stay_within_their_segment() {
        assert!(names("link/*/nop/*", LINK));
        assert!(!names("link/*/pipe/*", LINK));
        assert!(names("*-t1", LINK));
        assert!(!names("hard*", LINK));
        assert!(names("*link", HARDLINK));
        assert!(names("*/sqpoll/*", "userspace/sqpoll/nop/g1-s8-b8-t1"));
        assert!(names("link/", LINK), "a trailing / is ignored");
    }

    #[test]
    fn a_leading_part_names_the_variants_and_additions_of_a_segment() {
        assert!(names("futex", "futex:private/default/nop/g1-s8-b8-t1"));
        assert!(names(
            "futex:shared",
            "futex:shared/default/nop/g1-s8-b8-t1"
        ));
        assert!(!names(
            "futex:shared",
            "futex:private/default/nop/g1-s8-b8-t1"
        ));
        assert!(!names("futex", "futex-syscall/default/nop/g1-s8-b8-t1"));
        assert!(names(
            "sqpoll",
            "link/sqpoll+registered-ring/nop/g1-s8-b8-t1"
        ));
        assert!(!names("sqpoll", "link/sqpoll-shared/nop/g1-s8-b8-t1"));
        assert!(names("nop", "link/default/nop+async/g1-s8-b8-t1"));
        assert!(names("g2", "link/default/nop/g2-s8-b8-t2-shared"));
        assert!(!names("default-", LINK), "only the shape is cut at `-`");
    }
}
