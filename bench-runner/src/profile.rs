//! The profile pass: after a cell's timing pass, the same cell again with perf
//! counters (inherited into every thread the cell creates, io_uring's kernel
//! threads included) and the BPF probes attached, reported per step together
//! with the pass's own overhead against the timing pass. What the machine
//! cannot observe is recorded with its reason, never as zero.

use reports::schema::{CounterValue, Profile};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, CellSpec};
use workloads::counters::CounterSet;

/// The BPF probes, loaded once per sweep (or why they cannot be).
pub struct Observers {
    probes: Result<bpf::Probes, String>,
}

impl Observers {
    /// Loads the probes; a machine without BPF gets its reason recorded on every profile line.
    pub fn load() -> Observers {
        Observers {
            probes: bpf::Probes::load().map_err(|e| e.to_string()),
        }
    }

    /// Runs `iterations` passes of `spec` observed; `timing_ns_per_step` is the
    /// timing pass's median, to report the observers' overhead.
    pub fn profile(
        &mut self,
        spec: &CellSpec,
        iterations: u64,
        timing_ns_per_step: Option<f64>,
        watchdog: Duration,
        interrupt: &AtomicBool,
    ) -> Result<Profile, CellError> {
        // Counters are opened before the cell's threads and rings exist, so that
        // every thread the cell creates inherits them.
        let mut counters = CounterSet::open().map_err(|e| e.to_string());
        let mut run = CellRun::start(spec, Cancel::new())?;
        run.run(1, watchdog, interrupt)?;
        if let Ok(c) = &mut counters {
            c.reset()
                .and_then(|_| c.enable())
                .map_err(|e| CellError::Setup(format!("perf counters: {e}")))?;
        }
        let pid = std::process::id();
        let attached = match &mut self.probes {
            Ok(p) => p.attach(pid).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        };
        let measured = run.run(iterations, watchdog, interrupt);
        let probe_counts = attached.and_then(|a| a.finish().map_err(|e| e.to_string()));
        let readings = counters.and_then(|mut c| {
            c.disable()
                .and_then(|_| c.read())
                .map_err(|e| e.to_string())
        });
        let m = measured?;
        let steps = m.steps.max(1) as f64;
        let mut profile = Profile {
            steps: m.steps,
            overhead_ratio: timing_ns_per_step.map(|t| m.wall_ns as f64 / steps / t),
            enter_budget_per_step: (spec.shape.submitters == 1).then(|| {
                f64::from(spec.style.enter_budget(spec)) / f64::from(spec.shape.steps_per_pass())
            }),
            ..Profile::default()
        };
        match readings {
            Ok(readings) => {
                profile.counters = readings
                    .into_iter()
                    .map(|r| CounterValue {
                        per_step: r.value.map(|v| v / steps),
                        name: r.name,
                        value: r.value,
                        running_fraction: r.running_fraction,
                        unsupported: r.unsupported,
                    })
                    .collect()
            }
            Err(reason) => profile.counters_skipped = Some(reason),
        }
        match probe_counts {
            Ok(counts) => {
                profile.probes_per_step = counts
                    .entries()
                    .into_iter()
                    .filter_map(|(name, v)| v.map(|v| (name.to_string(), v as f64 / steps)))
                    .collect()
            }
            Err(reason) => profile.probes_skipped = Some(reason),
        }
        Ok(profile)
    }
}
