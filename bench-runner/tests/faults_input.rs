//! Bad input, against the real binary: a corpus of malformed configs (each one
//! line and exit 2, nothing written), corrupt results files given to
//! `report`, `compare` and `sweep --resume` (a one-line error, or the bad line
//! skipped with a warning and nothing else lost), and bounded, seeded fuzzing
//! of the config parser (through `plan`) and of the results reader (in
//! process, every file it reads rendered and compared within a time budget
//! per megabyte, and through `report`/`compare`): never a panic.
//!
//! `FAULTS_SEED=N` fuzzes with another seed.

mod common;

use common::{
    assert_clean_exit, bin, complete_sweep_problems, output_within, planned, seed, sweep_command,
    Lines,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as RunnerConfig, RngSeed, TestCaseError, TestRunner};
use reports::results::Results;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

fn corpus(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind)
}

/// Asserts `output` is exit 2 with exactly one stderr line, `error: ...`.
fn assert_one_line_exit_2(what: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{what}: not one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{what}: {stderr}");
    stderr
}

#[test]
fn malformed_config_corpus_gives_one_line_and_exit_2() {
    let dir = corpus("configs");
    let table = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    let expected: Vec<(&str, &str)> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_once('\t').expect("file<TAB>expected"))
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".toml"))
        .collect();
    files.sort();
    let listed: Vec<String> = expected.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(files, listed, "corpus files and expected.tsv differ");
    let out_dir = tempfile::tempdir().unwrap();
    for (file, message) in &expected {
        let path = dir.join(file);
        let out = out_dir.path().join("out");
        let sweep = bin()
            .arg("sweep")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = assert_one_line_exit_2(file, &sweep);
        assert!(
            stderr.starts_with(&format!("error: {}: {message}", path.display())),
            "{file}: {stderr:?} does not start with {message:?}"
        );
        assert!(!out.exists(), "{file}: output written for a bad config");
        let plan = bin().arg("plan").arg(&path).output().unwrap();
        assert_eq!(
            assert_one_line_exit_2(file, &plan),
            stderr,
            "{file}: plan and sweep disagree"
        );
    }
    eprintln!(
        "{} malformed configs: one line and exit 2 each",
        expected.len()
    );
}

/// A change to a config's text.
#[derive(Clone, Debug)]
enum Edit {
    /// Set `key` to `value` (in place if the key is there, else appended).
    Set(String, String),
    /// Insert a line before line `at` (may repeat a key).
    AddLine(Index, String),
    /// Delete `len` bytes at `at`.
    Delete(Index, usize),
    /// Insert arbitrary bytes at `at`.
    Bytes(Index, Vec<u8>),
    /// Overwrite one byte.
    Flip(Index, u8),
}

const KEYS: &[&str] = &[
    "styles",
    "modes",
    "ops",
    "groups",
    "steps",
    "batch",
    "submitters",
    "sharing",
    "async",
    "repetitions",
    "min_repetitions",
    "precision",
    "warmup",
    "time_budget",
    "rep_time",
    "watchdog",
    "ring_entries",
    "profile",
    "placement",
    "reference",
];

/// Any value at all: right and wrong types, names, extremes.
fn any_value() -> BoxedStrategy<String> {
    let scalar = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0u64..70).prop_map(|s| (1u128 << s).to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z:+-]{0,24}".prop_map(|s| format!("{s:?}")),
        (
            prop_oneof![Just("-"), Just(""), Just("1e9")],
            0u32..100_000,
            prop_oneof![
                Just("us"),
                Just("ms"),
                Just("s"),
                Just("m"),
                Just("h"),
                Just("")
            ],
        )
            .prop_map(|(sign, n, unit)| format!("\"{sign}{n}{unit}\"")),
        prop::sample::select(vec!["1979-05-27", "{ a = 1 }", "inf", "nan", "\"\""])
            .prop_map(String::from),
    ]
    .boxed();
    prop_oneof![
        scalar.clone(),
        prop::collection::vec(scalar, 0..5).prop_map(|v| format!("[{}]", v.join(", "))),
    ]
    .boxed()
}

/// An array of 1 to 3 quoted names from `names`.
fn names(names: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::collection::vec(prop::sample::select(names), 1..4)
        .prop_map(|v| format!("{v:?}"))
        .boxed()
}

/// A value that suits `key` (valid, or near the edge of valid).
fn plausible(key: &str) -> BoxedStrategy<String> {
    let counts = |max: u32| {
        prop::collection::vec(1..=max, 1..4)
            .prop_map(|v| format!("{v:?}"))
            .boxed()
    };
    let duration = prop_oneof![
        (0u32..3000).prop_map(|n| format!("\"{n}ms\"")),
        (0u32..3).prop_map(|n| format!("\"{n}s\"")),
    ]
    .boxed();
    match key {
        "styles" => names(&[
            "independent",
            "link",
            "hardlink",
            "drain",
            "userspace",
            "sync-group",
            "sync-group:queue",
            "msg-ring:step",
            "futex:shared",
            "futex-syscall",
            "bpf-loop",
            "link:x",
        ]),
        "modes" => names(&[
            "default",
            "sqpoll",
            "sqpoll-shared",
            "defer-taskrun",
            "coop-taskrun+registered-ring",
            "turbo",
        ]),
        "ops" => names(&["nop", "pipe", "file", "timeout", "fsync"]),
        "sharing" => names(&["per-submitter", "shared", "pool"]),
        "async" => prop::collection::vec(any::<bool>(), 1..3)
            .prop_map(|v| format!("{v:?}"))
            .boxed(),
        "groups" | "steps" | "batch" => counts(9),
        "submitters" => counts(3),
        "repetitions" | "min_repetitions" => (0u32..6).prop_map(|n| n.to_string()).boxed(),
        "ring_entries" => prop::sample::select(vec![4u32, 8, 100, 256, 32768])
            .prop_map(|n| n.to_string())
            .boxed(),
        "profile" | "reference" => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        "placement" => prop_oneof![
            Just("\"spread\"".to_string()),
            (
                prop::collection::vec(0usize..3, 0..3),
                0usize..3,
                prop::collection::vec(0usize..3, 0..3),
            )
                .prop_map(|(submitters, sqpoll, helpers)| format!(
                    "{{ submitters = {submitters:?}, sqpoll = {sqpoll}, helpers = {helpers:?} }}"
                )),
        ]
        .boxed(),
        "precision" => prop::sample::select(vec!["0.01", "0.5", "1", "0", "-0.1", "1.5", "nan"])
            .prop_map(String::from)
            .boxed(),
        _ => duration,
    }
}

/// A key (mostly a real one, sometimes not) and a value for it.
fn setting() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        6 => prop::sample::select(KEYS).prop_flat_map(|k| {
            let value = prop_oneof![3 => plausible(k), 1 => any_value()];
            (Just(k.to_string()), value)
        }),
        1 => ("[a-z_.\\[\\]]{1,12}", any_value()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        8 => setting().prop_map(|(k, v)| Edit::Set(k, v)),
        1 => (any::<Index>(), setting()).prop_map(|(i, (k, v))| Edit::AddLine(i, format!("{k} = {v}"))),
        1 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Bytes(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
    ]
}

fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for e in edits {
        let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        match e {
            Edit::Set(key, value) => {
                let line = format!("{key} = {value}").into_bytes();
                let prefix = format!("{key} =");
                match lines.iter_mut().find(|l| l.starts_with(prefix.as_bytes())) {
                    Some(l) => *l = line,
                    None => lines.push(line),
                }
            }
            Edit::AddLine(i, l) => lines.insert(i.index(lines.len()), l.clone().into_bytes()),
            Edit::Delete(i, n) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes.drain(at..(at + n).min(bytes.len()));
                continue;
            }
            Edit::Bytes(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
                continue;
            }
            Edit::Flip(i, b) if !bytes.is_empty() => {
                *i.get_mut(&mut bytes) = *b;
                continue;
            }
            _ => continue,
        }
        bytes = lines.join(&b'\n');
    }
    bytes
}

fn bump(counter: &Cell<u32>) {
    counter.set(counter.get() + 1);
}

fn runner(cases: u32, salt: u64) -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed() ^ salt),
        failure_persistence: None,
        max_shrink_iters: 200,
        ..RunnerConfig::default()
    })
}

#[test]
fn config_parser_fuzz_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.toml");
    let valid = common::config("");
    let input = prop_oneof![
        8 => prop::collection::vec(edit(), 1..6).prop_map(move |e| apply(valid.as_bytes(), &e)),
        1 => prop::collection::vec(any::<u8>(), 0..400),
    ];
    let (runs, ok, refused) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    let start = Instant::now();
    let result = runner(400, 1).run(&input, |bytes| {
        bump(&runs);
        std::fs::write(&path, &bytes).unwrap();
        let output = bin().arg("plan").arg(&path).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let text = String::from_utf8_lossy(&bytes);
        match output.status.code() {
            Some(0) => {
                bump(&ok);
                let last = stdout.lines().last().unwrap_or("");
                prop_assert!(last.ends_with(" cell(s)"), "{text:?}: {stdout}");
            }
            Some(2) => {
                bump(&refused);
                prop_assert_eq!(stderr.lines().count(), 1, "{:?}: {}", text, stderr);
                prop_assert!(stderr.starts_with("error: "), "{text:?}: {stderr}");
            }
            _ => {
                return Err(TestCaseError::fail(format!(
                    "{text:?}: {:?}: {stderr}",
                    output.status
                )))
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "config fuzz: {} executions of `plan` in {:?} ({} valid, {} refused with one line), seed {:#x}",
        runs.get(),
        start.elapsed(),
        ok.get(),
        refused.get(),
        seed()
    );
}

/// A corpus results file with its placeholders filled in: the schema version
/// of this build, and the hash of the corpus config.
fn corpus_results(file: &str) -> Vec<u8> {
    let dir = corpus("results");
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let hash = format!(
        "{:x}",
        Sha256::digest(std::fs::read(dir.join("sweep.toml")).unwrap())
    );
    let schema = reports::schema::SCHEMA_VERSION.to_string();
    replace(
        &replace(&bytes, b"@SCHEMA@", schema.as_bytes()),
        b"@CONFIG_HASH@",
        hash.as_bytes(),
    )
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// What each corrupt file must give: the error, or how many lines are skipped
/// (`ok-complete.jsonl` is the undamaged file the others were made from).
const CORRUPT: &[(&str, Result<usize, &str>)] = &[
    ("ok-complete.jsonl", Ok(0)),
    (
        "error-empty.jsonl",
        Err("empty results file (no header line)"),
    ),
    (
        "error-blank-lines.jsonl",
        Err("empty results file (no header line)"),
    ),
    (
        "error-garbage-only.jsonl",
        Err("first line is not a results header"),
    ),
    (
        "error-binary-junk.jsonl",
        Err("first line is not a results header"),
    ),
    (
        "error-header-cut.jsonl",
        Err("first line is not a results header"),
    ),
    (
        "error-cell-first.jsonl",
        Err("first line is not a results header"),
    ),
    (
        "error-header-array.jsonl",
        Err("first line is not a results header"),
    ),
    (
        "error-schema-999.jsonl",
        Err("results schema version 999 is not supported"),
    ),
    (
        "error-schema-missing.jsonl",
        Err("results schema version 0 is not supported"),
    ),
    ("warn-truncated-last-line.jsonl", Ok(1)),
    ("warn-garbage-line.jsonl", Ok(1)),
    ("warn-cut-line-in-the-middle.jsonl", Ok(1)),
    ("warn-second-header.jsonl", Ok(1)),
    ("warn-nul-bytes.jsonl", Ok(1)),
    ("warn-non-utf8-line.jsonl", Ok(1)),
    ("warn-wrong-field-type.jsonl", Ok(1)),
    ("warn-unknown-status.jsonl", Ok(1)),
    ("warn-two-cut-lines.jsonl", Ok(2)),
];

/// The 1-based line numbers of `warning: PATH: line N: ...` lines.
fn warned_lines(stderr: &str, path: &Path) -> Vec<usize> {
    let prefix = format!("warning: {}: line ", path.display());
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn corrupt_results_give_one_line_errors_or_skip_with_a_warning() {
    let dir = corpus("results");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".jsonl"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = CORRUPT.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "corpus files and the expectations differ");
    let config = dir.join("sweep.toml");
    let plan = planned(&config);
    for (file, expected) in CORRUPT {
        let work = tempfile::tempdir().unwrap();
        let out = work.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let results = out.join("results.jsonl");
        let bytes = corpus_results(file);
        std::fs::write(&results, &bytes).unwrap();
        let report = bin()
            .arg("report")
            .arg(&results)
            .arg("--no-plots")
            .arg("--out")
            .arg(work.path().join("report"))
            .output()
            .unwrap();
        let compare = bin()
            .arg("compare")
            .arg(&results)
            .arg(&results)
            .arg("--out")
            .arg(work.path().join("compare"))
            .output()
            .unwrap();
        let tmp = work.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let (pid, resume) = output_within(sweep_command(&config, &out, &tmp, &["--resume"]), LIMIT);
        assert_clean_exit(pid, Some(&tmp));
        let resume_err = String::from_utf8_lossy(&resume.stderr).into_owned();
        match expected {
            Err(message) => {
                let line = format!("error: {}: {message}", results.display());
                for (what, output) in [("report", &report), ("compare", &compare)] {
                    let stderr = assert_one_line_exit_2(&format!("{file}: {what}"), output);
                    assert!(stderr.starts_with(&line), "{file}: {what}: {stderr}");
                }
                if bytes.is_empty() {
                    // Killed before its header: nothing to keep, resume starts afresh.
                    assert!(resume.status.success(), "{file}: resume: {resume_err}");
                    let after = std::fs::read_to_string(&results).unwrap();
                    assert!(after.starts_with("{\"kind\":\"header\""), "{file}: {after}");
                    continue;
                }
                assert_eq!(
                    resume.status.code(),
                    Some(1),
                    "{file}: resume: {resume_err}"
                );
                assert_eq!(
                    resume_err.lines().count(),
                    1,
                    "{file}: resume: {resume_err}"
                );
                assert!(
                    resume_err.starts_with(&line),
                    "{file}: resume: {resume_err}"
                );
                assert_eq!(
                    std::fs::read(&results).unwrap(),
                    bytes,
                    "{file}: resume changed it"
                );
            }
            Ok(skipped) => {
                for (what, output) in [("report", &report), ("compare", &compare)] {
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    assert_eq!(output.status.code(), Some(0), "{file}: {what}: {stderr}");
                    let warned = warned_lines(&stderr, &results);
                    // compare reads the file twice.
                    let times = if what == "compare" { 2 } else { 1 };
                    assert_eq!(warned.len(), skipped * times, "{file}: {what}: {stderr}");
                }
                assert!(resume.status.success(), "{file}: resume: {resume_err}");
                let warned = warned_lines(&resume_err, &results);
                assert_eq!(warned.len(), *skipped, "{file}: resume: {resume_err}");
                let after = std::fs::read(&results).unwrap();
                let kept_len = bytes.len() - usize::from(bytes.last().is_some_and(|b| *b != b'\n'));
                assert!(
                    after.starts_with(&bytes[..kept_len]),
                    "{file}: resume changed earlier lines"
                );
                let skipped_lines: Vec<usize> = warned.iter().map(|n| n - 1).collect();
                let lines = Lines::read(&results).skipping(&skipped_lines);
                let problems = complete_sweep_problems(&lines, &plan, 2);
                assert!(problems.is_empty(), "{file}: after resume: {problems:#?}");
            }
        }
    }
    eprintln!(
        "{} corrupt results files through report, compare and --resume",
        CORRUPT.len()
    );
}

/// A change to a results file.
#[derive(Clone, Debug)]
enum Damage {
    /// Cut the file at a point.
    Truncate(Index),
    /// Overwrite a byte.
    Flip(Index, u8),
    /// Insert arbitrary bytes.
    Bytes(Index, Vec<u8>),
    /// Delete a range.
    Delete(Index, usize),
    /// Repeat a line.
    Repeat(Index),
    /// Swap two lines.
    Swap(Index, Index),
    /// Replace the n-th number with an extreme or ill-typed value.
    Number(Index, &'static str),
}

fn damage() -> impl Strategy<Value = Damage> {
    let extreme = prop::sample::select(vec![
        "0",
        "-1",
        "1e308",
        "-1e308",
        "1e999",
        "18446744073709551616",
        "4294967296",
        "null",
        "\"x\"",
        "[]",
        "{}",
        "true",
    ]);
    prop_oneof![
        1 => any::<Index>().prop_map(Damage::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Damage::Bytes(i, b)),
        1 => (any::<Index>(), 1usize..300).prop_map(|(i, n)| Damage::Delete(i, n)),
        1 => any::<Index>().prop_map(Damage::Repeat),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Damage::Swap(a, b)),
        3 => (any::<Index>(), extreme).prop_map(|(i, v)| Damage::Number(i, v)),
    ]
}

fn damaged(base: &[u8], damages: &[Damage]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for d in damages {
        if bytes.is_empty() {
            break;
        }
        match d {
            Damage::Truncate(i) => bytes.truncate(i.index(bytes.len())),
            Damage::Flip(i, b) => *i.get_mut(&mut bytes) = *b,
            Damage::Bytes(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Damage::Delete(i, n) => {
                let at = i.index(bytes.len());
                bytes.drain(at..(at + n).min(bytes.len()));
            }
            Damage::Repeat(i) | Damage::Swap(i, _) => {
                let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                let a = i.index(lines.len());
                match d {
                    Damage::Swap(_, j) => {
                        let b = j.index(lines.len());
                        lines.swap(a, b);
                    }
                    _ => lines.insert(a, lines[a]),
                }
                bytes = lines.join(&b'\n');
            }
            Damage::Number(i, value) => {
                let numbers: Vec<(usize, usize)> = number_spans(&bytes);
                if numbers.is_empty() {
                    continue;
                }
                let (start, end) = numbers[i.index(numbers.len())];
                bytes.splice(start..end, value.bytes());
            }
        }
    }
    bytes
}

/// Byte ranges of the JSON numbers that follow a `:`.
fn number_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b':' && (bytes[i + 1].is_ascii_digit() || bytes[i + 1] == b'-') {
            let start = i + 1;
            let mut end = start + 1;
            while end < bytes.len()
                && matches!(bytes[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+')
            {
                end += 1;
            }
            spans.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    spans
}

/// Renders `r` (every text output) and compares it with `base` both ways,
/// in process; `Err` says what took longer than its budget: a second, and a
/// second per megabyte of the file.
fn render_and_compare(
    r: &Results,
    base: &Results,
    bytes: usize,
    out: &Path,
) -> Result<(), TestCaseError> {
    let began = Instant::now();
    let opts = reports::RenderOptions {
        plots: false,
        png: false,
    };
    let rendered = reports::render(std::slice::from_ref(r), &out.join("report"), &opts);
    prop_assert!(rendered.is_ok(), "render: {:?}", rendered.err());
    let _ = reports::text_table(std::slice::from_ref(r));
    let compare = reports::CompareOptions::default();
    for (a, b) in [(base, r), (r, base)] {
        let comparison = reports::compare(a, b, &compare);
        let _ = comparison.text();
        let written = reports::render_comparison(&comparison, &out.join("compare"));
        prop_assert!(written.is_ok(), "compare: {:?}", written.err());
    }
    let took = began.elapsed();
    let budget = Duration::from_secs(1) + Duration::from_secs_f64(bytes as f64 / 1e6);
    prop_assert!(took <= budget, "{bytes} bytes took {took:?}");
    Ok(())
}

#[test]
fn results_reader_fuzz_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.jsonl");
    let base = corpus_results("ok-complete.jsonl");
    std::fs::write(&path, &base).unwrap();
    let base_results = Results::read(&path).unwrap();
    // One file of megabytes of text in every free field, read, rendered and
    // compared within its budget too.
    let huge = String::from_utf8(base.clone())
        .unwrap()
        .replace(
            "\"hostname\":\"vm\"",
            &format!("\"hostname\":\"{}\"", "h".repeat(4 << 20)),
        )
        .replace(
            "\"reason\":\"",
            &format!("\"reason\":\"{}\\u001b\\n", "r \\u0007".repeat(1 << 16)),
        );
    std::fs::write(&path, &huge).unwrap();
    let start = Instant::now();
    let read = Results::read(&path).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    render_and_compare(&read, &base_results, huge.len(), dir.path()).unwrap();
    eprintln!(
        "{} MB of text read, rendered and compared in {:?}",
        huge.len() >> 20,
        start.elapsed()
    );

    let input = prop_oneof![
        8 => prop::collection::vec(damage(), 1..5).prop_map(move |d| damaged(&base, &d)),
        1 => prop::collection::vec(any::<u8>(), 0..600),
    ];
    let (runs, read, refused) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    let start = Instant::now();
    let result = runner(3000, 2).run(&input, |bytes| {
        bump(&runs);
        std::fs::write(&path, &bytes).unwrap();
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        match Results::read(&path) {
            Ok(r) => {
                bump(&read);
                // Every line but the header is either a record or a warning.
                prop_assert_eq!(r.records.len() + r.warnings.len(), lines - 1);
                for w in &r.warnings {
                    prop_assert!(w.starts_with("line ") && !w.contains('\n'), "{w}");
                }
                render_and_compare(&r, &base_results, bytes.len(), dir.path())?;
            }
            Err(e) => {
                bump(&refused);
                prop_assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "results reader fuzz: {} executions, each read file rendered and compared both ways, in {:?} ({} read, {} refused), seed {:#x}",
        runs.get(),
        start.elapsed(),
        read.get(),
        refused.get(),
        seed()
    );
}

#[test]
fn report_and_compare_survive_damaged_results() {
    let dir = tempfile::tempdir().unwrap();
    let base_path = dir.path().join("base.jsonl");
    let base = corpus_results("ok-complete.jsonl");
    std::fs::write(&base_path, &base).unwrap();
    let path = dir.path().join("results.jsonl");
    let input = prop::collection::vec(damage(), 1..4).prop_map(move |d| damaged(&base, &d));
    let runs = Cell::new(0u32);
    let start = Instant::now();
    let result = runner(48, 3).run(&input, |bytes| {
        bump(&runs);
        std::fs::write(&path, &bytes).unwrap();
        let report = bin()
            .arg("report")
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join("report"))
            .output()
            .unwrap();
        let compare = bin()
            .arg("compare")
            .arg(&base_path)
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join("compare"))
            .output()
            .unwrap();
        for (what, output) in [("report", report), ("compare", compare)] {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let code = output.status.code();
            prop_assert!(
                matches!(code, Some(0..=2)),
                "{what}: {:?}: {stderr}",
                output.status
            );
            prop_assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            // Warnings about skipped lines, then at most one error line, last.
            let errors = stderr
                .lines()
                .filter(|l| !l.starts_with("warning: "))
                .count();
            if code == Some(2) {
                prop_assert_eq!(errors, 1, "{}: {}", what, stderr);
                prop_assert!(
                    stderr.lines().last().unwrap().starts_with("error: "),
                    "{stderr}"
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "report/compare on damaged results: {} executions in {:?}, seed {:#x}",
        runs.get(),
        start.elapsed(),
        seed()
    );
}
