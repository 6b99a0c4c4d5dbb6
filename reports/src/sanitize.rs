//! Text taken from a results file, made safe for every output.
//!
//! A results file is untrusted input (the CI merges files other jobs
//! uploaded), and its strings reach a terminal, GitHub's log (which reads a
//! line starting `::` as a workflow command), Markdown, HTML, SVG and mail.
//! The reader passes every string of every line through [`clean`] before
//! anything else sees it: control characters go (C0, DEL and C1, which
//! carry terminal escapes and make XML ill-formed; a tab or line break
//! becomes a space, since every field is one line), as do the two
//! characters XML forbids, and a string is cut to [`MAX_CHARS`]. So every
//! renderer gets text without controls and of bounded length. What one
//! output needs beyond that is here too, once: [`markdown`] escapes
//! Markdown and HTML syntax, [`stdout`] keeps a workflow command from
//! starting a line, [`quoted`] shows a rejected value in a warning.

use serde_json::Value;

/// The most characters a string of a results file keeps: more than any
/// reason, hostname or argument the tool writes.
pub const MAX_CHARS: usize = 1024;

/// Marks a string cut to [`MAX_CHARS`].
const CUT: char = '…';

/// Whether `c` is kept in text from a results file.
fn kept(c: char) -> bool {
    !c.is_control() && c != '\u{FFFE}' && c != '\u{FFFF}'
}

/// `s` without control characters (a tab or line break becomes a space) and
/// cut to [`MAX_CHARS`], the cut marked with `…`.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_CHARS * 4));
    for (n, c) in s.chars().enumerate() {
        if n == MAX_CHARS {
            out.push(CUT);
            break;
        }
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if kept(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether `s` is what [`clean`] would leave of it.
fn is_clean(s: &str) -> bool {
    s.len() <= MAX_CHARS && s.chars().all(kept)
}

/// Passes every string of a parsed line, object keys included, through
/// [`clean`].
pub fn clean_value(v: &mut Value) {
    match v {
        Value::String(s) if !is_clean(s) => *s = clean(s),
        Value::Array(items) => items.iter_mut().for_each(clean_value),
        Value::Object(map) if map.keys().any(|k| !is_clean(k)) => {
            let taken = std::mem::take(map);
            for (k, mut item) in taken {
                clean_value(&mut item);
                map.insert(clean(&k), item);
            }
        }
        Value::Object(map) => map.values_mut().for_each(clean_value),
        _ => {}
    }
}

/// `s`, plain text, for a line of Markdown: every character that could
/// open markup (an HTML tag, a code span, emphasis, a backslash escape, the
/// `]` that would close a link or an image) is backslash-escaped, and a `#`,
/// `>` or `[` that would start a heading, a quote or a reference definition
/// too, so that it renders as the text it is. Table cells also escape `|`
/// (`markdown::table_md`).
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        // A `]` closes a link or an image only when `(` or `[` follows.
        let closes_link = c == ']' && matches!(chars.peek(), Some((_, '(' | '[')));
        let opens_block = i == 0 && matches!(c, '#' | '>' | '[');
        if matches!(c, '\\' | '`' | '*' | '<') || closes_link || opens_block {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code fence for `text`: one backtick longer than its longest run of
/// backticks, three at least, so nothing in it can close the block.
pub fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// `text` for standard output, which GitHub Actions scans for workflow
/// commands: a line that would start with `::` (after leading blanks, which
/// the runner skips) gets a space between the colons.
pub fn stdout(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let blanks = line.len() - line.trim_start().len();
        if line[blanks..].starts_with("::") {
            out.push_str(&line[..blanks + 1]);
            out.push(' ');
            out.push_str(&line[blanks + 1..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// A value a warning names: quoted with its escapes, and at most 40
/// characters of it.
pub fn quoted(s: &str) -> String {
    let head: String = s.chars().take(40).collect();
    if head.len() < s.len() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_go_and_long_text_is_cut() {
        assert_eq!(
            clean("host\u{1b}[31m\u{7}\n::error title=x::y\u{85}\u{9b}2J\u{FFFF}"),
            "host[31m ::error title=x::y2J"
        );
        let long = "x".repeat(66_000);
        let cut = clean(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(clean("ünïcode stays"), "ünïcode stays");
    }

    #[test]
    fn every_string_of_a_line_is_cleaned_keys_included() {
        let mut v = serde_json::json!({
            "reason": "a\u{1b}b",
            "labels": ["ok", "c\u{0}d"],
            "probes_per_step": {"e\u{7}f": 1.0},
            "n": 3
        });
        clean_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "reason": "ab",
                "labels": ["ok", "cd"],
                "probes_per_step": {"ef": 1.0},
                "n": 3
            })
        );
    }

    #[test]
    fn markdown_and_html_syntax_is_escaped() {
        assert_eq!(
            markdown("# <script>alert(1)</script> <img onerror=x> [x](y) `z` *a* \\"),
            r"\# \<script>alert(1)\</script> \<img onerror=x> [x\](y) \`z\` \*a\* \\"
        );
        assert_eq!(
            markdown("link/default/nop (1.5×)"),
            "link/default/nop (1.5×)"
        );
        assert_eq!(markdown("6.18 -> 7.1"), "6.18 -> 7.1");
        assert_eq!(markdown("> quote"), r"\> quote");
        assert_eq!(
            markdown("skipped [missing_opcode]: x"),
            "skipped [missing_opcode]: x"
        );
        assert_eq!(markdown("![i](x) [r][s]"), r"![i\](x) [r\][s]");
        assert_eq!(markdown("[r]: y"), r"\[r]: y");
        assert_eq!(fence("a ``` b ````` c"), "``````");
        assert_eq!(fence("none"), "```");
    }

    #[test]
    fn no_line_of_stdout_starts_a_workflow_command() {
        assert_eq!(
            stdout("host:\n::error title=forged::x\n  ::warning::y\nok :: fine\n"),
            "host:\n: :error title=forged::x\n  : :warning::y\nok :: fine\n"
        );
    }

    #[test]
    fn a_warning_quotes_a_value_briefly() {
        assert_eq!(quoted("a\nb"), r#""a\nb""#);
        assert_eq!(quoted(&"y".repeat(100)), format!("{:?}…", "y".repeat(40)));
    }
}
