//! Administrative regions (GB/T 2260): six-digit codes and the three levels anwei supervises.
//! Parents are stored explicitly, never derived from the code, because codes move
//! (公主岭市 220381 → 220184).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("a region code is six digits: '{0}'")]
    Code(String),
    #[error("unknown region level '{0}'")]
    Level(String),
}

impl RegionError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::Code(v0) => crate::message!("region.region_error.code", v0 = v0),
            Self::Level(v0) => crate::message!("region.region_error.level", v0 = v0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let code = input.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && code != "000000" {
            Ok(Self(code.to_owned()))
        } else {
            Err(RegionError::Code(input.chars().take(32).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> Self {
        code.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
        }
    }

    pub fn parse(input: &str) -> Result<Self, RegionError> {
        match input {
            "province" => Ok(Self::Province),
            "city" => Ok(Self::City),
            "county" => Ok(Self::County),
            other => Err(RegionError::Level(other.chars().take(32).collect())),
        }
    }
}

/// One node of the region tree. `path` lists the codes from the root down to this node, each
/// followed by `/`, so that a subtree is a prefix match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub parent_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_six_digits() {
        assert!(RegionCode::parse("220184").is_ok());
        for bad in ["22018", "2201845", "22018a", "", "000000", "２２０１８４", "220184;drop"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
