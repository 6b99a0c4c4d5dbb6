//! Outside tools (perf, bpftrace) for the cross-checks: finding or installing
//! them, the kernel's tracepoints, and the agreement of two readings.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a cross-check cannot run on this machine: printed as `skipped: ...`.
#[derive(Debug)]
pub struct Skip(pub String);

/// The outside tool `name` in the directories of `path` (a PATH value),
/// installed first by `scripts/outside-tools` when it is missing there; the
/// script's one-line reason when it cannot be.
pub fn outside_tool(name: &str, path: &OsStr) -> Result<PathBuf, Skip> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/outside-tools");
    let output = Command::new(&script)
        .arg(name)
        .env("PATH", path)
        .output()
        .map_err(|e| Skip(format!("{name}: cannot run {}: {e}", script.display())))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let why = stderr.lines().last().unwrap_or("no reason given");
        return Err(Skip(format!("{name} is not installed here: {why}")));
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Skip(format!(
                "{name}: scripts/outside-tools succeeded but {name} is not in PATH"
            ))
        })
}

/// This process's PATH.
pub fn own_path() -> OsString {
    std::env::var_os("PATH").unwrap_or_default()
}

/// A PATH without perf or bpftrace, nor apt-get to install them: a directory
/// holding only what `scripts/outside-tools` itself runs (bash, dirname).
/// Keep the directory bound while the PATH is used.
pub fn path_without_tools() -> (tempfile::TempDir, OsString) {
    let dir = tempfile::tempdir().unwrap();
    for tool in ["bash", "dirname"] {
        let real = std::env::split_paths(&own_path())
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{tool} is not in PATH"));
        std::os::unix::fs::symlink(real, dir.path().join(tool)).unwrap();
    }
    let path = dir.path().as_os_str().to_owned();
    (dir, path)
}

/// The tracepoints (`category:name`) of `wanted` that the tracefs mounted at
/// `tracefs` does not list, as the skip reason; `None` when it lists them all.
pub fn missing_tracepoints(tracefs: &Path, wanted: &[&str]) -> Option<Skip> {
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|t| {
            let (category, name) = t.split_once(':').expect("category:name");
            !tracefs.join("events").join(category).join(name).is_dir()
        })
        .collect();
    (!missing.is_empty()).then(|| {
        Skip(format!(
            "this kernel has no tracepoint {} (in {})",
            missing.join(", "),
            tracefs.join("events").display()
        ))
    })
}

/// Creates a fifo at `path`.
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(
        rc,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

/// The counts of `perf stat -x,` output, by event name; task-clock in ns
/// (perf prints msec). An event perf could not count is its reason.
pub fn perf_stat_counts(csv: &str) -> BTreeMap<String, Result<f64, String>> {
    csv.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            let (value, unit, event) = (fields.first()?, fields.get(1)?, fields.get(2)?);
            let scale = if *unit == "msec" { 1e6 } else { 1.0 };
            let count = value
                .parse::<f64>()
                .map(|v| v * scale)
                .map_err(|_| format!("perf stat could not count {event}: {value}"));
            Some((event.to_string(), count))
        })
        .collect()
}

/// One event as the tool and an outside tool read it, per step.
pub struct Agreement {
    /// The event.
    pub event: String,
    /// The tool's reading per step.
    pub tool: f64,
    /// The outside tool's reading per step.
    pub outside: f64,
    /// The largest relative difference allowed.
    pub relative: f64,
    /// The largest difference in events over the window allowed besides,
    /// for counts near zero.
    pub absolute: f64,
    /// The window's steps.
    pub steps: u64,
}

impl Agreement {
    /// |tool - outside| / outside; 0 when both are 0.
    pub fn difference(&self) -> f64 {
        let d = (self.tool - self.outside).abs();
        if d == 0.0 {
            0.0
        } else {
            d / self.outside.abs()
        }
    }

    /// Whether the readings agree within the relative bound, or within the
    /// absolute one over the whole window.
    pub fn holds(&self) -> bool {
        self.difference() <= self.relative
            || (self.tool - self.outside).abs() * self.steps as f64 <= self.absolute
    }

    /// The table of `agreements` against `outside` (the tool's name), one
    /// line per event, for the test's output.
    pub fn table(outside: &str, agreements: &[Agreement]) -> String {
        let mut text = format!(
            "{:<26} {:>12} {:>12} {:>8}  bound\n",
            "event per step", "bench-runner", outside, "diff"
        );
        for a in agreements {
            let bound = match (a.relative, a.absolute) {
                (0.0, 0.0) => "exact".to_string(),
                (r, 0.0) => format!("{:.0}%", r * 100.0),
                (r, abs) => format!("{:.0}% or {abs} events", r * 100.0),
            };
            text.push_str(&format!(
                "{:<26} {:>12.4} {:>12.4} {:>7.3}%  {bound}{}\n",
                a.event,
                a.tool,
                a.outside,
                a.difference() * 100.0,
                if a.holds() { "" } else { "  DISAGREE" }
            ));
        }
        text
    }
}

/// The profile line of a one-cell results file: its steps and its JSON.
pub fn only_profile(results: &Path) -> serde_json::Value {
    let lines = super::cell_lines(results);
    let profiles: Vec<_> = lines
        .into_iter()
        .filter(|l| l["pass"] == "profile")
        .collect();
    assert_eq!(
        profiles.len(),
        1,
        "one cell, one profile pass: {profiles:?}"
    );
    let line = profiles.into_iter().next().unwrap();
    assert_eq!(line["status"], "ok", "{line}");
    line
}
