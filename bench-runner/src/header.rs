//! The results header: what machine, kernel, io_uring and tool produced a run.
//!
//! Besides what the machine itself says, it records: inside a kernel-matrix
//! guest, the package the kernel was booted from (`machine.kernel_package`,
//! from [`KERNEL_SUITE_ENV`] and [`KERNEL_PACKAGE_ENV`]) and the host-side
//! command that reproduces the run (`run.reproduce`, from [`REPRODUCE_ENV`],
//! which the reports print instead of the in-guest command line through
//! `RunInfo::reproduce_with`); when the plan has cells needing a durable
//! directory (`fsync`: the config's `fsync_dir`), what that directory is on
//! (`machine.fsync_dir`, from `workloads::durable`); the registry of styles
//! and modes the reports order by; and the physical anchors
//! (`workloads::anchors`), each judged by the reports' bootstrap as a cell is.

use reports::analysis::stats::{bootstrap_median_ci, median, seed_for, CONFIDENCE, RESAMPLES};
use reports::schema::{
    Header, IoUringInfo, KernelPackage, Machine, Registry, RunInfo, StyleEntry, Tool,
    SCHEMA_VERSION,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use workloads::anchors;
use workloads::placement::Placement;
use workloads::probe::Capabilities;
use workloads::sampling::Estimate;

/// Set (to anything but `0`) when the sweep runs under software emulation; every
/// output then says `emulated: timings not comparable`.
pub const EMULATED_ENV: &str = "URING_SYNCBENCH_EMULATED";

/// The Debian suite the booted kernel's package came from, set by
/// `scripts/kernel-matrix` inside its guests.
pub const KERNEL_SUITE_ENV: &str = "URING_SYNCBENCH_KERNEL_SUITE";

/// The version of the booted kernel's package, set beside [`KERNEL_SUITE_ENV`].
pub const KERNEL_PACKAGE_ENV: &str = "URING_SYNCBENCH_KERNEL_PACKAGE";

/// The command that reproduces the run from the machine that started it, as
/// one shell-quoted line: `scripts/kernel-matrix` sets it inside its guests,
/// whose own command line nobody can run on the host.
pub const REPRODUCE_ENV: &str = "URING_SYNCBENCH_REPRODUCE";

/// The command [`REPRODUCE_ENV`] holds, split as the shell splits it; `None`
/// when it is unset or empty, the value itself as the error when it is not a
/// shell command line.
pub fn reproduce() -> Result<Option<Vec<String>>, String> {
    split_command(std::env::var(REPRODUCE_ENV).ok())
}

/// `line` split as the shell splits it; `None` when absent or blank.
fn split_command(line: Option<String>) -> Result<Option<Vec<String>>, String> {
    match line {
        Some(line) if !line.trim().is_empty() => match shlex::split(&line) {
            Some(words) => Ok(Some(words)),
            None => Err(line),
        },
        _ => Ok(None),
    }
}

fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The CPU model /proc/cpuinfo names.
pub(crate) fn cpu_model() -> String {
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

/// The package the kernel was booted from, when the environment names both
/// its suite and its version (as `scripts/kernel-matrix` does in a guest).
pub fn kernel_package() -> Option<KernelPackage> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(KernelPackage {
        suite: var(KERNEL_SUITE_ENV)?,
        version: var(KERNEL_PACKAGE_ENV)?,
    })
}

/// Builds the header of a new results file; `used` is every opcode the
/// planned cells submit (which the header lists as probed, and those of
/// them the kernel has as its opcodes); `fsync_dir` is the directory the
/// sweep's `fsync` cells write in, if it has any, whose file system and
/// disk the header then describes.
pub fn build(
    caps: &Capabilities,
    run: RunInfo,
    used: &[(u8, &'static str)],
    fsync_dir: Option<&Path>,
) -> Header {
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
            kernel_package: kernel_package(),
            fsync_dir: fsync_dir.map(workloads::durable::describe),
        },
        io_uring: IoUringInfo {
            features: caps.features.iter().map(|f| f.to_string()).collect(),
            opcodes: caps.opcode_names(used),
            probed: used.iter().map(|(_, name)| name.to_string()).collect(),
            unavailable: caps.unavailable.clone(),
        },
        run,
        anchors: Vec::new(),
        calibration: None,
        registry: Some(registry()),
    }
}

/// The styles and modes this build knows, for the reports to order by.
fn registry() -> Registry {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
    Registry {
        styles: workloads::style::STYLES
            .iter()
            .map(|s| StyleEntry {
                name: s.name().into(),
                variants: strings(s.variants()),
                labels: strings(s.labels()),
                unordered: !s.orders(),
            })
            .collect(),
        modes: workloads::mode::ModeSpec::allowed(),
    }
}

/// The median of an anchor's samples and its bootstrap confidence interval,
/// computed as the reports compute a cell's, so that an anchor's "±" means
/// what a cell's does.
fn bootstrap_median(samples: &[f64]) -> Estimate {
    let ci = bootstrap_median_ci(samples, CONFIDENCE, RESAMPLES, seed_for("anchors"));
    Estimate {
        median: median(samples),
        low: ci.lo,
        high: ci.hi,
    }
}

/// Calibrates the physical anchors by [`anchors::DEFAULT_RULE`], the
/// two-thread ones on `placement`'s submitter/helper pair, and records them,
/// each with its interval and why it stopped, and the calibration's budget,
/// time spent and overshoot, in `header`.
pub fn calibrate_anchors(header: &mut Header, placement: &Placement) {
    let calibration = anchors::calibrate(anchors::DEFAULT_RULE, &bootstrap_median, placement);
    header.anchors = calibration.anchors.iter().map(|a| a.value()).collect();
    header.calibration = Some(calibration.record());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use workloads::anchors::DEFAULT_RULE;
    use workloads::sampling::{Rule, Sampler, StopReason};

    /// The host-side command reads back word for word as the kernel
    /// matrix's quoting wrote it; blank is none; an unclosed quote is an
    /// error naming the value.
    #[test]
    fn the_reproduce_line_splits_as_the_shell_would() {
        let line = r#"'scripts/kernel-matrix' '--kernel' '6.1' '--' 'sweep' 'it'\''s here'"#;
        assert_eq!(
            split_command(Some(line.into())),
            Ok(Some(
                [
                    "scripts/kernel-matrix",
                    "--kernel",
                    "6.1",
                    "--",
                    "sweep",
                    "it's here"
                ]
                .map(String::from)
                .to_vec()
            ))
        );
        assert_eq!(split_command(None), Ok(None));
        assert_eq!(split_command(Some("  ".into())), Ok(None));
        assert_eq!(
            split_command(Some("sweep 'open".into())),
            Err("sweep 'open".to_string())
        );
    }

    /// Feeds `samples` through the stopping rule with the bootstrap, one per
    /// millisecond of a 1 s budget, until it stops.
    fn sampled(samples: impl IntoIterator<Item = f64>) -> workloads::sampling::Sampled {
        let rule = Rule {
            precision: 0.01,
            budget: Duration::from_secs(1),
            ..DEFAULT_RULE
        };
        let mut sampler = Sampler::new(rule, &bootstrap_median);
        samples
            .into_iter()
            .enumerate()
            .find_map(|(i, s)| sampler.push(s, Duration::from_millis(i as u64)))
            .expect("the budget ends it")
    }

    #[test]
    fn the_bootstrap_stops_steady_samples_at_the_precision() {
        // ±0.5% of uniform jitter around 1000 ns.
        let mut rng = reports::analysis::stats::Rng::new(1);
        let done = sampled((0..2000).map(|_| 995.0 + 10.0 * rng.unit()));
        assert_eq!(done.stop, StopReason::Precision);
        assert_eq!(done.samples, DEFAULT_RULE.min_samples);
        assert!((995.0..1005.0).contains(&done.estimate.median), "{done:?}");
        assert!(done.estimate.precision() <= 0.01, "{done:?}");
    }

    #[test]
    fn the_bootstrap_keeps_sampling_noisy_samples_until_precise_or_spent() {
        // ±5% of uniform jitter: the median's interval narrows as 1/√n and
        // reaches ±1% at about a hundred samples; a bimodal spread never does.
        let mut rng = reports::analysis::stats::Rng::new(2);
        let noisy = sampled((0..2000).map(|_| 950.0 + 100.0 * rng.unit()));
        assert_eq!(noisy.stop, StopReason::Precision, "{noisy:?}");
        assert!((50..400).contains(&noisy.samples), "{noisy:?}");
        let bimodal = sampled((0..2000).map(|i| if i % 2 == 0 { 500.0 } else { 1500.0 }));
        assert_eq!(bimodal.stop, StopReason::Budget, "{bimodal:?}");
        assert_eq!(
            bimodal.samples, 1001,
            "stopped at the first sample past 1 s"
        );
    }
}
