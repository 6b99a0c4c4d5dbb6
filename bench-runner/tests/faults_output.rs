//! Output safety: a full disk (a tiny tmpfs as the output directory) ends the
//! sweep with one clear error line and leaves every earlier line intact (the
//! line being written is cut back, so `--resume` continues cleanly once there
//! is room); a second sweep on a directory in use refuses at once, up to the
//! end of the first one's report rendering, and never interleaves a line;
//! everything is written with the user's umask. Nothing
//! of any of them survives its exit: processes, BPF programs, temp files.

mod common;

use common::{
    assert_clean_exit, bpf_programs_held_by, complete_sweep_problems, config, is_root,
    output_within, planned, still_loaded, sweep_command, write_config, Lines,
};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

/// A tmpfs of a given size, unmounted when dropped (panics included).
struct Tmpfs(PathBuf);

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> std::io::Result<Tmpfs> {
        std::fs::create_dir_all(at)?;
        let options = CString::new(format!("size={size},mode=0755")).unwrap();
        // SAFETY: mount(2) with NUL-terminated strings that outlive the call.
        let r = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                c_path(at).as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                options.as_ptr().cast(),
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Tmpfs(at.to_path_buf()))
    }

    /// Gives the filesystem a new size, keeping its files.
    fn resize(&self, size: &str) {
        let options = CString::new(format!("size={size}")).unwrap();
        // SAFETY: as in mount.
        let r = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                c_path(&self.0).as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_REMOUNT,
                options.as_ptr().cast(),
            )
        };
        assert_eq!(r, 0, "remount: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // SAFETY: umount2 of the path mounted above; lazily if still busy.
        unsafe { libc::umount2(c_path(&self.0).as_ptr(), libc::MNT_DETACH) };
    }
}

/// 16 cells of 5 repetitions: about 40 KiB of results.
fn wordy_config() -> String {
    config(
        "styles = [\"link\", \"userspace\", \"hardlink\", \"drain\"]\nmodes = [\"default\", \"registered-ring\"]\ngroups = [1, 2]\nrepetitions = 5\nmin_repetitions = 5",
    )
}

#[test]
fn full_disk_gives_one_error_line_and_keeps_every_earlier_line() {
    if !is_root() {
        return eprintln!("skipped: mounting a tmpfs needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &wordy_config());
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let disk = Tmpfs::mount(&dir.path().join("disk"), "16k").unwrap();
    let out = disk.0.join("out");
    let results = out.join("results.jsonl");

    let (pid, output) = output_within(sweep_command(&path, &out, &tmp, &[]), LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors,
        [format!(
            "error: {}: No space left on device (os error 28)",
            results.display()
        )],
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().last(),
        Some(errors[0]),
        "the error is the last line"
    );
    assert_clean_exit(pid, Some(&tmp));
    let full = Lines::read(&results);
    assert!(full.ends_whole(), "the line that did not fit was left cut");
    assert!(full.bad.is_empty(), "damaged lines on a full disk");
    let kept = full.cells().count();
    assert!(kept > 0, "nothing was written before the disk filled");

    disk.resize("8m");
    let (pid, output) = output_within(sweep_command(&path, &out, &tmp, &["--resume"]), LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains("warning") && !l.contains("machine loaded")),
        "{stderr}"
    );
    assert_clean_exit(pid, Some(&tmp));
    let after = Lines::read(&results);
    assert!(
        after.bytes.starts_with(&full.bytes),
        "earlier lines changed"
    );
    let problems = complete_sweep_problems(&after, &planned(&path), 5);
    assert!(problems.is_empty(), "{problems:#?}");
    eprintln!(
        "full disk: {kept} cell lines kept whole, one error line; resumed to {} lines once there was room",
        after.cells().count()
    );
}

#[test]
fn a_second_sweep_on_the_same_directory_refuses_and_never_interleaves() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        &config(
            "styles = [\"link\", \"userspace\", \"hardlink\", \"drain\"]\nmodes = [\"default\", \"registered-ring\"]\ngroups = [1, 2]\nrep_time = \"20ms\"\nrepetitions = 4\nmin_repetitions = 4\nprofile = true",
        ),
    );
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = dir.path().join("out");
    let results = out.join("results.jsonl");
    let mut first = sweep_command(&path, &out, &tmp, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id();
    let deadline = Instant::now() + LIMIT;
    while Lines::read(&results).cells().count() < 2 {
        assert!(
            Instant::now() < deadline,
            "the first sweep made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // The first sweep has its probes loaded; they must all go with it.
    let programs = bpf_programs_held_by(pid);
    let mut refusals = 0;
    while first.try_wait().unwrap().is_none() {
        for extra in [&[][..], &["--resume"][..]] {
            let (second_pid, second) =
                output_within(sweep_command(&path, &out, &tmp, extra), LIMIT);
            if first.try_wait().unwrap().is_some() {
                break;
            }
            let stderr = String::from_utf8_lossy(&second.stderr);
            assert_eq!(second.status.code(), Some(1), "{stderr}");
            assert_eq!(
                stderr,
                format!(
                    "error: {}: another sweep is writing to this directory\n",
                    out.display()
                )
            );
            assert_clean_exit(second_pid, None);
            refusals += 1;
        }
    }
    let status = common::wait_within(&mut first, LIMIT);
    let stderr = std::io::read_to_string(first.stderr.take().unwrap()).unwrap();
    assert!(status.success(), "{stderr}");
    assert_clean_exit(pid, Some(&tmp));
    common::eventually("a BPF program of the first sweep stayed loaded", || {
        still_loaded(&programs).is_empty()
    });
    assert!(
        refusals >= 4,
        "only {refusals} attempts while the first sweep ran"
    );
    let lines = Lines::read(&results);
    assert!(lines.bad.is_empty(), "interleaved or damaged lines");
    let problems = complete_sweep_problems(&lines, &planned(&path), 4);
    assert!(problems.is_empty(), "{problems:#?}");
    let written: usize = stderr
        .lines()
        .find_map(|l| l.strip_prefix("done: ")?.split(' ').next()?.parse().ok())
        .unwrap();
    assert_eq!(lines.cells().count(), written, "lines from another writer");
    eprintln!(
        "{refusals} concurrent sweeps refused while one wrote {written} lines; its {} BPF programs unloaded after it",
        programs.len()
    );
}

/// Every file and directory under `dir`.
fn tree(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(tree(&path));
        }
        out.push((path, meta.permissions().mode() & 0o7777));
    }
    out
}

#[test]
fn outputs_follow_the_umask_and_are_never_world_writable() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        &config("ops = [\"nop\", \"file\"]\nprofile = true"),
    );
    for mask in [0o022u32, 0o077] {
        let tmp = dir.path().join(format!("tmp-{mask:o}"));
        std::fs::create_dir(&tmp).unwrap();
        let out = dir.path().join(format!("out-{mask:o}"));
        let mut cmd = sweep_command(&path, &out, &tmp, &[]);
        // SAFETY: umask is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(mask);
                Ok(())
            });
        }
        let (pid, output) = output_within(cmd, LIMIT);
        assert!(output.status.success(), "{output:?}");
        assert_clean_exit(pid, Some(&tmp));
        let files = tree(&out);
        assert!(files.len() > 4, "{files:?}");
        for (file, mode) in &files {
            assert_eq!(mode & 0o002, 0, "{} is world-writable", file.display());
            assert_eq!(
                mode & mask,
                0,
                "{} ignores umask {mask:o}: {mode:o}",
                file.display()
            );
        }
        let results = std::fs::metadata(out.join("results.jsonl")).unwrap();
        assert_eq!(results.permissions().mode() & 0o777, 0o666 & !mask);
        let created = std::fs::metadata(&out).unwrap();
        assert_eq!(created.permissions().mode() & 0o777, 0o777 & !mask);
        eprintln!(
            "umask {mask:03o}: {} outputs, none beyond the mask",
            files.len()
        );
    }
}
