//! Perf counters against the real kernel: software counters count real work,
//! inherit reaches the SQPOLL thread, missing hardware counters read as
//! unsupported (never 0), and without CAP_PERFMON the set is skipped.

use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use io_uring::{opcode, IoUring};
use results_schema::{CounterValue, ReasonCode};
use workloads::counters::{CounterSet, CACHE_TO_CACHE};

/// Set in the environment of the re-executed test binary that drops its
/// capabilities.
const UNPRIVILEGED_CHILD: &str = "WORKLOADS_COUNTERS_UNPRIVILEGED_CHILD";

const HARDWARE_COUNTERS: [&str; 6] = [
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "LLC-load-misses",
    CACHE_TO_CACHE,
];

/// Opens the set, or prints why this machine cannot and returns None.
fn open_or_skip() -> Option<CounterSet> {
    match CounterSet::open() {
        Ok(set) => Some(set),
        Err(error) if error.is_skip() => {
            eprintln!("skipped: {error}");
            None
        }
        Err(error) => panic!("{error}"),
    }
}

fn value(readings: &[CounterValue], name: &str) -> Option<f64> {
    readings
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no counter named {name}"))
        .value
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn software_counters_count_real_work() {
    let Some(mut set) = open_or_skip() else {
        return;
    };
    set.enable().unwrap();
    let cpu_before = thread_cpu_time();
    let mut spins = 0u64;
    while thread_cpu_time() - cpu_before < Duration::from_millis(30) {
        spins = std::hint::black_box(spins + 1);
    }
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Fresh anonymous memory: each touched page faults once.
    let mut pages = vec![0u8; 256 * 4096];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&pages);
    let cpu_used = thread_cpu_time() - cpu_before;
    set.disable().unwrap();
    let readings = set.read(1).unwrap();

    let task_clock = value(&readings, "task-clock").expect("task-clock supported");
    assert!(
        task_clock >= cpu_used.as_nanos() as f64 * 0.95,
        "{cpu_used:?} of thread CPU time counted as {task_clock} ns"
    );
    let switches = value(&readings, "context-switches").expect("context-switches supported");
    assert!(switches >= 10.0, "10 sleeps counted as {switches} switches");
    let faults = value(&readings, "page-faults").expect("page-faults supported");
    assert!(faults >= 64.0, "256 fresh pages counted as {faults} faults");
    for name in ["task-clock", "context-switches", "page-faults"] {
        let reading = readings.iter().find(|r| r.name == name).unwrap();
        assert_eq!(
            reading.running_fraction,
            Some(1.0),
            "software counters are never multiplexed"
        );
    }

    // Counting stopped at disable(): more work changes nothing.
    std::thread::sleep(Duration::from_millis(5));
    let again = set.read(1).unwrap();
    assert_eq!(value(&again, "task-clock"), Some(task_clock));

    set.reset().unwrap();
    let after_reset = set.read(1).unwrap();
    assert_eq!(value(&after_reset, "task-clock"), Some(0.0));
}

/// CPU time of this process's threads whose name starts with `prefix`, from
/// /proc (clock ticks, so 10 ms resolution): an observer independent of perf.
fn io_threads_cpu(prefix: &str) -> Option<Duration> {
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let mut found = None;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after "(comm) ": state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().ok()? + fields[12].parse::<u64>().ok()?;
        *found.get_or_insert(Duration::ZERO) +=
            Duration::from_millis(ticks * 1000 / ticks_per_second);
    }
    found
}

/// How long the SQPOLL thread keeps spinning after the last submission.
const POLLER_IDLE: Duration = Duration::from_secs(10);
/// CPU time of the poller the test waits for and expects counted.
const POLLER_SPIN: Duration = Duration::from_millis(60);

#[test]
fn sqpoll_thread_is_counted() {
    let Some(mut set) = open_or_skip() else {
        return;
    };
    set.enable().unwrap();
    // Created after open(): the poller inherits the counters.
    let mut ring: IoUring = match IoUring::builder()
        .setup_sqpoll(POLLER_IDLE.as_millis() as u32)
        .build(16)
    {
        Ok(ring) => ring,
        Err(error) => {
            eprintln!("skipped: SQPOLL ring unavailable: {error}");
            return;
        }
    };
    let app_before = thread_cpu_time();
    for i in 0..8 {
        let nop = opcode::Nop::new().build().user_data(i);
        // SAFETY: a NOP references no memory.
        unsafe { ring.submission().push(&nop).unwrap() };
    }
    ring.submit().unwrap();
    // The poller keeps spinning for its idle time while this thread sleeps.
    // Wait until /proc says it spun, however long a loaded machine takes to
    // give it the CPU: it is the CPU time, not the wall time, that is compared.
    let deadline = Instant::now() + POLLER_IDLE;
    // The poller thread itself may show up in /proc a moment after the ring.
    let poller_cpu = loop {
        let spun = io_threads_cpu("iou-sqp-");
        if spun.is_some_and(|spun| spun >= POLLER_SPIN) || Instant::now() > deadline {
            break spun.expect("an iou-sqp thread in /proc/self/task");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let app_cpu = thread_cpu_time() - app_before;
    set.disable().unwrap();
    let readings = set.read(1).unwrap();
    assert_eq!(ring.completion().len(), 8, "all NOPs completed");

    let task_clock = Duration::from_nanos(value(&readings, "task-clock").unwrap() as u64);
    eprintln!(
        "task-clock {task_clock:?}, application thread {app_cpu:?}, iou-sqp per /proc {poller_cpu:?}"
    );
    assert!(
        poller_cpu >= POLLER_SPIN,
        "the poller should have spun within its {POLLER_IDLE:?} idle time, /proc says {poller_cpu:?}"
    );
    // /proc counts in clock ticks: allow one tick's rounding.
    assert!(
        task_clock >= app_cpu + POLLER_SPIN - Duration::from_millis(10),
        "task-clock {task_clock:?} does not include the poller (application thread {app_cpu:?})"
    );
}

#[test]
fn io_wq_workers_are_counted() {
    let Some(mut set) = open_or_skip() else {
        return;
    };
    set.enable().unwrap();
    let mut ring: IoUring = IoUring::new(256).unwrap();
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let mut buffer = vec![0u8; 16 << 20];
    // 4 GiB to clear: about 100 ms of CPU here, whatever the load (a busier
    // machine only makes it dearer), against a bound of half that; 1 GiB
    // cost about 30 ms, which /proc's 10 ms ticks read as 20 ms or 30 ms.
    let reads = 256;
    let app_before = thread_cpu_time();
    for i in 0..reads {
        // Forced async: each read runs on an iou-wrk thread, which clears the
        // buffer in kernel mode while this thread sleeps in io_uring_enter.
        let read = opcode::Read::new(
            io_uring::types::Fd(zero.as_raw_fd()),
            buffer.as_mut_ptr(),
            buffer.len() as u32,
        )
        .build()
        .flags(io_uring::squeue::Flags::ASYNC)
        .user_data(i);
        // SAFETY: the buffer outlives the ring's use of it (all CQEs are
        // reaped below before it is dropped).
        unsafe { ring.submission().push(&read).unwrap() };
    }
    ring.submit_and_wait(reads as usize).unwrap();
    let app_cpu = thread_cpu_time() - app_before;
    let workers_cpu = io_threads_cpu("iou-wrk-").expect("an iou-wrk thread in /proc/self/task");
    set.disable().unwrap();
    let readings = set.read(1).unwrap();
    for cqe in ring.completion() {
        assert_eq!(
            cqe.result(),
            buffer.len() as i32,
            "read {}",
            cqe.user_data()
        );
    }

    let task_clock = Duration::from_nanos(value(&readings, "task-clock").unwrap() as u64);
    eprintln!(
        "task-clock {task_clock:?}, application thread {app_cpu:?}, iou-wrk per /proc {workers_cpu:?}"
    );
    assert!(
        workers_cpu >= Duration::from_millis(60),
        "the workers should have cleared 4 GiB, /proc says {workers_cpu:?}"
    );
    assert!(
        task_clock >= app_cpu + workers_cpu / 2,
        "task-clock {task_clock:?} does not include the io-wq workers (application thread {app_cpu:?})"
    );
}

#[test]
fn every_reading_has_a_value_or_a_reason() {
    let Some(mut set) = open_or_skip() else {
        return;
    };
    set.enable().unwrap();
    set.disable().unwrap();
    for reading in set.read(1).unwrap() {
        assert!(
            reading.value.is_some() != reading.unsupported.is_some(),
            "{reading:?}"
        );
        assert_eq!(
            reading.unsupported.is_some(),
            reading.unsupported_code.is_some(),
            "{reading:?}"
        );
    }
}

#[test]
fn hardware_counters_without_a_pmu_are_not_supported() {
    if Path::new("/sys/bus/event_source/devices/cpu").exists() {
        eprintln!("skipped: this machine has a hardware PMU");
        return;
    }
    let Some(mut set) = open_or_skip() else {
        return;
    };
    set.enable().unwrap();
    set.disable().unwrap();
    let readings = set.read(1).unwrap();
    for name in HARDWARE_COUNTERS {
        let reading = readings.iter().find(|r| r.name == name).unwrap();
        assert_eq!(reading.value, None, "{reading:?}");
        assert_eq!(reading.running_fraction, None, "{reading:?}");
        assert_eq!(
            reading.unsupported_code,
            Some(ReasonCode::CounterUnsupported),
            "{reading:?}"
        );
    }
}

#[test]
fn counters_are_skipped_without_perfmon() {
    if std::env::var_os(UNPRIVILEGED_CHILD).is_some() {
        // Capabilities are per thread: drop them on the thread that opens.
        for set in [caps::CapSet::Effective, caps::CapSet::Permitted] {
            for cap in [
                caps::Capability::CAP_PERFMON,
                caps::Capability::CAP_SYS_ADMIN,
            ] {
                caps::drop(None, set, cap).unwrap();
            }
        }
        let error = CounterSet::open()
            .err()
            .expect("kernel-mode counters opened without CAP_PERFMON");
        assert!(error.is_skip(), "{error}");
        assert_eq!(error.code(), ReasonCode::CountersNeedPrivilege, "{error}");
        println!("child skip reason: {error}");
        return;
    }
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok());
    let Some(paranoid @ 2..) = paranoid else {
        eprintln!("skipped: perf_event_paranoid={paranoid:?} lets anyone count kernel mode");
        return;
    };
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "counters_are_skipped_without_perfmon",
            "--exact",
            "--nocapture",
        ])
        .env(UNPRIVILEGED_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = format!(
        "child skip reason: perf counters need CAP_PERFMON (perf_event_paranoid={paranoid})"
    );
    assert!(stdout.contains(&expected), "child said: {stdout}");
}
