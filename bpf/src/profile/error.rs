//! Why the profile probes could not be loaded, attached or read.
//!
//! Each message is one line for the results file and the report, and each
//! error has the reason code recorded beside it ([`ProbeError::code`]). A
//! missing privilege or kernel feature is a skip
//! ([`ProbeError::is_unsupported`]); anything else is a real error.

use std::{error::Error, io};

use aya::{maps::MapError, programs::ProgramError, BtfError, EbpfError};
use results_schema::ReasonCode;

/// Why the profile probes failed.
#[derive(thiserror::Error, Debug)]
pub enum ProbeError {
    /// The calling thread lacks the capabilities tracing programs need.
    #[error("BPF needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): this process lacks {missing}")]
    NoPrivilege {
        /// The capabilities it lacks, e.g. "CAP_BPF and CAP_PERFMON".
        missing: String,
    },
    /// The kernel said EPERM/EACCES although the capabilities are there
    /// (lockdown, seccomp, an LSM).
    #[error("kernel refused BPF {what}: {errno}")]
    Refused {
        /// What was refused, e.g. "program ursb_switch".
        what: String,
        /// The error the kernel returned.
        errno: io::Error,
    },
    /// The kernel was built without the bpf() syscall.
    #[error("kernel has no bpf() syscall (CONFIG_BPF_SYSCALL off)")]
    NoBpfSyscall,
    /// The kernel exposes no BTF, which tp_btf programs are attached through.
    #[error(
        "kernel BTF missing (/sys/kernel/btf/vmlinux): tp_btf probes need CONFIG_DEBUG_INFO_BTF"
    )]
    NoKernelBtf,
    /// The kernel's BTF exists but could not be parsed.
    #[error("reading kernel BTF failed: {0}")]
    KernelBtf(#[source] Box<BtfError>),
    /// The embedded object could not be turned into maps and programs.
    #[error("loading the profile BPF object failed: {reason}")]
    Object {
        /// aya's error with the kernel's errno.
        reason: String,
        /// What aya reported.
        #[source]
        source: Box<EbpfError>,
    },
    /// The embedded object lacks a map or program the loader expects.
    #[error("embedded BPF object lacks {0} (rebuild it with scripts/build-bpf)")]
    IncompleteObject(&'static str),
    /// The verifier (or the kernel) rejected a program.
    #[error("BPF program {program} rejected: {reason}")]
    Rejected {
        /// The program's name in bpf/profile.bpf.c.
        program: &'static str,
        /// The kernel's error and the verifier's last word.
        reason: String,
        /// The full error, verifier log included.
        #[source]
        source: Box<ProgramError>,
    },
    /// Attaching a program to its tracepoint failed.
    #[error("attaching {program} to {tracepoint} failed: {reason}")]
    Attach {
        /// The program's name.
        program: &'static str,
        /// The tracepoint it was being attached to.
        tracepoint: &'static str,
        /// aya's error with the kernel's errno.
        reason: String,
        /// What aya reported.
        #[source]
        source: Box<ProgramError>,
    },
    /// Detaching a program failed (it is detached when the process exits).
    #[error("detaching {program} failed: {reason}")]
    Detach {
        /// The program's name.
        program: &'static str,
        /// aya's error with the kernel's errno.
        reason: String,
        /// What aya reported.
        #[source]
        source: Box<ProgramError>,
    },
    /// Reading, writing or clearing a map failed.
    #[error("BPF map {map}: {action} failed: {reason}")]
    Map {
        /// The map's name.
        map: &'static str,
        /// What was being done to it.
        action: &'static str,
        /// aya's error with the kernel's errno.
        reason: String,
        /// What aya reported.
        #[source]
        source: Box<MapError>,
    },
}

impl ProbeError {
    /// The reason code a profile line records beside this error's text:
    /// `probes_need_privilege` or `probes_unsupported` when the machine
    /// cannot run the probes, `probes_failed` for a real error.
    pub fn code(&self) -> ReasonCode {
        match self {
            ProbeError::NoPrivilege { .. } | ProbeError::Refused { .. } => {
                ReasonCode::ProbesNeedPrivilege
            }
            ProbeError::NoBpfSyscall | ProbeError::NoKernelBtf => ReasonCode::ProbesUnsupported,
            ProbeError::KernelBtf(_)
            | ProbeError::Object { .. }
            | ProbeError::IncompleteObject(_)
            | ProbeError::Rejected { .. }
            | ProbeError::Attach { .. }
            | ProbeError::Detach { .. }
            | ProbeError::Map { .. } => ReasonCode::ProbesFailed,
        }
    }

    /// True when the machine cannot run the probes (missing privilege or
    /// kernel feature): a skip with this reason. False for real errors.
    pub fn is_unsupported(&self) -> bool {
        self.code().is_missing_capability()
    }

    /// Maps an error of a bpf() call to a skip when the kernel refused it for
    /// privilege or lacks BPF, else to the real error `other` builds.
    pub(crate) fn from_kernel<E>(what: String, error: E, other: impl FnOnce(E) -> Self) -> Self
    where
        E: Error + 'static,
    {
        match os_error(&error) {
            Some(errno) if matches!(errno.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                ProbeError::Refused { what, errno }
            }
            Some(errno) if errno.raw_os_error() == Some(libc::ENOSYS) => ProbeError::NoBpfSyscall,
            _ => other(error),
        }
    }
}

/// An aya error as one line that names the kernel's errno: aya's messages
/// for failed syscalls name the call but leave the errno to their source.
pub(crate) fn describe(error: &(dyn Error + 'static)) -> String {
    let message = error.to_string();
    match os_error(error) {
        Some(errno) if !message.contains(&errno.to_string()) => format!("{message}: {errno}"),
        _ => message,
    }
}

/// The operating-system error at the root of an aya error, if any.
fn os_error(error: &(dyn Error + 'static)) -> Option<io::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(errno) = error
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            return Some(io::Error::from_raw_os_error(errno));
        }
        current = error.source();
    }
    None
}
