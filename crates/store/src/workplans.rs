//! Work plans: plans, their tasks and responsibility groups, assignments to units, progress
//! reports and their attachments, 回头看 rounds and reopenings, units the import could not
//! resolve, and notifications. Status moves check the status they start from, so two reviewers
//! cannot both act on the same report.

use domain::access::AssignmentScope;
use domain::audit::AuditEvent;
use domain::supervision::AssignmentStatus;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, now_ms, trusted, with_pool, with_writer};

#[derive(Debug, Clone)]
pub struct NewPlan {
    pub year: i64,
    pub title: String,
    pub owner_unit_id: i64,
    pub region_code: String,
    /// SHA-256 of the parsed document, so that importing the same document twice changes nothing.
    pub source_digest: String,
    pub tasks: Vec<NewTask>,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub section_number: String,
    pub section_title: String,
    pub item_number: i64,
    pub title: String,
    pub body: String,
    pub half_year_due: String,
    pub annual_due: String,
    pub parent_task_id: Option<i64>,
    pub groups: Vec<String>,
    pub assignments: Vec<NewAssignment>,
    /// Names the import could not resolve to a unit, with the role they were named in.
    pub unresolved: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssignment {
    pub unit_id: i64,
    /// `lead` or `cooperating`.
    pub role: String,
    pub named_as: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub year: i64,
    pub title: String,
    pub owner_unit_id: i64,
    pub region_code: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub plan_id: i64,
    pub position: i64,
    pub section_number: String,
    pub section_title: String,
    pub item_number: i64,
    pub title: String,
    pub body: String,
    pub half_year_due: String,
    pub annual_due: String,
    pub parent_task_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub task_id: i64,
    pub plan_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_kind: String,
    pub unit_region_code: Option<String>,
    pub role: String,
    pub named_as: String,
    #[sqlx(try_from = "String")]
    pub status: AssignmentStatus,
    pub half_year_reported: bool,
    pub annual_reported: bool,
    pub updated_at: i64,
    pub item_number: i64,
    pub task_title: String,
    pub section_number: String,
    pub half_year_due: String,
    pub annual_due: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub assignment_id: i64,
    pub period: String,
    pub body: String,
    pub submitted_by: i64,
    pub submitter_name: String,
    pub submitted_at: i64,
    pub review: Option<String>,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<i64>,
    /// `withdrawn` by its unit or `superseded` by the accepted annual report, unreviewed.
    pub closed_as: Option<String>,
}

impl ReportRow {
    /// Whether the report still waits for a reviewer's decision.
    pub fn awaits_review(&self) -> bool {
        self.review.is_none() && self.closed_as.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub report_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UnresolvedRow {
    pub task_id: i64,
    pub item_number: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ReopeningRow {
    pub assignment_id: i64,
    pub round_name: String,
    pub reason: String,
    pub reopened_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub unit_id: i64,
    /// `reminder`, `escalation`, `returned` or `reopened`.
    pub kind: String,
    pub assignment_id: i64,
    pub due_on: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub assignment_id: i64,
    pub due_on: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A status move on an assignment: from the status it must be in, to the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub from: String,
    pub to: String,
}

/// The decision on one report awaiting review: accepted or returned by a reviewer, or withdrawn
/// by its unit; `supersede_others` closes the others still waiting (the annual report accepted).
pub struct ReportDecision<'a> {
    pub report_id: i64,
    pub verdict: &'a str,
    pub comment: &'a str,
    pub decided_by: i64,
    pub supersede_others: bool,
    /// The assignment's `updated_at` when the decision was made: whoever moved it meanwhile (a
    /// decision on another report, a new report) makes this one a conflict, to be made again.
    pub assignment_updated_at: i64,
}

/// Inserts `$notification` unless it was sent already; evaluates to the number inserted.
macro_rules! insert_notification {
    ($tx:expr, $notification:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO notifications (unit_id, kind, assignment_id, due_on, message, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (unit_id, kind, assignment_id, due_on) DO NOTHING",
        )
        .bind($notification.unit_id)
        .bind(&$notification.kind)
        .bind($notification.assignment_id)
        .bind(&$notification.due_on)
        .bind(&$notification.message)
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    };
}

/// Inserts `$task` with its groups, assignments and unresolved names as position `$position` of
/// plan `$plan_id`; evaluates to the new task's id.
macro_rules! insert_task {
    ($tx:expr, $plan_id:expr, $position:expr, $task:expr, $now:expr) => {{
        let task: &NewTask = $task;
        let task_id: i64 = sqlx::query_scalar(
            "INSERT INTO plan_tasks (plan_id, position, section_number, section_title, item_number, title, body, half_year_due, annual_due, parent_task_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind($plan_id)
        .bind($position)
        .bind(&task.section_number)
        .bind(&task.section_title)
        .bind(task.item_number)
        .bind(&task.title)
        .bind(&task.body)
        .bind(&task.half_year_due)
        .bind(&task.annual_due)
        .bind(task.parent_task_id)
        .fetch_one(&mut *$tx)
        .await?;
        for (position, group) in task.groups.iter().enumerate() {
            sqlx::query("INSERT INTO task_groups (task_id, position, body) VALUES ($1, $2, $3)")
                .bind(task_id)
                .bind(position as i64)
                .bind(group)
                .execute(&mut *$tx)
                .await?;
        }
        for assignment in &task.assignments {
            sqlx::query("INSERT INTO assignments (task_id, unit_id, role, named_as, status, updated_at) VALUES ($1, $2, $3, $4, 'not_started', $5)")
                .bind(task_id)
                .bind(assignment.unit_id)
                .bind(&assignment.role)
                .bind(&assignment.named_as)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        for (name, role) in &task.unresolved {
            sqlx::query("INSERT INTO unresolved_units (task_id, name, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(task_id)
                .bind(name)
                .bind(role)
                .execute(&mut *$tx)
                .await?;
        }
        task_id
    }};
}

const PLAN_SELECT: &str = "SELECT id, year, title, owner_unit_id, region_code, created_at FROM work_plans";
const TASK_SELECT: &str = "SELECT id, plan_id, position, section_number, section_title, item_number, title, body, half_year_due, annual_due, parent_task_id \
     FROM plan_tasks";

/// An assignment row's columns over `a` (the assignment), `t` (its task) and `u` (its unit).
macro_rules! assignment_columns {
    () => {
        "SELECT a.id, a.task_id, t.plan_id, a.unit_id, u.name AS unit_name, u.kind AS unit_kind, \
         u.region_code AS unit_region_code, a.role, a.named_as, a.status, a.half_year_reported, a.annual_reported, a.updated_at, \
         t.item_number, t.title AS task_title, t.section_number, t.half_year_due, t.annual_due "
    };
}
/// An assignment with its task, unit and the unit's region.
macro_rules! assignment_joins {
    () => {
        "FROM assignments a JOIN plan_tasks t ON t.id = a.task_id JOIN units u ON u.id = a.unit_id LEFT JOIN regions r ON r.code = u.region_code"
    };
}
const ASSIGNMENT_JOINS: &str = assignment_joins!();
const ASSIGNMENT_SELECT: &str = concat!(assignment_columns!(), assignment_joins!());
/// The same rows read task by task in the list's order (`plan_tasks_listing`), their
/// assignments found by task: for the wide scopes, where the first page lies among the first
/// tasks. SQLite keeps a `CROSS JOIN`'s order; PostgreSQL plans it as any join. Its `WHERE`
/// is begun.
const ASSIGNMENT_SELECT_BY_TASK: &str = concat!(
    assignment_columns!(),
    "FROM plan_tasks t CROSS JOIN assignments a JOIN units u ON u.id = a.unit_id LEFT JOIN regions r ON r.code = u.region_code \
     WHERE a.task_id = t.id AND"
);
/// What the assignment list is narrowed to within a scope; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AssignmentFilter {
    /// Only those overdue on this day (`YYYY-MM-DD`): not accepted, and a deadline before it
    /// passed without the report it asks for (as `domain::supervision::is_overdue`).
    pub overdue_on: Option<String>,
    /// Only those in this status (its key).
    pub status: Option<String>,
}

/// `AssignmentFilter` over `a` and `t`, `$4` and `$5`.
const ASSIGNMENT_FILTER: &str = "($4 IS NULL OR (a.status <> 'accepted' AND ((t.half_year_due < $4 AND NOT a.half_year_reported \
     AND NOT a.annual_reported) OR (t.annual_due < $4 AND NOT a.annual_reported)))) AND ($5 IS NULL OR a.status = $5)";

/// Binds a scope's three parameters and an `AssignmentFilter`, `$1` to `$5`.
macro_rules! bind_assignment_filter {
    ($query:expr, $scope:expr, $filter:expr) => {{
        let (all, path, unit) = scope_params($scope);
        let filter: &AssignmentFilter = $filter;
        $query.bind(all).bind(path).bind(unit).bind(filter.overdue_on.clone()).bind(filter.status.clone())
    }};
}

/// The assignment list's order: by annual deadline, plan and task, then assignment.
const ASSIGNMENT_LIST_ORDER: &str = "t.annual_due, t.plan_id, t.position, a.id";

/// The scope condition over `u` (a unit) and `r` (its region): `$1` everything, `$2` a region
/// path pattern, `$3` one unit.
const SCOPE_WHERE: &str = "($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR u.id = $3)";
/// The scope condition over assignments `a`: as `SCOPE_WHERE`, and a unit also sees the other
/// assignments of the tasks it leads (it reviews its cooperating units).
const ASSIGNMENT_SCOPE_WHERE: &str = "($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR u.id = $3 \
     OR a.task_id IN (SELECT l.task_id FROM assignments l WHERE l.unit_id = $3 AND l.role = 'lead'))";

/// `ASSIGNMENT_SCOPE_WHERE` written for one kind of scope (same parameters), so that the planner
/// can walk an index for the everything and region scopes instead of testing every row.
fn assignment_scope_for(scope: &AssignmentScope) -> &'static str {
    match scope {
        AssignmentScope::Everything => "($1 AND $2 IS NULL AND $3 IS NULL)",
        AssignmentScope::RegionSubtree { .. } => "(r.path LIKE $2 AND NOT $1 AND $3 IS NULL)",
        AssignmentScope::Unit { .. } | AssignmentScope::Nothing => ASSIGNMENT_SCOPE_WHERE,
    }
}

fn scope_params(scope: &AssignmentScope) -> (bool, Option<String>, Option<i64>) {
    match scope {
        AssignmentScope::Everything => (true, None, None),
        AssignmentScope::RegionSubtree { path } => (false, Some(format!("{path}%")), None),
        AssignmentScope::Unit { unit_id } => (false, None, Some(*unit_id)),
        AssignmentScope::Nothing => (false, None, None),
    }
}

impl Store {
    /// The plan already imported from the same document by the same office for the same year.
    pub async fn plan_by_digest(&self, owner_unit_id: i64, year: i64, digest: &str) -> Result<Option<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT id FROM work_plans WHERE owner_unit_id = $1 AND year = $2 AND source_digest = $3")
                .bind(owner_unit_id)
                .bind(year)
                .bind(digest)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Stores a plan with its tasks, groups, assignments and unresolved names, and `event`.
    pub async fn create_plan(&self, plan: &NewPlan, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let plan_id: i64 = sqlx::query_scalar(
                "INSERT INTO work_plans (year, title, owner_unit_id, region_code, source_digest, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(plan.year)
            .bind(&plan.title)
            .bind(plan.owner_unit_id)
            .bind(&plan.region_code)
            .bind(&plan.source_digest)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| crate::conflict_on_unique(e, domain::message!("workplans.already_imported")))?;
            for (position, task) in plan.tasks.iter().enumerate() {
                insert_task!(tx, plan_id, position as i64, task, now);
            }
            let mut event = event.clone();
            event.target = format!("plan:{plan_id}");
            crate::audit::append_audit!(tx, &event);
            Ok(plan_id)
        })
    }

    /// Adds `task`, decomposed from the task `task.parent_task_id` of a higher tier's plan, to the
    /// plan `plan` names (owner, year, digest), creating that plan (without tasks) if needed. A
    /// parent already decomposed into that plan is returned as it is. Returns (plan id, task id).
    pub async fn add_decomposed_task(&self, plan: &NewPlan, task: &NewTask, event: &AuditEvent) -> Result<(i64, i64)> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM work_plans WHERE owner_unit_id = $1 AND year = $2 AND source_digest = $3")
                .bind(plan.owner_unit_id)
                .bind(plan.year)
                .bind(&plan.source_digest)
                .fetch_optional(&mut *tx)
                .await?;
            let plan_id: i64 = match existing {
                Some(id) => id,
                None => sqlx::query_scalar(
                    "INSERT INTO work_plans (year, title, owner_unit_id, region_code, source_digest, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(plan.year)
                .bind(&plan.title)
                .bind(plan.owner_unit_id)
                .bind(&plan.region_code)
                .bind(&plan.source_digest)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?,
            };
            let done: Option<i64> = sqlx::query_scalar("SELECT id FROM plan_tasks WHERE plan_id = $1 AND parent_task_id = $2")
                .bind(plan_id)
                .bind(task.parent_task_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(task_id) = done {
                return Ok((plan_id, task_id));
            }
            let position: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(position) + 1, 0) FROM plan_tasks WHERE plan_id = $1").bind(plan_id).fetch_one(&mut *tx).await?;
            let task_id = insert_task!(tx, plan_id, position, task, now);
            let mut event = event.clone();
            event.target = format!("task:{task_id}");
            crate::audit::append_audit!(tx, &event);
            Ok((plan_id, task_id))
        })
    }

    pub async fn plans(&self) -> Result<Vec<PlanRow>> {
        with_pool!(self, |pool| { Ok(sqlx::query_as(trusted(&format!("{PLAN_SELECT} ORDER BY year DESC, id DESC"))).fetch_all(pool).await?) })
    }

    pub async fn plan(&self, id: i64) -> Result<PlanRow> {
        with_pool!(self, |pool| {
            let row: Option<PlanRow> = sqlx::query_as(trusted(&format!("{PLAN_SELECT} WHERE id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn plan_tasks(&self, plan_id: i64) -> Result<Vec<TaskRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(trusted(&format!("{TASK_SELECT} WHERE plan_id = $1 ORDER BY position"))).bind(plan_id).fetch_all(pool).await?)
        })
    }

    pub async fn task(&self, id: i64) -> Result<TaskRow> {
        with_pool!(self, |pool| {
            let row: Option<TaskRow> = sqlx::query_as(trusted(&format!("{TASK_SELECT} WHERE id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// The responsibility groups of a task, as written.
    pub async fn task_groups(&self, task_id: i64) -> Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT body FROM task_groups WHERE task_id = $1 ORDER BY position").bind(task_id).fetch_all(pool).await?)
        })
    }

    /// The assignments of a plan within `scope`, by item and then lead units first.
    pub async fn plan_assignments(&self, plan_id: i64, scope: &AssignmentScope) -> Result<Vec<AssignmentRow>> {
        let sql = format!("{ASSIGNMENT_SELECT} WHERE t.plan_id = $4 AND {ASSIGNMENT_SCOPE_WHERE} ORDER BY t.position, a.role DESC, a.id");
        let (all, path, unit) = scope_params(scope);
        with_pool!(self, |pool| { Ok(sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(unit).bind(plan_id).fetch_all(pool).await?) })
    }

    /// The assignments within `scope` matching `filter` in the list's order (by annual deadline,
    /// plan, task), from `offset`, at most `limit`.
    pub async fn assignment_items(&self, scope: &AssignmentScope, filter: &AssignmentFilter, limit: i64, offset: i64) -> Result<Vec<AssignmentRow>> {
        let condition = assignment_scope_for(scope);
        let sql = match scope {
            AssignmentScope::Everything | AssignmentScope::RegionSubtree { .. } => {
                format!("{ASSIGNMENT_SELECT_BY_TASK} {condition} AND {ASSIGNMENT_FILTER} ORDER BY {ASSIGNMENT_LIST_ORDER} LIMIT $6 OFFSET $7")
            }
            AssignmentScope::Unit { .. } | AssignmentScope::Nothing => {
                format!("{ASSIGNMENT_SELECT} WHERE {condition} AND {ASSIGNMENT_FILTER} ORDER BY {ASSIGNMENT_LIST_ORDER} LIMIT $6 OFFSET $7")
            }
        };
        with_pool!(self, |pool| { Ok(bind_assignment_filter!(sqlx::query_as(trusted(&sql)), scope, filter).bind(limit).bind(offset).fetch_all(pool).await?) })
    }

    /// How many assignments within `scope` match `filter`.
    pub async fn assignment_count(&self, scope: &AssignmentScope, filter: &AssignmentFilter) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) {ASSIGNMENT_JOINS} WHERE {} AND {ASSIGNMENT_FILTER}", assignment_scope_for(scope));
        with_pool!(self, |pool| { Ok(bind_assignment_filter!(sqlx::query_scalar(trusted(&sql)), scope, filter).fetch_one(pool).await?) })
    }

    /// How many assignments within `scope` match `filter`, by unit (id, name, region code),
    /// most first.
    pub async fn assignment_counts_by_unit(&self, scope: &AssignmentScope, filter: &AssignmentFilter) -> Result<Vec<(i64, String, Option<String>, i64)>> {
        let sql = format!(
            "SELECT u.id, u.name, u.region_code, COUNT(*) AS n {ASSIGNMENT_JOINS} WHERE {} AND {ASSIGNMENT_FILTER} \
             GROUP BY u.id, u.name, u.region_code ORDER BY n DESC, u.name",
            assignment_scope_for(scope)
        );
        with_pool!(self, |pool| { Ok(bind_assignment_filter!(sqlx::query_as(trusted(&sql)), scope, filter).fetch_all(pool).await?) })
    }

    /// One assignment, if it lies within `scope`.
    pub async fn assignment(&self, id: i64, scope: &AssignmentScope) -> Result<AssignmentRow> {
        let sql = format!("{ASSIGNMENT_SELECT} WHERE a.id = $4 AND {ASSIGNMENT_SCOPE_WHERE}");
        let (all, path, unit) = scope_params(scope);
        with_pool!(self, |pool| {
            let row: Option<AssignmentRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(unit).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Every assignment of a task, whatever the scope (for deciding who reviews).
    pub async fn task_assignments(&self, task_id: i64) -> Result<Vec<AssignmentRow>> {
        let sql = format!("{ASSIGNMENT_SELECT} WHERE a.task_id = $1 ORDER BY a.role DESC, a.id");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(task_id).fetch_all(pool).await?))
    }

    pub async fn reports_of_assignment(&self, assignment_id: i64) -> Result<Vec<ReportRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT p.id, p.assignment_id, p.period, p.body, p.submitted_by, u.display_name AS submitter_name, p.submitted_at, \
                 p.review, p.review_comment, p.reviewed_at, p.closed_as FROM progress_reports p JOIN users u ON u.id = p.submitted_by \
                 WHERE p.assignment_id = $1 ORDER BY p.id DESC",
            )
            .bind(assignment_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn attachments_of_assignment(&self, assignment_id: i64) -> Result<Vec<AttachmentRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT f.id, f.report_id, f.file_name, f.content_type, f.size_bytes, f.sha256 FROM report_attachments f \
                 JOIN progress_reports p ON p.id = f.report_id WHERE p.assignment_id = $1 ORDER BY f.id",
            )
            .bind(assignment_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// An attachment with its content, and the assignment it belongs to.
    pub async fn attachment(&self, id: i64) -> Result<(AttachmentRow, i64, Vec<u8>)> {
        with_pool!(self, |pool| {
            // id, report, file name, content type, size, SHA-256, assignment, content.
            type Attachment = (i64, i64, String, String, i64, String, i64, Vec<u8>);
            let row: Option<Attachment> = sqlx::query_as(
                "SELECT f.id, f.report_id, f.file_name, f.content_type, f.size_bytes, f.sha256, p.assignment_id, f.content \
                 FROM report_attachments f JOIN progress_reports p ON p.id = f.report_id WHERE f.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let (id, report_id, file_name, content_type, size_bytes, sha256, assignment_id, content) = row.ok_or(StoreError::NotFound)?;
            Ok((AttachmentRow { id, report_id, file_name, content_type, size_bytes, sha256 }, assignment_id, content))
        })
    }

    /// Adds a report with its attachments and moves the assignment's status, if it is still in
    /// `change.from`; otherwise `Conflict`. `posts` makes, from the report's id, the messages
    /// that tell its reviewers.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_report(
        &self,
        assignment_id: i64,
        change: &StatusChange,
        period: &str,
        body: &str,
        user_id: i64,
        attachments: &[NewAttachment],
        event: &AuditEvent,
        posts: impl Fn(i64) -> Vec<crate::UnitPost>,
    ) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let moved = sqlx::query(
                "UPDATE assignments SET status = $1, updated_at = $2, \
                 half_year_reported = (half_year_reported OR $3 = 'half_year'), annual_reported = (annual_reported OR $3 = 'annual') \
                 WHERE id = $4 AND status = $5",
            )
            .bind(&change.to)
            .bind(now)
            .bind(period)
            .bind(assignment_id)
            .bind(&change.from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved != 1 {
                return Err(StoreError::Conflict(domain::message!("workplans.changed_meanwhile")));
            }
            let report_id: i64 = sqlx::query_scalar(
                "INSERT INTO progress_reports (assignment_id, period, body, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(assignment_id)
            .bind(period)
            .bind(body)
            .bind(user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for attachment in attachments {
                sqlx::query("INSERT INTO report_attachments (report_id, file_name, content_type, size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(report_id)
                    .bind(&attachment.file_name)
                    .bind(&attachment.content_type)
                    .bind(attachment.content.len() as i64)
                    .bind(&attachment.sha256)
                    .bind(&attachment.content)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut event = event.clone();
            event.target = format!("assignment:{assignment_id}");
            crate::audit::append_audit!(tx, &event);
            for post in posts(report_id) {
                crate::inbox::post_to_unit!(tx, &post, now);
            }
            Ok(report_id)
        })
    }

    /// Records a status move with no new report (start, accept, return, withdraw, reopen).
    /// `decision` decides one report awaiting review (a conflict if it waits no longer);
    /// `reopening` records a 回头看 reason; `notification` tells the unit, and its post the unit's people.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_assignment(
        &self,
        assignment_id: i64,
        change: &StatusChange,
        decision: Option<&ReportDecision<'_>>,
        reopening: Option<(i64, &str, i64)>,
        notification: Option<(&NewNotification, &crate::UnitPost)>,
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            // `updated_at` only grows, so that a decision made on what was read can tell whether
            // anyone moved the assignment since.
            let moved = sqlx::query(
                "UPDATE assignments SET status = $1, updated_at = CASE WHEN updated_at < $2 THEN $2 ELSE updated_at + 1 END \
                 WHERE id = $3 AND status = $4 AND ($5 IS NULL OR updated_at = $5)",
            )
            .bind(&change.to)
            .bind(now)
            .bind(assignment_id)
            .bind(&change.from)
            .bind(decision.map(|d| d.assignment_updated_at))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved != 1 {
                return Err(StoreError::Conflict(domain::message!("workplans.changed_meanwhile")));
            }
            if let Some(decision) = decision {
                // A withdrawal closes the report without a review; accepted and returned are reviews.
                let column = if decision.verdict == "withdrawn" { "closed_as" } else { "review" };
                let decided = sqlx::query(crate::trusted(&format!(
                    "UPDATE progress_reports SET {column} = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4 \
                     WHERE id = $5 AND assignment_id = $6 AND review IS NULL AND closed_as IS NULL"
                )))
                .bind(decision.verdict)
                .bind(decision.comment)
                .bind(decision.decided_by)
                .bind(now)
                .bind(decision.report_id)
                .bind(assignment_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if decided != 1 {
                    return Err(StoreError::Conflict(domain::message!("workplans.changed_meanwhile")));
                }
                if decision.supersede_others {
                    sqlx::query(
                        "UPDATE progress_reports SET closed_as = 'superseded', reviewed_by = $1, reviewed_at = $2 \
                         WHERE assignment_id = $3 AND review IS NULL AND closed_as IS NULL",
                    )
                    .bind(decision.decided_by)
                    .bind(now)
                    .bind(assignment_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if let Some((_, _, user_id)) = reopening {
                // Reopened work starts again: a report still waiting is superseded by what follows.
                sqlx::query(
                    "UPDATE progress_reports SET closed_as = 'superseded', reviewed_by = $1, reviewed_at = $2 \
                     WHERE assignment_id = $3 AND review IS NULL AND closed_as IS NULL",
                )
                .bind(user_id)
                .bind(now)
                .bind(assignment_id)
                .execute(&mut *tx)
                .await?;
            }
            if let Some((round_id, reason, user_id)) = reopening {
                sqlx::query("INSERT INTO reopenings (round_id, assignment_id, reason, reopened_by, reopened_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(round_id)
                    .bind(assignment_id)
                    .bind(reason)
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((notification, post)) = notification
                && insert_notification!(tx, notification, now) == 1
            {
                crate::inbox::post_to_unit!(tx, post, now);
            }
            let mut event = event.clone();
            event.target = format!("assignment:{assignment_id}");
            crate::audit::append_audit!(tx, &event);
            Ok(())
        })
    }

    /// Sets a task's report deadlines (ISO dates).
    pub async fn set_task_deadlines(&self, task_id: i64, half_year_due: &str, annual_due: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query("UPDATE plan_tasks SET half_year_due = $1, annual_due = $2 WHERE id = $3")
                .bind(half_year_due)
                .bind(annual_due)
                .bind(task_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Err(StoreError::NotFound);
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Demo data only: dates every report of a plan to `submitted_at`, so that a synthetic year
    /// shows reports filed on time (they are generated all at once, on the day the demo loads).
    pub async fn backdate_demo_reports(&self, plan_id: i64, submitted_at: i64) -> Result<u64> {
        with_writer!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE progress_reports SET submitted_at = $1 WHERE assignment_id IN \
                 (SELECT a.id FROM assignments a JOIN plan_tasks t ON t.id = a.task_id WHERE t.plan_id = $2)",
            )
            .bind(submitted_at)
            .bind(plan_id)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Opens a 回头看 review round on a plan.
    pub async fn create_review_round(&self, plan_id: i64, name: &str, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar("INSERT INTO review_rounds (plan_id, name, started_by, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(plan_id)
                .bind(name)
                .bind(user_id)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
            let mut event = event.clone();
            event.target = format!("review_round:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// The review rounds of a plan, newest first: (id, name, started_at).
    pub async fn review_rounds(&self, plan_id: i64) -> Result<Vec<(i64, String, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, name, started_at FROM review_rounds WHERE plan_id = $1 ORDER BY id DESC").bind(plan_id).fetch_all(pool).await?)
        })
    }

    pub async fn reopenings_of_assignment(&self, assignment_id: i64) -> Result<Vec<ReopeningRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT o.assignment_id, r.name AS round_name, o.reason, o.reopened_at FROM reopenings o \
                 JOIN review_rounds r ON r.id = o.round_id WHERE o.assignment_id = $1 ORDER BY o.id DESC",
            )
            .bind(assignment_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn unresolved_of_plan(&self, plan_id: i64) -> Result<Vec<UnresolvedRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT n.task_id, t.item_number, n.name, n.role FROM unresolved_units n JOIN plan_tasks t ON t.id = n.task_id \
                 WHERE t.plan_id = $1 ORDER BY n.name, t.position",
            )
            .bind(plan_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Assigns every task of a plan that named `name` (unresolved) to `unit_id`, and forgets the
    /// name; returns how many assignments were made.
    pub async fn resolve_unit_name(&self, plan_id: i64, name: &str, unit_id: i64, event: &AuditEvent) -> Result<u64> {
        crate::in_transaction!(self, |tx| {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT n.task_id, n.role FROM unresolved_units n JOIN plan_tasks t ON t.id = n.task_id WHERE t.plan_id = $1 AND n.name = $2")
                    .bind(plan_id)
                    .bind(name)
                    .fetch_all(&mut *tx)
                    .await?;
            let now = now_ms();
            let mut made = 0;
            for (task_id, role) in &rows {
                made += sqlx::query(
                    "INSERT INTO assignments (task_id, unit_id, role, named_as, status, updated_at) VALUES ($1, $2, $3, $4, 'not_started', $5) \
                     ON CONFLICT (task_id, unit_id) DO NOTHING",
                )
                .bind(task_id)
                .bind(unit_id)
                .bind(role)
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("DELETE FROM unresolved_units WHERE task_id = $1 AND name = $2").bind(task_id).bind(name).execute(&mut *tx).await?;
            }
            if rows.is_empty() {
                return Err(StoreError::NotFound);
            }
            crate::audit::append_audit!(tx, event);
            Ok(made)
        })
    }

    /// Adds notifications, skipping any already sent (same unit, kind, assignment and due date);
    /// returns how many are new.
    /// Each new notification is posted to the inbox of the unit's people as `post` makes it.
    pub async fn add_notifications(&self, notifications: &[NewNotification], post: impl Fn(&NewNotification) -> crate::UnitPost) -> Result<u64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let mut added = 0;
            for notification in notifications {
                let new = insert_notification!(tx, notification, now);
                if new == 1 {
                    crate::inbox::post_to_unit!(tx, &post(notification), now);
                }
                added += new;
            }
            Ok(added)
        })
    }

    /// The newest notifications of the units within `scope`.
    pub async fn notifications_in_scope(&self, scope: &AssignmentScope, limit: i64) -> Result<Vec<NotificationRow>> {
        let sql = format!(
            "SELECT n.id, n.unit_id, n.kind, n.assignment_id, n.due_on, n.message, n.created_at, n.read_at FROM notifications n \
             JOIN units u ON u.id = n.unit_id LEFT JOIN regions r ON r.code = u.region_code WHERE {SCOPE_WHERE} ORDER BY n.id DESC LIMIT $4"
        );
        let (all, path, unit) = scope_params(scope);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(unit).bind(limit).fetch_all(pool).await?))
    }
}
