//! The profile pass against outside tools other people wrote: Debian's
//! `perf stat` reads the same software counters, and `bpftrace` counts the
//! same io_uring tracepoints, per step of the same cell's profile pass.
//!
//! Both must cover the same region, not the whole process (which also runs the
//! header's anchors and the timing passes):
//!
//! - perf stat starts with its events disabled (`-D -1`) and the sweep turns
//!   them on and off through perf's control fifos (`--perf-control`) around
//!   exactly the window its own counters cover. perf's window holds the
//!   tool's plus the closing handshake (a write and a blocking read of the
//!   ack, which may switch the main thread out once or twice), so each count
//!   of perf's is at least the tool's, and they agree within 5%, or within 8
//!   events over the window for counts near zero (cpu-migrations,
//!   page-faults: the pass reuses warmed memory, and its threads are pinned).
//!   This window rather than a differential one (runs of N and 2N steps):
//!   the tool calibrates its steps per run, and a difference of two runs
//!   would carry the variance of both.
//! - bpftrace has no control fifo: its script (`cross-check/profile-window.bt`)
//!   opens its window on the marker the pass already emits, the first
//!   PERF_EVENT_IOC_ENABLE ioctl of its counters, and closes it on the first
//!   PERF_EVENT_IOC_DISABLE. The tool's probes attach after that enable and
//!   detach before that disable, and the cell's threads are idle between, so
//!   both count the same events of the same process: the counts must be equal.
//!   The cell (link, forced async, NOPs) makes every count but task_add
//!   deterministic and non-zero: one submit_req a step, a link for every step
//!   but a chain's head, an io-wq punt per chain, one io_uring_enter a batch.
//!   task_add is traced only when a poll-armed request is woken, which none of
//!   the tool's ops arms: both must read 0.
//!
//! Where perf or bpftrace is missing and `scripts/outside-tools` cannot install
//! it, or the kernel lacks a tracepoint or the counters, the check prints why it
//! skipped; the skip tests run the same checks with a PATH that lacks the tools,
//! and against a tracefs that lacks the tracepoints.

mod common;

use common::outside::{
    missing_tracepoints, mkfifo, only_profile, outside_tool, own_path, path_without_tools,
    perf_stat_counts, Agreement, Skip,
};
use common::{bin, config, sweep_dir, wait_within};
use serde_json::Value;
use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// The two checks run one at a time, so that neither's sweep shares the two
/// CPUs with the other's, nor its install apt's lock.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A steady cell with real context switches (io-wq punts on a DEFER_TASKRUN
/// ring), shared by perf's check.
const PERF_CELL: &str = r#"styles = ["link"]
modes = ["defer-taskrun"]
ops = ["pipe"]
async = [true]
groups = [2]
steps = [16]
batch = [4]
repetitions = 2
rep_time = "20ms"
profile = true"#;

/// The cell of bpftrace's check (see the module doc).
const BPFTRACE_CELL: &str = r#"styles = ["link"]
modes = ["default"]
ops = ["nop"]
async = [true]
groups = [2]
steps = [16]
batch = [4]
repetitions = 2
rep_time = "20ms"
profile = true"#;

/// The software counters perf stat and the profile pass both read.
const PERF_EVENTS: [&str; 4] = [
    "task-clock",
    "context-switches",
    "cpu-migrations",
    "page-faults",
];

/// Events perf's window may hold beyond the tool's, for counts near zero.
const PERF_ABSOLUTE: f64 = 8.0;

/// The tracepoints bpftrace counts, and the probe counter of the tool each
/// one is held against.
const TRACEPOINTS: [(&str, &str); 5] = [
    ("io_uring:io_uring_submit_req", "submit_req"),
    ("io_uring:io_uring_link", "link"),
    ("io_uring:io_uring_queue_async_work", "queue_async_work"),
    ("io_uring:io_uring_task_add", "task_add"),
    ("syscalls:sys_enter_io_uring_enter", "io_uring_enter"),
];

/// Where the kernel's tracefs is mounted (scripts/outside-tools mounts it).
const TRACEFS: &str = "/sys/kernel/tracing";

/// The longest a checked sweep may take.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs the one-cell sweep of `cell` under `outside`, a command that ends with
/// the sweep's arguments to come; returns the sweep's profile line.
fn profiled_under(dir: &Path, mut outside: Command, sweep: &[&OsStr]) -> Value {
    let log = dir.join("outside.log");
    let mut child = outside
        .args(sweep)
        .stdout(File::create(&log).unwrap())
        .stderr(File::create(dir.join("outside.err")).unwrap())
        .spawn()
        .unwrap();
    let status = wait_within(&mut child, LIMIT);
    let err = std::fs::read_to_string(dir.join("outside.err")).unwrap_or_default();
    assert!(status.success(), "{outside:?} failed: {status}\n{err}");
    only_profile(&dir.join("out/results.jsonl"))
}

/// The tool's reading of counter `name` on a profile line, or why there is none.
fn tool_counter(profile: &Value, name: &str) -> Result<f64, Skip> {
    if let Some(why) = profile["counters_skipped"].as_str() {
        return Err(Skip(format!(
            "the profile pass has no counters here: {why}"
        )));
    }
    let counter = profile["counters"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no counter {name} on {profile}"));
    counter["value"].as_f64().ok_or_else(|| {
        Skip(format!(
            "{name} is not counted here: {}",
            counter["unsupported"]
        ))
    })
}

/// perf stat and the profile pass over one cell, with the perf found in
/// `path`: each software counter per step.
fn perf_cross_check(path: &OsStr) -> Result<Vec<Agreement>, Skip> {
    // One at a time from here: two installs at once would race for apt's lock.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let perf = outside_tool("perf", path)?;
    let (dir, config_path, _tmp, out) = sweep_dir(&config(PERF_CELL));
    let (ctl, ack, csv) = (
        dir.path().join("ctl"),
        dir.path().join("ack"),
        dir.path().join("perf.csv"),
    );
    mkfifo(&ctl);
    mkfifo(&ack);
    let fifos = format!("{},{}", ctl.display(), ack.display());
    let mut perf_stat = Command::new(perf);
    perf_stat
        .args(["stat", "-x,", "-e", &PERF_EVENTS.join(","), "-D", "-1"])
        .arg("-o")
        .arg(&csv)
        .arg("--control")
        .arg(format!("fifo:{fifos}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_bench-runner"));
    let line = profiled_under(
        dir.path(),
        perf_stat,
        &[
            "sweep".as_ref(),
            config_path.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--perf-control".as_ref(),
            fifos.as_ref(),
        ],
    );
    let profile = &line["profile"];
    let steps = profile["steps"].as_u64().unwrap();
    let perf_counts = perf_stat_counts(&std::fs::read_to_string(&csv).unwrap());
    let mut agreements = Vec::new();
    for event in PERF_EVENTS {
        let tool = tool_counter(profile, event)?;
        let outside = match perf_counts.get(event) {
            Some(Ok(v)) => *v,
            Some(Err(why)) => return Err(Skip(why.clone())),
            None => panic!("perf stat printed no {event}: {perf_counts:?}"),
        };
        agreements.push(Agreement {
            event: event.to_string(),
            tool: tool / steps as f64,
            outside: outside / steps as f64,
            relative: 0.05,
            absolute: if event == "task-clock" {
                0.0
            } else {
                PERF_ABSOLUTE
            },
            steps,
        });
    }
    Ok(agreements)
}

/// bpftrace and the profile probes over one cell, with the bpftrace found in
/// `path` and the tracepoints listed in `tracefs`: each tracepoint per step.
fn bpftrace_cross_check(path: &OsStr, tracefs: &Path) -> Result<Vec<Agreement>, Skip> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bpftrace = outside_tool("bpftrace", path)?;
    let names: Vec<&str> = TRACEPOINTS.iter().map(|(t, _)| *t).collect();
    let markers = ["syscalls:sys_enter_ioctl"];
    if let Some(skip) = missing_tracepoints(tracefs, &[&names[..], &markers[..]].concat()) {
        return Err(skip);
    }
    let (dir, config_path, _tmp, out) = sweep_dir(&config(BPFTRACE_CELL));
    let counts = dir.path().join("bpftrace.json");
    let command = format!(
        "{} sweep {} --out {}",
        env!("CARGO_BIN_EXE_bench-runner"),
        config_path.display(),
        out.display()
    );
    // bpftrace splits the command on spaces.
    assert_eq!(command.split_whitespace().count(), 5, "{command}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cross-check/profile-window.bt");
    let mut run = Command::new(bpftrace);
    run.args(["-f", "json", "-o"])
        .arg(&counts)
        .arg(script)
        .arg("-c")
        .arg(command);
    let line = profiled_under(dir.path(), run, &[]);
    let profile = &line["profile"];
    if let Some(why) = profile["probes_skipped"].as_str() {
        return Err(Skip(format!("the profile pass has no probes here: {why}")));
    }
    if let Some(why) = profile["counters_skipped"].as_str() {
        return Err(Skip(format!(
            "the profile pass enabled no counters, whose ioctl opens bpftrace's window: {why}"
        )));
    }
    let maps = bpftrace_maps(&std::fs::read_to_string(&counts).unwrap());
    assert_eq!(
        maps.get("@windows"),
        Some(&1),
        "bpftrace saw one profile window: {maps:?}"
    );
    let steps = profile["steps"].as_u64().unwrap();
    Ok(TRACEPOINTS
        .iter()
        .map(|(tracepoint, counter)| Agreement {
            event: tracepoint.split_once(':').unwrap().1.to_string(),
            tool: profile["probes_per_step"][counter]
                .as_f64()
                .unwrap_or_else(|| panic!("no probe {counter} on {profile}")),
            outside: maps.get(&format!("@{counter}")).copied().unwrap_or(0) as f64 / steps as f64,
            relative: 0.0,
            absolute: 0.0,
            steps,
        })
        .collect())
}

/// The maps bpftrace printed at exit (`-f json`), by name.
fn bpftrace_maps(json: &str) -> std::collections::BTreeMap<String, u64> {
    json.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "map")
        .filter_map(|v| v["data"].as_object().cloned())
        .flatten()
        .filter_map(|(name, value)| Some((name, value.as_u64()?)))
        .collect()
}

#[test]
fn perf_stat_reads_the_counters_the_profile_pass_reads() {
    let agreements = match perf_cross_check(&own_path()) {
        Ok(found) => found,
        Err(Skip(why)) => return eprintln!("skipped: {why}"),
    };
    println!(
        "perf stat -D -1 --control vs the profile pass, steps {}:\n{}",
        agreements[0].steps,
        Agreement::table("perf stat", &agreements)
    );
    for a in &agreements {
        let (tool, perf) = (a.tool * a.steps as f64, a.outside * a.steps as f64);
        // perf's window holds the tool's; task-clock is printed to 10 us.
        let rounding = if a.event == "task-clock" { 1e4 } else { 1e-6 };
        assert!(
            perf + rounding >= tool,
            "{}: perf stat read {perf} over a window holding the tool's {tool}",
            a.event
        );
    }
    assert!(
        agreements[0].event == "task-clock" && agreements[0].tool > 0.0,
        "the pass ran"
    );
    let off: Vec<&str> = agreements
        .iter()
        .filter(|a| !a.holds())
        .map(|a| a.event.as_str())
        .collect();
    assert!(off.is_empty(), "perf stat disagrees on {off:?}");
}

#[test]
fn bpftrace_counts_the_tracepoints_the_profile_probes_count() {
    let agreements = match bpftrace_cross_check(&own_path(), Path::new(TRACEFS)) {
        Ok(found) => found,
        Err(Skip(why)) => return eprintln!("skipped: {why}"),
    };
    println!(
        "bpftrace (window: the counters' enable to disable ioctl) vs the profile probes, steps {}:\n{}",
        agreements[0].steps,
        Agreement::table("bpftrace", &agreements)
    );
    for a in agreements.iter().filter(|a| a.event != "io_uring_task_add") {
        assert!(a.outside > 0.0, "{} fires in this cell", a.event);
    }
    let off: Vec<&str> = agreements
        .iter()
        .filter(|a| !a.holds())
        .map(|a| a.event.as_str())
        .collect();
    assert!(off.is_empty(), "bpftrace disagrees on {off:?}");
}

#[test]
fn perf_check_skips_where_perf_cannot_be_installed() {
    let (_dir, path) = path_without_tools();
    match perf_cross_check(&path) {
        Err(Skip(why)) => {
            eprintln!("skipped as it should: {why}");
            assert!(why.starts_with("perf is not installed here: "), "{why}");
        }
        Ok(_) => panic!("the check ran without perf in PATH"),
    }
}

#[test]
fn bpftrace_check_skips_where_bpftrace_cannot_be_installed() {
    let (_dir, path) = path_without_tools();
    match bpftrace_cross_check(&path, Path::new(TRACEFS)) {
        Err(Skip(why)) => {
            eprintln!("skipped as it should: {why}");
            assert!(why.starts_with("bpftrace is not installed here: "), "{why}");
        }
        Ok(_) => panic!("the check ran without bpftrace in PATH"),
    }
}

#[test]
fn bpftrace_check_skips_where_the_kernel_lacks_a_tracepoint() {
    // A tracefs listing every tracepoint but task_add, as on a kernel without it.
    let tracefs = tempfile::tempdir().unwrap();
    for tracepoint in TRACEPOINTS
        .iter()
        .map(|(t, _)| *t)
        .chain(["syscalls:sys_enter_ioctl"])
    {
        let (category, name) = tracepoint.split_once(':').unwrap();
        if name != "io_uring_task_add" {
            std::fs::create_dir_all(tracefs.path().join("events").join(category).join(name))
                .unwrap();
        }
    }
    match bpftrace_cross_check(&own_path(), tracefs.path()) {
        Err(Skip(why)) if why.starts_with("bpftrace is not installed here") => {
            eprintln!("skipped: {why}")
        }
        Err(Skip(why)) => {
            eprintln!("skipped as it should: {why}");
            assert!(
                why.starts_with("this kernel has no tracepoint io_uring:io_uring_task_add "),
                "{why}"
            );
        }
        Ok(_) => panic!("the check ran without the task_add tracepoint"),
    }
    assert!(missing_tracepoints(tracefs.path(), &["syscalls:sys_enter_ioctl"]).is_none());
}

#[test]
fn perf_control_without_a_listening_perf_is_a_one_line_error() {
    let (dir, config_path, _tmp, out) = sweep_dir(&config(PERF_CELL));
    let (ctl, ack) = (dir.path().join("ctl"), dir.path().join("ack"));
    mkfifo(&ctl);
    mkfifo(&ack);
    let fifos = format!("{},{}", ctl.display(), ack.display());
    let run = |config: &Path| {
        bin()
            .arg("sweep")
            .arg(config)
            .arg("--out")
            .arg(&out)
            .args(["--perf-control", &fifos])
            .output()
            .unwrap()
    };
    let output = run(&config_path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: --perf-control: no perf reads {}",
            ctl.display()
        )),
        "{stderr}"
    );
    assert!(!out.join("results.jsonl").exists(), "nothing was measured");

    let unprofiled = dir.path().join("unprofiled.toml");
    std::fs::write(&unprofiled, config("profile = false")).unwrap();
    let output = run(&unprofiled);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: --perf-control turns perf on around the profile pass"),
        "{stderr}"
    );
}
