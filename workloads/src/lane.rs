//! A lane is what one submitter thread drives: its view of a ring. Styles talk
//! to lanes, never to rings, so the same style runs on a ring of its own or on
//! a ring shared by several submitters.
//!
//! On a shared ring every lane sees only the CQEs of its own groups. One thread
//! at a time reaps the ring (waiting in io_uring_enter for any CQE) and routes
//! what it reaps to the owners' inboxes; the others wait on a condvar. That
//! avoids the lost wakeup of a thread sleeping in io_uring_enter for a CQE that
//! another thread already took off the ring.

use crate::cancel::Cancel;
use crate::ring::{Ring, RingError};
use crate::userdata::UserData;
use io_uring::squeue::Entry;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// One submitter's view of a ring.
pub struct Lane {
    ring: Arc<Ring>,
    cancel: Arc<Cancel>,
    groups: Range<u32>,
    shared: Option<(Arc<Router>, usize)>,
}

/// A clone is how a second thread (a completer) gets at the ring: the ring
/// takes its locks from then on.
impl Clone for Lane {
    fn clone(&self) -> Lane {
        self.ring.share();
        Lane {
            ring: self.ring.clone(),
            cancel: self.cancel.clone(),
            groups: self.groups.clone(),
            shared: self.shared.clone(),
        }
    }
}

/// The routing state of a ring shared by several lanes.
struct Router {
    /// The groups of each lane, by lane index.
    owners: Vec<Range<u32>>,
    /// Held across push + enter so that one lane's submission stays contiguous.
    submit: Mutex<()>,
    state: Mutex<Inboxes>,
    /// Signalled whenever a reaper hands over CQEs or gives up its turn.
    turn: Condvar,
}

struct Inboxes {
    /// CQEs (user_data, res) reaped for each lane and not yet handed to it.
    queued: Vec<VecDeque<(u64, i32)>>,
    /// Whether some lane is currently reaping the ring.
    reaping: bool,
}

/// Takes a router lock. No holder panics while it holds one (the state is
/// a few queues and a flag, indexed only by lanes of the router), so a
/// poisoned lock would be a bug of this module, not a condition to handle.
fn locked<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().expect("no lane panics holding a router lock")
}

impl Router {
    /// The router of lanes owning `owners`, one range of groups per lane.
    fn new(owners: Vec<Range<u32>>) -> Router {
        Router {
            state: Mutex::new(Inboxes {
                queued: vec![VecDeque::new(); owners.len()],
                reaping: false,
            }),
            owners,
            submit: Mutex::new(()),
            turn: Condvar::new(),
        }
    }

    /// The lane a CQE belongs to: the owner of the group its user_data
    /// names, or `fallback` (the reaping lane) for a word naming no group
    /// of any lane, so that the lane that reaped it reports it.
    fn owner(&self, user_data: u64, fallback: usize) -> usize {
        UserData::decode(user_data)
            .and_then(|d| self.owners.iter().position(|r| r.contains(&d.group)))
            .unwrap_or(fallback)
    }

    /// Takes the reaping turn if it is free; the caller must call `hand_back`.
    fn try_turn(&self, state: &mut MutexGuard<'_, Inboxes>) -> bool {
        !std::mem::replace(&mut state.reaping, true)
    }

    fn hand_back(&self, me: usize, reaped: Vec<(u64, i32)>) -> MutexGuard<'_, Inboxes> {
        let mut state = locked(&self.state);
        for (user_data, res) in reaped {
            let owner = self.owner(user_data, me);
            state.queued[owner].push_back((user_data, res));
        }
        state.reaping = false;
        self.turn.notify_all();
        state
    }
}

impl Lane {
    /// A lane for `groups` that owns its ring alone.
    pub fn new(ring: Arc<Ring>, cancel: Arc<Cancel>, groups: Range<u32>) -> Lane {
        Lane {
            ring,
            cancel,
            groups,
            shared: None,
        }
    }

    /// One lane per entry of `groups` on a ring they all share; each lane sees
    /// only the CQEs whose user_data names one of its groups.
    pub fn shared(ring: Arc<Ring>, cancel: Arc<Cancel>, groups: Vec<Range<u32>>) -> Vec<Lane> {
        let lanes = groups.len();
        ring.share();
        let router = Arc::new(Router::new(groups.clone()));
        (0..lanes)
            .map(|i| Lane {
                ring: ring.clone(),
                cancel: cancel.clone(),
                groups: groups[i].clone(),
                shared: Some((router.clone(), i)),
            })
            .collect()
    }

    /// The ring (for its fd, e.g. as a MSG_RING target). A second thread
    /// gets at the ring only through a clone of the lane.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The cell's cancel token: helper threads a style spawns register with it.
    pub fn cancel(&self) -> &Arc<Cancel> {
        &self.cancel
    }

    /// The groups whose steps this lane submits. A style's own requests carry
    /// one of them in their user_data, so a shared ring routes them here.
    pub fn groups(&self) -> Range<u32> {
        self.groups.clone()
    }

    /// Submits `entries` (contiguously, even on a shared ring) and waits until
    /// `want` CQEs are ready for this lane, or until the kernel wakes its
    /// waiters earlier: a completing TIMEOUT request wakes every waiter however
    /// few CQEs are ready, so callers count what they reap rather than trust
    /// `want` (see [`Ring::submit_and_wait`]).
    #[inline(always)]
    pub fn submit_and_wait(&self, entries: &[Entry], want: u32) -> Result<(), RingError> {
        let Some((router, me)) = &self.shared else {
            return self.ring.submit_and_wait(entries, want);
        };
        if !entries.is_empty() {
            let _contiguous = locked(&router.submit);
            self.ring.submit_and_wait(entries, 0)?;
        }
        let mut state = locked(&router.state);
        loop {
            if state.queued[*me].len() >= want as usize {
                return Ok(());
            }
            if self.cancel.is_cancelled() {
                return Err(RingError::Cancelled);
            }
            if !router.try_turn(&mut state) {
                state = router
                    .turn
                    .wait(state)
                    .expect("no lane panics holding a router lock");
                continue;
            }
            drop(state);
            let mut reaped = Vec::new();
            let result = self
                .ring
                .submit_and_wait(&[], 1)
                .and_then(|()| self.ring.reap(|u, r| reaped.push((u, r))));
            state = router.hand_back(*me, reaped);
            result?;
        }
    }

    /// Hands this lane's ready CQEs to `f(user_data, res)`; returns how many.
    #[inline(always)]
    pub fn reap(&self, mut f: impl FnMut(u64, i32)) -> Result<usize, RingError> {
        let Some((router, me)) = &self.shared else {
            return self.ring.reap(f);
        };
        let mut state = locked(&router.state);
        let mut result = Ok(0);
        if router.try_turn(&mut state) {
            drop(state);
            let mut reaped = Vec::new();
            result = self.ring.reap(|u, r| reaped.push((u, r)));
            state = router.hand_back(*me, reaped);
        }
        let mine: Vec<(u64, i32)> = state.queued[*me].drain(..).collect();
        drop(state);
        result?;
        let n = mine.len();
        mine.into_iter().for_each(|(u, r)| f(u, r));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new(vec![0..2, 2..5, 5..6])
    }

    #[test]
    fn a_completion_goes_to_the_lane_owning_its_group() {
        let r = router();
        let owners: Vec<usize> = (0..6).map(|g| r.owner(UserData::step(g, 3), 9)).collect();
        assert_eq!(owners, [0, 0, 1, 1, 1, 2]);
        assert_eq!(r.owner(UserData::aux(4, 0), 9), 1, "a style's own request");
    }

    #[test]
    fn a_word_naming_no_lane_stays_with_the_lane_that_reaped_it() {
        let r = router();
        assert_eq!(r.owner(UserData::step(6, 0), 2), 2, "a group of no lane");
        assert_eq!(r.owner(0xdead, 1), 1, "a word this tool never writes");
    }

    #[test]
    fn handing_back_queues_each_cqe_for_its_owner_in_reaped_order() {
        let r = router();
        let mut state = locked(&r.state);
        assert!(r.try_turn(&mut state), "the turn starts free");
        assert!(!r.try_turn(&mut state), "and is taken once");
        drop(state);
        let reaped = vec![
            (UserData::step(3, 0), 0),
            (UserData::step(0, 0), 0),
            (UserData::step(4, 0), -1),
            (UserData::step(3, 1), 0),
            (7, 0),
        ];
        let mut state = r.hand_back(2, reaped);
        assert!(!state.reaping, "handing back gives up the turn");
        let queued = |state: &mut MutexGuard<'_, Inboxes>, lane: usize| -> Vec<(u64, i32)> {
            state.queued[lane].drain(..).collect()
        };
        assert_eq!(queued(&mut state, 0), [(UserData::step(0, 0), 0)]);
        assert_eq!(
            queued(&mut state, 1),
            [
                (UserData::step(3, 0), 0),
                (UserData::step(4, 0), -1),
                (UserData::step(3, 1), 0)
            ]
        );
        assert_eq!(
            queued(&mut state, 2),
            [(7, 0)],
            "the reaper keeps the foreign word"
        );
        assert!(r.try_turn(&mut state), "the turn is free again");
    }
}
