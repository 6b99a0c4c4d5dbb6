//! A lane is what one submitter thread drives: its view of a ring. Styles talk
//! to lanes, never to rings, so the same style runs on a ring of its own or on
//! a ring shared by several submitters.

use crate::ring::{Ring, RingError};
use io_uring::squeue::Entry;
use std::sync::Arc;

/// One submitter's view of a ring.
#[derive(Clone)]
pub struct Lane {
    ring: Arc<Ring>,
}

impl Lane {
    /// A lane that owns its ring alone.
    pub fn new(ring: Arc<Ring>) -> Lane {
        Lane { ring }
    }

    /// The ring (for its fd, e.g. as a MSG_RING target).
    pub fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// Submits `entries` and waits until `want` CQEs are ready for this lane.
    pub fn submit_and_wait(&self, entries: &[Entry], want: u32) -> Result<(), RingError> {
        self.ring.submit_and_wait(entries, want)
    }

    /// Hands this lane's ready CQEs to `f(user_data, res)`.
    pub fn reap(&self, f: impl FnMut(u64, i32)) -> Result<usize, RingError> {
        self.ring.reap(f)
    }
}
