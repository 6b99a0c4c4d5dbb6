//! The cross-submission sync styles (sync-group, msg-ring, futex,
//! futex-syscall) on real rings: order holds across batch boundaries in every
//! applicable mode on ops that can reorder; each style broken on purpose is
//! caught by the verifier; missing kernel support is a skip with its reason;
//! and a private io_uring futex wait armed before a process's first extra
//! thread is reported as a lost wakeup, or the test says the kernel woke it.

use std::time::{Duration, Instant};
mod common;

use common::{caps, label, run, shape, spec};
use results_schema::ReasonCode;
use workloads::cell::{CellError, CellSpec};
use workloads::fault_injection;
use workloads::mode::ModeSpec;
use workloads::op::OpKind;

/// Every style × variant this file is about.
const STYLES: &[(&str, &str)] = &[
    ("sync-group", "queue"),
    ("sync-group", "append"),
    ("msg-ring", "group"),
    ("msg-ring", "step"),
    ("futex", "shared"),
    ("futex", "private"),
    ("futex-syscall", ""),
];

/// Whether a failure is one of the two ways a shared SQPOLL round (at most 8
/// SQEs) shows up: order broken, or a wake split from its bump.
fn split_by_shared_rounds(e: &CellError) -> bool {
    match e {
        CellError::Violation(_) => true,
        CellError::Step(why) => {
            why.code() == ReasonCode::LostWakeup && why.to_string().contains("shared SQPOLL round")
        }
        _ => false,
    }
}

/// Each style on a nop and on ops that finish out of order, in every mode it
/// applies to, with shapes whose groups keep appending across batch boundaries.
fn keeps_order(style: &str, variant: &str) {
    let cases = [
        (OpKind::Nop, false, shape(3, 12, 4)),
        (OpKind::Timeout, false, shape(2, 12, 3)),
        (OpKind::Pipe, true, shape(2, 16, 3)),
    ];
    let mut ran = 0;
    for mode in ModeSpec::allowed() {
        for (op, forced_async, shape) in cases {
            let cell = spec(style, variant, &mode, op, forced_async, shape);
            let Some(result) = run(&cell, 8, Duration::from_secs(20)) else {
                continue;
            };
            ran += 1;
            match result {
                Ok(m) => assert_eq!(
                    m.steps,
                    8 * u64::from(shape.groups * shape.steps),
                    "{}",
                    label(&cell)
                ),
                Err(e) if cell.mode.mode.shared_poller && split_by_shared_rounds(&e) => {
                    eprintln!("{}: verified, order broke: {e}", label(&cell));
                }
                Err(e) => panic!("{}: {e}", label(&cell)),
            }
        }
    }
    assert!(ran >= 3, "{style}:{variant} ran in no mode at all");
}

#[test]
fn sync_group_queue_keeps_order() {
    keeps_order("sync-group", "queue");
}

#[test]
fn sync_group_append_keeps_order() {
    keeps_order("sync-group", "append");
}

#[test]
fn msg_ring_keeps_order() {
    keeps_order("msg-ring", "group");
    keeps_order("msg-ring", "step");
}

#[test]
fn futex_keeps_order() {
    keeps_order("futex", "shared");
    keeps_order("futex", "private");
}

#[test]
fn futex_syscall_keeps_order() {
    keeps_order("futex-syscall", "");
}

/// A style broken on purpose must be reported out of order on timeouts of
/// varied length (several tries: a reorder is likely, not certain, per pass).
fn broken_is_caught(style: &str, variant: &str) {
    let mut cell = spec(
        style,
        variant,
        "default",
        OpKind::Timeout,
        false,
        shape(2, 16, 4),
    );
    cell.style =
        fault_injection::broken(style).unwrap_or_else(|| panic!("{style} has no broken build"));
    for _ in 0..30 {
        match run(&cell, 5, Duration::from_secs(20)) {
            Some(Err(CellError::Violation(v))) => {
                assert_ne!(v.expected, v.got);
                return;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("{}: unexpected error {e}", label(&cell)),
            None => panic!("{}: does not apply in default mode", label(&cell)),
        }
    }
    panic!("{} was never caught out of order in 30 tries", label(&cell));
}

#[test]
fn every_style_broken_on_purpose_is_caught() {
    for &(style, variant) in STYLES {
        broken_is_caught(style, variant);
    }
}

#[test]
fn unknown_variants_are_refused() {
    for &(style, _) in STYLES {
        let cell = spec(
            style,
            "turbo",
            "default",
            OpKind::Nop,
            false,
            shape(1, 2, 2),
        );
        let unmet = cell.needs().unwrap_err();
        assert_eq!(unmet.code, ReasonCode::UnsupportedCombination, "{style}");
        assert!(
            unmet.reason.contains("unknown variant `turbo`"),
            "{style}: {unmet}"
        );
    }
}

#[test]
fn not_applicable_pairs_say_why() {
    let cases = [
        ("sync-group", "append", "defer-taskrun", "DEFER_TASKRUN"),
        (
            "futex-syscall",
            "",
            "defer-taskrun+registered-ring",
            "DEFER_TASKRUN",
        ),
        ("futex", "private-fresh", "sqpoll", "SQPOLL thread"),
    ];
    for (style, variant, mode, why) in cases {
        let cell = spec(style, variant, mode, OpKind::Nop, false, shape(1, 2, 2));
        let unmet = cell.needs().unwrap_err();
        assert_eq!(unmet.code, ReasonCode::UnsupportedCombination, "{unmet}");
        assert!(
            unmet.reason.contains(why),
            "{style}:{variant} {mode}: {unmet}"
        );
    }
    // The single-threaded variants do apply to DEFER_TASKRUN.
    for (style, variant) in [
        ("sync-group", "queue"),
        ("msg-ring", "step"),
        ("futex", "shared"),
    ] {
        let cell = spec(
            style,
            variant,
            "defer-taskrun",
            OpKind::Nop,
            false,
            shape(1, 2, 2),
        );
        assert!(cell.needs().is_ok(), "{style}:{variant}");
    }
}

#[test]
fn missing_futex_or_msg_ring_support_is_a_skip_reason() {
    let real = caps();
    if let Some(why) = &real.unavailable {
        eprintln!("skip: io_uring unavailable: {why}");
        return;
    }
    let futex = spec(
        "futex",
        "private",
        "default",
        OpKind::Nop,
        false,
        shape(1, 4, 2),
    );
    let needs = futex.needs().unwrap();
    let without_wait = real
        .clone()
        .without_opcode(io_uring::opcode::FutexWait::CODE);
    let unmet = without_wait.check_all(&needs).unwrap_err();
    assert_eq!(unmet.code, ReasonCode::MissingOpcode, "{unmet}");
    assert!(
        unmet.reason.starts_with("FUTEX_WAIT unsupported (kernel "),
        "{unmet}"
    );
    let msg = spec(
        "msg-ring",
        "step",
        "default",
        OpKind::Nop,
        false,
        shape(1, 4, 2),
    );
    let without_msg = real
        .clone()
        .without_opcode(io_uring::opcode::MsgRingData::CODE);
    let unmet = without_msg.check_all(&msg.needs().unwrap()).unwrap_err();
    assert_eq!(unmet.code, ReasonCode::MissingOpcode, "{unmet}");
    assert!(
        unmet.reason.starts_with("MSG_RING unsupported (kernel "),
        "{unmet}"
    );
    // The rest of the probe is real: with every opcode present the same cells pass.
    match real.check_all(&needs) {
        Ok(()) => {}
        Err(why) => eprintln!("this kernel cannot run futex cells at all: {why}"),
    }
}

/// The cell that arms private waits in a fresh single-threaded process and
/// starts its first extra thread before the wakes: DEFER_TASKRUN issues the
/// bump and wake only when the process waits, after every wait is armed.
fn fresh(scope: &str) -> CellSpec {
    spec(
        "futex",
        &format!("{scope}-fresh"),
        "defer-taskrun",
        OpKind::Nop,
        false,
        shape(2, 8, 2),
    )
}

#[test]
fn private_wait_armed_before_the_first_thread_is_reported_as_lost() {
    let cell = fresh("private");
    let Some(result) = run(&cell, 3, Duration::from_secs(20)) else {
        return;
    };
    match result {
        Err(CellError::Step(why)) => {
            assert_eq!(why.code(), ReasonCode::LostWakeup, "{why}");
            let text = why.to_string();
            assert!(
                text.starts_with("lost wakeup (group ") && text.ends_with(", scope private)"),
                "{why}"
            );
            eprintln!("this kernel lost the wakeup: {why}");
        }
        Ok(_) => eprintln!("this kernel woke the private wait: the lost wakeup is fixed here"),
        Err(e) => panic!("expected a lost wakeup or success, got {e}"),
    }
    // Shared words in the same fresh process are never affected.
    let control = run(&fresh("shared"), 3, Duration::from_secs(20)).unwrap();
    assert!(control.is_ok(), "shared words: {:?}", control.err());
    // Nor are private words armed by the (multi-threaded) runner itself.
    let in_process = spec(
        "futex",
        "private",
        "defer-taskrun",
        OpKind::Nop,
        false,
        shape(2, 8, 2),
    );
    let result = run(&in_process, 3, Duration::from_secs(20)).unwrap();
    assert!(
        result.is_ok(),
        "in-process private words: {:?}",
        result.err()
    );
}

#[test]
fn watchdog_ends_a_lost_wakeup_before_the_style_can_explain_it() {
    // A watchdog shorter than the stall bound: the cell must end as a timeout,
    // promptly, with the forked process killed.
    let cell = fresh("private");
    let watchdog = Duration::from_millis(200);
    let start = Instant::now();
    let Some(result) = run(&cell, 3, watchdog) else {
        return;
    };
    match result {
        Err(CellError::Timeout(d)) => {
            // The watchdog, not the style's 500 ms stall bound, ended it.
            assert_eq!(d, watchdog);
            // Promptly is the behaviour under test: the run must not wait on
            // the forked process once the watchdog fired. The bound is
            // generous (a hundred times the watchdog) so that a loaded
            // machine passes.
            let took = start.elapsed();
            assert!(took < Duration::from_secs(20), "cancelling took {took:?}");
            eprintln!("the watchdog ended the lost wakeup after {took:?}");
        }
        Ok(_) => eprintln!("this kernel woke the private wait: nothing for the watchdog to end"),
        Err(e) => panic!("expected a timeout, got {e}"),
    }
}
