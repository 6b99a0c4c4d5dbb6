//! Cancelling a running cell: a flag plus a signal that knocks the cell's
//! threads out of blocking waits (io_uring_enter, futex). No wait in the tool is
//! armed with a timeout, so the timing pass is not perturbed by timers; the
//! watchdog and Ctrl-C instead set the flag and kick the threads until they leave.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};

/// The signal used to interrupt waits. Its handler does nothing; installed without
/// SA_RESTART so that the interrupted syscall returns EINTR.
pub const KICK_SIGNAL: libc::c_int = libc::SIGUSR1;

/// Shared between a cell's threads and whoever may cancel it.
#[derive(Default)]
pub struct Cancel {
    flag: AtomicBool,
    threads: Mutex<Vec<libc::pthread_t>>,
}

/// Keeps the current thread registered for kicks; unregisters on drop so no
/// signal is ever sent to a thread that has exited.
pub struct Registration<'a> {
    cancel: &'a Cancel,
    thread: libc::pthread_t,
}

extern "C" fn ignore_kick(_: libc::c_int) {}

fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: installs a handler that does nothing, with no SA_RESTART.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ignore_kick as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(KICK_SIGNAL, &action, std::ptr::null_mut());
        }
    });
}

impl Cancel {
    /// A fresh token.
    pub fn new() -> Arc<Cancel> {
        install_handler();
        Arc::new(Cancel::default())
    }

    /// Whether the cell was cancelled; checked whenever a wait returns EINTR.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Marks the cell cancelled and kicks its threads once. Call repeatedly
    /// (see [`Cancel::kick`]) until the threads are gone: a kick that lands just
    /// before a thread enters a wait is otherwise missed.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Release);
        self.kick();
    }

    /// The registered threads. Their list is only pushed to, read and
    /// swap-removed from, none of which panics while the lock is held.
    fn threads(&self) -> MutexGuard<'_, Vec<libc::pthread_t>> {
        self.threads
            .lock()
            .expect("no thread panics holding the registration list")
    }

    /// Sends the kick signal to every registered thread.
    pub fn kick(&self) {
        let threads = self.threads();
        for &t in threads.iter() {
            // SAFETY: registered threads are alive until their Registration drops,
            // which takes the same lock.
            unsafe { libc::pthread_kill(t, KICK_SIGNAL) };
        }
    }

    /// Registers the calling thread for kicks while the returned guard lives.
    pub fn register(&self) -> Registration<'_> {
        // SAFETY: pthread_self has no preconditions.
        let thread = unsafe { libc::pthread_self() };
        self.threads().push(thread);
        Registration {
            cancel: self,
            thread,
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut threads = self.cancel.threads();
        if let Some(i) = threads.iter().position(|&t| t == self.thread) {
            threads.swap_remove(i);
        }
    }
}
