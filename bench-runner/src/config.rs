//! The sweep configuration (TOML): the axes to sweep and how to measure. Every
//! way a config can be wrong ends in one line naming the key and what is
//! allowed; nothing is run and nothing is written for a bad config.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use workloads::cell::Sharing;
use workloads::mode::ModeSpec;
use workloads::op::{OpKind, OPS};
use workloads::placement::Placement;
use workloads::style::{self, Style, STYLES};

/// A config that failed to load; its Display is the one-line message.
#[derive(thiserror::Error, Debug)]
#[error("{path}: {message}")]
pub struct ConfigError {
    path: String,
    message: String,
}

/// The largest value accepted for any count axis: beyond it a sweep would not
/// finish, or a ring could not hold it.
const MAX_COUNT: u32 = 1 << 20;

/// The most cells one config may expand to: beyond it a sweep would run for
/// weeks, and a typo in an axis should not read as a plan.
const MAX_CELLS: u64 = 100_000;

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Raw {
    styles: Vec<String>,
    modes: Vec<String>,
    ops: Vec<String>,
    groups: Vec<u32>,
    steps: Vec<u32>,
    batch: Vec<u32>,
    #[serde(default = "one")]
    submitters: Vec<u32>,
    #[serde(default = "per_submitter")]
    sharing: Vec<String>,
    #[serde(default = "no", rename = "async")]
    forced_async: Vec<bool>,
    /// Further grids, each taking the top level's value of an axis it omits.
    #[serde(default)]
    grid: Vec<RawGrid>,
    #[serde(default = "default_repetitions")]
    repetitions: u32,
    /// Default: [`DEFAULT_MIN_REPETITIONS`], or `repetitions` when fewer.
    min_repetitions: Option<u32>,
    #[serde(default = "default_precision")]
    precision: f64,
    #[serde(default = "default_warmup")]
    warmup: String,
    #[serde(default = "default_time_budget")]
    time_budget: String,
    #[serde(default = "default_rep_time")]
    rep_time: String,
    #[serde(default = "default_watchdog")]
    watchdog: String,
    #[serde(default = "default_ring_entries")]
    ring_entries: u32,
    #[serde(default = "yes")]
    profile: bool,
    #[serde(default)]
    placement: Option<toml::Value>,
    #[serde(default = "yes")]
    reference: bool,
}

/// A `[[grid]]` table: the axes it sets, the others taken from the top level.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct RawGrid {
    styles: Option<Vec<String>>,
    modes: Option<Vec<String>>,
    ops: Option<Vec<String>>,
    groups: Option<Vec<u32>>,
    steps: Option<Vec<u32>>,
    batch: Option<Vec<u32>>,
    submitters: Option<Vec<u32>>,
    sharing: Option<Vec<String>>,
    #[serde(rename = "async")]
    forced_async: Option<Vec<bool>>,
}

/// The axes of one grid as written, every one of them set.
struct RawAxes<'a> {
    styles: &'a [String],
    modes: &'a [String],
    ops: &'a [String],
    groups: &'a [u32],
    steps: &'a [u32],
    batch: &'a [u32],
    submitters: &'a [u32],
    sharing: &'a [String],
    forced_async: &'a [bool],
}

fn one() -> Vec<u32> {
    vec![1]
}
fn per_submitter() -> Vec<String> {
    vec![Sharing::PerSubmitter.name().into()]
}
fn no() -> Vec<bool> {
    vec![false]
}
fn yes() -> bool {
    true
}
/// The fewest repetitions a cell runs when the config does not say: below
/// five the bootstrap interval of the median is the samples' whole range,
/// which a few lucky repetitions can make look narrow.
const DEFAULT_MIN_REPETITIONS: u32 = 5;
/// Enough for the median's interval to narrow on a steady cell; the
/// precision or the budget usually stops a cell before.
fn default_repetitions() -> u32 {
    20
}
fn default_warmup() -> String {
    "30ms".into()
}
/// Five repetitions of the default `rep_time`.
fn default_time_budget() -> String {
    "250ms".into()
}
fn default_precision() -> f64 {
    0.01
}
/// Long enough for a repetition to average over the scheduler's and the
/// host's short disturbances.
fn default_rep_time() -> String {
    "50ms".into()
}
fn default_watchdog() -> String {
    "20s".into()
}
fn default_ring_entries() -> u32 {
    256
}

/// A style as selected by a config: the style and one of its variants.
#[derive(Clone)]
pub struct StyleChoice {
    /// The style.
    pub style: &'static dyn Style,
    /// The variant (empty when the style has none).
    pub variant: String,
}

/// One grid of a config: every combination of its axes is a cell.
#[derive(Clone)]
pub struct Grid {
    /// Styles (with variants) to sweep.
    pub styles: Vec<StyleChoice>,
    /// Modes to sweep.
    pub modes: Vec<ModeSpec>,
    /// Ops to sweep.
    pub ops: Vec<OpKind>,
    /// Whether steps are forced through io-wq, per value of the `async` axis.
    pub forced_async: Vec<bool>,
    /// Group counts.
    pub groups: Vec<u32>,
    /// Steps per group.
    pub steps: Vec<u32>,
    /// Steps per submission.
    pub batch: Vec<u32>,
    /// Submitter threads.
    pub submitters: Vec<u32>,
    /// How several submitters share rings.
    pub sharing: Vec<Sharing>,
}

impl Grid {
    /// How many cells the grid's axes make (before deduplication).
    fn cells(&self) -> u64 {
        [
            self.styles.len(),
            self.modes.len(),
            self.ops.len(),
            self.forced_async.len(),
            self.groups.len(),
            self.steps.len(),
            self.batch.len(),
            self.submitters.len(),
            self.sharing.len(),
        ]
        .iter()
        .fold(1u64, |n, &len| n.saturating_mul(len as u64))
    }
}

/// The default sweep, built into the binary: what `bench-runner sweep` runs
/// without a CONFIG and what `bench-runner init` writes.
pub const BUILT_IN: &str = include_str!("../../config.toml");

/// Where a config comes from: a file, the built-in default sweep, a study
/// or `advise`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A config file.
    File(std::path::PathBuf),
    /// [`BUILT_IN`].
    BuiltIn,
    /// The sweep of a shipped study (`crate::study`), with `--quick` or not.
    Study {
        /// The study's name.
        name: String,
        /// Five short repetitions per cell instead of the study's own.
        quick: bool,
    },
    /// `advise`'s sweep of one shape in every ordered style.
    Advise(crate::advise::AdviseShape),
}

impl ConfigSource {
    /// A file when one is given, the built-in default sweep otherwise.
    pub fn of(path: Option<std::path::PathBuf>) -> ConfigSource {
        path.map_or(ConfigSource::BuiltIn, ConfigSource::File)
    }

    /// The start of the command line that runs this config again.
    pub fn command(&self) -> Vec<String> {
        let mut cmd = vec!["bench-runner".to_string()];
        match self {
            ConfigSource::File(path) => cmd.extend(["sweep".into(), path.display().to_string()]),
            ConfigSource::BuiltIn => cmd.push("sweep".into()),
            ConfigSource::Study { name, quick } => {
                cmd.extend(["study".into(), name.clone()]);
                if *quick {
                    cmd.push("--quick".into());
                }
            }
            ConfigSource::Advise(shape) => cmd.extend(shape.args()),
        }
        cmd
    }
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::BuiltIn => f.write_str("the built-in default sweep"),
            ConfigSource::Study { name, .. } => write!(f, "study {name}"),
            ConfigSource::Advise(shape) => write!(f, "{shape}"),
        }
    }
}

/// A validated config.
#[derive(Clone)]
pub struct Config {
    /// sha256 of the config text: `--resume` refuses a results file written
    /// with another.
    pub hash: String,
    /// The grids to sweep: the top level's axes, then each `[[grid]]` table.
    pub grids: Vec<Grid>,
    /// Timing repetitions per cell (at most).
    pub repetitions: u32,
    /// Repetitions run even when the time budget is spent or the precision reached.
    pub min_repetitions: u32,
    /// Repetitions stop once the median's bootstrap 95% interval half-width
    /// is within this fraction of the median.
    pub precision: f64,
    /// Warm-up per cell before the first repetition.
    pub warmup: Duration,
    /// Time per cell after which no further repetition starts (beyond the minimum).
    pub time_budget: Duration,
    /// Target duration of one repetition (sets passes per repetition).
    pub rep_time: Duration,
    /// A pass that takes longer than this is ended and recorded as failed.
    pub watchdog: Duration,
    /// SQ entries per ring.
    pub ring_entries: u32,
    /// Whether to run the profile pass after the timing pass.
    pub profile: bool,
    /// Where the threads of every cell run.
    pub placement: Placement,
    /// Whether to run the raw reference loop beside every cell that has one.
    pub reference: bool,
}

/// Parses `250ms`, `2s`, `1.5s`, `3m`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.trim().parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        _ => return None,
    };
    let secs = value * scale;
    (secs.is_finite() && (0.0..=86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The key assigned on line `n` (1-based), to name it in type errors.
fn key_on_line(text: &str, n: usize) -> Option<&str> {
    let (key, _) = text.lines().nth(n - 1)?.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(key)
}

impl Config {
    /// Reads and validates a config from where it comes from.
    pub fn from_source(source: &ConfigSource) -> Result<Config, ConfigError> {
        match source {
            ConfigSource::File(path) => Config::load(path),
            ConfigSource::BuiltIn => Config::parse(BUILT_IN).map_err(|message| ConfigError {
                path: source.to_string(),
                message,
            }),
            ConfigSource::Study { name, quick } => crate::study::find(name)
                .ok_or_else(|| format!("unknown study (known: {})", crate::study::names()))
                .and_then(|study| study.config(*quick))
                .map_err(|message| ConfigError {
                    path: source.to_string(),
                    message,
                }),
            ConfigSource::Advise(shape) => {
                Config::parse(&shape.config_text()).map_err(|message| ConfigError {
                    path: source.to_string(),
                    message,
                })
            }
        }
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        Config::parse(&text).map_err(err)
    }

    /// Parses and validates config text; `Err` is the message without the path.
    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                // A missing key spans the whole document (or none of it): no line.
                .filter(|s| s.start > 0 || (s.end > 0 && s.end < text.trim_end().len()))
                .map(|s| {
                    let n = line_of(text, s.start);
                    match key_on_line(text, n) {
                        Some(key) => format!("line {n}: {key}: "),
                        None => format!("line {n}: "),
                    }
                })
                .unwrap_or_default();
            format!("{line}{}", e.message().replace('\n', " ").trim())
        })?;
        raw.validate(format!("{:x}", Sha256::digest(text.as_bytes())))
    }
}

fn nonempty<T>(key: &str, values: &[T]) -> Result<(), String> {
    if values.is_empty() {
        Err(format!("{key}: must list at least one value"))
    } else {
        Ok(())
    }
}

fn counts(key: &str, values: &[u32], max: u32) -> Result<Vec<u32>, String> {
    nonempty(key, values)?;
    for &v in values {
        if v == 0 {
            return Err(format!("{key}: 0 is not allowed (1 to {max})"));
        }
        if v > max {
            return Err(format!("{key}: {v} is too large (1 to {max})"));
        }
    }
    Ok(values.to_vec())
}

fn max(values: &[u32]) -> u32 {
    values.iter().copied().max().unwrap_or(0)
}

fn duration(key: &str, text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| {
        format!("{key}: `{text}` is not a duration (e.g. \"250ms\", \"2s\", \"1m\"; at most 24 h)")
    })
}

fn style_choices(names: &[String]) -> Result<Vec<StyleChoice>, String> {
    nonempty("styles", names)?;
    let allowed = || {
        STYLES
            .iter()
            .flat_map(|s| {
                std::iter::once(s.name().to_string()).chain(
                    s.variants()
                        .iter()
                        .map(move |v| format!("{}:{v}", s.name())),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    for name in names {
        let (base, variant) = name.split_once(':').unwrap_or((name, ""));
        let style = style::find(base)
            .ok_or_else(|| format!("styles: unknown style `{name}` (allowed: {})", allowed()))?;
        match (variant, style.variants()) {
            // `style:` names no variant; it is a typo, not "every variant".
            ("", _) if name.ends_with(':') => {
                return Err(format!(
                    "styles: unknown style `{name}` (allowed: {})",
                    allowed()
                ))
            }
            ("", []) => out.push(StyleChoice {
                style,
                variant: String::new(),
            }),
            ("", variants) => out.extend(variants.iter().map(|v| StyleChoice {
                style,
                variant: v.to_string(),
            })),
            (v, variants) if variants.contains(&v) => out.push(StyleChoice {
                style,
                variant: v.to_string(),
            }),
            _ => {
                return Err(format!(
                    "styles: unknown style `{name}` (allowed: {})",
                    allowed()
                ))
            }
        }
    }
    Ok(out)
}

/// The `modes` axis: every name a known mode.
fn mode_choices(names: &[String]) -> Result<Vec<ModeSpec>, String> {
    nonempty("modes", names)?;
    names
        .iter()
        .map(|m| {
            ModeSpec::parse(m).ok_or_else(|| {
                format!(
                    "modes: unknown mode `{m}` (allowed: {})",
                    ModeSpec::allowed().join(", ")
                )
            })
        })
        .collect()
}

/// The `ops` axis: every name a known op.
fn op_choices(names: &[String]) -> Result<Vec<OpKind>, String> {
    nonempty("ops", names)?;
    names
        .iter()
        .map(|o| {
            OpKind::parse(o).ok_or_else(|| {
                let names: Vec<_> = OPS.iter().map(|o| o.name()).collect();
                format!("ops: unknown op `{o}` (allowed: {})", names.join(", "))
            })
        })
        .collect()
}

/// The `sharing` axis: every value `per-submitter` or `shared`.
fn sharing_choices(values: &[String]) -> Result<Vec<Sharing>, String> {
    nonempty("sharing", values)?;
    values
        .iter()
        .map(|s| match s.as_str() {
            "per-submitter" => Ok(Sharing::PerSubmitter),
            "shared" => Ok(Sharing::Shared),
            _ => Err(format!(
                "sharing: unknown value `{s}` (allowed: per-submitter, shared)"
            )),
        })
        .collect()
}

/// The most groups times the most steps is at most `MAX_COUNT` steps per pass.
fn steps_per_pass_fit(groups: &[u32], steps: &[u32]) -> Result<(), String> {
    let (most_groups, most_steps) = (max(groups), max(steps));
    if u64::from(most_groups) * u64::from(most_steps) > u64::from(MAX_COUNT) {
        return Err(format!(
            "groups, steps: {most_groups} groups of {most_steps} steps is too many steps per pass (at most {MAX_COUNT})"
        ));
    }
    Ok(())
}

/// Every batch is one submission of whole steps: all their SQEs fit the SQ of
/// `ring_entries`, for the op with the most SQEs per step.
fn batch_fits_ring(batch: &[u32], ops: &[OpKind], ring_entries: u32) -> Result<(), String> {
    if let Some(b) = batch.iter().find(|&&b| b > ring_entries) {
        return Err(format!(
            "batch: {b} is larger than the ring (ring_entries = {ring_entries})"
        ));
    }
    let widest = ops.iter().copied().max_by_key(|o| o.parts());
    if let Some(op) = widest.filter(|o| o.parts() > 1) {
        let parts = op.parts();
        if let Some(b) = batch.iter().find(|&&b| b * parts > ring_entries) {
            return Err(format!(
                "batch: {b} steps of {} ({parts} SQEs each) do not fit the ring (ring_entries = {ring_entries})",
                op.name()
            ));
        }
    }
    Ok(())
}

/// Every submitter count has at least one group per submitter at every group
/// count.
fn groups_cover_submitters(submitters: &[u32], groups: &[u32]) -> Result<(), String> {
    if let Some((s, g)) = submitters
        .iter()
        .flat_map(|&s| groups.iter().map(move |&g| (s, g)))
        .find(|(s, g)| s > g)
    {
        return Err(format!(
            "submitters: {s} submitters cannot share {g} group(s) (each needs at least one)"
        ));
    }
    Ok(())
}

/// What `placement` accepts, for its error messages.
const PLACEMENT_FORMS: &str =
    "\"spread\", or a table such as { submitters = [0], sqpoll = 1, helpers = [1] }";

/// A CPU number of a placement key.
fn cpu_number(key: &str, value: &toml::Value) -> Result<usize, String> {
    value
        .as_integer()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("placement.{key}: `{value}` is not a CPU number"))
}

/// A list of CPU numbers of a placement key.
fn cpu_numbers(key: &str, value: &toml::Value) -> Result<Vec<usize>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("placement.{key}: must be a list of CPU numbers, e.g. [0, 1]"))?
        .iter()
        .map(|v| cpu_number(key, v))
        .collect()
}

/// `placement`: absent or `"spread"` spreads every role over the CPUs this
/// process may use; a table declares the CPUs of some roles.
fn placement(value: Option<&toml::Value>) -> Result<Placement, String> {
    let table = match value {
        None => return Placement::spread().map_err(|e| e.to_string()),
        Some(toml::Value::String(s)) if s == "spread" => {
            return Placement::spread().map_err(|e| e.to_string())
        }
        Some(toml::Value::Table(table)) => table,
        Some(other) => {
            return Err(format!(
                "placement: `{other}` is not a placement (allowed: {PLACEMENT_FORMS})"
            ))
        }
    };
    if let Some(key) = table
        .keys()
        .find(|k| !["submitters", "sqpoll", "helpers"].contains(&k.as_str()))
    {
        return Err(format!(
            "placement: unknown key `{key}` (allowed: submitters, sqpoll, helpers)"
        ));
    }
    let list = |key| table.get(key).map(|v| cpu_numbers(key, v)).transpose();
    let sqpoll = table
        .get("sqpoll")
        .map(|v| cpu_number("sqpoll", v))
        .transpose()?;
    Placement::declared(list("submitters")?, sqpoll, list("helpers")?).map_err(|e| e.to_string())
}

impl RawAxes<'_> {
    /// Validates the axes of one grid; `ring_entries` bounds the batch.
    fn validate(&self, ring_entries: u32) -> Result<Grid, String> {
        let styles = style_choices(self.styles)?;
        let modes = mode_choices(self.modes)?;
        let ops = op_choices(self.ops)?;
        nonempty("async", self.forced_async)?;
        let sharing = sharing_choices(self.sharing)?;
        let groups = counts("groups", self.groups, MAX_COUNT)?;
        let max_steps = ops.iter().map(|o| o.max_steps()).min().unwrap_or(MAX_COUNT);
        let steps = counts("steps", self.steps, MAX_COUNT.min(max_steps))?;
        steps_per_pass_fit(&groups, &steps)?;
        let batch = counts("batch", self.batch, MAX_COUNT)?;
        batch_fits_ring(&batch, &ops, ring_entries)?;
        let submitters = counts("submitters", self.submitters, 64)?;
        groups_cover_submitters(&submitters, &groups)?;
        Ok(Grid {
            styles,
            modes,
            ops,
            forced_async: self.forced_async.to_vec(),
            groups,
            steps,
            batch,
            submitters,
            sharing,
        })
    }
}

impl Raw {
    /// The top level's axes, with those a `[[grid]]` table sets replacing them.
    fn axes<'a>(&'a self, grid: &'a RawGrid) -> RawAxes<'a> {
        RawAxes {
            styles: grid.styles.as_deref().unwrap_or(&self.styles),
            modes: grid.modes.as_deref().unwrap_or(&self.modes),
            ops: grid.ops.as_deref().unwrap_or(&self.ops),
            groups: grid.groups.as_deref().unwrap_or(&self.groups),
            steps: grid.steps.as_deref().unwrap_or(&self.steps),
            batch: grid.batch.as_deref().unwrap_or(&self.batch),
            submitters: grid.submitters.as_deref().unwrap_or(&self.submitters),
            sharing: grid.sharing.as_deref().unwrap_or(&self.sharing),
            forced_async: grid.forced_async.as_deref().unwrap_or(&self.forced_async),
        }
    }

    fn validate(self, hash: String) -> Result<Config, String> {
        if !self.ring_entries.is_power_of_two() || !(8..=32768).contains(&self.ring_entries) {
            return Err(format!(
                "ring_entries: {} must be a power of two from 8 to 32768",
                self.ring_entries
            ));
        }
        let top = RawGrid::default();
        let mut grids = vec![self.axes(&top).validate(self.ring_entries)?];
        for (i, grid) in self.grid.iter().enumerate() {
            let validated = self
                .axes(grid)
                .validate(self.ring_entries)
                .map_err(|e| format!("grid {}: {e}", i + 1))?;
            grids.push(validated);
        }
        let cells = grids.iter().fold(0u64, |n, g| n.saturating_add(g.cells()));
        if cells > MAX_CELLS {
            return Err(format!(
                "the axes make {cells} cells (at most {MAX_CELLS}): split the sweep into several configs"
            ));
        }
        if self.repetitions == 0 || self.repetitions > 10_000 {
            return Err(format!(
                "repetitions: {} is out of range (1 to 10000)",
                self.repetitions
            ));
        }
        let min_repetitions = self
            .min_repetitions
            .unwrap_or(DEFAULT_MIN_REPETITIONS.min(self.repetitions));
        if min_repetitions == 0 || min_repetitions > self.repetitions {
            return Err(format!(
                "min_repetitions: {min_repetitions} must be from 1 to repetitions ({})",
                self.repetitions
            ));
        }
        if !(self.precision > 0.0 && self.precision <= 1.0) {
            return Err(format!(
                "precision: {} must be above 0 and at most 1 (0.01 = 1%)",
                self.precision
            ));
        }
        let watchdog = duration("watchdog", &self.watchdog)?;
        if watchdog < Duration::from_millis(100) {
            return Err("watchdog: must be at least 100ms".into());
        }
        Ok(Config {
            hash,
            grids,
            repetitions: self.repetitions,
            min_repetitions,
            precision: self.precision,
            warmup: duration("warmup", &self.warmup)?,
            time_budget: duration("time_budget", &self.time_budget)?,
            rep_time: duration("rep_time", &self.rep_time)?,
            watchdog,
            ring_entries: self.ring_entries,
            profile: self.profile,
            placement: placement(self.placement.as_ref())?,
            reference: self.reference,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("2"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("2h"), None);
    }
}
