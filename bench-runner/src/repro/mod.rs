//! `repro`: one cell as a short C program on liburing and libc alone, what a
//! kernel developer builds and runs to check a finding without this
//! workspace. The program sets the ring up in the cell's mode, submits the
//! cell's stream in its style, op and shape, checks the order as the
//! verifier does (CQE order, and the bytes of ops with a data path), and
//! counts passes and broken passes: it prints ns/step and the rate with a
//! Wilson 95% interval, and exits 0 (held), 1 (broken), 2 (error) or 77 (a
//! feature missing). `cell` finds the cell, `source` writes the program.
//! Built statically (`--static`) it runs where liburing is not installed,
//! as in `scripts/kernel-matrix`'s guests, whose runs (`bench-runner
//! presence`) the mail then names kernel by kernel (`--kernels`).

pub(crate) mod cell;
mod mail;
mod source;
pub mod study;

pub use cell::CellNotFound;
pub use source::{Refusal, BUILD, BUILD_STATIC};

use crate::plan::PlannedCell;
use crate::source::ConfigSource;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `bench-runner repro` was asked.
pub struct ReproArgs {
    /// The cell's name, or a `--filter` pattern of `source`'s cells.
    pub cell: String,
    /// The config or study to take the cell from (its ring size, placement).
    pub source: Option<ConfigSource>,
    /// Where repro.c goes.
    pub out: PathBuf,
    /// Also build and run it, and write bug.txt, the bug report mail.
    pub mail: bool,
    /// Build it statically ([`BUILD_STATIC`]): a binary that runs without
    /// liburing installed.
    pub static_build: bool,
    /// Results files of `bench-runner presence` runs (one per kernel) whose
    /// presence sentence for this cell the mail states.
    pub kernels: Vec<PathBuf>,
    /// `--out-owner-ok`: write into `out` even when another user could
    /// have put files there (see `out_dir`).
    pub out_owner_ok: bool,
}

/// Why no reproducer was written.
#[derive(thiserror::Error, Debug)]
pub enum ReproError {
    /// No single cell.
    #[error(transparent)]
    Cell(#[from] CellNotFound),
    /// The cell cannot be expressed as a reproducer.
    #[error("{cell}: {why}")]
    Refused {
        /// The cell.
        cell: String,
        /// What is missing.
        why: Refusal,
    },
    /// Building or running the reproducer for the mail failed.
    #[error("{0}")]
    Run(String),
    /// `out` is a directory another user could have prepared, or cannot
    /// be created.
    #[error(transparent)]
    OutDir(#[from] crate::out_dir::OutDirError),
    /// A `--kernels` file cannot be read.
    #[error(transparent)]
    Kernels(#[from] reports::results::ResultsError),
    /// The study is unknown, invalid, or expects no break.
    #[error("{0}")]
    Study(String),
    /// The reproducer kept the order: there is no bug to report.
    #[error("no bug to report: {0}")]
    Held(String),
    /// Writing the file failed.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What was written.
pub struct Written {
    /// The cell's name as the reports print it.
    pub cell: String,
    /// The program's path.
    pub path: PathBuf,
    /// Its lines.
    pub lines: usize,
    /// The bug report mail, with `--mail`.
    pub mail: Option<PathBuf>,
    /// The static binary, with `--static`.
    pub binary: Option<PathBuf>,
}

impl ReproArgs {
    /// The command line that makes this reproducer again.
    pub fn command(&self) -> String {
        let words = self.words();
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }

    /// The command's words.
    fn words(&self) -> Vec<String> {
        let mut words = vec![
            "bench-runner".to_string(),
            "repro".into(),
            self.cell.clone(),
        ];
        match &self.source {
            Some(ConfigSource::Study { name, .. }) => {
                words.extend(["--study".into(), name.clone()])
            }
            Some(ConfigSource::File(path)) => {
                words.extend(["--config".into(), path.display().to_string()])
            }
            _ => {}
        }
        if self.static_build {
            words.push("--static".into());
        }
        if self.mail {
            words.push("--mail".into());
        }
        for k in &self.kernels {
            words.extend(["--kernels".into(), k.display().to_string()]);
        }
        words
    }
}

/// Where and how one reproducer is written: its directory, the command
/// its header names, and the line to build it with, if any.
struct Target<'a> {
    out: &'a Path,
    command: &'a str,
    build: Option<&'a str>,
    out_owner_ok: bool,
}

/// Writes the reproducer of `cell` as `target.out/repro.c` (and builds it
/// when asked); returns its text.
fn emit(cell: &PlannedCell, target: &Target<'_>) -> Result<String, ReproError> {
    let kernel = workloads::sys::kernel_release();
    let made = source::Provenance {
        command: target.command,
        kernel: &kernel,
    };
    let text = source::render(cell, &made).map_err(|why| ReproError::Refused {
        cell: cell.name.clone(),
        why,
    })?;
    // Checked before anything is written there, the build included: gcc
    // writes its program by path.
    crate::out_dir::prepare(target.out, target.out_owner_ok)?;
    save(target.out, "repro.c", &text)?;
    if let Some(line) = target.build {
        build(target.out, line)?;
    }
    Ok(text)
}

/// Writes the reproducer of the cell `args` names into `args.out`; with
/// `mail`, builds and runs it there and writes bug.txt from what it printed
/// or, where it held here, from the kernels it broke on (`--kernels`).
pub fn write(args: &ReproArgs) -> Result<Written, ReproError> {
    let cell = cell::find(&args.cell, args.source.as_ref())?;
    let kernel = workloads::sys::kernel_release();
    let build_line = match args.static_build {
        true => BUILD_STATIC,
        false => BUILD,
    };
    let text = emit(
        &cell,
        &Target {
            out: &args.out,
            command: &args.command(),
            build: (args.static_build || args.mail).then_some(build_line),
            out_owner_ok: args.out_owner_ok,
        },
    )?;
    let path = args.out.join("repro.c");
    let presence = presence(&args.kernels, &cell.name)?;
    let mail = match args.mail {
        true => {
            let here = run(&args.out)?;
            let elsewhere = presence.as_ref().and_then(|p| p.elsewhere.as_ref());
            let happened = match (&here, elsewhere) {
                (Here::Broke(run), _) => mail::Happened::Here(run),
                (Here::Held(here), Some(there)) => mail::Happened::Elsewhere { here, there },
                (Here::Held(run), None) => {
                    let nowhere = match args.kernels.is_empty() {
                        true => "",
                        false => ", nor on any kernel of --kernels",
                    };
                    return Err(ReproError::Held(format!("{}{nowhere}", run.verdict)));
                }
            };
            let machine = format!(
                "{}, {} CPUs",
                crate::header::cpu_model(),
                std::thread::available_parallelism().map_or(0, usize::from)
            );
            let facts = mail::MailFacts {
                happened,
                source: &text,
                kernel: &kernel,
                machine: &machine,
                command: &args.words(),
                build: build_line,
                presence: presence.as_ref().map(|p| p.sentence.as_str()),
            };
            Some(save(&args.out, "bug.txt", &mail::render(&cell, &facts))?)
        }
        false => None,
    };
    Ok(Written {
        cell: cell.name,
        lines: text.lines().count(),
        path,
        mail,
        binary: args.static_build.then(|| args.out.join("repro")),
    })
}

/// What the `--kernels` files say of a cell: the sentence the mail's
/// kernel section states, and the oldest kernel where it broke.
struct Presence {
    sentence: String,
    elsewhere: Option<mail::PresentElsewhere>,
}

/// The runs of cell `name` across the `bench-runner presence` results
/// files `kernels` (its own reproducer's, or a study's that it is a cell
/// of); `None` without files, and where none ran the cell.
fn presence(kernels: &[PathBuf], name: &str) -> Result<Option<Presence>, ReproError> {
    use reports::analysis::{kernels::kernel_described, presence};
    if kernels.is_empty() {
        return Ok(None);
    }
    let inputs = kernels
        .iter()
        .map(|k| reports::results::Results::read(k))
        .collect::<Result<Vec<_>, _>>()?;
    let report = reports::analysis::model::Report::build(&inputs);
    Ok(presence::of_cell(&report, name).map(|row| {
        let on: Vec<String> = row
            .kernels
            .iter()
            .map(|k| kernel_described(&report, k.source))
            .collect();
        let elsewhere = row
            .kernels
            .iter()
            .find(|k| k.verdict() == presence::Verdict::Present)
            .map(|k| mail::PresentElsewhere {
                kernel: kernel_described(&report, k.source),
                rate: k.rate(),
                first: row.first.clone(),
            });
        Presence {
            sentence: format!(
                "The reproducer's behaviour is {}. Kernels: {}.",
                presence::sentence(&report, &row),
                on.join("; ")
            ),
            elsewhere,
        }
    }))
}

/// Writes `text` as `dir/name`, the directory created if need be.
fn save(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ReproError> {
    let path = dir.join(name);
    let failed = |source| ReproError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    // Through a temporary file renamed into place: never through a link.
    reports::render::exporter::write_file(&path, text.as_bytes())
        .map_err(|e| failed(std::io::Error::other(e)))?;
    Ok(path)
}

/// The last line of `bytes` that is not blank, trimmed.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Builds `dir/repro.c` into `dir/repro` with `line` ([`BUILD`] or
/// [`BUILD_STATIC`]); a failed build is an error naming its last line.
fn build(dir: &Path, line: &str) -> Result<(), ReproError> {
    let mut words = line.split(' ');
    let compiler = words.next().unwrap_or("gcc");
    let built = Command::new(compiler)
        .args(words)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            ReproError::Run(format!(
                "{compiler}: {e} (scripts/setup installs gcc and liburing-dev)"
            ))
        })?;
    match built.status.success() {
        true => Ok(()),
        false => Err(ReproError::Run(format!(
            "{line}: {}",
            last_line(&built.stderr)
        ))),
    }
}

/// How the reproducer ran on this machine: what it printed, and whether
/// the order broke.
enum Here {
    Broke(mail::RunSummary),
    Held(mail::RunSummary),
}

/// Runs the built `dir/repro` with its defaults, keeping what it printed as
/// `dir/repro.out`; one that could not run is an error.
fn run(dir: &Path) -> Result<Here, ReproError> {
    let program = std::fs::canonicalize(dir.join("repro"))
        .map_err(|e| ReproError::Run(format!("./repro: {e}")))?;
    let ran = Command::new(program)
        .current_dir(dir)
        .output()
        .map_err(|e| ReproError::Run(format!("./repro: {e}")))?;
    save(dir, "repro.out", &String::from_utf8_lossy(&ran.stdout))?;
    let summary = mail::RunSummary::parse(&String::from_utf8_lossy(&ran.stdout));
    match (ran.status.code(), summary) {
        (Some(1), Some(run)) => Ok(Here::Broke(run)),
        (Some(0), Some(run)) => Ok(Here::Held(run)),
        (code, _) => Err(ReproError::Run(format!(
            "./repro exited {}: {}",
            code.map_or("by a signal".into(), |c| c.to_string()),
            last_line(&ran.stderr)
        ))),
    }
}
