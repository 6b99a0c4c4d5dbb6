//! `scripts/kernel-matrix` end to end: boots Debian's kernel under software
//! emulation and checks what comes back (the command's output directory, its
//! exit status, the timeout, the guest's BTF) next to a run on the host.
//!
//! The command run inside the guest is this test binary itself, filtered to
//! `guest_probe`: like `bench-runner` it is dynamically linked against glibc,
//! so it also proves that the binary's libraries reach the guest.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The kernel the script boots by default.
const KERNEL: &str = "7.2.13+deb14-cloud-amd64";

/// An argument that only survives if the script quotes it correctly.
const TRICKY_ARG: &str = "it's a \"quoted\" $arg `and` \\ more";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/kernel-matrix")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Why the guest tests cannot run on this machine, if they cannot: the
/// script installs missing tools with apt-get, which needs root.
fn skip_reason(is_root: bool, has_tools: bool) -> Option<String> {
    if is_root || has_tools {
        None
    } else {
        Some(
            "qemu-system-x86_64 or a static busybox is missing and installing them needs root"
                .into(),
        )
    }
}

fn tools_present() -> bool {
    let has_qemu = Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    has_qemu && Path::new("/bin/busybox").exists()
}

fn should_skip() -> bool {
    // SAFETY: geteuid has no preconditions.
    let is_root = unsafe { libc::geteuid() } == 0;
    match skip_reason(is_root, tools_present()) {
        Some(reason) => {
            eprintln!("skipped: {reason}");
            true
        }
        None => false,
    }
}

/// Runs the script; None (after printing why) when Debian no longer carries
/// the kernel, which is the archive moving on rather than a defect here.
fn kernel_matrix(args: &[&str]) -> Option<Output> {
    kernel_matrix_in(args, None)
}

/// [`kernel_matrix`] with the kernel cache under `cache_home` when given.
fn kernel_matrix_in(args: &[&str], cache_home: Option<&Path>) -> Option<Output> {
    // One guest at a time: several emulated guests on two CPUs starve each
    // other into timeouts that say nothing about the script.
    static ONE_GUEST: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guest = ONE_GUEST.lock().unwrap_or_else(|e| e.into_inner());
    let mut command = Command::new(script());
    if let Some(home) = cache_home {
        command.env("XDG_CACHE_HOME", home);
    }
    let out = command
        .args(args)
        .output()
        .expect("run scripts/kernel-matrix");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(2)
        && (stderr.contains("is not in Debian") || stderr.contains("apt-get update"))
    {
        eprintln!("skipped: {}", stderr.trim());
        return None;
    }
    Some(out)
}

/// One line of `--resolve-only`: what a --kernel resolved to.
#[derive(Debug, PartialEq)]
struct Resolved {
    spec: String,
    kernel: String,
    suite: String,
    package: String,
}

/// Parses `kernel-matrix: SPEC -> KERNEL (SUITE, package version VERSION)`.
fn resolved(line: &str) -> Option<Resolved> {
    let rest = line.strip_prefix("kernel-matrix: ")?;
    let (spec, rest) = rest.split_once(" -> ")?;
    let (kernel, rest) = rest.split_once(" (")?;
    let (suite, rest) = rest.split_once(", package version ")?;
    Some(Resolved {
        spec: spec.into(),
        kernel: kernel.into(),
        suite: suite.into(),
        package: rest.strip_suffix(')')?.into(),
    })
}

fn resolutions(out: &Output) -> Vec<Resolved> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(resolved)
        .collect()
}

/// Whether Debian package version `a` is newer than `b`, as dpkg decides.
fn newer(a: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, "gt", b])
        .status()
        .expect("run dpkg")
        .success()
}

/// The newest of `kernels` (kernel, suite, package version) by package version.
fn newest<'a>(kernels: impl Iterator<Item = &'a [String; 3]>) -> Option<&'a [String; 3]> {
    kernels.fold(None, |best, k| match best {
        Some(b) if !newer(&k[2], &b[2]) => Some(b),
        _ => Some(k),
    })
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The command the other tests run inside the guest (and on the host): it
/// records what it sees in `probe.json` in its output directory.
#[test]
#[ignore = "runs inside scripts/kernel-matrix, started by runs_the_probe_in_the_guest_and_on_the_host"]
fn guest_probe() {
    let label = std::env::var("URING_SYNCBENCH_KERNEL").expect("URING_SYNCBENCH_KERNEL is set");
    let out = std::env::var("URING_SYNCBENCH_OUT").expect("URING_SYNCBENCH_OUT is set");
    let emulated = std::env::var("URING_SYNCBENCH_EMULATED").ok();
    let release = read("/proc/sys/kernel/osrelease").trim().to_string();
    let mut params = [0u8; 120];
    // SAFETY: io_uring_setup writes at most sizeof(struct io_uring_params)
    // (120 bytes) into params.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
    let errno = std::io::Error::last_os_error();
    assert!(fd >= 0, "io_uring_setup failed on {release}: {errno}");
    // SAFETY: fd is the ring just created and owned here.
    unsafe { libc::close(fd as i32) };
    let mut cwd_entries: Vec<String> = std::fs::read_dir(".")
        .expect("read the working directory")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    cwd_entries.sort();
    let probe = serde_json::json!({
        "label": label,
        "release": release,
        "emulated": emulated,
        "args": std::env::args().collect::<Vec<_>>(),
        "cwd_entries": cwd_entries,
        "btf": Path::new("/sys/kernel/btf/vmlinux").exists(),
    });
    std::fs::write(Path::new(&out).join("probe.json"), probe.to_string())
        .expect("write probe.json");
}

#[test]
fn runs_the_probe_in_the_guest_and_on_the_host() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let config_files: Vec<&str> = ["config.toml", "configs"]
        .into_iter()
        .filter(|name| repo().join(name).exists())
        .collect();
    let Some(out) = kernel_matrix(&[
        "--kernel",
        KERNEL,
        "--kernel",
        "host",
        "--bin",
        exe.to_str().expect("utf-8 path"),
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--",
        "guest_probe",
        TRICKY_ARG,
        "--exact",
        "--ignored",
        "--nocapture",
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    for label in [KERNEL, "host"] {
        let kdir = dir.path().join(label);
        assert_eq!(read(kdir.join("exit-status")).trim(), "0", "{label}");
        assert!(
            summary
                .lines()
                .any(|l| l.contains(label) && l.contains("exit-status 0")),
            "{summary}"
        );
        let probe: serde_json::Value =
            serde_json::from_str(&read(kdir.join("probe.json"))).expect("probe.json is JSON");
        assert_eq!(probe["label"], label);
        assert_eq!(probe["btf"], true, "{label}: no /sys/kernel/btf/vmlinux");
        let args: Vec<&str> = probe["args"]
            .as_array()
            .expect("args array")
            .iter()
            .map(|a| a.as_str().expect("string arg"))
            .collect();
        assert_eq!(
            &args[1..],
            [
                "guest_probe",
                TRICKY_ARG,
                "--exact",
                "--ignored",
                "--nocapture"
            ]
        );
        assert!(
            read(kdir.join("command.log")).contains("test guest_probe ... ok"),
            "{label}"
        );
    }
    let guest = dir.path().join(KERNEL);
    let probe: serde_json::Value =
        serde_json::from_str(&read(guest.join("probe.json"))).expect("JSON");
    assert_eq!(probe["release"], KERNEL);
    assert_eq!(probe["emulated"], "1");
    let entries = probe["cwd_entries"].as_array().expect("cwd entries");
    for name in config_files {
        assert!(
            entries.iter().any(|e| e == name),
            "{name} missing in the guest: {entries:?}"
        );
    }
    let console = read(guest.join("console.log"));
    assert!(
        console.contains(&format!(
            "Linux version {}",
            KERNEL.split('+').next().unwrap()
        )),
        "{console}"
    );
    assert!(
        !console.contains("probe.json"),
        "results leaked into the console"
    );
    let host: serde_json::Value =
        serde_json::from_str(&read(dir.path().join("host/probe.json"))).expect("JSON");
    assert_eq!(host["emulated"], serde_json::Value::Null);
}

#[test]
fn failing_command_is_reported_with_its_status() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = kernel_matrix(&[
        "--bin",
        "/bin/false",
        "--out",
        dir.path().to_str().unwrap(),
        "--",
        "x",
    ]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        read(dir.path().join(KERNEL).join("exit-status")).trim(),
        "1"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("FAILED: {KERNEL} (command exited with status 1")),
        "{stderr}"
    );
}

#[test]
fn a_kernel_that_dies_before_init_is_booted_again() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // With no such init the kernel panics before any of the guest's code
    // runs: the stand-in for a boot that emulation crashed.
    let Some(out) = kernel_matrix(&[
        "--btf-out",
        dir.path().join("vmlinux.btf").to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
        "--append",
        "rdinit=/no-such-init",
        "--boot-attempts",
        "2",
    ]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let kdir = dir.path().join("out").join(KERNEL);
    assert_eq!(read(kdir.join("exit-status")).trim(), "no-results");
    assert!(read(kdir.join("console.boot-1.log")).contains("Kernel panic"));
    assert!(read(kdir.join("console.log")).contains("Kernel panic"));
    assert!(!kdir.join("console.boot-2.log").exists(), "booted 3 times");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("did not boot, no command, results lost;"),
        "{}",
        describe(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("died before /init started (boot 1 of 2"),
        "{stderr}"
    );
}

#[test]
fn a_kernel_crash_during_the_command_is_a_result_not_a_reboot() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = kernel_matrix(&[
        "--bin",
        "/bin/sh",
        "--out",
        dir.path().to_str().unwrap(),
        "--",
        "-c",
        "echo c >/proc/sysrq-trigger",
    ]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let kdir = dir.path().join(KERNEL);
    assert_eq!(read(kdir.join("exit-status")).trim(), "no-results");
    let console = read(kdir.join("console.log"));
    assert!(console.contains("kernel-matrix: guest up:"), "{console}");
    assert!(console.contains("sysrq"), "{console}");
    assert!(!kdir.join("console.boot-1.log").exists(), "booted again");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("booted, command did not finish, results lost;"),
        "{}",
        describe(&out)
    );
}

#[test]
fn timeout_kills_the_guest() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    let Some(out) = kernel_matrix(&[
        "--timeout",
        "2",
        "--bin",
        "/bin/sleep",
        "--out",
        dir.path().to_str().unwrap(),
        "--",
        "600",
    ]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        read(dir.path().join(KERNEL).join("exit-status")).trim(),
        "timeout"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timed out: --timeout 2 s"),
        "{}",
        describe(&out)
    );
    // Setup (a first download) is not under the timeout; the guest is.
    assert!(
        started.elapsed().as_secs() < 600,
        "the guest outlived its timeout"
    );
}

#[test]
fn btf_comes_back_without_a_command() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let btf = dir.path().join("vmlinux.btf");
    let Some(out) = kernel_matrix(&[
        "--out",
        dir.path().join("out").to_str().unwrap(),
        "--btf-out",
        btf.to_str().unwrap(),
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let bytes = std::fs::read(&btf).expect("BTF written");
    assert_eq!(&bytes[..2], &0xeb9f_u16.to_le_bytes(), "not BTF");
    assert!(
        bytes
            .windows(b"io_uring_bpf_ops".len())
            .any(|w| w == b"io_uring_bpf_ops"),
        "the {KERNEL} BTF lacks io_uring_bpf_ops"
    );
}

#[test]
fn unknown_kernel_is_a_one_line_error() {
    if should_skip() {
        return;
    }
    let out = Command::new(script())
        .args(["--kernel", "0.0.1-none", "--bin", "/bin/true", "--", "x"])
        .output()
        .expect("run scripts/kernel-matrix");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error: Vec<&str> = stderr.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(
        error[0].contains("kernel 0.0.1-none is not in Debian bookworm")
            && error[0].contains("series there: 6.1 "),
        "{stderr}"
    );
}

/// `--kernel 6.1` is the newest 6.1 the package lists have, by package
/// version, whichever suite holds it; an exact version resolves to itself;
/// `--kernels debian` is the kernel each of bookworm, trixie and sid ships,
/// the newest of its suite. All against the archive's real lists, as
/// `--list-kernels` prints them.
#[test]
fn series_resolve_to_the_newest_kernel_the_archive_has() {
    let Some(list) = kernel_matrix(&["--list-kernels"]) else {
        return;
    };
    assert!(list.status.success(), "{}", describe(&list));
    let kernels: Vec<[String; 3]> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| {
            let fields: Vec<String> = l.split(' ').map(String::from).collect();
            fields
                .try_into()
                .unwrap_or_else(|f| panic!("not KERNEL SUITE VERSION: {f:?}"))
        })
        .collect();
    assert!(
        kernels.iter().all(|k| k[0].ends_with("-cloud-amd64")),
        "{kernels:?}"
    );
    let of_series = |series: &str| {
        let prefix = [format!("{series}."), format!("{series}-")];
        newest(
            kernels
                .iter()
                .filter(move |k| prefix.iter().any(|p| k[0].starts_with(p.as_str()))),
        )
        .unwrap_or_else(|| panic!("no {series} kernel in {kernels:?}"))
    };
    let old_61 = kernels
        .iter()
        .find(|k| k[0].starts_with("6.1."))
        .expect("a 6.1 kernel");
    let Some(out) = kernel_matrix(&[
        "--resolve-only",
        "--kernel",
        "6.1",
        "--kernel",
        "6.12",
        "--kernel",
        "7.2",
        "--kernel",
        &old_61[0],
        "--kernel",
        "host",
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let got = resolutions(&out);
    for series in ["6.1", "6.12", "7.2"] {
        let want = of_series(series);
        let line = got
            .iter()
            .find(|r| r.spec == series)
            .unwrap_or_else(|| panic!("{series} not resolved: {}", describe(&out)));
        assert_eq!(
            [&line.kernel, &line.suite, &line.package],
            [&want[0], &want[1], &want[2]],
            "{series}"
        );
    }
    let exact = got.iter().find(|r| r.spec == old_61[0]).expect("exact");
    assert_eq!(
        [&exact.kernel, &exact.suite],
        [&old_61[0], &old_61[1]],
        "an exact version resolves to itself"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("kernel-matrix: host -> host ("),
        "{}",
        describe(&out)
    );

    // apt reads a name it does not know as a regular expression: 6.1.0
    // would match every 6.1.0-N kernel of every flavour, and download them.
    let out = Command::new(script())
        .args(["--resolve-only", "--kernel", "6.1.0"])
        .output()
        .expect("run scripts/kernel-matrix");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("kernel 6.1.0 is not in Debian"),
        "{}",
        describe(&out)
    );

    let Some(out) = kernel_matrix(&["--resolve-only", "--kernels", "debian"]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let debian = resolutions(&out);
    let suites: Vec<&str> = debian.iter().map(|r| r.suite.as_str()).collect();
    assert_eq!(suites, ["bookworm", "trixie", "sid"], "{}", describe(&out));
    for r in &debian {
        let want = newest(kernels.iter().filter(|k| k[1] == r.suite)).expect("suite");
        assert_eq!([&r.kernel, &r.package], [&want[0], &want[2]], "{r:?}");
        assert!(
            r.kernel.starts_with(&format!("{}.", r.spec))
                || r.kernel.starts_with(&format!("{}-", r.spec)),
            "{r:?}"
        );
    }
}

/// The kernels Debian ships from 6.1 on, booted one after another under
/// emulation: each runs a small sweep and its results come back, with the
/// package the kernel came from in the header. 6.1 builds its virtio
/// console as a module, so its results come back only if the modules were
/// loaded; 7.2 has them built in and loads none.
#[test]
fn sweeps_come_back_from_6_1_6_12_and_7_2() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let started = std::time::Instant::now();
    let Some(out) = kernel_matrix(&[
        "--kernel",
        "6.1",
        "--kernel",
        "6.12",
        "--kernel",
        "7.2",
        "--bin",
        env!("CARGO_BIN_EXE_bench-runner"),
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--",
        "sweep",
        "configs/kernel-smoke.toml",
    ]) else {
        return;
    };
    eprintln!("three kernels in {:.1} s", started.elapsed().as_secs_f64());
    assert!(out.status.success(), "{}", describe(&out));
    let got = resolutions(&out);
    assert_eq!(got.len(), 3, "{}", describe(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    for r in &got {
        assert!(
            summary.lines().any(|l| l.contains(&r.kernel)
                && l.contains("booted, command exited 0, results came back")),
            "{summary}"
        );
        let kdir = dir.path().join(&r.kernel);
        let text = read(kdir.join("results.jsonl"));
        let mut lines = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"));
        let header = lines.next().expect("header");
        assert_eq!(header["machine"]["kernel"], r.kernel.as_str());
        assert_eq!(header["machine"]["emulated"], true);
        assert_eq!(
            header["machine"]["kernel_package"],
            serde_json::json!({"suite": r.suite, "version": r.package})
        );
        // Reproduced from the host by the series as given, not the version
        // it resolved to, so the command follows the archive.
        assert_eq!(
            header["run"]["reproduce"],
            serde_json::json!([
                "scripts/kernel-matrix",
                "--kernel",
                r.spec,
                "--",
                "sweep",
                "configs/kernel-smoke.toml"
            ]),
            "{}",
            r.kernel
        );
        let cells: Vec<_> = lines.filter(|l| l["pass"] == "timing").collect();
        for style in ["link", "userspace"] {
            let ok = cells
                .iter()
                .filter(|l| l["cell"]["style"] == style && l["status"] == "ok")
                .count();
            assert!(
                ok >= 3,
                "{}: {style} has {ok} verified repetitions\n{text}",
                r.kernel
            );
        }
        let status = read(kdir.join("status.log"));
        let loads_modules = status.contains("module virtio_console loaded");
        match r.spec.as_str() {
            "6.1" => assert!(loads_modules, "6.1 loaded no virtio_console:\n{status}"),
            "7.2" => assert!(!status.contains("module "), "7.2 loaded modules:\n{status}"),
            _ => {}
        }
        assert!(!status.contains("failed"), "{}:\n{status}", r.kernel);
    }
}

/// The user's view of a guest whose results port is missing (as on a 6.1
/// kernel without its virtio console module): the guest booted and the
/// command exited 0, and the summary says so beside the results it lost.
#[test]
fn results_lost_after_the_command_are_told_apart_from_a_failed_boot() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = kernel_matrix(&[
        "--bin",
        "/bin/sh",
        "--out",
        dir.path().to_str().unwrap(),
        "--",
        "-c",
        "rm /dev/vport*",
    ]) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("{KERNEL} "))
            && summary.contains("booted, command exited 0, results lost: the guest has no virtio port named kernel-matrix"),
        "{}",
        describe(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "FAILED: {KERNEL} (booted, command exited 0, results lost"
        )) && !stderr.contains("did not boot"),
        "{stderr}"
    );
    assert_eq!(
        read(dir.path().join(KERNEL).join("exit-status")).trim(),
        "no-results"
    );
}

#[test]
fn skip_reason_names_root_only_when_tools_are_missing() {
    let reason = skip_reason(false, false).expect("missing tools without root must skip");
    assert!(reason.contains("root"), "{reason}");
    assert_eq!(skip_reason(true, false), None);
    assert_eq!(skip_reason(false, true), None);
}

/// The `bpf-loop` style where it exists: inside the 7.2 guest the BPF event
/// loop attaches, runs its chains, and the runner's order verification passes
/// for it and for `link` on the same shapes; the results say they were taken
/// under emulation, and the rendered report says timings are not comparable.
#[test]
fn bpf_loop_keeps_order_inside_the_7_2_guest() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = kernel_matrix(&[
        "--kernel",
        KERNEL,
        "--bin",
        env!("CARGO_BIN_EXE_bench-runner"),
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--",
        "sweep",
        "configs/bpf-loop.toml",
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let results = dir.path().join(KERNEL).join("results.jsonl");
    let text = read(&results);
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"));
    let header = lines.next().expect("header");
    assert_eq!(header["machine"]["emulated"], true);
    let cells: Vec<_> = lines.filter(|l| l["pass"] == "timing").collect();
    for style in ["bpf-loop", "link"] {
        for steps in [2, 16] {
            let ok = cells
                .iter()
                .filter(|l| l["cell"]["style"] == style && l["cell"]["steps"] == steps)
                .filter(|l| l["status"] == "ok")
                .count();
            assert!(
                ok >= 5,
                "{style} steps={steps}: {ok} verified repetitions in the guest\n{text}"
            );
        }
    }
    assert!(
        cells.iter().all(|l| l["status"] == "ok"),
        "a cell failed or was skipped in the guest:\n{text}"
    );
    let report = Command::new(env!("CARGO_BIN_EXE_bench-runner"))
        .arg("report")
        .arg(&results)
        .arg("--no-plots")
        .output()
        .expect("report");
    assert!(report.status.success(), "{}", describe(&report));
    let email = read(dir.path().join(KERNEL).join("email-full.txt"));
    assert!(
        email.contains("emulated: timings not comparable"),
        "{email}"
    );
}

#[test]
fn bad_options_are_one_line_errors_before_any_work() {
    for (args, says) in [
        (
            &["--tcg-thread", "many"][..],
            "--tcg-thread must be single or multi",
        ),
        (
            &["--boot-attempts", "0"][..],
            "--boot-attempts must be a positive number",
        ),
    ] {
        let out = Command::new(script())
            .args(args)
            .args(["--bin", "/bin/true", "--", "x"])
            .output()
            .expect("run scripts/kernel-matrix");
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// Copies directory `from` into `to`, files and subdirectories.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A 6.1 guest whose virtio_console module does not load (a cached copy
/// of the kernel with that module cut short): the guest boots and the
/// command runs, and the summary names the module behind the lost results
/// rather than a failed boot, which is what a 6.1 kernel got before its
/// modules were loaded.
#[test]
fn a_console_module_that_fails_to_load_is_named_in_the_summary() {
    if should_skip() {
        return;
    }
    let cache = dirs_cache().join("uring-syncbench/kernels");
    let Some(out) = kernel_matrix(&["--resolve-only", "--kernel", "6.1"]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let kernel = resolutions(&out).remove(0).kernel;
    if !cache.join(&kernel).join(".complete").exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let Some(fetch) = kernel_matrix(&[
            "--kernel",
            &kernel,
            "--bin",
            "/bin/true",
            "--out",
            dir.path().to_str().unwrap(),
            "--",
            "x",
        ]) else {
            return;
        };
        assert!(fetch.status.success(), "{}", describe(&fetch));
    }
    let home = tempfile::tempdir().expect("temp dir");
    let copy = home.path().join("uring-syncbench/kernels").join(&kernel);
    copy_dir(&cache.join(&kernel), &copy);
    let module = copy.join("modules/virtio_console.ko");
    assert!(
        module.exists(),
        "{kernel} has virtio_console built in: nothing to break"
    );
    std::fs::write(&module, b"\x7fELF, cut short").expect("break the module");
    let out_dir = home.path().join("out");
    let Some(out) = kernel_matrix_in(
        &[
            "--kernel",
            &kernel,
            "--bin",
            "/bin/true",
            "--out",
            out_dir.to_str().unwrap(),
            "--",
            "x",
        ],
        Some(home.path()),
    ) else {
        return;
    };
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(
            "booted, command exited 0, results lost: the guest has no virtio port named \
             kernel-matrix (module virtio_console failed)"
        ),
        "{}",
        describe(&out)
    );
}

/// The cache directory the script uses: XDG_CACHE_HOME or ~/.cache.
fn dirs_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"))
}

/// One report across kernels, end to end: a few cells of the CI sweep in
/// the 7.2 guest and on this machine, rendered together, have the kernel
/// as a column, say which styles ran on each, never compare the emulated
/// kernel with the real one, and mail findings that name their kernels.
#[test]
fn one_report_sets_the_guest_and_the_host_side_by_side() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = kernel_matrix(&[
        "--kernel",
        KERNEL,
        "--kernel",
        "host",
        "--bin",
        env!("CARGO_BIN_EXE_bench-runner"),
        "--out",
        dir.path().to_str().expect("utf-8 path"),
        "--",
        "sweep",
        "configs/ci.toml",
        "--filter",
        "*/default/nop/g1-s16-b16-t1",
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", describe(&out));
    let files: Vec<PathBuf> = [KERNEL, "host"]
        .iter()
        .map(|k| dir.path().join(k).join("results.jsonl"))
        .collect();
    let host_header: serde_json::Value =
        serde_json::from_str(read(&files[1]).lines().next().expect("header")).expect("json");
    let host = host_header["machine"]["kernel"]
        .as_str()
        .expect("the host's kernel")
        .to_string();
    let guest_header: serde_json::Value =
        serde_json::from_str(read(&files[0]).lines().next().expect("header")).expect("json");
    // The guest's header says how to reproduce its run from the host (its
    // own command line is the guest's); the host's needs no such line.
    let filter = "*/default/nop/g1-s16-b16-t1";
    assert_eq!(
        guest_header["run"]["reproduce"],
        serde_json::json!([
            "scripts/kernel-matrix",
            "--kernel",
            KERNEL,
            "--",
            "sweep",
            "configs/ci.toml",
            "--filter",
            filter
        ]),
        "{guest_header}"
    );
    assert_eq!(host_header["run"].get("reproduce"), None, "{host_header}");
    let package = &guest_header["machine"]["kernel_package"];
    let package = format!(
        "{} {}",
        package["suite"]
            .as_str()
            .expect("the guest's package suite"),
        package["version"]
            .as_str()
            .expect("the guest's package version")
    );
    let rendered = dir.path().join("report");
    let report = Command::new(env!("CARGO_BIN_EXE_bench-runner"))
        .arg("report")
        .args(&files)
        .args(["--no-plots", "--out"])
        .arg(&rendered)
        .output()
        .expect("report");
    assert!(report.status.success(), "{}", describe(&report));
    let md = read(rendered.join("report.md"));
    for k in [KERNEL, host.as_str()] {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| {k} | link | default | nop | g1-s16-b16-t1 |"))),
            "{k} as a column:\n{md}"
        );
    }
    assert!(
        md.contains(&format!(
            "- {KERNEL} ({package}, emulated): ran independent, link"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!("- {host}: ran independent, link")),
        "{md}"
    );
    assert!(md.contains(&format!("- {host} stands alone")), "{md}");
    assert!(
        md.contains(&format!(
            "scripts/kernel-matrix --kernel {KERNEL} -- sweep configs/ci.toml --filter '{filter}'"
        )),
        "the guest reproduced from the host:\n{md}"
    );
    assert!(!md.contains("--out /results"), "{md}");
    assert!(md.contains(&format!(
        "- {KERNEL} (emulated: timings not comparable) stands alone"
    )));
    assert!(
        !md.contains("### Between"),
        "an emulated kernel set against a real one:\n{md}"
    );
    let mail = read(rendered.join("email.txt"));
    let lines: Vec<&str> = mail.lines().collect();
    assert!(
        lines.len() <= 100 && lines.iter().all(|l| l.len() <= 72),
        "{mail}"
    );
    let findings: Vec<&&str> = lines
        .iter()
        .skip_while(|l| **l != "Findings:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("- "))
        .collect();
    assert!(!findings.is_empty(), "{mail}");
    assert!(
        findings.iter().all(|l| l.starts_with("- On ")),
        "{findings:#?}"
    );
    let bench: serde_json::Value =
        serde_json::from_str(&read(rendered.join("bench.json"))).expect("bench.json");
    for k in [KERNEL, host.as_str()] {
        let name = format!("link/default/nop/g1-s16-b16-t1@{k}");
        assert!(bench.get(&name).is_some(), "{name} in {bench}");
    }
}

/// A reproducer inside a guest: `repro --static` builds the shared-poller
/// split's program on the host, `--carry` takes it into the 7.2 guest, and
/// `bench-runner presence` runs it there three times; each run comes back
/// as a `repro` line that ran its passes, under the emulated header, and
/// the report of the guest's file has the presence table with the kernel's
/// column labelled emulated. Skips, with the reason, where gcc cannot link
/// liburing statically.
#[test]
fn a_static_reproducer_runs_in_the_guest_and_its_runs_come_back() {
    if should_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let carry = dir.path().join("carry");
    let cell = "link/sqpoll-shared/nop/g1-s16-b64-t1";
    let built = Command::new(env!("CARGO_BIN_EXE_bench-runner"))
        .args(["repro", cell, "--static", "--out"])
        .arg(carry.join("split"))
        .output()
        .expect("run bench-runner repro");
    if !built.status.success() {
        eprintln!(
            "skipped: the static build failed (scripts/setup installs gcc and liburing-dev): {}",
            String::from_utf8_lossy(&built.stderr).trim()
        );
        return;
    }
    let out = dir.path().join("out");
    let Some(ran) = kernel_matrix(&[
        "--kernel",
        KERNEL,
        "--bin",
        env!("CARGO_BIN_EXE_bench-runner"),
        "--carry",
        carry.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
        "--timeout",
        "600",
        "--",
        "presence",
        "{carry}/split",
        "--runs",
        "3",
        "--passes",
        "16",
        "--seconds",
        "2",
    ]) else {
        return;
    };
    assert!(ran.status.success(), "{}", describe(&ran));
    let results = out.join(KERNEL).join("results.jsonl");
    let text = read(&results);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines[0]["machine"]["kernel"], KERNEL);
    assert_eq!(lines[0]["machine"]["emulated"], true);
    let reproduce = lines[0]["run"]["reproduce"].as_array().expect("reproduce");
    assert!(reproduce.iter().any(|w| w == "--carry"), "{reproduce:?}");
    let runs = &lines[1..];
    assert_eq!(runs.len(), 3, "{text}");
    for r in runs {
        assert_eq!(r["kind"], "repro", "{r}");
        assert_eq!(r["name"], "link/sqpoll-shared/nop/g1-s16-b16-t1", "{r}");
        assert!(r["outcome"] == "held" || r["outcome"] == "broken", "{r}");
        assert_eq!(r["passes"], 16, "{r}");
    }
    let report = Command::new(env!("CARGO_BIN_EXE_bench-runner"))
        .arg("report")
        .arg(&results)
        .args(["--no-plots", "--out"])
        .arg(dir.path().join("report"))
        .output()
        .expect("report");
    assert!(report.status.success(), "{}", describe(&report));
    let md = read(dir.path().join("report/report.md"));
    assert!(
        md.contains(&format!(
            "| reproducer or finding | behaviour | {KERNEL} (emulated: timings not comparable) |"
        )),
        "{md}"
    );
    assert!(
        md.contains("all emulated (qemu TCG: a rate, not a timing)"),
        "{md}"
    );
}
