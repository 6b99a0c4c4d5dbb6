//! Physical anchors measured on the real machine: every anchor has a
//! plausible value, and the robust physical relations between them hold.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use workloads::anchors::{
    calibrate, Anchor, CACHE_LINE_ROUND_TRIP, DEFAULT_BUDGET, FUTEX_WAKE_ROUND_TRIP,
    MSG_RING_ROUND_TRIP, SYSCALL,
};
use workloads::placement::{allowed_cpus, pin_to, Placement};

/// The anchors pin threads to CPUs: calibrations running side by side would
/// disturb each other.
static SERIAL: Mutex<()> = Mutex::new(());

fn ns(anchors: &[Anchor], name: &str) -> Option<f64> {
    let anchor = anchors
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no anchor named {name}"));
    if let Some(reason) = &anchor.unsupported {
        eprintln!("skipped {name}: {reason}");
    }
    anchor.ns
}

/// The default placement of the calling thread's CPUs.
fn placement() -> Placement {
    Placement::spread().expect("this thread may use some CPU")
}

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn calibration_is_plausible_and_within_budget() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let anchors = calibrate(DEFAULT_BUDGET, &placement());
    let took = started.elapsed();
    eprintln!("calibration took {took:?}");
    for anchor in &anchors {
        eprintln!("{anchor:?}");
    }
    assert!(took < Duration::from_secs(3), "calibration took {took:?}");

    let names: Vec<&str> = anchors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            CACHE_LINE_ROUND_TRIP,
            SYSCALL,
            FUTEX_WAKE_ROUND_TRIP,
            MSG_RING_ROUND_TRIP
        ]
    );
    for anchor in &anchors {
        assert_eq!(
            anchor.ns.is_some(),
            anchor.unsupported.is_none(),
            "{anchor:?}"
        );
        if anchor.ns.is_some() {
            assert!(anchor.samples >= 5, "{anchor:?}");
        }
    }

    let syscall = ns(&anchors, SYSCALL).expect("a bare syscall is always measurable");
    assert!((10.0..100_000.0).contains(&syscall), "syscall {syscall} ns");

    // A futex round trip is at least two wakes and two waits: four syscalls
    // at the very least, and more than one.
    let futex = ns(&anchors, FUTEX_WAKE_ROUND_TRIP).expect("futex(2) is always there");
    assert!(
        futex > syscall,
        "futex round trip {futex} ns, syscall {syscall} ns"
    );
    assert!(futex < 10_000_000.0, "futex round trip {futex} ns");

    // Each side enters the kernel at least once per round trip.
    if let Some(msg_ring) = ns(&anchors, MSG_RING_ROUND_TRIP) {
        assert!(
            msg_ring > syscall,
            "MSG_RING round trip {msg_ring} ns, syscall {syscall} ns"
        );
        assert!(msg_ring < 10_000_000.0, "MSG_RING round trip {msg_ring} ns");
    }

    match ns(&anchors, CACHE_LINE_ROUND_TRIP) {
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
fn single_cpu_skips_only_the_cache_line_anchor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Affinity is per thread and inherited: confine a thread to one CPU and
    // calibrate from it.
    let (first, anchors) = std::thread::spawn(|| {
        let first = allowed_cpus().unwrap()[0];
        pin_to(first).unwrap();
        (first, calibrate(Duration::from_millis(200), &placement()))
    })
    .join()
    .unwrap();
    for anchor in &anchors {
        eprintln!("{anchor:?}");
    }
    assert_eq!(ns(&anchors, CACHE_LINE_ROUND_TRIP), None);
    let line = anchors
        .iter()
        .find(|a| a.name == CACHE_LINE_ROUND_TRIP)
        .unwrap();
    let expected = format!(
        "not supported: needs two CPUs, the placement puts the submitter and its helper both on CPU {first}"
    );
    assert_eq!(line.unsupported.as_deref(), Some(expected.as_str()));
    assert_eq!(line.samples, 0);
    // The other anchors still run, both threads sharing the one CPU.
    for name in [SYSCALL, FUTEX_WAKE_ROUND_TRIP, MSG_RING_ROUND_TRIP] {
        assert!(ns(&anchors, name).is_some(), "{name} on one CPU");
    }
}
