//! Units: the organisations that users belong to and tasks are assigned to — the committee
//! office, member departments, city and county governments and their offices, and enterprises.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit kind '{0}'")]
pub struct UnitKindError(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A 安委会办公室 at any tier.
    Office,
    /// A government department (省应急管理厅, 市应急管理局 …).
    Department,
    /// A party organ, people's organisation, court, rescue corps or similar member unit.
    Organisation,
    /// A city or county people's government.
    Government,
    /// An enterprise, for enterprise users.
    Enterprise,
    /// An expert panel.
    ExpertPanel,
    /// The platform's own administration (system, security and audit administrators).
    Administration,
}

impl UnitKind {
    pub const ALL: [UnitKind; 7] =
        [Self::Office, Self::Department, Self::Organisation, Self::Government, Self::Enterprise, Self::ExpertPanel, Self::Administration];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Department => "department",
            Self::Organisation => "organisation",
            Self::Government => "government",
            Self::Enterprise => "enterprise",
            Self::ExpertPanel => "expert_panel",
            Self::Administration => "administration",
        }
    }

    pub fn parse(input: &str) -> Result<Self, UnitKindError> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == input).ok_or_else(|| UnitKindError(input.chars().take(32).collect()))
    }
}
