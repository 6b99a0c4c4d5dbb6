//! report.html: the document as one self-contained HTML file (inline CSS and
//! inline SVG plots, no scripts, nothing fetched from a network).

use crate::doc::{Block, Document};
use crate::error::ReportError;
use crate::exporter::Exporter;
use crate::table::{Align, Table};
use crate::Rendered;

/// Writes report.html.
pub struct HtmlExporter;

impl Exporter<Rendered> for HtmlExporter {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn serialize(&self, input: &Rendered) -> Result<Vec<u8>, ReportError> {
        Ok(to_html(&input.document()).into_bytes())
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;white-space:nowrap}\
div.scroll{overflow-x:auto}\
th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}\
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
    for block in &doc.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)));
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
    out.push_str("</body></html>\n");
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
        assert!(html.ends_with("</body></html>\n"));
    }
}
