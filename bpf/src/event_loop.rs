//! The `bpf-loop` style's in-kernel event loop: loads `loop.bpf.c`, an
//! io_uring BPF struct_ops program (`io_uring_bpf_ops.loop_step`, Linux 7.1+),
//! and registers it on one ring. From then on every io_uring_enter(2) on that
//! ring runs the program's loop instead of the ordinary submit-and-wait path,
//! until the program says stop.
//!
//! This loader uses libbpf (through libbpf-rs), not aya like the profile
//! probes: aya cannot load struct_ops programs or create struct_ops maps, and
//! registering a struct_ops map (here with `ring_fd` set in its value) is the
//! only way to attach this program.

use std::{fs, ops::Range};

use libbpf_rs::{btf::types::Struct, Btf, Link, MapCore, Object, ObjectBuilder};

/// The compiled program, built against the 7.2 kernel's BTF by scripts/build-bpf.
const LOOP_OBJECT: &[u8] = include_bytes!("../loop.bpf.o");

/// Most groups one ring's loop drives (`MAX_GROUPS` in loop.bpf.c).
pub const MAX_GROUPS: u32 = 64;

/// The kernel type whose presence says the io_uring BPF loop exists.
const OPS_TYPE: &str = "io_uring_bpf_ops";

/// The struct_ops map (`loop_ops` in loop.bpf.c) and where its value keeps `ring_fd`.
const OPS_MAP: &str = "loop_ops";
const RING_FD_OFFSET: usize = 8;

/// Why the event loop could not be loaded or attached.
#[derive(thiserror::Error, Debug)]
pub enum LoopError {
    /// The running kernel has no io_uring BPF struct_ops.
    #[error("io_uring BPF loop unsupported (kernel {kernel}: no io_uring_bpf_ops in BTF)")]
    Unsupported {
        /// The kernel's major.minor, e.g. "6.18".
        kernel: String,
    },
    /// The kernel's BTF could not be read.
    #[error("io_uring BPF loop unsupported: kernel BTF unreadable ({0})")]
    NoBtf(String),
    /// The cell asks for more than the program handles.
    #[error("the io_uring BPF loop drives at most {MAX_GROUPS} groups per ring, not {0}")]
    TooManyGroups(u32),
    /// A ring size the program cannot index (not a power of two).
    #[error("ring sizes must be powers of two for the io_uring BPF loop (sq {sq}, cq {cq})")]
    RingSize {
        /// SQ entries.
        sq: u32,
        /// CQ entries.
        cq: u32,
    },
    /// libbpf failed to open, load or attach (its log has the verifier's words).
    #[error("io_uring BPF loop: {what} failed: {source}")]
    Libbpf {
        /// Which step failed.
        what: &'static str,
        /// libbpf's error.
        source: libbpf_rs::Error,
    },
    /// The object lacks a section this loader expects (a stale build).
    #[error("io_uring BPF loop: loop.bpf.o has no {0} (rebuild with scripts/build-bpf)")]
    Object(&'static str),
}

/// Mirror of `struct loop_cfg` in loop.bpf.c (its .rodata).
#[repr(C)]
#[derive(Clone, Copy)]
struct LoopConfig {
    sq_entries: u32,
    cq_entries: u32,
    group_base: u32,
    groups: u32,
    steps: u32,
}

/// What the loop runs: one ring and the groups it keeps going.
#[derive(Clone, Debug)]
pub struct LoopSpec {
    /// The ring's fd (a DEFER_TASKRUN ring without SQPOLL).
    pub ring_fd: i32,
    /// Its SQ entries (a power of two).
    pub sq_entries: u32,
    /// Its CQ entries (a power of two).
    pub cq_entries: u32,
    /// The groups whose steps the loop submits (their numbers go into user_data).
    pub groups: Range<u32>,
    /// Steps per group.
    pub steps: u32,
}

/// The event loop registered on a ring; dropping it unregisters the program
/// and unloads it (cell end, error or interruption alike).
pub struct EventLoop {
    // Field order is drop order: unregister before unloading.
    _link: Link,
    _object: Object,
}

/// Whether this kernel has the io_uring BPF loop; `Err` is the skip reason.
pub fn supported() -> Result<(), LoopError> {
    let btf = Btf::from_vmlinux().map_err(|e| LoopError::NoBtf(e.to_string()))?;
    if btf.type_by_name::<Struct<'_>>(OPS_TYPE).is_some() {
        Ok(())
    } else {
        Err(LoopError::Unsupported {
            kernel: kernel_version(),
        })
    }
}

/// The running kernel's major.minor ("6.18"), or its full release when odd.
fn kernel_version() -> String {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    let mut parts = release.split(['.', '-', '+']);
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => release.to_string(),
    }
}

impl EventLoop {
    /// Loads the program for `spec` and registers it on `spec.ring_fd`.
    pub fn load(spec: &LoopSpec) -> Result<EventLoop, LoopError> {
        supported()?;
        let groups = spec.groups.end - spec.groups.start;
        if groups > MAX_GROUPS {
            return Err(LoopError::TooManyGroups(groups));
        }
        if !spec.sq_entries.is_power_of_two() || !spec.cq_entries.is_power_of_two() {
            return Err(LoopError::RingSize {
                sq: spec.sq_entries,
                cq: spec.cq_entries,
            });
        }
        let cfg = LoopConfig {
            sq_entries: spec.sq_entries,
            cq_entries: spec.cq_entries,
            group_base: spec.groups.start,
            groups,
            steps: spec.steps,
        };
        let libbpf = |what| move |source| LoopError::Libbpf { what, source };
        let mut open = ObjectBuilder::default()
            .open_memory(LOOP_OBJECT)
            .map_err(libbpf("open"))?;
        let mut configured = false;
        let mut ring_set = false;
        for mut map in open.maps_mut() {
            let name = map.name().to_string_lossy().into_owned();
            if name.ends_with(".rodata") {
                let value = map
                    .initial_value_mut()
                    .ok_or(LoopError::Object(".rodata"))?;
                let bytes = config_bytes(&cfg);
                if value.len() < bytes.len() {
                    return Err(LoopError::Object("cfg of the expected size"));
                }
                value[..bytes.len()].copy_from_slice(&bytes);
                configured = true;
            } else if name == OPS_MAP {
                let value = map.initial_value_mut().ok_or(LoopError::Object(OPS_MAP))?;
                value
                    .get_mut(RING_FD_OFFSET..RING_FD_OFFSET + 4)
                    .ok_or(LoopError::Object("ring_fd in loop_ops"))?
                    .copy_from_slice(&spec.ring_fd.to_ne_bytes());
                ring_set = true;
            }
        }
        if !configured {
            return Err(LoopError::Object(".rodata"));
        }
        if !ring_set {
            return Err(LoopError::Object(OPS_MAP));
        }
        let mut object = open.load().map_err(libbpf("load"))?;
        let link = object
            .maps_mut()
            .find(|m| m.name() == OPS_MAP)
            .ok_or(LoopError::Object(OPS_MAP))?
            .attach_struct_ops()
            .map_err(libbpf("attach"))?;
        Ok(EventLoop {
            _link: link,
            _object: object,
        })
    }
}

/// `cfg`'s bytes as loop.bpf.c lays them out (five native-endian u32s).
fn config_bytes(cfg: &LoopConfig) -> Vec<u8> {
    [
        cfg.sq_entries,
        cfg.cq_entries,
        cfg.group_base,
        cfg.groups,
        cfg.steps,
    ]
    .iter()
    .flat_map(|v| v.to_ne_bytes())
    .collect()
}
