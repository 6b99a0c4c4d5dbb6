//! Reason codes: the stable, machine-readable half of every outcome that is
//! not a plain measurement. A `skipped`, `failed` or `interrupted` line of
//! `results.jsonl` carries one as `reason_code` beside its one-line `reason`;
//! a profile line carries one beside each text it explains
//! (`counters_skipped_code`, `probes_skipped_code`, a counter's
//! `unsupported_code`). The text is for people and may change wording; the
//! code is what readers decide by, and its spelling never changes: a code is
//! only ever added.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an outcome is not a plain measurement. Serialised in snake_case
/// (`missing_opcode`); every variant names the producer that writes it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Skipped: io_uring cannot be set up in this process at all
    /// (`io_uring_setup` refused, e.g. by `kernel.io_uring_disabled` or a
    /// seccomp filter).
    IoUringUnavailable,
    /// Skipped: the kernel's opcode probe lacks an opcode the cell's op or
    /// style submits (`MSG_RING`, `FUTEX_WAIT`, ...).
    MissingOpcode,
    /// Skipped: the kernel refused the setup flags of the cell's mode
    /// (SQPOLL, DEFER_TASKRUN, ATTACH_WQ, a registered ring fd) for a reason
    /// other than privilege.
    MissingSetupFlag,
    /// Skipped: the kernel refused the mode's setup flags with EPERM or
    /// EACCES: this process lacks the privilege they need.
    NeedsPrivilege,
    /// Skipped: a kernel feature a style probes for itself is missing (the
    /// io_uring BPF loop, a futex wait that is really woken).
    MissingFeature,
    /// Skipped: the style pins threads apart and the machine has too few CPUs.
    NeedsCpus,
    /// Skipped: the op syncs to stable storage (`fsync`) and its directory is
    /// on a file system whose fsync does nothing (tmpfs, ramfs) or missing.
    NoDurableFs,
    /// Skipped: the cell's style, mode, op and shape do not make a runnable
    /// combination (a shared DEFER_TASKRUN ring, the BPF loop on SQPOLL, ...).
    UnsupportedCombination,
    /// Skipped (profile line): the config turned the profile pass off.
    ProfileDisabled,
    /// Failed: setting up the cell's rings, ops, threads or the style's own
    /// resources (helper rings, futex words, a forked process) failed.
    SetupFailed,
    /// Failed: the kernel broke the order (the line's `violation` says where).
    OrderViolation,
    /// Failed: a step completed with a result its op does not succeed with.
    StepFailed,
    /// Failed: a request of the style's own (a futex wait or wake) failed.
    RequestFailed,
    /// Failed: a completion arrived that no step or request accounts for (a
    /// user_data never written, more step completions than steps, a step
    /// completing on the wrong ring).
    UnexpectedCompletion,
    /// Failed: a pass ended with steps that never completed.
    StepsMissing,
    /// Failed: a futex wait was never woken although its wake ran.
    LostWakeup,
    /// Failed: a helper thread or process of the style (completer, reactor,
    /// stall watcher, fresh process) or a submitter thread died.
    HelperDied,
    /// Failed: a system call driving a ring (`io_uring_enter`, ring fd
    /// registration) failed.
    RingFailed,
    /// Failed: the bytes an op with a data path wrote could not be read back
    /// for the order check.
    ReadBackFailed,
    /// Failed: the watchdog ended a cell that did not finish in time.
    Timeout,
    /// Interrupted: Ctrl-C or SIGTERM stopped the cell; `--resume` runs it again.
    Interrupted,
    /// Profile: perf counters need CAP_PERFMON (or were refused although it
    /// is held: seccomp, a security module).
    CountersNeedPrivilege,
    /// Profile: the kernel offers no perf events.
    CountersUnavailable,
    /// Profile: opening or driving an otherwise available counter failed.
    CountersFailed,
    /// Profile (one counter): the PMU cannot count this event, as `perf
    /// stat` says `<not supported>`.
    CounterUnsupported,
    /// Profile (one counter): the event was never scheduled on the PMU
    /// during the pass, as `perf stat` says `<not counted>`.
    CounterNotCounted,
    /// Profile: the BPF probes need CAP_BPF and CAP_PERFMON (or the kernel
    /// refused them although they are held: lockdown, seccomp, an LSM).
    ProbesNeedPrivilege,
    /// Profile: the kernel lacks what the probes need (the bpf() syscall,
    /// its BTF).
    ProbesUnsupported,
    /// Profile: the probes could be run here but loading, attaching, reading
    /// or detaching them failed: a fault, not a missing feature.
    ProbesFailed,
}

impl ReasonCode {
    /// Every code, in declaration order.
    pub const ALL: [ReasonCode; 29] = [
        ReasonCode::IoUringUnavailable,
        ReasonCode::MissingOpcode,
        ReasonCode::MissingSetupFlag,
        ReasonCode::NeedsPrivilege,
        ReasonCode::MissingFeature,
        ReasonCode::NeedsCpus,
        ReasonCode::NoDurableFs,
        ReasonCode::UnsupportedCombination,
        ReasonCode::ProfileDisabled,
        ReasonCode::SetupFailed,
        ReasonCode::OrderViolation,
        ReasonCode::StepFailed,
        ReasonCode::RequestFailed,
        ReasonCode::UnexpectedCompletion,
        ReasonCode::StepsMissing,
        ReasonCode::LostWakeup,
        ReasonCode::HelperDied,
        ReasonCode::RingFailed,
        ReasonCode::ReadBackFailed,
        ReasonCode::Timeout,
        ReasonCode::Interrupted,
        ReasonCode::CountersNeedPrivilege,
        ReasonCode::CountersUnavailable,
        ReasonCode::CountersFailed,
        ReasonCode::CounterUnsupported,
        ReasonCode::CounterNotCounted,
        ReasonCode::ProbesNeedPrivilege,
        ReasonCode::ProbesUnsupported,
        ReasonCode::ProbesFailed,
    ];

    /// The code as written in results files (`missing_opcode`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::IoUringUnavailable => "io_uring_unavailable",
            ReasonCode::MissingOpcode => "missing_opcode",
            ReasonCode::MissingSetupFlag => "missing_setup_flag",
            ReasonCode::NeedsPrivilege => "needs_privilege",
            ReasonCode::MissingFeature => "missing_feature",
            ReasonCode::NeedsCpus => "needs_cpus",
            ReasonCode::NoDurableFs => "no_durable_fs",
            ReasonCode::UnsupportedCombination => "unsupported_combination",
            ReasonCode::ProfileDisabled => "profile_disabled",
            ReasonCode::SetupFailed => "setup_failed",
            ReasonCode::OrderViolation => "order_violation",
            ReasonCode::StepFailed => "step_failed",
            ReasonCode::RequestFailed => "request_failed",
            ReasonCode::UnexpectedCompletion => "unexpected_completion",
            ReasonCode::StepsMissing => "steps_missing",
            ReasonCode::LostWakeup => "lost_wakeup",
            ReasonCode::HelperDied => "helper_died",
            ReasonCode::RingFailed => "ring_failed",
            ReasonCode::ReadBackFailed => "read_back_failed",
            ReasonCode::Timeout => "timeout",
            ReasonCode::Interrupted => "interrupted",
            ReasonCode::CountersNeedPrivilege => "counters_need_privilege",
            ReasonCode::CountersUnavailable => "counters_unavailable",
            ReasonCode::CountersFailed => "counters_failed",
            ReasonCode::CounterUnsupported => "counter_unsupported",
            ReasonCode::CounterNotCounted => "counter_not_counted",
            ReasonCode::ProbesNeedPrivilege => "probes_need_privilege",
            ReasonCode::ProbesUnsupported => "probes_unsupported",
            ReasonCode::ProbesFailed => "probes_failed",
        }
    }

    /// The code written as `name`, if this build knows it.
    pub fn named(name: &str) -> Option<ReasonCode> {
        ReasonCode::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
    }

    /// Whether the code says the machine cannot do something (a skip, an
    /// observer it lacks) rather than that something went wrong: what the
    /// reports set apart from failures.
    pub fn is_missing_capability(self) -> bool {
        match self {
            ReasonCode::IoUringUnavailable
            | ReasonCode::MissingOpcode
            | ReasonCode::MissingSetupFlag
            | ReasonCode::NeedsPrivilege
            | ReasonCode::MissingFeature
            | ReasonCode::NeedsCpus
            | ReasonCode::NoDurableFs
            | ReasonCode::UnsupportedCombination
            | ReasonCode::ProfileDisabled
            | ReasonCode::CountersNeedPrivilege
            | ReasonCode::CountersUnavailable
            | ReasonCode::CounterUnsupported
            | ReasonCode::CounterNotCounted
            | ReasonCode::ProbesNeedPrivilege
            | ReasonCode::ProbesUnsupported => true,
            ReasonCode::SetupFailed
            | ReasonCode::OrderViolation
            | ReasonCode::StepFailed
            | ReasonCode::RequestFailed
            | ReasonCode::UnexpectedCompletion
            | ReasonCode::StepsMissing
            | ReasonCode::LostWakeup
            | ReasonCode::HelperDied
            | ReasonCode::RingFailed
            | ReasonCode::ReadBackFailed
            | ReasonCode::Timeout
            | ReasonCode::Interrupted
            | ReasonCode::CountersFailed
            | ReasonCode::ProbesFailed => false,
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_as_its_name() {
        for code in ReasonCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ReasonCode>(&json).unwrap(), code);
            assert_eq!(ReasonCode::named(code.as_str()), Some(code));
        }
        let mut names: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ReasonCode::ALL.len(), "a name is used twice");
    }

    /// `ALL` lists every variant: each variant's position in `ALL` is its
    /// declaration index, which the derived ordering follows.
    #[test]
    fn all_lists_every_variant_in_order() {
        let source = include_str!("reason.rs");
        let body = &source[source.find("pub enum ReasonCode {").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let declared: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("///") && l.ends_with(','))
            .map(|l| l.trim_end_matches(','))
            .collect();
        let listed: Vec<String> = ReasonCode::ALL.iter().map(|c| format!("{c:?}")).collect();
        assert_eq!(declared, listed);
        assert!(ReasonCode::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    /// Every variant says, in its doc comment, when it is written.
    #[test]
    fn every_code_has_a_doc_comment() {
        let source = include_str!("reason.rs");
        let body = &source[source.find("pub enum ReasonCode {").unwrap()..];
        let lines: Vec<&str> = body.lines().map(str::trim).collect();
        for code in ReasonCode::ALL {
            let variant = format!("{code:?},");
            let at = lines.iter().position(|l| *l == variant).unwrap();
            assert!(
                lines[at - 1].starts_with("/// ") && lines[at - 1].len() > 10,
                "{code:?} has no doc comment"
            );
        }
    }

    /// The README's results section lists every code.
    #[test]
    fn the_readme_lists_every_code() {
        let readme = include_str!("../../README.md");
        for code in ReasonCode::ALL {
            assert!(
                readme.contains(&format!("| `{code}` |")),
                "README.md does not list {code}"
            );
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(serde_json::from_str::<ReasonCode>("\"no_such_code\"").is_err());
    }
}
