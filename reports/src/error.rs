//! The one error type of every rendering entry point.

use std::io;
use std::path::PathBuf;

/// Why a report or comparison could not be rendered.
#[derive(thiserror::Error, Debug)]
pub enum ReportError {
    /// An output file or directory could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// plotters failed to draw or encode a plot.
    #[error("plot {plot}: {message}")]
    Plot {
        /// The plot's file stem.
        plot: String,
        /// plotters' message.
        message: String,
    },
    /// A directory the reports write into is a symbolic link or no directory.
    #[error("{0}: a symbolic link or not a directory: refusing to write into it")]
    NotADirectory(PathBuf),
    /// `render` was called without any results file.
    #[error("no results to render")]
    NoInputs,
}

impl ReportError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> ReportError {
        let path = path.into();
        move |source| ReportError::Io { path, source }
    }
}
