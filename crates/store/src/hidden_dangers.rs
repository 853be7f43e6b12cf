//! Hidden dangers: records scoped like their enterprise, state moves that apply only from the
//! state they started in, each move's history entry and audit entry in one transaction, and
//! filtered lists.

use domain::access::Visibility;
use domain::audit::AuditEvent;
use domain::hidden_dangers::{DangerGrade, DangerSource, DangerState};
use sqlx::FromRow;

use crate::{Result, Store, StoreError, VISIBLE, now_ms, trusted, visibility_params, with_pool, with_writer};

#[derive(Debug, Clone, PartialEq)]
pub struct NewDanger {
    pub enterprise_id: i64,
    pub location: String,
    pub description: String,
    pub source: String,
    pub source_ref: Option<String>,
    pub grade: String,
    pub deadline: Option<String>,
    pub responsible_person: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DangerRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub location: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub source: DangerSource,
    pub source_ref: Option<String>,
    #[sqlx(try_from = "String")]
    pub grade: DangerGrade,
    #[sqlx(try_from = "String")]
    pub state: DangerState,
    pub deadline: Option<String>,
    pub responsible_person: String,
    /// The rectification plan as JSON, once planned.
    pub plan: Option<String>,
    pub submitted_by: Option<i64>,
    pub listed_by_unit_id: Option<i64>,
    pub listed_deadline: Option<String>,
    pub listed_notice: Option<String>,
    pub reported_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DangerEventRow {
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: String,
    pub actor_name: String,
    pub at: i64,
}

/// A move on a danger: the state it must be in, the state it goes to, and what it sets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DangerMove {
    pub action: String,
    pub from: String,
    pub to: String,
    pub note: String,
    /// A new plan (JSON) to store.
    pub plan: Option<String>,
    /// A new deadline to store.
    pub deadline: Option<String>,
    /// Record the actor as the one who submitted the rectification.
    pub mark_submitter: bool,
}

/// Filters of the list; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DangerFilter {
    pub region_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub grade: Option<String>,
    pub state: Option<String>,
    /// Only those past their deadline and not closed, as of this ISO date.
    pub overdue_on: Option<String>,
    pub listed: Option<bool>,
}

/// Inserts `$danger` as `reported` with its first history entry; evaluates to its id.
macro_rules! insert_danger {
    ($tx:expr, $danger:expr, $user_id:expr, $now:expr) => {{
        let danger: &NewDanger = $danger;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO hidden_dangers (enterprise_id, location, description, source, source_ref, grade, state, deadline, responsible_person, reported_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'reported', $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(danger.enterprise_id)
        .bind(&danger.location)
        .bind(&danger.description)
        .bind(&danger.source)
        .bind(&danger.source_ref)
        .bind(&danger.grade)
        .bind(&danger.deadline)
        .bind(&danger.responsible_person)
        .bind($user_id)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query("INSERT INTO hidden_danger_events (danger_id, action, from_state, to_state, note, actor_id, at) VALUES ($1, 'report', NULL, 'reported', '', $2, $3)")
            .bind(id)
            .bind($user_id)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        id
    }};
}
pub(crate) use insert_danger;

/// Inserts one photo `($file_name, $content_type, $sha256, $content)` of danger `$danger_id`,
/// taken by a checklist run when `$run_id` is one.
macro_rules! insert_danger_photo {
    ($tx:expr, $danger_id:expr, $photo:expr, $user_id:expr, $now:expr, $run_id:expr) => {{
        let (file_name, content_type, sha256, content): &(String, String, String, Vec<u8>) = $photo;
        let run_id: Option<i64> = $run_id;
        sqlx::query(
            "INSERT INTO danger_photos (danger_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at, checklist_run_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind($danger_id)
        .bind(file_name)
        .bind(content_type)
        .bind(content.len() as i64)
        .bind(sha256)
        .bind(content)
        .bind($user_id)
        .bind($now)
        .bind(run_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_danger_photo;

const DANGER_SELECT: &str = "SELECT d.id, d.enterprise_id, e.name AS enterprise_name, e.region_code, d.location, d.description, d.source, \
     d.source_ref, d.grade, d.state, d.deadline, d.responsible_person, d.plan, d.submitted_by, d.listed_by_unit_id, d.listed_deadline, \
     d.listed_notice, d.reported_by, d.created_at, d.updated_at FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id \
     JOIN regions r ON r.code = e.region_code";

/// The hidden-danger overview of what one visibility sees: how many are in each state, and of
/// those not closed how many are overdue, listed for supervision and major.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DangerOverview {
    /// (state key, count), only states with any.
    pub by_state: Vec<(String, i64)>,
    pub overdue: i64,
    pub listed_open: i64,
    pub major_open: i64,
}

/// The list's filters over `d` (the danger) and `r` (its enterprise's region), `$4` to `$9`.
const DANGER_FILTER: &str = "($4 IS NULL OR r.path LIKE $4 || '/%' OR r.path LIKE '%/' || $4 || '/%') \
     AND ($5 IS NULL OR d.enterprise_id = $5) AND ($6 IS NULL OR d.grade = $6) AND ($7 IS NULL OR d.state = $7) \
     AND ($8 IS NULL OR (d.state <> 'closed' AND d.deadline IS NOT NULL AND d.deadline < $8)) \
     AND ($9 IS NULL OR ($9 = (d.listed_by_unit_id IS NOT NULL)))";

/// Binds a visibility's three parameters and the list's filters, `$1` to `$9`.
macro_rules! bind_danger_filter {
    ($query:expr, $visibility:expr, $filter:expr) => {{
        let (all, path, enterprise) = visibility_params($visibility);
        let filter: &DangerFilter = $filter;
        $query
            .bind(all)
            .bind(path)
            .bind(enterprise)
            .bind(filter.region_code.clone())
            .bind(filter.enterprise_id)
            .bind(filter.grade.clone())
            .bind(filter.state.clone())
            .bind(filter.overdue_on.clone())
            .bind(filter.listed)
    }};
}

impl Store {
    /// `posts` makes, from the new danger's id, the messages that tell of it.
    pub async fn create_danger(&self, danger: &NewDanger, user_id: i64, event: &AuditEvent, posts: impl Fn(i64) -> Vec<crate::UnitPost>) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let id = insert_danger!(tx, danger, user_id, now);
            for post in posts(id) {
                crate::inbox::post_to_unit!(tx, &post, now);
            }
            let mut event = event.clone();
            event.target = format!("hidden_danger:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Demo data only: dates a danger's report back to `reported_at` and its deadline to
    /// `deadline`, so that the synthetic province has dangers found weeks ago and now past their
    /// deadlines (a report may not name a deadline before its day).
    pub async fn backdate_demo_danger(&self, id: i64, deadline: &str, reported_at: i64) -> Result<()> {
        with_writer!(self, |pool| {
            sqlx::query("UPDATE hidden_dangers SET deadline = $1, created_at = $2 WHERE id = $3")
                .bind(deadline)
                .bind(reported_at)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// One danger, if it is visible.
    pub async fn danger(&self, id: i64, visibility: &Visibility) -> Result<DangerRow> {
        let sql = format!("{DANGER_SELECT} WHERE d.id = $4 AND {VISIBLE}");
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| {
            let row: Option<DangerRow> = sqlx::query_as(trusted(&sql)).bind(all).bind(path).bind(enterprise).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Visible dangers matching `filter`, deadline first, at most `limit`.
    pub async fn dangers(&self, visibility: &Visibility, filter: &DangerFilter, limit: i64) -> Result<Vec<DangerRow>> {
        self.danger_items(visibility, filter, limit, 0).await
    }

    /// The visible dangers matching `filter`, soonest deadline first (none last), from `offset`,
    /// at most `limit`.
    pub async fn danger_items(&self, visibility: &Visibility, filter: &DangerFilter, limit: i64, offset: i64) -> Result<Vec<DangerRow>> {
        let visible = crate::visible_for(visibility);
        let sql = format!("{DANGER_SELECT} WHERE {visible} AND {DANGER_FILTER} ORDER BY d.deadline IS NULL, d.deadline, d.id LIMIT $10 OFFSET $11");
        with_pool!(self, |pool| { Ok(bind_danger_filter!(sqlx::query_as(trusted(&sql)), visibility, filter).bind(limit).bind(offset).fetch_all(pool).await?) })
    }

    /// How many visible dangers match `filter`.
    pub async fn danger_count(&self, visibility: &Visibility, filter: &DangerFilter) -> Result<i64> {
        let visible = crate::visible_for(visibility);
        let sql = format!(
            "SELECT COUNT(*) FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE {visible} AND {DANGER_FILTER}"
        );
        with_pool!(self, |pool| { Ok(bind_danger_filter!(sqlx::query_scalar(trusted(&sql)), visibility, filter).fetch_one(pool).await?) })
    }

    /// The overview of every danger `visibility` sees, counted in the database (overdue: not
    /// closed, with a deadline before `today`).
    pub async fn danger_overview(&self, visibility: &Visibility, today: &str) -> Result<DangerOverview> {
        let sql = format!(
            "SELECT d.state, COUNT(*), \
             COALESCE(SUM(CASE WHEN d.state <> 'closed' AND d.deadline IS NOT NULL AND d.deadline < $4 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN d.state <> 'closed' AND d.listed_by_unit_id IS NOT NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN d.state <> 'closed' AND d.grade = 'major' THEN 1 ELSE 0 END), 0) \
             FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE {visible} GROUP BY d.state ORDER BY d.state",
            visible = crate::visible_for(visibility)
        );
        let (all, path, enterprise) = visibility_params(visibility);
        let rows: Vec<(String, i64, i64, i64, i64)> =
            with_pool!(self, |pool| sqlx::query_as(trusted(&sql)).bind(all).bind(&path).bind(enterprise).bind(today).fetch_all(pool).await?);
        let mut overview = DangerOverview::default();
        for (state, count, overdue, listed_open, major_open) in rows {
            overview.by_state.push((state, count));
            overview.overdue += overdue;
            overview.listed_open += listed_open;
            overview.major_open += major_open;
        }
        Ok(overview)
    }

    /// Applies a move if the danger is still in `the_move.from`; otherwise `Conflict`.
    /// `posts` tell of the move.
    pub async fn move_danger(&self, id: i64, the_move: &DangerMove, user_id: i64, event: &AuditEvent, posts: &[crate::UnitPost]) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            for post in posts {
                crate::inbox::post_to_unit!(tx, post, now);
            }
            let moved = sqlx::query(
                "UPDATE hidden_dangers SET state = $1, updated_at = $2, plan = COALESCE($3, plan), deadline = COALESCE($4, deadline), \
                 submitted_by = CASE WHEN $5 THEN $6 ELSE submitted_by END WHERE id = $7 AND state = $8",
            )
            .bind(&the_move.to)
            .bind(now)
            .bind(&the_move.plan)
            .bind(&the_move.deadline)
            .bind(the_move.mark_submitter)
            .bind(user_id)
            .bind(id)
            .bind(&the_move.from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved != 1 {
                return Err(StoreError::Conflict(domain::message!("hidden_dangers.changed_meanwhile")));
            }
            sqlx::query("INSERT INTO hidden_danger_events (danger_id, action, from_state, to_state, note, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id)
                .bind(&the_move.action)
                .bind(&the_move.from)
                .bind(&the_move.to)
                .bind(&the_move.note)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let mut event = event.clone();
            event.target = format!("hidden_danger:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(())
        })
    }

    /// Puts a danger under listed supervision (挂牌督办) by a regulator's unit.
    pub async fn list_danger(&self, id: i64, unit_id: i64, deadline: &str, notice: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed =
                sqlx::query("UPDATE hidden_dangers SET listed_by_unit_id = $1, listed_deadline = $2, listed_notice = $3, updated_at = $4 WHERE id = $5")
                    .bind(unit_id)
                    .bind(deadline)
                    .bind(notice)
                    .bind(now_ms())
                    .bind(id)
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

    pub async fn danger_events(&self, id: i64) -> Result<Vec<DangerEventRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT v.action, v.from_state, v.to_state, v.note, u.display_name AS actor_name, v.at FROM hidden_danger_events v \
                 JOIN users u ON u.id = v.actor_id WHERE v.danger_id = $1 ORDER BY v.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Open dangers with a deadline (or a listing deadline): every danger not closed, with the
    /// units concerned resolved by the caller.
    pub async fn open_dangers_with_deadlines(&self) -> Result<Vec<DangerRow>> {
        let sql = format!("{DANGER_SELECT} WHERE d.state <> 'closed' AND (d.deadline IS NOT NULL OR d.listed_deadline IS NOT NULL) ORDER BY d.id");
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(&sql)).fetch_all(pool).await?))
    }

    /// Adds notices not sent before (same unit, kind, danger and due date); returns how many are new.
    /// Each new notice is posted to the inbox of the unit's people as `post` makes it.
    pub async fn add_danger_notices(&self, notices: &[DangerNotice], post: impl Fn(&DangerNotice) -> crate::UnitPost) -> Result<u64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let mut added = 0;
            for notice in notices {
                let new = sqlx::query(
                    "INSERT INTO danger_notices (unit_id, kind, danger_id, due_on, message, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (unit_id, kind, danger_id, due_on) DO NOTHING",
                )
                .bind(notice.unit_id)
                .bind(&notice.kind)
                .bind(notice.danger_id)
                .bind(&notice.due_on)
                .bind(&notice.message)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if new == 1 {
                    crate::inbox::post_to_unit!(tx, &post(notice), now);
                }
                added += new;
            }
            Ok(added)
        })
    }

    /// The newest notices addressed to a unit.
    pub async fn danger_notices_of_unit(&self, unit_id: i64, limit: i64) -> Result<Vec<DangerNotice>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT unit_id, kind, danger_id, due_on, message FROM danger_notices WHERE unit_id = $1 ORDER BY id DESC LIMIT $2")
                .bind(unit_id)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DangerNotice {
    pub unit_id: i64,
    /// `reminder` or `escalation`.
    pub kind: String,
    pub danger_id: i64,
    pub due_on: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DangerPhotoRow {
    pub id: i64,
    pub danger_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: i64,
}

impl Store {
    /// Stores photos of a danger with `event`; fails with `Conflict` beyond `limit` photos.
    pub async fn add_danger_photos(
        &self,
        danger_id: i64,
        photos: &[(String, String, String, Vec<u8>)],
        limit: i64,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM danger_photos WHERE danger_id = $1").bind(danger_id).fetch_one(&mut *tx).await?;
            if existing + photos.len() as i64 > limit {
                return Err(StoreError::Conflict(domain::message!("hidden_dangers.photos_at_most", limit = limit)));
            }
            let now = now_ms();
            for photo in photos {
                insert_danger_photo!(tx, danger_id, photo, user_id, now, None);
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn danger_photos(&self, danger_id: i64) -> Result<Vec<DangerPhotoRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, danger_id, file_name, content_type, size_bytes, uploaded_at FROM danger_photos WHERE danger_id = $1 ORDER BY id")
                .bind(danger_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// A photo's danger, content type and bytes.
    pub async fn danger_photo(&self, id: i64) -> Result<(i64, String, Vec<u8>)> {
        with_pool!(self, |pool| {
            let row: Option<(i64, String, Vec<u8>)> =
                sqlx::query_as("SELECT danger_id, content_type, content FROM danger_photos WHERE id = $1").bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }
}
