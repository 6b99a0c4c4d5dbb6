//! The sweep configuration (TOML): the axes to sweep and how to measure. Every
//! way a config can be wrong ends in one line naming the key and what is
//! allowed; nothing is run and nothing is written for a bad config.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use workloads::cell::Sharing;
use workloads::mode::ModeSpec;
use workloads::op::{OpKind, DEFAULT_FSYNC_DIR, OPS};
use workloads::placement::{Placement, PlacementError};
use workloads::style::{self, Style, STYLES};

/// A config that failed to load: where it came from (a path, or the source
/// it was built from) and what is wrong with it; its Display is the one line
/// `ORIGIN: PROBLEM`.
#[derive(thiserror::Error, Debug)]
#[error("{origin}: {problem}")]
pub struct ConfigError {
    /// The file, or the source the config was built from.
    pub origin: String,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a config, each kind with the one line that says so:
/// the key, the value and what is allowed. A TOML error keeps the line it
/// was found on.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum Problem {
    /// The file could not be read.
    #[error("{0}")]
    Unreadable(String),
    /// The file is not UTF-8, from this byte on.
    #[error("not valid UTF-8 (byte {0})")]
    NotUtf8(usize),
    /// The TOML parser's message: syntax, a type, an unknown or missing
    /// key; with the line (and the key assigned there) when it has one.
    #[error("{}{message}", at(*.line, .key.as_deref()))]
    Toml {
        /// The line the parser points at.
        line: Option<usize>,
        /// The key assigned on that line.
        key: Option<String>,
        /// What the parser says, on one line.
        message: String,
    },
    /// An axis or list with no value.
    #[error("{key}: must list at least one value")]
    Empty {
        /// The key.
        key: &'static str,
    },
    /// A count of zero.
    #[error("{key}: 0 is not allowed (1 to {max})")]
    Zero {
        /// The key.
        key: &'static str,
        /// The largest value allowed.
        max: u32,
    },
    /// A count over its limit.
    #[error("{key}: {value} is too large (1 to {max})")]
    TooLarge {
        /// The key.
        key: &'static str,
        /// The value given.
        value: u32,
        /// The largest value allowed.
        max: u32,
    },
    /// A duration that does not parse, or is negative or over a day.
    #[error("{key}: `{text}` is not a duration (e.g. \"250ms\", \"2s\", \"1m\"; at most 24 h)")]
    NotADuration {
        /// The key.
        key: &'static str,
        /// The text given.
        text: String,
    },
    /// A style (or style:variant) the registry does not have.
    #[error("styles: unknown style `{name}` (allowed: {allowed})")]
    UnknownStyle {
        /// The name given.
        name: String,
        /// Every style and variant, comma-separated.
        allowed: String,
    },
    /// A mode that does not exist.
    #[error("modes: unknown mode `{name}` (allowed: {allowed})")]
    UnknownMode {
        /// The name given.
        name: String,
        /// Every mode, comma-separated.
        allowed: String,
    },
    /// An op that does not exist.
    #[error("ops: unknown op `{name}` (allowed: {allowed})")]
    UnknownOp {
        /// The name given.
        name: String,
        /// Every op, comma-separated.
        allowed: String,
    },
    /// A `sharing` value other than per-submitter and shared.
    #[error("sharing: unknown value `{value}` (allowed: per-submitter, shared)")]
    UnknownSharing {
        /// The value given.
        value: String,
    },
    /// More steps in one pass than [`MAX_COUNT`].
    #[error("groups, steps: {groups} groups of {steps} steps is too many steps per pass (at most {MAX_COUNT})")]
    TooManyStepsPerPass {
        /// The most groups.
        groups: u32,
        /// The most steps.
        steps: u32,
    },
    /// A batch larger than the ring.
    #[error("batch: {batch} is larger than the ring (ring_entries = {ring_entries})")]
    BatchOverRing {
        /// The batch.
        batch: u32,
        /// The ring's entries.
        ring_entries: u32,
    },
    /// A batch of steps of several SQEs whose SQEs do not fit the ring.
    #[error("batch: {batch} steps of {op} ({parts} SQEs each) do not fit the ring (ring_entries = {ring_entries})")]
    StepsOverRing {
        /// The batch.
        batch: u32,
        /// The op with the most SQEs per step.
        op: &'static str,
        /// Its SQEs per step.
        parts: u32,
        /// The ring's entries.
        ring_entries: u32,
    },
    /// More submitters than groups.
    #[error("submitters: {submitters} submitters cannot share {groups} group(s) (each needs at least one)")]
    SubmittersOverGroups {
        /// The submitters.
        submitters: u32,
        /// The groups.
        groups: u32,
    },
    /// A placement key's value that is not a CPU number.
    #[error("placement.{key}: `{value}` is not a CPU number")]
    NotACpu {
        /// The placement key.
        key: &'static str,
        /// The value given, as TOML.
        value: String,
    },
    /// A placement key's value that is not a list.
    #[error("placement.{key}: must be a list of CPU numbers, e.g. [0, 1]")]
    NotACpuList {
        /// The placement key.
        key: &'static str,
    },
    /// A `placement` that is neither "spread" nor a table.
    #[error("placement: `{value}` is not a placement (allowed: {PLACEMENT_FORMS})")]
    NotAPlacement {
        /// The value given, as TOML.
        value: String,
    },
    /// A placement table's key that is no thread role.
    #[error("placement: unknown key `{key}` (allowed: submitters, sqpoll, helpers)")]
    UnknownPlacementKey {
        /// The key given.
        key: String,
    },
    /// CPUs the process may not use, or cannot find out.
    #[error(transparent)]
    Placement(#[from] PlacementError),
    /// A problem of one `[[grid]]` table (numbered from 1).
    #[error("grid {grid}: {problem}")]
    InGrid {
        /// The grid's number.
        grid: usize,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// More cells than [`MAX_CELLS`].
    #[error(
        "the axes make {cells} cells (at most {MAX_CELLS}): split the sweep into several configs"
    )]
    TooManyCells {
        /// How many the axes make.
        cells: u64,
    },
    /// A ring size the kernel does not take.
    #[error("ring_entries: {0} must be a power of two from 8 to 32768")]
    RingEntries(u32),
    /// Repetitions out of range.
    #[error("repetitions: {0} is out of range (1 to 10000)")]
    Repetitions(u32),
    /// Minimum repetitions out of range.
    #[error("min_repetitions: {min} must be from 1 to repetitions ({repetitions})")]
    MinRepetitions {
        /// The minimum given (or its default).
        min: u32,
        /// The repetitions.
        repetitions: u32,
    },
    /// A precision that is no fraction.
    #[error("precision: {0} must be above 0 and at most 1 (0.01 = 1%)")]
    Precision(f64),
    /// A watchdog too short to tell a hang from a pass.
    #[error("watchdog: must be at least 100ms")]
    WatchdogTooShort,
    /// An `fsync_dir` that names no directory.
    #[error("fsync_dir: must name a directory")]
    EmptyFsyncDir,
    /// A study that is not shipped.
    #[error("unknown study (known: {known})")]
    UnknownStudy {
        /// The shipped studies, comma-separated.
        known: String,
    },
}

/// The `line N: KEY: ` prefix of a TOML error, as much of it as is known.
fn at(line: Option<usize>, key: Option<&str>) -> String {
    match (line, key) {
        (Some(n), Some(key)) => format!("line {n}: {key}: "),
        (Some(n), None) => format!("line {n}: "),
        (None, _) => String::new(),
    }
}

impl Problem {
    /// The problem of a config read from `origin`.
    pub fn of(self, origin: impl ToString) -> ConfigError {
        ConfigError {
            origin: origin.to_string(),
            problem: self,
        }
    }

    /// The TOML parser's error on `text`, with the line it points at.
    pub fn toml(e: &toml::de::Error, text: &str) -> Problem {
        let line = e
            .span()
            // A missing key spans the whole document (or none of it): no line.
            .filter(|s| s.start > 0 || (s.end > 0 && s.end < text.trim_end().len()))
            .map(|s| line_of(text, s.start));
        let message = e.message().replace('\n', " ").trim().to_string();
        // A message that already opens with its key (a study's own checks) keeps it once.
        let key = line
            .and_then(|n| key_on_line(text, n))
            .filter(|key| !message.starts_with(&format!("{key}: ")));
        Problem::Toml {
            line,
            key: key.map(str::to_string),
            message,
        }
    }
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
    /// Default: [`DEFAULT_FSYNC_DIR`].
    fsync_dir: Option<String>,
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

    /// Checks the grid's counts against each other and the ring: every
    /// axis has a value, every count is within its limit, a pass's steps,
    /// a batch's SQEs and the submitters' groups fit.
    pub fn check(&self, ring_entries: u32) -> Result<(), Problem> {
        nonempty("styles", &self.styles)?;
        nonempty("modes", &self.modes)?;
        nonempty("ops", &self.ops)?;
        nonempty("async", &self.forced_async)?;
        nonempty("sharing", &self.sharing)?;
        counts("groups", &self.groups, MAX_COUNT)?;
        let max_steps = self
            .ops
            .iter()
            .map(|o| o.max_steps())
            .min()
            .unwrap_or(MAX_COUNT);
        counts("steps", &self.steps, MAX_COUNT.min(max_steps))?;
        steps_per_pass_fit(&self.groups, &self.steps)?;
        counts("batch", &self.batch, MAX_COUNT)?;
        batch_fits_ring(&self.batch, &self.ops, ring_entries)?;
        counts("submitters", &self.submitters, 64)?;
        groups_cover_submitters(&self.submitters, &self.groups)
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
    /// A family's repetitions stop once the bootstrap 95% interval of every
    /// ratio it publishes (or, with none, of each cell's median) is within
    /// this fraction of its centre (`stopping.rs`).
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
    /// Where the `fsync` op writes its files: the config's `fsync_dir`, or
    /// [`DEFAULT_FSYNC_DIR`]; [`FSYNC_DIR_VAR`] overrides both
    /// ([`Config::override_fsync_dir`]).
    pub fsync_dir: PathBuf,
}

/// The environment variable that overrides a config's `fsync_dir`.
pub const FSYNC_DIR_VAR: &str = "URING_SYNCBENCH_FSYNC_DIR";

/// The fsync directory where no config says one (`list`): [`FSYNC_DIR_VAR`]
/// when it is set, else [`DEFAULT_FSYNC_DIR`].
pub fn fsync_dir_without_config() -> PathBuf {
    std::env::var_os(FSYNC_DIR_VAR)
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_FSYNC_DIR), PathBuf::from)
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
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display();
        let bytes =
            std::fs::read(path).map_err(|e| Problem::Unreadable(e.to_string()).of(&origin))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| Problem::NotUtf8(e.utf8_error().valid_up_to()).of(&origin))?;
        Config::parse(&text).map_err(|p| p.of(&origin))
    }

    /// Parses and validates config text, hashed as written.
    pub fn parse(text: &str) -> Result<Config, Problem> {
        let raw: Raw = toml::from_str(text).map_err(|e| Problem::toml(&e, text))?;
        raw.validate(format!("{:x}", Sha256::digest(text.as_bytes())))
    }

    /// Validates a config the TOML parser already read into a table (a
    /// study's sweep, the rest of its file), hashed by the table's own TOML
    /// text, so that the study's question is not part of its hash.
    pub fn from_table(table: toml::Table) -> Result<Config, Problem> {
        let hash = format!("{:x}", Sha256::digest(table.to_string().as_bytes()));
        let raw = Raw::deserialize(toml::Value::Table(table)).map_err(|e| Problem::Toml {
            line: None,
            key: None,
            message: e.message().replace('\n', " ").trim().to_string(),
        })?;
        raw.validate(hash)
    }

    /// A config of one grid built in code (`advise`), with every setting
    /// of how to measure that `measure` does not change at its default.
    pub fn of_grid(
        hash: String,
        grid: Grid,
        measure: impl FnOnce(&mut Config),
    ) -> Result<Config, Problem> {
        let mut config = Config {
            hash,
            grids: vec![grid],
            repetitions: default_repetitions(),
            min_repetitions: DEFAULT_MIN_REPETITIONS,
            precision: default_precision(),
            warmup: duration("warmup", &default_warmup())?,
            time_budget: duration("time_budget", &default_time_budget())?,
            rep_time: duration("rep_time", &default_rep_time())?,
            watchdog: duration("watchdog", &default_watchdog())?,
            ring_entries: default_ring_entries(),
            profile: yes(),
            placement: placement(None)?,
            reference: yes(),
            fsync_dir: PathBuf::from(DEFAULT_FSYNC_DIR),
        };
        measure(&mut config);
        config.grids[0].check(config.ring_entries)?;
        Ok(config)
    }
}

impl Config {
    /// Writes the fsync files in `dir` instead of the config's directory
    /// (what [`FSYNC_DIR_VAR`] asks), and says so in the hash: a run in
    /// another directory, on another disk perhaps, is another run, which
    /// `--resume` refuses to continue.
    pub fn override_fsync_dir(&mut self, dir: PathBuf) {
        self.hash = format!(
            "{:x}",
            Sha256::digest(format!("{} fsync_dir={}", self.hash, dir.display()))
        );
        self.fsync_dir = dir;
    }
}

fn nonempty<T>(key: &'static str, values: &[T]) -> Result<(), Problem> {
    if values.is_empty() {
        Err(Problem::Empty { key })
    } else {
        Ok(())
    }
}

fn counts(key: &'static str, values: &[u32], max: u32) -> Result<(), Problem> {
    nonempty(key, values)?;
    for &value in values {
        if value == 0 {
            return Err(Problem::Zero { key, max });
        }
        if value > max {
            return Err(Problem::TooLarge { key, value, max });
        }
    }
    Ok(())
}

fn max(values: &[u32]) -> u32 {
    values.iter().copied().max().unwrap_or(0)
}

fn duration(key: &'static str, text: &str) -> Result<Duration, Problem> {
    parse_duration(text).ok_or_else(|| Problem::NotADuration {
        key,
        text: text.to_string(),
    })
}

/// Every style and variant a config may name, for its error message.
fn allowed_styles() -> String {
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
}

/// The styles a style name selects: the one variant it names, or every
/// variant of a style named alone.
pub fn style_choices(name: &str) -> Result<Vec<StyleChoice>, Problem> {
    let unknown = || Problem::UnknownStyle {
        name: name.to_string(),
        allowed: allowed_styles(),
    };
    let (base, variant) = name.split_once(':').unwrap_or((name, ""));
    let style = style::find(base).ok_or_else(unknown)?;
    let choice = |v: &str| StyleChoice {
        style,
        variant: v.to_string(),
    };
    match (variant, style.variants()) {
        // `style:` names no variant; it is a typo, not "every variant".
        ("", _) if name.ends_with(':') => Err(unknown()),
        ("", []) => Ok(vec![choice("")]),
        ("", variants) => Ok(variants.iter().map(|v| choice(v)).collect()),
        (v, variants) if variants.contains(&v) => Ok(vec![choice(v)]),
        _ => Err(unknown()),
    }
}

/// A mode by its config name.
pub fn mode_choice(name: &str) -> Result<ModeSpec, Problem> {
    ModeSpec::parse(name).ok_or_else(|| Problem::UnknownMode {
        name: name.to_string(),
        allowed: ModeSpec::allowed().join(", "),
    })
}

/// An op by its config name.
pub fn op_choice(name: &str) -> Result<OpKind, Problem> {
    OpKind::parse(name).ok_or_else(|| Problem::UnknownOp {
        name: name.to_string(),
        allowed: OPS.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "),
    })
}

/// A `sharing` value: `per-submitter` or `shared`.
pub fn sharing_choice(value: &str) -> Result<Sharing, Problem> {
    match value {
        "per-submitter" => Ok(Sharing::PerSubmitter),
        "shared" => Ok(Sharing::Shared),
        _ => Err(Problem::UnknownSharing {
            value: value.to_string(),
        }),
    }
}

/// The most groups times the most steps is at most `MAX_COUNT` steps per pass.
fn steps_per_pass_fit(groups: &[u32], steps: &[u32]) -> Result<(), Problem> {
    let (groups, steps) = (max(groups), max(steps));
    if u64::from(groups) * u64::from(steps) > u64::from(MAX_COUNT) {
        return Err(Problem::TooManyStepsPerPass { groups, steps });
    }
    Ok(())
}

/// Every batch is one submission of whole steps: all their SQEs fit the SQ of
/// `ring_entries`, for the op with the most SQEs per step.
fn batch_fits_ring(batch: &[u32], ops: &[OpKind], ring_entries: u32) -> Result<(), Problem> {
    if let Some(&b) = batch.iter().find(|&&b| b > ring_entries) {
        return Err(Problem::BatchOverRing {
            batch: b,
            ring_entries,
        });
    }
    let widest = ops.iter().copied().max_by_key(|o| o.parts());
    if let Some(op) = widest.filter(|o| o.parts() > 1) {
        let parts = op.parts();
        if let Some(&b) = batch.iter().find(|&&b| b * parts > ring_entries) {
            return Err(Problem::StepsOverRing {
                batch: b,
                op: op.name(),
                parts,
                ring_entries,
            });
        }
    }
    Ok(())
}

/// Every submitter count has at least one group per submitter at every group
/// count.
fn groups_cover_submitters(submitters: &[u32], groups: &[u32]) -> Result<(), Problem> {
    match submitters
        .iter()
        .flat_map(|&s| groups.iter().map(move |&g| (s, g)))
        .find(|(s, g)| s > g)
    {
        Some((submitters, groups)) => Err(Problem::SubmittersOverGroups { submitters, groups }),
        None => Ok(()),
    }
}

/// What `placement` accepts, for its error messages.
const PLACEMENT_FORMS: &str =
    "\"spread\", or a table such as { submitters = [0], sqpoll = 1, helpers = [1] }";

/// A CPU number of a placement key.
fn cpu_number(key: &'static str, value: &toml::Value) -> Result<usize, Problem> {
    value
        .as_integer()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Problem::NotACpu {
            key,
            value: value.to_string(),
        })
}

/// A list of CPU numbers of a placement key.
fn cpu_numbers(key: &'static str, value: &toml::Value) -> Result<Vec<usize>, Problem> {
    value
        .as_array()
        .ok_or(Problem::NotACpuList { key })?
        .iter()
        .map(|v| cpu_number(key, v))
        .collect()
}

/// `placement`: absent or `"spread"` spreads every role over the CPUs this
/// process may use; a table declares the CPUs of some roles.
fn placement(value: Option<&toml::Value>) -> Result<Placement, Problem> {
    let table = match value {
        None => return Ok(Placement::spread()?),
        Some(toml::Value::String(s)) if s == "spread" => return Ok(Placement::spread()?),
        Some(toml::Value::Table(table)) => table,
        Some(other) => {
            return Err(Problem::NotAPlacement {
                value: other.to_string(),
            })
        }
    };
    if let Some(key) = table
        .keys()
        .find(|k| !["submitters", "sqpoll", "helpers"].contains(&k.as_str()))
    {
        return Err(Problem::UnknownPlacementKey { key: key.clone() });
    }
    let list = |key| table.get(key).map(|v| cpu_numbers(key, v)).transpose();
    let sqpoll = table
        .get("sqpoll")
        .map(|v| cpu_number("sqpoll", v))
        .transpose()?;
    Ok(Placement::declared(
        list("submitters")?,
        sqpoll,
        list("helpers")?,
    )?)
}

impl RawAxes<'_> {
    /// Validates the axes of one grid; `ring_entries` bounds the batch.
    fn validate(&self, ring_entries: u32) -> Result<Grid, Problem> {
        nonempty("styles", self.styles)?;
        let mut styles = Vec::new();
        for name in self.styles {
            styles.extend(style_choices(name)?);
        }
        nonempty("modes", self.modes)?;
        let modes = self
            .modes
            .iter()
            .map(|m| mode_choice(m))
            .collect::<Result<_, _>>()?;
        nonempty("ops", self.ops)?;
        let ops = self
            .ops
            .iter()
            .map(|o| op_choice(o))
            .collect::<Result<_, _>>()?;
        nonempty("async", self.forced_async)?;
        nonempty("sharing", self.sharing)?;
        let sharing = self
            .sharing
            .iter()
            .map(|s| sharing_choice(s))
            .collect::<Result<_, _>>()?;
        let grid = Grid {
            styles,
            modes,
            ops,
            forced_async: self.forced_async.to_vec(),
            groups: self.groups.to_vec(),
            steps: self.steps.to_vec(),
            batch: self.batch.to_vec(),
            submitters: self.submitters.to_vec(),
            sharing,
        };
        grid.check(ring_entries)?;
        Ok(grid)
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

    fn validate(self, hash: String) -> Result<Config, Problem> {
        if !self.ring_entries.is_power_of_two() || !(8..=32768).contains(&self.ring_entries) {
            return Err(Problem::RingEntries(self.ring_entries));
        }
        let top = RawGrid::default();
        let mut grids = vec![self.axes(&top).validate(self.ring_entries)?];
        for (i, grid) in self.grid.iter().enumerate() {
            let validated = self
                .axes(grid)
                .validate(self.ring_entries)
                .map_err(|problem| Problem::InGrid {
                    grid: i + 1,
                    problem: Box::new(problem),
                })?;
            grids.push(validated);
        }
        let cells = grids.iter().fold(0u64, |n, g| n.saturating_add(g.cells()));
        if cells > MAX_CELLS {
            return Err(Problem::TooManyCells { cells });
        }
        if self.repetitions == 0 || self.repetitions > 10_000 {
            return Err(Problem::Repetitions(self.repetitions));
        }
        let min_repetitions = self
            .min_repetitions
            .unwrap_or(DEFAULT_MIN_REPETITIONS.min(self.repetitions));
        if min_repetitions == 0 || min_repetitions > self.repetitions {
            return Err(Problem::MinRepetitions {
                min: min_repetitions,
                repetitions: self.repetitions,
            });
        }
        if !(self.precision > 0.0 && self.precision <= 1.0) {
            return Err(Problem::Precision(self.precision));
        }
        let watchdog = duration("watchdog", &self.watchdog)?;
        if watchdog < Duration::from_millis(100) {
            return Err(Problem::WatchdogTooShort);
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
            fsync_dir: match self.fsync_dir.as_deref() {
                None => PathBuf::from(DEFAULT_FSYNC_DIR),
                Some("") => return Err(Problem::EmptyFsyncDir),
                Some(dir) => PathBuf::from(dir),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FSYNC: &str = "styles = [\"link\"]\nmodes = [\"default\"]\nops = [\"fsync\"]\n\
                         groups = [1]\nsteps = [2]\nbatch = [2]\n";

    #[test]
    fn the_fsync_dir_is_a_config_key_its_cells_carry_and_its_hash_holds() {
        let default = Config::parse(FSYNC).unwrap();
        assert_eq!(default.fsync_dir, Path::new(DEFAULT_FSYNC_DIR));
        let keyed = Config::parse(&format!("{FSYNC}fsync_dir = \"/mnt/xfs\"\n")).unwrap();
        assert_eq!(keyed.fsync_dir, Path::new("/mnt/xfs"));
        assert_ne!(keyed.hash, default.hash);
        let cells = crate::plan::plan(&keyed, None);
        assert!(cells
            .iter()
            .all(|c| c.spec.fsync_dir == Path::new("/mnt/xfs")));
        let needs = cells[0].spec.needs().unwrap();
        assert!(needs.contains(&workloads::probe::Need::DurableDir("/mnt/xfs".into())));

        let mut overridden = Config::parse(FSYNC).unwrap();
        overridden.override_fsync_dir("/mnt/ext4".into());
        assert_eq!(overridden.fsync_dir, Path::new("/mnt/ext4"));
        assert_ne!(
            overridden.hash, default.hash,
            "a resume elsewhere is refused"
        );

        let empty = Config::parse(&format!("{FSYNC}fsync_dir = \"\"\n")).err();
        assert_eq!(empty, Some(Problem::EmptyFsyncDir));
        assert_eq!(
            Problem::EmptyFsyncDir.to_string(),
            "fsync_dir: must name a directory"
        );
    }

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
