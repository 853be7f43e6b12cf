//! Work-safety credit (安全生产信用) by 应急管理部令第11号 (2023): an enterprise's record from its
//! events, its grade, and listing as seriously untrustworthy (严重失信) with its three-year term and
//! the repair (信用修复) possible once a year of it has passed.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accidents::AccidentLevel;
use crate::labels::labelled_enum;

labelled_enum!(
    /// What enters an enterprise's credit record.
    CreditEventKind {
        Accident = "accident", "生产安全事故", "Accident";
        Penalty = "penalty", "行政处罚", "Administrative penalty";
        Concealment = "concealment", "瞒报、谎报事故", "Concealed or falsely reported accident";
        OverdueMajorDanger = "overdue_major_danger", "重大事故隐患逾期未整改", "Major hidden danger overdue";
        RefusedPenalty = "refused_penalty", "拒不执行处罚决定", "Refused to carry out a penalty";
        Unlicensed = "unlicensed", "未取得许可擅自生产经营", "Operating without a licence";
    }
);

labelled_enum!(
    /// The credit grade: A and B trustworthy, C untrustworthy, D listed as seriously untrustworthy.
    CreditGrade {
        A = "a", "A级(守信)", "A (trustworthy)";
        B = "b", "B级(基本守信)", "B (mostly trustworthy)";
        C = "c", "C级(失信)", "C (untrustworthy)";
        D = "d", "D级(严重失信)", "D (seriously untrustworthy)";
    }
);

/// One event of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEvent {
    pub kind: CreditEventKind,
    pub on: Date,
    /// The level, for an accident.
    pub accident_level: Option<AccidentLevel>,
}

/// How long a listing lasts, and how long before it may be repaired.
pub const LISTING_YEARS: i16 = 3;
pub const REPAIR_AFTER_YEARS: i16 = 1;
/// How far back events count towards the grade.
pub const GRADE_WINDOW_YEARS: i16 = 3;

/// An enterprise's standing on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditStanding {
    pub grade: CreditGrade,
    pub score: i32,
    pub listed: bool,
    /// The event that listed it, and the term.
    pub listed_on: Option<Date>,
    pub listed_until: Option<Date>,
    /// From when a repair may be applied for.
    pub repairable_from: Option<Date>,
    pub listing_reason: Option<CreditEventKind>,
}

fn years_after(date: Date, years: i16) -> Date {
    date.checked_add(jiff::Span::new().years(years)).unwrap_or(Date::MAX)
}

/// Whether an event lists the enterprise by itself: a 重大 or 特别重大 accident, a concealed
/// accident, a refused penalty, operating without a licence. (Two 较大 accidents within twelve
/// months list it too; see `standing`.)
fn lists_by_itself(event: &CreditEvent) -> bool {
    match event.kind {
        CreditEventKind::Accident => event.accident_level.is_some_and(|level| level >= AccidentLevel::Major),
        CreditEventKind::Concealment | CreditEventKind::RefusedPenalty | CreditEventKind::Unlicensed => true,
        CreditEventKind::Penalty | CreditEventKind::OverdueMajorDanger => false,
    }
}

/// The standing on `today` from the events (any order) and the day a repair was granted, if one
/// was: the latest listing event starts a three-year term, ended early by a repair granted at
/// least a year into it. The score starts at 100 and loses, for events of the last three years,
/// 10 per 一般 accident, 30 per 较大, 5 per penalty and 10 per overdue 重大 danger; A from 90, B
/// from 70, C below, D while listed.
pub fn standing(events: &[CreditEvent], today: Date, repaired_on: Option<Date>) -> CreditStanding {
    let mut listing: Option<(Date, CreditEventKind)> = None;
    let mut consider = |on: Date, kind: CreditEventKind| {
        if on <= today && listing.is_none_or(|(latest, _)| on > latest) {
            listing = Some((on, kind));
        }
    };
    for event in events {
        if lists_by_itself(event) {
            consider(event.on, event.kind);
        }
    }
    // Two 较大 accidents within twelve months: listed from the second.
    let mut larger: Vec<Date> =
        events.iter().filter(|e| e.kind == CreditEventKind::Accident && e.accident_level == Some(AccidentLevel::Larger)).map(|e| e.on).collect();
    larger.sort();
    for pair in larger.windows(2) {
        if pair[1] <= years_after(pair[0], 1) {
            consider(pair[1], CreditEventKind::Accident);
        }
    }
    let term = listing.map(|(on, kind)| (on, years_after(on, LISTING_YEARS), years_after(on, REPAIR_AFTER_YEARS), kind));
    let active = term.filter(|(on, until, repairable, _)| {
        let repaired = repaired_on.is_some_and(|day| day >= *repairable && day >= *on && day <= today);
        today < *until && !repaired
    });
    let since = years_after(today, -GRADE_WINDOW_YEARS);
    let score = events.iter().filter(|e| e.on > since && e.on <= today).fold(100i32, |score, event| {
        score
            - match (event.kind, event.accident_level) {
                (CreditEventKind::Accident, Some(AccidentLevel::General)) => 10,
                (CreditEventKind::Accident, _) => 30,
                (CreditEventKind::Penalty, _) => 5,
                (CreditEventKind::OverdueMajorDanger, _) => 10,
                _ => 30,
            }
    });
    let grade = match (active.is_some(), score) {
        (true, _) => CreditGrade::D,
        (false, 90..) => CreditGrade::A,
        (false, 70..) => CreditGrade::B,
        _ => CreditGrade::C,
    };
    CreditStanding {
        grade,
        score: score.max(0),
        listed: active.is_some(),
        listed_on: active.map(|t| t.0),
        listed_until: active.map(|t| t.1),
        repairable_from: active.map(|t| t.2),
        listing_reason: active.map(|t| t.3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn accident(on: &str, level: AccidentLevel) -> CreditEvent {
        CreditEvent { kind: CreditEventKind::Accident, on: day(on), accident_level: Some(level) }
    }

    #[test]
    fn a_major_accident_lists_for_three_years() {
        let events = [accident("2026-03-01", AccidentLevel::Major)];
        let listed = standing(&events, day("2026-06-01"), None);
        assert!(listed.listed && listed.grade == CreditGrade::D);
        assert_eq!(listed.listed_until, Some(day("2029-03-01")));
        assert_eq!(listed.repairable_from, Some(day("2027-03-01")));
        assert!(!standing(&events, day("2029-03-01"), None).listed, "the term ends");
        assert!(!standing(&events, day("2026-02-28"), None).listed, "not before the accident");
    }

    #[test]
    fn a_repair_ends_a_listing_only_after_a_year() {
        let events = [accident("2026-03-01", AccidentLevel::Major)];
        assert!(standing(&events, day("2026-12-01"), Some(day("2026-12-01"))).listed, "too early to repair");
        let repaired = standing(&events, day("2027-04-01"), Some(day("2027-03-15")));
        assert!(!repaired.listed && repaired.grade != CreditGrade::D);
    }

    #[test]
    fn two_larger_accidents_within_twelve_months() {
        let apart = [accident("2025-01-10", AccidentLevel::Larger), accident("2026-02-01", AccidentLevel::Larger)];
        assert!(!standing(&apart, day("2026-03-01"), None).listed);
        let close = [accident("2025-03-10", AccidentLevel::Larger), accident("2026-03-01", AccidentLevel::Larger)];
        let listed = standing(&close, day("2026-03-02"), None);
        assert_eq!((listed.listed, listed.listed_on), (true, Some(day("2026-03-01"))));
    }

    #[test]
    fn grades_by_score() {
        let today = day("2026-06-01");
        assert_eq!(standing(&[], today, None).grade, CreditGrade::A);
        let penalty = |on: &str| CreditEvent { kind: CreditEventKind::Penalty, on: day(on), accident_level: None };
        assert_eq!(standing(&[penalty("2026-01-01"), penalty("2026-02-01"), penalty("2026-03-01")], today, None).grade, CreditGrade::B);
        let general =
            [accident("2026-01-01", AccidentLevel::General), accident("2025-01-01", AccidentLevel::General), accident("2024-01-01", AccidentLevel::Larger)];
        assert_eq!(standing(&general, today, None).grade, CreditGrade::C);
        assert_eq!(standing(&[penalty("2022-01-01")], today, None).score, 100, "events older than three years do not count");
        let concealed = CreditEvent { kind: CreditEventKind::Concealment, on: day("2026-05-01"), accident_level: None };
        assert_eq!(standing(&[concealed], today, None).listing_reason, Some(CreditEventKind::Concealment));
    }
}
