//! Ordering styles: one type per style behind the [`Style`] trait, listed once in
//! [`STYLES`]. A style turns the application's stream of steps (see [`Stream`])
//! into submissions and reacts to completions; the runner around it times it and
//! the verifier checks what the kernel did. [`adding_a_style`] walks through
//! writing one.
//!
//! # Contract
//!
//! What the runner (`cell.rs`) guarantees a style:
//!
//! - [`Style::needs`] is asked first, at plan time; a cell it refuses, or
//!   whose needs the machine lacks, is skipped and never set up.
//! - [`Style::instance`] is called once per lane, on the lane's submitter
//!   thread, already pinned, with the lane's ring built in the cell's mode.
//!   The instance lives for every repetition of that set-up and is dropped
//!   before the lane.
//! - [`Instance::run`] is called once per pass, on that same thread, with
//!   the same lane and stream every time, an order log reset for the pass,
//!   and no CQE of an earlier pass left to come (the earlier pass drained).
//!   The wall clock runs during the whole call.
//! - After each pass the runner checks the order log (and reads back a data
//!   path): a broken order is the cell's `failed` line, never a timing.
//!
//! What a style guarantees the runner:
//!
//! - **Per-pass state is reset** at the start of every [`Instance::run`]: a
//!   pass must not depend on what the pass before it left behind.
//! - **The ring is drained on return**: `run` returns `Ok` only when every
//!   step of the lane's stream completed and was reaped, and no request of
//!   its own is still in flight ([`StepCtx::drain`] does it).
//! - **Every CQE is reaped through [`StepCtx::submit_and_reap`]**, which
//!   checks and logs step CQEs; the style never logs a step itself.
//! - **A step is one unit, however many SQEs it has**: [`Ops::push_step`] writes
//!   a step's SQEs (one, or two for `fsync` and `copy`, linked inside by
//!   the op with IOSQE_IO_LINK in every style), written once into the
//!   style's buffer with their final flags. A style submits them together
//!   and in order, and orders whole steps: a flag that makes the step wait
//!   for earlier work (IOSQE_IO_DRAIN) goes on its first SQE
//!   ([`StepFlags::first`]), one that makes the next step wait for it
//!   (IOSQE_IO_LINK, IOSQE_IO_HARDLINK) on its last ([`StepFlags::last`]). The step completes at its last SQE's CQE,
//!   the only one [`StepCtx::submit_and_reap`] hands on as
//!   [`Completion::Step`] (a helper thread's relay likewise records only
//!   that one); a failed inner SQE, or the -ECANCELED its link gives the
//!   later one, fails the step. Waits count CQEs: [`StepCtx::outstanding`]
//!   is every step CQE still to come and [`StepCtx::step_cqes`] the fewest
//!   that some steps will still post, so more SQEs per step add SQEs and
//!   CQEs to a wait, never an io_uring_enter.
//! - **user_data is encoded with [`UserData`]**: steps come from
//!   [`Ops::push_step`] (already [`UserData::step_part`]); every auxiliary request
//!   (a futex wake, a bump, a message) is [`UserData::aux`] with the group
//!   and seq it serves, so its CQE arrives as [`Completion::Aux`].
//! - **Helper threads are declared and spawned through `helper::spawn`**:
//!   every thread the style starts is listed in [`Style::helpers`] and started
//!   by `helper::spawn` on the CPU `helper::cpu_of` gives its role, which pins
//!   it and registers it for the cell's cancel.
//! - **[`Style::needs`] and [`Style::instance`] agree**: every cell `needs`
//!   accepts, `instance` sets up (it fails only for what the machine refused
//!   at run time: a thread, a mapping); every variant `needs` refuses,
//!   `instance` refuses with the same reason.
//! - **Waits are sized to the next decision**, and one pass stays within
//!   [`Style::enter_budget`].
//! - **Errors are typed**: a ring failure or a cancel is [`StepError::Ring`]
//!   (cancel becomes the cell's `interrupted`); a failed step and a stray CQE
//!   come back from `submit_and_reap`; anything else the style itself
//!   detects has a variant of its own (a helper that died, a lost wakeup,
//!   a request of the style's that failed...), each with its reason code.
//!
//! # Steps of several SQEs, style by style
//!
//! A step of `fsync` (WRITE, then FSYNC) or `copy` (READ_FIXED, then
//! WRITE_FIXED) is one unit, as the Contract says; what each style adds:
//!
//! - `independent`: nothing; a step's SQEs stay in order, the steps race
//!   each other (the unordered control).
//! - `link`, `hardlink`: the style's flag on the last SQE of every step but
//!   its run's last, so the chain's tail is the last SQE of its last step.
//! - `drain`: IOSQE_IO_DRAIN on the first SQE of each step.
//! - `userspace`, `futex-syscall`: a group's next step (all its SQEs) goes
//!   after the previous step's last CQE.
//! - `sync-group` (both variants): chains as `link`; the chain cap counts
//!   steps, sized so a chain's SQEs fill at most half the SQ; the completer
//!   continues a chain at the last CQE of its tail step.
//! - `msg-ring`: the reactor submits a step's SQEs together and the group's
//!   next step after its last CQE; its ring registers the lane's fixed
//!   buffers.
//! - `futex` (every variant): the chain hardlinks every SQE, inner parts
//!   too, so its bump and wake run even when a part fails; the SQ check
//!   counts every SQE.
//! - `bpf-loop`: runs NOP steps only and refuses the other ops.
//!
//! A config's batch of such steps must fit the SQ whole (`batch × parts ≤
//! ring_entries`), and lanes sharing one ring cannot run `copy` (a ring has
//! one table of fixed buffers): that cell is an `unsupported_combination`.
//!
//! A style's variants are parsed in one place, a `Variants` table of the
//! style's own type; the order a cross-batch style keeps is a type parameter
//! (`order::Order`), which only the `fault-injection` build breaks.

mod bpf_loop;
mod chain;
mod flagged;
mod fresh_process;
mod futex;
mod futex_syscall;
mod futex_words;
mod handoff;
mod helper;
mod msg_ring;
pub(crate) mod order;
mod stall;
mod sync_group;
mod userspace;
pub(crate) mod variant;

/// The styles whose order the fault-injection build breaks on purpose.
#[cfg(feature = "fault-injection")]
pub(crate) use {
    futex::Futex, futex_syscall::FutexSyscall, msg_ring::MsgRing, sync_group::SyncGroup,
};

use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::{Ops, PreparedSteps};
use crate::probe::Need;
use crate::ring::RingError;
use crate::userdata::{Tag, UserData};
use crate::verify::OrderLog;
use io_uring::squeue::{Entry, Flags};
use results_schema::ReasonCode;
use std::ops::Range;

/// Why a run of a style stopped early.
#[derive(thiserror::Error, Debug)]
pub enum StepError {
    /// Driving the ring failed or the cell was cancelled.
    #[error(transparent)]
    Ring(#[from] RingError),
    /// A step completed with an unexpected result.
    #[error("step group {group} seq {seq} failed: {}", describe_res(*res))]
    Failed {
        /// Its group.
        group: u32,
        /// Its seq.
        seq: u32,
        /// The CQE result.
        res: i32,
    },
    /// A CQE whose user_data this tool never wrote.
    #[error("unexpected completion user_data {0:#x}")]
    Unexpected(u64),
    /// A completion the style cannot account for although its user_data is
    /// its own: more step completions than steps, a step on the wrong ring.
    #[error("{0}")]
    Stray(String),
    /// Setting up the style's own resources (helper rings, futex words, a
    /// thread, a forked process) failed.
    #[error("{0}")]
    Setup(String),
    /// A helper thread or process of the style died or stopped early.
    #[error("{0}")]
    HelperDied(String),
    /// A request of the style's own (a futex wait or wake, a message to its
    /// reactor) completed with an error.
    #[error("{0}")]
    RequestFailed(String),
    /// A futex wait was never woken although the wake it waited for ran.
    #[error("{0}")]
    LostWakeup(String),
    /// The style's loop ended with steps that never completed.
    #[error("{0}")]
    StepsMissing(String),
    /// A failure met by a helper thread or a forked process, handed to the
    /// lane thread as its code and text.
    #[error("{detail}")]
    Relayed {
        /// The code of the failure where it happened.
        code: ReasonCode,
        /// Its one-line text.
        detail: String,
    },
}

impl StepError {
    /// The reason code a results line records for this failure.
    pub fn code(&self) -> ReasonCode {
        match self {
            StepError::Ring(RingError::Cancelled) => ReasonCode::Interrupted,
            StepError::Ring(RingError::Sys { .. }) => ReasonCode::RingFailed,
            StepError::Failed { .. } => ReasonCode::StepFailed,
            StepError::Unexpected(_) | StepError::Stray(_) => ReasonCode::UnexpectedCompletion,
            StepError::Setup(_) => ReasonCode::SetupFailed,
            StepError::HelperDied(_) => ReasonCode::HelperDied,
            StepError::RequestFailed(_) => ReasonCode::RequestFailed,
            StepError::LostWakeup(_) => ReasonCode::LostWakeup,
            StepError::StepsMissing(_) => ReasonCode::StepsMissing,
            StepError::Relayed { code, .. } => *code,
        }
    }

    /// The failure as another thread receives it: its code and its text.
    pub fn relayed(&self) -> StepError {
        StepError::Relayed {
            code: self.code(),
            detail: self.to_string(),
        }
    }
}

fn describe_res(res: i32) -> String {
    if res < 0 {
        format!("{} ({res})", std::io::Error::from_raw_os_error(-res))
    } else {
        format!("result {res}")
    }
}

/// What a completion was, after the step ones were verified and logged.
#[derive(Clone, Copy, Debug)]
pub enum Completion {
    /// Step `seq` of `group` completed successfully (already logged).
    Step {
        /// Its group.
        group: u32,
        /// Its seq.
        seq: u32,
    },
    /// An auxiliary request of the style completed with `res`.
    Aux {
        /// The group it served.
        group: u32,
        /// The seq it served.
        seq: u32,
        /// Its CQE result.
        res: i32,
    },
    /// A MSG_RING message arrived in this ring.
    Msg {
        /// The group it is about.
        group: u32,
        /// The seq it is about.
        seq: u32,
    },
}

/// Everything a style needs to run one pass over its groups.
pub struct StepCtx<'a> {
    /// Builds step SQEs and knows their success result.
    pub ops: &'a Ops,
    /// Where step completions are recorded for verification.
    pub log: &'a mut OrderLog,
    /// The application's stream of steps for this lane.
    pub stream: &'a Stream,
    /// CQEs of inner parts (every SQE of a step but its last) reaped this
    /// pass for steps whose last CQE has not arrived yet.
    inner: u32,
}

impl<'a> StepCtx<'a> {
    /// The context of one pass: nothing reaped yet.
    pub fn new(ops: &'a Ops, log: &'a mut OrderLog, stream: &'a Stream) -> StepCtx<'a> {
        StepCtx {
            ops,
            log,
            stream,
            inner: 0,
        }
    }
}

impl StepCtx<'_> {
    /// Submits `entries`, waits for `want` ready CQEs, and hands every reaped
    /// completion to `on` (step completions are checked and logged first).
    /// A step of several SQEs completes with its last SQE's CQE, the only one
    /// `on` sees; an inner part that failed fails the step. Inlined into
    /// each style's loop, as the raw loop's submit and reap are into its own.
    #[inline(always)]
    pub fn submit_and_reap(
        &mut self,
        lane: &Lane,
        entries: &[Entry],
        want: u32,
        mut on: impl FnMut(Completion),
    ) -> Result<usize, StepError> {
        lane.submit_and_wait(entries, want)?;
        let mut failure = None;
        let inner_parts = self.ops.parts() - 1;
        let n = lane.reap(|user_data, res| {
            if let Some((group, seq)) = UserData::whole_step(user_data) {
                if !self.ops.succeeded(0, res) {
                    failure.get_or_insert(StepError::Failed { group, seq, res });
                }
                self.log.complete(group, seq);
                on(Completion::Step { group, seq });
                return;
            }
            match UserData::decode(user_data) {
                Some(UserData {
                    tag: Tag::Step,
                    group,
                    seq,
                    part,
                    last,
                }) => {
                    if !self.ops.succeeded(part, res) {
                        failure.get_or_insert(StepError::Failed { group, seq, res });
                    }
                    if !last {
                        self.inner += 1;
                        return;
                    }
                    self.inner = self.inner.saturating_sub(inner_parts);
                    self.log.complete(group, seq);
                    on(Completion::Step { group, seq });
                }
                Some(UserData {
                    tag: Tag::Aux,
                    group,
                    seq,
                    ..
                }) => on(Completion::Aux { group, seq, res }),
                Some(UserData {
                    tag: Tag::Msg,
                    group,
                    seq,
                    ..
                }) => on(Completion::Msg { group, seq }),
                None => {
                    failure.get_or_insert(StepError::Unexpected(user_data));
                }
            }
        })?;
        failure.map_or(Ok(n), Err)
    }

    /// Step CQEs still to come for this lane's groups: every SQE of every
    /// step not completed yet, less the inner parts already reaped. Exact
    /// while every step's CQEs are still to come or reaped, so a wait for it
    /// never waits too long.
    pub fn outstanding(&self) -> u32 {
        let steps: u32 = self
            .stream
            .groups()
            .map(|g| self.stream.steps - self.log.completed(g))
            .sum();
        (steps * self.ops.parts()).saturating_sub(self.inner)
    }

    /// A lower bound of the CQEs that `steps` steps not completed yet will
    /// still post: what a wait for their completion may ask for. Each posts
    /// one per SQE, less those of its inner parts already reaped (counted
    /// over the lane, hence a bound), and at least one.
    pub fn step_cqes(&self, steps: u32) -> u32 {
        match steps {
            0 => 0,
            n => (n * self.ops.parts()).saturating_sub(self.inner).max(1),
        }
    }

    /// Waits until every step of the lane completed, reaping as it goes. Each
    /// wait asks for every outstanding CQE at once, so that a DEFER_TASKRUN
    /// ring runs a whole chain's task_work in one io_uring_enter.
    pub fn drain(&mut self, lane: &Lane) -> Result<(), StepError> {
        loop {
            let want = self.outstanding();
            if want == 0 {
                return Ok(());
            }
            self.submit_and_reap(lane, &[], want, |_| {})?;
        }
    }
}

/// Where a style takes a step's SQEs from: the lane's [`Ops`], or the
/// [`handoff::StepTable`] a helper thread reads. Both hand out the lane's one
/// [`PreparedSteps`], so every style copies its steps at the same cost.
pub(crate) trait StepSource {
    /// The lane's prepared steps.
    fn prepared(&self) -> &PreparedSteps;
}

impl StepSource for Ops {
    #[inline(always)]
    fn prepared(&self) -> &PreparedSteps {
        Ops::prepared(self)
    }
}

/// Appends steps `seqs` of `group` to `out` as one chain
/// ([`PreparedSteps::push_chain`]): `flag` on the last SQE of every step but
/// the chain's last.
#[inline(always)]
pub(crate) fn push_chain(
    out: &mut Vec<Entry>,
    steps: &impl StepSource,
    group: u32,
    seqs: Range<u32>,
    flag: Flags,
) {
    steps.prepared().push_chain(out, group, seqs, flag);
}

/// A whole pass's SQEs in submission order, with the style's flags, for a
/// style whose submissions do not depend on its completions (`independent`,
/// `drain`, `link`, `hardlink`): laid out on the first pass, then every pass
/// submits batch `i` straight from [`PassSqes::batch`], so each SQE is
/// written once per pass, by the copy into its SQ slot, as a plain loop
/// that preps each SQE in place does.
pub struct PassSqes {
    sqes: Vec<Entry>,
    /// Where each batch ends in `sqes`.
    ends: Vec<usize>,
}

impl PassSqes {
    /// Lays out `batches`, `push` appending each batch's SQEs in order.
    pub fn lay_out(batches: &[Batch], mut push: impl FnMut(&mut Vec<Entry>, &Batch)) -> PassSqes {
        let mut sqes = Vec::new();
        let ends = batches
            .iter()
            .map(|batch| {
                push(&mut sqes, batch);
                sqes.len()
            })
            .collect();
        PassSqes { sqes, ends }
    }

    /// The SQEs of batch `i`.
    #[inline(always)]
    pub fn batch(&self, i: usize) -> &[Entry] {
        let start = i.checked_sub(1).map_or(0, |prev| self.ends[prev]);
        &self.sqes[start..self.ends[i]]
    }
}

/// A group's steps within one batch, seqs `start..end`: consecutive, since the
/// stream is round-robin. The chain a linking style submits contiguously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The group.
    pub group: u32,
    /// Its first seq in the batch.
    pub start: u32,
    /// One past its last seq in the batch.
    pub end: u32,
}

impl Run {
    /// The seqs of the run.
    pub fn seqs(&self) -> Range<u32> {
        self.start..self.end
    }

    /// Its last seq: the chain's tail.
    pub fn last(&self) -> u32 {
        self.end - 1
    }

    /// How many steps it holds (at least one).
    pub fn steps(&self) -> u32 {
        self.end - self.start
    }
}

/// One submission's worth of the stream: its steps in stream order and the
/// same steps as per-group runs in order of first appearance. Both are built
/// once per cell, so no pass allocates them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// (group, seq) in the order the application produced them.
    pub steps: Vec<(u32, u32)>,
    /// The steps grouped into one run per group.
    pub runs: Vec<Run>,
}

impl Batch {
    fn new(steps: Vec<(u32, u32)>) -> Batch {
        let mut runs: Vec<Run> = Vec::new();
        for &(group, seq) in &steps {
            match runs.iter_mut().find(|r| r.group == group) {
                Some(run) => {
                    debug_assert_eq!(
                        run.end, seq,
                        "a round-robin stream keeps a group's seqs consecutive"
                    );
                    run.end = seq + 1;
                }
                None => runs.push(Run {
                    group,
                    start: seq,
                    end: seq + 1,
                }),
            }
        }
        Batch { steps, runs }
    }
}

/// The order in which the application produces steps: round-robin over its
/// groups (g0s0, g1s0, ..., g0s1, ...), cut into batches of `batch` steps, each
/// batch handed to the kernel in one submission.
#[derive(Clone, Debug)]
pub struct Stream {
    groups: Range<u32>,
    /// Steps per group.
    pub steps: u32,
    /// Steps per submission.
    pub batch: u32,
    batches: Vec<Batch>,
}

impl Stream {
    /// The stream of `steps` steps for each group of `groups`.
    pub fn new(groups: Range<u32>, steps: u32, batch: u32) -> Stream {
        let all: Vec<(u32, u32)> = (0..steps)
            .flat_map(|s| groups.clone().map(move |g| (g, s)))
            .collect();
        let batches = all
            .chunks(batch.max(1) as usize)
            .map(|c| Batch::new(c.to_vec()))
            .collect();
        Stream {
            groups,
            steps,
            batch,
            batches,
        }
    }

    /// This lane's groups.
    pub fn groups(&self) -> Range<u32> {
        self.groups.clone()
    }

    /// The batches, in submission order.
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }
}

/// What a style's helper thread does; also the thread's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HelperRole {
    /// Reaps the lane's ring while the submitter only submits.
    Completer,
    /// Runs the lane's steps on a ring of its own, told what to run by MSG_RING.
    Reactor,
    /// Looks at the lane's progress twice a second and reports a stalled pass.
    StallWatcher,
}

impl HelperRole {
    /// The role's name in results and the thread's name (`/proc/*/task/*/comm`).
    pub fn name(self) -> &'static str {
        match self {
            HelperRole::Completer => "completer",
            HelperRole::Reactor => "reactor",
            HelperRole::StallWatcher => "stall-watcher",
        }
    }
}

/// A helper thread a style starts for each lane, beside the lane's submitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Helper {
    /// What it does.
    pub role: HelperRole,
    /// Whether it works on every step's path (a completer or a reactor the
    /// next step waits for): such a thread needs a CPU of its own, and counts
    /// towards oversubscription. A thread that sleeps between checks does not.
    pub busy: bool,
    /// Whether it builds a ring set up in the cell's mode: under SQPOLL
    /// (unshared) that ring brings an SQPOLL thread of its own.
    pub mode_ring: bool,
}

/// One ordering style: how a stream of steps is kept in order. Implementations
/// are small types listed once in [`STYLES`]; what each method must do is
/// below and in the module's Contract.
pub trait Style: Send + Sync {
    /// The name configs, results and `list` use. Unique in [`STYLES`],
    /// lowercase, words joined by `-`; never changed once results carry it.
    fn name(&self) -> &'static str;
    /// One line for `bench-runner list`: how this style enforces order.
    fn about(&self) -> &'static str;
    /// The variants a config may select (`sync-group:queue`), in the order
    /// `list` and reports show them; empty when the style has none. A config
    /// naming the bare style sweeps every variant. The runner refuses any
    /// variant not listed here before asking [`Style::needs`].
    fn variants(&self) -> &'static [&'static str] {
        &[]
    }
    /// Labels every output must show beside this style's cells
    /// ([`results_schema::USERSPACE_EMULATION_LABEL`]
    /// for a style that models a kernel feature which does not exist).
    fn labels(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether the style promises to keep each group in order. A style that
    /// promises none (`independent`) is the verifier's control: where the op
    /// finishes out of order its broken order is the expected outcome, which
    /// every output states as such and never counts as a failure.
    fn orders(&self) -> bool {
        true
    }
    /// What the style needs beyond the op and the mode (opcodes, CPUs, a
    /// probed feature), or why it does not apply to `cell` at all: `Err` is
    /// the one-line reason its `skipped` line carries, coded
    /// `unsupported_combination`. Pure and cheap: asked
    /// at plan time, for every cell, before anything is set up; it must
    /// refuse exactly the cells [`Style::instance`] could not run.
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        let _ = cell;
        Ok(Vec::new())
    }
    /// The helper threads the style starts for each lane of `cell`, in the
    /// order they take the placement's helper slots. Every thread a style
    /// starts is declared here: the placement pins it, the results record its
    /// CPU, and its busy flag decides whether the cell is oversubscribed. An
    /// undeclared role has no CPU (`helper::cpu_of` refuses it).
    fn helpers(&self, cell: &CellSpec) -> &'static [Helper] {
        let _ = cell;
        &[]
    }
    /// The syscall budget: the most io_uring_enter(2) calls, every thread of
    /// the cell counted, that one pass needs when the style drives the ring as
    /// a careful liburing user would (one enter per submission that both
    /// submits and waits, waits sized to the next decision) on steps that
    /// complete inline (`nop`), for a cell with one submitter. The test suite
    /// holds every style to it in every mode, so a regression of a wait
    /// strategy fails; the profile pass reports it beside the measured calls.
    /// Write it from the shape ([`Shape::batches_per_pass`],
    /// [`Shape::one_step_rounds`]), and say why in its doc.
    ///
    /// [`Shape::batches_per_pass`]: crate::cell::Shape::batches_per_pass
    /// [`Shape::one_step_rounds`]: crate::cell::Shape::one_step_rounds
    fn enter_budget(&self, cell: &CellSpec) -> u32;
    /// Sets up one lane of `cell`: its per-lane state (buffers, extra rings,
    /// futex words) and its declared helper threads, ready for
    /// [`Instance::run`]. Called on the lane's submitter thread, once per
    /// lane, only for a cell [`Style::needs`] accepted. Allocate here, not in
    /// `run`: set-up is not timed, passes are. Fails with
    /// [`StepError::Setup`] for what the machine refused (a thread, a
    /// mapping) or an unknown variant.
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError>;
}

/// A style set up for one lane of one cell: what [`Style::instance`] built.
/// Dropping it must stop its helper threads.
pub trait Instance: Send {
    /// Runs one pass: every step of `ctx.stream`, in the stream's order of
    /// batches, returning `Ok` once all of them completed and were reaped and
    /// nothing of the style's is in flight. It resets its own per-pass state
    /// first; the runner has reset `ctx.log`. It submits and reaps only
    /// through `ctx` ([`StepCtx::submit_and_reap`], [`StepCtx::drain`]) so
    /// that every step CQE is checked and logged. The first error ends the
    /// pass and the cell; a cancel comes back from the lane as
    /// [`StepError::Ring`] and must be returned as it is.
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError>;
}

/// Every style, in the order `list` and reports show them. A style is
/// added here, once: the config, `list`, the results header and the reports
/// all read this registry.
pub static STYLES: &[&dyn Style] = &[
    &flagged::INDEPENDENT,
    &chain::LINK,
    &chain::HARDLINK,
    &flagged::DRAIN,
    &userspace::Userspace,
    &sync_group::SyncGroup,
    &msg_ring::MsgRing,
    &futex::Futex,
    &futex_syscall::FutexSyscall,
    &bpf_loop::BpfLoop,
];

#[doc = include_str!("../../../docs/adding-a-style.md")]
pub mod adding_a_style {}

/// Finds a style by name.
pub fn find(name: &str) -> Option<&'static dyn Style> {
    STYLES.iter().copied().find(|s| s.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_count_every_sqe_of_a_step_less_the_inner_parts_reaped() {
        let ops = Ops::new(
            crate::op::OpKind::Copy,
            false,
            0,
            2,
            3,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("copy");
        let stream = Stream::new(0..2, 3, 2);
        let mut log = OrderLog::new(2, 3);
        let mut ctx = StepCtx::new(&ops, &mut log, &stream);
        assert_eq!(ctx.outstanding(), 2 * 3 * 2, "two CQEs per step to come");
        assert_eq!((ctx.step_cqes(0), ctx.step_cqes(3)), (0, 6));
        // Step (0, 0)'s READ_FIXED was reaped: one CQE fewer to come.
        ctx.inner = 1;
        assert_eq!(ctx.outstanding(), 11);
        assert_eq!(
            ctx.step_cqes(1),
            1,
            "the step whose first part came needs one"
        );
        assert_eq!(ctx.step_cqes(3), 5);
        // Its WRITE_FIXED completed it.
        ctx.inner = 0;
        ctx.log.complete(0, 0);
        assert_eq!(ctx.outstanding(), 10);
        let nop = Ops::new(
            crate::op::OpKind::Nop,
            false,
            0,
            2,
            3,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("nop");
        let mut log = OrderLog::new(2, 3);
        let ctx = StepCtx::new(&nop, &mut log, &stream);
        assert_eq!(
            (ctx.outstanding(), ctx.step_cqes(4)),
            (6, 4),
            "one CQE per NOP step"
        );
    }

    #[test]
    fn a_chain_links_the_last_sqe_of_every_step_but_its_last() {
        let ops = Ops::new(
            crate::op::OpKind::Copy,
            false,
            0,
            1,
            3,
            std::path::Path::new(crate::op::DEFAULT_FSYNC_DIR),
        )
        .expect("copy");
        let mut out = Vec::new();
        push_chain(&mut out, &ops, 0, 0..3, Flags::IO_HARDLINK);
        // SAFETY: an Entry is the 64-byte io_uring_sqe; flags is byte 1.
        let flags = |e: &Entry| unsafe { (*(e as *const Entry).cast::<[u8; 64]>())[1] };
        let (link, hard) = (Flags::IO_LINK.bits(), Flags::IO_HARDLINK.bits());
        let got: Vec<u8> = out.iter().map(flags).collect();
        assert_eq!(got, [link, hard, link, hard, link, 0]);
    }

    #[test]
    fn stream_is_round_robin_and_cut_into_batches() {
        let s = Stream::new(0..2, 3, 4);
        let steps: Vec<_> = s.batches().iter().map(|b| b.steps.clone()).collect();
        assert_eq!(
            steps,
            [vec![(0, 0), (1, 0), (0, 1), (1, 1)], vec![(0, 2), (1, 2)]]
        );
        let run = |group, start, end| Run { group, start, end };
        assert_eq!(s.batches()[0].runs, [run(0, 0, 2), run(1, 0, 2)]);
        assert_eq!(s.batches()[1].runs, [run(0, 2, 3), run(1, 2, 3)]);
    }

    #[test]
    fn a_batch_smaller_than_the_groups_holds_one_step_of_some_groups() {
        let s = Stream::new(2..5, 2, 2);
        let runs: Vec<Vec<(u32, u32, u32)>> = s
            .batches()
            .iter()
            .map(|b| {
                b.runs
                    .iter()
                    .map(|r| (r.group, r.start, r.steps()))
                    .collect()
            })
            .collect();
        assert_eq!(
            runs,
            [
                vec![(2, 0, 1), (3, 0, 1)],
                vec![(4, 0, 1), (2, 1, 1)],
                vec![(3, 1, 1), (4, 1, 1)]
            ]
        );
    }
}
