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
}

impl Role {
    pub const ALL: [Role; 9] = [
        Self::CommitteeOffice,
        Self::Department,
        Self::Regulator,
        Self::Inspector,
        Self::Enterprise,
        Self::Expert,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
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
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.key() == key)
    }

    /// The three separated administrator roles (三权分立), which must use a second factor.
    pub fn is_administrator(self) -> bool {
        matches!(self, Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin)
    }
}
