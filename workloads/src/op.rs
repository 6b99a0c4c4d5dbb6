//! What a step does. Each op builds the SQEs of step (group, seq) (one, or
//! several linked in order by the op itself, written straight into the
//! style's submission buffer by [`Ops::push_step`]), knows which
//! result of each means success, and for ops with a data path reads back what
//! the steps wrote so the verifier can check the order of the bytes themselves.

use crate::probe::Need;
use crate::ring::Ring;
use crate::userdata::UserData;
use crate::verify::{check_records, record, OrderLog};
use io_uring::{opcode, squeue::Entry, squeue::Flags, types};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::ops::Range;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The connected stream sockets a `socket` op can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketKind {
    /// socketpair(AF_UNIX, SOCK_STREAM).
    Unix,
    /// A loopback TCP connection with TCP_NODELAY.
    Tcp,
}

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
    /// IORING_OP_WRITE appending the step's record to its group's file on a
    /// durable file system, then IORING_OP_FSYNC (DATASYNC) of that file.
    Fsync,
    /// IORING_OP_READ_FIXED of the step's record from its group's source file
    /// into a registered buffer, then IORING_OP_WRITE_FIXED appending it to
    /// the group's destination file.
    Copy,
    /// IORING_OP_SEND of the step's record on its group's connected socket.
    Socket(SocketKind),
}

/// Every op, in the order `list` shows them.
pub const OPS: &[OpKind] = &[
    OpKind::Nop,
    OpKind::Pipe,
    OpKind::File,
    OpKind::Timeout,
    OpKind::Fsync,
    OpKind::Copy,
    OpKind::Socket(SocketKind::Unix),
    OpKind::Socket(SocketKind::Tcp),
];

/// Where the `fsync` op's files go unless the cell says otherwise
/// ([`crate::cell::CellSpec::fsync_dir`], from the config): a disk-backed
/// directory on most systems, where /tmp may be tmpfs.
pub const DEFAULT_FSYNC_DIR: &str = "/var/tmp";

/// Socket buffers, each way: room for a pass of [`SOCKET_MAX_STEPS`] small
/// sends, each of which the kernel charges a whole buffer for.
const SOCKET_BUFFER: libc::c_int = 4 << 20;

/// The most steps per group a socket op holds in one pass: the sends of a
/// pass must fit the socket buffers, since nothing reads them until the pass
/// is over (a send that does not fit would never complete).
const SOCKET_MAX_STEPS: u32 = 2048;

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
            OpKind::Fsync => "fsync",
            OpKind::Copy => "copy",
            OpKind::Socket(SocketKind::Unix) => "socket:unix",
            OpKind::Socket(SocketKind::Tcp) => "socket:tcp",
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
            OpKind::Fsync => "appends its record to the group's file, then fdatasyncs it",
            OpKind::Copy => "READ_FIXED of its record, WRITE_FIXED appending it",
            OpKind::Socket(SocketKind::Unix) => {
                "sends its record on the group's AF_UNIX stream socket"
            }
            OpKind::Socket(SocketKind::Tcp) => {
                "sends its record on the group's loopback TCP socket"
            }
        }
    }

    /// The kernel support a step of this op needs (and, for `fsync`, that
    /// `fsync_dir` is on a file system whose fsync writes somewhere).
    pub fn needs(self, fsync_dir: &Path) -> Vec<Need> {
        let op = |code, name| Need::Opcode(code, name);
        match self {
            OpKind::Nop => vec![op(opcode::Nop::CODE, "NOP")],
            OpKind::Pipe | OpKind::File => vec![op(opcode::Write::CODE, "WRITE")],
            OpKind::Timeout => vec![op(opcode::Timeout::CODE, "TIMEOUT")],
            OpKind::Fsync => vec![
                op(opcode::Write::CODE, "WRITE"),
                op(opcode::Fsync::CODE, "FSYNC"),
                Need::DurableDir(fsync_dir.to_path_buf()),
            ],
            OpKind::Copy => vec![
                op(opcode::ReadFixed::CODE, "READ_FIXED"),
                op(opcode::WriteFixed::CODE, "WRITE_FIXED"),
            ],
            OpKind::Socket(_) => vec![op(opcode::Send::CODE, "SEND")],
        }
    }

    /// The largest steps per group the op's data path holds in one run.
    pub fn max_steps(self) -> u32 {
        match self {
            // Pipes are sized to hold one run; keep below the 1 MiB pipe-max-size.
            OpKind::Pipe => (1 << 20) / 8,
            OpKind::Socket(_) => SOCKET_MAX_STEPS,
            _ => u32::MAX,
        }
    }

    /// SQEs per step: the CQEs a step posts, whatever becomes of it.
    pub fn parts(self) -> u32 {
        match self {
            OpKind::Fsync | OpKind::Copy => 2,
            _ => 1,
        }
    }

    /// Whether the op reads and writes through buffers registered with the
    /// ring that runs its steps ([`Ops::register`]).
    pub fn registers_buffers(self) -> bool {
        self == OpKind::Copy
    }

    /// Whether `res` is the success result of SQE `part` of a step.
    pub fn succeeded(self, part: u8, res: i32) -> bool {
        match (self, part) {
            (OpKind::Nop, _) => res == 0,
            (OpKind::Timeout, _) => res == -libc::ETIME,
            (OpKind::Fsync, 1) => res == 0,
            _ => res == 8,
        }
    }
}

/// What a style adds to the SQEs of one step, on top of what the op sets
/// (its own IOSQE_IO_LINK between a step's parts, IOSQE_ASYNC when forced).
/// A flag that makes the step wait for earlier work (IOSQE_IO_DRAIN) goes on
/// its first SQE; one that makes the next step wait for it (IOSQE_IO_LINK,
/// IOSQE_IO_HARDLINK) on its last; `inner` strengthens the op's own link
/// between the parts (the futex chain hardlinks them). The flags are set
/// as each SQE is built, so a step's SQEs are written once, straight into
/// the style's submission buffer ([`Ops::push_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepFlags {
    /// Added to the step's first SQE.
    pub first: Flags,
    /// Added to every SQE of the step but its last.
    pub inner: Flags,
    /// Added to the step's last SQE.
    pub last: Flags,
}

impl StepFlags {
    /// Nothing added: the step as the op builds it.
    pub const NONE: StepFlags = StepFlags {
        first: Flags::empty(),
        inner: Flags::empty(),
        last: Flags::empty(),
    };

    /// `flags` on the first SQE only.
    pub const fn first(flags: Flags) -> StepFlags {
        StepFlags {
            first: flags,
            ..StepFlags::NONE
        }
    }

    /// `flags` on the last SQE only.
    pub const fn last(flags: Flags) -> StepFlags {
        StepFlags {
            last: flags,
            ..StepFlags::NONE
        }
    }
}

/// Every SQE of every step of a lane, built once per cell with its part's
/// user_data and the op's own flags (IOSQE_IO_LINK between a step's parts,
/// IOSQE_ASYNC when forced): what a step is never changes from pass to pass,
/// so a pass only copies it, adding the style's flags on the way. Shared by
/// the lane thread ([`Ops::push_step`]) and a style's helper threads, so
/// every style takes its steps through this one path at one cost.
pub struct PreparedSteps {
    first_group: u32,
    steps: u32,
    parts: usize,
    sqes: Box<[Entry]>,
}

impl PreparedSteps {
    /// Where the SQEs of step `seq` of `group` start in the table.
    #[inline(always)]
    fn at(&self, group: u32, seq: u32) -> usize {
        let local = (group - self.first_group) as usize;
        (local * self.steps as usize + seq as usize) * self.parts
    }

    /// Appends the SQEs of step `seq` of `group` to `out`, in order, each
    /// copied once with the style's flags `add` set.
    #[inline(always)]
    pub fn push(&self, out: &mut Vec<Entry>, group: u32, seq: u32, add: StepFlags) {
        let at = self.at(group, seq);
        let sqes = &self.sqes[at..at + self.parts];
        if add == StepFlags::NONE {
            // The step as prepared: one plain copy.
            out.extend_from_slice(sqes);
            return;
        }
        match sqes {
            [only] => out.push(only.clone().flags(add.first | add.last)),
            [head, inner @ .., tail] => {
                out.push(head.clone().flags(add.first | add.inner));
                out.extend(inner.iter().map(|sqe| sqe.clone().flags(add.inner)));
                out.push(tail.clone().flags(add.last));
            }
            [] => unreachable!("a step has at least one SQE"),
        }
    }

    /// Appends steps `seqs` of `group` to `out` as one chain: the steps'
    /// SQEs (consecutive in the table) copied in one go, then `flag` set on
    /// the last SQE of every step but the chain's last, so that each step
    /// waits for the whole step before it.
    #[inline(always)]
    pub fn push_chain(&self, out: &mut Vec<Entry>, group: u32, seqs: Range<u32>, flag: Flags) {
        let (start, end) = (self.at(group, seqs.start), self.at(group, seqs.end));
        let from = out.len();
        out.extend_from_slice(&self.sqes[start..end]);
        // The last SQE of each step but the chain's last.
        let mut tail = from + self.parts - 1;
        while tail + self.parts < out.len() {
            out[tail] = out[tail].clone().flags(flag);
            tail += self.parts;
        }
    }
}

enum GroupIo {
    None,
    Pipe { read: File, write: OwnedFd },
    File { append: File, read: File },
    Copy { source: File, dest: Box<GroupIo> },
    Socket { send: OwnedFd, receive: File },
}

/// The resources of one op for a set of groups: buffers, pipes, files,
/// sockets, timespecs, all alive for the whole cell so that in-flight SQEs
/// never point at freed memory.
pub struct Ops {
    kind: OpKind,
    /// IOSQE_ASYNC when steps are forced through io-wq, else nothing.
    forced: Flags,
    /// SQEs per step ([`OpKind::parts`]), looked up once.
    parts: usize,
    first_group: u32,
    steps: u32,
    records: Vec<[u8; 8]>,
    /// The `copy` op's registered buffer: one 8-byte slot per step of the
    /// lane, so that steps in flight together never share one.
    fixed: Box<[u8]>,
    timespecs: Vec<types::Timespec>,
    io: Vec<GroupIo>,
    /// Every step's SQEs, built once.
    prepared: Arc<PreparedSteps>,
    _dir: Option<tempfile::TempDir>,
    scratch: Vec<u8>,
}

impl Ops {
    /// Builds the resources for groups `first_group..first_group + groups`;
    /// an `fsync` op's files go in `fsync_dir`.
    pub fn new(
        kind: OpKind,
        forced_async: bool,
        first_group: u32,
        groups: u32,
        steps: u32,
        fsync_dir: &Path,
    ) -> io::Result<Ops> {
        let group_range = first_group..first_group + groups;
        let records: Vec<[u8; 8]> = group_range
            .clone()
            .flat_map(|g| (0..steps).map(move |s| record(g, s)))
            .collect();
        let mut dir = None;
        let mut files = |parent: &Path, what: &str| -> io::Result<Vec<GroupIo>> {
            let made = tempfile::Builder::new()
                .prefix("uring-syncbench-")
                .tempdir_in(parent)?;
            let files = group_range
                .clone()
                .map(|g| group_file(made.path().join(format!("{what}-{g}"))))
                .collect::<io::Result<_>>();
            dir = Some(made);
            files
        };
        let io = match kind {
            OpKind::File => files(&std::env::temp_dir(), "group")?,
            OpKind::Fsync => files(fsync_dir, "group")?,
            OpKind::Copy => {
                let dests = files(&std::env::temp_dir(), "dest")?;
                let root = dir.as_ref().map(|d| d.path().to_path_buf());
                let root = root.ok_or_else(|| io::Error::other("no directory for copy"))?;
                dests
                    .into_iter()
                    .enumerate()
                    .map(|(local, dest)| {
                        let path = root.join(format!("source-{}", first_group + local as u32));
                        let mut source = File::create_new(&path)?;
                        let start = local * steps as usize;
                        for rec in &records[start..start + steps as usize] {
                            source.write_all(rec)?;
                        }
                        Ok(GroupIo::Copy {
                            source: File::open(&path)?,
                            dest: Box::new(dest),
                        })
                    })
                    .collect::<io::Result<_>>()?
            }
            OpKind::Pipe => group_range
                .clone()
                .map(|_| pipe(steps as usize * 8))
                .collect::<io::Result<_>>()?,
            OpKind::Socket(socket) => group_range
                .clone()
                .map(|_| connected(socket))
                .collect::<io::Result<_>>()?,
            OpKind::Nop | OpKind::Timeout => group_range.clone().map(|_| GroupIo::None).collect(),
        };
        let fixed = if kind.registers_buffers() {
            vec![0u8; records.len() * 8].into_boxed_slice()
        } else {
            Box::default()
        };
        let timespecs = TIMEOUT_US
            .iter()
            .map(|us| types::Timespec::new().nsec(*us as u32 * 1000))
            .collect();
        let mut ops = Ops {
            kind,
            forced: if forced_async {
                Flags::ASYNC
            } else {
                Flags::empty()
            },
            parts: kind.parts() as usize,
            first_group,
            steps,
            records,
            fixed,
            timespecs,
            io,
            prepared: Arc::new(PreparedSteps {
                first_group,
                steps,
                parts: kind.parts() as usize,
                sqes: Box::default(),
            }),
            _dir: dir,
            scratch: Vec::with_capacity(steps as usize * 8),
        };
        let mut sqes = Vec::with_capacity(ops.records.len() * ops.parts);
        for group in group_range {
            for seq in 0..steps {
                ops.build_step(group, seq, |part, sqe| {
                    let last = part + 1 == ops.parts;
                    let link = if last { Flags::empty() } else { Flags::IO_LINK };
                    sqes.push(
                        sqe.flags(ops.forced | link)
                            .user_data(UserData::step_part(group, seq, part as u8, last)),
                    );
                });
            }
        }
        ops.prepared = Arc::new(PreparedSteps {
            sqes: sqes.into_boxed_slice(),
            ..*ops.prepared
        });
        Ok(ops)
    }

    /// Registers the op's buffers with `ring`, which will run its steps: a
    /// no-op for ops without registered buffers. Once per ring.
    pub fn register(&self, ring: &Ring) -> io::Result<()> {
        if self.fixed.is_empty() {
            return Ok(());
        }
        ring.register_buffers(&[(self.fixed.as_ptr() as usize, self.fixed.len())])
    }

    /// Appends the SQEs of step `seq` of `group` to `out`, in order, each
    /// copied once from the prepared steps with the style's flags `add` (see
    /// [`PreparedSteps::push`]).
    #[inline(always)]
    pub fn push_step(&self, out: &mut Vec<Entry>, group: u32, seq: u32, add: StepFlags) {
        self.prepared.push(out, group, seq, add);
    }

    /// The prepared steps, for a style's helper thread to take steps from.
    pub(crate) fn prepared(&self) -> &Arc<PreparedSteps> {
        &self.prepared
    }

    /// Hands each SQE of step `seq` of `group` to `emit` with its part
    /// number, as the op builds it (no flags, no user_data): once per step
    /// and cell, when the table is built.
    fn build_step(&self, group: u32, seq: u32, mut emit: impl FnMut(usize, Entry)) {
        let local = (group - self.first_group) as usize;
        let slot = local * self.steps as usize + seq as usize;
        match (self.kind, &self.io[local]) {
            (OpKind::Nop, _) => emit(0, opcode::Nop::new().build()),
            (OpKind::Timeout, _) => {
                let ts = &self.timespecs[(seq as usize + local * 3) % TIMEOUT_US.len()];
                emit(
                    0,
                    opcode::Timeout::new(ts)
                        .flags(types::TimeoutFlags::ETIME_SUCCESS)
                        .build(),
                );
            }
            (_, GroupIo::Pipe { write, .. }) => emit(0, self.write(write.as_raw_fd(), slot)),
            (OpKind::Fsync, GroupIo::File { append, .. }) => {
                emit(0, self.write(append.as_raw_fd(), slot));
                emit(
                    1,
                    opcode::Fsync::new(types::Fd(append.as_raw_fd()))
                        .flags(types::FsyncFlags::DATASYNC)
                        .build(),
                );
            }
            (_, GroupIo::File { append, .. }) => emit(0, self.write(append.as_raw_fd(), slot)),
            (_, GroupIo::Copy { source, dest }) => {
                let GroupIo::File { append, .. } = &**dest else {
                    unreachable!("a copy's destination is a file")
                };
                // The slot lives as long as the ops; both SQEs name buffer 0,
                // the one registered region, at the step's own 8 bytes in it.
                let buf = self.fixed[slot * 8..].as_ptr();
                emit(
                    0,
                    opcode::ReadFixed::new(types::Fd(source.as_raw_fd()), buf.cast_mut(), 8, 0)
                        .offset(u64::from(seq) * 8)
                        .build(),
                );
                emit(
                    1,
                    opcode::WriteFixed::new(types::Fd(append.as_raw_fd()), buf, 8, 0)
                        .offset(u64::MAX)
                        .build(),
                );
            }
            (_, GroupIo::Socket { send, .. }) => {
                let rec = &self.records[slot];
                emit(
                    0,
                    opcode::Send::new(types::Fd(send.as_raw_fd()), rec.as_ptr(), 8)
                        .flags(libc::MSG_NOSIGNAL)
                        .build(),
                );
            }
            (_, GroupIo::None) => unreachable!("ops with a data path always have group io"),
        }
    }

    fn write(&self, fd: i32, slot: usize) -> Entry {
        let rec = &self.records[slot];
        // Offset -1: use (and advance) the file position; with O_APPEND, append.
        opcode::Write::new(types::Fd(fd), rec.as_ptr(), 8)
            .offset(u64::MAX)
            .build()
    }

    /// Whether `res` is the success result of SQE `part` of a step of this op.
    pub fn succeeded(&self, part: u8, res: i32) -> bool {
        self.kind.succeeded(part, res)
    }

    /// SQEs per step ([`OpKind::parts`]), as looked up once.
    #[inline(always)]
    pub fn parts(&self) -> u32 {
        self.parts as u32
    }

    /// Reads back what the last run wrote, checks each group's records are in
    /// order (recording the first violation in `log`), and empties pipes,
    /// files and sockets for the next run.
    pub fn collect(&mut self, log: &mut OrderLog) -> io::Result<()> {
        let want = self.steps as usize * 8;
        for (local, io) in self.io.iter_mut().enumerate() {
            let group = self.first_group + local as u32;
            self.scratch.clear();
            match io {
                GroupIo::None => continue,
                GroupIo::Pipe { read, .. } => drain_nonblocking(read, &mut self.scratch)?,
                GroupIo::File { append, read } => read_file(append, read, &mut self.scratch)?,
                GroupIo::Copy { dest, .. } => match &mut **dest {
                    GroupIo::File { append, read } => read_file(append, read, &mut self.scratch)?,
                    _ => unreachable!("a copy's destination is a file"),
                },
                GroupIo::Socket { receive, .. } => {
                    receive_pass(receive, want, SOCKET_GRACE, &mut self.scratch)?
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
        !matches!(self.kind, OpKind::Nop | OpKind::Timeout)
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

/// A connected stream socket pair of `kind`: the sending end for the steps
/// and the non-blocking receiving end for `collect`, with buffers for a pass.
fn connected(kind: SocketKind) -> io::Result<GroupIo> {
    let (send, receive): (OwnedFd, OwnedFd) = match kind {
        SocketKind::Unix => {
            let (a, b) = UnixStream::pair()?;
            (a.into(), b.into())
        }
        SocketKind::Tcp => {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let send = TcpStream::connect(listener.local_addr()?)?;
            let (receive, _) = listener.accept()?;
            send.set_nodelay(true)?;
            (send.into(), receive.into())
        }
    };
    buffer(&send, libc::SO_SNDBUFFORCE, libc::SO_SNDBUF)?;
    buffer(&receive, libc::SO_RCVBUFFORCE, libc::SO_RCVBUF)?;
    let receive = File::from(receive);
    // SAFETY: fcntl on an owned fd; a non-blocking receiving end lets collect stop.
    unsafe { libc::fcntl(receive.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    Ok(GroupIo::Socket { send, receive })
}

/// Sets a socket buffer to [`SOCKET_BUFFER`]: past the sysctl limit when
/// privileged (`forced`), else as far as the limit allows.
fn buffer(fd: &OwnedFd, forced: libc::c_int, plain: libc::c_int) -> io::Result<()> {
    let set = |opt| {
        // SAFETY: setsockopt on an owned socket with a live int.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&SOCKET_BUFFER as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    if set(forced) == 0 || set(plain) == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
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

fn read_file(append: &File, read: &mut File, out: &mut Vec<u8>) -> io::Result<()> {
    read.rewind()?;
    read.read_to_end(out)?;
    append.set_len(0)
}

fn drain_nonblocking(read: &mut File, out: &mut Vec<u8>) -> io::Result<()> {
    match read.read_to_end(out) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e),
    }
}

/// How long `collect` waits for a pass's bytes still in flight on a socket
/// (a loopback TCP segment may be delivered just after its send completed).
const SOCKET_GRACE: Duration = Duration::from_secs(1);

/// Reads what a pass sent on a socket: everything queued, waiting up to
/// `grace` for more while fewer than `want` bytes arrived. What never
/// arrives is left for the order check to report as missing.
fn receive_pass(
    receive: &mut File,
    want: usize,
    grace: Duration,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    loop {
        drain_nonblocking(receive, out)?;
        if out.len() >= want {
            return Ok(());
        }
        let mut pfd = libc::pollfd {
            fd: receive.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one live pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, grace.as_millis() as libc::c_int) };
        match ready {
            0 => return Ok(()),
            r if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted => {
                return Err(io::Error::last_os_error())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Source;

    /// Writes `seqs` of `group` where that group's steps would have written them.
    fn write_records(ops: &Ops, group: u32, seqs: &[u32]) {
        let bytes: Vec<u8> = seqs.iter().flat_map(|&s| record(group, s)).collect();
        let append = |file: &File| (&*file).write_all(&bytes).expect("append");
        match &ops.io[(group - ops.first_group) as usize] {
            GroupIo::Pipe { write, .. } => {
                File::from(write.try_clone().expect("dup the pipe's write end"))
                    .write_all(&bytes)
                    .expect("the pipe holds a pass")
            }
            GroupIo::Socket { send, .. } => File::from(send.try_clone().expect("dup the socket"))
                .write_all(&bytes)
                .expect("the socket buffers hold a pass"),
            GroupIo::File { append: file, .. } => append(file),
            GroupIo::Copy { dest, .. } => match &**dest {
                GroupIo::File { append: file, .. } => append(file),
                _ => unreachable!(),
            },
            GroupIo::None => panic!("{} has no data path", ops.kind.name()),
        }
    }

    /// The data ops whose resources a unit test can build anywhere (`fsync`
    /// needs a durable directory, tested against the kernel).
    const DATA_OPS: [OpKind; 5] = [
        OpKind::Pipe,
        OpKind::File,
        OpKind::Copy,
        OpKind::Socket(SocketKind::Unix),
        OpKind::Socket(SocketKind::Tcp),
    ];

    #[test]
    fn collect_checks_each_groups_records_and_empties_them() {
        for kind in DATA_OPS {
            let mut ops = Ops::new(kind, false, 4, 2, 3, Path::new(DEFAULT_FSYNC_DIR))
                .expect("pipes, files and sockets");
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
    fn a_socket_pass_with_missing_bytes_is_read_as_far_as_it_came() {
        let mut ops = Ops::new(
            OpKind::Socket(SocketKind::Unix),
            false,
            0,
            1,
            3,
            Path::new(DEFAULT_FSYNC_DIR),
        )
        .expect("socket");
        write_records(&ops, 0, &[0, 1]);
        let GroupIo::Socket { receive, .. } = &mut ops.io[0] else {
            panic!("socket io")
        };
        let mut got = Vec::new();
        let grace = Duration::from_millis(20);
        receive_pass(receive, 24, grace, &mut got).expect("read what came");
        assert_eq!(
            got.len(),
            16,
            "the two records sent, then the grace ran out"
        );
        let v = check_records(0, 3, &got).expect_err("seq 2 never arrived");
        assert_eq!((v.group, v.expected), (0, 2));
    }

    #[test]
    fn ops_without_a_data_path_collect_nothing() {
        for kind in [OpKind::Nop, OpKind::Timeout] {
            let mut ops =
                Ops::new(kind, false, 0, 2, 3, Path::new(DEFAULT_FSYNC_DIR)).expect("no resources");
            assert!(!ops.has_data());
            let mut log = OrderLog::new(2, 3);
            ops.collect(&mut log).expect("nothing to read");
            assert_eq!(log.violation(), None);
        }
    }

    #[test]
    fn each_op_knows_the_success_of_each_part() {
        assert!(OpKind::Nop.succeeded(0, 0));
        assert!(OpKind::Pipe.succeeded(0, 8) && !OpKind::Pipe.succeeded(0, 4));
        assert!(OpKind::Timeout.succeeded(0, -libc::ETIME));
        assert!(!OpKind::Timeout.succeeded(0, 0));
        assert!(OpKind::Fsync.succeeded(0, 8) && OpKind::Fsync.succeeded(1, 0));
        assert!(!OpKind::Fsync.succeeded(1, 8) && !OpKind::Fsync.succeeded(0, 0));
        assert!(OpKind::Copy.succeeded(0, 8) && OpKind::Copy.succeeded(1, 8));
        assert!(!OpKind::Copy.succeeded(1, -libc::ECANCELED));
        assert!(OpKind::Socket(SocketKind::Tcp).succeeded(0, 8));
        assert!(!OpKind::Socket(SocketKind::Tcp).succeeded(0, 7));
    }

    #[test]
    fn every_op_parses_from_its_name_and_sockets_name_their_kind() {
        for &op in OPS {
            assert_eq!(OpKind::parse(op.name()), Some(op), "{}", op.name());
        }
        assert_eq!(
            OpKind::parse("socket:tcp"),
            Some(OpKind::Socket(SocketKind::Tcp))
        );
        assert_eq!(OpKind::parse("socket"), None);
        assert_eq!(OpKind::parse("socket:udp"), None);
    }

    /// The SQEs of step `seq` of `group` with `add`, as a style's buffer gets them.
    fn step(ops: &Ops, group: u32, seq: u32, add: StepFlags) -> Vec<Entry> {
        let mut out = Vec::new();
        ops.push_step(&mut out, group, seq, add);
        out
    }

    #[test]
    fn a_steps_sqes_are_its_parts_in_order_linked_inside() {
        let decode = |e: &Entry| UserData::decode(e.get_user_data()).expect("a step's word");
        for (kind, parts) in [(OpKind::Nop, 1), (OpKind::Copy, 2), (OpKind::File, 1)] {
            let ops = Ops::new(kind, false, 2, 2, 4, Path::new(DEFAULT_FSYNC_DIR)).expect("ops");
            let sqes = step(&ops, 3, 1, StepFlags::NONE);
            assert_eq!(sqes.len(), parts, "{}", kind.name());
            assert_eq!(ops.parts() as usize, parts);
            for (i, sqe) in sqes.iter().enumerate() {
                let d = decode(sqe);
                assert_eq!((d.group, d.seq, d.part), (3, 1, i as u8));
                assert_eq!(d.last, i + 1 == parts, "{}", kind.name());
            }
        }
    }

    #[test]
    fn styles_flag_a_steps_first_inner_or_last_sqe() {
        let ops =
            Ops::new(OpKind::Copy, false, 0, 1, 2, Path::new(DEFAULT_FSYNC_DIR)).expect("copy");
        let flags = |add| -> Vec<u8> { step(&ops, 0, 0, add).iter().map(sqe_flags).collect() };
        let link = Flags::IO_LINK.bits();
        let drain = Flags::IO_DRAIN.bits();
        let hard = Flags::IO_HARDLINK.bits();
        assert_eq!(flags(StepFlags::NONE), [link, 0], "the op links its parts");
        assert_eq!(flags(StepFlags::first(Flags::IO_DRAIN)), [link | drain, 0]);
        assert_eq!(flags(StepFlags::last(Flags::IO_HARDLINK)), [link, hard]);
        let inner = StepFlags {
            inner: Flags::IO_HARDLINK,
            ..StepFlags::NONE
        };
        assert_eq!(flags(inner), [link | hard, 0]);
        let forced =
            Ops::new(OpKind::Copy, true, 0, 1, 2, Path::new(DEFAULT_FSYNC_DIR)).expect("copy");
        let asynchronous = Flags::ASYNC.bits();
        let sqes = step(&forced, 0, 1, StepFlags::NONE);
        assert_eq!(
            sqes.iter().map(sqe_flags).collect::<Vec<_>>(),
            [link | asynchronous, asynchronous]
        );
        let nop = Ops::new(OpKind::Nop, false, 0, 1, 1, Path::new(DEFAULT_FSYNC_DIR)).expect("nop");
        let both = StepFlags {
            first: Flags::IO_DRAIN,
            last: Flags::IO_LINK,
            ..StepFlags::NONE
        };
        let sqes = step(&nop, 0, 0, both);
        assert_eq!(
            sqes.iter().map(sqe_flags).collect::<Vec<_>>(),
            [drain | link]
        );
    }

    /// The flags byte of an SQE, as the kernel reads it.
    fn sqe_flags(e: &Entry) -> u8 {
        // SAFETY: an Entry is the 64-byte io_uring_sqe; flags is byte 1.
        let bytes: &[u8; 64] = unsafe { &*(e as *const Entry).cast() };
        bytes[1]
    }

    #[test]
    fn a_copy_source_holds_its_groups_records_in_order() {
        let ops =
            Ops::new(OpKind::Copy, false, 7, 2, 3, Path::new(DEFAULT_FSYNC_DIR)).expect("copy");
        for (local, group) in [(0, 7), (1, 8)] {
            let GroupIo::Copy { source, .. } = &ops.io[local] else {
                panic!("copy io")
            };
            let mut bytes = Vec::new();
            (&*source).read_to_end(&mut bytes).expect("read the source");
            assert_eq!(check_records(group, 3, &bytes), Ok(()));
        }
        assert_eq!(ops.fixed.len(), 2 * 3 * 8, "one 8-byte slot per step");
    }

    #[test]
    fn socket_ops_cap_their_steps_to_what_a_pass_can_hold() {
        assert_eq!(
            OpKind::Socket(SocketKind::Unix).max_steps(),
            SOCKET_MAX_STEPS
        );
        assert_eq!(OpKind::Copy.max_steps(), u32::MAX);
    }
}
