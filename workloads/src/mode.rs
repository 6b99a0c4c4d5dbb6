//! Submission modes as data: the setup flags a ring is built with and how it is
//! driven. A mode is a named constant of [`Mode`] and a row of [`MODES`],
//! looked up by name with [`Mode::named`], optionally combined with a registered
//! ring fd ([`ModeSpec::registered`]).

use std::fmt;
use std::os::fd::RawFd;

/// How long an idle SQPOLL thread keeps polling before it sleeps, in ms.
pub const SQPOLL_IDLE_MS: u32 = 1000;

/// One way of setting up and driving a ring.
#[derive(Debug, PartialEq, Eq)]
pub struct Mode {
    /// Name used in configs and results.
    pub name: &'static str,
    /// IORING_SETUP_SQPOLL: a kernel thread polls the SQ.
    pub sqpoll: bool,
    /// IORING_SETUP_ATTACH_WQ onto a poller owned by another ring, so that two
    /// rings share one SQPOLL thread (which caps each ring's share of a round).
    pub shared_poller: bool,
    /// IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER: completions are
    /// run only when the submitter task waits.
    pub defer_taskrun: bool,
    /// IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG: no IPI to run task_work.
    pub coop_taskrun: bool,
    /// What the mode is for, shown by `bench-runner list`.
    pub about: &'static str,
}

impl Mode {
    /// Plain submission and wait: the mode every other one is measured against.
    pub const DEFAULT: Mode = Mode {
        name: "default",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "plain io_uring_enter submission and wait",
    };
    /// A ring with its own SQPOLL thread; also the mode a shared poller's
    /// owning ring is built with.
    pub const SQPOLL: Mode = Mode {
        name: "sqpoll",
        sqpoll: true,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "a kernel thread (iou-sqp) polls the submission queue",
    };
    /// A ring attached to another ring's SQPOLL thread.
    pub const SQPOLL_SHARED: Mode = Mode {
        name: "sqpoll-shared",
        sqpoll: true,
        shared_poller: true,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "SQPOLL thread shared with a second ring (IORING_SETUP_ATTACH_WQ)",
    };
    /// Completions' task_work runs only when the submitter waits.
    pub const DEFER_TASKRUN: Mode = Mode {
        name: "defer-taskrun",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: true,
        coop_taskrun: false,
        about: "DEFER_TASKRUN + SINGLE_ISSUER: task_work runs only in the waiter",
    };
    /// task_work runs without an IPI, at the task's next kernel transition.
    pub const COOP_TASKRUN: Mode = Mode {
        name: "coop-taskrun",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: true,
        about: "COOP_TASKRUN + TASKRUN_FLAG: no IPI for task_work",
    };

    /// The mode called `name` in configs and results, `None` when no row of
    /// [`MODES`] has that name.
    pub fn named(name: &str) -> Option<&'static Mode> {
        MODES.iter().find(|m| m.name == name)
    }
}

/// Every mode the tool knows, in the order `bench-runner list` shows them.
/// Adding a mode is a constant on [`Mode`] and a row here.
pub const MODES: &[Mode] = &[
    Mode::DEFAULT,
    Mode::SQPOLL,
    Mode::SQPOLL_SHARED,
    Mode::DEFER_TASKRUN,
    Mode::COOP_TASKRUN,
];

impl Mode {
    /// Sets this mode's setup flags on a ring builder: `attach_to` is the fd
    /// of a ring whose SQPOLL thread the new ring shares (ATTACH_WQ), else
    /// `sqpoll_cpu` pins the ring's own SQPOLL thread (SQ_AFF). The one place
    /// that turns a mode into IORING_SETUP_* flags.
    pub fn configure(
        &self,
        builder: &mut io_uring::Builder,
        attach_to: Option<RawFd>,
        sqpoll_cpu: Option<usize>,
    ) -> std::io::Result<()> {
        if self.sqpoll {
            builder.setup_sqpoll(SQPOLL_IDLE_MS);
            match (attach_to, sqpoll_cpu) {
                (Some(fd), _) => {
                    builder.setup_attach_wq(fd);
                }
                (None, Some(cpu)) => {
                    let cpu = u32::try_from(cpu).map_err(|_| std::io::ErrorKind::InvalidInput)?;
                    builder.setup_sqpoll_cpu(cpu);
                }
                (None, None) => {}
            }
        }
        if self.defer_taskrun {
            builder.setup_single_issuer().setup_defer_taskrun();
        }
        if self.coop_taskrun {
            builder.setup_coop_taskrun().setup_taskrun_flag();
        }
        Ok(())
    }
}

impl Mode {
    /// The IORING_SETUP_* flags [`Mode::configure`] sets, by their uapi
    /// names, for programs written in C (`bench-runner repro`); the SQPOLL
    /// thread's CPU and the ring it attaches to are the caller's.
    pub fn setup_flag_names(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.sqpoll {
            flags.push("IORING_SETUP_SQPOLL");
        }
        if self.defer_taskrun {
            flags.extend(["IORING_SETUP_SINGLE_ISSUER", "IORING_SETUP_DEFER_TASKRUN"]);
        }
        if self.coop_taskrun {
            flags.extend(["IORING_SETUP_COOP_TASKRUN", "IORING_SETUP_TASKRUN_FLAG"]);
        }
        flags
    }
}

/// The suffix that combines a registered ring fd with a mode.
pub const REGISTERED_SUFFIX: &str = "registered-ring";

/// A mode as used by a cell: a row of [`MODES`] plus whether the ring fd is registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeSpec {
    /// The base mode.
    pub mode: &'static Mode,
    /// IORING_REGISTER_RING_FDS: enter through the registered index.
    pub registered: bool,
}

impl ModeSpec {
    /// The default mode without a registered ring fd.
    pub const DEFAULT: ModeSpec = ModeSpec {
        mode: &Mode::DEFAULT,
        registered: false,
    };
    /// A ring with its own SQPOLL thread and no registered fd: what a shared
    /// poller's owning ring is built with.
    pub const SQPOLL: ModeSpec = ModeSpec {
        mode: &Mode::SQPOLL,
        registered: false,
    };

    /// Parses `default`, `sqpoll`, ..., `X+registered-ring`, or `registered-ring`
    /// alone (the default mode with a registered ring). `None` when unknown.
    pub fn parse(text: &str) -> Option<ModeSpec> {
        let (base, registered) = match text.strip_suffix(REGISTERED_SUFFIX) {
            Some("") => (Mode::DEFAULT.name, true),
            Some(rest) => (rest.strip_suffix('+')?, true),
            None => (text, false),
        };
        let mode = Mode::named(base)?;
        Some(ModeSpec { mode, registered })
    }

    /// Every name [`ModeSpec::parse`] accepts, for error messages and `list`.
    pub fn allowed() -> Vec<String> {
        let mut names: Vec<String> = MODES.iter().map(|m| m.name.to_string()).collect();
        names.push(REGISTERED_SUFFIX.to_string());
        names.extend(
            MODES
                .iter()
                .filter(|m| **m != Mode::DEFAULT)
                .map(|m| format!("{}+{REGISTERED_SUFFIX}", m.name)),
        );
        names
    }
}

/// What a registered ring fd changes, as `bench-runner list` says it.
const REGISTERED_ABOUT: &str = "enters by a registered ring fd (IORING_REGISTER_RING_FDS)";

impl ModeSpec {
    /// What the mode is for, shown by `bench-runner list`: the base mode's
    /// `about`, or, with a registered ring fd, the base mode's name and
    /// what registering adds to it.
    pub fn about(&self) -> String {
        match (self.mode, self.registered) {
            (_, false) => self.mode.about.to_string(),
            (mode, true) => format!("{}, {REGISTERED_ABOUT}", mode.name),
        }
    }
}

/// The default mode without a registered ring fd ([`ModeSpec::DEFAULT`]).
impl Default for ModeSpec {
    fn default() -> ModeSpec {
        ModeSpec::DEFAULT
    }
}

impl fmt::Display for ModeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.mode, self.registered) {
            (mode, true) if *mode == Mode::DEFAULT => f.write_str(REGISTERED_SUFFIX),
            (mode, true) => write!(f, "{}+{REGISTERED_SUFFIX}", mode.name),
            (mode, false) => f.write_str(mode.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_allowed_name() {
        for name in ModeSpec::allowed() {
            let spec = ModeSpec::parse(&name).unwrap();
            assert_eq!(spec.to_string(), name);
        }
        assert!(ModeSpec::parse("sqpoll+").is_none());
        assert!(ModeSpec::parse("turbo").is_none());
        assert_eq!(ModeSpec::parse("default"), Some(ModeSpec::default()));
        assert_eq!(ModeSpec::parse("sqpoll"), Some(ModeSpec::SQPOLL));
        assert_eq!(Mode::named("defer-taskrun"), Some(&Mode::DEFER_TASKRUN));
        assert!(Mode::named("registered-ring").is_none());
        assert!(
            ModeSpec::parse("sqpoll+registered-ring")
                .unwrap()
                .registered
        );
    }

    #[test]
    fn a_registered_ring_says_what_registering_adds() {
        let about = |name: &str| ModeSpec::parse(name).unwrap().about();
        assert_eq!(about("default"), Mode::DEFAULT.about);
        assert_ne!(about("registered-ring"), about("default"));
        assert!(about("registered-ring").contains("IORING_REGISTER_RING_FDS"));
        assert!(about("sqpoll+registered-ring").starts_with("sqpoll, "));
        assert!(about("sqpoll+registered-ring").contains("IORING_REGISTER_RING_FDS"));
    }
}
