//! Text longer than WhatsApp's limit, split into messages that each fit: at a paragraph break
//! when there is one in the second half of the window, else at the end of a sentence there,
//! else at the last space, else (a single unbroken word) at the limit itself.

/// `text` in order, in pieces of at most `limit` characters (Unicode scalar values, as
/// WhatsApp counts them), with the whitespace at each cut dropped.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > limit {
        // Byte offset of the first character past the limit.
        let window_end = rest.char_indices().nth(limit).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..window_end];
        let half = rest.char_indices().nth(limit / 2).map_or(0, |(i, _)| i);
        let cut = paragraph_break(window, half)
            .or_else(|| sentence_end(window, half))
            .or_else(|| last_space(window))
            .unwrap_or(window_end);
        let (part, tail) = rest.split_at(cut);
        let part = part.trim_end();
        if !part.is_empty() {
            parts.push(part.to_owned());
        }
        rest = tail.trim_start();
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// The end of the last paragraph in the window's second half.
fn paragraph_break(window: &str, from: usize) -> Option<usize> {
    window.rfind("\n\n").filter(|&i| i >= from && i > 0)
}

/// The end of the last sentence (`.`, `!`, `?`, `…` or their full-width forms, followed by
/// whitespace) in the window's second half.
fn sentence_end(window: &str, from: usize) -> Option<usize> {
    let mut best = None;
    let mut chars = window.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？');
        if ends && chars.peek().is_some_and(|(_, next)| next.is_whitespace()) {
            let end = i + c.len_utf8();
            if end >= from {
                best = Some(end);
            }
        }
    }
    best
}

/// The last whitespace of the window (not at its very start).
fn last_space(window: &str) -> Option<usize> {
    window.char_indices().rev().find(|(i, c)| c.is_whitespace() && *i > 0).map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(parts: &[String]) -> Vec<usize> {
        parts.iter().map(|p| p.chars().count()).collect()
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("hello", 10), ["hello"]);
        assert_eq!(split("", 10), [""]);
    }

    #[test]
    fn prefers_paragraphs_then_sentences_then_words() {
        let text = "First paragraph here.\n\nSecond one follows on.";
        assert_eq!(split(text, 30), ["First paragraph here.", "Second one follows on."]);
        let text = "One sentence here. Another sentence there.";
        assert_eq!(split(text, 30), ["One sentence here.", "Another sentence there."]);
        let text = "words words words words words words";
        assert_eq!(split(text, 20), ["words words words", "words words words"]);
    }

    #[test]
    fn an_early_paragraph_break_does_not_make_tiny_parts() {
        let text = format!("Hi.\n\n{}", "word ".repeat(10));
        let parts = split(&text, 30);
        assert!(parts[0].chars().count() > 15, "{parts:?}");
    }

    #[test]
    fn unbroken_text_is_cut_at_the_limit_on_a_character_boundary() {
        let text = "é".repeat(25);
        let parts = split(&text, 10);
        assert_eq!(chars(&parts), [10, 10, 5]);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn nine_thousand_characters_are_three_ordered_parts_within_the_limit() {
        let sentence = "The quick brown fox jumps over the lazy dog again and again. ";
        let text: String = sentence.repeat(9_000 / sentence.len() + 1).chars().take(9_000).collect();
        let parts = split(&text, 4096);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 4096));
        let rejoined: String = parts.join(" ");
        assert_eq!(rejoined.split_whitespace().collect::<Vec<_>>(), text.split_whitespace().collect::<Vec<_>>());
    }
}
