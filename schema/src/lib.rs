//! The results schema: one JSON object per line. The first line of a file is a
//! [`Header`] describing the machine and the run; every later line is a
//! [`CellRecord`], one per repetition (timing pass), per repetition of the raw
//! reference loop beside it (reference pass) or per profile pass of a cell,
//! or a [`ReproRun`], one per run of a built reproducer. Files carry [`SCHEMA_VERSION`] so that newer readers can re-read old runs.
//!
//! Every outcome that is not a plain measurement carries a [`ReasonCode`]
//! beside its one-line text: readers decide by the code, people read the
//! text. This crate is the vocabulary shared by the tool that writes results
//! and the reports that read them; it holds types only, no I/O.

#![warn(missing_docs)]

pub mod reason;

pub use reason::ReasonCode;

use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Version of the line format; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The label of a style that models in userspace a kernel feature which does
/// not exist upstream (`sync-group`): worded so that it never reads like
/// machine emulation, whose label says `emulated: timings not comparable`.
pub const USERSPACE_EMULATION_LABEL: &str = "userspace emulation of RFC sync groups";

/// What results files written before [`USERSPACE_EMULATION_LABEL`] stored
/// for it; reading a line maps it to the current wording.
const OLD_USERSPACE_EMULATION_LABEL: &str = "emulated";

/// One line of `results.jsonl`, tagged by `kind`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// The first line of every results file.
    Header(Box<Header>),
    /// Every later line about a cell.
    Cell(Box<CellRecord>),
    /// One run of a built reproducer (`bench-runner presence`).
    Repro(Box<ReproRun>),
    /// The machine's load over one block of a family's repetitions, written
    /// after the block's cell lines (absent in files written before it was
    /// recorded).
    Load(Box<LoadRecord>),
}

/// How loaded the machine was while one block of a family ran: the time
/// the hypervisor took from this guest (steal) and the runnable threads
/// (load average), from /proc/stat and /proc/loadavg. A timing taken while
/// others ran on the same CPUs measures them too; the reports warn when
/// either was high.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LoadRecord {
    /// The family (every coordinate but the style) the block belongs to.
    pub family: String,
    /// The block: repetition `block` of each of the family's cells.
    pub block: u32,
    /// Wall-clock seconds the block took.
    pub seconds: f64,
    /// Share of every CPU's time over the block stolen by the hypervisor
    /// for other guests, 0 to 1.
    pub steal: f64,
    /// The one-minute load average when the block ended.
    pub load1: f64,
    /// CPUs online when the block ended.
    pub cpus: u32,
}

/// Describes where and how a results file was produced; results from several
/// machines and kernels are told apart (and merged) by their headers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Header {
    /// The [`SCHEMA_VERSION`] this file was written with.
    pub schema: u32,
    /// The tool that wrote the file.
    pub tool: Tool,
    /// The machine and kernel the cells ran on.
    pub machine: Machine,
    /// What io_uring offered on that kernel.
    pub io_uring: IoUringInfo,
    /// The run itself: config, its hash, when and how it was started.
    pub run: RunInfo,
    /// Physical anchors calibrated on the machine before the sweep (may be empty).
    #[serde(default)]
    pub anchors: Vec<AnchorValue>,
    /// How the anchors were calibrated: the precision asked, the budget, the
    /// time it took. Absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// The styles and modes the tool knew, in the order it lists them, so
    /// that reports follow it without a copy of their own. Absent in files
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Registry>,
}

/// What the tool that wrote a file knew of styles and modes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Registry {
    /// Every style, in the order `bench-runner list` shows them.
    pub styles: Vec<StyleEntry>,
    /// Every mode name a config accepts, in the same order.
    pub modes: Vec<String>,
    /// The modes among them whose ring shares its SQPOLL thread with
    /// another ring (IORING_SETUP_ATTACH_WQ): the poller takes a capped
    /// number of a ring's SQEs per round, and a chain cut there can run out
    /// of order. Empty in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_poller: Vec<String>,
}

/// One style of the [`Registry`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StyleEntry {
    /// Its name in configs and cell keys.
    pub name: String,
    /// The variants a config may pick (`queue`, `append`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Labels every output shows for its cells (e.g.
    /// [`USERSPACE_EMULATION_LABEL`]).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "current_labels"
    )]
    pub labels: Vec<String>,
    /// Set when the style promises no order (`independent`): its cells are
    /// the verifier's controls, whose broken order is expected. Absent
    /// (false) in files written before it was recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unordered: bool,
}

/// Name, version and source commit of the tool that wrote a file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Tool {
    /// Crate version of bench-runner.
    pub version: String,
    /// Git commit of the source tree, `unknown` outside a checkout.
    pub commit: String,
}

/// The machine a run happened on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Machine {
    /// Host name, to tell machines apart when results are merged.
    pub hostname: String,
    /// `uname -r`.
    pub kernel: String,
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online CPUs.
    pub cpus: u32,
    /// /sys/devices/system/cpu/vulnerabilities: file name → its text.
    pub mitigations: BTreeMap<String, String>,
    /// Set when the run happened under software emulation (timings not comparable).
    #[serde(default)]
    pub emulated: bool,
    /// The distribution package the kernel was booted from, when
    /// `scripts/kernel-matrix` booted one: `kernel` alone does not say which
    /// build of a release it was. Absent in runs on a machine's own kernel
    /// and in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_package: Option<KernelPackage>,
    /// The file system the `fsync` op wrote its files on, whose cost it
    /// measures: present when the sweep planned `fsync` cells, absent
    /// otherwise and in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync_dir: Option<FsyncDir>,
}

/// The directory the `fsync` op writes in and what lies under it, as fio
/// names the device: an fsync's cost is the file system's and the disk's.
/// Every part the machine would not tell is absent.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct FsyncDir {
    /// The directory, as configured (the config's `fsync_dir`,
    /// `URING_SYNCBENCH_FSYNC_DIR` over it, or the default).
    pub path: String,
    /// The file system's type: the mount's own name (`ext4`, `xfs`, `btrfs`,
    /// `tmpfs`), or statfs's magic by name or in hex (`0x2fc12fc1`) when no
    /// mount of the directory's device was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_type: Option<String>,
    /// The mount's source (`/dev/vda1`), from /proc/self/mountinfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The mount's per-mount options, verbatim (`rw,relatime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_options: Option<String>,
    /// The block device queue's `write_cache` (`write back`, `write through`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_cache: Option<String>,
    /// The block device queue's `rotational` flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotational: Option<bool>,
}

/// Where a booted kernel came from: the Debian suite whose package lists
/// named it and the package's version (`6.1.176-1` of `6.1.0-50-cloud-amd64`),
/// which together name the exact build.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KernelPackage {
    /// The suite, e.g. `bookworm`, `trixie-backports`, `sid`.
    pub suite: String,
    /// The package version, e.g. `6.1.176-1`.
    pub version: String,
}

/// io_uring capabilities of the kernel, as the probe saw them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct IoUringInfo {
    /// `IORING_FEAT_*` names the kernel reported at ring set-up.
    pub features: Vec<String>,
    /// Opcode names the kernel's probe reports as supported, of those the
    /// sweep's cells use (their ops' and their styles').
    pub opcodes: Vec<String>,
    /// Every opcode name the sweep's cells use, supported or not: what
    /// `opcodes` was probed among, so an opcode a filtered run never used
    /// does not read as one its kernel lacks (absent in files written
    /// before it: their `opcodes` alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probed: Vec<String>,
    /// Why io_uring could not be probed at all, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// How the run was started.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// The config file as given on the command line.
    pub config_path: String,
    /// sha256 of the config file's bytes; `--resume` refuses a different one.
    pub config_hash: String,
    /// Start time, seconds since the Unix epoch.
    pub started_unix: u64,
    /// The command line that started the run, where it ran.
    pub command: Vec<String>,
    /// The command that reproduces the run from the machine that started
    /// it, when `command` ran where nobody else can run it: inside a
    /// `scripts/kernel-matrix` guest it is
    /// `scripts/kernel-matrix --kernel 6.1 -- sweep configs/ci.toml`. Absent
    /// on runs started directly and in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<Vec<String>>,
    /// The config file's lines as its parser reads them (comments and
    /// blank lines left out), so a report can quote the config it ran;
    /// absent for the built-in configs (the default sweep, a study,
    /// `advise`), which the tool's version names, and in files written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_lines: Option<Vec<String>>,
}

impl RunInfo {
    /// The command a reader runs to reproduce the run: [`RunInfo::reproduce`]
    /// when recorded, else the command that started it.
    pub fn reproduce_with(&self) -> &[String] {
        self.reproduce.as_deref().unwrap_or(&self.command)
    }
}

/// One physical anchor (calibration) value, see DESIGN.md "Measurement rules".
/// Files written before anchors had an interval carry only `name`, `ns`,
/// `samples` and `unsupported`; the other fields then read as `None`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct AnchorValue {
    /// Stable name, e.g. `syscall`, `futex_wake_round_trip`.
    pub name: String,
    /// Median nanoseconds per event, `None` when unsupported.
    pub ns: Option<f64>,
    /// Samples behind the value.
    pub samples: u32,
    /// Lower bound of the median's bootstrap 95% confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    /// Upper bound of the median's bootstrap 95% confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// The precision reached: the interval's wider side over the median
    /// (0.008 = ±0.8%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Why sampling stopped: [`StopReason::Precision`] when its interval
    /// reached [`Calibration::target_precision`], [`StopReason::Budget`] when
    /// its share of [`Calibration::budget_ns`] was spent first (an anchor has
    /// no most samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopReason>,
    /// Wall nanoseconds the anchor took, set-up included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_ns: Option<u64>,
    /// Why the anchor could not be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
}

/// How the anchors of a run were calibrated, and what it cost.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Calibration {
    /// The precision asked of each anchor (0.01 = ±1%).
    pub target_precision: f64,
    /// Wall nanoseconds the calibration was given, shared equally by the anchors.
    pub budget_ns: u64,
    /// Wall nanoseconds it took.
    pub spent_ns: u64,
    /// How far it ran past its budget (`spent_ns - budget_ns`, zero within it).
    pub overshoot_ns: u64,
}

/// The coordinates of a cell: everything but the repetition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    /// Ordering style, e.g. `link`.
    pub style: String,
    /// Style variant, e.g. `queue`/`append` for sync-group; empty when none.
    #[serde(default)]
    pub variant: String,
    /// Submission mode, e.g. `sqpoll`, with `+registered-ring` when the ring fd is registered.
    pub mode: String,
    /// What a step does, e.g. `nop`, `pipe`.
    pub op: String,
    /// Whether every step was forced through io-wq (IOSQE_ASYNC).
    pub forced_async: bool,
    /// Number of groups.
    pub groups: u32,
    /// Steps per group.
    pub steps: u32,
    /// Steps per submission.
    pub batch: u32,
    /// Submitting threads.
    pub submitters: u32,
    /// How submitters share rings: `per-submitter` or `shared` (one ring behind a lock).
    pub sharing: String,
}

impl CellKey {
    /// The stable, human-readable cell name used across runs, reports and CI
    /// (e.g. `link/default/nop/g1-s8-b8-t1`): its style, mode, op and shape,
    /// joined by `/`. For printing and matching across runs only; code that
    /// needs a coordinate reads the fields.
    pub fn name(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.style_label(),
            self.mode,
            self.op_label(),
            self.shape()
        )
    }

    /// The style with its variant, as names show it: `sync-group:append`.
    pub fn style_label(&self) -> String {
        if self.variant.is_empty() {
            self.style.clone()
        } else {
            format!("{}:{}", self.style, self.variant)
        }
    }

    /// The op with `+async` when forced through io-wq, as names show it.
    pub fn op_label(&self) -> String {
        if self.forced_async {
            format!("{}+async", self.op)
        } else {
            self.op.clone()
        }
    }

    /// The shape as names show it: `g1-s8-b8-t1`, with the sharing after it
    /// (`-shared`) when there are several submitters.
    pub fn shape(&self) -> String {
        let sharing = if self.submitters > 1 {
            format!("-{}", self.sharing)
        } else {
            String::new()
        };
        format!(
            "g{}-s{}-b{}-t{}{sharing}",
            self.groups, self.steps, self.batch, self.submitters
        )
    }
}

/// Which pass produced a line.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    /// No observers attached: the numbers to compare.
    Timing,
    /// Perf counters and BPF probes attached: the numbers that explain.
    Profile,
    /// The raw reference loop run beside a timing repetition (same round,
    /// same `rep`): the numbers the harness states its overhead against.
    /// Never a repetition of the cell itself.
    Reference,
}

/// Why a repeated measurement stopped taking samples: a cell's timing
/// repetitions (the blocks of its family) or an anchor's samples. One
/// stopping rule decides both (`workloads::sampling::Rule`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The precision reached came within the target: the widest interval of
    /// the ratios a family publishes, or, where there is no ratio (an
    /// anchor, a lone cell), the median's.
    Precision,
    /// The time budget was spent (after the minimum samples).
    Budget,
    /// The most repetitions the config allows ran.
    MaxRepetitions,
}

impl StopReason {
    /// The word used in results and reports (the serialised name).
    pub fn word(self) -> &'static str {
        match self {
            StopReason::Precision => "precision",
            StopReason::Budget => "budget",
            StopReason::MaxRepetitions => "max_repetitions",
        }
    }
}

/// How a cell's timing repetitions ended: written on its final line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Stopping {
    /// Timing repetitions recorded ok (earlier runs of a resumed sweep included).
    pub repetitions: u32,
    /// Precision reached: half-width of the median's bootstrap 95% interval
    /// over the median; `None` when the median is zero.
    pub precision: Option<f64>,
    /// The precision the config asked for.
    pub target: f64,
    /// Why no further repetition ran.
    pub reason: StopReason,
    /// Nanoseconds spent timing the repetitions, the time the budget is counted in.
    pub spent_ns: u64,
}

/// One repetition of the raw reference loop (a `reference` line): the plain
/// loop's passes, then as many with the order check, back to back.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReferenceTiming {
    /// Passes of each variant.
    pub iterations: u64,
    /// Steps each variant executed.
    pub steps: u64,
    /// Wall-clock nanoseconds of the plain loop's passes.
    pub wall_ns: u64,
    /// wall_ns / steps.
    pub ns_per_step: f64,
    /// Wall-clock nanoseconds of the passes that also checked the order.
    pub checked_wall_ns: u64,
    /// checked_wall_ns / steps.
    pub checked_ns_per_step: f64,
}

/// The raw reference loop's verdict on the harness: written on a cell's final line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReferenceSummary {
    /// Reference repetitions behind the medians.
    pub repetitions: u32,
    /// Median ns/step of the plain raw loop.
    pub ns_per_step: f64,
    /// Median ns/step of the raw loop with the order check.
    pub checked_ns_per_step: f64,
    /// Median, over the repetitions, of what the order check added per step.
    pub order_check_ns_per_step: f64,
    /// The cell's median ns/step over the raw loop's median ns/step.
    pub harness_overhead: f64,
    /// Coefficient of variation of the raw loop's ns/step over its
    /// repetitions: the noise the machine itself adds in the same rounds,
    /// against which the cell's own variation reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
}

/// What became of a cell repetition.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran and kept the order.
    Ok,
    /// Ran and broke the order, hung, or errored: never a timing.
    Failed,
    /// Not run: the machine lacks what the cell needs (reason given).
    Skipped,
    /// Abandoned by Ctrl-C/SIGTERM; re-run on `--resume`.
    Interrupted,
}

/// The first place where a run broke the order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ViolationRecord {
    /// The group whose order broke.
    pub group: u32,
    /// The seq that should have come next.
    pub expected: u32,
    /// The seq that came.
    pub got: u32,
    /// Where it was seen: `cqe` (completion order) or `data` (bytes written).
    pub source: String,
}

/// Wall and CPU time of one repetition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Timing {
    /// Times the whole shape was run in this repetition.
    pub iterations: u64,
    /// Steps executed (iterations × groups × steps).
    pub steps: u64,
    /// Wall-clock nanoseconds spent inside the style's runs.
    pub wall_ns: u64,
    /// CPU nanoseconds of all threads of the process (io_uring threads included).
    pub cpu_ns: u64,
    /// wall_ns / steps.
    pub ns_per_step: f64,
    /// cpu_ns / steps.
    pub cpu_ns_per_step: f64,
}

/// One perf counter of the profile pass; `value` is `None` when unsupported.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CounterValue {
    /// perf-style event name, e.g. `task-clock`.
    pub name: String,
    /// Scaled count for the whole pass.
    pub value: Option<f64>,
    /// value / steps.
    pub per_step: Option<f64>,
    /// time_running / time_enabled (1.0 when not multiplexed).
    pub running_fraction: Option<f64>,
    /// Why it was not counted, like perf stat's `<not supported>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
    /// The code of `unsupported`: [`ReasonCode::CounterUnsupported`] or
    /// [`ReasonCode::CounterNotCounted`]. Absent in files written before codes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_code"
    )]
    pub unsupported_code: Option<ReasonCode>,
}

/// What the profile pass observed for a cell.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Profile {
    /// Steps executed while observed.
    pub steps: u64,
    /// Perf counters; empty with `counters_skipped` set when unavailable.
    pub counters: Vec<CounterValue>,
    /// Why perf counters were not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters_skipped: Option<String>,
    /// The code of `counters_skipped` (`counters_need_privilege`,
    /// `counters_unavailable`, `counters_failed`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_code"
    )]
    pub counters_skipped_code: Option<ReasonCode>,
    /// BPF probe event counts per step, by stable probe name.
    pub probes_per_step: BTreeMap<String, f64>,
    /// Why BPF probes were not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes_skipped: Option<String>,
    /// The code of `probes_skipped`: `probes_need_privilege` or
    /// `probes_unsupported` when the machine cannot run them,
    /// `probes_failed` when they broke.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_code"
    )]
    pub probes_skipped_code: Option<ReasonCode>,
    /// ns/step under observation divided by ns/step of the timing pass.
    pub overhead_ratio: Option<f64>,
    /// The style's syscall budget: the most io_uring_enter(2) calls per step
    /// its semantics need (on steps that complete inline), to read beside the
    /// `io_uring_enter` probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enter_budget_per_step: Option<f64>,
}

/// Which CPU each thread role of a cell was pinned to, and the CPUs the cell
/// could use; the same on every line of a cell.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PlacementRecord {
    /// The CPUs the cell may use (the process's affinity), ascending.
    pub cpus: Vec<usize>,
    /// The CPU of submitter thread `i`.
    pub submitters: Vec<usize>,
    /// The CPU of the SQPOLL thread(s), when the mode has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqpoll: Option<usize>,
    /// The CPUs of the style's helper threads by role name (`completer`,
    /// `reactor`, `stall-watcher`), one per submitter.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub helpers: BTreeMap<String, Vec<usize>>,
}

/// A cell that needs more busy threads (submitters, SQPOLL threads, helpers
/// on every step's path) than the CPUs they run on (the CPUs it may use, or
/// fewer where a declared placement stacks them): its number is recorded but
/// never ranked or compared by default.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oversubscribed {
    /// Threads busy on every step.
    pub busy_threads: u32,
    /// Distinct CPUs those threads are pinned to.
    pub cpus: u32,
}

impl std::fmt::Display for Oversubscribed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.cpus == 1 { "" } else { "s" };
        write!(
            f,
            "oversubscribed: {} busy threads on {} CPU{s}",
            self.busy_threads, self.cpus
        )
    }
}

/// One repetition (timing pass), one raw reference repetition or the profile
/// pass of one cell. The profile line is the cell's final line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CellRecord {
    /// Stable cell name ([`CellKey::name`]).
    pub name: String,
    /// Coordinates of the cell.
    pub cell: CellKey,
    /// Timing, reference or profile pass.
    pub pass: Pass,
    /// Repetition index within the cell (0 for skips and profile passes; a
    /// reference line carries the repetition it ran beside).
    pub rep: u32,
    /// The block of its family a timing or reference repetition ran in:
    /// one repetition of each of the family's cells and raw loops (same op,
    /// shape and mode), in a random order, back to back. Ratios between
    /// cells of one run are taken within a block. Absent on other lines and
    /// in files written before paired measurement, whose ratios are unpaired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u32>,
    /// What became of it.
    pub status: Status,
    /// Why it was skipped, failed or interrupted; one line, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The code of `reason`, what readers decide by; set on every line that
    /// has a reason. Absent in files written before codes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_code"
    )]
    pub reason_code: Option<ReasonCode>,
    /// The first order violation, when the order broke.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<ViolationRecord>,
    /// Present when status is ok (timing pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// Passes whose order this line's set-up checked, its warm-up included:
    /// on a failed line, up to and including the pass that broke. What a
    /// reproduction's rate counts (timing lines only; absent in files
    /// written before it, where the timed `iterations` stand in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<u64>,
    /// Present on profile-pass lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Present on ok `reference` lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_timing: Option<ReferenceTiming>,
    /// How the timing repetitions ended (on the cell's final line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping: Option<Stopping>,
    /// The harness's overhead over the raw reference loop (on the final line
    /// of a cell that has a reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceSummary>,
    /// Labels every consumer must show, e.g. [`USERSPACE_EMULATION_LABEL`]
    /// for sync-group.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "current_labels"
    )]
    pub labels: Vec<String>,
    /// Where the cell's threads ran (absent in files from before placement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementRecord>,
    /// Set when the cell needs more busy threads than CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversubscribed: Option<Oversubscribed>,
    /// Seconds since the Unix epoch when the line was written.
    pub finished_unix: u64,
}

/// What one run of a reproducer found.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReproOutcome {
    /// Every pass kept the order (exit 0): the behaviour is absent.
    Held,
    /// At least one pass broke the order or lost a wakeup (exit 1): the
    /// behaviour is present.
    Broken,
    /// The kernel lacks what the cell needs (exit 77, the reason given).
    Skipped,
    /// The program could not run its passes (exit 2, a signal, or output
    /// without its verdict): says nothing of the behaviour.
    Failed,
}

impl ReproOutcome {
    /// The word used in results and reports (the serialised name).
    pub fn word(self) -> &'static str {
        match self {
            ReproOutcome::Held => "held",
            ReproOutcome::Broken => "broken",
            ReproOutcome::Skipped => "skipped",
            ReproOutcome::Failed => "failed",
        }
    }
}

/// One run of a reproducer built by `bench-runner repro` (a `repro` line):
/// whether the behaviour it checks for was present on this kernel, over how
/// many passes. Runs of one cell (or of one study finding) across kernels make
/// the presence table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReproRun {
    /// The cell's name ([`CellKey::name`]), as the reproducer printed it.
    pub name: String,
    /// Coordinates of the cell.
    pub cell: CellKey,
    /// The run's index among the runs of this reproducer, from 0.
    pub run: u32,
    /// What it found.
    pub outcome: ReproOutcome,
    /// Passes it ran (0 when skipped or failed).
    pub passes: u64,
    /// Passes that broke (at most `passes`).
    pub broken: u64,
    /// The first violation, when it broke, in the tool's wording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Why it was skipped or failed; one line, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The code of `reason`, what readers decide by.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_code"
    )]
    pub reason_code: Option<ReasonCode>,
    /// The study finding the run reproduces, when its reproducer was built
    /// for one (`bench-runner repro --study NAME`); absent for a reproducer
    /// of a single cell, and in files written before findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<ReproFinding>,
    /// Seconds since the Unix epoch when the line was written.
    pub finished_unix: u64,
}

/// Which study finding a reproducer belongs to: the study, the reproduction
/// it is a cell of, told as the study's findings tell it (the coordinates
/// its cells share and the axis they run along), and where on that axis
/// this cell sits. The presence table makes one row of every run of one
/// finding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReproFinding {
    /// The study's name (`futex-lost-wakeup`).
    pub study: String,
    /// The coordinates the reproduction's cells share, all but the axis
    /// (`futex:private-fresh/defer-taskrun g2-s8-b2-t1`).
    pub place: String,
    /// The axis the reproduction runs along (`op`).
    pub axis: String,
    /// This cell's value on it (`nop`).
    pub value: String,
}

/// Reads a reason code, taking one this build does not know (written by a
/// newer tool) as absent, so that the line and its text still read.
fn known_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ReasonCode>, D::Error> {
    let name = Option::<String>::deserialize(d)?;
    Ok(name.as_deref().and_then(ReasonCode::named))
}

/// Reads style labels, taking the old wording of the userspace emulation
/// label as the current one, so old files render with the same words.
fn current_labels<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let labels = Vec::<String>::deserialize(d)?;
    Ok(labels
        .into_iter()
        .map(|l| match l == OLD_USERSPACE_EMULATION_LABEL {
            true => USERSPACE_EMULATION_LABEL.to_string(),
            false => l,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_joins_the_labels_of_its_fields() {
        let mut key = CellKey {
            style: "sync-group".into(),
            variant: "append".into(),
            mode: "sqpoll+registered-ring".into(),
            op: "pipe".into(),
            forced_async: true,
            groups: 4,
            steps: 16,
            batch: 8,
            submitters: 2,
            sharing: "shared".into(),
        };
        assert_eq!(
            key.name(),
            "sync-group:append/sqpoll+registered-ring/pipe+async/g4-s16-b8-t2-shared"
        );
        key.variant.clear();
        key.forced_async = false;
        key.submitters = 1;
        assert_eq!(key.style_label(), "sync-group");
        assert_eq!(key.op_label(), "pipe");
        assert_eq!(key.shape(), "g4-s16-b8-t1");
    }

    /// A header as written before anchors had an interval and the
    /// calibration its accounting.
    const OLD_HEADER: &str = r#"{"kind":"header","schema":1,
        "tool":{"version":"0.1.0","commit":"abc"},
        "machine":{"hostname":"vm","kernel":"6.18","cpu_model":"cpu","cpus":2,"mitigations":{}},
        "io_uring":{"features":[],"opcodes":["NOP"]},
        "run":{"config_path":"c.toml","config_hash":"00","started_unix":0,"command":[]},
        "anchors":[{"name":"syscall","ns":95.5,"samples":40},
                   {"name":"cache_line_round_trip","ns":null,"samples":0,
                    "unsupported":"not supported: needs two CPUs"}]}"#;

    fn header(line: &str) -> Header {
        match serde_json::from_str::<Record>(line).unwrap() {
            Record::Header(h) => *h,
            other => panic!("not a header: {other:?}"),
        }
    }

    /// A header without the host-side command reproduces with its own
    /// command; one with it, with that; and the field is written only when
    /// present, so files of runs started directly keep their bytes.
    #[test]
    fn the_reproduce_command_is_optional_and_preferred_when_present() {
        let mut h = header(OLD_HEADER);
        assert_eq!(h.run.reproduce, None);
        h.run.command = vec!["bench-runner".into(), "sweep".into()];
        assert_eq!(h.run.reproduce_with(), h.run.command.as_slice());
        assert!(!serde_json::to_string(&h.run).unwrap().contains("reproduce"));
        let host: Vec<String> = ["scripts/kernel-matrix", "--kernel", "6.1", "--", "sweep"]
            .map(String::from)
            .to_vec();
        h.run.reproduce = Some(host.clone());
        let text = serde_json::to_string(&Record::Header(Box::new(h))).unwrap();
        let read = header(&text);
        assert_eq!(read.run.reproduce_with(), host.as_slice());
        assert_eq!(read.schema, SCHEMA_VERSION);
    }

    #[test]
    fn headers_without_anchor_intervals_still_read() {
        let h = header(OLD_HEADER);
        assert_eq!(h.calibration, None);
        assert_eq!(
            h.anchors[0],
            AnchorValue {
                name: "syscall".into(),
                ns: Some(95.5),
                samples: 40,
                ..AnchorValue::default()
            }
        );
        assert_eq!(
            h.anchors[1].unsupported.as_deref(),
            Some("not supported: needs two CPUs")
        );
        assert_eq!(h.anchors[1].stop, None);
    }

    #[test]
    fn headers_without_a_kernel_package_read_and_one_round_trips() {
        let mut h = header(OLD_HEADER);
        assert_eq!(h.machine.kernel_package, None);
        let line = serde_json::to_string(&Record::Header(Box::new(h.clone()))).unwrap();
        assert!(!line.contains("kernel_package"), "{line}");
        h.machine.kernel_package = Some(KernelPackage {
            suite: "bookworm".into(),
            version: "6.1.176-1".into(),
        });
        let line = serde_json::to_string(&Record::Header(Box::new(h.clone()))).unwrap();
        assert!(
            line.contains(r#""kernel_package":{"suite":"bookworm","version":"6.1.176-1"}"#),
            "{line}"
        );
        assert_eq!(header(&line), h);
    }

    #[test]
    fn headers_without_an_fsync_dir_read_and_one_round_trips() {
        let mut h = header(OLD_HEADER);
        assert_eq!(h.machine.fsync_dir, None);
        let line = serde_json::to_string(&Record::Header(Box::new(h.clone()))).unwrap();
        assert!(!line.contains("fsync_dir"), "{line}");
        h.machine.fsync_dir = Some(FsyncDir {
            path: "/var/tmp".into(),
            fs_type: Some("ext4".into()),
            source: Some("/dev/vda".into()),
            mount_options: Some("rw,relatime".into()),
            write_cache: Some("write back".into()),
            rotational: Some(false),
        });
        let line = serde_json::to_string(&Record::Header(Box::new(h.clone()))).unwrap();
        assert!(
            line.contains(
                r#""fsync_dir":{"path":"/var/tmp","fs_type":"ext4","source":"/dev/vda","#
            ),
            "{line}"
        );
        assert_eq!(header(&line), h);
        let bare = line.replace(r#","rotational":false"#, "");
        assert_eq!(header(&bare).machine.fsync_dir.unwrap().rotational, None);
    }

    #[test]
    fn anchor_intervals_and_the_calibration_round_trip() {
        let mut h = header(OLD_HEADER);
        h.anchors[0] = AnchorValue {
            ci_low: Some(95.0),
            ci_high: Some(96.1),
            precision: Some(0.0063),
            stop: Some(StopReason::Budget),
            spent_ns: Some(300_000_000),
            ..h.anchors[0].clone()
        };
        h.calibration = Some(Calibration {
            target_precision: 0.01,
            budget_ns: 1_200_000_000,
            spent_ns: 1_250_000_000,
            overshoot_ns: 50_000_000,
        });
        let line = serde_json::to_string(&Record::Header(Box::new(h.clone()))).unwrap();
        assert!(line.contains(r#""stop":"budget""#), "{line}");
        assert_eq!(header(&line), h);
    }

    /// A cell line as written before reason codes, and one naming a code
    /// this build does not know: both read, the code absent.
    #[test]
    fn lines_without_or_with_unknown_codes_still_read() {
        let line = |code: &str| {
            format!(
                r#"{{"kind":"cell","name":"n","cell":{{"style":"link","mode":"default","op":"nop",
                "forced_async":false,"groups":1,"steps":1,"batch":1,"submitters":1,
                "sharing":"per-submitter"}},"pass":"timing","rep":0,"status":"skipped",
                "reason":"MSG_RING unsupported (kernel 5.4)"{code},"finished_unix":0}}"#
            )
        };
        let read = |text: String| match serde_json::from_str::<Record>(&text).unwrap() {
            Record::Cell(c) => c.reason_code,
            other => panic!("not a cell: {other:?}"),
        };
        assert_eq!(read(line("")), None);
        assert_eq!(read(line(r#","reason_code":"from_the_future""#)), None);
        assert_eq!(
            read(line(r#","reason_code":"missing_opcode""#)),
            Some(ReasonCode::MissingOpcode)
        );
    }

    /// A reproducer run line reads back as written, its optional parts
    /// absent from the text when empty.
    #[test]
    fn a_repro_line_round_trips() {
        let text = r#"{"kind":"repro","name":"link/sqpoll-shared/nop/g1-s16-b16-t1",
            "cell":{"style":"link","mode":"sqpoll-shared","op":"nop","forced_async":false,
            "groups":1,"steps":16,"batch":16,"submitters":1,"sharing":"per-submitter"},
            "run":3,"outcome":"broken","passes":64,"broken":63,
            "first":"out of order (cqe): group 0 expected seq 0 got 8","finished_unix":7}"#;
        let record: Record = serde_json::from_str(text).unwrap();
        let Record::Repro(run) = &record else {
            panic!("not a repro line: {record:?}")
        };
        assert_eq!(
            (run.run, run.outcome, run.passes, run.broken),
            (3, ReproOutcome::Broken, 64, 63)
        );
        assert_eq!(run.finding, None, "a line without a finding reads");
        let written = serde_json::to_string(&record).unwrap();
        assert!(!written.contains("reason"), "{written}");
        assert!(!written.contains("finding"), "{written}");
        assert_eq!(serde_json::from_str::<Record>(&written).unwrap(), record);
        let with = text.replace(
            r#""finished_unix":7"#,
            r#""finding":{"study":"shared-sqpoll-split","place":"link/sqpoll-shared/nop g1-b64-t1",
            "axis":"steps","value":"16"},"finished_unix":7"#,
        );
        let Record::Repro(run) = serde_json::from_str::<Record>(&with).unwrap() else {
            panic!("not a repro line")
        };
        let finding = run.finding.expect("its finding");
        assert_eq!(
            (
                finding.study.as_str(),
                finding.axis.as_str(),
                finding.value.as_str()
            ),
            ("shared-sqpoll-split", "steps", "16")
        );
    }

    /// `emulated` reads with the current wording; the style registry's entry
    /// too; other labels pass unchanged.
    #[test]
    fn the_old_userspace_emulation_label_reads_as_the_current_one() {
        let line = |labels: &str| {
            format!(
                r#"{{"kind":"cell","name":"n","cell":{{"style":"sync-group","mode":"default","op":"nop",
                "forced_async":false,"groups":1,"steps":1,"batch":1,"submitters":1,
                "sharing":"per-submitter"}},"pass":"timing","rep":0,"status":"ok",
                "labels":{labels},"finished_unix":0}}"#
            )
        };
        let read = |text: String| match serde_json::from_str::<Record>(&text).unwrap() {
            Record::Cell(c) => c.labels,
            other => panic!("not a cell: {other:?}"),
        };
        assert_eq!(
            read(line(r#"["emulated","oversubscribed"]"#)),
            vec![USERSPACE_EMULATION_LABEL, "oversubscribed"]
        );
        let written = serde_json::to_string(&StyleEntry {
            name: "sync-group".into(),
            variants: vec![],
            labels: vec![USERSPACE_EMULATION_LABEL.into()],
            unordered: false,
        })
        .unwrap();
        let entry: StyleEntry =
            serde_json::from_str(&written.replace(USERSPACE_EMULATION_LABEL, "emulated")).unwrap();
        assert_eq!(entry.labels, vec![USERSPACE_EMULATION_LABEL]);
        assert_ne!(USERSPACE_EMULATION_LABEL, OLD_USERSPACE_EMULATION_LABEL);
    }
}
