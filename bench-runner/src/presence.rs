//! `presence`: runs built reproducers (`repro --static`) several times each
//! on this kernel and records every run as a `repro` line of a results
//! file: whether the behaviour was present (the order broken, a wakeup
//! lost), held, skipped for a missing feature or failed, over how many
//! passes. `scripts/kernel-matrix` carries the binaries into its guests and
//! runs this there, so the reports of several kernels' files hold the
//! presence table (`reports::analysis::presence`). A directory of a
//! study's reproducers (`repro --study NAME`) runs each of them, every run
//! recorded with the finding it belongs to; `--study NAME` writes and
//! builds that directory here first.

use crate::header;
use crate::repro::{self, cell};
use reports::results::{ResultsError, ResultsWriter};
use reports::schema::{ReasonCode, Record, ReproFinding, ReproOutcome, ReproRun, RunInfo};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What `bench-runner presence` was asked.
pub struct PresenceArgs {
    /// Reproducer binaries, directories holding one named `repro`, or
    /// directories of such directories (a study's, `repro --study`).
    pub reproducers: Vec<PathBuf>,
    /// A study whose reproducers to write and build into
    /// `out/reproducers` and run first.
    pub study: Option<String>,
    /// Runs of each.
    pub runs: u32,
    /// `--passes` of each run.
    pub passes: u64,
    /// `--seconds` of each run.
    pub seconds: f64,
    /// How long a run may take before it is killed and recorded failed
    /// with code `timeout` (a reproducer stuck in the kernel ends no other
    /// way).
    pub run_timeout: Duration,
    /// Where results.jsonl goes.
    pub out: PathBuf,
    /// `--out-owner-ok`.
    pub out_owner_ok: bool,
}

/// Why the runs could not be made or recorded.
#[derive(thiserror::Error, Debug)]
pub enum PresenceError {
    /// A reproducer cannot be read or started.
    #[error("{path}: {why}")]
    Reproducer {
        /// The binary.
        path: String,
        /// What went wrong.
        why: String,
    },
    /// Its first line names no cell this build knows.
    #[error("{path}: {why}")]
    Cell {
        /// The binary.
        path: String,
        /// Why the name is not a cell.
        why: cell::CellNotFound,
    },
    /// `out` is a directory another user could have prepared.
    #[error(transparent)]
    OutDir(#[from] crate::out_dir::OutDirError),
    /// Writing the results failed.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The study's reproducers could not be written or built.
    #[error(transparent)]
    Study(#[from] repro::ReproError),
}

/// What one run printed and how it ended, as a line's fields.
#[derive(Debug, PartialEq)]
pub struct Ran {
    /// The cell's name, from the program's first line.
    pub cell: Option<String>,
    /// What it found.
    pub outcome: ReproOutcome,
    /// Passes it ran.
    pub passes: u64,
    /// Passes that broke.
    pub broken: u64,
    /// The first violation.
    pub first: Option<String>,
    /// Why it was skipped or failed.
    pub reason: Option<(ReasonCode, String)>,
}

/// `4,096` as a number.
fn count(text: &str) -> Option<u64> {
    text.replace(',', "").parse().ok()
}

/// The code of a reproducer's `missing: ...` line: what it found missing.
fn missing_code(why: &str) -> ReasonCode {
    if why.starts_with("opcode ") {
        ReasonCode::MissingOpcode
    } else if why.starts_with("ring setup with flags") {
        ReasonCode::MissingSetupFlag
    } else {
        ReasonCode::MissingFeature
    }
}

impl Ran {
    /// A run of cell `cell` killed after `limit` without its verdict.
    fn timed_out(limit: Duration, cell: String) -> Ran {
        Ran {
            cell: Some(cell),
            outcome: ReproOutcome::Failed,
            passes: 0,
            broken: 0,
            first: None,
            reason: Some((
                ReasonCode::Timeout,
                format!("no verdict within {} s: killed", limit.as_secs()),
            )),
        }
    }

    /// Reads a run from its exit code (`None`: killed by a signal) and what
    /// it printed: its verdict line decides held or broken, exit 77 skipped,
    /// anything else (or a verdict missing) failed with the last error line.
    pub fn read(code: Option<i32>, stdout: &str, stderr: &str) -> Ran {
        let cell = stdout
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("cell "))
            .and_then(|l| l.split_once(" on Linux "))
            .map(|(name, _)| name.to_string());
        let last_error = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("warning: "))
            .unwrap_or("")
            .trim();
        let failed = |code: ReasonCode, why: String| Ran {
            cell: cell.clone(),
            outcome: match code {
                ReasonCode::MissingOpcode
                | ReasonCode::MissingSetupFlag
                | ReasonCode::MissingFeature => ReproOutcome::Skipped,
                _ => ReproOutcome::Failed,
            },
            passes: 0,
            broken: 0,
            first: None,
            reason: Some((code, why)),
        };
        let line = |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix));
        match code {
            Some(0) => {
                let passes = line("order held in all ")
                    .and_then(|rest| rest.split_once(" passes"))
                    .and_then(|(n, _)| count(n));
                match passes {
                    Some(passes) if passes > 0 => Ran {
                        cell,
                        outcome: ReproOutcome::Held,
                        passes,
                        broken: 0,
                        first: None,
                        reason: None,
                    },
                    _ => failed(ReasonCode::SetupFailed, "exit 0 without its verdict".into()),
                }
            }
            Some(1) => {
                let broken = line("order broken in ").and_then(|rest| {
                    let (k, rest) = rest.split_once(" of ")?;
                    let (n, rest) = rest.split_once(" passes")?;
                    let first = rest.split_once(", first: ").map(|(_, f)| f.to_string());
                    Some((count(k)?, count(n)?, first))
                });
                match broken {
                    Some((k, n, first)) if k > 0 && k <= n => Ran {
                        cell,
                        outcome: ReproOutcome::Broken,
                        passes: n,
                        broken: k,
                        first,
                        reason: None,
                    },
                    _ => failed(ReasonCode::SetupFailed, "exit 1 without its verdict".into()),
                }
            }
            Some(77) => {
                let why = last_error.strip_prefix("missing: ").unwrap_or(last_error);
                failed(missing_code(why), why.to_string())
            }
            Some(code) => failed(
                ReasonCode::SetupFailed,
                format!(
                    "exit {code}: {}",
                    last_error.strip_prefix("error: ").unwrap_or(last_error)
                ),
            ),
            None => failed(ReasonCode::SetupFailed, "killed by a signal".into()),
        }
    }
}

/// The binaries a `REPRO` argument names: itself, `repro` in a directory,
/// or that of each subdirectory holding one (in name order) in a
/// directory without its own.
fn binaries_in(path: &Path) -> Result<Vec<PathBuf>, PresenceError> {
    let own = path.join("repro");
    if !path.is_dir() || own.exists() {
        return Ok(vec![match path.is_dir() {
            true => own,
            false => path.to_path_buf(),
        }]);
    }
    let unreadable = |e: std::io::Error| PresenceError::Reproducer {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).map_err(unreadable)? {
        let inner = entry.map_err(unreadable)?.path().join("repro");
        if inner.is_file() {
            found.push(inner);
        }
    }
    found.sort();
    match found.is_empty() {
        true => Err(PresenceError::Reproducer {
            path: path.display().to_string(),
            why: "holds no `repro`, nor directories that do".into(),
        }),
        false => Ok(found),
    }
}

/// The finding binary `b` was built for, from `finding.json` beside it
/// (`repro --study`); `None` for a reproducer of a single cell.
fn finding_of(b: &Path) -> Result<Option<ReproFinding>, PresenceError> {
    let file = b.with_file_name(repro::study::FINDING_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PresenceError::Reproducer {
                path: file.display().to_string(),
                why: e.to_string(),
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| PresenceError::Reproducer {
            path: file.display().to_string(),
            why: format!("not a finding: {e}"),
        })
}

/// How one run ended: its exit code (`None`: a signal) and output, or
/// that it was killed at the deadline.
enum Ended {
    Exited(Option<i32>, String, String),
    Killed,
}

/// Runs `binary` with `args`, killing it once `limit` has passed.
fn run_once(binary: &Path, args: &[String], limit: Duration) -> std::io::Result<Ended> {
    let mut child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    match status {
        Some(status) => Ok(Ended::Exited(
            status.code(),
            stdout.join().unwrap_or_default(),
            stderr.join().unwrap_or_default(),
        )),
        // A process it forked may still hold the pipes: not waited for.
        None => Ok(Ended::Killed),
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs every reproducer `args.runs` times, one after another, appending a
/// line per run to `args.out/results.jsonl` as soon as it ended; returns
/// the file.
pub fn run(args: &PresenceArgs) -> Result<PathBuf, PresenceError> {
    crate::out_dir::prepare(&args.out, args.out_owner_ok)?;
    let mut reproducers = args.reproducers.clone();
    if let Some(study) = &args.study {
        let dir = args.out.join("reproducers");
        repro::study::write(study, &dir, false, args.out_owner_ok)?;
        reproducers.push(dir);
    }
    let mut binaries = Vec::new();
    for r in &reproducers {
        binaries.extend(binaries_in(r)?);
    }
    let mut hash = Sha256::new();
    for b in &binaries {
        let bytes = std::fs::read(b).map_err(|e| PresenceError::Reproducer {
            path: b.display().to_string(),
            why: e.to_string(),
        })?;
        hash.update(&bytes);
    }
    let run_info = RunInfo {
        config_path: binaries
            .iter()
            .map(|b| b.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        config_hash: format!("{:x}", hash.finalize()),
        started_unix: now_unix(),
        command: std::env::args().collect(),
        reproduce: header::reproduce().map_err(|line| PresenceError::Reproducer {
            path: header::REPRODUCE_ENV.into(),
            why: format!("not a shell command line: {line}"),
        })?,
        // Reproducers, not a config: nothing to quote.
        config_lines: None,
    };
    let caps = workloads::probe::Capabilities::detect();
    let path = args.out.join("results.jsonl");
    let mut writer = ResultsWriter::create(&path, &header::build(&caps, run_info, &[], None))?;
    for b in &binaries {
        let finding = finding_of(b)?;
        for i in 0..args.runs {
            let flags = [
                "--passes".to_string(),
                args.passes.to_string(),
                "--seconds".to_string(),
                args.seconds.to_string(),
            ];
            let ended =
                run_once(b, &flags, args.run_timeout).map_err(|e| PresenceError::Reproducer {
                    path: b.display().to_string(),
                    why: e.to_string(),
                })?;
            let ran = match ended {
                Ended::Exited(code, stdout, stderr) => Ran::read(code, &stdout, &stderr),
                Ended::Killed => Ran::timed_out(args.run_timeout, name_of(b)?),
            };
            let line = record(b, i, ran, finding.clone())?;
            eprintln!(
                "presence: {} run {}: {}",
                line.name,
                i + 1,
                line.outcome.word()
            );
            writer.append(&Record::Repro(Box::new(line)))?;
        }
    }
    Ok(path)
}

/// The cell binary `b` is a reproducer of, from its source beside it
/// (`CELL` in repro.c, as `repro` writes it): what a killed run, which
/// printed nothing, is recorded under.
fn name_of(b: &Path) -> Result<String, PresenceError> {
    let source = b.with_file_name("repro.c");
    std::fs::read_to_string(&source)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("#define CELL \""))
                .and_then(|rest| rest.strip_suffix('"'))
                .map(str::to_string)
        })
        .ok_or_else(|| PresenceError::Reproducer {
            path: b.display().to_string(),
            why: format!(
                "killed without a verdict, and {} names no cell",
                source.display()
            ),
        })
}

/// Run `i` of binary `b`, made for `finding` if any, as a results line.
fn record(
    b: &Path,
    i: u32,
    ran: Ran,
    finding: Option<ReproFinding>,
) -> Result<ReproRun, PresenceError> {
    let name = ran.cell.ok_or_else(|| PresenceError::Reproducer {
        path: b.display().to_string(),
        why: "its first line names no cell: not a reproducer of `bench-runner repro`".into(),
    })?;
    let cell = cell::find(&name, None).map_err(|why| PresenceError::Cell {
        path: b.display().to_string(),
        why,
    })?;
    let (reason_code, reason) = ran.reason.unzip();
    Ok(ReproRun {
        name: cell.name,
        cell: cell.key,
        run: i,
        outcome: ran.outcome,
        passes: ran.passes,
        broken: ran.broken,
        first: ran.first,
        reason,
        reason_code,
        finding,
        finished_unix: now_unix(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "cell link/sqpoll-shared/nop/g1-s16-b16-t1 on Linux 7.2.13+deb14-cloud-amd64\n\
                        ns/step 3488.5 over 4,096 passes of 16 steps\n";

    #[test]
    fn a_broken_run_gives_its_counts_and_first_violation() {
        let out = format!(
            "{HEAD}order broken in 4,091 of 4,096 passes (99.9%, 95% CI 99.7-99.9%), \
             first: out of order (cqe): group 0 expected seq 0 got 8\n"
        );
        let ran = Ran::read(Some(1), &out, "");
        assert_eq!(
            ran,
            Ran {
                cell: Some("link/sqpoll-shared/nop/g1-s16-b16-t1".into()),
                outcome: ReproOutcome::Broken,
                passes: 4096,
                broken: 4091,
                first: Some("out of order (cqe): group 0 expected seq 0 got 8".into()),
                reason: None,
            }
        );
    }

    /// A run past its limit is killed; one within it gives its output.
    #[test]
    fn a_run_past_its_limit_is_killed() {
        let started = Instant::now();
        let ended = run_once(
            Path::new("sleep"),
            &["10".into()],
            Duration::from_millis(200),
        );
        assert!(matches!(ended, Ok(Ended::Killed)));
        assert!(started.elapsed() < Duration::from_secs(5));
        match run_once(
            Path::new("echo"),
            &["cell x on Linux y".into()],
            Duration::from_secs(5),
        ) {
            Ok(Ended::Exited(Some(0), out, _)) => assert_eq!(out, "cell x on Linux y\n"),
            _ => panic!("echo did not exit 0"),
        }
        let killed = Ran::timed_out(Duration::from_secs(30), "c".into());
        assert_eq!(killed.outcome, ReproOutcome::Failed);
        assert_eq!(
            killed.reason,
            Some((ReasonCode::Timeout, "no verdict within 30 s: killed".into()))
        );
    }

    /// A study's directory names the `repro` of each subdirectory, in
    /// name order, each with the finding beside it; a directory without
    /// one is refused, and so is a finding file that is not one.
    #[test]
    fn a_studys_directory_runs_each_reproducer_with_its_finding() {
        let dir = tempfile::tempdir().unwrap();
        let finding = ReproFinding {
            study: "futex-lost-wakeup".into(),
            place: "futex:private-fresh/defer-taskrun g2-s8-b2-t1".into(),
            axis: "op".into(),
            value: "nop".into(),
        };
        for name in ["02-b", "01-a"] {
            let sub = dir.path().join(name);
            std::fs::create_dir(&sub).unwrap();
            std::fs::write(sub.join("repro"), "").unwrap();
        }
        std::fs::write(
            dir.path().join("01-a").join(repro::study::FINDING_FILE),
            serde_json::to_string(&finding).unwrap(),
        )
        .unwrap();
        let found = binaries_in(dir.path()).unwrap();
        assert_eq!(
            found,
            [dir.path().join("01-a/repro"), dir.path().join("02-b/repro")]
        );
        assert_eq!(finding_of(&found[0]).unwrap(), Some(finding));
        assert_eq!(finding_of(&found[1]).unwrap(), None);
        assert_eq!(binaries_in(&found[1]).unwrap(), [found[1].clone()]);
        std::fs::write(dir.path().join("02-b/finding.json"), "{").unwrap();
        assert!(finding_of(&found[1])
            .unwrap_err()
            .to_string()
            .contains("not a finding"));
        let empty = tempfile::tempdir().unwrap();
        assert!(binaries_in(empty.path())
            .unwrap_err()
            .to_string()
            .contains("holds no `repro`"));
    }

    #[test]
    fn a_held_run_counts_its_passes() {
        let out =
            format!("{HEAD}order held in all 1,234 passes (broken in at most 0.3%, 95% CI)\n");
        let ran = Ran::read(
            Some(0),
            &out,
            "warning: not pinned to CPU 1: Invalid argument\n",
        );
        assert_eq!(
            (ran.outcome, ran.passes, ran.broken),
            (ReproOutcome::Held, 1234, 0)
        );
    }

    #[test]
    fn missing_features_skip_and_errors_fail_with_their_line() {
        let head = "cell futex:private/default/nop/g1-s8-b8-t1 on Linux 6.1.0\n";
        let skip = Ran::read(Some(77), head, "missing: opcode FUTEX_WAIT not supported\n");
        assert_eq!(skip.outcome, ReproOutcome::Skipped);
        assert_eq!(
            skip.reason,
            Some((
                ReasonCode::MissingOpcode,
                "opcode FUTEX_WAIT not supported".into()
            ))
        );
        let flags = Ran::read(
            Some(77),
            head,
            "missing: ring setup with flags 0x3000: Invalid argument\n",
        );
        assert_eq!(
            flags.reason.map(|r| r.0),
            Some(ReasonCode::MissingSetupFlag)
        );
        let error = Ran::read(Some(2), head, "error: io_uring_enter: Bad address\n");
        assert_eq!(error.outcome, ReproOutcome::Failed);
        assert_eq!(
            error.reason,
            Some((
                ReasonCode::SetupFailed,
                "exit 2: io_uring_enter: Bad address".into()
            ))
        );
        let killed = Ran::read(None, head, "");
        assert_eq!(killed.outcome, ReproOutcome::Failed);
        let silent = Ran::read(Some(1), head, "");
        assert_eq!(
            silent.reason.map(|r| r.1),
            Some("exit 1 without its verdict".into())
        );
    }
}
