//! Each io_uring counter against a cell whose event count is known.

use std::{
    os::fd::{AsRawFd, FromRawFd, OwnedFd},
    process::{Command, Stdio},
};

use io_uring::{opcode, squeue, types, IoUring};

use crate::common::{exclusive, probes_or_skip, run_batch, tgid};

const BATCH: usize = 32;

fn nops(count: usize, flags: squeue::Flags) -> Vec<squeue::Entry> {
    (0..count)
        .map(|step| {
            opcode::Nop::new()
                .build()
                .flags(flags)
                .user_data(step as u64)
        })
        .collect()
}

#[test]
fn plain_nops_are_submitted_and_completed_without_punts() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let batches = 16;
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..batches {
        run_batch(&mut ring, &nops(BATCH, squeue::Flags::empty()));
    }
    let counts = attached.finish().unwrap();
    let steps = (batches * BATCH) as u64;
    eprintln!("plain NOPs, {steps} steps: {counts:?}");
    assert_eq!(counts.submit_req, Some(steps));
    assert_eq!(counts.complete, Some(steps));
    assert!(counts.queue_async_work.unwrap() <= steps / 100);
    assert_eq!(counts.link, Some(0));
    assert_eq!(counts.defer, Some(0));
    assert_eq!(counts.fail_link, Some(0));
}

#[test]
fn forced_async_nops_punt_to_io_wq_once_per_step() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let batches = 16;
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..batches {
        run_batch(&mut ring, &nops(BATCH, squeue::Flags::ASYNC));
    }
    let counts = attached.finish().unwrap();
    let steps = (batches * BATCH) as u64;
    let punts = counts.queue_async_work.unwrap();
    eprintln!(
        "IOSQE_ASYNC NOPs, {steps} steps: {:.3} punts/step; {counts:?}",
        punts as f64 / steps as f64
    );
    assert_eq!(counts.submit_req, Some(steps));
    assert_eq!(counts.complete, Some(steps));
    assert!(
        punts.abs_diff(steps) <= steps / 20,
        "{punts} punts for {steps} steps"
    );
}

#[test]
fn linked_chains_link_every_step_but_the_head() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let (chains, steps_per_chain) = (48, 4);
    let chain: Vec<squeue::Entry> = (0..steps_per_chain)
        .map(|step| {
            let flags = if step + 1 < steps_per_chain {
                squeue::Flags::IO_LINK
            } else {
                squeue::Flags::empty()
            };
            opcode::Nop::new().build().flags(flags)
        })
        .collect();
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..chains / 8 {
        let batch: Vec<squeue::Entry> = (0..8).flat_map(|_| chain.clone()).collect();
        run_batch(&mut ring, &batch);
    }
    let counts = attached.finish().unwrap();
    let steps = (chains * steps_per_chain) as u64;
    eprintln!("{chains} chains of {steps_per_chain} NOPs: {counts:?}");
    assert_eq!(counts.link, Some(steps - chains as u64));
    assert_eq!(counts.submit_req, Some(steps));
    assert_eq!(counts.fail_link, Some(0));
}

#[test]
fn a_failed_head_fails_the_rest_of_its_chain() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let chains = 16;
    // Closing fd -1 fails with EBADF when issued; the two NOPs behind it are
    // cancelled.
    let chain = [
        opcode::Close::new(types::Fd(-1))
            .build()
            .flags(squeue::Flags::IO_LINK),
        opcode::Nop::new().build().flags(squeue::Flags::IO_LINK),
        opcode::Nop::new().build(),
    ];
    let attached = probes.attach(tgid()).unwrap();
    let mut results = Vec::new();
    for _ in 0..chains {
        results.extend(run_batch(&mut ring, &chain));
    }
    let counts = attached.finish().unwrap();
    eprintln!("{chains} chains with a failing head: {counts:?}");
    assert_eq!(
        results
            .iter()
            .filter(|&&res| res == -libc::ECANCELED)
            .count(),
        chains * 2
    );
    assert_eq!(counts.fail_link, Some(chains as u64 * 2));
    assert_eq!(counts.link, Some(chains as u64 * 2));
}

#[test]
fn drained_steps_are_deferred() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let rounds = 16;
    // Async NOPs are still in io-wq when the drained NOP is submitted, so it
    // has to wait for them.
    let mut batch = nops(8, squeue::Flags::ASYNC);
    batch.push(opcode::Nop::new().build().flags(squeue::Flags::IO_DRAIN));
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..rounds {
        run_batch(&mut ring, &batch);
    }
    let counts = attached.finish().unwrap();
    eprintln!("{rounds} rounds of 8 async NOPs + 1 drained NOP: {counts:?}");
    // Each drained NOP is deferred; the first step of the next round may be
    // too, as the ring stays in drain mode until a step passes straight.
    let deferred = counts.defer.unwrap();
    assert!((rounds..=2 * rounds).contains(&deferred), "{counts:?}");
    assert_eq!(counts.submit_req, Some(rounds * 9));
}

#[test]
fn timeouts_complete_through_task_work() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let timespec = types::Timespec::new().nsec(1_000_000);
    let timeouts: Vec<squeue::Entry> = (0..8)
        .map(|_| opcode::Timeout::new(&timespec).build())
        .collect();
    let rounds = 8;
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..rounds {
        let results = run_batch(&mut ring, &timeouts);
        assert!(results.iter().all(|&res| res == -libc::ETIME));
    }
    let counts = attached.finish().unwrap();
    let steps = rounds * timeouts.len() as u64;
    eprintln!("{steps} 1 ms timeouts: {counts:?}");
    // The hrtimer queues the completion as task_work, which the waiting
    // task runs: at least one run and one sleeping wait per round.
    assert_eq!(counts.complete, Some(steps));
    assert!(counts.task_work_run.unwrap() >= rounds, "{counts:?}");
    assert!(counts.cqring_wait.unwrap() >= rounds, "{counts:?}");
    assert_eq!(counts.local_work_run, Some(0));
    assert_eq!(counts.queue_async_work, Some(0));
}

#[test]
fn poll_wakeups_from_another_process_are_counted() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(8).unwrap();
    let (reader, writer) = pipe();
    let rounds = 8;
    let mut byte = [0u8; 1];
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..rounds {
        // The pipe is empty: the read arms a poll, and the wakeup comes from
        // the write of another process, in that process's context.
        let read = opcode::Read::new(types::Fd(reader.as_raw_fd()), byte.as_mut_ptr(), 1).build();
        unsafe { ring.submission().push(&read) }.unwrap();
        ring.submit().unwrap();
        let status = Command::new("sh")
            .args(["-c", "printf x"])
            .stdout(Stdio::from(writer.try_clone().unwrap()))
            .status()
            .unwrap();
        assert!(status.success());
        ring.submit_and_wait(1).unwrap();
        let cqe = ring.completion().next().unwrap();
        assert_eq!(cqe.result(), 1);
    }
    let counts = attached.finish().unwrap();
    eprintln!("{rounds} pipe reads woken by another process: {counts:?}");
    assert_eq!(counts.task_add, Some(rounds), "{counts:?}");
    assert_eq!(counts.complete, Some(rounds));
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array it is given.
    let ret = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(ret, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

#[test]
fn defer_taskrun_rings_run_local_work() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let ring = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(64);
    let mut ring = match ring {
        Ok(ring) => ring,
        Err(error) => {
            eprintln!("skipped: IORING_SETUP_DEFER_TASKRUN unsupported: {error}");
            return;
        }
    };
    let timespec = types::Timespec::new().nsec(1_000_000);
    let timeouts: Vec<squeue::Entry> = (0..8)
        .map(|_| opcode::Timeout::new(&timespec).build())
        .collect();
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..4 {
        run_batch(&mut ring, &timeouts);
    }
    let counts = attached.finish().unwrap();
    eprintln!("DEFER_TASKRUN, 32 1 ms timeouts: {counts:?}");
    assert!(counts.local_work_run.unwrap() > 0);
    assert_eq!(counts.complete, Some(32));
}

#[test]
fn syscalls_are_counted_with_io_uring_enter_on_its_own() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = IoUring::new(64).unwrap();
    let (batches, other_calls) = (16u64, 500u64);
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..batches {
        // NOPs complete inside the submitting call: one io_uring_enter each.
        run_batch(&mut ring, &nops(BATCH, squeue::Flags::empty()));
    }
    for _ in 0..other_calls {
        // SAFETY: getppid has no preconditions and cannot fail.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    let counts = attached.finish().unwrap();
    eprintln!("{batches} batches and {other_calls} getppid: {counts:?}");
    assert_eq!(counts.io_uring_enter, Some(batches), "{counts:?}");
    let syscalls = counts.syscalls.unwrap();
    // Attaching and detaching make a few bpf(2) calls of their own.
    assert!(
        (batches + other_calls..batches + other_calls + 100).contains(&syscalls),
        "{counts:?}"
    );
}

#[test]
fn sqpoll_submissions_count_for_the_process() {
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut ring = match IoUring::builder().setup_sqpoll(1).build(64) {
        Ok(ring) => ring,
        Err(error) => {
            eprintln!("skipped: IORING_SETUP_SQPOLL unsupported: {error}");
            return;
        }
    };
    let batches = 8;
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..batches {
        run_batch(&mut ring, &nops(BATCH, squeue::Flags::empty()));
        // Past the 1 ms idle time the SQPOLL thread goes to sleep.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let counts = attached.finish().unwrap();
    let steps = (batches * BATCH) as u64;
    eprintln!("SQPOLL, {steps} NOPs: {counts:?}");
    assert_eq!(counts.submit_req, Some(steps));
    assert!(counts.ctx_switches_sqp.unwrap() > 0);
    // The SQPOLL thread runs its (empty) task_work queue on every pass of its
    // loop; only runs that did something count.
    assert!(counts.task_work_run.unwrap() <= steps, "{counts:?}");
}
