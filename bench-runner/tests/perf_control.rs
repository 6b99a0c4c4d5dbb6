//! `--perf-control` against a perf that takes both fifos but never
//! acknowledges: the sweep neither hangs nor loses what it measured. SIGTERM
//! during the wait ends it at once (exit 130, the cell's profile line
//! `interrupted`, its timing lines kept); without a signal the wait ends
//! after `ACK_TIMEOUT` with a one-line error.

mod common;

use common::outside::mkfifo;
use common::{bin, cell_lines, config, signal, wait_within, write_config};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The timeout `--perf-control`'s help states.
const ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// A perf that never answers: the reading end of CTL (so the sweep finds a
/// listener) and a writing end of ACK that nothing is ever written to.
struct MutePerf {
    ctl: File,
    _ack: File,
}

impl MutePerf {
    fn listen(ctl: &Path, ack: &Path) -> MutePerf {
        let open = |path: &Path, read: bool| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(!read)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
                .unwrap()
        };
        MutePerf {
            ctl: open(ctl, true),
            _ack: open(ack, false),
        }
    }

    /// Waits until the sweep has sent a command, and returns it.
    fn command(&mut self, sweep: &mut Child) -> String {
        let start = Instant::now();
        let mut got = Vec::new();
        while !got.contains(&b'\n') {
            assert!(
                sweep.try_wait().unwrap().is_none(),
                "the sweep ended before it asked perf anything"
            );
            assert!(start.elapsed() < Duration::from_secs(60), "no command came");
            let mut chunk = [0u8; 64];
            match self.ctl.read(&mut chunk) {
                Ok(n) => got.extend(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("{e}"),
            }
        }
        String::from_utf8(got).unwrap()
    }
}

/// The fifos `ctl` and `ack`, made in `dir`.
fn fifos(dir: &Path) -> (PathBuf, PathBuf) {
    let (ctl, ack) = (dir.join("ctl"), dir.join("ack"));
    mkfifo(&ctl);
    mkfifo(&ack);
    (ctl, ack)
}

/// A sweep of one profiled cell under a mute perf, started.
fn start(dir: &Path) -> (MutePerf, Child, PathBuf) {
    let (ctl, ack) = fifos(dir);
    let perf = MutePerf::listen(&ctl, &ack);
    let config = write_config(
        dir,
        &config("styles = [\"link\"]\nrepetitions = 2\nprofile = true"),
    );
    let out = dir.join("out");
    let sweep = bin()
        .arg("sweep")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .arg("--perf-control")
        .arg(format!("{},{}", ctl.display(), ack.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (perf, sweep, out.join("results.jsonl"))
}

fn stderr_of(sweep: &mut Child) -> String {
    let mut s = String::new();
    sweep.stderr.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn sigterm_ends_the_wait_for_a_mute_perf_and_records_the_pass_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut perf, mut sweep, results) = start(dir.path());
    assert_eq!(perf.command(&mut sweep), "enable\n");
    let asked = Instant::now();
    std::thread::sleep(Duration::from_millis(200));
    signal(sweep.id(), libc::SIGTERM);
    let status = wait_within(&mut sweep, ACK_TIMEOUT);
    let ended = asked.elapsed();
    let stderr = stderr_of(&mut sweep);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        ended < ACK_TIMEOUT,
        "the wait ended after {ended:?}, not at the signal"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    let lines = cell_lines(&results);
    let timed = lines
        .iter()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .count();
    assert!(timed >= 1, "the measured repetitions were lost: {lines:?}");
    let profile = lines.iter().find(|l| l["pass"] == "profile").unwrap();
    assert_eq!(profile["status"], "interrupted", "{profile}");
    eprintln!("a mute perf's wait ended {ended:?} after the command, at SIGTERM");
}

#[test]
fn a_mute_perf_stops_the_sweep_after_the_timeout_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut perf, mut sweep, results) = start(dir.path());
    assert_eq!(perf.command(&mut sweep), "enable\n");
    let asked = Instant::now();
    let status = wait_within(&mut sweep, ACK_TIMEOUT * 3);
    let ended = asked.elapsed();
    let stderr = stderr_of(&mut sweep);
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: --perf-control: perf did not answer `enable` on ")
            && last.ends_with(" within 5 s"),
        "{stderr}"
    );
    assert!(
        ended >= ACK_TIMEOUT - Duration::from_millis(100) && ended < ACK_TIMEOUT * 2,
        "ended after {ended:?}"
    );
    let timed = cell_lines(&results)
        .iter()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .count();
    assert!(timed >= 1, "the measured repetitions were lost");
}

#[test]
fn a_link_given_as_a_fifo_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (ctl, ack) = fifos(dir.path());
    let _perf = MutePerf::listen(&ctl, &ack);
    let link = dir.path().join("ctl-link");
    std::os::unix::fs::symlink(&ctl, &link).unwrap();
    let config = write_config(dir.path(), &config("profile = true"));
    let out = bin()
        .arg("sweep")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--perf-control")
        .arg(format!("{},{}", link.display(), ack.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: --perf-control: {} is not a fifo",
            link.display()
        )),
        "{stderr}"
    );
}
