//! Where a sweep's config comes from: a file, the built-in default sweep, a
//! shipped study or `advise`; each becomes a validated [`Config`] here, and
//! its errors a [`ConfigError`] naming where it came from.

use crate::advise::AdviseShape;
use crate::config::{Config, ConfigError, Problem, FSYNC_DIR_VAR};
use crate::study;
use std::path::PathBuf;

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
    /// The sweep of a shipped study ([`crate::study`]), with `--quick` or not.
    Study {
        /// The study's name.
        name: String,
        /// Five short repetitions per cell instead of the study's own.
        quick: bool,
    },
    /// `advise`'s sweep of one shape in every ordered style.
    Advise(AdviseShape),
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

impl Config {
    /// Reads and validates a config from where it comes from, with the
    /// fsync directory [`FSYNC_DIR_VAR`] names, when it is set, over the
    /// config's own.
    pub fn from_source(source: &ConfigSource) -> Result<Config, ConfigError> {
        let mut config = Config::from_source_alone(source)?;
        if let Some(dir) = std::env::var_os(FSYNC_DIR_VAR).filter(|d| !d.is_empty()) {
            config.override_fsync_dir(PathBuf::from(dir));
        }
        Ok(config)
    }

    /// The config as its source states it.
    fn from_source_alone(source: &ConfigSource) -> Result<Config, ConfigError> {
        let built = match source {
            ConfigSource::File(path) => return Config::load(path),
            ConfigSource::BuiltIn => Config::parse(BUILT_IN),
            ConfigSource::Study { name, quick } => match study::find(name) {
                Some(study) => study.parsed().map(|p| p.config(*quick)),
                None => Err(Problem::UnknownStudy {
                    known: study::names(),
                }),
            },
            ConfigSource::Advise(shape) => shape.config(),
        };
        built.map_err(|problem| problem.of(source))
    }
}
