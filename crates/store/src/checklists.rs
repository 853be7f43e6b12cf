//! Checklists and campaigns: the checklist library, runs of a checklist at an enterprise whose
//! failed items become hidden dangers in the same transaction, campaigns with their targets,
//! and a campaign's progress by city.

use domain::audit::AuditEvent;
use sqlx::FromRow;

use crate::hidden_dangers::{insert_danger, insert_danger_photo};
use crate::{NewDanger, Result, Store, StoreError, now_ms, with_pool};

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChecklistRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub sector: String,
    pub purpose: String,
    /// The unit that wrote and keeps the checklist; none for the shipped ones.
    pub owner_unit_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChecklistItemRow {
    pub id: i64,
    pub checklist_id: i64,
    pub position: i64,
    pub code: String,
    pub item: String,
    pub basis: String,
    pub consequence: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewChecklistItem {
    pub code: String,
    pub item: String,
    pub basis: String,
    pub consequence: String,
}

/// A filled-in checklist: one result per item; the failed ones carry the danger to report.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub checklist_id: i64,
    pub enterprise_id: i64,
    pub kind: String,
    pub campaign_id: Option<i64>,
    pub results: Vec<NewRunResult>,
    pub field: FieldRecord,
}

/// One item's answer; a failed item carries the danger to report and the photos taken of it
/// (stored as the danger's photos).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRunResult {
    pub item_id: i64,
    pub passed: bool,
    pub note: String,
    pub danger: Option<NewDanger>,
    /// (file name, content type, SHA-256, bytes), as `add_danger_photos` takes them.
    pub photos: Vec<(String, String, String, Vec<u8>)>,
}

/// How a run was done in the field: the device's start and finish (epoch ms), its position, who
/// signed for the enterprise and the drawn signature (PNG) or their refusal, and the device's
/// reference for the submission (a retried submission with the same reference is recorded once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldRecord {
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// (latitude, longitude, accuracy in metres when the device gave it)
    pub position: Option<(f64, f64, Option<f64>)>,
    pub signed_by: String,
    pub signature: Option<Vec<u8>>,
    pub signature_refused: bool,
    pub client_ref: Option<String>,
}

/// A run as `record_checklist_run` left it: its id, the dangers it reported, and whether this
/// call recorded it (a retried submission finds it recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    pub run_id: i64,
    pub dangers: Vec<i64>,
    pub new: bool,
}

/// A recorded run with what the record of it shows.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChecklistRunRow {
    pub id: i64,
    pub checklist_id: i64,
    pub checklist_code: String,
    pub checklist_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_path: String,
    pub kind: String,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub run_by: i64,
    pub run_by_name: String,
    pub run_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub signed_by: String,
    pub signature: Option<Vec<u8>>,
    pub signature_refused: bool,
}

/// One item of a recorded run, with the danger a failure reported.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ChecklistResultRow {
    pub item_id: i64,
    pub code: String,
    pub item: String,
    pub consequence: String,
    pub passed: bool,
    pub note: String,
    pub danger_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub checklist_id: i64,
    pub checklist_name: String,
    pub owner_unit_id: i64,
    pub region_code: String,
    pub starts_on: String,
    pub ends_on: String,
    pub criteria: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCampaign {
    pub name: String,
    pub checklist_id: i64,
    pub owner_unit_id: i64,
    pub region_code: String,
    pub starts_on: String,
    pub ends_on: String,
    /// The target filters as JSON, for the record.
    pub criteria: String,
    pub targets: Vec<i64>,
    /// The accident the campaign answers, if it answers one.
    pub accident_id: Option<i64>,
}

/// A campaign's progress in one city: targets, targets checked, dangers found, and of those closed.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CampaignCityRow {
    pub city_code: String,
    pub city_name: String,
    pub targets: i64,
    pub checked: i64,
    pub findings: i64,
    pub closed: i64,
}

/// Writes a checklist's items by code (an item written again keeps its id and is no longer
/// retired).
macro_rules! upsert_items {
    ($tx:expr, $checklist_id:expr, $items:expr) => {
        for (position, item) in $items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO checklist_items (checklist_id, position, code, item, basis, consequence, retired) VALUES ($1, $2, $3, $4, $5, $6, FALSE) \
                 ON CONFLICT (checklist_id, code) DO UPDATE SET position = excluded.position, item = excluded.item, basis = excluded.basis, \
                 consequence = excluded.consequence, retired = FALSE",
            )
            .bind($checklist_id)
            .bind(position as i64)
            .bind(&item.code)
            .bind(&item.item)
            .bind(&item.basis)
            .bind(&item.consequence)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    /// Creates a checklist by code, or updates its name and items; returns its id.
    pub async fn upsert_checklist(&self, code: &str, name: &str, sector: &str, purpose: &str, items: &[NewChecklistItem], event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO checklists (code, name, sector, purpose) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, sector = excluded.sector, purpose = excluded.purpose RETURNING id",
            )
            .bind(code)
            .bind(name)
            .bind(sector)
            .bind(purpose)
            .fetch_one(&mut *tx)
            .await?;
            upsert_items!(tx, id, items);
            crate::audit::append_audit!(tx, event);
            Ok(id)
        })
    }

    /// Writes a unit's own checklist: a new one (`id` none) under a fresh code, or the unit's
    /// existing one with its name, purpose, sector and items replaced. Items keep their ids by
    /// code; an item no longer listed is deleted, or retired when past checks answered it (their
    /// records keep it). Returns the checklist's id.
    pub async fn save_checklist(
        &self,
        id: Option<i64>,
        owner_unit_id: i64,
        name: &str,
        sector: &str,
        purpose: &str,
        items: &[NewChecklistItem],
        event: &AuditEvent,
    ) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = match id {
                Some(id) => {
                    let updated = sqlx::query("UPDATE checklists SET name = $1, sector = $2, purpose = $3 WHERE id = $4 AND owner_unit_id = $5")
                        .bind(name)
                        .bind(sector)
                        .bind(purpose)
                        .bind(id)
                        .bind(owner_unit_id)
                        .execute(&mut *tx)
                        .await?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::NotFound);
                    }
                    id
                }
                None => {
                    let code = format!("unit{owner_unit_id}-{}", now_ms());
                    sqlx::query_scalar("INSERT INTO checklists (code, name, sector, purpose, owner_unit_id) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                        .bind(code)
                        .bind(name)
                        .bind(sector)
                        .bind(purpose)
                        .bind(owner_unit_id)
                        .fetch_one(&mut *tx)
                        .await?
                }
            };
            let existing: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, code FROM checklist_items WHERE checklist_id = $1").bind(id).fetch_all(&mut *tx).await?;
            for (item_id, _) in existing.iter().filter(|(_, code)| !items.iter().any(|i| &i.code == code)) {
                let answered: Option<i64> =
                    sqlx::query_scalar("SELECT run_id FROM checklist_results WHERE item_id = $1 LIMIT 1").bind(item_id).fetch_optional(&mut *tx).await?;
                let statement =
                    if answered.is_some() { "UPDATE checklist_items SET retired = TRUE WHERE id = $1" } else { "DELETE FROM checklist_items WHERE id = $1" };
                sqlx::query(statement).bind(item_id).execute(&mut *tx).await?;
            }
            upsert_items!(tx, id, items);
            let mut event = event.clone();
            event.target = format!("checklist:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    pub async fn checklists(&self) -> Result<Vec<ChecklistRow>> {
        with_pool!(self, |pool| Ok(sqlx::query_as("SELECT id, code, name, sector, purpose, owner_unit_id FROM checklists ORDER BY id").fetch_all(pool).await?))
    }

    pub async fn checklist(&self, id: i64) -> Result<ChecklistRow> {
        with_pool!(self, |pool| {
            let row: Option<ChecklistRow> =
                sqlx::query_as("SELECT id, code, name, sector, purpose, owner_unit_id FROM checklists WHERE id = $1").bind(id).fetch_optional(pool).await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    pub async fn checklist_items(&self, checklist_id: i64) -> Result<Vec<ChecklistItemRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT id, checklist_id, position, code, item, basis, consequence FROM checklist_items WHERE checklist_id = $1 AND NOT retired ORDER BY position",
            )
            .bind(checklist_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Records a run and its results, reporting a danger for every failed item (with its photos),
    /// all in one transaction, with the messages `posts` gives for each danger. A run whose
    /// `client_ref` the same user already recorded is not
    /// recorded again: the first one is returned (not `new`); the reference given for another
    /// enterprise, checklist or kind of check is a `Conflict`.
    pub async fn record_checklist_run(
        &self,
        run: &NewRun,
        user_id: i64,
        event: &AuditEvent,
        posts: impl Fn(i64, &NewDanger) -> Vec<crate::UnitPost>,
    ) -> Result<RecordedRun> {
        let field = &run.field;
        crate::in_transaction!(self, |tx| {
            // Checked inside the transaction: writers are serialised, so two submissions of one
            // run cannot both pass.
            if let Some(client_ref) = &field.client_ref {
                let recorded: Option<(i64, i64, i64, String)> =
                    sqlx::query_as("SELECT id, enterprise_id, checklist_id, kind FROM checklist_runs WHERE run_by = $1 AND client_ref = $2")
                        .bind(user_id)
                        .bind(client_ref)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((run_id, enterprise_id, checklist_id, kind)) = recorded {
                    // The same reference for another check is a device's mistake, not a retry.
                    if (enterprise_id, checklist_id, kind.as_str()) != (run.enterprise_id, run.checklist_id, run.kind.as_str()) {
                        return Err(StoreError::Conflict(domain::message!("checklists.client_ref_used")));
                    }
                    let dangers: Vec<i64> =
                        sqlx::query_scalar("SELECT danger_id FROM checklist_results WHERE run_id = $1 AND danger_id IS NOT NULL ORDER BY danger_id")
                            .bind(run_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    return Ok(RecordedRun { run_id, dangers, new: false });
                }
            }
            let now = now_ms();
            let run_id: i64 = sqlx::query_scalar(
                "INSERT INTO checklist_runs (checklist_id, enterprise_id, kind, campaign_id, run_by, run_at, started_at, finished_at, latitude, longitude, \
                 accuracy_m, signed_by, signature, signature_refused, client_ref) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(run.checklist_id)
            .bind(run.enterprise_id)
            .bind(&run.kind)
            .bind(run.campaign_id)
            .bind(user_id)
            .bind(now)
            .bind(field.started_at)
            .bind(field.finished_at)
            .bind(field.position.map(|p| p.0))
            .bind(field.position.map(|p| p.1))
            .bind(field.position.and_then(|p| p.2))
            .bind(&field.signed_by)
            .bind(field.signature.as_deref())
            .bind(field.signature_refused)
            .bind(field.client_ref.as_deref())
            .fetch_one(&mut *tx)
            .await?;
            let mut dangers = Vec::new();
            for result in &run.results {
                let danger_id = match (result.passed, &result.danger) {
                    (false, Some(danger)) => {
                        let id = insert_danger!(tx, danger, user_id, now);
                        for post in posts(id, danger) {
                            crate::inbox::post_to_unit!(tx, &post, now);
                        }
                        dangers.push(id);
                        for photo in &result.photos {
                            insert_danger_photo!(tx, id, photo, user_id, now, Some(run_id));
                        }
                        Some(id)
                    }
                    _ => None,
                };
                sqlx::query("INSERT INTO checklist_results (run_id, item_id, passed, note, danger_id) VALUES ($1, $2, $3, $4, $5)")
                    .bind(run_id)
                    .bind(result.item_id)
                    .bind(result.passed)
                    .bind(&result.note)
                    .bind(danger_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut event = event.clone();
            event.target = format!("checklist_run:{run_id}");
            crate::audit::append_audit!(tx, &event);
            Ok(RecordedRun { run_id, dangers, new: true })
        })
    }

    /// The photos a run took of its failed items: (danger id, photo id).
    pub async fn checklist_run_photos(&self, run_id: i64) -> Result<Vec<(i64, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as("SELECT danger_id, id FROM danger_photos WHERE checklist_run_id = $1 ORDER BY id").bind(run_id).fetch_all(pool).await?)
        })
    }

    /// A recorded run.
    pub async fn checklist_run(&self, id: i64) -> Result<ChecklistRunRow> {
        with_pool!(self, |pool| {
            let row: Option<ChecklistRunRow> = sqlx::query_as(
                "SELECT k.id, k.checklist_id, l.code AS checklist_code, l.name AS checklist_name, k.enterprise_id, e.name AS enterprise_name, \
                 r.path AS region_path, k.kind, k.campaign_id, c.name AS campaign_name, k.run_by, u.display_name AS run_by_name, k.run_at, \
                 k.started_at, k.finished_at, k.latitude, k.longitude, k.accuracy_m, k.signed_by, k.signature, k.signature_refused \
                 FROM checklist_runs k JOIN checklists l ON l.id = k.checklist_id JOIN enterprises e ON e.id = k.enterprise_id \
                 JOIN regions r ON r.code = e.region_code JOIN users u ON u.id = k.run_by LEFT JOIN campaigns c ON c.id = k.campaign_id \
                 WHERE k.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// The items of a recorded run, in the checklist's order.
    pub async fn checklist_run_results(&self, run_id: i64) -> Result<Vec<ChecklistResultRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT x.item_id, i.code, i.item, i.consequence, x.passed, x.note, x.danger_id \
                 FROM checklist_results x JOIN checklist_items i ON i.id = x.item_id WHERE x.run_id = $1 ORDER BY i.position",
            )
            .bind(run_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The runs recorded at an enterprise, newest first: (id, checklist name, kind, run at).
    pub async fn checklist_runs_of_enterprise(&self, enterprise_id: i64, limit: i64) -> Result<Vec<(i64, String, String, i64)>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT k.id, l.name, k.kind, k.run_at FROM checklist_runs k JOIN checklists l ON l.id = k.checklist_id \
                 WHERE k.enterprise_id = $1 ORDER BY k.id DESC LIMIT $2",
            )
            .bind(enterprise_id)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn create_campaign(&self, campaign: &NewCampaign, event: &AuditEvent) -> Result<i64> {
        crate::in_transaction!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO campaigns (name, checklist_id, owner_unit_id, region_code, starts_on, ends_on, criteria, created_at, accident_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&campaign.name)
            .bind(campaign.checklist_id)
            .bind(campaign.owner_unit_id)
            .bind(&campaign.region_code)
            .bind(&campaign.starts_on)
            .bind(&campaign.ends_on)
            .bind(&campaign.criteria)
            .bind(now_ms())
            .bind(campaign.accident_id)
            .fetch_one(&mut *tx)
            .await?;
            for enterprise_id in &campaign.targets {
                sqlx::query("INSERT INTO campaign_targets (campaign_id, enterprise_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(enterprise_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut event = event.clone();
            event.target = format!("campaign:{id}");
            crate::audit::append_audit!(tx, &event);
            Ok(id)
        })
    }

    /// Campaigns whose region lies in the subtree `path`, newest first.
    pub async fn campaigns_under(&self, path: &str) -> Result<Vec<CampaignRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT c.id, c.name, c.checklist_id, l.name AS checklist_name, c.owner_unit_id, c.region_code, c.starts_on, c.ends_on, c.criteria \
                 FROM campaigns c JOIN checklists l ON l.id = c.checklist_id JOIN regions r ON r.code = c.region_code \
                 WHERE r.path LIKE $1 ORDER BY c.id DESC",
            )
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn campaign(&self, id: i64) -> Result<CampaignRow> {
        with_pool!(self, |pool| {
            let row: Option<CampaignRow> = sqlx::query_as(
                "SELECT c.id, c.name, c.checklist_id, l.name AS checklist_name, c.owner_unit_id, c.region_code, c.starts_on, c.ends_on, c.criteria \
                 FROM campaigns c JOIN checklists l ON l.id = c.checklist_id WHERE c.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Whether an enterprise is a target of a campaign.
    pub async fn is_campaign_target(&self, campaign_id: i64, enterprise_id: i64) -> Result<bool> {
        with_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar("SELECT enterprise_id FROM campaign_targets WHERE campaign_id = $1 AND enterprise_id = $2")
                .bind(campaign_id)
                .bind(enterprise_id)
                .fetch_optional(pool)
                .await?;
            Ok(found.is_some())
        })
    }

    /// Targets, checked targets, findings and closed findings per city (the target enterprises'
    /// cities), for the targets whose region path starts with `path`.
    pub async fn campaign_progress(&self, campaign_id: i64, path: &str) -> Result<Vec<CampaignCityRow>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT city.code AS city_code, city.name AS city_name, COUNT(DISTINCT t.enterprise_id) AS targets, \
                 COUNT(DISTINCT CASE WHEN k.id IS NOT NULL THEN t.enterprise_id END) AS checked, \
                 COUNT(DISTINCT d.id) AS findings, COUNT(DISTINCT CASE WHEN d.state = 'closed' THEN d.id END) AS closed \
                 FROM campaign_targets t JOIN enterprises e ON e.id = t.enterprise_id JOIN regions r ON r.code = e.region_code \
                 JOIN regions city ON r.path LIKE city.path || '%' AND city.level = 'city' \
                 LEFT JOIN checklist_runs k ON k.campaign_id = t.campaign_id AND k.enterprise_id = t.enterprise_id \
                 LEFT JOIN checklist_results x ON x.run_id = k.id LEFT JOIN hidden_dangers d ON d.id = x.danger_id \
                 WHERE t.campaign_id = $1 AND r.path LIKE $2 GROUP BY city.code, city.name ORDER BY city.code",
            )
            .bind(campaign_id)
            .bind(format!("{path}%"))
            .fetch_all(pool)
            .await?)
        })
    }
}
