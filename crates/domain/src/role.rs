//! Roles a user can hold. What each role may do is decided in one place, `app::policy`; this
//! module only names them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 安委办: supervises everything in its region (province-wide for the provincial office).
    CommitteeOffice,
    /// A member department: its own tasks, read access to its region's enterprises.
    Department,
    /// A city or county regulator: its territory and everything below it.
    Regulator,
    /// An inspector (执法人员) of a regulator: reads and inspects in the regulator's territory.
    Inspector,
    /// A user of one enterprise: that enterprise only.
    Enterprise,
    /// An expert: only what it is assigned.
    Expert,
    /// System administrator: accounts, no business data, no audit log.
    SystemAdmin,
    /// Security administrator: policies, lockouts, role grants.
    SecurityAdmin,
    /// Audit administrator: reads the audit log only.
    AuditAdmin,
    /// An account the system administrator created and the security administrator has not yet
    /// granted a role (三权分立): it may log in and change its password, and sees nothing else.
    Unassigned,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Self::CommitteeOffice,
        Self::Department,
        Self::Regulator,
        Self::Inspector,
        Self::Enterprise,
        Self::Expert,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
        Self::Unassigned,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::CommitteeOffice => "committee_office",
            Self::Department => "department",
            Self::Regulator => "regulator",
            Self::Inspector => "inspector",
            Self::Enterprise => "enterprise",
            Self::Expert => "expert",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
            Self::Unassigned => "unassigned",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.key() == key)
    }

    /// Whether a user of a unit of this kind may hold the role: enterprise users belong to an
    /// enterprise, experts to a panel, administrators to the platform's administration, and
    /// government roles to government bodies.
    pub fn fits_unit(self, kind: crate::unit::UnitKind) -> bool {
        use crate::unit::UnitKind;
        match self {
            Self::CommitteeOffice => kind == UnitKind::Office,
            Self::Department => matches!(kind, UnitKind::Department | UnitKind::Organisation | UnitKind::Government),
            Self::Regulator | Self::Inspector => matches!(kind, UnitKind::Department | UnitKind::Office | UnitKind::Government),
            Self::Enterprise => kind == UnitKind::Enterprise,
            Self::Expert => kind == UnitKind::ExpertPanel,
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin => kind == UnitKind::Administration,
            Self::Unassigned => true,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CommitteeOffice => "安委办",
            Self::Department => "成员单位",
            Self::Regulator => "属地监管部门",
            Self::Inspector => "执法人员",
            Self::Enterprise => "企业用户",
            Self::Expert => "专家",
            Self::SystemAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
            Self::AuditAdmin => "审计管理员",
            Self::Unassigned => "待授权",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::CommitteeOffice => "Committee office",
            Self::Department => "Member department",
            Self::Regulator => "Regulator",
            Self::Inspector => "Inspector",
            Self::Enterprise => "Enterprise user",
            Self::Expert => "Expert",
            Self::SystemAdmin => "System administrator",
            Self::SecurityAdmin => "Security administrator",
            Self::AuditAdmin => "Audit administrator",
            Self::Unassigned => "Awaiting a role",
        }
    }

    /// The three separated administrator roles (三权分立), which must use a second factor.
    pub fn is_administrator(self) -> bool {
        matches!(self, Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitKind;

    #[test]
    fn roles_fit_only_their_kinds_of_unit() {
        assert!(Role::Enterprise.fits_unit(UnitKind::Enterprise));
        assert!(!Role::Enterprise.fits_unit(UnitKind::Department));
        assert!(!Role::Regulator.fits_unit(UnitKind::Enterprise));
        assert!(!Role::SystemAdmin.fits_unit(UnitKind::Office));
        assert!(Role::AuditAdmin.fits_unit(UnitKind::Administration));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.key()), Some(role));
            assert!(UnitKind::ALL.iter().any(|kind| role.fits_unit(*kind)), "{role:?} fits some unit");
        }
    }
}
