//! Work-plan parser: turns the text of a Work Safety Committee annual work plan (安委会工作要点) into
//! its title, sections, numbered work items and their responsibility groups. Pure and linear in
//! the size of the input; it never fails, and reports what it could not place as warnings.
//!
//! The text is first folded to Simplified script with halfwidth punctuation
//! ([`text::fold_to_simplified`]), line endings are unified and BOMs dropped; a line is a
//! paragraph. Then, line by line:
//! - web-page noise is dropped: metadata (`来源:…`), view counts (`1.93W`), navigation, and a
//!   page's tail (`热门标签`, `相关推荐` …) to the end of the document, also when glued to the end of
//!   the last content line;
//! - `一、…` starts a heading and `(一)…` a sub-heading; a section is the latest heading of
//!   either kind when an item appears, so where `一、` headings hold `(一)` sub-sections, the
//!   sub-sections are the sections; headings that hold no item directly are not emitted;
//! - `1.` / `1、` starts a work item, which runs to the next item or heading;
//! - lines before the first heading or item are the preamble: the title is the strongest
//!   title-like line there, a dated plan name (`2020年全省安全生产工作要点`) first; the title
//!   repeated later is dropped;
//! - responsibility groups are found and split by the rules documented in `responsibility.rs`.

mod lines;
mod responsibility;

use serde::Serialize;

use crate::text;
use lines::LineKind;

pub use responsibility::{MAX_UNITS_PER_GROUP, collective_units};

/// The most sections a plan yields; parsing stops at the next one.
pub const MAX_SECTIONS: usize = 1_000;
/// The most work items a plan yields; parsing stops at the next one.
pub const MAX_ITEMS: usize = 10_000;
/// The most responsibility groups one item yields; later groups are dropped.
pub const MAX_GROUPS_PER_ITEM: usize = 100;
/// The most warnings a plan yields, plus one saying how many more were dropped.
pub const MAX_WARNINGS: usize = 1_000;

/// How much of a line a warning quotes.
const EXCERPT_MAX_CHARS: usize = 30;

/// A parsed work plan. Everything in it is Simplified Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedPlan {
    title: String,
    year: Option<i16>,
    sections: Vec<Section>,
    warnings: Vec<crate::message::Message>,
}

impl ParsedPlan {
    /// The document title (`2020年全省安全生产工作要点`), empty if none was found.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The year `YYYY年` in the title, if any.
    pub fn year(&self) -> Option<i16> {
        self.year
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Every work item of the plan in document order.
    pub fn items(&self) -> impl Iterator<Item = &WorkItem> {
        self.sections.iter().flat_map(|section| &section.items)
    }

    /// What could not be placed, each with its line number (`第5行 / line 5: …`).
    pub fn warnings(&self) -> &[crate::message::Message] {
        &self.warnings
    }
}

/// A heading that directly holds work items: `一、…`, or `(一)…` where the plan has sub-sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    number: String,
    title: String,
    items: Vec<WorkItem>,
}

impl Section {
    /// The numeral as written: `一`, or `(一)` for a sub-section; empty for items that came before
    /// any heading.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The heading text after the numbering, without a trailing `。`.
    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn items(&self) -> &[WorkItem] {
        &self.items
    }
}

/// A numbered work item (`1.持续深入开展…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkItem {
    number: u32,
    title: String,
    text: String,
    responsibilities: Vec<ResponsibilityGroup>,
}

impl WorkItem {
    /// The number as written.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The first sentence, without its terminator or a responsibility group that ends it.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The whole item without its number, lines joined with `\n`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The item's responsibility groups in order, one per sentence that ends in one.
    pub fn responsibilities(&self) -> &[ResponsibilityGroup] {
        &self.responsibilities
    }
}

/// A parenthesised assignment of units (`(省应急管理厅牵头,各有关部门按职责分工负责)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponsibilityGroup {
    text: String,
    lead: Vec<String>,
    cooperating: Vec<String>,
}

impl ResponsibilityGroup {
    /// The content inside the outer parentheses, as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Units that lead (before 牵头 or 会同, or under a 牵头 label).
    pub fn lead(&self) -> &[String] {
        &self.lead
    }

    /// Units that are responsible or cooperate (负责, 配合, 协同 …, or named without a verb).
    pub fn cooperating(&self) -> &[String] {
        &self.cooperating
    }
}

/// Parses the text of a work plan. Never panics; linear in the length of `text`.
pub fn parse(text: &str) -> ParsedPlan {
    let normalised = normalise(text);
    let mut builder = PlanBuilder::default();
    for (index, raw_line) in normalised.split('\n').enumerate() {
        let (content, page_tail_starts) = lines::cut_page_tail(raw_line);
        builder.feed(index + 1, content.trim());
        if page_tail_starts || builder.stopped {
            break;
        }
    }
    builder.finish()
}

fn normalise(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let without_marks: String = unified.chars().filter(|c| !matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}')).collect();
    text::fold_to_simplified(&without_marks)
}

/// Why a part of the plan could not be placed; rendered into [`ParsedPlan::warnings`].
#[derive(Debug, thiserror::Error)]
enum Problem {
    #[error("text before the first section heading was not placed: '{0}'")]
    UnplacedPreamble(String),
    #[error("text after heading '{heading}' and before its first item was not placed: '{excerpt}'")]
    UnplacedUnderHeading { heading: String, excerpt: String },
    #[error("no title line before the first section heading")]
    NoTitle,
    #[error("items before the first section heading were put in a section without a number")]
    ItemsWithoutSection,
    #[error("item {found} is out of sequence (expected {expected})")]
    ItemOutOfSequence { found: u32, expected: u32 },
    #[error("item {item} has an unterminated parenthesis")]
    UnterminatedParenthesis { item: u32 },
    #[error("item {item}: a parenthesised group looks like a responsibility assignment but names no unit: '{group}'")]
    GroupWithoutUnit { item: u32, group: String },
    #[error("item {item}: '{piece}' in a responsibility group is not a unit name and was ignored")]
    NotAUnit { item: u32, piece: String },
    #[error("item {item} has more than {MAX_GROUPS_PER_ITEM} responsibility groups; the rest were dropped")]
    TooManyGroups { item: u32 },
    #[error("more than {MAX_ITEMS} items; the rest of the plan was not parsed")]
    TooManyItems,
    #[error("more than {MAX_SECTIONS} sections; the rest of the plan was not parsed")]
    TooManySections,
}

impl Problem {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::UnplacedPreamble(v0) => crate::message!("workplans.problem.unplaced_preamble", v0 = v0),
            Self::UnplacedUnderHeading { heading, excerpt } => {
                crate::message!("workplans.problem.unplaced_under_heading", excerpt = excerpt, heading = heading)
            }
            Self::NoTitle => crate::message!("workplans.problem.no_title"),
            Self::ItemsWithoutSection => crate::message!("workplans.problem.items_without_section"),
            Self::ItemOutOfSequence { found, expected } => crate::message!("workplans.problem.item_out_of_sequence", expected = expected, found = found),
            Self::UnterminatedParenthesis { item } => crate::message!("workplans.problem.unterminated_parenthesis", item = item),
            Self::GroupWithoutUnit { item, group } => crate::message!("workplans.problem.group_without_unit", group = group, item = item),
            Self::NotAUnit { item, piece } => crate::message!("workplans.problem.not_a_unit", item = item, piece = piece),
            Self::TooManyGroups { item } => crate::message!("workplans.problem.too_many_groups", MAX_GROUPS_PER_ITEM = MAX_GROUPS_PER_ITEM, item = item),
            Self::TooManyItems => crate::message!("workplans.problem.too_many_items", MAX_ITEMS = MAX_ITEMS),
            Self::TooManySections => crate::message!("workplans.problem.too_many_sections", MAX_SECTIONS = MAX_SECTIONS),
        }
    }
}

fn excerpt(line: &str) -> String {
    let mut chars = line.chars();
    let mut quoted: String = chars.by_ref().take(EXCERPT_MAX_CHARS).collect();
    if chars.next().is_some() {
        quoted.push('…');
    }
    quoted
}

/// Warnings with a bound: after [`MAX_WARNINGS`], only a count is kept.
#[derive(Debug, Default)]
struct Warnings {
    messages: Vec<crate::message::Message>,
    dropped: usize,
}

impl Warnings {
    fn push(&mut self, line_number: Option<usize>, problem: Problem) {
        if self.messages.len() >= MAX_WARNINGS {
            self.dropped += 1;
            return;
        }
        self.messages.push(match line_number {
            Some(line) => crate::message!("workplans.line", line = line, problem => problem.message()),
            None => problem.message(),
        });
    }

    fn finish(mut self) -> Vec<crate::message::Message> {
        if self.dropped > 0 {
            let dropped = self.dropped;
            self.messages.push(crate::message!("workplans.more_warnings_were_dropped", dropped = dropped));
        }
        self.messages
    }
}

/// A work item being collected, line by line.
#[derive(Debug)]
struct ItemDraft {
    number: u32,
    section_index: usize,
    /// Non-empty lines with their line numbers; the first is the text after the item number.
    lines: Vec<(usize, String)>,
}

#[derive(Debug, Default)]
struct PlanBuilder {
    /// Lines before the first heading or item, while that is still open.
    preamble: Vec<(usize, String)>,
    preamble_done: bool,
    title: Option<String>,
    /// The latest heading (number, title); items after it go into its section.
    heading: Option<(String, String)>,
    /// The section receiving items: the latest heading's, once it has one.
    open_section: Option<usize>,
    sections: Vec<Section>,
    item: Option<ItemDraft>,
    previous_item_number: u32,
    items_in_open_section: usize,
    item_count: usize,
    warnings: Warnings,
    /// Set when a bound was reached: the rest of the input is ignored.
    stopped: bool,
}

impl PlanBuilder {
    fn feed(&mut self, line_number: usize, line: &str) {
        if self.stopped || line.is_empty() || lines::is_noise(line) || self.title.as_deref() == Some(line) {
            return;
        }
        match lines::classify(line) {
            LineKind::Heading { number, title } | LineKind::SubHeading { number, title } => {
                self.end_preamble();
                self.finish_item();
                self.heading = Some((number, title));
                self.open_section = None;
            }
            LineKind::Item { number, rest } => {
                self.end_preamble();
                self.finish_item();
                self.start_item(line_number, number, rest);
            }
            LineKind::Text if !self.preamble_done => self.preamble.push((line_number, line.to_owned())),
            LineKind::Text => match &mut self.item {
                Some(item) => item.lines.push((line_number, line.to_owned())),
                None => {
                    let heading = self.heading.as_ref().map(|(number, title)| format!("{number} {title}")).unwrap_or_default();
                    self.warnings.push(Some(line_number), Problem::UnplacedUnderHeading { heading: excerpt(&heading), excerpt: excerpt(line) });
                }
            },
        }
    }

    /// Settles the title from the preamble and reports the preamble lines that are not the title.
    fn end_preamble(&mut self) {
        if self.preamble_done {
            return;
        }
        self.preamble_done = true;
        let preamble = std::mem::take(&mut self.preamble);
        let mut best: Option<(u8, &str)> = None;
        for (_, line) in preamble.iter().filter(|(_, line)| lines::is_title_like(line)) {
            let rank = lines::title_rank(line);
            if best.is_none_or(|(best_rank, _)| rank > best_rank) {
                best = Some((rank, line));
            }
        }
        self.title = best.map(|(_, line)| line.to_owned());
        if self.title.is_none() {
            self.warnings.push(None, Problem::NoTitle);
        }
        for (line_number, line) in &preamble {
            if self.title.as_ref() != Some(line) {
                self.warnings.push(Some(*line_number), Problem::UnplacedPreamble(excerpt(line)));
            }
        }
    }

    fn start_item(&mut self, line_number: usize, number: u32, rest: &str) {
        if self.item_count >= MAX_ITEMS {
            self.warnings.push(Some(line_number), Problem::TooManyItems);
            self.stopped = true;
            return;
        }
        let section_index = match self.open_section {
            Some(index) => index,
            None => {
                if self.sections.len() >= MAX_SECTIONS {
                    self.warnings.push(Some(line_number), Problem::TooManySections);
                    self.stopped = true;
                    return;
                }
                let (number, title) = self.heading.clone().unwrap_or_else(|| {
                    self.warnings.push(Some(line_number), Problem::ItemsWithoutSection);
                    (String::new(), String::new())
                });
                self.sections.push(Section { number, title, items: Vec::new() });
                self.items_in_open_section = 0;
                self.open_section = Some(self.sections.len() - 1);
                self.sections.len() - 1
            }
        };
        let expected = self.previous_item_number.saturating_add(1);
        let restarts_numbering = number == 1 && self.items_in_open_section == 0;
        if number != expected && !restarts_numbering {
            self.warnings.push(Some(line_number), Problem::ItemOutOfSequence { found: number, expected });
        }
        self.previous_item_number = number;
        self.items_in_open_section += 1;
        self.item_count += 1;
        let lines = if rest.is_empty() { Vec::new() } else { vec![(line_number, rest.to_owned())] };
        self.item = Some(ItemDraft { number, section_index, lines });
    }

    fn finish_item(&mut self) {
        let Some(draft) = self.item.take() else {
            return;
        };
        let item = build_item(draft.number, &draft.lines, &mut self.warnings);
        if let Some(section) = self.sections.get_mut(draft.section_index) {
            section.items.push(item);
        }
    }

    fn finish(mut self) -> ParsedPlan {
        self.end_preamble();
        self.finish_item();
        let title = self.title.unwrap_or_default();
        ParsedPlan { year: lines::year_in(&title), title, sections: self.sections, warnings: self.warnings.finish() }
    }
}

fn build_item(number: u32, item_lines: &[(usize, String)], warnings: &mut Warnings) -> WorkItem {
    let text = item_lines.iter().map(|(_, line)| line.as_str()).collect::<Vec<_>>().join("\n").trim().to_owned();
    let mut title = String::new();
    let mut responsibilities = Vec::new();
    let mut reported_too_many_groups = false;
    for (index, (line_number, line)) in item_lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let parentheses = responsibility::line_parentheses(&chars);
        if parentheses.has_unclosed {
            warnings.push(Some(*line_number), Problem::UnterminatedParenthesis { item: number });
        }
        let groups = responsibility::groups_on_line(&chars, &parentheses);
        if index == 0 {
            title = first_sentence(&chars, &parentheses, &groups);
        }
        for group in groups {
            let assignment = responsibility::parse_assignment(&group.content);
            for piece in assignment.rejected {
                warnings.push(Some(*line_number), Problem::NotAUnit { item: number, piece: excerpt(&piece) });
            }
            if assignment.lead.is_empty() && assignment.cooperating.is_empty() {
                warnings.push(Some(*line_number), Problem::GroupWithoutUnit { item: number, group: excerpt(&group.content) });
            } else if responsibilities.len() >= MAX_GROUPS_PER_ITEM {
                if !reported_too_many_groups {
                    warnings.push(Some(*line_number), Problem::TooManyGroups { item: number });
                    reported_too_many_groups = true;
                }
            } else {
                responsibilities.push(ResponsibilityGroup { text: group.content, lead: assignment.lead, cooperating: assignment.cooperating });
            }
        }
    }
    WorkItem { number, title, text, responsibilities }
}

/// The first sentence of an item's first line: up to the first `。` `!` `?` `;` outside
/// parentheses, without a responsibility group that ends it.
fn first_sentence(chars: &[char], parentheses: &responsibility::LineParentheses, groups: &[responsibility::GroupSpan]) -> String {
    let mut pairs = parentheses.outer.iter().peekable();
    let mut end = chars.len();
    for (position, c) in chars.iter().enumerate() {
        while pairs.peek().is_some_and(|(_, close)| *close < position) {
            pairs.next();
        }
        let inside_parentheses = pairs.peek().is_some_and(|(open, close)| (*open..=*close).contains(&position));
        if !inside_parentheses && matches!(c, '。' | '!' | '?' | ';') {
            end = position;
            break;
        }
    }
    let ending_group = groups.iter().find(|group| group.close < end && chars[group.close + 1..end].iter().all(|c| c.is_whitespace()));
    let title_end = ending_group.map_or(end, |group| group.open);
    chars[..title_end].iter().collect::<String>().trim().to_owned()
}
