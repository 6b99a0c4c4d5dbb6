//! The resume logic over parsed records: what a results file already holds
//! of each cell, which of its repetitions run again, and the refusal of a
//! file written with another config. No ring is built.

use super::*;
use reports::schema::{Header, Machine, Tool, SCHEMA_VERSION};

const CONFIG: &str = r#"
styles = ["link", "drain"]
modes = ["default"]
ops = ["nop"]
groups = [1]
steps = [8]
batch = [8]
repetitions = 10
min_repetitions = 3
"#;

fn config() -> Config {
    Config::parse(CONFIG).expect("the test config is valid")
}

fn header(config_hash: &str) -> Header {
    Header {
        schema: SCHEMA_VERSION,
        tool: Tool {
            version: "0".into(),
            commit: "x".into(),
        },
        machine: Machine {
            hostname: "h".into(),
            kernel: "6.18".into(),
            cpu_model: "cpu".into(),
            cpus: 2,
            mitigations: Default::default(),
            emulated: false,
            kernel_package: None,
            fsync_dir: None,
        },
        io_uring: Default::default(),
        run: RunInfo {
            config_path: "c.toml".into(),
            config_hash: config_hash.into(),
            started_unix: 0,
            command: vec![],
            reproduce: None,
            config_lines: None,
        },
        anchors: vec![],
        calibration: None,
        registry: None,
    }
}

fn results(config_hash: &str, records: Vec<CellRecord>) -> Results {
    Results {
        path: PathBuf::from("out/results.jsonl"),
        header: header(config_hash),
        records,
        repros: vec![],
        loads: vec![],
        warnings: vec![],
    }
}

/// A timing line of repetition `rep` at `ns` ns/step over 1 ms.
fn timed(cell: &PlannedCell, rep: u32, ns: f64) -> CellRecord {
    let mut line = line_of(cell, Pass::Timing, rep, Status::Ok);
    line.timing = Some(Timing {
        iterations: 1,
        steps: 8,
        wall_ns: 1_000_000,
        cpu_ns: 1_000_000,
        ns_per_step: ns,
        cpu_ns_per_step: ns,
    });
    line
}

fn referenced(cell: &PlannedCell, rep: u32, plain: f64, checked: f64) -> CellRecord {
    let mut line = line_of(cell, Pass::Reference, rep, Status::Ok);
    line.reference_timing = Some(ReferenceTiming {
        iterations: 1,
        steps: 8,
        wall_ns: 1,
        ns_per_step: plain,
        checked_wall_ns: 1,
        checked_ns_per_step: checked,
    });
    line
}

#[test]
fn ok_repetitions_are_kept_in_file_order_and_interrupted_ones_forgotten() {
    let cells = plan(&config(), None);
    let link = &cells[0];
    let done = done_by_cell(&results(
        "h",
        vec![
            timed(link, 0, 100.0),
            referenced(link, 0, 50.0, 55.0),
            timed(link, 1, 110.0),
            line_of(link, Pass::Timing, 2, Status::Interrupted),
            line_of(link, Pass::Reference, 2, Status::Interrupted),
        ],
    ));
    let d = &done[&link.name];
    assert_eq!(d.ok, [(0, 100.0), (1, 110.0)]);
    assert_eq!(d.spent_ns, 2_000_000);
    assert_eq!(d.reference, [(0, 50.0, 55.0)]);
    assert!(!d.reference_failed && !d.finished && !d.profiled);
    assert!(!d.complete(3));
    assert!(
        !done.contains_key(&cells[1].name),
        "a cell with no line has none"
    );
}

#[test]
fn a_cell_is_complete_when_failed_skipped_or_profiled_with_no_gap() {
    let cells = plan(&config(), None);
    let link = &cells[0];
    let done_of = |records: Vec<CellRecord>| -> Done {
        done_by_cell(&results("h", records))
            .remove(&link.name)
            .expect("the cell has lines")
    };
    let mut whole: Vec<CellRecord> = (0..3).map(|rep| timed(link, rep, 100.0)).collect();
    whole.push(line_of(link, Pass::Profile, 0, Status::Ok));
    assert!(done_of(whole.clone()).complete(3));
    assert!(
        !done_of(whole.clone()).complete(4),
        "fewer than the minimum"
    );

    let mut gap = whole.clone();
    gap.remove(1);
    assert!(
        !done_of(gap).complete(2),
        "repetition 1 was lost: run again"
    );

    let unprofiled = whole[..3].to_vec();
    assert!(!done_of(unprofiled).complete(3), "no final line yet");

    for status in [Status::Failed, Status::Skipped] {
        let d = done_of(vec![line_of(link, Pass::Timing, 0, status)]);
        assert!(d.finished && d.complete(3), "{status:?} is final");
    }
}

#[test]
fn a_resumed_cell_runs_only_its_missing_repetitions() {
    let cells = plan(&config(), None);
    let link = &cells[0];
    let done = done_by_cell(&results(
        "h",
        vec![
            timed(link, 0, 100.0),
            timed(link, 2, 120.0),
            referenced(link, 0, 50.0, 55.0),
        ],
    ));
    let a = Active::resumed(link, &done[&link.name], true);
    let redone: Vec<u32> = (0..4).filter(|rep| !a.reps.contains(rep)).collect();
    assert_eq!(redone, [1, 3]);
    assert_eq!(a.samples, [(0, 100.0), (2, 120.0)], "by block");
    assert_eq!(a.spent_ns, 2_000_000);
    assert!(a.running() && !a.profiled);
    let reference = a.reference.as_ref().expect("the reference goes on");
    assert_eq!(
        (&reference.plain[..], &reference.checked[..]),
        (&[(0, 50.0)][..], &[55.0][..])
    );
    assert!(
        reference.has(0) && !reference.has(1),
        "block 1's loop runs again"
    );

    let off = Active::resumed(link, &done[&link.name], false);
    assert!(
        off.reference.is_none(),
        "a cell without a reference gets none"
    );
}

#[test]
fn a_failed_reference_is_not_run_again() {
    let cells = plan(&config(), None);
    let link = &cells[0];
    let done = done_by_cell(&results(
        "h",
        vec![
            timed(link, 0, 100.0),
            line_of(link, Pass::Reference, 0, Status::Failed),
        ],
    ));
    let d = &done[&link.name];
    assert!(d.reference_failed && !d.finished, "the cell itself goes on");
    assert!(Active::resumed(link, d, true).reference.is_none());
}

#[test]
fn a_file_of_another_config_is_refused() {
    let config = config();
    let source = ConfigSource::File("sweep.toml".into());
    let existing = results("another hash", vec![]);
    let refusal = resume_from(&existing, &source, &config)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        refusal.as_deref(),
        Some(
            format!(
                "out/results.jsonl: written with config hash another hash, but sweep.toml \
                 hashes to {}; resume needs the same config",
                config.hash
            )
            .as_str()
        )
    );
    let link = &plan(&config, None)[0];
    let same = results(&config.hash, vec![timed(link, 0, 100.0)]);
    let done = resume_from(&same, &source, &config).expect("same config resumes");
    assert_eq!(done[&link.name].ok, [(0, 100.0)]);
}

#[test]
fn the_reference_summary_states_the_overhead_over_the_plain_loop() {
    // Unpaired (too few blocks pair up): the cell's median over the loop's.
    let reference = Reference {
        iterations: None,
        plain: vec![(0, 50.0), (1, 40.0), (2, 60.0)],
        checked: vec![60.0, 44.0, 70.0],
    };
    let s = reference.summary(&[(7, 100.0)]).expect("three repetitions");
    assert_eq!(s.repetitions, 3);
    assert_eq!((s.ns_per_step, s.checked_ns_per_step), (50.0, 60.0));
    assert_eq!(s.order_check_ns_per_step, 10.0);
    assert_eq!(s.harness_overhead, 2.0);
    // Paired: the median of the per-block ratios, which a drift between
    // blocks does not move.
    let cell = [(0, 110.0), (1, 88.0), (2, 132.0)];
    let paired = reference.summary(&cell).expect("three blocks");
    assert!((paired.harness_overhead - 2.2).abs() < 1e-12, "{paired:?}");
    let none = Reference {
        iterations: None,
        plain: vec![],
        checked: vec![],
    };
    assert!(none.summary(&cell).is_none());
}
