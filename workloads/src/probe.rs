//! The capability probe: what this kernel and this process may do, found by
//! asking (io_uring's opcode probe) and by trying (building a ring with each set
//! of setup flags). A cell's needs are checked against it before the cell runs,
//! and what is missing becomes an [`Unmet`]: its reason code and a one-line
//! reason such as `SQPOLL: EPERM`.

use crate::cancel::Cancel;
use crate::durable::durable_dir;
use crate::mode::{ModeSpec, MODES};
use crate::ring::{Ring, RingSize};
use crate::sys::kernel_release;
use io_uring::{IoUring, Probe as OpProbe};
use results_schema::ReasonCode;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;

/// The [`Need::Feature`] of the `bpf-loop` style: io_uring BPF struct_ops
/// (`io_uring_bpf_ops` in the kernel's BTF, Linux 7.1+).
pub const BPF_LOOP: &str = "io_uring BPF loop";

/// Something a cell needs from the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// An io_uring opcode (code, name).
    Opcode(u8, &'static str),
    /// A mode's setup flags.
    Mode(ModeSpec),
    /// At least this many online CPUs (for styles that pin threads apart).
    Cpus(u32),
    /// A kernel feature found some other way, with its reason when missing.
    Feature(&'static str),
    /// A directory whose file system writes to stable storage on fsync (not
    /// tmpfs or ramfs, where fsync does nothing): where the `fsync` op writes.
    DurableDir(PathBuf),
}

/// Why a cell cannot run on this machine: the code its skip line records
/// and the one-line reason people read.
#[derive(thiserror::Error, Clone, Debug, PartialEq, Eq)]
#[error("{reason}")]
pub struct Unmet {
    /// What kind of need is unmet (always a skip code).
    pub code: ReasonCode,
    /// The one-line reason (`SQPOLL: EPERM`).
    pub reason: String,
}

impl Unmet {
    /// The cell's style, mode, op and shape do not make a runnable combination.
    pub fn combination(reason: impl Into<String>) -> Unmet {
        Unmet {
            code: ReasonCode::UnsupportedCombination,
            reason: reason.into(),
        }
    }

    fn new(code: ReasonCode, reason: String) -> Unmet {
        Unmet { code, reason }
    }
}

/// What the probe found.
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// Why io_uring is unusable at all (`io_uring_setup: EPERM`), if it is.
    pub unavailable: Option<String>,
    /// IORING_FEAT_* names of a default ring.
    pub features: Vec<&'static str>,
    opcodes: BTreeSet<u8>,
    modes: BTreeMap<String, Result<(), Unmet>>,
    features_found: BTreeMap<&'static str, Result<(), String>>,
    /// Kernel release, for reasons such as `FUTEX_WAIT unsupported (kernel 6.1)`.
    pub kernel: String,
    /// Online CPUs.
    pub cpus: u32,
}

/// Short errno name for reasons (`EPERM`), falling back to the message.
pub fn errno_name(e: &io::Error) -> String {
    let name = match e.raw_os_error() {
        Some(libc::EPERM) => "EPERM",
        Some(libc::EACCES) => "EACCES",
        Some(libc::EINVAL) => "EINVAL",
        Some(libc::ENOSYS) => "ENOSYS",
        Some(libc::ENOMEM) => "ENOMEM",
        Some(libc::EOPNOTSUPP) => "EOPNOTSUPP",
        Some(libc::EMFILE) => "EMFILE",
        Some(libc::EBADF) => "EBADF",
        Some(libc::ENOENT) => "ENOENT",
        _ => return e.to_string(),
    };
    name.to_string()
}

/// Names the `kernel.io_uring_disabled` sysctl when it explains an EPERM from
/// io_uring_setup (empty otherwise: e.g. a seccomp filter refused it).
fn sysctl_note(e: &io::Error) -> String {
    if e.raw_os_error() != Some(libc::EPERM) {
        return String::new();
    }
    let setting = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    match setting {
        Some(2) => " (disabled by sysctl kernel.io_uring_disabled=2)".into(),
        Some(1) => {
            " (sysctl kernel.io_uring_disabled=1: only kernel.io_uring_group may use it)".into()
        }
        _ => String::new(),
    }
}

fn online_cpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

impl Capabilities {
    /// Probes this machine (builds a few short-lived rings).
    pub fn detect() -> Capabilities {
        let mut caps = Capabilities {
            unavailable: None,
            features: Vec::new(),
            opcodes: BTreeSet::new(),
            modes: BTreeMap::new(),
            features_found: BTreeMap::new(),
            kernel: kernel_release(),
            cpus: online_cpus(),
        };
        let ring = match IoUring::new(8) {
            Ok(ring) => ring,
            Err(e) => {
                caps.unavailable = Some(format!(
                    "io_uring_setup: {}{}",
                    errno_name(&e),
                    sysctl_note(&e)
                ));
                return caps;
            }
        };
        caps.set_feature(
            BPF_LOOP,
            bpf::event_loop_supported().map_err(|e| e.to_string()),
        );
        let mut probe = OpProbe::new();
        if ring.submitter().register_probe(&mut probe).is_ok() {
            caps.opcodes = (0..=u8::MAX).filter(|&c| probe.is_supported(c)).collect();
        }
        let cancel = Cancel::new();
        for mode in MODES {
            for registered in [false, true] {
                let spec = ModeSpec { mode, registered };
                let result = try_mode(spec, &cancel).map(|ring| {
                    if caps.features.is_empty() {
                        caps.features = ring.feature_names();
                    }
                });
                caps.modes.insert(spec.to_string(), result);
            }
        }
        caps
    }

    /// Records the outcome of probing a named kernel feature (styles probe their
    /// own features, e.g. a futex wait that must really be woken).
    pub fn set_feature(&mut self, name: &'static str, result: Result<(), String>) {
        self.features_found.insert(name, result);
    }

    /// Pretends the kernel lacks an opcode: the rest of the probe stays real.
    /// Used to exercise skip paths on kernels that do have the opcode; only
    /// in the `fault-injection` build (see [`crate::fault_injection`]).
    #[cfg(feature = "fault-injection")]
    pub fn without_opcode(mut self, code: u8) -> Capabilities {
        self.opcodes.remove(&code);
        self
    }

    /// Whether an opcode is supported.
    pub fn has_opcode(&self, code: u8) -> bool {
        self.opcodes.contains(&code)
    }

    /// Checks one need; `Err` is the skip's code and one-line reason.
    pub fn check(&self, need: &Need) -> Result<(), Unmet> {
        if let Some(why) = &self.unavailable {
            return Err(Unmet::new(ReasonCode::IoUringUnavailable, why.clone()));
        }
        match need {
            Need::Opcode(code, name) => {
                if self.has_opcode(*code) {
                    Ok(())
                } else {
                    Err(Unmet::new(
                        ReasonCode::MissingOpcode,
                        format!("{name} unsupported (kernel {})", self.kernel),
                    ))
                }
            }
            Need::Mode(spec) => self
                .modes
                .get(&spec.to_string())
                .cloned()
                .unwrap_or_else(|| {
                    Err(Unmet::new(
                        ReasonCode::MissingSetupFlag,
                        format!("{spec}: not probed"),
                    ))
                }),
            Need::Cpus(n) => {
                if self.cpus >= *n {
                    Ok(())
                } else {
                    Err(Unmet::new(
                        ReasonCode::NeedsCpus,
                        format!("needs {n} CPUs, machine has {}", self.cpus),
                    ))
                }
            }
            Need::Feature(name) => match self.features_found.get(name) {
                Some(Ok(())) => Ok(()),
                Some(Err(why)) => Err(Unmet::new(ReasonCode::MissingFeature, why.clone())),
                None => Err(Unmet::new(
                    ReasonCode::MissingFeature,
                    format!("{name}: not probed"),
                )),
            },
            Need::DurableDir(dir) => {
                durable_dir(dir).map_err(|why| Unmet::new(ReasonCode::NoDurableFs, why))
            }
        }
    }

    /// Checks all needs, returning the first unmet one.
    pub fn check_all(&self, needs: &[Need]) -> Result<(), Unmet> {
        needs.iter().try_for_each(|n| self.check(n))
    }

    /// Names of the supported opcodes among those the tool uses.
    pub fn opcode_names(&self, used: &[(u8, &'static str)]) -> Vec<String> {
        used.iter()
            .filter(|(code, _)| self.has_opcode(*code))
            .map(|(_, name)| name.to_string())
            .collect()
    }
}

/// Builds a ring of `spec`; a refusal is `needs_privilege` when the kernel
/// said EPERM or EACCES, `missing_setup_flag` otherwise.
fn try_mode(spec: ModeSpec, cancel: &std::sync::Arc<Cancel>) -> Result<Ring, Unmet> {
    let label = |what: &str, e: &io::Error| {
        let code = match e.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => ReasonCode::NeedsPrivilege,
            _ => ReasonCode::MissingSetupFlag,
        };
        Unmet::new(code, format!("{what}: {}", errno_name(e)))
    };
    let size = RingSize { sq: 8, cq: 16 };
    let m = spec.mode;
    let what = if m.sqpoll {
        "SQPOLL"
    } else if m.defer_taskrun {
        "DEFER_TASKRUN"
    } else if m.coop_taskrun {
        "COOP_TASKRUN"
    } else {
        "io_uring_setup"
    };
    if m.shared_poller {
        let owner = Ring::build(ModeSpec::SQPOLL, size, None, None, cancel.clone())
            .map_err(|e| label("SQPOLL", &e))?;
        return Ring::build(spec, size, Some(owner.fd()), None, cancel.clone())
            .map_err(|e| label("SQPOLL ATTACH_WQ", &e));
    }
    Ring::build(spec, size, None, None, cancel.clone()).map_err(|e| {
        if spec.registered && e.raw_os_error() != Some(libc::EPERM) {
            label("REGISTER_RING_FDS", &e)
        } else {
            label(what, &e)
        }
    })
}
