//! The region tree: load a set of regions with explicit parents, read the tree, count per region.

use domain::access::Visibility;
use domain::region::{Region, RegionCode, RegionLevel};
use sqlx::FromRow;

use crate::{Result, Store, StoreError, with_pool};

#[derive(Debug, FromRow)]
struct RegionRow {
    code: String,
    name: String,
    parent_code: Option<String>,
    level: String,
    path: String,
}

impl TryFrom<RegionRow> for Region {
    type Error = StoreError;
    fn try_from(row: RegionRow) -> Result<Self> {
        let corrupt = |e: domain::region::RegionError| StoreError::Corrupt(e.to_string());
        Ok(Region {
            code: RegionCode::parse(&row.code).map_err(corrupt)?,
            name: row.name,
            parent_code: row.parent_code.as_deref().map(RegionCode::parse).transpose().map_err(corrupt)?,
            level: RegionLevel::parse(&row.level).map_err(corrupt)?,
            path: row.path,
        })
    }
}

/// A region and how many records of some kind lie in its subtree.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RegionCount {
    pub code: String,
    pub name: String,
    pub count: i64,
}

impl Store {
    /// Inserts or renames regions. `regions` must list parents before children; each region's
    /// path is its parent's path plus its own code. Returns how many rows were written.
    pub async fn upsert_regions(&self, regions: &[(RegionCode, String, Option<RegionCode>, RegionLevel)]) -> Result<usize> {
        let event = domain::audit::AuditEvent {
            actor_id: None,
            actor_name: "system".into(),
            unit_id: None,
            action: "region.load".into(),
            target: "regions".into(),
            outcome: domain::audit::Outcome::Success,
            details: format!("{{\"count\":{}}}", regions.len()),
            client: "cli".into(),
        };
        crate::in_transaction!(self, |tx| {
            let mut paths: std::collections::HashMap<String, String> = std::collections::HashMap::new();
            for (code, name, parent, level) in regions {
                let parent_path = match parent {
                    None => String::new(),
                    Some(parent) => match paths.get(parent.as_str()) {
                        Some(path) => path.clone(),
                        None => {
                            let stored: Option<String> =
                                sqlx::query_scalar("SELECT path FROM regions WHERE code = $1").bind(parent.as_str()).fetch_optional(&mut *tx).await?;
                            stored.ok_or_else(|| StoreError::Conflict(domain::message!("regions.unknown_parent", code = code, parent = parent)))?
                        }
                    },
                };
                let path = format!("{parent_path}{code}/");
                sqlx::query(
                    "INSERT INTO regions (code, name, parent_code, level, path) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, \
                     level = excluded.level, path = excluded.path",
                )
                .bind(code.as_str())
                .bind(name)
                .bind(parent.as_ref().map(RegionCode::as_str))
                .bind(level.as_str())
                .bind(&path)
                .execute(&mut *tx)
                .await?;
                paths.insert(code.as_str().to_owned(), path);
            }
            crate::audit::append_audit!(tx, &event);
            Ok(regions.len())
        })
    }

    pub async fn region(&self, code: &str) -> Result<Region> {
        with_pool!(self, |pool| {
            let row: Option<RegionRow> = sqlx::query_as("SELECT * FROM regions WHERE code = $1").bind(code).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)?.try_into()
        })
    }

    /// Every region in the subtree under `path_prefix` (all regions for ""), ordered by code.
    pub async fn regions_under(&self, path_prefix: &str) -> Result<Vec<Region>> {
        let pattern = format!("{path_prefix}%");
        with_pool!(self, |pool| {
            let rows: Vec<RegionRow> = sqlx::query_as("SELECT * FROM regions WHERE path LIKE $1 ORDER BY code").bind(&pattern).fetch_all(pool).await?;
            rows.into_iter().map(Region::try_from).collect()
        })
    }

    pub async fn region_children(&self, code: &str) -> Result<Vec<Region>> {
        with_pool!(self, |pool| {
            let rows: Vec<RegionRow> = sqlx::query_as("SELECT * FROM regions WHERE parent_code = $1 ORDER BY code").bind(code).fetch_all(pool).await?;
            rows.into_iter().map(Region::try_from).collect()
        })
    }

    /// Number of enterprises visible under `visibility` in the subtree of each child of
    /// `parent_code`.
    pub async fn enterprise_counts_by_child_region(&self, parent_code: &str, visibility: &Visibility) -> Result<Vec<RegionCount>> {
        let (everything, region_prefix, enterprise_id) = crate::visibility_params(visibility);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT c.code AS code, c.name AS name, \
                 (SELECT COUNT(*) FROM enterprises e JOIN regions r ON r.code = e.region_code WHERE r.path LIKE c.path || '%' \
                  AND ($2 OR ($3 IS NOT NULL AND r.path LIKE $3) OR ($4 IS NOT NULL AND e.id = $4))) AS count \
                 FROM regions c WHERE c.parent_code = $1 ORDER BY c.code",
            )
            .bind(parent_code)
            .bind(everything)
            .bind(region_prefix)
            .bind(enterprise_id)
            .fetch_all(pool)
            .await?)
        })
    }
}
