//! Hidden dangers (隐患) and their closed loop (原安监总局令第16号 and practice): states, the moves
//! between them, the grades, where a danger came from, and the rectification plan a 重大 danger
//! cannot do without.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::labels::labelled_enum;

labelled_enum!(
    /// Where a hidden danger stands in its loop.
    DangerState {
        Reported = "reported", "已上报", "Reported";
        Confirmed = "confirmed", "已确认", "Confirmed";
        Planned = "planned", "已制定方案", "Planned";
        Rectifying = "rectifying", "整改中", "Being rectified";
        PendingAcceptance = "pending_acceptance", "待验收", "Awaiting acceptance";
        Closed = "closed", "已销号", "Closed";
    }
);

labelled_enum!(
    /// 一般隐患 or 重大隐患.
    DangerGrade {
        General = "general", "一般", "General";
        Major = "major", "重大", "Major";
    }
);

labelled_enum!(
    /// Where a danger was found.
    DangerSource {
        SelfCheck = "self_check", "企业自查", "Self-check";
        Inspection = "inspection", "执法检查", "Inspection";
        Expert = "expert", "专家检查", "Expert check";
        Campaign = "campaign", "专项行动", "Campaign";
        Tip = "tip", "群众举报", "Public report";
        Alarm = "alarm", "监测报警", "Monitoring alarm";
        Accident = "accident", "事故调查", "Accident investigation";
    }
);

/// The moves of the loop, without their payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DangerAction {
    Confirm,
    Plan,
    Start,
    Submit,
    Accept,
    Reject,
    Reopen,
}

impl DangerAction {
    pub const ALL: [DangerAction; 7] = [Self::Confirm, Self::Plan, Self::Start, Self::Submit, Self::Accept, Self::Reject, Self::Reopen];

    pub fn key(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Plan => "plan",
            Self::Start => "start",
            Self::Submit => "submit",
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::Reopen => "reopen",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a hidden danger that is {from}")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub action: &'static str,
}

impl IllegalTransition {
    /// What went wrong, for people.
    pub fn message(&self) -> crate::message::Message {
        crate::message!("hidden_dangers.illegal_transition", from = self.from, action = self.action)
    }
}

/// The state after `action`, or why it is not allowed. A reopened danger goes back to rectifying.
pub fn next_state(from: DangerState, action: DangerAction) -> Result<DangerState, IllegalTransition> {
    use DangerAction::*;
    use DangerState::*;
    let to = match (from, action) {
        (Reported, Confirm) => Some(Confirmed),
        (Confirmed, Plan) => Some(Planned),
        (Planned, Start) => Some(Rectifying),
        (Rectifying, Submit) => Some(PendingAcceptance),
        (PendingAcceptance, Accept) => Some(Closed),
        (PendingAcceptance, Reject) => Some(Rectifying),
        (Closed, Reopen) => Some(Rectifying),
        _ => None,
    };
    to.ok_or(IllegalTransition { from: from.key(), action: action.key() })
}

/// A rectification plan as submitted; every element is text except the deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub funds: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub safety_measures: String,
    #[serde(default)]
    pub emergency_plan: String,
}

/// The seven elements of a rectification plan, in the order of 第16号令.
pub const PLAN_ELEMENTS: [&str; 7] = ["goal", "measures", "funds", "organization", "deadline", "safety_measures", "emergency_plan"];

/// A checked plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RectificationPlan {
    pub goal: String,
    pub measures: String,
    pub funds: String,
    pub organization: String,
    pub deadline: Option<Date>,
    pub safety_measures: String,
    pub emergency_plan: String,
}

/// Why a plan was refused: the elements missing (for a 重大 danger, all seven are required) and
/// the ones malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the plan lacks or has bad: {}", .fields.join(", "))]
pub struct PlanProblems {
    pub fields: Vec<&'static str>,
}

const PLAN_TEXT_MAX_CHARS: usize = 4_000;

/// Checks a plan for a danger of `grade`: a 重大 danger needs all seven elements; any element given
/// must be sensible (a real date, text of bounded length).
pub fn check_plan(grade: DangerGrade, input: &PlanInput) -> Result<RectificationPlan, PlanProblems> {
    let texts = [&input.goal, &input.measures, &input.funds, &input.organization, &input.deadline, &input.safety_measures, &input.emergency_plan];
    let mut fields = Vec::new();
    for (name, value) in PLAN_ELEMENTS.iter().zip(texts) {
        let value = value.trim();
        if (grade == DangerGrade::Major && value.is_empty()) || value.chars().count() > PLAN_TEXT_MAX_CHARS {
            fields.push(*name);
        }
    }
    let deadline = match input.deadline.trim() {
        "" => None,
        text => match text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                if !fields.contains(&"deadline") {
                    fields.push("deadline");
                }
                None
            }
        },
    };
    if !fields.is_empty() {
        return Err(PlanProblems { fields });
    }
    Ok(RectificationPlan {
        goal: input.goal.trim().to_owned(),
        measures: input.measures.trim().to_owned(),
        funds: input.funds.trim().to_owned(),
        organization: input.organization.trim().to_owned(),
        deadline,
        safety_measures: input.safety_measures.trim().to_owned(),
        emergency_plan: input.emergency_plan.trim().to_owned(),
    })
}

/// Whether a danger is overdue on `today`: its deadline has passed and it is not closed.
pub fn is_overdue(state: DangerState, deadline: Option<Date>, today: Date) -> bool {
    state != DangerState::Closed && deadline.is_some_and(|d| today > d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_loop_and_its_shortcuts() {
        use DangerAction::*;
        use DangerState::*;
        let path = [
            (Reported, Confirm, Confirmed),
            (Confirmed, Plan, Planned),
            (Planned, Start, Rectifying),
            (Rectifying, Submit, PendingAcceptance),
            (PendingAcceptance, Reject, Rectifying),
            (PendingAcceptance, Accept, Closed),
            (Closed, Reopen, Rectifying),
        ];
        for (from, action, to) in path {
            assert_eq!(next_state(from, action), Ok(to));
        }
        for (from, action) in
            [(Reported, Accept), (Reported, Plan), (Confirmed, Start), (Planned, Submit), (Rectifying, Accept), (Closed, Submit), (Rectifying, Reopen)]
        {
            assert_eq!(next_state(from, action), Err(IllegalTransition { from: from.key(), action: action.key() }));
        }
    }

    #[test]
    fn a_major_plan_needs_all_seven_elements() {
        let full = PlanInput {
            goal: "消除储罐区隐患".into(),
            measures: "加装紧急切断阀".into(),
            funds: "50万元".into(),
            organization: "设备部".into(),
            deadline: "2026-12-31".into(),
            safety_measures: "停用储罐,设置警戒".into(),
            emergency_plan: "泄漏应急预案".into(),
        };
        assert!(check_plan(DangerGrade::Major, &full).is_ok());
        let partial = PlanInput { funds: String::new(), emergency_plan: " ".into(), ..full.clone() };
        assert_eq!(check_plan(DangerGrade::Major, &partial).unwrap_err().fields, ["funds", "emergency_plan"]);
        assert!(
            check_plan(DangerGrade::General, &PlanInput { measures: "立即整改".into(), ..Default::default() }).is_ok(),
            "a 一般 danger may have a short plan"
        );
        assert_eq!(check_plan(DangerGrade::General, &PlanInput { deadline: "next week".into(), ..Default::default() }).unwrap_err().fields, ["deadline"]);
        assert_eq!(check_plan(DangerGrade::Major, &PlanInput::default()).unwrap_err().fields.len(), 7);
    }

    /// Every state is reached from a new report, and from every state a danger can still be
    /// closed: the life cycle has no unreachable stage and no dead end.
    #[test]
    fn every_stage_is_reachable_and_leads_to_closing() {
        let reachable_from = |start: DangerState| {
            let mut seen = vec![start];
            let mut frontier = vec![start];
            while let Some(state) = frontier.pop() {
                for next in DangerAction::ALL.iter().filter_map(|action| next_state(state, *action).ok()) {
                    if !seen.contains(&next) {
                        seen.push(next);
                        frontier.push(next);
                    }
                }
            }
            seen
        };
        assert_eq!(reachable_from(DangerState::Reported).len(), DangerState::ALL.len());
        for &state in DangerState::ALL {
            assert!(state == DangerState::Closed || reachable_from(state).contains(&DangerState::Closed), "{state:?} cannot be closed");
        }
    }

    fn any_action() -> impl Strategy<Value = DangerAction> {
        prop::sample::select(DangerAction::ALL.to_vec())
    }

    proptest! {
        /// Random sequences of actions: no step skips a stage of the life cycle (it moves one
        /// stage on, or back to rectifying on a rejection or a reopening), a refused step names
        /// the state it was refused in, and a danger is only ever closed by acceptance.
        #[test]
        fn random_sequences_never_skip_a_stage(actions in prop::collection::vec(any_action(), 0..60)) {
            let stage = |state: DangerState| DangerState::ALL.iter().position(|s| *s == state).unwrap_or(usize::MAX);
            let mut state = DangerState::Reported;
            for action in actions {
                match next_state(state, action) {
                    Ok(next) => {
                        let back_to_rectifying = next == DangerState::Rectifying && matches!(action, DangerAction::Reject | DangerAction::Reopen);
                        prop_assert!(stage(next) == stage(state) + 1 || back_to_rectifying, "{:?} --{:?}--> {:?}", state, action, next);
                        if next == DangerState::Closed {
                            prop_assert_eq!((state, action), (DangerState::PendingAcceptance, DangerAction::Accept));
                        }
                        state = next;
                    }
                    Err(error) => prop_assert_eq!(error.from, state.key()),
                }
            }
        }
    }
}
