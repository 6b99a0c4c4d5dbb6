//! The machine's load over a block of repetitions: /proc/stat read when the
//! block starts and when it ends (the share of CPU time the hypervisor
//! stole in between), /proc/loadavg at its end. The sweep writes it as a
//! `load` line after the block's cell lines and warns when it was high, by
//! the reports' rule (`reports::analysis::load`).

use procfs::{Current, CurrentSI, KernelStats, LoadAverage};
use reports::schema::LoadRecord;
use std::time::Instant;

/// A block's start: when, and the CPUs' time so far (none where /proc/stat
/// cannot be read, and then no load line is written).
pub struct BlockStart {
    at: Instant,
    cpu: Option<procfs::CpuTime>,
}

impl BlockStart {
    /// Reads the CPUs' time now.
    pub fn now() -> BlockStart {
        BlockStart {
            at: Instant::now(),
            cpu: KernelStats::current().ok().map(|k| k.total),
        }
    }

    /// The load since the start: the share of all CPU time stolen, the
    /// load average now, the CPUs online; none when /proc cannot be read.
    pub fn finish(self, family: &str, block: u32) -> Option<LoadRecord> {
        let before = self.cpu?;
        let stats = KernelStats::current().ok()?;
        let load = LoadAverage::current().ok()?;
        let spent = total(&stats.total).saturating_sub(total(&before));
        let stolen = stats
            .total
            .steal
            .unwrap_or(0)
            .saturating_sub(before.steal.unwrap_or(0));
        Some(LoadRecord {
            family: family.to_string(),
            block,
            seconds: self.at.elapsed().as_secs_f64(),
            steal: if spent == 0 {
                0.0
            } else {
                stolen as f64 / spent as f64
            },
            load1: f64::from(load.one),
            cpus: stats.cpu_time.len().max(1) as u32,
        })
    }
}

/// Every tick of CPU time the line counts (guest time is inside user's).
fn total(c: &procfs::CpuTime) -> u64 {
    [c.iowait, c.irq, c.softirq, c.steal]
        .into_iter()
        .flatten()
        .fold(c.user + c.nice + c.system + c.idle, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read from this machine's /proc: a share between 0 and 1, a load
    /// average, at least one CPU, the block's duration.
    #[test]
    fn a_blocks_load_is_read_from_proc() {
        let start = BlockStart::now();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let Some(load) = start.finish("*/default/nop/g1-s4-b2-t1", 3) else {
            eprintln!("skip: /proc/stat or /proc/loadavg cannot be read here");
            return;
        };
        assert!((0.0..=1.0).contains(&load.steal), "{load:?}");
        assert!(
            load.load1 >= 0.0 && load.cpus >= 1 && load.seconds >= 0.03,
            "{load:?}"
        );
        assert_eq!(
            (load.block, load.family.as_str()),
            (3, "*/default/nop/g1-s4-b2-t1")
        );
    }
}
