//! Risk points: storing them with their grade, listing an enterprise's, and counting levels per
//! region for the four-colour profiles (always derived from the points, never stored).

use domain::access::Visibility;
use domain::audit::AuditEvent;
use domain::risk_points::RiskLevel;
use sqlx::FromRow;

use crate::{Result, Store, now_ms, trusted, visibility_params, with_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct NewRiskPoint {
    pub enterprise_id: i64,
    pub name: String,
    pub hazard_type: String,
    pub controls: String,
    pub responsible_level: String,
    pub responsible_person: String,
    pub method: String,
    /// The factors as JSON, e.g. `{"l":6,"e":3,"c":15}`.
    pub factors: String,
    pub score: f64,
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RiskPointRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub hazard_type: String,
    pub controls: String,
    pub responsible_level: String,
    pub responsible_person: String,
    pub method: String,
    pub factors: String,
    pub score: f64,
    #[sqlx(try_from = "String")]
    pub level: RiskLevel,
    pub created_at: i64,
}

/// Counts of risk points per level in one child region.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RegionRiskCount {
    pub code: String,
    pub name: String,
    pub major: i64,
    pub larger: i64,
    pub general: i64,
    pub low: i64,
}

impl Store {
    pub async fn add_risk_points(&self, points: &[NewRiskPoint], user_id: i64, event: &AuditEvent) -> Result<Vec<i64>> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            let mut ids = Vec::with_capacity(points.len());
            for point in points {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO risk_points (enterprise_id, name, hazard_type, controls, responsible_level, responsible_person, method, factors, score, level, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(point.enterprise_id)
                .bind(&point.name)
                .bind(&point.hazard_type)
                .bind(&point.controls)
                .bind(&point.responsible_level)
                .bind(&point.responsible_person)
                .bind(&point.method)
                .bind(&point.factors)
                .bind(point.score)
                .bind(&point.level)
                .bind(user_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                ids.push(id);
            }
            crate::audit::append_audit!(tx, event);
            Ok(ids)
        })
    }

    pub async fn risk_points_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<RiskPointRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, enterprise_id, name, hazard_type, controls, responsible_level, responsible_person, method, factors, score, level, created_at \
                 FROM risk_points WHERE enterprise_id = $1 ORDER BY score DESC, id",
            )
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Risk-point counts per level for each child region of `parent_code`, over the enterprises
    /// `visibility` allows.
    pub async fn risk_counts_by_child_region(&self, parent_code: &str, visibility: &Visibility) -> Result<Vec<RegionRiskCount>> {
        let sql = "SELECT c.code, c.name, \
             COUNT(CASE WHEN p.level = 'major' THEN 1 END) AS major, COUNT(CASE WHEN p.level = 'larger' THEN 1 END) AS larger, \
             COUNT(CASE WHEN p.level = 'general' THEN 1 END) AS general, COUNT(CASE WHEN p.level = 'low' THEN 1 END) AS low \
             FROM regions c LEFT JOIN regions r ON r.path LIKE c.path || '%' \
             LEFT JOIN enterprises e ON e.region_code = r.code AND ($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR e.id = $3) \
             LEFT JOIN risk_points p ON p.enterprise_id = e.id \
             WHERE c.parent_code = $4 GROUP BY c.code, c.name ORDER BY c.code";
        let (all, path, enterprise) = visibility_params(visibility);
        with_pool!(self, |pool| Ok(sqlx::query_as(trusted(sql)).bind(all).bind(path).bind(enterprise).bind(parent_code).fetch_all(pool).await?))
    }

    /// Enterprises with at least one risk point at one of `levels`.
    pub async fn enterprises_with_risk_levels(&self, levels: &[&str]) -> Result<Vec<i64>> {
        let mut padded = levels.iter().map(|l| Some((*l).to_owned())).collect::<Vec<_>>();
        padded.resize(4, None);
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT DISTINCT enterprise_id FROM risk_points WHERE level IN ($1, $2, $3, $4) ORDER BY enterprise_id")
                .bind(&padded[0])
                .bind(&padded[1])
                .bind(&padded[2])
                .bind(&padded[3])
                .fetch_all(pool)
                .await?)
        })
    }
}
