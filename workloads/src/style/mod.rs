//! Ordering styles: one type per style behind the [`Style`] trait, listed once in
//! [`STYLES`]. A style turns the application's stream of steps (see [`Stream`])
//! into submissions and reacts to completions; the runner around it times it and
//! the verifier checks what the kernel did.

mod bpf_loop;
mod broken;
mod chain;
mod flagged;
mod fresh_process;
mod futex;
mod futex_syscall;
mod futex_words;
mod handoff;
mod helper;
mod msg_ring;
mod stall;
mod sync_group;
mod userspace;

pub use broken::BROKEN_SUFFIX;

use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::Ops;
use crate::probe::Need;
use crate::ring::RingError;
use crate::userdata::{Tag, UserData};
use crate::verify::OrderLog;
use io_uring::squeue::Entry;
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
    /// A style-specific failure (a helper thread died, a lost wakeup...).
    #[error("{0}")]
    Style(String),
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
}

impl StepCtx<'_> {
    /// Submits `entries`, waits for `want` ready CQEs, and hands every reaped
    /// completion to `on` (step completions are checked and logged first).
    pub fn submit_and_reap(
        &mut self,
        lane: &Lane,
        entries: &[Entry],
        want: u32,
        mut on: impl FnMut(Completion),
    ) -> Result<usize, StepError> {
        lane.submit_and_wait(entries, want)?;
        let mut failure = None;
        let n = lane.reap(|user_data, res| match UserData::decode(user_data) {
            Some(UserData {
                tag: Tag::Step,
                group,
                seq,
            }) => {
                if !self.ops.succeeded(res) {
                    failure.get_or_insert(StepError::Failed { group, seq, res });
                }
                self.log.complete(group, seq);
                on(Completion::Step { group, seq });
            }
            Some(UserData {
                tag: Tag::Aux,
                group,
                seq,
            }) => on(Completion::Aux { group, seq, res }),
            Some(UserData {
                tag: Tag::Msg,
                group,
                seq,
            }) => on(Completion::Msg { group, seq }),
            None => {
                failure.get_or_insert(StepError::Unexpected(user_data));
            }
        })?;
        failure.map_or(Ok(n), Err)
    }

    /// Steps of this lane's groups that have not completed yet: a lower bound
    /// of the CQEs still to come, hence a wait that never waits too long.
    pub fn outstanding(&self) -> u32 {
        self.stream
            .groups()
            .map(|g| self.stream.steps - self.log.completed(g))
            .sum()
    }

    /// Waits until every step of the lane completed, reaping as it goes. Each
    /// wait asks for every outstanding step at once, so that a DEFER_TASKRUN
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

/// One ordering style. Implementations are small types listed in [`STYLES`].
pub trait Style: Send + Sync {
    /// Name used in configs and results.
    fn name(&self) -> &'static str;
    /// One line for `bench-runner list`.
    fn about(&self) -> &'static str;
    /// Variants selectable in configs (`sync-group:queue`); empty when none.
    fn variants(&self) -> &'static [&'static str] {
        &[]
    }
    /// Labels every output must show for this style's cells (e.g. `emulated`).
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
    /// What the style needs beyond the op and the mode, or why it does not
    /// apply to this cell at all (`Err` is the reason).
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        let _ = cell;
        Ok(Vec::new())
    }
    /// The helper threads the style starts for each lane of `cell`, in the
    /// order they take the placement's helper slots. Every thread a style
    /// starts is declared here: the placement pins it, the results record its
    /// CPU, and its busy flag decides whether the cell is oversubscribed.
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
    fn enter_budget(&self, cell: &CellSpec) -> u32;
    /// Sets up per-lane state (threads, extra rings, futex words) for a cell.
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError>;
}

/// A style set up for one lane of one cell; runs the lane's whole stream once per call.
pub trait Instance: Send {
    /// Runs every step of the stream once, returning when all have completed.
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError>;
}

/// Every style, in the order `list` and reports show them.
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

/// Finds a style by name.
pub fn find(name: &str) -> Option<&'static dyn Style> {
    STYLES.iter().copied().find(|s| s.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

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
