//! The reports crate owns the results format (`results.jsonl`: its schema,
//! writing and reading) and everything rendered from it: statistics, plots,
//! report.md/html, email.txt, bench.json and the baseline/candidate comparison.
//! It must never run a workload or touch io_uring: every output is re-renderable
//! from results files alone, on any machine.

pub mod results;
pub mod schema;
