//! Accountability (问责): the measures a committee takes against a unit or person — 约谈, 通报,
//! 警示曝光, 建议提醒, referral for discipline — and the interview (约谈) triggers of 安委〔2018〕2号
//! computed from accident records, as suggestions for the office to decide on.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accidents::AccidentLevel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// 约谈
    Interview,
    /// 通报
    Notice,
    /// 警示曝光
    Exposure,
    /// 建议提醒
    Reminder,
    /// 移交纪检监察 (referral for discipline)
    Referral,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 5] = [Self::Interview, Self::Notice, Self::Exposure, Self::Reminder, Self::Referral];

    pub fn key(self) -> &'static str {
        match self {
            Self::Interview => "interview",
            Self::Notice => "notice",
            Self::Exposure => "exposure",
            Self::Reminder => "reminder",
            Self::Referral => "referral",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Interview => "约谈",
            Self::Notice => "通报",
            Self::Exposure => "警示曝光",
            Self::Reminder => "建议提醒",
            Self::Referral => "移交纪检监察",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Interview => "Interview",
            Self::Notice => "Public notice",
            Self::Exposure => "Warning exposure",
            Self::Reminder => "Reminder",
            Self::Referral => "Referral for discipline",
        }
    }
}

/// What the accountability rules need to know of an accident. The accident module provides
/// these; until then they come from wherever the caller has them (tests use fixtures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccidentFact {
    /// The city (prefecture) where it happened, six digits.
    pub city_code: String,
    pub occurred_on: Date,
    pub grade: AccidentLevel,
}

/// A measure the rules suggest; the office decides whether to take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub kind: MeasureKind,
    /// `province` or the city code whose principal is concerned.
    pub target: String,
    pub reason: crate::message::Message,
}

/// Whether `n` accidents of the list fall within `days` of one another.
fn cluster(dates: &[Date], n: usize, days: i64) -> bool {
    dates.windows(n).any(|w| (w[n - 1] - w[0]).get_days() as i64 <= days)
}

/// The 约谈 triggers of 安委〔2018〕2号, evaluated on the accidents of the 12 months up to `today`:
/// a 特别重大 accident → the province's principal; a 重大 accident in a city → that city's
/// principal, escalating (with a 通报) when two fall within 30 days or three within 6 months;
/// three 较大 accidents within 6 months in a city → that city's principal.
pub fn suggestions(accidents: &[AccidentFact], today: Date) -> Vec<Suggestion> {
    let since = today.checked_sub(jiff::Span::new().days(365)).unwrap_or(today);
    let recent: Vec<&AccidentFact> = accidents.iter().filter(|a| a.occurred_on > since && a.occurred_on <= today).collect();
    let mut out = Vec::new();
    for accident in recent.iter().filter(|a| a.grade == AccidentLevel::EspeciallyMajor) {
        out.push(Suggestion {
            kind: MeasureKind::Interview,
            target: "province".into(),
            reason: crate::message!("accountability.especially_serious_accident", occurred_on = accident.occurred_on),
        });
    }
    let mut cities: Vec<&str> = recent.iter().map(|a| a.city_code.as_str()).collect();
    cities.sort();
    cities.dedup();
    for city in cities {
        let dates_of = |grade: AccidentLevel| {
            let mut dates: Vec<Date> = recent.iter().filter(|a| a.city_code == city && a.grade == grade).map(|a| a.occurred_on).collect();
            dates.sort();
            dates
        };
        let major = dates_of(AccidentLevel::Major);
        if !major.is_empty() {
            let escalated = cluster(&major, 2, 30) || cluster(&major, 3, 183);
            out.push(Suggestion {
                kind: MeasureKind::Interview,
                target: city.to_owned(),
                reason: if escalated {
                    crate::message!("accountability.repeated_major_accidents_escalated", major = major.len())
                } else {
                    crate::message!("accountability.major_accident", value = major[0])
                },
            });
            if escalated {
                out.push(Suggestion {
                    kind: MeasureKind::Notice,
                    target: city.to_owned(),
                    reason: crate::message!("accountability.repeated_major_accidents_public_notice"),
                });
            }
        }
        let larger = dates_of(AccidentLevel::Larger);
        if cluster(&larger, 3, 183) {
            out.push(Suggestion {
                kind: MeasureKind::Interview,
                target: city.to_owned(),
                reason: crate::message!("accountability.three_larger_accidents_within_6_months", larger = larger.len()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accident(city: &str, date: (i16, i8, i8), grade: AccidentLevel) -> AccidentFact {
        AccidentFact { city_code: city.into(), occurred_on: jiff::civil::date(date.0, date.1, date.2), grade }
    }

    fn kinds(found: &[Suggestion]) -> Vec<(MeasureKind, &str)> {
        found.iter().map(|s| (s.kind, s.target.as_str())).collect()
    }

    #[test]
    fn the_2018_triggers() {
        let today = jiff::civil::date(2020, 12, 1);
        use AccidentLevel::*;
        assert!(suggestions(&[accident("220100", (2020, 5, 1), General), accident("220100", (2020, 6, 1), Larger)], today).is_empty());
        assert_eq!(kinds(&suggestions(&[accident("220100", (2020, 5, 1), EspeciallyMajor)], today)), [(MeasureKind::Interview, "province")]);
        assert_eq!(kinds(&suggestions(&[accident("220200", (2020, 5, 1), Major)], today)), [(MeasureKind::Interview, "220200")]);
        let two_in_a_month = [accident("220200", (2020, 5, 1), Major), accident("220200", (2020, 5, 25), Major)];
        assert_eq!(kinds(&suggestions(&two_in_a_month, today)), [(MeasureKind::Interview, "220200"), (MeasureKind::Notice, "220200")]);
        let three_larger = [accident("220300", (2020, 3, 1), Larger), accident("220300", (2020, 5, 1), Larger), accident("220300", (2020, 8, 20), Larger)];
        assert_eq!(kinds(&suggestions(&three_larger, today)), [(MeasureKind::Interview, "220300")]);
        let spread = [accident("220300", (2020, 1, 10), Larger), accident("220300", (2020, 5, 1), Larger), accident("220300", (2020, 8, 20), Larger)];
        assert!(suggestions(&spread, today).is_empty(), "three larger accidents over more than 6 months");
        let other_cities = [accident("220300", (2020, 3, 1), Larger), accident("220400", (2020, 5, 1), Larger), accident("220300", (2020, 4, 20), Larger)];
        assert!(suggestions(&other_cities, today).is_empty(), "counted per city");
        assert!(suggestions(&[accident("220100", (2019, 5, 1), EspeciallyMajor)], today).is_empty(), "older than a year");
        for kind in MeasureKind::ALL {
            assert_eq!(MeasureKind::parse(kind.key()), Some(kind));
        }
    }
}
