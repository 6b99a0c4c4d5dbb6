//! One output file = one [`Exporter`] impl: it turns an already computed
//! input (a rendered report or a comparison) into the bytes of one file.
//! Every exporter is listed in [`crate::render::outputs`], the one registry
//! of the files the tool writes.
//!
//! Every file the reports write goes through [`write_file`]: a temporary
//! file in the same directory, renamed into place. The tool runs as root, so
//! a symbolic link planted where a report goes must be replaced, never
//! written through; and a reader of the directory never sees half a file.

use crate::error::ReportError;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
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
        write_file(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `bytes` as the file `path`, whole: into a new temporary file of
/// the same directory (created exclusively, with the mode `fs::write` would
/// give), then renamed over `path`, which replaces a symbolic link there
/// instead of following it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(ReportError::io(dir))?;
    file.write_all(bytes).map_err(ReportError::io(path))?;
    file.persist(path)
        .map_err(|e| ReportError::io(path)(e.error))?;
    Ok(())
}

/// Creates the directory `dir` the reports own inside an output directory
/// (`plots/`), refusing one that is a symbolic link: files renamed into it
/// would land wherever it points.
pub(crate) fn own_dir(dir: &Path) -> Result<(), ReportError> {
    match std::fs::create_dir(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ReportError::io(dir)(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(ReportError::io(dir))?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(ReportError::NotADirectory(dir.to_path_buf()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_where_a_file_goes_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("report.html");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_file(&path, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!path.is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "report");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");

        let plots = dir.path().join("plots");
        std::os::unix::fs::symlink(dir.path(), &plots).unwrap();
        assert!(matches!(
            own_dir(&plots),
            Err(ReportError::NotADirectory(_))
        ));
        own_dir(&dir.path().join("fresh")).unwrap();
        own_dir(&dir.path().join("fresh")).unwrap();
    }
}
