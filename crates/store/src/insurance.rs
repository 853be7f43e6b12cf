//! Liability insurance records: enterprises' policies, the prevention services recorded under
//! them, and the high-risk enterprises of a territory with the policy that covers each today.

use domain::audit::AuditEvent;
use domain::insurance::{Policy, ServiceKind};
use sqlx::FromRow;

use crate::{Result, Store, StoreError, conflict_on_unique, now_ms, with_pool};

/// Most high-risk enterprises read at once for a coverage report.
pub const COVERAGE_ROWS_MAX: i64 = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InsurancePolicyRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub insurer: String,
    pub policy_number: String,
    pub starts_on: String,
    pub ends_on: String,
    pub insured_persons: i64,
    pub cover_per_death_yuan: i64,
    pub premium_yuan: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InsuranceServiceRow {
    pub id: i64,
    pub policy_id: i64,
    pub insurer: String,
    pub served_on: String,
    #[sqlx(try_from = "String")]
    pub kind: ServiceKind,
    pub provider: String,
    pub summary: String,
}

/// A high-risk enterprise and the policy covering it on the day asked (the largest cover if
/// several do).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InsuranceCoverageRow {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub credit_code: String,
    pub region_path: String,
    pub region_name: String,
    pub insurer: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub cover_per_death_yuan: Option<i64>,
}

const POLICY_SELECT: &str = "SELECT id, enterprise_id, insurer, policy_number, starts_on, ends_on, insured_persons, cover_per_death_yuan, premium_yuan \
     FROM insurance_policies";

impl Store {
    pub async fn add_insurance_policy(&self, enterprise_id: i64, policy: &Policy, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO insurance_policies (enterprise_id, insurer, policy_number, starts_on, ends_on, insured_persons, cover_per_death_yuan, \
                 premium_yuan, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(enterprise_id)
            .bind(&policy.insurer)
            .bind(&policy.policy_number)
            .bind(policy.starts_on.to_string())
            .bind(policy.ends_on.to_string())
            .bind(policy.insured_persons)
            .bind(policy.cover_per_death_yuan)
            .bind(policy.premium_yuan)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, domain::message!("insurance.policy_number_taken", number = policy.policy_number.clone())))?;
            let mut event = event.clone();
            event.target = format!("insurance_policy:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    pub async fn insurance_policy(&self, id: i64) -> Result<InsurancePolicyRow> {
        with_pool!(self, |pool| {
            let row: Option<InsurancePolicyRow> =
                sqlx::query_as(crate::trusted(&format!("{POLICY_SELECT} WHERE id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// An enterprise's policies, the latest period first.
    pub async fn insurance_policies(&self, enterprise_id: i64) -> Result<Vec<InsurancePolicyRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!("{POLICY_SELECT} WHERE enterprise_id = $1 ORDER BY ends_on DESC, id DESC LIMIT 500")))
                .bind(enterprise_id)
                .fetch_all(pool)
                .await?)
        })
    }

    pub async fn add_insurance_service(
        &self,
        policy_id: i64,
        served_on: &str,
        kind: ServiceKind,
        provider: &str,
        summary: &str,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO insurance_services (policy_id, served_on, kind, provider, summary, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(policy_id)
            .bind(served_on)
            .bind(kind.key())
            .bind(provider)
            .bind(summary)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// The services recorded under an enterprise's policies, newest first.
    pub async fn insurance_services(&self, enterprise_id: i64) -> Result<Vec<InsuranceServiceRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT s.id, s.policy_id, p.insurer, s.served_on, s.kind, s.provider, s.summary FROM insurance_services s \
                 JOIN insurance_policies p ON p.id = s.policy_id WHERE p.enterprise_id = $1 ORDER BY s.served_on DESC, s.id DESC LIMIT 500",
            )
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The high-risk enterprises (those with a sector) under `path`, each with the policy covering
    /// `day` if one does, by region then name.
    pub async fn insurance_coverage(&self, path: &str, day: &str) -> Result<Vec<InsuranceCoverageRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT e.id AS enterprise_id, e.name AS enterprise_name, e.credit_code, r.path AS region_path, r.name AS region_name, \
                 p.insurer, p.starts_on, p.ends_on, p.cover_per_death_yuan \
                 FROM enterprises e JOIN regions r ON r.code = e.region_code \
                 LEFT JOIN insurance_policies p ON p.id = (SELECT q.id FROM insurance_policies q WHERE q.enterprise_id = e.id \
                   AND q.starts_on <= $2 AND q.ends_on >= $2 ORDER BY q.cover_per_death_yuan DESC, q.id DESC LIMIT 1) \
                 WHERE r.path LIKE $1 AND EXISTS (SELECT 1 FROM enterprise_sectors s WHERE s.enterprise_id = e.id) \
                 ORDER BY r.path, e.name, e.id LIMIT $3",
            )
            .bind(format!("{path}%"))
            .bind(day)
            .bind(COVERAGE_ROWS_MAX)
            .fetch_all(pool)
            .await?)
        })
    }
}
