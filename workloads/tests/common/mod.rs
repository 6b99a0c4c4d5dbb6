//! Helpers shared by the workloads integration tests: describing a cell and
//! running it on real rings, skipping (with the reason printed) what this
//! machine cannot run.

#![allow(dead_code)]

use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, CellSpec, Measurement, Shape, Sharing};
use workloads::mode::ModeSpec;
use workloads::op::OpKind;
use workloads::placement::Placement;
use workloads::probe::Capabilities;
use workloads::style;

/// The watchdog of cells that must not hang.
pub const WATCHDOG: Duration = Duration::from_secs(20);

/// This machine's capabilities, probed once per test binary.
pub fn caps() -> &'static Capabilities {
    static CAPS: OnceLock<Capabilities> = OnceLock::new();
    CAPS.get_or_init(Capabilities::detect)
}

/// A one-submitter shape.
pub fn shape(groups: u32, steps: u32, batch: u32) -> Shape {
    Shape {
        groups,
        steps,
        batch,
        submitters: 1,
        sharing: Sharing::PerSubmitter,
    }
}

/// A cell of the named style (panics on an unknown name or mode).
pub fn spec(
    style: &str,
    variant: &str,
    mode: &str,
    op: OpKind,
    forced_async: bool,
    shape: Shape,
) -> CellSpec {
    CellSpec {
        style: style::find(style).unwrap_or_else(|| panic!("no style {style}")),
        variant: variant.into(),
        mode: ModeSpec::parse(mode).unwrap_or_else(|| panic!("no mode {mode}")),
        op,
        forced_async,
        shape,
        ring_entries: 64,
        placement: Placement::spread().expect("this process may use some CPU"),
        fsync_dir: std::path::PathBuf::from(workloads::op::DEFAULT_FSYNC_DIR),
    }
}

/// `style:variant mode op[+async]`, for messages.
pub fn label(cell: &CellSpec) -> String {
    let asy = if cell.forced_async { "+async" } else { "" };
    format!(
        "{}:{} {} {}{asy}",
        cell.style.name(),
        cell.variant,
        cell.mode,
        cell.op.name()
    )
}

/// Runs `passes` passes; `None` (reason printed) when this machine cannot run the cell.
pub fn run(
    cell: &CellSpec,
    passes: u64,
    watchdog: Duration,
) -> Option<Result<Measurement, CellError>> {
    if let Err(reason) = cell.needs().and_then(|n| caps().check_all(&n)) {
        eprintln!("skip {}: {reason}", label(cell));
        return None;
    }
    let never = AtomicBool::new(false);
    let mut run = match CellRun::start(cell, Cancel::new()) {
        Ok(run) => run,
        Err(e) => return Some(Err(e)),
    };
    Some(run.run(passes, watchdog, &never))
}

/// Thread id -> (comm, CPUs it may run on) of every thread of this process.
pub fn tasks() -> std::collections::BTreeMap<u32, (String, Vec<usize>)> {
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = entry.unwrap().path();
        let tid: u32 = dir.file_name().unwrap().to_str().unwrap().parse().unwrap();
        // A thread that ended meanwhile has no files left: it is not the cell's.
        let (Ok(comm), Ok(status)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("status")),
        ) else {
            continue;
        };
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .map(workloads::placement::parse_cpu_list)
            .expect("status has Cpus_allowed_list");
        out.insert(tid, (comm.trim().to_string(), cpus));
    }
    out
}
