//! One output file = one [`Exporter`] impl: it turns an already computed
//! input (a rendered report or a comparison) into the bytes of one file.
//! Every exporter is listed in [`crate::render::outputs`], the one registry
//! of the files the tool writes.

use crate::error::ReportError;
use std::path::{Path, PathBuf};

/// Serializes one kind of input into one output file.
pub trait Exporter<T: ?Sized> {
    /// File name inside the output directory.
    fn file_name(&self) -> &'static str;
    /// The complete file contents; `None` when this input has no such
    /// file (findings.md of a sweep that answers no study).
    fn serialize(&self, input: &T) -> Result<Option<Vec<u8>>, ReportError>;
}

/// Runs every exporter over `input` and writes its file into `out_dir`,
/// returning the paths written in order.
pub(crate) fn write_all<T: ?Sized>(
    exporters: &[&dyn Exporter<T>],
    input: &T,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(ReportError::io(out_dir))?;
    let mut written = Vec::new();
    for exporter in exporters {
        let Some(bytes) = exporter.serialize(input)? else {
            continue;
        };
        let path = out_dir.join(exporter.file_name());
        std::fs::write(&path, bytes).map_err(ReportError::io(&path))?;
        written.push(path);
    }
    Ok(written)
}
