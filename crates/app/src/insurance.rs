//! Liability insurance (安责险) as enterprises and regulators keep it: an enterprise's policies
//! with the statutory minimum checked, the premium's float from its record by the configured
//! rules, the insurers' prevention services, and for a territory the high-risk enterprises
//! without a policy in force, covers below the minimum and the coverage of each region under it.

use std::collections::BTreeMap;

use domain::audit::Outcome;
use domain::enterprises::FieldError;
use domain::insurance::{InsuranceRules, Policy, PolicyInput, PremiumFloat, PremiumRecord, ServiceKind};
use serde::{Deserialize, Serialize};
use store::{InsuranceCoverageRow, InsurancePolicyRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Most uninsured enterprises (and covers below the minimum) listed on a page; the export has all.
pub const LISTED_MAX: usize = 100;
pub const SERVICE_TEXT_MAX_CHARS: usize = 1_000;

/// A policy as shown, with the minimum of its start and whether it is in force today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub id: i64,
    pub insurer: String,
    pub policy_number: String,
    pub starts_on: String,
    pub ends_on: String,
    pub insured_persons: i64,
    pub cover_per_death_yuan: i64,
    pub premium_yuan: i64,
    pub minimum_cover_yuan: i64,
    pub below_minimum: bool,
    pub in_force: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    pub id: i64,
    pub policy_id: i64,
    pub insurer: String,
    pub served_on: String,
    pub kind: ServiceKind,
    pub provider: String,
    pub summary: String,
}

/// An enterprise's insurance record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InsuranceView {
    pub enterprise_id: i64,
    /// Whether it works in a high-risk sector, where the insurance is mandatory.
    pub mandatory: bool,
    pub insured_today: bool,
    pub policies: Vec<PolicyView>,
    /// The float its next premium takes from its record (+20 = 20 % above the base rate).
    pub premium_float: PremiumFloat,
    pub services: Vec<ServiceView>,
}

/// A prevention service as recorded.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"served_on": "2026-05-12", "kind": "hidden_danger_check", "provider": "人保财险防灾防损中心", "summary": "组织注册安全工程师开展隐患排查，发现一般隐患3项"}))]
pub struct ServiceInput {
    /// `YYYY-MM-DD`, within the policy's period and not after today.
    #[serde(default)]
    #[schema(required, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub served_on: String,
    #[serde(default)]
    #[schema(required, value_type = domain::insurance::ServiceKind)]
    pub kind: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub provider: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 1000, pattern = r"\S")]
    pub summary: String,
}

/// A region's coverage: its high-risk enterprises, those insured today, and covers below the minimum.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionInsurance {
    pub region_code: String,
    pub region_name: String,
    pub high_risk: i64,
    pub insured: i64,
    pub below_minimum: i64,
    /// insured / high_risk (1 when it has none).
    pub coverage: f64,
}

/// An enterprise of a coverage list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageEnterprise {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub credit_code: String,
    pub region_name: String,
    /// The cover of the policy in force, if any.
    pub cover_per_death_yuan: Option<i64>,
}

/// The coverage of the caller's territory today.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InsuranceCoverage {
    pub day: String,
    pub region_code: String,
    pub high_risk: i64,
    pub insured: i64,
    pub below_minimum_total: i64,
    pub uninsured_total: i64,
    /// The regions one level down.
    pub regions: Vec<RegionInsurance>,
    /// The first `LISTED_MAX` of each list.
    pub uninsured: Vec<CoverageEnterprise>,
    pub below_minimum: Vec<CoverageEnterprise>,
}

fn field(name: &'static str, message: domain::message::Message) -> FieldError {
    FieldError { field: name, message }
}

fn policy_of(row: &InsurancePolicyRow) -> Option<Policy> {
    Some(Policy {
        insurer: row.insurer.clone(),
        policy_number: row.policy_number.clone(),
        starts_on: row.starts_on.parse().ok()?,
        ends_on: row.ends_on.parse().ok()?,
        insured_persons: row.insured_persons,
        cover_per_death_yuan: row.cover_per_death_yuan,
        premium_yuan: row.premium_yuan,
    })
}

fn below_minimum(rules: &InsuranceRules, row: &InsuranceCoverageRow) -> bool {
    match (row.cover_per_death_yuan, row.starts_on.as_deref().and_then(|d| d.parse().ok())) {
        (Some(cover), Some(starts_on)) => cover < rules.minimum_cover(starts_on),
        _ => false,
    }
}

impl App {
    /// The record an enterprise's premium floats with: its accidents of the lookback, its overdue
    /// 重大 dangers and its credit grade.
    async fn premium_float(&self, enterprise_id: i64) -> Result<PremiumFloat> {
        let rules = &self.insurance_rules;
        let today = domain::time::today();
        let since = today.checked_sub(jiff::Span::new().years(rules.lookback_years)).unwrap_or(jiff::civil::Date::MIN);
        let accidents = self
            .store
            .accidents_of_enterprise(enterprise_id)
            .await?
            .into_iter()
            .filter(|a| domain::time::date_of_ms(a.occurred_at) > since)
            .map(|a| a.level)
            .collect();
        let overdue_major_dangers = self.store.overdue_major_deadlines(enterprise_id, &today.to_string()).await?.len() as i64;
        let credit_grade = self.credit_standing(enterprise_id).await?.grade;
        Ok(rules.premium_float(&PremiumRecord { accidents, overdue_major_dangers, credit_grade }))
    }

    /// The insurance record of an enterprise the caller may see.
    pub async fn insurance_record(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<InsuranceView> {
        if !policy::allows(actor, Action::ReadInsurance { enterprise_id }) {
            return Err(self.denied(actor, client, "insurance.read", format!("enterprise:{enterprise_id}")).await);
        }
        let enterprise = self.enterprise(actor, client, enterprise_id).await?;
        let today = domain::time::today();
        let rules = &self.insurance_rules;
        let policies: Vec<PolicyView> = self
            .store
            .insurance_policies(enterprise_id)
            .await?
            .iter()
            .filter_map(|row| {
                let policy = policy_of(row)?;
                Some(PolicyView {
                    id: row.id,
                    insurer: policy.insurer.clone(),
                    policy_number: policy.policy_number.clone(),
                    starts_on: row.starts_on.clone(),
                    ends_on: row.ends_on.clone(),
                    insured_persons: policy.insured_persons,
                    cover_per_death_yuan: policy.cover_per_death_yuan,
                    premium_yuan: policy.premium_yuan,
                    minimum_cover_yuan: rules.minimum_cover(policy.starts_on),
                    below_minimum: rules.below_minimum(&policy),
                    in_force: policy.covers(today),
                })
            })
            .collect();
        let services = self
            .store
            .insurance_services(enterprise_id)
            .await?
            .into_iter()
            .map(|s| ServiceView {
                id: s.id,
                policy_id: s.policy_id,
                insurer: s.insurer,
                served_on: s.served_on,
                kind: s.kind,
                provider: s.provider,
                summary: s.summary,
            })
            .collect();
        Ok(InsuranceView {
            enterprise_id,
            mandatory: !enterprise.enterprise.sectors.is_empty(),
            insured_today: policies.iter().any(|p| p.in_force),
            policies,
            premium_float: self.premium_float(enterprise_id).await?,
            services,
        })
    }

    /// The enterprise (for its own) or a regulator records a policy. Returns its id.
    pub async fn record_insurance_policy(&self, actor: &Actor, client: &Client, enterprise_id: i64, input: &PolicyInput) -> Result<i64> {
        if !policy::allows(actor, Action::ManageInsurance { enterprise_id }) {
            return Err(self.denied(actor, client, "insurance.policy", format!("enterprise:{enterprise_id}")).await);
        }
        self.enterprise(actor, client, enterprise_id).await?;
        let policy = input.parse().map_err(|problems| AppError::Invalid(problems.into_iter().map(|(name, message)| field(name, message)).collect()))?;
        let event = audit_event(
            Some(actor),
            client,
            "insurance.policy",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({
                "enterprise_id": enterprise_id,
                "insurer": policy.insurer,
                "policy_number": policy.policy_number,
                "starts_on": policy.starts_on.to_string(),
                "ends_on": policy.ends_on.to_string(),
                "cover_per_death_yuan": policy.cover_per_death_yuan,
            }),
        );
        Ok(self.store.add_insurance_policy(enterprise_id, &policy, actor.user_id, &event).await?)
    }

    /// Records a prevention service under a policy. Returns its id.
    pub async fn record_insurance_service(&self, actor: &Actor, client: &Client, policy_id: i64, input: &ServiceInput) -> Result<i64> {
        let row = match self.store.insurance_policy(policy_id).await {
            Ok(row) => row,
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(error) => return Err(error.into()),
        };
        let enterprise_id = row.enterprise_id;
        if !policy::allows(actor, Action::ManageInsurance { enterprise_id }) {
            return Err(self.denied(actor, client, "insurance.service", format!("insurance_policy:{policy_id}")).await);
        }
        self.enterprise(actor, client, enterprise_id).await?;
        let mut problems = Vec::new();
        let today = domain::time::today();
        let served_on: Option<jiff::civil::Date> = input.served_on.trim().parse().ok();
        let within = policy_of(&row).is_some_and(|policy| served_on.is_some_and(|day| policy.covers(day) && day <= today));
        if !within {
            problems.push(field("served_on", domain::message!("insurance.served_on", starts_on = row.starts_on.clone(), ends_on = row.ends_on.clone())));
        }
        let kind = ServiceKind::from_key(input.kind.trim());
        if kind.is_none() {
            problems.push(field("kind", domain::message!("insurance.service_kind")));
        }
        let provider = input.provider.trim();
        if provider.is_empty() || provider.chars().count() > domain::insurance::TEXT_MAX_CHARS {
            problems.push(field("provider", domain::message!("insurance.text", max = domain::insurance::TEXT_MAX_CHARS)));
        }
        let summary = input.summary.trim();
        if summary.is_empty() || summary.chars().count() > SERVICE_TEXT_MAX_CHARS {
            problems.push(field("summary", domain::message!("insurance.text", max = SERVICE_TEXT_MAX_CHARS)));
        }
        let (Some(served_on), Some(kind), true) = (served_on, kind, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let event = audit_event(
            Some(actor),
            client,
            "insurance.service",
            format!("insurance_policy:{policy_id}"),
            Outcome::Success,
            serde_json::json!({"served_on": served_on.to_string(), "kind": kind.key()}),
        );
        Ok(self.store.add_insurance_service(policy_id, &served_on.to_string(), kind, provider, summary, actor.user_id, &event).await?)
    }

    async fn coverage_rows(&self, actor: &Actor, client: &Client) -> Result<(String, Vec<InsuranceCoverageRow>)> {
        let Some(path) = actor.region_path.clone().filter(|_| policy::allows(actor, Action::ReadInsuranceCoverage)) else {
            return Err(self.denied(actor, client, "insurance.coverage", "insurance_coverage".into()).await);
        };
        let rows = self.store.insurance_coverage(&path, &domain::time::today().to_string()).await?;
        Ok((path, rows))
    }

    /// The coverage of the caller's territory today, by the regions one level down.
    pub async fn insurance_coverage(&self, actor: &Actor, client: &Client) -> Result<InsuranceCoverage> {
        let (path, rows) = self.coverage_rows(actor, client).await?;
        let depth = path.matches('/').count();
        let region_code = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
        let rules = &self.insurance_rules;
        let mut regions: BTreeMap<String, RegionInsurance> = BTreeMap::new();
        let (mut uninsured, mut below) = (Vec::new(), Vec::new());
        let (mut insured_total, mut uninsured_total, mut below_total) = (0, 0, 0);
        for row in &rows {
            // The region one level down: the component after the caller's own.
            let child = row.region_path.split('/').nth(depth).filter(|c| !c.is_empty()).unwrap_or(region_code.as_str()).to_owned();
            let entry = regions.entry(child.clone()).or_insert_with(|| RegionInsurance {
                region_code: child,
                region_name: String::new(),
                high_risk: 0,
                insured: 0,
                below_minimum: 0,
                coverage: 1.0,
            });
            entry.high_risk += 1;
            let listed = || CoverageEnterprise {
                enterprise_id: row.enterprise_id,
                enterprise_name: row.enterprise_name.clone(),
                credit_code: row.credit_code.clone(),
                region_name: row.region_name.clone(),
                cover_per_death_yuan: row.cover_per_death_yuan,
            };
            if row.insurer.is_some() {
                entry.insured += 1;
                insured_total += 1;
                if below_minimum(rules, row) {
                    entry.below_minimum += 1;
                    below_total += 1;
                    if below.len() < LISTED_MAX {
                        below.push(listed());
                    }
                }
            } else {
                uninsured_total += 1;
                if uninsured.len() < LISTED_MAX {
                    uninsured.push(listed());
                }
            }
        }
        for region in regions.values_mut() {
            region.region_name = self.store.region(&region.region_code).await.map(|r| r.name).unwrap_or_default();
            region.coverage = if region.high_risk == 0 { 1.0 } else { region.insured as f64 / region.high_risk as f64 };
        }
        Ok(InsuranceCoverage {
            day: domain::time::today().to_string(),
            region_code,
            high_risk: rows.len() as i64,
            insured: insured_total,
            below_minimum_total: below_total,
            uninsured_total,
            regions: regions.into_values().collect(),
            uninsured,
            below_minimum: below,
        })
    }

    /// Every high-risk enterprise of the caller's territory with its policy in force, as XLSX.
    pub async fn export_insurance_coverage(&self, actor: &Actor, client: &Client, english: bool) -> Result<Vec<u8>> {
        use crate::spreadsheet::{Column, SpreadsheetFormat};
        let (path, rows) = self.coverage_rows(actor, client).await?;
        let headers: [(&str, &str, f64); 8] = [
            ("企业名称", "Enterprise", 30.0),
            ("统一社会信用代码", "Credit code", 22.0),
            ("所在地", "Region", 14.0),
            ("承保机构", "Insurer", 26.0),
            ("保险起期", "Starts on", 12.0),
            ("保险止期", "Ends on", 12.0),
            ("每人保额(元)", "Cover per person (yuan)", 14.0),
            ("状态", "Status", 16.0),
        ];
        let columns: Vec<Column> = headers.iter().map(|(zh, en, width)| Column { heading: if english { en } else { zh }, width: *width }).collect();
        let rules = &self.insurance_rules;
        let status = |row: &InsuranceCoverageRow| match (row.insurer.is_some(), below_minimum(rules, row), english) {
            (false, _, false) => "未投保",
            (false, _, true) => "Uninsured",
            (true, true, false) => "保额低于法定最低",
            (true, true, true) => "Cover below the minimum",
            (true, false, false) => "已投保",
            (true, false, true) => "Insured",
        };
        let table = rows.iter().map(|row| {
            vec![
                row.enterprise_name.clone(),
                row.credit_code.clone(),
                row.region_name.clone(),
                row.insurer.clone().unwrap_or_default(),
                row.starts_on.clone().unwrap_or_default(),
                row.ends_on.clone().unwrap_or_default(),
                row.cover_per_death_yuan.map(|c| c.to_string()).unwrap_or_default(),
                status(row).to_owned(),
            ]
        });
        let export = crate::exports::Export {
            action: "insurance.export_coverage",
            target: format!("region_path:{path}"),
            format: SpreadsheetFormat::Xlsx,
            sheet_name: if english { "Liability insurance" } else { "安责险投保情况" },
            columns: &columns,
            details: serde_json::json!({"day": domain::time::today().to_string()}),
        };
        self.export_table(actor, client, export, table).await
    }
}
