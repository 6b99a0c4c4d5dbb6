//! Perf counters for the profile pass.
//!
//! The profile pass wants to know where a cell's cost goes, and most of it is
//! in the kernel: in the submitting thread's syscalls and task_work, and in the
//! io_uring kernel threads of the process (`iou-sqp-*` for SQPOLL,
//! `iou-wrk-*` for io-wq). So every counter here counts kernel mode
//! (`exclude_kernel = 0`) and is opened with `inherit`, which makes the kernel
//! clone it into every thread created afterwards by the opening thread or its
//! descendants, io_uring's io threads included (they are created by the task
//! that creates the ring, or by that ring's SQPOLL thread). Reading a counter
//! returns the sum over the opening thread and all those threads, living or
//! exited. The `sqpoll_thread_is_counted` test proves that this reaches the
//! SQPOLL thread on the running kernel.
//!
//! Hypervisor mode is excluded (`exclude_hv = 1`, the default of the builder):
//! x86 ignores the bit, and elsewhere counting the hypervisor would need more
//! privilege than the rest of the set.
//!
//! Counters are opened one by one, never as a `PERF_FORMAT_GROUP` group,
//! because older kernels refuse group reads on inherited counters. Each one
//! reads `TOTAL_TIME_ENABLED`/`TOTAL_TIME_RUNNING`, so a counter that the PMU
//! multiplexed is scaled to the whole window and its running fraction kept.
//!
//! A counter the machine cannot provide (hardware counters in most VMs, a
//! CPU without a known cache-to-cache event) is reported as `None` with the
//! reason, the way `perf stat` prints `<not supported>`, never as 0.
//!
//! Built on `perf-event2`, the maintained fork of the unmaintained
//! `perf-event` crate: it exposes `inherit`, raw events and the time
//! enabled/running read format that the profile pass needs.

use std::io;

use perf_event::events::{Cache, CacheId, CacheOp, CacheResult, Hardware, Raw, Software};
use perf_event::{Builder, Counter};
use results_schema::{CounterValue, ReasonCode};

/// Stable name of the cross-core cache-to-cache transfer counter; the event
/// behind it depends on the CPU (see [`CounterSet`]).
pub const CACHE_TO_CACHE: &str = "cache-to-cache";

/// Why the counter set could not be opened or driven.
#[derive(thiserror::Error, Debug)]
pub enum CounterError {
    /// Kernel-mode counting is forbidden to this process.
    #[error("perf counters need CAP_PERFMON (perf_event_paranoid={})", paranoid_text(*.paranoid))]
    NeedsPrivilege {
        /// The value of /proc/sys/kernel/perf_event_paranoid, if readable.
        paranoid: Option<i32>,
    },
    /// The kernel offers no perf events at all.
    #[error("perf counters unavailable: perf_event_open: {0}")]
    Unavailable(io::Error),
    /// Refused although the process holds CAP_PERFMON: something else forbids
    /// it (a seccomp filter, a security module).
    #[error("perf counters refused although this process holds CAP_PERFMON (seccomp or a security module?): perf_event_open: {0}")]
    Refused(io::Error),
    /// Opening a counter failed for a reason other than missing support.
    #[error("cannot open perf counter {counter}: {source}")]
    Open {
        /// The counter being opened.
        counter: &'static str,
        /// The error perf_event_open returned.
        source: io::Error,
    },
    /// Enabling, disabling, resetting or reading an open counter failed.
    #[error("cannot {action} perf counter {counter}: {source}")]
    Control {
        /// `enable`, `disable`, `reset` or `read`.
        action: &'static str,
        /// The counter acted on.
        counter: &'static str,
        /// The error the kernel returned.
        source: io::Error,
    },
}

impl CounterError {
    /// The code a profile line records beside this error's text.
    pub fn code(&self) -> ReasonCode {
        match self {
            CounterError::NeedsPrivilege { .. } | CounterError::Refused(_) => {
                ReasonCode::CountersNeedPrivilege
            }
            CounterError::Unavailable(_) => ReasonCode::CountersUnavailable,
            CounterError::Open { .. } | CounterError::Control { .. } => ReasonCode::CountersFailed,
        }
    }

    /// True when the error means "skip the counters on this machine" (missing
    /// privilege or kernel feature) rather than a fault to report.
    pub fn is_skip(&self) -> bool {
        self.code().is_missing_capability()
    }
}

fn paranoid_text(paranoid: Option<i32>) -> String {
    paranoid.map_or_else(|| "unknown".to_string(), |p| p.to_string())
}

/// The perf counters of one profile pass.
///
/// **Contract: open the set on the thread that will create the rings and spawn
/// the workload's threads, before creating any of them.** The counters observe
/// the opening thread and, through `inherit`, every thread it creates
/// afterwards, including io_uring's `iou-sqp-*` and `iou-wrk-*` threads. A ring
/// or thread created before [`CounterSet::open`], or by a thread that existed
/// before it, is not counted. The counters start disabled: call
/// [`CounterSet::enable`] when the measured window begins.
///
/// The set: software `task-clock`, `context-switches`, `cpu-migrations`,
/// `page-faults`; hardware `cycles`, `instructions`, `cache-references`,
/// `cache-misses`, `LLC-load-misses`, and [`CACHE_TO_CACHE`]: loads served by
/// another core's cache, which is what a cache line bouncing between the
/// submitter, the SQPOLL thread and the completer costs. It is
/// `MEM_LOAD_L3_HIT_RETIRED.XSNP_HITM` (event 0xD2, umask 0x04; named
/// `XSNP_FWD` from Ice Lake on) on Intel family 6 cores, and
/// `ls_any_fills_from_sys.remote_cache` (event 0x44, umask 0x14: fills from
/// another CCX's cache) on AMD family 19h (Zen 3, Zen 4), which does not see
/// transfers between cores of one CCX.
pub struct CounterSet {
    slots: Vec<Slot>,
}

/// One requested counter: open, or the reason it is not.
struct Slot {
    name: &'static str,
    counter: Result<Counter, String>,
}

impl CounterSet {
    /// Opens every counter of the set on the calling thread, disabled, with
    /// `inherit` and kernel mode. A counter the machine does not support is
    /// kept as its reason; missing privilege or missing perf support fails the
    /// whole set with an error whose [`CounterError::is_skip`] is true.
    pub fn open() -> Result<CounterSet, CounterError> {
        let mut slots = Vec::new();
        for (name, event) in requested_events() {
            let counter = match event {
                Err(reason) => Err(reason),
                Ok(mut builder) => {
                    builder
                        .inherit(true)
                        .include_kernel()
                        .exclude_hv(true)
                        .enabled(false);
                    match builder.build() {
                        Ok(counter) => Ok(counter),
                        Err(error) => Err(unsupported_reason(name, error)?),
                    }
                }
            };
            slots.push(Slot { name, counter });
        }
        Ok(CounterSet { slots })
    }

    /// Starts counting, on the opening thread and all threads it created.
    pub fn enable(&mut self) -> Result<(), CounterError> {
        self.control("enable", Counter::enable)
    }

    /// Stops counting; values stay readable.
    pub fn disable(&mut self) -> Result<(), CounterError> {
        self.control("disable", Counter::disable)
    }

    /// Sets every count back to zero (time enabled/running keep accumulating,
    /// so the running fraction stays meaningful across resets).
    pub fn reset(&mut self) -> Result<(), CounterError> {
        self.control("reset", Counter::reset)
    }

    /// Reads every counter of the set, in a fixed order, scaled for
    /// multiplexing and divided over the window's `steps`, as the profile
    /// line records them; unsupported counters come back with their reason
    /// and its code.
    pub fn read(&mut self, steps: u64) -> Result<Vec<CounterValue>, CounterError> {
        self.slots
            .iter_mut()
            .map(|slot| match &mut slot.counter {
                Err(reason) => Ok(CounterValue {
                    name: slot.name.to_string(),
                    value: None,
                    per_step: None,
                    running_fraction: None,
                    unsupported: Some(reason.clone()),
                    unsupported_code: Some(ReasonCode::CounterUnsupported),
                }),
                Ok(counter) => {
                    let read =
                        counter
                            .read_count_and_time()
                            .map_err(|source| CounterError::Control {
                                action: "read",
                                counter: slot.name,
                                source,
                            })?;
                    Ok(scaled_reading(
                        slot.name,
                        read.count,
                        read.time_enabled,
                        read.time_running,
                        steps,
                    ))
                }
            })
            .collect()
    }

    fn control(
        &mut self,
        action: &'static str,
        op: fn(&mut Counter) -> io::Result<()>,
    ) -> Result<(), CounterError> {
        for slot in &mut self.slots {
            if let Ok(counter) = &mut slot.counter {
                op(counter).map_err(|source| CounterError::Control {
                    action,
                    counter: slot.name,
                    source,
                })?;
            }
        }
        Ok(())
    }
}

/// The counters of the set, in reading order, each with its event or the
/// reason the machine has none.
fn requested_events() -> Vec<(&'static str, Result<Builder<'static>, String>)> {
    let llc_load_misses = Cache {
        which: CacheId::LL,
        operation: CacheOp::READ,
        result: CacheResult::MISS,
    };
    vec![
        ("task-clock", Ok(Builder::new(Software::TASK_CLOCK))),
        (
            "context-switches",
            Ok(Builder::new(Software::CONTEXT_SWITCHES)),
        ),
        ("cpu-migrations", Ok(Builder::new(Software::CPU_MIGRATIONS))),
        ("page-faults", Ok(Builder::new(Software::PAGE_FAULTS))),
        ("cycles", Ok(Builder::new(Hardware::CPU_CYCLES))),
        ("instructions", Ok(Builder::new(Hardware::INSTRUCTIONS))),
        (
            "cache-references",
            Ok(Builder::new(Hardware::CACHE_REFERENCES)),
        ),
        ("cache-misses", Ok(Builder::new(Hardware::CACHE_MISSES))),
        ("LLC-load-misses", Ok(Builder::new(llc_load_misses))),
        (
            CACHE_TO_CACHE,
            cache_to_cache_event(&cpu_identity()).map(Builder::new),
        ),
    ]
}

/// Vendor and family of the CPU, from /proc/cpuinfo.
#[derive(Debug, PartialEq)]
struct CpuIdentity {
    vendor: String,
    family: Option<u32>,
}

fn cpu_identity() -> CpuIdentity {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    parse_cpu_identity(&cpuinfo)
}

fn parse_cpu_identity(cpuinfo: &str) -> CpuIdentity {
    let field = |key: &str| {
        cpuinfo.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    CpuIdentity {
        vendor: field("vendor_id").unwrap_or_default(),
        family: field("cpu family").and_then(|f| f.parse().ok()),
    }
}

/// The raw cache-to-cache event documented for this CPU (see [`CounterSet`]).
fn cache_to_cache_event(cpu: &CpuIdentity) -> Result<Raw, String> {
    match (cpu.vendor.as_str(), cpu.family) {
        // MEM_LOAD_L3_HIT_RETIRED.XSNP_HITM / XSNP_FWD: event 0xD2, umask 0x04.
        ("GenuineIntel", Some(6)) => Ok(Raw::new(0x04d2)),
        // ls_any_fills_from_sys, umask near_cache | far_cache: event 0x44, umask 0x14.
        ("AuthenticAMD", Some(0x19)) => Ok(Raw::new(0x1444)),
        _ => Err("not supported: no known cache-to-cache event for this CPU".to_string()),
    }
}

/// Turns a perf_event_open failure into the reason a single counter is
/// unsupported, or into the error that skips or fails the whole set.
fn unsupported_reason(name: &'static str, error: io::Error) -> Result<String, CounterError> {
    let Some(errno) = error.raw_os_error() else {
        // perf-event2 maps E2BIG (attr options unknown to this kernel) to this.
        return if error.kind() == io::ErrorKind::Unsupported {
            Ok(format!("not supported: {error}"))
        } else {
            Err(CounterError::Open {
                counter: name,
                source: error,
            })
        };
    };
    let why = match errno {
        libc::EACCES | libc::EPERM => return Err(refusal(error, holds_perfmon())),
        libc::ENOSYS => return Err(CounterError::Unavailable(error)),
        libc::ENOENT => "event not provided by this CPU's PMU (ENOENT)",
        libc::ENODEV => "no PMU for this event (ENODEV)",
        libc::EOPNOTSUPP => "PMU cannot count this event this way (EOPNOTSUPP)",
        libc::EINVAL => "event configuration rejected by the kernel (EINVAL)",
        libc::EBUSY => "PMU in exclusive use by another user (EBUSY)",
        _ => {
            return Err(CounterError::Open {
                counter: name,
                source: error,
            })
        }
    };
    Ok(format!("not supported: {why}"))
}

/// The value of /proc/sys/kernel/perf_event_paranoid, if readable.
/// A permission error: missing privilege, or, when the process holds it, a
/// refusal by something else.
fn refusal(error: io::Error, privileged: bool) -> CounterError {
    if privileged {
        CounterError::Refused(error)
    } else {
        CounterError::NeedsPrivilege {
            paranoid: perf_event_paranoid(),
        }
    }
}

/// Whether the calling thread holds CAP_PERFMON (or CAP_SYS_ADMIN, which
/// stands in for it).
fn holds_perfmon() -> bool {
    const CAP_SYS_ADMIN: u32 = 21;
    const CAP_PERFMON: u32 = 38;
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|status| {
            let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_ADMIN | 1 << CAP_PERFMON) != 0)
}

fn perf_event_paranoid() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The reading of an open counter: the raw count scaled to the time it was
/// enabled, as `perf stat` does, and per step of a window of `steps`.
fn scaled_reading(
    name: &str,
    count: u64,
    time_enabled: u64,
    time_running: u64,
    steps: u64,
) -> CounterValue {
    let (value, running_fraction, unsupported) = if time_enabled == 0 {
        // Never enabled: an empty window, and a true zero.
        (Some(count as f64), None, None)
    } else if time_running == 0 {
        (
            None,
            Some(0.0),
            Some("not counted: never scheduled on the PMU".to_string()),
        )
    } else {
        let fraction = time_running as f64 / time_enabled as f64;
        (Some(count as f64 / fraction), Some(fraction), None)
    };
    CounterValue {
        name: name.to_string(),
        per_step: value.map(|v| v / steps.max(1) as f64),
        value,
        running_fraction,
        unsupported_code: unsupported
            .is_some()
            .then_some(ReasonCode::CounterNotCounted),
        unsupported,
    }
}

#[cfg(test)]
mod tests {
    //! The multiplexing arithmetic only shows with hardware counters, which
    //! this project's VMs lack, so it is tested here on its own.
    use super::*;

    #[test]
    fn multiplexed_count_is_scaled_to_the_enabled_time() {
        let reading = scaled_reading("cycles", 1_000, 400, 100, 8);
        assert_eq!(reading.value, Some(4_000.0));
        assert_eq!(reading.per_step, Some(500.0));
        assert_eq!(reading.running_fraction, Some(0.25));
        assert_eq!(reading.unsupported, None);
    }

    #[test]
    fn counter_running_the_whole_window_is_not_scaled() {
        let reading = scaled_reading("task-clock", 123, 500, 500, 1);
        assert_eq!(reading.value, Some(123.0));
        assert_eq!(reading.running_fraction, Some(1.0));
    }

    #[test]
    fn counter_never_scheduled_has_no_value() {
        let reading = scaled_reading("cycles", 0, 500, 0, 1);
        assert_eq!(reading.value, None);
        assert_eq!(reading.per_step, None);
        assert_eq!(reading.running_fraction, Some(0.0));
        assert_eq!(
            reading.unsupported_code,
            Some(ReasonCode::CounterNotCounted)
        );
        assert!(reading.unsupported.is_some());
    }

    #[test]
    fn counter_never_enabled_reads_zero_without_fraction() {
        let reading = scaled_reading("page-faults", 0, 0, 0, 1);
        assert_eq!(reading.value, Some(0.0));
        assert_eq!(reading.running_fraction, None);
    }

    #[test]
    fn cache_to_cache_event_follows_vendor_and_family() {
        let amd = parse_cpu_identity("vendor_id\t: AuthenticAMD\ncpu family\t: 25\n");
        assert_eq!(cache_to_cache_event(&amd), Ok(Raw::new(0x1444)));
        let intel = parse_cpu_identity("vendor_id\t: GenuineIntel\ncpu family\t: 6\n");
        assert_eq!(cache_to_cache_event(&intel), Ok(Raw::new(0x04d2)));
        let other = parse_cpu_identity("processor\t: 0\n");
        assert_eq!(
            cache_to_cache_event(&other),
            Err("not supported: no known cache-to-cache event for this CPU".to_string())
        );
    }

    #[test]
    fn permission_errors_skip_the_whole_set() {
        let error = refusal(io::Error::from_raw_os_error(libc::EACCES), false);
        assert!(error.is_skip());
        assert_eq!(error.code(), ReasonCode::CountersNeedPrivilege);
        assert!(error
            .to_string()
            .starts_with("perf counters need CAP_PERFMON"));
        let refused = refusal(io::Error::from_raw_os_error(libc::EACCES), true);
        assert!(refused.is_skip());
        assert!(refused
            .to_string()
            .starts_with("perf counters refused although this process holds CAP_PERFMON"));
        let missing = unsupported_reason("cycles", io::Error::from_raw_os_error(libc::ENOENT));
        assert_eq!(
            missing.unwrap(),
            "not supported: event not provided by this CPU's PMU (ENOENT)"
        );
        let fault =
            unsupported_reason("cycles", io::Error::from_raw_os_error(libc::EMFILE)).unwrap_err();
        assert!(!fault.is_skip());
        assert_eq!(fault.code(), ReasonCode::CountersFailed);
    }
}
