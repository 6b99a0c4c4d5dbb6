//! A crafted results file, as a CI job could upload it, through `report` and
//! `compare`: no panic, no line skipped but the crafted ones (each with its
//! warning), no control character, markup or workflow command in any
//! output, every SVG well-formed XML, no impossible number believed.

mod common;

use common::{bin, config, finished_sweep};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Whether `s` holds a control character other than a line break or tab.
fn has_controls(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// The lines of a real sweep's file, its header and one cell made hostile,
/// and five lines a crafted file adds (each must be skipped with a warning).
fn hostile(results: &Path) -> String {
    let lines: Vec<Value> = std::fs::read_to_string(results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut header = lines[0].clone();
    header["machine"]["hostname"] = "box\u{1b}[31m\u{7}\n::error title=forged::owned".into();
    header["machine"]["cpu_model"] = "<script>alert(1)</script>".into();
    header["machine"]["kernel"] = "6.18 <img src=x onerror=alert(1)>\n# [l](http://e)".into();
    let command = header["run"]["command"].as_array_mut().unwrap();
    command.push("```\n::warning::fence".into());
    command.push("y".repeat(66_000).into());
    let mut out = vec![header.to_string()];
    let timing = lines
        .iter()
        .find(|l| l["pass"] == "timing" && l["status"] == "ok")
        .unwrap()
        .clone();
    for (i, line) in lines[1..].iter().enumerate() {
        let mut line = line.clone();
        if i == 0 {
            line["labels"] = json!(["x".repeat(66_000)]);
        }
        out.push(line.to_string());
    }
    let crafted = |f: &dyn Fn(&mut Value)| {
        let mut l = timing.clone();
        f(&mut l);
        l.to_string()
    };
    let renamed = |l: &mut Value, field: &str, value: String| {
        l["cell"][field] = value.clone().into();
        let name = l["name"].as_str().unwrap().replace(
            l["name"].as_str().unwrap().split('/').nth(2).unwrap(),
            &value,
        );
        l["name"] = name.into();
    };
    out.push(crafted(&|l| renamed(l, "op", "o".repeat(300))));
    out.push(crafted(&|l| l["cell"]["mode"] = "m".repeat(300).into()));
    out.push(crafted(&|l| {
        l["reason"] = "r".repeat(66_000).into();
        l["name"] = "drain/default/nop/g1-s4-b2-t1".into();
    }));
    out.push(crafted(&|l| l["timing"]["ns_per_step"] = (-245.0).into()));
    out.push(crafted(&|l| l["timing"]["ns_per_step"] = 0.0.into()));
    out.join("\n") + "\n"
}

fn assert_clean_outputs(what: &str, run: &Output, dir: &Path) {
    let stdout = text(&run.stdout);
    let stderr = text(&run.stderr);
    assert!(
        !has_controls(&stdout) && !has_controls(&stderr),
        "{what}: a control character on stdout or stderr"
    );
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a workflow command: {line}"
        );
    }
    for entry in walk(dir) {
        let name = entry.display().to_string();
        let bytes = std::fs::read(&entry).unwrap();
        if name.ends_with(".png") {
            continue;
        }
        let body = String::from_utf8(bytes).unwrap();
        assert!(!has_controls(&body), "{name}: a control character");
        assert!(body.len() < 2 << 20, "{name}: {} bytes", body.len());
        if name.ends_with(".md") {
            let unescaped = body.replace("\\<", "").replace("\\]", "");
            for tag in ["<script", "<img", "](http"] {
                assert!(!unescaped.contains(tag), "{name}: unescaped {tag}");
            }
            assert!(!body.lines().any(|l| l.starts_with("# [l]")), "{name}");
        }
        if name.ends_with(".svg") {
            roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{name} is not XML: {e}"));
        }
        if name.ends_with(".json") {
            assert!(!body.contains("NaN") && !body.contains("inf"), "{name}");
            assert!(!body.contains("-245"), "{name}: a negative timing");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_crafted_results_file_is_read_with_warnings_and_renders_clean() {
    let (dir, results, _) = finished_sweep(&config(
        "styles = [\"link\", \"userspace\"]\ngroups = [1]\nbatch = [2]",
    ));
    let crafted = dir.path().join("crafted.jsonl");
    std::fs::write(&crafted, hostile(&results)).unwrap();

    let out = dir.path().join("report");
    let report = bin()
        .arg("report")
        .arg(&crafted)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = text(&report.stderr);
    assert_eq!(report.status.code(), Some(0), "{stderr}");
    let warned: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warned.len(), 5, "{stderr}");
    for said in [
        "cell.op \"oooooooooooooooooooooooooooooooooooooooo\"… is not a name",
        "cell.mode \"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"… is not a name",
        "name \"drain/default/nop/g1-s4-b2-t1\" is not its coordinates' name",
        "timing.ns_per_step is -245, not a positive number; skipped",
        "timing.ns_per_step is 0, not a positive number; skipped",
    ] {
        assert!(stderr.contains(said), "no `{said}` in {stderr}");
    }
    assert_clean_outputs("report", &report, &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains(r"\<script>alert(1)\</script>"), "{md}");
    assert!(!md.contains(&"y".repeat(1100)), "the argument is not cut");

    let compared = dir.path().join("compare");
    let compare = bin()
        .arg("compare")
        .arg(&results)
        .arg(&crafted)
        .arg("--out")
        .arg(&compared)
        .output()
        .unwrap();
    let stderr = text(&compare.stderr);
    assert!(matches!(compare.status.code(), Some(0 | 1)), "{stderr}");
    assert_clean_outputs("compare", &compare, &compared);
}
