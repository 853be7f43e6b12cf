//! One inbox per user (待办与消息): what waits on the caller, gathered from the modules (hidden
//! dangers to confirm, accept or rectify, reports to review, overdue work, tips to accept, expert
//! verifications), and the notices addressed to its unit (danger deadlines, work-plan reminders,
//! returns and reopenings). It owns no records: each entry is read from its module, within the
//! caller's reach, when the inbox is opened.

use domain::hidden_dangers::DangerState;
use domain::message::Message;
use domain::role::Role;
use serde::Serialize;

use crate::policy;
use crate::{Actor, App, Client, Result};

/// One kind of work waiting on the caller: how many, and where they are listed.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingWork {
    /// `dangers_to_confirm`, `dangers_to_accept`, `dangers_to_rectify`, `reports_to_review`,
    /// `overdue_assignments`, `tips_to_accept`, `verifications`.
    pub kind: &'static str,
    pub count: usize,
    pub link: String,
}

/// A notice addressed to the caller's unit.
#[derive(Debug, Clone, Serialize)]
pub struct InboxNotice {
    /// `danger` or `work_plan`.
    pub source: &'static str,
    /// The day it concerns (a deadline, or the day it was sent).
    pub on: String,
    pub message: Message,
    pub link: String,
}

/// The caller's inbox.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inbox {
    /// Only kinds with something waiting, in the order above.
    pub waiting: Vec<WaitingWork>,
    pub notices: Vec<InboxNotice>,
}

impl App {
    /// The caller's inbox. Each part is what the caller may already read in its module; a part
    /// the caller has no access to is simply absent.
    pub async fn inbox(&self, actor: &Actor, client: &Client) -> Result<Inbox> {
        let waiting = self.figures.waiting(self.store.changes_committed(), actor.user_id, self.waiting_work(actor, client)).await?;
        let waiting = waiting.as_ref().clone();
        let mut notices: Vec<InboxNotice> = self
            .danger_notices(actor)
            .await?
            .into_iter()
            .map(|n| InboxNotice { source: "danger", on: n.due_on, message: Message::from_stored(&n.message), link: format!("/dangers/{}", n.danger_id) })
            .collect();
        if policy::assignment_scope(actor) != domain::access::AssignmentScope::Nothing {
            for n in self.notifications(actor).await? {
                notices.push(InboxNotice {
                    source: "work_plan",
                    on: domain::time::date_of_ms(n.created_at).to_string(),
                    message: Message::from_stored(&n.message),
                    link: format!("/assignments/{}", n.assignment_id),
                });
            }
        }
        notices.sort_by(|a, b| b.on.cmp(&a.on));
        notices.truncate(100);
        Ok(Inbox { waiting, notices })
    }

    /// What waits on the caller, by kind: counted from the modules, kept for at most
    /// `figures::FRESH_FOR` (see `app::figures`).
    async fn waiting_work(&self, actor: &Actor, client: &Client) -> Result<Vec<WaitingWork>> {
        let mut waiting = Vec::new();
        let mut push = |kind: &'static str, count: usize, link: String| {
            if count > 0 {
                waiting.push(WaitingWork { kind, count, link });
            }
        };
        let dangers_seen = policy::enterprise_visibility(actor) != domain::access::Visibility::Nothing;
        if actor.role == Role::Expert {
            let assigned = self.danger_list(actor, client, &Default::default(), false).await.unwrap_or_default();
            let count = assigned.iter().filter(|d| d.state == DangerState::PendingAcceptance).count();
            push("verifications", count, format!("/experts/{}", actor.user_id));
        } else if dangers_seen {
            let in_state = |state: DangerState| store::DangerFilter { state: Some(state.key().to_owned()), ..Default::default() };
            if actor.enterprise_id.is_some() {
                let mut count = 0;
                for state in [DangerState::Confirmed, DangerState::Planned, DangerState::Rectifying] {
                    count += self.danger_total(actor, client, &in_state(state)).await.map_or(0, |total| total as usize);
                }
                push("dangers_to_rectify", count, "/dangers".into());
            } else if matches!(actor.role, Role::Regulator | Role::Inspector | Role::CommitteeOffice) {
                let reported = self.danger_total(actor, client, &in_state(DangerState::Reported)).await.map_or(0, |total| total as usize);
                push("dangers_to_confirm", reported, "/dangers?state=reported".into());
                let pending = self.danger_total(actor, client, &in_state(DangerState::PendingAcceptance)).await.map_or(0, |total| total as usize);
                push("dangers_to_accept", pending, "/dangers?state=pending_acceptance".into());
            }
        }
        if policy::assignment_scope(actor) != domain::access::AssignmentScope::Nothing {
            let to_review = self.assignments_to_review(actor, client).await.map(|list| list.len()).unwrap_or(0);
            push("reports_to_review", to_review, "/assignments?review=1".into());
            let overdue = self.assignment_total(actor, client, true).await.map_or(0, |total| total as usize);
            push("overdue_assignments", overdue, "/assignments?overdue=1".into());
        }
        if actor.region_path.is_some() && matches!(actor.role, Role::CommitteeOffice | Role::Regulator | Role::Department) {
            let tips = self.tips(actor, client).await.unwrap_or_default();
            let received = tips.iter().filter(|t| t.state == domain::tips::TipState::Received).count();
            push("tips_to_accept", received, "/tips".into());
        }
        Ok(waiting)
    }
}
