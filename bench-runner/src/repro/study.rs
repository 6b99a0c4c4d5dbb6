//! A study's reproductions as reproducers: `repro --study NAME` without a
//! cell writes and builds the reproducer of every cell of the study's
//! sweep that a reproduction expecting a break (a violation or a failure)
//! takes, each in a directory of its own beside the finding it belongs to
//! (`finding.json`, a `results_schema::ReproFinding`). `bench-runner
//! presence` runs such a directory (here, or carried into
//! `scripts/kernel-matrix`'s guests) and records the finding on every run,
//! so the presence table has one row per finding.

use super::{emit, save, ReproError, Target, BUILD, BUILD_STATIC};
use crate::plan::{plan, PlannedCell};
use reports::schema::ReproFinding;
use std::path::{Path, PathBuf};

/// The file beside a reproducer naming the finding it belongs to.
pub const FINDING_FILE: &str = "finding.json";

/// One reproducer written for a study.
pub struct Built {
    /// Its directory (repro.c, repro, finding.json).
    pub dir: PathBuf,
    /// The cell's name.
    pub cell: String,
}

/// A directory name for the `i`-th reproducer, of cell `name`: the order
/// they were planned in, then the name with `/` and `:` made plain.
fn dir_name(i: usize, name: &str) -> String {
    format!("{:02}-{}", i + 1, name.replace(['/', ':'], "_"))
}

/// The cells of study `name` its reproductions expecting a break take, in
/// plan order (each once), with the finding each belongs to.
fn reproductions(name: &str) -> Result<Vec<(PlannedCell, ReproFinding)>, ReproError> {
    let study = crate::study::find(name).ok_or_else(|| {
        ReproError::Study(format!(
            "no study named `{name}` (studies: {})",
            crate::study::names()
        ))
    })?;
    let parsed = study
        .parsed()
        .map_err(|e| ReproError::Study(format!("{name}: {e}")))?;
    let cells = plan(&parsed.sweep, None);
    let mut chosen: Vec<(PlannedCell, ReproFinding)> = Vec::new();
    for r in parsed
        .question
        .reproduce
        .iter()
        .filter(|r| r.expects_break())
    {
        let taken: Vec<&PlannedCell> = cells.iter().filter(|c| r.cells.matches(&c.key)).collect();
        let keys: Vec<_> = taken.iter().map(|c| &c.key).collect();
        for (cell, finding) in taken.into_iter().zip(r.findings(name, &keys)) {
            if !chosen.iter().any(|(c, _)| c.name == cell.name) {
                chosen.push((cell.clone(), finding));
            }
        }
    }
    match chosen.is_empty() {
        true => Err(ReproError::Study(format!(
            "{name}: no reproduction expects a violation or a failure, so no cell to reproduce"
        ))),
        false => Ok(chosen),
    }
}

/// Writes and builds (statically with `static_build`) the reproducers of
/// study `name`'s findings into `out`, one directory each.
pub fn write(
    name: &str,
    out: &Path,
    static_build: bool,
    out_owner_ok: bool,
) -> Result<Vec<Built>, ReproError> {
    let chosen = reproductions(name)?;
    crate::out_dir::prepare(out, out_owner_ok)?;
    let mut command = vec!["bench-runner", "repro", "--study", name];
    if static_build {
        command.push("--static");
    }
    let command = command.join(" ");
    let build = match static_build {
        true => BUILD_STATIC,
        false => BUILD,
    };
    chosen
        .iter()
        .enumerate()
        .map(|(i, (cell, finding))| {
            let dir = out.join(dir_name(i, &cell.name));
            let target = Target {
                out: &dir,
                command: &command,
                build: Some(build),
                out_owner_ok,
            };
            emit(cell, &target)?;
            let json = serde_json::to_string_pretty(finding)
                .map_err(|e| ReproError::Study(e.to_string()))?;
            save(&dir, FINDING_FILE, &format!("{json}\n"))?;
            Ok(Built {
                dir,
                cell: cell.name.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split study's link and hardlink cells are two findings along
    /// steps, named as the study's findings name them; its drain control
    /// expects no break and is left out.
    #[test]
    fn a_studys_breaking_reproductions_are_its_cells_with_their_findings() {
        let chosen = reproductions("shared-sqpoll-split").unwrap();
        assert_eq!(chosen.len(), 16);
        assert!(chosen.iter().all(|(c, _)| c.key.style != "drain"));
        let places: Vec<&str> = chosen.iter().map(|(_, f)| f.place.as_str()).collect();
        assert_eq!(places[0], "link/sqpoll-shared/nop g1-t1");
        assert_eq!(places[1], "hardlink/sqpoll-shared/nop g1-t1");
        let (cell, finding) = &chosen[10];
        assert_eq!(cell.name, "link/sqpoll-shared/nop/g1-s16-b16-t1");
        assert_eq!(
            (finding.axis.as_str(), finding.value.as_str()),
            ("steps", "16")
        );
        let futex = reproductions("futex-lost-wakeup").unwrap();
        let names: Vec<&str> = futex.iter().map(|(c, _)| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1",
                "futex:private-fresh/defer-taskrun/timeout/g2-s8-b2-t1"
            ]
        );
        assert_eq!(
            futex[0].1.place,
            "futex:private-fresh/defer-taskrun g2-s8-b2-t1"
        );
        assert!(matches!(reproductions("nope"), Err(ReproError::Study(_))));
    }

    #[test]
    fn a_directory_name_keeps_the_order_and_no_separator() {
        assert_eq!(
            dir_name(0, "futex:private-fresh/defer-taskrun/nop/g2-s8-b2-t1"),
            "01-futex_private-fresh_defer-taskrun_nop_g2-s8-b2-t1"
        );
    }
}
