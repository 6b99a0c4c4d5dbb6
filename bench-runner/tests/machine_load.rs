//! The machine's load in a real sweep: a `load` line after every block of
//! every family, read from /proc, and every output saying what it was (a
//! warning when steal or the load average was high, by
//! `reports::analysis::load`'s limits); a results file without load lines
//! (written before they were recorded) still reads.

mod common;

use common::{config, finished_sweep};
use reports::analysis::load::{high, LoadSummary};
use reports::results::Results;
use serde_json::Value;

#[test]
fn every_block_records_the_machines_load_and_every_output_says_it() {
    let (dir, results, _) = finished_sweep(&config(
        "styles = [\"link\", \"userspace\"]\nmodes = [\"default\", \"defer-taskrun\"]",
    ));
    let read = Results::read(&results).unwrap();
    if read.loads.is_empty() {
        eprintln!("skip: /proc/stat or /proc/loadavg cannot be read here");
        return;
    }
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    // A line per block of each family: as many as the family's most
    // repeated cell has repetitions.
    for family in [
        "*/default/nop/g2-s4-b2-t1",
        "*/defer-taskrun/nop/g2-s4-b2-t1",
    ] {
        let blocks: Vec<u32> = read
            .loads
            .iter()
            .filter(|l| l.family == family)
            .map(|l| l.block)
            .collect();
        let reps = read
            .records
            .iter()
            .filter(|r| r.cell.mode == family.split('/').nth(1).unwrap())
            .filter_map(|r| r.block)
            .max()
            .unwrap();
        assert_eq!(blocks, (0..=reps).collect::<Vec<_>>(), "{family}");
    }
    for l in &read.loads {
        assert!(
            (0.0..=1.0).contains(&l.steal) && l.load1 >= 0.0 && l.cpus >= 1,
            "{l:?}"
        );
    }
    let summary = LoadSummary::of(&read.loads).unwrap();
    let loaded = read.loads.iter().any(high);
    eprintln!("{}", summary.line());
    let out = results.parent().unwrap();
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let expected = match loaded {
        true => "WARNING: the machine was loaded in",
        false => "machine load: steal up to",
    };
    assert!(report.contains(expected), "{report}");
    let mail = std::fs::read_to_string(out.join("email.txt")).unwrap();
    assert_eq!(
        mail.contains("WARNING: the machine was loaded"),
        loaded,
        "{mail}"
    );
    let bench: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let cell = &bench["link/default/nop/g2-s4-b2-t1"];
    assert!(cell["machine-steal"]["value"].is_number(), "{cell}");
    assert!(cell["machine-load-per-cpu"]["value"].is_number(), "{cell}");
    // Without its load lines (a file from before they were recorded) the
    // file reads as before, and the outputs say nothing of load.
    let old = dir.path().join("old.jsonl");
    let text = std::fs::read_to_string(&results).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"kind\":\"load\""))
        .collect();
    std::fs::write(&old, kept.join("\n") + "\n").unwrap();
    let before = Results::read(&old).unwrap();
    assert!(before.loads.is_empty() && before.warnings.is_empty());
    assert_eq!(before.records.len(), read.records.len());
}
