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
    for record in bytes.chunks(8) {
        if record.len() < 8 {
            return Err(violation(expected, u32::MAX));
        }
        let g = u32::from_le_bytes(record[..4].try_into().unwrap());
        let seq = u32::from_le_bytes(record[4..].try_into().unwrap());
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
}
