//! report.md: the document as GitHub-flavoured Markdown, plots linked from
//! the `plots/` directory next to it.

use crate::error::ReportError;
use crate::render::document::{Block, Document};
use crate::render::exporter::Exporter;
use crate::render::plots::PLOTS_DIR;
use crate::render::table::{Align, Table};
use crate::render::Rendered;

/// Writes report.md.
pub struct MarkdownExporter;

impl Exporter<Rendered> for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(to_markdown(&input.document()).into_bytes()))
    }
}

/// Renders a document as Markdown.
pub fn to_markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n", doc.title);
    let contents = doc.contents();
    if contents.len() > 1 {
        out.push('\n');
        for (id, text) in contents {
            out.push_str(&format!("- [{text}](#{id})\n"));
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
                out.push_str(&format!("<details><summary>{summary}</summary>\n"));
                out.push_str(&blocks_md(inner));
                out.push_str("\n</details>\n");
            }
            Block::Heading(level, text) => {
                out.push_str(&format!("{} {text}\n", "#".repeat(usize::from(*level))));
            }
            Block::Paragraph(text) => out.push_str(&format!("{text}\n")),
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", item.replace('\n', " ")));
                }
            }
            Block::Table(table) => out.push_str(&table_md(table)),
            Block::Code(text) => out.push_str(&format!("```\n{text}\n```\n")),
            Block::Figure(plot) => {
                let png = if plot.png_path.is_some() {
                    format!(" ([PNG]({PLOTS_DIR}/{}.png))", plot.slug)
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "![{}]({PLOTS_DIR}/{}.svg){png}\n",
                    plot.title, plot.slug
                ));
            }
        }
    }
    out
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
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
