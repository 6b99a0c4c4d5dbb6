//! The profile pass: after a cell's timing pass, the same cell again with perf
//! counters (inherited into every thread the cell creates, io_uring's kernel
//! threads included) and the BPF probes attached, reported per step together
//! with the pass's own overhead against the timing pass. What the machine
//! cannot observe is recorded with its reason and its code, never as zero; a
//! probe or counter that broke is recorded the same way under a failure code
//! (`probes_failed`, `counters_failed`), so that it never reads as missing
//! support. Given `--perf-control`, an outside perf's events are turned on and
//! off around the same window as the pass's own counters (`perf_control`).

use crate::perf_control::{PerfControl, PerfControlError};
use bpf::ProbeError;
use reports::schema::Profile;
use reports::schema::ReasonCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, CellSpec};
use workloads::counters::{CounterError, CounterSet};
use workloads::settle;

/// The BPF probes, loaded once per sweep (or why they cannot be), and the
/// outside perf to turn on with the counters, if any.
pub struct Observers {
    probes: Result<bpf::Probes, Unobserved>,
    perf: Option<PerfControl>,
}

/// Why a profile pass gave no line.
#[derive(thiserror::Error, Debug)]
pub enum ProfileError {
    /// The cell failed: its profile line says so.
    #[error(transparent)]
    Cell(#[from] CellError),
    /// The outside perf stopped answering: the sweep stops there, every line
    /// written so far kept.
    #[error(transparent)]
    PerfControl(PerfControlError),
}

impl From<PerfControlError> for ProfileError {
    /// A wait for perf that Ctrl-C or SIGTERM ended is the pass interrupted,
    /// recorded as such; any other failure of perf's stops the sweep.
    fn from(e: PerfControlError) -> ProfileError {
        match e {
            PerfControlError::Interrupted { .. } => ProfileError::Cell(CellError::Interrupted),
            e => ProfileError::PerfControl(e),
        }
    }
}

/// Why an observer recorded nothing: its code and its one-line text.
#[derive(Clone)]
struct Unobserved {
    code: ReasonCode,
    text: String,
}

impl From<ProbeError> for Unobserved {
    fn from(e: ProbeError) -> Unobserved {
        Unobserved {
            code: e.code(),
            text: e.to_string(),
        }
    }
}

impl From<CounterError> for Unobserved {
    fn from(e: CounterError) -> Unobserved {
        Unobserved {
            code: e.code(),
            text: e.to_string(),
        }
    }
}

impl Observers {
    /// Loads the probes; a machine without BPF gets its reason recorded on
    /// every profile line. `perf` is turned on and off with the counters.
    pub fn load(perf: Option<PerfControl>) -> Observers {
        Observers {
            probes: bpf::Probes::load().map_err(Unobserved::from),
            perf,
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
    ) -> Result<Profile, ProfileError> {
        // Counters are opened before the cell's threads and rings exist, so that
        // every thread the cell creates inherits them.
        settle::await_pollers_exit(settle::poller_limit());
        let mut counters = CounterSet::open().map_err(Unobserved::from);
        let mut run = CellRun::start(spec, Cancel::new())?;
        run.run(1, watchdog, interrupt)?;
        if let Ok(c) = &mut counters {
            c.reset()
                .map_err(|e| CellError::Setup(format!("perf counters: {e}")))?;
        }
        // The outside perf's window opens right before the counters' and
        // closes right after it, so that it holds the whole of it.
        if let Some(perf) = &mut self.perf {
            perf.enable(interrupt)?;
        }
        if let Err(e) = counters.as_mut().map_or(Ok(()), CounterSet::enable) {
            if let Some(perf) = &mut self.perf {
                perf.disable(interrupt)?;
            }
            return Err(CellError::Setup(format!("perf counters: {e}")).into());
        }
        let pid = std::process::id();
        let attached = match &mut self.probes {
            Ok(p) => p.attach(pid).map_err(Unobserved::from),
            Err(reason) => Err(reason.clone()),
        };
        let measured = run.run(iterations, watchdog, interrupt);
        let probe_counts = attached.and_then(|a| a.finish().map_err(Unobserved::from));
        let steps_run = measured.as_ref().map_or(0, |m| m.steps);
        let disabled = counters.and_then(|mut c| c.disable().map(|()| c).map_err(Unobserved::from));
        if let Some(perf) = &mut self.perf {
            perf.disable(interrupt)?;
        }
        let readings = disabled.and_then(|mut c| c.read(steps_run).map_err(Unobserved::from));
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
            Ok(readings) => profile.counters = readings,
            Err(why) => {
                profile.counters_skipped = Some(why.text);
                profile.counters_skipped_code = Some(why.code);
            }
        }
        match probe_counts {
            Ok(counts) => {
                profile.probes_per_step = counts
                    .entries()
                    .into_iter()
                    .filter_map(|(name, v)| v.map(|v| (name.to_string(), v as f64 / steps)))
                    .collect()
            }
            Err(why) => {
                profile.probes_skipped = Some(why.text);
                profile.probes_skipped_code = Some(why.code);
            }
        }
        Ok(profile)
    }
}
