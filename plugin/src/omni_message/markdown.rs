//! Markdown → WhatsApp's own formatting, for text omni sends in its default `convert` mode
//! (`metadata.messageFormatMode`; `passthrough` leaves the text alone).
//!
//! Agents write Markdown; WhatsApp renders `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
//! ```` ```blocks``` ````, `- ` / `1. ` lists and `> ` quotes, and shows everything else as typed.
//! So: `**b**` and `__b__` → `*b*`, `*i*` and `_i_` → `_i_`, `***bi***` → `*_bi_*`, `~~s~~` →
//! `~s~`, headings → a bold line, `* ` / `+ ` bullets → `- `, `[text](url)` → `text (url)`,
//! fenced blocks keep their code and lose the language tag. Code is never converted, a
//! backslash escape keeps its character literal, and a delimiter with no partner stays as typed.

/// `markdown` in WhatsApp's formatting.
pub fn to_whatsapp(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut lines = markdown.split('\n').peekable();
    let mut first = true;
    while let Some(line) = lines.next() {
        if !first {
            out.push('\n');
        }
        first = false;
        if let Some(fence) = fence_of(line) {
            // A fenced block: copied to its closing fence (or the end), the info string dropped.
            out.push_str("```");
            let mut closed = false;
            for code in lines.by_ref() {
                out.push('\n');
                if fence_of(code)
                    .is_some_and(|closing| closing.starts_with(fence) && code.trim().len() == closing.len())
                {
                    out.push_str("```");
                    closed = true;
                    break;
                }
                out.push_str(code);
            }
            if !closed {
                out.push_str("```");
            }
            continue;
        }
        block_line(line, &mut out);
    }
    out
}

/// The fence (the run of backticks or tildes, three or more) a line opens with, if any.
fn fence_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run = trimmed.len() - trimmed.trim_start_matches(marker).len();
    (run >= 3).then(|| &trimmed[..run])
}

/// One line outside code blocks: its block prefix, then its inline spans.
fn block_line(line: &str, out: &mut String) {
    let indent_len = line.len() - line.trim_start().len();
    let (indent, rest) = line.split_at(indent_len);
    if let Some(title) = heading(rest) {
        out.push_str(indent);
        let mut inner = String::with_capacity(title.len());
        inline(title, &mut inner);
        // A heading is already bold: strip emphasis that would nest WhatsApp's markers.
        let inner = inner.trim_matches('*');
        if inner.is_empty() {
            return;
        }
        out.push('*');
        out.push_str(inner);
        out.push('*');
        return;
    }
    if let Some(item) = rest.strip_prefix("* ").or_else(|| rest.strip_prefix("+ ")) {
        out.push_str(indent);
        out.push_str("- ");
        inline(item, out);
        return;
    }
    if is_rule(rest) {
        out.push_str(line);
        return;
    }
    out.push_str(indent);
    // `- `, `1. ` and `> ` are WhatsApp's own: kept, their text converted.
    let (prefix, text) = list_or_quote_prefix(rest);
    out.push_str(prefix);
    inline(text, out);
}

/// The title of an ATX heading (`## Title ##`).
fn heading(line: &str) -> Option<&str> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim_end())
}

/// A thematic break (`---`, `***`, `___`): kept as typed, never read as emphasis.
fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3 && ['-', '*', '_'].iter().any(|m| compact.chars().all(|c| c == *m))
}

/// Splits a kept block prefix (`- `, `1. `, `> `, nested quotes) from its text.
fn list_or_quote_prefix(line: &str) -> (&str, &str) {
    let mut end = 0;
    loop {
        let rest = &line[end..];
        if let Some(after) = rest.strip_prefix("> ").or_else(|| rest.strip_prefix('>')) {
            end = line.len() - after.len();
            continue;
        }
        if rest.starts_with("- ") {
            end += 2;
            break;
        }
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if (1..=9).contains(&digits) && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") ")) {
            end += digits + 2;
        }
        break;
    }
    line.split_at(end)
}

/// Inline spans: code, escapes, links, emphasis.
fn inline(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Start of the text not yet copied.
    let mut copied = 0;
    while i < bytes.len() {
        let converted = match bytes[i] {
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                out.push_str(&text[copied..i]);
                out.push(bytes[i + 1] as char);
                Some(i + 2)
            }
            b'`' => code_span(text, i).map(|end| {
                out.push_str(&text[copied..end]);
                end
            }),
            b'[' | b'!' => link(text, i).map(|(label, url, end)| {
                out.push_str(&text[copied..i]);
                let mut converted_label = String::with_capacity(label.len());
                inline(label, &mut converted_label);
                if converted_label.is_empty() || converted_label == url {
                    out.push_str(url);
                } else {
                    out.push_str(&converted_label);
                    out.push_str(" (");
                    out.push_str(url);
                    out.push(')');
                }
                end
            }),
            b'*' | b'_' | b'~' => emphasis(text, i).map(|(open, close, inner_start, inner_end, end)| {
                out.push_str(&text[copied..i]);
                out.push_str(open);
                inline(&text[inner_start..inner_end], out);
                out.push_str(close);
                end
            }),
            _ => None,
        };
        match converted {
            Some(end) => {
                i = end;
                copied = end;
            }
            None => {
                // A run of the same delimiter that found no partner stays as typed, whole.
                let c = bytes[i];
                i += 1;
                if matches!(c, b'*' | b'_' | b'~' | b'`') {
                    while bytes.get(i) == Some(&c) {
                        i += 1;
                    }
                }
            }
        }
    }
    out.push_str(&text[copied..]);
}

/// The end of a code span opened at `start` (a run of backticks closed by the same run).
fn code_span(text: &str, start: usize) -> Option<usize> {
    let run = text[start..].len() - text[start..].trim_start_matches('`').len();
    let fence = &text[start..start + run];
    let after = start + run;
    let close = text[after..].find(fence)?;
    let end = after + close + run;
    // A longer run is not this span's end.
    (text.as_bytes().get(end) != Some(&b'`')).then_some(end)
}

/// `[label](url)` or `![alt](url)` at `start`: the label, the url and where it ends.
fn link(text: &str, start: usize) -> Option<(&str, &str, usize)> {
    let open = if text[start..].starts_with("![") {
        start + 2
    } else if text[start..].starts_with('[') {
        start + 1
    } else {
        return None;
    };
    let mut depth = 1;
    let mut close = None;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + offset);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let target = text[close + 1..].strip_prefix('(')?;
    let url_end = target.find(')')?;
    let url = target[..url_end].trim();
    // `[a](b c)` is not a link: a URL has no spaces (a title would follow one).
    let url = url.split_once(char::is_whitespace).map_or(url, |(url, _)| url);
    if url.is_empty() {
        return None;
    }
    Some((&text[open..close], url, close + 2 + url_end + 1))
}

/// Emphasis opened at `start`: WhatsApp's opening and closing markers, the inner text and
/// where the span ends.
fn emphasis(text: &str, start: usize) -> Option<(&'static str, &'static str, usize, usize, usize)> {
    let bytes = text.as_bytes();
    let marker = bytes[start];
    let run = bytes[start..].iter().take_while(|b| **b == marker).count();
    let (open, close, width) = match (marker, run) {
        (b'*', 3..) => ("*_", "_*", 3),
        (b'*', 2) | (b'_', 2..) => ("*", "*", 2),
        (b'*', 1) | (b'_', 1) => ("_", "_", 1),
        (b'~', 2..) => ("~", "~", 2),
        _ => return None,
    };
    // An underscore inside a word (`snake_case`) is not emphasis.
    if marker == b'_' && start > 0 && is_word(bytes[start - 1]) {
        return None;
    }
    let inner_start = start + width;
    // The opener must touch its text.
    if bytes.get(inner_start).is_none_or(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let delimiter = &text[start..inner_start];
    let mut from = inner_start;
    while let Some(found) = text[from..].find(delimiter) {
        let at = from + found;
        let after = at + width;
        // The closer touches its text and is a run of exactly the opener's width.
        let touches_text = !bytes[at - 1].is_ascii_whitespace() && bytes[at - 1] != marker;
        let not_longer = bytes.get(after) != Some(&marker);
        let word_end = marker != b'_' || bytes.get(after).is_none_or(|b| !is_word(*b));
        if at > inner_start && touches_text && not_longer && word_end {
            return Some((open, close, inner_start, at, after));
        }
        from = at + 1;
    }
    None
}

fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte >= 0x80
}

#[cfg(test)]
mod tests {
    use super::to_whatsapp as wa;

    #[test]
    fn emphasis_becomes_whatsapps() {
        assert_eq!(wa("**thanks**"), "*thanks*");
        assert_eq!(wa("__thanks__"), "*thanks*");
        assert_eq!(wa("an *important* word"), "an _important_ word");
        assert_eq!(wa("an _important_ word"), "an _important_ word");
        assert_eq!(wa("***very***"), "*_very_*");
        assert_eq!(wa("~~gone~~"), "~gone~");
        assert_eq!(wa("**bold with *italic* inside**"), "*bold with _italic_ inside*");
        assert_eq!(wa("*a **b** c*"), "_a *b* c_");
    }

    #[test]
    fn code_is_never_converted() {
        assert_eq!(wa("run `make **all**` now"), "run `make **all**` now");
        assert_eq!(wa("```rust\nlet x = **y**;\n```\nafter **b**"), "```\nlet x = **y**;\n```\nafter *b*");
        assert_eq!(wa("```\nunclosed **x**"), "```\nunclosed **x**```");
        assert_eq!(wa("``a ` b``"), "``a ` b``");
    }

    #[test]
    fn headings_lists_quotes_and_rules() {
        assert_eq!(wa("# Title"), "*Title*");
        assert_eq!(wa("### **Already bold** ###"), "*Already bold*");
        assert_eq!(wa("#hashtag"), "#hashtag");
        assert_eq!(wa("* one\n+ two\n  * nested"), "- one\n- two\n  - nested");
        assert_eq!(wa("- keep\n1. first\n2) second"), "- keep\n1. first\n2) second");
        assert_eq!(wa("> quoted **bold**"), "> quoted *bold*");
        assert_eq!(wa("a\n***\nb"), "a\n***\nb");
    }

    #[test]
    fn links_show_their_address() {
        assert_eq!(wa("see [the docs](https://example.com/a_b)"), "see the docs (https://example.com/a_b)");
        assert_eq!(wa("[https://x.io](https://x.io)"), "https://x.io");
        assert_eq!(wa("![logo](https://x.io/l.png \"Logo\")"), "logo (https://x.io/l.png)");
        assert_eq!(wa("[not a link] (x)"), "[not a link] (x)");
    }

    #[test]
    fn what_is_not_markdown_stays_as_typed() {
        for text in [
            "snake_case_name and 2 * 3 * 4",
            "a ** b",
            "price: 5*",
            "~ approx",
            "unmatched **bold",
            "email me at a_b@c.io",
            "plain text, émoji 🎉, and CJK 文字",
            "",
            "\n\n",
        ] {
            assert_eq!(wa(text), text, "{text:?}");
        }
        assert_eq!(wa(r"\*not italic\*"), "*not italic*");
    }

    #[test]
    fn line_structure_is_kept() {
        assert_eq!(wa("para one\n\npara **two**\n"), "para one\n\npara *two*\n");
    }
}
