//! A rendering-neutral document (headings, paragraphs, lists, tables,
//! figures): report.md and report.html (and the comparison's markdown) are
//! two renderers of the same blocks, so they cannot disagree in content.

use crate::plots::PlotFile;
use crate::table::Table;

/// One block of a document.
#[derive(Clone, Debug)]
pub enum Block {
    /// A heading of level 2 or 3 (level 1 is the title).
    Heading(u8, String),
    /// A paragraph of plain text.
    Paragraph(String),
    /// A bulleted list of plain-text items.
    List(Vec<String>),
    /// A table.
    Table(Table),
    /// Preformatted text (a command line, a text chart).
    Code(String),
    /// A drawn plot.
    Figure(PlotFile),
}

/// A titled sequence of blocks.
#[derive(Clone, Debug)]
pub struct Document {
    /// Level-1 title.
    pub title: String,
    /// The content.
    pub blocks: Vec<Block>,
}

impl Document {
    /// An empty document.
    pub fn new(title: impl Into<String>) -> Document {
        Document {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a block.
    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }
}

/// Quotes one argument for a POSIX shell when it holds anything a shell
/// would split or expand.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Joins a command line for display, quoting arguments a shell would split.
pub fn shell_line(args: &[String]) -> String {
    args.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let args: Vec<String> = ["bench-runner", "sweep", "--out", "my dir/r.jsonl", "it's"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            shell_line(&args),
            r"bench-runner sweep --out 'my dir/r.jsonl' 'it'\''s'"
        );
    }
}
