//! The expert pool: profiles, assignments to hidden dangers and campaigns, and service records.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ExpertRow {
    pub user_id: i64,
    pub display_name: String,
    pub specialities: String,
    pub region_code: String,
    pub region_name: String,
    pub services: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ServiceRow {
    pub kind: String,
    pub reference: String,
    pub summary: String,
    pub served_at: i64,
}

impl Store {
    pub async fn upsert_expert(&self, user_id: i64, specialities: &str, region_code: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO experts (user_id, specialities, region_code, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET specialities = excluded.specialities, region_code = excluded.region_code, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(specialities)
            .bind(region_code)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Experts whose region lies in the subtree `path` or above it (a provincial expert serves
    /// every city), with their number of services.
    pub async fn experts_for(&self, path: &str) -> Result<Vec<ExpertRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT x.user_id, u.display_name, x.specialities, x.region_code, r.name AS region_name, \
                 (SELECT COUNT(*) FROM expert_services s WHERE s.expert_id = x.user_id) AS services \
                 FROM experts x JOIN users u ON u.id = x.user_id JOIN regions r ON r.code = x.region_code \
                 WHERE NOT u.disabled AND (r.path LIKE $1 OR $2 LIKE r.path || '%') ORDER BY u.display_name",
            )
            .bind(format!("{path}%"))
            .bind(path)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn expert(&self, user_id: i64) -> Result<Option<ExpertRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT x.user_id, u.display_name, x.specialities, x.region_code, r.name AS region_name, \
                 (SELECT COUNT(*) FROM expert_services s WHERE s.expert_id = x.user_id) AS services \
                 FROM experts x JOIN users u ON u.id = x.user_id JOIN regions r ON r.code = x.region_code WHERE x.user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Assigns an expert to a danger or a campaign (once), telling of it with `posts` when it is
    /// new; returns whether it is.
    pub async fn assign_expert(
        &self,
        expert_id: i64,
        danger_id: Option<i64>,
        campaign_id: Option<i64>,
        by: i64,
        event: &AuditEvent,
        posts: &[crate::UnitPost],
    ) -> Result<bool> {
        crate::in_transaction!(self, |tx| {
            let added = sqlx::query(
                "INSERT INTO expert_assignments (expert_id, danger_id, campaign_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(expert_id)
            .bind(danger_id)
            .bind(campaign_id)
            .bind(by)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if added {
                crate::audit::append_audit!(tx, event);
                let now = now_ms();
                for post in posts {
                    crate::inbox::post_to_unit!(tx, post, now);
                }
            }
            Ok(added)
        })
    }

    /// The dangers and campaigns an expert is assigned to: (danger ids, campaign ids).
    pub async fn expert_assignments(&self, expert_id: i64) -> Result<(Vec<i64>, Vec<i64>)> {
        with_pool!(self, |pool| {
            let rows: Vec<(Option<i64>, Option<i64>)> =
                sqlx::query_as("SELECT danger_id, campaign_id FROM expert_assignments WHERE expert_id = $1 ORDER BY id")
                    .bind(expert_id)
                    .fetch_all(pool)
                    .await?;
            Ok((rows.iter().filter_map(|r| r.0).collect(), rows.iter().filter_map(|r| r.1).collect()))
        })
    }

    pub async fn record_expert_service(&self, expert_id: i64, kind: &str, reference: &str, summary: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO expert_services (expert_id, kind, reference, summary, served_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(expert_id)
                .bind(kind)
                .bind(reference)
                .bind(summary)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn expert_services(&self, expert_id: i64) -> Result<Vec<ServiceRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT kind, reference, summary, served_at FROM expert_services WHERE expert_id = $1 ORDER BY id DESC")
                .bind(expert_id)
                .fetch_all(pool)
                .await?)
        })
    }
}
