//! The raw reference loop: the stream of NOPs a style submits, driven straight
//! on the io-uring crate the way a careful liburing user would, with none of
//! the harness (no Lane, no Ring wrapper, no StepCtx, no verifier). The sweep
//! runs it beside a cell so that the tool states its own overhead:
//! `harness_overhead` = the cell's ns/step ÷ this loop's ns/step.
//!
//! The loop makes one `submit_and_wait` per batch of the same [`Stream`] the
//! styles see, waiting for exactly what the next decision needs:
//! - `independent`, `drain`: nothing until the last batch, then every
//!   completion of the pass;
//! - `link`, `hardlink`: the CQEs still outstanding of the groups whose chains
//!   the next batch continues (after the last batch: all);
//! - `userspace`: one step per free group per submission, then one CQE.
//!
//! A second variant of the same loop hands every completion to an
//! [`OrderLog`] and takes its verdict after every pass, so the order check's
//! own cost is measured too. Each variant's passes are timed as one block, as
//! the harness times a repetition.
//!
//! Threads: the rings belong to the thread that starts a [`ReferenceRun`]
//! (DEFER_TASKRUN's single issuer, the registered ring fd) and every pass runs
//! on it; [`run_placed`] runs it on a thread pinned where the cell's
//! submitter runs, its SQPOLL thread where the cell's runs.

use crate::cell::{ring_size, CellError, CellSpec};
use crate::mode::Mode;
use crate::op::OpKind;
use crate::placement::{pin_to, Role};
use crate::ring::RingError;
use crate::style::{StepError, Stream};
use crate::userdata::{Tag, UserData};
use crate::verify::OrderLog;
use io_uring::cqueue::CompletionQueue;
use io_uring::squeue::{Entry, Flags, SubmissionQueue};
use io_uring::{opcode, IoUring, Submitter};
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Why a cell has no raw reference loop.
#[derive(thiserror::Error, Clone, Debug, PartialEq, Eq)]
pub enum NoReference {
    /// Only independent, link, hardlink, drain and userspace (without variants) have one.
    #[error("style {0} has no raw reference loop")]
    Style(String),
    /// Only NOPs, which need no buffers, files or timers.
    #[error("op {0} has no raw reference loop (nop only)")]
    Op(&'static str),
    /// Forcing NOPs through io-wq measures io-wq, not the harness.
    #[error("steps forced through io-wq have no raw reference loop")]
    ForcedAsync,
    /// The loop has one submitter.
    #[error("{0} submitters: the raw reference loop has one")]
    Submitters(u32),
}

/// How a style's ordering maps onto the raw loop.
#[derive(Clone, Copy, Debug)]
enum Discipline {
    /// Every step carries these flags; nothing is waited for until the pass ends.
    Flagged(Flags),
    /// A group's steps in one batch form one chain, this flag on all but the
    /// last; a batch waits for the chains it continues.
    Chain(Flags),
    /// A group's next step is submitted only after its previous one completed.
    Userspace,
}

fn discipline(cell: &CellSpec) -> Result<Discipline, NoReference> {
    if cell.op != OpKind::Nop {
        return Err(NoReference::Op(cell.op.name()));
    }
    if cell.forced_async {
        return Err(NoReference::ForcedAsync);
    }
    if cell.shape.submitters != 1 {
        return Err(NoReference::Submitters(cell.shape.submitters));
    }
    let name = cell.style.name();
    if !cell.variant.is_empty() {
        return Err(NoReference::Style(format!("{name}:{}", cell.variant)));
    }
    match name {
        "independent" => Ok(Discipline::Flagged(Flags::empty())),
        "drain" => Ok(Discipline::Flagged(Flags::IO_DRAIN)),
        "link" => Ok(Discipline::Chain(Flags::IO_LINK)),
        "hardlink" => Ok(Discipline::Chain(Flags::IO_HARDLINK)),
        "userspace" => Ok(Discipline::Userspace),
        _ => Err(NoReference::Style(name.to_string())),
    }
}

/// Whether `cell` has a raw reference loop, or why not.
pub fn applies(cell: &CellSpec) -> Result<(), NoReference> {
    discipline(cell).map(drop)
}

/// What some passes of the raw loop took, in both variants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceMeasurement {
    /// Passes of each variant.
    pub passes: u64,
    /// Steps each variant executed.
    pub steps: u64,
    /// Wall-clock ns of the plain loop's passes.
    pub wall_ns: u64,
    /// Wall-clock ns of the passes that also checked the order.
    pub checked_wall_ns: u64,
}

/// What the loop does with a step's completion besides counting it: nothing
/// (the raw loop) or recording it for the order check.
trait Check {
    fn complete(&mut self, group: u32, seq: u32);
}

/// The plain loop: no order check.
struct Unchecked;

impl Check for Unchecked {
    #[inline(always)]
    fn complete(&mut self, _: u32, _: u32) {}
}

impl Check for OrderLog {
    #[inline]
    fn complete(&mut self, group: u32, seq: u32) {
        OrderLog::complete(self, group, seq);
    }
}

/// The order check's verdict on one pass.
fn verdict(log: &OrderLog) -> Result<(), CellError> {
    if let Some(v) = log.violation() {
        return Err(CellError::Violation(v.clone()));
    }
    if !log.all_done() {
        return Err(CellError::StepsMissing);
    }
    Ok(())
}

/// Steps submitted whose CQE was not reaped yet.
struct Flight {
    /// Per group.
    outstanding: Vec<u32>,
    /// Over all groups.
    total: u32,
}

impl Flight {
    fn submitted(&mut self, group: u32) {
        self.outstanding[group as usize] += 1;
        self.total += 1;
    }

    /// Takes one CQE off the books and hands its step to `check`; returns its
    /// group. A failed step or a word this loop never wrote is an error.
    fn complete(
        &mut self,
        check: &mut impl Check,
        user_data: u64,
        res: i32,
    ) -> Result<u32, CellError> {
        let step = UserData::decode(user_data)
            .filter(|d| d.tag == Tag::Step)
            .filter(|d| {
                self.outstanding
                    .get(d.group as usize)
                    .is_some_and(|&n| n > 0)
            });
        let Some(UserData { group, seq, .. }) = step else {
            return Err(CellError::Step(StepError::Unexpected(user_data)));
        };
        if res != 0 {
            return Err(CellError::Step(StepError::Failed { group, seq, res }));
        }
        check.complete(group, seq);
        self.outstanding[group as usize] -= 1;
        self.total -= 1;
        Ok(group)
    }
}

/// One submission of the stream, laid out once: its steps in submission
/// order with their SQE flags, and the groups it carries.
struct Submission {
    steps: Vec<(u32, u32, Flags)>,
    groups: Vec<u32>,
}

/// The ring as one pass drives it: its submitter and both queues.
struct Driver<'r> {
    submitter: Submitter<'r>,
    sq: SubmissionQueue<'r>,
    cq: CompletionQueue<'r>,
}

fn enter_error(source: std::io::Error) -> CellError {
    CellError::Step(StepError::Ring(RingError::Sys {
        what: "io_uring_enter",
        source,
    }))
}

impl Driver<'_> {
    /// Queues `entries` whole, hands everything queued to the kernel and waits
    /// until `want` CQEs are ready.
    fn submit_and_wait(&mut self, entries: &[Entry], want: u32) -> Result<(), CellError> {
        self.sq.sync();
        while self.sq.capacity() - self.sq.len() < entries.len() {
            // Only an SQPOLL thread leaves SQEs behind: wait until it made room.
            self.submitter.squeue_wait().map_err(enter_error)?;
            self.sq.sync();
        }
        // SAFETY: NOP SQEs point at no memory.
        unsafe { self.sq.push_multiple(entries) }.expect("room was checked");
        self.sq.sync();
        loop {
            match self.submitter.submit_and_wait(want as usize) {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(enter_error(e)),
            }
        }
    }

    /// Takes every ready CQE off the ring.
    fn reap(&mut self, flight: &mut Flight, check: &mut impl Check) -> Result<(), CellError> {
        self.cq.sync();
        for cqe in &mut self.cq {
            flight.complete(check, cqe.user_data(), cqe.result())?;
        }
        self.cq.sync();
        Ok(())
    }
}

fn nop(group: u32, seq: u32) -> Entry {
    opcode::Nop::new()
        .build()
        .user_data(UserData::step(group, seq))
}

/// The loop's state between passes: the stream laid out, and what is in flight.
struct Loop {
    discipline: Discipline,
    stream: Stream,
    batches: Vec<Submission>,
    flight: Flight,
    /// Userspace: the next seq to submit, per group.
    next: Vec<u32>,
    entries: Vec<Entry>,
}

impl Loop {
    fn new(discipline: Discipline, stream: Stream) -> Loop {
        let groups = stream.groups().end as usize;
        let batches = stream
            .batches()
            .iter()
            .filter_map(|batch| match discipline {
                Discipline::Flagged(flags) => Some(Submission {
                    steps: batch.steps.iter().map(|&(g, s)| (g, s, flags)).collect(),
                    groups: Vec::new(),
                }),
                Discipline::Chain(flag) => Some(Submission {
                    steps: batch
                        .runs
                        .iter()
                        .flat_map(|run| {
                            run.seqs().map(move |s| {
                                let linked = if s < run.last() { flag } else { Flags::empty() };
                                (run.group, s, linked)
                            })
                        })
                        .collect(),
                    groups: batch.runs.iter().map(|run| run.group).collect(),
                }),
                // Its submissions follow the completions, not the batches.
                Discipline::Userspace => None,
            })
            .collect();
        Loop {
            discipline,
            batches,
            flight: Flight {
                outstanding: vec![0; groups],
                total: 0,
            },
            next: vec![0; groups],
            entries: Vec::with_capacity(stream.batch as usize),
            stream,
        }
    }

    /// Runs every step of the stream once; returns when all have completed.
    fn pass(&mut self, ring: &mut Driver<'_>, check: &mut impl Check) -> Result<(), CellError> {
        match self.discipline {
            Discipline::Userspace => self.userspace_pass(ring, check),
            Discipline::Flagged(_) | Discipline::Chain(_) => self.batched_pass(ring, check),
        }
    }

    /// What must complete before the batch after `index` may be submitted:
    /// for chains, whatever is outstanding of the groups it continues; after
    /// the last batch, everything.
    fn want_after(&self, index: usize) -> u32 {
        match (self.batches.get(index + 1), self.discipline) {
            (None, _) => self.flight.total,
            (Some(next), Discipline::Chain(_)) => next
                .groups
                .iter()
                .map(|&g| self.flight.outstanding[g as usize])
                .sum(),
            (Some(_), _) => 0,
        }
    }

    fn batched_pass(
        &mut self,
        ring: &mut Driver<'_>,
        check: &mut impl Check,
    ) -> Result<(), CellError> {
        for index in 0..self.batches.len() {
            self.entries.clear();
            for &(g, s, flags) in &self.batches[index].steps {
                self.entries.push(nop(g, s).flags(flags));
                self.flight.submitted(g);
            }
            ring.submit_and_wait(&self.entries, self.want_after(index))?;
            ring.reap(&mut self.flight, check)?;
            // Other groups' CQEs count towards a wait too: wait on until the
            // ones the next decision needs are in.
            loop {
                let want = self.want_after(index);
                if want == 0 {
                    break;
                }
                ring.submit_and_wait(&[], want)?;
                ring.reap(&mut self.flight, check)?;
            }
        }
        Ok(())
    }

    fn userspace_pass(
        &mut self,
        ring: &mut Driver<'_>,
        check: &mut impl Check,
    ) -> Result<(), CellError> {
        let steps = self.stream.steps;
        let batch = self.stream.batch as usize;
        self.next.iter_mut().for_each(|n| *n = 0);
        loop {
            self.entries.clear();
            for g in self.stream.groups() {
                let gi = g as usize;
                let free = self.flight.outstanding[gi] == 0;
                if free && self.next[gi] < steps && self.entries.len() < batch {
                    self.entries.push(nop(g, self.next[gi]));
                    self.next[gi] += 1;
                    self.flight.submitted(g);
                }
            }
            if self.flight.total == 0 {
                return Ok(());
            }
            ring.submit_and_wait(&self.entries, 1)?;
            ring.reap(&mut self.flight, check)?;
        }
    }
}

/// The raw loop of one cell, set up on the calling thread and ready to run
/// passes there (it cannot be sent to another thread).
pub struct ReferenceRun {
    /// Declared first: dropped before the poller whose SQPOLL thread it shares.
    ring: IoUring,
    _poller: Option<IoUring>,
    registered: bool,
    steps_per_pass: u64,
    state: Loop,
    log: OrderLog,
    _this_thread: PhantomData<*const ()>,
}

impl ReferenceRun {
    /// Builds the cell's rings for its mode on the calling thread: a shared
    /// SQPOLL mode attaches to a poller ring of its own, as the cell does.
    pub fn start(cell: &CellSpec) -> Result<ReferenceRun, CellError> {
        let discipline = discipline(cell).map_err(|e| CellError::Setup(e.to_string()))?;
        let setup = |what: &str, e: std::io::Error| CellError::Setup(format!("{what}: {e}"));
        let sqpoll_cpu = cell.sqpoll_cpu();
        let poller = if cell.mode.mode.shared_poller {
            let mut builder = IoUring::builder();
            Mode::SQPOLL
                .configure(&mut builder, None, sqpoll_cpu)
                .and_then(|()| builder.build(8))
                .map(Some)
                .map_err(|e| setup("SQPOLL poller ring", e))?
        } else {
            None
        };
        let (groups, steps) = (cell.shape.groups, cell.shape.steps);
        let size = ring_size(cell, cell.shape.steps_per_pass());
        let mut builder = IoUring::builder();
        builder.setup_cqsize(size.cq);
        let ring = cell
            .mode
            .mode
            .configure(
                &mut builder,
                poller.as_ref().map(|p| p.as_raw_fd()),
                sqpoll_cpu,
            )
            .and_then(|()| builder.build(size.sq))
            .map_err(|e| setup("reference ring", e))?;
        let stream = Stream::new(0..groups, steps, cell.shape.batch);
        Ok(ReferenceRun {
            ring,
            _poller: poller,
            registered: cell.mode.registered,
            steps_per_pass: u64::from(cell.shape.steps_per_pass()),
            state: Loop::new(discipline, stream),
            log: OrderLog::new(groups, steps),
            _this_thread: PhantomData,
        })
    }

    /// Runs `passes` passes of the plain loop, then as many with the order
    /// check (reset, record, verdict: all of it timed, as in the harness),
    /// each block timed as a whole with one clock read at either end. Stops
    /// with [`CellError::Interrupted`] before a block once `interrupt` is set.
    pub fn measure(
        &mut self,
        passes: u64,
        interrupt: &AtomicBool,
    ) -> Result<ReferenceMeasurement, CellError> {
        let (submitter, sq, cq) = self.ring.split();
        let mut ring = Driver { submitter, sq, cq };
        if self.registered {
            ring.submitter
                .register_ring_fd()
                .map_err(|e| CellError::Setup(format!("registering the ring fd: {e}")))?;
        }
        let state = &mut self.state;
        let log = &mut self.log;
        let mut block = |check: bool| -> Result<u64, CellError> {
            if interrupt.load(Ordering::Relaxed) {
                return Err(CellError::Interrupted);
            }
            let start = Instant::now();
            for _ in 0..passes {
                if check {
                    log.reset();
                    state.pass(&mut ring, log)?;
                    verdict(log)?;
                } else {
                    state.pass(&mut ring, &mut Unchecked)?;
                }
            }
            Ok(start.elapsed().as_nanos() as u64)
        };
        let outcome = block(false).and_then(|wall_ns| Ok((wall_ns, block(true)?)));
        if self.registered {
            // A failure only keeps the ring registered until this thread exits.
            let _ = ring.submitter.unregister_ring_fd();
        }
        let (wall_ns, checked_wall_ns) = outcome?;
        Ok(ReferenceMeasurement {
            passes,
            steps: passes * self.steps_per_pass,
            wall_ns,
            checked_wall_ns,
        })
    }
}

/// Runs `work` on a thread of its own that sits where the cell's submitter 0
/// sits (its placement), with a [`ReferenceRun`] of the cell built on that
/// thread; the SQPOLL thread, when the mode has one, is where the cell's is.
/// So the raw loop and the cell it is compared with run on the same CPUs.
pub fn run_placed<T: Send>(
    cell: &CellSpec,
    work: impl FnOnce(&mut ReferenceRun) -> Result<T, CellError> + Send,
) -> Result<T, CellError> {
    let cpu = cell.placement.cpu(cell.roles(), Role::Submitter(0));
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("reference".into())
            .spawn_scoped(scope, || {
                pin_to(cpu).map_err(|e| CellError::Setup(format!("reference: {e}")))?;
                work(&mut ReferenceRun::start(cell)?)
            })
            .map_err(|e| CellError::Setup(format!("spawn: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(CellError::ThreadDied("reference")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Source;
    use results_schema::ReasonCode;

    fn flight(groups: usize, each: u32) -> Flight {
        Flight {
            outstanding: vec![each; groups],
            total: each * groups as u32,
        }
    }

    #[test]
    fn the_checked_loop_catches_a_swapped_completion() {
        let mut log = OrderLog::new(2, 3);
        let mut books = flight(2, 3);
        for (g, s) in [(0, 0), (1, 0), (0, 2), (1, 1), (0, 1), (1, 2)] {
            assert_eq!(
                books.complete(&mut log, UserData::step(g, s), 0).unwrap(),
                g
            );
        }
        assert_eq!(books.total, 0);
        match verdict(&log) {
            Err(CellError::Violation(v)) => assert_eq!(
                (v.group, v.expected, v.got, v.source),
                (0, 1, 2, Source::Cqe)
            ),
            other => panic!("expected a violation, got {other:?}"),
        }
    }

    #[test]
    fn the_checked_loop_passes_the_order_it_was_given() {
        let mut log = OrderLog::new(1, 3);
        let mut books = flight(1, 3);
        for s in 0..3 {
            books.complete(&mut log, UserData::step(0, s), 0).unwrap();
        }
        assert!(verdict(&log).is_ok());
        log.reset();
        let mut books = flight(1, 1);
        books.complete(&mut log, UserData::step(0, 0), 0).unwrap();
        assert!(
            matches!(verdict(&log), Err(CellError::StepsMissing)),
            "steps missing"
        );
    }

    #[test]
    fn failed_steps_and_foreign_completions_are_errors() {
        let mut books = flight(2, 1);
        let failed = books.complete(&mut Unchecked, UserData::step(1, 0), -libc::EINVAL);
        let failed = failed.unwrap_err();
        assert_eq!(failed.code(), ReasonCode::StepFailed, "{failed}");
        assert!(
            failed.to_string().contains("group 1 seq 0 failed"),
            "{failed}"
        );
        for word in [0, UserData::aux(0, 0), UserData::step(7, 0)] {
            let got = books.complete(&mut Unchecked, word, 0).unwrap_err();
            assert_eq!(got.code(), ReasonCode::UnexpectedCompletion, "{word:#x}");
        }
    }
}
