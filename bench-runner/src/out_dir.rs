//! The output directory of `sweep`, `study`, `advise`, `report`, `compare`
//! and `repro` (`--out`), checked before anything is written in it.
//!
//! The tool runs as root (SQPOLL, BPF and perf need it), so a directory
//! another user prepared is a way to make root write where that user chose:
//! a symbolic link planted as `.lock` or `report.html` would truncate or
//! replace the file it points to. Every file is created without following a
//! symbolic link (`.lock` with O_NOFOLLOW, results.jsonl with O_EXCL, the
//! reports through a temporary file renamed into place); on top of that, a
//! directory the running user does not own, or one that group or others may
//! write without the sticky bit, is refused before anything is written,
//! unless `--out-owner-ok` says it was prepared on purpose (the CI scripts
//! run the tool through sudo into the runner's workspace).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why an output directory is not used.
#[derive(thiserror::Error, Debug)]
pub enum OutDirError {
    /// Another user owns it.
    #[error("{path}: owned by uid {owner}, not by this user (uid {user}): another user could have prepared it; choose another --out, or pass --out-owner-ok")]
    Foreign {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The running (effective) user.
        user: u32,
    },
    /// Group or others may write in it, and it has no sticky bit.
    #[error("{path}: writable by group or others (mode {mode:04o}) without the sticky bit: another user could plant files in it; choose another --out, or pass --out-owner-ok")]
    Writable {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A file the tool writes there is a symbolic link or not a regular file.
    #[error("{0}: not a regular file (a symbolic link?): refusing to write through it")]
    NotRegular(PathBuf),
    /// It could not be created or looked at.
    #[error("{path}: {source}")]
    Io {
        /// What failed.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl OutDirError {
    /// Whether the refusal is about what the user asked for (exit status 2)
    /// rather than a failure of the machine.
    pub fn is_usage(&self) -> bool {
        !matches!(self, OutDirError::Io { .. })
    }
}

/// Creates `out` if needed and checks that only the running user could
/// have put anything in it; `owner_ok` (`--out-owner-ok`) skips the check.
pub fn prepare(out: &Path, owner_ok: bool) -> Result<(), OutDirError> {
    let io = |source| OutDirError::Io {
        path: out.to_path_buf(),
        source,
    };
    fs::create_dir_all(out).map_err(io)?;
    if owner_ok {
        return Ok(());
    }
    let meta = fs::metadata(out).map_err(io)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let user = unsafe { libc::geteuid() };
    if meta.uid() != user {
        return Err(OutDirError::Foreign {
            path: out.to_path_buf(),
            owner: meta.uid(),
            user,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 && mode & libc::S_ISVTX == 0 {
        return Err(OutDirError::Writable {
            path: out.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Opens (creating it if needed, never truncating it) the lock file `path`
/// of an output directory, refusing a symbolic link or anything but a
/// regular file there.
pub fn open_lock(path: &Path) -> Result<File, OutDirError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::ELOOP) => OutDirError::NotRegular(path.to_path_buf()),
            _ => OutDirError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
    let meta = file.metadata().map_err(|source| OutDirError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(OutDirError::NotRegular(path.to_path_buf()));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_directory_others_may_write_is_refused_unless_sticky_or_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        prepare(&out, false).expect("a new directory is the user's own");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).unwrap();
        let error = prepare(&out, false).unwrap_err();
        assert!(
            matches!(error, OutDirError::Writable { mode: 0o777, .. }),
            "{error}"
        );
        assert!(error.is_usage());
        prepare(&out, true).expect("--out-owner-ok");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o1777)).unwrap();
        prepare(&out, false).expect("a sticky directory keeps others' files apart");
    }

    #[test]
    fn a_lock_planted_as_a_symbolic_link_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let lock = dir.path().join(".lock");
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        let error = open_lock(&lock).unwrap_err();
        assert!(matches!(error, OutDirError::NotRegular(_)), "{error}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");

        let fifo_dir = tempfile::tempdir().unwrap();
        let fifo = fifo_dir.path().join(".lock");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(open_lock(&fifo), Err(OutDirError::NotRegular(_))));
    }
}
