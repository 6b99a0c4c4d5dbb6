//! A rendering-neutral document (headings, paragraphs, lists, tables,
//! figures): report.md and report.html (and the comparison's markdown) are
//! two renderers of the same blocks, so they cannot disagree in content.

use crate::render::plots::PlotFile;
use crate::render::table::Table;

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
    /// Blocks shown folded under a one-line summary (a full table that
    /// would bury what follows it); a renderer without folding shows them.
    Details(String, Vec<Block>),
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

/// The anchor of a heading: its words in lower case joined by hyphens
/// (`Cost in physical anchors` → `cost-in-physical-anchors`), as GitHub
/// makes them, so report.md and report.html link the same way.
pub fn heading_id(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

impl Document {
    /// The level-2 headings, in order, with their anchors: the table of
    /// contents.
    pub fn contents(&self) -> Vec<(String, String)> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(2, text) => Some((heading_id(text), text.clone())),
                _ => None,
            })
            .collect()
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
    fn heading_ids_are_githubs() {
        assert_eq!(
            heading_id("Cost in physical anchors"),
            "cost-in-physical-anchors"
        );
        assert_eq!(heading_id("Machine: 6.18.0 (x86)"), "machine-6180-x86");
        let mut doc = Document::new("t");
        doc.push(Block::Heading(2, "Summary".into()));
        doc.push(Block::Heading(3, "Detail".into()));
        doc.push(Block::Heading(2, "Cells".into()));
        assert_eq!(
            doc.contents(),
            vec![
                ("summary".to_string(), "Summary".to_string()),
                ("cells".to_string(), "Cells".to_string())
            ]
        );
    }

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
