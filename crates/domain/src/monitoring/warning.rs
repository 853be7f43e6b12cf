//! The early-warning grade (红橙黄蓝) of a source from its GB 18218 level and its active alarms.

use serde::{Deserialize, Serialize};

use super::*;

/// The early-warning grade (预警等级) of a major hazard source. Ord: Red is highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningGrade {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl WarningGrade {
    pub const ALL: [WarningGrade; 4] = [Self::Red, Self::Orange, Self::Yellow, Self::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|grade| grade.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Blue => "蓝色",
            Self::Yellow => "黄色",
            Self::Orange => "橙色",
            Self::Red => "红色",
        }
    }
}

/// The rules of [`warning_grade`]. Local practice, not national law (the official rules were not
/// found), so every figure is configuration. Counts of 0 act as 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WarningRules {
    /// Sources of GB 18218 level 1 up to this level (1 = 一级, the most dangerous) are graded more
    /// strictly. Default 2: 一级 and 二级.
    pub strict_level_max: u8,
    /// Red at any source from this many Critical process alarms. Default 2.
    pub red_critical_alarms: u32,
    /// Orange at a strictly graded source from this many Warning process alarms. Default 3.
    pub orange_warning_alarms_strict: u32,
}

impl Default for WarningRules {
    fn default() -> Self {
        Self { strict_level_max: 2, red_critical_alarms: 2, orange_warning_alarms_strict: 3 }
    }
}

/// `source_level` is the GB 18218 level 1..=4 (1 most dangerous). `active` is every active
/// (raised/acknowledged, not cleared/closed) alarm of the source. None when nothing is active.
///
/// Default rules: red = a Critical process alarm (High/Low/RateOfChange) at a level-1 or level-2
/// source, or two or more Critical process alarms at any source; orange = any other Critical
/// process alarm, or 3+ Warning process alarms at a level-1/2 source; yellow = any Warning process
/// alarm; blue = only fault / no-data alarms. A source without a level is graded as a level 3/4 one.
pub fn warning_grade(source_level: Option<u8>, active: &[(AlarmKind, Severity)], rules: &WarningRules) -> Option<WarningGrade> {
    let strict = source_level.is_some_and(|level| (1..=rules.strict_level_max).contains(&level));
    let count = |severity: Severity| active.iter().filter(|(kind, s)| !kind.is_fault() && *s == severity).count();
    let (critical, warning) = (count(Severity::Critical), count(Severity::Warning));
    let at_least = |n: usize, threshold: u32| n >= usize::try_from(threshold.max(1)).unwrap_or(usize::MAX);
    if critical > 0 && (strict || at_least(critical, rules.red_critical_alarms)) {
        Some(WarningGrade::Red)
    } else if critical > 0 || (strict && at_least(warning, rules.orange_warning_alarms_strict)) {
        Some(WarningGrade::Orange)
    } else if warning > 0 {
        Some(WarningGrade::Yellow)
    } else if !active.is_empty() {
        Some(WarningGrade::Blue)
    } else {
        None
    }
}
