//! Where a step's cost goes: the sources the cost chart stacks and the mail
//! tabulates, each summed from the profile pass's probes (the bpf crate's
//! stable report names) or, when no probe of it was recorded, from perf
//! counters.

use crate::schema::Profile;

/// One source of cost per step.
pub struct CostSource {
    /// Name in legends and notes.
    pub name: &'static str,
    /// Column header in the mail's fixed-width table (at most 8 columns).
    pub short: &'static str,
    probes: &'static [&'static str],
    counters: &'static [&'static str],
}

/// Every source, in stacking order.
pub const COST_SOURCES: &[CostSource] = &[
    CostSource {
        name: "syscalls",
        short: "syscalls",
        probes: &["syscalls"],
        counters: &[],
    },
    CostSource {
        name: "task_work runs",
        short: "tw runs",
        probes: &["task_work_run", "local_work_run"],
        counters: &[],
    },
    CostSource {
        name: "io-wq punts",
        short: "io-wq",
        probes: &["queue_async_work"],
        counters: &[],
    },
    CostSource {
        name: "context switches",
        short: "ctx sw",
        probes: &["ctx_switches_app", "ctx_switches_sqp", "ctx_switches_wrk"],
        counters: &["context-switches"],
    },
    CostSource {
        name: "cross-CPU wakeups",
        short: "x-CPU wk",
        probes: &["wakeups_cross_cpu"],
        counters: &[],
    },
];

impl CostSource {
    /// Events per step of this source in a profile, `None` when not recorded.
    pub fn per_step(&self, profile: &Profile) -> Option<f64> {
        let probes: Vec<f64> = self
            .probes
            .iter()
            .filter_map(|p| profile.probes_per_step.get(*p).copied())
            .collect();
        if !probes.is_empty() {
            return Some(probes.iter().sum());
        }
        let counters: Vec<f64> = profile
            .counters
            .iter()
            .filter(|c| self.counters.contains(&c.name.as_str()))
            .filter_map(|c| c.per_step)
            .collect();
        (!counters.is_empty()).then(|| counters.iter().sum())
    }
}
