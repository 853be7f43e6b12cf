//! The one place that decides who may do what. Everything is denied unless a rule below allows
//! it; lists are narrowed by `visibility`, which the store applies in SQL.

use domain::access::{AssignmentScope, Visibility};
use domain::hidden_dangers::DangerAction;
use domain::role::Role;
use serde::Serialize;

/// The authenticated caller, resolved from a session or a bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    /// Path of the region of the caller's unit (e.g. `220000/220100/`), if it has one.
    pub region_path: Option<String>,
    /// The enterprise of an enterprise user.
    pub enterprise_id: Option<i64>,
    /// How the caller proved who it is.
    pub credential: Credential,
    /// The account's password is a temporary one: nothing but changing it is allowed.
    pub must_change_password: bool,
}

/// How a caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A browser session; `second_factor` when a one-time code was checked at its login.
    Session { second_factor: bool },
    /// A bearer token (API clients): no second factor, no idle timeout.
    Token,
    /// Code running on the server itself: the command line, the demo loader, tests.
    Local,
}

impl Credential {
    /// Whether the credential is strong enough for the administrators' functions: a session
    /// opened with a second factor, or the server's own command line.
    pub fn is_strong(self) -> bool {
        matches!(self, Self::Local | Self::Session { second_factor: true })
    }
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    ReadEnterprises,
    /// Create an enterprise in, or move one to, the region with this path.
    CreateEnterprise {
        region_path: &'a str,
    },
    /// Edit the enterprise with this id whose region has this path.
    EditEnterprise {
        enterprise_id: i64,
        region_path: &'a str,
    },
    ImportEnterprises,
    ExportEnterprises,
    ReadRegions,
    ReadAuditLog,
    /// See the list of accounts (user names, units, roles, lock state; no business data).
    ListAccounts,
    /// Create accounts, enable and disable them, reset passwords: the system administrator.
    ManageAccounts,
    /// Grant roles, unlock accounts, issue second factors: the security administrator.
    ManageAccessRights,
    /// Import and supervise the work plan of the region with this path: set deadlines, review any
    /// report, open 回头看 rounds, reopen assignments, map unresolved unit names.
    ManageWorkPlan {
        region_path: &'a str,
    },
    /// Look units (bodies and enterprises with accounts) up by name: to give an account its unit,
    /// or to map a plan's unresolved names.
    SearchUnits,
    /// Change an enterprise's credit code or region (its own users may edit the rest).
    ChangeEnterpriseIdentity,

    // Moves on records of an enterprise the actor can see (`enterprise_visibility`, checked by
    // the caller, which answers 404 otherwise): the enterprise's own users, or the regulators and
    // inspectors of its territory.
    /// Report a hidden danger at the enterprise (the committee office too).
    ReportDanger {
        enterprise_id: i64,
    },
    /// Make a move of the hidden-danger loop on a danger of the enterprise.
    MoveDanger {
        action: DangerAction,
        enterprise_id: i64,
        /// The danger is 重大 (major): only a regulator, inspector or assigned expert accepts it.
        major: bool,
        /// The actor submitted the rectification itself (nobody accepts their own work).
        submitted_by_actor: bool,
        /// The actor is an expert assigned to verify the danger.
        assigned_expert: bool,
    },
    /// Add photos to a danger of the enterprise.
    AddDangerPhotos {
        enterprise_id: i64,
    },
    /// Put a 重大 danger under listed supervision (挂牌督办): a regulator, for its own tier.
    ListDangerSupervision,
    /// Record risk points of the enterprise.
    ManageRiskPoints {
        enterprise_id: i64,
    },
    /// Register hazard sources and sensors of the enterprise.
    ManageHazardSources {
        enterprise_id: i64,
    },
    /// Issue, list and revoke the enterprise's own telemetry ingest tokens: its own users only.
    ManageIngestTokens,
    /// Acknowledge or close an alarm (visible to the actor).
    HandleAlarm,
    /// Ask to shelve a sensor's alarms or take it into maintenance: the enterprise's own users.
    RequestSuppression {
        enterprise_id: i64,
    },
    /// Approve or refuse such a request: a regulator, never for a request of its own.
    DecideSuppression {
        requested_by_actor: bool,
    },
    /// End a window early or withdraw a request: the enterprise, or a regulator.
    EndSuppression {
        enterprise_id: i64,
    },
    /// Run a checklist at the enterprise: `self_check` by its own users, `inspection` by a
    /// regulator or inspector, `campaign` by those or by an expert assigned to the campaign.
    RunChecklist {
        kind: &'a str,
        enterprise_id: i64,
        campaign_expert: bool,
    },
    /// Read the record of a checklist run (its answers, photos, signature and PDF): its enterprise's
    /// own users, the person who ran it, and the offices, departments, regulators and inspectors of
    /// the territory the enterprise lies in (as inspections).
    ReadChecklistRun {
        enterprise_id: i64,
        ran_it: bool,
        region_path: &'a str,
    },
    /// Write a checklist of one's own unit (`owner_unit_id` none) or edit one's unit's own
    /// (`Some`): the offices and regulators that run checks and campaigns.
    ManageChecklist {
        owner_unit_id: Option<i64>,
    },
    /// See the campaigns of one's territory (and those above that cover it).
    ReadCampaigns,
    /// File the enterprise's daily safety commitment: its own users.
    FileCommitment,
    /// See which enterprises of one's territory have not filed today.
    ReadMissingCommitments,
    /// Keep the expert pool (profiles, which accounts are experts): the committee office that
    /// manages its region's plans.
    ManageExpertPool,
    /// See the expert pool of one's territory.
    ReadExpertPool,
    /// Assign an expert of one's pool to verify a danger (visible to the actor).
    AssignExpertToDanger,
    /// See an expert's services: the expert itself, or those whose pool it is in.
    ReadExpertServices {
        expert_is_actor: bool,
        in_actors_pool: bool,
    },
    /// Read the shipped checklist library: everyone but the administrators, who see no business
    /// data.
    ReadChecklists,
    /// Write telemetry as a user of one's own enterprise (gateways use ingest tokens instead).
    WriteTelemetry,
    /// See the jurisdiction, inspection plans, inspections and coverage of one's territory.
    ReadEnforcement,
    /// Set the province's jurisdiction rules, inspection frequencies, overrides and chemical
    /// parks: the provincial committee office.
    ConfigureEnforcement,
    /// Run one's own enforcement office: its annual plans and draws, its inspector pool and their
    /// declared conflicts (a regulator or department whose unit is registered as an office).
    ManageInspectionPlans {
        actor_is_office: bool,
    },
    /// Record an inspection: an inspector or regulator of the pool of the office that inspects.
    RecordInspection {
        in_office_pool: bool,
    },
    /// Read the published (公示) draws: everyone with a role but the administrators.
    ReadPublishedDraws,
    /// Read the inspections of one's own enterprise.
    ReadOwnInspections {
        enterprise_id: i64,
    },
    /// Report an accident: the enterprise's own users, or a regulator or committee office of its
    /// territory (checked by the caller); `None` for an accident outside any registered enterprise.
    ReportAccident {
        enterprise_id: Option<i64>,
    },
    /// See the accidents of one's territory and their statistics.
    ReadAccidents,
    /// Update an accident's casualties, mark it concealed: a regulator or committee office of its
    /// territory.
    ManageAccident,
    /// Approve the investigation report and its measures, assess them: the tier the level names.
    InvestigateAccident {
        actors_tier_investigates: bool,
    },
    /// Record credit events by hand and grant repairs: a regulator or committee office.
    ManageCredit,
    /// Read the published list of seriously untrustworthy enterprises.
    ReadCreditList,
    /// Read an enterprise's insurance record (its own, or one in the territory).
    ReadInsurance {
        enterprise_id: i64,
    },
    /// Record a policy or an insurer's service for an enterprise.
    ManageInsurance {
        enterprise_id: i64,
    },
    /// Read the territory's coverage: the uninsured high-risk enterprises and covers below the minimum.
    ReadInsuranceCoverage,
    /// Read and handle the tips of a region (the office or regulator of a territory containing it,
    /// or the department a tip was routed to).
    HandleTip {
        region_path: &'a str,
        routed_to_actors_unit: bool,
    },
    /// Decide, as the custodian, whether a named reporter's identity is disclosed to the handler
    /// who asked; and record a reward paid to a reporter who came with the receipt code.
    KeepTipIdentities {
        region_path: &'a str,
        actor_requested: bool,
    },
    /// See a plan's draw seed and its unannounced visits not yet made: the plan's own office and
    /// pool, and the supervising offices above it; other readers of the plan see neither.
    ReadPendingVisits {
        plan_office_member: bool,
        above_plan_region: bool,
        actor_is_office: bool,
    },
}

/// The records of the registry an actor may see.
pub fn enterprise_visibility(actor: &Actor) -> Visibility {
    if actor.must_change_password {
        return Visibility::Nothing;
    }
    match (actor.role, &actor.region_path, actor.enterprise_id) {
        (Role::CommitteeOffice | Role::Department | Role::Regulator | Role::Inspector, Some(path), _) => Visibility::RegionSubtree { path: path.clone() },
        (Role::Enterprise, _, Some(enterprise_id)) => Visibility::Enterprise { enterprise_id },
        // Experts see only what they are assigned (campaigns, verifications), administrators
        // see no business data.
        _ => Visibility::Nothing,
    }
}

fn within(actor: &Actor, region_path: &str) -> bool {
    actor.region_path.as_deref().is_some_and(|own| region_path.starts_with(own))
}

/// Whether `actor` may do `action`.
pub fn allows(actor: &Actor, action: Action<'_>) -> bool {
    use Role::*;
    if actor.must_change_password {
        return false;
    }
    match action {
        Action::ReadEnterprises => !matches!(enterprise_visibility(actor), Visibility::Nothing),
        Action::CreateEnterprise { region_path } => matches!(actor.role, CommitteeOffice | Regulator) && within(actor, region_path),
        Action::EditEnterprise { enterprise_id, region_path } => match actor.role {
            CommitteeOffice | Regulator => within(actor, region_path),
            Enterprise => actor.enterprise_id == Some(enterprise_id),
            _ => false,
        },
        Action::ImportEnterprises => matches!(actor.role, CommitteeOffice | Regulator),
        Action::ExportEnterprises => matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector),
        Action::ReadRegions => true,
        // The administrators' functions need a session opened with a second factor: a token
        // would skip it, and the idle timeout and CSRF token with it.
        Action::ReadAuditLog => actor.role == AuditAdmin && actor.credential.is_strong(),
        Action::ListAccounts => matches!(actor.role, SystemAdmin | SecurityAdmin) && actor.credential.is_strong(),
        Action::ManageAccounts => actor.role == SystemAdmin && actor.credential.is_strong(),
        Action::ManageAccessRights => actor.role == SecurityAdmin && actor.credential.is_strong(),
        Action::ManageWorkPlan { region_path } => match actor.role {
            CommitteeOffice => within(actor, region_path),
            // A city's or county's 安委办 sits in its 应急管理局: the regulator runs the plans of its
            // own tier (not those above it, nor those of the tiers below).
            Regulator => actor.region_path.as_deref() == Some(region_path),
            _ => false,
        },
        Action::SearchUnits => match actor.role {
            SystemAdmin | SecurityAdmin => actor.credential.is_strong(),
            CommitteeOffice | Regulator => true,
            _ => false,
        },
        Action::ChangeEnterpriseIdentity => matches!(actor.role, CommitteeOffice | Regulator),
        Action::ReportDanger { enterprise_id } => own_enterprise(actor, enterprise_id) || matches!(actor.role, Regulator | Inspector | CommitteeOffice),
        Action::MoveDanger { action, enterprise_id, major, submitted_by_actor, assigned_expert } => {
            let own = own_enterprise(actor, enterprise_id);
            let regulator = matches!(actor.role, Regulator | Inspector);
            match action {
                DangerAction::Confirm => regulator,
                DangerAction::Plan | DangerAction::Start | DangerAction::Submit => own || regulator,
                DangerAction::Accept | DangerAction::Reject => {
                    !submitted_by_actor && (regulator || (assigned_expert && actor.role == Expert) || (!major && own))
                }
                DangerAction::Reopen => regulator || actor.role == CommitteeOffice,
            }
        }
        Action::AddDangerPhotos { enterprise_id } | Action::ManageRiskPoints { enterprise_id } | Action::ManageHazardSources { enterprise_id } => {
            own_enterprise(actor, enterprise_id) || matches!(actor.role, Regulator | Inspector)
        }
        // A regulator lists for its own tier: the 安委办 of a city or county sits in its 应急管理局.
        Action::ListDangerSupervision => actor.role == Regulator && actor.region_path.is_some(),
        Action::ManageIngestTokens | Action::FileCommitment | Action::WriteTelemetry => actor.role == Enterprise && actor.enterprise_id.is_some(),
        Action::HandleAlarm => matches!(actor.role, Enterprise | Regulator | Inspector),
        Action::RequestSuppression { enterprise_id } => own_enterprise(actor, enterprise_id),
        Action::DecideSuppression { requested_by_actor } => actor.role == Regulator && !requested_by_actor,
        Action::EndSuppression { enterprise_id } => own_enterprise(actor, enterprise_id) || actor.role == Regulator,
        Action::RunChecklist { kind, enterprise_id, campaign_expert } => match kind {
            "self_check" => own_enterprise(actor, enterprise_id),
            "inspection" => matches!(actor.role, Regulator | Inspector),
            "campaign" => matches!(actor.role, Regulator | Inspector) || (campaign_expert && actor.role == Expert),
            _ => false,
        },
        Action::ReadChecklistRun { enterprise_id, ran_it, region_path } => {
            own_enterprise(actor, enterprise_id)
                || (ran_it && !actor.role.is_administrator())
                || (matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector)
                    && actor.region_path.as_deref().is_some_and(|own| region_path.starts_with(own)))
        }
        Action::ManageChecklist { owner_unit_id } => {
            actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Regulator) && owner_unit_id.is_none_or(|owner| owner == actor.unit_id)
        }
        Action::ReadCampaigns | Action::ReadExpertPool => actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Regulator | Inspector),
        Action::ReadMissingCommitments => matches!(actor.role, Regulator | Inspector | CommitteeOffice),
        Action::ManageExpertPool => {
            actor.role == CommitteeOffice && actor.region_path.as_deref().is_some_and(|path| allows(actor, Action::ManageWorkPlan { region_path: path }))
        }
        Action::AssignExpertToDanger => matches!(actor.role, Regulator | Inspector),
        Action::ReadExpertServices { expert_is_actor, in_actors_pool } => {
            expert_is_actor || (in_actors_pool && matches!(actor.role, CommitteeOffice | Regulator | Inspector))
        }
        Action::ReadChecklists => !actor.role.is_administrator(),
        Action::ReadEnforcement => actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector),
        Action::ConfigureEnforcement => actor.role == CommitteeOffice && actor.region_path.as_deref().is_some_and(|path| path.matches('/').count() == 1),
        Action::ManageInspectionPlans { actor_is_office } => actor_is_office && matches!(actor.role, Regulator | Department),
        Action::RecordInspection { in_office_pool } => in_office_pool && matches!(actor.role, Inspector | Regulator),
        Action::ReadPublishedDraws => !actor.role.is_administrator() && actor.role != Unassigned,
        Action::ReadOwnInspections { enterprise_id } => own_enterprise(actor, enterprise_id),
        Action::ReportAccident { enterprise_id } => {
            enterprise_id.is_some_and(|id| own_enterprise(actor, id)) || (actor.region_path.is_some() && matches!(actor.role, Regulator | CommitteeOffice))
        }
        Action::ReadAccidents => actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector),
        Action::ManageAccident | Action::ManageCredit => actor.region_path.is_some() && matches!(actor.role, Regulator | CommitteeOffice),
        Action::InvestigateAccident { actors_tier_investigates } => actors_tier_investigates && matches!(actor.role, Regulator | CommitteeOffice),
        Action::ReadCreditList => !actor.role.is_administrator() && actor.role != Unassigned,
        Action::ReadInsurance { enterprise_id } => {
            own_enterprise(actor, enterprise_id) || (actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector))
        }
        Action::ManageInsurance { enterprise_id } => {
            own_enterprise(actor, enterprise_id) || (actor.region_path.is_some() && matches!(actor.role, Regulator | CommitteeOffice))
        }
        Action::ReadInsuranceCoverage => actor.region_path.is_some() && matches!(actor.role, CommitteeOffice | Department | Regulator | Inspector),
        Action::HandleTip { region_path, routed_to_actors_unit } => match actor.role {
            CommitteeOffice | Regulator => within(actor, region_path),
            Department => routed_to_actors_unit,
            _ => false,
        },
        // The custodian is a second person: a committee office of the territory, never the one
        // who asked.
        Action::KeepTipIdentities { region_path, actor_requested } => actor.role == CommitteeOffice && within(actor, region_path) && !actor_requested,
        Action::ReadPendingVisits { plan_office_member, above_plan_region, actor_is_office } => {
            plan_office_member || (above_plan_region && (matches!(actor.role, CommitteeOffice | Regulator) || actor_is_office))
        }
    }
}

/// Whether the actor is a user of this enterprise.
fn own_enterprise(actor: &Actor, enterprise_id: i64) -> bool {
    actor.role == Role::Enterprise && actor.enterprise_id == Some(enterprise_id)
}

/// The work-plan assignments an actor may see: a committee office or regulator those of the
/// units in its territory, a department (or inspector) its own unit's, nobody else any.
pub fn assignment_scope(actor: &Actor) -> AssignmentScope {
    if actor.must_change_password {
        return AssignmentScope::Nothing;
    }
    match (actor.role, &actor.region_path) {
        (Role::CommitteeOffice | Role::Regulator, Some(path)) => AssignmentScope::RegionSubtree { path: path.clone() },
        (Role::Department | Role::Inspector, _) => AssignmentScope::Unit { unit_id: actor.unit_id },
        _ => AssignmentScope::Nothing,
    }
}

/// The unit an assignment is made to, as far as deciding who acts for it.
pub struct AssignedUnit<'a> {
    pub unit_id: i64,
    pub unit_kind: &'a str,
    pub region_code: Option<&'a str>,
}

/// Whose home a signed-in user sees first: each its own work, and 全省概况 only the province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeKind {
    /// Province-level users who see the province's enterprises.
    Province,
    /// City and county regulators, offices and governments: their own territory.
    Region,
    /// An enterprise's own status.
    Enterprise,
    /// A member department that sees no enterprises: its work-plan tasks.
    Department,
    /// An expert's assignments.
    Expert,
    /// The separated administrators' own work.
    Administrator,
}

impl HomeKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Region => "region",
            Self::Enterprise => "enterprise",
            Self::Department => "department",
            Self::Expert => "expert",
            Self::Administrator => "admin",
        }
    }
}

pub fn home_kind(actor: &Actor) -> HomeKind {
    if actor.role.is_administrator() {
        HomeKind::Administrator
    } else if actor.role == Role::Expert {
        HomeKind::Expert
    } else if matches!(enterprise_visibility(actor), Visibility::Enterprise { .. }) {
        HomeKind::Enterprise
    } else if !allows(actor, Action::ReadEnterprises) {
        HomeKind::Department
    } else if actor.region_path.as_deref().is_some_and(|path| path.trim_end_matches('/').split('/').count() == 1) {
        HomeKind::Province
    } else {
        HomeKind::Region
    }
}

/// Whether the actor works on (starts, reports) an assignment of this unit: its own unit's, or,
/// for a committee office or regulator, that of the government or office of its own region (the
/// 安委办 reports for its 人民政府).
pub fn acts_for(actor: &Actor, unit: &AssignedUnit<'_>) -> bool {
    if actor.unit_id == unit.unit_id {
        return matches!(actor.role, Role::CommitteeOffice | Role::Department | Role::Regulator);
    }
    let own_region = actor.region_path.as_deref().and_then(|p| p.trim_end_matches('/').rsplit('/').next());
    matches!(actor.role, Role::CommitteeOffice | Role::Regulator)
        && matches!(unit.unit_kind, "government" | "office")
        && own_region.is_some()
        && unit.region_code == own_region
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn actor(role: Role, region_path: Option<&str>, enterprise_id: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            username: "test".into(),
            display_name: "test".into(),
            role,
            unit_id: 1,
            unit_name: "unit".into(),
            region_path: region_path.map(str::to_owned),
            enterprise_id,
            credential: Credential::Session { second_factor: true },
            must_change_password: false,
        }
    }

    fn accept(enterprise_id: i64, major: bool, submitted_by_actor: bool, assigned_expert: bool) -> Action<'static> {
        Action::MoveDanger { action: DangerAction::Accept, enterprise_id, major, submitted_by_actor, assigned_expert }
    }

    #[test]
    fn decisions_by_role_and_scope() {
        let changchun = "220000/220100/";
        let chaoyang = "220000/220100/220104/";
        let jilin_city = "220000/220200/";
        let cases: Vec<(Actor, Action, bool)> = vec![
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::CreateEnterprise { region_path: jilin_city }, true),
            (actor(Role::Regulator, Some(changchun), None), Action::CreateEnterprise { region_path: chaoyang }, true),
            (actor(Role::Regulator, Some(changchun), None), Action::CreateEnterprise { region_path: jilin_city }, false),
            (actor(Role::Regulator, Some(chaoyang), None), Action::EditEnterprise { enterprise_id: 5, region_path: changchun }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::EditEnterprise { enterprise_id: 5, region_path: chaoyang }, false),
            (actor(Role::Department, Some("220000/"), None), Action::ImportEnterprises, false),
            (actor(Role::Enterprise, None, Some(5)), Action::EditEnterprise { enterprise_id: 5, region_path: chaoyang }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::EditEnterprise { enterprise_id: 6, region_path: chaoyang }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ExportEnterprises, false),
            (actor(Role::SystemAdmin, Some("220000/"), None), Action::ReadEnterprises, false),
            (actor(Role::SystemAdmin, Some("220000/"), None), Action::ReadAuditLog, false),
            (actor(Role::AuditAdmin, None, None), Action::ReadAuditLog, true),
            (actor(Role::AuditAdmin, None, None), Action::ReadEnterprises, false),
            (actor(Role::Expert, Some("220000/"), None), Action::ReadEnterprises, false),
            (actor(Role::SystemAdmin, None, None), Action::ManageAccounts, true),
            (actor(Role::SystemAdmin, None, None), Action::ManageAccessRights, false),
            (actor(Role::SecurityAdmin, None, None), Action::ManageAccessRights, true),
            (actor(Role::SecurityAdmin, None, None), Action::ManageAccounts, false),
            (actor(Role::SecurityAdmin, None, None), Action::ReadAuditLog, false),
            (actor(Role::AuditAdmin, None, None), Action::ListAccounts, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ListAccounts, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ManageWorkPlan { region_path: "220000/" }, true),
            (actor(Role::CommitteeOffice, Some(changchun), None), Action::ManageWorkPlan { region_path: "220000/" }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageWorkPlan { region_path: changchun }, true),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageWorkPlan { region_path: chaoyang }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageWorkPlan { region_path: "220000/" }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ManageWorkPlan { region_path: changchun }, false),
            // The modules' moves on an enterprise's records.
            (actor(Role::Enterprise, None, Some(5)), Action::ReportDanger { enterprise_id: 5 }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::ReportDanger { enterprise_id: 6 }, false),
            (actor(Role::Department, Some("220000/"), None), Action::ReportDanger { enterprise_id: 5 }, false),
            (actor(Role::Enterprise, None, Some(5)), accept(5, false, false, false), true),
            (actor(Role::Enterprise, None, Some(5)), accept(5, true, false, false), false),
            (actor(Role::Enterprise, None, Some(5)), accept(5, false, true, false), false),
            (actor(Role::Regulator, Some(changchun), None), accept(5, true, false, false), true),
            (actor(Role::Expert, Some("220000/"), None), accept(5, true, false, true), true),
            (actor(Role::Expert, Some("220000/"), None), accept(5, true, false, false), false),
            (actor(Role::Enterprise, None, Some(5)), Action::ManageRiskPoints { enterprise_id: 6 }, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ManageHazardSources { enterprise_id: 5 }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ListDangerSupervision, true),
            (actor(Role::Inspector, Some(changchun), None), Action::ListDangerSupervision, false),
            (actor(Role::Regulator, Some(changchun), None), Action::DecideSuppression { requested_by_actor: true }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::DecideSuppression { requested_by_actor: false }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::RequestSuppression { enterprise_id: 5 }, true),
            (actor(Role::Inspector, Some(changchun), None), Action::RequestSuppression { enterprise_id: 5 }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::RunChecklist { kind: "inspection", enterprise_id: 5, campaign_expert: false }, false),
            (actor(Role::Expert, None, None), Action::RunChecklist { kind: "campaign", enterprise_id: 5, campaign_expert: true }, true),
            (actor(Role::Expert, None, None), Action::RunChecklist { kind: "inspection", enterprise_id: 5, campaign_expert: true }, false),
            (actor(Role::Department, Some("220000/"), None), Action::HandleAlarm, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageChecklist { owner_unit_id: None }, true),
            (actor(Role::Inspector, Some(changchun), None), Action::ManageChecklist { owner_unit_id: None }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ManageChecklist { owner_unit_id: None }, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ManageChecklist { owner_unit_id: Some(1) }, true),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ManageChecklist { owner_unit_id: Some(2) }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: changchun }, true),
            (actor(Role::Enterprise, None, Some(6)), Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: changchun }, false),
            (actor(Role::Expert, None, None), Action::ReadChecklistRun { enterprise_id: 5, ran_it: true, region_path: changchun }, true),
            (actor(Role::Expert, None, None), Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: changchun }, false),
            (
                actor(Role::Regulator, Some(changchun), None),
                Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: "220000/220100/220102/" },
                true,
            ),
            (
                actor(Role::Regulator, Some("220000/220200/"), None),
                Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: "220000/220100/220102/" },
                false,
            ),
            (actor(Role::Department, Some("220000/"), None), Action::ReadChecklistRun { enterprise_id: 5, ran_it: false, region_path: "220000/220100/" }, true),
            (
                actor(Role::SystemAdmin, Some("220000/"), None),
                Action::ReadChecklistRun { enterprise_id: 5, ran_it: true, region_path: "220000/220100/" },
                false,
            ),
            (actor(Role::SystemAdmin, Some("220000/"), None), Action::ReadChecklists, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageExpertPool, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ManageExpertPool, true),
            (actor(Role::Regulator, Some(changchun), None), Action::ReadExpertServices { expert_is_actor: false, in_actors_pool: false }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadExpertServices { expert_is_actor: false, in_actors_pool: true }, false),
            // Enforcement.
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::ConfigureEnforcement, true),
            (actor(Role::CommitteeOffice, Some(changchun), None), Action::ConfigureEnforcement, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ConfigureEnforcement, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageInspectionPlans { actor_is_office: true }, true),
            (actor(Role::Regulator, Some(changchun), None), Action::ManageInspectionPlans { actor_is_office: false }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ManageInspectionPlans { actor_is_office: true }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::RecordInspection { in_office_pool: true }, true),
            (actor(Role::Inspector, Some(changchun), None), Action::RecordInspection { in_office_pool: false }, false),
            (actor(Role::Expert, Some("220000/"), None), Action::RecordInspection { in_office_pool: true }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadEnforcement, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadPublishedDraws, true),
            (actor(Role::AuditAdmin, None, None), Action::ReadPublishedDraws, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadOwnInspections { enterprise_id: 5 }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadOwnInspections { enterprise_id: 6 }, false),
            (
                actor(Role::Department, Some("220000/"), None),
                Action::ReadPendingVisits { plan_office_member: false, above_plan_region: true, actor_is_office: false },
                false,
            ),
            (
                actor(Role::Department, Some("220000/"), None),
                Action::ReadPendingVisits { plan_office_member: false, above_plan_region: true, actor_is_office: true },
                true,
            ),
            (
                actor(Role::Inspector, Some(changchun), None),
                Action::ReadPendingVisits { plan_office_member: false, above_plan_region: false, actor_is_office: false },
                false,
            ),
            (
                actor(Role::Inspector, Some(changchun), None),
                Action::ReadPendingVisits { plan_office_member: true, above_plan_region: false, actor_is_office: false },
                true,
            ),
            (
                actor(Role::CommitteeOffice, Some("220000/"), None),
                Action::ReadPendingVisits { plan_office_member: false, above_plan_region: true, actor_is_office: false },
                true,
            ),
            // Accidents and credit.
            (actor(Role::Enterprise, None, Some(5)), Action::ReportAccident { enterprise_id: Some(5) }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::ReportAccident { enterprise_id: Some(6) }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReportAccident { enterprise_id: None }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ReportAccident { enterprise_id: Some(5) }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::ReportAccident { enterprise_id: None }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadAccidents, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ManageAccident, false),
            (actor(Role::Regulator, Some(changchun), None), Action::InvestigateAccident { actors_tier_investigates: false }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::InvestigateAccident { actors_tier_investigates: true }, true),
            (actor(Role::Expert, None, None), Action::ReadCreditList, true),
            (actor(Role::AuditAdmin, None, None), Action::ReadCreditList, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ManageInsurance { enterprise_id: 5 }, true),
            (actor(Role::Enterprise, None, Some(5)), Action::ManageInsurance { enterprise_id: 6 }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ManageInsurance { enterprise_id: 5 }, false),
            (actor(Role::Inspector, Some(changchun), None), Action::ReadInsurance { enterprise_id: 5 }, true),
            (actor(Role::Expert, Some("220000/"), None), Action::ReadInsurance { enterprise_id: 5 }, false),
            (actor(Role::Enterprise, None, Some(5)), Action::ReadInsuranceCoverage, false),
            (actor(Role::Department, Some("220000/"), None), Action::ReadInsuranceCoverage, true),
            (actor(Role::Regulator, Some(changchun), None), Action::HandleTip { region_path: chaoyang, routed_to_actors_unit: false }, true),
            (actor(Role::Regulator, Some(changchun), None), Action::HandleTip { region_path: jilin_city, routed_to_actors_unit: false }, false),
            (actor(Role::Department, Some("220000/"), None), Action::HandleTip { region_path: chaoyang, routed_to_actors_unit: false }, false),
            (actor(Role::Department, Some("220000/"), None), Action::HandleTip { region_path: chaoyang, routed_to_actors_unit: true }, true),
            (actor(Role::Inspector, Some(changchun), None), Action::HandleTip { region_path: chaoyang, routed_to_actors_unit: false }, false),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::KeepTipIdentities { region_path: chaoyang, actor_requested: false }, true),
            (actor(Role::CommitteeOffice, Some("220000/"), None), Action::KeepTipIdentities { region_path: chaoyang, actor_requested: true }, false),
            (actor(Role::Regulator, Some(changchun), None), Action::KeepTipIdentities { region_path: chaoyang, actor_requested: false }, false),
        ];
        for (actor, action, expected) in cases {
            assert_eq!(allows(&actor, action), expected, "{:?} {:?}", actor.role, action);
        }
    }

    #[test]
    fn administrator_functions_need_a_second_factor_session() {
        let weak = [Credential::Token, Credential::Session { second_factor: false }];
        for (role, action) in [
            (Role::SystemAdmin, Action::ManageAccounts),
            (Role::SystemAdmin, Action::ListAccounts),
            (Role::SecurityAdmin, Action::ManageAccessRights),
            (Role::AuditAdmin, Action::ReadAuditLog),
        ] {
            let mut admin = actor(role, None, None);
            assert!(allows(&admin, action), "{role:?} with a second factor");
            for credential in weak {
                admin.credential = credential;
                assert!(!allows(&admin, action), "{role:?} by {credential:?}");
            }
            admin.credential = Credential::Local;
            assert!(allows(&admin, action), "{role:?} on the command line");
        }
    }

    #[test]
    fn a_temporary_password_allows_nothing_until_changed() {
        let mut office = actor(Role::CommitteeOffice, Some("220000/"), None);
        office.must_change_password = true;
        assert!(!allows(&office, Action::ReadEnterprises));
        assert!(!allows(&office, Action::ManageWorkPlan { region_path: "220000/" }));
        assert_eq!(enterprise_visibility(&office), Visibility::Nothing);
        assert_eq!(assignment_scope(&office), AssignmentScope::Nothing);
        let unassigned = actor(Role::Unassigned, Some("220000/"), None);
        assert_eq!(enterprise_visibility(&unassigned), Visibility::Nothing);
        assert_eq!(assignment_scope(&unassigned), AssignmentScope::Nothing);
        assert!(!allows(&unassigned, Action::ReadEnterprises));
    }

    #[test]
    fn who_acts_for_an_assignment() {
        let city_government = AssignedUnit { unit_id: 40, unit_kind: "government", region_code: Some("220100") };
        let department = AssignedUnit { unit_id: 7, unit_kind: "department", region_code: Some("220000") };
        let changchun = actor(Role::Regulator, Some("220000/220100/"), None);
        assert!(acts_for(&changchun, &city_government), "the city's regulator reports for the city");
        assert!(!acts_for(&actor(Role::Regulator, Some("220000/220200/"), None), &city_government));
        assert!(!acts_for(&actor(Role::Inspector, Some("220000/220100/"), None), &city_government));
        let mut yjt = actor(Role::Department, Some("220000/"), None);
        yjt.unit_id = 7;
        assert!(acts_for(&yjt, &department));
        assert!(!acts_for(&changchun, &department));
        assert_eq!(assignment_scope(&yjt), AssignmentScope::Unit { unit_id: 7 });
        assert_eq!(assignment_scope(&actor(Role::Expert, Some("220000/"), None)), AssignmentScope::Nothing);
    }

    #[test]
    fn each_role_has_its_own_home_and_only_the_province_the_overview() {
        let cases = [
            (actor(Role::CommitteeOffice, Some("220000/"), None), HomeKind::Province),
            (actor(Role::Regulator, Some("220000/220100/"), None), HomeKind::Region),
            (actor(Role::Regulator, Some("220000/220100/220104/"), None), HomeKind::Region),
            (actor(Role::Enterprise, Some("220000/220100/220104/"), Some(5)), HomeKind::Enterprise),
            (actor(Role::Expert, None, None), HomeKind::Expert),
            (actor(Role::AuditAdmin, None, None), HomeKind::Administrator),
        ];
        for (who, expected) in cases {
            assert_eq!(home_kind(&who), expected, "{:?} {:?}", who.role, who.region_path);
        }
    }
}
