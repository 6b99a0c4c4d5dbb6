//! Finding the one cell a reproducer is made for: from its name as the
//! reports print it (`link/sqpoll-shared/nop/g1-s16-b16-t1`), read into a
//! one-cell [`Config`] built from typed values (checked by the config's own
//! rules, as `advise`'s is) and planned like any other, or from a config or study
//! whose cells a `--filter` pattern narrows to one. Either way the cell comes
//! out of `plan`, with the config's ring size and placement.

use crate::config::{mode_choice, op_choice, sharing_choice, style_choices, Config, Grid, Problem};
use crate::filter::Filter;
use crate::plan::{plan, PlannedCell};
use crate::source::ConfigSource;
use sha2::{Digest, Sha256};

/// Why no single cell was found.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum CellNotFound {
    /// The text is not `STYLE/MODE/OP/gG-sS-bB-tT[-SHARING]`.
    #[error("`{0}` is not a cell name (STYLE/MODE/OP/gG-sS-bB-tT, as the reports print it)")]
    NotAName(String),
    /// The config the name makes, or the one given, is invalid.
    #[error("{0}")]
    Config(String),
    /// The pattern matches no planned cell.
    #[error("no cell of {config} matches `{pattern}`")]
    NoMatch {
        /// The config searched.
        config: String,
        /// The pattern.
        pattern: String,
    },
    /// The pattern matches several cells.
    #[error("`{pattern}` matches {} cells ({}): name one", .names.len(), .names.join(", "))]
    Several {
        /// The pattern.
        pattern: String,
        /// The cells it matches (at most a few).
        names: Vec<String>,
    },
}

/// The cell `name` is, or, with a config `source`, the one cell of it that
/// `name` matches (exactly, or as `--filter` matches).
pub fn find(name: &str, source: Option<&ConfigSource>) -> Result<PlannedCell, CellNotFound> {
    let (config, described) = match source {
        Some(source) => (
            Config::from_source(source).map_err(|e| CellNotFound::Config(e.to_string()))?,
            source.to_string(),
        ),
        None => (config_of(name)?, "the name's config".to_string()),
    };
    // The name's own config plans its one cell, whose batch may read
    // smaller than the name's: a batch beyond the stream is the stream.
    let mut cells = plan(&config, source.map(|_| Filter::new(name)).as_ref());
    if let Some(exact) = cells.iter().position(|c| c.name == name) {
        return Ok(cells.swap_remove(exact));
    }
    match cells.len() {
        0 => Err(CellNotFound::NoMatch {
            config: described,
            pattern: name.to_string(),
        }),
        1 => Ok(cells.remove(0)),
        _ => Err(CellNotFound::Several {
            pattern: name.to_string(),
            names: cells.iter().take(4).map(|c| c.name.clone()).collect(),
        }),
    }
}

/// The config of the one cell `name` names: its axes, each with one value
/// (a style named without its variant keeps every variant, as in a config),
/// everything else at the config's defaults. Its hash is sha256 of the name
/// (a reproducer resumes nothing).
fn config_of(name: &str) -> Result<Config, CellNotFound> {
    let not_a_name = || CellNotFound::NotAName(name.to_string());
    let [style, mode, op, shape] = name.split('/').collect::<Vec<_>>()[..] else {
        return Err(not_a_name());
    };
    let (op, forced_async) = match op.strip_suffix("+async") {
        Some(op) => (op, true),
        None => (op, false),
    };
    let mut parts = shape.splitn(5, '-');
    let mut count = |prefix: char| -> Result<u32, CellNotFound> {
        parts
            .next()
            .and_then(|p| p.strip_prefix(prefix))
            .and_then(|n| n.parse().ok())
            .ok_or_else(not_a_name)
    };
    let (groups, steps, batch, submitters) = (count('g')?, count('s')?, count('b')?, count('t')?);
    let sharing = parts.next().unwrap_or("per-submitter");
    // The names are read in the order a config's axes are, so a name with
    // two wrong parts gets the message a config would.
    let grid = || -> Result<Grid, Problem> {
        Ok(Grid {
            styles: style_choices(style)?,
            modes: vec![mode_choice(mode)?],
            ops: vec![op_choice(op)?],
            forced_async: vec![forced_async],
            groups: vec![groups],
            steps: vec![steps],
            batch: vec![batch],
            submitters: vec![submitters],
            sharing: vec![sharing_choice(sharing)?],
        })
    };
    let hash = format!("{:x}", Sha256::digest(name));
    grid()
        .and_then(|grid| Config::of_grid(hash, grid, |_| {}))
        .map_err(|problem| CellNotFound::Config(problem.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_plans_the_cell_it_names() {
        let cell = find("link/sqpoll-shared/nop/g1-s16-b16-t1", None).unwrap();
        assert_eq!(cell.name, "link/sqpoll-shared/nop/g1-s16-b16-t1");
        assert_eq!(cell.spec.shape.steps, 16);
        assert!(cell.spec.mode.mode.shared_poller);
        let futex = find(
            "futex:private-fresh/defer-taskrun/timeout+async/g2-s8-b2-t1",
            None,
        );
        let futex = futex.unwrap();
        assert_eq!(
            (futex.key.variant.as_str(), futex.spec.forced_async),
            ("private-fresh", true)
        );
    }

    #[test]
    fn a_batch_beyond_the_stream_is_the_stream_as_in_the_reports() {
        let cell = find("link/sqpoll-shared/nop/g1-s16-b64-t1", None).unwrap();
        assert_eq!(cell.name, "link/sqpoll-shared/nop/g1-s16-b16-t1");
    }

    #[test]
    fn what_is_not_one_cell_says_why() {
        let err = |name: &str| find(name, None).err().expect("refused").to_string();
        assert!(err("link/default/nop").contains("is not a cell name"));
        assert!(err("link/default/nop/g1-s8-bx-t1").contains("is not a cell name"));
        assert!(err("turbo/default/nop/g1-s8-b8-t1").contains("turbo"));
        assert!(err("futex/default/nop/g1-s8-b8-t1").contains("matches 4 cells"));
    }

    #[test]
    fn a_study_and_a_pattern_give_the_studys_cell() {
        let study = ConfigSource::Study {
            name: "futex-lost-wakeup".into(),
            quick: false,
        };
        let cell = find("futex:private-fresh/defer-taskrun/nop/*", Some(&study)).unwrap();
        assert_eq!(cell.spec.ring_entries, 64, "the study's ring size");
        let several = find("futex:private-fresh/*", Some(&study)).err();
        assert!(matches!(several, Some(CellNotFound::Several { .. })));
    }
}
