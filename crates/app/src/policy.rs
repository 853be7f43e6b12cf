//! The one place that decides who may do what. Everything is denied unless a rule below allows
//! it; lists are narrowed by `visibility`, which the store applies in SQL.

use domain::access::{AssignmentScope, Visibility};
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
    }
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
}
