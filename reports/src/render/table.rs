//! A table as data (headers, rows, alignment), rendered as fixed-width text
//! here and as Markdown/HTML by their modules. Fixed-width rendering can fit
//! a width limit by truncating text columns, never numbers.

/// Column alignment; right-aligned columns hold numbers and are never truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table of strings.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Column alignment, one per header.
    pub align: Vec<Align>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

/// Marks a truncated cell in fixed-width text (ASCII, for mail).
const TRUNCATED: char = '~';
/// Narrowest a text column is shrunk to.
const MIN_TEXT_WIDTH: usize = 5;
/// Widest a column is, whatever it holds: more than any text of a results
/// file (`sanitize::MAX_CHARS`), and far below the most `format!` can pad.
const MAX_WIDTH: usize = 4 * crate::sanitize::MAX_CHARS;

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| h.to_string()).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (must have one entry per column).
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len(), "row width");
        self.rows.push(row);
    }

    fn natural_widths(&self) -> Vec<usize> {
        (0..self.headers.len())
            .map(|i| {
                std::iter::once(&self.headers[i])
                    .chain(self.rows.iter().map(|r| &r[i]))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
                    .min(MAX_WIDTH)
            })
            .collect()
    }

    /// Fixed-width text with `gap` spaces between columns and a dashed rule
    /// under the header; with `max_width`, text columns are truncated (marked
    /// `~`) until every line fits, as far as they can shrink.
    pub fn to_text(&self, gap: usize, max_width: Option<usize>) -> String {
        let mut widths = self.natural_widths();
        if let Some(max) = max_width {
            let total = |w: &[usize]| w.iter().sum::<usize>() + gap * w.len().saturating_sub(1);
            while total(&widths) > max {
                let widest = (0..widths.len())
                    .filter(|&i| self.align[i] == Align::Left && widths[i] > MIN_TEXT_WIDTH)
                    .max_by_key(|&i| widths[i]);
                match widest {
                    Some(i) => widths[i] -= 1,
                    None => break,
                }
            }
        }
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&self.align)
                .map(|((cell, &w), align)| {
                    let cell = fit(cell, w);
                    match align {
                        Align::Left => format!("{cell:<w$}"),
                        Align::Right => format!("{cell:>w$}"),
                    }
                })
                .collect();
            parts.join(&" ".repeat(gap)).trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join(&" ".repeat(gap)));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// Cuts `s` to `w` characters, marking the cut.
fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push(TRUNCATED);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&[("style", Align::Left), ("ns/step", Align::Right)]);
        t.push(vec![
            "sync-group:append-with-a-long-name".into(),
            "1234.5".into(),
        ]);
        t.push(vec!["link".into(), "88.0".into()]);
        t
    }

    #[test]
    fn aligns_columns() {
        let text = sample().to_text(2, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[3].starts_with("link "));
        assert!(lines[3].ends_with("  88.0"));
        assert_eq!(lines[2].len(), lines[3].len());
    }

    #[test]
    fn a_cell_wider_than_any_column_is_cut_not_a_panic() {
        let mut t = Table::new(&[("reason", Align::Left)]);
        t.push(vec!["r".repeat(70_000)]);
        let text = t.to_text(2, None);
        assert!(text.lines().all(|l| l.chars().count() <= MAX_WIDTH));
        assert!(text.contains('~'));
    }

    #[test]
    fn fits_width_by_truncating_text_only() {
        let text = sample().to_text(1, Some(20));
        for line in text.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(text.contains("1234.5"));
        assert!(text.contains('~'));
    }
}
