//! Every output of `render` checked for its shape on synthetic sweeps.

mod common;

use common::*;
use reports::schema::{CounterValue, Pass, ReasonCode, Status, USERSPACE_EMULATION_LABEL};
use reports::{render, text_table, RenderOptions};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

fn small_sweep(dir: &Path) -> reports::Results {
    let records: Vec<_> = sweep(1, 5)
        .into_iter()
        .filter(|r| r.cell.op == "nop")
        .collect();
    write(dir, "small.jsonl", &header("6.18.0-test", false), &records)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// The text contents of an SVG's `<text>` elements, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t.split_once('>')?.1;
            Some(body.split_once("</text>")?.0.trim().to_string())
        })
        .collect()
}

fn cell_names(results: &reports::Results) -> BTreeSet<String> {
    results.records.iter().map(|r| r.name.clone()).collect()
}

#[test]
fn renders_every_output_of_a_200_cell_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "big.jsonl",
        &header("6.18.0-test", false),
        &sweep(2, 10),
    );
    let names = cell_names(&input);
    assert_eq!(names.len(), 216);
    let out = dir.path().join("report");
    let start = Instant::now();
    let written = render(&[input], &out, &RenderOptions::default()).unwrap();
    let elapsed = start.elapsed();
    eprintln!(
        "rendered 216 cells ({} files) in {:.2} s",
        written.len(),
        elapsed.as_secs_f64()
    );
    for file in [
        "report.md",
        "report.html",
        "email.txt",
        "email-full.txt",
        "bench.json",
        "bench-github.json",
    ] {
        assert!(written.contains(&out.join(file)), "{file} not reported");
        assert!(out.join(file).metadata().unwrap().len() > 0, "{file} empty");
    }
    let svgs = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"));
    let pngs = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"));
    let plots: Vec<String> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    // 6 op/shape groups: styles-by-mode, x link and event counts (one
    // figure each, whatever its rows); 8 steps families. The batch
    // families have two batch sizes each: too few for a curve. The shape
    // whose steps fit one batch times as s8-b8 does (no cliff), so its
    // figures are folded into s8-b8's; pipe-async's ratios to link are
    // nop's, so its heatmaps are folded into nop's.
    // And the overview, beside the report as SVG only.
    assert_eq!(svgs.count(), 4 + 2 + 4 + 8 + 1, "{plots:?}");
    assert_eq!(pngs.count(), 4 + 2 + 4 + 8);
    let folded = svg_texts(&read(&out, "plots/xlink-01-nop-g1-s8-b8-t1.svg"));
    assert!(
        folded
            .iter()
            .any(|t| t.starts_with("also stands for nop g1-s32-b32-t1 and ")),
        "{folded:?}"
    );
    for p in &written {
        assert!(p.exists(), "{} missing", p.display());
        if p.extension().is_some_and(|e| e == "png") {
            let (w, h) = image::image_dimensions(p).unwrap();
            assert!(w <= 800 && h <= 600, "{}: {w}x{h}", p.display());
        }
    }
    let md = read(&out, "report.md");
    for name in &names {
        let key_parts: Vec<&str> = name.split('/').collect();
        let row = md
            .lines()
            .find(|l| l.starts_with("| ") && key_parts.iter().all(|p| l.contains(p)));
        assert!(row.is_some(), "no table row for {name}");
    }
    assert!(md.contains("![ns per step by style and mode: nop g1-s8-b8-t1](plots/styles-01-"));
    assert!(md.contains("BROKEN: group 0 expected seq 3, got 4 (cqe)"));
    assert!(md.contains("bpf-loop needs Linux 7.1+"));
    assert!(md.contains("x syscall"), "anchor multiples table");
    // Each anchor with its interval and precision, or what it has instead,
    // and how the calibration went.
    assert!(
        md.contains("- syscall 95.0 ns (95% CI 94.2–95.6, ±0.8%)"),
        "{md}"
    );
    assert!(md.contains("- cache-to-cache: needs 2 online CPUs"), "{md}");
    assert!(md.contains("- futex wake round trip 2.40 µs (500 samples, no interval recorded)"));
    assert!(md.contains("within ±1.0% or its share of the 1.20 s budget was spent"));
    assert!(md.contains("the calibration took 1.26 s, 60.0 ms over."));
    // An unsupported counter is said once, under the table, not in its rows.
    assert!(!md.contains("cycles <not supported>"));
    let why = "- cycles [counter_unsupported]: not supported: event not provided by this CPU's PMU (ENOENT) (in ";
    assert_eq!(md.matches(why).count(), 1, "{md}");
    assert!(
        md.contains("- ns per step vs batch is not drawn for default nop g1-s32-t1 and 7 more slices: 2 batch sizes (8, 32), a curve needs at least 5"),
        "{md}"
    );
    let cost = std::fs::read_to_string(out.join("plots/cost-01-nop-g1-s8-b8-t1.svg")).unwrap();
    assert!(
        cost.contains("syscalls"),
        "event counts lack their syscalls"
    );
    assert!(
        md.contains("bench-runner sweep --config config.toml --out 'results dir/results.jsonl'")
    );
    // Re-rendering a smaller input into the same place leaves no stale plots.
    let small = small_sweep(dir.path());
    let again = render(&[small], &out, &RenderOptions::default()).unwrap();
    let on_disk = std::fs::read_dir(out.join("plots")).unwrap().count();
    let plot_files = again
        .iter()
        .filter(|p| p.starts_with(out.join("plots")))
        .count();
    assert_eq!(on_disk, plot_files);
    assert!(plot_files < 56);
}

#[test]
fn email_fits_72_columns_with_table_chart_machine_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_sweep(dir.path());
    render(
        &[input],
        dir.path(),
        &RenderOptions {
            plots: false,
            png: false,
        },
    )
    .unwrap();
    let mail = read(dir.path(), "email-full.txt");
    for (i, line) in mail.lines().enumerate() {
        assert!(
            line.chars().count() <= 72,
            "line {} too long: {line:?}",
            i + 1
        );
        assert!(line.is_ascii(), "line {} not ASCII: {line:?}", i + 1);
    }
    let header_line = mail
        .lines()
        .find(|l| l.starts_with("style"))
        .expect("table header");
    for col in ["mode", "shape", "ns/step", "95% CI", "x link"] {
        assert!(header_line.contains(col), "{col} missing: {header_line}");
    }
    assert!(mail.contains("Kernel 6.18.0-test on Synthetic CPU"));
    assert!(
        mail.contains("Physical anchors:\n- syscall 95.0 ns (95% CI 94.2-95.6, +-0.8%)\n"),
        "{mail}"
    );
    assert!(mail.contains("- futex wake round trip 2.40 us (500 samples"));
    assert!(mail.contains(
        "Reproduce with:\n  bench-runner sweep --config config.toml --out \\\n      'results dir/results.jsonl'\n"
    ));
    assert!(mail.contains("|#"), "ASCII chart bars");
    let link_row = mail
        .lines()
        .find(|l| l.starts_with("link ") && l.contains("g1-s8-b8-t1"))
        .unwrap();
    assert!(link_row.contains("1.00x"), "link vs itself: {link_row}");
    assert!(
        mail.contains(&format!("* {USERSPACE_EMULATION_LABEL}\n")),
        "label footnote"
    );
    assert!(mail
        .lines()
        .any(|l| l.starts_with("sync-group:queue") && l.ends_with('*')));
    assert!(mail.contains("skipped"), "skipped cells shown");
    let cost_header = mail
        .lines()
        .skip_while(|l| !l.starts_with("Where the cost goes"))
        .find(|l| l.starts_with("style"))
        .expect("where-the-cost-goes table");
    for col in ["syscalls", "io-wq", "ctx sw", "x-CPU wk"] {
        assert!(cost_header.contains(col), "{col} missing: {cost_header}");
    }
}

/// A Bencher measure slug: lower-case words of letters and digits joined
/// by hyphens, at most 64 characters (what Bencher resolves a measure by).
fn is_slug(key: &str) -> bool {
    key.len() <= 64
        && !key.is_empty()
        && key.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The digits after the point of a JSON number as written.
fn decimals(v: &Value) -> usize {
    v.to_string().split_once('.').map_or(0, |(_, d)| d.len())
}

#[test]
fn bench_json_matches_bencher_and_github_action_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let mut records: Vec<_> = sweep(1, 5)
        .into_iter()
        .filter(|r| r.cell.op == "nop")
        .collect();
    // The verifier's control: `independent` broke the order on timeouts.
    let control = key("independent", "default", "timeout", 8, 8);
    records.push(failed(&control));
    let input = write(
        dir.path(),
        "small.jsonl",
        &header("6.18.0-test", false),
        &records,
    );
    let all = cell_names(&input);
    let failed_cell = "futex/sqpoll/nop/g1-s32-b8-t1";
    let untimed = |n: &str| n == failed_cell || n.starts_with("bpf-loop") || n == control.name();
    render(
        &[input],
        dir.path(),
        &RenderOptions {
            plots: false,
            png: false,
        },
    )
    .unwrap();

    // Bencher's BMF schema: benchmark name -> measure -> {value, lower_value?, upper_value?}.
    let bmf: Value = serde_json::from_str(&read(dir.path(), "bench.json")).unwrap();
    let obj = bmf.as_object().expect("BMF is an object");
    assert_eq!(
        obj.keys().cloned().collect::<BTreeSet<_>>(),
        all,
        "every cell is kept"
    );
    for (name, measures) in obj {
        let measures = measures.as_object().unwrap();
        for (key, metric) in measures {
            assert!(is_slug(key), "{key} is not a Bencher slug");
            let metric = metric.as_object().unwrap();
            assert!(metric["value"].is_number(), "{name} {key}");
            for k in metric.keys() {
                assert!(
                    ["value", "lower_value", "upper_value"].contains(&k.as_str()),
                    "{k}"
                );
            }
        }
        let not_ok = measures["not-ok"]["value"].as_u64().unwrap();
        assert_eq!(
            not_ok,
            u64::from(name == failed_cell || name.starts_with("bpf-loop")),
            "{name}"
        );
        if untimed(name) {
            assert!(!measures.contains_key("latency"), "{name}");
            continue;
        }
        let m = &measures["latency"];
        let (v, lo, hi) = (
            m["value"].as_f64().unwrap(),
            m["lower_value"].as_f64().unwrap(),
            m["upper_value"].as_f64().unwrap(),
        );
        assert!(lo <= v && v <= hi && lo > 0.0, "{name}: {lo} {v} {hi}");
        // Rounded to a tenth of the interval's leading decimal place (one
        // more digit allowed where rounding moved the width across a power
        // of ten), not printed to full float precision.
        let supported = (1 - (hi - lo).log10().floor() as i64).max(0) as usize;
        assert!(
            decimals(&m["value"]) <= supported + 1,
            "{name}: {} in [{lo}, {hi}]",
            m["value"]
        );
        assert!(measures["cpu-latency"]["value"].is_f64());
    }

    // The action's BenchmarkResult (src/extract.ts): name, value, unit, and
    // the optional range and extra, all strings but value.
    let gab: Value = serde_json::from_str(&read(dir.path(), "bench-github.json")).unwrap();
    let entries = gab.as_array().expect("an array");
    let mut status_of = std::collections::BTreeMap::new();
    let mut timed = BTreeSet::new();
    for e in entries {
        let e = e.as_object().unwrap();
        for k in e.keys() {
            assert!(
                ["name", "value", "unit", "range", "extra"].contains(&k.as_str()),
                "{k}"
            );
        }
        let name = e["name"].as_str().unwrap();
        assert!(e["value"].is_number() && e["unit"].is_string(), "{name}");
        assert!(e.get("range").is_none_or(Value::is_string));
        let extra = e["extra"].as_str().unwrap();
        match name.strip_suffix(" not-ok") {
            Some(cell) => {
                assert_eq!(e["unit"], "not ok (0/1)");
                status_of.insert(
                    cell.to_string(),
                    (e["value"].as_u64().unwrap(), extra.to_string()),
                );
            }
            None => {
                timed.insert(name.to_string());
                assert_eq!(e["unit"], "ns/step");
                let range = e["range"].as_str().unwrap();
                assert!(range.starts_with("95% CI ["), "{range}");
                let (lo, hi) = range["95% CI [".len()..range.len() - 1]
                    .split_once(", ")
                    .unwrap();
                let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
                let v = e["value"].as_f64().unwrap();
                assert!(lo <= v && v <= hi, "{name}: {range} around {v}");
                assert!(extra.starts_with("ok"), "{extra}");
                if name.starts_with("sync-group") {
                    assert!(
                        extra.contains(&format!("labels: {USERSPACE_EMULATION_LABEL}")),
                        "{extra}"
                    );
                }
            }
        }
    }
    assert_eq!(status_of.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert_eq!(timed, all.iter().filter(|n| !untimed(n)).cloned().collect());
    let (value, extra) = &status_of[failed_cell];
    assert_eq!(*value, 1);
    assert!(
        extra.starts_with("failed [order_violation]: order violated"),
        "{extra}"
    );
    let (value, extra) = &status_of[&control.name()];
    assert_eq!(
        *value, 0,
        "a control that broke the order is as it should be"
    );
    assert_eq!(extra, "control: order broken, as expected");

    // Every output states the control as such, apart from the failures.
    let md = read(dir.path(), "report.md");
    let section = |title: &str| {
        let start = md
            .find(&format!("## {title}\n"))
            .unwrap_or_else(|| panic!("{title}"));
        let rest = &md[start + 3..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    };
    let failures = section("Skipped, failed and interrupted cells");
    assert!(
        failures.contains(failed_cell) && !failures.contains(&control.name()),
        "{failures}"
    );
    let controls = section("Controls");
    assert!(
        controls.contains(&format!(
            "- {}: order broken, as expected: group 0",
            control.name()
        )),
        "{controls}"
    );
    let row = md
        .lines()
        .find(|l| l.starts_with("| independent | default | timeout |"))
        .expect("the control's row");
    assert!(
        row.contains("| order broken, as expected: group 0") && !row.contains("BROKEN"),
        "{row}"
    );
    // The short mail's findings never call the control's break a kernel
    // finding; the attachment lists it apart from the cells not timed.
    let brief = read(dir.path(), "email.txt");
    assert!(!brief.contains("independent/default/timeout"), "{brief}");
    let mail = read(dir.path(), "email-full.txt");
    let not_timed =
        &mail[mail.find("Not timed:").unwrap()..mail.find("Controls, order broken").unwrap()];
    assert!(
        !not_timed.contains("independent/default/timeout"),
        "{not_timed}"
    );
}

#[test]
fn kernels_side_by_side_with_emulated_label_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<_> = sweep(3, 5)
        .into_iter()
        .filter(|r| r.cell.op == "nop" && r.cell.steps == 8)
        .collect();
    let a = write(dir.path(), "a.jsonl", &header("6.18.0", false), &records);
    let b = write(dir.path(), "b.jsonl", &header("7.1.0-emu", true), &records);
    let out = dir.path().join("out");
    render_svg(&[a, b], &out);
    let label = "emulated: timings not comparable";
    let md = read(&out, "report.md");
    let emu_rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| 7.1.0-emu |"))
        .collect();
    assert!(!emu_rows.is_empty());
    assert!(
        emu_rows.iter().all(|r| r.contains(label)),
        "every emulated row labelled"
    );
    // A sync-group row on the emulated kernel names both emulations, each
    // in its own words: the style's never reads like the machine's.
    let sync_group = emu_rows
        .iter()
        .find(|r| r.contains("sync-group"))
        .expect("a sync-group row");
    assert!(
        sync_group.contains(&format!("{USERSPACE_EMULATION_LABEL}; {label}")),
        "{sync_group}"
    );
    assert!(!USERSPACE_EMULATION_LABEL.starts_with("emulated"));
    assert!(md.lines().any(|l| l.starts_with("| 6.18.0 |")));
    let html = read(&out, "report.html");
    assert!(html.contains(label));
    // Self-contained: plots inline, nothing to load.
    let figures = written_plots(&out).len();
    assert_eq!(
        html.matches("<svg").count(),
        figures + 1,
        "every figure inline, the overview too"
    );
    for external in ["<script", " src=", "<link", "url("] {
        assert!(!html.contains(external), "{external} in report.html");
    }
    // Links only within the page: its table of contents.
    assert!(html.contains(" href=\"#summary\""));
    assert_eq!(
        html.matches(" href=").count(),
        html.matches(" href=\"#").count()
    );
    let mail = read(&out, "email-full.txt");
    assert!(mail.contains("=== 6.18.0 ===") && mail.contains("=== 7.1.0-emu ==="));
    assert!(mail.contains("Software emulation: timings not"));
    let bmf: Value = serde_json::from_str(&read(&out, "bench.json")).unwrap();
    assert!(bmf.get("link/default/nop/g1-s8-b8-t1@6.18.0").is_some());
    assert!(bmf.get("link/default/nop/g1-s8-b8-t1@7.1.0-emu").is_some());
    let gab = read(&out, "bench-github.json");
    assert!(gab.contains(label));
    let svg = std::fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("styles-01")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .unwrap();
    let texts = svg_texts(&svg);
    assert!(
        texts.contains(&"6.18.0".to_string()),
        "a panel per kernel: {texts:?}"
    );
    assert!(
        texts.contains(&"7.1.0-emu (emulated)".to_string()),
        "emulated panel caption: {texts:?}"
    );
}

#[test]
fn skipped_and_failed_cells_are_marked_on_the_baseline_not_drawn_as_bars() {
    let dir = tempfile::tempdir().unwrap();
    let k = |style| key(style, "default", "nop", 8, 8);
    let mut records = reps(&k("link"), &[100.0, 101.0, 99.0]);
    records.extend(reps(&k("userspace"), &[120.0, 121.0, 119.0]));
    records.push(skipped(
        &k("bpf-loop"),
        ReasonCode::MissingFeature,
        "needs 7.1",
    ));
    records.push(failed(&k("futex")));
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let svg = std::fs::read_to_string(out.join("plots/styles-01-nop-g1-s8-b8-t1.svg")).unwrap();
    let texts = svg_texts(&svg);
    // Each reason is named once, in the legend, beside its own mark.
    for word in ["skipped", "failed"] {
        assert_eq!(
            texts.iter().filter(|t| *t == word).count(),
            1,
            "{word}: {texts:?}"
        );
    }
    // The skip is a grey cross (two strokes) on the baseline, in the plot
    // and in the legend; the failure is a dark disc, never grey.
    let grey = grey_points(&svg);
    assert_eq!(
        grey.len(),
        2 * 2 * 2,
        "two crosses of two strokes: {grey:?}"
    );
    let failed_discs = svg
        .lines()
        .filter(|l| l.starts_with("<circle") && l.contains("fill=\"#282828\""))
        .count();
    assert_eq!(
        failed_discs, 2,
        "the failure's mark, in the plot and legend"
    );
    // No bar: values are dots with whiskers, link's median a dashed line.
    assert!(!svg
        .lines()
        .any(|l| l.starts_with("<rect") && l.contains("fill=\"#00C300\"")));
    assert!(
        texts.iter().any(|t| t.starts_with("dashed: link")),
        "{texts:?}"
    );
    let plot_marks: Vec<&(f64, f64)> = grey.iter().filter(|&&(x, _)| x < 600.0).collect();
    assert!(
        plot_marks.iter().all(|&&(_, y)| y > 380.0),
        "missing marks off the baseline: {grey:?}"
    );
}

/// The value of attribute `name` of an SVG element line.
fn attr(line: &str, name: &str) -> Option<f64> {
    let start = line.find(&format!(" {name}=\""))? + name.len() + 3;
    line[start..].split('"').next()?.parse().ok()
}

/// The points of the grey polylines (marks of cells without a value).
fn grey_points(svg: &str) -> Vec<(f64, f64)> {
    svg.lines()
        .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#787878\""))
        .filter_map(|l| l.split("points=\"").nth(1)?.split('"').next())
        .flat_map(|pts| {
            pts.split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The plot files in `out/plots`.
fn written_plots(out: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(out.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect()
}

/// The legend of an SVG figure: each entry's label with the stroke colour
/// of its legend line (the only 3-pixel-wide lines a figure draws).
fn legend_colours(svg: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut colour: Option<String> = None;
    for element in svg.split('<').skip(1) {
        if element.starts_with("polyline") && element.contains("stroke-width=\"3\"") {
            colour = element
                .split("stroke=\"")
                .nth(1)
                .and_then(|c| c.split('"').next())
                .map(str::to_string);
        } else if element.starts_with("text") {
            if let Some(c) = colour.take() {
                let label = element.split_once('>').unwrap().1.trim().to_string();
                out.push((label, c));
            }
        }
    }
    out
}

#[test]
fn every_style_has_its_own_colour_and_keeps_it_in_every_plot() {
    let dir = tempfile::tempdir().unwrap();
    // Every style the registry lists, one it does not (an old file's bare
    // `futex`) and a positive control.
    let mut styles = registry_styles();
    styles.extend(["futex".to_string(), "independent:+broken".to_string()]);
    let mut rng = reports::analysis::stats::Rng::new(11);
    let mut records = Vec::new();
    for (s, style) in styles.iter().enumerate() {
        for mode in ["default", "sqpoll"] {
            for steps in [8, 32] {
                let k = key(style, mode, "nop", steps, 8);
                let center = 100.0 + 10.0 * s as f64 + steps as f64;
                records.extend(reps(&k, &noisy(&mut rng, center, 0.01, 3)));
            }
        }
    }
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut figures_with_legend = 0;
    for path in written_plots(&out) {
        let legend = legend_colours(&std::fs::read_to_string(&path).unwrap());
        if legend.is_empty() {
            continue;
        }
        figures_with_legend += 1;
        assert_eq!(legend.len(), styles.len(), "{}", path.display());
        let colours: BTreeSet<&String> = legend.iter().map(|(_, c)| c).collect();
        assert_eq!(colours.len(), styles.len(), "shared colour: {legend:?}");
        for (label, colour) in legend {
            // Without the footnote marker its labels carry.
            let label = label.trim_end_matches('*').to_string();
            let first = seen.entry(label.clone()).or_insert(colour.clone());
            assert_eq!(
                *first,
                colour,
                "{label} changes colour in {}",
                path.display()
            );
        }
    }
    // Two styles-by-mode figures and a steps curve: the sqpoll family's
    // curve has default's values within 1% and is folded into it.
    assert_eq!(figures_with_legend, 2 + 1);
    assert_eq!(
        seen.keys().cloned().collect::<BTreeSet<_>>(),
        styles.into_iter().collect()
    );
}

#[test]
fn values_spanning_more_than_ten_times_get_a_log_axis() {
    let dir = tempfile::tempdir().unwrap();
    let k = |style, steps| key(style, "default", "nop", steps, 8);
    let mut records = reps(&k("link", 8), &[100.0, 101.0, 99.0]);
    records.extend(reps(&k("drain", 8), &[5000.0, 5050.0, 4950.0]));
    records.extend(reps(&k("link", 16), &[100.0, 101.0, 99.0]));
    records.extend(reps(&k("drain", 16), &[300.0, 303.0, 297.0]));
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let texts = |file: &str| svg_texts(&read(&out, &format!("plots/{file}")));
    let wide = texts("styles-01-nop-g1-s8-b8-t1.svg");
    assert!(
        wide.contains(&"ns per step (median, 95% CI, log)".to_string()),
        "{wide:?}"
    );
    for tick in ["100", "1k", "2k", "5k"] {
        assert!(wide.contains(&tick.to_string()), "{tick}: {wide:?}");
    }
    assert!(
        !wide.contains(&"0".to_string()),
        "log axis has no zero: {wide:?}"
    );
    let narrow = texts("styles-02-nop-g1-s16-b8-t1.svg");
    assert!(
        narrow.contains(&"ns per step (median, 95% CI)".to_string()),
        "{narrow:?}"
    );
    assert!(
        narrow.contains(&"0".to_string()),
        "linear from zero: {narrow:?}"
    );
}

#[test]
fn the_cross_submission_curve_is_log_log_over_seven_batch_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "r.jsonl",
        &header("6.18", false),
        &batch_sweep(7, 5),
    );
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let svg = read(&out, "plots/by-batch-01-default-nop-g1-s64-t1.svg");
    let texts = svg_texts(&svg);
    assert!(texts.contains(&"ns per step vs batch: default nop g1-s64-t1".to_string()));
    for batch in BATCHES {
        assert!(
            texts.contains(&batch.to_string()),
            "batch {batch}: {texts:?}"
        );
    }
    assert!(texts.contains(&"ns per step (median, 95% CI, log)".to_string()));
    assert!(texts.contains(&"1k".to_string()) && !texts.contains(&"0".to_string()));
    // Equal ratios of batch, equal distances: the x axis is log.
    let tick_x = |label: &str| {
        svg.split("<text")
            .skip(1)
            .find(|t| {
                let body = t.split_once('>').and_then(|(_, b)| b.split_once("</text>"));
                body.is_some_and(|(b, _)| b.trim() == label)
            })
            .and_then(|t| attr(t, "x"))
            .unwrap()
    };
    let (x1, x2, x4, x64) = (tick_x("1"), tick_x("2"), tick_x("4"), tick_x("64"));
    assert!(((x2 - x1) - (x4 - x2)).abs() <= 1.0, "{x1} {x2} {x4}");
    assert!(
        // Each tick rounded to a pixel: six steps add up to 6 × ½.
        ((x64 - x1) - 6.0 * (x2 - x1)).abs() <= 4.0,
        "{x1} {x2} {x64}"
    );
    // Where a style has no value: a cross on the axis, and a note saying so.
    assert!(texts
        .iter()
        .any(|t| t == "x on the axis: bpf-loop skipped at 1, 2, 4, 8, 16, 32, 64"));
    assert!(texts
        .iter()
        .any(|t| t == "x on the axis: msg-ring oversubscribed at 64"));
    let md = read(&out, "report.md");
    assert!(!md.contains("vs batch is not drawn"), "{md}");
}

#[test]
fn the_x_link_heatmap_shows_the_tables_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_sweep(dir.path());
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let md = read(&out, "report.md");
    let texts = svg_texts(&read(&out, "plots/xlink-02-nop-g1-s32-b8-t1.svg"));
    assert!(texts.contains(&"x link by style and mode: nop g1-s32-b8-t1".to_string()));
    for style in ["userspace", "drain", "link"] {
        let row = md
            .lines()
            .find(|l| l.contains(&format!("| {style} | sqpoll | nop | g1-s32-b8-t1 |")))
            .unwrap_or_else(|| panic!("no row for {style}: {md}"));
        let ratio = row
            .split('|')
            .map(str::trim)
            .find(|c| c.ends_with('x') && c[..c.len() - 1].parse::<f64>().is_ok())
            .unwrap();
        assert!(
            texts.contains(&ratio.to_string()),
            "{style} {ratio}: {texts:?}"
        );
    }
    // futex failed on sqpoll; bpf-loop was skipped everywhere.
    assert_eq!(texts.iter().filter(|t| *t == "failed").count(), 1);
    assert_eq!(texts.iter().filter(|t| *t == "skipped").count(), 4);
}

/// The report decides by reason codes, never by wording: a counter whose
/// text does not say "not supported" is still `<not supported>` by its code,
/// a probe failure reads as a failure whatever its text, a failed cell
/// without a reason is named by its code, and the list of cells not run
/// carries each one's code.
#[test]
fn the_report_decides_by_reason_codes_not_by_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let k = |style| key(style, "default", "nop", 8, 8);
    let mut records = reps(&k("link"), &[100.0, 101.0, 99.0]);
    let mut observed = profile(&k("link"), 1.0);
    let p = observed.profile.as_mut().unwrap();
    p.counters[1].unsupported = Some("the PMU has no such event".into());
    p.counters.push(CounterValue {
        name: "instructions".into(),
        value: None,
        per_step: None,
        running_fraction: Some(0.0),
        unsupported: Some("not supported, or so the text says".into()),
        unsupported_code: Some(ReasonCode::CounterNotCounted),
    });
    p.probes_skipped = Some("attaching ursb_switch to sched_switch failed: EINVAL".into());
    p.probes_skipped_code = Some(ReasonCode::ProbesFailed);
    p.counters_skipped = None;
    records.push(observed);
    let mut timed_out = record(&k("futex"), Pass::Timing, 0, Status::Failed);
    timed_out.reason_code = Some(ReasonCode::Timeout);
    records.push(timed_out);
    records.push(skipped(
        &k("bpf-loop"),
        ReasonCode::MissingFeature,
        "needs 7.1",
    ));
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let out = dir.path().join("out");
    let options = RenderOptions {
        plots: false,
        png: false,
    };
    render(&[input], &out, &options).unwrap();
    let md = read(&out, "report.md");
    let row = md
        .lines()
        .find(|l| l.contains("task-clock") && l.contains(&k("link").name()))
        .unwrap_or_else(|| panic!("no profile row: {md}"));
    // Counters without a value are said once, under the profile table, by
    // their code, whatever their text says.
    let said = |name: &str, word: &str| {
        md.lines()
            .any(|l| l.starts_with("- ") && l.contains(name) && l.contains(word))
    };
    assert!(said("cycles", "[counter_unsupported]: the PMU"), "{md}");
    assert!(
        said(
            "instructions",
            "[counter_not_counted]: not supported, or so"
        ),
        "{md}"
    );
    assert!(!row.contains("<not"), "said once, not in the row: {row}");
    assert!(
        row.contains("probes failed: attaching ursb_switch"),
        "{row}"
    );
    let not_run: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
    let futex = k("futex").name();
    assert!(
        not_run
            .iter()
            .any(|l| l.contains(&futex) && l.contains("failed [timeout]: timeout")),
        "{not_run:?}"
    );
    let bpf = k("bpf-loop").name();
    assert!(
        not_run
            .iter()
            .any(|l| l.contains(&bpf) && l.contains("skipped [missing_feature]: needs 7.1")),
        "{not_run:?}"
    );
}

/// Whether a table row has a ratio (`1.20x`) in it.
fn has_ratio(row: &str) -> bool {
    row.split(|c: char| c.is_whitespace() || c == '|')
        .filter_map(|t| t.strip_suffix('x'))
        .any(|t| t.parse::<f64>().is_ok())
}

#[test]
fn oversubscribed_cells_show_their_number_flagged_but_no_ratio_bar_or_ci_entry() {
    let dir = tempfile::tempdir().unwrap();
    let k = |style| key(style, "default", "nop", 8, 8);
    let mut records = reps(&k("link"), &[100.0, 101.0, 99.0]);
    records.extend(reps(&k("userspace"), &[120.0, 121.0, 119.0]));
    records.extend(reps(&k("msg-ring"), &[5000.0, 5050.0, 4950.0]));
    oversubscribe(&mut records, &k("msg-ring").name(), 3, 2);
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let flag = "oversubscribed: 3 busy threads on 2 CPUs";
    // The terminal table: the number and the flag, but no ratio to link.
    let text = text_table(std::slice::from_ref(&input));
    let row = |style: &str| text.lines().find(|l| l.starts_with(style)).unwrap();
    assert!(row("msg-ring").contains(" 5000 "), "{}", row("msg-ring"));
    assert!(row("msg-ring").contains(flag), "{}", row("msg-ring"));
    assert!(!has_ratio(row("msg-ring")), "{}", row("msg-ring"));
    assert!(row("userspace").contains("1.20x"), "{}", row("userspace"));
    assert!(!row("userspace").contains(flag));
    let out = dir.path().join("out");
    render_svg(&[input], &out);
    let md = read(&out, "report.md");
    let md_row = md.lines().find(|l| l.contains("| msg-ring")).unwrap();
    assert!(
        md_row.contains(flag) && md_row.contains("| 5000 |"),
        "{md_row}"
    );
    assert!(!has_ratio(md_row), "{md_row}");
    // Cost in anchors is a ratio too.
    let anchors = md
        .split("## Cost in physical anchors")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(anchors.contains("link/default"), "{anchors}");
    assert!(!anchors.contains("msg-ring"), "{anchors}");
    assert!(read(&out, "report.html").contains(flag));
    // The mail: the number with a footnote, no bar.
    let mail = read(&out, "email-full.txt");
    assert!(mail.contains(&format!("* {flag}")), "{mail}");
    assert!(
        mail.lines()
            .any(|l| l.starts_with("msg-ring*") && l.contains("|(oversubscribed)")),
        "{mail}"
    );
    // The plot: hatched with the word, off the scale (no tick near 5000).
    let svg = read(&out, "plots/styles-01-nop-g1-s8-b8-t1.svg");
    let texts = svg_texts(&svg);
    assert!(
        texts.iter().any(|t| t.starts_with("oversubscribed")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains(flag)),
        "footnote: {texts:?}"
    );
    let top_tick = texts
        .iter()
        .filter_map(|t| t.parse::<f64>().ok())
        .fold(0.0, f64::max);
    let thousands = texts.iter().any(|t| {
        t.strip_suffix('k')
            .is_some_and(|n| n.parse::<f64>().is_ok())
    });
    assert!(top_tick < 200.0 && !thousands, "scale set by it: {texts:?}");
    // CI dashboards compare what they get: its timing is left out, the
    // cell itself is kept, ok.
    let bench: Value = serde_json::from_str(&read(&out, "bench.json")).unwrap();
    assert!(bench[k("link").name()].get("latency").is_some());
    let msg_ring = &bench[k("msg-ring").name()];
    assert!(msg_ring.get("latency").is_none(), "{bench}");
    assert_eq!(msg_ring["not-ok"]["value"], 0);
    let github: Value = serde_json::from_str(&read(&out, "bench-github.json")).unwrap();
    let names: Vec<&str> = github
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&k("msg-ring").name().as_str()), "{names:?}");
    assert!(names.contains(&format!("{} not-ok", k("msg-ring").name()).as_str()));
}

#[test]
fn a_cell_over_its_syscall_budget_is_flagged_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let within = key("link", "default", "nop", 8, 8);
    let over = key("link", "defer-taskrun", "nop", 8, 8);
    let mut records = reps(&within, &[100.0, 101.0, 99.0]);
    records.extend(reps(&over, &[100.0, 101.0, 99.0]));
    records.push(profile(&within, 1.0));
    records.push(profile(&over, 8.0));
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let out = dir.path().join("out");
    let options = RenderOptions {
        plots: false,
        png: false,
    };
    render(&[input], &out, &options).unwrap();
    let md = read(&out, "report.md");
    let flagged: Vec<&str> = md
        .lines()
        .filter(|l| l.contains("over its syscall budget"))
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert!(flagged[0].contains(&over.name()), "{}", flagged[0]);
    assert!(
        flagged[0].contains("1.00 > 0.125") || flagged[0].contains("> 0.125"),
        "{}",
        flagged[0]
    );
}

#[test]
fn styles_follow_the_registry_of_the_header_else_their_first_appearance() {
    let dir = tempfile::tempdir().unwrap();
    let k = |style| key(style, "default", "nop", 8, 8);
    let mut records = reps(&k("link"), &[100.0, 101.0, 99.0]);
    records.extend(reps(&k("userspace"), &[200.0, 201.0, 199.0]));
    let order = |file: &str, header: &reports::schema::Header| {
        let input = write(dir.path(), file, header, &records);
        let text = text_table(&[input]);
        let rows: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| *w == "link" || *w == "userspace")
            .collect();
        rows.join(",")
    };
    let mut registered = header("6.18", false);
    registered.registry = Some(reports::schema::Registry {
        styles: ["userspace", "link"]
            .iter()
            .map(|name| reports::schema::StyleEntry {
                name: name.to_string(),
                variants: Vec::new(),
                labels: Vec::new(),
                unordered: false,
            })
            .collect(),
        modes: vec!["default".into()],
        shared_poller: Vec::new(),
    });
    assert_eq!(order("registered.jsonl", &registered), "userspace,link");
    let mut old = header("6.18", false);
    old.registry = None;
    assert_eq!(order("old.jsonl", &old), "link,userspace");
}

#[test]
fn text_table_lists_every_cell_with_status() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_sweep(dir.path());
    let names = cell_names(&input);
    let text = text_table(&[input]);
    assert!(text.starts_with("6.18.0-test: kernel 6.18.0-test on Synthetic CPU"));
    let rows = text.lines().skip(4).count();
    assert_eq!(rows, names.len());
    assert!(text.contains("noisy") || text.contains("%"));
    assert!(text.contains("BROKEN"));
    assert!(text.contains("skipped"));
}

/// A cell's final line recording that its repetitions missed a ±1% target
/// and that its raw loop varied by `loop_cv` in the same rounds.
fn missed_precision(k: &reports::schema::CellKey, loop_cv: f64) -> reports::schema::CellRecord {
    use reports::schema::*;
    let mut last = profile(k, 1.0);
    last.stopping = Some(Stopping {
        repetitions: 5,
        precision: Some(0.15),
        target: 0.01,
        reason: StopReason::Budget,
        spent_ns: 250_000_000,
    });
    last.reference = Some(ReferenceSummary {
        repetitions: 5,
        ns_per_step: 90.0,
        checked_ns_per_step: 91.0,
        order_check_ns_per_step: 1.0,
        harness_overhead: 1.1,
        cv: Some(loop_cv),
    });
    last
}

#[test]
fn noisy_means_noisier_than_the_machine_in_the_same_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let spread = [100.0, 108.0, 92.0, 106.0, 94.0]; // CV about 6.5%
                                                    // Its raw loop was steady: the spread is the cell's own.
    let own = key("link", "default", "nop", 8, 8);
    // Its raw loop varied as much: the machine's noise, not the cell's.
    let machine = key("userspace", "default", "nop", 8, 8);
    let quiet = key("drain", "default", "nop", 8, 8);
    // Past the absolute limit: noisy however noisy the machine was (a
    // loaded machine would otherwise pass every cell as "not noisy").
    let loaded = key("hardlink", "default", "nop", 8, 8);
    let mut records = reps(&own, &spread);
    records.push(missed_precision(&own, 0.01));
    records.extend(reps(&machine, &spread));
    records.push(missed_precision(&machine, 0.15));
    records.extend(reps(&quiet, &[100.0, 100.5, 99.5, 100.2, 99.8]));
    records.extend(reps(&loaded, &[100.0, 130.0, 80.0, 120.0, 90.0]));
    records.push(missed_precision(&loaded, 0.25));
    let input = write(dir.path(), "r.jsonl", &header("6.18", false), &records);
    let text = text_table(&[input]);
    let row = |style: &str| {
        text.lines()
            .find(|l| l.starts_with(style))
            .unwrap()
            .to_string()
    };
    assert!(row("link").contains("noisy"), "{}", row("link"));
    assert!(!row("userspace").contains("noisy"), "{}", row("userspace"));
    assert!(!row("drain").contains("noisy"), "{}", row("drain"));
    assert!(row("hardlink").contains("noisy"), "{}", row("hardlink"));
}

const PROBE_OUT: &str = "REPORTS_FONT_PROBE_OUT";

/// Run by `png_title_glyphs_drawn_without_system_fonts` in a child process
/// whose environment hides every system font.
#[test]
#[ignore = "helper: run by png_title_glyphs_drawn_without_system_fonts"]
fn font_probe_child() {
    let out = std::path::PathBuf::from(std::env::var(PROBE_OUT).expect("run by the parent test"));
    let mut records = reps(&key("link", "default", "nop", 8, 8), &[100.0, 101.0, 99.0]);
    records.extend(reps(
        &key("userspace", "default", "nop", 8, 8),
        &[120.0, 121.0, 119.0],
    ));
    let input = write(&out, "r.jsonl", &header("6.18", false), &records);
    render(&[input], &out, &RenderOptions::default()).unwrap();
}

#[test]
fn png_title_glyphs_drawn_without_system_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "font_probe_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(PROBE_OUT, dir.path())
        .env("FONTCONFIG_FILE", "/dev/null")
        .env("FONTCONFIG_PATH", "/nonexistent")
        .env("XDG_DATA_HOME", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "child render failed:\n{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    let png = dir.path().join("plots/styles-01-nop-g1-s8-b8-t1.png");
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (800, 500));
    let background = image::Rgb([255u8, 255, 255]);
    let inked = |y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (0..img.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| *img.get_pixel(x, y) != background)
            .count()
    };
    let title = inked(0, 30);
    assert!(title > 300, "title area has {title} inked pixels");
    // The legend text (right strip) is drawn too, not only the colour boxes.
    let legend_text = (40..70)
        .flat_map(|y| (664..800).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = img.get_pixel(x, y);
            p[0] < 100 && p[1] < 100 && p[2] < 100
        })
        .count();
    assert!(legend_text > 20, "legend text pixels: {legend_text}");
}

#[test]
fn an_anchor_no_cell_comes_near_is_said_once_not_given_a_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = header("6.18", false);
    h.anchors.push(reports::schema::AnchorValue {
        name: "one_second_sleep".into(),
        ns: Some(1e9),
        samples: 3,
        ..Default::default()
    });
    let k = key("link", "default", "nop", 8, 8);
    let input = write(dir.path(), "r.jsonl", &h, &reps(&k, &[100.0, 101.0, 99.0]));
    let out = dir.path().join("out");
    let options = RenderOptions {
        plots: false,
        png: false,
    };
    render(&[input], &out, &options).unwrap();
    let md = read(&out, "report.md");
    assert!(md.contains("| x syscall |"), "{md}");
    assert!(!md.contains("x one_second_sleep"), "{md}");
    assert_eq!(
        md.matches(
            "No column for the anchors no cell costs 0.1x of: futex_wake_round_trip, one_second_sleep."
        )
            .count(),
        1,
        "{md}"
    );
}

/// A guest's run reproduces from the host with the command the kernel
/// matrix recorded for it, in every rendering that says how to reproduce;
/// a run without one keeps its own command line.
#[test]
fn a_recorded_host_command_is_the_one_to_reproduce_with() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<_> = sweep(3, 5)
        .into_iter()
        .filter(|r| r.cell.op == "nop" && r.cell.steps == 8)
        .collect();
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut guest = header("7.2.0-emu", true);
    guest.run.command = words(&[
        "bench-runner",
        "sweep",
        "configs/ci.toml",
        "--out",
        "/results",
    ]);
    guest.run.reproduce = Some(words(&[
        "scripts/kernel-matrix",
        "--kernel",
        "7.2",
        "--",
        "sweep",
        "configs/ci.toml",
    ]));
    let real = write(dir.path(), "a.jsonl", &header("6.18.0", false), &records);
    let emulated = write(dir.path(), "b.jsonl", &guest, &records);
    let out = dir.path().join("out");
    let opts = RenderOptions {
        plots: false,
        png: false,
    };
    render(&[real, emulated], &out, &opts).unwrap();
    for file in ["report.md", "report.html", "email.txt", "email-full.txt"] {
        let text = read(&out, file);
        assert!(
            text.contains("scripts/kernel-matrix --kernel 7.2 -- sweep configs/ci.toml"),
            "{file}: {text}"
        );
        assert!(!text.contains("--out /results"), "{file}: {text}");
        assert!(
            text.contains("'results dir/results.jsonl'"),
            "{file}: the real kernel's own command: {text}"
        );
    }
}
