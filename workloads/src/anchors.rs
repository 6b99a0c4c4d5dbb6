//! Physical anchors: what the machine's basic synchronisation costs, measured
//! on the machine itself and stored in the results header, so that reports
//! can state each style's cost against them ("a link chain step costs 3
//! syscalls") and results from different machines and kernels stay
//! comparable.
//!
//! Each anchor is the median over repeated samples (each sample a timed batch
//! of iterations) of the wall-clock nanoseconds per iteration, with its
//! confidence interval: samples are taken until the interval is within a
//! target precision or the anchor's share of the budget is spent, and which
//! of the two happened is recorded with it (see [`crate::sampling`], the
//! rule the sweep's families stop by too). The
//! two-thread anchors pin an initiator and a responder to the CPUs the sweep's
//! placement gives a cell's submitter and its first helper
//! ([`Placement::pair`]: by default two CPUs that are not SMT siblings when
//! the process may use such a pair), so that they measure what the cells'
//! thread pairs pay; the initiator does the timing. An anchor that cannot be
//! measured here, or whose measurement fails, carries an [`AnchorError`],
//! recorded in the header as its sentence.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use io_uring::{opcode, squeue, types, IoUring, Probe};
use results_schema::AnchorValue;

use crate::placement::{pin_to, Placement};
use crate::sampling::{Estimator, Rule, Sampled, Sampler};
use crate::sys::{futex, kernel_release};

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

/// How many anchors a calibration measures; each gets this share of its budget.
const ANCHORS: u32 = 4;

/// What a sweep calibrates to: each anchor's median to ±1% (the wider side of
/// its confidence interval), from at least ten samples (fewer make a poor
/// median of a noisy machine's timings), in about 1.2 s (0.3 s per anchor),
/// with no most samples.
pub const DEFAULT_RULE: Rule = Rule {
    precision: 0.01,
    min_samples: 10,
    max_samples: None,
    budget: Duration::from_millis(1200),
};

/// Why an anchor has no value: it cannot be measured on this machine
/// (`not supported: ...`), or its measurement failed. Its message is what
/// the results header records as the anchor's `unsupported`.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The placement gives the submitter and its helper one CPU, the one
    /// held: a cache line cannot travel between cores.
    #[error(
        "not supported: needs two CPUs, the placement puts the submitter and its helper both on CPU {0}"
    )]
    OneCpu(usize),
    /// A ring of the MSG_RING anchor (`role`: initiator, responder or
    /// control) could not be set up.
    #[error("not supported: {role} ring: {error}")]
    Ring {
        /// Which of the three rings.
        role: &'static str,
        /// What io_uring_setup said.
        error: io::Error,
    },
    /// The kernel would not say which opcodes it supports.
    #[error("not supported: io_uring probe: {0}")]
    Probe(io::Error),
    /// The kernel lacks IORING_OP_MSG_RING (before 5.18).
    #[error("not supported: IORING_OP_MSG_RING unsupported (kernel {kernel})")]
    NoMsgRing {
        /// The running kernel's release.
        kernel: String,
    },
    /// A thread could not be pinned to its CPU (the placement's message).
    #[error("{0}")]
    Pin(String),
    /// The other side stopped answering and the watchdog halted both.
    #[error("stopped: no answer within the calibration budget")]
    Stopped,
    /// A measuring thread panicked.
    #[error("measuring thread panicked")]
    Panicked,
    /// A MSG_RING could not be queued.
    #[error("submission queue full")]
    QueueFull,
    /// io_uring_enter failed (other than by a signal).
    #[error("io_uring_enter: {0}")]
    Enter(io::Error),
    /// A MSG_RING completed with an error.
    #[error("MSG_RING failed: {0}")]
    MsgRing(io::Error),
}

/// One calibrated anchor.
#[derive(Debug)]
pub struct Anchor {
    /// Stable name: [`CACHE_LINE_ROUND_TRIP`], [`SYSCALL`],
    /// [`FUTEX_WAKE_ROUND_TRIP`] or [`MSG_RING_ROUND_TRIP`].
    pub name: &'static str,
    /// Nanoseconds per iteration (median, interval, samples, why sampling
    /// stopped), or why there is no value (missing CPU, opcode or failure).
    pub measured: Result<Sampled, AnchorError>,
    /// Wall time the anchor took, its set-up and threads included.
    pub spent: Duration,
}

/// The anchors of one calibration and what it cost.
#[derive(Debug)]
pub struct Calibration {
    /// The rule every anchor stopped by; its budget is all of theirs.
    pub rule: Rule,
    /// The anchors, in the order of their constants.
    pub anchors: Vec<Anchor>,
    /// Wall time of the whole calibration.
    pub spent: Duration,
}

impl Anchor {
    /// The anchor as the results header records it.
    pub fn value(&self) -> AnchorValue {
        let spent_ns = Some(nanos(self.spent));
        match &self.measured {
            Ok(sampled) => AnchorValue {
                name: self.name.to_string(),
                ns: Some(sampled.estimate.median),
                samples: sampled.samples,
                ci_low: Some(sampled.estimate.low),
                ci_high: Some(sampled.estimate.high),
                precision: Some(sampled.estimate.precision()),
                stop: Some(sampled.stop),
                spent_ns,
                unsupported: None,
            },
            Err(reason) => AnchorValue {
                name: self.name.to_string(),
                spent_ns,
                unsupported: Some(reason.to_string()),
                ..AnchorValue::default()
            },
        }
    }
}

/// A duration in whole nanoseconds, as results record them.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Calibration {
    /// What the results header records of the calibration besides its anchors.
    pub fn record(&self) -> results_schema::Calibration {
        results_schema::Calibration {
            target_precision: self.rule.precision,
            budget_ns: nanos(self.rule.budget),
            spent_ns: nanos(self.spent),
            overshoot_ns: nanos(self.overshoot()),
        }
    }

    /// How far the calibration ran past its budget (zero within it): every
    /// anchor takes its rule's [`Rule::min_samples`] and finishes the one
    /// under way, and set-up and threads take time too.
    pub fn overshoot(&self) -> Duration {
        self.spent.saturating_sub(self.rule.budget)
    }
}

/// Measures all four anchors, in the order of their constants. Each samples
/// by `rule`: until its median is within `rule.precision` (as `estimator`
/// judges it) or its quarter of `rule.budget` is spent. The two-thread anchors run on
/// `placement`'s submitter/helper pair; when both are one CPU, the cache-line
/// anchor is unsupported and the others include a context switch instead of
/// a cross-CPU wake-up.
pub fn calibrate(rule: Rule, estimator: &impl Estimator, placement: &Placement) -> Calibration {
    let started = Instant::now();
    let share = Rule {
        budget: rule.budget / ANCHORS,
        ..rule
    };
    let pair = placement.pair();
    let timed = |name, measure: &dyn Fn() -> Result<Sampled, AnchorError>| {
        let start = Instant::now();
        let measured = measure();
        Anchor {
            name,
            measured,
            spent: start.elapsed(),
        }
    };
    let anchors = vec![
        timed(CACHE_LINE_ROUND_TRIP, &|| {
            if pair.0 == pair.1 {
                Err(AnchorError::OneCpu(pair.0))
            } else {
                cache_line_round_trip(share, estimator, pair)
            }
        }),
        timed(SYSCALL, &|| measure(share, estimator, bare_syscalls)),
        timed(FUTEX_WAKE_ROUND_TRIP, &|| {
            futex_wake_round_trip(share, estimator, pair)
        }),
        timed(MSG_RING_ROUND_TRIP, &|| {
            msg_ring_round_trip(share, estimator, pair)
        }),
    ];
    Calibration {
        rule,
        anchors,
        spent: started.elapsed(),
    }
}

/// Samples a budget is cut into: each sample is a batch of iterations that
/// lasts about this fraction of it.
const SAMPLES_PER_BUDGET: u32 = 64;
const MAX_BATCH: u64 = 1 << 30;

/// Times `run(n)` (which performs `n` iterations) in batches, each sample
/// being the ns per iteration of one batch. The warm-up doubles the batch
/// until it lasts half of a sample's share of the budget, twice in a row (so
/// that a thread still starting or a stalled vCPU does not fix the batch too
/// small); then batches of that size are sampled until the [`Sampler`] stops.
fn measure(
    rule: Rule,
    estimator: &dyn Estimator,
    mut run: impl FnMut(u64) -> Result<(), AnchorError>,
) -> Result<Sampled, AnchorError> {
    let started = Instant::now();
    let sample_target = (rule.budget / SAMPLES_PER_BUDGET).max(Duration::from_micros(20));
    let mut timed = |n: u64| -> Result<Duration, AnchorError> {
        let start = Instant::now();
        run(n)?;
        Ok(start.elapsed())
    };
    let long_enough = sample_target / 2;
    let mut batch = 1u64;
    while batch < MAX_BATCH && (timed(batch)? < long_enough || timed(batch)? < long_enough) {
        batch *= 2;
    }
    let mut sampler = Sampler::new(rule, estimator);
    loop {
        let sample = timed(batch)?.as_nanos() as f64 / batch as f64;
        if let Some(done) = sampler.push(sample, started.elapsed()) {
            return Ok(done);
        }
    }
}

fn bare_syscalls(n: u64) -> Result<(), AnchorError> {
    for _ in 0..n {
        // SAFETY: getppid takes no arguments and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    Ok(())
}

/// A value alone on its cache line.
#[repr(align(64))]
struct Line<T>(T);

fn cache_line_round_trip(
    rule: Rule,
    estimator: &dyn Estimator,
    pair: (usize, usize),
) -> Result<Sampled, AnchorError> {
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
                    return Err(AnchorError::Stopped);
                }
                std::hint::spin_loop();
            }
        }
        Ok(())
    };
    let halt = || stop.0.store(true, Ordering::Relaxed);
    ping_pong(rule, estimator, pair, respond, ping, halt)
}

const INITIATOR_TURN: u32 = 0;
const RESPONDER_TURN: u32 = 1;
const HALTED: u32 = 2;

fn futex_wake_round_trip(
    rule: Rule,
    estimator: &dyn Estimator,
    pair: (usize, usize),
) -> Result<Sampled, AnchorError> {
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
                    return Err(AnchorError::Stopped);
                }
                futex_wait(&turn.0, RESPONDER_TURN);
            }
            if stop.0.load(Ordering::Acquire) {
                return Err(AnchorError::Stopped);
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
    ping_pong(rule, estimator, pair, respond, ping, halt)
}

/// Sleeps while `word` holds `expected`. EAGAIN (word already changed) and
/// EINTR are handled by the callers' loops, which re-read the word.
fn futex_wait(word: &AtomicU32, expected: u32) {
    futex(word, libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, expected);
}

/// Wakes every waiter on `word`.
fn futex_wake(word: &AtomicU32) {
    futex(
        word,
        libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
        i32::MAX as u32,
    );
}

/// user_data of the messages exchanged between the rings.
const PING: u64 = 1;
const PONG: u64 = 2;
const STOP: u64 = 3;
/// user_data of a MSG_RING request itself: its CQE only appears on failure.
const SEND: u64 = 4;

fn msg_ring_round_trip(
    rule: Rule,
    estimator: &dyn Estimator,
    pair: (usize, usize),
) -> Result<Sampled, AnchorError> {
    let setup = |role| IoUring::new(8).map_err(|error| AnchorError::Ring { role, error });
    let mut ring_a: IoUring = setup("initiator")?;
    let mut ring_b: IoUring = setup("responder")?;
    let control: Mutex<IoUring> = Mutex::new(setup("control")?);
    let mut probe = Probe::new();
    ring_a
        .submitter()
        .register_probe(&mut probe)
        .map_err(AnchorError::Probe)?;
    if !probe.is_supported(opcode::MsgRingData::CODE) {
        return Err(AnchorError::NoMsgRing {
            kernel: kernel_release(),
        });
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
                    STOP => return Err(AnchorError::Stopped),
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
    ping_pong(rule, estimator, pair, respond, ping, halt)
}

/// Queues a MSG_RING carrying `message` to the ring `target`; nothing is
/// posted on the sending ring unless it fails.
fn send(ring: &mut IoUring, target: RawFd, message: u64) -> Result<(), AnchorError> {
    let sqe = opcode::MsgRingData::new(types::Fd(target), 0, message, None)
        .build()
        .flags(squeue::Flags::SKIP_SUCCESS)
        .user_data(SEND);
    // SAFETY: a MSG_RING data message references no memory.
    unsafe { ring.submission().push(&sqe) }.map_err(|_| AnchorError::QueueFull)
}

/// io_uring_enter, retried when a signal interrupts it.
fn enter(result: io::Result<usize>) -> Result<(), AnchorError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        Err(e) => Err(AnchorError::Enter(e)),
    }
}

/// The error of a MSG_RING completion whose result is `-errno`.
fn msg_ring_failure(result: i32) -> AnchorError {
    AnchorError::MsgRing(io::Error::from_raw_os_error(-result))
}

/// How long past its budget a ping-pong may run before both sides are halted.
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);

/// Runs `respond` on a thread pinned to `pair.1` and measures `ping` on a
/// thread pinned to `pair.0`. `halt` must make both sides return; the
/// initiator calls it when done, and so does a watchdog when the initiator
/// overruns its budget by [`WATCHDOG_GRACE`] (a lost message).
fn ping_pong(
    rule: Rule,
    estimator: &dyn Estimator,
    pair: (usize, usize),
    respond: impl FnOnce() -> Result<(), AnchorError> + Send,
    ping: impl FnMut(u64) -> Result<(), AnchorError> + Send,
    halt: impl Fn() + Sync,
) -> Result<Sampled, AnchorError> {
    let (done, finished) = mpsc::channel();
    std::thread::scope(|scope| {
        let halt = &halt;
        let responder = scope.spawn(move || {
            let pinned = pin_to(pair.1).map_err(AnchorError::Pin);
            let served = respond();
            pinned.and(served)
        });
        let initiator = scope.spawn(move || {
            let measured = pin_to(pair.0)
                .map_err(AnchorError::Pin)
                .and_then(|()| measure(rule, estimator, ping));
            halt();
            let _ = done.send(());
            measured
        });
        if finished.recv_timeout(rule.budget + WATCHDOG_GRACE).is_err() {
            halt();
        }
        let measured = initiator.join().unwrap_or(Err(AnchorError::Panicked));
        let served = responder.join().unwrap_or(Err(AnchorError::Panicked));
        served.and(measured)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{Estimate, StopReason};

    /// An estimator whose "median" is the fastest sample, with no interval:
    /// the least disturbed sample of a spin of known length.
    fn fastest(samples: &[f64]) -> Estimate {
        let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
        Estimate {
            median: min,
            low: min,
            high: min,
        }
    }

    const RULE: Rule = Rule {
        budget: Duration::from_millis(20),
        ..DEFAULT_RULE
    };

    #[test]
    fn samples_are_nanoseconds_per_iteration() {
        let sampled = measure(RULE, &fastest, |n| {
            let until = Instant::now() + Duration::from_micros(10) * n as u32;
            while Instant::now() < until {}
            Ok(())
        })
        .unwrap();
        assert_eq!(sampled.stop, StopReason::Precision);
        assert_eq!(sampled.samples, RULE.min_samples);
        // A batch of n spins until n × 10 µs have passed: no sample can be
        // faster. The fastest of ten is slower only if all ten were
        // preempted past their end by half their length; a wrong divisor
        // (a batch off by a factor of two) fails one bound or the other.
        let ns = sampled.estimate.median;
        assert!(
            (10_000.0..15_000.0).contains(&ns),
            "{ns} ns per 10 µs iteration"
        );
    }

    #[test]
    fn every_error_prints_the_sentence_the_header_records() {
        let os = |errno| io::Error::from_raw_os_error(errno);
        let cases = [
            (
                AnchorError::OneCpu(3),
                "not supported: needs two CPUs, the placement puts the submitter and its helper both on CPU 3",
            ),
            (
                AnchorError::Ring {
                    role: "responder",
                    error: os(libc::ENOMEM),
                },
                "not supported: responder ring: Cannot allocate memory (os error 12)",
            ),
            (
                AnchorError::Probe(os(libc::EINVAL)),
                "not supported: io_uring probe: Invalid argument (os error 22)",
            ),
            (
                AnchorError::NoMsgRing {
                    kernel: "5.15.0".into(),
                },
                "not supported: IORING_OP_MSG_RING unsupported (kernel 5.15.0)",
            ),
            (
                AnchorError::Pin("cannot pin to CPU 9999: beyond CPU_SETSIZE".into()),
                "cannot pin to CPU 9999: beyond CPU_SETSIZE",
            ),
            (
                AnchorError::Stopped,
                "stopped: no answer within the calibration budget",
            ),
            (AnchorError::Panicked, "measuring thread panicked"),
            (AnchorError::QueueFull, "submission queue full"),
            (
                AnchorError::Enter(os(libc::EBADF)),
                "io_uring_enter: Bad file descriptor (os error 9)",
            ),
            (
                msg_ring_failure(-libc::EBADFD),
                "MSG_RING failed: File descriptor in bad state (os error 77)",
            ),
        ];
        for (error, sentence) in cases {
            assert_eq!(error.to_string(), sentence);
        }
    }

    #[test]
    fn a_failing_run_fails_the_measure() {
        let failed = measure(RULE, &fastest, |_| Err(AnchorError::QueueFull));
        assert!(matches!(failed, Err(AnchorError::QueueFull)), "{failed:?}");
    }
}
