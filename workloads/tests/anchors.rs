//! Physical anchors measured on the real machine: every anchor has a
//! plausible value, the robust physical relations between them hold, and the
//! calibration accounts for why each anchor stopped and for its time: the
//! budget it was given, what it spent and by how much it overshot.
//!
//! The statistics the sweep judges anchors with live in the reports crate;
//! here the judge is [`spread`], whose interval is the whole range of the
//! samples, so that the stopping rule is exercised on real samples without
//! this crate depending on the reports.

use std::sync::Mutex;
use std::time::Duration;

use workloads::anchors::{
    calibrate, Anchor, AnchorError, Calibration, CACHE_LINE_ROUND_TRIP, DEFAULT_RULE,
    FUTEX_WAKE_ROUND_TRIP, MSG_RING_ROUND_TRIP, SYSCALL,
};
use workloads::placement::{allowed_cpus, pin_to, Placement};
use workloads::sampling::{Estimate, Rule, StopReason};

/// The anchors pin threads to CPUs: calibrations running side by side would
/// disturb each other.
static SERIAL: Mutex<()> = Mutex::new(());

/// The fastest sample (the least disturbed one), with the samples' whole
/// range as its interval: precise only when every sample agrees.
fn spread(samples: &[f64]) -> Estimate {
    let low = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let high = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Estimate {
        median: low,
        low,
        high,
    }
}

fn ns(anchors: &[Anchor], name: &str) -> Option<f64> {
    let anchor = anchors
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no anchor named {name}"));
    match &anchor.measured {
        Ok(sampled) => Some(sampled.estimate.median),
        Err(reason) => {
            eprintln!("skipped {name}: {reason}");
            None
        }
    }
}

/// The default placement of the calling thread's CPUs.
fn placement() -> Placement {
    Placement::spread().expect("this thread may use some CPU")
}

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What every calibration must account for, whatever the machine's speed:
/// the four anchors in order; each measured one stopped either at the
/// precision (and reached it) or on its share of the budget (and spent it);
/// the whole took at least what its anchors took, and its overshoot is what
/// it spent beyond the budget.
fn assert_accounted(calibration: &Calibration) {
    for anchor in &calibration.anchors {
        eprintln!("{anchor:?}");
    }
    eprintln!(
        "calibration spent {:?} of {:?} (overshoot {:?})",
        calibration.spent,
        calibration.rule.budget,
        calibration.overshoot()
    );
    let names: Vec<&str> = calibration.anchors.iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        [
            CACHE_LINE_ROUND_TRIP,
            SYSCALL,
            FUTEX_WAKE_ROUND_TRIP,
            MSG_RING_ROUND_TRIP
        ]
    );
    let share = calibration.rule.budget / 4;
    for anchor in &calibration.anchors {
        let Ok(sampled) = &anchor.measured else {
            continue;
        };
        let e = sampled.estimate;
        assert!(
            sampled.samples >= calibration.rule.min_samples,
            "{anchor:?}"
        );
        assert!(e.low <= e.median && e.median <= e.high, "{anchor:?}");
        match sampled.stop {
            StopReason::Precision => {
                assert!(e.precision() <= calibration.rule.precision, "{anchor:?}")
            }
            StopReason::Budget => assert!(anchor.spent >= share, "{anchor:?}"),
            StopReason::MaxRepetitions => panic!("an anchor has no most samples: {anchor:?}"),
        }
    }
    let anchors_spent: Duration = calibration.anchors.iter().map(|a| a.spent).sum();
    assert!(calibration.spent >= anchors_spent, "{calibration:?}");
    assert_eq!(
        calibration.overshoot(),
        calibration.spent.saturating_sub(calibration.rule.budget)
    );
}

#[test]
fn calibration_is_plausible_and_accounted_for() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let calibration = calibrate(DEFAULT_RULE, &spread, &placement());
    assert_accounted(&calibration);
    let anchors = &calibration.anchors;

    let syscall = ns(anchors, SYSCALL).expect("a bare syscall is always measurable");
    assert!((10.0..100_000.0).contains(&syscall), "syscall {syscall} ns");

    // A futex round trip is at least two wakes and two waits: four syscalls
    // at the very least, and more than one.
    let futex = ns(anchors, FUTEX_WAKE_ROUND_TRIP).expect("futex(2) is always there");
    assert!(
        futex > syscall,
        "futex round trip {futex} ns, syscall {syscall} ns"
    );
    assert!(futex < 10_000_000.0, "futex round trip {futex} ns");

    // Each side enters the kernel at least once per round trip.
    if let Some(msg_ring) = ns(anchors, MSG_RING_ROUND_TRIP) {
        assert!(
            msg_ring > syscall,
            "MSG_RING round trip {msg_ring} ns, syscall {syscall} ns"
        );
        assert!(msg_ring < 10_000_000.0, "MSG_RING round trip {msg_ring} ns");
    }

    match ns(anchors, CACHE_LINE_ROUND_TRIP) {
        Some(line) => {
            assert!(available_cpus() >= 2);
            // Two transfers between cores: more than a few cycles, and far
            // cheaper than a futex hand-off which also has to wake a thread.
            assert!(line > 5.0, "cache-line round trip {line} ns");
            assert!(
                line < futex,
                "cache-line round trip {line} ns, futex {futex} ns"
            );
        }
        None => assert_eq!(available_cpus(), 1, "only a single CPU may skip it"),
    }
}

#[test]
fn a_tiny_budget_stops_every_anchor_on_the_budget_and_records_the_overshoot() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A precision of zero is reached only by bit-identical samples: every
    // anchor samples until its quarter of 2 ms is spent, and past it until it
    // has the minimum samples.
    let rule = Rule {
        precision: 0.0,
        budget: Duration::from_millis(2),
        ..DEFAULT_RULE
    };
    let calibration = calibrate(rule, &spread, &placement());
    assert_accounted(&calibration);
    let mut measured = 0;
    for anchor in &calibration.anchors {
        if let Ok(sampled) = &anchor.measured {
            assert_eq!(sampled.stop, StopReason::Budget, "{anchor:?}");
            measured += 1;
        }
    }
    assert!(ns(&calibration.anchors, SYSCALL).is_some());
    if measured == calibration.anchors.len() {
        // Each anchor spent at least its share, set-up and threads on top.
        assert!(calibration.overshoot() > Duration::ZERO, "{calibration:?}");
    } else {
        eprintln!("{measured} of 4 anchors measured: the overshoot may be zero");
    }
}

#[test]
fn single_cpu_skips_only_the_cache_line_anchor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Affinity is per thread and inherited: confine a thread to one CPU and
    // calibrate from it.
    let (first, calibration) = std::thread::spawn(|| {
        let first = allowed_cpus().unwrap()[0];
        pin_to(first).unwrap();
        let rule = Rule {
            budget: Duration::from_millis(200),
            ..DEFAULT_RULE
        };
        (first, calibrate(rule, &spread, &placement()))
    })
    .join()
    .unwrap();
    assert_accounted(&calibration);
    let anchors = &calibration.anchors;
    let line = anchors
        .iter()
        .find(|a| a.name == CACHE_LINE_ROUND_TRIP)
        .unwrap();
    let expected = format!(
        "not supported: needs two CPUs, the placement puts the submitter and its helper both on CPU {first}"
    );
    let Err(error @ AnchorError::OneCpu(cpu)) = &line.measured else {
        panic!("{line:?}");
    };
    assert_eq!((*cpu, error.to_string()), (first, expected));
    // The other anchors still run, both threads sharing the one CPU.
    for name in [SYSCALL, FUTEX_WAKE_ROUND_TRIP, MSG_RING_ROUND_TRIP] {
        assert!(ns(anchors, name).is_some(), "{name} on one CPU");
    }
}
