//! Every registered style in every mode, on real rings: ordering styles keep
//! the order on ops that can reorder, and `independent` is caught breaking it,
//! which proves the verifier is not a check that cannot fail.

mod common;

use common::{caps, run, shape, spec, WATCHDOG};
use results_schema::ReasonCode;
use workloads::cell::CellError;
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::style::{Style, STYLES};

fn ordering_styles() -> impl Iterator<Item = (&'static dyn Style, &'static str)> {
    STYLES
        .iter()
        .filter(|s| s.name() != "independent")
        .flat_map(|s| {
            let variants: &'static [&'static str] = if s.variants().is_empty() {
                &[""]
            } else {
                s.variants()
            };
            variants.iter().map(move |v| (*s, *v))
        })
        // Reproductions of a kernel bug in a forked process (see sync_styles.rs).
        .filter(|(_, v)| !["shared-fresh", "private-fresh"].contains(v))
}

#[test]
fn every_ordering_style_keeps_order_in_every_mode() {
    let cases = [
        (OpKind::Nop, false, shape(3, 8, 4)),
        (OpKind::Timeout, false, shape(2, 6, 4)),
        (OpKind::Pipe, true, shape(2, 8, 3)),
    ];
    let mut ran = 0;
    for (style, variant) in ordering_styles() {
        // Shared SQPOLL splits chains at its per-ring round cap: see
        // `shared_sqpoll_splits_chains_longer_than_its_round`.
        for mode in ModeSpec::allowed()
            .into_iter()
            .filter(|m| !m.starts_with("sqpoll-shared"))
        {
            for (op, forced_async, shape) in cases {
                let cell = spec(style.name(), variant, &mode, op, forced_async, shape);
                if let Some(result) = run(&cell, 3, WATCHDOG) {
                    let m = result.unwrap_or_else(|e| {
                        panic!("{}:{variant} {mode} {}: {e}", style.name(), op.name())
                    });
                    assert_eq!(m.steps, 3 * u64::from(shape.groups * shape.steps));
                    assert!(m.wall_ns > 0 && m.cpu_ns > 0);
                    ran += 1;
                }
            }
        }
    }
    assert!(ran > 0, "no style could run at all");
}

#[test]
fn verifier_catches_independent_reordering_while_link_passes() {
    let independent = "independent";
    let link = "link";
    // Timeouts of varied length finish out of submission order every time
    // when a group's steps are armed together: one submission holds the
    // whole stream, so no scheduling delay between submissions can let an
    // earlier, longer timeout expire before the next is armed.
    let shape = shape(4, 32, 4 * 32);
    let broken = run(
        &spec(independent, "", "default", OpKind::Timeout, false, shape),
        5,
        WATCHDOG,
    )
    .expect("default mode is supported");
    match broken {
        Err(CellError::Violation(v)) => assert_ne!(v.expected, v.got),
        other => panic!("independent on timeouts was not caught: {other:?}"),
    }
    let ok = run(
        &spec(link, "", "default", OpKind::Timeout, false, shape),
        5,
        WATCHDOG,
    )
    .unwrap();
    assert!(ok.is_ok(), "link on timeouts: {:?}", ok.err());
}

/// A kernel behaviour the tool surfaces: a SQPOLL thread shared by several rings
/// (IORING_SETUP_ATTACH_WQ) takes at most 8 SQEs of a ring per round, and a link
/// chain cut at that cap is submitted as two chains that run in parallel. Chains
/// that fit in a round, and drain, keep their order.
#[test]
fn shared_sqpoll_splits_chains_longer_than_its_round() {
    let link = "link";
    let cell = spec(
        link,
        "",
        "sqpoll-shared",
        OpKind::Nop,
        false,
        shape(1, 16, 16),
    );
    // The cut halves race each other: their order broke within a few dozen
    // passes in every run seen, but not in every 20. The first violation ends
    // the run, so the many passes cost only a run that keeps its order.
    let Some(result) = run(&cell, 5000, WATCHDOG) else {
        return;
    };
    match result {
        Err(CellError::Violation(v)) => {
            eprintln!("16-step chain on a shared poller: {v}");
            // Usually "expected 0, got 8": the second half ran first. Either
            // way a step of the second half overtook one of the first.
            assert!(
                v.group == 0 && v.expected < 8 && v.got >= 8,
                "not the two halves of a chain cut at 8 SQEs: {v}"
            );
        }
        other => panic!("a 16-step chain on a shared SQPOLL kept its order: {other:?}"),
    }
    let fits = spec(
        link,
        "",
        "sqpoll-shared",
        OpKind::Nop,
        false,
        shape(1, 16, 8),
    );
    assert!(
        run(&fits, 20, WATCHDOG).unwrap().is_ok(),
        "8-step chains fit in one round"
    );
    let drain = spec(
        "drain",
        "",
        "sqpoll-shared",
        OpKind::Nop,
        false,
        shape(1, 16, 16),
    );
    assert!(
        run(&drain, 20, WATCHDOG).unwrap().is_ok(),
        "drain keeps order on a shared poller"
    );
}

#[test]
fn sqpoll_cpu_time_is_counted() {
    let cell = spec(
        "userspace",
        "",
        "sqpoll",
        OpKind::Timeout,
        false,
        shape(1, 16, 1),
    );
    let Some(result) = run(&cell, 50, WATCHDOG) else {
        return;
    };
    let m = result.unwrap();
    // The application thread sleeps in the wait for each 1-20 us timeout; the
    // SQPOLL thread spins all along, and its time must be in the process's CPU time.
    assert!(
        m.cpu_ns as f64 > 0.5 * m.wall_ns as f64,
        "cpu {} ns vs wall {} ns: the SQPOLL thread is not counted",
        m.cpu_ns,
        m.wall_ns
    );
}

#[test]
fn missing_opcode_is_a_skip_reason() {
    let caps = caps().clone();
    if caps.unavailable.is_some() {
        eprintln!("skip: io_uring unavailable: {:?}", caps.unavailable);
        return;
    }
    let caps = caps.without_opcode(io_uring::opcode::Timeout::CODE);
    let cell = spec(
        "link",
        "",
        "default",
        OpKind::Timeout,
        false,
        shape(1, 2, 2),
    );
    let unmet = cell.needs().and_then(|n| caps.check_all(&n)).unwrap_err();
    assert_eq!(unmet.code, ReasonCode::MissingOpcode, "{unmet}");
    assert!(
        unmet.reason.starts_with("TIMEOUT unsupported (kernel "),
        "{unmet}"
    );
}
