//! The ops of real I/O (`fsync`, `copy`, `socket:unix`, `socket:tcp`) on real
//! rings: every ordering style keeps their order, steps of two SQEs included,
//! in the modes the styles are measured in; `independent` is caught breaking
//! the order where the kernel really reorders them; `fsync` runs only on a
//! file system whose fsync writes, and says so when there is none.

mod common;

use common::{caps, label, run, shape, spec, WATCHDOG};
use std::path::Path;
use workloads::cell::CellError;
use workloads::op::{OpKind, SocketKind, DEFAULT_FSYNC_DIR};
use workloads::probe::Need;
use workloads::style::STYLES;

const REAL_OPS: [OpKind; 4] = [
    OpKind::Fsync,
    OpKind::Copy,
    OpKind::Socket(SocketKind::Unix),
    OpKind::Socket(SocketKind::Tcp),
];

/// Passes of `cell`, one per fresh set-up, that broke the order, out of `tries`.
fn reordered(cell: &workloads::cell::CellSpec, tries: u32) -> Option<u32> {
    let mut broken = 0;
    for _ in 0..tries {
        match run(cell, 1, WATCHDOG)? {
            Err(CellError::Violation(v)) => {
                assert_ne!(v.expected, v.got, "{}: {v}", label(cell));
                broken += 1;
            }
            Ok(_) => {}
            Err(e) => panic!("{}: {e}", label(cell)),
        }
    }
    Some(broken)
}

fn ordering_styles() -> impl Iterator<Item = (&'static str, &'static str)> {
    STYLES
        .iter()
        .filter(|s| s.orders())
        .flat_map(|s| {
            let variants: &'static [&'static str] = if s.variants().is_empty() {
                &[""]
            } else {
                s.variants()
            };
            variants.iter().map(move |v| (s.name(), *v))
        })
        // Reproductions of a kernel bug in a forked process (see sync_styles.rs).
        .filter(|(_, v)| !["shared-fresh", "private-fresh"].contains(v))
}

/// Every ordering style, in the two modes the real ops are measured in, on
/// every real op: steps of two linked SQEs (`fsync`, `copy`) and sends on a
/// stream, with a group spanning several batches and, for the data ops
/// that can be, their SQEs forced to io-wq.
#[test]
fn every_ordering_style_keeps_the_order_of_real_ops() {
    let mut ran = 0;
    for (style, variant) in ordering_styles() {
        for mode in ["default", "defer-taskrun"] {
            for op in REAL_OPS {
                for forced_async in [false, true] {
                    let cell = spec(style, variant, mode, op, forced_async, shape(2, 6, 4));
                    if let Some(result) = run(&cell, 2, WATCHDOG) {
                        let m = result.unwrap_or_else(|e| panic!("{}: {e}", label(&cell)));
                        assert_eq!(m.steps, 2 * 2 * 6, "{}", label(&cell));
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 0, "no style could run a real op at all");
}

/// The positive control on real ops: `independent` on `fsync` has every
/// group's steps in flight together, each WRITE + FSYNC blocking on the
/// disk in its own io-wq worker, so they finish out of order and the
/// verifier must say so. On `copy` and `socket:*` (forced to io-wq, the
/// whole group in flight) the kernel seldom or never breaks the order (on
/// Linux 6.18, 2 CPUs: copy 1 pass in 20, the sockets none in 100): a send
/// or a page-cache read does not block, so io-wq mostly runs them in queue
/// order, and file writes are serialised per inode. Those are counted and
/// printed, not passed off as controls.
#[test]
fn independent_is_caught_reordering_fsync_and_the_others_are_counted() {
    let tries = 5;
    for forced_async in [false, true] {
        let cell = spec(
            "independent",
            "",
            "default",
            OpKind::Fsync,
            forced_async,
            shape(1, 32, 32),
        );
        let Some(broken) = reordered(&cell, tries) else {
            continue;
        };
        eprintln!("{}: {broken} of {tries} passes reordered", label(&cell));
        assert!(
            broken > 0,
            "{}: the verifier caught no reordering",
            label(&cell)
        );
    }
    for op in [
        OpKind::Copy,
        OpKind::Socket(SocketKind::Unix),
        OpKind::Socket(SocketKind::Tcp),
    ] {
        let mut cell = spec("independent", "", "default", op, true, shape(1, 256, 256));
        cell.ring_entries = 256;
        if let Some(broken) = reordered(&cell, tries) {
            eprintln!("{}: {broken} of {tries} passes reordered", label(&cell));
        }
    }
}

/// `fsync` writes where its fsync reaches a disk: its directory passes the
/// file system check, or the cell is skipped with that check's reason.
#[test]
fn fsync_runs_on_a_file_system_whose_fsync_writes() {
    let dir = std::path::PathBuf::from(DEFAULT_FSYNC_DIR);
    assert!(OpKind::Fsync
        .needs(&dir)
        .contains(&Need::DurableDir(dir.clone())));
    if let Err(unmet) = caps().check(&Need::DurableDir(dir.clone())) {
        eprintln!("skip: {unmet}");
        assert_eq!(unmet.code, results_schema::ReasonCode::NoDurableFs);
        return;
    }
    let cell = spec("link", "", "default", OpKind::Fsync, false, shape(1, 4, 4));
    let m = run(&cell, 2, WATCHDOG)
        .expect("its needs are met")
        .expect("link keeps fsync in order");
    assert_eq!(m.steps, 8);
}

/// The skip path: a tmpfs directory (/dev/shm), whose fsync does nothing,
/// and a directory that does not exist are refused with `no_durable_fs`.
#[test]
fn fsync_on_tmpfs_or_a_missing_directory_is_a_recorded_skip() {
    let shm = Path::new("/dev/shm");
    match workloads::durable::durable_dir(shm) {
        Ok(()) => eprintln!("skip the tmpfs case: /dev/shm is not tmpfs here"),
        Err(_) => {
            let unmet = caps()
                .check(&Need::DurableDir(shm.into()))
                .expect_err("tmpfs is refused");
            assert_eq!(unmet.code, results_schema::ReasonCode::NoDurableFs);
            assert!(unmet.reason.contains("tmpfs"), "{unmet}");
        }
    }
    let missing = Path::new("/nonexistent/uring-syncbench");
    let unmet = caps()
        .check(&Need::DurableDir(missing.into()))
        .expect_err("a missing directory is refused");
    assert_eq!(unmet.code, results_schema::ReasonCode::NoDurableFs);
    assert!(unmet.reason.contains("ENOENT"), "{unmet}");
}
