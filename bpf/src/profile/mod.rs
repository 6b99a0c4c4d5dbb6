//! The profile pass's probes: load once, attach per cell to one process.
//!
//! What is counted for the target process (tgid), and how events that fire
//! outside it are still attributed (bpf/profile.bpf.c has the same rules):
//! - submit_req, link, defer, cqring_wait, local_work_run and task_work_run
//!   fire in a thread of the submitting process (the app, its SQPOLL thread
//!   or an io-wq worker, all of which share its tgid): counted by the
//!   current task's tgid; those carrying a ring also record it as the
//!   process's. The two work runs count only when they ran something.
//! - complete, task_add, queue_async_work and fail_link can fire in timer or
//!   device interrupts, in another process (a pipe write waking a poll) or in
//!   a kworker: counted when their ring (`struct io_ring_ctx`) was seen in
//!   use by the process since [`Probes::attach`]; the current task is ignored.
//! - sched_switch counts the process's threads being switched out, by role;
//!   sched_waking/sched_wakeup count its threads being woken and whether the
//!   CPU chosen for them differs from the waker's.

mod counts;
mod error;
mod programs;

use std::path::Path;

use aya::{
    include_bytes_aligned,
    maps::{Array, HashMap, MapData, MapError, PerCpuArray, PerCpuValues},
    programs::{tp_btf::BtfTracePointLinkId, BtfTracePoint, ProgramError},
    util::nr_cpus,
    Btf, BtfError, Ebpf, EbpfLoader,
};

pub use counts::ProbeCounts;
use counts::COUNTERS;
use error::describe;
pub use error::ProbeError;
use programs::{ProgramSpec, PROGRAMS};

use crate::privilege::missing_tracing_capabilities;

/// bpf/profile.bpf.o, built by scripts/build-bpf from bpf/profile.bpf.c.
const PROFILE_OBJECT: &[u8] = include_bytes_aligned!("../../profile.bpf.o");

/// Where the running kernel publishes its BTF.
const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The profile programs, verified and loaded into the kernel but attached to
/// nothing until [`Probes::attach`]. Dropping it unloads them.
pub struct Probes {
    ebpf: Ebpf,
    counters: PerCpuArray<MapData, u64>,
    target: Array<MapData, u32>,
    rings: HashMap<MapData, u64, u8>,
    waker_cpu: HashMap<MapData, u32, u32>,
    /// Programs whose tracepoint exists in this kernel, loaded.
    loaded: Vec<&'static ProgramSpec>,
    /// Tracepoints this kernel lacks; their programs are not loaded.
    missing: Vec<&'static str>,
}

impl Probes {
    /// Verifies and loads every program whose tracepoint this kernel has
    /// (the object is embedded in the binary; relocated against the kernel's
    /// BTF). A tracepoint the kernel lacks skips just its program, and the
    /// counters it feeds read `None`.
    pub fn load() -> Result<Probes, ProbeError> {
        if let Some(missing) = missing_tracing_capabilities() {
            return Err(ProbeError::NoPrivilege { missing });
        }
        let btf = Btf::from_sys_fs().map_err(|error| {
            if Path::new(KERNEL_BTF).exists() {
                ProbeError::KernelBtf(Box::new(error))
            } else {
                ProbeError::NoKernelBtf
            }
        })?;
        let mut ebpf = EbpfLoader::new()
            .btf(Some(&btf))
            .load(PROFILE_OBJECT)
            .map_err(|error| {
                ProbeError::from_kernel("object load".into(), error, |source| ProbeError::Object {
                    reason: describe(&source),
                    source: Box::new(source),
                })
            })?;
        let mut loaded = Vec::new();
        let mut missing = Vec::new();
        for spec in PROGRAMS {
            let program: &mut BtfTracePoint = ebpf
                .program_mut(spec.program)
                .ok_or(ProbeError::IncompleteObject(spec.program))?
                .try_into()
                .map_err(|_| ProbeError::IncompleteObject(spec.program))?;
            match program.load(spec.tracepoint, &btf) {
                Ok(()) => loaded.push(spec),
                Err(ProgramError::Btf(BtfError::UnknownBtfTypeName { .. })) => {
                    missing.push(spec.tracepoint)
                }
                Err(error) => {
                    return Err(ProbeError::from_kernel(
                        format!("program {}", spec.program),
                        error,
                        |source| ProbeError::Rejected {
                            program: spec.program,
                            reason: rejection_reason(&source),
                            source: Box::new(source),
                        },
                    ))
                }
            }
        }
        Ok(Probes {
            counters: take_map(&mut ebpf, "counters")?,
            target: take_map(&mut ebpf, "target")?,
            rings: take_map(&mut ebpf, "rings")?,
            waker_cpu: take_map(&mut ebpf, "waker_cpu")?,
            ebpf,
            loaded,
            missing,
        })
    }

    /// Tracepoints this kernel lacks: their programs were not loaded and the
    /// counters they feed read `None`.
    pub fn missing_tracepoints(&self) -> &[&'static str] {
        &self.missing
    }

    /// The kernel-visible names of the programs this crate loads (what
    /// `bpftool prog list` shows), to tell ours apart from others.
    pub fn program_names() -> impl Iterator<Item = &'static str> {
        PROGRAMS.iter().map(|spec| spec.program)
    }

    /// Starts counting for the process `tgid`: zeroes the counters, forgets
    /// the rings and wakeups of the previous cell, sets the filter and
    /// attaches every loaded program. If an attach fails, the ones already
    /// attached are detached before the error returns.
    pub fn attach(&mut self, tgid: u32) -> Result<Attached<'_>, ProbeError> {
        self.reset(tgid)?;
        let mut attached = Attached {
            probes: self,
            links: Vec::new(),
        };
        for spec in attached.probes.loaded.clone() {
            let link = attached.probes.program(spec)?.attach().map_err(|error| {
                ProbeError::from_kernel(format!("attach of {}", spec.program), error, |source| {
                    ProbeError::Attach {
                        program: spec.program,
                        tracepoint: spec.tracepoint,
                        reason: describe(&source),
                        source: Box::new(source),
                    }
                })
            })?;
            attached.links.push((spec, link));
        }
        Ok(attached)
    }

    /// Clears all per-cell state and points the filter at `tgid`.
    fn reset(&mut self, tgid: u32) -> Result<(), ProbeError> {
        self.set_target(0)?;
        let cpus = possible_cpus()?;
        for counter in COUNTERS {
            let zeros = PerCpuValues::try_from(vec![0u64; cpus])
                .map_err(|error| map_error("counters", "sizing", MapError::IoError(error)))?;
            self.counters
                .set(counter.slot, zeros, 0)
                .map_err(|error| map_error("counters", "zeroing", error))?;
        }
        clear(&mut self.rings, "rings")?;
        clear(&mut self.waker_cpu, "waker_cpu")?;
        self.set_target(tgid)
    }

    fn set_target(&mut self, tgid: u32) -> Result<(), ProbeError> {
        self.target
            .set(0, tgid, 0)
            .map_err(|error| map_error("target", "setting the tgid", error))
    }

    fn program(&mut self, spec: &ProgramSpec) -> Result<&mut BtfTracePoint, ProbeError> {
        self.ebpf
            .program_mut(spec.program)
            .and_then(|program| program.try_into().ok())
            .ok_or(ProbeError::IncompleteObject(spec.program))
    }

    /// Sums every counter over all CPUs; `None` where a program feeding it
    /// is not loaded.
    fn read(&self) -> Result<ProbeCounts, ProbeError> {
        let mut values = [None; COUNTERS.len()];
        for (value, counter) in values.iter_mut().zip(COUNTERS) {
            if counter.needs.iter().any(|tp| self.missing.contains(tp)) {
                continue;
            }
            let per_cpu = self
                .counters
                .get(&counter.slot, 0)
                .map_err(|error| map_error("counters", "reading", error))?;
            *value = Some(per_cpu.iter().sum());
        }
        Ok(ProbeCounts::from_slots(&values))
    }
}

/// The probes attached for one cell. [`Attached::finish`] reads the counts
/// and detaches; dropping it (an error path, Ctrl-C unwinding) detaches too.
pub struct Attached<'a> {
    probes: &'a mut Probes,
    links: Vec<(&'static ProgramSpec, BtfTracePointLinkId)>,
}

impl Attached<'_> {
    /// Ends the cell: detaches every program, then reads the counters, so
    /// nothing counted after the cell ends leaks into them.
    pub fn finish(mut self) -> Result<ProbeCounts, ProbeError> {
        self.detach()?;
        self.probes.set_target(0)?;
        self.probes.read()
    }

    /// Detaches every program still attached; on failure still tries the
    /// rest and returns the first error.
    fn detach(&mut self) -> Result<(), ProbeError> {
        let mut first_error = None;
        for (spec, link) in std::mem::take(&mut self.links) {
            let detached = self.probes.program(spec).and_then(|program| {
                program.detach(link).map_err(|source| ProbeError::Detach {
                    program: spec.program,
                    reason: describe(&source),
                    source: Box::new(source),
                })
            });
            if let Err(error) = detached {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        // Best effort: a link that cannot be detached here goes away with
        // the Probes (its fd closes) or with the process.
        let _ = self.detach();
    }
}

/// Moves a map out of the object into its typed handle.
fn take_map<M>(ebpf: &mut Ebpf, name: &'static str) -> Result<M, ProbeError>
where
    M: TryFrom<aya::maps::Map, Error = MapError>,
{
    let map = ebpf
        .take_map(name)
        .ok_or(ProbeError::IncompleteObject(name))?;
    M::try_from(map).map_err(|error| map_error(name, "opening", error))
}

/// Removes every entry of a hash map.
fn clear<K, V>(map: &mut HashMap<MapData, K, V>, name: &'static str) -> Result<(), ProbeError>
where
    K: aya::Pod,
    V: aya::Pod,
{
    let keys = map
        .keys()
        .collect::<Result<Vec<K>, MapError>>()
        .map_err(|error| map_error(name, "listing keys", error))?;
    for key in keys {
        match map.remove(&key) {
            Ok(()) | Err(MapError::KeyNotFound) => {}
            Err(error) => return Err(map_error(name, "clearing", error)),
        }
    }
    Ok(())
}

fn possible_cpus() -> Result<usize, ProbeError> {
    nr_cpus().map_err(|(_, error)| map_error("counters", "counting CPUs", MapError::IoError(error)))
}

fn map_error(map: &'static str, action: &'static str, source: MapError) -> ProbeError {
    ProbeError::Map {
        map,
        action,
        reason: describe(&source),
        source: Box::new(source),
    }
}

/// One line from a program load failure: the kernel's error and the
/// verifier's last non-empty line (the full log stays in the error's source).
fn rejection_reason(error: &ProgramError) -> String {
    match error {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } => {
            let log = verifier_log.to_string();
            match log.lines().rev().find(|line| !line.trim().is_empty()) {
                Some(last) => format!("{io_error}; verifier: {}", last.trim()),
                None => io_error.to_string(),
            }
        }
        other => describe(other),
    }
}
