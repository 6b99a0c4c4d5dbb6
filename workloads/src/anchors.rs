//! Physical anchors: what the machine's basic synchronisation costs, measured
//! on the machine itself and stored in the results header, so that reports
//! can state each style's cost against them ("a link chain step costs 3
//! syscalls") and results from different machines and kernels stay
//! comparable.
//!
//! Each anchor is the median over repeated samples (each sample a timed batch
//! of iterations) of the wall-clock nanoseconds per iteration. The two-thread
//! anchors pin an initiator and a responder to the CPUs the sweep's placement
//! gives a cell's submitter and its first helper ([`Placement::pair`]: by
//! default two CPUs that are not SMT siblings when the process may use such a
//! pair), so that they measure what the cells' thread pairs pay; the
//! initiator does the timing.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use io_uring::{opcode, squeue, types, IoUring, Probe};
use serde::{Deserialize, Serialize};

use crate::placement::{pin_to, Placement};

/// Two threads on two different cores hand one 64-byte aligned atomic back
/// and forth by spinning: ns per round trip, i.e. two cache-line transfers
/// between cores. Unsupported when the placement puts both threads on one CPU.
pub const CACHE_LINE_ROUND_TRIP: &str = "cache_line_round_trip";
/// One bare system call (`getppid`), entry to exit: ns per call.
pub const SYSCALL: &str = "syscall";
/// Two threads hand a turn back and forth through futex(2): each side stores
/// the other's turn, FUTEX_WAKEs it and FUTEX_WAITs for its own turn; ns per
/// round trip (two wakes, two waits, usually two cross-CPU wake-ups).
pub const FUTEX_WAKE_ROUND_TRIP: &str = "futex_wake_round_trip";
/// Two threads, each owning a default-mode ring, exchange IORING_OP_MSG_RING
/// messages: the initiator sends one to the responder's ring and waits on its
/// own CQ, the responder waits on its CQ and answers the same way; ns per
/// round trip.
pub const MSG_RING_ROUND_TRIP: &str = "msg_ring_round_trip";

/// The budget that keeps a calibration within about 1.2 s (0.3 s per anchor).
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(1200);

/// One calibrated anchor, as stored in the results header.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Anchor {
    /// Stable name: [`CACHE_LINE_ROUND_TRIP`], [`SYSCALL`],
    /// [`FUTEX_WAKE_ROUND_TRIP`] or [`MSG_RING_ROUND_TRIP`].
    pub name: String,
    /// Median nanoseconds per iteration; `None` when unsupported.
    pub ns: Option<f64>,
    /// How many samples the median was taken over.
    pub samples: u32,
    /// Why there is no value (missing CPU, opcode or failure).
    pub unsupported: Option<String>,
}

/// Measures all four anchors, in the order of their constants, spending
/// about `budget` in total (a little more when the machine is very slow:
/// every anchor takes at least a few samples). The two-thread anchors run on
/// `placement`'s submitter/helper pair; when both are one CPU, the cache-line
/// anchor is unsupported and the others include a context switch instead of
/// a cross-CPU wake-up.
pub fn calibrate(budget: Duration, placement: &Placement) -> Vec<Anchor> {
    let share = budget / 4;
    let pair = placement.pair();
    vec![
        anchor(
            CACHE_LINE_ROUND_TRIP,
            if pair.0 == pair.1 {
                Err(format!(
                    "not supported: needs two CPUs, the placement puts the submitter and its helper both on CPU {}",
                    pair.0
                ))
            } else {
                cache_line_round_trip(share, pair)
            },
        ),
        anchor(SYSCALL, measure(share, bare_syscalls)),
        anchor(FUTEX_WAKE_ROUND_TRIP, futex_wake_round_trip(share, pair)),
        anchor(MSG_RING_ROUND_TRIP, msg_ring_round_trip(share, pair)),
    ]
}

fn anchor(name: &str, measured: Result<Median, String>) -> Anchor {
    match measured {
        Ok(median) => Anchor {
            name: name.to_string(),
            ns: Some(median.ns),
            samples: median.samples,
            unsupported: None,
        },
        Err(reason) => Anchor {
            name: name.to_string(),
            ns: None,
            samples: 0,
            unsupported: Some(reason),
        },
    }
}

/// The median of the per-iteration samples and how many there were.
struct Median {
    ns: f64,
    samples: u32,
}

const MIN_SAMPLES: usize = 5;
const MAX_SAMPLES: usize = 10_000;
const MAX_BATCH: u64 = 1 << 30;

/// Times `run(n)` (which performs `n` iterations) in batches. The warm-up
/// doubles the batch until it lasts half of a fortieth of the budget, twice in
/// a row (so that a thread still starting or a stalled vCPU does not fix the
/// batch too small); then batches of that size are sampled until the budget
/// is spent.
fn measure(
    budget: Duration,
    mut run: impl FnMut(u64) -> Result<(), String>,
) -> Result<Median, String> {
    let started = Instant::now();
    let sample_target = (budget / 40).max(Duration::from_micros(20));
    let mut timed = |n: u64| -> Result<Duration, String> {
        let start = Instant::now();
        run(n)?;
        Ok(start.elapsed())
    };
    let long_enough = sample_target / 2;
    let mut batch = 1u64;
    while batch < MAX_BATCH && (timed(batch)? < long_enough || timed(batch)? < long_enough) {
        batch *= 2;
    }
    let mut samples = Vec::new();
    while (samples.len() < MIN_SAMPLES || started.elapsed() < budget) && samples.len() < MAX_SAMPLES
    {
        samples.push(timed(batch)?.as_nanos() as f64 / batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    let ns = if samples.len() % 2 == 0 {
        (samples[mid - 1] + samples[mid]) / 2.0
    } else {
        samples[mid]
    };
    Ok(Median {
        ns,
        samples: samples.len() as u32,
    })
}

fn bare_syscalls(n: u64) -> Result<(), String> {
    for _ in 0..n {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    Ok(())
}

/// A value alone on its cache line.
#[repr(align(64))]
struct Line<T>(T);

fn cache_line_round_trip(budget: Duration, pair: (usize, usize)) -> Result<Median, String> {
    // The initiator makes the value odd, the responder makes it even again.
    let line = Line(AtomicU64::new(0));
    let stop = Line(AtomicBool::new(false));
    let respond = || loop {
        let value = line.0.load(Ordering::Acquire);
        if value % 2 == 1 {
            line.0.store(value + 1, Ordering::Release);
        } else if stop.0.load(Ordering::Relaxed) {
            return Ok(());
        } else {
            std::hint::spin_loop();
        }
    };
    let ping = |n: u64| {
        for _ in 0..n {
            let value = line.0.load(Ordering::Relaxed) + 1;
            line.0.store(value, Ordering::Release);
            while line.0.load(Ordering::Acquire) != value + 1 {
                if stop.0.load(Ordering::Relaxed) {
                    return Err(STOPPED.to_string());
                }
                std::hint::spin_loop();
            }
        }
        Ok(())
    };
    let halt = || stop.0.store(true, Ordering::Relaxed);
    ping_pong(budget, pair, respond, ping, halt)
}

const INITIATOR_TURN: u32 = 0;
const RESPONDER_TURN: u32 = 1;
const HALTED: u32 = 2;

fn futex_wake_round_trip(budget: Duration, pair: (usize, usize)) -> Result<Median, String> {
    let turn = Line(AtomicU32::new(INITIATOR_TURN));
    let stop = Line(AtomicBool::new(false));
    let respond = || {
        while !stop.0.load(Ordering::Acquire) {
            match turn.0.load(Ordering::Acquire) {
                RESPONDER_TURN => {
                    turn.0.store(INITIATOR_TURN, Ordering::Release);
                    futex_wake(&turn.0);
                }
                INITIATOR_TURN => futex_wait(&turn.0, INITIATOR_TURN),
                _ => {}
            }
        }
        Ok(())
    };
    let ping = |n: u64| {
        for _ in 0..n {
            turn.0.store(RESPONDER_TURN, Ordering::Release);
            futex_wake(&turn.0);
            while turn.0.load(Ordering::Acquire) == RESPONDER_TURN {
                if stop.0.load(Ordering::Acquire) {
                    return Err(STOPPED.to_string());
                }
                futex_wait(&turn.0, RESPONDER_TURN);
            }
            if stop.0.load(Ordering::Acquire) {
                return Err(STOPPED.to_string());
            }
        }
        Ok(())
    };
    // The flag comes first: a side that overwrites HALTED sees the flag next.
    let halt = || {
        stop.0.store(true, Ordering::Release);
        turn.0.store(HALTED, Ordering::Release);
        futex_wake(&turn.0);
    };
    ping_pong(budget, pair, respond, ping, halt)
}

fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: `word` is a live, aligned u32; a null timeout waits forever.
    // EAGAIN (word already changed) and EINTR are handled by the callers'
    // loops, which re-read the word.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            std::ptr::null::<libc::timespec>(),
        )
    };
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a live, aligned u32.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        )
    };
}

/// user_data of the messages exchanged between the rings.
const PING: u64 = 1;
const PONG: u64 = 2;
const STOP: u64 = 3;
/// user_data of a MSG_RING request itself: its CQE only appears on failure.
const SEND: u64 = 4;

fn msg_ring_round_trip(budget: Duration, pair: (usize, usize)) -> Result<Median, String> {
    let setup = |what| IoUring::new(8).map_err(|e| format!("not supported: {what} ring: {e}"));
    let mut ring_a: IoUring = setup("initiator")?;
    let mut ring_b: IoUring = setup("responder")?;
    let control: Mutex<IoUring> = Mutex::new(setup("control")?);
    let mut probe = Probe::new();
    ring_a
        .submitter()
        .register_probe(&mut probe)
        .map_err(|e| format!("not supported: io_uring probe: {e}"))?;
    if !probe.is_supported(opcode::MsgRingData::CODE) {
        return Err(format!(
            "not supported: IORING_OP_MSG_RING unsupported (kernel {})",
            kernel_release()
        ));
    }
    let (fd_a, fd_b) = (ring_a.as_raw_fd(), ring_b.as_raw_fd());
    let respond = || loop {
        // Submits the pending answer, if any, and waits for the next message.
        enter(ring_b.submit_and_wait(1))?;
        let Some(cqe) = ring_b.completion().next() else {
            continue;
        };
        match cqe.user_data() {
            PING => send(&mut ring_b, fd_a, PONG)?,
            STOP => return Ok(()),
            _ => return Err(msg_ring_failure(cqe.result())),
        }
    };
    let ping = |n: u64| {
        for _ in 0..n {
            send(&mut ring_a, fd_b, PING)?;
            loop {
                enter(ring_a.submit_and_wait(1))?;
                let Some(cqe) = ring_a.completion().next() else {
                    continue;
                };
                match cqe.user_data() {
                    PONG => break,
                    STOP => return Err(STOPPED.to_string()),
                    _ => return Err(msg_ring_failure(cqe.result())),
                }
            }
        }
        Ok(())
    };
    // Both sides may be asleep in io_uring_enter: wake each with a message
    // from a third ring. A failure here leaves nothing else to try.
    let halt = || {
        let mut control = control.lock().unwrap_or_else(|e| e.into_inner());
        for fd in [fd_a, fd_b] {
            if send(&mut control, fd, STOP).is_ok() {
                let _ = enter(control.submit());
            }
        }
    };
    ping_pong(budget, pair, respond, ping, halt)
}

/// Queues a MSG_RING carrying `message` to the ring `target`; nothing is
/// posted on the sending ring unless it fails.
fn send(ring: &mut IoUring, target: RawFd, message: u64) -> Result<(), String> {
    let sqe = opcode::MsgRingData::new(types::Fd(target), 0, message, None)
        .build()
        .flags(squeue::Flags::SKIP_SUCCESS)
        .user_data(SEND);
    // SAFETY: a MSG_RING data message references no memory.
    unsafe { ring.submission().push(&sqe) }.map_err(|_| "submission queue full".to_string())
}

/// io_uring_enter, retried when a signal interrupts it.
fn enter(result: std::io::Result<usize>) -> Result<(), String> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
        Err(e) => Err(format!("io_uring_enter: {e}")),
    }
}

fn msg_ring_failure(result: i32) -> String {
    format!(
        "MSG_RING failed: {}",
        std::io::Error::from_raw_os_error(-result)
    )
}

fn kernel_release() -> String {
    // SAFETY: utsname is plain data and uname fills it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return "unknown".to_string();
    }
    // SAFETY: uname NUL-terminates release.
    unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

const STOPPED: &str = "stopped: no answer within the calibration budget";
const PANICKED: &str = "measuring thread panicked";

/// How long past its budget a ping-pong may run before both sides are halted.
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);

/// Runs `respond` on a thread pinned to `pair.1` and measures `ping` on a
/// thread pinned to `pair.0`. `halt` must make both sides return; the
/// initiator calls it when done, and so does a watchdog when the initiator
/// overruns its budget by [`WATCHDOG_GRACE`] (a lost message).
fn ping_pong(
    budget: Duration,
    pair: (usize, usize),
    respond: impl FnOnce() -> Result<(), String> + Send,
    ping: impl FnMut(u64) -> Result<(), String> + Send,
    halt: impl Fn() + Sync,
) -> Result<Median, String> {
    let (done, finished) = mpsc::channel();
    std::thread::scope(|scope| {
        let halt = &halt;
        let responder = scope.spawn(move || {
            let pinned = pin_to(pair.1);
            let served = respond();
            pinned.and(served)
        });
        let initiator = scope.spawn(move || {
            let measured = pin_to(pair.0).and_then(|()| measure(budget, ping));
            halt();
            let _ = done.send(());
            measured
        });
        if finished.recv_timeout(budget + WATCHDOG_GRACE).is_err() {
            halt();
        }
        let measured = initiator
            .join()
            .unwrap_or_else(|_| Err(PANICKED.to_string()));
        let served = responder
            .join()
            .unwrap_or_else(|_| Err(PANICKED.to_string()));
        served.and(measured)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_a_constant_rate_is_that_rate() {
        let median = measure(Duration::from_millis(20), |n| {
            let until = Instant::now() + Duration::from_micros(10) * n as u32;
            while Instant::now() < until {}
            Ok(())
        })
        .unwrap();
        assert!(median.samples as usize >= MIN_SAMPLES);
        assert!(
            (10_000.0..15_000.0).contains(&median.ns),
            "{} ns per 10 µs iteration",
            median.ns
        );
    }

    #[test]
    fn a_failing_run_fails_the_measure() {
        let failed = measure(Duration::from_millis(5), |_| Err("boom".to_string()));
        assert_eq!(failed.err(), Some("boom".to_string()));
    }
}
