//! Helpers shared by the bench-runner integration tests: the binary, small
//! configs, and reading results files.

#![allow(dead_code)]

pub mod outside;
pub mod toolchain;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench-runner"))
}

/// A bug mail's shape: every line within 72 columns, the subject as given,
/// and the sections a kernel developer reads in order.
pub fn assert_mail_shape(mail: &str, subject: &str) {
    assert!(mail.lines().all(|l| l.chars().count() <= 72), "{mail}");
    assert!(mail.starts_with(subject), "{mail}");
    for title in [
        "Expected",
        "What happened",
        "Kernel and machine",
        "Reproducer",
        "Commands",
    ] {
        assert!(mail.contains(&format!("\n\n{title}\n")), "{title}: {mail}");
    }
}

/// Runs `cmd` and returns its output, failing the test with its stderr
/// unless it exited 0.
pub fn succeeds(cmd: &mut Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A small, valid config; `extra` lines replace keys of the same name.
pub fn config(extra: &str) -> String {
    let base = [
        ("styles", r#"["link", "userspace"]"#),
        ("modes", r#"["default"]"#),
        ("ops", r#"["nop"]"#),
        ("groups", "[2]"),
        ("steps", "[4]"),
        ("batch", "[2]"),
        ("repetitions", "3"),
        ("min_repetitions", "1"),
        ("warmup", r#""5ms""#),
        ("time_budget", r#""100ms""#),
        ("rep_time", r#""2ms""#),
        ("profile", "false"),
    ];
    let overridden: Vec<&str> = extra
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut text: String = base
        .iter()
        .filter(|(k, _)| !overridden.contains(k))
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    text.push_str(extra);
    text.push('\n');
    text
}

/// Writes `text` as a config file in `dir`.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A temporary directory laid out for one sweep of `config_text`: the
/// directory itself (removed when dropped: keep it bound), the config's path,
/// the `TMPDIR` to hand to [`sweep_command`] (created) and the output dir.
pub fn sweep_dir(config_text: &str) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), config_text);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = dir.path().join("out");
    (dir, config, tmp, out)
}

/// Runs a sweep and returns its output.
pub fn sweep(config: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("sweep")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Runs a sweep of `config_text` in a fresh directory that must succeed;
/// returns the directory (removed when dropped: keep it bound), the results
/// file and its cell lines.
pub fn finished_sweep(config_text: &str) -> (tempfile::TempDir, PathBuf, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), config_text);
    let out = dir.path().join("out");
    let output = sweep(&path, &out, &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = out.join("results.jsonl");
    let lines = cell_lines(&results);
    (dir, results, lines)
}

/// The cell lines of a results file as JSON values (not its header, nor
/// the load lines written after each block).
pub fn cell_lines(results: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(results)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "cell")
        .collect()
}

/// A sweep command with `TMPDIR` pointed at `tmp` (where the `file` op puts
/// its temp dirs), in a process group of its own, so that whatever it leaves
/// running can be found by [`assert_clean_exit`].
pub fn sweep_command(config: &Path, out: &Path, tmp: &Path, extra: &[&str]) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = bin();
    cmd.arg("sweep")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("TMPDIR", tmp)
        .process_group(0);
    cmd
}

/// Waits for `child`, killing it and failing the test after `limit`.
pub fn wait_within(child: &mut std::process::Child, limit: std::time::Duration) -> ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bench-runner still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Names of the cells `plan` lists for a config.
pub fn planned(config: &Path) -> BTreeSet<String> {
    let output = bin().arg("plan").arg(config).output().unwrap();
    assert!(output.status.success(), "plan failed: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.contains('/'))
        .map(String::from)
        .collect()
}

/// A results file read line by line, without the tolerance of the tool's reader.
pub struct Lines {
    /// The whole file.
    pub bytes: Vec<u8>,
    /// Every line that parses as JSON, header first, with its 0-based line index.
    pub parsed: Vec<(usize, serde_json::Value)>,
    /// 0-based indexes of the lines that do not parse.
    pub bad: Vec<usize>,
}

impl Lines {
    /// Reads `path`; a missing file reads as empty.
    pub fn read(path: &Path) -> Lines {
        let bytes = std::fs::read(path).unwrap_or_default();
        let mut parsed = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice(line) {
                Ok(v) => parsed.push((i, v)),
                Err(_) => bad.push(i),
            }
        }
        Lines { bytes, parsed, bad }
    }

    /// The same file without the lines at `indexes` (0-based): what the
    /// tool's reader kept after skipping them with a warning.
    pub fn skipping(mut self, indexes: &[usize]) -> Lines {
        self.parsed.retain(|(i, _)| !indexes.contains(i));
        self.bad.retain(|i| !indexes.contains(i));
        self
    }

    /// The cell lines (not the header).
    pub fn cells(&self) -> impl Iterator<Item = &serde_json::Value> {
        self.parsed
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v["kind"] == "cell")
    }

    /// Whether the file ends on a whole line (or is empty).
    pub fn ends_whole(&self) -> bool {
        self.bytes.last().is_none_or(|b| *b == b'\n')
    }

    /// Index of the last line (cut or not), if any.
    pub fn last_index(&self) -> Option<usize> {
        let n = self.bytes.split(|b| *b == b'\n').count();
        match self.bytes.last() {
            None => None,
            Some(b'\n') => Some(n - 2),
            Some(_) => Some(n - 1),
        }
    }
}

/// Checks the cell lines of a finished sweep against its plan: every planned
/// cell measured, each timing repetition 0..`repetitions` recorded ok exactly
/// once, exactly one profile line that is not `interrupted`, nothing failed
/// (raw reference lines may sit beside the repetitions).
/// Returns a description of what differs (empty when nothing does).
pub fn complete_sweep_problems(
    lines: &Lines,
    planned: &BTreeSet<String>,
    repetitions: u64,
) -> Vec<String> {
    let mut reps: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut profiles: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for line in lines.cells() {
        let name = line["name"].as_str().unwrap_or("?").to_string();
        match (line["pass"].as_str(), line["status"].as_str()) {
            (Some("timing"), Some("ok")) => reps
                .entry(name)
                .or_default()
                .push(line["rep"].as_u64().unwrap()),
            (_, Some("interrupted")) => {}
            (Some("reference"), Some("ok")) => {}
            (Some("profile"), Some("ok" | "skipped")) => *profiles.entry(name).or_default() += 1,
            _ => problems.push(format!("unexpected line: {line}")),
        }
    }
    let expected: Vec<u64> = (0..repetitions).collect();
    for name in planned {
        let mut r = reps.remove(name).unwrap_or_default();
        r.sort_unstable();
        if r != expected {
            problems.push(format!(
                "{name}: ok repetitions {r:?}, expected {expected:?}"
            ));
        }
        if profiles.remove(name) != Some(1) {
            problems.push(format!("{name}: not exactly one profile line"));
        }
    }
    for name in reps.keys().chain(profiles.keys()) {
        problems.push(format!("{name}: recorded but not planned"));
    }
    problems
}

/// The cell lines written by this build that break the reason-code rule:
/// every line with a `reason` carries its `reason_code` and no line a code
/// alone; an interrupted line's code is `interrupted`. (Files written before
/// codes, such as the corpus, have none.)
pub fn uncoded_reasons(lines: &Lines) -> Vec<String> {
    lines
        .cells()
        .filter(|line| {
            line["reason"].is_string() != line["reason_code"].is_string()
                || (line["status"] == "interrupted" && line["reason_code"] != "interrupted")
        })
        .map(|line| line.to_string())
        .collect()
}

/// Fails unless everything a finished bench-runner (process group `pgid`) had
/// is gone: no process of its group, no BPF program of ours loaded without an
/// owner, and (when given) nothing left in its `TMPDIR`.
pub fn assert_clean_exit(pgid: u32, tmp: Option<&Path>) {
    eventually("a process of the sweep's group survived", || {
        // SAFETY: signal 0 only checks whether the group has members.
        unsafe { libc::kill(-(pgid as i32), 0) == -1 }
    });
    let mut leaked = Vec::new();
    eventually("a BPF program of ours stayed loaded", || {
        leaked = ownerless_bpf_programs();
        leaked.is_empty()
    });
    if let Some(tmp) = tmp {
        let left: Vec<_> = std::fs::read_dir(tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            left.is_empty(),
            "temp files left in {}: {left:?}",
            tmp.display()
        );
    }
}

/// Polls `done` for up to 30 s (the kernel frees some things asynchronously).
/// What is under test is that the thing goes, not how fast: the bound only
/// turns "never" into a failure, and is generous for a loaded machine.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Loaded BPF programs named like ours (`ursb_*`) that no live process holds,
/// directly or through a link: nothing can ever unload them.
pub fn ownerless_bpf_programs() -> Vec<String> {
    let ours: Vec<(u32, String)> = aya::programs::loaded_programs()
        .filter_map(Result::ok)
        .filter_map(|p| {
            let name = p.name_as_str()?.to_string();
            name.starts_with("ursb_").then(|| (p.id(), name))
        })
        .collect();
    if ours.is_empty() {
        return Vec::new();
    }
    let held = held_bpf_program_ids();
    ours.into_iter()
        .filter(|(id, _)| !held.contains(id))
        .map(|(id, name)| format!("{name} (id {id})"))
        .collect()
}

/// Ids of the BPF programs some process holds a program or link fd of.
fn held_bpf_program_ids() -> BTreeSet<u32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return BTreeSet::new();
    };
    procs
        .filter_map(Result::ok)
        .flat_map(|proc| bpf_programs_in(&proc.path()))
        .collect()
}

/// Ids of the BPF programs process `pid` holds (program or link fds).
pub fn bpf_programs_held_by(pid: u32) -> BTreeSet<u32> {
    bpf_programs_in(Path::new(&format!("/proc/{pid}")))
}

/// Ids of the BPF programs still loaded, among `ids`.
pub fn still_loaded(ids: &BTreeSet<u32>) -> BTreeSet<u32> {
    aya::programs::loaded_programs()
        .filter_map(Result::ok)
        .map(|p| p.id())
        .filter(|id| ids.contains(id))
        .collect()
}

fn bpf_programs_in(proc: &Path) -> BTreeSet<u32> {
    let Ok(fds) = std::fs::read_dir(proc.join("fdinfo")) else {
        return BTreeSet::new();
    };
    fds.filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_to_string(fd.path()).ok())
        .flat_map(|info| {
            info.lines()
                .filter_map(|l| l.strip_prefix("prog_id:")?.trim().parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// What /proc shows of a running process: its io_uring instances, its own
/// pipes, and its threads by name.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Open io_uring fds.
    pub rings: usize,
    /// Fds of pipes whose both ends the process holds (an inherited pipe end
    /// does not count).
    pub pipes: usize,
    /// Threads: (tid, name).
    pub threads: Vec<(u32, String)>,
}

impl Snapshot {
    /// Looks at `pid`; `None` once it is gone.
    pub fn take(pid: u32) -> Option<Snapshot> {
        let mut s = Snapshot::default();
        let mut pipes: BTreeMap<String, usize> = BTreeMap::new();
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()? {
            let Ok(fd) = fd else { continue };
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            if target == "anon_inode:[io_uring]" {
                s.rings += 1;
            } else if target.starts_with("pipe:") {
                *pipes.entry(target).or_default() += 1;
            }
        }
        s.pipes = pipes.values().filter(|&&n| n >= 2).sum();
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let Ok(task) = task else { continue };
            let tid = task.file_name().to_string_lossy().parse().unwrap_or(0);
            if let Ok(comm) = std::fs::read_to_string(task.path().join("comm")) {
                s.threads.push((tid, comm.trim().to_string()));
            }
        }
        Some(s)
    }

    /// Threads whose name starts with `prefix`.
    pub fn threads_named(&self, prefix: &str) -> usize {
        self.threads
            .iter()
            .filter(|(_, name)| name.starts_with(prefix))
            .count()
    }
}

/// Temp dirs the `file` op left in `tmp`.
pub fn temp_dirs(tmp: &Path) -> BTreeSet<String> {
    std::fs::read_dir(tmp)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Sends `signal` to `pid`.
pub fn signal(pid: u32, signal: i32) {
    // SAFETY: signalling a child of this test.
    unsafe { libc::kill(pid as i32, signal) };
}

/// Runs `cmd` to completion with its output captured, failing the test after
/// `limit`; returns its pid too (its process group, with [`sweep_command`]).
pub fn output_within(mut cmd: Command, limit: std::time::Duration) -> (u32, Output) {
    use std::io::Read;
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = wait_within(&mut child, limit);
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (child.id(), output)
}

/// The seed of the randomised fault tests: `FAULTS_SEED` or a fixed default.
pub fn seed() -> u64 {
    std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2024)
}

/// uid and gid of the `nobody` user.
pub fn nobody() -> (u32, u32) {
    // SAFETY: getpwnam with a NUL-terminated name; the fields are copied out at once.
    let pw = unsafe { libc::getpwnam(c"nobody".as_ptr()) };
    assert!(!pw.is_null(), "no user `nobody` on this machine");
    // SAFETY: checked non-null above.
    unsafe { ((*pw).pw_uid, (*pw).pw_gid) }
}

/// Makes `cmd` run as `nobody`, with no supplementary groups and so no
/// capabilities (uid 0 leaves, and with it CAP_BPF, CAP_PERFMON, ...).
pub fn as_nobody(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let (uid, gid) = nobody();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Creates `path` as a directory `nobody` owns, inside `parent` (opened up so
/// that `nobody` can reach it).
pub fn nobody_dir(parent: &Path, name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = parent.join(name);
    std::fs::create_dir(&path).unwrap();
    let (uid, gid) = nobody();
    std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
    path
}

/// Whether this test runs as root (needed to mount, switch users, write sysctls).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A seccomp filter making `syscall` fail with `errno` (everything else allowed).
pub fn deny(syscall: i64, errno: i32) -> seccompiler::BpfProgram {
    let rules = BTreeMap::from([(syscall, vec![])]);
    let filter = seccompiler::SeccompFilter::new(
        rules,
        seccompiler::SeccompAction::Allow,
        seccompiler::SeccompAction::Errno(errno as u32),
        std::env::consts::ARCH.try_into().unwrap(),
    )
    .unwrap();
    filter.try_into().unwrap()
}

/// Installs `filters` in the child of `cmd` before it runs the binary.
pub fn with_seccomp(cmd: &mut Command, filters: Vec<seccompiler::BpfProgram>) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only prctl-based filter installation runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for f in &filters {
                seccompiler::apply_filter(f).map_err(std::io::Error::other)?;
            }
            Ok(())
        });
    }
}

/// The value of a sysctl under /proc/sys (e.g. `kernel/perf_event_paranoid`).
pub fn sysctl(name: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc/sys").join(name))
        .ok()
        .map(|s| s.trim().to_string())
}
