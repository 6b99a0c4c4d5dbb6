//! Events of another process running at the same time are not counted.

use std::{
    io::{BufRead, BufReader, Read},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
    time::{Duration, Instant},
};

use bpf::ProbeCounts;
use io_uring::{opcode, squeue, IoUring};

use crate::common::{
    child, child_lines, child_role, child_says, exclusive, probes_or_skip, run_batch, tgid,
};

const TEST: &str = "isolation::another_process_running_nops_is_not_counted";

/// How long the probes watch the child.
const WINDOW: Duration = Duration::from_millis(250);

#[test]
fn another_process_running_nops_is_not_counted() {
    if child_role().is_some() {
        return nop_loop_until_stdin_closes();
    }
    let _kernel = exclusive();
    let Some(mut probes) = probes_or_skip() else {
        return;
    };
    let mut noisy = child(TEST, "nop-loop")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(noisy.stdout.take().unwrap());
    let mut line = String::new();
    while child_says(&line) != Some("ready") {
        line.clear();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "the NOP loop child never got ready");
    }

    // Our own cell: a known number of NOPs, spread over a while so the child
    // runs many of its own meanwhile.
    let mut ring = IoUring::new(64).unwrap();
    let nop = opcode::Nop::new().build();
    let (rounds, per_round) = (20, 16);
    let attached = probes.attach(tgid()).unwrap();
    for _ in 0..rounds {
        run_batch(&mut ring, &vec![nop.clone(); per_round]);
        thread::sleep(Duration::from_millis(5));
    }
    let ours = attached.finish().unwrap();

    // The same probes aimed at the child do see its NOPs: the filter, not a
    // blind probe, is what kept them out above. The child may spend part of
    // this wall-clock window waiting for a CPU: what `assert_submitting`
    // asks of it (1000 NOPs) is far below 1% of what it runs in the window
    // on an idle machine, so that a loaded one passes too.
    let attached = probes.attach(noisy.id()).unwrap();
    thread::sleep(WINDOW);
    let theirs = attached.finish().unwrap();

    drop(noisy.stdin.take());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(noisy.wait().unwrap().success());
    let child_nops: u64 = child_lines(rest.as_bytes())
        .iter()
        .find_map(|line| line.strip_prefix("nops ")?.parse().ok())
        .expect("child reported its NOP count");

    let steps = (rounds * per_round) as u64;
    eprintln!("ours ({steps} NOPs): {ours:?}");
    eprintln!("child ({child_nops} NOPs in all), {WINDOW:?} of it: {theirs:?}");
    assert_eq!(ours.submit_req, Some(steps));
    assert_eq!(ours.complete, Some(steps));
    // One io_uring_enter per round, however many the child made meanwhile.
    assert_eq!(ours.io_uring_enter, Some(rounds as u64));
    assert!(
        child_nops > 10 * steps,
        "the child ran only {child_nops} NOPs"
    );
    assert_submitting(&theirs);
}

fn assert_submitting(counts: &ProbeCounts) {
    let submitted = counts.submit_req.unwrap();
    assert!(submitted > 1000, "{counts:?}");
    // Requests in flight when the probes attach or detach are counted on one
    // side only: a few batches of the child's, more when the machine is busy.
    assert!(
        counts.complete.unwrap().abs_diff(submitted) <= 64.max(submitted / 100),
        "{counts:?}"
    );
    assert!(counts.io_uring_enter.unwrap() > 10, "{counts:?}");
}

/// Child role: NOPs in batches of 16 until the parent closes our stdin.
fn nop_loop_until_stdin_closes() {
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut ring = IoUring::new(64).unwrap();
    let batch: Vec<squeue::Entry> = vec![opcode::Nop::new().build(); 16];
    let started = Instant::now();
    let mut nops = 0u64;
    println!("child: ready");
    while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
        run_batch(&mut ring, &batch);
        nops += batch.len() as u64;
    }
    watcher.join().unwrap();
    println!("child: nops {nops}");
}
