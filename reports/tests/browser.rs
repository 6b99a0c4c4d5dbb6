//! report.html loaded in a real headless Chromium: the browser must parse
//! the inline SVG plots and the tables, and actually paint the plots.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Ways to install the browser, tried in order until one works.
const INSTALL: &[&[&str]] = &[
    &["apt-get", "install", "-y", "chromium"],
    // A fresh machine may have no package lists yet.
    &["sh", "-c", "apt-get update && apt-get install -y chromium"],
];

/// The browser binary, installing it when missing; `Err` says why it
/// cannot be had (the caller skips with that reason).
fn ensure_browser(path: &Path, installs: &[&[&str]]) -> Result<PathBuf, String> {
    let mut failures = Vec::new();
    for install in installs {
        if path.exists() {
            break;
        }
        match Command::new(install[0]).args(&install[1..]).status() {
            Ok(s) if s.success() => {}
            Ok(s) => failures.push(format!("`{}` failed ({s})", install.join(" "))),
            Err(e) => failures.push(format!("cannot run {}: {e}", install.join(" "))),
        }
    }
    if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(format!(
            "{} missing: {}",
            path.display(),
            failures.join("; ")
        ))
    }
}

fn chromium(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    let out = Command::new("timeout")
        .arg("180")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn skip_path_reports_why_the_browser_is_missing() {
    let why = ensure_browser(
        Path::new("/nonexistent/chromium"),
        &[&["false"], &["/nonexistent/apt"]],
    )
    .unwrap_err();
    assert!(why.starts_with("/nonexistent/chromium missing: "), "{why}");
    assert!(why.contains("`false` failed"), "{why}");
    assert!(why.contains("cannot run /nonexistent/apt"), "{why}");
    // An installed browser needs no install at all.
    assert!(ensure_browser(Path::new("/bin/sh"), &[&["false"]]).is_ok());
}

#[test]
fn report_html_renders_plots_and_tables_in_chromium() {
    let browser = match ensure_browser(Path::new(CHROMIUM), INSTALL) {
        Ok(b) => b,
        Err(why) => {
            eprintln!("skipping: no headless browser: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    // One mode and op: a short cell table, so the plots are within the
    // screenshot; with the batch sizes of a cross-submission curve.
    let records: Vec<_> = sweep(5, 5)
        .into_iter()
        .chain(batch_sweep(6, 3))
        .filter(|r| r.cell.op == "nop" && r.cell.mode == "default")
        .collect();
    let cells: std::collections::BTreeSet<&str> = records.iter().map(|r| r.name.as_str()).collect();
    let input = write(dir.path(), "r.jsonl", &header("6.18.0", false), &records);
    let out = dir.path().join("report");
    let written = render_svg(&[input], &out);
    let figures = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .count();
    assert!(figures >= 4, "{figures} figures");
    let page = out.join("report.html");
    let profile = dir.path().join("profile");

    let dom = String::from_utf8(
        chromium(
            &browser,
            &profile,
            &["--dump-dom", "--virtual-time-budget=2000"],
            &page,
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        dom.matches("<svg").count(),
        figures,
        "one inline svg per figure"
    );
    assert_eq!(dom.matches("<figure class=\"plot\"").count(), figures);
    assert!(dom.matches("<rect").count() > 50, "tiles drawn as rects");
    assert!(dom.contains("ns per step by style and mode"));
    assert!(dom.contains("x link by style and mode: nop g1-s8-b8-t1"));
    assert!(dom.contains("ns per step vs batch: default nop g1-s64-t1"));
    for name in &cells {
        let parts: Vec<&str> = name.split('/').collect();
        let row = dom
            .split("<tr>")
            .find(|row| parts.iter().all(|p| row.contains(&format!("<td>{p}</td>"))));
        assert!(row.is_some(), "no table row for {name}");
    }

    let shot = dir.path().join("shot.png");
    chromium(
        &browser,
        &profile,
        &[
            "--window-size=1100,9000",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    if let Ok(keep) = std::env::var("REPORTS_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    let img = image::open(&shot).unwrap().to_rgb8();
    // The first style's colour (plots' palette) is painted only by the plots.
    let blue = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0;
            r.abs_diff(31) < 8 && g.abs_diff(119) < 8 && b.abs_diff(180) < 8
        })
        .count();
    assert!(blue > 300, "plot dots painted: {blue} pixels");
    let dark = img.pixels().filter(|p| p.0.iter().all(|&c| c < 80)).count();
    assert!(dark > 5000, "text painted: {dark} pixels");
    // The heatmap and the curve, each painted on its own page.
    let painted = |slug: &str| {
        let svg = out.join("plots").join(format!("{slug}.svg"));
        let shot = dir.path().join(format!("{slug}.png"));
        chromium(
            &browser,
            &profile,
            &[
                "--window-size=800,600",
                &format!("--screenshot={}", shot.display()),
            ],
            &svg,
        );
        image::open(&shot).unwrap().to_rgb8()
    };
    let near = |img: &image::RgbImage, rgb: [u8; 3], tolerance: u8| {
        img.pixels()
            .filter(|p| (0..3).all(|i| p.0[i].abs_diff(rgb[i]) <= tolerance))
            .count()
    };
    // Tiles in shades of blue (faster than link: independent) and red (slower).
    let heatmap = painted("xlink-01-nop-g1-s8-b8-t1");
    let faster = near(&heatmap, [166, 194, 222], 12);
    let slower = near(&heatmap, [190, 60, 75], 30);
    assert!(
        faster > 1500 && slower > 1500,
        "heatmap tiles painted: {faster} {slower}"
    );
    // A line per style: link's green along the whole curve.
    let curve = painted("by-batch-01-default-nop-g1-s64-t1");
    let green = near(&curve, [0, 195, 0], 6);
    assert!(green > 300, "curve painted: {green} pixels");
}

/// A page that loads `report` in a 1280 px wide frame and writes what it
/// measured into its own DOM: the page's width, every table's width with
/// its details opened, and the text of the first 900 px.
const MEASURE: &str = r#"<!DOCTYPE html><html><body>
<iframe id="f" src="REPORT" style="width:1280px;height:900px;border:0"></iframe>
<pre id="out">pending</pre><script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument;
  const first = [...d.body.querySelectorAll('h1,h2,p,li,summary')]
    .filter(e => e.getBoundingClientRect().top < 900).map(e => e.textContent);
  d.querySelectorAll('details').forEach(x => x.open = true);
  const tables = [...d.querySelectorAll('table')].map(t => t.getBoundingClientRect().right);
  document.getElementById('out').textContent = JSON.stringify({
    page: d.documentElement.scrollWidth, tables: tables, first: first });
};
</script></body></html>"#;

#[test]
fn report_html_fits_1280_px_and_opens_on_its_summary() {
    let browser = match ensure_browser(Path::new(CHROMIUM), INSTALL) {
        Ok(b) => b,
        Err(why) => {
            eprintln!("skipping: no headless browser: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    // The full synthetic sweep (216 cells, every table long), and the
    // verifier's control.
    let mut records = sweep(5, 5);
    records.push(failed(&key("independent", "default", "timeout", 8, 8)));
    let input = write(dir.path(), "r.jsonl", &header("6.18.0", false), &records);
    let out = dir.path().join("report");
    render_svg(&[input], &out);
    let page = dir.path().join("measure.html");
    std::fs::write(&page, MEASURE.replace("REPORT", "report/report.html")).unwrap();
    let dom = String::from_utf8(
        chromium(
            &browser,
            &dir.path().join("profile"),
            &[
                "--allow-file-access-from-files",
                "--dump-dom",
                "--virtual-time-budget=5000",
            ],
            &page,
        )
        .stdout,
    )
    .unwrap();
    let json = dom
        .split_once("<pre id=\"out\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(m, _)| {
            m.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .expect("the measuring page's output");
    let m: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(m["page"].as_f64().unwrap() <= 1280.0, "{m}");
    let tables = m["tables"].as_array().unwrap();
    assert!(tables.len() >= 4, "{m}");
    for right in tables {
        assert!(right.as_f64().unwrap() <= 1280.0, "a table is cut off: {m}");
    }
    let first: Vec<&str> = m["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let screen = first.join("\n");
    // The answer first: the verdict of every mode, the failures by cause,
    // the skips folded; the counts and the controls come after.
    assert!(
        screen.contains("Summary") && screen.contains("Verdict ("),
        "{screen}"
    );
    for mode in MODES {
        assert!(
            screen.contains(&format!("\n{mode}: no style ties with link")),
            "{screen}"
        );
    }
    assert!(
        screen.contains("Failed (2), by cause:\n2 cells in sqpoll: the kernel broke the order"),
        "{screen}"
    );
    assert!(screen.contains("Skipped (24): 1 reason"), "{screen}");
    assert!(
        !screen.contains("mitigations:"),
        "machine facts come after the findings: {screen}"
    );
}
