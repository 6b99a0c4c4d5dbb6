//! SIGINT, SIGTERM and SIGKILL at seeded random points of a real sweep (probe,
//! anchors, timing and profile passes with BPF attached, report rendering),
//! each followed by `--resume`: every line written before the signal stays
//! intact, a kill leaves at most a cut last line, no repetition is recorded
//! twice, and the resumed file holds exactly the cells of an uninterrupted
//! sweep. After every process: nothing of it survives (processes, BPF
//! programs), and its temp dirs are gone, except after SIGKILL, which no
//! process can clean up after: then only the `file` op's own dirs may remain.
//!
//! `FAULTS_SEED=N` repeats another set of points.

mod common;

use common::{
    assert_clean_exit, complete_sweep_problems, config, output_within, planned, seed,
    sweep_command, sweep_dir, temp_dirs, wait_within, Lines,
};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Points per signal.
const POINTS: usize = 8;
const REPETITIONS: u64 = 3;
const LIMIT: Duration = Duration::from_secs(120);

/// A sweep of about 2.5 s: several styles with helper threads, SQPOLL, the
/// `file` op (temp dirs), and the profile pass (BPF probes loaded).
fn sweep_config() -> String {
    config(&format!(
        "styles = [\"link\", \"userspace\", \"sync-group:queue\", \"msg-ring:group\", \"futex-syscall\", \"futex:shared\"]\n\
         modes = [\"default\", \"sqpoll\"]\n\
         ops = [\"nop\", \"file\"]\n\
         repetitions = {REPETITIONS}\n\
         min_repetitions = {REPETITIONS}\n\
         time_budget = \"10s\"\n\
         rep_time = \"5ms\"\n\
         profile = true"
    ))
}

/// An uninterrupted sweep of the same config: how long it takes and its cells.
struct Reference {
    duration: Duration,
    cells: BTreeSet<String>,
    _dir: tempfile::TempDir,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let (dir, path, tmp, out) = sweep_dir(&sweep_config());
        let start = Instant::now();
        let cmd = sweep_command(&path, &out, &tmp, &[]);
        let (_, output) = output_within(cmd, LIMIT);
        let duration = start.elapsed();
        assert!(output.status.success(), "{output:?}");
        let plan = planned(&path);
        let lines = Lines::read(&out.join("results.jsonl"));
        assert!(lines.bad.is_empty(), "uninterrupted sweep wrote a bad line");
        let problems = complete_sweep_problems(&lines, &plan, REPETITIONS);
        assert!(problems.is_empty(), "uninterrupted sweep: {problems:#?}");
        let cells = lines
            .cells()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect();
        eprintln!("reference sweep: {} cells in {duration:?}", plan.len());
        Reference {
            duration,
            cells,
            _dir: dir,
        }
    })
}

/// What one interrupted-then-resumed sweep showed.
struct Point {
    at: Duration,
    exit: String,
    lines_before: usize,
    cut: bool,
    leftovers: usize,
}

/// Runs the sweep, sends `sig` at `at`, checks what the signal left, resumes,
/// and checks the resumed file against the reference.
fn interrupt_at(sig: i32, at: Duration) -> Point {
    let reference = reference();
    let (_dir, path, tmp, out) = sweep_dir(&sweep_config());
    let results = out.join("results.jsonl");
    let what = format!("signal {sig} at {at:?}");

    let mut child = sweep_command(&path, &out, &tmp, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    std::thread::sleep(at);
    common::signal(pid, sig);
    let status = wait_within(&mut child, LIMIT);
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    let exit = match (status.code(), status.signal()) {
        (Some(130), _) if sig != libc::SIGKILL => {
            assert!(
                stderr.contains("interrupted:") && stderr.contains("--resume"),
                "{what}: exit 130 without the resume command: {stderr}"
            );
            "130".to_string()
        }
        (Some(0), _) => "0 (already done)".to_string(),
        (None, Some(s)) if s == sig => format!("killed by {s}"),
        _ => panic!("{what}: unexpected exit {status:?}: {stderr}"),
    };
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_clean_exit_after(pid, sig, &tmp, &what);
    let leftovers = temp_dirs(&tmp);

    let before = Lines::read(&results);
    if !before.bytes.is_empty() {
        assert!(
            before
                .parsed
                .first()
                .is_some_and(|(i, h)| *i == 0 && h["kind"] == "header"),
            "{what}: first line is not a whole header"
        );
    }
    // Only a kill can cut a line, and only the last one.
    let cut = !before.ends_whole();
    let allowed_bad: Vec<usize> = if sig == libc::SIGKILL && cut {
        before.last_index().into_iter().collect()
    } else {
        Vec::new()
    };
    assert_eq!(before.bad, allowed_bad, "{what}: damaged lines");
    assert!(
        sig == libc::SIGKILL || !cut,
        "{what}: a handled signal left a cut line"
    );
    let mut seen = BTreeSet::new();
    for line in before.cells().filter(|l| l["status"] == "ok") {
        let key = (
            line["name"].to_string(),
            line["pass"].to_string(),
            line["rep"].to_string(),
        );
        assert!(
            seen.insert(key),
            "{what}: recorded twice before resume: {line}"
        );
    }

    let (resume_pid, resumed) =
        output_within(sweep_command(&path, &out, &tmp, &["--resume"]), LIMIT);
    let resumed_err = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        resumed.status.success(),
        "{what}: resume failed: {resumed_err}"
    );
    assert!(!resumed_err.contains("panicked"), "{what}: {resumed_err}");
    if cut {
        assert!(
            resumed_err.contains("unreadable line skipped"),
            "{what}: the cut line was not reported: {resumed_err}"
        );
    }
    assert_clean_exit(resume_pid, None);
    assert_eq!(
        temp_dirs(&tmp),
        leftovers,
        "{what}: the resumed sweep left temp files"
    );

    let after = Lines::read(&results);
    let mut kept = before.bytes.clone();
    if cut {
        kept.push(b'\n');
    }
    assert!(
        after.bytes.starts_with(&kept),
        "{what}: lines written before the signal changed"
    );
    assert_eq!(after.bad, allowed_bad, "{what}: damaged lines after resume");
    let plan = planned(&path);
    let problems = complete_sweep_problems(&after, &plan, REPETITIONS);
    assert!(problems.is_empty(), "{what}: {problems:#?}");
    let uncoded = common::uncoded_reasons(&after);
    assert!(uncoded.is_empty(), "{what}: {uncoded:#?}");
    let cells: BTreeSet<String> = after
        .cells()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        cells, reference.cells,
        "{what}: cells differ from an uninterrupted sweep"
    );
    Point {
        at,
        exit,
        lines_before: before.parsed.len(),
        cut,
        leftovers: leftovers.len(),
    }
}

/// Clean-exit checks; after SIGKILL the `file` op's temp dirs may remain.
fn assert_clean_exit_after(pid: u32, sig: i32, tmp: &std::path::Path, what: &str) {
    assert_clean_exit(pid, None);
    let left = temp_dirs(tmp);
    if sig == libc::SIGKILL {
        assert!(
            left.iter().all(|d| d.starts_with("uring-syncbench-")),
            "{what}: unexpected temp files: {left:?}"
        );
    } else {
        assert!(left.is_empty(), "{what}: temp files left: {left:?}");
    }
}

/// Interrupts the sweep at `POINTS` seeded points spread over its length.
fn interrupts(sig: i32, name: &str) {
    let reference = reference();
    // The reports' seeded generator: a failing run repeats exactly.
    let mut rng = reports::analysis::stats::Rng::new(seed() ^ sig as u64);
    // Beyond the reference length too: sweeps run side by side take longer.
    let span = reference.duration.as_secs_f64() * 1.25;
    let start = Instant::now();
    let mut points: Vec<Point> = Vec::new();
    for i in 0..POINTS {
        // One point per slice of the sweep, so that every phase is hit.
        let at = Duration::from_secs_f64(span * (i as f64 + rng.unit()) / POINTS as f64);
        points.push(interrupt_at(sig, at));
    }
    for p in &points {
        eprintln!(
            "{name} at {:>5} ms: exit {}, {} line(s) kept{}, {} temp dir(s) left, nothing lost",
            p.at.as_millis(),
            p.exit,
            p.lines_before,
            if p.cut { ", last line cut" } else { "" },
            p.leftovers
        );
    }
    eprintln!(
        "{name}: {} interrupts (seed {:#x}) in {:?}",
        points.len(),
        seed(),
        start.elapsed()
    );
}

#[test]
fn sigint_at_random_points_loses_nothing() {
    interrupts(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_at_random_points_loses_nothing() {
    interrupts(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sigkill_at_random_points_loses_nothing() {
    interrupts(libc::SIGKILL, "SIGKILL");
}
