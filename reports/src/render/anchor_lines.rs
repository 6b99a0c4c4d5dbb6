//! How the physical anchors read in every rendering: one line per anchor
//! ("futex wake round trip 45.1 µs (95% CI 44.8–45.5, ±0.8%)") and one
//! sentence on how they were calibrated, so that a reader can tell a slower
//! machine (its anchors moved beyond their intervals) from a slower style.
//! The mail takes the same text through [`crate::format::ascii`]; whether an
//! anchor moved between two runs is judged in
//! [`crate::analysis::judgement`].

use crate::format::{anchor_label, num, pct, time, time_unit};
use crate::schema::{AnchorValue, Calibration, StopReason};

/// One anchor: its median with the interval and precision it reached, and a
/// note when its budget ran out before the target precision; the reason
/// when it has no value; the samples alone for files written before anchors
/// had an interval.
pub fn line(anchor: &AnchorValue) -> String {
    let name = anchor_label(&anchor.name);
    let Some(ns) = anchor.ns else {
        let why = anchor.unsupported.as_deref().unwrap_or("no value");
        return format!("{name}: {why}");
    };
    let value = format!("{name} {}", time(ns));
    let (_, size) = time_unit(ns);
    match (anchor.ci_low, anchor.ci_high, anchor.precision) {
        (Some(lo), Some(hi), Some(precision)) => {
            let stop = match anchor.stop {
                Some(StopReason::Budget) => ", budget spent first",
                // The calibration sets no most samples; a file may still say so.
                Some(StopReason::MaxRepetitions) => ", most samples taken first",
                Some(StopReason::Precision) | None => "",
            };
            format!(
                "{value} (95% CI {}–{}, ±{}{stop})",
                num(lo / size),
                num(hi / size),
                pct(precision)
            )
        }
        _ => format!("{value} ({} samples, no interval recorded)", anchor.samples),
    }
}

/// How the anchors were calibrated: the target precision, the budget, what
/// it took and by how much it overshot.
pub fn calibration_sentence(c: &Calibration) -> String {
    let over = c.overshoot_ns as f64;
    let overshoot = if over > 0.0 {
        format!(", {} over", time(over))
    } else {
        String::new()
    };
    format!(
        "Each anchor was sampled until its median's bootstrap 95% confidence \
         interval was within ±{} or its share of the {} budget was spent; the \
         calibration took {}{overshoot}.",
        pct(c.target_precision),
        time(c.budget_ns as f64),
        time(c.spent_ns as f64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::ascii;

    fn futex() -> AnchorValue {
        AnchorValue {
            name: "futex_wake_round_trip".into(),
            ns: Some(45_120.0),
            samples: 40,
            ci_low: Some(44_810.0),
            ci_high: Some(45_480.0),
            precision: Some(0.0080),
            stop: Some(StopReason::Precision),
            spent_ns: Some(250_000_000),
            unsupported: None,
        }
    }

    #[test]
    fn an_anchor_reads_with_its_interval_and_precision() {
        assert_eq!(
            line(&futex()),
            "futex wake round trip 45.1 µs (95% CI 44.8–45.5, ±0.8%)"
        );
        let spent = AnchorValue {
            name: "msg_ring_round_trip".into(),
            ns: Some(950.0),
            ci_low: Some(910.0),
            ci_high: Some(1010.0),
            precision: Some(0.063),
            stop: Some(StopReason::Budget),
            ..futex()
        };
        assert_eq!(
            ascii(&line(&spent)),
            "MSG_RING round trip 950 ns (95% CI 910-1010, +-6.3%, budget spent first)"
        );
    }

    #[test]
    fn old_and_unsupported_anchors_say_what_they_have() {
        let old = AnchorValue {
            name: "syscall".into(),
            ns: Some(95.5),
            samples: 40,
            ..AnchorValue::default()
        };
        assert_eq!(
            line(&old),
            "syscall 95.5 ns (40 samples, no interval recorded)"
        );
        let missing = AnchorValue {
            name: "cache_line_round_trip".into(),
            unsupported: Some("not supported: needs two CPUs".into()),
            ..AnchorValue::default()
        };
        assert_eq!(
            line(&missing),
            "cache line round trip: not supported: needs two CPUs"
        );
    }

    #[test]
    fn the_calibration_states_its_target_budget_and_overshoot() {
        let mut c = Calibration {
            target_precision: 0.01,
            budget_ns: 1_200_000_000,
            spent_ns: 1_267_000_000,
            overshoot_ns: 67_000_000,
        };
        let text = calibration_sentence(&c);
        assert!(text.contains("within ±1.0%"), "{text}");
        assert!(text.contains("the 1.20 s budget"), "{text}");
        assert!(text.ends_with("took 1.27 s, 67.0 ms over."), "{text}");
        c.spent_ns = 1_100_000_000;
        c.overshoot_ns = 0;
        assert!(calibration_sentence(&c).ends_with("took 1.10 s."));
    }
}
