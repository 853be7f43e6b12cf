//! The annual assessment (考核) of cities and departments: a scheme of indicators whose points sum
//! to 100, each scored from the system's own records or entered by the office with evidence;
//! deductions; one-vote vetoes (一票否决); downgrading for falsified data; grade bands. Scoring is
//! a pure function from a scheme and a unit's inputs to a score sheet that shows where every
//! point went.

use serde::{Deserialize, Serialize};

/// Where an indicator's score comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Share of the unit's work-plan reports that were filed by their deadline (of those due).
    OnTimeReporting,
    /// Share of the unit's work-plan assignments with an accepted report.
    Completion,
    /// Full points less `deduction` per assignment reopened in a 回头看 round.
    Reopened,
    /// Entered by the office, with evidence.
    Manual,
}

impl Source {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::OnTimeReporting => "按时报送率(系统计算)",
            Self::Completion => "任务完成率(系统计算)",
            Self::Reopened => "回头看重新打开扣分(系统计算)",
            Self::Manual => "安委办评分",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::OnTimeReporting => "Reports on time (computed)",
            Self::Completion => "Tasks completed (computed)",
            Self::Reopened => "Deductions for reopened work (computed)",
            Self::Manual => "Scored by the office",
        }
    }

    pub const ALL: [Source; 4] = [Source::OnTimeReporting, Source::Completion, Source::Reopened, Source::Manual];

    /// The key a scheme writes (`on_time_reporting`, …).
    pub fn key(self) -> &'static str {
        match self {
            Self::OnTimeReporting => "on_time_reporting",
            Self::Completion => "completion",
            Self::Reopened => "reopened",
            Self::Manual => "manual",
        }
    }
}

/// One indicator of a scheme, as written in its TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    /// The most this indicator can give.
    pub points: f64,
    pub source: Source,
    /// For `reopened`: points taken off per reopened assignment.
    #[serde(default)]
    pub deduction: f64,
}

/// Grade thresholds (inclusive lower bounds); below `pass` is 不合格.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBands {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
}

impl Default for GradeBands {
    fn default() -> Self {
        Self { excellent: 90.0, good: 80.0, pass: 60.0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Fail,
    Pass,
    Good,
    Excellent,
}

impl Grade {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Good => "良好",
            Self::Pass => "合格",
            Self::Fail => "不合格",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }

    fn lower(self) -> Self {
        match self {
            Self::Excellent => Self::Good,
            Self::Good => Self::Pass,
            Self::Pass | Self::Fail => Self::Fail,
        }
    }
}

/// A validated scheme: indicators with unique codes, positive points summing to 100, and bands
/// that descend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scheme {
    indicators: Vec<Indicator>,
    bands: GradeBands,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeText {
    #[serde(default)]
    bands: GradeBands,
    indicator: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    #[error("the scheme does not parse: {0}")]
    Syntax(String),
    #[error("indicator '{0}': {1}")]
    Indicator(String, crate::message::Message),
    #[error("the indicators' points add up to {0}, not 100")]
    Total(String),
    #[error("grade bands must descend: excellent > good > pass > 0")]
    Bands,
}

impl SchemeError {
    /// What went wrong, for people (in the reader's language where it is shown).
    pub fn message(&self) -> crate::message::Message {
        match self {
            Self::Syntax(v0) => crate::message!("assessment.scheme_error.syntax", v0 = v0),
            Self::Indicator(v0, v1) => crate::message!("assessment.scheme_error.indicator", v0 = v0, v1 => v1.clone()),
            Self::Total(v0) => crate::message!("assessment.scheme_error.total", v0 = v0),
            Self::Bands => crate::message!("assessment.scheme_error.bands"),
        }
    }
}

const POINTS_EPSILON: f64 = 1e-6;

impl Scheme {
    /// Reads and checks a scheme written in TOML (`[bands]` and `[[indicator]]` tables).
    pub fn parse_toml(text: &str) -> Result<Self, SchemeError> {
        let parsed: SchemeText = toml::from_str(text).map_err(|e| SchemeError::Syntax(e.to_string().lines().take(6).collect::<Vec<_>>().join(" ")))?;
        Self::new(parsed.indicator, parsed.bands)
    }

    pub fn new(indicators: Vec<Indicator>, bands: GradeBands) -> Result<Self, SchemeError> {
        let mut seen = std::collections::HashSet::new();
        for indicator in &indicators {
            let bad = |why: crate::message::Message| SchemeError::Indicator(indicator.code.chars().take(32).collect(), why);
            if indicator.code.trim().is_empty() || indicator.code.chars().count() > 32 {
                return Err(bad(crate::message!("assessment.code_most_32_characters_required")));
            }
            if !seen.insert(indicator.code.clone()) {
                return Err(bad(crate::message!("assessment.code_used_twice")));
            }
            if indicator.name.trim().is_empty() || indicator.name.chars().count() > 100 {
                return Err(bad(crate::message!("assessment.name_most_100_characters_required")));
            }
            if !(indicator.points.is_finite() && indicator.points > 0.0 && indicator.points <= 100.0) {
                return Err(bad(crate::message!("assessment.points_must_lie_between_0_100")));
            }
            if !(indicator.deduction.is_finite() && indicator.deduction >= 0.0 && indicator.deduction <= indicator.points) {
                return Err(bad(crate::message!("assessment.deduction_cannot_negative_exceed_points")));
            }
            if indicator.source == Source::Reopened && indicator.deduction == 0.0 {
                return Err(bad(crate::message!("assessment.reopened_indicator_needs_deduction")));
            }
        }
        let total: f64 = indicators.iter().map(|i| i.points).sum();
        if (total - 100.0).abs() > POINTS_EPSILON {
            return Err(SchemeError::Total(format!("{total}")));
        }
        if !(bands.excellent > bands.good && bands.good > bands.pass && bands.pass > 0.0 && bands.excellent <= 100.0) {
            return Err(SchemeError::Bands);
        }
        Ok(Self { indicators, bands })
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    pub fn bands(&self) -> &GradeBands {
        &self.bands
    }

    /// The scheme as TOML, for editing.
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            bands: &'a GradeBands,
            indicator: &'a [Indicator],
        }
        toml::to_string(&Out { bands: &self.bands, indicator: &self.indicators }).unwrap_or_default()
    }

    /// The default scheme: work-plan indicators computed from the records, the rest entered by
    /// the office. Bands 90/80/60 (国办发〔2016〕64号 practice).
    pub fn default_scheme() -> Self {
        let indicator =
            |code: &str, name: &str, points: f64, source: Source, deduction: f64| Indicator { code: code.into(), name: name.into(), points, source, deduction };
        Self {
            indicators: vec![
                indicator("A1", "工作要点按时报送", 20.0, Source::OnTimeReporting, 0.0),
                indicator("A2", "工作要点任务完成", 20.0, Source::Completion, 0.0),
                indicator("A3", "回头看整改", 10.0, Source::Reopened, 2.0),
                indicator("B1", "安全生产责任制落实", 15.0, Source::Manual, 0.0),
                indicator("B2", "隐患排查治理", 15.0, Source::Manual, 0.0),
                indicator("B3", "事故控制", 20.0, Source::Manual, 0.0),
            ],
            bands: GradeBands::default(),
        }
    }
}

/// What the system knows about a unit for one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitRecords {
    /// Reports that have fallen due (deadline passed), and how many of them came in on time.
    pub reports_due: u32,
    pub reports_on_time: u32,
    pub assignments: u32,
    /// Assignments with at least one accepted report.
    pub assignments_accepted: u32,
    pub reopenings: u32,
    /// Manual scores by indicator code.
    pub manual: Vec<(String, f64)>,
    /// One-vote vetoes (reasons), e.g. a 重大 liability accident, a concealed accident.
    pub vetoes: Vec<String>,
    /// Findings of falsified data (reasons); each lowers the grade by one band.
    pub falsifications: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetLine {
    pub code: String,
    pub name: String,
    pub points: f64,
    pub score: f64,
    /// How the score came about, in words.
    pub basis: crate::message::Message,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreSheet {
    pub lines: Vec<SheetLine>,
    pub total: f64,
    pub grade: Grade,
    pub vetoed: bool,
    pub notes: Vec<crate::message::Message>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Scores one unit. A manual indicator not yet entered scores 0 and says so.
pub fn score(scheme: &Scheme, records: &UnitRecords) -> ScoreSheet {
    let ratio = |done: u32, of: u32| if of == 0 { 1.0 } else { f64::from(done) / f64::from(of) };
    let lines: Vec<SheetLine> = scheme
        .indicators
        .iter()
        .map(|indicator| {
            let (score, basis) = match indicator.source {
                Source::OnTimeReporting => (
                    indicator.points * ratio(records.reports_on_time, records.reports_due),
                    crate::message!("assessment.due_reports_time", reports_due = records.reports_due, reports_on_time = records.reports_on_time),
                ),
                Source::Completion => (
                    indicator.points * ratio(records.assignments_accepted, records.assignments),
                    crate::message!("assessment.assignments_accepted", assignments = records.assignments, assignments_accepted = records.assignments_accepted),
                ),
                Source::Reopened => (
                    (indicator.points - indicator.deduction * f64::from(records.reopenings)).max(0.0),
                    crate::message!("assessment.reopened_each", reopenings = records.reopenings, deduction = indicator.deduction),
                ),
                Source::Manual => match records.manual.iter().find(|(code, _)| *code == indicator.code) {
                    Some((_, value)) => (value.clamp(0.0, indicator.points), crate::message!("assessment.scored_office")),
                    None => (0.0, crate::message!("assessment.not_scored_yet")),
                },
            };
            SheetLine { code: indicator.code.clone(), name: indicator.name.clone(), points: indicator.points, score: round2(score), basis }
        })
        .collect();
    let total = round2(lines.iter().map(|l| l.score).sum());
    let bands = &scheme.bands;
    let mut grade = if total >= bands.excellent {
        Grade::Excellent
    } else if total >= bands.good {
        Grade::Good
    } else if total >= bands.pass {
        Grade::Pass
    } else {
        Grade::Fail
    };
    let mut notes = Vec::new();
    for reason in &records.falsifications {
        grade = grade.lower();
        notes.push(crate::message!("assessment.falsified_data_one_grade_lower", reason = reason));
    }
    let vetoed = !records.vetoes.is_empty();
    for reason in &records.vetoes {
        notes.push(crate::message!("assessment.one_vote_veto", reason = reason));
    }
    if vetoed {
        grade = Grade::Fail;
    }
    ScoreSheet { lines, total, grade, vetoed, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(records: UnitRecords, total: f64, grade: Grade) {
        let sheet = score(&Scheme::default_scheme(), &records);
        assert_eq!((sheet.total, sheet.grade), (total, grade), "{sheet:#?}");
        assert_eq!(round2(sheet.lines.iter().map(|l| l.score).sum()), sheet.total, "the lines add up to the total");
    }

    #[test]
    fn scores_grades_vetoes_and_downgrades() {
        let full = UnitRecords {
            reports_due: 10,
            reports_on_time: 10,
            assignments: 10,
            assignments_accepted: 10,
            manual: vec![("B1".into(), 15.0), ("B2".into(), 15.0), ("B3".into(), 20.0)],
            ..Default::default()
        };
        check(full.clone(), 100.0, Grade::Excellent);
        // 8 of 10 on time: 16; 3 reopenings: 10 − 6 = 4.
        check(UnitRecords { reports_on_time: 8, reopenings: 3, ..full.clone() }, 90.0, Grade::Excellent);
        check(UnitRecords { reports_on_time: 8, reopenings: 4, ..full.clone() }, 88.0, Grade::Good);
        check(UnitRecords { falsifications: vec!["虚报".into()], ..full.clone() }, 100.0, Grade::Good);
        check(UnitRecords { vetoes: vec!["重大责任事故".into()], ..full.clone() }, 100.0, Grade::Fail);
        check(UnitRecords { reopenings: 99, ..full.clone() }, 90.0, Grade::Excellent);
        check(UnitRecords { manual: vec![("B1".into(), 99.0)], ..full.clone() }, 65.0, Grade::Pass);
        check(UnitRecords::default(), 50.0, Grade::Fail);
        // Bands are inclusive at the boundary and exact in decimal.
        check(UnitRecords { manual: vec![("B1".into(), 15.0), ("B2".into(), 15.0), ("B3".into(), 10.0)], ..full.clone() }, 90.0, Grade::Excellent);
    }

    #[test]
    fn schemes_are_checked() {
        let default = Scheme::default_scheme();
        assert_eq!(Scheme::parse_toml(&default.to_toml()).unwrap(), default, "round trip through TOML");
        let bad = |text: &str| {
            let message = Scheme::parse_toml(text).unwrap_err().message();
            format!("{} | {}", message.render(crate::message::Lang::Zh), message.render(crate::message::Lang::En))
        };
        let one = |points: f64, extra: &str| format!("[[indicator]]\ncode = \"X\"\nname = \"x\"\npoints = {points}\nsource = \"manual\"\n{extra}");
        assert!(bad(&one(90.0, "")).contains("90"), "the total is named");
        assert!(bad(&one(100.0, "colour = 1")).contains("colour"), "unknown keys are refused");
        assert!(bad(&format!("{}{}", one(50.0, ""), one(50.0, ""))).contains("重复"));
        assert!(bad(&one(100.0, "").replace("manual", "magic")).contains("magic"));
        assert!(bad(&format!("[bands]\nexcellent = 80\ngood = 90\npass = 60\n{}", one(100.0, ""))).contains("descend"));
        assert!(bad("not toml at all [[[").contains("parse"));
        assert!(bad(&one(100.0, "deduction = -1")).contains("'X'"), "a negative deduction names the indicator");
        assert!(bad(&one(0.0, "")).contains("'X'"), "zero points name the indicator");
        assert!(bad(&one(100.0, "").replace("manual", "reopened")).contains("deduction"));
    }
}
