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

impl ConfigSource {
    /// A config file's lines as its parser reads them, for the results
    /// header (comments, trailing comments and blank lines left out, so a
    /// report can quote the config in a few lines); `None` for the built-in
    /// configs, which the tool's version names, and for a file that cannot
    /// be read (the sweep has already read it).
    pub fn config_lines(&self) -> Option<Vec<String>> {
        let ConfigSource::File(path) = self else {
            return None;
        };
        std::fs::read_to_string(path)
            .ok()
            .map(|text| meaningful_lines(&text))
    }
}

/// The lines of TOML `text` without comments or blank lines; text with a
/// multi-line string is kept whole but for its blank lines (a `#` there
/// may be the string's).
fn meaningful_lines(text: &str) -> Vec<String> {
    let multiline = text.contains("\"\"\"") || text.contains("'''");
    text.lines()
        .map(|line| match multiline {
            true => line.trim_end(),
            false => without_comment(line).trim_end(),
        })
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `line` up to its comment: the first `#` outside a quoted string.
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configs_meaningful_lines_plan_the_same_cells() {
        let lines = meaningful_lines(BUILT_IN);
        assert!(lines.iter().all(|l| !l.contains('#')), "{lines:?}");
        assert!(lines.len() < BUILT_IN.lines().count(), "{lines:?}");
        let cells = |c: &Config| crate::plan::plan(c, None).len();
        let whole = Config::parse(BUILT_IN).unwrap();
        let quoted = Config::parse(&lines.join("\n")).unwrap();
        assert_eq!(cells(&quoted), cells(&whole));
        assert_eq!(quoted.precision, whole.precision);
        assert_eq!(
            without_comment(r#"x = "a # b" # c"#),
            r#"x = "a # b" "#,
            "a # in a string is kept"
        );
        assert_eq!(
            without_comment(r#"x = "a \" # b" #c"#),
            r#"x = "a \" # b" "#
        );
    }
}
