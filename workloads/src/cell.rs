//! Running one cell: its submitter threads (one lane each), their rings and
//! ops, the style instances, and the order check after every pass. The caller
//! asks for N passes at a time and gets back wall and CPU time; a watchdog and
//! an interrupt flag end a cell that hangs or that the user abandons.

use crate::cancel::Cancel;
use crate::cputime;
use crate::lane::Lane;
use crate::mode::ModeSpec;
use crate::op::{OpKind, Ops};
use crate::placement::{pin_to, Placement, Role, Roles};
use crate::probe::{Need, Unmet};
use crate::ring::{Ring, RingSize};
use crate::style::{HelperRole, Instance, StepCtx, StepError, Stream, Style};
use crate::threads::CellThreads;
use crate::verify::{OrderLog, Violation};
use results_schema::ReasonCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How submitters share rings when there are several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// Each submitter thread has its own ring.
    PerSubmitter,
    /// All submitters use one ring behind a lock.
    Shared,
}

impl Sharing {
    /// Name used in configs and results.
    pub fn name(self) -> &'static str {
        match self {
            Sharing::PerSubmitter => "per-submitter",
            Sharing::Shared => "shared",
        }
    }
}

/// The shape of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Ordered streams.
    pub groups: u32,
    /// Steps per group.
    pub steps: u32,
    /// Steps per submission.
    pub batch: u32,
    /// Submitter threads; groups are divided among them.
    pub submitters: u32,
    /// Ring per submitter or one shared ring.
    pub sharing: Sharing,
}

impl Shape {
    /// Steps of one pass over every group.
    pub fn steps_per_pass(&self) -> u32 {
        self.groups * self.steps
    }

    /// Submissions of one pass: the stream cut into batches.
    pub fn batches_per_pass(&self) -> u32 {
        self.steps_per_pass().div_ceil(self.batch.max(1))
    }

    /// Submissions of one pass when at most one step per group is in flight
    /// (each step waits for the previous one's CQE), as many at once as the
    /// groups and the batch allow.
    pub fn one_step_rounds(&self) -> u32 {
        self.steps_per_pass()
            .div_ceil(self.groups.min(self.batch).max(1))
    }
}

/// Everything that defines a cell, minus the repetition.
#[derive(Clone)]
pub struct CellSpec {
    /// The ordering style.
    pub style: &'static dyn Style,
    /// Its variant (empty when the style has none).
    pub variant: String,
    /// Ring set-up and driving.
    pub mode: ModeSpec,
    /// What each step does.
    pub op: OpKind,
    /// Force every step through io-wq (IOSQE_ASYNC).
    pub forced_async: bool,
    /// Groups, steps, batch, submitters.
    pub shape: Shape,
    /// SQ entries of each ring.
    pub ring_entries: u32,
    /// Where its threads run.
    pub placement: Placement,
    /// Where an `fsync` op writes its files (a config's `fsync_dir`): what
    /// the cell measures depends on the disk under it.
    pub fsync_dir: std::path::PathBuf,
}

impl CellSpec {
    /// Everything the cell needs from the machine, or why it does not apply
    /// (an [`Unmet::combination`]).
    pub fn needs(&self) -> Result<Vec<Need>, Unmet> {
        if self.shape.submitters > 1
            && self.shape.sharing == Sharing::Shared
            && self.mode.mode.defer_taskrun
        {
            return Err(Unmet::combination(
                "a DEFER_TASKRUN ring has a single issuer; it cannot be shared",
            ));
        }
        if self.shares_ring() && self.op.registers_buffers() {
            return Err(Unmet::combination(
                "a ring's fixed buffers are one table; lanes sharing the ring cannot each register theirs",
            ));
        }
        if self.shares_ring() && self.mode.registered {
            return Err(Unmet::combination(
                "a registered ring fd belongs to one thread; shared submitters would bypass it",
            ));
        }
        crate::style::variant::check(self)?;
        let mut needs = self.op.needs(&self.fsync_dir);
        needs.push(Need::Mode(self.mode));
        needs.extend(self.style.needs(self).map_err(Unmet::combination)?);
        Ok(needs)
    }

    /// Whether all submitters use one ring (built once, before their threads start).
    pub fn shares_ring(&self) -> bool {
        self.shape.submitters > 1 && self.shape.sharing == Sharing::Shared
    }

    /// The roles that decide where the cell's threads go.
    pub fn roles(&self) -> Roles {
        Roles {
            submitters: self.shape.submitters,
            sqpoll: self.mode.mode.sqpoll,
        }
    }

    /// The CPU of the cell's SQPOLL thread, when its mode has one.
    pub fn sqpoll_cpu(&self) -> Option<usize> {
        let roles = self.roles();
        roles
            .sqpoll
            .then(|| self.placement.cpu(roles, Role::Sqpoll))
    }

    /// The CPU of the `role` helper of the lane running `groups`, when the
    /// style declares that role.
    pub fn helper_cpu(&self, groups: &std::ops::Range<u32>, role: HelperRole) -> Option<usize> {
        let lane = (0..self.shape.submitters).find(|&i| self.lane_groups(i) == *groups)?;
        CellThreads::of(self).helper_cpu(lane, role)
    }

    /// Groups handled by submitter `index`: a contiguous share of all groups.
    pub fn lane_groups(&self, index: u32) -> std::ops::Range<u32> {
        let n = self.shape.submitters;
        let per = self.shape.groups / n;
        let extra = self.shape.groups % n;
        let start = index * per + index.min(extra);
        let len = per + u32::from(index < extra);
        start..start + len
    }
}

/// Wall and CPU time of some passes over a cell's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measurement {
    /// Passes run.
    pub iterations: u64,
    /// Steps executed over all lanes.
    pub steps: u64,
    /// Wall-clock ns inside the style runs (the slowest lane).
    pub wall_ns: u64,
    /// CPU ns of the whole process during the passes, verification excluded.
    pub cpu_ns: u64,
}

/// Why a cell could not produce a measurement.
#[derive(thiserror::Error, Debug)]
pub enum CellError {
    /// Setting up rings, ops or threads failed.
    #[error("setup: {0}")]
    Setup(String),
    /// Setting up the style's instance failed (its code says how).
    #[error("setup: {0}")]
    StyleSetup(StepError),
    /// The order broke.
    #[error("{0}")]
    Violation(Violation),
    /// A step or the style failed.
    #[error(transparent)]
    Step(StepError),
    /// A pass ended with steps of the lane that never completed.
    #[error("a pass ended with steps missing")]
    StepsMissing,
    /// The bytes of an op with a data path could not be read back.
    #[error("reading back data: {0}")]
    ReadBack(std::io::Error),
    /// A thread running the cell's passes died.
    #[error("the {0} thread died")]
    ThreadDied(&'static str),
    /// The watchdog ended a cell that did not finish in time.
    #[error("timeout after {} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The user interrupted the sweep.
    #[error("interrupted")]
    Interrupted,
}

impl CellError {
    /// The reason code a results line records for this error.
    pub fn code(&self) -> ReasonCode {
        match self {
            CellError::Setup(_) => ReasonCode::SetupFailed,
            CellError::StyleSetup(e) | CellError::Step(e) => e.code(),
            CellError::Violation(_) => ReasonCode::OrderViolation,
            CellError::StepsMissing => ReasonCode::StepsMissing,
            CellError::ReadBack(_) => ReasonCode::ReadBackFailed,
            CellError::ThreadDied(_) => ReasonCode::HelperDied,
            CellError::Timeout(_) => ReasonCode::Timeout,
            CellError::Interrupted => ReasonCode::Interrupted,
        }
    }
}

enum Cmd {
    Run(u64),
}

enum Reply {
    Ready,
    Done {
        wall_ns: u64,
        verify_cpu_ns: u64,
        steps: u64,
    },
    Failed(CellError),
    /// Pass `passes` (counted from 1) of a run failed.
    FailedAt(CellError, u64),
}

struct Worker {
    cmd: Sender<Cmd>,
    reply: Receiver<Reply>,
    join: Option<JoinHandle<()>>,
}

/// A cell that is set up and ready to run passes.
pub struct CellRun {
    workers: Vec<Worker>,
    cancel: Arc<Cancel>,
    broken: bool,
    checked: u64,
    _shared: Option<Arc<Ring>>,
    _poller: Option<Ring>,
}

/// The size of a ring for a lane of `lane_steps` steps per pass: the CQ holds
/// a whole pass (up to the kernel's limit), so that no style overflows it.
pub fn ring_size(spec: &CellSpec, lane_steps: u32) -> RingSize {
    let sq = spec.ring_entries;
    let cqes = lane_steps * spec.op.parts();
    let cq = (cqes + 64).next_power_of_two().clamp(2 * sq, 65536);
    RingSize { sq, cq }
}

impl CellRun {
    /// Sets the cell up: a thread per submitter, each pinned to the CPU the
    /// placement gives it and building its ring (rings belong to the thread
    /// that drives them; their SQPOLL thread goes to the placement's SQPOLL
    /// CPU), ops and style instance.
    pub fn start(spec: &CellSpec, cancel: Arc<Cancel>) -> Result<CellRun, CellError> {
        let poller = if spec.mode.mode.shared_poller {
            let owner = ModeSpec::SQPOLL;
            let size = RingSize { sq: 8, cq: 16 };
            Some(
                Ring::build(owner, size, None, spec.sqpoll_cpu(), cancel.clone())
                    .map_err(|e| CellError::Setup(format!("SQPOLL poller ring: {e}")))?,
            )
        } else {
            None
        };
        let attach = poller.as_ref().map(Ring::fd);
        let shared = if spec.shares_ring() {
            let ring = Ring::build(
                spec.mode,
                ring_size(spec, spec.shape.groups * spec.shape.steps),
                attach,
                spec.sqpoll_cpu(),
                cancel.clone(),
            )
            .map_err(|e| CellError::Setup(format!("shared ring: {e}")))?;
            Some(Arc::new(ring))
        } else {
            None
        };
        let mut shared_lanes = match &shared {
            Some(ring) => {
                let groups = (0..spec.shape.submitters).map(|i| spec.lane_groups(i));
                Lane::shared(ring.clone(), cancel.clone(), groups.collect())
            }
            None => Vec::new(),
        }
        .into_iter();
        let mut run = CellRun {
            workers: Vec::new(),
            cancel: cancel.clone(),
            broken: false,
            checked: 0,
            _shared: shared,
            _poller: poller,
        };
        for index in 0..spec.shape.submitters {
            let shared_lane = shared_lanes.next();
            let (cmd_tx, cmd_rx) = mpsc::channel();
            let (reply_tx, reply_rx) = mpsc::channel();
            let submitter = Submitter {
                spec: spec.clone(),
                index,
                ring: RingChoice {
                    attach,
                    shared_lane,
                },
                cancel: cancel.clone(),
                cmds: cmd_rx,
                reply: reply_tx,
            };
            let join = std::thread::Builder::new()
                .name(format!("submitter-{index}"))
                .spawn(move || submitter.serve())
                .map_err(|e| CellError::Setup(format!("spawn: {e}")))?;
            run.workers.push(Worker {
                cmd: cmd_tx,
                reply: reply_rx,
                join: Some(join),
            });
        }
        for w in &run.workers {
            match w.reply.recv() {
                Ok(Reply::Ready) => {}
                Ok(Reply::Failed(e)) => return Err(e),
                _ => return Err(CellError::ThreadDied("submitter")),
            }
        }
        Ok(run)
    }

    /// Passes whose order this set-up checked so far, over every call of
    /// [`CellRun::run`]: all of a run that completed, and of one that
    /// failed, those up to and including the pass that failed (on the lane
    /// that failed first). A reproduction's rate counts them.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Runs `iterations` passes on every lane. Ends early with
    /// [`CellError::Timeout`] when `watchdog` expires and with
    /// [`CellError::Interrupted`] as soon as `interrupt` is set.
    pub fn run(
        &mut self,
        iterations: u64,
        watchdog: Duration,
        interrupt: &AtomicBool,
    ) -> Result<Measurement, CellError> {
        if self.broken {
            return Err(CellError::Setup("cell was cancelled".into()));
        }
        let deadline = Instant::now() + watchdog;
        let cpu0 = cputime::process_ns();
        for w in &self.workers {
            let _ = w.cmd.send(Cmd::Run(iterations));
        }
        let mut m = Measurement {
            iterations,
            ..Measurement::default()
        };
        let mut verify_cpu = 0;
        let mut first_error = None;
        for i in 0..self.workers.len() {
            let reply = loop {
                match self.workers[i]
                    .reply
                    .recv_timeout(Duration::from_millis(20))
                {
                    Ok(r) => break r,
                    Err(RecvTimeoutError::Disconnected) => {
                        break Reply::Failed(CellError::ThreadDied("submitter"))
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        let cause = if interrupt.load(Ordering::Relaxed) {
                            Some(CellError::Interrupted)
                        } else if Instant::now() > deadline {
                            Some(CellError::Timeout(watchdog))
                        } else {
                            None
                        };
                        if let Some(cause) = cause {
                            first_error.get_or_insert(cause);
                            self.cancel.cancel();
                            self.broken = true;
                        } else if self.broken {
                            self.cancel.kick();
                        }
                    }
                }
            };
            match reply {
                Reply::Done {
                    wall_ns,
                    verify_cpu_ns,
                    steps,
                } => {
                    m.wall_ns = m.wall_ns.max(wall_ns);
                    m.steps += steps;
                    verify_cpu += verify_cpu_ns;
                }
                Reply::FailedAt(e, passes) if first_error.is_none() => {
                    self.checked += passes;
                    first_error = Some(e);
                    if !self.broken {
                        self.cancel.cancel();
                        self.broken = true;
                    }
                }
                Reply::Failed(e) | Reply::FailedAt(e, _) => {
                    first_error.get_or_insert(e);
                    if !self.broken {
                        self.cancel.cancel();
                        self.broken = true;
                    }
                }
                Reply::Ready => {}
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        self.checked += iterations;
        m.cpu_ns = (cputime::process_ns() - cpu0).saturating_sub(verify_cpu);
        Ok(m)
    }
}

impl Drop for CellRun {
    fn drop(&mut self) {
        let workers = std::mem::take(&mut self.workers);
        // Closing the command channels ends idle workers; cancelled ones left already.
        let joins: Vec<_> = workers
            .into_iter()
            .filter_map(|mut w| {
                drop(w.cmd);
                w.join.take()
            })
            .collect();
        // An idle worker leaves as soon as its channel closes; one still in
        // a wait leaves once kicked. Poll with a backoff from 20 us, so that
        // the usual case costs tens of microseconds rather than a sleep of
        // milliseconds per repetition.
        for join in joins {
            let mut pause = Duration::from_micros(20);
            while !join.is_finished() {
                self.cancel.kick();
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(5));
            }
            let _ = join.join();
        }
    }
}

/// Where a submitter's lane comes from: a ring it builds itself (attached to
/// the shared poller, if any) or its lane on the cell's shared ring.
struct RingChoice {
    attach: Option<i32>,
    shared_lane: Option<Lane>,
}

/// What a submitter thread is given: its cell and index, where its ring
/// comes from, and the channels it takes commands from and replies on.
struct Submitter {
    spec: CellSpec,
    index: u32,
    ring: RingChoice,
    cancel: Arc<Cancel>,
    cmds: Receiver<Cmd>,
    reply: Sender<Reply>,
}

impl Submitter {
    /// The thread's life: set its lane up, say whether that worked, then run
    /// the passes each command asks for until the cell is dropped.
    fn serve(self) {
        let Submitter {
            spec,
            index,
            ring,
            cancel,
            cmds,
            reply,
        } = self;
        let _registration = cancel.register();
        let mut lane = match LaneRun::set_up(&spec, index, ring, &cancel) {
            Ok(lane) => lane,
            Err(e) => {
                let _ = reply.send(Reply::Failed(e));
                return;
            }
        };
        let _ = reply.send(Reply::Ready);
        while let Ok(Cmd::Run(iterations)) = cmds.recv() {
            if reply.send(lane.passes(iterations)).is_err() {
                break;
            }
        }
    }
}

/// A submitter's lane, set up and ready to run passes. Its fields drop in
/// order: the style instance (and its helper threads) before the lane.
struct LaneRun {
    instance: Box<dyn Instance>,
    ops: Ops,
    lane: Lane,
    stream: Stream,
    log: OrderLog,
    /// Steps per group.
    steps: u32,
    /// Steps of one pass of this lane.
    lane_steps: u32,
}

impl LaneRun {
    /// Pins the thread to its submitter CPU, then builds (or takes) its ring,
    /// its ops and its style instance.
    fn set_up(
        spec: &CellSpec,
        index: u32,
        ring: RingChoice,
        cancel: &Arc<Cancel>,
    ) -> Result<LaneRun, CellError> {
        let cpu = spec.placement.cpu(spec.roles(), Role::Submitter(index));
        pin_to(cpu).map_err(|e| CellError::Setup(format!("submitter {index}: {e}")))?;
        let groups = spec.lane_groups(index);
        let lane_steps = (groups.end - groups.start) * spec.shape.steps;
        let lane = match ring.shared_lane {
            Some(lane) => lane,
            None => {
                let ring = Ring::build(
                    spec.mode,
                    ring_size(spec, lane_steps),
                    ring.attach,
                    spec.sqpoll_cpu(),
                    cancel.clone(),
                )
                .map_err(|e| CellError::Setup(format!("ring: {e}")))?;
                Lane::new(Arc::new(ring), cancel.clone(), groups.clone())
            }
        };
        let ops = Ops::new(
            spec.op,
            spec.forced_async,
            groups.start,
            groups.end - groups.start,
            spec.shape.steps,
            &spec.fsync_dir,
        )
        .map_err(|e| CellError::Setup(format!("{}: {e}", spec.op.name())))?;
        // Before the style's instance, which may give its own ring the same buffers.
        ops.register(lane.ring())
            .map_err(|e| CellError::Setup(format!("{}: fixed buffers: {e}", spec.op.name())))?;
        let instance = spec
            .style
            .instance(spec, &lane)
            .map_err(CellError::StyleSetup)?;
        #[cfg(feature = "fault-injection")]
        let instance = crate::fault_injection::inject(spec, lane_steps, instance)?;
        Ok(LaneRun {
            instance,
            ops,
            lane,
            stream: Stream::new(groups, spec.shape.steps, spec.shape.batch),
            log: OrderLog::new(spec.shape.groups, spec.shape.steps),
            steps: spec.shape.steps,
            lane_steps,
        })
    }

    /// Runs `iterations` timed passes, stopping at the first that fails.
    fn passes(&mut self, iterations: u64) -> Reply {
        let mut clock = Clock::start();
        let outcome = (1..=iterations).try_for_each(|n| self.pass(&mut clock).map_err(|e| (e, n)));
        let (wall_ns, verify_cpu_ns) = clock.stop();
        match outcome {
            Ok(()) => Reply::Done {
                wall_ns,
                verify_cpu_ns,
                steps: iterations * u64::from(self.lane_steps),
            },
            Err((e, n)) => Reply::FailedAt(e, n),
        }
    }

    /// One pass of the style, then the order check: a data path is read back
    /// with `clock` stopped, and every step of the lane must have completed
    /// in order.
    fn pass(&mut self, clock: &mut Clock) -> Result<(), CellError> {
        self.log.reset();
        let mut ctx = StepCtx::new(&self.ops, &mut self.log, &self.stream);
        self.instance
            .run(&self.lane, &mut ctx)
            .map_err(|e| match e {
                StepError::Ring(crate::ring::RingError::Cancelled) => CellError::Interrupted,
                e => CellError::Step(e),
            })?;
        if self.ops.has_data() {
            clock
                .excluding(|| self.ops.collect(&mut self.log))
                .map_err(CellError::ReadBack)?;
        }
        if let Some(v) = self.log.violation() {
            return Err(CellError::Violation(v.clone()));
        }
        // The log covers every group of the cell; this lane runs only its own.
        if !self
            .stream
            .groups()
            .all(|g| self.log.completed(g) == self.steps)
        {
            return Err(CellError::StepsMissing);
        }
        Ok(())
    }
}

/// The clock of one repetition. It is read once at the start and once at
/// the end, not per pass: at a few hundred ns per step, two reads per pass
/// would be a visible part of a short pass. It stops only while a data path
/// is read back for the check, whose CPU time it counts apart.
struct Clock {
    since: Instant,
    wall_ns: u64,
    verify_cpu_ns: u64,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            since: Instant::now(),
            wall_ns: 0,
            verify_cpu_ns: 0,
        }
    }

    /// Runs `f` with the clock stopped, counting its thread CPU time.
    fn excluding<T>(&mut self, f: impl FnOnce() -> T) -> T {
        self.wall_ns += self.since.elapsed().as_nanos() as u64;
        let cpu = cputime::thread_ns();
        let out = f();
        self.verify_cpu_ns += cputime::thread_ns() - cpu;
        self.since = Instant::now();
        out
    }

    /// Wall ns and verification CPU ns of the repetition.
    fn stop(self) -> (u64, u64) {
        let wall_ns = self.wall_ns + self.since.elapsed().as_nanos() as u64;
        (wall_ns, self.verify_cpu_ns)
    }
}
