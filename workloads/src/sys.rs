//! The raw system calls more than one part of the crate makes, each written
//! once: a close-on-exec pipe, futex(2), io_uring_enter(2) without an argument
//! block, and the running kernel's release.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::AtomicU32;

/// A close-on-exec pipe as `(read, write)`, each end owned by the caller, so
/// that no fd leaks into a forked or exec'd child and none outlives its owner.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned here.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// futex(2) with operation `op` and value `val` on `word`, without a timeout.
/// Returns the syscall's result as the kernel gave it: negative on failure,
/// with errno left for the caller to read (EAGAIN and EINTR are the callers'
/// to handle).
pub fn futex(word: &AtomicU32, op: i32, val: u32) -> libc::c_long {
    // SAFETY: futex(2) on a live, aligned u32; a null timeout waits forever
    // for the wait operations and is ignored by the others.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op,
            val,
            std::ptr::null::<libc::timespec>(),
        )
    }
}

/// io_uring_enter(2) on `fd` (a ring fd, or a registered index when `flags`
/// has IORING_ENTER_REGISTERED_RING) without an argument block. Returns how
/// many SQEs the kernel consumed, or the errno as an error; the io-uring
/// crate's own enter cannot take a registered index or drive a BPF loop.
#[inline]
pub fn io_uring_enter(fd: RawFd, to_submit: u32, min_complete: u32, flags: u32) -> io::Result<u32> {
    // SAFETY: io_uring_enter without an argument block touches no user memory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            fd,
            to_submit,
            min_complete,
            flags,
            std::ptr::null::<libc::c_void>(),
            0usize,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as u32)
    }
}

/// The running kernel's release (`uname -r`), or `unknown` when it cannot be
/// read: what probe results and "not supported" messages name the kernel by.
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The file system type (`statfs(2)`'s `f_type`, e.g. `TMPFS_MAGIC`) of the
/// file system holding `path`.
pub fn fs_type(path: &std::path::Path) -> io::Result<i64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: statfs fills a zeroed statfs struct from a NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.f_type as i64)
}
