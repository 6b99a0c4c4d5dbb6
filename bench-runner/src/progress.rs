//! Progress of a sweep, counted in cells (each cell's final line, or its
//! skip or failure, is one): an indicatif bar (cell name, cells done/total,
//! ETA) on a terminal; plain lines, one per skipped or failed cell and at
//! most every few seconds otherwise, so logs of CI runs stay readable.

use indicatif::{ProgressBar, ProgressStyle};
use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// What became of the work [`Progress::cell_done`] or [`Progress::note`]
/// reports: measurements are shown only when a line is due, skips and
/// failures always.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Measured (or found measured); the text says what, possibly nothing.
    Ok(String),
    /// Not run: the machine lacks what the cell needs (the reason).
    Skipped(String),
    /// Failed or interrupted (the reason).
    Failed(String),
}

impl Outcome {
    /// Whether the outcome is always worth a line of its own.
    fn stands_out(&self) -> bool {
        match self {
            Outcome::Ok(_) => false,
            Outcome::Skipped(_) | Outcome::Failed(_) => true,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(what) if what.is_empty() => f.write_str("ok"),
            Outcome::Ok(what) => write!(f, "ok {what}"),
            Outcome::Skipped(why) => write!(f, "skipped: {why}"),
            Outcome::Failed(why) => f.write_str(why),
        }
    }
}

/// Reports progress one way or the other.
pub enum Progress {
    /// An interactive bar.
    Bar(ProgressBar),
    /// Plain lines on stderr.
    Lines {
        /// Cells in the sweep.
        total: u64,
        /// Cells done: measured, skipped or failed.
        done: u64,
        /// When the sweep started.
        start: Instant,
        /// When the last line was printed.
        last: Option<Instant>,
    },
}

impl Progress {
    /// A bar when stderr is a terminal, lines otherwise, for a sweep of
    /// `total` cells.
    pub fn new(total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} cells ETA {eta} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                total,
                done: 0,
                start: Instant::now(),
                last: None,
            }
        }
    }

    /// Shows the cell that is starting.
    pub fn start_cell(&self, name: &str) {
        if let Progress::Bar(bar) = self {
            bar.set_message(name.to_string());
        }
    }

    /// Records that the cell `name` is done, with its outcome.
    pub fn cell_done(&mut self, name: &str, outcome: Outcome) {
        self.show(1, name, outcome);
    }

    /// Shows what became of a step of the cell `name` (a repetition, the
    /// end of its repetitions) that leaves it still to finish.
    pub fn note(&mut self, name: &str, outcome: Outcome) {
        self.show(0, name, outcome);
    }

    fn show(&mut self, cells: u64, name: &str, outcome: Outcome) {
        match self {
            Progress::Bar(bar) => {
                bar.inc(cells);
                if outcome.stands_out() {
                    bar.println(format!("{name}: {outcome}"));
                }
            }
            Progress::Lines {
                total,
                done,
                start,
                last,
            } => {
                *done += cells;
                let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(5));
                if due || outcome.stands_out() || (cells > 0 && *done == *total) {
                    let elapsed = start.elapsed().as_secs_f64();
                    let eta = match *done {
                        0 => String::new(),
                        d => format!(", ETA {:.0}s", elapsed / d as f64 * (*total - d) as f64),
                    };
                    eprintln!("[{done}/{total} cells {elapsed:.0}s{eta}] {name}: {outcome}");
                    *last = Some(Instant::now());
                }
            }
        }
    }

    /// Prints a message without breaking the bar.
    pub fn println(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Lines { .. } => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a line stands out is the outcome's kind, whatever its text.
    #[test]
    fn failures_stand_out_by_their_kind_not_their_text() {
        assert!(Outcome::Failed("ok, or so the text says".into()).stands_out());
        assert!(Outcome::Skipped("ok".into()).stands_out());
        assert!(!Outcome::Ok("failed to be slow".into()).stands_out());
        assert_eq!(Outcome::Ok(String::new()).to_string(), "ok");
        assert_eq!(
            Outcome::Ok("12 ns/step".into()).to_string(),
            "ok 12 ns/step"
        );
        assert_eq!(
            Outcome::Skipped("SQPOLL: EPERM".into()).to_string(),
            "skipped: SQPOLL: EPERM"
        );
    }
}
