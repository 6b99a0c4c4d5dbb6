//! The counters the profile probes keep, as a report-ready struct.
//!
//! One table (the `counters!` invocation below) names each counter, its slot
//! in the BPF `counters` map (the `enum counter` of bpf/profile.bpf.c, in the
//! same order) and the tracepoints it is counted from, so the struct, the
//! stable report names and the slot numbers cannot drift apart.

use serde::{Deserialize, Serialize};

/// One counter of the BPF `counters` map.
pub(crate) struct Counter {
    /// Slot in the BPF `counters` per-CPU array.
    pub(crate) slot: u32,
    /// Tracepoints whose programs feed it: if one is missing in the running
    /// kernel, the counter is missing too.
    pub(crate) needs: &'static [&'static str],
}

macro_rules! counters {
    ($($(#[doc = $doc:literal])+ $field:ident = $slot:literal from [$($tracepoint:literal),+],)+) => {
        /// Event counts of one process over one cell, from the profile pass's
        /// BPF probes. `None` marks a counter whose tracepoint this kernel
        /// lacks (serialised as `null`), never a zero.
        #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
        pub struct ProbeCounts {
            $($(#[doc = $doc])+ pub $field: Option<u64>,)+
        }

        /// Every counter, in slot order.
        pub(crate) const COUNTERS: &[Counter] = &[
            $(Counter { slot: $slot, needs: &[$($tracepoint),+] },)+
        ];

        impl ProbeCounts {
            /// Every counter under its stable report name, in a fixed order,
            /// so reports and result files name them the same way.
            pub fn entries(&self) -> Vec<(&'static str, Option<u64>)> {
                vec![$((stringify!($field), self.$field),)+]
            }

            /// Builds the counts from one value per counter, in slot order.
            pub(crate) fn from_slots(values: &[Option<u64>; COUNTERS.len()]) -> ProbeCounts {
                ProbeCounts { $($field: values[$slot],)+ }
            }
        }
    };
}

counters! {
    /// Requests submitted (`io_uring_submit_req`), by the app or the SQPOLL thread.
    submit_req = 0 from ["io_uring_submit_req"],
    /// CQEs posted for the process's rings (`io_uring_complete`).
    complete = 1 from ["io_uring_complete"],
    /// Requests punted to io-wq (`io_uring_queue_async_work`).
    queue_async_work = 2 from ["io_uring_queue_async_work"],
    /// Poll-armed requests woken and queued as task_work
    /// (`io_uring_task_add`), from whatever context woke them.
    task_add = 3 from ["io_uring_task_add"],
    /// Runs of io_uring's per-task task_work queue that ran at least one
    /// item (`io_uring_task_work_run`; SQPOLL traces an empty one per poll).
    task_work_run = 4 from ["io_uring_task_work_run"],
    /// DEFER_TASKRUN local work runs that ran at least one item
    /// (`io_uring_local_work_run`).
    local_work_run = 5 from ["io_uring_local_work_run"],
    /// Requests linked behind another (`io_uring_link`): steps minus chain heads.
    link = 6 from ["io_uring_link"],
    /// Linked requests cancelled because an earlier one failed (`io_uring_fail_link`).
    fail_link = 7 from ["io_uring_fail_link"],
    /// Waits in io_uring_enter that found too few CQEs and had to wait
    /// (`io_uring_cqring_wait`).
    cqring_wait = 8 from ["io_uring_cqring_wait"],
    /// Requests held back by IOSQE_IO_DRAIN (`io_uring_defer`).
    defer = 9 from ["io_uring_defer"],
    /// Context switches away from the process's own threads.
    ctx_switches_app = 10 from ["sched_switch"],
    /// Context switches away from its SQPOLL threads (comm `iou-sqp-*`).
    ctx_switches_sqp = 11 from ["sched_switch"],
    /// Context switches away from its io-wq workers (comm `iou-wrk-*`).
    ctx_switches_wrk = 12 from ["sched_switch"],
    /// Wakeups of any of its threads.
    wakeups = 13 from ["sched_wakeup"],
    /// Wakeups of its threads onto a CPU other than the waker's: the
    /// visible trace of cache-line bouncing where hardware counters are missing.
    wakeups_cross_cpu = 14 from ["sched_waking", "sched_wakeup"],
    /// System calls made by any of its threads (`sys_enter`).
    syscalls = 15 from ["sys_enter"],
    /// Of those, `io_uring_enter(2)` calls: what SQPOLL saves and
    /// batching amortises.
    io_uring_enter = 16 from ["sys_enter"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_table_order_and_names_are_fields() {
        for (index, counter) in COUNTERS.iter().enumerate() {
            assert_eq!(counter.slot as usize, index);
        }
        let mut values = [None; COUNTERS.len()];
        for (index, value) in values.iter_mut().enumerate() {
            *value = Some(index as u64 * 10);
        }
        let counts = ProbeCounts::from_slots(&values);
        let entries = counts.entries();
        assert_eq!(entries.len(), COUNTERS.len());
        for ((_, value), counter) in entries.iter().zip(COUNTERS) {
            assert_eq!(*value, Some(u64::from(counter.slot) * 10));
        }
        assert_eq!(entries[0].0, "submit_req");
        assert_eq!(entries[14].0, "wakeups_cross_cpu");
        assert_eq!(counts.defer, Some(90));
        assert_eq!(counts.wakeups_cross_cpu, Some(140));
    }

    #[test]
    fn missing_counters_serialise_as_null() {
        let counts = ProbeCounts {
            submit_req: Some(3),
            ..ProbeCounts::default()
        };
        let json = serde_json::to_value(&counts).unwrap();
        assert_eq!(json["submit_req"], 3);
        assert!(json["local_work_run"].is_null());
        let back: ProbeCounts = serde_json::from_value(json).unwrap();
        assert_eq!(back, counts);
    }
}
