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
//! `write` and one blocking `read` of the ack, which may switch the main
//! thread out once. Over many profile passes perf sums the windows.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::str::FromStr;

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
    /// A path is not a fifo (or cannot be looked at).
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
}

/// An open connection to a perf started with `--control fifo:CTL,ACK`.
pub struct PerfControl {
    fifos: PerfFifos,
    ctl: File,
    ack: File,
}

impl PerfControl {
    /// Opens both fifos, failing at once when they are not fifos or when no
    /// perf reads the control fifo, so that a sweep started wrongly stops
    /// before it measures anything.
    pub fn open(fifos: &PerfFifos) -> Result<PerfControl, PerfControlError> {
        for path in [&fifos.ctl, &fifos.ack] {
            if !std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
                return Err(PerfControlError::NotFifo { path: path.clone() });
            }
        }
        // A write-only open of a fifo without a reader fails with ENXIO
        // instead of waiting for one.
        let ctl = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifos.ctl)
            .map_err(|source| match source.raw_os_error() {
                Some(libc::ENXIO) => PerfControlError::NoListener {
                    path: fifos.ctl.clone(),
                },
                _ => PerfControlError::Io {
                    path: fifos.ctl.clone(),
                    source,
                },
            })?;
        // A read-only open of a fifo never waits when non-blocking; the reads
        // of the ack then block again, until perf answers or closes it.
        let ack = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifos.ack)
            .and_then(|f| blocking(f.as_raw_fd()).map(|()| f))
            .map_err(|source| PerfControlError::Io {
                path: fifos.ack.clone(),
                source,
            })?;
        Ok(PerfControl {
            fifos: fifos.clone(),
            ctl,
            ack,
        })
    }

    /// Turns perf's events on and returns once perf says they are.
    pub fn enable(&mut self) -> Result<(), PerfControlError> {
        self.command("enable")
    }

    /// Turns perf's events off and returns once perf says they are.
    pub fn disable(&mut self) -> Result<(), PerfControlError> {
        self.command("disable")
    }

    fn command(&mut self, command: &'static str) -> Result<(), PerfControlError> {
        self.ctl
            .write_all(format!("{command}\n").as_bytes())
            .map_err(|source| PerfControlError::Io {
                path: self.fifos.ctl.clone(),
                source,
            })?;
        // perf writes "ack\n" and nothing else on this fifo, some versions
        // with the string's NUL after it.
        let mut answer = Vec::new();
        while !answer.contains(&b'\n') {
            let mut chunk = [0u8; 16];
            match self.ack.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => answer.extend(chunk[..n].iter().filter(|&&b| b != 0)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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

/// Clears O_NONBLOCK on `fd`.
fn blocking(fd: i32) -> io::Result<()> {
    // SAFETY: F_GETFL and F_SETFL only read and set the flags of an open
    // descriptor, which `fd` is for the duration of the calls.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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
