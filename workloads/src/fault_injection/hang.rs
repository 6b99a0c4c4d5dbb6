//! A pass that never finishes on its own.

use crate::cell::{CellError, CellSpec};
use crate::lane::Lane;
use crate::style::{Instance, StepCtx, StepError};
use crate::userdata::UserData;
use io_uring::{opcode, squeue::Flags, types};
use std::os::fd::{AsRawFd, OwnedFd};

/// The cells of the style named by this environment variable never finish a
/// pass, so tests can prove that the watchdog ends a hung cell and tears its
/// ring down.
pub const HANG_ENV: &str = "URING_SYNCBENCH_TEST_HANG_STYLE";

/// A [`Hang`] in place of `instance` when `HANG_ENV` names the cell's style.
pub(super) fn wrap(
    spec: &CellSpec,
    instance: Box<dyn Instance>,
) -> Result<Box<dyn Instance>, CellError> {
    match std::env::var(HANG_ENV) {
        Ok(style) if style == spec.style.name() => {
            let hang =
                Hang::new(instance).map_err(|e| CellError::Setup(format!("test hang: {e}")))?;
            Ok(Box::new(hang))
        }
        _ => Ok(instance),
    }
}

/// A wait that never ends on its own: a read, forced through io-wq, of a pipe
/// whose write end stays open and is never written. The style's instance is
/// kept, set up, beside it, so the cell has the threads it would have.
struct Hang {
    read: OwnedFd,
    _write: OwnedFd,
    /// Leaked, so that it outlives the ring holding the read whatever is
    /// dropped first (8 bytes per hung lane, in tests only).
    buf: &'static mut [u8; 8],
    _style: Box<dyn Instance>,
}

impl Hang {
    fn new(style: Box<dyn Instance>) -> std::io::Result<Hang> {
        let (read, write) = crate::sys::pipe()?;
        Ok(Hang {
            read,
            _write: write,
            buf: Box::leak(Box::new([0; 8])),
            _style: style,
        })
    }
}

impl Instance for Hang {
    /// Submits the read and waits for its completion, which never comes: only
    /// cancelling the cell ends the wait.
    fn run(&mut self, lane: &Lane, _ctx: &mut StepCtx<'_>) -> Result<(), StepError> {
        let read = opcode::Read::new(types::Fd(self.read.as_raw_fd()), self.buf.as_mut_ptr(), 8)
            .build()
            .flags(Flags::ASYNC)
            .user_data(UserData::aux(lane.groups().start, 0));
        lane.submit_and_wait(&[read], 1)?;
        Err(StepError::Stray(
            "test hang: the read of a pipe nobody writes completed".into(),
        ))
    }
}
