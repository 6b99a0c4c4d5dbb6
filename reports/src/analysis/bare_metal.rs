//! The anchors set against what they take on bare metal. A futex wake
//! round trip of tens of µs (a loaded or nested virtual machine) against a
//! few µs on bare metal means every style that waits on a wakeup measures
//! the machine's scheduling as much as the ordering: the cells of those
//! styles carry a label saying so, which every output shows beside them.

use crate::format::{anchor_label, time};
use crate::schema::AnchorValue;

/// An anchor's typical cost on a bare-metal machine of today, and the
/// styles whose every step waits on what it measures.
pub struct BareMetal {
    /// The anchor's name in the header.
    pub anchor: &'static str,
    /// What it takes on bare metal, in ns (a round figure).
    pub typical_ns: f64,
    /// The styles (names, any variant) it bounds.
    pub styles: &'static [&'static str],
}

/// The styles a step of which waits for a thread to be woken: the futex
/// styles, the message-ring reactor and the sync-group completer.
pub const WAKEUP_BOUND: &[&str] = &["futex", "futex-syscall", "msg-ring", "sync-group"];

/// The anchors with a bare-metal figure.
pub const BARE_METAL: &[BareMetal] = &[
    BareMetal {
        anchor: "futex_wake_round_trip",
        typical_ns: 5_000.0,
        styles: WAKEUP_BOUND,
    },
    BareMetal {
        anchor: "msg_ring_round_trip",
        typical_ns: 5_000.0,
        styles: WAKEUP_BOUND,
    },
];

/// How many times its bare-metal figure an anchor must take to be far
/// from it: past the spread between bare-metal machines.
pub const FAR: f64 = 3.0;

/// The label of a cell of `style` (its name, without variant) on a
/// machine with `anchors`: the anchors far from bare metal that bound it;
/// none when there is none.
pub fn label(anchors: &[AnchorValue], style: &str) -> Option<String> {
    let far: Vec<String> = BARE_METAL
        .iter()
        .filter(|b| b.styles.contains(&style))
        .filter_map(|b| {
            let ns = anchors.iter().find(|a| a.name == b.anchor)?.ns?;
            (ns > FAR * b.typical_ns).then(|| {
                format!(
                    "{} {} (bare metal ~{})",
                    anchor_label(b.anchor),
                    time(ns),
                    time(b.typical_ns)
                )
            })
        })
        .collect();
    (!far.is_empty()).then(|| format!("wakeups slow here: {}", far.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(name: &str, ns: f64) -> AnchorValue {
        AnchorValue {
            name: name.into(),
            ns: Some(ns),
            samples: 40,
            ci_low: None,
            ci_high: None,
            precision: None,
            stop: None,
            spent_ns: None,
            unsupported: None,
        }
    }

    #[test]
    fn wakeup_bound_styles_are_labelled_where_wakeups_are_far_from_bare_metal() {
        let vm = [
            anchor("syscall", 110.0),
            anchor("futex_wake_round_trip", 63_000.0),
            anchor("msg_ring_round_trip", 9_000.0),
        ];
        assert_eq!(
            label(&vm, "futex").as_deref(),
            Some("wakeups slow here: futex wake round trip 63.0 µs (bare metal ~5.00 µs)")
        );
        assert!(label(&vm, "sync-group").is_some() && label(&vm, "msg-ring").is_some());
        // Styles that never wait on a wakeup are not labelled.
        assert_eq!(label(&vm, "link"), None);
        assert_eq!(label(&vm, "userspace"), None);
        // Within FAR of bare metal: no label.
        let near = [anchor("futex_wake_round_trip", 9_900.0)];
        assert_eq!(label(&near, "futex"), None);
        assert_eq!(label(&[], "futex"), None);
    }
}
