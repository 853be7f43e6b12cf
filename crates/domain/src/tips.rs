//! Whistleblowing (举报, 吹哨人) by 安监总财〔2018〕19号 and 应急〔2020〕69号: what a tip is and how it
//! is checked, the receipt code a reporter follows it with, the handling deadlines (feedback within
//! 10 days of verification, closing within 60 days of acceptance, 30 more with approval) and the
//! reward rules (15 % of the fine between ¥3,000 and ¥300,000; ¥30,000–60,000 per concealed death
//! by the accident's level, at most ¥300,000).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accidents::AccidentLevel;
use crate::labels::labelled_enum;
use crate::message::Message;

labelled_enum!(
    /// What a tip reports.
    TipKind {
        MajorDanger = "major_danger", "重大事故隐患", "Major hidden danger";
        IllegalProduction = "illegal_production", "非法违法生产经营", "Illegal production or operation";
        ConcealedAccident = "concealed_accident", "瞒报谎报事故", "Concealed or falsely reported accident";
        Other = "other", "其他安全生产问题", "Other work-safety matter";
    }
);

labelled_enum!(
    /// Where a tip stands.
    TipState {
        Received = "received", "待受理", "Received";
        Accepted = "accepted", "核查中", "Being verified";
        Verified = "verified", "查证属实", "Verified";
        Unfounded = "unfounded", "查证不实", "Not substantiated";
        Duplicate = "duplicate", "重复举报", "Duplicate";
        Closed = "closed", "已办结", "Closed";
    }
);

/// Longest description and location accepted.
pub const DESCRIPTION_MAX_CHARS: usize = 5_000;
pub const DESCRIPTION_MIN_CHARS: usize = 10;
pub const LOCATION_MAX_CHARS: usize = 200;
pub const MESSAGE_MAX_CHARS: usize = 3_000;
/// Days after verification by which the reporter hears the outcome.
pub const FEEDBACK_DAYS: i64 = 10;
/// Days after acceptance by which a tip is closed, and the extension an approval adds.
pub const CLOSE_DAYS: i64 = 60;
pub const EXTENSION_DAYS: i64 = 30;

/// A tip as a form or an API body gives it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"kind": "major_danger", "region_code": "220104", "description": "厂区东侧液氨储罐区压力表长期损坏，夜间有刺激性气味", "anonymous": true}))]
pub struct TipInput {
    #[serde(default)]
    #[schema(required, value_type = TipKind)]
    pub kind: String,
    /// The county-level region where the matter is.
    #[serde(default)]
    #[schema(required, pattern = "^[0-9]{6}$")]
    pub region_code: String,
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    /// Where exactly (a workshop, an address).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub location: String,
    /// With `latitude`, a map point within China.
    #[serde(default)]
    #[schema(minimum = 73.0, maximum = 136.0)]
    pub longitude: Option<f64>,
    #[serde(default)]
    #[schema(minimum = 3.0, maximum = 54.0)]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[schema(required, min_length = 10, max_length = 5000)]
    pub description: String,
    #[serde(default)]
    pub anonymous: bool,
    /// An employee of the enterprise reporting it (吹哨人): must give a real name and phone.
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 20)]
    pub phone: Option<String>,
}

/// A checked tip (the region's existence and the enterprise's are the caller's to check).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tip {
    pub kind: TipKind,
    pub region_code: String,
    pub enterprise_id: Option<i64>,
    pub location: String,
    pub point: Option<(f64, f64)>,
    pub description: String,
    pub internal: bool,
    /// The reporter's name and phone, for a named tip.
    pub identity: Option<(String, String)>,
}

/// Text a person may write: no control characters but line breaks and tabs, and no markup (a
/// tip is read by handlers in a browser; markup in it is refused rather than carried).
pub fn plain_text_problem(text: &str) -> bool {
    let control = text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    let lower = text.to_lowercase();
    let markup =
        text.as_bytes().windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))) || lower.contains("javascript:");
    control || markup
}

fn phone_ok(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| *c != '-' && *c != ' ').collect();
    let mobile = digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit());
    let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0') && digits.chars().all(|c| c.is_ascii_digit());
    mobile || landline
}

impl TipInput {
    /// The checked tip, or every field that is wrong.
    pub fn parse(&self) -> Result<Tip, Vec<(&'static str, Message)>> {
        let mut problems = Vec::new();
        let kind = TipKind::from_key(self.kind.trim());
        if kind.is_none() {
            problems.push(("kind", crate::message!("tips.kind")));
        }
        let region_code = self.region_code.trim();
        if region_code.len() != 6 || !region_code.chars().all(|c| c.is_ascii_digit()) {
            problems.push(("region_code", crate::message!("tips.region_code")));
        }
        if self.enterprise_id.is_some_and(|id| id <= 0) {
            problems.push(("enterprise_id", crate::message!("tips.enterprise")));
        }
        let location = self.location.trim();
        if location.chars().count() > LOCATION_MAX_CHARS || plain_text_problem(location) {
            problems.push(("location", crate::message!("tips.text", max = LOCATION_MAX_CHARS)));
        }
        let point = match (self.longitude, self.latitude) {
            (None, None) => None,
            (Some(lon), Some(lat)) if (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat) => Some((lon, lat)),
            _ => {
                problems.push(("longitude", crate::message!("tips.point")));
                None
            }
        };
        let description = self.description.trim();
        let length = description.chars().count();
        if !(DESCRIPTION_MIN_CHARS..=DESCRIPTION_MAX_CHARS).contains(&length) || plain_text_problem(description) {
            problems.push(("description", crate::message!("tips.description", min = DESCRIPTION_MIN_CHARS, max = DESCRIPTION_MAX_CHARS)));
        }
        if self.internal && self.anonymous {
            problems.push(("anonymous", crate::message!("tips.internal_named")));
        }
        let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        let identity = if self.anonymous {
            // An anonymous tip carries no name or phone, so none can be kept by mistake.
            if given(&self.name) {
                problems.push(("name", crate::message!("tips.anonymous_unnamed")));
            }
            if given(&self.phone) {
                problems.push(("phone", crate::message!("tips.anonymous_unnamed")));
            }
            None
        } else {
            let name = self.name.as_deref().unwrap_or_default().trim();
            let phone = self.phone.as_deref().unwrap_or_default().trim();
            if !(2..=30).contains(&name.chars().count()) || plain_text_problem(name) || name.chars().any(|c| c.is_ascii_digit()) {
                problems.push(("name", crate::message!("tips.name")));
            }
            if !phone_ok(phone) {
                problems.push(("phone", crate::message!("tips.phone")));
            }
            Some((name.to_owned(), phone.to_owned()))
        };
        match kind {
            Some(kind) if problems.is_empty() => Ok(Tip {
                kind,
                region_code: region_code.to_owned(),
                enterprise_id: self.enterprise_id,
                location: location.to_owned(),
                point,
                description: description.to_owned(),
                internal: self.internal,
                identity,
            }),
            _ => Err(problems),
        }
    }
}

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or copied by hand survives.
const RECEIPT_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a receipt code (5 bits each: 120 bits of entropy).
pub const RECEIPT_CHARS: usize = 24;

/// A receipt code from 15 random bytes: 24 base-32 characters in six groups of four.
pub fn receipt_from_bytes(bytes: &[u8; 15]) -> String {
    let mut bits: u128 = 0;
    for byte in bytes {
        bits = (bits << 8) | u128::from(*byte);
    }
    let mut chars = Vec::with_capacity(RECEIPT_CHARS + 5);
    for index in 0..RECEIPT_CHARS {
        if index > 0 && index % 4 == 0 {
            chars.push(b'-');
        }
        let shift = 5 * (RECEIPT_CHARS - 1 - index);
        chars.push(RECEIPT_ALPHABET[((bits >> shift) & 31) as usize]);
    }
    String::from_utf8(chars).unwrap_or_default()
}

/// A receipt code as typed, in its canonical form (upper case, no separators, the letters
/// Crockford reads as digits mapped), or `None` if it cannot be one.
pub fn normalize_receipt(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let mut out = String::with_capacity(RECEIPT_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !RECEIPT_ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECEIPT_CHARS).then_some(out)
}

/// What a reward is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardBasis {
    /// A major hidden danger or illegal production: the fine imposed (0 when none was).
    Fine { fine_yuan: i64 },
    /// A concealed accident: its final level and the concealed deaths verified.
    ConcealedAccident { level: AccidentLevel, concealed_deaths: i64 },
}

pub const REWARD_FLOOR_YUAN: i64 = 3_000;
pub const REWARD_CAP_YUAN: i64 = 300_000;

/// The reward of a verified tip: 15 % of the fine (rounded down to the yuan), at least ¥3,000 and
/// at most ¥300,000; or ¥30,000 / 40,000 / 50,000 / 60,000 per concealed death by level, at most
/// ¥300,000. Negative figures are refused.
pub fn reward_yuan(basis: RewardBasis) -> Result<i64, &'static str> {
    match basis {
        RewardBasis::Fine { fine_yuan } if fine_yuan < 0 => Err("fine_yuan"),
        RewardBasis::Fine { fine_yuan } => Ok((fine_yuan.saturating_mul(15) / 100).clamp(REWARD_FLOOR_YUAN, REWARD_CAP_YUAN)),
        RewardBasis::ConcealedAccident { concealed_deaths, .. } if concealed_deaths < 0 => Err("concealed_deaths"),
        RewardBasis::ConcealedAccident { level, concealed_deaths } => {
            let per_death = match level {
                AccidentLevel::General => 30_000,
                AccidentLevel::Larger => 40_000,
                AccidentLevel::Major => 50_000,
                AccidentLevel::EspeciallyMajor => 60_000,
            };
            Ok(concealed_deaths.saturating_mul(per_death).min(REWARD_CAP_YUAN))
        }
    }
}

fn days_after(date: Date, days: i64) -> Date {
    date.checked_add(jiff::Span::new().days(days)).unwrap_or(Date::MAX)
}

/// The day by which the reporter hears the outcome of a verification.
pub fn feedback_due(verified_on: Date) -> Date {
    days_after(verified_on, FEEDBACK_DAYS)
}

/// The day by which a tip accepted on `accepted_on` is closed.
pub fn close_due(accepted_on: Date, extended: bool) -> Date {
    days_after(accepted_on, CLOSE_DAYS + if extended { EXTENSION_DAYS } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_are_exact_at_the_floor_and_the_cap() {
        let fine = |fine_yuan| reward_yuan(RewardBasis::Fine { fine_yuan }).unwrap();
        assert_eq!(fine(0), 3_000, "no fine: the floor");
        assert_eq!(fine(20_000), 3_000, "15 % is ¥3,000 exactly");
        assert_eq!(fine(19_999), 3_000, "below: the floor");
        assert_eq!(fine(20_007), 3_001, "rounded down to the yuan");
        assert_eq!(fine(2_000_000), 300_000, "15 % is ¥300,000 exactly");
        assert_eq!(fine(2_000_007), 300_000, "above: the cap");
        assert_eq!(fine(1_999_993), 299_998);
        assert_eq!(fine(i64::MAX), 300_000, "no overflow");
        assert_eq!(reward_yuan(RewardBasis::Fine { fine_yuan: -1 }), Err("fine_yuan"));
        let concealed = |level, concealed_deaths| reward_yuan(RewardBasis::ConcealedAccident { level, concealed_deaths }).unwrap();
        assert_eq!(concealed(AccidentLevel::General, 1), 30_000);
        assert_eq!(concealed(AccidentLevel::Larger, 3), 120_000);
        assert_eq!(concealed(AccidentLevel::Major, 6), 300_000, "exactly the cap");
        assert_eq!(concealed(AccidentLevel::Major, 7), 300_000, "held at the cap");
        assert_eq!(concealed(AccidentLevel::EspeciallyMajor, 5), 300_000);
        assert_eq!(concealed(AccidentLevel::EspeciallyMajor, 4), 240_000);
        assert_eq!(concealed(AccidentLevel::General, 0), 0);
    }

    #[test]
    fn receipts_carry_120_bits_and_survive_hand_copying() {
        let code = receipt_from_bytes(&[0xff; 15]);
        assert_eq!(code, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let code = receipt_from_bytes(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd]);
        let canonical = normalize_receipt(&code).unwrap();
        assert_eq!(canonical.len(), RECEIPT_CHARS);
        assert_eq!(normalize_receipt(&code.to_lowercase().replace('-', " ")), Some(canonical.clone()));
        assert_eq!(normalize_receipt("O000-0000-0000-0000-0000-000I"), normalize_receipt("0000-0000-0000-0000-0000-0001"));
        assert_eq!(normalize_receipt("ZZZZ-ZZZZ"), None, "too short");
        assert_eq!(normalize_receipt("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZU"), None, "U is not in the alphabet");
        assert_eq!(normalize_receipt(&"Z".repeat(100)), None);
    }

    #[test]
    fn a_tip_is_checked_field_by_field() {
        let input = TipInput {
            kind: "major_danger".into(),
            region_code: "220104".into(),
            description: "液氨储罐区压力表长期损坏,夜间有刺激性气味".into(),
            anonymous: true,
            ..Default::default()
        };
        let tip = input.parse().unwrap();
        assert!(tip.identity.is_none());
        let bad = TipInput {
            kind: "rumour".into(),
            region_code: "2201".into(),
            description: "<script>alert(1)</script>储罐".into(),
            internal: true,
            longitude: Some(200.0),
            latitude: Some(40.0),
            ..input.clone()
        };
        let fields: Vec<&str> = bad.parse().unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["kind", "region_code", "longitude", "description", "anonymous"]);
        let unnamed = TipInput { phone: Some("0".repeat(21)), ..input.clone() };
        let fields: Vec<&str> = unnamed.parse().unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["phone"], "an anonymous tip carries no phone");
        let named = TipInput { anonymous: false, name: Some("王1".into()), phone: Some("12345".into()), ..input.clone() };
        let fields: Vec<&str> = named.parse().unwrap_err().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "phone"]);
        let named = TipInput { anonymous: false, internal: true, name: Some("王建国".into()), phone: Some("13904310020".into()), ..input };
        assert_eq!(named.parse().unwrap().identity, Some(("王建国".into(), "13904310020".into())));
        assert!(plain_text_problem("a\u{0}b") && plain_text_problem("<img src=x>") && !plain_text_problem("压力 < 2 MPa\n温度>30"));
    }

    #[test]
    fn deadlines() {
        let day = Date::constant(2026, 3, 1);
        assert_eq!(feedback_due(day), Date::constant(2026, 3, 11));
        assert_eq!(close_due(day, false), Date::constant(2026, 4, 30));
        assert_eq!(close_due(day, true), Date::constant(2026, 5, 30));
    }
}
