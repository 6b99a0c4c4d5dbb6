//! `--perf-control CTL,ACK`: an outside `perf` counts exactly the profile
//! pass's window.
//!
//! `perf stat` (and `perf record`) of a whole process also counts its set-up:
//! the header's anchors, the timing passes, the rings being built. Started
//! with `-D -1 --control fifo:CTL,ACK`, perf begins with its events disabled
//! and enables or disables them when a line `enable` or `disable` arrives on
//! the fifo CTL, answering `ack` on the fifo ACK (perf-stat(1), `--control`).
//! A sweep given the same two fifos sends `enable` right before each profile
//! pass enables its own perf counters and `disable` right after it disables
//! them, and waits for each `ack`, so perf's events are on over the window the
//! profile line's counters cover and over nothing else of the sweep. A kernel
//! developer can thus `perf record` just the measured passes, and perf's
//! readings can be held against the tool's own (`tests/cross_check.rs`).
//!
//! A window of perf's is the tool's plus the handshake that closes it: one
//! `write` and a wait in poll(2) for the ack, which may switch the main
//! thread out once. Over many profile passes perf sums the windows.
//!
//! A perf that never answers cannot hold the sweep: each wait ends after
//! [`ACK_TIMEOUT`] with an error, or at once on Ctrl-C/SIGTERM, when the
//! cell's profile line is recorded `interrupted` like any interrupted pass.
//! Each fifo is opened once, without following a symbolic link and without
//! waiting, and checked to be a fifo through that descriptor.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long perf may take to acknowledge a command before the sweep stops
/// with an error; `--perf-control`'s help states it. perf answers within
/// milliseconds, so a perf that takes this long is not answering at all.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a wait for the ack looks at the interrupt flag, at the latest
/// (a signal also ends the wait's poll(2) at once).
const INTERRUPT_POLL: Duration = Duration::from_millis(100);

/// The two fifos of `--perf-control`, as given: perf's `fifo:CTL,ACK`.
#[derive(Clone, Debug, PartialEq)]
pub struct PerfFifos {
    /// The fifo perf reads `enable`/`disable` from.
    pub ctl: PathBuf,
    /// The fifo perf writes `ack` to.
    pub ack: PathBuf,
}

impl FromStr for PerfFifos {
    type Err = String;

    /// Parses `CTL,ACK`, with or without perf's own `fifo:` prefix, so that
    /// the value given to perf can be given here unchanged.
    fn from_str(s: &str) -> Result<PerfFifos, String> {
        let paths = s.strip_prefix("fifo:").unwrap_or(s);
        match paths.split_once(',') {
            Some((ctl, ack)) if !ctl.is_empty() && !ack.is_empty() && !ack.contains(',') => {
                Ok(PerfFifos {
                    ctl: ctl.into(),
                    ack: ack.into(),
                })
            }
            _ => Err(format!(
                "`{s}` is not CTL,ACK: two fifo paths, as given to perf's --control fifo:CTL,ACK"
            )),
        }
    }
}

/// Why perf could not be driven through its control fifos.
#[derive(thiserror::Error, Debug)]
pub enum PerfControlError {
    /// A path is not a fifo (a symbolic link, which is never followed, is not).
    #[error("--perf-control: {path} is not a fifo (create both with mkfifo, then start perf with -D -1 --control fifo:CTL,ACK)")]
    NotFifo {
        /// The path given.
        path: PathBuf,
    },
    /// Nothing reads the control fifo: perf was not started with it.
    #[error("--perf-control: no perf reads {path}: start this sweep under perf stat -D -1 --control fifo:CTL,ACK")]
    NoListener {
        /// The control fifo.
        path: PathBuf,
    },
    /// Opening, writing or reading a fifo failed.
    #[error("--perf-control: {path}: {source}")]
    Io {
        /// The fifo acted on.
        path: PathBuf,
        /// The error the kernel returned.
        source: io::Error,
    },
    /// perf answered something other than `ack`, or closed the ack fifo.
    #[error("--perf-control: perf answered {answer:?} to `{command}` on {path}, not \"ack\"")]
    NoAck {
        /// The command sent.
        command: &'static str,
        /// The ack fifo.
        path: PathBuf,
        /// What came back (empty when perf closed the fifo).
        answer: String,
    },
    /// perf did not answer within [`ACK_TIMEOUT`].
    #[error("--perf-control: perf did not answer `{command}` on {path} within {} s", ACK_TIMEOUT.as_secs())]
    Timeout {
        /// The command sent.
        command: &'static str,
        /// The ack fifo.
        path: PathBuf,
    },
    /// Ctrl-C or SIGTERM came while waiting for perf's answer.
    #[error("--perf-control: interrupted while waiting for perf to answer `{command}`")]
    Interrupted {
        /// The command sent.
        command: &'static str,
    },
}

/// An open connection to a perf started with `--control fifo:CTL,ACK`.
pub struct PerfControl {
    fifos: PerfFifos,
    ctl: File,
    ack: File,
}

/// Opens the fifo `path` once, never through a symbolic link and never
/// waiting (`options` says read or write), and checks through the open
/// descriptor that it is a fifo.
fn open_fifo(path: &Path, options: &mut OpenOptions) -> Result<File, PerfControlError> {
    let file = options
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|source| match source.raw_os_error() {
            // Only a write-only open fails so: the fifo has no reader.
            Some(libc::ENXIO) => PerfControlError::NoListener {
                path: path.to_path_buf(),
            },
            Some(libc::ELOOP) => PerfControlError::NotFifo {
                path: path.to_path_buf(),
            },
            _ => PerfControlError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
    match file.metadata() {
        Ok(m) if m.file_type().is_fifo() => Ok(file),
        _ => Err(PerfControlError::NotFifo {
            path: path.to_path_buf(),
        }),
    }
}

impl PerfControl {
    /// Opens both fifos, failing at once when they are not fifos or when no
    /// perf reads the control fifo, so that a sweep started wrongly stops
    /// before it measures anything.
    pub fn open(fifos: &PerfFifos) -> Result<PerfControl, PerfControlError> {
        // A non-blocking write-only open of a fifo without a reader fails
        // with ENXIO instead of waiting for one.
        let ctl = open_fifo(&fifos.ctl, OpenOptions::new().write(true))?;
        // A non-blocking read-only open of a fifo never waits; the ack is
        // then waited for with poll(2), so that the wait can end.
        let ack = open_fifo(&fifos.ack, OpenOptions::new().read(true))?;
        Ok(PerfControl {
            fifos: fifos.clone(),
            ctl,
            ack,
        })
    }

    /// Turns perf's events on and returns once perf says they are.
    pub fn enable(&mut self, interrupt: &AtomicBool) -> Result<(), PerfControlError> {
        self.command("enable", interrupt)
    }

    /// Turns perf's events off and returns once perf says they are.
    pub fn disable(&mut self, interrupt: &AtomicBool) -> Result<(), PerfControlError> {
        self.command("disable", interrupt)
    }

    fn command(
        &mut self,
        command: &'static str,
        interrupt: &AtomicBool,
    ) -> Result<(), PerfControlError> {
        self.ctl
            .write_all(format!("{command}\n").as_bytes())
            .map_err(|source| PerfControlError::Io {
                path: self.fifos.ctl.clone(),
                source,
            })?;
        // perf writes "ack\n" and nothing else on this fifo, some versions
        // with the string's NUL after it.
        let deadline = Instant::now() + ACK_TIMEOUT;
        let mut answer = Vec::new();
        while !answer.contains(&b'\n') {
            if interrupt.load(Ordering::Relaxed) {
                return Err(PerfControlError::Interrupted { command });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PerfControlError::Timeout {
                    command,
                    path: self.fifos.ack.clone(),
                });
            }
            if !readable(&self.ack, left.min(INTERRUPT_POLL)) {
                continue;
            }
            let mut chunk = [0u8; 16];
            match self.ack.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => answer.extend(chunk[..n].iter().filter(|&&b| b != 0)),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                    ) => {}
                Err(source) => {
                    return Err(PerfControlError::Io {
                        path: self.fifos.ack.clone(),
                        source,
                    })
                }
            }
        }
        if answer == b"ack\n" {
            Ok(())
        } else {
            Err(PerfControlError::NoAck {
                command,
                path: self.fifos.ack.clone(),
                answer: String::from_utf8_lossy(&answer).into_owned(),
            })
        }
    }
}

/// Waits up to `wait` for `file` to have something to read (or its writer
/// to have gone); `false` when the wait ran out or a signal ended it.
fn readable(file: &File, wait: Duration) -> bool {
    let mut fds = [libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    // SAFETY: one valid pollfd, for the duration of the call; `file` stays open.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, wait.as_millis() as libc::c_int) };
    ready > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_parse_with_or_without_perfs_prefix() {
        let want = PerfFifos {
            ctl: "/tmp/ctl".into(),
            ack: "/tmp/ack".into(),
        };
        assert_eq!("/tmp/ctl,/tmp/ack".parse(), Ok(want.clone()));
        assert_eq!("fifo:/tmp/ctl,/tmp/ack".parse(), Ok(want));
        for bad in ["/tmp/ctl", ",/tmp/ack", "/tmp/ctl,", "a,b,c", ""] {
            let error = bad.parse::<PerfFifos>().unwrap_err();
            assert!(error.contains("is not CTL,ACK"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_path_that_is_no_fifo_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("ctl");
        std::fs::write(&plain, "").unwrap();
        let fifos = PerfFifos {
            ctl: plain.clone(),
            ack: plain.clone(),
        };
        let error = PerfControl::open(&fifos).err().unwrap();
        assert!(matches!(&error, PerfControlError::NotFifo { path } if *path == plain));
        assert!(error.to_string().contains("is not a fifo"));
    }
}
