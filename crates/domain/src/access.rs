//! What part of the data a caller may see. `app::policy` decides it from the caller's role and
//! unit; the store turns it into SQL conditions, so that lists are filtered in the database.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Visibility {
    /// Everything: operators at the command line only.
    Everything,
    /// Records whose region lies in the subtree whose path starts with this prefix.
    RegionSubtree { path: String },
    /// Records of one enterprise.
    Enterprise { enterprise_id: i64 },
    /// Nothing at all.
    Nothing,
}

/// Which work-plan assignments a caller may see: all (the plan's office), those of units in a
/// region subtree (a city or county regulator and its tier), or those of one unit (a department).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AssignmentScope {
    Everything,
    RegionSubtree { path: String },
    Unit { unit_id: i64 },
    Nothing,
}
