//! Reading and appending `results.jsonl`. Writing appends one line at a time and
//! flushes it, so a kill loses at most the line being written, and a write that
//! fails (a full disk) is undone so the file still ends on a whole line; reading tolerates
//! exactly that (a truncated or garbled line is skipped with a warning, as is
//! one whose names or numbers no measurement gives, see `checks`) and refuses
//! what it cannot interpret (no header, another schema version, an impossible
//! anchor). Every string read passes through `sanitize::clean` first, so no
//! control character and no overlong text reaches any output.

use crate::checks::{self, Rejected};
use crate::sanitize;
use crate::schema::{CellRecord, Header, LoadRecord, Record, ReproRun, SCHEMA_VERSION};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why a results file could not be read or written.
#[derive(thiserror::Error, Debug)]
pub enum ResultsError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file has no lines at all.
    #[error("{0}: empty results file (no header line)")]
    Empty(PathBuf),
    /// The first line is not a header.
    #[error("{0}: first line is not a results header")]
    NoHeader(PathBuf),
    /// The header holds a number no measurement gives, or a registry name
    /// of no form the tool writes (see `checks`).
    #[error("{path}: header: {why}")]
    Rejected {
        /// The file.
        path: PathBuf,
        /// What, and why.
        why: Rejected,
    },
    /// Written by an incompatible version of the tool.
    #[error("{path}: results schema version {found} is not supported (this tool reads version {SCHEMA_VERSION})")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version it declares.
        found: u64,
    },
}

/// A results file as read back: its header, its cell lines, and what was skipped.
#[derive(Debug, Clone)]
pub struct Results {
    /// Where it was read from.
    pub path: PathBuf,
    /// The first line.
    pub header: Header,
    /// Every well-formed cell line, in file order.
    pub records: Vec<CellRecord>,
    /// Every well-formed reproducer run line, in file order.
    pub repros: Vec<ReproRun>,
    /// The machine's load over each block, in file order (none in files
    /// written before it was recorded).
    pub loads: Vec<LoadRecord>,
    /// One message per skipped line (`line N: ...`).
    pub warnings: Vec<String>,
}

impl Results {
    /// Reads a whole results file; bad cell lines become warnings, a bad header is an error.
    pub fn read(path: &Path) -> Result<Results, ResultsError> {
        let io_err = |source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let mut lines = Vec::new();
        for line in BufReader::new(file).split(b'\n') {
            lines.push(line.map_err(io_err)?);
        }
        Self::parse(path, &lines)
    }

    fn parse(path: &Path, lines: &[Vec<u8>]) -> Result<Results, ResultsError> {
        let mut lines = lines.iter().enumerate().filter(|(_, l)| !l.is_empty());
        let (_, first) = lines
            .next()
            .ok_or_else(|| ResultsError::Empty(path.to_path_buf()))?;
        let mut value: serde_json::Value = serde_json::from_slice(first)
            .map_err(|_| ResultsError::NoHeader(path.to_path_buf()))?;
        sanitize::clean_value(&mut value);
        if value.get("kind").and_then(|k| k.as_str()) != Some("header") {
            return Err(ResultsError::NoHeader(path.to_path_buf()));
        }
        let found = value.get("schema").and_then(|s| s.as_u64()).unwrap_or(0);
        if found != u64::from(SCHEMA_VERSION) {
            return Err(ResultsError::Version {
                path: path.to_path_buf(),
                found,
            });
        }
        let header = match serde_json::from_value::<Record>(value) {
            Ok(Record::Header(h)) => *h,
            _ => return Err(ResultsError::NoHeader(path.to_path_buf())),
        };
        checks::header(&header).map_err(|why| ResultsError::Rejected {
            path: path.to_path_buf(),
            why,
        })?;
        let mut records = Vec::new();
        let mut repros = Vec::new();
        let mut loads = Vec::new();
        let mut warnings = Vec::new();
        for (index, line) in lines {
            let record = serde_json::from_slice::<serde_json::Value>(line).and_then(|mut v| {
                sanitize::clean_value(&mut v);
                serde_json::from_value::<Record>(v)
            });
            match record {
                Ok(Record::Cell(cell)) => match checks::cell(&cell) {
                    Ok(()) => records.push(*cell),
                    Err(why) => warnings.push(format!("line {}: {why}; skipped", index + 1)),
                },
                Ok(Record::Repro(run)) => match checks::repro(&run) {
                    Ok(()) => repros.push(*run),
                    Err(why) => warnings.push(format!("line {}: {why}; skipped", index + 1)),
                },
                Ok(Record::Load(load)) => match checks::load(&load) {
                    Ok(()) => loads.push(*load),
                    Err(why) => warnings.push(format!("line {}: {why}; skipped", index + 1)),
                },
                Ok(Record::Header(_)) => {
                    warnings.push(format!("line {}: second header ignored", index + 1))
                }
                Err(e) => {
                    warnings.push(format!("line {}: unreadable line skipped ({e})", index + 1))
                }
            }
        }
        Ok(Results {
            path: path.to_path_buf(),
            header,
            records,
            repros,
            loads,
            warnings,
        })
    }
}

/// Appends records to a results file, one flushed line each.
pub struct ResultsWriter {
    path: PathBuf,
    file: File,
    /// Bytes of whole lines in the file: where a failed append is cut back to.
    len: u64,
}

impl ResultsWriter {
    /// Creates a new file (fails if it exists) and writes the header line.
    pub fn create(path: &Path, header: &Header) -> Result<ResultsWriter, ResultsError> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|source| ResultsError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut writer = ResultsWriter {
            path: path.to_path_buf(),
            file,
            len: 0,
        };
        writer.append(&Record::Header(Box::new(header.clone())))?;
        Ok(writer)
    }

    /// Opens an existing file for appending (resume), never through a
    /// symbolic link. A last line cut short by a kill is terminated first, so
    /// that the next record starts on its own line.
    pub fn append_to(path: &Path) -> Result<ResultsWriter, ResultsError> {
        let io_err = |source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(io_err)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_err)?;
        let mut len = bytes.len() as u64;
        if bytes.last().is_some_and(|b| *b != b'\n') {
            file.write_all(b"\n").map_err(io_err)?;
            len += 1;
        }
        Ok(ResultsWriter {
            path: path.to_path_buf(),
            file,
            len,
        })
    }

    /// Writes one record as one line and makes sure it reached the file. When
    /// that fails, the part of the line that was written is cut off again.
    pub fn append(&mut self, record: &Record) -> Result<(), ResultsError> {
        let mut line = serde_json::to_vec(record).expect("records always serialize");
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .and_then(|_| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(source) => {
                // Best effort: if even this fails, the reader skips the cut line.
                let _ = self.file.set_len(self.len);
                Err(ResultsError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    /// Makes every line written so far survive a machine crash (fdatasync).
    /// The sweep calls it once per block of repetitions rather than per
    /// line: on a virtual disk a sync costs milliseconds, as much as a
    /// short repetition, and a crash then loses at most the block in flight.
    pub fn sync(&mut self) -> Result<(), ResultsError> {
        self.file.sync_data().map_err(|source| ResultsError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

impl Drop for ResultsWriter {
    /// The lines of the last block are made durable too, however the writer
    /// goes (an error here has nowhere to go: every line is already written).
    fn drop(&mut self) {
        let _ = self.file.sync_data();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_line() -> Vec<u8> {
        let h = Header {
            schema: SCHEMA_VERSION,
            tool: crate::schema::Tool {
                version: "0".into(),
                commit: "x".into(),
            },
            machine: crate::schema::Machine {
                hostname: "h".into(),
                kernel: "6.18".into(),
                cpu_model: "cpu".into(),
                cpus: 2,
                mitigations: Default::default(),
                emulated: false,
                kernel_package: None,
                fsync_dir: None,
            },
            io_uring: Default::default(),
            run: crate::schema::RunInfo {
                config_path: "c".into(),
                config_hash: "h".into(),
                started_unix: 0,
                command: vec![],
                reproduce: None,
                config_lines: None,
            },
            anchors: vec![],
            calibration: None,
            registry: None,
        };
        serde_json::to_vec(&Record::Header(Box::new(h))).unwrap()
    }

    #[test]
    fn truncated_last_line_is_a_warning() {
        let lines = vec![header_line(), b"{\"kind\":\"cell\",\"name\":\"x".to_vec()];
        let r = Results::parse(Path::new("r"), &lines).unwrap();
        assert!(r.records.is_empty());
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].starts_with("line 2:"));
    }

    #[test]
    fn other_schema_version_is_refused() {
        let mut v: serde_json::Value = serde_json::from_slice(&header_line()).unwrap();
        v["schema"] = 99.into();
        let lines = vec![serde_json::to_vec(&v).unwrap()];
        let err = Results::parse(Path::new("r"), &lines).unwrap_err();
        assert!(err.to_string().contains("schema version 99"));
    }

    #[test]
    fn empty_and_headerless_files_are_errors() {
        assert!(matches!(
            Results::parse(Path::new("r"), &[]),
            Err(ResultsError::Empty(_))
        ));
        assert!(matches!(
            Results::parse(Path::new("r"), &[b"garbage".to_vec()]),
            Err(ResultsError::NoHeader(_))
        ));
    }
}
