//! The profile probes against the real kernel: real rings, real BPF attach,
//! real counters. One binary so one lock serialises everything that loads
//! probes or drives rings: the probes count the whole process, and the
//! loaded-program checks look at the whole kernel.

mod common;
mod counts;
mod isolation;
mod lifecycle;
mod privilege;
mod sched;
