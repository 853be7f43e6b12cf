//! Work-safety liability insurance (安全生产责任保险, 安责险): mandatory in the high-risk sectors
//! (《安全生产责任保险实施办法》, revised 2025), a policy's checks, the statutory minimum cover per
//! death or disability (¥400,000 for policies from 2025, ¥300,000 before), the floating of the
//! premium with the enterprise's record (accidents, overdue 重大 hidden dangers, credit grade) by
//! rules each province configures, and the prevention services insurers owe.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accidents::AccidentLevel;
use crate::credit::CreditGrade;
use crate::labels::labelled_enum;
use crate::message::Message;

labelled_enum!(
    /// A prevention service an insurer provides (事故预防服务).
    ServiceKind {
        RiskAssessment = "risk_assessment", "风险评估", "Risk assessment";
        HiddenDangerCheck = "hidden_danger_check", "隐患排查", "Hidden-danger check";
        Training = "training", "安全培训", "Safety training";
        Drill = "drill", "应急演练", "Emergency drill";
        Publicity = "publicity", "宣传教育", "Publicity and education";
        Other = "other", "其他服务", "Other service";
    }
);

/// Bounds of a policy's figures (beyond them a figure is a typing error).
pub const INSURED_PERSONS_MAX: i64 = 1_000_000;
pub const COVER_MAX_YUAN: i64 = 100_000_000;
pub const PREMIUM_MAX_YUAN: i64 = 1_000_000_000;
/// The longest period a policy may run (project policies of construction works run for years).
pub const PERIOD_MAX_DAYS: i32 = 5 * 366;
pub const TEXT_MAX_CHARS: usize = 100;

/// A policy as entered, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub insurer: String,
    pub policy_number: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub insured_persons: i64,
    pub cover_per_death_yuan: i64,
    pub premium_yuan: i64,
}

/// The raw text of a policy as a form or an API body gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(example = json!({"insurer": "中国人民财产保险股份有限公司吉林省分公司", "policy_number": "PICC-2026-0001", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "insured_persons": "120", "cover_per_death_yuan": "400000", "premium_yuan": "36000"}))]
pub struct PolicyInput {
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub insurer: String,
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub policy_number: String,
    /// `YYYY-MM-DD`, the first day covered.
    #[schema(required, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub starts_on: String,
    /// `YYYY-MM-DD`, the last day covered: not before the first, at most five years after.
    #[schema(required, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub ends_on: String,
    /// A whole number, 1 to 1,000,000.
    #[schema(required, pattern = "^[1-9][0-9]{0,5}$")]
    pub insured_persons: String,
    /// Yuan, 1 to 100,000,000.
    #[schema(required, pattern = "^[1-9][0-9]{0,7}$")]
    pub cover_per_death_yuan: String,
    /// Yuan, 1 to 1,000,000,000.
    #[schema(required, pattern = "^[1-9][0-9]{0,8}$")]
    pub premium_yuan: String,
}

fn whole(text: &str, max: i64) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|value| (1..=max).contains(value))
}

fn short_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= TEXT_MAX_CHARS && !text.chars().any(char::is_control)).then(|| text.to_owned())
}

impl PolicyInput {
    /// The checked policy, or every field that is wrong.
    pub fn parse(&self) -> Result<Policy, Vec<(&'static str, Message)>> {
        let mut problems = Vec::new();
        let insurer = short_text(&self.insurer);
        if insurer.is_none() {
            problems.push(("insurer", crate::message!("insurance.text", max = TEXT_MAX_CHARS)));
        }
        let policy_number = short_text(&self.policy_number);
        if policy_number.is_none() {
            problems.push(("policy_number", crate::message!("insurance.text", max = TEXT_MAX_CHARS)));
        }
        let starts_on: Option<Date> = self.starts_on.trim().parse().ok();
        if starts_on.is_none() {
            problems.push(("starts_on", crate::message!("insurance.date")));
        }
        let ends_on: Option<Date> = self.ends_on.trim().parse().ok();
        match (starts_on, ends_on) {
            (_, None) => problems.push(("ends_on", crate::message!("insurance.date"))),
            (Some(start), Some(end)) if end < start || (end - start).get_days() > PERIOD_MAX_DAYS => {
                problems.push(("ends_on", crate::message!("insurance.period", max_days = PERIOD_MAX_DAYS)))
            }
            _ => {}
        }
        let insured_persons = whole(&self.insured_persons, INSURED_PERSONS_MAX);
        if insured_persons.is_none() {
            problems.push(("insured_persons", crate::message!("insurance.number_between", max = INSURED_PERSONS_MAX)));
        }
        let cover = whole(&self.cover_per_death_yuan, COVER_MAX_YUAN);
        if cover.is_none() {
            problems.push(("cover_per_death_yuan", crate::message!("insurance.number_between", max = COVER_MAX_YUAN)));
        }
        let premium = whole(&self.premium_yuan, PREMIUM_MAX_YUAN);
        if premium.is_none() {
            problems.push(("premium_yuan", crate::message!("insurance.number_between", max = PREMIUM_MAX_YUAN)));
        }
        match (insurer, policy_number, starts_on, ends_on, insured_persons, cover, premium) {
            (Some(insurer), Some(policy_number), Some(starts_on), Some(ends_on), Some(insured_persons), Some(cover_per_death_yuan), Some(premium_yuan))
                if problems.is_empty() =>
            {
                Ok(Policy { insurer, policy_number, starts_on, ends_on, insured_persons, cover_per_death_yuan, premium_yuan })
            }
            _ => Err(problems),
        }
    }
}

impl Policy {
    /// Whether the policy covers `day`.
    pub fn covers(&self, day: Date) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// The province's insurance rules (`[insurance]` in the configuration): the statutory minimum
/// cover and the floating of premiums. Percentages are whole points added to the base premium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InsuranceRules {
    /// The minimum cover per death or disability for policies starting on or after
    /// `minimum_cover_from`.
    pub minimum_cover_yuan: i64,
    pub minimum_cover_from: Date,
    /// The minimum for policies starting before.
    pub earlier_minimum_cover_yuan: i64,
    /// How many years of the record the premium looks back on.
    pub lookback_years: i16,
    /// Points per accident in the lookback, by level.
    pub general_accident_points: i32,
    pub larger_accident_points: i32,
    pub major_accident_points: i32,
    /// Points per 重大 hidden danger overdue today.
    pub overdue_major_danger_points: i32,
    /// Points for no accident and no overdue 重大 danger in the lookback (a discount, negative).
    pub clean_record_points: i32,
    /// Points by credit grade.
    pub grade_a_points: i32,
    pub grade_b_points: i32,
    pub grade_c_points: i32,
    pub grade_d_points: i32,
    /// The band the sum is held within.
    pub floor_points: i32,
    pub ceiling_points: i32,
}

impl Default for InsuranceRules {
    fn default() -> Self {
        Self {
            minimum_cover_yuan: 400_000,
            minimum_cover_from: Date::constant(2025, 1, 1),
            earlier_minimum_cover_yuan: 300_000,
            lookback_years: 3,
            general_accident_points: 10,
            larger_accident_points: 20,
            major_accident_points: 30,
            overdue_major_danger_points: 5,
            clean_record_points: -10,
            grade_a_points: -5,
            grade_b_points: 0,
            grade_c_points: 10,
            grade_d_points: 20,
            floor_points: -30,
            ceiling_points: 30,
        }
    }
}

impl InsuranceRules {
    /// Checks the configured figures hold together.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=COVER_MAX_YUAN).contains(&self.minimum_cover_yuan) || !(1..=COVER_MAX_YUAN).contains(&self.earlier_minimum_cover_yuan) {
            return Err(format!("minimum covers must be between 1 and {COVER_MAX_YUAN} yuan"));
        }
        if !(1..=10).contains(&self.lookback_years) {
            return Err(format!("lookback_years must be between 1 and 10, not {}", self.lookback_years));
        }
        if !(-100..=0).contains(&self.floor_points) || !(0..=300).contains(&self.ceiling_points) {
            return Err(format!("the band must run from -100..=0 to 0..=300 points, not {} to {}", self.floor_points, self.ceiling_points));
        }
        let points = [
            self.general_accident_points,
            self.larger_accident_points,
            self.major_accident_points,
            self.overdue_major_danger_points,
            self.clean_record_points,
            self.grade_a_points,
            self.grade_b_points,
            self.grade_c_points,
            self.grade_d_points,
        ];
        if points.iter().any(|p| !(-100..=300).contains(p)) {
            return Err("every rule's points must be between -100 and 300".into());
        }
        Ok(())
    }

    /// The statutory minimum cover for a policy starting on `starts_on`.
    pub fn minimum_cover(&self, starts_on: Date) -> i64 {
        if starts_on >= self.minimum_cover_from { self.minimum_cover_yuan } else { self.earlier_minimum_cover_yuan }
    }

    /// Whether a policy's cover is below the minimum of its start.
    pub fn below_minimum(&self, policy: &Policy) -> bool {
        policy.cover_per_death_yuan < self.minimum_cover(policy.starts_on)
    }

    /// The premium's float from the record: each rule that applies with its points, and the sum
    /// held within the band.
    pub fn premium_float(&self, record: &PremiumRecord) -> PremiumFloat {
        let mut reasons = Vec::new();
        let mut add = |reason: FloatReason, count: i64, points: i32| {
            if count > 0 && points != 0 {
                reasons.push(FloatLine { reason, count, points: points.saturating_mul(count.clamp(0, 1_000) as i32) });
            }
        };
        let accidents = |level: AccidentLevel| record.accidents.iter().filter(|l| **l == level).count() as i64;
        add(FloatReason::GeneralAccident, accidents(AccidentLevel::General), self.general_accident_points);
        add(FloatReason::LargerAccident, accidents(AccidentLevel::Larger), self.larger_accident_points);
        let major = record.accidents.iter().filter(|l| **l >= AccidentLevel::Major).count() as i64;
        add(FloatReason::MajorAccident, major, self.major_accident_points);
        add(FloatReason::OverdueMajorDanger, record.overdue_major_dangers, self.overdue_major_danger_points);
        if record.accidents.is_empty() && record.overdue_major_dangers == 0 {
            add(FloatReason::CleanRecord, 1, self.clean_record_points);
        }
        let grade_points = match record.credit_grade {
            CreditGrade::A => self.grade_a_points,
            CreditGrade::B => self.grade_b_points,
            CreditGrade::C => self.grade_c_points,
            CreditGrade::D => self.grade_d_points,
        };
        add(FloatReason::CreditGrade, 1, grade_points);
        let sum: i32 = reasons.iter().map(|line| line.points).fold(0i32, i32::saturating_add);
        PremiumFloat { points: sum.clamp(self.floor_points, self.ceiling_points), unbounded_points: sum, reasons }
    }
}

/// What of an enterprise's record the premium floats with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PremiumRecord {
    /// The levels of its accidents within the lookback.
    pub accidents: Vec<AccidentLevel>,
    pub overdue_major_dangers: i64,
    pub credit_grade: CreditGrade,
}

labelled_enum!(
    /// Why a premium floats.
    FloatReason {
        GeneralAccident = "general_accident", "一般事故", "General accidents";
        LargerAccident = "larger_accident", "较大事故", "Larger accidents";
        MajorAccident = "major_accident", "重大及以上事故", "Major or worse accidents";
        OverdueMajorDanger = "overdue_major_danger", "重大隐患逾期未整改", "Major hidden dangers overdue";
        CleanRecord = "clean_record", "无事故、无逾期重大隐患", "No accident, no overdue major danger";
        CreditGrade = "credit_grade", "信用等级", "Credit grade";
    }
);

/// One rule that applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FloatLine {
    pub reason: FloatReason,
    pub count: i64,
    pub points: i32,
}

/// A premium's float: the points within the band (+20 = 20 % above the base rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PremiumFloat {
    pub points: i32,
    /// The sum before the band held it.
    pub unbounded_points: i32,
    pub reasons: Vec<FloatLine>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PolicyInput {
        PolicyInput {
            insurer: "人保财险吉林分公司".into(),
            policy_number: "P-1".into(),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            insured_persons: "120".into(),
            cover_per_death_yuan: "400000".into(),
            premium_yuan: "36000".into(),
        }
    }

    #[test]
    fn a_policy_is_checked_field_by_field() {
        let policy = input().parse().unwrap();
        assert!(policy.covers(Date::constant(2026, 12, 31)) && !policy.covers(Date::constant(2027, 1, 1)));
        let bad = PolicyInput { ends_on: "2025-12-31".into(), insured_persons: "0".into(), premium_yuan: "-5".into(), insurer: " ".into(), ..input() };
        let fields: Vec<&str> = bad.parse().unwrap_err().into_iter().map(|(name, _)| name).collect();
        assert_eq!(fields, ["insurer", "ends_on", "insured_persons", "premium_yuan"]);
        let absurd = PolicyInput { cover_per_death_yuan: "100000001".into(), ends_on: "2040-01-01".into(), ..input() };
        let fields: Vec<&str> = absurd.parse().unwrap_err().into_iter().map(|(name, _)| name).collect();
        assert_eq!(fields, ["ends_on", "cover_per_death_yuan"]);
    }

    #[test]
    fn the_minimum_cover_follows_the_policy_start() {
        let rules = InsuranceRules::default();
        let mut policy = input().parse().unwrap();
        assert!(!rules.below_minimum(&policy), "¥400,000 meets the 2025 minimum");
        policy.cover_per_death_yuan = 399_999;
        assert!(rules.below_minimum(&policy));
        policy.starts_on = Date::constant(2024, 12, 31);
        policy.cover_per_death_yuan = 300_000;
        assert!(!rules.below_minimum(&policy), "a 2024 policy needed ¥300,000");
        policy.cover_per_death_yuan = 299_999;
        assert!(rules.below_minimum(&policy));
    }

    #[test]
    fn the_premium_floats_with_the_record_within_the_band() {
        let rules = InsuranceRules::default();
        let clean = rules.premium_float(&PremiumRecord { accidents: vec![], overdue_major_dangers: 0, credit_grade: CreditGrade::A });
        assert_eq!(clean.points, -15, "clean record and grade A");
        let record = PremiumRecord { accidents: vec![AccidentLevel::General, AccidentLevel::Larger], overdue_major_dangers: 1, credit_grade: CreditGrade::C };
        let float = rules.premium_float(&record);
        assert_eq!(float.points, 30, "held at the ceiling");
        assert_eq!(float.unbounded_points, 10 + 20 + 5 + 10);
        let reasons: Vec<FloatReason> = float.reasons.iter().map(|line| line.reason).collect();
        assert_eq!(reasons, [FloatReason::GeneralAccident, FloatReason::LargerAccident, FloatReason::OverdueMajorDanger, FloatReason::CreditGrade]);
        let gentle = InsuranceRules { ceiling_points: 100, ..InsuranceRules::default() };
        assert_eq!(gentle.premium_float(&record).points, 45, "another province's band");
        assert!(InsuranceRules { floor_points: 5, ..InsuranceRules::default() }.check().is_err());
    }
}
