//! bench.json for CI dashboards, in two shapes: Bencher's metric format
//! (BMF, `bench.json`) and github-action-benchmark's `customSmallerIsBetter`
//! (`bench-github.json`). Every cell of the report is in both files, so a
//! cell that starts failing is seen as such rather than missing: its
//! [`MEASURE_NOT_OK`] goes from 0 to 1. Timings appear for ranked cells only
//! (timed, and not oversubscribed: dashboards compare what they get), rounded
//! to the digits their 95% interval supports; with the machine's load
//! recorded, each cell also carries the worst steal and load of its
//! family's blocks ([`MEASURE_STEAL`], [`MEASURE_LOAD`]), and
//! bench-github.json's text the warning when it was high. Names are stable across runs
//! ([`crate::schema::CellKey::name`], plus `@kernel` with several inputs).
//! A comparison's `compare-bench.json` is BMF too: the candidate's ns/step,
//! its ratio to the baseline, that ratio over the raw loops when both runs
//! have them, and the smallest change the cell could show with whether that
//! is over the threshold (`underpowered`, 0 or 1).

use crate::analysis::judgement::Comparison;
use crate::analysis::load::LoadSummary;
use crate::analysis::model::{CellSummary, Report};
use crate::analysis::stats::{Summary, CONFIDENCE};
use crate::error::ReportError;
use crate::format::{pct, round_to_interval};
use crate::render::exporter::Exporter;
use crate::render::Rendered;
use serde_json::{json, Map, Value};

/// BMF measure of wall-clock ns per step: Bencher's built-in Latency
/// measure, which every project has, in nanoseconds.
pub const MEASURE_LATENCY: &str = "latency";
/// BMF measure of CPU ns per step (all threads of the process), a slug
/// Bencher creates on first use; its values are nanoseconds.
pub const MEASURE_CPU: &str = "cpu-latency";
/// BMF measure (and the suffix of a bench-github.json entry) that is 0 when
/// the cell gave the outcome it should (timed with its order held, or a
/// control that broke it) and 1 when it did not (failed, skipped,
/// interrupted). Smaller is better, like the timings, so a dashboard's
/// threshold on it fires when a cell newly fails.
pub const MEASURE_NOT_OK: &str = "not-ok";
/// BMF measure of the largest share of CPU time the hypervisor stole in a
/// block of the cell's family (0 to 1): a dashboard can refuse a timing
/// taken on a loaded machine ([`crate::analysis::load::STEAL_LIMIT`]).
pub const MEASURE_STEAL: &str = "machine-steal";
/// BMF measure of the largest one-minute load average per CPU at the end
/// of a block of the cell's family: above 1, more runnable threads than CPUs.
pub const MEASURE_LOAD: &str = "machine-load-per-cpu";
/// Unit of the timings in bench-github.json.
pub const UNIT: &str = "ns/step";
/// Unit of the [`MEASURE_NOT_OK`] entries in bench-github.json.
pub const UNIT_NOT_OK: &str = "not ok (0/1)";

/// Writes bench.json (Bencher metric format).
pub struct BencherExporter;

/// Writes bench-github.json (github-action-benchmark, customSmallerIsBetter).
pub struct GithubBenchmarkExporter;

/// Writes compare-bench.json (Bencher metric format) of a comparison.
pub struct CompareBenchExporter;

/// The stable CI name of a cell of this report.
pub fn ci_name(report: &Report, cell: &CellSummary) -> String {
    if report.multi() {
        format!("{}@{}", cell.name, report.sources[cell.source].label)
    } else {
        cell.name.clone()
    }
}

/// A summary's median and interval, each rounded to the digits the
/// interval supports.
pub fn rounded(s: &Summary) -> (f64, f64, f64) {
    let width = s.ci.hi - s.ci.lo;
    (
        round_to_interval(s.median, width),
        round_to_interval(s.ci.lo, width),
        round_to_interval(s.ci.hi, width),
    )
}

/// A BMF metric object from a summary: the median and its interval, rounded.
pub fn bmf_metric(s: &Summary) -> Value {
    let (value, lo, hi) = rounded(s);
    json!({ "value": value, "lower_value": lo, "upper_value": hi })
}

/// [`MEASURE_NOT_OK`]'s value for a cell.
fn not_ok(cell: &CellSummary) -> u8 {
    u8::from(!cell.as_expected())
}

/// Serializes JSON with a trailing newline.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("JSON values always serialize");
    bytes.push(b'\n');
    bytes
}

impl Exporter<Rendered> for BencherExporter {
    fn file_name(&self) -> &'static str {
        "bench.json"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        let report = &input.report;
        let mut root = Map::new();
        for cell in &report.cells {
            let mut measures = Map::new();
            if let Some(ns) = cell.ranked() {
                measures.insert(MEASURE_LATENCY.into(), bmf_metric(ns));
                if let Some(cpu) = &cell.cpu_ns {
                    measures.insert(MEASURE_CPU.into(), bmf_metric(cpu));
                }
            }
            measures.insert(MEASURE_NOT_OK.into(), json!({ "value": not_ok(cell) }));
            if let Some(load) = LoadSummary::of_cell(&report.sources[cell.source].loads, cell) {
                let per_cpu = load.max_load / f64::from(load.cpus.max(1));
                measures.insert(MEASURE_STEAL.into(), json!({ "value": load.max_steal }));
                measures.insert(MEASURE_LOAD.into(), json!({ "value": per_cpu }));
            }
            root.insert(ci_name(report, cell), Value::Object(measures));
        }
        Ok(Some(to_bytes(&Value::Object(root))))
    }
}

impl Exporter<Rendered> for GithubBenchmarkExporter {
    fn file_name(&self) -> &'static str {
        "bench-github.json"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        let report = &input.report;
        let mut entries = Vec::new();
        for cell in &report.cells {
            let name = ci_name(report, cell);
            let mut status = cell.status_line();
            if !cell.labels.is_empty() {
                status.push_str(&format!("; labels: {}", cell.labels.join(", ")));
            }
            let load = LoadSummary::of_cell(&report.sources[cell.source].loads, cell);
            if let Some(warning) = load.and_then(|l| l.warning()) {
                status.push_str(&format!("; {warning}"));
            }
            if let Some(ns) = cell.ranked() {
                let (value, lo, hi) = rounded(ns);
                entries.push(json!({
                    "name": name,
                    "unit": UNIT,
                    "value": value,
                    "range": format!("{:.0}% CI [{lo}, {hi}]", CONFIDENCE * 100.0),
                    "extra": format!(
                        "{status}; CV {}; {} repetitions",
                        ns.cv.map_or("-".into(), pct),
                        ns.n
                    ),
                }));
            }
            entries.push(json!({
                "name": format!("{name} {MEASURE_NOT_OK}"),
                "unit": UNIT_NOT_OK,
                "value": not_ok(cell),
                "extra": status,
            }));
        }
        Ok(Some(to_bytes(&Value::Array(entries))))
    }
}

/// BMF of the candidate: its ns/step, its ratio to the baseline (plain and
/// over the raw loops), the smallest change it could show and whether it is
/// underpowered.
impl Exporter<Comparison> for CompareBenchExporter {
    fn file_name(&self) -> &'static str {
        "compare-bench.json"
    }

    fn serialize(&self, input: &Comparison) -> Result<Option<Vec<u8>>, ReportError> {
        let mut root = Map::new();
        for c in &input.cells {
            let (Some(ns), Some(change)) = (&c.cand.ns, &c.change) else {
                continue;
            };
            let mut measures = json!({
                MEASURE_LATENCY: bmf_metric(ns),
                "ratio-to-baseline": {
                    "value": change.ratio,
                    "lower_value": change.ci.lo,
                    "upper_value": change.ci.hi,
                },
                "underpowered": { "value": u8::from(c.underpowered(&input.options)) },
            });
            if let Some(n) = &c.normalised {
                measures["ratio-to-baseline-over-raw-loop"] = json!({
                    "value": n.ratio,
                    "lower_value": n.ci.lo,
                    "upper_value": n.ci.hi,
                });
            }
            if let Some(d) = c.detectable {
                measures["detectable-change"] = json!({ "value": d });
            }
            root.insert(c.name.clone(), measures);
        }
        Ok(Some(to_bytes(&Value::Object(root))))
    }
}
