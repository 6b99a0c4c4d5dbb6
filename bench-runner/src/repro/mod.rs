//! `repro`: one cell as a short C program on liburing and libc alone, what a
//! kernel developer builds and runs to check a finding without this
//! workspace. The program sets the ring up in the cell's mode, submits the
//! cell's stream in its style, op and shape, checks the order as the
//! verifier does (CQE order, and the bytes of ops with a data path), and
//! counts passes and broken passes: it prints ns/step and the rate with a
//! Wilson 95% interval, and exits 0 (held), 1 (broken), 2 (error) or 77 (a
//! feature missing). `cell` finds the cell, `source` writes the program.

mod cell;
mod source;

pub use cell::CellNotFound;
pub use source::{Refusal, BUILD};

use crate::config::ConfigSource;
use std::path::PathBuf;

/// What `bench-runner repro` was asked.
pub struct ReproArgs {
    /// The cell's name, or a `--filter` pattern of `source`'s cells.
    pub cell: String,
    /// The config or study to take the cell from (its ring size, placement).
    pub source: Option<ConfigSource>,
    /// Where repro.c goes.
    pub out: PathBuf,
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
}

impl ReproArgs {
    /// The command line that makes this reproducer again.
    pub fn command(&self) -> String {
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
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
    }
}

/// Writes the reproducer of the cell `args` names into `args.out`.
pub fn write(args: &ReproArgs) -> Result<Written, ReproError> {
    let cell = cell::find(&args.cell, args.source.as_ref())?;
    let kernel = workloads::sys::kernel_release();
    let made = source::Provenance {
        command: &args.command(),
        kernel: &kernel,
    };
    let text = source::render(&cell, &made).map_err(|why| ReproError::Refused {
        cell: cell.name.clone(),
        why,
    })?;
    let path = args.out.join("repro.c");
    let failed = |source| ReproError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&args.out).map_err(failed)?;
    std::fs::write(&path, &text).map_err(failed)?;
    Ok(Written {
        cell: cell.name,
        lines: text.lines().count(),
        path,
    })
}
