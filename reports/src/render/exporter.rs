//! One output file = one [`Exporter`] impl: it turns an already computed
//! input (a rendered report or a comparison) into the bytes of one file.
//! Adding an output format means adding one impl and one list entry.

use crate::error::ReportError;
use std::path::{Path, PathBuf};

/// Serializes one kind of input into one output file.
pub trait Exporter<T: ?Sized> {
    /// File name inside the output directory.
    fn file_name(&self) -> &'static str;
    /// The complete file contents.
    fn serialize(&self, input: &T) -> Result<Vec<u8>, ReportError>;
}

/// Runs every exporter over `input` and writes its file into `out_dir`,
/// returning the paths written in order.
pub(crate) fn write_all<T: ?Sized>(
    exporters: &[&dyn Exporter<T>],
    input: &T,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(ReportError::io(out_dir))?;
    exporters
        .iter()
        .map(|exporter| {
            let path = out_dir.join(exporter.file_name());
            let bytes = exporter.serialize(input)?;
            std::fs::write(&path, bytes).map_err(ReportError::io(&path))?;
            Ok(path)
        })
        .collect()
}
