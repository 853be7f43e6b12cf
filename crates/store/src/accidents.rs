//! Accident records and the credit records read with them: accidents with their casualty
//! updates (each regrading the accident in the same transaction), investigations and their
//! rectification measures, the accident facts accountability and assessment read, and the
//! credit events and repairs entered by hand.

use domain::accidents::{AccidentKind, AccidentLevel};
use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, now_ms, with_pool};

/// An accident as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccident {
    pub enterprise_id: Option<i64>,
    pub region_code: String,
    pub occurred_at: i64,
    pub reported_at: i64,
    pub kind: AccidentKind,
    pub road_traffic: bool,
    pub deaths: i64,
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    pub level: AccidentLevel,
    pub liability: bool,
    pub late_reported: bool,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AccidentRow {
    pub id: i64,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub region_path: String,
    pub occurred_at: i64,
    pub reported_at: i64,
    #[sqlx(try_from = "String")]
    pub kind: AccidentKind,
    pub road_traffic: bool,
    pub deaths: i64,
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    #[sqlx(try_from = "String")]
    pub level: AccidentLevel,
    pub liability: bool,
    pub concealed: bool,
    pub late_reported: bool,
    pub summary: String,
    pub investigation_state: String,
    pub report_approved_on: Option<String>,
    pub findings: String,
    pub assessed_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AccidentUpdateRow {
    pub deaths: i64,
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    #[sqlx(try_from = "String")]
    pub level: AccidentLevel,
    pub note: String,
    pub updated_by_name: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct AccidentMeasureRow {
    pub id: i64,
    pub accident_id: i64,
    pub measure: String,
    pub responsible: String,
    pub due_on: String,
    pub done_on: Option<String>,
}

/// A hand-entered credit event or a granted repair.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CreditEntryRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: String,
    pub on_date: String,
    pub note: String,
}

const ACCIDENT_SELECT: &str = "SELECT a.id, a.enterprise_id, e.name AS enterprise_name, a.region_code, r.name AS region_name, r.path AS region_path, \
     a.occurred_at, a.reported_at, a.kind, a.road_traffic, CAST(a.deaths AS BIGINT) AS deaths, CAST(a.missing AS BIGINT) AS missing, \
     CAST(a.serious_injuries AS BIGINT) AS serious_injuries, a.direct_loss_yuan, a.level, a.liability, a.concealed, a.late_reported, a.summary, \
     a.investigation_state, a.report_approved_on, a.findings, a.assessed_on \
     FROM accidents a JOIN regions r ON r.code = a.region_code LEFT JOIN enterprises e ON e.id = a.enterprise_id";

impl Store {
    pub async fn create_accident(&self, accident: &NewAccident, user_id: i64, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accidents (enterprise_id, region_code, occurred_at, reported_at, kind, road_traffic, deaths, missing, serious_injuries, \
                 direct_loss_yuan, level, liability, concealed, late_reported, summary, investigation_state, findings, reported_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE, $13, $14, 'investigating', '', $15, $16, $16) RETURNING id",
            )
            .bind(accident.enterprise_id)
            .bind(&accident.region_code)
            .bind(accident.occurred_at)
            .bind(accident.reported_at)
            .bind(accident.kind.key())
            .bind(accident.road_traffic)
            .bind(accident.deaths)
            .bind(accident.missing)
            .bind(accident.serious_injuries)
            .bind(accident.direct_loss_yuan)
            .bind(accident.level.key())
            .bind(accident.liability)
            .bind(accident.late_reported)
            .bind(&accident.summary)
            .bind(user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let mut event = event.clone();
            event.target = format!("accident:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    pub async fn accident(&self, id: i64) -> Result<AccidentRow> {
        with_pool!(self, |pool| {
            let row: Option<AccidentRow> = sqlx::query_as(crate::trusted(&format!("{ACCIDENT_SELECT} WHERE a.id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Accidents whose region lies under `path`, occurred in [from_ms, to_ms), newest first.
    pub async fn accidents(&self, path: &str, from_ms: i64, to_ms: i64, limit: i64) -> Result<Vec<AccidentRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!(
                "{ACCIDENT_SELECT} WHERE r.path LIKE $1 AND a.occurred_at >= $2 AND a.occurred_at < $3 ORDER BY a.occurred_at DESC, a.id DESC LIMIT $4"
            )))
            .bind(format!("{path}%"))
            .bind(from_ms)
            .bind(to_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// An enterprise's accidents, oldest first.
    pub async fn accidents_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<AccidentRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!("{ACCIDENT_SELECT} WHERE a.enterprise_id = $1 ORDER BY a.occurred_at, a.id")))
                .bind(enterprise_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// New casualty counts and the level they give, with the update's record, if the accident is
    /// still as the caller read it (`updated_at`).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_accident_casualties(
        &self,
        id: i64,
        counts: (i64, i64, i64, i64),
        level: AccidentLevel,
        note: &str,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        let (deaths, missing, serious_injuries, direct_loss_yuan) = counts;
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let changed = sqlx::query(
                "UPDATE accidents SET deaths = $1, missing = $2, serious_injuries = $3, direct_loss_yuan = $4, level = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(deaths)
            .bind(missing)
            .bind(serious_injuries)
            .bind(direct_loss_yuan)
            .bind(level.key())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO accident_updates (accident_id, deaths, missing, serious_injuries, direct_loss_yuan, level, note, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(deaths)
            .bind(missing)
            .bind(serious_injuries)
            .bind(direct_loss_yuan)
            .bind(level.key())
            .bind(note)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn accident_updates(&self, id: i64) -> Result<Vec<AccidentUpdateRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT CAST(x.deaths AS BIGINT) AS deaths, CAST(x.missing AS BIGINT) AS missing, CAST(x.serious_injuries AS BIGINT) AS serious_injuries, \
                 x.direct_loss_yuan, x.level, x.note, u.display_name AS updated_by_name, x.updated_at FROM accident_updates x JOIN users u ON u.id = x.updated_by \
                 WHERE x.accident_id = $1 ORDER BY x.id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Marks an accident concealed (瞒报) or falsely reported.
    pub async fn mark_accident_concealed(&self, id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query("UPDATE accidents SET concealed = TRUE, updated_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Records the approved investigation report: its findings and rectification measures
    /// (measure, responsible, due date); only an accident still under investigation.
    pub async fn approve_accident_report(
        &self,
        id: i64,
        approved_on: &str,
        findings: &str,
        measures: &[(String, String, String)],
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE accidents SET investigation_state = 'report_approved', report_approved_on = $1, findings = $2, updated_at = $3 \
                 WHERE id = $4 AND investigation_state = 'investigating'",
            )
            .bind(approved_on)
            .bind(findings)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("accidents.report_already_approved")));
            }
            for (measure, responsible, due_on) in measures {
                sqlx::query("INSERT INTO accident_measures (accident_id, measure, responsible, due_on) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(measure)
                    .bind(responsible)
                    .bind(due_on)
                    .execute(&mut *tx)
                    .await?;
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn accident_measures(&self, id: i64) -> Result<Vec<AccidentMeasureRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, accident_id, measure, responsible, due_on, done_on FROM accident_measures WHERE accident_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Marks a measure done; the accident closes with its assessment once every measure is done.
    pub async fn complete_accident_measure(&self, measure_id: i64, done_on: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let changed = sqlx::query("UPDATE accident_measures SET done_on = $1 WHERE id = $2 AND done_on IS NULL")
                .bind(done_on)
                .bind(measure_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("accidents.measure_already_done")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Records the assessment of the measures (Work Safety Law art. 86) and closes the accident.
    pub async fn assess_accident(&self, id: i64, assessed_on: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let open: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM accident_measures WHERE accident_id = $1 AND done_on IS NULL").bind(id).fetch_one(&mut *tx).await?;
            if open > 0 {
                return Err(StoreError::Conflict(domain::message!("accidents.measures_open", open = open)));
            }
            let changed = sqlx::query(
                "UPDATE accidents SET investigation_state = 'closed', assessed_on = $1, updated_at = $2 WHERE id = $3 AND investigation_state = 'report_approved'",
            )
            .bind(assessed_on)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(domain::message!("accidents.not_awaiting_assessment")));
            }
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// The hidden dangers an accident exposed (source `accident`, reference `accident:ID`):
    /// (id, description, state, grade).
    pub async fn accident_dangers(&self, accident_id: i64) -> Result<Vec<(i64, String, String, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, description, state, grade FROM hidden_dangers WHERE source = 'accident' AND source_ref = $1 ORDER BY id LIMIT 500")
                .bind(format!("accident:{accident_id}"))
                .fetch_all(pool)
                .await?)
        })
    }

    /// The campaigns opened in answer to an accident: (id, name).
    pub async fn accident_campaigns(&self, accident_id: i64) -> Result<Vec<(i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, name FROM campaigns WHERE accident_id = $1 ORDER BY id LIMIT 100").bind(accident_id).fetch_all(pool).await?)
        })
    }

    /// (enterprise, kind, date, note) entered by hand, and granted repairs as kind `repair`.
    pub async fn credit_entries(&self, enterprise_id: i64) -> Result<Vec<CreditEntryRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, enterprise_id, kind, occurred_on AS on_date, note FROM credit_events WHERE enterprise_id = $1 \
                 UNION ALL SELECT id, enterprise_id, 'repair' AS kind, repaired_on AS on_date, reason AS note FROM credit_repairs WHERE enterprise_id = $1 \
                 ORDER BY on_date, id",
            )
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn add_credit_event(&self, enterprise_id: i64, kind: &str, on: &str, note: &str, user_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO credit_events (enterprise_id, kind, occurred_on, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(enterprise_id)
                .bind(kind)
                .bind(on)
                .bind(note)
                .bind(user_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn add_credit_repair(&self, enterprise_id: i64, on: &str, reason: &str, user_id: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO credit_repairs (enterprise_id, repaired_on, reason, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(enterprise_id)
                .bind(on)
                .bind(reason)
                .bind(user_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Deadlines (ISO dates) of an enterprise's 重大 dangers not closed and past `today`.
    pub async fn overdue_major_deadlines(&self, enterprise_id: i64, today: &str) -> Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT deadline FROM hidden_dangers WHERE enterprise_id = $1 AND grade = 'major' AND state <> 'closed' AND deadline IS NOT NULL AND deadline < $2 ORDER BY deadline",
            )
            .bind(enterprise_id)
            .bind(today)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Enterprises under `path` with anything in a credit record: accidents, penalties, events
    /// entered by hand, or overdue 重大 dangers.
    pub async fn credit_subjects(&self, path: &str, today: &str) -> Result<Vec<i64>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT e.id FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE r.path LIKE $1 AND ( \
                 EXISTS (SELECT 1 FROM accidents a WHERE a.enterprise_id = e.id) OR EXISTS (SELECT 1 FROM enforcement_penalties p WHERE p.enterprise_id = e.id) \
                 OR EXISTS (SELECT 1 FROM credit_events c WHERE c.enterprise_id = e.id) \
                 OR EXISTS (SELECT 1 FROM hidden_dangers d WHERE d.enterprise_id = e.id AND d.grade = 'major' AND d.state <> 'closed' AND d.deadline < $2)) \
                 ORDER BY e.id LIMIT 20000",
            )
            .bind(format!("{path}%"))
            .bind(today)
            .fetch_all(pool)
            .await?)
        })
    }
}
