//! What a step does. Each op builds the SQE of step (group, seq), knows which
//! result means success, and for ops with a data path reads back what the steps
//! wrote so the verifier can check the order of the bytes themselves.

use crate::probe::Need;
use crate::userdata::UserData;
use crate::verify::{check_records, record, OrderLog};
use io_uring::{opcode, squeue::Entry, squeue::Flags, types};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// The kinds of step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// IORING_OP_NOP: completes inline, in submission order.
    Nop,
    /// IORING_OP_WRITE of the step's record into its group's pipe.
    Pipe,
    /// IORING_OP_WRITE appending the step's record to its group's file.
    File,
    /// IORING_OP_TIMEOUT of a short, varied duration: finishes out of submission
    /// order unless something orders it.
    Timeout,
}

/// Every op, in the order `list` shows them.
pub const OPS: &[OpKind] = &[OpKind::Nop, OpKind::Pipe, OpKind::File, OpKind::Timeout];

/// Durations of timeout steps in microseconds, cycled so that neighbours differ.
const TIMEOUT_US: [u64; 8] = [20, 3, 11, 1, 7, 15, 5, 9];

impl OpKind {
    /// Name used in configs and results.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Nop => "nop",
            OpKind::Pipe => "pipe",
            OpKind::File => "file",
            OpKind::Timeout => "timeout",
        }
    }

    /// Parses a config name.
    pub fn parse(name: &str) -> Option<OpKind> {
        OPS.iter().copied().find(|op| op.name() == name)
    }

    /// What the op does, for `list`.
    pub fn about(self) -> &'static str {
        match self {
            OpKind::Nop => "no-op; completes inline in submission order",
            OpKind::Pipe => "writes its (group, seq) record into the group's pipe",
            OpKind::File => "appends its (group, seq) record to the group's file",
            OpKind::Timeout => "timeout of 1-20 us, varied per step (reorders if unordered)",
        }
    }

    /// The kernel support a step of this op needs.
    pub fn needs(self) -> Vec<Need> {
        let (code, name) = match self {
            OpKind::Nop => (opcode::Nop::CODE, "NOP"),
            OpKind::Pipe | OpKind::File => (opcode::Write::CODE, "WRITE"),
            OpKind::Timeout => (opcode::Timeout::CODE, "TIMEOUT"),
        };
        vec![Need::Opcode(code, name)]
    }

    /// The largest steps per group the op's data path holds in one run.
    pub fn max_steps(self) -> u32 {
        match self {
            // Pipes are sized to hold one run; keep below the 1 MiB pipe-max-size.
            OpKind::Pipe => (1 << 20) / 8,
            _ => u32::MAX,
        }
    }
}

enum GroupIo {
    None,
    Pipe { read: File, write: OwnedFd },
    File { append: File, read: File },
}

/// The resources of one op for a set of groups: buffers, pipes, files, timespecs,
/// all alive for the whole cell so that in-flight SQEs never point at freed memory.
pub struct Ops {
    kind: OpKind,
    forced_async: bool,
    first_group: u32,
    steps: u32,
    records: Vec<[u8; 8]>,
    timespecs: Vec<types::Timespec>,
    io: Vec<GroupIo>,
    _dir: Option<tempfile::TempDir>,
    scratch: Vec<u8>,
}

impl Ops {
    /// Builds the resources for groups `first_group..first_group + groups`.
    pub fn new(
        kind: OpKind,
        forced_async: bool,
        first_group: u32,
        groups: u32,
        steps: u32,
    ) -> io::Result<Ops> {
        let group_range = first_group..first_group + groups;
        let (dir, io) = match kind {
            OpKind::File => {
                let dir = tempfile::Builder::new()
                    .prefix("uring-syncbench-")
                    .tempdir()?;
                let files = group_range
                    .map(|g| group_file(dir.path().join(format!("group-{g}"))))
                    .collect::<io::Result<_>>()?;
                (Some(dir), files)
            }
            OpKind::Pipe => {
                let pipes = group_range
                    .map(|_| pipe(steps as usize * 8))
                    .collect::<io::Result<_>>()?;
                (None, pipes)
            }
            OpKind::Nop | OpKind::Timeout => (None, group_range.map(|_| GroupIo::None).collect()),
        };
        let records = (first_group..first_group + groups)
            .flat_map(|g| (0..steps).map(move |s| record(g, s)))
            .collect();
        let timespecs = TIMEOUT_US
            .iter()
            .map(|us| types::Timespec::new().nsec(*us as u32 * 1000))
            .collect();
        Ok(Ops {
            kind,
            forced_async,
            first_group,
            steps,
            records,
            timespecs,
            io,
            _dir: dir,
            scratch: Vec::with_capacity(steps as usize * 8),
        })
    }

    /// The SQE of step `seq` of `group`, user_data set, IOSQE_ASYNC when forced.
    pub fn step(&self, group: u32, seq: u32) -> Entry {
        let local = (group - self.first_group) as usize;
        let entry = match (&self.io[local], self.kind) {
            (_, OpKind::Nop) => opcode::Nop::new().build(),
            (_, OpKind::Timeout) => {
                let ts = &self.timespecs[(seq as usize + local * 3) % TIMEOUT_US.len()];
                opcode::Timeout::new(ts)
                    .flags(types::TimeoutFlags::ETIME_SUCCESS)
                    .build()
            }
            (GroupIo::Pipe { write, .. }, _) => self.write(write.as_raw_fd(), local, seq),
            (GroupIo::File { append, .. }, _) => self.write(append.as_raw_fd(), local, seq),
            (GroupIo::None, _) => unreachable!("pipe and file ops always have group io"),
        };
        let entry = entry.user_data(UserData::step(group, seq));
        if self.forced_async {
            entry.flags(Flags::ASYNC)
        } else {
            entry
        }
    }

    fn write(&self, fd: i32, local: usize, seq: u32) -> Entry {
        let rec = &self.records[local * self.steps as usize + seq as usize];
        // Offset -1: use (and advance) the file position; with O_APPEND, append.
        opcode::Write::new(types::Fd(fd), rec.as_ptr(), 8)
            .offset(u64::MAX)
            .build()
    }

    /// Whether `res` is the success result of a step of this op.
    pub fn succeeded(&self, res: i32) -> bool {
        match self.kind {
            OpKind::Nop => res == 0,
            OpKind::Pipe | OpKind::File => res == 8,
            OpKind::Timeout => res == -libc::ETIME,
        }
    }

    /// Reads back what the last run wrote, checks each group's records are in
    /// order (recording the first violation in `log`), and empties pipes and files
    /// for the next run.
    pub fn collect(&mut self, log: &mut OrderLog) -> io::Result<()> {
        for (local, io) in self.io.iter_mut().enumerate() {
            let group = self.first_group + local as u32;
            self.scratch.clear();
            match io {
                GroupIo::None => continue,
                GroupIo::Pipe { read, .. } => drain_pipe(read, &mut self.scratch)?,
                GroupIo::File { append, read } => {
                    read.rewind()?;
                    read.read_to_end(&mut self.scratch)?;
                    append.set_len(0)?;
                }
            }
            if let Err(v) = check_records(group, self.steps, &self.scratch) {
                log.data_violation(v);
            }
        }
        Ok(())
    }

    /// Whether [`Ops::collect`] has any work (it costs syscalls only for data ops).
    pub fn has_data(&self) -> bool {
        matches!(self.kind, OpKind::Pipe | OpKind::File)
    }
}

fn pipe(bytes: usize) -> io::Result<GroupIo> {
    let (read, write) = crate::sys::pipe()?;
    let read = File::from(read);
    let want = bytes.max(4096) as libc::c_int;
    // SAFETY: fcntl on an owned fd.
    if unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, want) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fcntl on an owned fd; a non-blocking read end lets collect stop at empty.
    unsafe { libc::fcntl(read.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    Ok(GroupIo::Pipe { read, write })
}

fn group_file(path: PathBuf) -> io::Result<GroupIo> {
    let append = OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(&path)?;
    let read = File::open(&path)?;
    Ok(GroupIo::File { append, read })
}

fn drain_pipe(read: &mut File, out: &mut Vec<u8>) -> io::Result<()> {
    match read.read_to_end(out) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Source;
    use std::io::Write;

    /// Writes `seqs` of `group` where that group's steps would have written them.
    fn write_records(ops: &Ops, group: u32, seqs: &[u32]) {
        let bytes: Vec<u8> = seqs.iter().flat_map(|&s| record(group, s)).collect();
        match &ops.io[(group - ops.first_group) as usize] {
            GroupIo::Pipe { write, .. } => {
                File::from(write.try_clone().expect("dup the pipe's write end"))
                    .write_all(&bytes)
                    .expect("the pipe holds a pass")
            }
            GroupIo::File { append, .. } => (&*append).write_all(&bytes).expect("append"),
            GroupIo::None => panic!("{} has no data path", ops.kind.name()),
        }
    }

    #[test]
    fn collect_checks_each_groups_records_and_empties_them() {
        for kind in [OpKind::Pipe, OpKind::File] {
            let mut ops = Ops::new(kind, false, 4, 2, 3).expect("pipes and files");
            assert!(ops.has_data());
            write_records(&ops, 4, &[0, 1, 2]);
            write_records(&ops, 5, &[0, 2, 1]);
            let mut log = OrderLog::new(6, 3);
            ops.collect(&mut log).expect("read back");
            let v = log.violation().expect("group 5 wrote out of order");
            assert_eq!(
                (v.group, v.expected, v.got, v.source),
                (5, 1, 2, Source::Data),
                "{}",
                kind.name()
            );
            write_records(&ops, 4, &[0, 1, 2]);
            write_records(&ops, 5, &[0, 1, 2]);
            let mut log = OrderLog::new(6, 3);
            ops.collect(&mut log).expect("read back");
            assert_eq!(
                log.violation(),
                None,
                "{}: emptied between runs",
                kind.name()
            );
        }
    }

    #[test]
    fn ops_without_a_data_path_collect_nothing() {
        for kind in [OpKind::Nop, OpKind::Timeout] {
            let mut ops = Ops::new(kind, false, 0, 2, 3).expect("no resources");
            assert!(!ops.has_data());
            let mut log = OrderLog::new(2, 3);
            ops.collect(&mut log).expect("nothing to read");
            assert_eq!(log.violation(), None);
        }
    }

    #[test]
    fn each_op_knows_its_success() {
        let ops = |kind| Ops::new(kind, false, 0, 1, 1).expect("ops");
        assert!(ops(OpKind::Nop).succeeded(0));
        assert!(ops(OpKind::Pipe).succeeded(8) && !ops(OpKind::Pipe).succeeded(4));
        assert!(ops(OpKind::Timeout).succeeded(-libc::ETIME));
        assert!(!ops(OpKind::Timeout).succeeded(0));
    }
}
