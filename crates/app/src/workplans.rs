//! Work plans (安委会工作要点) as supervised tasks: importing a plan document into tasks and
//! assignments (units resolved through the registry's aliases; tier collectives such as
//! 各级党委、政府 cascaded to the governments one tier down; nothing invented), progress reports
//! with attachments, review by the lead unit or the office, 回头看 rounds that reopen work,
//! deadlines with reminders and escalation, the items × units matrix and its export.

use domain::message::Message;
use std::collections::BTreeMap;
use std::sync::Arc;

use domain::audit::Outcome;
use domain::supervision::{self, AssignmentStatus, ReportPeriod, SupervisionMove};
use domain::unit::UnitKind;
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use store::{AssignmentRow, NewAssignment, NewAttachment, NewNotification, NewPlan, NewTask, StatusChange};

use crate::policy::{self, Action, AssignedUnit};
use crate::spreadsheet::{Column, SpreadsheetFormat};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Longest report text, in characters.
pub const REPORT_CHARS_MAX: usize = 10_000;
/// Attachments per report, and bytes per attachment.
pub const ATTACHMENTS_MAX: usize = 5;
pub const ATTACHMENT_BYTES_MAX: usize = 10 * 1024 * 1024;
/// Reminders go out this many days before a deadline.
pub const REMIND_DAYS_BEFORE: i64 = 7;
/// Most assignments shown in an inbox or overdue list.
pub const LIST_MAX: i64 = 2_000;
/// The most assignments on one page of the list.
pub const LIST_PAGE_MAX: i64 = 200;

/// Overdue assignments counted by unit and by region (name, count), most first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverdueCounts {
    pub by_unit: Vec<(String, i64)>,
    pub by_region: Vec<(String, i64)>,
}

/// One page of a caller's assignments.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignmentPage {
    pub items: Vec<AssignmentView>,
    /// How many assignments the list holds in all (all the caller's, or its overdue ones).
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Attachment types accepted as evidence, by extension, with their content type.
const ATTACHMENT_TYPES: [(&str, &str); 9] = [
    ("pdf", "application/pdf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("txt", "text/plain; charset=utf-8"),
];

/// Whether a file's bytes are of the type its extension claims (an executable renamed `.pdf` is
/// not): by signature, an Office Open XML package by its main part, text by decoding.
fn content_matches_extension(extension: &str, bytes: &[u8]) -> bool {
    let package_with = |part: &str| {
        bytes.starts_with(b"PK\x03\x04") && zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok_and(|archive| archive.index_for_name(part).is_some())
    };
    match extension {
        "pdf" => bytes.starts_with(b"%PDF-"),
        "jpg" | "jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "docx" => package_with("word/document.xml"),
        "xlsx" => package_with("xl/workbook.xml"),
        // The compound file (OLE2) of Word 97–2003 and Excel 97–2003.
        "doc" | "xls" => bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
        "txt" => !bytes.contains(&0) && crate::spreadsheet::decode_text(bytes).is_ok(),
        _ => false,
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct PlanImport {
    pub plan_id: i64,
    /// False when the same document had been imported already (nothing changed).
    pub created: bool,
    pub tasks: usize,
    pub assignments: usize,
    /// Names that match no unit: the office maps each to a unit (or creates one) before those
    /// units are assigned.
    pub unresolved: Vec<String>,
    /// Collective names kept on the task without an assignment (各有关部门 and the like).
    pub collective: Vec<String>,
    pub warnings: Vec<Message>,
}

/// An uploaded evidence file.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// An assignment with its status as the user should see it (overdue derived from the deadlines).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    pub plan_id: i64,
    pub task_id: i64,
    pub item_number: i64,
    pub task_title: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The region of the assigned unit (six digits), if it has one.
    pub unit_region_code: Option<String>,
    pub role: String,
    pub named_as: String,
    /// The stored status key.
    pub status: String,
    pub overdue: bool,
    pub half_year_due: String,
    pub annual_due: String,
    pub half_year_reported: bool,
    pub annual_reported: bool,
}

/// One row of the matrix: a task and its assignments in the caller's scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatrixRow {
    pub task_id: i64,
    pub section_number: String,
    pub section_title: String,
    pub item_number: i64,
    pub title: String,
    pub half_year_due: String,
    pub annual_due: String,
    pub cells: Vec<AssignmentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanMatrix {
    pub plan: PlanSummary,
    /// Units with at least one visible assignment, in first-appearance order: the columns.
    pub units: Vec<(i64, String)>,
    pub rows: Vec<MatrixRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub id: i64,
    pub year: i64,
    pub title: String,
    pub region_code: String,
    /// Whether the caller supervises this plan (deadlines, reviews, rounds, unresolved names).
    pub manages: bool,
}

/// An assignment with everything its page shows and what the caller may do to it.
#[derive(Debug, Clone)]
pub struct AssignmentDetail {
    pub assignment: AssignmentView,
    pub task: store::TaskRow,
    pub groups: Vec<String>,
    pub reports: Vec<store::ReportRow>,
    pub attachments: Vec<store::AttachmentRow>,
    pub reopenings: Vec<store::ReopeningRow>,
    pub rounds: Vec<(i64, String, i64)>,
    pub may_report: bool,
    pub may_review: bool,
    pub may_reopen: bool,
    /// The caller supervises the plan and may change the item's deadlines.
    pub may_set_deadlines: bool,
    /// The caller may decompose the item for the tier below (`decompose_assignment`).
    pub may_decompose: bool,
}

fn parse_date(text: &str) -> Option<Date> {
    text.parse().ok()
}

/// The list's filter: every assignment, or those overdue on `today`.
fn assignment_filter(overdue_only: bool, today: Date) -> store::AssignmentFilter {
    store::AssignmentFilter { overdue_on: overdue_only.then(|| today.to_string()), status: None }
}

fn view(row: &AssignmentRow, today: Date) -> AssignmentView {
    let status = row.status;
    let overdue = match (parse_date(&row.half_year_due), parse_date(&row.annual_due)) {
        (Some(half), Some(annual)) => supervision::is_overdue(today, status, half, annual, row.half_year_reported, row.annual_reported),
        _ => false,
    };
    AssignmentView {
        id: row.id,
        plan_id: row.plan_id,
        task_id: row.task_id,
        item_number: row.item_number,
        task_title: row.task_title.clone(),
        unit_id: row.unit_id,
        unit_name: row.unit_name.clone(),
        unit_region_code: row.unit_region_code.clone(),
        role: row.role.clone(),
        named_as: row.named_as.clone(),
        status: row.status.to_string(),
        overdue,
        half_year_due: row.half_year_due.clone(),
        annual_due: row.annual_due.clone(),
        half_year_reported: row.half_year_reported,
        annual_reported: row.annual_reported,
    }
}

/// A collective that names the governments one tier down (各级党委、政府, 各县(市、区)人民政府…):
/// each of them receives the item.
fn names_lower_tier(name: &str) -> bool {
    ["各级", "各市", "各县", "党委、政府", "党委和政府", "各乡"].iter().any(|marker| name.contains(marker))
}

fn clip(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

impl App {
    fn assigned_unit(row: &AssignmentRow) -> AssignedUnit<'_> {
        AssignedUnit { unit_id: row.unit_id, unit_kind: &row.unit_kind, region_code: row.unit_region_code.as_deref() }
    }

    /// Whether a unit belongs to the territory with this region path (units without a region,
    /// such as enterprises' and experts' panels, belong to none).
    async fn unit_within(&self, unit: &store::UnitRow, region_path: &str) -> Result<bool> {
        let Some(code) = &unit.region_code else { return Ok(false) };
        Ok(self.store.region(code).await?.path.starts_with(region_path))
    }

    async fn plan_region_path(&self, region_code: &str) -> Result<String> {
        Ok(self.store.region(region_code).await?.path)
    }

    /// Imports a plan document's text for `year` as the plan of the actor's own office.
    /// Re-importing the same document changes nothing.
    pub async fn import_plan(&self, actor: &Actor, client: &Client, text: &str, year: i16) -> Result<PlanImport> {
        let region_path = actor.region_path.clone().unwrap_or_default();
        if !policy::allows(actor, Action::ManageWorkPlan { region_path: &region_path }) {
            return Err(self.denied(actor, client, "workplan.import", "work_plans".into()).await);
        }
        if !(2000..=2100).contains(&year) {
            return Err(AppError::BadRequest(domain::message!("workplans.year_outside_2000_2100", year = year)));
        }
        let parsed = domain::workplans::parse(text);
        if parsed.sections().iter().all(|s| s.items().is_empty()) {
            return Err(AppError::BadRequest(domain::message!("workplans.document_has_no_numbered_work_items")));
        }
        let region_code = region_path.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        let digest = hex::encode(Sha256::digest(serde_json::to_vec(&parsed).map_err(|e| AppError::Internal(e.to_string()))?));
        let (half_year_due, annual_due) = supervision::default_deadlines(year).ok_or_else(|| AppError::Internal("deadline".into()))?;
        // The governments one tier down, for tier collectives.
        let child_regions: Vec<String> = self.store.region_children(&region_code).await?.into_iter().map(|r| r.code.to_string()).collect();
        let lower_governments: Vec<(i64, String)> = self
            .store
            .units_of_kind(UnitKind::Government)
            .await?
            .into_iter()
            .filter(|u| u.region_code.as_ref().is_some_and(|code| child_regions.contains(code)))
            .map(|u| (u.id, u.name))
            .collect();
        let mut unresolved_names = Vec::new();
        let mut collective_names = Vec::new();
        let mut tasks = Vec::new();
        let mut assignment_count = 0;
        for section in parsed.sections() {
            for item in section.items() {
                // One assignment per unit and task; a unit named as lead anywhere in the item leads.
                let mut assignments: BTreeMap<i64, NewAssignment> = BTreeMap::new();
                let mut order: Vec<i64> = Vec::new();
                let mut unresolved: Vec<(String, String)> = Vec::new();
                for group in item.responsibilities() {
                    let named = group.lead().iter().map(|n| (n, "lead")).chain(group.cooperating().iter().map(|n| (n, "cooperating")));
                    for (name, role) in named {
                        let mut targets: Vec<(i64, &str)> = Vec::new();
                        if domain::workplans::collective_units().iter().any(|c| c == name) || names_lower_tier(name) {
                            if names_lower_tier(name) {
                                targets.extend(lower_governments.iter().map(|(id, _)| (*id, name.as_str())));
                            } else if !collective_names.contains(name) {
                                collective_names.push(name.clone());
                            }
                        } else {
                            // A unit outside the plan's territory (省应急管理厅 named in a city's
                            // plan that copied the province's wording) is not assigned: it is left
                            // for the office to map to one of its own units.
                            let resolved = match self.resolve_unit(name).await? {
                                Some(unit) if self.unit_within(&unit, &region_path).await? => Some(unit),
                                _ => None,
                            };
                            match resolved {
                                Some(unit) => targets.push((unit.id, name.as_str())),
                                None => {
                                    if !unresolved.iter().any(|(n, _)| n == name) {
                                        unresolved.push((name.clone(), role.to_owned()));
                                    }
                                    if !unresolved_names.contains(name) {
                                        unresolved_names.push(name.clone());
                                    }
                                }
                            }
                        }
                        for (unit_id, named_as) in targets {
                            match assignments.get_mut(&unit_id) {
                                Some(existing) => {
                                    if role == "lead" {
                                        existing.role = "lead".into();
                                    }
                                }
                                None => {
                                    order.push(unit_id);
                                    assignments.insert(unit_id, NewAssignment { unit_id, role: role.into(), named_as: named_as.to_owned() });
                                }
                            }
                        }
                    }
                }
                assignment_count += assignments.len();
                tasks.push(NewTask {
                    section_number: section.number().to_owned(),
                    section_title: section.title().to_owned(),
                    item_number: i64::from(item.number()),
                    title: item.title().to_owned(),
                    body: item.text().to_owned(),
                    half_year_due: half_year_due.to_string(),
                    annual_due: annual_due.to_string(),
                    parent_task_id: None,
                    groups: item.responsibilities().iter().map(|g| g.text().to_owned()).collect(),
                    assignments: order.iter().filter_map(|id| assignments.remove(id)).collect(),
                    unresolved,
                });
            }
        }
        let title = if parsed.title().is_empty() { format!("{year}年安委会工作要点") } else { parsed.title().to_owned() };
        let report = |plan_id, created| PlanImport {
            plan_id,
            created,
            tasks: tasks.len(),
            assignments: assignment_count,
            unresolved: unresolved_names.clone(),
            collective: collective_names.clone(),
            warnings: parsed.warnings().to_vec(),
        };
        if let Some(existing) = self.store.plan_by_digest(actor.unit_id, i64::from(year), &digest).await? {
            return Ok(report(existing, false));
        }
        let plan =
            NewPlan { year: i64::from(year), title: clip(&title, 200), owner_unit_id: actor.unit_id, region_code, source_digest: digest, tasks: tasks.clone() };
        let event = audit_event(
            Some(actor),
            client,
            "workplan.import",
            String::new(),
            Outcome::Success,
            serde_json::json!({
                "year": year, "tasks": plan.tasks.len(), "assignments": assignment_count, "unresolved": unresolved_names.len(),
            }),
        );
        match self.store.create_plan(&plan, &event).await {
            Ok(plan_id) => Ok(report(plan_id, true)),
            // A concurrent import of the same document won the race: report it as already there.
            Err(store::StoreError::Conflict(_)) => match self.store.plan_by_digest(actor.unit_id, i64::from(year), &plan.source_digest).await? {
                Some(existing) => Ok(report(existing, false)),
                None => Err(AppError::Conflict(domain::message!("workplans.already_imported"))),
            },
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the actor supervises the plan (its office, or the province office above it).
    async fn manages_plan(&self, actor: &Actor, plan: &store::PlanRow) -> Result<bool> {
        let path = self.plan_region_path(&plan.region_code).await?;
        Ok(policy::allows(actor, Action::ManageWorkPlan { region_path: &path }))
    }

    /// Refuses callers who can see no assignment at all (enterprises, experts, administrators).
    async fn require_assignment_scope(&self, actor: &Actor, client: &Client, action: &str) -> Result<domain::access::AssignmentScope> {
        match policy::assignment_scope(actor) {
            domain::access::AssignmentScope::Nothing => Err(self.denied(actor, client, action, "work_plans".into()).await),
            scope => Ok(scope),
        }
    }

    /// The plans in which the actor sees at least one assignment, or which it supervises.
    pub async fn visible_plans(&self, actor: &Actor, client: &Client) -> Result<Vec<PlanSummary>> {
        let scope = self.require_assignment_scope(actor, client, "workplan.list").await?;
        let mut visible = Vec::new();
        for plan in self.store.plans().await? {
            let manages = self.manages_plan(actor, &plan).await?;
            if manages || !self.store.plan_assignments(plan.id, &scope).await?.is_empty() {
                visible.push(PlanSummary { id: plan.id, year: plan.year, title: plan.title, region_code: plan.region_code, manages });
            }
        }
        Ok(visible)
    }

    /// The items × units matrix of a plan, limited to the caller's scope.
    pub async fn plan_matrix(&self, actor: &Actor, client: &Client, plan_id: i64) -> Result<PlanMatrix> {
        let plan = self.store.plan(plan_id).await?;
        let manages = self.manages_plan(actor, &plan).await?;
        let scope = policy::assignment_scope(actor);
        let assignments = self.store.plan_assignments(plan_id, &scope).await?;
        if assignments.is_empty() && !manages {
            return Err(self.denied(actor, client, "workplan.read", format!("plan:{plan_id}")).await);
        }
        let today = domain::time::today();
        let mut units: Vec<(i64, String)> = Vec::new();
        let mut by_task: BTreeMap<i64, Vec<AssignmentView>> = BTreeMap::new();
        for row in &assignments {
            if !units.iter().any(|(id, _)| *id == row.unit_id) {
                units.push((row.unit_id, row.unit_name.clone()));
            }
            by_task.entry(row.task_id).or_default().push(view(row, today));
        }
        let tasks: Vec<store::TaskRow> = self.store.plan_tasks(plan_id).await?.into_iter().filter(|t| manages || by_task.contains_key(&t.id)).collect();
        let rows = tasks
            .into_iter()
            .map(|t| MatrixRow {
                cells: by_task.remove(&t.id).unwrap_or_default(),
                task_id: t.id,
                section_number: t.section_number,
                section_title: t.section_title,
                item_number: t.item_number,
                title: t.title,
                half_year_due: t.half_year_due,
                annual_due: t.annual_due,
            })
            .collect();
        Ok(PlanMatrix { plan: PlanSummary { id: plan.id, year: plan.year, title: plan.title, region_code: plan.region_code, manages }, units, rows })
    }

    /// One page (from 1) of the caller's assignments, or with `overdue_only` of those past a
    /// deadline without the report it asks for; `per_page` at most `LIST_PAGE_MAX`, with how
    /// many there are in all (kept for a few seconds, see `app::figures`).
    pub async fn assignment_page(&self, actor: &Actor, client: &Client, overdue_only: bool, page: i64, per_page: i64) -> Result<AssignmentPage> {
        let scope = self.require_assignment_scope(actor, client, "assignment.list").await?;
        let per_page = per_page.clamp(1, LIST_PAGE_MAX);
        let page = page.max(1);
        let today = domain::time::today();
        let filter = assignment_filter(overdue_only, today);
        let rows = self.store.assignment_items(&scope, &filter, per_page, (page - 1).saturating_mul(per_page)).await?;
        let total = self.kept_assignment_count(&scope, &filter).await?;
        Ok(AssignmentPage { items: rows.iter().map(|row| view(row, today)).collect(), total, page, per_page })
    }

    /// How many assignments the caller has (with `overdue_only`, overdue): the total
    /// `assignment_page` gives, without reading a page.
    pub async fn assignment_total(&self, actor: &Actor, client: &Client, overdue_only: bool) -> Result<i64> {
        let scope = self.require_assignment_scope(actor, client, "assignment.list").await?;
        self.kept_assignment_count(&scope, &assignment_filter(overdue_only, domain::time::today())).await
    }

    /// The count of assignments in `scope` matching `filter`, kept (see `app::figures`).
    async fn kept_assignment_count(&self, scope: &domain::access::AssignmentScope, filter: &store::AssignmentFilter) -> Result<i64> {
        let count = async { Ok(self.store.assignment_count(scope, filter).await?) };
        self.figures.assignment_count(self.store.changes_committed(), scope, filter, count).await
    }

    /// How many of the caller's assignments are overdue, by unit and by the unit's region (name,
    /// count), most first (kept for a few seconds, see `app::figures`).
    pub async fn overdue_counts(&self, actor: &Actor, client: &Client) -> Result<Arc<OverdueCounts>> {
        let scope = self.require_assignment_scope(actor, client, "assignment.list").await?;
        let today = domain::time::today().to_string();
        let count = self.count_overdue(&scope, &today);
        self.figures.overdue_counts(self.store.changes_committed(), &scope, &today, count).await
    }

    async fn count_overdue(&self, scope: &domain::access::AssignmentScope, today: &str) -> Result<OverdueCounts> {
        let filter = store::AssignmentFilter { overdue_on: Some(today.to_owned()), status: None };
        let mut counts = OverdueCounts::default();
        let mut region_names: BTreeMap<String, String> = BTreeMap::new();
        for (_, unit_name, region_code, count) in self.store.assignment_counts_by_unit(scope, &filter).await? {
            counts.by_unit.push((unit_name, count));
            let code = region_code.unwrap_or_default();
            if !region_names.contains_key(&code) {
                let name = self.store.region(&code).await.map(|r| r.name).unwrap_or_else(|_| "—".into());
                region_names.insert(code.clone(), name);
            }
            let region = &region_names[&code];
            match counts.by_region.iter_mut().find(|(name, _)| name == region) {
                Some((_, total)) => *total += count,
                None => counts.by_region.push((region.clone(), count)),
            }
        }
        counts.by_region.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(counts)
    }

    /// The assignments with a report that waits for the caller's review (待我审核), oldest report
    /// first in the order of the plan.
    pub async fn assignments_to_review(&self, actor: &Actor, client: &Client) -> Result<Vec<AssignmentView>> {
        let scope = self.require_assignment_scope(actor, client, "assignment.list").await?;
        let today = domain::time::today();
        let mut managed: BTreeMap<i64, bool> = BTreeMap::new();
        let mut found = Vec::new();
        let reported = store::AssignmentFilter { overdue_on: None, status: Some(AssignmentStatus::Reported.key().to_owned()) };
        for row in self.store.assignment_items(&scope, &reported, LIST_MAX, 0).await? {
            // The plan's office reviews everything in it; decided once per plan.
            let manages = match managed.get(&row.plan_id) {
                Some(known) => *known,
                None => {
                    let plan = self.store.plan(row.plan_id).await?;
                    let known = self.manages_plan(actor, &plan).await?;
                    managed.insert(row.plan_id, known);
                    known
                }
            };
            if manages || self.reviews_as_lead(actor, &row).await? {
                found.push(view(&row, today));
            }
        }
        Ok(found)
    }

    /// The caller's notifications (reminders, escalations, returned and reopened work): those
    /// addressed to its own unit and to the government or office of its region that it acts for.
    pub async fn notifications(&self, actor: &Actor) -> Result<Vec<store::NotificationRow>> {
        let mut units = vec![actor.unit_id];
        let own_region = actor.region_path.as_deref().and_then(|p| p.trim_end_matches('/').rsplit('/').next());
        for kind in [UnitKind::Government, UnitKind::Office] {
            for unit in self.store.units_of_kind(kind).await? {
                let assigned = AssignedUnit { unit_id: unit.id, unit_kind: kind.as_str(), region_code: unit.region_code.as_deref() };
                if unit.id != actor.unit_id && unit.region_code.as_deref() == own_region && policy::acts_for(actor, &assigned) {
                    units.push(unit.id);
                }
            }
        }
        let mut found = Vec::new();
        for unit_id in units {
            found.extend(self.store.notifications_in_scope(&domain::access::AssignmentScope::Unit { unit_id }, 100).await?);
        }
        found.sort_by_key(|n| std::cmp::Reverse(n.id));
        found.truncate(100);
        Ok(found)
    }

    async fn visible_assignment(&self, actor: &Actor, client: &Client, id: i64, action: &str) -> Result<AssignmentRow> {
        match self.store.assignment(id, &policy::assignment_scope(actor)).await {
            Ok(row) => Ok(row),
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, action, format!("assignment:{id}")).await),
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the actor reviews reports of this assignment: the plan's office (for its own unit's
    /// work too, though never a report the reviewer filed), or the lead unit of the same task for a
    /// cooperating unit.
    async fn reviews(&self, actor: &Actor, row: &AssignmentRow) -> Result<bool> {
        let plan = self.store.plan(row.plan_id).await?;
        if self.manages_plan(actor, &plan).await? {
            return Ok(true);
        }
        self.reviews_as_lead(actor, row).await
    }

    /// Whether the actor reviews a cooperating unit's reports as the lead unit of the same task.
    async fn reviews_as_lead(&self, actor: &Actor, row: &AssignmentRow) -> Result<bool> {
        if policy::acts_for(actor, &Self::assigned_unit(row)) {
            return Ok(false);
        }
        if row.role != "cooperating" {
            return Ok(false);
        }
        Ok(self.store.task_assignments(row.task_id).await?.iter().any(|other| other.role == "lead" && policy::acts_for(actor, &Self::assigned_unit(other))))
    }

    /// The plan's review rounds (id, name, when) for those who supervise it; empty for others.
    pub async fn review_rounds(&self, actor: &Actor, plan_id: i64) -> Result<Vec<(i64, String, i64)>> {
        let plan = self.store.plan(plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Ok(Vec::new());
        }
        Ok(self.store.review_rounds(plan_id).await?)
    }

    pub async fn assignment_detail(&self, actor: &Actor, client: &Client, id: i64) -> Result<AssignmentDetail> {
        let row = self.visible_assignment(actor, client, id, "assignment.read").await?;
        let plan = self.store.plan(row.plan_id).await?;
        let status = row.status;
        let reviews = self.reviews(actor, &row).await?;
        let manages = self.manages_plan(actor, &plan).await?;
        Ok(AssignmentDetail {
            task: self.store.task(row.task_id).await?,
            groups: self.store.task_groups(row.task_id).await?,
            reports: self.store.reports_of_assignment(id).await?,
            attachments: self.store.attachments_of_assignment(id).await?,
            reopenings: self.store.reopenings_of_assignment(id).await?,
            rounds: if manages { self.store.review_rounds(plan.id).await? } else { Vec::new() },
            may_report: policy::acts_for(actor, &Self::assigned_unit(&row)) && status != AssignmentStatus::Accepted,
            may_review: reviews
                && status == AssignmentStatus::Reported
                && !self.store.reports_of_assignment(id).await?.iter().any(|r| r.awaits_review() && r.submitted_by == actor.user_id),
            may_reopen: manages && matches!(status, AssignmentStatus::Reported | AssignmentStatus::Accepted),
            may_set_deadlines: manages,
            may_decompose: Self::may_decompose(actor, &row),
            assignment: view(&row, domain::time::today()),
        })
    }

    fn status_change(row: &AssignmentRow, action: SupervisionMove) -> Result<StatusChange> {
        let from = row.status;
        let to = supervision::next_status(from, action).map_err(|e| AppError::IllegalTransition(e.message()))?;
        Ok(StatusChange { from: from.key().into(), to: to.key().into() })
    }

    /// The assigned unit reports progress, with evidence files.
    /// Whether the actor may report on the assignment: checked by the web layer before it reads
    /// an upload, and again by `report_progress`.
    pub async fn may_report_progress(&self, actor: &Actor, client: &Client, id: i64) -> Result<()> {
        self.assignment_to_report(actor, client, id).await.map(|_| ())
    }

    async fn assignment_to_report(&self, actor: &Actor, client: &Client, id: i64) -> Result<store::AssignmentRow> {
        let row = self.visible_assignment(actor, client, id, "assignment.report").await?;
        if !policy::acts_for(actor, &Self::assigned_unit(&row)) {
            return Err(self.denied(actor, client, "assignment.report", format!("assignment:{id}")).await);
        }
        Ok(row)
    }

    pub async fn report_progress(&self, actor: &Actor, client: &Client, id: i64, period: &str, body: &str, files: Vec<UploadedFile>) -> Result<i64> {
        let row = self.assignment_to_report(actor, client, id).await?;
        let mut problems = Vec::new();
        let period = ReportPeriod::parse(period);
        if period.is_none() {
            problems.push(("period", domain::message!("workplans.choose_half_year_annual_interim")));
        }
        let body = body.trim();
        if body.is_empty() || body.chars().count() > REPORT_CHARS_MAX {
            problems.push(("body", domain::message!("workplans.report_text_required_most_characters", report_chars_max = REPORT_CHARS_MAX)));
        }
        if files.len() > ATTACHMENTS_MAX {
            problems.push(("files", domain::message!("workplans.most_attachments", attachments_max = ATTACHMENTS_MAX)));
        }
        let mut attachments = Vec::new();
        for file in &files {
            let extension = file.file_name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
            match ATTACHMENT_TYPES.iter().find(|(e, _)| *e == extension) {
                None => problems.push(("files", domain::message!("workplans.not_allowed_type_pdf_images_word", value = clip(&file.file_name, 60)))),
                Some(_) if file.bytes.len() > ATTACHMENT_BYTES_MAX => problems
                    .push(("files", domain::message!("workplans.larger_than_mb", value = clip(&file.file_name, 60), value2 = ATTACHMENT_BYTES_MAX >> 20))),
                Some(_) if file.bytes.is_empty() => problems.push(("files", domain::message!("workplans.empty", value = clip(&file.file_name, 60)))),
                Some(_) if !content_matches_extension(&extension, &file.bytes) => problems.push((
                    "files",
                    domain::message!("workplans.content_not_extension", value = clip(&file.file_name, 60), extension = extension.to_uppercase()),
                )),
                Some((_, content_type)) => attachments.push(NewAttachment {
                    file_name: clip(file.file_name.rsplit(['/', '\\']).next().unwrap_or(""), 120),
                    content_type: (*content_type).to_owned(),
                    sha256: hex::encode(Sha256::digest(&file.bytes)),
                    content: file.bytes.clone(),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems.into_iter().map(|(field, message)| domain::enterprises::FieldError { field, message }).collect()));
        }
        let period = period.ok_or_else(|| AppError::Internal("period".into()))?;
        let change = Self::status_change(&row, SupervisionMove::Report(period))?;
        let event = audit_event(
            Some(actor),
            client,
            "assignment.report",
            String::new(),
            Outcome::Success,
            serde_json::json!({"period": period.key(), "attachments": attachments.len()}),
        );
        // The plan's office reviews; for a cooperating unit's report, the task's lead units too.
        let plan = self.store.plan(row.plan_id).await?;
        let mut reviewers = vec![plan.owner_unit_id];
        if row.role == "cooperating" {
            reviewers.extend(self.store.task_assignments(row.task_id).await?.iter().filter(|a| a.role == "lead").map(|a| a.unit_id));
        }
        reviewers.sort_unstable();
        reviewers.dedup();
        // The filing unit's own people are not asked to review it (the office may report on its own work).
        reviewers.retain(|unit| *unit != row.unit_id);
        let message = domain::message!(
            "inbox.report_filed",
            unit = row.unit_name,
            item_number = row.item_number,
            value = clip(&row.task_title, 40),
            period_zh = period.label_zh(),
            period_en = period.label_en()
        );
        let posts = |report_id: i64| {
            reviewers
                .iter()
                .map(|unit| crate::inbox::event_post(*unit, &format!("work_plan:report:{report_id}"), false, &message, format!("/assignments/{id}"), actor))
                .collect()
        };
        Ok(self.store.add_report(id, &change, period.key(), body, actor.user_id, &attachments, &event, posts).await?)
    }

    /// The assigned unit records that work has begun.
    pub async fn start_assignment(&self, actor: &Actor, client: &Client, id: i64) -> Result<()> {
        let row = self.visible_assignment(actor, client, id, "assignment.start").await?;
        if !policy::acts_for(actor, &Self::assigned_unit(&row)) {
            return Err(self.denied(actor, client, "assignment.start", format!("assignment:{id}")).await);
        }
        let change = Self::status_change(&row, SupervisionMove::Start)?;
        let event = audit_event(Some(actor), client, "assignment.start", String::new(), Outcome::Success, serde_json::json!({}));
        Ok(self.store.move_assignment(id, &change, None, None, None, &event).await?)
    }

    /// A reviewer accepts or returns the oldest report awaiting review (see [`App::review_report`]).
    pub async fn review_assignment(&self, actor: &Actor, client: &Client, id: i64, accept: bool, comment: &str) -> Result<()> {
        self.review_report(actor, client, id, None, accept, comment).await
    }

    /// A reviewer accepts or returns one report awaiting review (`report_id`, or the oldest when
    /// none is named); a return needs a reason. Each report is decided on its own: while others
    /// still wait, the assignment stays reported (accepting the annual report completes it and
    /// supersedes the rest). No one reviews a report they submitted.
    pub async fn review_report(&self, actor: &Actor, client: &Client, id: i64, report_id: Option<i64>, accept: bool, comment: &str) -> Result<()> {
        let row = self.visible_assignment(actor, client, id, "assignment.review").await?;
        if !self.reviews(actor, &row).await? {
            return Err(self.denied(actor, client, "assignment.review", format!("assignment:{id}")).await);
        }
        let comment = comment.trim();
        if !accept && comment.is_empty() {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "comment",
                message: domain::message!("workplans.give_reason_returning_report"),
            }]));
        }
        let (report, others_pending) = self.pending_report(&row, report_id).await?;
        if report.submitted_by == actor.user_id {
            return Err(self.denied(actor, client, "assignment.review", format!("assignment:{id}")).await);
        }
        let period = ReportPeriod::parse(&report.period).unwrap_or(ReportPeriod::Interim);
        let decision = if accept { SupervisionMove::Accept(period) } else { SupervisionMove::Return };
        let to = supervision::status_after_decision(row.status, decision, others_pending).map_err(|e| AppError::IllegalTransition(e.message()))?;
        let change = StatusChange { from: row.status.key().into(), to: to.key().into() };
        let comment = clip(comment, 2_000);
        let verdict = if accept { "accepted" } else { "returned" };
        let notification = (!accept).then(|| NewNotification {
            unit_id: row.unit_id,
            kind: "returned".into(),
            assignment_id: id,
            due_on: domain::time::today().to_string(),
            message: domain::message!(
                "workplans.report_item_was_returned",
                item_number = row.item_number,
                value = clip(&row.task_title, 40),
                comment = comment
            )
            .to_stored(),
        });
        let event = audit_event(
            Some(actor),
            client,
            "assignment.review",
            String::new(),
            Outcome::Success,
            serde_json::json!({"verdict": verdict, "comment": comment, "report": report.id}),
        );
        let decided = store::ReportDecision {
            report_id: report.id,
            verdict,
            comment: &comment,
            decided_by: actor.user_id,
            supersede_others: to == AssignmentStatus::Accepted,
            assignment_updated_at: row.updated_at,
        };
        let post = notification.as_ref().map(work_plan_post);
        let told = notification.as_ref().zip(post.as_ref());
        Ok(self.store.move_assignment(id, &change, Some(&decided), None, told, &event).await?)
    }

    /// The assigned unit withdraws a report of its own that awaits review (to correct it and
    /// report again); while others still wait, the assignment stays reported.
    pub async fn withdraw_report(&self, actor: &Actor, client: &Client, id: i64, report_id: i64) -> Result<()> {
        let row = self.assignment_to_report(actor, client, id).await?;
        let (report, others_pending) = self.pending_report(&row, Some(report_id)).await?;
        let to =
            supervision::status_after_decision(row.status, SupervisionMove::Return, others_pending).map_err(|e| AppError::IllegalTransition(e.message()))?;
        let change = StatusChange { from: row.status.key().into(), to: to.key().into() };
        let event = audit_event(Some(actor), client, "assignment.withdraw", String::new(), Outcome::Success, serde_json::json!({"report": report.id}));
        let decided = store::ReportDecision {
            report_id: report.id,
            verdict: "withdrawn",
            comment: "",
            decided_by: actor.user_id,
            supersede_others: false,
            assignment_updated_at: row.updated_at,
        };
        Ok(self.store.move_assignment(id, &change, Some(&decided), None, None, &event).await?)
    }

    /// A report of the assignment awaiting review (the named one, or the oldest), and whether
    /// others wait besides it. A report that is not there or no longer waits is refused by field.
    async fn pending_report(&self, row: &store::AssignmentRow, report_id: Option<i64>) -> Result<(store::ReportRow, bool)> {
        let mut pending: Vec<store::ReportRow> = self.store.reports_of_assignment(row.id).await?.into_iter().filter(store::ReportRow::awaits_review).collect();
        // Oldest first: a reviewer who names none takes them in the order they came.
        pending.sort_by_key(|r| r.id);
        let position = match report_id {
            Some(wanted) => pending.iter().position(|r| r.id == wanted),
            None => (!pending.is_empty()).then_some(0),
        };
        let Some(position) = position else {
            return Err(if pending.is_empty() && report_id.is_none() {
                AppError::IllegalTransition(domain::message!("workplans.no_report_awaits_review"))
            } else {
                AppError::Invalid(vec![domain::enterprises::FieldError {
                    field: "report_id",
                    message: domain::message!("workplans.report_not_awaiting_review"),
                }])
            });
        };
        let report = pending.remove(position);
        Ok((report, !pending.is_empty()))
    }

    /// Sets an item's deadlines (the defaults are 30 June and 31 December of the plan's year).
    pub async fn set_task_deadlines(&self, actor: &Actor, client: &Client, task_id: i64, half_year_due: &str, annual_due: &str) -> Result<()> {
        let task = self.store.task(task_id).await?;
        let plan = self.store.plan(task.plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Err(self.denied(actor, client, "workplan.deadlines", format!("task:{task_id}")).await);
        }
        let field = |field: &'static str, message: Message| AppError::Invalid(vec![domain::enterprises::FieldError { field, message }]);
        let half = parse_date(half_year_due.trim()).ok_or_else(|| field("half_year_due", domain::message!("workplans.half_year_deadline_should_yyyy_mm")))?;
        let annual = parse_date(annual_due.trim()).ok_or_else(|| field("annual_due", domain::message!("workplans.annual_deadline_should_yyyy_mm_dd")))?;
        if half > annual {
            return Err(field("half_year_due", domain::message!("workplans.half_year_deadline_cannot_fall_after")));
        }
        if (i64::from(annual.year()) - plan.year).abs() > 1 {
            return Err(field("annual_due", domain::message!("workplans.deadline_should_fall_around", year = plan.year)));
        }
        let event = audit_event(
            Some(actor),
            client,
            "workplan.deadlines",
            format!("task:{task_id}"),
            Outcome::Success,
            serde_json::json!({
                "from": [task.half_year_due, task.annual_due], "to": [half.to_string(), annual.to_string()],
            }),
        );
        Ok(self.store.set_task_deadlines(task_id, &half.to_string(), &annual.to_string(), &event).await?)
    }

    /// Whether the actor may decompose this assignment for the tier below: it is addressed to a
    /// government the actor acts for, and the actor runs that tier's plans.
    fn may_decompose(actor: &Actor, row: &AssignmentRow) -> bool {
        let own_path = actor.region_path.as_deref().unwrap_or("");
        row.unit_kind == UnitKind::Government.as_str()
            && policy::acts_for(actor, &Self::assigned_unit(row))
            && policy::allows(actor, Action::ManageWorkPlan { region_path: own_path })
    }

    /// A city (or county) turns an item addressed to its government into an item of its own plan
    /// for the year, assigned to every government one tier down and linked to the item above.
    /// Doing it twice changes nothing. Returns the plan's id.
    pub async fn decompose_assignment(&self, actor: &Actor, client: &Client, id: i64) -> Result<i64> {
        let row = self.visible_assignment(actor, client, id, "assignment.decompose").await?;
        if !Self::may_decompose(actor, &row) {
            return Err(self.denied(actor, client, "assignment.decompose", format!("assignment:{id}")).await);
        }
        let region_code = row.unit_region_code.clone().ok_or_else(|| AppError::Internal(format!("government unit {} has no region", row.unit_id)))?;
        let children: Vec<String> = self.store.region_children(&region_code).await?.into_iter().map(|r| r.code.to_string()).collect();
        let lower: Vec<NewAssignment> = self
            .store
            .units_of_kind(UnitKind::Government)
            .await?
            .into_iter()
            .filter(|u| u.region_code.as_ref().is_some_and(|code| children.contains(code)))
            .map(|u| NewAssignment { unit_id: u.id, role: "cooperating".into(), named_as: "下一级人民政府".into() })
            .collect();
        if lower.is_empty() {
            return Err(AppError::BadRequest(domain::message!("workplans.there_no_lower_tier_decompose")));
        }
        let task = self.store.task(row.task_id).await?;
        let parent = self.store.plan(task.plan_id).await?;
        let plan = NewPlan {
            year: parent.year,
            title: clip(&format!("{}({}分解)", parent.title, row.unit_name), 200),
            owner_unit_id: actor.unit_id,
            region_code,
            source_digest: format!("cascade:{}", parent.id),
            tasks: Vec::new(),
        };
        let new_task = NewTask {
            section_number: task.section_number.clone(),
            section_title: task.section_title.clone(),
            item_number: task.item_number,
            title: task.title.clone(),
            body: task.body.clone(),
            half_year_due: task.half_year_due.clone(),
            annual_due: task.annual_due.clone(),
            parent_task_id: Some(task.id),
            // The group names the units in the province's language, like the plan's own groups.
            groups: vec![domain::message!("workplans.decomposed_tier_below", unit_name = row.unit_name).render(domain::message::Lang::Zh)],
            assignments: lower,
            unresolved: Vec::new(),
        };
        let event = audit_event(
            Some(actor),
            client,
            "assignment.decompose",
            String::new(),
            Outcome::Success,
            serde_json::json!({"assignment": id, "parent_task": task.id}),
        );
        let (plan_id, _) = self.store.add_decomposed_task(&plan, &new_task, &event).await?;
        Ok(plan_id)
    }

    /// Opens a 回头看 review round on a plan the actor supervises.
    pub async fn open_review_round(&self, actor: &Actor, client: &Client, plan_id: i64, name: &str) -> Result<i64> {
        let plan = self.store.plan(plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Err(self.denied(actor, client, "workplan.review_round", format!("plan:{plan_id}")).await);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "name",
                message: domain::message!("workplans.name_round_most_100_characters"),
            }]));
        }
        let event =
            audit_event(Some(actor), client, "workplan.review_round", String::new(), Outcome::Success, serde_json::json!({"plan": plan_id, "name": name}));
        Ok(self.store.create_review_round(plan_id, name, actor.user_id, &event).await?)
    }

    /// Reopens an assignment in a 回头看 round with the reason the office found the result wanting.
    pub async fn reopen_assignment(&self, actor: &Actor, client: &Client, id: i64, round_id: i64, reason: &str) -> Result<()> {
        let row = self.visible_assignment(actor, client, id, "assignment.reopen").await?;
        let plan = self.store.plan(row.plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Err(self.denied(actor, client, "assignment.reopen", format!("assignment:{id}")).await);
        }
        if !self.store.review_rounds(plan.id).await?.iter().any(|(round, _, _)| *round == round_id) {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "round_id",
                message: domain::message!("workplans.choose_review_round_plan"),
            }]));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "reason",
                message: domain::message!("workplans.give_reason_reopening"),
            }]));
        }
        let reason = clip(reason, 2_000);
        let change = Self::status_change(&row, SupervisionMove::Reopen)?;
        let notification = NewNotification {
            unit_id: row.unit_id,
            kind: "reopened".into(),
            assignment_id: id,
            due_on: domain::time::today().to_string(),
            message: domain::message!(
                "workplans.item_was_reopened_review_round",
                item_number = row.item_number,
                value = clip(&row.task_title, 40),
                reason = reason
            )
            .to_stored(),
        };
        let event =
            audit_event(Some(actor), client, "assignment.reopen", String::new(), Outcome::Success, serde_json::json!({"round": round_id, "reason": reason}));
        let post = work_plan_post(&notification);
        Ok(self.store.move_assignment(id, &change, None, Some((round_id, &reason, actor.user_id)), Some((&notification, &post)), &event).await?)
    }

    /// Maps a name the import could not resolve to a unit; the unit receives every item that
    /// named it.
    pub async fn resolve_plan_unit(&self, actor: &Actor, client: &Client, plan_id: i64, name: &str, unit_id: i64) -> Result<u64> {
        let plan = self.store.plan(plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Err(self.denied(actor, client, "workplan.resolve_unit", format!("plan:{plan_id}")).await);
        }
        let unit = self.store.unit(unit_id).await?;
        let plan_path = self.plan_region_path(&plan.region_code).await?;
        if !self.unit_within(&unit, &plan_path).await? {
            return Err(AppError::Invalid(vec![domain::enterprises::FieldError {
                field: "unit_id",
                message: domain::message!("workplans.work_can_only_go_units_plan"),
            }]));
        }
        let event = audit_event(
            Some(actor),
            client,
            "workplan.resolve_unit",
            format!("plan:{plan_id}"),
            Outcome::Success,
            serde_json::json!({"name": clip(name, 60), "unit_id": unit.id}),
        );
        Ok(self.store.resolve_unit_name(plan_id, name, unit.id, &event).await?)
    }

    pub async fn unresolved_units(&self, actor: &Actor, client: &Client, plan_id: i64) -> Result<Vec<store::UnresolvedRow>> {
        let plan = self.store.plan(plan_id).await?;
        if !self.manages_plan(actor, &plan).await? {
            return Err(self.denied(actor, client, "workplan.read", format!("plan:{plan_id}")).await);
        }
        Ok(self.store.unresolved_of_plan(plan_id).await?)
    }

    /// An evidence file, if the caller may see its assignment.
    pub async fn attachment(&self, actor: &Actor, client: &Client, id: i64) -> Result<(store::AttachmentRow, Vec<u8>)> {
        let (row, assignment_id, content) = self.store.attachment(id).await?;
        self.visible_assignment(actor, client, assignment_id, "attachment.read").await?;
        Ok((row, content))
    }

    /// Sends due reminders and escalations for `today`: to each unit a reminder in the week before
    /// a deadline it has not reported for, and, once the deadline has passed, a reminder to the
    /// unit and an escalation to the plan's office. Each goes out once. Returns how many went out.
    pub async fn send_deadline_notices(&self, today: Date) -> Result<u64> {
        let mut notices = Vec::new();
        for plan in self.store.plans().await? {
            for row in self.store.plan_assignments(plan.id, &domain::access::AssignmentScope::Everything).await? {
                if row.status == "accepted" {
                    continue;
                }
                for (due, reported, label) in [
                    (&row.half_year_due, row.half_year_reported || row.annual_reported, domain::message!("workplans.period_half_year")),
                    (&row.annual_due, row.annual_reported, domain::message!("workplans.period_annual")),
                ] {
                    let Some(due_date) = parse_date(due) else { continue };
                    if reported {
                        continue;
                    }
                    let days_left = (due_date - today).get_days() as i64;
                    if (0..=REMIND_DAYS_BEFORE).contains(&days_left) {
                        notices.push(NewNotification {
                            unit_id: row.unit_id,
                            kind: "reminder".into(),
                            assignment_id: row.id,
                            due_on: due.clone(),
                            message: domain::message!(
                                "workplans.report_item_due",
                                item_number = row.item_number,
                                value = clip(&row.task_title, 40),
                                label => label.clone(),
                                due = due
                            )
                            .to_stored(),
                        });
                    } else if today > due_date {
                        notices.push(NewNotification {
                            unit_id: plan.owner_unit_id,
                            kind: "escalation".into(),
                            assignment_id: row.id,
                            due_on: due.clone(),
                            message: domain::message!(
                                "workplans.missed_report_item",
                                unit_name = row.unit_name,
                                item_number = row.item_number,
                                value = clip(&row.task_title, 40),
                                due = due,
                                label => label.clone()
                            )
                            .to_stored(),
                        });
                    }
                }
            }
        }
        Ok(self.store.add_notifications(&notices, work_plan_post).await?)
    }

    /// The matrix as an XLSX or CSV table: one row per assignment.
    pub async fn export_plan(&self, actor: &Actor, client: &Client, plan_id: i64, format: SpreadsheetFormat, english: bool) -> Result<Vec<u8>> {
        let matrix = self.plan_matrix(actor, client, plan_id).await?;
        let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
        let columns = [
            Column { heading: say("部分", "Part"), width: 8.0 },
            Column { heading: say("事项", "Item"), width: 6.0 },
            Column { heading: say("工作事项", "Task"), width: 40.0 },
            Column { heading: say("责任单位", "Responsible unit"), width: 24.0 },
            Column { heading: say("牵头/配合", "Lead / support"), width: 10.0 },
            Column { heading: say("状态", "Status"), width: 10.0 },
            Column { heading: say("逾期", "Overdue"), width: 6.0 },
            Column { heading: say("半年报告期限", "Half-year report due"), width: 14.0 },
            Column { heading: say("年度报告期限", "Annual report due"), width: 14.0 },
            Column { heading: say("半年已报", "Half-year reported"), width: 8.0 },
            Column { heading: say("年度已报", "Annual reported"), width: 8.0 },
        ];
        let rows = matrix.rows.iter().flat_map(|row| {
            row.cells.iter().map(move |cell| {
                vec![
                    row.section_number.clone(),
                    row.item_number.to_string(),
                    row.title.clone(),
                    cell.unit_name.clone(),
                    if cell.role == "lead" { say("牵头", "lead").into() } else { say("配合", "support").into() },
                    status_label(&cell.status, english).into(),
                    if cell.overdue { say("是", "yes").into() } else { String::new() },
                    cell.half_year_due.clone(),
                    cell.annual_due.clone(),
                    if cell.half_year_reported { say("是", "yes").into() } else { String::new() },
                    if cell.annual_reported { say("是", "yes").into() } else { String::new() },
                ]
            })
        });
        let export = crate::exports::Export {
            action: "workplan.export",
            target: format!("plan:{plan_id}"),
            format,
            sheet_name: say("工作要点", "Work plan"),
            columns: &columns,
            details: serde_json::Value::Null,
        };
        self.export_table(actor, client, export, rows).await
    }
}

impl App {
    /// Every report on the plan's assignments that the caller sees, as a table: the progress
    /// record of the year.
    pub async fn export_progress(&self, actor: &Actor, client: &Client, plan_id: i64, format: SpreadsheetFormat, english: bool) -> Result<Vec<u8>> {
        let matrix = self.plan_matrix(actor, client, plan_id).await?;
        let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
        let columns = [
            Column { heading: say("事项", "Item"), width: 6.0 },
            Column { heading: say("工作事项", "Task"), width: 30.0 },
            Column { heading: say("责任单位", "Responsible unit"), width: 22.0 },
            Column { heading: say("报告类型", "Report"), width: 10.0 },
            Column { heading: say("报送时间", "Submitted at"), width: 20.0 },
            Column { heading: say("报送人", "Submitted by"), width: 14.0 },
            Column { heading: say("审核", "Review"), width: 8.0 },
            Column { heading: say("审核意见", "Review comment"), width: 24.0 },
            Column { heading: say("工作进展", "Progress"), width: 60.0 },
        ];
        let mut rows = Vec::new();
        for row in &matrix.rows {
            for cell in &row.cells {
                for report in self.store.reports_of_assignment(cell.id).await?.into_iter().rev() {
                    rows.push(vec![
                        row.item_number.to_string(),
                        row.title.clone(),
                        cell.unit_name.clone(),
                        ReportPeriod::parse(&report.period).unwrap_or(ReportPeriod::Interim).label(english).into(),
                        crate::audit::display_time(report.submitted_at),
                        report.submitter_name,
                        match (report.review.as_deref(), report.closed_as.as_deref()) {
                            (Some("accepted"), _) => say("通过", "accepted").into(),
                            (Some("returned"), _) => say("退回", "returned").into(),
                            (_, Some("withdrawn")) => say("已撤回", "withdrawn").into(),
                            (_, Some("superseded")) => say("已由年度报告取代", "superseded by the annual report").into(),
                            _ => say("待审核", "awaiting review").into(),
                        },
                        report.review_comment.unwrap_or_default(),
                        report.body,
                    ]);
                }
            }
        }
        let export = crate::exports::Export {
            action: "workplan.export_progress",
            target: format!("plan:{plan_id}"),
            format,
            sheet_name: say("工作进展", "Progress"),
            columns: &columns,
            details: serde_json::Value::Null,
        };
        self.export_table(actor, client, export, rows.into_iter()).await
    }
}

/// A stored status key in words, in English when `english`.
pub fn status_label(key: &str, english: bool) -> &'static str {
    match (key, english) {
        ("not_started", false) => "未开始",
        ("not_started", true) => "Not started",
        ("in_progress", false) => "推进中",
        ("in_progress", true) => "In progress",
        ("reported", false) => "已报送",
        ("reported", true) => "Reported",
        ("accepted", false) => "已验收",
        ("accepted", true) => "Accepted",
        ("reopened", false) => "已重开",
        ("reopened", true) => "Reopened",
        (_, false) => "未知",
        (_, true) => "Unknown",
    }
}

/// The inbox message that tells a work-plan notification to its unit's people.
fn work_plan_post(n: &NewNotification) -> store::UnitPost {
    crate::inbox::notice_post(n.unit_id, "work_plan", &n.kind, n.assignment_id, &n.due_on, &n.message, format!("/assignments/{}", n.assignment_id))
}
