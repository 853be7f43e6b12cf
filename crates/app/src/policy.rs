//! The one place that decides who may do what. Everything is denied unless a rule below allows
//! it; lists are narrowed by `visibility`, which the store applies in SQL.

use domain::access::Visibility;
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
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    ReadEnterprises,
    /// Create an enterprise in, or move one to, the region with this path.
    CreateEnterprise { region_path: &'a str },
    /// Edit the enterprise with this id whose region has this path.
    EditEnterprise { enterprise_id: i64, region_path: &'a str },
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
}

/// The records of the registry an actor may see.
pub fn enterprise_visibility(actor: &Actor) -> Visibility {
    match (actor.role, &actor.region_path, actor.enterprise_id) {
        (Role::CommitteeOffice | Role::Department | Role::Regulator | Role::Inspector, Some(path), _) => {
            Visibility::RegionSubtree { path: path.clone() }
        }
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
        Action::ReadAuditLog => actor.role == AuditAdmin,
        Action::ListAccounts => matches!(actor.role, SystemAdmin | SecurityAdmin),
        Action::ManageAccounts => actor.role == SystemAdmin,
        Action::ManageAccessRights => actor.role == SecurityAdmin,
    }
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
        ];
        for (actor, action, expected) in cases {
            assert_eq!(allows(&actor, action), expected, "{:?} {:?}", actor.role, action);
        }
    }
}
