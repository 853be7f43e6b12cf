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

    /// Visible enterprises with a high-risk sector that filed no commitment for `day`.
    pub async fn missing_commitments(&self, visibility: &Visibility, day: &str, limit: i64) -> Result<Vec<MissingCommitment>> {
        let sql = "SELECT e.id AS enterprise_id, e.name, e.region_code, r.name AS region_name FROM enterprises e JOIN regions r ON r.code = e.region_code \
             WHERE ($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR e.id = $3) \
             AND EXISTS (SELECT 1 FROM enterprise_sectors s WHERE s.enterprise_id = e.id) \
             AND NOT EXISTS (SELECT 1 FROM safety_commitments c WHERE c.enterprise_id = e.id AND c.day = $4) \
             ORDER BY e.region_code, e.name LIMIT $5";
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(sql)).bind(all).bind(path).bind(enterprise).bind(day).bind(limit).fetch_all(pool).await?))
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
