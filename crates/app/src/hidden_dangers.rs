//! Hidden dangers (隐患) as people work them: reporting, the closed loop with who may make each
//! move (an enterprise works its own, a regulator confirms and accepts in its territory, no one
//! accepts their own rectification, a 重大 danger is accepted only by a regulator), listed
//! supervision (挂牌督办), and scoped lists.

use domain::audit::Outcome;
use domain::hidden_dangers::{DangerAction, DangerGrade, DangerSource, PlanInput, check_plan, next_state};
use domain::message::Message;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use sha2::Digest;
/// How a list of hidden dangers is narrowed.
pub use store::DangerFilter;
use store::{DangerMove, DangerRow, NewDanger};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

pub const DANGER_LIST_MAX: i64 = 2_000;
/// The most dangers on one page of the list.
pub const DANGER_PAGE_MAX: i64 = 200;

/// One page of the dangers a caller sees.
#[derive(Debug, Clone)]
pub struct DangerPage {
    pub items: Vec<DangerRow>,
    /// How many match in all.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
/// Photos per danger, and bytes per photo.
pub const PHOTOS_MAX: i64 = 10;
pub const PHOTO_BYTES_MAX: usize = 10 * 1024 * 1024;
const TEXT_MAX_CHARS: usize = 2_000;

/// A danger as reported.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"enterprise_id": 1, "location": "液氨储罐区", "description": "储罐区可燃气体探测器超期未检定", "source": "self_check", "grade": "general", "deadline": "2027-06-30", "responsible_person": "李安平"}))]
pub struct DangerInput {
    pub enterprise_id: i64,
    /// Where the danger is (not blank).
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub location: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub description: String,
    #[serde(default)]
    #[schema(required, value_type = domain::hidden_dangers::DangerSource)]
    pub source: String,
    /// What the source refers to, e.g. an inspection's or a checklist run's number.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub source_ref: Option<String>,
    #[serde(default)]
    #[schema(required, value_type = domain::hidden_dangers::DangerGrade)]
    pub grade: String,
    /// The rectification deadline, `YYYY-MM-DD`; empty or absent for none.
    #[serde(default)]
    #[schema(pattern = "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub deadline: Option<String>,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub responsible_person: String,
}

/// A move with its payload: the plan's seven elements for `plan`, a reason for `reject` and
/// `reopen`, a note (evidence) for `submit`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"action": "confirm"}))]
pub struct DangerActionInput {
    #[schema(value_type = domain::hidden_dangers::DangerAction)]
    pub action: String,
    #[serde(flatten)]
    pub plan: PlanInput,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

/// A danger with its history and the moves the caller may make now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DangerView {
    #[serde(flatten)]
    pub danger: DangerJson,
    pub history: Vec<DangerEvent>,
    pub allowed_actions: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DangerJson {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub location: String,
    pub description: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub grade: String,
    pub state: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub responsible_person: String,
    pub plan: Option<serde_json::Value>,
    pub listed: bool,
    pub listed_deadline: Option<String>,
    pub listed_notice: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DangerEvent {
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
    pub actor: String,
    pub at: String,
}

pub fn danger_json(row: &DangerRow) -> DangerJson {
    let state = row.state;
    DangerJson {
        id: row.id,
        enterprise_id: row.enterprise_id,
        enterprise_name: row.enterprise_name.clone(),
        region_code: row.region_code.clone(),
        location: row.location.clone(),
        description: row.description.clone(),
        source: row.source.to_string(),
        source_ref: row.source_ref.clone(),
        grade: row.grade.to_string(),
        state: row.state.to_string(),
        deadline: row.deadline.clone(),
        overdue: domain::hidden_dangers::is_overdue(state, row.deadline.as_deref().and_then(|d| d.parse().ok()), domain::time::today()),
        responsible_person: row.responsible_person.clone(),
        plan: row.plan.as_deref().and_then(|p| serde_json::from_str(p).ok()),
        listed: row.listed_by_unit_id.is_some(),
        listed_deadline: row.listed_deadline.clone(),
        listed_notice: row.listed_notice.clone(),
    }
}

fn field(name: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field: name, message }
}

fn trimmed(text: &str) -> String {
    text.trim().to_owned()
}

/// Text longer than `TEXT_MAX_CHARS` is refused with the limit named, never cut short.
fn length_problems(fields: &[(&'static str, &str)]) -> Vec<domain::enterprises::FieldError> {
    fields
        .iter()
        .filter(|(_, text)| text.trim().chars().count() > TEXT_MAX_CHARS)
        .map(|(name, _)| field(name, domain::message!("hidden_dangers.most_characters", text_max_chars = TEXT_MAX_CHARS, name = name)))
        .collect()
}

/// Whether `actor` may make `action` on the danger (visibility already checked).
/// `assigned_expert` says whether the actor is an expert assigned to verify it.
fn may(actor: &Actor, row: &DangerRow, action: DangerAction, assigned_expert: bool) -> bool {
    policy::allows(
        actor,
        Action::MoveDanger {
            action,
            enterprise_id: row.enterprise_id,
            major: row.grade == DangerGrade::Major.key(),
            submitted_by_actor: row.submitted_by == Some(actor.user_id),
            assigned_expert,
        },
    )
}

impl App {
    /// Whether the actor is an expert assigned to verify this danger.
    async fn assigned_expert(&self, actor: &Actor, danger_id: i64) -> Result<bool> {
        Ok(actor.role == Role::Expert && self.store.expert_assignments(actor.user_id).await?.0.contains(&danger_id))
    }

    /// A danger the caller may see: by its enterprise's visibility, or as its assigned expert.
    async fn visible_danger(&self, actor: &Actor, client: &Client, id: i64, action: &str) -> Result<DangerRow> {
        let visibility = if self.assigned_expert(actor, id).await? { domain::access::Visibility::Everything } else { policy::enterprise_visibility(actor) };
        match self.store.danger(id, &visibility).await {
            Ok(row) => Ok(row),
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, action, format!("hidden_danger:{id}")).await),
            Err(error) => Err(error.into()),
        }
    }

    /// Reports a danger at an enterprise the caller may see: the enterprise itself, or a
    /// regulator, inspector or office in whose territory it lies.
    pub async fn report_danger(&self, actor: &Actor, client: &Client, input: &DangerInput) -> Result<DangerRow> {
        let allowed = policy::allows(actor, Action::ReportDanger { enterprise_id: input.enterprise_id });
        let enterprise = match self.enterprise(actor, client, input.enterprise_id).await {
            Ok(enterprise) if allowed => enterprise,
            _ => return Err(self.denied(actor, client, "hidden_danger.report", format!("enterprise:{}", input.enterprise_id)).await),
        };
        let mut problems = length_problems(&[
            ("location", &input.location),
            ("description", &input.description),
            ("source_ref", input.source_ref.as_deref().unwrap_or_default()),
            ("responsible_person", &input.responsible_person),
        ]);
        if input.location.trim().is_empty() {
            problems.push(field("location", domain::message!("hidden_dangers.give_location")));
        }
        if input.description.trim().is_empty() {
            problems.push(field("description", domain::message!("hidden_dangers.describe_danger")));
        }
        let source = DangerSource::parse(&input.source);
        if source.is_none() {
            problems.push(field("source", domain::message!("hidden_dangers.unknown_source")));
        }
        let grade = DangerGrade::parse(&input.grade);
        if grade.is_none() {
            problems.push(field("grade", domain::message!("hidden_dangers.grade_must_general_major")));
        }
        let deadline = match input.deadline.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(text) => match text.parse::<jiff::civil::Date>() {
                Ok(date) if date < domain::time::today() => {
                    problems.push(field("deadline", domain::message!("hidden_dangers.deadline_in_past", today = domain::time::today().to_string())));
                    None
                }
                Ok(date) => Some(date.to_string()),
                Err(_) => {
                    problems.push(field("deadline", domain::message!("hidden_dangers.deadline_should_yyyy_mm_dd")));
                    None
                }
            },
        };
        if input.responsible_person.trim().is_empty() {
            problems.push(field("responsible_person", domain::message!("hidden_dangers.name_person_responsible")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let (Some(source), Some(grade)) = (source, grade) else {
            return Err(AppError::Internal("validated danger lost its fields".into()));
        };
        let danger = NewDanger {
            enterprise_id: input.enterprise_id,
            location: trimmed(&input.location),
            description: trimmed(&input.description),
            source: source.key().into(),
            source_ref: input.source_ref.as_deref().map(trimmed).filter(|r| !r.is_empty()),
            grade: grade.key().into(),
            deadline,
            responsible_person: trimmed(&input.responsible_person),
        };
        let event = audit_event(
            Some(actor),
            client,
            "hidden_danger.report",
            String::new(),
            Outcome::Success,
            serde_json::json!({"enterprise": input.enterprise_id, "grade": grade.key(), "source": source.key()}),
        );
        // The county's emergency bureau confirms what is reported in its county: it is told.
        let bureau = self.bureau_to_tell(enterprise.enterprise.region_code.as_str()).await?;
        let told = |id: i64| reported_posts(bureau.as_ref(), id, &enterprise.enterprise.name, &danger.description, grade, actor);
        let id = self.store.create_danger(&danger, actor.user_id, &event, told).await?;
        Ok(self.store.danger(id, &domain::access::Visibility::Everything).await?)
    }

    /// Reports the danger an alarm revealed, in one step from the alarm: the enterprise is the
    /// alarm's and the source `alarm`, referring to it. The caller must see the alarm and may
    /// report at its enterprise, as for any report.
    pub async fn report_danger_from_alarm(&self, actor: &Actor, client: &Client, alarm_id: i64, input: &DangerInput) -> Result<DangerRow> {
        let alarm = self.alarm(actor, client, alarm_id).await?;
        let input = DangerInput {
            enterprise_id: alarm.enterprise_id,
            source: DangerSource::Alarm.key().to_owned(),
            source_ref: Some(format!("alarm:{alarm_id}")),
            ..input.clone()
        };
        self.report_danger(actor, client, &input).await
    }

    /// A danger with its history and the moves the caller may make.
    pub async fn danger_view(&self, actor: &Actor, client: &Client, id: i64) -> Result<DangerView> {
        let row = self.visible_danger(actor, client, id, "hidden_danger.read").await?;
        let state = row.state;
        let expert = self.assigned_expert(actor, id).await?;
        let allowed_actions = DangerAction::ALL.iter().filter(|a| next_state(state, **a).is_ok() && may(actor, &row, **a, expert)).map(|a| a.key()).collect();
        let history = self
            .store
            .danger_events(id)
            .await?
            .into_iter()
            .map(|e| DangerEvent {
                action: e.action,
                from_state: e.from_state,
                to_state: e.to_state,
                note: e.note,
                actor: e.actor_name,
                at: crate::audit::display_time(e.at),
            })
            .collect();
        Ok(DangerView { danger: danger_json(&row), history, allowed_actions })
    }

    /// Visible dangers matching the filter.
    pub async fn danger_list(&self, actor: &Actor, client: &Client, filter: &DangerFilter, overdue: bool) -> Result<Vec<DangerRow>> {
        if actor.role == Role::Expert {
            // An expert sees the dangers it is assigned to verify.
            let mut rows = Vec::new();
            for id in self.store.expert_assignments(actor.user_id).await?.0 {
                rows.push(self.store.danger(id, &domain::access::Visibility::Everything).await?);
            }
            return Ok(rows);
        }
        let (visibility, filter) = self.danger_list_scope(actor, client, filter, overdue).await?;
        Ok(self.store.dangers(&visibility, &filter, DANGER_LIST_MAX).await?)
    }

    /// What a (non-expert) caller's list reads: its visibility, refused and audited when it sees
    /// nothing, and the filter with "overdue" made a date.
    async fn danger_list_scope(
        &self,
        actor: &Actor,
        client: &Client,
        filter: &DangerFilter,
        overdue: bool,
    ) -> Result<(domain::access::Visibility, DangerFilter)> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "hidden_danger.list", "hidden_dangers".into()).await);
        }
        let mut filter = filter.clone();
        if overdue {
            filter.overdue_on = Some(domain::time::today().to_string());
        }
        Ok((visibility, filter))
    }

    /// One page (from 1) of the dangers `danger_list` gives, `per_page` at most
    /// `DANGER_PAGE_MAX`, with how many there are in all (kept for a few seconds, see
    /// `app::figures`).
    pub async fn danger_page(&self, actor: &Actor, client: &Client, filter: &DangerFilter, overdue: bool, page: i64, per_page: i64) -> Result<DangerPage> {
        let per_page = per_page.clamp(1, DANGER_PAGE_MAX);
        let page = page.max(1);
        let offset = (page - 1).saturating_mul(per_page);
        if actor.role == Role::Expert {
            // An expert's are the few it is assigned: read whole.
            let all = self.danger_list(actor, client, filter, overdue).await?;
            let total = all.len() as i64;
            return Ok(DangerPage { items: all.into_iter().skip(offset as usize).take(per_page as usize).collect(), total, page, per_page });
        }
        let (visibility, filter) = self.danger_list_scope(actor, client, filter, overdue).await?;
        let items = self.store.danger_items(&visibility, &filter, per_page, offset).await?;
        let total = self.kept_danger_count(&visibility, &filter).await?;
        Ok(DangerPage { items, total, page, per_page })
    }

    /// How many dangers a (non-expert) caller sees that match `filter`: the total `danger_page`
    /// gives, without reading a page.
    pub(crate) async fn danger_total(&self, actor: &Actor, client: &Client, filter: &DangerFilter) -> Result<i64> {
        let (visibility, filter) = self.danger_list_scope(actor, client, filter, false).await?;
        self.kept_danger_count(&visibility, &filter).await
    }

    /// The count of dangers in `visibility` matching `filter`, kept (see `app::figures`).
    async fn kept_danger_count(&self, visibility: &domain::access::Visibility, filter: &DangerFilter) -> Result<i64> {
        let count = async { Ok(self.store.danger_count(visibility, filter).await?) };
        self.figures.danger_count(self.store.changes_committed(), visibility, filter, count).await
    }

    /// Makes a move. An action the state does not allow is `IllegalTransition` (409); one the
    /// caller may not make is refused like an unknown record; a plan lacking elements is
    /// `Invalid` naming them (422).
    pub async fn act_on_danger(&self, actor: &Actor, client: &Client, id: i64, input: &DangerActionInput) -> Result<DangerRow> {
        let row = self.visible_danger(actor, client, id, "hidden_danger.act").await?;
        let Some(action) = DangerAction::parse(input.action.trim()) else {
            return Err(AppError::Invalid(vec![field(
                "action",
                domain::message!("hidden_dangers.unknown_action", value = input.action.chars().take(20).collect::<String>()),
            )]));
        };
        let too_long = length_problems(&[("reason", &input.reason), ("note", &input.note)]);
        if !too_long.is_empty() {
            return Err(AppError::Invalid(too_long));
        }
        let from = row.state;
        let to = next_state(from, action).map_err(|e| AppError::IllegalTransition(e.message()))?;
        let expert = self.assigned_expert(actor, id).await?;
        if !may(actor, &row, action, expert) {
            return Err(self.denied(actor, client, &format!("hidden_danger.{}", action.key()), format!("hidden_danger:{id}")).await);
        }
        let mut the_move = DangerMove { action: action.key().into(), from: from.key().into(), to: to.key().into(), ..Default::default() };
        match action {
            DangerAction::Plan => {
                let grade = row.grade;
                let plan = check_plan(grade, &input.plan).map_err(|problems| {
                    AppError::Invalid(problems.fields.iter().map(|f| field(f, domain::message!("hidden_dangers.plan_lacks_has_bad", f = f))).collect())
                })?;
                the_move.deadline = plan.deadline.map(|d| d.to_string());
                the_move.plan = Some(serde_json::to_string(&plan).map_err(|e| AppError::Internal(e.to_string()))?);
            }
            DangerAction::Reject | DangerAction::Reopen => {
                if input.reason.trim().is_empty() {
                    return Err(AppError::Invalid(vec![field("reason", domain::message!("hidden_dangers.give_reason"))]));
                }
                the_move.note = trimmed(&input.reason);
            }
            DangerAction::Submit => {
                the_move.note = trimmed(&input.note);
                the_move.mark_submitter = true;
            }
            _ => the_move.note = trimmed(&input.note),
        }
        let event = audit_event(
            Some(actor),
            client,
            &format!("hidden_danger.{}", action.key()),
            String::new(),
            Outcome::Success,
            serde_json::json!({"from": from.key(), "to": to.key()}),
        );
        let posts = self.danger_move_posts(actor, &row, action).await?;
        self.store.move_danger(id, &the_move, actor.user_id, &event, &posts).await?;
        if expert && matches!(action, DangerAction::Accept | DangerAction::Reject) {
            let summary = format!(
                "{}:{}({})",
                if action == DangerAction::Accept { "验收通过" } else { "验收不通过" },
                row.description.chars().take(60).collect::<String>(),
                row.enterprise_name
            );
            let event = audit_event(
                Some(actor),
                client,
                "expert.service",
                format!("hidden_danger:{id}"),
                Outcome::Success,
                serde_json::json!({"kind": "verification"}),
            );
            self.store.record_expert_service(actor.user_id, "verification", &format!("hidden_danger:{id}"), &summary, &event).await?;
        }
        Ok(self.store.danger(id, &domain::access::Visibility::Everything).await?)
    }

    /// The messages that tell of `action` on `row`: the enterprise is told what now waits on it
    /// (a plan after confirmation, more work after a rejection or a reopening) and that its
    /// danger is closed; the county's emergency bureau is told that work awaits its acceptance.
    async fn danger_move_posts(&self, actor: &Actor, row: &DangerRow, action: DangerAction) -> Result<Vec<store::UnitPost>> {
        let what = danger_summary(row.id, &row.enterprise_name, &row.description);
        let (to_enterprise, message, urgent) = match action {
            DangerAction::Confirm => (true, domain::message!("inbox.danger_confirmed", what = what), row.grade == DangerGrade::Major),
            DangerAction::Reject => (true, domain::message!("inbox.danger_rejected", what = what), true),
            DangerAction::Reopen => (true, domain::message!("inbox.danger_reopened", what = what), true),
            DangerAction::Accept => (true, domain::message!("inbox.danger_closed", what = what), false),
            DangerAction::Submit => (false, domain::message!("inbox.danger_submitted", what = what), row.grade == DangerGrade::Major),
            DangerAction::Plan | DangerAction::Start => return Ok(Vec::new()),
        };
        let unit = if to_enterprise { self.store.unit_of_enterprise(row.enterprise_id).await? } else { self.bureau_to_tell(&row.region_code).await? };
        let topic = format!("danger:{}:{}:{}", row.id, action.key(), row.updated_at);
        Ok(unit.into_iter().map(|unit| crate::inbox::event_post(unit.id, &topic, urgent, &message, format!("/dangers/{}", row.id), actor)).collect())
    }

    /// The emergency bureau told of a danger in `region_code`: the county's, or when it has no
    /// one to tell (no accounts yet), the nearest one above it that has.
    pub(crate) async fn bureau_to_tell(&self, region_code: &str) -> Result<Option<store::UnitRow>> {
        let mut code = Some(region_code.to_owned());
        while let Some(current) = code {
            if let Some(unit) = self.store.emergency_bureau_of_region(&current).await?
                && !self.store.unit_recipients(unit.id).await?.is_empty()
            {
                return Ok(Some(unit));
            }
            code = self.store.region(&current).await.ok().and_then(|region| region.parent_code).map(|parent| parent.to_string());
        }
        Ok(None)
    }

    /// Puts a 重大 danger under listed supervision (挂牌督办) by the caller's regulator unit, with
    /// its own deadline and the text of the public notice.
    pub async fn list_danger(&self, actor: &Actor, client: &Client, id: i64, deadline: &str, notice: &str) -> Result<()> {
        let row = self.visible_danger(actor, client, id, "hidden_danger.list_supervision").await?;
        if !policy::allows(actor, Action::ListDangerSupervision) {
            return Err(self.denied(actor, client, "hidden_danger.list_supervision", format!("hidden_danger:{id}")).await);
        }
        let mut problems = length_problems(&[("notice", notice)]);
        if row.grade != DangerGrade::Major.key() {
            problems.push(field("grade", domain::message!("hidden_dangers.only_dangers_are_listed")));
        }
        let deadline = deadline.trim().parse::<jiff::civil::Date>().map_err(|_| ()).ok();
        if deadline.is_none() {
            problems.push(field("deadline", domain::message!("hidden_dangers.deadline_should_yyyy_mm_dd_2")));
        }
        if notice.trim().is_empty() {
            problems.push(field("notice", domain::message!("hidden_dangers.give_notice_text")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let deadline = deadline.map(|d| d.to_string()).unwrap_or_default();
        let event = audit_event(
            Some(actor),
            client,
            "hidden_danger.list_supervision",
            format!("hidden_danger:{id}"),
            Outcome::Success,
            serde_json::json!({"deadline": deadline}),
        );
        Ok(self.store.list_danger(id, actor.unit_id, &deadline, &trimmed(notice), &event).await?)
    }

    /// Sends hidden-danger deadline notices for `today`: in the week before a deadline a reminder
    /// to the enterprise's own unit; after it an escalation to the supervising regulator (the
    /// county's 应急管理局), and after a listing deadline to the unit that listed the danger. Each
    /// notice goes out once. Returns how many went out.
    pub async fn send_danger_notices(&self, today: jiff::civil::Date) -> Result<u64> {
        let mut notices = Vec::new();
        for danger in self.store.open_dangers_with_deadlines().await? {
            let what = format!("#{} {}:{}", danger.id, danger.enterprise_name, danger.description.chars().take(40).collect::<String>());
            if let Some(deadline) = danger.deadline.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()) {
                let days_left = (deadline - today).get_days();
                if (0..=7).contains(&days_left) {
                    if let Some(unit) = self.store.unit_of_enterprise(danger.enterprise_id).await? {
                        notices.push(store::DangerNotice {
                            unit_id: unit.id,
                            kind: "reminder".into(),
                            danger_id: danger.id,
                            due_on: deadline.to_string(),
                            message: domain::message!("hidden_dangers.due", deadline = deadline, what = what).to_stored(),
                        });
                    }
                } else if today > deadline {
                    let supervisor = self.store.emergency_bureau_of_region(&danger.region_code).await?;
                    if let Some(unit) = supervisor {
                        notices.push(store::DangerNotice {
                            unit_id: unit.id,
                            kind: "escalation".into(),
                            danger_id: danger.id,
                            due_on: deadline.to_string(),
                            message: domain::message!("hidden_dangers.overdue_since", deadline = deadline, what = what).to_stored(),
                        });
                    }
                }
            }
            if let (Some(unit_id), Some(deadline)) =
                (danger.listed_by_unit_id, danger.listed_deadline.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok()))
                && today > deadline
            {
                notices.push(store::DangerNotice {
                    unit_id,
                    kind: "escalation".into(),
                    danger_id: danger.id,
                    due_on: deadline.to_string(),
                    message: domain::message!("hidden_dangers.listed_supervision_overdue", deadline = deadline, what = what).to_stored(),
                });
            }
        }
        Ok(self
            .store
            .add_danger_notices(&notices, |n| {
                crate::inbox::notice_post(n.unit_id, "danger", &n.kind, n.danger_id, &n.due_on, &n.message, format!("/dangers/{}", n.danger_id))
            })
            .await?)
    }

    /// The hidden-danger notices addressed to the caller's unit.
    pub async fn danger_notices(&self, actor: &Actor) -> Result<Vec<store::DangerNotice>> {
        Ok(self.store.danger_notices_of_unit(actor.unit_id, 50).await?)
    }

    /// Adds photos (JPEG or PNG, up to `PHOTO_BYTES_MAX` each, `PHOTOS_MAX` per danger) to a
    /// danger the caller works on: its enterprise, or a regulator or inspector of its territory.
    /// Whether the actor may add photos to the danger: checked by the web layer before it reads
    /// an upload (up to 100 MiB), and again by `add_danger_photos`.
    pub async fn may_add_danger_photos(&self, actor: &Actor, client: &Client, id: i64) -> Result<()> {
        let row = self.visible_danger(actor, client, id, "hidden_danger.photo").await?;
        if !policy::allows(actor, Action::AddDangerPhotos { enterprise_id: row.enterprise_id }) {
            return Err(self.denied(actor, client, "hidden_danger.photo", format!("hidden_danger:{id}")).await);
        }
        Ok(())
    }

    pub async fn add_danger_photos(&self, actor: &Actor, client: &Client, id: i64, files: Vec<crate::workplans::UploadedFile>) -> Result<()> {
        self.may_add_danger_photos(actor, client, id).await?;
        let mut problems = Vec::new();
        let mut photos = Vec::new();
        if files.is_empty() {
            problems.push(field("photos", domain::message!("hidden_dangers.choose_photo")));
        }
        photos.extend(checked_photos(&files, &mut problems));
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "hidden_danger.photo",
            format!("hidden_danger:{id}"),
            Outcome::Success,
            serde_json::json!({"photos": photos.len()}),
        );
        self.store.add_danger_photos(id, &photos, PHOTOS_MAX, actor.user_id, &event).await.map_err(|error| match error {
            store::StoreError::Conflict(_) => {
                AppError::Invalid(vec![field("photos", domain::message!("hidden_dangers.most_photos_per_danger", photos_max = PHOTOS_MAX))])
            }
            other => other.into(),
        })
    }

    pub async fn danger_photos(&self, actor: &Actor, client: &Client, id: i64) -> Result<Vec<store::DangerPhotoRow>> {
        self.visible_danger(actor, client, id, "hidden_danger.read").await?;
        Ok(self.store.danger_photos(id).await?)
    }

    /// A photo, if the caller may see its danger: (content type, bytes).
    pub async fn danger_photo(&self, actor: &Actor, client: &Client, photo_id: i64) -> Result<(String, Vec<u8>)> {
        let (danger_id, content_type, bytes) = self.store.danger_photo(photo_id).await?;
        self.visible_danger(actor, client, danger_id, "hidden_danger.read").await?;
        Ok((content_type, bytes))
    }
}

/// The photos among `files` (JPEG or PNG by their bytes, up to `PHOTO_BYTES_MAX` each) as (name,
/// content type, SHA-256, bytes); each other file is a problem of the `photos` field.
pub(crate) fn checked_photos(
    files: &[crate::workplans::UploadedFile],
    problems: &mut Vec<domain::enterprises::FieldError>,
) -> Vec<(String, String, String, Vec<u8>)> {
    let mut photos = Vec::new();
    for file in files {
        let name: String = file.file_name.rsplit(['/', '\\']).next().unwrap_or("").chars().take(120).collect();
        // The type is decided by the bytes, not by the name the browser sent.
        let content_type = if file.bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if file.bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else {
            problems.push(field("photos", domain::message!("hidden_dangers.not_jpeg_png_image", name = name)));
            continue;
        };
        if file.bytes.len() > PHOTO_BYTES_MAX {
            problems.push(field("photos", domain::message!("hidden_dangers.larger_than_mb", value = PHOTO_BYTES_MAX >> 20, name = name)));
            continue;
        }
        photos.push((name, content_type.to_owned(), hex::encode(sha2::Sha256::digest(&file.bytes)), file.bytes.clone()));
    }
    photos
}

/// The message that tells the bureau confirming a county's dangers (`bureau_to_tell`) of one
/// reported there, by hand or by a check; urgent when it is 重大.
pub(crate) fn reported_posts(
    bureau: Option<&store::UnitRow>,
    id: i64,
    enterprise_name: &str,
    description: &str,
    grade: DangerGrade,
    actor: &Actor,
) -> Vec<store::UnitPost> {
    let what = danger_summary(id, enterprise_name, description);
    let message = domain::message!("inbox.danger_reported", grade_zh = grade.label_zh(), grade_en = grade.label_en(), what = what);
    bureau
        .iter()
        .map(|unit| crate::inbox::event_post(unit.id, &format!("danger:{id}:reported"), grade == DangerGrade::Major, &message, format!("/dangers/{id}"), actor))
        .collect()
}

/// How a message names a danger: its number, enterprise and the start of its description.
pub(crate) fn danger_summary(id: i64, enterprise_name: &str, description: &str) -> String {
    format!("#{id} {enterprise_name}:{}", description.chars().take(40).collect::<String>())
}
