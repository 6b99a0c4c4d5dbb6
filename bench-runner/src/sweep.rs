//! The sweep: plan the cells, gate each on the probe, and run them family by
//! family (`family.rs`: the cells one comparison sets side by side, with
//! their raw reference loops) in blocks of one repetition each, in a random
//! order, until the stopping rule says the family's ratios are precise
//! enough; then each cell's profile pass. Every outcome is appended to
//! results.jsonl the moment it is known. An interrupted sweep keeps everything measured and resumes from the
//! file; a cell that breaks the order is recorded as failed, never as a timing.

use crate::config::{Config, ConfigError};
use crate::family::{block_order, families};
use crate::filter::{Filter, NoMatch};
use crate::header;
use crate::load;
use crate::out_dir::{self, OutDirError};
use crate::perf_control::{PerfControl, PerfControlError, PerfFifos};
use crate::plan::{plan, plan_noting, PlannedCell};
use crate::profile::{Observers, ProfileError};
use crate::progress::{Outcome, Progress};
use crate::resume;
use crate::source::ConfigSource;
use crate::stopping::{self, Member};
use itertools::Itertools;
use reports::analysis::load as machine_load;
use reports::analysis::paired::{median_ratio, Blocked};
use reports::analysis::stats::{coefficient_of_variation, median};
use reports::results::{Results, ResultsError, ResultsWriter};
use reports::schema::{
    CellRecord, Pass, ReasonCode, Record, ReferenceSummary, ReferenceTiming, RunInfo, Status,
    StopReason, Stopping, Timing, ViolationRecord,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, Measurement};
use workloads::probe::Capabilities;
use workloads::reference::{self, ReferenceMeasurement};
use workloads::settle;

/// What `bench-runner sweep` was asked to do.
pub struct SweepArgs {
    /// The config: a file, or the built-in default sweep.
    pub config: ConfigSource,
    /// The output directory.
    pub out: PathBuf,
    /// Continue the results file in `out`.
    pub resume: bool,
    /// Only cells whose name matches.
    pub filter: Option<String>,
    /// The fifos of a perf to turn on around each profile pass's counters.
    pub perf_control: Option<PerfFifos>,
    /// `--out-owner-ok`: use `out` even when another user could have
    /// prepared it (see `out_dir`).
    pub out_owner_ok: bool,
}

/// Why a sweep could not run or go on.
#[derive(thiserror::Error, Debug)]
pub enum SweepError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The results file could not be read or written.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The output directory is refused (see `out_dir`).
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    /// Another sweep holds the output directory.
    #[error("{0}: another sweep is writing to this directory")]
    Locked(PathBuf),
    /// A results file is there and `--resume` was not given.
    #[error("{0} already exists: pass --resume to continue it, or choose another --out")]
    Exists(PathBuf),
    /// `--resume` with a different config.
    #[error("{path}: written with config hash {found}, but {config} hashes to {expected}; resume needs the same config")]
    HashMismatch {
        /// The results file.
        path: PathBuf,
        /// The config file.
        config: String,
        /// Hash in the results header.
        found: String,
        /// Hash of the config now.
        expected: String,
    },
    /// `--perf-control` could not reach perf, or perf stopped answering.
    #[error(transparent)]
    PerfControl(#[from] PerfControlError),
    /// `--perf-control` with a config whose profile pass is off: perf would
    /// never be turned on.
    #[error("--perf-control turns perf on around the profile pass, which this config disables (profile = false)")]
    PerfControlWithoutProfile,
    /// The host-side command handed in by `scripts/kernel-matrix` does not
    /// parse as a shell command line.
    #[error("URING_SYNCBENCH_REPRODUCE is not a shell command line: {0}")]
    Reproduce(String),
    /// `--filter` names no cell of the config.
    #[error(transparent)]
    NoMatch(#[from] NoMatch),
    /// The output directory could not be prepared.
    #[error("{path}: {source}")]
    Io {
        /// What failed.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How a sweep ended.
pub struct SweepOutcome {
    /// The results file.
    pub results: PathBuf,
    /// Whether it stopped on Ctrl-C/SIGTERM before finishing.
    pub interrupted: bool,
    /// Records written by this invocation.
    pub written: usize,
    /// The output directory's lock, held until the caller has rendered the
    /// reports, so that another sweep cannot write there meanwhile.
    pub lock: File,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the results file already holds for each cell (for `--resume`).
#[derive(Default)]
struct Done {
    /// Repetition index and ns/step of every ok timing line, in file order.
    ok: Vec<(u32, f64)>,
    /// wall_ns summed over those lines: the time their budget counts.
    spent_ns: u64,
    /// Repetition index, plain and checked ns/step of every ok reference
    /// line, in file order.
    reference: Vec<(u32, f64, f64)>,
    /// A reference line failed: the cell's reference is not run again.
    reference_failed: bool,
    finished: bool,
    profiled: bool,
}

impl Done {
    /// Whether nothing of the cell is left to run: it failed or was skipped,
    /// or its profile line is there and none of its timing lines went missing
    /// (repetitions run in order, so a complete cell holds 0..n, n at least
    /// the minimum; a gap is a line lost to corruption, run again).
    fn complete(&self, min_repetitions: u32) -> bool {
        let reps: BTreeSet<u32> = self.ok.iter().map(|&(rep, _)| rep).collect();
        let in_order = reps.iter().zip(0..).all(|(&rep, i)| rep == i);
        self.finished || (self.profiled && in_order && reps.len() as u32 >= min_repetitions)
    }
}

/// The raw reference loop beside a cell (see `workloads::reference`).
struct Reference {
    /// Passes of each variant per repetition, found by its first warm-up in this run.
    iterations: Option<u64>,
    /// Plain ns/step of every repetition by block, earlier runs' first.
    plain: Vec<Blocked>,
    /// Checked ns/step of the same repetitions, in the same order.
    checked: Vec<f64>,
}

impl Reference {
    /// The loop as `done` recorded it.
    fn resumed(done: &Done) -> Reference {
        Reference {
            iterations: None,
            plain: done.reference.iter().map(|&(b, p, _)| (b, p)).collect(),
            checked: done.reference.iter().map(|&(_, _, c)| c).collect(),
        }
    }

    /// Whether repetition (block) `rep` of it is recorded.
    fn has(&self, rep: u32) -> bool {
        self.plain.iter().any(|&(b, _)| b == rep)
    }

    /// Its medians and the harness's overhead over them, given the cell's
    /// repetitions by block: the median of the per-block ratios where
    /// enough blocks pair up, else the ratio of the medians; `None` before
    /// any repetition.
    fn summary(&self, cell: &[Blocked]) -> Option<ReferenceSummary> {
        let plain: Vec<f64> = self.plain.iter().map(|&(_, v)| v).collect();
        if plain.is_empty() || cell.is_empty() {
            return None;
        }
        let ns_per_step = median(&plain);
        let cell_values: Vec<f64> = cell.iter().map(|&(_, v)| v).collect();
        let overhead =
            median_ratio(cell, &self.plain).unwrap_or_else(|| median(&cell_values) / ns_per_step);
        let added: Vec<f64> = self
            .checked
            .iter()
            .zip(&plain)
            .map(|(c, p)| c - p)
            .collect();
        Some(ReferenceSummary {
            repetitions: plain.len() as u32,
            ns_per_step,
            checked_ns_per_step: median(&self.checked),
            order_check_ns_per_step: median(&added),
            harness_overhead: overhead,
            cv: coefficient_of_variation(&plain),
        })
    }
}

/// A cell being measured in the blocks of its family.
struct Active<'c> {
    cell: &'c PlannedCell,
    /// Repetitions recorded ok, earlier runs included.
    reps: BTreeSet<u32>,
    /// Passes per repetition, found by the first warm-up of this run.
    iterations: Option<u64>,
    /// ns/step of every ok repetition by block (its repetition index),
    /// earlier runs' first (results-file order).
    samples: Vec<Blocked>,
    /// wall_ns of those repetitions, summed: what `time_budget` is counted in.
    spent_ns: u64,
    /// Why its repetitions stopped, once they did.
    stopped: Option<StopReason>,
    /// Its raw reference loop; `None` when it has none, the config turned it
    /// off, or it failed.
    reference: Option<Reference>,
    /// Its profile line is already recorded (a resume re-runs only lost repetitions).
    profiled: bool,
    /// Failed or interrupted: no more visits.
    ended: bool,
}

impl<'c> Active<'c> {
    /// The cell as `done` leaves it: its recorded repetitions are not run
    /// again, their samples and time count towards its stopping rule, and
    /// its reference loop goes on (when `has_reference`) unless a reference
    /// line of it failed.
    fn resumed(cell: &'c PlannedCell, done: &Done, has_reference: bool) -> Active<'c> {
        Active {
            cell,
            reps: done.ok.iter().map(|&(rep, _)| rep).collect(),
            iterations: None,
            samples: done.ok.clone(),
            spent_ns: done.spent_ns,
            stopped: None,
            reference: (has_reference && !done.reference_failed).then(|| Reference::resumed(done)),
            profiled: done.profiled,
            ended: false,
        }
    }

    /// Whether its family's blocks still include it.
    fn running(&self) -> bool {
        !self.ended && self.stopped.is_none()
    }

    /// ns/step of its repetitions, without their blocks.
    fn values(&self) -> Vec<f64> {
        self.samples.iter().map(|&(_, v)| v).collect()
    }

    /// What the stopping rule reads of it.
    fn member(&self) -> Member<'_> {
        Member {
            key: &self.cell.key,
            name: &self.cell.name,
            samples: &self.samples,
            reference: self.reference.as_ref().map(|r| r.plain.as_slice()),
            ranked: self.cell.oversubscribed.is_none(),
        }
    }
}

/// What one visit of a cell came to.
enum Visit {
    /// A repetition was recorded (ns/step).
    Measured(f64),
    /// The cell failed (reason recorded); it is not visited again.
    Ended(String),
    /// Ctrl-C or SIGTERM: the sweep stops.
    Interrupted,
}

/// A line of `cell` with what every line of it carries and nothing measured
/// yet: the pass fills in its outcome.
pub(crate) fn line_of(cell: &PlannedCell, pass: Pass, rep: u32, status: Status) -> CellRecord {
    CellRecord {
        name: cell.name.clone(),
        cell: cell.key.clone(),
        pass,
        rep,
        block: None,
        status,
        reason: None,
        reason_code: None,
        violation: None,
        timing: None,
        passes: None,
        profile: None,
        reference_timing: None,
        stopping: None,
        reference: None,
        labels: cell.labels.clone(),
        placement: Some(cell.placement.clone()),
        oversubscribed: cell.oversubscribed,
        finished_unix: now_unix(),
    }
}

/// What each cell's lines in `results` say is done (interrupted lines say
/// nothing: that repetition runs again).
fn done_by_cell(results: &Results) -> BTreeMap<String, Done> {
    let mut done: BTreeMap<String, Done> = BTreeMap::new();
    for r in &results.records {
        let d = done.entry(r.name.clone()).or_default();
        match (r.pass, r.status, &r.timing, &r.reference_timing) {
            (_, Status::Interrupted, _, _) => {}
            (Pass::Timing, Status::Ok, Some(t), _) => {
                d.ok.push((r.rep, t.ns_per_step));
                d.spent_ns += t.wall_ns;
            }
            (Pass::Reference, Status::Ok, _, Some(t)) => {
                d.reference
                    .push((r.rep, t.ns_per_step, t.checked_ns_per_step))
            }
            (Pass::Reference, _, _, _) => d.reference_failed = true,
            (Pass::Profile, _, _, _) => d.profiled = true,
            (Pass::Timing, _, _, _) => d.finished = true,
        }
    }
    done
}

/// Runs passes for the warm-up time, in batches that double, and returns how
/// many passes make one repetition of about `rep_time`; `run(n)` runs n
/// passes and returns the wall ns its timed window measured (a raw loop also
/// runs its checked passes outside that window: a repetition of it then
/// times as long as the cell's). The estimate comes from the last batch
/// alone, so that the first, cold passes (a new SQPOLL thread's first
/// wake-up can take a scheduler tick) do not shrink a repetition to a pass
/// or two.
fn calibrate(
    config: &Config,
    mut run: impl FnMut(u64) -> Result<u64, CellError>,
) -> Result<u64, CellError> {
    let start = Instant::now();
    let mut batch = 1u64;
    let per_pass = loop {
        let timed_ns = run(batch)?;
        if batch > 1 && start.elapsed() >= config.warmup {
            break timed_ns.max(1) as f64 / 1e9 / batch as f64;
        }
        batch = (batch * 2).min(1 << 16);
    };
    Ok(((config.rep_time.as_secs_f64() / per_pass).ceil() as u64).clamp(1, 1 << 24))
}

/// A fresh set-up runs 1/`REWARM_DIVISOR` of a repetition untimed before
/// it (see [`rewarm`]); `plan`'s estimate counts the same.
pub const REWARM_DIVISOR: u64 = 2;

/// The passes a fresh set-up runs untimed before a repetition of `n`
/// passes: half a repetition, the same for a cell and its raw loop. A
/// repetition lasts milliseconds, and a new ring's first passes (cold
/// caches, a new SQPOLL thread's first wake-up) must not fall inside it.
fn rewarm(n: u64) -> u64 {
    (n / REWARM_DIVISOR).max(1)
}

struct Sweeper<'a> {
    config: &'a Config,
    writer: ResultsWriter,
    interrupt: &'a AtomicBool,
    observers: Option<Observers>,
    written: usize,
    /// Families whose load was warned of.
    loaded: BTreeSet<String>,
}

impl Sweeper<'_> {
    fn write(
        &mut self,
        cell: &PlannedCell,
        pass: Pass,
        rep: u32,
        status: Status,
        fill: impl FnOnce(&mut CellRecord),
    ) -> Result<(), SweepError> {
        let mut record = line_of(cell, pass, rep, status);
        fill(&mut record);
        self.writer.append(&Record::Cell(Box::new(record)))?;
        self.written += 1;
        Ok(())
    }

    fn write_error(
        &mut self,
        cell: &PlannedCell,
        pass: Pass,
        rep: u32,
        error: &CellError,
        passes: Option<u64>,
    ) -> Result<String, SweepError> {
        let status = match error {
            CellError::Interrupted => Status::Interrupted,
            _ => Status::Failed,
        };
        let violation = match error {
            CellError::Violation(v) => Some(ViolationRecord {
                group: v.group,
                expected: v.expected,
                got: v.got,
                source: v.source.name().into(),
            }),
            _ => None,
        };
        let reason = error.to_string();
        self.write(cell, pass, rep, status, |r| {
            r.reason = Some(reason.clone());
            r.reason_code = Some(error.code());
            r.violation = violation;
            r.passes = passes.filter(|_| status == Status::Failed);
        })?;
        Ok(reason)
    }

    /// Whether Ctrl-C or SIGTERM asked the sweep to stop.
    fn interrupted(&self) -> bool {
        self.interrupt.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The cells still to measure: complete ones are counted done, and those
    /// the machine cannot run are recorded as skipped with the reason.
    fn admit<'c>(
        &mut self,
        cells: &'c [PlannedCell],
        done: &BTreeMap<String, Done>,
        caps: &Capabilities,
        progress: &mut Progress,
    ) -> Result<Vec<Active<'c>>, SweepError> {
        let empty = Done::default();
        let mut active = Vec::new();
        for cell in cells {
            let done = done.get(&cell.name).unwrap_or(&empty);
            if done.complete(self.config.min_repetitions) {
                progress.cell_done(&cell.name, Outcome::Ok("(already measured)".into()));
                continue;
            }
            if let Err(unmet) = cell.check(caps) {
                self.write(cell, Pass::Timing, 0, Status::Skipped, |r| {
                    r.reason = Some(unmet.reason.clone());
                    r.reason_code = Some(unmet.code);
                })?;
                progress.cell_done(&cell.name, Outcome::Skipped(unmet.reason));
                continue;
            }
            active.push(Active::resumed(cell, done, cell.has_reference(self.config)));
        }
        Ok(active)
    }

    /// Runs every family to its end, one after another: its blocks, then
    /// each of its cells' final lines. Returns whether the sweep was interrupted.
    fn families(
        &mut self,
        active: &mut [Active<'_>],
        progress: &mut Progress,
    ) -> Result<bool, SweepError> {
        for (family, members) in families(active.iter().map(|a| &a.cell.key)) {
            if self.blocks(&family, active, &members, progress)?
                || self.finish_all(active, &members, progress)?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Runs the blocks of the family named `family` (its cells `members` of
    /// `active`) until the stopping rule stops it: in block `b`, repetition
    /// `b` of every running member and of its raw loop, in the block's own
    /// random order, skipping what an earlier run recorded. Returns whether
    /// the sweep was interrupted.
    fn blocks(
        &mut self,
        family: &str,
        active: &mut [Active<'_>],
        members: &[usize],
        progress: &mut Progress,
    ) -> Result<bool, SweepError> {
        let rule = stopping::rule(self.config);
        let max = self.config.repetitions;
        for block in 0..max {
            let running: Vec<(usize, bool)> = members
                .iter()
                .filter(|&&i| active[i].running())
                .map(|&i| (i, active[i].reference.is_some()))
                .collect();
            if running.is_empty() {
                break;
            }
            let started = load::BlockStart::now();
            for unit in block_order(family, block, &running) {
                if self.interrupted() {
                    return Ok(true);
                }
                let a = &mut active[unit.member];
                if !a.running() {
                    continue;
                }
                let visit = if unit.reference {
                    self.visit_reference(a, block)?
                } else {
                    self.visit_cell(a, block, progress)?
                };
                if let Some(Visit::Interrupted) = visit {
                    progress.println(&format!("{}: interrupted", a.cell.name));
                    return Ok(true);
                }
            }
            self.record_load(started, family, block, progress)?;
            self.writer.sync()?;
            let still: Vec<&Active<'_>> = members
                .iter()
                .map(|&i| &active[i])
                .filter(|a| a.running())
                .collect();
            let spent = Duration::from_nanos(still.iter().map(|a| a.spent_ns).sum());
            let view: Vec<Member<'_>> = still.iter().map(|a| a.member()).collect();
            if let Some(reason) = stopping::decide(&rule, &view, block + 1, spent) {
                for &i in members {
                    let a = &mut active[i];
                    if a.running() {
                        a.stopped = Some(reason);
                        let outcome = Outcome::Ok(format!("stopped on {}", reason.word()));
                        progress.note(&a.cell.name, outcome);
                    }
                }
                break;
            }
        }
        Ok(false)
    }

    /// Writes the machine's load over block `block` of `family`, warning
    /// when it was high (once per family: its later blocks are in the line).
    fn record_load(
        &mut self,
        started: load::BlockStart,
        family: &str,
        block: u32,
        progress: &mut Progress,
    ) -> Result<(), SweepError> {
        let Some(line) = started.finish(family, block) else {
            return Ok(());
        };
        let first_high = !self.loaded.contains(family) && machine_load::high(&line);
        if let Some(warning) = machine_load::block_warning(&line).filter(|_| first_high) {
            self.loaded.insert(family.to_string());
            progress.println(&warning);
        }
        self.writer.append(&Record::Load(Box::new(line)))?;
        Ok(())
    }

    /// Repetition `rep` of a cell, unless an earlier run recorded it, with
    /// its progress; `Some` when the sweep was interrupted.
    fn visit_cell(
        &mut self,
        a: &mut Active<'_>,
        rep: u32,
        progress: &mut Progress,
    ) -> Result<Option<Visit>, SweepError> {
        if a.reps.contains(&rep) {
            progress.note(&a.cell.name, Outcome::Ok(String::new()));
            return Ok(None);
        }
        progress.start_cell(&a.cell.name);
        match self.visit(a, rep)? {
            Visit::Measured(ns) => {
                progress.note(&a.cell.name, Outcome::Ok(format!("{ns:.0} ns/step")));
                Ok(None)
            }
            Visit::Ended(reason) => {
                progress.cell_done(&a.cell.name, Outcome::Failed(reason));
                Ok(None)
            }
            Visit::Interrupted => Ok(Some(Visit::Interrupted)),
        }
    }

    /// The final line of every cell of `members` whose repetitions stopped;
    /// returns whether the sweep was interrupted.
    fn finish_all(
        &mut self,
        active: &mut [Active<'_>],
        members: &[usize],
        progress: &mut Progress,
    ) -> Result<bool, SweepError> {
        for &i in members {
            let a = &mut active[i];
            let Some(reason) = a.stopped.filter(|_| !a.ended) else {
                continue;
            };
            if self.interrupted() {
                return Ok(true);
            }
            progress.start_cell(&a.cell.name);
            let outcome = self.finish(a, reason)?;
            progress.cell_done(&a.cell.name, outcome);
        }
        // A signal during the last cell's profile pass interrupted it too.
        Ok(self.interrupted())
    }

    /// Runs repetition `rep` of a cell (block `rep` of its family) on a fresh
    /// set-up: warmed up (the first visit also finds how many passes make a
    /// repetition), timed, recorded.
    fn visit(&mut self, a: &mut Active<'_>, rep: u32) -> Result<Visit, SweepError> {
        settle::await_pollers_exit(settle::poller_limit());
        let mut run = match CellRun::start(&a.cell.spec, Cancel::new()) {
            Ok(run) => run,
            Err(e) => return self.visit_failed(a, rep, &e, None),
        };
        let warmed = match a.iterations {
            Some(n) => run
                .run(rewarm(n), self.config.watchdog, self.interrupt)
                .map(|_| n),
            None => self.warm_up(&mut run),
        };
        let iterations = match warmed {
            Ok(n) => n,
            Err(e) => return self.visit_failed(a, rep, &e, Some(run.checked())),
        };
        a.iterations = Some(iterations);
        let measured = run.run(iterations, self.config.watchdog, self.interrupt);
        let checked = run.checked();
        drop(run);
        let m = match measured {
            Ok(m) => m,
            Err(e) => return self.visit_failed(a, rep, &e, Some(checked)),
        };
        let timing = timing(&m);
        let ns = timing.ns_per_step;
        a.samples.push((rep, ns));
        a.spent_ns += m.wall_ns;
        a.reps.insert(rep);
        self.write(a.cell, Pass::Timing, rep, Status::Ok, |r| {
            r.timing = Some(timing);
            r.block = Some(rep);
            r.passes = Some(checked);
        })?;
        Ok(Visit::Measured(ns))
    }

    /// The raw reference loop's repetition `rep` (block `rep` of the cell's
    /// family), unless an earlier run recorded it: a fresh set-up on a
    /// thread pinned where the cell's submitter runs, warmed up like the
    /// cell, for the same `rep_time`. A reference that fails is recorded and
    /// not run again; the cell goes on. `Some` only when the sweep was
    /// interrupted.
    fn visit_reference(
        &mut self,
        a: &mut Active<'_>,
        rep: u32,
    ) -> Result<Option<Visit>, SweepError> {
        let Some(reference) = a.reference.as_mut().filter(|r| !r.has(rep)) else {
            return Ok(None);
        };
        let (config, interrupt, iterations) = (self.config, self.interrupt, reference.iterations);
        settle::await_pollers_exit(settle::poller_limit());
        let measured = reference::run_placed(&a.cell.spec, |run| {
            let n = match iterations {
                Some(n) => run.measure(rewarm(n), interrupt).map(|_| n)?,
                None => calibrate(config, |k| run.measure(k, interrupt).map(|m| m.wall_ns))?,
            };
            run.measure(n, interrupt).map(|m| (n, m))
        });
        match measured {
            Ok((n, m)) => {
                reference.iterations = Some(n);
                let t = reference_timing(&m);
                reference.plain.push((rep, t.ns_per_step));
                reference.checked.push(t.checked_ns_per_step);
                self.write(a.cell, Pass::Reference, rep, Status::Ok, |r| {
                    r.reference_timing = Some(t);
                    r.block = Some(rep);
                })?;
                Ok(None)
            }
            Err(e) => {
                a.reference = None;
                self.write_error(a.cell, Pass::Reference, rep, &e, None)?;
                Ok(matches!(e, CellError::Interrupted).then_some(Visit::Interrupted))
            }
        }
    }

    fn visit_failed(
        &mut self,
        a: &mut Active<'_>,
        rep: u32,
        e: &CellError,
        passes: Option<u64>,
    ) -> Result<Visit, SweepError> {
        a.ended = true;
        let reason = self.write_error(a.cell, Pass::Timing, rep, e, passes)?;
        Ok(match e {
            CellError::Interrupted => Visit::Interrupted,
            _ => Visit::Ended(reason),
        })
    }

    /// The profile pass of a cell whose repetitions stopped for `reason`
    /// (unless it has one already), carrying how they stopped and the raw
    /// reference's verdict; returns its outcome.
    fn finish(&mut self, a: &mut Active<'_>, reason: StopReason) -> Result<Outcome, SweepError> {
        let values = a.values();
        let median = (!values.is_empty()).then(|| median(&values));
        let outcome = Outcome::Ok(match median {
            Some(m) => format!("{m:.0} ns/step"),
            None => "(profile pass only)".into(),
        });
        if a.profiled {
            return Ok(outcome);
        }
        let iterations = match a.iterations {
            Some(n) => n,
            // Every repetition was measured before a resume: calibrate anew.
            None => {
                let calibrated = CellRun::start(&a.cell.spec, Cancel::new())
                    .and_then(|mut run| self.warm_up(&mut run));
                match calibrated {
                    Ok(n) => n,
                    Err(e) => {
                        a.ended = true;
                        return Ok(Outcome::Failed(self.write_error(
                            a.cell,
                            Pass::Timing,
                            0,
                            &e,
                            None,
                        )?));
                    }
                }
            }
        };
        let conclusion = Conclusion {
            stopping: Stopping {
                repetitions: values.len() as u32,
                precision: stopping::precision(&a.cell.name, &values),
                target: self.config.precision,
                reason,
                spent_ns: a.spent_ns,
            },
            reference: a.reference.as_ref().and_then(|r| r.summary(&a.samples)),
        };
        self.profile(a.cell, iterations, median, conclusion)?;
        Ok(outcome)
    }

    /// Writes the cell's profile-pass line, its final line: its presence
    /// marks the cell complete.
    fn profile(
        &mut self,
        cell: &PlannedCell,
        iterations: u64,
        median: Option<f64>,
        conclusion: Conclusion,
    ) -> Result<(), SweepError> {
        let (status, reason, profile) = match &mut self.observers {
            None => (
                Status::Skipped,
                Some((
                    ReasonCode::ProfileDisabled,
                    "profile pass disabled by the config".to_string(),
                )),
                None,
            ),
            Some(observers) => match observers.profile(
                &cell.spec,
                iterations,
                median,
                self.config.watchdog,
                self.interrupt,
            ) {
                Ok(profile) => (Status::Ok, None, Some(profile)),
                Err(ProfileError::PerfControl(e)) => return Err(e.into()),
                Err(ProfileError::Cell(e)) => {
                    let status = match e {
                        CellError::Interrupted => Status::Interrupted,
                        _ => Status::Failed,
                    };
                    (status, Some((e.code(), e.to_string())), None)
                }
            },
        };
        self.write(cell, Pass::Profile, 0, status, |r| {
            (r.reason_code, r.reason) = reason.unzip();
            r.profile = profile;
            r.stopping = Some(conclusion.stopping);
            r.reference = conclusion.reference;
        })
    }

    /// Finds how many passes of the cell make one repetition (see [`calibrate`]).
    fn warm_up(&self, run: &mut CellRun) -> Result<u64, CellError> {
        calibrate(self.config, |n| {
            run.run(n, self.config.watchdog, self.interrupt)
                .map(|m| m.wall_ns)
        })
    }
}

/// What a cell's final line says about its repetitions besides the profile.
struct Conclusion {
    stopping: Stopping,
    reference: Option<ReferenceSummary>,
}

fn timing(m: &Measurement) -> Timing {
    let steps = m.steps.max(1);
    Timing {
        iterations: m.iterations,
        steps: m.steps,
        wall_ns: m.wall_ns,
        cpu_ns: m.cpu_ns,
        ns_per_step: m.wall_ns as f64 / steps as f64,
        cpu_ns_per_step: m.cpu_ns as f64 / steps as f64,
    }
}

fn reference_timing(m: &ReferenceMeasurement) -> ReferenceTiming {
    let steps = m.steps.max(1) as f64;
    ReferenceTiming {
        iterations: m.passes,
        steps: m.steps,
        wall_ns: m.wall_ns,
        ns_per_step: m.wall_ns as f64 / steps,
        checked_wall_ns: m.checked_wall_ns,
        checked_ns_per_step: m.checked_wall_ns as f64 / steps,
    }
}

/// Checks the output directory (see `out_dir`) and holds its lock for the
/// life of the sweep.
fn lock_dir(out: &Path, owner_ok: bool) -> Result<File, SweepError> {
    out_dir::prepare(out, owner_ok)?;
    let lock = out_dir::open_lock(&out.join(".lock"))?;
    match fs4::fs_std::FileExt::try_lock_exclusive(&lock) {
        Ok(true) => Ok(lock),
        Ok(false) => Err(SweepError::Locked(out.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            Err(SweepError::Locked(out.to_path_buf()))
        }
        Err(source) => Err(SweepError::Io {
            path: out.to_path_buf(),
            source,
        }),
    }
}

/// The command that reproduces (or resumes) this sweep.
pub fn command_line(args: &SweepArgs, resume: bool) -> Vec<String> {
    let mut cmd = args.config.command();
    cmd.extend(["--out".into(), args.out.display().to_string()]);
    if let Some(f) = &args.filter {
        cmd.extend(["--filter".into(), f.clone()]);
    }
    if args.out_owner_ok {
        cmd.push("--out-owner-ok".into());
    }
    if resume {
        cmd.push("--resume".into());
    }
    cmd
}

/// Opens the results file: a new one with its header (machine, run, the
/// opcodes the planned cells use, the anchors), or, with `--resume`, the
/// existing one written with the same config, with what it already holds.
fn open_results(
    args: &SweepArgs,
    config: &Config,
    path: &Path,
    cells: &[PlannedCell],
    caps: &Capabilities,
) -> Result<(ResultsWriter, BTreeMap<String, Done>), SweepError> {
    // A kill between creating the file and writing its header leaves it empty:
    // it holds nothing to keep, so it is started afresh.
    if fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        fs::remove_file(path).map_err(|source| SweepError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    if path.exists() {
        if !args.resume {
            return Err(SweepError::Exists(path.to_path_buf()));
        }
        let existing = Results::read(path)?;
        for w in &existing.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
        let (existing, dropped) = resume::keep_planned(existing, &plan(config, None));
        let done = resume_from(&existing, &args.config, config)?;
        if !dropped.is_empty() {
            for d in &dropped {
                eprintln!("warning: {}: {d}", path.display());
            }
            resume::rewrite(&existing).map_err(|source| SweepError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        return Ok((ResultsWriter::append_to(path)?, done));
    }
    let run = RunInfo {
        config_path: args.config.to_string(),
        config_hash: config.hash.clone(),
        started_unix: now_unix(),
        command: command_line(args, false),
        reproduce: header::reproduce().map_err(SweepError::Reproduce)?,
        config_lines: args.config.config_lines(),
    };
    // Every opcode the planned cells need (their ops' and their styles'),
    // so the header says which of them this kernel has.
    let used: Vec<_> = cells
        .iter()
        .filter_map(|cell| cell.spec.needs().ok())
        .flatten()
        .filter_map(|n| match n {
            workloads::probe::Need::Opcode(code, name) => Some((code, name)),
            _ => None,
        })
        .unique()
        .collect();
    // The directory the planned `fsync` cells write in, whose file system
    // the header describes.
    let fsync_dir = cells
        .iter()
        .filter_map(|cell| cell.spec.needs().ok())
        .flatten()
        .find_map(|n| match n {
            workloads::probe::Need::DurableDir(dir) => Some(dir),
            _ => None,
        });
    let mut header = header::build(caps, run, &used, fsync_dir.as_deref());
    header::calibrate_anchors(&mut header, &config.placement);
    Ok((ResultsWriter::create(path, &header)?, BTreeMap::new()))
}

/// What `--resume` continues from `existing`, the results file there, for
/// `config` read from `source`: what each cell already holds, or the refusal
/// when the file was written with another config.
fn resume_from(
    existing: &Results,
    source: &ConfigSource,
    config: &Config,
) -> Result<BTreeMap<String, Done>, SweepError> {
    if existing.header.run.config_hash != config.hash {
        return Err(SweepError::HashMismatch {
            path: existing.path.clone(),
            config: source.to_string(),
            found: existing.header.run.config_hash.clone(),
            expected: config.hash.clone(),
        });
    }
    Ok(done_by_cell(existing))
}

/// Runs (or resumes) a sweep. `interrupt` is set by Ctrl-C/SIGTERM.
pub fn sweep(args: &SweepArgs, interrupt: &AtomicBool) -> Result<SweepOutcome, SweepError> {
    let config = Config::from_source(&args.config)?;
    let filter = args.filter.as_deref().map(Filter::new);
    let planned = plan_noting(&config, filter.as_ref());
    // What `plan` says of a batch larger than its stream, the sweep says too.
    for clamp in &planned.clamps {
        eprintln!("{clamp}");
    }
    let cells = planned.cells;
    if let Some(f) = &filter {
        f.check(
            cells.len(),
            plan(&config, None).len(),
            &args.config.to_string(),
        )?;
    }
    let perf = match &args.perf_control {
        Some(_) if !config.profile => return Err(SweepError::PerfControlWithoutProfile),
        Some(fifos) => Some(PerfControl::open(fifos)?),
        None => None,
    };
    let lock = lock_dir(&args.out, args.out_owner_ok)?;
    let path = args.out.join("results.jsonl");
    let caps = Capabilities::detect();
    let (writer, done) = open_results(args, &config, &path, &cells, &caps)?;
    let mut sweeper = Sweeper {
        config: &config,
        writer,
        interrupt,
        observers: config.profile.then(|| Observers::load(perf)),
        written: 0,
        loaded: BTreeSet::new(),
    };
    let mut progress = Progress::new(cells.len() as u64);
    let mut active = sweeper.admit(&cells, &done, &caps, &mut progress)?;
    let interrupted = sweeper.families(&mut active, &mut progress)?;
    progress.finish();
    Ok(SweepOutcome {
        results: path,
        interrupted,
        written: sweeper.written,
        lock,
    })
}

#[cfg(test)]
mod tests;
