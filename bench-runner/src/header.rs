//! The results header: what machine, kernel, io_uring and tool produced a run.

use reports::schema::{Header, IoUringInfo, Machine, RunInfo, Tool, SCHEMA_VERSION};
use std::collections::BTreeMap;
use std::fs;
use workloads::probe::Capabilities;

/// Set (to anything but `0`) when the sweep runs under software emulation; every
/// output then says `emulated: timings not comparable`.
pub const EMULATED_ENV: &str = "URING_SYNCBENCH_EMULATED";

fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn mitigations() -> BTreeMap<String, String> {
    let Ok(dir) = fs::read_dir("/sys/devices/system/cpu/vulnerabilities") else {
        return BTreeMap::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let text = fs::read_to_string(e.path()).unwrap_or_default();
            (name, text.trim().to_string())
        })
        .collect()
}

/// Whether this run is under software emulation.
pub fn emulated() -> bool {
    std::env::var(EMULATED_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Builds the header of a new results file.
pub fn build(caps: &Capabilities, run: RunInfo, opcodes: Vec<String>) -> Header {
    Header {
        schema: SCHEMA_VERSION,
        tool: Tool {
            version: env!("CARGO_PKG_VERSION").into(),
            commit: env!("URING_SYNCBENCH_COMMIT").into(),
        },
        machine: Machine {
            hostname: read_trimmed("/proc/sys/kernel/hostname"),
            kernel: caps.kernel.clone(),
            cpu_model: cpu_model(),
            cpus: caps.cpus,
            mitigations: mitigations(),
            emulated: emulated(),
        },
        io_uring: IoUringInfo {
            features: caps.features.iter().map(|f| f.to_string()).collect(),
            opcodes,
            unavailable: caps.unavailable.clone(),
        },
        run,
        anchors: Vec::new(),
    }
}
