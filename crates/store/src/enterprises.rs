//! The enterprise registry: create, update, upsert in bulk, read one, list with filters and
//! pagination, and read whole sets for export. Every read takes the caller's `Visibility`, which
//! becomes a condition in SQL.

use std::collections::HashMap;

use domain::access::Visibility;
use domain::audit::AuditEvent;
use domain::enterprises::{Enterprise, EnterpriseInput};
use sqlx::FromRow;

use crate::{Result, Store, StoreError, conflict_on_unique, like_pattern, now_ms, trusted, with_pool};

/// An enterprise as stored, with its identity and bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEnterprise {
    pub id: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub region_name: String,
    pub enterprise: Enterprise,
}

/// One row of the enterprise list.
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
pub struct EnterpriseSummary {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub industry: String,
    pub scale: String,
    pub standardization: String,
    /// The credit grade kept with the enforcement profile (A until one is computed).
    #[sqlx(try_from = "String")]
    pub credit_grade: domain::credit::CreditGrade,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EnterpriseFilter {
    /// Part of the name or of the credit code.
    pub query: Option<String>,
    /// Path of a region whose subtree the enterprise must lie in.
    pub region_path: Option<String>,
    pub sector: Option<String>,
    pub industry: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnterprisePage {
    pub items: Vec<EnterpriseSummary>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created(i64),
    Updated(i64),
}

#[derive(Debug, FromRow)]
struct EnterpriseRow {
    id: i64,
    credit_code: String,
    name: String,
    region_code: String,
    region_name: String,
    address: String,
    longitude: Option<f64>,
    latitude: Option<f64>,
    industry: String,
    scale: String,
    principal_name: String,
    principal_phone: String,
    safety_manager_name: String,
    safety_manager_phone: String,
    standardization: String,
    insurer: Option<String>,
    insurance_cover_yuan: Option<i64>,
    insurance_expires_on: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

/// Parameters `$1`–`$7` of every enterprise read: visibility, then the filter.
const SCOPED_WHERE: &str = "($1 OR ($2 IS NOT NULL AND r.path LIKE $2) OR ($3 IS NOT NULL AND e.id = $3)) \
     AND ($4 IS NULL OR lower(e.name) LIKE lower($4) ESCAPE '\\' OR e.credit_code LIKE upper($4) ESCAPE '\\') \
     AND ($5 IS NULL OR r.path LIKE $5) \
     AND ($6 IS NULL OR EXISTS (SELECT 1 FROM enterprise_sectors s WHERE s.enterprise_id = e.id AND s.sector = $6)) \
     AND ($7 IS NULL OR e.industry = $7)";

const SELECT_FULL: &str = "SELECT e.id, e.credit_code, e.name, e.region_code, r.name AS region_name, e.address, e.longitude, \
     e.latitude, e.industry, e.scale, e.principal_name, e.principal_phone, e.safety_manager_name, e.safety_manager_phone, \
     e.standardization, e.insurer, e.insurance_cover_yuan, e.insurance_expires_on, e.version, e.created_at, e.updated_at \
     FROM enterprises e JOIN regions r ON r.code = e.region_code";

struct ScopeParams {
    everything: bool,
    region_prefix: Option<String>,
    enterprise_id: Option<i64>,
    query: Option<String>,
    region_path: Option<String>,
    sector: Option<String>,
    industry: Option<String>,
}

impl ScopeParams {
    fn new(visibility: &Visibility, filter: &EnterpriseFilter) -> Self {
        let (everything, region_prefix, enterprise_id) = crate::visibility_params(visibility);
        Self {
            everything,
            region_prefix,
            enterprise_id,
            query: filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(like_pattern),
            region_path: filter.region_path.as_ref().map(|p| format!("{p}%")),
            sector: filter.sector.clone(),
            industry: filter.industry.clone(),
        }
    }
}

/// Binds the seven `SCOPED_WHERE` parameters onto a query.
macro_rules! bind_scope {
    ($query:expr, $params:expr) => {
        $query
            .bind($params.everything)
            .bind(&$params.region_prefix)
            .bind($params.enterprise_id)
            .bind(&$params.query)
            .bind(&$params.region_path)
            .bind(&$params.sector)
            .bind(&$params.industry)
    };
}

fn assemble(row: EnterpriseRow, sectors: Vec<String>, licences: Vec<(String, String, String)>) -> Result<StoredEnterprise> {
    let input = EnterpriseInput {
        credit_code: row.credit_code,
        name: row.name,
        region_code: row.region_code,
        address: row.address,
        longitude: row.longitude.map(|v| v.to_string()).unwrap_or_default(),
        latitude: row.latitude.map(|v| v.to_string()).unwrap_or_default(),
        industry: row.industry,
        sectors: sectors.join(";"),
        scale: row.scale,
        principal_name: row.principal_name,
        principal_phone: row.principal_phone,
        safety_manager_name: row.safety_manager_name,
        safety_manager_phone: row.safety_manager_phone,
        standardization: row.standardization,
        licences: licences.iter().map(|(k, n, d)| format!("{k}|{n}|{d}")).collect::<Vec<_>>().join(";"),
        insurer: row.insurer.unwrap_or_default(),
        insurance_cover_yuan: row.insurance_cover_yuan.map(|v| v.to_string()).unwrap_or_default(),
        insurance_expires_on: row.insurance_expires_on.unwrap_or_default(),
    };
    let enterprise = Enterprise::from_input(&input)
        .map_err(|errors| StoreError::Corrupt(format!("enterprise {}: {}", row.id, errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))))?;
    Ok(StoredEnterprise { id: row.id, version: row.version, created_at: row.created_at, updated_at: row.updated_at, region_name: row.region_name, enterprise })
}

/// Writes sectors and licences of enterprise `$id`, replacing what was there.
macro_rules! write_children {
    ($tx:expr, $id:expr, $enterprise:expr) => {{
        sqlx::query("DELETE FROM enterprise_sectors WHERE enterprise_id = $1").bind($id).execute(&mut *$tx).await?;
        sqlx::query("DELETE FROM enterprise_licences WHERE enterprise_id = $1").bind($id).execute(&mut *$tx).await?;
        for sector in &$enterprise.sectors {
            sqlx::query("INSERT INTO enterprise_sectors (enterprise_id, sector) VALUES ($1, $2)").bind($id).bind(sector.key()).execute(&mut *$tx).await?;
        }
        for (position, licence) in $enterprise.licences.iter().enumerate() {
            sqlx::query("INSERT INTO enterprise_licences (enterprise_id, position, kind, number, expires_on) VALUES ($1, $2, $3, $4, $5)")
                .bind($id)
                .bind(position as i64)
                .bind(&licence.kind)
                .bind(&licence.number)
                .bind(licence.expires_on.to_string())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Binds the sixteen column values of an enterprise as `$1`…`$16`, in the order of `INSERT_SQL`.
macro_rules! bind_columns {
    ($query:expr, $e:expr) => {
        $query
            .bind($e.credit_code.as_str())
            .bind(&$e.name)
            .bind($e.region_code.as_str())
            .bind(&$e.address)
            .bind($e.location.as_ref().map(|l| l.longitude))
            .bind($e.location.as_ref().map(|l| l.latitude))
            .bind($e.industry.key())
            .bind($e.scale.key())
            .bind(&$e.principal.name)
            .bind(&$e.principal.phone)
            .bind(&$e.safety_manager.name)
            .bind(&$e.safety_manager.phone)
            .bind($e.standardization.key())
            .bind($e.insurance.as_ref().map(|i| i.insurer.clone()))
            .bind($e.insurance.as_ref().map(|i| i.cover_per_person_yuan))
            .bind($e.insurance.as_ref().map(|i| i.expires_on.to_string()))
    };
}

const INSERT_SQL: &str = "INSERT INTO enterprises (credit_code, name, region_code, address, longitude, latitude, industry, scale, \
     principal_name, principal_phone, safety_manager_name, safety_manager_phone, standardization, insurer, insurance_cover_yuan, \
     insurance_expires_on, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) \
     RETURNING id";

const UPDATE_SQL: &str = "UPDATE enterprises SET credit_code = $1, name = $2, region_code = $3, address = $4, longitude = $5, \
     latitude = $6, industry = $7, scale = $8, principal_name = $9, principal_phone = $10, safety_manager_name = $11, \
     safety_manager_phone = $12, standardization = $13, insurer = $14, insurance_cover_yuan = $15, insurance_expires_on = $16, \
     updated_at = $17, version = version + 1 WHERE id = $18";

impl Store {
    /// Creates an enterprise; a credit code that is already registered is a conflict.
    pub async fn create_enterprise(&self, enterprise: &Enterprise, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = bind_columns!(sqlx::query_scalar(INSERT_SQL), enterprise)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, domain::message!("enterprises.credit_code_taken")))?;
            write_children!(tx, id, enterprise);
            let mut event = event.clone();
            event.target = format!("enterprise:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Replaces enterprise `id` if its version is still `expected_version` (no one else saved in
    /// between); otherwise a conflict.
    pub async fn update_enterprise(&self, id: i64, expected_version: i64, enterprise: &Enterprise, event: &AuditEvent) -> Result<()> {
        crate::in_transaction!(self, |tx| {
            let version: Option<i64> = sqlx::query_scalar("SELECT version FROM enterprises WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            match version {
                None => return Err(StoreError::NotFound),
                Some(version) if version != expected_version => {
                    return Err(StoreError::Conflict(domain::message!("enterprises.changed_meanwhile")));
                }
                Some(_) => {}
            }
            bind_columns!(sqlx::query(UPDATE_SQL), enterprise)
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict_on_unique(e, domain::message!("enterprises.credit_code_taken")))?;
            write_children!(tx, id, enterprise);
            crate::audit::append_audit!(tx, event);
            Ok(())
        })
    }

    /// Creates or updates (by credit code) every enterprise in one transaction: all are stored or
    /// none is. One audit entry records the batch.
    pub async fn upsert_enterprises(&self, enterprises: &[Enterprise], event: &AuditEvent) -> Result<Vec<UpsertOutcome>> {
        crate::in_transaction!(self, |tx| {
            let mut outcomes = Vec::with_capacity(enterprises.len());
            let now = now_ms();
            for enterprise in enterprises {
                let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM enterprises WHERE credit_code = $1")
                    .bind(enterprise.credit_code.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                let outcome = match existing {
                    Some(id) => {
                        bind_columns!(sqlx::query(UPDATE_SQL), enterprise).bind(now).bind(id).execute(&mut *tx).await?;
                        UpsertOutcome::Updated(id)
                    }
                    None => {
                        let id: i64 = bind_columns!(sqlx::query_scalar(INSERT_SQL), enterprise).bind(now).fetch_one(&mut *tx).await?;
                        UpsertOutcome::Created(id)
                    }
                };
                let id = match outcome {
                    UpsertOutcome::Created(id) | UpsertOutcome::Updated(id) => id,
                };
                write_children!(tx, id, enterprise);
                outcomes.push(outcome);
            }
            crate::audit::append_audit!(tx, event);
            Ok(outcomes)
        })
    }

    /// One enterprise, if it exists and is visible; otherwise `NotFound` (never a hint that an
    /// invisible record exists).
    pub async fn enterprise(&self, id: i64, visibility: &Visibility) -> Result<StoredEnterprise> {
        let params = ScopeParams::new(visibility, &EnterpriseFilter::default());
        let sql = format!("{SELECT_FULL} WHERE {SCOPED_WHERE} AND e.id = $8");
        with_pool!(self, |pool| {
            let row: Option<EnterpriseRow> = bind_scope!(sqlx::query_as(trusted(&sql)), params).bind(id).fetch_optional(pool).await?;
            let row = row.ok_or(StoreError::NotFound)?;
            let sectors: Vec<String> =
                sqlx::query_scalar("SELECT sector FROM enterprise_sectors WHERE enterprise_id = $1 ORDER BY sector").bind(id).fetch_all(pool).await?;
            let licences: Vec<(String, String, String)> =
                sqlx::query_as("SELECT kind, number, expires_on FROM enterprise_licences WHERE enterprise_id = $1 ORDER BY position")
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
            assemble(row, sectors, licences)
        })
    }

    /// A page of the list, ordered by region then name.
    pub async fn list_enterprises(&self, visibility: &Visibility, filter: &EnterpriseFilter, limit: i64, offset: i64) -> Result<EnterprisePage> {
        Ok(EnterprisePage { items: self.enterprise_items(visibility, filter, limit, offset).await?, total: self.enterprise_count(visibility, filter).await? })
    }

    /// One page of the visible enterprises matching the filter, in the listing's order (region,
    /// name, id: the index `enterprises_listing`).
    pub async fn enterprise_items(&self, visibility: &Visibility, filter: &EnterpriseFilter, limit: i64, offset: i64) -> Result<Vec<EnterpriseSummary>> {
        let params = ScopeParams::new(visibility, filter);
        let list_sql = format!(
            "SELECT e.id, e.credit_code, e.name, e.region_code, r.name AS region_name, e.industry, e.scale, e.standardization, \
             COALESCE(p.credit_grade, 'a') AS credit_grade \
             FROM enterprises e JOIN regions r ON r.code = e.region_code LEFT JOIN enforcement_profiles p ON p.enterprise_id = e.id WHERE {SCOPED_WHERE} \
             ORDER BY e.region_code, e.name, e.id LIMIT $8 OFFSET $9"
        );
        with_pool!(self, |pool| Ok(bind_scope!(sqlx::query_as(trusted(&list_sql)), params).bind(limit).bind(offset).fetch_all(pool).await?))
    }

    /// How many visible enterprises match the filter.
    pub async fn enterprise_count(&self, visibility: &Visibility, filter: &EnterpriseFilter) -> Result<i64> {
        let params = ScopeParams::new(visibility, filter);
        let count_sql = format!("SELECT COUNT(*) FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE {SCOPED_WHERE}");
        with_pool!(self, |pool| Ok(bind_scope!(sqlx::query_scalar(trusted(&count_sql)), params).fetch_one(pool).await?))
    }

    /// Every visible enterprise matching the filter, whole, at most `limit` (for exports).
    pub async fn enterprises_for_export(&self, visibility: &Visibility, filter: &EnterpriseFilter, limit: i64) -> Result<Vec<StoredEnterprise>> {
        let params = ScopeParams::new(visibility, filter);
        let rows_sql = format!("{SELECT_FULL} WHERE {SCOPED_WHERE} ORDER BY e.region_code, e.name, e.id LIMIT $8");
        let ids = format!(
            "SELECT e.id FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE {SCOPED_WHERE} \
             ORDER BY e.region_code, e.name, e.id LIMIT $8"
        );
        let sectors_sql = format!("SELECT enterprise_id, sector FROM enterprise_sectors WHERE enterprise_id IN ({ids}) ORDER BY enterprise_id, sector");
        let licences_sql = format!(
            "SELECT enterprise_id, kind, number, expires_on FROM enterprise_licences WHERE enterprise_id IN ({ids}) \
             ORDER BY enterprise_id, position"
        );
        with_pool!(self, |pool| {
            let rows: Vec<EnterpriseRow> = bind_scope!(sqlx::query_as(trusted(&rows_sql)), params).bind(limit).fetch_all(pool).await?;
            let sector_rows: Vec<(i64, String)> = bind_scope!(sqlx::query_as(trusted(&sectors_sql)), params).bind(limit).fetch_all(pool).await?;
            let licence_rows: Vec<(i64, String, String, String)> =
                bind_scope!(sqlx::query_as(trusted(&licences_sql)), params).bind(limit).fetch_all(pool).await?;
            let mut sectors: HashMap<i64, Vec<String>> = HashMap::new();
            for (id, sector) in sector_rows {
                sectors.entry(id).or_default().push(sector);
            }
            let mut licences: HashMap<i64, Vec<(String, String, String)>> = HashMap::new();
            for (id, kind, number, expires_on) in licence_rows {
                licences.entry(id).or_default().push((kind, number, expires_on));
            }
            rows.into_iter()
                .map(|row| {
                    let id = row.id;
                    assemble(row, sectors.remove(&id).unwrap_or_default(), licences.remove(&id).unwrap_or_default())
                })
                .collect()
        })
    }

    /// The id of the enterprise with this credit code, regardless of visibility (for imports,
    /// which decide between create and update before checking scope).
    pub async fn enterprise_id_by_credit_code(&self, credit_code: &str) -> Result<Option<(i64, String)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT e.id, r.path FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE e.credit_code = $1")
                .bind(credit_code)
                .fetch_optional(pool)
                .await?)
        })
    }

    pub async fn count_enterprises(&self) -> Result<i64> {
        with_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM enterprises").fetch_one(pool).await?))
    }
}
