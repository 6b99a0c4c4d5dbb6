//! Thread placement: which CPU each thread role of a cell runs on. A cell's
//! roles are its submitter threads, the SQPOLL thread of its rings and the
//! helper threads its style starts (completer, reactor, stall watcher). The
//! placement is declared before the cell runs and depends only on the roles a
//! cell has, never on its style, so that every style of a shape is measured on
//! the same CPUs. Every thread pins itself to its CPU when it starts; the SQPOLL
//! thread is placed by IORING_SETUP_SQ_AFF. io-wq workers are left where the
//! kernel puts them: they block rather than spin, and no style waits on one.
//!
//! The default, [`Placement::spread`], takes the CPUs the process may use
//! (`sched_getaffinity`), one CPU of every core before any SMT sibling, and
//! hands them out in order: submitter `i` on the `i`-th, the SQPOLL thread on
//! the next one after the submitters, each helper on the next after that,
//! wrapping around when there are more threads than CPUs. A declared placement
//! ([`Placement::declared`]) gives the CPUs of some roles explicitly; the roles
//! it leaves out are spread as above.

/// A thread role of a cell, as the placement resolves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Submitter thread `i` (the thread that drives lane `i`).
    Submitter(u32),
    /// The SQPOLL thread of the cell's rings (all of them share its CPU).
    Sqpoll,
    /// The helper a style starts in `slot` (its position among the style's
    /// helpers) for lane `lane`.
    Helper {
        /// The lane (submitter index) the helper serves.
        lane: u32,
        /// Its position among the style's helpers.
        slot: u32,
    },
}

/// What a placement needs to know of a cell: how many submitters it has and
/// whether its mode has an SQPOLL thread. Nothing about the style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Submitter threads.
    pub submitters: u32,
    /// Whether the mode has an SQPOLL thread, which takes the CPU after the submitters.
    pub sqpoll: bool,
}

/// Why a placement cannot be used; the message names the config key.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum PlacementError {
    /// sched_getaffinity failed or gave no CPU.
    #[error("placement: cannot tell which CPUs this process may use: {0}")]
    Affinity(String),
    /// A declared list is empty.
    #[error("placement.{key}: must list at least one CPU")]
    Empty {
        /// `submitters` or `helpers`.
        key: &'static str,
    },
    /// A declared CPU is outside the process's affinity.
    #[error("placement.{key}: CPU {cpu} is not one this process may use (allowed: {allowed})")]
    NotAllowed {
        /// `submitters`, `sqpoll` or `helpers`.
        key: &'static str,
        /// The CPU given.
        cpu: usize,
        /// The CPUs the process may use, in the kernel's list format.
        allowed: String,
    },
}

/// Where the threads of cells run: the CPUs the process may use and, per
/// role, either declared CPUs or the spread over those CPUs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The CPUs the process may use, in spread order.
    cpus: Vec<usize>,
    submitters: Option<Vec<usize>>,
    sqpoll: Option<usize>,
    helpers: Option<Vec<usize>>,
}

impl Placement {
    /// Every role spread over the CPUs the calling thread may use.
    pub fn spread() -> Result<Placement, PlacementError> {
        let cpus = allowed_cpus().map_err(|e| PlacementError::Affinity(e.to_string()))?;
        if cpus.is_empty() {
            return Err(PlacementError::Affinity(
                "no CPU in the affinity mask".into(),
            ));
        }
        Ok(Placement::spread_over(spread_order(&cpus, thread_siblings)))
    }

    /// Every role spread over `cpus`, taken in the order given (not empty).
    pub fn spread_over(cpus: Vec<usize>) -> Placement {
        assert!(!cpus.is_empty(), "a placement needs at least one CPU");
        Placement {
            cpus,
            submitters: None,
            sqpoll: None,
            helpers: None,
        }
    }

    /// The spread with the CPUs of some roles given: submitter `i` on
    /// `submitters[i % len]`, every SQPOLL thread on `sqpoll`, helper slot `k`
    /// on `helpers[k % len]` (see [`Placement::cpu`]). Each CPU must be one the
    /// calling thread may use.
    pub fn declared(
        submitters: Option<Vec<usize>>,
        sqpoll: Option<usize>,
        helpers: Option<Vec<usize>>,
    ) -> Result<Placement, PlacementError> {
        let spread = Placement::spread()?;
        let check = |key: &'static str, cpus: &[usize]| {
            if cpus.is_empty() {
                return Err(PlacementError::Empty { key });
            }
            match cpus.iter().find(|cpu| !spread.cpus.contains(cpu)) {
                Some(&cpu) => Err(PlacementError::NotAllowed {
                    key,
                    cpu,
                    allowed: cpu_list(&spread.allowed()),
                }),
                None => Ok(()),
            }
        };
        if let Some(list) = &submitters {
            check("submitters", list)?;
        }
        if let Some(cpu) = sqpoll {
            check("sqpoll", &[cpu])?;
        }
        if let Some(list) = &helpers {
            check("helpers", list)?;
        }
        Ok(Placement {
            submitters,
            sqpoll,
            helpers,
            ..spread
        })
    }

    /// The CPUs cells may use, ascending.
    pub fn allowed(&self) -> Vec<usize> {
        let mut cpus = self.cpus.clone();
        cpus.sort_unstable();
        cpus
    }

    /// The CPU of `role` in a cell with `roles`. Spread, the cell's threads
    /// take the CPUs in turn: submitters first, then the SQPOLL thread (when
    /// the mode has one), then the helpers slot by slot, each slot once per
    /// lane (slot `s` of lane `l` is helper number `s * submitters + l`).
    pub fn cpu(&self, roles: Roles, role: Role) -> usize {
        let n = roles.submitters.max(1) as usize;
        let nth = |list: &[usize], i: usize| list[i % list.len()];
        match role {
            Role::Submitter(i) => match &self.submitters {
                Some(list) => nth(list, i as usize),
                None => nth(&self.cpus, i as usize),
            },
            Role::Sqpoll => self.sqpoll.unwrap_or_else(|| nth(&self.cpus, n)),
            Role::Helper { lane, slot } => {
                let k = slot as usize * n + lane as usize;
                match &self.helpers {
                    Some(list) => nth(list, k),
                    None => nth(&self.cpus, n + usize::from(roles.sqpoll) + k),
                }
            }
        }
    }

    /// The CPUs of the submitter and of the first helper of a cell with one
    /// submitter and no SQPOLL thread: where the two-thread physical anchors
    /// run, so that they measure what a cell's submitter/completer pair pays.
    pub fn pair(&self) -> (usize, usize) {
        let roles = Roles {
            submitters: 1,
            sqpoll: false,
        };
        let helper = Role::Helper { lane: 0, slot: 0 };
        (self.cpu(roles, Role::Submitter(0)), self.cpu(roles, helper))
    }
}

/// Orders `cpus` so that one CPU of every core comes before any second SMT
/// thread of a core (then any third, ...), keeping the given order otherwise.
/// `siblings(cpu)` lists the CPUs that share `cpu`'s core, itself included.
pub fn spread_order(cpus: &[usize], siblings: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let rank = |cpu: usize| {
        siblings(cpu)
            .iter()
            .filter(|s| cpus.contains(s) && **s < cpu)
            .count()
    };
    let mut ordered: Vec<(usize, usize)> = cpus.iter().map(|&cpu| (rank(cpu), cpu)).collect();
    ordered.sort_by_key(|&(rank, _)| rank);
    ordered.into_iter().map(|(_, cpu)| cpu).collect()
}

/// The CPUs sharing `cpu`'s core, from sysfs (just `cpu` when it cannot be read).
fn thread_siblings(cpu: usize) -> Vec<usize> {
    std::fs::read_to_string(format!(
        "/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"
    ))
    .map(|list| parse_cpu_list(&list))
    .unwrap_or_else(|_| vec![cpu])
}

/// The CPUs the calling thread may run on (threads it spawns inherit them).
pub fn allowed_cpus() -> std::io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable cpu_set_t of the given size.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: the index is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Pins the calling thread to `cpu`; the error is a one-line reason.
pub fn pin_to(cpu: usize) -> Result<(), String> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(format!("cannot pin to CPU {cpu}: beyond CPU_SETSIZE"));
    }
    // SAFETY: cpu_set_t is plain data.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid cpu_set_t and `cpu` is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the given size.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "cannot pin to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// Parses the kernel's CPU list format ("0-3,8,10-11"), as in
/// `/proc/*/status` `Cpus_allowed_list` and sysfs topology files.
pub fn parse_cpu_list(list: &str) -> Vec<usize> {
    list.trim()
        .split(',')
        .filter_map(|part| match part.split_once('-') {
            Some((lo, hi)) => Some(lo.parse().ok()?..=hi.parse().ok()?),
            None => part.parse().ok().map(|cpu| cpu..=cpu),
        })
        .flatten()
        .collect()
}

/// Formats ascending CPUs in the kernel's list format ("0-3,8").
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        while i + 1 < cpus.len() && cpus[i + 1] == cpus[i] + 1 {
            i += 1;
        }
        parts.push(if cpus[i] == start {
            start.to_string()
        } else {
            format!("{start}-{}", cpus[i])
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Roles = Roles {
        submitters: 1,
        sqpoll: false,
    };

    fn helper(lane: u32, slot: u32) -> Role {
        Role::Helper { lane, slot }
    }

    #[test]
    fn cpu_lists_parse_and_format() {
        assert_eq!(parse_cpu_list("0-2,8,10-11\n"), vec![0, 1, 2, 8, 10, 11]);
        assert_eq!(parse_cpu_list("5"), vec![5]);
        assert_eq!(cpu_list(&[0, 1, 2, 8, 10, 11]), "0-2,8,10-11");
        assert_eq!(cpu_list(&[3]), "3");
    }

    #[test]
    fn spread_puts_submitter_then_helper_on_the_next_cpu() {
        let p = Placement::spread_over(vec![0, 1]);
        assert_eq!(p.cpu(ONE, Role::Submitter(0)), 0);
        assert_eq!(p.cpu(ONE, helper(0, 0)), 1);
        assert_eq!(p.pair(), (0, 1));
    }

    #[test]
    fn spread_gives_sqpoll_the_cpu_after_the_submitters_and_helpers_the_rest() {
        let p = Placement::spread_over(vec![4, 5, 6, 7]);
        let roles = Roles {
            submitters: 2,
            sqpoll: true,
        };
        assert_eq!(p.cpu(roles, Role::Submitter(0)), 4);
        assert_eq!(p.cpu(roles, Role::Submitter(1)), 5);
        assert_eq!(p.cpu(roles, Role::Sqpoll), 6);
        // Slot 0 of lane 0, then of lane 1, wrapping around.
        assert_eq!(p.cpu(roles, helper(0, 0)), 7);
        assert_eq!(p.cpu(roles, helper(1, 0)), 4);
        assert_eq!(p.cpu(roles, helper(0, 1)), 5);
    }

    #[test]
    fn spread_wraps_around_on_two_cpus() {
        let p = Placement::spread_over(vec![0, 1]);
        let sqpoll = Roles {
            submitters: 1,
            sqpoll: true,
        };
        assert_eq!(p.cpu(sqpoll, Role::Submitter(0)), 0);
        assert_eq!(p.cpu(sqpoll, Role::Sqpoll), 1);
        assert_eq!(p.cpu(sqpoll, helper(0, 0)), 0);
        let one = Placement::spread_over(vec![3]);
        assert_eq!(one.pair(), (3, 3));
        assert_eq!(one.cpu(sqpoll, Role::Sqpoll), 3);
    }

    #[test]
    fn placement_depends_on_the_roles_only() {
        // The same roles give the same CPUs, whichever helper slot count a style has.
        let p = Placement::spread_over(vec![0, 1, 2]);
        let roles = Roles {
            submitters: 1,
            sqpoll: false,
        };
        assert_eq!(p.cpu(roles, Role::Submitter(0)), 0);
        assert_eq!(p.cpu(roles, helper(0, 0)), 1);
        assert_eq!(p.cpu(roles, helper(0, 1)), 2);
    }

    #[test]
    fn declared_roles_override_the_spread_and_wrap() {
        let p = Placement {
            submitters: Some(vec![1]),
            sqpoll: Some(0),
            helpers: Some(vec![0, 1]),
            ..Placement::spread_over(vec![0, 1])
        };
        let roles = Roles {
            submitters: 2,
            sqpoll: true,
        };
        assert_eq!(p.cpu(roles, Role::Submitter(0)), 1);
        assert_eq!(p.cpu(roles, Role::Submitter(1)), 1);
        assert_eq!(p.cpu(roles, Role::Sqpoll), 0);
        assert_eq!(p.cpu(roles, helper(0, 0)), 0);
        assert_eq!(p.cpu(roles, helper(1, 0)), 1);
        // Roles left out are spread.
        let only_submitters = Placement {
            submitters: Some(vec![1]),
            ..Placement::spread_over(vec![0, 1])
        };
        assert_eq!(only_submitters.cpu(ONE, Role::Submitter(0)), 1);
        assert_eq!(only_submitters.cpu(ONE, helper(0, 0)), 1);
    }

    #[test]
    fn declared_cpus_must_be_allowed_and_lists_not_empty() {
        let allowed = allowed_cpus().unwrap();
        let outside = allowed.last().unwrap() + 1;
        assert_eq!(
            Placement::declared(Some(vec![]), None, None),
            Err(PlacementError::Empty { key: "submitters" })
        );
        let err = Placement::declared(None, Some(outside), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "placement.sqpoll: CPU {outside} is not one this process may use (allowed: {})",
                cpu_list(&allowed)
            )
        );
        let ok = Placement::declared(Some(vec![allowed[0]]), None, Some(vec![allowed[0]]));
        assert_eq!(ok.unwrap().cpu(ONE, helper(0, 0)), allowed[0]);
    }

    #[test]
    fn spread_order_takes_one_cpu_per_core_first() {
        // cpu0/cpu1 and cpu2/cpu3 are SMT siblings.
        let siblings = |cpu: usize| vec![cpu & !1, cpu | 1];
        assert_eq!(spread_order(&[0, 1, 2, 3], siblings), vec![0, 2, 1, 3]);
        // A sibling outside the affinity does not push a CPU back.
        assert_eq!(spread_order(&[1, 2, 3], siblings), vec![1, 2, 3]);
        assert_eq!(spread_order(&[0, 1], |cpu| vec![cpu]), vec![0, 1]);
    }
}
