//! Supervision of work-plan assignments (督查督办): the status of an assignment and the moves
//! between statuses, the default deadlines, and when an assignment counts as overdue.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::labels::labelled_enum;

labelled_enum!(
    /// Where an assignment stands. `Overdue` is not stored: it is derived from the deadlines.
    AssignmentStatus {
        NotStarted = "not_started", "未开始", "Not started";
        InProgress = "in_progress", "进行中", "In progress";
        /// A report awaits review.
        Reported = "reported", "已报告", "Reported";
        Accepted = "accepted", "已通过", "Accepted";
        /// Reopened by a 回头看 review round; needs a new report.
        Reopened = "reopened", "已重开", "Reopened";
    }
);

/// The report periods of the usual rhythm, plus interim reports at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportPeriod {
    HalfYear,
    Annual,
    Interim,
}

impl ReportPeriod {
    pub const ALL: [ReportPeriod; 3] = [Self::HalfYear, Self::Annual, Self::Interim];

    pub fn key(self) -> &'static str {
        match self {
            Self::HalfYear => "half_year",
            Self::Annual => "annual",
            Self::Interim => "interim",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::HalfYear => "半年",
            Self::Annual => "年度",
            Self::Interim => "阶段",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::HalfYear => "half-year",
            Self::Annual => "annual",
            Self::Interim => "interim",
        }
    }

    /// The label in English when `english`, else in Chinese.
    pub fn label(self, english: bool) -> &'static str {
        if english { self.label_en() } else { self.label_zh() }
    }
}

/// What someone does to an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupervisionMove {
    /// The assigned unit records that work has begun.
    Start,
    /// The assigned unit submits a report.
    Report(ReportPeriod),
    /// A reviewer accepts the latest report. Accepting the annual report completes the work;
    /// accepting a half-year or interim report lets it go on.
    Accept(ReportPeriod),
    /// A reviewer returns the latest report with a reason.
    Return,
    /// The office reopens the assignment in a 回头看 round, with a reason.
    Reopen,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an assignment that is {from}")]
pub struct IllegalMove {
    pub from: &'static str,
    pub action: &'static str,
}

impl IllegalMove {
    /// What went wrong, for people.
    pub fn message(&self) -> crate::message::Message {
        crate::message!("supervision.illegal_move", from = self.from, action = self.action)
    }
}

impl SupervisionMove {
    pub fn key(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Report(_) => "report",
            Self::Accept(_) => "accept",
            Self::Return => "return",
            Self::Reopen => "reopen",
        }
    }
}

/// The status after `action`, or why it is not allowed.
pub fn next_status(from: AssignmentStatus, action: SupervisionMove) -> Result<AssignmentStatus, IllegalMove> {
    use AssignmentStatus::*;
    use SupervisionMove::*;
    let to = match (from, action) {
        (NotStarted | Reopened, Start) => Some(InProgress),
        (NotStarted | InProgress | Reopened, Report(_)) => Some(Reported),
        // A further report while one awaits review replaces nothing; it is simply added.
        (Reported, Report(_)) => Some(Reported),
        (Reported, Accept(ReportPeriod::Annual)) => Some(Accepted),
        (Reported, Accept(ReportPeriod::HalfYear | ReportPeriod::Interim)) => Some(InProgress),
        (Reported, Return) => Some(InProgress),
        (Reported | Accepted, Reopen) => Some(Reopened),
        _ => None,
    };
    to.ok_or(IllegalMove { from: from.key(), action: action.key() })
}

/// The status after one of the reports awaiting review is decided (accepted, returned, or
/// withdrawn by its unit, which moves like a return): while `others_pending` still wait the
/// assignment stays reported, except that accepting the annual report completes the work
/// whatever else waits (those are then superseded).
pub fn status_after_decision(from: AssignmentStatus, decision: SupervisionMove, others_pending: bool) -> Result<AssignmentStatus, IllegalMove> {
    let to = next_status(from, decision)?;
    Ok(if others_pending && to != AssignmentStatus::Accepted { AssignmentStatus::Reported } else { to })
}

/// The default deadlines of a plan year: the half-year report by 30 June and the annual report
/// by 31 December.
pub fn default_deadlines(year: i16) -> Option<(Date, Date)> {
    Some((Date::new(year, 6, 30).ok()?, Date::new(year, 12, 31).ok()?))
}

/// Whether an assignment is overdue on `today`: a deadline has passed without the report it
/// asks for, and the work has not been accepted.
pub fn is_overdue(today: Date, status: AssignmentStatus, half_year_due: Date, annual_due: Date, half_year_reported: bool, annual_reported: bool) -> bool {
    if status == AssignmentStatus::Accepted {
        return false;
    }
    (today > half_year_due && !half_year_reported && !annual_reported) || (today > annual_due && !annual_reported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssignmentStatus::*;

    #[test]
    fn moves() {
        let cases = [
            (NotStarted, SupervisionMove::Start, Ok(InProgress)),
            (NotStarted, SupervisionMove::Report(ReportPeriod::HalfYear), Ok(Reported)),
            (Reported, SupervisionMove::Accept(ReportPeriod::Annual), Ok(Accepted)),
            (Reported, SupervisionMove::Accept(ReportPeriod::HalfYear), Ok(InProgress)),
            (Reported, SupervisionMove::Return, Ok(InProgress)),
            (Accepted, SupervisionMove::Reopen, Ok(Reopened)),
            (Reopened, SupervisionMove::Report(ReportPeriod::Annual), Ok(Reported)),
            (NotStarted, SupervisionMove::Accept(ReportPeriod::Annual), Err(IllegalMove { from: "not_started", action: "accept" })),
            (Accepted, SupervisionMove::Report(ReportPeriod::Interim), Err(IllegalMove { from: "accepted", action: "report" })),
            (InProgress, SupervisionMove::Reopen, Err(IllegalMove { from: "in_progress", action: "reopen" })),
            (Accepted, SupervisionMove::Return, Err(IllegalMove { from: "accepted", action: "return" })),
        ];
        for (from, action, expected) in cases {
            assert_eq!(next_status(from, action), expected, "{from:?} {action:?}");
        }
    }

    #[test]
    fn overdue_follows_the_deadlines() {
        let (half, annual) = default_deadlines(2020).unwrap();
        let july = Date::new(2020, 7, 1).unwrap();
        let june = Date::new(2020, 6, 30).unwrap();
        assert!(!is_overdue(june, NotStarted, half, annual, false, false), "due today is not overdue");
        assert!(is_overdue(july, NotStarted, half, annual, false, false));
        assert!(!is_overdue(july, Reported, half, annual, true, false));
        let next_year = Date::new(2021, 1, 1).unwrap();
        assert!(is_overdue(next_year, Reported, half, annual, true, false), "the annual report is missing");
        assert!(!is_overdue(next_year, Accepted, half, annual, true, false));
        for &status in AssignmentStatus::ALL {
            assert_eq!(AssignmentStatus::parse(status.key()), Some(status));
        }
    }

    #[test]
    fn a_decision_leaves_the_assignment_reported_while_other_reports_wait() {
        let decide = |decision, others| status_after_decision(Reported, decision, others).unwrap();
        assert_eq!(decide(SupervisionMove::Accept(ReportPeriod::Interim), true), Reported);
        assert_eq!(decide(SupervisionMove::Return, true), Reported);
        assert_eq!(decide(SupervisionMove::Return, false), InProgress);
        assert_eq!(decide(SupervisionMove::Accept(ReportPeriod::Annual), true), Accepted, "the annual report completes the work");
        assert!(status_after_decision(InProgress, SupervisionMove::Return, true).is_err(), "nothing awaits review");
    }
}
