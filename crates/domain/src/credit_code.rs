//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last one a check character over the first 17.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The code alphabet: digits and capital letters without I, O, S, V and Z. The position of a
/// character in this string is its value.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("character '{character}' at position {position} is not allowed in a credit code")]
    Character { position: usize, character: char },
    #[error("wrong check character: expected {expected}")]
    Check { expected: char },
}

impl CreditCodeError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::Length(v0) => crate::message!("credit_code.credit_code_error.length", v0 = v0),
            Self::Character { position, character } => crate::message!("credit_code.credit_code_error.character", character = character, position = position),
            Self::Check { expected } => crate::message!("credit_code.credit_code_error.check", expected = expected),
        }
    }
}

/// A unified social credit code whose check character is correct.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code. Surrounding whitespace is ignored and lower-case letters are accepted, since
    /// people type them; the stored form is upper case.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code = input.trim().to_ascii_uppercase();
        let count = code.chars().count();
        if count != 18 {
            return Err(CreditCodeError::Length(count));
        }
        let mut values = [0u32; 18];
        for (index, character) in code.chars().enumerate() {
            values[index] = value_of(character).ok_or(CreditCodeError::Character { position: index + 1, character })?;
        }
        let expected = check_character(&values[..17]);
        if code.as_bytes()[17] != expected as u8 {
            return Err(CreditCodeError::Check { expected });
        }
        Ok(Self(code))
    }

    /// Completes 17 valid characters with their check character. Used by generators of test and
    /// demonstration data; returns `None` if `body` is not 17 characters of the alphabet.
    pub fn complete(body: &str) -> Option<Self> {
        if body.chars().count() != 17 {
            return None;
        }
        let values: Option<Vec<u32>> = body.chars().map(value_of).collect();
        let check = check_character(&values?);
        Some(Self(format!("{body}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division code of the registering authority (positions 3–8).
    pub fn registration_region(&self) -> &str {
        &self.0[2..8]
    }

    /// The alphabet characters, for generators.
    pub fn alphabet() -> &'static [u8; 31] {
        ALPHABET
    }
}

fn value_of(character: char) -> Option<u32> {
    ALPHABET.iter().position(|&c| c as char == character).map(|p| p as u32)
}

fn check_character(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET[check as usize] as char
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in ["91110000802100433B", "91350100M000100Y43", "91440300708461136T"] {
            assert_eq!(CreditCode::parse(code).unwrap().as_str(), code);
        }
        assert_eq!(CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(), "91350100M000100Y43");
    }

    #[test]
    fn rejects_malformed_codes() {
        assert_eq!(CreditCode::parse("9111000080210043"), Err(CreditCodeError::Length(16)));
        assert_eq!(CreditCode::parse("91110000802100433I"), Err(CreditCodeError::Character { position: 18, character: 'I' }));
        assert_eq!(CreditCode::parse("91110000802100433C"), Err(CreditCodeError::Check { expected: 'B' }));
        assert!(CreditCode::parse("=HYPERLINK(\"x\")").is_err());
        assert!(CreditCode::parse("九一一一〇〇〇〇八〇二一〇〇四三三B").is_err());
    }

    proptest! {
        #[test]
        fn completed_codes_parse_and_any_single_change_is_caught(body in "[0-9A-HJ-NP-RTUW-Y]{17}", position in 0usize..18, shift in 1u32..31) {
            let code = CreditCode::complete(&body).unwrap();
            prop_assert_eq!(CreditCode::parse(code.as_str()), Ok(code.clone()));
            let mut chars: Vec<char> = code.as_str().chars().collect();
            let value = value_of(chars[position]).unwrap();
            chars[position] = ALPHABET[((value + shift) % 31) as usize] as char;
            let altered: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&altered).is_err());
        }
    }
}
