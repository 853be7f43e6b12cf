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

/// How alike two unit names are, for offering the likeliest units first when a name in a plan
/// matches none: the number of two-character pieces they share (省公安厅 and 吉林省公安厅 share
/// 省公, 公安, 安厅), ignoring the province's prefix and the usual suffixes' spacing.
pub fn name_similarity(a: &str, b: &str) -> usize {
    let pieces = |text: &str| -> std::collections::BTreeSet<(char, char)> {
        let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (a, b) = (pieces(a), pieces(b));
    a.intersection(&b).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_names_score_higher() {
        let name = "省公安厅";
        assert!(name_similarity(name, "吉林省公安厅") > name_similarity(name, "长春市朝阳区人民政府"));
        assert_eq!(name_similarity(name, "国家税务总局"), 0);
        assert_eq!(name_similarity("", "x"), 0);
    }
}
