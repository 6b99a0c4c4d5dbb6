//! `bpf-loop`: the in-kernel BPF event loop (io_uring BPF struct_ops,
//! `loop_step`, Linux 7.1+). A BPF program registered on the lane's ring runs
//! inside io_uring_enter(2): it starts every group, and each time one of a
//! group's steps completes it submits the group's next step with
//! `bpf_io_uring_submit_sqes`, without returning to userspace. The program
//! leaves every CQE in the CQ; the application enters once, then reaps and
//! verifies them in the order the kernel posted them (entering again only when
//! the CQ filled up before the groups finished). Steps are NOPs written by the
//! program itself (bpf/loop.bpf.c).

use super::{Instance, StepCtx, StepError, Style};
use crate::cell::CellSpec;
use crate::lane::Lane;
use crate::op::OpKind;
use crate::probe::{Need, BPF_LOOP};
use crate::ring::RingError;
use bpf::{EventLoop, LoopSpec};

/// The style.
pub struct BpfLoop;

impl Style for BpfLoop {
    fn name(&self) -> &'static str {
        "bpf-loop"
    }
    fn about(&self) -> &'static str {
        "a BPF struct_ops loop in io_uring_enter submits step k+1 on step k's CQE (7.1+)"
    }
    fn needs(&self, cell: &CellSpec) -> Result<Vec<Need>, String> {
        let mode = cell.mode.mode;
        if mode.sqpoll {
            return Err("the io_uring BPF loop is refused on SQPOLL rings".into());
        }
        if !mode.defer_taskrun {
            return Err("the io_uring BPF loop runs only on DEFER_TASKRUN rings".into());
        }
        if cell.op != OpKind::Nop || cell.forced_async {
            return Err("the io_uring BPF loop submits plain NOP steps only".into());
        }
        let per_lane = (0..cell.shape.submitters)
            .map(|i| cell.lane_groups(i).len() as u32)
            .max()
            .unwrap_or(0);
        if per_lane > bpf::MAX_LOOP_GROUPS {
            return Err(format!(
                "the io_uring BPF loop drives at most {} groups per ring",
                bpf::MAX_LOOP_GROUPS
            ));
        }
        Ok(vec![Need::Feature(BPF_LOOP)])
    }
    /// The whole pass runs inside one enter: the program submits each next
    /// step from the kernel.
    fn enter_budget(&self, _: &CellSpec) -> u32 {
        1
    }
    fn instance(&self, cell: &CellSpec, lane: &Lane) -> Result<Box<dyn Instance>, StepError> {
        let ring = lane.ring();
        let (sq_entries, cq_entries) = ring.entries();
        let event_loop = EventLoop::load(&LoopSpec {
            ring_fd: ring.fd(),
            sq_entries,
            cq_entries,
            groups: lane.groups(),
            steps: cell.shape.steps,
        })
        .map_err(|e| StepError::Setup(e.to_string()))?;
        Ok(Box::new(Run {
            _event_loop: event_loop,
        }))
    }
}

struct Run {
    /// Registered on the lane's ring for as long as the instance lives.
    _event_loop: EventLoop,
}

impl Instance for Run {
    fn run(&mut self, lane: &Lane, ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        loop {
            run_loop(lane)?;
            let reaped = ctx.submit_and_reap(lane, &[], 0, |_| {})?;
            if ctx
                .stream
                .groups()
                .all(|g| ctx.log.completed(g) == ctx.stream.steps)
            {
                return Ok(());
            }
            if reaped == 0 {
                return Err(StepError::StepsMissing(
                    "the BPF loop stopped with steps missing and nothing to reap".into(),
                ));
            }
        }
    }
}

/// Enters the ring: with the program registered, io_uring_enter runs its loop
/// until it stops. A signal interrupts it (EINTR); it resumes unless the cell
/// was cancelled.
fn run_loop(lane: &Lane) -> Result<(), RingError> {
    let fd = lane.ring().fd();
    loop {
        let source = match crate::sys::io_uring_enter(fd, 0, 0, 0) {
            Ok(_) => return Ok(()),
            Err(source) => source,
        };
        if source.raw_os_error() != Some(libc::EINTR) {
            return Err(RingError::Sys {
                what: "io_uring_enter (BPF loop)",
                source,
            });
        }
        if lane.cancel().is_cancelled() {
            return Err(RingError::Cancelled);
        }
    }
}
