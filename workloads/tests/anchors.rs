//! Physical anchors measured on the real machine: every anchor has a
//! plausible value, and the robust physical relations between them hold.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use workloads::anchors::{
    calibrate, Anchor, CACHE_LINE_ROUND_TRIP, DEFAULT_BUDGET, FUTEX_WAKE_ROUND_TRIP,
    MSG_RING_ROUND_TRIP, SYSCALL,
};

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

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn calibration_is_plausible_and_within_budget() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let anchors = calibrate(DEFAULT_BUDGET);
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
    let anchors = std::thread::spawn(|| {
        // SAFETY: cpu_set_t is plain data; CPU 0 is below CPU_SETSIZE.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: sched_getaffinity fills a valid cpu_set_t.
        let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
        assert_eq!(rc, 0);
        let first = (0..libc::CPU_SETSIZE as usize)
            // SAFETY: the index is below CPU_SETSIZE.
            .find(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .unwrap();
        // SAFETY: as above.
        unsafe { libc::CPU_ZERO(&mut set) };
        unsafe { libc::CPU_SET(first, &mut set) };
        // SAFETY: `set` is a valid cpu_set_t of the given size.
        let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
        assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
        calibrate(Duration::from_millis(200))
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
    assert_eq!(
        line.unsupported.as_deref(),
        Some("not supported: needs two CPUs, the calling thread may run on 1")
    );
    assert_eq!(line.samples, 0);
    // The other anchors still run, both threads sharing the one CPU.
    for name in [SYSCALL, FUTEX_WAKE_ROUND_TRIP, MSG_RING_ROUND_TRIP] {
        assert!(ns(&anchors, name).is_some(), "{name} on one CPU");
    }
}
