//! What `--resume` keeps of the results file it continues.
//!
//! The file in the output directory is input like any other: a line of a
//! cell the config does not plan, or of a planned cell's name with other
//! coordinates or another placement, was not written by this sweep, and
//! counting it would skip real repetitions (or report a cell nobody asked
//! for). Such lines are dropped, the file is rewritten without them (a
//! temporary file renamed into place, so a kill leaves the old file or the
//! new one), and one warning per cell says what went. Lines whose numbers no
//! measurement gives never get this far: the reader skips them (see
//! `reports::checks`), so their repetitions run again.

use crate::plan::PlannedCell;
use reports::results::Results;
use reports::schema::{CellRecord, Record};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// Why lines of a cell were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The config plans no cell of that name.
    NotPlanned,
    /// The name is planned, but the line's coordinates or placement are not
    /// the planned cell's.
    Differs,
}

/// The lines of one cell that `--resume` dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The cell name the lines carry.
    pub name: String,
    /// How many.
    pub lines: usize,
    /// Why.
    pub why: Why,
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.why {
            Why::NotPlanned => "not a cell of this config",
            Why::Differs => "its coordinates or placement are not this config's",
        };
        write!(f, "{} line(s) of {} dropped: {why}", self.lines, self.name)
    }
}

/// Whether `record` is a line `cell` could have written: its name, its
/// coordinates and (when the line records one) its placement.
fn written_by(record: &CellRecord, cell: &PlannedCell) -> bool {
    record.name == cell.name
        && record.cell == cell.key
        && record
            .placement
            .as_ref()
            .is_none_or(|p| *p == cell.placement)
}

/// Keeps the records of `existing` that a cell of `plan` (the config's
/// whole plan, whatever `--filter` runs now) could have written, and says
/// what it dropped, by cell, in file order.
pub fn keep_planned(mut existing: Results, plan: &[PlannedCell]) -> (Results, Vec<Dropped>) {
    let by_name: BTreeMap<&str, &PlannedCell> = plan.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut dropped: Vec<Dropped> = Vec::new();
    existing.records.retain(|r| {
        let why = match by_name.get(r.name.as_str()) {
            None => Why::NotPlanned,
            Some(cell) if written_by(r, cell) => return true,
            Some(_) => Why::Differs,
        };
        match dropped
            .iter_mut()
            .find(|d| d.name == r.name && d.why == why)
        {
            Some(d) => d.lines += 1,
            None => dropped.push(Dropped {
                name: r.name.clone(),
                lines: 1,
                why,
            }),
        }
        false
    });
    (existing, dropped)
}

/// Replaces the file at `results.path` with `results`' header and records,
/// through a temporary file in the same directory renamed over it.
pub fn rewrite(results: &Results) -> io::Result<()> {
    let path = &results.path;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".results.jsonl.")
        .tempfile_in(dir)?;
    let header = Record::Header(Box::new(results.header.clone()));
    let cells = results
        .records
        .iter()
        .map(|r| Record::Cell(Box::new(r.clone())));
    let loads = results
        .loads
        .iter()
        .map(|l| Record::Load(Box::new(l.clone())));
    for record in std::iter::once(header).chain(cells).chain(loads) {
        serde_json::to_writer(&mut file, &record)?;
        file.write_all(b"\n")?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::plan::plan;
    use reports::schema::{Pass, Status};

    fn cells() -> Vec<PlannedCell> {
        let config = Config::parse(
            "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"nop\"]\ngroups = [1]\nsteps = [8]\nbatch = [8, 4]\n",
        )
        .unwrap();
        plan(&config, None)
    }

    fn line(cell: &PlannedCell) -> CellRecord {
        crate::sweep::line_of(cell, Pass::Timing, 0, Status::Skipped)
    }

    fn results(records: Vec<CellRecord>) -> Results {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/results/ok-complete.jsonl"),
        )
        .unwrap();
        let header_line = text
            .lines()
            .next()
            .unwrap()
            .replace("@SCHEMA@", &reports::schema::SCHEMA_VERSION.to_string());
        let Record::Header(header) = serde_json::from_str(&header_line).unwrap() else {
            panic!("the corpus starts with a header")
        };
        Results {
            path: "out/results.jsonl".into(),
            header: *header,
            records,
            repros: vec![],
            loads: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn lines_of_unplanned_or_other_cells_are_dropped_by_cell() {
        let plan = cells();
        let (b8, b4) = (&plan[0], &plan[1]);
        let mut unplanned = line(b8);
        unplanned.name = "drain/default/nop/g1-s8-b8-t1".into();
        unplanned.cell.style = "drain".into();
        let mut other_key = line(b4);
        other_key.cell.steps = 2;
        let mut elsewhere = line(b8);
        elsewhere.placement.as_mut().unwrap().submitters = vec![99];
        let mut before_placement = line(b4);
        before_placement.placement = None;
        let (kept, dropped) = keep_planned(
            results(vec![
                line(b8),
                unplanned.clone(),
                other_key,
                unplanned,
                elsewhere,
                before_placement.clone(),
            ]),
            &plan,
        );
        assert_eq!(kept.records, [line(b8), before_placement]);
        let said: Vec<String> = dropped.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "2 line(s) of drain/default/nop/g1-s8-b8-t1 dropped: not a cell of this config",
                &format!(
                    "1 line(s) of {} dropped: its coordinates or placement are not this config's",
                    b4.name
                ),
                &format!(
                    "1 line(s) of {} dropped: its coordinates or placement are not this config's",
                    b8.name
                ),
            ]
        );
    }

    #[test]
    fn a_rewritten_file_reads_back_as_what_was_kept() {
        let dir = tempfile::tempdir().unwrap();
        let plan = cells();
        let mut kept = results(vec![line(&plan[0]), line(&plan[1])]);
        kept.path = dir.path().join("results.jsonl");
        std::fs::write(&kept.path, "old").unwrap();
        rewrite(&kept).unwrap();
        let read = Results::read(&kept.path).unwrap();
        assert_eq!(read.records, kept.records);
        assert!(read.warnings.is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
