//! The workloads crate owns everything that touches io_uring while a cell runs:
//! ring set-up per mode, the ops a step performs, the ordering styles, the
//! order verifier, the capability probe, CPU-time accounting, perf counters and
//! the physical anchors, and the stopping rule every repeated measurement
//! ends by (`sampling`: the anchors' and the sweep's families'). It knows the
//! results vocabulary (`results_schema`: the counter and anchor values, the
//! reason code of every failure and skip, why sampling stopped) but must not
//! know about configs, files on disk or reports: it takes a fully described
//! cell and returns what happened, and the statistics it judges by come from
//! its caller.

#![warn(missing_docs)]

pub mod anchors;
pub mod cancel;
pub mod cell;
pub mod counters;
pub mod cputime;
pub mod durable;
#[cfg(feature = "fault-injection")]
pub mod fault_injection;
pub mod lane;
pub mod mode;
pub mod op;
pub mod placement;
pub mod probe;
pub mod reference;
pub mod ring;
pub mod sampling;
pub mod settle;
pub mod style;
pub mod sys;
pub mod threads;
pub mod userdata;
pub mod verify;
