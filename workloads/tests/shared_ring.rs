//! Several submitter threads on one ring (`sharing = "shared"`), on real
//! rings: there really is one ring, every lane sees only the CQEs of its own
//! groups (routed by whichever lane reaps), order holds for the ordering
//! styles, unordered submitters are caught, and the set-ups that cannot be
//! shared say why.

use std::sync::Mutex;
mod common;

use common::{run, WATCHDOG};
use results_schema::ReasonCode;
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, CellSpec, Shape, Sharing};
use workloads::op::OpKind;

/// Tests here count the process's io_uring fds: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A cell of 6 groups over 3 submitters sharing (or not) one ring.
fn shared_spec(
    style: &str,
    variant: &str,
    mode: &str,
    op: OpKind,
    forced_async: bool,
    sharing: Sharing,
) -> CellSpec {
    let shape = Shape {
        groups: 6,
        steps: 12,
        batch: 4,
        submitters: 3,
        sharing,
    };
    common::spec(style, variant, mode, op, forced_async, shape)
}

fn io_uring_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy() == "anon_inode:[io_uring]")
        .count()
}

#[test]
fn shared_submitters_use_one_ring() {
    let _serial = SERIAL.lock().unwrap();
    let before = io_uring_fds();
    for (sharing, rings) in [(Sharing::Shared, 1), (Sharing::PerSubmitter, 3)] {
        let cell = shared_spec("link", "", "default", OpKind::Nop, false, sharing);
        let run = CellRun::start(&cell, Cancel::new()).unwrap();
        assert_eq!(io_uring_fds() - before, rings, "{}", sharing.name());
        drop(run);
    }
}

#[test]
fn shared_ring_submitters_keep_order() {
    let _serial = SERIAL.lock().unwrap();
    let styles = [
        ("link", ""),
        ("hardlink", ""),
        ("userspace", ""),
        ("sync-group", "queue"),
        ("sync-group", "append"),
        ("msg-ring", "step"),
        ("futex", "private"),
        ("futex-syscall", ""),
    ];
    let ops = [
        (OpKind::Nop, false),
        (OpKind::Timeout, false),
        (OpKind::Pipe, true),
    ];
    let mut ran = 0;
    for (style, variant) in styles {
        for mode in ["default", "sqpoll", "coop-taskrun"] {
            for (op, forced_async) in ops {
                let cell = shared_spec(style, variant, mode, op, forced_async, Sharing::Shared);
                let Some(result) = run(&cell, 6, WATCHDOG) else {
                    continue;
                };
                let m = result
                    .unwrap_or_else(|e| panic!("{style}:{variant} {mode} {}: {e}", op.name()));
                assert_eq!(m.steps, 6 * 6 * 12);
                ran += 1;
            }
        }
    }
    assert!(ran > 0, "no shared-ring cell could run");
}

#[test]
fn unordered_submitters_on_a_shared_ring_are_caught() {
    let _serial = SERIAL.lock().unwrap();
    let cell = shared_spec(
        "independent",
        "",
        "default",
        OpKind::Timeout,
        false,
        Sharing::Shared,
    );
    for _ in 0..20 {
        match run(&cell, 5, WATCHDOG).expect("default mode applies") {
            Err(CellError::Violation(v)) => {
                assert_ne!(v.expected, v.got);
                return;
            }
            Ok(_) => continue,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    panic!("independent submitters on a shared ring never reordered in 20 tries");
}

#[test]
fn rings_that_cannot_be_shared_say_why() {
    let defer = shared_spec(
        "link",
        "",
        "defer-taskrun",
        OpKind::Nop,
        false,
        Sharing::Shared,
    );
    let unmet = defer.needs().unwrap_err();
    assert_eq!(unmet.code, ReasonCode::UnsupportedCombination, "{unmet}");
    assert!(unmet.reason.contains("single issuer"), "{unmet}");
    let registered = shared_spec(
        "link",
        "",
        "registered-ring",
        OpKind::Nop,
        false,
        Sharing::Shared,
    );
    let unmet = registered.needs().unwrap_err();
    assert_eq!(unmet.code, ReasonCode::UnsupportedCombination, "{unmet}");
    assert!(unmet.reason.contains("registered ring fd"), "{unmet}");
    // One submitter on a "shared" ring is a ring of its own: nothing to refuse.
    let mut alone = registered.clone();
    alone.shape.submitters = 1;
    assert!(alone.needs().is_ok());
}
