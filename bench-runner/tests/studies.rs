//! Every shipped study runs end to end on the real kernel (with `--quick`,
//! five short repetitions per cell) and writes its findings beside the usual
//! reports; `study --list` lists every file under studies/; an unknown study
//! is a one-line error with exit code 2.

mod common;

use common::bin;
use std::collections::BTreeSet;
use std::time::Instant;

/// The studies the repository ships: the stems of studies/*.toml.
fn shipped() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../studies");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.extension().is_some_and(|x| x == "toml"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn list_shows_every_study_with_its_question() {
    let out = bin().args(["study", "--list"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let listed: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(listed, shipped(), "{text}");
    assert!(shipped().len() >= 7);
    for line in text.lines() {
        assert!(line.trim_end().ends_with('?'), "no question: {line}");
    }
}

#[test]
fn an_unknown_study_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["study", "no-such-study"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: unknown study `no-such-study` (known: cross-submission,"),
        "{err}"
    );
    assert!(
        !dir.path().join("results").exists(),
        "an unknown study wrote something"
    );
}

#[test]
fn every_study_runs_end_to_end_and_writes_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    for name in shipped() {
        let out_dir = dir.path().join(&name);
        let began = Instant::now();
        let out = bin()
            .args(["study", &name, "--quick", "--out"])
            .arg(&out_dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{name}: {:.1} s", began.elapsed().as_secs_f64());
        let printed: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .collect();
        assert!(!printed.is_empty(), "{name}: no finding printed:\n{stdout}");
        let findings = std::fs::read_to_string(out_dir.join("findings.md")).unwrap();
        assert!(
            findings.starts_with(&format!("# Study `{name}`: findings")),
            "{findings}"
        );
        assert!(
            findings.contains(&format!("bench-runner study {name} --quick")),
            "{findings}"
        );
        for sentence in &printed {
            assert!(
                findings.contains(sentence),
                "{name}: {sentence} not in findings.md"
            );
            assert!(
                sentence.ends_with('.'),
                "{name}: not a sentence: {sentence}"
            );
        }
        // The usual reports are there too.
        for file in ["results.jsonl", "report.md", "email.txt", "email-full.txt"] {
            assert!(out_dir.join(file).exists(), "{name}: no {file}");
        }
        // The mail can be posted: 100 lines of 72 columns, the study's
        // findings first.
        let mail = std::fs::read_to_string(out_dir.join("email.txt")).unwrap();
        assert!(mail.lines().count() <= 100, "{name}: {mail}");
        assert!(
            mail.lines().all(|l| l.len() <= 72 && l.is_ascii()),
            "{name}: {mail}"
        );
        let first = ascii_start(printed[0]);
        assert!(
            mail.contains(&format!("- {first}")),
            "{name}: {first:?} not in {mail}"
        );
    }
    let spent = started.elapsed();
    eprintln!("all studies: {:.1} s", spent.as_secs_f64());
    assert!(
        spent.as_secs() < 240,
        "the studies took {spent:?}, more than CI's four minutes"
    );
}

/// The first word of a finding, as the mail spells it.
fn ascii_start(sentence: &str) -> String {
    let word = sentence.split_whitespace().next().unwrap_or_default();
    word.replace('–', "-")
}
