//! Line-level recognition in a work plan: web-page noise, section and sub-section headings, item
//! numbers and title lines. Every function here looks at one line that is already folded to
//! Simplified script with halfwidth punctuation (see [`crate::text::fold_to_simplified`]).

/// What a non-blank, non-noise line of a plan is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LineKind<'a> {
    /// `一、…` (also `一.`): a top-level heading.
    Heading { number: String, title: String },
    /// `(一)…`: a sub-section heading under a top-level heading.
    SubHeading { number: String, title: String },
    /// `1.…`, `1、…`: a numbered work item; `rest` is the text after the number.
    Item { number: u32, rest: &'a str },
    /// Anything else: the body of an item, a title, or text that cannot be placed.
    Text,
}

/// The largest item number we accept; longer digit runs are dates or figures, not item numbers.
const ITEM_NUMBER_MAX_DIGITS: usize = 4;

pub(super) fn classify(line: &str) -> LineKind<'_> {
    if let Some((number, title)) = heading(line) {
        return LineKind::Heading { number, title };
    }
    if let Some((number, title)) = sub_heading(line) {
        return LineKind::SubHeading { number, title };
    }
    if let Some((number, rest)) = item(line) {
        return LineKind::Item { number, rest };
    }
    LineKind::Text
}

fn heading(line: &str) -> Option<(String, String)> {
    let (numeral, rest) = chinese_numeral_prefix(line)?;
    let rest = rest.strip_prefix('、').or_else(|| rest.strip_prefix('.'))?;
    Some((numeral.to_owned(), heading_title(rest)))
}

fn sub_heading(line: &str) -> Option<(String, String)> {
    let inner = line.strip_prefix('(')?;
    let (numeral, rest) = chinese_numeral_prefix(inner)?;
    let rest = rest.strip_prefix(')')?;
    Some((format!("({numeral})"), heading_title(rest)))
}

fn heading_title(rest: &str) -> String {
    rest.trim().trim_end_matches('。').trim_end().to_owned()
}

/// Splits a leading Chinese numeral from 一 to 九十九 (一, 十, 十二, 二十, 二十九 …) off `text`.
fn chinese_numeral_prefix(text: &str) -> Option<(&str, &str)> {
    const DIGITS: [char; 9] = ['一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let digit = |c: char| DIGITS.iter().position(|d| *d == c).map(|index| index + 1);
    let numeral_chars: Vec<char> = text.chars().take_while(|c| *c == '十' || digit(*c).is_some()).take(4).collect();
    let is_valid = match numeral_chars.as_slice() {
        [single] => *single == '十' || digit(*single).is_some(),
        ['十', units] => digit(*units).is_some(),
        [tens, '十'] => digit(*tens).is_some_and(|tens| tens >= 2),
        [tens, '十', units] => digit(*tens).is_some_and(|tens| tens >= 2) && digit(*units).is_some(),
        _ => false,
    };
    if !is_valid {
        return None;
    }
    let length: usize = numeral_chars.iter().map(|c| c.len_utf8()).sum();
    Some(text.split_at(length))
}

fn item(line: &str) -> Option<(u32, &str)> {
    let digit_count = line.bytes().take_while(u8::is_ascii_digit).count();
    if digit_count == 0 || digit_count > ITEM_NUMBER_MAX_DIGITS {
        return None;
    }
    let (digits, rest) = line.split_at(digit_count);
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix('、'))?;
    // `1.93W` and `3.5米` are figures, not item numbers.
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, rest.trim()))
}

/// Labels of web-page metadata lines (`来源:瑞文范文网`, `作者: …`); a line starting with one of
/// these followed by a colon is noise.
const METADATA_LABELS: [&str; 16] = [
    "来源",
    "出处",
    "作者",
    "发布时间",
    "发布日期",
    "更新时间",
    "标签",
    "关键词",
    "关键字",
    "责任编辑",
    "编辑",
    "本文链接",
    "原文链接",
    "原文地址",
    "分享到",
    "字号",
];

/// Counters of web pages (`阅读 123`, `浏览次数:45`); followed by digits, the line is noise.
const COUNTER_LABELS: [&str; 3] = ["阅读", "浏览", "点击"];

/// Web-page navigation that is noise when it starts a line.
const NAVIGATION_PREFIXES: [&str; 3] = ["上一篇", "下一篇", "返回列表"];

/// Whether a whole line is web-page noise: metadata, a view counter, navigation.
pub(super) fn is_noise(line: &str) -> bool {
    let after_label = |labels: &[&str]| labels.iter().find_map(|label| line.strip_prefix(label));
    if let Some(rest) = after_label(&METADATA_LABELS)
        && rest.trim_start().starts_with(':')
    {
        return true;
    }
    if let Some(rest) = after_label(&COUNTER_LABELS) {
        let rest = rest.trim_start_matches(['量', '数', '次', ':', ' ']);
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            return true;
        }
    }
    NAVIGATION_PREFIXES.iter().any(|prefix| line.starts_with(prefix)) || is_view_count(line)
}

/// `1.93W`, `12万`, `356次阅读`, `2020`: a bare number, maybe with a magnitude and a counter word.
fn is_view_count(line: &str) -> bool {
    let integer_len = line.bytes().take_while(u8::is_ascii_digit).count();
    if integer_len == 0 {
        return false;
    }
    let mut rest = &line[integer_len..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let fraction_len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if fraction_len == 0 {
            return false;
        }
        rest = &fraction[fraction_len..];
    }
    let rest = rest.trim_start().trim_start_matches(['W', 'w', 'K', 'k', '万', '千']);
    let rest = rest.trim_start_matches(['次', '人']).trim_start();
    rest.is_empty() || ["阅读", "浏览", "点击", "views"].contains(&rest)
}

/// Markers that start a web page's tail (tag lists, related links). Everything from one of them
/// to the end of the document is noise.
const TAIL_MARKERS: [&str; 7] = ["热门标签", "热门推荐", "相关推荐", "猜你喜欢", "相关文章", "相关阅读", "延伸阅读"];

/// Of the tail markers, those that never occur in a plan's prose, so that they also count when
/// glued to the end of the last content line (`…负责)。热门标签`).
const GLUED_TAIL_MARKERS: [&str; 4] = ["热门标签", "热门推荐", "相关推荐", "猜你喜欢"];

/// Cuts a web page's tail off a line: returns the content before the tail, and whether a tail
/// started on this line (so the rest of the document is noise too).
pub(super) fn cut_page_tail(line: &str) -> (&str, bool) {
    let trimmed = line.trim_start();
    if TAIL_MARKERS.iter().any(|marker| trimmed.starts_with(marker)) {
        return ("", true);
    }
    let glued_at = GLUED_TAIL_MARKERS.iter().filter_map(|marker| line.match_indices(marker).map(|(at, _)| at).find(|at| ends_a_sentence(&line[..*at]))).min();
    match glued_at {
        Some(at) => (&line[..at], true),
        None => (line, false),
    }
}

fn ends_a_sentence(before: &str) -> bool {
    before.trim_end().ends_with(['。', ')', '!', '?', '”', '》'])
}

/// A line can be a document title: short, one phrase, no sentence punctuation.
pub(super) fn is_title_like(line: &str) -> bool {
    const TITLE_MAX_CHARS: usize = 60;
    !line.is_empty() && line.chars().count() <= TITLE_MAX_CHARS && !line.contains(['。', ',', ';', '!', '?']) && !line.ends_with(':')
}

/// How strongly a title-like line claims to be the plan's title: a dated plan name
/// (`2020年全省安全生产工作要点`) beats a dated line (`关于印发2020年…的通知`), which beats an undated one.
pub(super) fn title_rank(line: &str) -> u8 {
    const PLAN_NAME_ENDINGS: [&str; 5] = ["要点", "计划", "安排", "方案", "任务"];
    match year_in(line) {
        Some(_) if PLAN_NAME_ENDINGS.iter().any(|ending| line.ends_with(ending)) => 2,
        Some(_) => 1,
        None => 0,
    }
}

/// The first `YYYY年` in a line (a year from 1900 to 2199).
pub(super) fn year_in(line: &str) -> Option<i16> {
    let bytes = line.as_bytes();
    line.match_indices('年').find_map(|(at, _)| {
        let start = at.checked_sub(4)?;
        let digits = &bytes[start..at];
        let preceded_by_digit = start > 0 && bytes[start - 1].is_ascii_digit();
        if preceded_by_digit || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year: i16 = line[start..at].parse().ok()?;
        (1900..=2199).contains(&year).then_some(year)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_kind(line: &str, expected: LineKind<'_>) {
        assert_eq!(classify(line), expected, "{line}");
    }

    #[test]
    fn headings_items_and_text_are_told_apart() {
        let heading = |number: &str, title: &str| LineKind::Heading { number: number.into(), title: title.into() };
        let sub = |number: &str, title: &str| LineKind::SubHeading { number: number.into(), title: title.into() };
        check_kind("一、健全责任体系。", heading("一", "健全责任体系"));
        check_kind("十二、其他", heading("十二", "其他"));
        check_kind("二十九、最后", heading("二十九", "最后"));
        check_kind("十.标题", heading("十", "标题"));
        check_kind("(三) 强化执法", sub("(三)", "强化执法"));
        check_kind("1.持续深入", LineKind::Item { number: 1, rest: "持续深入" });
        check_kind("12、加强", LineKind::Item { number: 12, rest: "加强" });
        check_kind("7.", LineKind::Item { number: 7, rest: "" });
        for text in ["一是加强", "一十、x", "十十、x", "一二、x", "(1)子项", "1.93W", "3.5米", "12345.太长", "2020年", "(一"] {
            check_kind(text, LineKind::Text);
        }
    }

    #[test]
    fn web_noise_is_recognised() {
        for noise in ["来源:瑞文范文网 1.93W", "来源 : 网络", "1.93W", "阅读 123", "浏览次数:45", "356次阅读", "标签:安全", "上一篇:x"]
        {
            assert!(is_noise(noise), "{noise}");
        }
        for content in ["1.加强", "来源于群众", "阅读材料", "安委会工作要点", "标签化管理"] {
            assert!(!is_noise(content), "{content}");
        }
    }

    #[test]
    fn page_tails_are_cut() {
        assert_eq!(cut_page_tail("热门标签"), ("", true));
        assert_eq!(cut_page_tail("负责)。热门标签 安全"), ("负责)。", true));
        assert_eq!(cut_page_tail("在媒体发表相关文章"), ("在媒体发表相关文章", false));
        assert_eq!(cut_page_tail("加强热门标签管理"), ("加强热门标签管理", false));
    }

    #[test]
    fn titles_and_years() {
        assert!(is_title_like("安委会工作要点"));
        assert!(!is_title_like("坚持以习近平新时代中国特色社会主义思想为指导,全面贯彻。"));
        assert!(!is_title_like("各市(州)人民政府:"));
        assert_eq!(year_in("2020年全省安全生产工作要点"), Some(2020));
        assert_eq!(year_in("吉安委〔2020〕1号"), None);
        assert_eq!(year_in("120200年"), None);
        assert_eq!(year_in("年"), None);
        assert_eq!(title_rank("2020年全省安全生产工作要点"), 2);
        assert_eq!(title_rank("关于印发2020年全省安全生产工作要点的通知"), 1);
        assert_eq!(title_rank("安委会工作要点"), 0);
    }
}
