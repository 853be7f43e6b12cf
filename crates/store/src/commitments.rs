//! Daily safety commitments: filing one per enterprise and day, and finding the enterprises of a
//! territory that must file but have not.

use domain::access::Visibility;
use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, now_ms, trusted, visibility_params, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CommitmentRow {
    pub enterprise_id: i64,
    pub day: String,
    pub principal: String,
    pub statement: String,
    pub exceptions: String,
    pub filed_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MissingCommitment {
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
}

/// How many enterprises of a region must file a commitment for a day, and how many did.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct CommitmentFiling {
    pub region_path: String,
    pub required: i64,
    pub filed: i64,
}

/// Which enterprises owe a commitment they have not filed: visible ($1–$3), with a high-risk
/// sector, none filed for the day ($4), within a region's subtree ($5). "With a sector" is
/// written `IN`, not `EXISTS`: with `EXISTS` and `LIMIT … OFFSET`, the bundled SQLite (3.51.3)
/// returned pages that overlapped and skipped rows (the overview's test walks every page).
const MISSING_WHERE: &str = "($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR e.id = $3) \
     AND e.id IN (SELECT s.enterprise_id FROM enterprise_sectors s) \
     AND NOT EXISTS (SELECT 1 FROM safety_commitments c WHERE c.enterprise_id = e.id AND c.day = $4) AND r.path LIKE $5";

/// Binds `MISSING_WHERE`'s parameters, `$1` to `$5`: a visibility, the day, the region's subtree
/// (all when none).
macro_rules! bind_missing {
    ($query:expr, $visibility:expr, $day:expr, $region_path:expr) => {{
        let (all, path, enterprise) = visibility_params($visibility);
        let region_path: Option<&str> = $region_path;
        $query.bind(all).bind(path).bind(enterprise).bind($day).bind(format!("{}%", region_path.unwrap_or("")))
    }};
}

impl Store {
    /// Files a commitment; a second one for the same enterprise and day is a conflict.
    pub async fn file_commitment(
        &self,
        enterprise_id: i64,
        day: &str,
        principal: &str,
        statement: &str,
        exceptions: &str,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO safety_commitments (enterprise_id, day, principal, statement, exceptions, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(enterprise_id)
            .bind(day)
            .bind(principal)
            .bind(statement)
            .bind(exceptions)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::conflict_on_unique(e, domain::message!("commitments.today_s_commitment_already_filed")))?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn commitments_of_enterprise(&self, enterprise_id: i64, limit: i64) -> Result<Vec<CommitmentRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT enterprise_id, day, principal, statement, exceptions, filed_at FROM safety_commitments WHERE enterprise_id = $1 ORDER BY day DESC LIMIT $2",
            )
            .bind(enterprise_id)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Visible enterprises with a high-risk sector that filed no commitment for `day`, in the
    /// subtree of `region_path` (all visible ones when none), by region and name: `limit` from
    /// `offset`.
    pub async fn missing_commitments(
        &self,
        visibility: &Visibility,
        day: &str,
        region_path: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MissingCommitment>> {
        let sql = format!(
            "SELECT e.id AS enterprise_id, e.name, e.region_code, r.name AS region_name FROM enterprises e JOIN regions r ON r.code = e.region_code \
             WHERE {MISSING_WHERE} ORDER BY e.region_code, e.name, e.id LIMIT $6 OFFSET $7"
        );
        with_pool!(self, |pool| Ok(bind_missing!(sqlx::query_as(trusted(&sql)), visibility, day, region_path)
            .bind(limit)
            .bind(offset.max(0))
            .fetch_all(pool)
            .await?))
    }

    /// How many enterprises `missing_commitments` finds in all.
    pub async fn missing_commitment_count(&self, visibility: &Visibility, day: &str, region_path: Option<&str>) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE {MISSING_WHERE}");
        with_pool!(self, |pool| Ok(bind_missing!(sqlx::query_scalar(trusted(&sql)), visibility, day, region_path).fetch_one(pool).await?))
    }

    /// For `day`, how many visible enterprises under `root_path` must file a commitment and how
    /// many did, per region one level below it (the path of that region; an enterprise placed on
    /// the root itself counts under the root's path), in one pass over the enterprises.
    pub async fn commitment_filing_by_child_region(&self, visibility: &Visibility, root_path: &str, day: &str) -> Result<Vec<CommitmentFiling>> {
        // A path is its codes, six digits and a slash each: a child's is the root's and one more.
        let child_path_length = i32::try_from(root_path.len() + 7).unwrap_or(i32::MAX);
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT SUBSTR(r.path, 1, $1) AS region_path, COUNT(*) AS required, \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM safety_commitments c WHERE c.enterprise_id = e.id AND c.day = $6) THEN 1 ELSE 0 END) AS filed \
             FROM enterprises e JOIN regions r ON r.code = e.region_code \
             WHERE r.path LIKE $2 AND ($3 OR ($4 IS NOT NULL AND r.path LIKE $4) OR e.id = $5) \
             AND e.id IN (SELECT s.enterprise_id FROM enterprise_sectors s) \
             GROUP BY SUBSTR(r.path, 1, $1) ORDER BY 1",
        )
        .bind(child_path_length)
        .bind(format!("{root_path}%"))
        .bind(all)
        .bind(path)
        .bind(enterprise)
        .bind(day)
        .fetch_all(pool)
        .await?))
    }

    /// For each day from `first_day` through `last_day` on which any visible enterprise under
    /// `root_path` that must file (one with a high-risk sector, as the overview counts) filed,
    /// how many did: (day, filed), oldest first.
    pub async fn commitments_filed_by_day(&self, visibility: &Visibility, root_path: &str, first_day: &str, last_day: &str) -> Result<Vec<(String, i64)>> {
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT c.day, COUNT(*) FROM safety_commitments c JOIN enterprises e ON e.id = c.enterprise_id JOIN regions r ON r.code = e.region_code \
             WHERE c.day >= $1 AND c.day <= $2 AND r.path LIKE $3 AND ($4 OR ($5 IS NOT NULL AND r.path LIKE $5) OR e.id = $6) \
             AND e.id IN (SELECT s.enterprise_id FROM enterprise_sectors s) \
             GROUP BY c.day ORDER BY c.day",
        )
        .bind(first_day)
        .bind(last_day)
        .bind(format!("{root_path}%"))
        .bind(all)
        .bind(path)
        .bind(enterprise)
        .fetch_all(pool)
        .await?))
    }

    /// Demo data only: commitments as the demo province's enterprises filed them over the last
    /// days, (enterprise, day, principal, exceptions) each with the same statement, in one
    /// transaction and with no audit entry (synthetic history, as `backdate_demo_danger`).
    pub async fn insert_demo_commitments(&self, rows: &[(i64, String, String, String)], statement: &str, filed_by: i64) -> Result<()> {
        crate::in_plain_transaction!(self, |tx| {
            let now = now_ms();
            for (enterprise_id, day, principal, exceptions) in rows {
                sqlx::query(
                    "INSERT INTO safety_commitments (enterprise_id, day, principal, statement, exceptions, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (enterprise_id, day) DO NOTHING",
                )
                .bind(enterprise_id)
                .bind(day)
                .bind(principal)
                .bind(statement)
                .bind(exceptions)
                .bind(filed_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        })
    }

    /// Whether the enterprise has a high-risk sector (and so must file daily commitments).
    pub async fn enterprise_has_sectors(&self, enterprise_id: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let found: Option<String> =
                sqlx::query_scalar("SELECT sector FROM enterprise_sectors WHERE enterprise_id = $1 LIMIT 1").bind(enterprise_id).fetch_optional(pool).await?;
            Ok(found.is_some())
        })
    }
}
