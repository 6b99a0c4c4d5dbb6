//! Thread placement on the real kernel: every thread a cell starts (its
//! submitters, the `iou-sqp-*` SQPOLL threads of its rings, the helpers of its
//! style) exists as declared and runs on the CPU its placement gives it, as
//! `/proc/self/task/*/{comm,status}` show, for the default spread and for a
//! declared placement that mirrors it.
//!
//! One test function: threads that other tests of this binary started would
//! be counted as the cell's.

mod common;

use common::{caps, label, shape, spec, tasks, WATCHDOG};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, CellSpec, Sharing};
use workloads::op::OpKind;
use workloads::placement::{allowed_cpus, Placement};
use workloads::style::STYLES;
use workloads::threads::CellThreads;

/// How the SQPOLL threads' names start (`iou-sqp-` and the creating thread's id).
const SQPOLL: &str = "iou-sqp";

/// (thread name, its one CPU) of every thread `cell` should start, sorted.
fn declared(cell: &CellSpec) -> Vec<(String, Vec<usize>)> {
    let threads = CellThreads::of(cell);
    let mut out: Vec<(String, Vec<usize>)> = (0..)
        .zip(&threads.submitters)
        .map(|(i, &cpu)| (format!("submitter-{i}"), vec![cpu]))
        .collect();
    if let Some(sqpoll) = threads.sqpoll {
        out.extend((0..sqpoll.pollers).map(|_| (SQPOLL.to_string(), vec![sqpoll.cpu])));
    }
    for placed in &threads.helpers {
        let name = placed.helper.role.name().to_string();
        out.extend(placed.cpus.iter().map(|&cpu| (name.clone(), vec![cpu])));
    }
    out.sort();
    out
}

/// The threads started since `before` (io-wq workers aside: they are left
/// unpinned), sorted, with SQPOLL threads under one name.
fn started_since(before: &BTreeSet<u32>) -> Vec<(String, Vec<usize>)> {
    let mut found: Vec<(String, Vec<usize>)> = tasks()
        .into_iter()
        .filter(|(tid, (comm, _))| !before.contains(tid) && !comm.starts_with("iou-wrk-"))
        .map(|(_, (comm, cpus))| match comm.starts_with(SQPOLL) {
            true => (SQPOLL.to_string(), cpus),
            false => (comm, cpus),
        })
        .collect();
    found.sort();
    found
}

/// Starts `cell` and compares the threads it added with the declared ones,
/// then runs a pass with them pinned. Returns whether the cell could run here.
fn check(cell: &CellSpec) -> bool {
    if let Err(reason) = cell.needs().and_then(|n| caps().check_all(&n)) {
        eprintln!("skip {} t{}: {reason}", label(cell), cell.shape.submitters);
        return false;
    }
    let expected = declared(cell);
    let before: BTreeSet<u32> = tasks().into_keys().collect();
    let mut run =
        CellRun::start(cell, Cancel::new()).unwrap_or_else(|e| panic!("{}: {e}", label(cell)));
    // A new SQPOLL thread names and pins itself once it first runs: give it
    // that chance (any mismatch still shows after the deadline).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut found = started_since(&before);
    while found != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
        found = started_since(&before);
    }
    assert_eq!(
        found,
        expected,
        "{} t{}: threads found (left) and declared (right)",
        label(cell),
        cell.shape.submitters
    );
    match run.run(1, WATCHDOG, &AtomicBool::new(false)) {
        // A shared SQPOLL round may split a chain: that is the mode, not the placement.
        Ok(_) | Err(CellError::Violation(_)) => {}
        Err(e) => panic!("{}: {e}", label(cell)),
    }
    true
}

/// Every style variant's cells in `modes`, with `placement`; the `*-fresh`
/// variants run their helper in a forked process, outside this one's tasks.
fn cells(modes: &[&str], placement: &Placement) -> Vec<CellSpec> {
    let mut out = Vec::new();
    for style in STYLES {
        let variants: Vec<&str> = match style.variants() {
            [] => vec![""],
            v => v
                .iter()
                .copied()
                .filter(|v| !v.ends_with("-fresh"))
                .collect(),
        };
        for variant in variants {
            for mode in modes {
                let mut cell = spec(
                    style.name(),
                    variant,
                    mode,
                    OpKind::Nop,
                    false,
                    shape(2, 8, 4),
                );
                cell.placement = placement.clone();
                out.push(cell);
            }
        }
    }
    out
}

#[test]
fn every_thread_runs_on_the_cpu_its_placement_declares() {
    let cpus = allowed_cpus().unwrap();
    if cpus.len() < 2 {
        eprintln!(
            "skipped: this process may use one CPU ({cpus:?}), so every placement is the same"
        );
        return;
    }
    let spread = Placement::spread().unwrap();
    let (first, last) = (cpus[0], cpus[cpus.len() - 1]);
    // The spread starts with the first CPU; this puts the submitters last.
    let mirrored = Placement::declared(Some(vec![last]), Some(first), Some(vec![first])).unwrap();
    let modes = ["default", "sqpoll", "sqpoll-shared"];
    let mut ran = 0;
    for placement in [&spread, &mirrored] {
        for cell in cells(&modes, placement) {
            ran += usize::from(check(&cell));
        }
        // Several submitters: a ring (and poller) each, or one shared.
        for (style, variant, sharing) in [
            ("link", "", Sharing::PerSubmitter),
            ("link", "", Sharing::Shared),
            ("msg-ring", "group", Sharing::PerSubmitter),
            ("futex-syscall", "", Sharing::PerSubmitter),
        ] {
            for mode in ["default", "sqpoll"] {
                let mut two = shape(4, 8, 4);
                two.submitters = 2;
                two.sharing = sharing;
                let mut cell = spec(style, variant, mode, OpKind::Nop, false, two);
                cell.placement = placement.clone();
                ran += usize::from(check(&cell));
            }
        }
    }
    assert!(ran > 0, "no cell could run on this machine");
    eprintln!("{ran} cells: every thread on its declared CPU");
}
