//! The machine's load while a run measured: the time the hypervisor stole
//! and the load average over each block of a family (the sweep's `load`
//! lines). A timing taken while other work ran on the same CPUs measures
//! that work too, and the repetitions' own spread need not show it (every
//! block of a family may be slowed alike), so every output says when either
//! was high, by the limits here; the sweep warns by the same rule as it goes.

use crate::analysis::model::CellSummary;
use crate::format::{num, pct};
use crate::schema::{CellKey, LoadRecord};

/// Steal above this share of the CPUs' time makes a block's load high:
/// past it, a timing of a few percent's precision is not the machine's own.
pub const STEAL_LIMIT: f64 = 0.02;

/// The load of a set of blocks: how many, how many were high, and the
/// worst steal and load average among them.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSummary {
    /// Blocks with a load line.
    pub blocks: usize,
    /// Blocks over a limit ([`high`]).
    pub high: usize,
    /// The largest share of time stolen in a block.
    pub max_steal: f64,
    /// The largest load average at a block's end.
    pub max_load: f64,
    /// CPUs online (the most any block saw).
    pub cpus: u32,
}

/// Whether a block's load was high: steal above [`STEAL_LIMIT`], or more
/// runnable threads on average than CPUs.
pub fn high(l: &LoadRecord) -> bool {
    l.steal > STEAL_LIMIT || l.load1 > f64::from(l.cpus)
}

/// What was high in one block, for the sweep's progress; none when neither.
pub fn block_warning(l: &LoadRecord) -> Option<String> {
    high(l).then(|| {
        format!(
            "warning: machine loaded in block {} of {}: steal {} (limit {}), load average {} on {} CPUs; its timings include other work",
            l.block,
            l.family,
            pct(l.steal),
            pct(STEAL_LIMIT),
            num(l.load1),
            l.cpus
        )
    })
}

impl LoadSummary {
    /// The summary of `loads`; none without any.
    pub fn of<'a>(loads: impl IntoIterator<Item = &'a LoadRecord>) -> Option<LoadSummary> {
        let mut out: Option<LoadSummary> = None;
        for l in loads {
            let s = out.get_or_insert(LoadSummary {
                blocks: 0,
                high: 0,
                max_steal: 0.0,
                max_load: 0.0,
                cpus: 0,
            });
            s.blocks += 1;
            s.high += usize::from(high(l));
            s.max_steal = s.max_steal.max(l.steal);
            s.max_load = s.max_load.max(l.load1);
            s.cpus = s.cpus.max(l.cpus);
        }
        out
    }

    /// The load over the blocks of `cell`'s family, from its input's lines.
    pub fn of_cell(loads: &[LoadRecord], cell: &CellSummary) -> Option<LoadSummary> {
        let family = CellKey {
            style: "*".into(),
            variant: String::new(),
            ..cell.key.clone()
        }
        .name();
        LoadSummary::of(loads.iter().filter(|l| l.family == family))
    }

    /// One line for a run: a warning when some block was loaded, else what
    /// the load was.
    pub fn line(&self) -> String {
        let worst = format!(
            "steal up to {}, load average up to {} on {} CPUs",
            pct(self.max_steal),
            num(self.max_load),
            self.cpus
        );
        match self.high {
            0 => format!("machine load: {worst} over {} blocks", self.blocks),
            n => format!(
                "WARNING: the machine was loaded in {n} of {} blocks ({worst}; limits: steal {}, load average the CPUs): timings there include other work",
                self.blocks,
                pct(STEAL_LIMIT)
            ),
        }
    }

    /// The warning alone, when some block was loaded.
    pub fn warning(&self) -> Option<String> {
        (self.high > 0).then(|| self.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(block: u32, steal: f64, load1: f64) -> LoadRecord {
        LoadRecord {
            family: "*/default/nop/g1-s16-b4-t1".into(),
            block,
            seconds: 0.2,
            steal,
            load1,
            cpus: 2,
        }
    }

    #[test]
    fn a_block_is_loaded_past_either_limit_and_the_run_says_how_often() {
        let quiet = block(0, 0.001, 0.9);
        let stolen = block(1, 0.051, 1.0);
        let crowded = block(2, 0.0, 3.2);
        assert!(!high(&quiet) && high(&stolen) && high(&crowded));
        assert_eq!(block_warning(&quiet), None);
        let warned = block_warning(&stolen).unwrap();
        assert!(
            warned.contains("block 1 of */default/nop/g1-s16-b4-t1"),
            "{warned}"
        );
        assert!(warned.contains("steal 5.1%"), "{warned}");

        let calm = LoadSummary::of([&quiet]).unwrap();
        assert_eq!(calm.warning(), None);
        assert!(
            calm.line().starts_with("machine load: steal up to 0.1%"),
            "{}",
            calm.line()
        );
        let run = LoadSummary::of([&quiet, &stolen, &crowded]).unwrap();
        assert_eq!((run.blocks, run.high, run.cpus), (3, 2, 2));
        let line = run.warning().unwrap();
        assert!(
            line.starts_with("WARNING: the machine was loaded in 2 of 3 blocks"),
            "{line}"
        );
        assert!(
            line.contains("steal up to 5.1%") && line.contains("up to 3.20 on 2 CPUs"),
            "{line}"
        );
        assert_eq!(LoadSummary::of(&[]), None);
    }
}
