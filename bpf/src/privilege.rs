//! Whether the calling thread holds the capabilities tracing BPF needs.
//!
//! Checked before any bpf() call so a missing privilege is reported as the
//! reason it is, not as whichever syscall happened to fail first.

use std::fs;

/// Bit numbers in the kernel's capability sets (include/uapi/linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The capabilities the calling thread lacks to load and attach tracing
/// programs, joined for a message; `None` when it holds them, or when its
/// capability set cannot be read (the kernel then has the last word).
///
/// Loading needs CAP_BPF, tracing program types and reading kernel memory
/// need CAP_PERFMON; CAP_SYS_ADMIN stands in for both.
pub(crate) fn missing_tracing_capabilities() -> Option<String> {
    // Capabilities are per thread: /proc/self would describe the main thread.
    let status = fs::read_to_string("/proc/thread-self/status").ok()?;
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())?;
    let has = |cap: u32| effective & (1u64 << cap) != 0;
    if has(CAP_SYS_ADMIN) {
        return None;
    }
    let missing: Vec<&str> = [(CAP_BPF, "CAP_BPF"), (CAP_PERFMON, "CAP_PERFMON")]
        .into_iter()
        .filter(|&(cap, _)| !has(cap))
        .map(|(_, name)| name)
        .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}
