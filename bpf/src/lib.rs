//! BPF programs of uring-syncbench and their loaders.
//!
//! This crate owns the BPF programs written in C (`bpf/*.bpf.c`), their
//! compiled objects (committed, embedded here with `include_bytes!`, so a
//! machine without clang builds and runs them; `scripts/build-bpf` rebuilds
//! them and `scripts/build-bpf --check` proves them fresh) and the Rust code
//! that loads, attaches, reads and detaches them: the profile pass's probes
//! ([`Probes`]), tp_btf programs counting one process's io_uring events and
//! scheduler activity per cell, loaded with aya; and the `bpf-loop` style's
//! event loop ([`EventLoop`]), an io_uring struct_ops program registered on one
//! ring, loaded with libbpf (libbpf-rs) because aya cannot load struct_ops.
//! It must not drive rings, decide what a cell is, or turn counts into
//! per-operation figures: the workloads and the runner do that. It must never
//! leave a program attached after the cell that asked for it, nor loaded after
//! its owner is dropped, and a machine that cannot run BPF is a skip with a
//! one-line reason, never a panic or a silent zero.

#![warn(missing_docs)]

mod event_loop;
mod privilege;
mod profile;

pub use event_loop::{
    supported as event_loop_supported, EventLoop, LoopError, LoopSpec,
    MAX_GROUPS as MAX_LOOP_GROUPS,
};
pub use profile::{Attached, ProbeCounts, ProbeError, Probes};
