//! How long a sweep will measure, from its config alone, for `plan`: each
//! cell that will run (and its raw reference loop) is warmed up once, then
//! runs one repetition of `rep_time` per block after a re-warm of half of
//! that (`sweep::REWARM_DIVISOR`), and, with `profile`, one more pass for its counters. Its family
//! runs at least `min_repetitions` blocks (the soonest the precision may
//! stop it) and at most `repetitions`; where `time_budget` is spent first,
//! about as many as the budget holds repetitions of `rep_time` (likely,
//! not a bound: a repetition calibrated on a cold warm-up can be shorter);
//! the header's anchors take at most their budget. Setting up rings and
//! threads, waiting for a SQPOLL ring's poller to exit before the next
//! repetition (tens of milliseconds in a guest: `workloads::settle`),
//! loading the probes and rendering the reports come on top, and
//! a cell that fails stops early, so the lower bound holds when no cell
//! fails.

use crate::config::Config;
use crate::sweep::REWARM_DIVISOR;
use std::fmt;
use std::time::Duration;
use workloads::anchors::DEFAULT_RULE;

/// The bounds of a sweep's measuring time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Every family stopping at its minimum of blocks, the anchors at once.
    pub lower: Duration,
    /// Every family running to its most blocks, the anchors their budget.
    pub upper: Duration,
    /// Every family stopping where its time budget runs out (or at a bound).
    pub likely: Duration,
    /// Blocks per family at the lower bound, the likely figure and the
    /// upper bound.
    pub blocks: (u32, u32, u32),
    /// Cells that will run.
    pub cells: usize,
    /// Raw reference loops beside them.
    pub references: usize,
}

impl Estimate {
    /// The estimate of a sweep of `config` that runs `cells` cells, of
    /// which `references` have a raw reference loop.
    pub fn of(config: &Config, cells: usize, references: usize) -> Estimate {
        let rep = config.rep_time.as_secs_f64();
        // The budget is checked after each block, on the repetitions' own
        // wall time: the first block at which it holds is spent.
        let by_budget = (config.time_budget.as_secs_f64() / rep).ceil() as u32;
        let most = config.repetitions;
        let least = config.min_repetitions.min(most);
        let blocks = (least, by_budget.clamp(least, most), most);
        // One unit (a cell or a raw loop) over `b` blocks: its warm-up, then
        // each repetition, the later ones after a re-warm.
        let unit = |b: u32| {
            config.warmup.as_secs_f64()
                + f64::from(b) * rep
                + f64::from(b.saturating_sub(1)) * rep / REWARM_DIVISOR as f64
        };
        let profile = if config.profile { rep } else { 0.0 };
        let total = |b: u32| (cells + references) as f64 * unit(b) + cells as f64 * profile;
        let anchors = if cells > 0 {
            DEFAULT_RULE.budget
        } else {
            Duration::ZERO
        };
        Estimate {
            lower: Duration::from_secs_f64(total(blocks.0)),
            likely: Duration::from_secs_f64(total(blocks.1)) + anchors,
            upper: Duration::from_secs_f64(total(blocks.2)) + anchors,
            blocks,
            cells,
            references,
        }
    }
}

/// A duration as a person reads it: `850 ms`, `12.4 s`, `3 min 20 s`.
fn readable(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "time measuring: at least {} (every family stopping at {} blocks, no cell \
             failing), likely about {} ({} blocks, where the time budget runs out), at most \
             {} ({} blocks each); setting up rings and threads, waiting for SQPOLL \
             pollers to exit, loading the probes and rendering the reports come on top; {} cell(s) and {} raw loop(s) to run",
            readable(self.lower),
            self.blocks.0,
            readable(self.likely),
            self.blocks.1,
            readable(self.upper),
            self.blocks.2,
            self.cells,
            self.references
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(keys: &str) -> Config {
        Config::parse(&format!(
            "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"nop\"]\n\
             groups = [1]\nsteps = [8]\nbatch = [8]\n{keys}"
        ))
        .unwrap()
    }

    #[test]
    fn the_bounds_are_the_fewest_and_most_blocks_each_repetition_rewarmed() {
        let c = config(
            "rep_time = \"10ms\"\nwarmup = \"20ms\"\nrepetitions = 20\nmin_repetitions = 5\n\
             time_budget = \"100ms\"\nprofile = true",
        );
        let e = Estimate::of(&c, 2, 1);
        // The budget of 100 ms is spent after 10 blocks of 10 ms.
        assert_eq!(e.blocks, (5, 10, 20));
        let ms = |d: Duration| (d.as_secs_f64() * 1e3 * 10.0).round() / 10.0;
        // 3 units × (20 + 5×10 + 4×5 ms) + 2 profile passes × 10 ms.
        assert_eq!(ms(e.lower), 290.0);
        // 3 units × (20 + 10×10 + 9×5 ms) + 20 ms, and the anchors' budget.
        assert_eq!(ms(e.likely - DEFAULT_RULE.budget), 515.0);
        // 3 units × (20 + 20×10 + 19×5 ms) + 20 ms, and the anchors' budget.
        assert_eq!(ms(e.upper - DEFAULT_RULE.budget), 965.0);
        let text = e.to_string();
        assert!(
            text.starts_with("time measuring: at least 290 ms"),
            "{text}"
        );
        let likely = format!("likely about {} (10 blocks", readable(e.likely));
        assert!(text.contains(&likely), "{text}");
        let most = format!("at most {} (20 blocks each)", readable(e.upper));
        assert!(text.contains(&most), "{text}");
    }

    #[test]
    fn nothing_to_run_takes_no_time() {
        let e = Estimate::of(&config(""), 0, 0);
        assert_eq!(
            (e.lower, e.likely, e.upper),
            (Duration::ZERO, Duration::ZERO, Duration::ZERO)
        );
    }
}
