//! The outputs answer first, on a real sweep (three styles, two modes, a
//! commented config with an array longer than a mail line):
//! - email.txt has a Subject, the verdict, the one x link table, the
//!   shape legend and a reproduce block whose inline config the real
//!   parser reads back to the same plan, within 100 lines of 72 ASCII
//!   columns;
//! - report.html, in headless Chromium at 1280x900, shows the verdict and
//!   the overview figure above the fold (skipped, with the reason, where
//!   Chromium is not installed: `scripts/setup --browser` installs it).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The config, with comments and a styles array wider than a mail line.
const CONFIG: &str = r#"# Three ordering styles in two modes: a short sweep for the outputs' tests.
styles = ["link", "hardlink", "userspace"]   # link is the reference
modes = ["default", "defer-taskrun"]
ops = ["nop"]
groups = [1]
steps = [8]
batch = [4]
repetitions = 8
min_repetitions = 8   # at least six blocks: the signed-rank test can decide
warmup = "5ms"
time_budget = "100ms"
rep_time = "4ms"
profile = false
reference = true
# A comment the mail leaves out.
"#;

/// One sweep for every test here: its directory (kept), its config and
/// its output directory.
fn swept() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static SWEPT: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    SWEPT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), CONFIG);
        let out = dir.path().join("out");
        let output = sweep(&config, &out, &[]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (dir, config, out)
    })
}

/// `bench-runner plan CONFIG`'s cells, one per line.
fn plan_of(config: &Path) -> String {
    let out = bin().arg("plan").arg(config).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_mail_has_a_subject_a_verdict_a_table_a_legend_and_a_working_reproduce_block() {
    let (dir, config, out) = swept();
    let mail = std::fs::read_to_string(out.join("email.txt")).unwrap();
    let lines: Vec<&str> = mail.lines().collect();
    assert!(lines.len() <= 100, "{} lines:\n{mail}", lines.len());
    for l in &lines {
        assert!(l.len() <= 72 && l.is_ascii(), "{l:?}\n{mail}");
    }
    assert!(lines[0].starts_with("Subject: "), "{mail}");
    assert!(lines[0].contains("cheapest"), "{mail}");
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?}:\n{mail}"))
    };
    let order = [
        at("Verdict ("),
        at("- default: "),
        at("- defer-taskrun: "),
        at("x link at nop g1-s8-b4-t1"),
        at("style "),
        at("hardlink "),
        at("userspace "),
        at("Measurement:"),
        at("Shapes: g1-s8-b4-t1 = 1 group, 8 steps each, batch 4"),
        at("Reproduce with uring-syncbench "),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{mail}");
    // Both modes are columns of the one table.
    let head = lines[at("style ")];
    assert!(
        head.contains("default") && head.contains("defer-taskrun"),
        "{head}"
    );
    // The reproduce block: the config inline, then the command naming it.
    let open = at("cat > sweep.toml <<'EOF'");
    let close = open + lines[open..].iter().position(|l| *l == "EOF").unwrap();
    let inline = &lines[open + 1..close];
    assert!(inline.len() <= 15, "{inline:?}");
    assert!(inline.iter().all(|l| !l.contains('#')), "{inline:?}");
    assert!(
        lines[close + 1].starts_with("bench-runner sweep sweep.toml"),
        "{mail}"
    );
    let copy = dir.path().join("from-mail");
    std::fs::create_dir_all(&copy).unwrap();
    let saved = copy.join("sweep.toml");
    std::fs::write(&saved, inline.join("\n") + "\n").unwrap();
    assert_eq!(plan_of(&saved), plan_of(config), "{}", inline.join("\n"));
}

/// Chromium, when installed; `Err` says why not.
fn browser() -> Result<PathBuf, String> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| "chromium is not installed (scripts/setup --browser installs it)".into())
}

/// A page that loads `report` in a 1280x900 frame and writes where the
/// verdict and the overview figure end into its own DOM.
const MEASURE: &str = r#"<!DOCTYPE html><html><body>
<iframe id="f" src="REPORT" style="width:1280px;height:900px;border:0"></iframe>
<pre id="out">pending</pre><script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument;
  const bottom = e => e ? e.getBoundingClientRect().bottom : null;
  const verdict = [...d.querySelectorAll('p')].find(p => p.textContent.startsWith('Verdict'));
  document.getElementById('out').textContent = JSON.stringify({
    verdict: bottom(verdict),
    verdict_list: bottom(verdict && verdict.nextElementSibling),
    figure: bottom(d.querySelector('figure#overview svg')),
    width: d.documentElement.scrollWidth });
};
</script></body></html>"#;

#[test]
fn report_html_shows_the_verdict_and_the_overview_figure_above_the_fold() {
    let browser = match browser() {
        Ok(b) => b,
        Err(why) => {
            eprintln!("skipping: {why}");
            return;
        }
    };
    let (dir, _, out) = swept();
    let page = dir.path().join("measure.html");
    let report = out.join("report.html");
    std::fs::write(
        &page,
        MEASURE.replace("REPORT", &report.display().to_string()),
    )
    .unwrap();
    let run = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--allow-file-access-from-files",
            "--hide-scrollbars",
            "--window-size=1280,900",
            "--dump-dom",
            "--virtual-time-budget=5000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dom = String::from_utf8_lossy(&run.stdout);
    let json = dom
        .split_once("<pre id=\"out\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(m, _)| m.replace("&quot;", "\""))
        .expect("the measuring page's output");
    let m: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    for what in ["verdict", "verdict_list", "figure"] {
        let bottom = m[what].as_f64().unwrap_or_else(|| panic!("no {what}: {m}"));
        assert!(bottom <= 900.0, "{what} ends at y = {bottom}: {m}");
    }
    assert!(m["width"].as_f64().unwrap() <= 1280.0, "{m}");
}
