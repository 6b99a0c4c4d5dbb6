//! The order verifier. Every step's CQE is recorded against its group's expected
//! next seq, and ops with a data path have their bytes checked too, so a run that
//! broke the order is caught by what the kernel actually did, not by what the
//! style intended.

use std::fmt;

/// Where a violation was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The order in which CQEs of a group arrived.
    Cqe,
    /// The order of the records the steps wrote (pipe or file contents).
    Data,
}

impl Source {
    /// Name used in results.
    pub fn name(self) -> &'static str {
        match self {
            Source::Cqe => "cqe",
            Source::Data => "data",
        }
    }
}

/// The first place a group's order broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The group.
    pub group: u32,
    /// The seq that should have come next.
    pub expected: u32,
    /// The seq that came.
    pub got: u32,
    /// Where it was seen.
    pub source: Source,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "out of order ({}): group {} expected seq {} got {}",
            self.source.name(),
            self.group,
            self.expected,
            self.got
        )
    }
}

/// Completion order of one run of a shape, per group.
#[derive(Debug)]
pub struct OrderLog {
    next: Vec<u32>,
    done: Vec<u32>,
    steps: u32,
    first: Option<Violation>,
}

impl OrderLog {
    /// A log for `groups` groups of `steps` steps each.
    pub fn new(groups: u32, steps: u32) -> OrderLog {
        OrderLog {
            next: vec![0; groups as usize],
            done: vec![0; groups as usize],
            steps,
            first: None,
        }
    }

    /// Forgets the previous run.
    pub fn reset(&mut self) {
        self.next.iter_mut().for_each(|n| *n = 0);
        self.done.iter_mut().for_each(|n| *n = 0);
        self.first = None;
    }

    /// Records that step `seq` of `group` completed now.
    pub fn complete(&mut self, group: u32, seq: u32) {
        let g = group as usize;
        if seq != self.next[g] && self.first.is_none() {
            self.first = Some(Violation {
                group,
                expected: self.next[g],
                got: seq,
                source: Source::Cqe,
            });
        }
        self.next[g] = self.next[g].max(seq + 1);
        self.done[g] += 1;
    }

    /// Steps of `group` completed so far.
    pub fn completed(&self, group: u32) -> u32 {
        self.done[group as usize]
    }

    /// Whether every step of every group completed.
    pub fn all_done(&self) -> bool {
        self.done.iter().all(|&d| d == self.steps)
    }

    /// The first violation of this run, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.first.as_ref()
    }

    /// Records a violation found in the data path (kept only if it is the first).
    pub fn data_violation(&mut self, v: Violation) {
        if self.first.is_none() {
            self.first = Some(v);
        }
    }
}

/// Checks a group's data records (each `[group u32 LE, seq u32 LE]`) show seq
/// 0, 1, 2, ... `steps`-1 for that group.
pub fn check_records(group: u32, steps: u32, bytes: &[u8]) -> Result<(), Violation> {
    let violation = |expected, got| Violation {
        group,
        expected,
        got,
        source: Source::Data,
    };
    let mut expected = 0;
    for chunk in bytes.chunks(8) {
        let Some((g, seq)) = read_record(chunk) else {
            return Err(violation(expected, u32::MAX));
        };
        if g != group || seq != expected {
            return Err(violation(expected, seq));
        }
        expected += 1;
    }
    if expected != steps {
        return Err(violation(expected, u32::MAX));
    }
    Ok(())
}

/// The record a step writes.
pub fn record(group: u32, seq: u32) -> [u8; 8] {
    let mut r = [0; 8];
    r[..4].copy_from_slice(&group.to_le_bytes());
    r[4..].copy_from_slice(&seq.to_le_bytes());
    r
}

/// The (group, seq) of a record [`record`] wrote; `None` when `bytes` is not
/// exactly one record (a short read).
pub fn read_record(bytes: &[u8]) -> Option<(u32, u32)> {
    let (group, seq) = bytes.split_first_chunk::<4>()?;
    let seq: &[u8; 4] = seq.try_into().ok()?;
    Some((u32::from_le_bytes(*group), u32::from_le_bytes(*seq)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cqe_order_catches_the_first_swap() {
        let mut log = OrderLog::new(2, 3);
        for (g, s) in [(0, 0), (1, 0), (0, 2), (0, 1), (1, 1), (1, 2)] {
            log.complete(g, s);
        }
        assert!(log.all_done());
        let v = log.violation().unwrap();
        assert_eq!(
            (v.group, v.expected, v.got, v.source),
            (0, 1, 2, Source::Cqe)
        );
    }

    #[test]
    fn data_records_must_be_complete_and_in_order() {
        let bytes: Vec<u8> = [0, 1, 2].iter().flat_map(|&s| record(3, s)).collect();
        assert!(check_records(3, 3, &bytes).is_ok());
        let swapped: Vec<u8> = [0, 2, 1].iter().flat_map(|&s| record(3, s)).collect();
        assert_eq!(check_records(3, 3, &swapped).unwrap_err().got, 2);
        assert!(check_records(3, 4, &bytes).is_err());
        assert!(check_records(2, 3, &bytes).is_err());
    }

    fn log_of(groups: u32, steps: u32, order: &[(u32, u32)]) -> OrderLog {
        let mut log = OrderLog::new(groups, steps);
        order.iter().for_each(|&(g, s)| log.complete(g, s));
        log
    }

    fn first(log: &OrderLog) -> Option<(u32, u32, u32)> {
        log.violation().map(|v| (v.group, v.expected, v.got))
    }

    #[test]
    fn steps_in_order_pass_and_count_as_done() {
        let log = log_of(1, 4, &[(0, 0), (0, 1), (0, 2), (0, 3)]);
        assert_eq!(first(&log), None);
        assert_eq!(log.completed(0), 4);
        assert!(log.all_done());
        let short = log_of(1, 4, &[(0, 0), (0, 1)]);
        assert!(!short.all_done(), "two of four steps are not a pass");
    }

    #[test]
    fn a_skipped_seq_is_the_violation() {
        let log = log_of(1, 4, &[(0, 0), (0, 2), (0, 3)]);
        assert_eq!(first(&log), Some((0, 1, 2)));
        assert!(!log.all_done());
    }

    #[test]
    fn a_repeated_seq_is_the_violation() {
        let log = log_of(1, 3, &[(0, 0), (0, 1), (0, 1), (0, 2)]);
        assert_eq!(first(&log), Some((0, 2, 1)));
    }

    #[test]
    fn groups_may_interleave_in_any_order() {
        let order = [
            (2, 0),
            (0, 0),
            (2, 1),
            (1, 0),
            (0, 1),
            (1, 1),
            (2, 2),
            (1, 2),
            (0, 2),
        ];
        let log = log_of(3, 3, &order);
        assert_eq!(first(&log), None);
        assert!(log.all_done());
    }

    #[test]
    fn only_the_first_violation_is_kept_and_reset_forgets_it() {
        let mut log = log_of(2, 2, &[(1, 1), (0, 1)]);
        assert_eq!(first(&log), Some((1, 0, 1)));
        log.data_violation(Violation {
            group: 0,
            expected: 0,
            got: 5,
            source: Source::Data,
        });
        assert_eq!(log.violation().map(|v| v.source), Some(Source::Cqe));
        log.reset();
        assert_eq!(first(&log), None);
        assert_eq!(log.completed(1), 0);
        log.data_violation(Violation {
            group: 0,
            expected: 0,
            got: 5,
            source: Source::Data,
        });
        assert_eq!(log.violation().map(|v| v.source), Some(Source::Data));
    }

    #[test]
    fn data_check_names_the_broken_record() {
        let records =
            |g: u32, seqs: &[u32]| -> Vec<u8> { seqs.iter().flat_map(|&s| record(g, s)).collect() };
        let got = |bytes: &[u8]| check_records(1, 3, bytes).map_err(|v| (v.expected, v.got));
        assert_eq!(got(&records(1, &[0, 1, 2])), Ok(()));
        assert_eq!(got(&records(1, &[0, 0, 2])), Err((1, 0)), "repeated");
        assert_eq!(got(&records(1, &[0, 2])), Err((1, 2)), "skipped");
        assert_eq!(got(&records(1, &[0, 1])), Err((2, u32::MAX)), "missing");
        let mut torn = records(1, &[0, 1, 2]);
        torn.pop();
        assert_eq!(got(&torn), Err((2, u32::MAX)), "a torn last record");
        let mut foreign = records(1, &[0, 1, 2]);
        foreign[8..16].copy_from_slice(&record(4, 1));
        assert_eq!(got(&foreign), Err((1, 1)), "another group's record");
        let v = check_records(1, 3, &records(1, &[1])).unwrap_err();
        assert_eq!(v.source, Source::Data);
        assert_eq!(
            v.to_string(),
            "out of order (data): group 1 expected seq 0 got 1"
        );
    }

    #[test]
    fn records_read_back_what_was_written() {
        assert_eq!(read_record(&record(7, 9)), Some((7, 9)));
        assert_eq!(read_record(&record(7, 9)[..7]), None);
        assert_eq!(read_record(&[0; 9]), None);
    }
}
