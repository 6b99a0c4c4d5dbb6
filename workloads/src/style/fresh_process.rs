//! Running a pass in a fresh process. fork() from the (multi-threaded) runner
//! gives a child with a single thread and a new mm: the state in which a
//! process arms its first io_uring futex waits, before it ever had a second
//! thread. The child runs the pass on rings of its own and sends back the step
//! completions in the order it reaped them, plus its error, through a pipe.
//! Pipes and files of the ops are shared with the child, so their data is
//! checked by the parent as usual.

use super::StepError;
use crate::cancel::Cancel;
use crate::ring::RingError;
use results_schema::ReasonCode;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a pass run in a child reported.
pub(super) struct ChildPass {
    /// (group, seq) of every step completion, in the order the child reaped them.
    pub completions: Vec<(u32, u32)>,
    /// Why the child's pass failed, if it did (its code and text).
    pub error: Option<StepError>,
}

fn sys(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Runs `body` in a forked child; `body` records each step completion in the
/// vector it is given. `cancel` is the parent's: when the cell is cancelled the
/// child is killed.
pub(super) fn run_in_child(
    cancel: &Cancel,
    body: impl FnOnce(&mut Vec<(u32, u32)>) -> Result<(), StepError>,
) -> Result<ChildPass, StepError> {
    let setup = |what: &str, e: io::Error| StepError::Setup(format!("fresh process: {what}: {e}"));
    let (read, write) = crate::sys::pipe().map_err(|e| setup("pipe", e))?;
    // SAFETY: fork; the child only runs `body` and leaves with _exit.
    let pid = sys(unsafe { libc::fork() }).map_err(|e| setup("fork", e))?;
    if pid == 0 {
        drop(read);
        let mut completions = Vec::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&mut completions)))
            .unwrap_or_else(|_| Err(StepError::HelperDied("fresh process panicked".into())));
        let mut bytes = (completions.len() as u64).to_le_bytes().to_vec();
        for (g, s) in completions {
            bytes.extend(g.to_le_bytes());
            bytes.extend(s.to_le_bytes());
        }
        if let Err(e) = outcome {
            bytes.extend(format!("{}\n{e}", e.code()).into_bytes());
        }
        let code = i32::from(write_all(&write, &bytes).is_err());
        // SAFETY: leaves the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    drop(write);
    let read_result = read_all(&read, cancel);
    if read_result.is_err() {
        // SAFETY: kill the child we forked.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let status = wait_child(pid);
    let bytes = read_result?;
    let status = status.map_err(|e| setup("waitpid", e))?;
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(StepError::HelperDied(format!(
            "fresh process ended abnormally (wait status {status:#x})"
        )));
    }
    parse(&bytes).ok_or_else(|| StepError::HelperDied("fresh process: truncated report".into()))
}

fn write_all(fd: &OwnedFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice.
        let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
            continue;
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// Reads to EOF; a kick (EINTR) on a cancelled cell ends the read.
fn read_all(fd: &OwnedFd, cancel: &Cancel) -> Result<Vec<u8>, StepError> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: reads into a live buffer.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return Ok(out),
            n if n > 0 => out.extend_from_slice(&buf[..n as usize]),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(StepError::HelperDied(format!("fresh process: read: {e}")));
                }
                if cancel.is_cancelled() {
                    return Err(RingError::Cancelled.into());
                }
            }
        }
    }
}

fn wait_child(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            return Ok(status);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn parse(bytes: &[u8]) -> Option<ChildPass> {
    let count = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let end = 8 + count.checked_mul(8)?;
    let records = bytes.get(8..end)?;
    let completions = records
        .chunks(8)
        .map(|r| {
            let g = u32::from_le_bytes(r[..4].try_into().unwrap());
            let s = u32::from_le_bytes(r[4..].try_into().unwrap());
            (g, s)
        })
        .collect();
    let error = match &bytes[end..] {
        [] => None,
        failure => {
            let text = String::from_utf8_lossy(failure);
            let (code, detail) = text.split_once('\n')?;
            let code = ReasonCode::named(code)?;
            Some(StepError::Relayed {
                code,
                detail: detail.to_string(),
            })
        }
    };
    Some(ChildPass { completions, error })
}
