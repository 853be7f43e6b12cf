//! Accountability measures: recording them, their follow-up and outcome, and listing those whose
//! target unit lies in a region subtree.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct NewMeasure {
    pub kind: String,
    pub target_unit_id: i64,
    pub target_person: String,
    pub reason: String,
    pub decided_on: String,
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MeasureRow {
    pub id: i64,
    pub kind: String,
    pub target_unit_id: i64,
    pub target_unit_name: String,
    pub target_person: String,
    pub reason: String,
    pub decided_on: String,
    pub public: bool,
    pub follow_up: String,
    pub outcome: String,
    pub updated_at: i64,
}

const MEASURE_SELECT: &str = "SELECT m.id, m.kind, m.target_unit_id, u.name AS target_unit_name, m.target_person, m.reason, m.decided_on, \
     m.public, m.follow_up, m.outcome, m.updated_at FROM accountability_measures m JOIN units u ON u.id = m.target_unit_id \
     LEFT JOIN regions r ON r.code = u.region_code";

impl Store {
    pub async fn add_measure(&self, measure: &NewMeasure, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accountability_measures (kind, target_unit_id, target_person, reason, decided_on, public, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&measure.kind)
            .bind(measure.target_unit_id)
            .bind(&measure.target_person)
            .bind(&measure.reason)
            .bind(&measure.decided_on)
            .bind(measure.public)
            .bind(user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let mut event = event.clone();
            event.target = format!("measure:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Records the follow-up and outcome of a measure.
    pub async fn update_measure(&self, id: i64, follow_up: &str, outcome: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query("UPDATE accountability_measures SET follow_up = $1, outcome = $2, updated_at = $3 WHERE id = $4")
                .bind(follow_up)
                .bind(outcome)
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

    /// Measures whose target unit lies in the region subtree `path` (e.g. `220000/`), newest first.
    pub async fn measures_under(&self, path: &str, limit: i64) -> Result<Vec<MeasureRow>> {
        let sql = format!("{MEASURE_SELECT} WHERE r.path LIKE $1 ORDER BY m.decided_on DESC, m.id DESC LIMIT $2");
        // Region paths are digits and slashes, so the prefix needs no escaping.
        let pattern = format!("{path}%");
        with_pool!(self, |pool| Ok(sqlx::query_as(crate::trusted(&sql)).bind(pattern).bind(limit).fetch_all(pool).await?))
    }

    pub async fn measure(&self, id: i64) -> Result<MeasureRow> {
        let sql = format!("{MEASURE_SELECT} WHERE m.id = $1");
        with_pool!(self, |pool| {
            let row: Option<MeasureRow> = sqlx::query_as(crate::trusted(&sql)).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }
}
