//! What part of the data a caller may see. `app::policy` decides it from the caller's role and
//! unit; the store turns it into SQL conditions, so that lists are filtered in the database.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
