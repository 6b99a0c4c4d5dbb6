//! report.md: the document as GitHub-flavoured Markdown, plots linked from
//! the `plots/` directory next to it.

use crate::error::ReportError;
use crate::render::document::{Block, Document};
use crate::render::exporter::Exporter;
use crate::render::html;
use crate::render::plots::PLOTS_DIR;
use crate::render::table::{Align, Table};
use crate::render::Rendered;
use crate::sanitize::{fence, markdown};

/// Writes report.md.
pub struct MarkdownExporter;

impl Exporter<Rendered> for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(to_markdown(&input.document()?).into_bytes()))
    }
}

/// Renders a document as Markdown. Its text is plain text, some of it from
/// results files: every piece is escaped (`sanitize::markdown`, HTML-escaped
/// inside the `<details>` tag) so that none of it renders as markup, and a
/// code block is fenced longer than any run of backticks in it.
pub fn to_markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n", markdown(&doc.title));
    let contents = doc.contents();
    if contents.len() > 1 {
        out.push('\n');
        for (id, text) in contents {
            out.push_str(&format!("- [{}](#{id})\n", markdown(&text)));
        }
    }
    out.push_str(&blocks_md(&doc.blocks));
    out
}

fn blocks_md(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        out.push('\n');
        match block {
            Block::Details(summary, inner) => {
                out.push_str(&format!(
                    "<details><summary>{}</summary>\n",
                    html::escape(summary)
                ));
                out.push_str(&blocks_md(inner));
                out.push_str("\n</details>\n");
            }
            Block::Heading(level, text) => {
                let hashes = "#".repeat(usize::from(*level));
                out.push_str(&format!("{hashes} {}\n", markdown(text)));
            }
            Block::Paragraph(text) => out.push_str(&format!("{}\n", markdown(text))),
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", markdown(&item.replace('\n', " "))));
                }
            }
            Block::Table(table) => out.push_str(&table_md(table)),
            Block::Code(text) => {
                let fence = fence(text);
                out.push_str(&format!("{fence}\n{text}\n{fence}\n"));
            }
            Block::Figure(plot) => {
                let png = if plot.png_path.is_some() {
                    format!(" ([PNG]({PLOTS_DIR}/{}.png))", plot.slug)
                } else {
                    String::new()
                };
                // A figure drawn for the document itself (the overview)
                // carries its path beside the report; the plots are in
                // their directory.
                let svg = match plot.svg_path.is_relative() {
                    true => plot.svg_path.display().to_string(),
                    false => format!("{PLOTS_DIR}/{}.svg", plot.slug),
                };
                out.push_str(&format!("![{}]({svg}){png}\n", markdown(&plot.title)));
            }
        }
    }
    out
}

fn escape(cell: &str) -> String {
    markdown(&cell.replace('\n', " ")).replace('|', "\\|")
}

fn table_md(table: &Table) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = row(&table.headers);
    let rule: Vec<String> = table
        .align
        .iter()
        .map(|a| match a {
            Align::Left => "---".to_string(),
            Align::Right => "---:".to_string(),
        })
        .collect();
    out.push_str(&format!("| {} |\n", rule.join(" | ")));
    for r in &table.rows {
        out.push_str(&row(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_pipes_and_align_numbers() {
        let mut t = Table::new(&[("a", Align::Left), ("n", Align::Right)]);
        t.push(vec!["x|y".into(), "1".into()]);
        let md = table_md(&t);
        assert_eq!(md, "| a | n |\n| --- | ---: |\n| x\\|y | 1 |\n");
    }
}
