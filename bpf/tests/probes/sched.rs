//! Scheduler probes: context switches per thread role and wakeups across CPUs.

use std::{
    io::{Read, Write},
    os::unix::net::UnixStream,
    thread,
    time::Duration,
};

use io_uring::{opcode, squeue, IoUring};

use crate::common::{exclusive, probes_or_skip, run_batch, tgid};

/// Pins the calling thread to one CPU.
fn pin_to(cpu: usize) {
    // SAFETY: cpu_set_t is plain data, filled by CPU_SET and read by the kernel.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let ret = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(
            ret,
            0,
            "sched_setaffinity: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: as in pin_to; the kernel fills the set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let ret = libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set);
        assert_eq!(ret, 0);
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

/// Two threads of this process pinned to `cpus` bounce a byte `rounds`
/// times over a socket pair: every hop sleeps one and wakes the other.
fn ping_pong(cpus: (usize, usize), rounds: usize) {
    let (mut left, mut right) = UnixStream::pair().unwrap();
    let echo = thread::spawn(move || {
        pin_to(cpus.1);
        let mut byte = [0u8];
        for _ in 0..rounds {
            right.read_exact(&mut byte).unwrap();
            right.write_all(&byte).unwrap();
        }
    });
    let main = thread::spawn(move || {
        pin_to(cpus.0);
        let mut byte = [0u8];
        for _ in 0..rounds {
            left.write_all(&byte).unwrap();
            left.read_exact(&mut byte).unwrap();
        }
    });
    main.join().unwrap();
    echo.join().unwrap();
}

#[test]
fn wakeups_across_cpus_are_told_apart() {
    let _kernel = exclusive();
    let cpus = allowed_cpus();
    if cpus.len() < 2 {
        eprintln!("skipped: cross-CPU wakeups need two CPUs, this process may use {cpus:?}");
        return;
    }
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let rounds = 200;

    let attached = probes.attach(tgid()).unwrap();
    ping_pong((cpus[0], cpus[1]), rounds);
    let across = attached.finish().unwrap();

    let attached = probes.attach(tgid()).unwrap();
    ping_pong((cpus[0], cpus[0]), rounds);
    let same = attached.finish().unwrap();

    eprintln!("ping-pong on CPUs {} and {}: {across:?}", cpus[0], cpus[1]);
    eprintln!("ping-pong on CPU {} only: {same:?}", cpus[0]);
    let hops = 2 * rounds as u64;
    let (wakeups, crossing) = (across.wakeups.unwrap(), across.wakeups_cross_cpu.unwrap());
    assert!(wakeups >= hops * 9 / 10, "{across:?}");
    assert!(crossing >= hops * 9 / 10, "{across:?}");
    assert!(crossing <= wakeups);
    let (wakeups, crossing) = (same.wakeups.unwrap(), same.wakeups_cross_cpu.unwrap());
    assert!(wakeups >= hops * 9 / 10, "{same:?}");
    assert!(crossing <= wakeups / 10, "{same:?}");
    assert!(same.ctx_switches_app.unwrap() >= hops * 9 / 10, "{same:?}");
}

#[test]
fn switches_are_told_apart_by_thread_role() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let batch = vec![opcode::Nop::new().build().flags(squeue::Flags::ASYNC); 8];
    let naps = 20;
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..naps {
        run_batch(&mut ring, &batch);
        thread::sleep(Duration::from_millis(2));
    }
    let counts = attached.finish().unwrap();
    eprintln!("{naps} naps between batches of async NOPs: {counts:?}");
    // The test thread sleeps in every nap; the io-wq workers go idle
    // (and off the CPU) between batches; no SQPOLL thread exists.
    assert!(counts.ctx_switches_app.unwrap() >= naps, "{counts:?}");
    assert!(counts.ctx_switches_wrk.unwrap() > 0, "{counts:?}");
    assert_eq!(counts.ctx_switches_sqp, Some(0), "{counts:?}");
}
