//! Responsibility groups of a work item: which parenthesised clauses assign units, and which of the
//! units they name lead (牵头, 会同) and which cooperate (负责, 配合, 协同 …).
//!
//! What counts as a group, in order of the checks:
//! 1. an outermost pair of matched parentheses on one line (`(`/`（`; nested pairs belong to it, so
//!    `各县(市、区)人民政府` stays inside); an unmatched parenthesis is skipped and reported;
//! 2. standing at the end of a sentence: followed, after spaces, by `。`, `;` or the end of the line
//!    (so `(党组)` and `(试行)》` inside a sentence are not groups);
//! 3. whose content holds a responsibility word (负责, 牵头, 会同, 配合, 协同, 参与, 协助, or a role label
//!    such as `责任单位:`) and a unit marker (省 市 县 区 各 委 厅 局 办 部门 单位 政府 …).
//!
//! How a group's content is split into units:
//! - only its first sentence counts, plus later sentences that start with a role label (so
//!   `…协同责任单位:县安委会各成员单位。完成时限:…` stops before `完成时限`);
//! - it is cut into clauses at `,` `;` (outside nested parentheses and 《》), at a role label
//!   (`牵头责任单位:` …, which sets the role until the next label), and after 牵头 or 会同 (the
//!   clause before them leads);
//! - a clause that is not explicitly leading takes its label's role, or else cooperates: `负责`,
//!   `按职责分工负责`, `配合` … and clauses without a verb (`各级党委、政府,`) all cooperate;
//! - the clause is cut at its first cooperation verb (`按职责分工负责`, `负责`, `配合` …), then split
//!   into units at `、` and at `和` `及` `以及` `与` where the text before already ends like a unit
//!   name (`省消防救援总队和省应急管理厅` splits, `省住房和城乡建设厅` does not);
//! - a collective name from `collective_units.txt` at the start of a unit is kept whole
//!   (`各级党委、政府`);
//! - `等有关部门`, `等` and similar tails are dropped: they mean "and the other relevant departments"
//!   and name no unit; `各有关部门` standing alone is a unit;
//! - a piece that does not look like a unit name (no institutional ending such as 厅 局 委 办 部门
//!   单位 政府 总队, not starting with 各, not a collective name) is rejected and reported.

use std::sync::LazyLock;

use crate::text;

/// Collective names that must never be split (`各级党委、政府`), one per line. The only list of
/// them in the workspace; [`collective_units`] exposes it to other crates.
const COLLECTIVE_UNITS_TEXT: &str = include_str!("collective_units.txt");

static COLLECTIVE_UNITS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut names: Vec<String> = COLLECTIVE_UNITS_TEXT.lines().map(str::trim).filter(|line| !line.is_empty()).map(text::fold_to_simplified).collect();
    names.sort();
    names.dedup();
    // Longest first, so that `各县(市、区)人民政府` wins over `各县(市、区)`.
    names.sort_by_key(|name| std::cmp::Reverse(name.chars().count()));
    names
});

/// Collective unit names (`各级党委、政府`, `中省直各有关部门` …) that the parser keeps whole, in
/// Simplified script with halfwidth parentheses, longest first.
pub fn collective_units() -> &'static [String] {
    &COLLECTIVE_UNITS
}

/// The most units one group may yield; the rest are dropped.
pub const MAX_UNITS_PER_GROUP: usize = 100;

/// A unit name longer than this is a sentence, not a name.
const UNIT_NAME_MAX_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Lead,
    Cooperating,
}

/// Role labels, longest first where one is the tail of another (`牵头责任单位` before `责任单位`).
const ROLE_LABELS: [(&str, Role); 13] = [
    ("牵头责任单位", Role::Lead),
    ("牵头单位", Role::Lead),
    ("牵头部门", Role::Lead),
    ("主办单位", Role::Lead),
    ("协同责任单位", Role::Cooperating),
    ("配合责任单位", Role::Cooperating),
    ("协同单位", Role::Cooperating),
    ("配合单位", Role::Cooperating),
    ("配合部门", Role::Cooperating),
    ("协办单位", Role::Cooperating),
    ("参与单位", Role::Cooperating),
    ("责任单位", Role::Cooperating),
    ("责任部门", Role::Cooperating),
];

/// Words after which the clause before leads; `牵头负责` counts as one.
const LEAD_WORDS: [&str; 2] = ["牵头", "会同"];

/// Verbs that end the unit list of a cooperating clause; the clause is cut at the first one.
const COOPERATION_VERBS: [&str; 10] = ["按照职责", "按职责", "按职能", "分工负责", "共同负责", "负责", "配合", "协同", "参与", "协助"];

/// Tails meaning "and the others" (`省能源局等有关部门`); they are removed, longest first.
const ET_CETERA_TAILS: [&str; 8] = ["等各有关部门", "等有关部门", "等相关部门", "等有关单位", "等相关单位", "等部门", "等单位", "等"];

/// Words that make a parenthesised clause a candidate responsibility group.
const RESPONSIBILITY_WORDS: [&str; 8] = ["负责", "牵头", "会同", "配合", "协同", "参与", "协助", "单位:"];

/// Marks of a unit name inside a candidate group.
const UNIT_MARKERS: [char; 14] = ['省', '市', '县', '区', '各', '委', '厅', '局', '办', '部', '单', '府', '队', '室'];

/// Last characters of institutional names: 厅 局 委 办(公室) 部(门) (单)位 (政)府 (总)队 (中)心 (公)司 (集)团
/// (委员)会 (法)院 站 所 处 科 署 馆 (机)关 (银)行 社 (妇)联 组.
const UNIT_NAME_ENDINGS: [char; 25] =
    ['厅', '局', '委', '办', '室', '部', '门', '位', '府', '队', '心', '司', '团', '会', '院', '站', '所', '处', '科', '署', '馆', '关', '行', '社', '联'];

/// Conjunctions that separate units when the text before them already ends like a unit name.
const CONJUNCTIONS: [&str; 4] = ["以及", "和", "及", "与"];

/// One candidate group on a line: char positions of its parentheses and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupSpan {
    pub open: usize,
    pub close: usize,
    pub content: String,
}

/// The parenthesis structure of one line.
#[derive(Debug, Default)]
pub(super) struct LineParentheses {
    /// Outermost matched pairs `(open, close)` in order, as char positions.
    pub outer: Vec<(usize, usize)>,
    /// Whether the line has an opening parenthesis that is never closed.
    pub has_unclosed: bool,
}

fn is_opening(c: char) -> bool {
    matches!(c, '(' | '（')
}

fn is_closing(c: char) -> bool {
    matches!(c, ')' | '）')
}

/// Matches the parentheses of a line in one pass. An unmatched `(` does not hide the groups after it:
/// only matched pairs count, and a pair is outermost if no other matched pair encloses it.
pub(super) fn line_parentheses(line: &[char]) -> LineParentheses {
    const UNMATCHED: usize = usize::MAX;
    let mut open_positions: Vec<usize> = Vec::new();
    let mut close_of = vec![UNMATCHED; line.len()];
    for (position, &c) in line.iter().enumerate() {
        if is_opening(c) {
            open_positions.push(position);
        } else if is_closing(c)
            && let Some(open) = open_positions.pop()
        {
            close_of[open] = position;
        }
    }
    let mut outer = Vec::new();
    let mut position = 0;
    while position < line.len() {
        match close_of[position] {
            UNMATCHED => position += 1,
            close => {
                outer.push((position, close));
                position = close + 1;
            }
        }
    }
    LineParentheses { outer, has_unclosed: !open_positions.is_empty() }
}

/// The groups of one line that pass checks 1–3 of the module documentation.
pub(super) fn groups_on_line(line: &[char], parentheses: &LineParentheses) -> Vec<GroupSpan> {
    parentheses
        .outer
        .iter()
        .filter(|(_, close)| {
            let next = line[close + 1..].iter().find(|c| !c.is_whitespace());
            matches!(next, None | Some('。' | ';' | '；'))
        })
        .map(|&(open, close)| GroupSpan { open, close, content: line[open + 1..close].iter().collect() })
        .filter(|group| looks_like_assignment(&group.content))
        .collect()
}

fn looks_like_assignment(content: &str) -> bool {
    RESPONSIBILITY_WORDS.iter().any(|word| content.contains(word)) && content.contains(UNIT_MARKERS)
}

/// The units of one group, by role, and the pieces that were not unit names.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Assignment {
    pub lead: Vec<String>,
    pub cooperating: Vec<String>,
    pub rejected: Vec<String>,
}

impl Assignment {
    fn add(&mut self, role: Role, unit: String) {
        if self.lead.len() + self.cooperating.len() >= MAX_UNITS_PER_GROUP {
            return;
        }
        let list = match role {
            Role::Lead => &mut self.lead,
            Role::Cooperating => &mut self.cooperating,
        };
        if !list.contains(&unit) {
            list.push(unit);
        }
    }

    fn add_clause(&mut self, clause: &mut String, explicit_role: Option<Role>, label_role: Option<Role>) {
        let role = explicit_role.or(label_role).unwrap_or(Role::Cooperating);
        let chars: Vec<char> = cut_at_cooperation_verb(clause).chars().collect();
        for piece in split_units(&chars) {
            let unit = clean_unit(&piece);
            if unit.is_empty() {
                continue;
            }
            if is_unit_name(unit) {
                self.add(role, unit.to_owned());
            } else if self.rejected.len() < MAX_UNITS_PER_GROUP {
                self.rejected.push(unit.to_owned());
            }
        }
        clause.clear();
    }
}

fn starts_with_at(chars: &[char], position: usize, word: &str) -> bool {
    (position..).zip(word.chars()).all(|(index, expected)| chars.get(index) == Some(&expected))
}

/// A role label with its colon at `position`: its role and the number of chars it spans.
fn role_label_at(chars: &[char], position: usize) -> Option<(Role, usize)> {
    ROLE_LABELS.iter().find_map(|(label, role)| {
        if !starts_with_at(chars, position, label) {
            return None;
        }
        let mut end = position + label.chars().count();
        while chars.get(end).is_some_and(|c| c.is_whitespace()) {
            end += 1;
        }
        matches!(chars.get(end), Some(':' | '：')).then_some((*role, end + 1 - position))
    })
}

/// Splits the content of a responsibility group into lead and cooperating units.
pub(super) fn parse_assignment(content: &str) -> Assignment {
    let chars: Vec<char> = content.chars().collect();
    let mut assignment = Assignment::default();
    let mut clause = String::new();
    let mut label_role: Option<Role> = None;
    let mut parenthesis_depth = 0usize;
    let mut book_title_depth = 0usize;
    let mut position = 0;
    while position < chars.len() {
        let c = chars[position];
        if parenthesis_depth == 0 && book_title_depth == 0 {
            if let Some((role, length)) = role_label_at(&chars, position) {
                assignment.add_clause(&mut clause, None, label_role);
                label_role = Some(role);
                position += length;
                continue;
            }
            if LEAD_WORDS.iter().any(|word| starts_with_at(&chars, position, word)) {
                assignment.add_clause(&mut clause, Some(Role::Lead), label_role);
                position += 2;
                if starts_with_at(&chars, position, "负责") {
                    position += 2;
                }
                continue;
            }
            match c {
                ',' | '，' | ';' | '；' => {
                    assignment.add_clause(&mut clause, None, label_role);
                    position += 1;
                    continue;
                }
                '。' => {
                    assignment.add_clause(&mut clause, None, label_role);
                    position += 1;
                    while chars.get(position).is_some_and(|c| c.is_whitespace()) {
                        position += 1;
                    }
                    if role_label_at(&chars, position).is_none() {
                        break;
                    }
                    continue;
                }
                _ => {}
            }
        }
        match c {
            '(' | '（' => parenthesis_depth += 1,
            ')' | '）' => parenthesis_depth = parenthesis_depth.saturating_sub(1),
            '《' => book_title_depth += 1,
            '》' => book_title_depth = book_title_depth.saturating_sub(1),
            _ => {}
        }
        clause.push(c);
        position += 1;
    }
    assignment.add_clause(&mut clause, None, label_role);
    assignment
}

/// The part of a clause before its first cooperation verb (`省应急管理厅负责` → `省应急管理厅`).
fn cut_at_cooperation_verb(clause: &str) -> &str {
    let cut = COOPERATION_VERBS.iter().filter_map(|verb| clause.find(verb)).min();
    match cut {
        Some(at) => &clause[..at],
        None => clause,
    }
}

/// Splits a clause into unit pieces at `、` and at conjunctions that follow a unit name, outside
/// parentheses and 《》, keeping collective names whole.
fn split_units(chars: &[char]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    // Whether `current` holds more than spaces; tracked rather than recomputed to stay linear.
    let mut current_started = false;
    let mut parenthesis_depth = 0usize;
    let mut book_title_depth = 0usize;
    let mut position = 0;
    while position < chars.len() {
        if !current_started && let Some(name) = collective_name_at(chars, position) {
            current.push_str(name);
            current_started = true;
            position += name.chars().count();
            continue;
        }
        let c = chars[position];
        if parenthesis_depth == 0 && book_title_depth == 0 {
            if matches!(c, '、' | ',' | '，' | ';' | '；') {
                pieces.push(std::mem::take(&mut current));
                current_started = false;
                position += 1;
                continue;
            }
            if let Some(conjunction) = CONJUNCTIONS.iter().find(|word| starts_with_at(chars, position, word))
                && ends_like_unit_name(&current)
            {
                pieces.push(std::mem::take(&mut current));
                current_started = false;
                position += conjunction.chars().count();
                continue;
            }
        }
        current_started |= !c.is_whitespace();
        match c {
            '(' | '（' => parenthesis_depth += 1,
            ')' | '）' => parenthesis_depth = parenthesis_depth.saturating_sub(1),
            '《' => book_title_depth += 1,
            '》' => book_title_depth = book_title_depth.saturating_sub(1),
            _ => {}
        }
        current.push(c);
        position += 1;
    }
    pieces.push(current);
    pieces
}

fn collective_name_at(chars: &[char], position: usize) -> Option<&'static str> {
    COLLECTIVE_UNITS.iter().find(|name| starts_with_at(chars, position, name)).map(String::as_str)
}

fn ends_like_unit_name(text: &str) -> bool {
    text.trim_end().ends_with(UNIT_NAME_ENDINGS)
}

/// Trims a unit piece and drops a leading 由 and tails like `等有关部门`.
fn clean_unit(piece: &str) -> &str {
    let mut unit = piece.trim();
    unit = unit.strip_prefix('由').unwrap_or(unit).trim_start();
    while let Some(shorter) = ET_CETERA_TAILS.iter().find_map(|tail| unit.strip_suffix(tail)) {
        unit = shorter.trim_end();
    }
    unit
}

fn is_unit_name(unit: &str) -> bool {
    let length = unit.chars().count();
    if !(2..=UNIT_NAME_MAX_CHARS).contains(&length) || unit.contains(['《', '》', '“', '”', '"']) {
        return false;
    }
    COLLECTIVE_UNITS.iter().any(|name| name == unit) || unit.starts_with('各') || ends_like_unit_name(unit) || unit.contains("政府")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(content: &str, lead: &[&str], cooperating: &[&str]) {
        let assignment = parse_assignment(content);
        assert_eq!(assignment.lead, lead, "lead units of ({content})");
        assert_eq!(assignment.cooperating, cooperating, "cooperating units of ({content})");
        assert!(assignment.rejected.is_empty(), "rejected pieces of ({content}): {:?}", assignment.rejected);
    }

    #[test]
    fn forms_seen_in_real_plans() {
        check(
            "省应急管理厅、省发展改革委牵头,省交通运输厅、省公安厅、省住房和城乡建设厅、国家能源局东北监管局、省能源局等有关部门按职责分工负责",
            &["省应急管理厅", "省发展改革委"],
            &["省交通运输厅", "省公安厅", "省住房和城乡建设厅", "国家能源局东北监管局", "省能源局"],
        );
        check("各级党委、政府,省安委会办公室和各有关部门按职责分工负责", &[], &["各级党委、政府", "省安委会办公室", "各有关部门"]);
        check("各级党委、政府,中省直各有关部门分工负责", &[], &["各级党委、政府", "中省直各有关部门"]);
        check("省应急管理厅负责", &[], &["省应急管理厅"]);
        check("各有关部门按职责分工负责", &[], &["各有关部门"]);
        check("省应急管理厅、省市场监督管理厅、省政数局会同各有关部门按职责分工负责", &["省应急管理厅", "省市场监督管理厅", "省政数局"], &["各有关部门"]);
        check(
            "牵头责任单位:县委宣传部、县应急管理局,协同责任单位:县安委会各成员单位。完成时限:2020年12月底前",
            &["县委宣传部", "县应急管理局"],
            &["县安委会各成员单位"],
        );
        check("牵头责任单位：县委宣传部；协同责任单位：县安委会各成员单位", &["县委宣传部"], &["县安委会各成员单位"]);
        check("责任单位:市直各有关单位、各县(市、区)人民政府、各开发区管委会", &[], &["市直各有关单位", "各县(市、区)人民政府", "各开发区管委会"]);
        check(
            "各级党委、政府,省应急管理厅、省财政厅、省民政厅、省林业和草原局等有关部门和省消防救援总队、省森林消防总队按职责分工负责",
            &[],
            &["各级党委、政府", "省应急管理厅", "省财政厅", "省民政厅", "省林业和草原局", "省消防救援总队", "省森林消防总队"],
        );
        check("各级党委、政府,省卫生健康委牵头,各有关部门按职责分工负责", &["省卫生健康委"], &["各级党委、政府", "各有关部门"]);
        check("省住房和城乡建设厅、省商务厅等按职责分工负责", &[], &["省住房和城乡建设厅", "省商务厅"]);
        check("省消防救援总队和省应急管理厅、省人力资源和社会保障厅等有关部门负责", &[], &["省消防救援总队", "省应急管理厅", "省人力资源和社会保障厅"]);
        check("省应急管理厅牵头负责,省公安厅及省交通运输厅配合", &["省应急管理厅"], &["省公安厅", "省交通运输厅"]);
        check("由省应急管理厅牵头,省公安厅以及各有关单位参与", &["省应急管理厅"], &["省公安厅", "各有关单位"]);
        check("牵头单位:省应急管理厅;配合单位:省公安厅、省财政厅", &["省应急管理厅"], &["省公安厅", "省财政厅"]);
        check("省应急管理厅、省应急管理厅负责", &[], &["省应急管理厅"]);
        check("中省直各有关部门负责", &[], &["中省直各有关部门"]);
        check("有关部门按职责负责", &[], &["有关部门"]);
    }

    #[test]
    fn pieces_that_are_not_units_are_rejected() {
        let assignment = parse_assignment("省应急管理厅负责,每季度通报一次");
        assert_eq!(assignment.cooperating, ["省应急管理厅"]);
        assert_eq!(assignment.rejected, ["每季度通报一次"]);
        assert!(parse_assignment("按职责分工负责").cooperating.is_empty());
    }

    #[test]
    fn only_sentence_end_assignments_are_groups() {
        let groups = |line: &str| {
            let chars: Vec<char> = line.chars().collect();
            groups_on_line(&chars, &line_parentheses(&chars)).into_iter().map(|group| group.content).collect::<Vec<_>>()
        };
        assert_eq!(groups("落实《吉林省安全生产约谈实施办法(试行)》等制度(省应急管理厅负责)。"), ["省应急管理厅负责"]);
        assert_eq!(groups("各级党委(党组)要负责。"), Vec::<String>::new());
        assert_eq!(groups("加强(试行)。"), Vec::<String>::new());
        assert_eq!(groups("甲(各县(市、区)人民政府负责);乙(省应急管理厅负责)"), ["各县(市、区)人民政府负责", "省应急管理厅负责"]);
        assert_eq!(groups("甲((省应急管理厅负责)。"), ["省应急管理厅负责"]);
        assert_eq!(groups("甲(省应急管理厅负责)要求"), Vec::<String>::new());
        assert!(line_parentheses(&['(', '甲']).has_unclosed);
        assert!(!line_parentheses(&[')', '(', ')']).has_unclosed);
    }

    #[test]
    fn collective_names_are_folded_and_longest_first() {
        let names = collective_units();
        assert!(names.iter().any(|name| name == "各级党委、政府"));
        let lengths: Vec<usize> = names.iter().map(|name| name.chars().count()).collect();
        assert!(lengths.windows(2).all(|pair| pair[0] >= pair[1]));
    }
}
