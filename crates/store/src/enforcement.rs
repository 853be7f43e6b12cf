//! Enforcement's tables: the province's jurisdiction policy, overrides and chemical parks, each
//! enterprise's profile (class, reasons, supervising office) with the facts it is computed from,
//! inspector pools and conflicts, annual plans with their draws and items, inspections (answers,
//! findings as hidden dangers, photos, penalties) in one transaction each, coverage counts, and
//! job leases.

use domain::audit::AuditEvent;
use domain::enforcement::{Authority, InspectionKind, PlanReason, SupervisionClass, Tier};
use sqlx::FromRow;

use crate::hidden_dangers::insert_danger;
use crate::{NewDanger, Result, Store, StoreError, conflict_on_unique, now_ms, with_pool};

/// What an enterprise's class and jurisdiction are computed from.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct EnforcementFactsRow {
    pub enterprise_id: i64,
    pub region_path: String,
    pub scale: String,
    pub major_risk_points: i64,
    pub hazard_level: Option<i64>,
    pub overdue_major_dangers: i64,
    pub alarms_90_days: i64,
    pub chemical_park: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct OverrideRow {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub authority: Authority,
    pub reason: String,
    pub decided_by_name: String,
    pub decided_at: i64,
}

/// An enterprise's computed profile, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProfile {
    pub enterprise_id: i64,
    pub class: SupervisionClass,
    pub listed: bool,
    /// `ClassReason` keys, comma-separated.
    pub reasons: String,
    /// `assigned`, `unassigned` or `overlapping`.
    pub status: &'static str,
    pub tier: Option<Tier>,
    pub authority: Option<Authority>,
    pub office_region_code: Option<String>,
    pub basis: String,
    /// The credit grade (`domain::credit::CreditGrade`), kept here so lists show it unrecomputed.
    pub credit_grade: domain::credit::CreditGrade,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProfileRow {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub region_name: String,
    #[sqlx(try_from = "String")]
    pub class: SupervisionClass,
    pub listed: bool,
    pub reasons: String,
    pub status: String,
    pub tier: Option<String>,
    pub authority: Option<String>,
    pub office_region_code: Option<String>,
    pub basis: String,
    #[sqlx(try_from = "String")]
    pub credit_grade: domain::credit::CreditGrade,
}

/// The jurisdiction's counts over a territory.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct JurisdictionCounts {
    pub total: i64,
    pub province: i64,
    pub city: i64,
    pub county: i64,
    pub unassigned: i64,
    pub overlapping: i64,
    pub key: i64,
    pub listed: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PoolInspectorRow {
    pub user_id: i64,
    pub display_name: String,
    pub region_code: String,
    #[sqlx(try_from = "String")]
    pub authority: Authority,
    pub days_per_year: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ConflictRow {
    pub user_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub reason: String,
}

/// A plan with its draw, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInspectionPlan {
    pub year: i64,
    pub region_code: String,
    pub tier: Tier,
    pub authority: Authority,
    pub draw_seed: String,
    pub draw_input: String,
    pub draw_input_hash: String,
    pub draw_algorithm: String,
    /// (enterprise, reason, quarter, planned kind, inspector ids ascending)
    pub items: Vec<(i64, PlanReason, i64, InspectionKind, Vec<i64>)>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InspectionPlanRow {
    pub id: i64,
    pub year: i64,
    pub region_code: String,
    pub region_name: String,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub authority: Authority,
    pub created_by_name: String,
    pub created_at: i64,
    pub draw_seed: String,
    pub draw_input: String,
    pub draw_input_hash: String,
    pub draw_algorithm: String,
    pub items: i64,
    pub done: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PlanItemRow {
    pub id: i64,
    pub plan_id: i64,
    pub position: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    #[sqlx(try_from = "String")]
    pub reason: PlanReason,
    pub quarter: i64,
    #[sqlx(try_from = "String")]
    pub kind: InspectionKind,
    /// Inspector user ids, comma-separated, ascending.
    pub inspectors: String,
    pub inspection_id: Option<i64>,
    pub inspected_on: Option<String>,
}

impl PlanItemRow {
    pub fn inspector_ids(&self) -> Vec<i64> {
        self.inspectors.split(',').filter_map(|id| id.parse().ok()).collect()
    }
}

/// An inspection as recorded: its answers (failed ones carry their danger), its other findings,
/// photos and penalties.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInspection {
    pub plan_item_id: Option<i64>,
    pub enterprise_id: i64,
    pub tier: Tier,
    pub office_region_code: String,
    pub kind: InspectionKind,
    pub inspected_on: String,
    pub checklist_id: Option<i64>,
    pub summary: String,
    pub inspectors: String,
    pub signed_by: String,
    /// (checklist item, passed, note, the danger to report when failed)
    pub answers: Vec<(i64, bool, String, Option<NewDanger>)>,
    pub findings: Vec<NewDanger>,
    /// (file name, content type, sha256, bytes)
    pub photos: Vec<(String, String, String, Vec<u8>)>,
    pub penalties: Vec<NewPenalty>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPenalty {
    pub legal_basis: String,
    pub amount_yuan: i64,
    pub decision_number: String,
    pub decided_on: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InspectionRow {
    pub id: i64,
    pub plan_item_id: Option<i64>,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_path: String,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    pub office_region_code: String,
    #[sqlx(try_from = "String")]
    pub kind: InspectionKind,
    pub inspected_on: String,
    pub checklist_id: Option<i64>,
    pub summary: String,
    pub inspectors: String,
    pub signed_by: String,
    pub recorded_by_name: String,
    pub recorded_at: i64,
    pub findings: i64,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PenaltyRow {
    pub id: i64,
    pub inspection_id: i64,
    pub enterprise_id: i64,
    pub legal_basis: String,
    pub amount_yuan: i64,
    pub decision_number: String,
    pub decided_on: String,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InspectionPhotoRow {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// Plan items of one office and quarter: planned and done.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CoverageRow {
    pub region_code: String,
    pub region_name: String,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub authority: Authority,
    pub quarter: i64,
    pub planned: i64,
    pub done: i64,
}

/// Plan items of a year in one city (by the enterprise's place): planned and done.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CityCoverageRow {
    pub city_code: String,
    pub city_name: String,
    pub planned: i64,
    pub done: i64,
}

/// An office's 重点 enterprises and how many of them its tier inspected in the year.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct KeyCoverageRow {
    pub region_code: String,
    pub region_name: String,
    pub tier: String,
    pub authority: String,
    pub key: i64,
    pub key_inspected: i64,
}

/// An enterprise whose office is not settled: its status (`unassigned`, `overlapping`) and the
/// basis of its profile.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct JurisdictionExceptionRow {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_name: String,
    pub status: String,
    pub basis: String,
}

/// An enterprise with its name and region, for the coverage's exception lists.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct EnterpriseRef {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_name: String,
}

const PLAN_SELECT: &str = "SELECT p.id, p.year, p.region_code, r.name AS region_name, p.tier, p.authority, u.display_name AS created_by_name, p.created_at, \
     p.draw_seed, p.draw_input, p.draw_input_hash, p.draw_algorithm, \
     (SELECT COUNT(*) FROM inspection_plan_items i WHERE i.plan_id = p.id) AS items, \
     (SELECT COUNT(*) FROM inspection_plan_items i JOIN inspections n ON n.plan_item_id = i.id WHERE i.plan_id = p.id) AS done \
     FROM inspection_plans p JOIN regions r ON r.code = p.region_code JOIN users u ON u.id = p.created_by";

const PLAN_ITEM_SELECT: &str = "SELECT i.id, i.plan_id, i.position, i.enterprise_id, e.name AS enterprise_name, i.reason, CAST(i.quarter AS BIGINT) AS quarter, \
     i.kind, i.inspectors, n.id AS inspection_id, n.inspected_on FROM inspection_plan_items i JOIN inspection_plans p ON p.id = i.plan_id \
     JOIN enterprises e ON e.id = i.enterprise_id LEFT JOIN inspections n ON n.plan_item_id = i.id";

const INSPECTION_SELECT: &str = "SELECT n.id, n.plan_item_id, n.enterprise_id, e.name AS enterprise_name, r.path AS region_path, n.tier, \
     n.office_region_code, n.kind, n.inspected_on, n.checklist_id, n.summary, n.inspectors, n.signed_by, u.display_name AS recorded_by_name, \
     n.recorded_at, (SELECT COUNT(*) FROM hidden_dangers d WHERE d.source_ref = 'inspection:' || CAST(n.id AS TEXT)) AS findings \
     FROM inspections n JOIN enterprises e ON e.id = n.enterprise_id JOIN regions r ON r.code = e.region_code JOIN users u ON u.id = n.recorded_by";

const PROFILE_SELECT: &str = "SELECT e.id AS enterprise_id, e.name AS enterprise_name, e.region_code, r.name AS region_name, p.class, p.listed, p.reasons, \
     p.status, p.tier, p.authority, p.office_region_code, p.basis, p.credit_grade \
     FROM enforcement_profiles p JOIN enterprises e ON e.id = p.enterprise_id JOIN regions r ON r.code = e.region_code";

impl Store {
    /// The province's rules and frequencies (JSON), if set.
    pub async fn enforcement_policy(&self) -> Result<Option<(String, String)>> {
        with_pool!(self, |pool| Ok(sqlx::query_as("SELECT rules, frequencies FROM enforcement_policy WHERE id = 1").fetch_optional(pool).await?))
    }

    pub async fn set_enforcement_policy(&self, rules: &str, frequencies: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO enforcement_policy (id, rules, frequencies, updated_at) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, frequencies = excluded.frequencies, updated_at = excluded.updated_at",
            )
            .bind(rules)
            .bind(frequencies)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Every enterprise's facts: risk points, hazard sources, overdue 重大 dangers (deadline
    /// before `today`), alarms raised since `alarms_since_ms`, chemical-park membership.
    pub async fn enforcement_facts(&self, today: &str, alarms_since_ms: i64) -> Result<Vec<EnforcementFactsRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT e.id AS enterprise_id, r.path AS region_path, e.scale, \
                 (SELECT COUNT(*) FROM risk_points p WHERE p.enterprise_id = e.id AND p.level = 'major') AS major_risk_points, \
                 (SELECT CAST(MIN(h.level) AS BIGINT) FROM hazard_sources h WHERE h.enterprise_id = e.id) AS hazard_level, \
                 (SELECT COUNT(*) FROM hidden_dangers d WHERE d.enterprise_id = e.id AND d.grade = 'major' AND d.state <> 'closed' AND d.deadline < $1) AS overdue_major_dangers, \
                 (SELECT COUNT(*) FROM alarms a WHERE a.enterprise_id = e.id AND a.raised_at >= $2) AS alarms_90_days, \
                 (SELECT COUNT(*) FROM chemical_park_enterprises c WHERE c.enterprise_id = e.id) AS chemical_park \
                 FROM enterprises e JOIN regions r ON r.code = e.region_code ORDER BY e.id",
            )
            .bind(today)
            .bind(alarms_since_ms)
            .fetch_all(pool)
            .await?)
        })
    }

    /// (enterprise id, sector key) for every enterprise, by enterprise.
    pub async fn enterprise_sectors_all(&self) -> Result<Vec<(i64, String)>> {
        with_pool!(self, |pool| Ok(sqlx::query_as("SELECT enterprise_id, sector FROM enterprise_sectors ORDER BY enterprise_id").fetch_all(pool).await?))
    }

    pub async fn add_to_chemical_park(&self, enterprise_id: i64, park_name: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query("INSERT INTO chemical_park_enterprises (enterprise_id, park_name) VALUES ($1, $2) ON CONFLICT (enterprise_id) DO UPDATE SET park_name = excluded.park_name")
                .bind(enterprise_id)
                .bind(park_name)
                .execute(&mut *tx)
                .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// The overrides of the enterprises under region `path` (every one for `""`).
    pub async fn jurisdiction_overrides(&self, path: &str) -> Result<Vec<OverrideRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT o.enterprise_id, e.name AS enterprise_name, o.tier, o.authority, o.reason, u.display_name AS decided_by_name, o.decided_at \
                 FROM jurisdiction_overrides o JOIN enterprises e ON e.id = o.enterprise_id JOIN regions r ON r.code = e.region_code \
                 JOIN users u ON u.id = o.decided_by WHERE r.path LIKE $1 ORDER BY o.enterprise_id",
            )
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Records (or replaces) the override of an enterprise's office.
    pub async fn set_jurisdiction_override(
        &self,
        enterprise_id: i64,
        tier: Tier,
        authority: Authority,
        reason: &str,
        user_id: i64,
        event: &AuditEvent,
    ) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO jurisdiction_overrides (enterprise_id, tier, authority, reason, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (enterprise_id) DO UPDATE SET tier = excluded.tier, authority = excluded.authority, reason = excluded.reason, \
                 decided_by = excluded.decided_by, decided_at = excluded.decided_at",
            )
            .bind(enterprise_id)
            .bind(tier.key())
            .bind(authority.key())
            .bind(reason)
            .bind(user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// The stored profiles, by enterprise: (enterprise, class, listed, reasons, status, tier,
    /// authority, office region, basis), for comparing with a recomputation.
    pub async fn profile_keys(&self) -> Result<Vec<ProfileKey>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT enterprise_id, class, listed, reasons, status, tier, authority, office_region_code, basis, credit_grade FROM enforcement_profiles ORDER BY enterprise_id",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Writes recomputed profiles and removes those of enterprises no longer registered. Profiles
    /// are derived from audited records, so they carry no audit entry of their own.
    pub async fn write_profiles(&self, changed: &[NewProfile], removed: &[i64]) -> Result<()> {
        crate::in_plain_transaction!(self, |tx| {
            let now = now_ms();
            for profile in changed {
                sqlx::query(
                    "INSERT INTO enforcement_profiles (enterprise_id, class, listed, reasons, status, tier, authority, office_region_code, basis, computed_at, \
                     credit_grade) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (enterprise_id) DO UPDATE SET class = excluded.class, \
                     listed = excluded.listed, reasons = excluded.reasons, status = excluded.status, tier = excluded.tier, authority = excluded.authority, \
                     office_region_code = excluded.office_region_code, basis = excluded.basis, computed_at = excluded.computed_at, \
                     credit_grade = excluded.credit_grade",
                )
                .bind(profile.enterprise_id)
                .bind(profile.class.key())
                .bind(profile.listed)
                .bind(&profile.reasons)
                .bind(profile.status)
                .bind(profile.tier.map(|t| t.key()))
                .bind(profile.authority.map(|a| a.key()))
                .bind(&profile.office_region_code)
                .bind(&profile.basis)
                .bind(now)
                .bind(profile.credit_grade.key())
                .execute(&mut *tx)
                .await?;
            }
            for enterprise_id in removed {
                sqlx::query("DELETE FROM enforcement_profiles WHERE enterprise_id = $1").bind(enterprise_id).execute(&mut *tx).await?;
            }
            Ok(())
        })?;
        // Profiles are derived and written unaudited; the figures over them still move.
        if !changed.is_empty() || !removed.is_empty() {
            self.count_change();
        }
        Ok(())
    }

    /// Counts over the enterprises whose region lies under `path`; an enterprise without a
    /// profile yet counts as unassigned.
    pub async fn jurisdiction_counts(&self, path: &str) -> Result<JurisdictionCounts> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT COUNT(*) AS total, \
                 COALESCE(SUM(CASE WHEN p.status = 'assigned' AND p.tier = 'province' THEN 1 ELSE 0 END), 0) AS province, \
                 COALESCE(SUM(CASE WHEN p.status = 'assigned' AND p.tier = 'city' THEN 1 ELSE 0 END), 0) AS city, \
                 COALESCE(SUM(CASE WHEN p.status = 'assigned' AND p.tier = 'county' THEN 1 ELSE 0 END), 0) AS county, \
                 COALESCE(SUM(CASE WHEN p.enterprise_id IS NULL OR p.status = 'unassigned' THEN 1 ELSE 0 END), 0) AS unassigned, \
                 COALESCE(SUM(CASE WHEN p.status = 'overlapping' THEN 1 ELSE 0 END), 0) AS overlapping, \
                 COALESCE(SUM(CASE WHEN p.class = 'key' THEN 1 ELSE 0 END), 0) AS key, \
                 COALESCE(SUM(CASE WHEN p.listed THEN 1 ELSE 0 END), 0) AS listed \
                 FROM enterprises e JOIN regions r ON r.code = e.region_code LEFT JOIN enforcement_profiles p ON p.enterprise_id = e.id \
                 WHERE r.path LIKE $1",
            )
            .bind(format!("{path}%"))
            .fetch_one(pool)
            .await?)
        })
    }

    /// Enterprises under `path` that are unassigned, overlapping or without a profile, with
    /// their profile's status and basis (`unassigned` and empty without one).
    pub async fn jurisdiction_exceptions(&self, path: &str, limit: i64) -> Result<Vec<JurisdictionExceptionRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                // The territory's regions first, then their enterprises by region (SQLite keeps a
                // CROSS JOIN's order), rather than every enterprise of the province by id.
                "SELECT e.id AS enterprise_id, e.name AS enterprise_name, r.name AS region_name, COALESCE(p.status, 'unassigned') AS status, \
                 COALESCE(p.basis, '') AS basis FROM regions r CROSS JOIN enterprises e \
                 LEFT JOIN enforcement_profiles p ON p.enterprise_id = e.id WHERE e.region_code = r.code AND r.path LIKE $1 \
                 AND (p.enterprise_id IS NULL OR p.status <> 'assigned') ORDER BY e.id LIMIT $2",
            )
            .bind(format!("{path}%"))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The profiles of the enterprises one office supervises, 重点 first.
    pub async fn supervised_profiles(&self, office_region_code: &str, authority: Authority, limit: i64, offset: i64) -> Result<(i64, Vec<ProfileRow>)> {
        with_pool!(self, |pool| {
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM enforcement_profiles WHERE office_region_code = $1 AND authority = $2 AND status = 'assigned'")
                    .bind(office_region_code)
                    .bind(authority.key())
                    .fetch_one(pool)
                    .await?;
            let rows = sqlx::query_as(crate::trusted(&format!(
                "{PROFILE_SELECT} WHERE p.office_region_code = $1 AND p.authority = $2 AND p.status = 'assigned' ORDER BY p.listed DESC, p.class DESC, e.id LIMIT $3 OFFSET $4"
            )))
            .bind(office_region_code)
            .bind(authority.key())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
            Ok((total, rows))
        })
    }

    /// Enterprises whose stored profile says they are listed as seriously untrustworthy.
    pub async fn listed_profiles(&self) -> Result<Vec<i64>> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT enterprise_id FROM enforcement_profiles WHERE listed ORDER BY enterprise_id")
            .fetch_all(pool)
            .await?))
    }

    /// Every office with enterprises assigned: (region code, region name, authority, count).
    pub async fn supervising_offices(&self) -> Result<Vec<(String, String, Authority, i64)>> {
        let rows: Vec<(String, String, String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT p.office_region_code, r.name, p.authority, COUNT(*) FROM enforcement_profiles p JOIN regions r ON r.code = p.office_region_code \
                 WHERE p.status = 'assigned' GROUP BY p.office_region_code, r.name, r.path, p.authority ORDER BY r.path, p.authority",
            )
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|(code, name, authority, count)| {
                Authority::try_from(authority).map(|a| (code, name, a, count)).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    pub async fn profile(&self, enterprise_id: i64) -> Result<ProfileRow> {
        with_pool!(self, |pool| {
            let row: Option<ProfileRow> =
                sqlx::query_as(crate::trusted(&format!("{PROFILE_SELECT} WHERE p.enterprise_id = $1"))).bind(enterprise_id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Registers a unit as the enforcement office of its region for an authority.
    pub async fn set_enforcement_office(&self, unit_id: i64, region_code: &str, authority: Authority, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO enforcement_offices (unit_id, region_code, authority) VALUES ($1, $2, $3) \
                 ON CONFLICT (unit_id) DO UPDATE SET region_code = excluded.region_code, authority = excluded.authority",
            )
            .bind(unit_id)
            .bind(region_code)
            .bind(authority.key())
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, domain::message!("enforcement.office_exists")))?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// The office a unit acts as: (region code, authority).
    pub async fn enforcement_office_of_unit(&self, unit_id: i64) -> Result<Option<(String, Authority)>> {
        with_pool!(self, |pool| {
            let row: Option<(String, String)> =
                sqlx::query_as("SELECT region_code, authority FROM enforcement_offices WHERE unit_id = $1").bind(unit_id).fetch_optional(pool).await?;
            row.map(|(region, authority)| Authority::try_from(authority).map(|a| (region, a)).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
        })
    }

    pub async fn inspector_pool(&self, region_code: &str, authority: Authority) -> Result<Vec<PoolInspectorRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT p.user_id, u.display_name, p.region_code, p.authority, CAST(p.days_per_year AS BIGINT) AS days_per_year FROM inspector_pool p \
                 JOIN users u ON u.id = p.user_id WHERE p.region_code = $1 AND p.authority = $2 AND NOT u.disabled ORDER BY p.user_id",
            )
            .bind(region_code)
            .bind(authority.key())
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn pool_entry(&self, user_id: i64) -> Result<Option<PoolInspectorRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT p.user_id, u.display_name, p.region_code, p.authority, CAST(p.days_per_year AS BIGINT) AS days_per_year FROM inspector_pool p \
                 JOIN users u ON u.id = p.user_id WHERE p.user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn set_pool_inspector(&self, user_id: i64, region_code: &str, authority: Authority, days_per_year: i64, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO inspector_pool (user_id, region_code, authority, days_per_year) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id) DO UPDATE SET region_code = excluded.region_code, authority = excluded.authority, days_per_year = excluded.days_per_year",
            )
            .bind(user_id)
            .bind(region_code)
            .bind(authority.key())
            .bind(days_per_year)
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    pub async fn declare_conflict(&self, user_id: i64, enterprise_id: i64, reason: &str, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO inspector_conflicts (user_id, enterprise_id, reason, declared_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, enterprise_id) DO UPDATE SET reason = excluded.reason",
            )
            .bind(user_id)
            .bind(enterprise_id)
            .bind(reason)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Whether the inspector declared a conflict with the enterprise.
    pub async fn conflict_declared(&self, user_id: i64, enterprise_id: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar("SELECT user_id FROM inspector_conflicts WHERE user_id = $1 AND enterprise_id = $2")
                .bind(user_id)
                .bind(enterprise_id)
                .fetch_optional(pool)
                .await?;
            Ok(found.is_some())
        })
    }

    /// The declared conflicts of the inspectors of an office's pool.
    pub async fn pool_conflicts(&self, region_code: &str, authority: Authority) -> Result<Vec<ConflictRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT c.user_id, c.enterprise_id, e.name AS enterprise_name, c.reason FROM inspector_conflicts c JOIN inspector_pool p ON p.user_id = c.user_id \
                 JOIN enterprises e ON e.id = c.enterprise_id \
                 WHERE p.region_code = $1 AND p.authority = $2 ORDER BY c.user_id, c.enterprise_id",
            )
            .bind(region_code)
            .bind(authority.key())
            .fetch_all(pool)
            .await?)
        })
    }

    /// Enabled inspector accounts whose unit is of the region `region_code`: (user id, name).
    pub async fn inspectors_of_region(&self, region_code: &str) -> Result<Vec<(i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT u.id, u.display_name FROM users u JOIN units n ON n.id = u.unit_id \
                 WHERE u.role = 'inspector' AND NOT u.disabled AND n.region_code = $1 ORDER BY u.id LIMIT 1000",
            )
            .bind(region_code)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The latest inspection date (ISO) of each enterprise by offices of `tier`.
    pub async fn last_inspections_by_tier(&self, tier: Tier) -> Result<Vec<(i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT enterprise_id, MAX(inspected_on) FROM inspections WHERE tier = $1 GROUP BY enterprise_id ORDER BY enterprise_id")
                .bind(tier.key())
                .fetch_all(pool)
                .await?)
        })
    }

    /// Stores a plan with its draw and items; `Conflict` if the office has one for the year.
    pub async fn create_inspection_plan(&self, plan: &NewInspectionPlan, user_id: i64, event: &AuditEvent) -> Result<i64> {
        let exists = || domain::message!("enforcement.plan_exists", year = plan.year);
        crate::in_transaction!(self, |tx| {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM inspection_plans WHERE year = $1 AND region_code = $2 AND authority = $3")
                .bind(plan.year)
                .bind(&plan.region_code)
                .bind(plan.authority.key())
                .fetch_optional(&mut *tx)
                .await?;
            if existing.is_some() {
                return Err(StoreError::Conflict(exists()));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO inspection_plans (year, region_code, tier, authority, created_by, created_at, draw_seed, draw_input, draw_input_hash, draw_algorithm) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(plan.year)
            .bind(&plan.region_code)
            .bind(plan.tier.key())
            .bind(plan.authority.key())
            .bind(user_id)
            .bind(now_ms())
            .bind(&plan.draw_seed)
            .bind(&plan.draw_input)
            .bind(&plan.draw_input_hash)
            .bind(&plan.draw_algorithm)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_on_unique(e, exists()))?;
            for (position, (enterprise_id, reason, quarter, kind, inspectors)) in plan.items.iter().enumerate() {
                let inspectors = inspectors.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                sqlx::query(
                    "INSERT INTO inspection_plan_items (plan_id, position, enterprise_id, reason, quarter, kind, inspectors) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(enterprise_id)
                .bind(reason.key())
                .bind(quarter)
                .bind(kind.key())
                .bind(inspectors)
                .execute(&mut *tx)
                .await?;
            }
            let mut event = event.clone();
            event.target = format!("inspection_plan:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Plans of offices whose region lies under `path` (or, with `above`, also those above it),
    /// optionally of one year, newest first.
    pub async fn inspection_plans(&self, path: &str, year: Option<i64>) -> Result<Vec<InspectionPlanRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!(
                "{PLAN_SELECT} WHERE r.path LIKE $1 AND ($2 IS NULL OR p.year = $2) ORDER BY p.year DESC, r.path, p.authority"
            )))
            .bind(format!("{path}%"))
            .bind(year)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn inspection_plan(&self, id: i64) -> Result<InspectionPlanRow> {
        with_pool!(self, |pool| {
            let row: Option<InspectionPlanRow> =
                sqlx::query_as(crate::trusted(&format!("{PLAN_SELECT} WHERE p.id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn plan_items(&self, plan_id: i64) -> Result<Vec<PlanItemRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!("{PLAN_ITEM_SELECT} WHERE i.plan_id = $1 ORDER BY i.position"))).bind(plan_id).fetch_all(pool).await?)
        })
    }

    pub async fn plan_item(&self, id: i64) -> Result<PlanItemRow> {
        with_pool!(self, |pool| {
            let row: Option<PlanItemRow> = sqlx::query_as(crate::trusted(&format!("{PLAN_ITEM_SELECT} WHERE i.id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Plan items that name this inspector, of plans of this year.
    pub async fn items_of_inspector(&self, user_id: i64, year: i64) -> Result<Vec<PlanItemRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!(
                "{PLAN_ITEM_SELECT} WHERE p.year = $1 AND (',' || i.inspectors || ',') LIKE $2 ORDER BY i.quarter, i.position LIMIT 500"
            )))
            .bind(year)
            .bind(format!("%,{user_id},%"))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Announced plan items of an enterprise not yet inspected (unannounced ones stay hidden).
    pub async fn announced_items_of_enterprise(&self, enterprise_id: i64) -> Result<Vec<PlanItemRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!(
                "{PLAN_ITEM_SELECT} WHERE i.enterprise_id = $1 AND n.id IS NULL AND i.kind <> 'unannounced' ORDER BY i.quarter"
            )))
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Records an inspection with its answers, findings (as hidden dangers from this inspection),
    /// photos and penalties, in one transaction, with the messages `posts` makes from the
    /// inspection's id and its dangers (id and record); returns its id and the dangers' ids.
    pub async fn record_inspection(
        &self,
        inspection: &NewInspection,
        user_id: i64,
        event: &AuditEvent,
        posts: impl Fn(i64, &[(i64, &NewDanger)]) -> Vec<crate::UnitPost>,
    ) -> Result<(i64, Vec<i64>)> {
        crate::in_transaction!(self, |tx| {
            let now = now_ms();
            if let Some(item) = inspection.plan_item_id {
                let done: Option<i64> = sqlx::query_scalar("SELECT id FROM inspections WHERE plan_item_id = $1").bind(item).fetch_optional(&mut *tx).await?;
                if done.is_some() {
                    return Err(StoreError::Conflict(domain::message!("enforcement.item_already_inspected")));
                }
            }
            for penalty in &inspection.penalties {
                let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM enforcement_penalties WHERE decision_number = $1")
                    .bind(&penalty.decision_number)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Conflict(domain::message!("enforcement.decision_number_taken", number = penalty.decision_number)));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO inspections (plan_item_id, enterprise_id, tier, office_region_code, kind, inspected_on, checklist_id, summary, inspectors, signed_by, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(inspection.plan_item_id)
            .bind(inspection.enterprise_id)
            .bind(inspection.tier.key())
            .bind(&inspection.office_region_code)
            .bind(inspection.kind.key())
            .bind(&inspection.inspected_on)
            .bind(inspection.checklist_id)
            .bind(&inspection.summary)
            .bind(&inspection.inspectors)
            .bind(&inspection.signed_by)
            .bind(user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let source_ref = Some(format!("inspection:{id}"));
            let mut dangers = Vec::new();
            let mut found: Vec<&NewDanger> = Vec::new();
            for (item_id, passed, note, danger) in &inspection.answers {
                let danger_id = match (passed, danger) {
                    (false, Some(recorded)) => {
                        let danger = NewDanger { source_ref: source_ref.clone(), ..recorded.clone() };
                        let danger_id = insert_danger!(tx, &danger, user_id, now);
                        dangers.push(danger_id);
                        found.push(recorded);
                        Some(danger_id)
                    }
                    _ => None,
                };
                sqlx::query("INSERT INTO inspection_answers (inspection_id, item_id, passed, note, danger_id) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id)
                    .bind(item_id)
                    .bind(*passed)
                    .bind(note)
                    .bind(danger_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for finding in &inspection.findings {
                let danger = NewDanger { source_ref: source_ref.clone(), ..finding.clone() };
                dangers.push(insert_danger!(tx, &danger, user_id, now));
                found.push(finding);
            }
            for (file_name, content_type, sha256, bytes) in &inspection.photos {
                sqlx::query(
                    "INSERT INTO inspection_photos (inspection_id, file_name, content_type, size_bytes, sha256, content) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(file_name)
                .bind(content_type)
                .bind(bytes.len() as i64)
                .bind(sha256)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
            }
            for penalty in &inspection.penalties {
                sqlx::query(
                    "INSERT INTO enforcement_penalties (inspection_id, enterprise_id, legal_basis, amount_yuan, decision_number, decided_on) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(inspection.enterprise_id)
                .bind(&penalty.legal_basis)
                .bind(penalty.amount_yuan)
                .bind(&penalty.decision_number)
                .bind(&penalty.decided_on)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, domain::message!("enforcement.decision_number_taken", number = penalty.decision_number)))?;
            }
            let mut event = event.clone();
            event.target = format!("inspection:{id}");
            crate::audit::append_audit!(tx, &event);
            let recorded: Vec<(i64, &NewDanger)> = dangers.iter().copied().zip(found.iter().copied()).collect();
            for post in posts(id, &recorded) {
                crate::inbox::post_to_unit!(tx, &post, now);
            }
            Ok((id, dangers))
        })
    }

    pub async fn inspection(&self, id: i64) -> Result<InspectionRow> {
        with_pool!(self, |pool| {
            let row: Option<InspectionRow> =
                sqlx::query_as(crate::trusted(&format!("{INSPECTION_SELECT} WHERE n.id = $1"))).bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Inspections of enterprises under `path` (or of one enterprise), newest first.
    pub async fn inspections(&self, path: &str, enterprise_id: Option<i64>, limit: i64, offset: i64) -> Result<Vec<InspectionRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(crate::trusted(&format!(
                "{INSPECTION_SELECT} WHERE r.path LIKE $1 AND ($2 IS NULL OR n.enterprise_id = $2) ORDER BY n.inspected_on DESC, n.id DESC LIMIT $3 OFFSET $4"
            )))
            .bind(format!("{path}%"))
            .bind(enterprise_id)
            .bind(limit)
            .bind(offset.max(0))
            .fetch_all(pool)
            .await?)
        })
    }

    /// How many inspections `inspections` finds in all.
    pub async fn inspection_count(&self, path: &str, enterprise_id: Option<i64>) -> Result<i64> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM inspections n JOIN enterprises e ON e.id = n.enterprise_id JOIN regions r ON r.code = e.region_code \
                 WHERE r.path LIKE $1 AND ($2 IS NULL OR n.enterprise_id = $2)",
            )
            .bind(format!("{path}%"))
            .bind(enterprise_id)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The hidden dangers an inspection reported.
    pub async fn dangers_with_source_ref(&self, source_ref: &str) -> Result<Vec<i64>> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT id FROM hidden_dangers WHERE source_ref = $1 ORDER BY id")
            .bind(source_ref)
            .fetch_all(pool)
            .await?))
    }

    pub async fn inspection_penalties(&self, inspection_id: i64) -> Result<Vec<PenaltyRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, inspection_id, enterprise_id, legal_basis, amount_yuan, decision_number, decided_on FROM enforcement_penalties WHERE inspection_id = $1 ORDER BY id",
            )
            .bind(inspection_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Penalties decided against an enterprise (what the credit module reads).
    pub async fn enterprise_penalties(&self, enterprise_id: i64) -> Result<Vec<PenaltyRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, inspection_id, enterprise_id, legal_basis, amount_yuan, decision_number, decided_on FROM enforcement_penalties WHERE enterprise_id = $1 ORDER BY decided_on, id",
            )
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn inspection_photos(&self, inspection_id: i64) -> Result<Vec<InspectionPhotoRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, file_name, content_type, size_bytes FROM inspection_photos WHERE inspection_id = $1 ORDER BY id")
                .bind(inspection_id)
                .fetch_all(pool)
                .await?)
        })
    }

    /// A photo: (inspection id, content type, bytes).
    pub async fn inspection_photo(&self, photo_id: i64) -> Result<(i64, String, Vec<u8>)> {
        with_pool!(self, |pool| {
            let row: Option<(i64, String, Vec<u8>)> =
                sqlx::query_as("SELECT inspection_id, content_type, content FROM inspection_photos WHERE id = $1").bind(photo_id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Planned and done per office and quarter, for the plans of `year` whose office lies under
    /// `path`.
    pub async fn plan_coverage(&self, path: &str, year: i64) -> Result<Vec<CoverageRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT p.region_code, r.name AS region_name, p.tier, p.authority, CAST(i.quarter AS BIGINT) AS quarter, COUNT(*) AS planned, COUNT(n.id) AS done \
                 FROM inspection_plan_items i JOIN inspection_plans p ON p.id = i.plan_id JOIN regions r ON r.code = p.region_code \
                 LEFT JOIN inspections n ON n.plan_item_id = i.id WHERE p.year = $1 AND r.path LIKE $2 \
                 GROUP BY p.region_code, r.name, r.path, p.tier, p.authority, i.quarter ORDER BY r.path, p.authority, i.quarter",
            )
            .bind(year)
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Planned and done per city of the enterprises (under `path`), for the plans of `year`.
    pub async fn city_coverage(&self, path: &str, year: i64) -> Result<Vec<CityCoverageRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT city.code AS city_code, city.name AS city_name, COUNT(*) AS planned, COUNT(n.id) AS done \
                 FROM inspection_plan_items i JOIN inspection_plans p ON p.id = i.plan_id JOIN enterprises e ON e.id = i.enterprise_id \
                 JOIN regions r ON r.code = e.region_code JOIN regions city ON r.path LIKE city.path || '%' AND city.level = 'city' \
                 LEFT JOIN inspections n ON n.plan_item_id = i.id WHERE p.year = $1 AND r.path LIKE $2 GROUP BY city.code, city.name ORDER BY city.code",
            )
            .bind(year)
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Per office under `path`: its 重点 enterprises and how many its tier inspected in the year.
    pub async fn key_coverage(&self, path: &str, year: i64) -> Result<Vec<KeyCoverageRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT p.office_region_code AS region_code, o.name AS region_name, p.tier, p.authority, COUNT(*) AS key, \
                 COUNT(CASE WHEN EXISTS (SELECT 1 FROM inspections n WHERE n.enterprise_id = p.enterprise_id AND n.tier = p.tier AND n.inspected_on LIKE $1) THEN 1 END) AS key_inspected \
                 FROM enforcement_profiles p JOIN regions o ON o.code = p.office_region_code \
                 WHERE p.status = 'assigned' AND p.class = 'key' AND o.path LIKE $2 GROUP BY p.office_region_code, o.name, o.path, p.tier, p.authority ORDER BY o.path, p.authority",
            )
            .bind(format!("{year}-%"))
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Enterprises under `path` inspected in `year` by offices of more than one tier (joint
    /// inspections aside).
    pub async fn inspected_by_several_tiers(&self, path: &str, year: i64, limit: i64) -> Result<Vec<EnterpriseRef>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT e.id AS enterprise_id, e.name AS enterprise_name, r.name AS region_name FROM enterprises e JOIN regions r ON r.code = e.region_code \
                 WHERE r.path LIKE $1 AND (SELECT COUNT(DISTINCT n.tier) FROM inspections n WHERE n.enterprise_id = e.id AND n.kind <> 'joint' AND n.inspected_on LIKE $2) > 1 \
                 ORDER BY e.id LIMIT $3",
            )
            .bind(format!("{path}%"))
            .bind(format!("{year}-%"))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Enterprises under `path` never inspected: their number and the first `limit`.
    pub async fn never_inspected(&self, path: &str, limit: i64) -> Result<(i64, Vec<EnterpriseRef>)> {
        with_pool!(self, |pool| {
            let condition = "r.path LIKE $1 AND NOT EXISTS (SELECT 1 FROM inspections n WHERE n.enterprise_id = e.id)";
            let total: i64 =
                sqlx::query_scalar(crate::trusted(&format!("SELECT COUNT(*) FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE {condition}")))
                    .bind(format!("{path}%"))
                    .fetch_one(pool)
                    .await?;
            let rows = sqlx::query_as(crate::trusted(&format!(
                "SELECT e.id AS enterprise_id, e.name AS enterprise_name, r.name AS region_name FROM enterprises e JOIN regions r ON r.code = e.region_code \
                 WHERE {condition} ORDER BY e.id LIMIT $2"
            )))
            .bind(format!("{path}%"))
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok((total, rows))
        })
    }

    /// Takes the lease of a periodic job for `ttl_ms` if nobody holds it: true for the one
    /// process of several that should run the job now.
    pub async fn claim_job_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        crate::in_plain_transaction!(self, |tx| {
            let now = now_ms();
            sqlx::query("INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, '', 0) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            let taken = sqlx::query("UPDATE job_leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (expires_at <= $4 OR holder = $1)")
                .bind(holder)
                .bind(now + ttl_ms)
                .bind(name)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            Ok(taken == 1)
        })
    }
}

/// A stored profile's decisive columns, to compare with a recomputation.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProfileKey {
    pub enterprise_id: i64,
    pub class: String,
    pub listed: bool,
    pub reasons: String,
    pub status: String,
    pub tier: Option<String>,
    pub authority: Option<String>,
    pub office_region_code: Option<String>,
    pub basis: String,
    pub credit_grade: String,
}
