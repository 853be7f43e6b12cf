//! Units (offices, departments, governments, enterprises, panels) and the alias table that maps
//! every known name of a unit, by its lookup key, to the unit.

use domain::audit::AuditEvent;
use domain::unit::UnitKind;
use sqlx::FromRow;

use crate::{Result, Store, StoreError, conflict_on_unique, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub full_name: String,
    pub region_code: Option<String>,
    pub enterprise_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub kind: UnitKind,
    pub name: String,
    pub full_name: String,
    pub region_code: Option<String>,
    pub enterprise_id: Option<i64>,
    /// Lookup keys (see `domain::text::lookup_key`) of every name the unit is known by.
    pub lookup_keys: Vec<String>,
}

impl Store {
    /// Creates a unit, or returns the existing one with the same kind, region and name, and
    /// registers its lookup keys. A key already taken by another unit is a conflict.
    pub async fn ensure_unit(&self, unit: &NewUnit, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM units WHERE kind = $1 AND COALESCE(region_code, '') = COALESCE($2, '') AND name = $3")
                    .bind(unit.kind.as_str())
                    .bind(&unit.region_code)
                    .bind(&unit.name)
                    .fetch_optional(&mut *tx)
                    .await?;
            let id = match existing {
                Some(id) => id,
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO units (kind, name, full_name, region_code, enterprise_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(unit.kind.as_str())
                    .bind(&unit.name)
                    .bind(&unit.full_name)
                    .bind(&unit.region_code)
                    .bind(unit.enterprise_id)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?;
                    crate::audit::append_audit!(tx, event);
                    id
                }
            };
            for key in &unit.lookup_keys {
                let owner: Option<i64> =
                    sqlx::query_scalar("SELECT unit_id FROM unit_aliases WHERE lookup_key = $1").bind(key).fetch_optional(&mut *tx).await?;
                match owner {
                    Some(owner) if owner == id => {}
                    Some(_) => return Err(StoreError::Conflict(domain::message!("units.name_taken", name = key))),
                    None => {
                        sqlx::query("INSERT INTO unit_aliases (lookup_key, unit_id) VALUES ($1, $2)")
                            .bind(key)
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| conflict_on_unique(e, domain::message!("units.alias_taken")))?;
                    }
                }
            }
            Ok(id)
        })
    }

    pub async fn unit(&self, id: i64) -> Result<UnitRow> {
        with_pool!(self, |pool| {
            let row: Option<UnitRow> =
                sqlx::query_as("SELECT id, kind, name, full_name, region_code, enterprise_id FROM units WHERE id = $1").bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// A unit with the path of its region (None when it has no region), in one query: what
    /// every request needs to know of its caller's unit.
    pub async fn unit_with_region_path(&self, id: i64) -> Result<(UnitRow, Option<String>)> {
        #[derive(sqlx::FromRow)]
        struct Found {
            #[sqlx(flatten)]
            unit: UnitRow,
            region_path: Option<String>,
        }
        with_pool!(self, |pool| {
            let row: Option<Found> = sqlx::query_as(
                "SELECT u.id, u.kind, u.name, u.full_name, u.region_code, u.enterprise_id, r.path AS region_path \
                 FROM units u LEFT JOIN regions r ON r.code = u.region_code WHERE u.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let found = row.ok_or(StoreError::NotFound)?;
            if found.unit.region_code.is_some() && found.region_path.is_none() {
                return Err(StoreError::NotFound);
            }
            Ok((found.unit, found.region_path))
        })
    }

    /// The unit known by this lookup key, if any.
    pub async fn unit_by_lookup_key(&self, key: &str) -> Result<Option<UnitRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT u.id, u.kind, u.name, u.full_name, u.region_code, u.enterprise_id \
                 FROM unit_aliases a JOIN units u ON u.id = a.unit_id WHERE a.lookup_key = $1",
            )
            .bind(key)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn units_of_kind(&self, kind: UnitKind) -> Result<Vec<UnitRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, kind, name, full_name, region_code, enterprise_id FROM units WHERE kind = $1 ORDER BY id")
                .bind(kind.as_str())
                .fetch_all(pool)
                .await?)
        })
    }

    /// Units whose name contains `query`, by name; at most `limit`.
    pub async fn search_units(&self, query: &str, limit: i64) -> Result<Vec<UnitRow>> {
        let pattern = crate::like_pattern(query);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, kind, name, full_name, region_code, enterprise_id FROM units \
                 WHERE name LIKE $1 ESCAPE '\\' OR full_name LIKE $1 ESCAPE '\\' ORDER BY name, id LIMIT $2",
            )
            .bind(pattern)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The unit of an enterprise's own users, if it has one.
    pub async fn unit_of_enterprise(&self, enterprise_id: i64) -> Result<Option<UnitRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT id, kind, name, full_name, region_code, enterprise_id FROM units WHERE enterprise_id = $1 ORDER BY id LIMIT 1")
                .bind(enterprise_id)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The department units of a region (its 应急管理局 among them).
    /// A region's emergency management bureau (应急管理局; at the province, 应急管理厅): the
    /// department that supervises its enterprises and handles its dangers' escalations and its tips.
    pub async fn emergency_bureau_of_region(&self, region_code: &str) -> Result<Option<UnitRow>> {
        Ok(self.departments_of_region(region_code).await?.into_iter().find(|u| u.name.ends_with("应急管理局") || u.name.ends_with("应急管理厅")))
    }

    pub async fn departments_of_region(&self, region_code: &str) -> Result<Vec<UnitRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, kind, name, full_name, region_code, enterprise_id FROM units WHERE kind = 'department' AND region_code = $1 ORDER BY id",
            )
            .bind(region_code)
            .fetch_all(pool)
            .await?)
        })
    }
}
