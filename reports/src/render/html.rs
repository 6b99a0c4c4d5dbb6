//! report.html: the document as one self-contained HTML file (inline CSS and
//! inline SVG plots, no scripts, nothing fetched from a network). A table of
//! contents links every section; tables fit a window 1280 px wide (numbers
//! never wrap, text does), which `reports/tests/browser.rs` checks in a real
//! browser.

use crate::error::ReportError;
use crate::render::document::{heading_id, Block, Document};
use crate::render::exporter::Exporter;
use crate::render::table::{Align, Table};
use crate::render::Rendered;

/// Writes report.html.
pub struct HtmlExporter;

impl Exporter<Rendered> for HtmlExporter {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn serialize(&self, input: &Rendered) -> Result<Option<Vec<u8>>, ReportError> {
        Ok(Some(to_html(&input.document()).into_bytes()))
    }
}

/// Tables fit the page: numbers never break, text wraps (the notes column
/// last of all), and a table wider than the page scrolls in its own box.
const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1400px}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}\
div.scroll{overflow-x:auto;max-width:100%}\
nav{background:#f4f4f4;padding:.4em 1em;font-size:14px}nav li{display:inline;margin-right:1.2em}\
nav ul{margin:0;padding:0}details{margin:1em 0}summary{cursor:pointer;font-weight:bold}\
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr:nth-child(even){background:#f7f7f7}pre{background:#f4f4f4;padding:.6em;overflow-x:auto}\
figure{margin:1.5em 0}figcaption{font-size:13px;color:#555}";

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders a document as a complete HTML page.
pub fn to_html(doc: &Document) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{t}</title><style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n",
        t = escape(&doc.title)
    );
    let contents = doc.contents();
    if contents.len() > 1 {
        out.push_str("<nav><ul>");
        for (id, text) in contents {
            out.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>",
                escape(&id),
                escape(&text)
            ));
        }
        out.push_str("</ul></nav>\n");
    }
    out.push_str(&blocks_html(&doc.blocks));
    out.push_str("</body></html>\n");
    out
}

fn blocks_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!(
                    "<h{level} id=\"{}\">{}</h{level}>\n",
                    escape(&heading_id(text)),
                    escape(text)
                ));
            }
            Block::Details(summary, inner) => {
                out.push_str(&format!(
                    "<details><summary>{}</summary>\n{}</details>\n",
                    escape(summary),
                    blocks_html(inner)
                ));
            }
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::List(items) => {
                out.push_str("<ul>");
                for item in items {
                    out.push_str(&format!("<li>{}</li>", escape(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(table) => out.push_str(&table_html(table)),
            Block::Code(text) => out.push_str(&format!("<pre>{}</pre>\n", escape(text))),
            Block::Figure(plot) => {
                let svg = plot
                    .svg
                    .trim_start()
                    .strip_prefix("<?xml")
                    .and_then(|rest| rest.split_once("?>").map(|(_, svg)| svg))
                    .unwrap_or(&plot.svg);
                out.push_str(&format!(
                    "<figure class=\"plot\" id=\"{}\">{}<figcaption>{}</figcaption></figure>\n",
                    escape(&plot.slug),
                    svg.trim(),
                    escape(&plot.title)
                ));
            }
        }
    }
    out
}

fn table_html(table: &Table) -> String {
    let mut out = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in &table.headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (cell, align) in row.iter().zip(&table.align) {
            let class = match align {
                Align::Left => "",
                Align::Right => " class=\"num\"",
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
        let mut doc = Document::new("t");
        doc.push(Block::Paragraph("1 < 2".into()));
        let html = to_html(&doc);
        assert!(html.contains("<p>1 &lt; 2</p>"));
        assert!(!html.contains("<nav>"), "one section needs no contents");
        doc.push(Block::Heading(2, "Summary".into()));
        doc.push(Block::Details(
            "All cells".into(),
            vec![Block::Paragraph("x".into())],
        ));
        doc.push(Block::Heading(2, "Cells".into()));
        let html = to_html(&doc);
        assert!(
            html.contains("<li><a href=\"#summary\">Summary</a></li>"),
            "{html}"
        );
        assert!(html.contains("<h2 id=\"cells\">Cells</h2>"), "{html}");
        assert!(html.contains("<details><summary>All cells</summary>\n<p>x</p>\n</details>"));
        assert!(html.ends_with("</body></html>\n"));
    }
}
