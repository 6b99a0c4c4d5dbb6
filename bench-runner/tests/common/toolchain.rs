//! The toolchain the reproducer tests build with: gcc that compiles and
//! links a liburing program, or the reason it does not (the tests skip
//! with it; `scripts/setup` installs gcc and liburing-dev).

use super::{bin, succeeds};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A C compiler that builds and links programs on liburing.
pub struct Toolchain {
    gcc: String,
}

impl Toolchain {
    /// `gcc` when it compiles and links a liburing program with `-l{lib}`, or
    /// why not.
    pub fn find(gcc: &str, lib: &str) -> Result<Toolchain, String> {
        Toolchain::find_with(gcc, lib, &[])
    }

    /// [`Toolchain::find`] with `flags` on the build line (`-static`).
    pub fn find_with(gcc: &str, lib: &str, flags: &[&str]) -> Result<Toolchain, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let source = dir.path().join("probe.c");
        let program = "#include <liburing.h>\nint main(void) { struct io_uring r; return io_uring_queue_init(1, &r, 0) < 0; }\n";
        std::fs::write(&source, program).map_err(|e| e.to_string())?;
        let output = Command::new(gcc)
            .args(flags)
            .arg("-o")
            .arg(dir.path().join("probe"))
            .arg(&source)
            .arg(format!("-l{lib}"))
            .output()
            .map_err(|e| format!("{gcc}: {e}"))?;
        if !output.status.success() {
            let why = String::from_utf8_lossy(&output.stderr);
            let first = why
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or("failed");
            return Err(format!(
                "{gcc} cannot build a liburing program: {}",
                first.trim()
            ));
        }
        Ok(Toolchain { gcc: gcc.into() })
    }

    /// The toolchain, or `None` with the reason printed.
    pub fn or_skip() -> Option<Toolchain> {
        match Toolchain::find("gcc", "uring") {
            Ok(t) => Some(t),
            Err(why) => {
                eprintln!("skip: {why} (scripts/setup installs gcc and liburing-dev)");
                None
            }
        }
    }

    /// Writes the reproducer of `cell` (with `extra` arguments to `repro`)
    /// into `dir` and builds it with the build line it states.
    pub fn build(&self, dir: &Path, cell: &str, extra: &[&str]) -> PathBuf {
        succeeds(bin().args(["repro", cell, "--out"]).arg(dir).args(extra));
        let source = std::fs::read_to_string(dir.join("repro.c")).unwrap();
        let line = "gcc -O2 -o repro repro.c -luring -lpthread";
        assert!(
            source.contains(&format!(" * Build:   {line}\n")),
            "{source}"
        );
        succeeds(
            Command::new(&self.gcc)
                .args(line.split(' ').skip(1))
                .current_dir(dir),
        );
        dir.join("repro")
    }
}
