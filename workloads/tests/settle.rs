//! `settle` against the real kernel: a dropped SQPOLL ring's poller outlives
//! the ring's fd, and `await_pollers_exit` waits until it is gone; an open
//! ring's poller is waited for only until the limit, and reported.

use io_uring::{opcode, IoUring};
use std::time::Duration;
use workloads::settle::{await_pollers_exit, poller_limit, pollers};

#[test]
fn the_poller_of_a_dropped_ring_is_waited_for_and_an_open_rings_is_reported() {
    let mut ring: IoUring = match IoUring::builder().setup_sqpoll(1000).build(8) {
        Ok(ring) => ring,
        Err(e) => {
            println!("skipped: this kernel or process cannot set up SQPOLL: {e}");
            return;
        }
    };
    // SAFETY: a NOP points at no memory.
    unsafe { ring.submission().push(&opcode::Nop::new().build()) }.expect("an empty SQ");
    ring.submit_and_wait(1).expect("the NOP completes");
    assert_eq!(pollers(), 1, "one ring, one iou-sqp thread");

    let open = await_pollers_exit(Duration::from_millis(30));
    assert_eq!(open.lingering, 1, "{open:?}");
    assert!(open.waited >= Duration::from_millis(30), "{open:?}");

    drop(ring);
    let right_after = pollers();
    let settled = await_pollers_exit(poller_limit());
    println!("poller still there right after the drop: {right_after}; gone after {settled:?}");
    assert_eq!(settled.lingering, 0, "{settled:?}");
    assert!(settled.waited < poller_limit(), "{settled:?}");
    assert_eq!(pollers(), 0);
}
