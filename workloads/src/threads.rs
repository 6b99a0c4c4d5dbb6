//! The threads a cell runs, by role, each with the CPU its placement gives it,
//! and how many of them are busy on every step. A cell with more busy threads
//! than CPUs to run them on is oversubscribed: it still runs, but its threads
//! take turns on a CPU, so its number measures the scheduler as much as the
//! style. Those CPUs are the ones its busy threads are pinned to: with the
//! spread, as many as the cell may use (or as it has busy threads); fewer when
//! a declared placement stacks threads on one CPU.
//!
//! Busy threads are the submitters, the SQPOLL threads (one per ring that has
//! its own; one in all with a shared poller) and the helpers a style declares
//! busy. io-wq workers are not counted: they block rather than spin.

use crate::cell::CellSpec;
use crate::placement::Role;
use crate::style::{Helper, HelperRole};

/// A cell's threads and their CPUs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellThreads {
    /// The CPUs the cell may use, ascending.
    pub cpus: Vec<usize>,
    /// The CPU of submitter `i`.
    pub submitters: Vec<usize>,
    /// The SQPOLL threads, when the mode has any.
    pub sqpoll: Option<SqpollThreads>,
    /// The helpers of the cell's style, in slot order.
    pub helpers: Vec<PlacedHelper>,
}

/// The SQPOLL threads of a cell: all on one CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqpollThreads {
    /// Their CPU (IORING_SETUP_SQ_AFF).
    pub cpu: usize,
    /// How many there are: one per ring with a poller of its own.
    pub pollers: u32,
}

/// One helper role of a cell: one thread per lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedHelper {
    /// The role and whether it is busy.
    pub helper: Helper,
    /// The CPU of the helper of lane `i`.
    pub cpus: Vec<usize>,
}

/// A cell whose busy threads outnumber the CPUs they are pinned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Oversubscription {
    /// Threads busy on every step.
    pub busy_threads: u32,
    /// Distinct CPUs those threads are pinned to.
    pub cpus: u32,
}

impl CellThreads {
    /// Every thread role of `cell` with its CPU.
    pub fn of(cell: &CellSpec) -> CellThreads {
        let roles = cell.roles();
        let lanes = cell.shape.submitters;
        let helpers = cell.style.helpers(cell);
        let cpu = |role| cell.placement.cpu(roles, role);
        CellThreads {
            cpus: cell.placement.allowed(),
            submitters: (0..lanes).map(|i| cpu(Role::Submitter(i))).collect(),
            sqpoll: roles.sqpoll.then(|| SqpollThreads {
                cpu: cpu(Role::Sqpoll),
                pollers: pollers(cell, helpers),
            }),
            helpers: (0..)
                .zip(helpers)
                .map(|(slot, &helper)| PlacedHelper {
                    helper,
                    cpus: (0..lanes)
                        .map(|lane| cpu(Role::Helper { lane, slot }))
                        .collect(),
                })
                .collect(),
        }
    }

    /// The CPU of `role`'s helper of lane `lane`, when the style has that role.
    pub fn helper_cpu(&self, lane: u32, role: HelperRole) -> Option<usize> {
        let placed = self.helpers.iter().find(|h| h.helper.role == role)?;
        placed.cpus.get(lane as usize).copied()
    }

    /// The CPU of every thread busy on every step: submitters, SQPOLL
    /// threads, busy helpers.
    pub fn busy(&self) -> Vec<usize> {
        let sqpoll = self
            .sqpoll
            .iter()
            .flat_map(|s| std::iter::repeat_n(s.cpu, s.pollers as usize));
        let helpers = self.helpers.iter().filter(|h| h.helper.busy);
        self.submitters
            .iter()
            .copied()
            .chain(sqpoll)
            .chain(helpers.flat_map(|h| h.cpus.iter().copied()))
            .collect()
    }

    /// The oversubscription, when busy threads outnumber their CPUs.
    pub fn oversubscription(&self) -> Option<Oversubscription> {
        let busy = self.busy();
        let cpus: std::collections::BTreeSet<usize> = busy.iter().copied().collect();
        let o = Oversubscription {
            busy_threads: busy.len() as u32,
            cpus: cpus.len() as u32,
        };
        (o.busy_threads > o.cpus).then_some(o)
    }
}

/// SQPOLL threads of an SQPOLL cell: one shared poller, or one per lane ring
/// (one for a shared ring) plus one per helper ring set up in the mode.
fn pollers(cell: &CellSpec, helpers: &[Helper]) -> u32 {
    if cell.mode.mode.shared_poller {
        return 1;
    }
    let lanes = cell.shape.submitters;
    let lane_rings = if cell.shares_ring() { 1 } else { lanes };
    let helper_rings = helpers.iter().filter(|h| h.mode_ring).count() as u32;
    lane_rings + lanes * helper_rings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{Shape, Sharing};
    use crate::mode::ModeSpec;
    use crate::op::OpKind;
    use crate::placement::Placement;
    use crate::style;

    fn cell(style: &str, variant: &str, mode: &str, submitters: u32, sharing: Sharing) -> CellSpec {
        CellSpec {
            style: style::find(style).unwrap(),
            variant: variant.into(),
            mode: ModeSpec::parse(mode).unwrap(),
            op: OpKind::Nop,
            forced_async: false,
            shape: Shape {
                groups: 4,
                steps: 8,
                batch: 4,
                submitters,
                sharing,
            },
            ring_entries: 64,
            placement: Placement::spread_over(vec![0, 1]),
            fsync_dir: crate::op::DEFAULT_FSYNC_DIR.into(),
        }
    }

    fn busy(style: &str, variant: &str, mode: &str) -> usize {
        CellThreads::of(&cell(style, variant, mode, 1, Sharing::PerSubmitter))
            .busy()
            .len()
    }

    #[test]
    fn busy_threads_count_submitters_pollers_and_busy_helpers() {
        assert_eq!(busy("link", "", "default"), 1);
        assert_eq!(busy("link", "", "sqpoll"), 2);
        assert_eq!(busy("sync-group", "queue", "default"), 1);
        assert_eq!(busy("sync-group", "append", "default"), 2);
        assert_eq!(busy("sync-group", "append", "sqpoll"), 3);
        assert_eq!(busy("futex-syscall", "", "default"), 2);
        // The stall watcher sleeps.
        assert_eq!(busy("futex", "shared", "default"), 1);
        // The reactor's ring has a poller of its own, unless the poller is shared.
        assert_eq!(busy("msg-ring", "step", "sqpoll"), 4);
        assert_eq!(busy("msg-ring", "step", "sqpoll-shared"), 3);
    }

    #[test]
    fn several_submitters_have_a_poller_per_ring() {
        let per = cell("link", "", "sqpoll", 2, Sharing::PerSubmitter);
        let shared = cell("link", "", "sqpoll", 2, Sharing::Shared);
        assert_eq!(CellThreads::of(&per).busy(), vec![0, 1, 0, 0]);
        assert_eq!(CellThreads::of(&shared).busy(), vec![0, 1, 0]);
        let o = CellThreads::of(&per).oversubscription().unwrap();
        assert_eq!((o.busy_threads, o.cpus), (4, 2));
    }

    #[test]
    fn threads_are_placed_by_role() {
        let t = CellThreads::of(&cell(
            "sync-group",
            "append",
            "sqpoll",
            1,
            Sharing::PerSubmitter,
        ));
        assert_eq!(t.cpus, vec![0, 1]);
        assert_eq!(t.submitters, vec![0]);
        assert_eq!(t.sqpoll, Some(SqpollThreads { cpu: 1, pollers: 1 }));
        assert_eq!(t.helper_cpu(0, HelperRole::Completer), Some(0));
        assert_eq!(t.helper_cpu(0, HelperRole::Reactor), None);
        let fits = CellThreads::of(&cell(
            "futex-syscall",
            "",
            "default",
            1,
            Sharing::PerSubmitter,
        ));
        assert_eq!(fits.helper_cpu(0, HelperRole::Completer), Some(1));
        assert_eq!(fits.oversubscription(), None);
    }

    #[test]
    fn a_declared_placement_that_stacks_busy_threads_is_oversubscribed() {
        let mut stacked = cell("futex-syscall", "", "default", 1, Sharing::PerSubmitter);
        let cpu = crate::placement::allowed_cpus().unwrap()[0];
        stacked.placement = Placement::declared(Some(vec![cpu]), None, Some(vec![cpu])).unwrap();
        let o = CellThreads::of(&stacked).oversubscription().unwrap();
        assert_eq!((o.busy_threads, o.cpus), (2, 1));
    }
}
