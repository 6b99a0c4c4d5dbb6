//! Hung cells: a cell whose pass never completes (a read, through io-wq, of a
//! pipe nobody writes to; selected by the test-only
//! `URING_SYNCBENCH_TEST_HANG_STYLE` of the fault-injection build, which no
//! config and no shipped binary can reach) is ended by
//! the per-cell watchdog, recorded `failed` with `timeout after N s`, its
//! ring, threads, pipe and temp dir are torn down, and the sweep goes on with
//! the next cell. Ctrl-C is not held up by a hung cell either.

mod common;

use common::{
    assert_clean_exit, config, output_within, planned, sweep_command, sweep_dir, temp_dirs,
    wait_within, Lines, Snapshot,
};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use workloads::fault_injection::HANG_ENV;

const LIMIT: Duration = Duration::from_secs(60);

/// `link` cells hang; each is followed by a `userspace` cell long enough to
/// be watched while it runs.
/// The cells of `hang_config` that hang: `link` in each of its three modes.
const HUNG_CELLS: usize = 3;

fn hang_config(watchdog: &str) -> String {
    config(&format!(
        "styles = [\"link\", \"userspace\"]\n\
         modes = [\"default\", \"sqpoll\", \"defer-taskrun\"]\n\
         ops = [\"file\"]\n\
         repetitions = 5\n\
         min_repetitions = 5\n\
         rep_time = \"60ms\"\n\
         time_budget = \"10s\"\n\
         watchdog = \"{watchdog}\""
    ))
}

/// What was seen of the sweep while it ran.
#[derive(Default)]
struct Watch {
    /// For each recorded timeout: when it was seen, and the threads of the
    /// hung cell (all but the main thread) in the sample just before.
    timeouts: Vec<(Instant, Vec<(u32, String)>)>,
    /// The hung cell's ring and pipe, as last seen before each timeout.
    hung: Vec<Snapshot>,
    /// For each timeout, how long its cell had been seen hanging (its pipe
    /// open) when the timeout was recorded.
    hung_for: Vec<Duration>,
    /// Threads of a hung cell seen more than [`TEARDOWN`] after its timeout.
    survivors: Vec<String>,
    /// Most rings and temp dirs at once after the first timeout.
    most_rings: usize,
    most_temp_dirs: usize,
    /// Samples while a `userspace` cell was between two of its repetitions.
    healthy: Vec<Snapshot>,
}

/// How long the kernel may take to end a torn-down ring's threads (its exit
/// work retries cancelling the io-wq read every 50 ms). That they go is under
/// test; the bound is generous (tens of retries) for a loaded machine.
const TEARDOWN: Duration = Duration::from_secs(5);

/// The longest a hung cell may be seen before its 1.5 s watchdog is recorded.
/// The bound is the behaviour under test (a watchdog that fires far later
/// than asked fails it) but not a speed: it is generous, so that a loaded
/// machine, where the sweep and this watcher both wait for a CPU, passes.
const WATCHDOG_BOUND: Duration = Duration::from_secs(10);

/// How many whole lines the results file has, and its last cell line (a
/// block's load line, which follows its cells, is passed over).
fn last_line(path: &std::path::Path) -> (usize, String) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let n = text.lines().count();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.starts_with("{\"kind\":\"load\""))
        .unwrap_or("");
    (n, last.to_string())
}

/// Samples the sweep's process until it exits.
fn watch(pid: u32, child: &mut std::process::Child, results: &Path, tmp: &Path) -> Watch {
    let mut w = Watch::default();
    let mut previous: Option<Snapshot> = None;
    let mut seen_lines = 0;
    let mut hung_since: Option<Instant> = None;
    loop {
        let (n, before) = last_line(results);
        let Some(snap) = Snapshot::take(pid) else {
            break;
        };
        let (m, _) = last_line(results);
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let now = Instant::now();
        // Only a hung cell holds a pipe (the healthy cells write files).
        if snap.pipes > 0 {
            hung_since.get_or_insert(now);
        }
        if m != seen_lines {
            // A block's load line can follow a timeout at once: read every
            // new line, not only the last.
            let text = std::fs::read_to_string(results).unwrap_or_default();
            let timed_out = text
                .lines()
                .skip(seen_lines)
                .take(m.saturating_sub(seen_lines))
                .any(|l| l.contains("timeout after"));
            seen_lines = m;
            if timed_out {
                let hung = previous.clone().unwrap_or_default();
                let threads = hung.threads.iter().filter(|(t, _)| *t != pid).cloned();
                w.timeouts.push((now, threads.collect()));
                w.hung.push(hung);
                w.hung_for
                    .push(hung_since.take().map_or(Duration::ZERO, |t| now - t));
            }
        }
        if !w.timeouts.is_empty() {
            for (at, threads) in &w.timeouts {
                for t in threads.iter().filter(|t| snap.threads.contains(t)) {
                    if now > *at + TEARDOWN {
                        w.survivors.push(format!("{} ({})", t.1, t.0));
                    }
                }
            }
            w.most_rings = w.most_rings.max(snap.rings);
            w.most_temp_dirs = w.most_temp_dirs.max(temp_dirs(tmp).len());
            // Repetitions run in rounds over all cells: once the last hung cell
            // timed out, only the healthy cells' repetitions remain, each on a
            // fresh set-up of at most one ring and no pipe of the hung cells.
            let between_reps = w.timeouts.len() == HUNG_CELLS
                && n == m
                && before.contains("\"userspace/")
                && before.contains("\"pass\":\"timing\"")
                && !before.contains("\"rep\":4,");
            if between_reps {
                w.healthy.push(snap.clone());
            }
        }
        previous = Some(snap);
        std::thread::sleep(Duration::from_millis(3));
    }
    w
}

#[test]
fn watchdog_ends_hung_cells_tears_them_down_and_goes_on() {
    let (_dir, path, tmp, out) = sweep_dir(&hang_config("1500ms"));
    let results = out.join("results.jsonl");
    let mut child = sweep_command(&path, &out, &tmp, &[])
        .env(HANG_ENV, "link")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let w = watch(pid, &mut child, &results, &tmp);
    let status = wait_within(&mut child, LIMIT);
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert!(status.success(), "{stderr}");
    assert_clean_exit(pid, Some(&tmp));

    let lines = Lines::read(&results);
    assert!(lines.bad.is_empty());
    let plan = planned(&path);
    for name in &plan {
        let of_cell: Vec<_> = lines
            .cells()
            .filter(|l| l["name"] == name.as_str())
            .collect();
        if name.starts_with("link/") {
            assert_eq!(of_cell.len(), 1, "{name}: {of_cell:?}");
            assert_eq!(of_cell[0]["status"], "failed", "{name}");
            assert_eq!(of_cell[0]["reason_code"], "timeout", "{name}");
            assert_eq!(of_cell[0]["reason"], "timeout after 1.5 s", "{name}");
            assert!(
                stderr.contains(&format!("{name}: timeout after 1.5 s")),
                "{name}: {stderr}"
            );
        } else {
            let ok = of_cell
                .iter()
                .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
                .count();
            assert_eq!(ok, 5, "{name}: the sweep did not go on after the hung cell");
        }
    }
    // Each was ended by its watchdog (the recorded reason above), not long
    // after the watchdog's time.
    assert_eq!(w.hung_for.len(), HUNG_CELLS, "timeouts seen");
    for hung_for in &w.hung_for {
        assert!(
            *hung_for < WATCHDOG_BOUND,
            "a 1.5 s watchdog ended its cell after {hung_for:?}"
        );
    }

    // Each hung cell was seen with its ring, pipe and threads (a submitter,
    // and the io-wq worker blocked in the read)...
    assert_eq!(w.timeouts.len(), HUNG_CELLS, "timeouts seen");
    for (hung, (_, threads)) in w.hung.iter().zip(&w.timeouts) {
        assert_eq!((hung.rings, hung.pipes), (1, 2), "hung cell: {hung:?}");
        let names: Vec<&str> = threads.iter().map(|(_, n)| n.as_str()).collect();
        assert!(
            names.iter().any(|n| n.starts_with("submitter-"))
                && names.iter().any(|n| n.starts_with("iou-")),
            "hung cell's threads: {names:?}"
        );
    }
    // ...and after its timeout all of it is gone: the ring and pipe at once,
    // the kernel's threads within the teardown time.
    assert!(
        w.survivors.is_empty(),
        "threads of hung cells survived: {:?}",
        w.survivors
    );
    assert!(w.most_rings <= 1, "a hung cell's ring survived");
    assert!(w.most_temp_dirs <= 1, "a hung cell's temp dir survived");
    assert!(
        w.healthy.len() >= 3,
        "too few samples of the cells after a hang: {}",
        w.healthy.len()
    );
    for s in &w.healthy {
        assert!(
            s.rings <= 1 && s.pipes == 0,
            "while a healthy cell ran, a hung cell's ring or pipe was still there: {s:?}"
        );
    }
    eprintln!(
        "3 hung cells ended by the watchdog after {:?}; their threads ({:?}) gone within {TEARDOWN:?}; {} samples while a healthy cell ran",
        w.hung_for,
        w.timeouts.iter().map(|(_, t)| t.len()).collect::<Vec<_>>(),
        w.healthy.len()
    );
}

#[test]
fn ctrl_c_is_not_held_up_by_a_hung_cell_and_resume_completes() {
    let (_dir, path, tmp, out) = sweep_dir(&hang_config("20s"));
    let results = out.join("results.jsonl");
    let mut child = sweep_command(&path, &out, &tmp, &[])
        .env(HANG_ENV, "link")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Wait until the first (hanging) cell has its ring.
    let deadline = Instant::now() + LIMIT;
    while !(last_line(&results).0 >= 1 && Snapshot::take(pid).is_some_and(|s| s.pipes == 2)) {
        assert!(Instant::now() < deadline, "the hung cell never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    common::signal(pid, libc::SIGINT);
    let status = wait_within(&mut child, LIMIT);
    let waited = sent.elapsed();
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    // Not held up is the behaviour under test: a sweep that waited for the
    // hung cell would end only with its 20 s watchdog. Half of that is the
    // bound, generous for a loaded machine; the recorded `interrupted`
    // below says which of the two ended the cell.
    assert!(waited < Duration::from_secs(10), "Ctrl-C took {waited:?}");
    assert_clean_exit(pid, Some(&tmp));
    let lines = Lines::read(&results);
    let recorded: Vec<_> = lines.cells().collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["status"], "interrupted");

    let cmd = sweep_command(&path, &out, &tmp, &["--resume"]);
    let (resume_pid, resumed) = output_within(cmd, LIMIT);
    assert!(resumed.status.success(), "{resumed:?}");
    assert_clean_exit(resume_pid, Some(&tmp));
    let lines = Lines::read(&results);
    let problems = common::complete_sweep_problems(&lines, &planned(&path), 5);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(temp_dirs(&tmp).is_empty());
    eprintln!("Ctrl-C during a hung cell: exit 130 after {waited:?}; resume completed every cell");
}
