//! Ctrl-C in the middle of a real sweep: exit 130 with the resume command,
//! every line written before the signal intact, and `--resume` running only
//! what is missing, so the resumed file holds each repetition exactly once.

mod common;

use common::{bin, cell_lines, config, sweep, write_config};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn sigint_mid_sweep_then_resume_completes_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let text = config(
        "styles = [\"link\", \"hardlink\", \"userspace\", \"drain\"]\nmodes = [\"default\", \"registered-ring\"]\ngroups = [1, 2]\nrepetitions = 5\nmin_repetitions = 5\nrep_time = \"20ms\"",
    );
    let path = write_config(dir.path(), &text);
    let out = dir.path().join("out");
    let results = out.join("results.jsonl");
    let child = bin()
        .arg("sweep")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&results).map_or(0, |t| t.lines().count()) < 12 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "sweep made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "no resume command: {stderr}");
    let before = std::fs::read_to_string(&results).unwrap();
    assert!(before.ends_with('\n'), "last line cut");
    let before_lines = cell_lines(&results);
    assert!(!before_lines.is_empty());

    let resumed = sweep(&path, &out, &["--resume"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let after = std::fs::read_to_string(&results).unwrap();
    assert!(
        after.starts_with(&before),
        "lines written before the signal changed"
    );

    let mut reps: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in cell_lines(&results) {
        if line["status"] == "ok" && line["pass"] == "timing" {
            reps.entry(line["name"].as_str().unwrap().into())
                .or_default()
                .push(line["rep"].as_u64().unwrap());
        }
    }
    for (name, mut r) in reps.clone() {
        r.sort();
        assert_eq!(
            r,
            vec![0, 1, 2, 3, 4],
            "{name}: repetitions missing or recorded twice"
        );
    }
    let planned = bin().arg("plan").arg(&path).output().unwrap();
    let planned: BTreeSet<String> = String::from_utf8_lossy(&planned.stdout)
        .lines()
        .filter(|l| l.contains('/'))
        .map(String::from)
        .collect();
    assert_eq!(reps.keys().cloned().collect::<BTreeSet<_>>(), planned);
}

#[test]
fn resume_with_another_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config(""));
    let out = dir.path().join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let again = sweep(&path, &out, &[]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --resume"));
    std::fs::write(&path, config("steps = [5]")).unwrap();
    let other = sweep(&path, &out, &["--resume"]);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("resume needs the same config"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn truncated_last_line_is_ignored_with_a_warning_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config(""));
    let out = dir.path().join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let results = out.join("results.jsonl");
    let mut text = std::fs::read_to_string(&results).unwrap();
    let last = text.trim_end().rfind('\n').unwrap();
    let cut = last + (text.len() - last) / 2;
    text.truncate(cut);
    std::fs::write(&results, &text).unwrap();
    let resumed = sweep(&path, &out, &["--resume"]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(stderr.contains("unreadable line skipped"), "{stderr}");
    let lines = cell_lines(&results);
    let ok = lines
        .iter()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .count();
    assert_eq!(ok, 6, "2 cells x 3 repetitions after the resume");
}

#[test]
fn resume_redoes_impossible_timings_and_drops_cells_the_config_does_not_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config(""));
    let out = dir.path().join("out");
    assert!(sweep(&path, &out, &[]).status.success());
    let results = out.join("results.jsonl");
    // Every timing line forged to 1 ns/step (its wall time left as it was),
    // and a cell the config has no style for, complete with its final line.
    let text = std::fs::read_to_string(&results).unwrap();
    let mut forged: Vec<String> = Vec::new();
    let mut drain = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            forged.push(line.to_string());
            continue;
        }
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] != "cell" {
            forged.push(line.to_string());
            continue;
        }
        if v["pass"] == "timing" && v["status"] == "ok" {
            v["timing"]["ns_per_step"] = 1.0.into();
        }
        if v["name"].as_str().unwrap().starts_with("link/") {
            let mut d = v.clone();
            d["name"] = v["name"]
                .as_str()
                .unwrap()
                .replace("link/", "drain/")
                .into();
            d["cell"]["style"] = "drain".into();
            drain.push(d.to_string());
        }
        forged.push(v.to_string());
    }
    let timed_before = forged
        .iter()
        .filter(|l| l.contains("\"ns_per_step\":1.0"))
        .count();
    forged.extend(drain);
    std::fs::write(&results, forged.join("\n") + "\n").unwrap();
    assert_eq!(timed_before, 6, "2 cells x 3 repetitions forged");

    let resumed = sweep(&path, &out, &["--resume"]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("timing.ns_per_step is 1, but timing.wall_ns over the steps is")
            .count(),
        9,
        "each forged line, the unplanned cell's three included: {stderr}"
    );
    assert!(
        stderr.contains(
            "line(s) of drain/default/nop/g2-s4-b2-t1 dropped: not a cell of this config"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("ok 1 ns/step"), "{stderr}");
    let lines = cell_lines(&results);
    assert!(
        lines.iter().all(|l| l["cell"]["style"] != "drain"),
        "the unplanned cell is still in the file"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!report.contains("drain"), "{report}");
    let measured: BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["pass"] == "timing" && l["status"] == "ok")
        .filter(|l| l["timing"]["ns_per_step"].as_f64().unwrap() > 1.0)
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(measured.len(), 2, "both cells measured again: {measured:?}");
}
