//! The futex words of the `futex` style: u32s in a MAP_SHARED memfd mapping, so
//! that a non-private futex on them has a real shared (inode-based) key, as it
//! would between processes.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// `count` u32 words in a shared mapping of a memfd.
pub(super) struct FutexWords {
    base: NonNull<AtomicU32>,
    count: usize,
    bytes: usize,
}

// SAFETY: the mapping is plain shared memory accessed only through atomics.
unsafe impl Send for FutexWords {}
// SAFETY: as above.
unsafe impl Sync for FutexWords {}

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

impl FutexWords {
    /// Creates the memfd and maps it (the mapping keeps the memfd alive).
    pub fn new(count: usize) -> io::Result<FutexWords> {
        let bytes = (count.max(1) * 4).next_multiple_of(4096);
        // SAFETY: memfd_create with a static NUL-terminated name.
        let raw = check(unsafe {
            libc::memfd_create(c"uring-syncbench-futex".as_ptr(), libc::MFD_CLOEXEC)
        })?;
        // SAFETY: `raw` was just created and is owned here.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: ftruncate on an owned fd.
        check(unsafe { libc::ftruncate(fd.as_raw_fd(), bytes as libc::off_t) })?;
        // SAFETY: a fresh shared mapping of the whole memfd.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(FutexWords {
            base: NonNull::new(map.cast()).expect("mmap returned a valid address"),
            count,
            bytes,
        })
    }

    /// Word `i`.
    pub fn word(&self, i: usize) -> &AtomicU32 {
        assert!(i < self.count, "futex word {i} out of {}", self.count);
        // SAFETY: in bounds of a mapping that lives as long as self.
        unsafe { &*self.base.as_ptr().add(i) }
    }

    /// Sets every word to `value`; only while no request uses them.
    pub fn reset(&self, value: u32) {
        (0..self.count).for_each(|i| self.word(i).store(value, Ordering::Release));
    }
}

impl Drop for FutexWords {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in new.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.bytes) };
    }
}
