//! The annual assessment's storage: schemes per office and year, entered scores with their
//! evidence, findings (vetoes, falsified data), and the work-plan facts a unit is scored on.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SchemeRow {
    pub id: i64,
    pub year: i64,
    pub owner_unit_id: i64,
    pub scheme: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ScoreRow {
    pub indicator_code: String,
    pub score: f64,
    pub evidence: String,
    pub entered_by_name: String,
    pub entered_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct FindingRow {
    pub id: i64,
    pub kind: String,
    pub reason: String,
    pub entered_at: i64,
}

/// What one assignment contributes to its unit's assessment.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AssignmentFacts {
    pub half_year_due: String,
    pub annual_due: String,
    /// When the first half-year (or annual) report came in, if any.
    pub first_half_year_report_at: Option<i64>,
    pub first_annual_report_at: Option<i64>,
    pub accepted_reports: i64,
    pub reopenings: i64,
}

impl Store {
    /// The scheme of an office for a year, if one was saved.
    pub async fn assessment_scheme(&self, owner_unit_id: i64, year: i64) -> Result<Option<SchemeRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, year, owner_unit_id, scheme, updated_at FROM assessment_schemes WHERE owner_unit_id = $1 AND year = $2")
                .bind(owner_unit_id)
                .bind(year)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Saves (creates or replaces) an office's scheme for a year; returns its id.
    pub async fn save_assessment_scheme(&self, owner_unit_id: i64, year: i64, scheme: &str, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO assessment_schemes (year, owner_unit_id, scheme, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner_unit_id, year) DO UPDATE SET scheme = excluded.scheme, updated_at = excluded.updated_at RETURNING id",
            )
            .bind(year)
            .bind(owner_unit_id)
            .bind(scheme)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// Enters (or replaces) the office's score of one indicator for one unit.
    pub async fn enter_assessment_score(
        &self,
        scheme_id: i64,
        unit_id: i64,
        code: &str,
        score: f64,
        evidence: &str,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO assessment_scores (scheme_id, unit_id, indicator_code, score, evidence, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (scheme_id, unit_id, indicator_code) DO UPDATE SET score = excluded.score, evidence = excluded.evidence, \
                 entered_by = excluded.entered_by, entered_at = excluded.entered_at",
            )
            .bind(scheme_id)
            .bind(unit_id)
            .bind(code)
            .bind(score)
            .bind(evidence)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn assessment_scores(&self, scheme_id: i64, unit_id: i64) -> Result<Vec<ScoreRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT s.indicator_code, s.score, s.evidence, u.display_name AS entered_by_name, s.entered_at FROM assessment_scores s \
                 JOIN users u ON u.id = s.entered_by WHERE s.scheme_id = $1 AND s.unit_id = $2 ORDER BY s.indicator_code",
            )
            .bind(scheme_id)
            .bind(unit_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn add_assessment_finding(&self, scheme_id: i64, unit_id: i64, kind: &str, reason: &str, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO assessment_findings (scheme_id, unit_id, kind, reason, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(scheme_id)
            .bind(unit_id)
            .bind(kind)
            .bind(reason)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    pub async fn assessment_findings(&self, scheme_id: i64, unit_id: i64) -> Result<Vec<FindingRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, kind, reason, entered_at FROM assessment_findings WHERE scheme_id = $1 AND unit_id = $2 ORDER BY id")
                .bind(scheme_id)
                .bind(unit_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// The facts of every assignment of `unit_id` in the plans `owner_unit_id` issued for `year`.
    pub async fn assignment_facts(&self, owner_unit_id: i64, year: i64, unit_id: i64) -> Result<Vec<AssignmentFacts>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT t.half_year_due, t.annual_due, \
                 (SELECT MIN(p.submitted_at) FROM progress_reports p WHERE p.assignment_id = a.id AND p.period = 'half_year') AS first_half_year_report_at, \
                 (SELECT MIN(p.submitted_at) FROM progress_reports p WHERE p.assignment_id = a.id AND p.period = 'annual') AS first_annual_report_at, \
                 (SELECT COUNT(*) FROM progress_reports p WHERE p.assignment_id = a.id AND p.review = 'accepted') AS accepted_reports, \
                 (SELECT COUNT(*) FROM reopenings o WHERE o.assignment_id = a.id) AS reopenings \
                 FROM assignments a JOIN plan_tasks t ON t.id = a.task_id JOIN work_plans w ON w.id = t.plan_id \
                 WHERE w.owner_unit_id = $1 AND w.year = $2 AND a.unit_id = $3",
            )
            .bind(owner_unit_id)
            .bind(year)
            .bind(unit_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The units with at least one assignment in the plans `owner_unit_id` issued for `year`:
    /// (unit id, unit name, unit kind, region code).
    pub async fn assessed_units(&self, owner_unit_id: i64, year: i64) -> Result<Vec<(i64, String, String, Option<String>)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT DISTINCT u.id, u.name, u.kind, u.region_code FROM assignments a JOIN plan_tasks t ON t.id = a.task_id \
                 JOIN work_plans w ON w.id = t.plan_id JOIN units u ON u.id = a.unit_id WHERE w.owner_unit_id = $1 AND w.year = $2 ORDER BY u.id",
            )
            .bind(owner_unit_id)
            .bind(year)
            .fetch_all(pool)
            .await?)
        })
    }
}
