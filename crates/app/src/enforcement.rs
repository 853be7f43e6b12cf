//! Enforcement (执法) use cases: the province's jurisdiction policy and overrides, each
//! enterprise's profile (class with reasons, the one office that supervises it) recomputed from
//! the registry, risks, hazard sources, dangers and alarms, the jurisdiction's proof of
//! completeness (nobody unassigned, nobody claimed twice), annual plans drawn by 双随机 and
//! verified from their seed, inspections recorded in the field (checklist answers and findings
//! becoming hidden dangers, photos, the enterprise's signature, penalties), coverage and its
//! export, and the published draws.

use std::collections::{BTreeMap, BTreeSet};

use domain::audit::Outcome;
use domain::credit::CreditGrade;
use domain::enforcement::{
    self as rules, Authority, Candidate, ClassFacts, DrawInput, Frequencies, InspectionKind, JurisdictionFacts, JurisdictionRule, PlanReason, PoolInspector,
    RuleDecision, SupervisionClass, Tier,
};
use domain::enterprises::{FieldError, HighRiskSector, Scale};
use domain::message::Message;
use domain::region::RegionLevel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
pub use store::{CoverageRow, EnterpriseRef, InspectionPhotoRow, InspectionPlanRow, InspectionRow, OverrideRow, PenaltyRow, PlanItemRow, ProfileRow};
use store::{NewDanger, NewInspection, NewInspectionPlan, NewPenalty, NewProfile};

use crate::checklists::ItemAnswer;
use crate::policy::{self, Action};
use crate::workplans::UploadedFile;
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Most exceptions and enterprises listed in one answer.
pub const LIST_MAX: i64 = 200;
/// Photos per inspection.
pub const INSPECTION_PHOTOS_MAX: usize = 10;
/// Findings and penalties per inspection.
pub const FINDINGS_MAX: usize = 50;
pub const PENALTIES_MAX: usize = 10;
/// Largest fine, in yuan.
pub const PENALTY_YUAN_MAX: i64 = 100_000_000;

fn field(name: &'static str, message: Message) -> FieldError {
    FieldError { field: name, message }
}

/// The policy a province starts from (the Guangdong model adapted): 一级/二级 major hazard
/// sources and coal mines by the province, construction and road transport by their sector
/// departments, chemical parks, 重点 and large enterprises by the city, the rest by the county.
pub fn default_rules() -> Vec<JurisdictionRule> {
    let rule = |priority, name: &str, tier, authority| JurisdictionRule {
        priority,
        name: name.to_owned(),
        sector: None,
        scales: Vec::new(),
        hazard_level_at_most: None,
        class: None,
        chemical_park: None,
        tier,
        authority,
    };
    vec![
        JurisdictionRule {
            hazard_level_at_most: Some(2), ..rule(10, "一级、二级重大危险源企业由省级监管", Tier::Province, Authority::Emergency)
        },
        JurisdictionRule { sector: Some(HighRiskSector::CoalMining), ..rule(20, "煤矿由省级监管", Tier::Province, Authority::Emergency) },
        JurisdictionRule {
            sector: Some(HighRiskSector::Construction), ..rule(30, "建筑施工企业由县级住建部门监管", Tier::County, Authority::Housing)
        },
        JurisdictionRule {
            sector: Some(HighRiskSector::RoadTransport), ..rule(30, "道路运输企业由县级交通运输部门监管", Tier::County, Authority::Transport)
        },
        JurisdictionRule { chemical_park: Some(true), ..rule(40, "化工园区企业由市级监管", Tier::City, Authority::Emergency) },
        JurisdictionRule { class: Some(SupervisionClass::Key), ..rule(50, "重点企业由市级监管", Tier::City, Authority::Emergency) },
        JurisdictionRule { scales: vec![Scale::Large], ..rule(60, "大型企业由市级监管", Tier::City, Authority::Emergency) },
        rule(100, "其余企业由县级监管", Tier::County, Authority::Emergency),
    ]
}

/// The province's enforcement policy: jurisdiction rules and frequencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnforcementPolicy {
    pub rules: Vec<JurisdictionRule>,
    pub frequencies: Frequencies,
}

/// Counts by tier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ByTier {
    pub province: i64,
    pub city: i64,
    pub county: i64,
}

/// The jurisdiction over a territory: every enterprise has exactly one office, or is listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JurisdictionSummary {
    pub region_code: String,
    pub region_name: String,
    pub total: i64,
    pub by_tier: ByTier,
    pub unassigned: i64,
    pub overlapping: i64,
    /// 重点 enterprises, and of those listed (inspected four times a year).
    pub key: i64,
    pub listed: i64,
    /// Enterprises without exactly one office (at most `LIST_MAX`).
    pub exceptions: Vec<JurisdictionException>,
    /// Recorded overrides in the territory.
    pub overrides: Vec<OverrideView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JurisdictionException {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_name: String,
    /// `unassigned` or `overlapping`.
    pub status: String,
    /// The rules involved.
    pub basis: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideView {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub tier: Tier,
    pub authority: Authority,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: i64,
}

/// An override as asked for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OverrideInput {
    pub enterprise_id: i64,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub reason: String,
}

/// What a plan is asked for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct InspectionPlanInput {
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i64,
    #[serde(default)]
    pub region_code: String,
}

/// One item of a plan as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanItemView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub reason: PlanReason,
    pub quarter: i64,
    pub kind: InspectionKind,
    /// Inspector user ids.
    pub inspectors: Vec<i64>,
    pub inspector_names: Vec<String>,
    pub inspection_id: Option<i64>,
    pub inspected_on: Option<String>,
}

/// A plan with its draw and items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub year: i64,
    pub region_code: String,
    pub region_name: String,
    pub tier: Tier,
    pub authority: Authority,
    pub created_by: String,
    pub created_at: i64,
    pub draw: DrawRecord,
    pub items: Vec<PlanItemView>,
}

/// A draw as recorded: enough to repeat it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawRecord {
    /// The seed, for those who may see the visits to come (and for everyone once the plan's year
    /// is over); `seed_sha256` commits to it meanwhile.
    pub seed: Option<String>,
    pub seed_sha256: String,
    pub candidates: usize,
    pub inspectors: usize,
    pub candidate_hash: String,
    pub algorithm: String,
}

/// A plan in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionPlanSummary {
    pub id: i64,
    pub year: i64,
    pub region_code: String,
    pub region_name: String,
    pub tier: Tier,
    pub authority: Authority,
    pub items: i64,
    pub done: i64,
    pub candidate_hash: String,
}

/// What re-running a stored draw found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DrawVerification {
    pub plan_id: i64,
    /// The stored candidates still hash to the recorded hash.
    pub candidates_match_hash: bool,
    /// The draw repeated from the seed gives the stored items.
    pub items_match: bool,
    pub algorithm_known: bool,
    /// The seed and hash are those the audit log recorded when the plan was drawn.
    pub audit_matches: bool,
    pub verified: bool,
}

/// A finding that is not a checklist item.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FindingInput {
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
    /// `general` or `major`.
    #[serde(default)]
    pub grade: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PenaltyInput {
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub amount_yuan: String,
    #[serde(default)]
    pub decision_number: String,
    #[serde(default)]
    pub decided_on: String,
}

/// An inspection as recorded in the field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"plan_item_id": 12, "enterprise_id": 5, "kind": "unannounced", "inspected_on": "2026-12-04", "summary": "储罐区检查", "signed_by": "孙立", "findings": [{"location": "罐区", "description": "可燃气体探测器失效", "grade": "general"}], "penalties": []}))]
pub struct InspectionInput {
    #[serde(default)]
    pub plan_item_id: Option<i64>,
    pub enterprise_id: i64,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub inspected_on: String,
    #[serde(default)]
    pub checklist_id: Option<i64>,
    #[serde(default)]
    pub answers: Vec<ItemAnswer>,
    #[serde(default)]
    pub findings: Vec<FindingInput>,
    #[serde(default)]
    pub summary: String,
    /// The enterprise's representative who signs the record, by name.
    #[serde(default)]
    pub signed_by: String,
    #[serde(default)]
    pub penalties: Vec<PenaltyInput>,
}

/// An inspection with what it found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionView {
    pub id: i64,
    pub plan_item_id: Option<i64>,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub tier: Tier,
    pub kind: InspectionKind,
    pub inspected_on: String,
    pub summary: String,
    pub inspectors: String,
    pub signed_by: String,
    pub recorded_by: String,
    /// Hidden dangers reported by this inspection.
    pub dangers: Vec<i64>,
    pub penalties: Vec<PenaltyView>,
    pub photos: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PenaltyView {
    pub legal_basis: String,
    pub amount_yuan: i64,
    pub decision_number: String,
    pub decided_on: String,
}

/// One office's quarter in the coverage report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageLine {
    pub region_code: String,
    pub region_name: String,
    pub tier: Tier,
    pub authority: Authority,
    pub quarter: i64,
    pub planned: i64,
    pub done: i64,
    /// Planned in a quarter that has ended, not done.
    pub overdue: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyCoverage {
    pub region_code: String,
    pub region_name: String,
    pub tier: String,
    pub authority: String,
    pub key: i64,
    pub key_inspected: i64,
}

/// Plan items of a city's enterprises: planned, done, and done / planned.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CityCoverage {
    pub city_code: String,
    pub city_name: String,
    pub planned: i64,
    pub done: i64,
    pub coverage: f64,
}

/// Coverage of a territory in a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub year: i64,
    pub region_code: String,
    pub lines: Vec<CoverageLine>,
    /// Planned and done by the enterprises' city, for the map.
    pub cities: Vec<CityCoverage>,
    pub key: Vec<KeyCoverage>,
    /// Enterprises inspected by more than one tier this year (should be none).
    pub several_tiers: Vec<EnterpriseRefView>,
    pub never_inspected_total: i64,
    pub never_inspected: Vec<EnterpriseRefView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseRefView {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_name: String,
}

impl From<EnterpriseRef> for EnterpriseRefView {
    fn from(row: EnterpriseRef) -> Self {
        Self { enterprise_id: row.enterprise_id, enterprise_name: row.enterprise_name, region_name: row.region_name }
    }
}

/// A published draw (公示): the draw's record and the inspections done from it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedDraw {
    pub plan: InspectionPlanSummary,
    pub draw: DrawRecord,
    pub drawn_at: i64,
    pub by_reason: BTreeMap<String, usize>,
    /// Items inspected so far (unannounced visits appear only once done).
    pub inspected: Vec<PublishedItem>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedItem {
    pub enterprise_name: String,
    pub reason: PlanReason,
    pub kind: InspectionKind,
    pub inspected_on: String,
}

/// What an enterprise sees of its inspections: those recorded, and announced visits to come.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseInspections {
    pub recorded: Vec<InspectionSummary>,
    pub announced: Vec<AnnouncedVisit>,
}

/// Inspections listed per page.
pub const INSPECTIONS_PER_PAGE: i64 = 50;

/// A page of a territory's inspections, and how many there are in all.
#[derive(Debug, Clone)]
pub struct InspectionPage {
    pub items: Vec<InspectionSummary>,
    pub total: i64,
    /// The page given (the last one when a later one was asked for), and how many there are.
    pub page: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionSummary {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub tier: Tier,
    pub kind: InspectionKind,
    pub inspected_on: String,
    pub findings: i64,
    pub signed_by: String,
}

impl From<InspectionRow> for InspectionSummary {
    fn from(row: InspectionRow) -> Self {
        Self {
            id: row.id,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            tier: row.tier,
            kind: row.kind,
            inspected_on: row.inspected_on,
            findings: row.findings,
            signed_by: row.signed_by,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnouncedVisit {
    pub quarter: i64,
    pub kind: InspectionKind,
}

/// An office's inspector pool: its members with their inspector-days and declared conflicts, and
/// the inspector accounts of its territory it could add.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoolView {
    pub region_code: String,
    pub region_name: String,
    pub authority: Authority,
    pub members: Vec<PoolMember>,
    /// Inspector accounts of the territory not in the pool (for the office).
    pub available: Vec<PoolCandidate>,
    /// Whether the caller runs the office (may change the pool).
    pub manages: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoolMember {
    pub user_id: i64,
    pub display_name: String,
    pub days_per_year: i64,
    pub conflicts: Vec<DeclaredConflict>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeclaredConflict {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoolCandidate {
    pub user_id: i64,
    pub display_name: String,
}

/// The tier of a region's level.
pub fn tier_of(level: RegionLevel) -> Tier {
    match level {
        RegionLevel::Province => Tier::Province,
        RegionLevel::City => Tier::City,
        RegionLevel::County => Tier::County,
    }
}

/// The region of an enterprise (by its region path) whose office of `tier` supervises it: the
/// ancestor at that tier, or the nearest one above where the tier has no region (an enterprise
/// registered directly under a city is supervised by the city).
fn office_region(path: &str, tier: Tier) -> Option<String> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    let depth = match tier {
        Tier::Province => 0,
        Tier::City => 1,
        Tier::County => 2,
    };
    parts.get(depth.min(parts.len().saturating_sub(1))).map(|code| (*code).to_owned())
}

fn year_of(date: &str) -> Option<i32> {
    date.get(..4)?.parse().ok()
}

fn json_or_empty<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl App {
    /// The province's policy, or the default one if none was set.
    pub async fn enforcement_policy(&self) -> Result<EnforcementPolicy> {
        match self.store.enforcement_policy().await? {
            Some((rules, frequencies)) => Ok(EnforcementPolicy {
                rules: serde_json::from_str(&rules).map_err(|e| AppError::Internal(format!("stored jurisdiction rules: {e}")))?,
                frequencies: serde_json::from_str(&frequencies).map_err(|e| AppError::Internal(format!("stored frequencies: {e}")))?,
            }),
            None => Ok(EnforcementPolicy { rules: default_rules(), frequencies: Frequencies::default() }),
        }
    }

    /// The policy, for those who read enforcement.
    pub async fn enforcement_policy_for(&self, actor: &Actor, client: &Client) -> Result<EnforcementPolicy> {
        if !policy::allows(actor, Action::ReadEnforcement) {
            return Err(self.denied(actor, client, "enforcement.policy_read", "enforcement_policy".into()).await);
        }
        self.enforcement_policy().await
    }

    /// Whether the actor may record inspections (checked before an upload is read).
    pub async fn may_record_inspections(&self, actor: &Actor, client: &Client) -> Result<()> {
        let in_office_pool = self.store.pool_entry(actor.user_id).await?.is_some();
        if !policy::allows(actor, Action::RecordInspection { in_office_pool }) {
            return Err(self.denied(actor, client, "inspection.record", "inspections".into()).await);
        }
        Ok(())
    }

    /// The provincial committee office sets the rules and frequencies; profiles follow at once.
    pub async fn set_enforcement_policy(&self, actor: &Actor, client: &Client, policy_input: &EnforcementPolicy) -> Result<()> {
        if !policy::allows(actor, Action::ConfigureEnforcement) {
            return Err(self.denied(actor, client, "enforcement.policy", "enforcement_policy".into()).await);
        }
        let mut problems: Vec<FieldError> = policy_input.frequencies.problems().into_iter().map(|(name, message)| field(name, message)).collect();
        if policy_input.rules.is_empty() || policy_input.rules.len() > 100 {
            problems.push(field("rules", domain::message!("enforcement.rules_count")));
        }
        for rule in &policy_input.rules {
            problems.extend(rule.problems().into_iter().map(|(name, message)| field(name, message)));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "enforcement.policy",
            "enforcement_policy".into(),
            Outcome::Success,
            serde_json::json!({"rules": policy_input.rules.len(), "frequencies": policy_input.frequencies}),
        );
        self.store.set_enforcement_policy(&json_or_empty(&policy_input.rules), &json_or_empty(&policy_input.frequencies), &event).await?;
        self.recompute_enforcement_profiles().await?;
        Ok(())
    }

    /// Recomputes every enterprise's class and office from the current facts, the rules and the
    /// overrides, and writes the profiles that changed; returns (enterprises, profiles changed).
    pub async fn recompute_enforcement_profiles(&self) -> Result<(usize, usize)> {
        let policy_now = self.enforcement_policy().await?;
        let today = domain::time::today();
        let alarms_since = domain::time::now_ms() - 90 * 24 * 3600 * 1000;
        let facts = self.store.enforcement_facts(&today.to_string(), alarms_since).await?;
        let mut sectors: BTreeMap<i64, BTreeSet<HighRiskSector>> = BTreeMap::new();
        for (enterprise_id, sector) in self.store.enterprise_sectors_all().await? {
            if let Some(sector) = HighRiskSector::from_key(&sector) {
                sectors.entry(enterprise_id).or_default().insert(sector);
            }
        }
        let overrides: BTreeMap<i64, OverrideRow> = self.store.jurisdiction_overrides("").await?.into_iter().map(|o| (o.enterprise_id, o)).collect();
        let stored: BTreeMap<i64, store::ProfileKey> = self.store.profile_keys().await?.into_iter().map(|p| (p.enterprise_id, p)).collect();
        // Credit listings and fatal accidents of the last year, from their modules.
        let standings = self.credit_standings_under("").await?;
        let year_ago = domain::time::now_ms() - 365 * 86_400_000;
        let mut fatal: BTreeMap<i64, u32> = BTreeMap::new();
        for accident in self.store.accidents("", year_ago, i64::MAX, 100_000).await? {
            if let (Some(enterprise_id), true) = (accident.enterprise_id, accident.deaths + accident.missing > 0) {
                *fatal.entry(enterprise_id).or_default() += 1;
            }
        }
        let mut changed = Vec::new();
        let registered: BTreeSet<i64> = facts.iter().map(|f| f.enterprise_id).collect();
        for row in &facts {
            let class = rules::classify(
                &ClassFacts {
                    major_risk_points: row.major_risk_points as u32,
                    hazard_level: row.hazard_level.map(|level| level.clamp(1, 4) as u8),
                    overdue_major_dangers: row.overdue_major_dangers as u32,
                    alarms_90_days: row.alarms_90_days.min(u32::MAX as i64) as u32,
                    fatal_accidents_last_year: fatal.get(&row.enterprise_id).copied().unwrap_or(0),
                    credit_listed: standings.get(&row.enterprise_id).is_some_and(|s| s.listed),
                    credit_untrustworthy: standings.get(&row.enterprise_id).is_some_and(|s| s.grade == CreditGrade::C),
                    // Tips join when the whistleblowing module records them.
                    verified_tips: 0,
                },
                &policy_now.frequencies,
            );
            let scale = Scale::from_key(&row.scale).ok_or_else(|| AppError::Internal(format!("enterprise {} has scale {}", row.enterprise_id, row.scale)))?;
            let facts = JurisdictionFacts {
                sectors: sectors.remove(&row.enterprise_id).unwrap_or_default(),
                scale,
                hazard_level: row.hazard_level.map(|level| level.clamp(1, 4) as u8),
                class: class.class,
                chemical_park: row.chemical_park > 0,
            };
            let (status, tier, authority, basis) = match overrides.get(&row.enterprise_id) {
                Some(found) => ("assigned", Some(found.tier), Some(found.authority), "override".to_owned()),
                None => match rules::decide(&policy_now.rules, &facts) {
                    RuleDecision::Assigned { office, rule } => ("assigned", Some(office.tier), Some(office.authority), policy_now.rules[rule].name.clone()),
                    RuleDecision::Unassigned => ("unassigned", None, None, String::new()),
                    RuleDecision::Overlapping { rules } => {
                        ("overlapping", None, None, rules.iter().map(|&i| policy_now.rules[i].name.as_str()).collect::<Vec<_>>().join(" / "))
                    }
                },
            };
            let office_region_code = tier.and_then(|tier| office_region(&row.region_path, tier));
            let status = if status == "assigned" && office_region_code.is_none() { "unassigned" } else { status };
            let profile = NewProfile {
                enterprise_id: row.enterprise_id,
                class: class.class,
                listed: class.listed,
                reasons: class.reasons.iter().map(|r| r.key()).collect::<Vec<_>>().join(","),
                status,
                tier: tier.filter(|_| status == "assigned"),
                authority: authority.filter(|_| status == "assigned"),
                office_region_code: office_region_code.filter(|_| status == "assigned"),
                basis,
                credit_grade: standings.get(&row.enterprise_id).map_or(CreditGrade::A, |s| s.grade),
            };
            let same = stored.get(&row.enterprise_id).is_some_and(|old| {
                old.class == profile.class.key()
                    && old.listed == profile.listed
                    && old.reasons == profile.reasons
                    && old.status == profile.status
                    && old.tier.as_deref() == profile.tier.map(|t| t.key())
                    && old.authority.as_deref() == profile.authority.map(|a| a.key())
                    && old.office_region_code == profile.office_region_code
                    && old.basis == profile.basis
                    && old.credit_grade == profile.credit_grade.key()
            });
            if !same {
                changed.push(profile);
            }
        }
        let removed: Vec<i64> = stored.keys().filter(|id| !registered.contains(id)).copied().collect();
        if !changed.is_empty() || !removed.is_empty() {
            self.store.write_profiles(&changed, &removed).await?;
        }
        Ok((facts.len(), changed.len()))
    }

    /// Recomputes the profiles if this process holds the job's lease (one process of several
    /// does it each period).
    pub async fn recompute_enforcement_profiles_once(&self, holder: &str, period_ms: i64) -> Result<Option<(usize, usize)>> {
        if !self.store.claim_job_lease("enforcement.profiles", holder, period_ms).await? {
            return Ok(None);
        }
        self.recompute_enforcement_profiles().await.map(Some)
    }

    /// The region a jurisdiction question is about: the one asked for within the caller's
    /// territory, or the caller's own.
    async fn territory(&self, actor: &Actor, client: &Client, region_code: Option<&str>, what: &str) -> Result<domain::region::Region> {
        let own = actor.region_path.clone().unwrap_or_default();
        if !policy::allows(actor, Action::ReadEnforcement) {
            return Err(self.denied(actor, client, what, "enforcement".into()).await);
        }
        let code = match region_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => code.to_owned(),
            None => own.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned(),
        };
        // A region outside the territory is answered like one that does not exist.
        match self.store.region(&code).await {
            Ok(region) if region.path.starts_with(&own) => Ok(region),
            _ => Err(self.denied(actor, client, what, format!("region:{code}")).await),
        }
    }

    /// The jurisdiction over the caller's territory (or a region of it).
    pub async fn jurisdiction(&self, actor: &Actor, client: &Client, region_code: Option<&str>) -> Result<JurisdictionSummary> {
        let region = self.territory(actor, client, region_code, "enforcement.jurisdiction").await?;
        let counts = self.store.jurisdiction_counts(&region.path);
        let counts = self.figures.jurisdiction_counts(self.store.changes_committed(), &region.path, async { Ok(counts.await?) }).await?;
        // The counts say whether there is any exception to list (they are kept; the list is not).
        let unsettled = counts.unassigned + counts.overlapping;
        let exceptions = if unsettled == 0 { Vec::new() } else { self.store.jurisdiction_exceptions(&region.path, LIST_MAX).await? };
        let exceptions = exceptions
            .into_iter()
            .map(|row| JurisdictionException {
                enterprise_id: row.enterprise_id,
                enterprise_name: row.enterprise_name,
                region_name: row.region_name,
                status: row.status,
                basis: row.basis,
            })
            .collect();
        let overrides = self
            .store
            .jurisdiction_overrides(&region.path)
            .await?
            .into_iter()
            .map(|row| OverrideView {
                enterprise_id: row.enterprise_id,
                enterprise_name: row.enterprise_name,
                tier: row.tier,
                authority: row.authority,
                reason: row.reason,
                decided_by: row.decided_by_name,
                decided_at: row.decided_at,
            })
            .collect();
        Ok(JurisdictionSummary {
            region_code: region.code.to_string(),
            region_name: region.name,
            total: counts.total,
            by_tier: ByTier { province: counts.province, city: counts.city, county: counts.county },
            unassigned: counts.unassigned,
            overlapping: counts.overlapping,
            key: counts.key,
            listed: counts.listed,
            exceptions,
            overrides,
        })
    }

    /// The provincial committee office settles an enterprise's office by hand, with a reason.
    pub async fn set_jurisdiction_override(&self, actor: &Actor, client: &Client, input: &OverrideInput) -> Result<()> {
        if !policy::allows(actor, Action::ConfigureEnforcement) {
            return Err(self.denied(actor, client, "enforcement.override", format!("enterprise:{}", input.enterprise_id)).await);
        }
        let mut problems = Vec::new();
        if self.enterprise(actor, client, input.enterprise_id).await.is_err() {
            problems.push(field("enterprise_id", domain::message!("enforcement.enterprise_outside_territory")));
        }
        let tier = Tier::parse(&input.tier);
        if tier.is_none() {
            problems.push(field("tier", domain::message!("enforcement.choose_tier")));
        }
        let authority = Authority::parse(&input.authority);
        if authority.is_none() {
            problems.push(field("authority", domain::message!("enforcement.choose_authority")));
        }
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            problems.push(field("reason", domain::message!("enforcement.override_reason")));
        }
        let (Some(tier), Some(authority), true) = (tier, authority, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let event = audit_event(
            Some(actor),
            client,
            "enforcement.override",
            format!("enterprise:{}", input.enterprise_id),
            Outcome::Success,
            serde_json::json!({"tier": tier.key(), "authority": authority.key(), "reason": reason}),
        );
        self.store.set_jurisdiction_override(input.enterprise_id, tier, authority, reason, actor.user_id, &event).await?;
        self.recompute_enforcement_profiles().await?;
        Ok(())
    }

    /// Every office that supervises at least one enterprise: (region code, region name,
    /// authority, enterprises), by region.
    pub async fn supervising_offices(&self) -> Result<Vec<(String, String, Authority, i64)>> {
        Ok(self.store.supervising_offices().await?)
    }

    /// The office the actor's unit acts as, if any: (region, authority, tier).
    pub async fn office_of(&self, actor: &Actor) -> Result<Option<(domain::region::Region, Authority)>> {
        match self.store.enforcement_office_of_unit(actor.unit_id).await? {
            Some((region_code, authority)) => Ok(Some((self.store.region(&region_code).await?, authority))),
            None => Ok(None),
        }
    }

    /// Whether the actor belongs to an enforcement office (runs one, or is in its pool).
    pub async fn has_enforcement_office(&self, actor: &Actor) -> Result<bool> {
        Ok(self.store.pool_entry(actor.user_id).await?.is_some() || self.office_of(actor).await?.is_some())
    }

    /// Whether the actor may run its own office's plans (for the pages' buttons).
    pub async fn may_manage_inspection_plans(&self, actor: &Actor) -> Result<bool> {
        let actor_is_office = self.office_of(actor).await?.is_some();
        Ok(policy::allows(actor, Action::ManageInspectionPlans { actor_is_office }))
    }

    /// The enterprises the actor's office supervises, 重点 first: (total, one page).
    pub async fn supervised_enterprises(&self, actor: &Actor, client: &Client, page: i64) -> Result<(i64, Vec<ProfileRow>)> {
        let office = match self.store.pool_entry(actor.user_id).await? {
            Some(entry) => Some((entry.region_code, entry.authority)),
            None => self.office_of(actor).await?.map(|(region, authority)| (region.code.to_string(), authority)),
        };
        match office {
            Some((region_code, authority)) if policy::allows(actor, Action::ReadEnforcement) => {
                Ok(self.store.supervised_profiles(&region_code, authority, LIST_MAX, (page.max(1) - 1) * LIST_MAX).await?)
            }
            _ => Err(self.denied(actor, client, "enforcement.supervised", "enforcement".into()).await),
        }
    }

    /// Draws and stores the actor's office's plan for a year: 409 if it has one.
    pub async fn create_inspection_plan(&self, actor: &Actor, client: &Client, input: &InspectionPlanInput) -> Result<i64> {
        let office = self.office_of(actor).await?;
        if !policy::allows(actor, Action::ManageInspectionPlans { actor_is_office: office.is_some() }) {
            return Err(self.denied(actor, client, "inspection_plan.create", "inspection_plans".into()).await);
        }
        let Some((region, authority)) = office else { return Err(AppError::NotFound) };
        let mut problems = Vec::new();
        let this_year = i64::from(domain::time::today().year());
        if !(this_year - 1..=this_year + 1).contains(&input.year) {
            problems.push(field("year", domain::message!("enforcement.plan_year", from = this_year - 1, to = this_year + 1)));
        }
        if input.region_code.trim() != region.code.as_str() {
            problems.push(field("region_code", domain::message!("enforcement.plan_own_region", region = region.name)));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        // A second plan for the year is refused before the work of drawing one.
        if self.store.inspection_plans(&region.path, Some(input.year)).await?.iter().any(|p| p.region_code == region.code.as_str() && p.authority == authority)
        {
            return Err(AppError::Conflict(domain::message!("enforcement.plan_exists", year = input.year)));
        }
        // The draw reads the stored profiles: they are recomputed whenever the policy, an
        // override, an accident or a credit event changes them, and every ten minutes for what
        // time alone changes (overdue dangers, alarms).
        let policy_now = self.enforcement_policy().await?;
        let tier = tier_of(region.level);
        let last: BTreeMap<i64, i32> =
            self.store.last_inspections_by_tier(tier).await?.into_iter().filter_map(|(id, date)| year_of(&date).map(|year| (id, year))).collect();
        let mut candidates = Vec::new();
        let mut page = 0;
        loop {
            let (total, rows) = self.store.supervised_profiles(region.code.as_str(), authority, 10_000, page * 10_000).await?;
            candidates.extend(rows.into_iter().map(|p| Candidate {
                enterprise_id: p.enterprise_id,
                class: p.class,
                listed: p.listed,
                last_inspected_year: last.get(&p.enterprise_id).copied(),
            }));
            page += 1;
            if candidates.len() as i64 >= total || page > 100 {
                break;
            }
        }
        candidates.sort_by_key(|c| c.enterprise_id);
        let mut conflicts: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for conflict in self.store.pool_conflicts(region.code.as_str(), authority).await? {
            conflicts.entry(conflict.user_id).or_default().insert(conflict.enterprise_id);
        }
        let inspectors: Vec<PoolInspector> = self
            .store
            .inspector_pool(region.code.as_str(), authority)
            .await?
            .into_iter()
            .map(|i| PoolInspector {
                user_id: i.user_id,
                days_per_year: i.days_per_year.clamp(0, 366) as u32,
                conflicts: conflicts.remove(&i.user_id).unwrap_or_default(),
            })
            .collect();
        let draw_input = DrawInput { year: input.year as i32, frequencies: policy_now.frequencies, candidates, inspectors };
        let seed: [u8; 32] = rand::random();
        let items = rules::draw(&seed, &draw_input).map_err(|error| match error {
            rules::DrawError::NoEligibleInspectors { .. } => AppError::Invalid(vec![field("inspectors", error.message())]),
            _ => AppError::Invalid(vec![field("capacity", error.message())]),
        })?;
        let plan = NewInspectionPlan {
            year: input.year,
            region_code: region.code.to_string(),
            tier,
            authority,
            draw_seed: hex::encode(seed),
            draw_input: json_or_empty(&draw_input),
            draw_input_hash: draw_input.hash(),
            draw_algorithm: rules::DRAW_ALGORITHM.to_owned(),
            items: items
                .iter()
                .map(|item| (item.enterprise_id, item.reason, i64::from(item.quarter), item.reason.planned_kind(), item.inspectors.clone()))
                .collect(),
        };
        let event = audit_event(
            Some(actor),
            client,
            "inspection_plan.create",
            String::new(),
            Outcome::Success,
            serde_json::json!({"year": input.year, "region": region.code.as_str(), "items": items.len(), "candidate_hash": plan.draw_input_hash, "seed": plan.draw_seed}),
        );
        Ok(self.store.create_inspection_plan(&plan, actor.user_id, &event).await?)
    }

    /// Plans of the caller's territory, optionally of one year and one office region.
    pub async fn inspection_plans(&self, actor: &Actor, client: &Client, year: Option<i64>, region_code: Option<&str>) -> Result<Vec<InspectionPlanSummary>> {
        let region = self.territory(actor, client, region_code, "inspection_plan.list").await?;
        let exact = region_code.is_some_and(|c| !c.trim().is_empty());
        Ok(self
            .store
            .inspection_plans(&region.path, year)
            .await?
            .into_iter()
            .filter(|p| !exact || p.region_code == region.code.as_str())
            .map(plan_summary)
            .collect())
    }

    async fn visible_plan(&self, actor: &Actor, client: &Client, id: i64) -> Result<InspectionPlanRow> {
        let plan = self.store.inspection_plan(id).await;
        let own = actor.region_path.clone().unwrap_or_default();
        let visible = match &plan {
            Ok(plan) => policy::allows(actor, Action::ReadEnforcement) && self.store.region(&plan.region_code).await?.path.starts_with(&own),
            Err(_) => false,
        };
        if !visible {
            return Err(self.denied(actor, client, "inspection_plan.read", format!("inspection_plan:{id}")).await);
        }
        Ok(plan?)
    }

    /// A plan with its draw and items, for its office and those above it.
    pub async fn inspection_plan(&self, actor: &Actor, client: &Client, id: i64) -> Result<PlanView> {
        let plan = self.visible_plan(actor, client, id).await?;
        let plan_region = self.store.region(&plan.region_code).await?;
        let running = self.office_of(actor).await?;
        let member = match self.store.pool_entry(actor.user_id).await? {
            Some(entry) => entry.region_code == plan.region_code && entry.authority == plan.authority,
            None => false,
        } || running.as_ref().is_some_and(|(region, authority)| region.code.as_str() == plan.region_code && *authority == plan.authority);
        let above = actor.region_path.as_deref().is_some_and(|own| plan_region.path.starts_with(own) && plan_region.path != own);
        let sees_pending =
            policy::allows(actor, Action::ReadPendingVisits { plan_office_member: member, above_plan_region: above, actor_is_office: running.is_some() });
        let names: BTreeMap<i64, String> =
            self.store.inspector_pool(&plan.region_code, plan.authority).await?.into_iter().map(|i| (i.user_id, i.display_name)).collect();
        let items = self
            .store
            .plan_items(id)
            .await?
            .into_iter()
            // An unannounced visit not yet made is known only to those who make or supervise it.
            .filter(|item| sees_pending || item.inspection_id.is_some() || item.kind != InspectionKind::Unannounced)
            .map(|item| {
                let inspectors = item.inspector_ids();
                PlanItemView {
                    id: item.id,
                    enterprise_id: item.enterprise_id,
                    enterprise_name: item.enterprise_name,
                    reason: item.reason,
                    quarter: item.quarter,
                    kind: item.kind,
                    inspector_names: inspectors.iter().map(|i| names.get(i).cloned().unwrap_or_else(|| format!("#{i}"))).collect(),
                    inspectors,
                    inspection_id: item.inspection_id,
                    inspected_on: item.inspected_on,
                }
            })
            .collect();
        Ok(PlanView {
            id: plan.id,
            year: plan.year,
            region_code: plan.region_code.clone(),
            region_name: plan.region_name.clone(),
            tier: plan.tier,
            authority: plan.authority,
            created_by: plan.created_by_name.clone(),
            created_at: plan.created_at,
            draw: draw_record(&plan, sees_pending || plan.year < i64::from(domain::time::today().year())),
            items,
        })
    }

    /// Re-runs a stored draw from its seed and candidates: the candidates must still hash to the
    /// recorded hash and the draw must give the stored items.
    pub async fn verify_draw(&self, plan_id: i64) -> Result<DrawVerification> {
        let plan = self.store.inspection_plan(plan_id).await?;
        let input: std::result::Result<DrawInput, _> = serde_json::from_str(&plan.draw_input);
        let seed: Option<[u8; 32]> = hex::decode(&plan.draw_seed).ok().and_then(|bytes| bytes.try_into().ok());
        let algorithm_known = plan.draw_algorithm == rules::DRAW_ALGORITHM;
        // The stored text itself must hash to the recorded hash (not a re-serialisation of it).
        let candidates_match_hash = hex::encode(Sha256::digest(plan.draw_input.as_bytes())) == plan.draw_input_hash;
        let items_match = match (input, seed) {
            (Ok(input), Some(seed)) => {
                let stored: Vec<(i64, PlanReason, u8, InspectionKind, Vec<i64>)> = self
                    .store
                    .plan_items(plan_id)
                    .await?
                    .into_iter()
                    .map(|i| (i.enterprise_id, i.reason, u8::try_from(i.quarter).unwrap_or(0), i.kind, i.inspector_ids()))
                    .collect();
                let drawn = rules::draw(&seed, &input)
                    .map(|items| items.into_iter().map(|i| (i.enterprise_id, i.reason, i.quarter, i.reason.planned_kind(), i.inspectors)).collect::<Vec<_>>());
                drawn.is_ok_and(|drawn| drawn == stored)
            }
            _ => false,
        };
        // The seed and the hash as the audit log recorded them when the plan was drawn, so that
        // rewriting the plan's draw together with its hash is caught too.
        let filter = store::AuditFilter {
            action_prefix: Some("inspection_plan.create".into()),
            target: Some(format!("inspection_plan:{plan_id}")),
            ..Default::default()
        };
        let recorded = self.store.audit_page(&filter, 1, 0).await?.entries.into_iter().next();
        let audit_matches = recorded.is_some_and(|entry| {
            let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap_or_default();
            details["seed"].as_str() == Some(plan.draw_seed.as_str()) && details["candidate_hash"].as_str() == Some(plan.draw_input_hash.as_str())
        });
        Ok(DrawVerification {
            plan_id,
            candidates_match_hash,
            items_match,
            algorithm_known,
            audit_matches,
            verified: candidates_match_hash && items_match && algorithm_known && audit_matches,
        })
    }

    /// The office the actor inspects for (its pool's), if it may record an inspection of this
    /// enterprise: its office supervises it, or the visit is a joint one in its territory; and
    /// whether the office supervises it (only the supervising office decides penalties).
    async fn inspecting_office(&self, actor: &Actor, enterprise_id: i64, kind: InspectionKind) -> Result<Option<(domain::region::Region, Authority, bool)>> {
        let Some(entry) = self.store.pool_entry(actor.user_id).await? else { return Ok(None) };
        let region = self.store.region(&entry.region_code).await?;
        let supervises = match self.store.profile(enterprise_id).await {
            Ok(profile) => {
                profile.office_region_code.as_deref() == Some(entry.region_code.as_str()) && profile.authority.as_deref() == Some(entry.authority.key())
            }
            Err(_) => false,
        };
        let in_territory = self.store.enterprise(enterprise_id, &domain::access::Visibility::RegionSubtree { path: region.path.clone() }).await.is_ok();
        Ok((supervises || (kind == InspectionKind::Joint && in_territory)).then_some((region, entry.authority, supervises)))
    }

    /// Records an inspection. Failed checklist items and findings become hidden dangers of the
    /// enterprise linked to the inspection; penalties need their legal basis.
    pub async fn record_inspection(&self, actor: &Actor, client: &Client, input: &InspectionInput, photos: Vec<UploadedFile>) -> Result<(i64, Vec<i64>)> {
        let target = format!("enterprise:{}", input.enterprise_id);
        let in_pool = self.store.pool_entry(actor.user_id).await?.is_some();
        if !policy::allows(actor, Action::RecordInspection { in_office_pool: in_pool }) {
            return Err(self.denied(actor, client, "inspection.record", target).await);
        }
        let mut problems = Vec::new();
        let kind = InspectionKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(field("kind", domain::message!("enforcement.choose_kind")));
        }
        let kind = kind.unwrap_or(InspectionKind::Routine);
        let enterprise = self.enterprise(actor, client, input.enterprise_id).await.ok();
        let office = match enterprise {
            Some(_) => self.inspecting_office(actor, input.enterprise_id, kind).await?,
            None => None,
        };
        // Refusals that concern who may inspect what are audited as denials too.
        let mut refused = false;
        if enterprise.is_none() {
            problems.push(field("enterprise_id", domain::message!("enforcement.enterprise_outside_territory")));
            refused = true;
        } else if office.is_none() {
            problems.push(field("enterprise_id", domain::message!("enforcement.not_your_office")));
            refused = true;
        } else if self.store.conflict_declared(actor.user_id, input.enterprise_id).await? {
            problems.push(field("enterprise_id", domain::message!("enforcement.conflict_declared")));
            refused = true;
        }
        let today = domain::time::today();
        let inspected_on = input.inspected_on.trim().parse::<jiff::civil::Date>().ok().filter(|date| *date <= today && date.year() >= today.year() - 1);
        if inspected_on.is_none() {
            problems.push(field("inspected_on", domain::message!("enforcement.inspected_on")));
        }
        if let Some(item_id) = input.plan_item_id {
            // A plan item is closed only by one of the inspectors drawn for it, for its own
            // office, within the plan's year.
            let fits = match (self.store.plan_item(item_id).await, &office) {
                (Ok(item), Some((region, authority, _))) if item.enterprise_id == input.enterprise_id && item.inspector_ids().contains(&actor.user_id) => {
                    let plan = self.store.inspection_plan(item.plan_id).await?;
                    plan.region_code == region.code.as_str()
                        && plan.authority == *authority
                        && inspected_on.is_none_or(|date| i64::from(date.year()) == plan.year)
                }
                _ => false,
            };
            if !fits {
                problems.push(field("plan_item_id", domain::message!("enforcement.item_not_yours")));
                refused = true;
            }
        }
        if refused {
            let _ = self.denied(actor, client, "inspection.record", target.clone()).await;
        }
        let summary = input.summary.trim();
        if summary.chars().count() > 4_000 {
            problems.push(field("summary", domain::message!("enforcement.summary_too_long")));
        }
        let signed_by = input.signed_by.trim();
        if signed_by.is_empty() || signed_by.chars().count() > 50 {
            problems.push(field("signed_by", domain::message!("enforcement.signed_by")));
        }
        let deadline = |major: bool| today.checked_add(jiff::Span::new().days(if major { 90 } else { 30 })).ok().map(|d| d.to_string());
        let responsible = enterprise.as_ref().map(|e| e.enterprise.safety_manager.name.clone()).unwrap_or_default();
        let mut answers = Vec::new();
        if let Some(checklist_id) = input.checklist_id {
            match self.checklist_with_items(checklist_id).await {
                Ok((checklist, items)) => {
                    for item in &items {
                        let Some(answer) = input.answers.iter().find(|a| a.item_id == item.id) else {
                            problems.push(field("answers", domain::message!("checklists.item_has_no_answer", code = item.code)));
                            continue;
                        };
                        let note: String = answer.note.trim().chars().take(1_000).collect();
                        let danger = (!answer.passed).then(|| NewDanger {
                            enterprise_id: input.enterprise_id,
                            location: checklist.name.chars().take(100).collect(),
                            description: if note.is_empty() { item.item.clone() } else { format!("{}({note})", item.item) },
                            source: "inspection".into(),
                            source_ref: None,
                            grade: item.consequence.clone(),
                            deadline: deadline(item.consequence == "major"),
                            responsible_person: responsible.clone(),
                        });
                        answers.push((item.id, answer.passed, note, danger));
                    }
                    if input.answers.iter().any(|a| !items.iter().any(|i| i.id == a.item_id)) {
                        problems.push(field("answers", domain::message!("checklists.answer_names_item_not_checklist")));
                    }
                }
                Err(_) => problems.push(field("checklist_id", domain::message!("checklists.choose_checklist"))),
            }
        } else if !input.answers.is_empty() {
            problems.push(field("checklist_id", domain::message!("checklists.choose_checklist")));
        }
        if input.findings.len() > FINDINGS_MAX {
            problems.push(field("findings", domain::message!("enforcement.too_many", max = FINDINGS_MAX)));
        }
        let mut findings = Vec::new();
        for finding in input.findings.iter().take(FINDINGS_MAX) {
            let description = finding.description.trim();
            if description.is_empty() || description.chars().count() > 2_000 {
                problems.push(field("findings.description", domain::message!("enforcement.finding_description")));
            }
            let grade = match finding.grade.trim() {
                "general" | "一般" => "general",
                "major" | "重大" => "major",
                _ => {
                    problems.push(field("findings.grade", domain::message!("enforcement.finding_grade")));
                    "general"
                }
            };
            findings.push(NewDanger {
                enterprise_id: input.enterprise_id,
                location: finding.location.trim().chars().take(100).collect(),
                description: description.to_owned(),
                source: "inspection".into(),
                source_ref: None,
                grade: grade.into(),
                deadline: deadline(grade == "major"),
                responsible_person: responsible.clone(),
            });
        }
        if !input.penalties.is_empty() && office.as_ref().is_some_and(|(_, _, supervises)| !supervises) {
            problems.push(field("penalties", domain::message!("enforcement.penalty_supervising_office")));
        }
        if input.penalties.len() > PENALTIES_MAX {
            problems.push(field("penalties", domain::message!("enforcement.too_many", max = PENALTIES_MAX)));
        }
        let mut penalties = Vec::new();
        for penalty in input.penalties.iter().take(PENALTIES_MAX) {
            let legal_basis = penalty.legal_basis.trim();
            if legal_basis.is_empty() || legal_basis.chars().count() > 500 {
                problems.push(field("penalties.legal_basis", domain::message!("enforcement.legal_basis")));
            }
            let amount = penalty.amount_yuan.trim().parse::<i64>().ok().filter(|a| (0..=PENALTY_YUAN_MAX).contains(a));
            if amount.is_none() {
                problems.push(field("penalties.amount_yuan", domain::message!("enforcement.amount", max = PENALTY_YUAN_MAX)));
            }
            let number = penalty.decision_number.trim();
            if number.is_empty() || number.chars().count() > 60 {
                problems.push(field("penalties.decision_number", domain::message!("enforcement.decision_number")));
            }
            let decided_on = penalty.decided_on.trim().parse::<jiff::civil::Date>().ok().filter(|d| *d <= today).map(|d| d.to_string());
            if decided_on.is_none() {
                problems.push(field("penalties.decided_on", domain::message!("enforcement.decided_on")));
            }
            let decided_on = decided_on.unwrap_or_default();
            penalties.push(NewPenalty {
                legal_basis: legal_basis.to_owned(),
                amount_yuan: amount.unwrap_or(0),
                decision_number: number.to_owned(),
                decided_on,
            });
        }
        if photos.len() > INSPECTION_PHOTOS_MAX {
            problems.push(field("photos", domain::message!("enforcement.too_many", max = INSPECTION_PHOTOS_MAX)));
        }
        let photos = crate::hidden_dangers::checked_photos(&photos, &mut problems);
        let (Some((office_region, _, _)), Some(inspected_on), true) = (office, inspected_on, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let inspection = NewInspection {
            plan_item_id: input.plan_item_id,
            enterprise_id: input.enterprise_id,
            tier: tier_of(office_region.level),
            office_region_code: office_region.code.to_string(),
            kind,
            inspected_on: inspected_on.to_string(),
            checklist_id: input.checklist_id,
            summary: summary.to_owned(),
            inspectors: actor.display_name.clone(),
            signed_by: signed_by.to_owned(),
            answers,
            findings,
            photos,
            penalties,
        };
        let event = audit_event(
            Some(actor),
            client,
            "inspection.record",
            target,
            Outcome::Success,
            serde_json::json!({"enterprise": input.enterprise_id, "kind": kind.key(), "plan_item": input.plan_item_id, "penalties": inspection.penalties.len()}),
        );
        // The dangers found are told to the county's bureau as any reported danger is; the
        // enterprise is told what the inspection found and decided.
        let enterprise = self.store.enterprise(input.enterprise_id, &domain::access::Visibility::Everything).await?;
        let bureau = self.bureau_to_tell(enterprise.enterprise.region_code.as_str()).await?;
        let enterprise_unit = self.store.unit_of_enterprise(input.enterprise_id).await?;
        let enterprise_name = enterprise.enterprise.name.clone();
        let penalties = inspection.penalties.len();
        let posts = |inspection_id: i64, dangers: &[(i64, &NewDanger)]| {
            let mut posts: Vec<store::UnitPost> = dangers
                .iter()
                .flat_map(|(id, danger)| {
                    let grade = domain::hidden_dangers::DangerGrade::parse(&danger.grade).unwrap_or(domain::hidden_dangers::DangerGrade::General);
                    crate::hidden_dangers::reported_posts(bureau.as_ref(), *id, &enterprise_name, &danger.description, grade, actor)
                })
                .collect();
            let message =
                domain::message!("inbox.inspection_recorded", id = inspection_id, name = enterprise_name, dangers = dangers.len(), penalties = penalties);
            let urgent = penalties > 0 || dangers.iter().any(|(_, d)| d.grade == "major");
            posts.extend(enterprise_unit.iter().map(|unit| {
                crate::inbox::event_post(unit.id, &format!("inspection:{inspection_id}"), urgent, &message, format!("/inspections/{inspection_id}"), actor)
            }));
            posts
        };
        Ok(self.store.record_inspection(&inspection, actor.user_id, &event, posts).await?)
    }

    /// An inspection, for those who see its enterprise (its own users included).
    pub async fn inspection_view(&self, actor: &Actor, client: &Client, id: i64) -> Result<InspectionView> {
        let row = self.store.inspection(id).await;
        let visible = match &row {
            Ok(row) => {
                policy::allows(actor, Action::ReadOwnInspections { enterprise_id: row.enterprise_id })
                    || (policy::allows(actor, Action::ReadEnforcement) && actor.region_path.as_deref().is_some_and(|own| row.region_path.starts_with(own)))
            }
            Err(_) => false,
        };
        if !visible {
            return Err(self.denied(actor, client, "inspection.read", format!("inspection:{id}")).await);
        }
        let row = row?;
        let dangers = self.store.dangers_with_source_ref(&format!("inspection:{id}")).await?;
        let penalties = self
            .store
            .inspection_penalties(id)
            .await?
            .into_iter()
            .map(|p| PenaltyView { legal_basis: p.legal_basis, amount_yuan: p.amount_yuan, decision_number: p.decision_number, decided_on: p.decided_on })
            .collect();
        let photos = self.store.inspection_photos(id).await?.into_iter().map(|p| p.id).collect();
        Ok(InspectionView {
            id: row.id,
            plan_item_id: row.plan_item_id,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            tier: row.tier,
            kind: row.kind,
            inspected_on: row.inspected_on,
            summary: row.summary,
            inspectors: row.inspectors,
            signed_by: row.signed_by,
            recorded_by: row.recorded_by_name,
            dangers,
            penalties,
            photos,
        })
    }

    /// A photo of an inspection the caller may see: (content type, bytes).
    pub async fn inspection_photo(&self, actor: &Actor, client: &Client, photo_id: i64) -> Result<(String, Vec<u8>)> {
        let (inspection_id, content_type, bytes) = self.store.inspection_photo(photo_id).await?;
        self.inspection_view(actor, client, inspection_id).await?;
        Ok((content_type, bytes))
    }

    /// A page of the inspections of the caller's territory, newest first (an enterprise reads
    /// its own through `enterprise_inspections`).
    pub async fn inspections(&self, actor: &Actor, client: &Client, page: i64) -> Result<InspectionPage> {
        let region = self.territory(actor, client, None, "inspection.list").await?;
        let total = self.store.inspection_count(&region.path, None).await?;
        let pages = ((total + INSPECTIONS_PER_PAGE - 1) / INSPECTIONS_PER_PAGE).max(1);
        let page = page.clamp(1, pages);
        let items = self.store.inspections(&region.path, None, INSPECTIONS_PER_PAGE, (page - 1) * INSPECTIONS_PER_PAGE).await?;
        Ok(InspectionPage { items: items.into_iter().map(InspectionSummary::from).collect(), total, page, pages })
    }

    /// What an enterprise sees: its recorded inspections and its announced visits to come
    /// (unannounced ones stay hidden until recorded).
    pub async fn enterprise_inspections(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<EnterpriseInspections> {
        if !policy::allows(actor, Action::ReadOwnInspections { enterprise_id }) {
            return Err(self.denied(actor, client, "inspection.list", format!("enterprise:{enterprise_id}")).await);
        }
        let recorded = self.store.inspections("", Some(enterprise_id), LIST_MAX, 0).await?.into_iter().map(InspectionSummary::from).collect();
        let announced = self
            .store
            .announced_items_of_enterprise(enterprise_id)
            .await?
            .into_iter()
            .map(|item| AnnouncedVisit { quarter: item.quarter, kind: item.kind })
            .collect();
        Ok(EnterpriseInspections { recorded, announced })
    }

    /// The plan items of this year naming the actor, not yet inspected first.
    pub async fn my_inspection_items(&self, actor: &Actor) -> Result<Vec<PlanItemRow>> {
        let year = i64::from(domain::time::today().year());
        let mut items = self.store.items_of_inspector(actor.user_id, year).await?;
        items.sort_by_key(|i| (i.inspection_id.is_some(), i.quarter, i.position));
        Ok(items)
    }

    /// Coverage of the caller's territory (or a region of it) in a year.
    pub async fn coverage(&self, actor: &Actor, client: &Client, year: i64, region_code: Option<&str>) -> Result<Coverage> {
        let region = self.territory(actor, client, region_code, "enforcement.coverage").await?;
        let today = domain::time::today();
        let ended_quarters = match i64::from(today.year()).cmp(&year) {
            std::cmp::Ordering::Greater => 4,
            std::cmp::Ordering::Less => 0,
            std::cmp::Ordering::Equal => i64::from((today.month() - 1) / 3),
        };
        let lines = self
            .store
            .plan_coverage(&region.path, year)
            .await?
            .into_iter()
            .map(|row| CoverageLine {
                overdue: if row.quarter <= ended_quarters { row.planned - row.done } else { 0 },
                region_code: row.region_code,
                region_name: row.region_name,
                tier: row.tier,
                authority: row.authority,
                quarter: row.quarter,
                planned: row.planned,
                done: row.done,
            })
            .collect();
        let key = self
            .store
            .key_coverage(&region.path, year)
            .await?
            .into_iter()
            .map(|row| KeyCoverage {
                region_code: row.region_code,
                region_name: row.region_name,
                tier: row.tier,
                authority: row.authority,
                key: row.key,
                key_inspected: row.key_inspected,
            })
            .collect();
        let cities = self
            .store
            .city_coverage(&region.path, year)
            .await?
            .into_iter()
            .map(|row| CityCoverage {
                coverage: if row.planned == 0 { 0.0 } else { (row.done as f64 / row.planned as f64 * 1000.0).round() / 1000.0 },
                city_code: row.city_code,
                city_name: row.city_name,
                planned: row.planned,
                done: row.done,
            })
            .collect();
        let several_tiers = self.store.inspected_by_several_tiers(&region.path, year, LIST_MAX).await?.into_iter().map(Into::into).collect();
        let (never_inspected_total, never) = self.store.never_inspected(&region.path, LIST_MAX).await?;
        Ok(Coverage {
            year,
            region_code: region.code.to_string(),
            lines,
            cities,
            key,
            several_tiers,
            never_inspected_total,
            never_inspected: never.into_iter().map(Into::into).collect(),
        })
    }

    /// The coverage by office and quarter as a spreadsheet (recorded as an export).
    pub async fn export_coverage(&self, actor: &Actor, client: &Client, year: i64, region_code: Option<&str>, english: bool) -> Result<Vec<u8>> {
        use crate::spreadsheet::{Column, SpreadsheetFormat};
        let coverage = self.coverage(actor, client, year, region_code).await?;
        let headers: [(&str, &str); 8] = [
            ("监管机关所在地", "Office region"),
            ("层级", "Tier"),
            ("部门", "Authority"),
            ("季度", "Quarter"),
            ("计划", "Planned"),
            ("完成", "Done"),
            ("逾期", "Overdue"),
            ("完成率", "Done rate"),
        ];
        let columns: Vec<Column> = headers.iter().map(|(zh, en)| Column { heading: if english { en } else { zh }, width: 14.0 }).collect();
        let rows = coverage.lines.iter().map(|line| {
            vec![
                line.region_name.clone(),
                line.tier.label(english).to_owned(),
                line.authority.label(english).to_owned(),
                line.quarter.to_string(),
                line.planned.to_string(),
                line.done.to_string(),
                line.overdue.to_string(),
                if line.planned == 0 { String::new() } else { format!("{:.1}%", line.done as f64 * 100.0 / line.planned as f64) },
            ]
        });
        let export = crate::exports::Export {
            action: "enforcement.export_coverage",
            target: format!("region:{}", coverage.region_code),
            format: SpreadsheetFormat::Xlsx,
            sheet_name: if english { "Coverage" } else { "执法检查覆盖" },
            columns: &columns,
            details: serde_json::json!({"year": year}),
        };
        self.export_table(actor, client, export, rows).await
    }

    /// The published draws (公示) of a year: every plan's draw record and its inspections done.
    pub async fn published_draws(&self, actor: &Actor, client: &Client, year: i64) -> Result<Vec<PublishedDraw>> {
        if !policy::allows(actor, Action::ReadPublishedDraws) {
            return Err(self.denied(actor, client, "inspection_plan.published", "inspection_plans".into()).await);
        }
        let mut published = Vec::new();
        for plan in self.store.inspection_plans("", Some(year)).await? {
            let items = self.store.plan_items(plan.id).await?;
            let mut by_reason = BTreeMap::new();
            for item in &items {
                *by_reason.entry(item.reason.key().to_owned()).or_insert(0) += 1;
            }
            let inspected = items
                .iter()
                .filter_map(|item| {
                    item.inspected_on.clone().map(|inspected_on| PublishedItem {
                        enterprise_name: item.enterprise_name.clone(),
                        reason: item.reason,
                        kind: item.kind,
                        inspected_on,
                    })
                })
                .collect();
            let year_over = plan.year < i64::from(domain::time::today().year());
            published.push(PublishedDraw { draw: draw_record(&plan, year_over), drawn_at: plan.created_at, plan: plan_summary(plan), by_reason, inspected });
        }
        Ok(published)
    }

    /// Registers a unit as an enforcement office (demo and administration by the province).
    pub async fn register_enforcement_office(&self, actor: &Actor, client: &Client, unit_id: i64, region_code: &str, authority: Authority) -> Result<()> {
        if !policy::allows(actor, Action::ConfigureEnforcement) {
            return Err(self.denied(actor, client, "enforcement.office", format!("unit:{unit_id}")).await);
        }
        let event = audit_event(
            Some(actor),
            client,
            "enforcement.office",
            format!("unit:{unit_id}"),
            Outcome::Success,
            serde_json::json!({"region": region_code, "authority": authority.key()}),
        );
        Ok(self.store.set_enforcement_office(unit_id, region_code, authority, &event).await?)
    }

    /// The pool of the office the actor runs or belongs to.
    pub async fn inspector_pool_view(&self, actor: &Actor, client: &Client) -> Result<PoolView> {
        let running = self.office_of(actor).await?;
        let manages = policy::allows(actor, Action::ManageInspectionPlans { actor_is_office: running.is_some() });
        let office = match (manages, running) {
            (true, Some(office)) => Some(office),
            _ => match self.store.pool_entry(actor.user_id).await? {
                Some(entry) if policy::allows(actor, Action::RecordInspection { in_office_pool: true }) => {
                    Some((self.store.region(&entry.region_code).await?, entry.authority))
                }
                _ => None,
            },
        };
        let Some((region, authority)) = office else {
            return Err(self.denied(actor, client, "enforcement.pool_read", "inspector_pool".into()).await);
        };
        let mut conflicts: BTreeMap<i64, Vec<DeclaredConflict>> = BTreeMap::new();
        for conflict in self.store.pool_conflicts(region.code.as_str(), authority).await? {
            conflicts.entry(conflict.user_id).or_default().push(DeclaredConflict {
                enterprise_id: conflict.enterprise_id,
                enterprise_name: conflict.enterprise_name,
                reason: conflict.reason,
            });
        }
        let members: Vec<PoolMember> = self
            .store
            .inspector_pool(region.code.as_str(), authority)
            .await?
            .into_iter()
            .map(|m| PoolMember {
                conflicts: conflicts.remove(&m.user_id).unwrap_or_default(),
                user_id: m.user_id,
                display_name: m.display_name,
                days_per_year: m.days_per_year,
            })
            .collect();
        let available = if manages {
            self.store
                .inspectors_of_region(region.code.as_str())
                .await?
                .into_iter()
                .filter(|(id, _)| !members.iter().any(|m| m.user_id == *id))
                .map(|(user_id, display_name)| PoolCandidate { user_id, display_name })
                .collect()
        } else {
            Vec::new()
        };
        Ok(PoolView { region_code: region.code.to_string(), region_name: region.name, authority, members, available, manages })
    }

    /// The office puts an inspector of its own in its pool with a number of inspector-days.
    pub async fn set_pool_inspector(&self, actor: &Actor, client: &Client, user_id: i64, days_per_year: i64) -> Result<()> {
        let office = self.office_of(actor).await?;
        if !policy::allows(actor, Action::ManageInspectionPlans { actor_is_office: office.is_some() }) {
            return Err(self.denied(actor, client, "enforcement.pool", format!("user:{user_id}")).await);
        }
        let Some((region, authority)) = office else { return Err(AppError::NotFound) };
        let mut problems = Vec::new();
        let user = self.store.user(user_id).await.ok();
        let fits = match &user {
            Some(user) if user.role == Role::Inspector.key() => {
                let unit = self.store.unit(user.unit_id).await?;
                // An office's pool holds its own inspectors (of its own unit), not those of the
                // tiers below it or of another department.
                user.unit_id == actor.unit_id && unit.region_code.as_deref() == Some(region.code.as_str())
            }
            _ => false,
        };
        if !fits {
            problems.push(field("user_id", domain::message!("enforcement.not_inspector_of_office")));
        }
        if !(0..=250).contains(&days_per_year) {
            problems.push(field("days_per_year", domain::message!("enforcement.value_between", min = 0, max = 250)));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "enforcement.pool",
            format!("user:{user_id}"),
            Outcome::Success,
            serde_json::json!({"days_per_year": days_per_year}),
        );
        Ok(self.store.set_pool_inspector(user_id, region.code.as_str(), authority, days_per_year, &event).await?)
    }

    /// An inspector declares a conflict of interest with an enterprise; draws then pass it by.
    pub async fn declare_conflict(&self, actor: &Actor, client: &Client, enterprise_id: i64, reason: &str) -> Result<()> {
        let in_pool = self.store.pool_entry(actor.user_id).await?.is_some();
        if !policy::allows(actor, Action::RecordInspection { in_office_pool: in_pool }) {
            return Err(self.denied(actor, client, "enforcement.conflict", format!("enterprise:{enterprise_id}")).await);
        }
        let mut problems = Vec::new();
        if self.enterprise(actor, client, enterprise_id).await.is_err() {
            problems.push(field("enterprise_id", domain::message!("enforcement.enterprise_outside_territory")));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            problems.push(field("reason", domain::message!("enforcement.override_reason")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "enforcement.conflict",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({"reason": reason}),
        );
        Ok(self.store.declare_conflict(actor.user_id, enterprise_id, reason, &event).await?)
    }

    /// The penalties decided against an enterprise the caller may see (what its credit record
    /// will count).
    pub async fn enterprise_penalties(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<Vec<PenaltyRow>> {
        self.enterprise(actor, client, enterprise_id).await?;
        Ok(self.store.enterprise_penalties(enterprise_id).await?)
    }
}

use domain::role::Role;

/// How often a server recomputes the profiles (overdue dangers and alarms change with time).
pub const PROFILE_PERIOD_MS: i64 = 10 * 60 * 1000;

/// Recomputes the profiles every `PROFILE_PERIOD_MS` in one process of the cluster: each
/// process tries to take the job's lease, and only the holder runs it.
pub fn spawn_profile_schedule(app: App) {
    let holder = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(PROFILE_PERIOD_MS as u64));
        loop {
            tick.tick().await;
            match app.recompute_enforcement_profiles_once(&holder, PROFILE_PERIOD_MS - 5_000).await {
                Ok(Some((enterprises, changed))) => tracing::info!(enterprises, changed, "enforcement profiles recomputed"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "could not recompute the enforcement profiles"),
            }
        }
    });
}

fn draw_record(plan: &InspectionPlanRow, seed_shown: bool) -> DrawRecord {
    let input: Option<DrawInput> = serde_json::from_str(&plan.draw_input).ok();
    DrawRecord {
        seed: seed_shown.then(|| plan.draw_seed.clone()),
        seed_sha256: hex::encode(Sha256::digest(plan.draw_seed.as_bytes())),
        candidates: input.as_ref().map_or(0, |i| i.candidates.len()),
        inspectors: input.as_ref().map_or(0, |i| i.inspectors.len()),
        candidate_hash: plan.draw_input_hash.clone(),
        algorithm: plan.draw_algorithm.clone(),
    }
}

fn plan_summary(plan: InspectionPlanRow) -> InspectionPlanSummary {
    InspectionPlanSummary {
        id: plan.id,
        year: plan.year,
        region_code: plan.region_code,
        region_name: plan.region_name,
        tier: plan.tier,
        authority: plan.authority,
        items: plan.items,
        done: plan.done,
        candidate_hash: plan.draw_input_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_region_is_the_ancestor_at_the_tier() {
        let path = "220000/220100/220104/";
        assert_eq!(office_region(path, Tier::Province).as_deref(), Some("220000"));
        assert_eq!(office_region(path, Tier::City).as_deref(), Some("220100"));
        assert_eq!(office_region(path, Tier::County).as_deref(), Some("220104"));
        assert_eq!(office_region("220000/220100/", Tier::County).as_deref(), Some("220100"), "no county: the city supervises");
    }
}
