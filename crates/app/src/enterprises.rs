//! Enterprise registry use cases: list, read, create, edit, import and export, each checked by
//! the policy and recorded in the audit log.

use domain::audit::Outcome;
use domain::enterprises::{Enterprise, EnterpriseInput, FieldError};
use domain::message::Message;
use domain::region::RegionLevel;
use store::{EnterpriseFilter, EnterprisePage, StoredEnterprise, UpsertOutcome};

use crate::policy::{self, Action};
use crate::spreadsheet::{self, ImportReport, RejectedRow, SpreadsheetFormat};
use crate::{Actor, App, AppError, Client, Result, audit_event};

pub const PAGE_SIZE_MAX: i64 = 200;
/// The largest export, in rows; larger sets must be narrowed by filters.
pub const EXPORT_ROWS_MAX: i64 = 100_000;

/// Filters as a caller gives them, before region codes are resolved to paths.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub query: Option<String>,
    pub region_code: Option<String>,
    pub sector: Option<String>,
    pub industry: Option<String>,
}

/// The one answer to a credit code that is registered already, wherever it is registered.
fn credit_code_taken() -> Message {
    domain::message!("enterprises.credit_code_registered_already_cannot_registered")
}

/// The sample row of the enterprise import template, complete and valid; the demo province makes
/// it the enterprise of its `enterprise` account.
pub fn sample_enterprise() -> EnterpriseInput {
    EnterpriseInput {
        credit_code: domain::CreditCode::complete("91220104MA17XK3Q0").map(|c| c.to_string()).unwrap_or_default(),
        name: "长春吉安化工有限公司".into(),
        region_code: "220104".into(),
        address: "吉林省长春市朝阳区化工园路18号".into(),
        longitude: "125.2812".into(),
        latitude: "43.8367".into(),
        industry: "C".into(),
        sectors: "危险化学品;涉氨制冷".into(),
        scale: "中型".into(),
        principal_name: "王建国".into(),
        principal_phone: "13904310018".into(),
        safety_manager_name: "李安平".into(),
        safety_manager_phone: "0431-85550018".into(),
        standardization: "二级".into(),
        licences: "安全生产许可证|(吉)WH安许证字[2023]000018|2026-08-31;危险化学品登记证|220112345|2027-03-15".into(),
        insurer: "中国人民财产保险股份有限公司吉林省分公司".into(),
        insurance_cover_yuan: "400000".into(),
        insurance_expires_on: "2027-01-31".into(),
    }
}

impl App {
    async fn store_filter(&self, query: &ListQuery) -> Result<EnterpriseFilter> {
        let region_path = match query.region_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => {
                let code = domain::RegionCode::parse(code).map_err(|e| AppError::BadRequest(e.message()))?;
                Some(
                    self.store
                        .region(code.as_str())
                        .await
                        .map_err(|error| match error {
                            // An unknown region names no place to list: like a missing record.
                            store::StoreError::NotFound => AppError::NotFound,
                            other => AppError::from(other),
                        })?
                        .path,
                )
            }
            None => None,
        };
        Ok(EnterpriseFilter {
            query: query.query.as_ref().map(|q| q.chars().take(100).collect()),
            region_path,
            sector: query.sector.clone().filter(|s| !s.is_empty()),
            industry: query.industry.clone().filter(|s| !s.is_empty()),
        })
    }

    pub async fn list_enterprises(&self, actor: &Actor, client: &Client, query: &ListQuery, page: i64, per_page: i64) -> Result<EnterprisePage> {
        if !policy::allows(actor, Action::ReadEnterprises) {
            return Err(self.denied(actor, client, "enterprise.list", "enterprises".into()).await);
        }
        let per_page = per_page.clamp(1, PAGE_SIZE_MAX);
        let page = page.max(1);
        let filter = self.store_filter(query).await?;
        let visibility = policy::enterprise_visibility(actor);
        let items = self.store.enterprise_items(&visibility, &filter, per_page, (page - 1).saturating_mul(per_page)).await?;
        // The total is kept for a few seconds (app::figures): counting is a scan of the scope.
        let count = async { Ok(self.store.enterprise_count(&visibility, &filter).await?) };
        let total = self.figures.enterprise_count(self.store.changes_committed(), &visibility, &filter, count).await?;
        Ok(EnterprisePage { items, total })
    }

    /// One enterprise; `NotFound` both when it does not exist and when it is outside the scope.
    /// One enterprise in the caller's scope. A record that exists outside the scope answers
    /// `NotFound` like a missing one, and the attempt is recorded as denied for the auditor.
    pub async fn enterprise(&self, actor: &Actor, client: &Client, id: i64) -> Result<StoredEnterprise> {
        match self.store.enterprise(id, &policy::enterprise_visibility(actor)).await {
            Err(store::StoreError::NotFound) if self.store.enterprise(id, &domain::access::Visibility::Everything).await.is_ok() => {
                Err(self.denied(actor, client, "enterprise.read", format!("enterprise:{id}")).await)
            }
            result => Ok(result?),
        }
    }

    /// Checks that the region exists and is a county-level division.
    async fn county_path(&self, enterprise: &Enterprise) -> std::result::Result<String, FieldError> {
        match self.store.region(enterprise.region_code.as_str()).await {
            Ok(region) if region.level == RegionLevel::County => Ok(region.path),
            Ok(_) => Err(FieldError {
                field: "region_code",
                message: domain::message!("enterprises.region_not_county_level_division", region_code = enterprise.region_code),
            }),
            Err(_) => {
                Err(FieldError { field: "region_code", message: domain::message!("enterprises.unknown_region_code", region_code = enterprise.region_code) })
            }
        }
    }

    pub async fn create_enterprise(&self, actor: &Actor, client: &Client, input: &EnterpriseInput) -> Result<i64> {
        let enterprise = Enterprise::from_input(input).map_err(AppError::Invalid)?;
        let path = self.county_path(&enterprise).await.map_err(|e| AppError::Invalid(vec![e]))?;
        if !policy::allows(actor, Action::CreateEnterprise { region_path: &path }) {
            let denied = self.denied(actor, client, "enterprise.create", format!("credit_code:{}", enterprise.credit_code)).await;
            // Region codes are public: one who registers enterprises is told, by field, that this
            // county is not theirs (the attempt is recorded all the same).
            let registers = actor.region_path.as_deref().is_some_and(|own| policy::allows(actor, Action::CreateEnterprise { region_path: own }));
            return Err(if registers {
                AppError::Invalid(vec![FieldError {
                    field: "region_code",
                    message: domain::message!("enterprises.region_outside_territory", region_code = enterprise.region_code),
                }])
            } else {
                denied
            });
        }
        let event = audit_event(
            Some(actor),
            client,
            "enterprise.create",
            String::new(),
            Outcome::Success,
            serde_json::json!({"credit_code": enterprise.credit_code.as_str(), "name": enterprise.name}),
        );
        match self.store.create_enterprise(&enterprise, &event).await {
            Err(store::StoreError::Conflict(_)) => {
                // Credit codes are public (国家企业信用信息公示系统), so that one is taken is no
                // secret; where it is registered is, and the answer is the same wherever that is.
                // A probe of codes outside one's territory is recorded for the auditor.
                if let Some((_, existing_path)) = self.store.enterprise_id_by_credit_code(enterprise.credit_code.as_str()).await?
                    && !policy::allows(actor, Action::CreateEnterprise { region_path: &existing_path })
                {
                    let _ = self.denied(actor, client, "enterprise.create", format!("credit_code:{}", enterprise.credit_code)).await;
                }
                Err(AppError::Invalid(vec![FieldError { field: "credit_code", message: credit_code_taken() }]))
            }
            other => other.map_err(AppError::from),
        }
    }

    /// Saves an edit made to version `expected_version`. An enterprise user cannot change its
    /// own credit code or region; a regulator cannot move an enterprise out of its territory.
    pub async fn update_enterprise(&self, actor: &Actor, client: &Client, id: i64, expected_version: i64, input: &EnterpriseInput) -> Result<()> {
        let current = self.enterprise(actor, client, id).await?;
        let current_path = self.county_path(&current.enterprise).await.map_err(|e| AppError::Invalid(vec![e]))?;
        if !policy::allows(actor, Action::EditEnterprise { enterprise_id: id, region_path: &current_path }) {
            return Err(self.denied(actor, client, "enterprise.update", format!("enterprise:{id}")).await);
        }
        let enterprise = Enterprise::from_input(input).map_err(AppError::Invalid)?;
        let new_path = self.county_path(&enterprise).await.map_err(|e| AppError::Invalid(vec![e]))?;
        if !policy::allows(actor, Action::ChangeEnterpriseIdentity)
            && (enterprise.credit_code != current.enterprise.credit_code || enterprise.region_code != current.enterprise.region_code)
        {
            return Err(AppError::Invalid(vec![FieldError {
                field: "credit_code",
                message: domain::message!("enterprises.enterprise_cannot_change_credit_code_region"),
            }]));
        }
        if new_path != current_path && !policy::allows(actor, Action::CreateEnterprise { region_path: &new_path }) {
            return Err(AppError::Invalid(vec![FieldError {
                field: "region_code",
                message: domain::message!("enterprises.enterprise_cannot_moved_outside_your_territory"),
            }]));
        }
        let event = audit_event(
            Some(actor),
            client,
            "enterprise.update",
            format!("enterprise:{id}"),
            Outcome::Success,
            serde_json::json!({"version": expected_version, "before": current.enterprise.to_input(), "after": enterprise.to_input()}),
        );
        self.store.update_enterprise(id, expected_version, &enterprise, &event).await.map_err(|e| match e {
            store::StoreError::Conflict(what) if what.code == "enterprises.changed_meanwhile" => {
                AppError::Conflict(domain::message!("enterprises.someone_else_saved_record_reload_try"))
            }
            store::StoreError::Conflict(_) => {
                AppError::Invalid(vec![FieldError { field: "credit_code", message: domain::message!("enterprises.credit_code_belongs_another_enterprise") }])
            }
            other => other.into(),
        })
    }

    /// Imports a CSV or XLSX file: every good row is stored (created, or updated by credit code),
    /// every bad row is reported with its line number and reason, and a row is never half-written.
    pub async fn import_enterprises(&self, actor: &Actor, client: &Client, format: SpreadsheetFormat, bytes: &[u8]) -> Result<ImportReport> {
        if !policy::allows(actor, Action::ImportEnterprises) {
            return Err(self.denied(actor, client, "enterprise.import", "enterprises".into()).await);
        }
        let parsed = spreadsheet::read_enterprise_rows(format, bytes).map_err(AppError::BadRequest)?;
        let mut rejected: Vec<RejectedRow> = parsed.rejected;
        let mut accepted: Vec<Enterprise> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (line, input) in parsed.rows {
            let enterprise = match Enterprise::from_input(&input) {
                Ok(enterprise) => enterprise,
                Err(errors) => {
                    rejected.push(RejectedRow { line, reason: join_errors(&errors) });
                    continue;
                }
            };
            if let Some(first) = seen.get(enterprise.credit_code.as_str()) {
                rejected.push(RejectedRow { line, reason: domain::message!("enterprises.credit_code_repeats_line", first = first) });
                continue;
            }
            let path = match self.county_path(&enterprise).await {
                Ok(path) => path,
                Err(error) => {
                    rejected.push(RejectedRow { line, reason: error.named() });
                    continue;
                }
            };
            if !policy::allows(actor, Action::CreateEnterprise { region_path: &path }) {
                rejected.push(RejectedRow { line, reason: domain::message!("enterprises.outside_your_territory") });
                continue;
            }
            // An existing record elsewhere must not be taken over by an import from another territory.
            if let Some((_, existing_path)) = self.store.enterprise_id_by_credit_code(enterprise.credit_code.as_str()).await?
                && !policy::allows(actor, Action::CreateEnterprise { region_path: &existing_path })
            {
                rejected
                    .push(RejectedRow { line, reason: domain::message!("enterprises.field_problem", field = "credit_code", problem => credit_code_taken()) });
                continue;
            }
            seen.insert(enterprise.credit_code.to_string(), line);
            accepted.push(enterprise);
        }
        rejected.sort_by_key(|r| r.line);
        let event = audit_event(
            Some(actor),
            client,
            "enterprise.import",
            "enterprises".into(),
            Outcome::Success,
            serde_json::json!({"accepted": accepted.len(), "rejected": rejected.len()}),
        );
        let outcomes = if accepted.is_empty() { Vec::new() } else { self.store.upsert_enterprises(&accepted, &event).await? };
        let created = outcomes.iter().filter(|o| matches!(o, UpsertOutcome::Created(_))).count();
        Ok(ImportReport { imported: outcomes.len(), created, updated: outcomes.len() - created, rejected })
    }

    /// The enterprise with this credit code (as stored, upper case), for a gateway that names it
    /// in its topic; the gateway's own authority is the broker's ACL.
    pub async fn enterprise_id_by_credit_code(&self, credit_code: &str) -> Result<Option<i64>> {
        Ok(self.store.enterprise_id_by_credit_code(credit_code).await?.map(|(id, _)| id))
    }

    /// Writes every visible enterprise matching the query as CSV or XLSX, in English when
    /// `english`; audited.
    pub async fn export_enterprises(&self, actor: &Actor, client: &Client, query: &ListQuery, format: SpreadsheetFormat, english: bool) -> Result<Vec<u8>> {
        if !policy::allows(actor, Action::ExportEnterprises) {
            return Err(self.denied(actor, client, "enterprise.export", "enterprises".into()).await);
        }
        let filter = self.store_filter(query).await?;
        let records = self.store.enterprises_for_export(&policy::enterprise_visibility(actor), &filter, EXPORT_ROWS_MAX).await?;
        let rows: Vec<EnterpriseInput> = records.iter().map(|r| r.enterprise.to_input()).collect();
        // In the import's own columns (so that the file can come back in), then recorded as every
        // export is.
        let bytes = spreadsheet::write_enterprise_rows(format, &rows, english).map_err(AppError::Internal)?;
        let export = crate::exports::Export {
            action: "enterprise.export",
            target: "enterprises".into(),
            format,
            sheet_name: "",
            columns: &[],
            details: serde_json::json!({"query": query.query, "region": query.region_code}),
        };
        self.store.record_audit(&crate::exports::export_event(actor, client, export, rows.len())).await?;
        Ok(bytes)
    }
}

fn join_errors(errors: &[FieldError]) -> Message {
    Message::joined(errors.iter().map(FieldError::named).collect())
}

impl App {
    /// Enterprises per child region of `region_code`, counting only what the actor may see.
    pub async fn enterprise_counts_by_child_region(&self, actor: &Actor, region_code: &str) -> Result<Vec<store::RegionCount>> {
        if !policy::allows(actor, Action::ReadEnterprises) {
            return Err(AppError::NotFound);
        }
        let code = domain::RegionCode::parse(region_code).map_err(|_| AppError::NotFound)?;
        let visibility = policy::enterprise_visibility(actor);
        Ok(self.store.enterprise_counts_by_child_region(code.as_str(), &visibility).await?)
    }
}
