//! What the results say: the report model (one summary per cell), the
//! statistics (`stats`, and `paired`: a ratio within one run taken block by
//! block), the judgement of a change (one rule for `compare`, the kernel
//! axis and the findings), the harness's fidelity (its overhead held to
//! limits), the kernel axis itself, a study's findings, the one verdict
//! rule of every "which is cheapest" answer (`verdict`, which `advise`'s
//! ranking applies), the failures by cause and the machine's load while the
//! run measured. Everything here is computed from results files and
//! is plain data; nothing here imports [`mod@crate::render`] (checked by the
//! `layout` test), so a rendering can change without touching a number.

pub mod advice;
pub mod bare_metal;
pub mod causes;
pub mod cost_sources;
pub mod fidelity;
pub mod findings;
pub mod judgement;
pub mod kernels;
pub mod load;
pub mod model;
pub mod paired;
pub mod presence;
pub mod stats;
pub mod verdict;
