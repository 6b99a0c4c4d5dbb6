//! Submission modes as data: the setup flags a ring is built with and how it is
//! driven. A mode is a row of [`MODES`], optionally combined with a registered
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

/// Every mode the tool knows.
pub const MODES: &[Mode] = &[
    Mode {
        name: "default",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "plain io_uring_enter submission and wait",
    },
    Mode {
        name: "sqpoll",
        sqpoll: true,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "a kernel thread (iou-sqp) polls the submission queue",
    },
    Mode {
        name: "sqpoll-shared",
        sqpoll: true,
        shared_poller: true,
        defer_taskrun: false,
        coop_taskrun: false,
        about: "SQPOLL thread shared with a second ring (IORING_SETUP_ATTACH_WQ)",
    },
    Mode {
        name: "defer-taskrun",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: true,
        coop_taskrun: false,
        about: "DEFER_TASKRUN + SINGLE_ISSUER: task_work runs only in the waiter",
    },
    Mode {
        name: "coop-taskrun",
        sqpoll: false,
        shared_poller: false,
        defer_taskrun: false,
        coop_taskrun: true,
        about: "COOP_TASKRUN + TASKRUN_FLAG: no IPI for task_work",
    },
];

impl Mode {
    /// Sets this mode's setup flags on a ring builder: `attach_to` is the fd
    /// of a ring whose SQPOLL thread the new ring shares (ATTACH_WQ), else
    /// `sqpoll_cpu` pins the ring's own SQPOLL thread (SQ_AFF). The one place
    /// that turns a row of [`MODES`] into IORING_SETUP_* flags.
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
    /// Parses `default`, `sqpoll`, ..., `X+registered-ring`, or `registered-ring`
    /// alone (the default mode with a registered ring). `None` when unknown.
    pub fn parse(text: &str) -> Option<ModeSpec> {
        let (base, registered) = match text.strip_suffix(REGISTERED_SUFFIX) {
            Some("") => ("default", true),
            Some(rest) => (rest.strip_suffix('+')?, true),
            None => (text, false),
        };
        let mode = MODES.iter().find(|m| m.name == base)?;
        Some(ModeSpec { mode, registered })
    }

    /// Every name [`ModeSpec::parse`] accepts, for error messages and `list`.
    pub fn allowed() -> Vec<String> {
        let mut names: Vec<String> = MODES.iter().map(|m| m.name.to_string()).collect();
        names.push(REGISTERED_SUFFIX.to_string());
        names.extend(
            MODES
                .iter()
                .skip(1)
                .map(|m| format!("{}+{REGISTERED_SUFFIX}", m.name)),
        );
        names
    }
}

impl fmt::Display for ModeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.mode.name, self.registered) {
            ("default", true) => f.write_str(REGISTERED_SUFFIX),
            (name, true) => write!(f, "{name}+{REGISTERED_SUFFIX}"),
            (name, false) => f.write_str(name),
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
        assert!(
            ModeSpec::parse("sqpoll+registered-ring")
                .unwrap()
                .registered
        );
    }
}
