//! The raw reference loop on real rings: it runs every style it covers in
//! every mode this machine supports and keeps the order its checked variant
//! verifies; cells it does not cover say why.

mod common;

use common::{caps, label, shape, spec, tasks};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use workloads::cell::{CellError, CellSpec, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::placement::{allowed_cpus, Placement};
use workloads::reference::{applies, run_placed, NoReference, ReferenceRun};

const STYLES: [&str; 5] = ["independent", "link", "hardlink", "drain", "userspace"];

#[test]
fn the_reference_keeps_order_in_every_mode() {
    // Chains of at most 8 steps per batch: a shared SQPOLL thread cuts longer
    // ones (see styles.rs), in the raw loop as in the styles.
    let shapes = [
        shape(1, 16, 4),
        shape(4, 16, 4),
        shape(3, 7, 5),
        shape(4, 2, 64),
    ];
    let never = AtomicBool::new(false);
    let mut ran = 0;
    for mode in ModeSpec::allowed() {
        for style in STYLES {
            for shape in shapes {
                let cell = spec(style, "", &mode, OpKind::Nop, false, shape);
                assert_eq!(applies(&cell), Ok(()), "{}", label(&cell));
                if let Err(reason) = cell.needs().and_then(|n| caps().check_all(&n)) {
                    eprintln!("skip {}: {reason}", label(&cell));
                    continue;
                }
                let what = format!("{} {shape:?}", label(&cell));
                let mut run = ReferenceRun::start(&cell).unwrap_or_else(|e| panic!("{what}: {e}"));
                for passes in [1, 5] {
                    let m = run
                        .measure(passes, &never)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(m.passes, passes, "{what}");
                    assert_eq!(
                        m.steps,
                        passes * u64::from(shape.groups * shape.steps),
                        "{what}"
                    );
                    assert!(m.wall_ns > 0 && m.checked_wall_ns > 0, "{what}: {m:?}");
                }
                ran += 1;
            }
        }
    }
    assert!(ran > 0, "the reference could run in no mode at all");
}

#[test]
fn a_set_interrupt_stops_the_reference_between_passes() {
    let cell = spec("link", "", "default", OpKind::Nop, false, shape(2, 8, 4));
    let mut run = ReferenceRun::start(&cell).unwrap();
    let interrupt = AtomicBool::new(true);
    assert!(matches!(
        run.measure(1_000, &interrupt),
        Err(CellError::Interrupted)
    ));
}

#[test]
fn cells_without_a_reference_say_why() {
    let one = shape(2, 8, 4);
    let two = Shape {
        submitters: 2,
        sharing: Sharing::PerSubmitter,
        ..one
    };
    let cases = [
        (
            spec("sync-group", "queue", "default", OpKind::Nop, false, one),
            NoReference::Style("sync-group:queue".into()),
        ),
        (
            spec("futex-syscall", "", "default", OpKind::Nop, false, one),
            NoReference::Style("futex-syscall".into()),
        ),
        (
            spec("link", "", "default", OpKind::Pipe, false, one),
            NoReference::Op("pipe"),
        ),
        (
            spec("drain", "", "default", OpKind::Nop, true, one),
            NoReference::ForcedAsync,
        ),
        (
            spec("userspace", "", "default", OpKind::Nop, false, two),
            NoReference::Submitters(2),
        ),
    ];
    for (cell, why) in cases {
        assert_eq!(applies(&cell), Err(why.clone()), "{}", label(&cell));
        match ReferenceRun::start(&cell) {
            Err(CellError::Setup(message)) => assert_eq!(message, why.to_string()),
            Err(e) => panic!("{}: {e}", label(&cell)),
            Ok(_) => panic!("{}: started a reference it has not", label(&cell)),
        }
    }
}

/// The checked variant catches what the kernel really does: a SQPOLL thread
/// shared by several rings takes at most 8 SQEs of a ring per round and runs
/// a 16-step chain cut there as two chains (see styles.rs), raw loop or not.
/// Which half finishes first is a race that the raw loop loses less often
/// than the styles (here within a few dozen passes): it gets 2000.
#[test]
fn the_checked_reference_catches_a_chain_cut_by_a_shared_poller() {
    let cell = spec(
        "link",
        "",
        "sqpoll-shared",
        OpKind::Nop,
        false,
        shape(1, 16, 16),
    );
    if let Err(reason) = cell.needs().and_then(|n| caps().check_all(&n)) {
        eprintln!("skip {}: {reason}", label(&cell));
        return;
    }
    let mut run = ReferenceRun::start(&cell).unwrap();
    match run.measure(2000, &AtomicBool::new(false)) {
        Err(CellError::Violation(v)) => {
            eprintln!("16-step chain on a shared poller, raw loop: {v}");
            assert!(
                v.group == 0 && v.expected < 8 && v.got >= 8,
                "not the two halves of a chain cut at 8 SQEs: {v}"
            );
        }
        other => panic!("a 16-step chain on a shared SQPOLL kept its order: {other:?}"),
    }
}

/// `run_placed` runs the loop where the cell's submitter runs and its SQPOLL
/// thread where the cell's runs, as `/proc/self/task` shows: here with a
/// declared placement that puts them on the last and the first CPU. The
/// SQPOLL threads counted are the ones the reference thread started (named
/// after it), not those of the other tests of this binary.
#[test]
fn the_placed_reference_runs_on_the_cells_cpus() {
    let cpus = allowed_cpus().unwrap();
    if cpus.len() < 2 {
        eprintln!("skip: placement needs two CPUs this process may use, it has {cpus:?}");
        return;
    }
    let (submitter, sqpoll) = (cpus[cpus.len() - 1], cpus[0]);
    let placement = Placement::declared(Some(vec![submitter]), Some(sqpoll), None).unwrap();
    for mode in ["default", "sqpoll", "sqpoll-shared"] {
        let cell = CellSpec {
            placement: placement.clone(),
            fsync_dir: std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR),
            ..spec("link", "", mode, OpKind::Nop, false, shape(2, 8, 4))
        };
        if let Err(reason) = cell.needs().and_then(|n| caps().check_all(&n)) {
            eprintln!("skip {}: {reason}", label(&cell));
            continue;
        }
        let found = run_placed(&cell, |run| {
            run.measure(1, &AtomicBool::new(false))?;
            // SAFETY: gettid has no preconditions.
            let me = unsafe { libc::gettid() } as u32;
            // A new SQPOLL thread names and pins itself once it first runs.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let tasks = tasks();
                let pollers: Vec<Vec<usize>> = tasks
                    .values()
                    .filter(|(comm, _)| *comm == format!("iou-sqp-{me}"))
                    .map(|(_, cpus)| cpus.clone())
                    .collect();
                let pinned = pollers.iter().all(|c| *c == vec![sqpoll]);
                if (pinned && !pollers.is_empty())
                    || !cell.mode.mode.sqpoll
                    || Instant::now() > deadline
                {
                    return Ok((tasks[&me].clone(), pollers));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
        .unwrap_or_else(|e| panic!("{}: {e}", label(&cell)));
        let ((name, own), pollers) = found;
        assert_eq!(
            (name.as_str(), own),
            ("reference", vec![submitter]),
            "{}",
            label(&cell)
        );
        let expected = if cell.mode.mode.sqpoll {
            vec![vec![sqpoll]]
        } else {
            vec![]
        };
        assert_eq!(
            pollers,
            expected,
            "{}: the SQPOLL threads' CPUs",
            label(&cell)
        );
    }
}
