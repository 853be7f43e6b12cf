//! Line breaking: '\n' ends a line; otherwise a line may break between any two CJK characters, at
//! whitespace, and where CJK meets other text. Runs of other characters (English words, numbers)
//! stay together unless one alone is wider than the line. A line does not start with Chinese
//! closing punctuation nor end with opening punctuation, unless the text cannot fit otherwise.
//!
//! Whitespace where a line breaks is dropped, as is whitespace at the end of a '\n'-ended line;
//! whitespace at the start of one (an indent) is kept. Nothing else is dropped.

use std::ops::Range;

/// One line: a range of the text broken, and its width.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub range: Range<usize>,
    pub width: f32,
}

/// A piece of a line's text: an unbreakable run (a word, a CJK character with the punctuation
/// glued to it), or whitespace.
struct Item {
    range: Range<usize>,
    width: f32,
    space: bool,
}

/// Breaks `text` into lines no wider than `max_width` (except a single character wider than it),
/// measuring each character with `advance` (in the same unit as `max_width`). Always at least one
/// line; a negative or NaN width counts as zero, so every character gets its own line.
pub(crate) fn wrap(text: &str, max_width: f32, advance: impl Fn(char) -> f32) -> Vec<Line> {
    let max_width = if max_width.is_nan() { 0.0 } else { max_width.max(0.0) };
    let advance = |c: char| {
        let width = advance(c);
        if width.is_finite() { width.max(0.0) } else { 0.0 }
    };
    let mut lines = Vec::new();
    let mut start = 0;
    for hard_line in text.split('\n') {
        let end = start + hard_line.len();
        wrap_hard_line(text, start..end, max_width, &advance, &mut lines);
        start = end + 1;
    }
    lines
}

/// Breaks the '\n'-free `range` of `text` into `lines`.
fn wrap_hard_line(text: &str, range: Range<usize>, max_width: f32, advance: &impl Fn(char) -> f32, lines: &mut Vec<Line>) {
    let first = lines.len();
    let items = items(text, range.clone(), advance);
    // The line being filled, and the width of the whitespace since its last item.
    let mut current: Option<Line> = None;
    let mut gap = 0.0;
    for item in items {
        if item.space {
            // Whitespace after a soft break is dropped; inside a line it may become the gap.
            if current.is_some() {
                gap = item.width;
            }
            continue;
        }
        if let Some(line) = current.as_mut() {
            if line.width + gap + item.width <= max_width {
                line.range.end = item.range.end;
                line.width += gap + item.width;
                gap = 0.0;
                continue;
            }
            lines.extend(current.take());
            gap = 0.0;
        }
        current = Some(if item.width <= max_width { Line { range: item.range, width: item.width } } else { split(text, item, max_width, advance, lines) });
    }
    lines.extend(current);
    if lines.len() == first {
        // Nothing at all: an empty line. (Whitespace alone is kept, as an indent.)
        lines.push(Line { range: range.start..range.start, width: 0.0 });
    }
}

/// The items of a '\n'-free range. Whitespace at its start is glued to the first word (an indent).
fn items(text: &str, range: Range<usize>, advance: &impl Fn(char) -> f32) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    // The last character of the current unbreakable run, and whether it breaks anywhere.
    let mut previous: Option<(char, bool)> = None;
    for (offset, c) in text[range.clone()].char_indices() {
        let at = range.start + offset;
        let next = at + c.len_utf8();
        let width = advance(c);
        let space = c.is_whitespace();
        let joins = match (items.last(), previous) {
            (Some(last), _) if space => last.space,
            (Some(last), Some((before, before_cjk))) if !last.space => {
                let cjk = breaks_anywhere(c);
                // Two characters of one word, or punctuation that must stay with its neighbour.
                (!cjk && !before_cjk) || no_break_before(c) || no_break_after(before)
            }
            _ => false,
        };
        match items.last_mut() {
            Some(last) if joins => {
                last.range.end = next;
                last.width += width;
            }
            _ => items.push(Item { range: at..next, width, space }),
        }
        previous = (!space).then(|| (c, breaks_anywhere(c)));
    }
    // An indent stays with what follows it (or is the line's only content).
    if items.first().is_some_and(|item| item.space) {
        items[0].space = false;
        if items.len() > 1 {
            let word = items.remove(1);
            items[0].range.end = word.range.end;
            items[0].width += word.width;
        }
    }
    items
}

/// Breaks an item wider than a line between its characters: full lines go to `lines`, the rest is
/// returned to be continued. Every line gets at least one character.
fn split(text: &str, item: Item, max_width: f32, advance: &impl Fn(char) -> f32, lines: &mut Vec<Line>) -> Line {
    let mut line = Line { range: item.range.start..item.range.start, width: 0.0 };
    for (offset, c) in text[item.range.clone()].char_indices() {
        let at = item.range.start + offset;
        let width = advance(c);
        if line.width + width > max_width && at > line.range.start {
            lines.push(Line { range: line.range.start..at, width: line.width });
            line = Line { range: at..at, width: 0.0 };
        }
        line.width += width;
        line.range.end = at + c.len_utf8();
    }
    line
}

/// Characters a line may break before and after: CJK ideographs, kana, hangul, CJK punctuation and
/// full-width forms.
pub(crate) fn breaks_anywhere(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}'     // Hangul Jamo
        | '\u{2E80}'..='\u{2FDF}'   // CJK radicals, Kangxi radicals
        | '\u{2FF0}'..='\u{303F}'   // ideographic description, CJK symbols and punctuation
        | '\u{3040}'..='\u{31FF}'   // kana, bopomofo, CJK strokes
        | '\u{3200}'..='\u{9FFF}'   // enclosed CJK, compatibility, extension A, unified ideographs
        | '\u{A960}'..='\u{A97F}'
        | '\u{AC00}'..='\u{D7FF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}'   // CJK compatibility forms
        | '\u{FF00}'..='\u{FFEF}'   // full-width and half-width forms
        | '\u{20000}'..='\u{3FFFF}' // extensions B and later
    )
}

/// Punctuation that must not start a line.
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '）'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '〗'
            | '］'
            | '｝'
            | '！'
            | '？'
            | '．'
            | '”'
            | '’'
            | '…'
            | '—'
            | '々'
            | '〃'
            | 'ー'
    )
}

/// Punctuation that must not end a line.
fn no_break_after(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '《' | '〈' | '【' | '〔' | '〖' | '［' | '｛' | '“' | '‘')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stand-in font: CJK one em, digits and Latin half an em, others 0.6, controls nothing.
    fn em(c: char) -> f32 {
        if c.is_control() {
            0.0
        } else if breaks_anywhere(c) {
            1.0
        } else if c.is_ascii() {
            0.5
        } else {
            0.6
        }
    }

    fn texts(text: &str, width: f32) -> Vec<&str> {
        wrap(text, width, em).iter().map(|line| &text[line.range.clone()]).collect()
    }

    #[test]
    fn breaks_as_chinese_and_english_text_expects() {
        let cases: [(&str, f32, &[&str]); 17] = [
            ("", 10.0, &[""]),
            ("安全生产检查", 3.0, &["安全生", "产检查"]),
            ("安全生产检查", 100.0, &["安全生产检查"]),
            // Words stay together; the break's space is dropped.
            ("hello world again", 3.0, &["hello", "world", "again"]),
            ("hello world", 5.5, &["hello world"]),
            ("hello world", 5.4, &["hello", "world"]),
            // A word longer than the line is broken inside, on a line of its own.
            ("abcdefghij", 2.0, &["abcd", "efgh", "ij"]),
            ("ab abcdefghij", 2.0, &["ab", "abcd", "efgh", "ij"]),
            // CJK next to a word breaks either side; the word stays whole.
            ("安全ABC检查", 2.0, &["安全", "ABC", "检查"]),
            // Closing punctuation stays with the character before it.
            ("安全。生产", 2.0, &["安", "全。", "生产"]),
            ("安全，生产。", 3.0, &["安全，", "生产。"]),
            // Opening punctuation stays with the character after it.
            ("安全《规》", 3.0, &["安全", "《规》"]),
            // '\n' starts a line; empty lines are kept; trailing spaces dropped.
            ("a  \n\nb", 10.0, &["a", "", "b"]),
            // An indent is kept.
            ("　　安全生产", 4.0, &["　　安全", "生产"]),
            // No room at all: a character a line.
            ("安全 ab", 0.0, &["安", "全", "a", "b"]),
            ("安全 ab", -3.0, &["安", "全", "a", "b"]),
            ("安全 ab", f32::NAN, &["安", "全", "a", "b"]),
        ];
        for (text, width, expected) in cases {
            assert_eq!(texts(text, width), expected, "{text:?} at {width}");
        }
    }

    #[test]
    fn a_line_check_can_fail() {
        // The table above is not vacuous: a wrong expectation is noticed.
        assert_ne!(texts("安全生产检查", 3.0), ["安全生产", "检查"]);
    }

    /// Text that looks like the documents': Chinese, English words, numbers, punctuation, spaces,
    /// line ends, and now and then anything at all.
    fn document_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[安全生产检查隐患整改企业]{1,6}",
            "[a-zA-Z]{1,14}",
            "[0-9]{1,6}",
            "[，。、；：）」』》！？（「《“”]",
            "[ \t　]{1,3}",
            Just("\n".to_owned()),
            ".{1,3}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn lines_fit_and_lose_only_break_whitespace(
            text in prop_oneof![document_text(), any::<String>()],
            width in prop_oneof![Just(0.0f32), 0.0f32..40.0],
        ) {
            let lines = wrap(&text, width, em);
            prop_assert!(!lines.is_empty());
            let mut at = 0;
            for line in &lines {
                // In order, on character boundaries, and what lies between lines is whitespace.
                prop_assert!(line.range.start >= at && line.range.end >= line.range.start);
                let gap = &text[at..line.range.start];
                prop_assert!(gap.chars().all(char::is_whitespace), "dropped {gap:?}");
                let content = &text[line.range.clone()];
                prop_assert!(!content.contains('\n'));
                // It fits, unless it is a single (visible) character.
                let measured: f32 = content.chars().map(em).sum();
                prop_assert!((measured - line.width).abs() < 1e-3);
                let visible = content.chars().filter(|c| em(*c) > 0.0).count();
                prop_assert!(measured <= width + 1e-3 || visible <= 1, "{content:?} is {measured} wide, over {width}");
                at = line.range.end;
            }
            let rest = &text[at..];
            prop_assert!(rest.chars().all(char::is_whitespace));
            // The lines together are the text without the whitespace dropped at breaks.
            let kept: String = lines.iter().map(|line| &text[line.range.clone()]).collect();
            let without_whitespace = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(without_whitespace(&kept), without_whitespace(&text));
            // One more line at least for every '\n'.
            prop_assert!(lines.len() > text.matches('\n').count());
        }
    }
}
