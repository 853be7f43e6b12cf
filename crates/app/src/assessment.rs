//! The annual assessment (考核) as the committee office runs it: its scheme for the year (the
//! default until it saves its own), each unit's records from the work plans, the scores and
//! findings it enters with evidence, score sheets, the ranking of cities or of departments, and
//! its export. A city's own people may read their city's score sheet.

use domain::assessment::{Grade, Scheme, ScoreSheet, Source, UnitRecords, score};
use domain::audit::Outcome;
use domain::message::Message;
use domain::unit::UnitKind;
use serde::Serialize;

use crate::audit::day_start_ms;
use crate::policy::{self, Action, AssignedUnit};
use crate::spreadsheet::{Column, SpreadsheetFormat};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Which units a ranking compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RankingTier)]
pub enum Tier {
    /// The city (or county) governments one tier below the office.
    Cities,
    /// The member departments and organisations.
    Departments,
}

impl Tier {
    pub fn parse(key: &str) -> Option<Self> {
        match key {
            "cities" | "" => Some(Self::Cities),
            "departments" => Some(Self::Departments),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankingRow {
    pub rank: usize,
    pub unit_id: i64,
    pub unit_name: String,
    pub total: f64,
    pub grade: Grade,
    pub vetoed: bool,
}

/// A unit's score sheet with what the office entered.
#[derive(Debug, Clone)]
pub struct UnitAssessment {
    pub unit_id: i64,
    pub unit_name: String,
    pub year: i64,
    pub sheet: ScoreSheet,
    pub scores: Vec<store::ScoreRow>,
    pub findings: Vec<store::FindingRow>,
    /// Indicators the office scores by hand: (code, name, points).
    pub manual_indicators: Vec<(String, String, f64)>,
    pub may_enter: bool,
}

fn invalid(field: &'static str, message: Message) -> AppError {
    AppError::Invalid(vec![invalid_field(field, message)])
}

fn invalid_field(field: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field, message }
}

/// One indicator row of the scheme form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub points: String,
    /// A `Source` key.
    pub source: String,
    pub deduction: String,
}

/// The grade bands of the scheme form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct BandsRow {
    pub excellent: String,
    pub good: String,
    pub pass: String,
}

/// The epoch millisecond at which the day after `date` begins in China, or `None` if the date is bad.
fn end_of_day_ms(date: &str) -> Option<i64> {
    let date: jiff::civil::Date = date.parse().ok()?;
    day_start_ms(&date.tomorrow().ok()?.to_string()).ok()
}

/// A unit's records from the facts of its assignments, as of `today`.
pub fn records_from_facts(facts: &[store::AssignmentFacts], today: jiff::civil::Date) -> UnitRecords {
    let mut records = UnitRecords::default();
    for fact in facts {
        records.assignments += 1;
        if fact.accepted_reports > 0 {
            records.assignments_accepted += 1;
        }
        records.reopenings += u32::try_from(fact.reopenings).unwrap_or(u32::MAX);
        let due = [(&fact.half_year_due, fact.first_half_year_report_at.or(fact.first_annual_report_at)), (&fact.annual_due, fact.first_annual_report_at)];
        for (deadline, first_report) in due {
            let passed = deadline.parse::<jiff::civil::Date>().is_ok_and(|d| today > d);
            if passed {
                records.reports_due += 1;
                if let (Some(at), Some(limit)) = (first_report, end_of_day_ms(deadline))
                    && at < limit
                {
                    records.reports_on_time += 1;
                }
            }
        }
    }
    records
}

impl App {
    /// The office whose assessment this is: the actor's own, if it supervises its region.
    async fn assessing_office(&self, actor: &Actor, client: &Client, action: &str) -> Result<()> {
        let path = actor.region_path.clone().unwrap_or_default();
        if policy::allows(actor, Action::ManageWorkPlan { region_path: &path }) {
            Ok(())
        } else {
            Err(self.denied(actor, client, action, "assessment".into()).await)
        }
    }

    /// As `assessing_office`, for a unit the office assesses.
    async fn assessing_office_of(&self, actor: &Actor, client: &Client, action: &str, unit_id: i64) -> Result<()> {
        if self.oversees(actor, unit_id).await? { Ok(()) } else { Err(self.denied(actor, client, action, format!("unit:{unit_id}")).await) }
    }

    /// The province office that assesses everyone (the owner of the assessed plans).
    async fn province_office_unit(&self) -> Result<i64> {
        Ok(self.operator_actor().await?.unit_id)
    }

    async fn scheme_for(&self, owner_unit_id: i64, year: i64) -> Result<(Option<i64>, Scheme)> {
        match self.store.assessment_scheme(owner_unit_id, year).await? {
            Some(row) => Ok((Some(row.id), Scheme::parse_toml(&row.scheme).map_err(|e| AppError::Internal(format!("stored scheme {}: {e}", row.id)))?)),
            None => Ok((None, Scheme::default_scheme())),
        }
    }

    /// The scheme for `year`, as TOML for editing.
    pub async fn assessment_scheme_text(&self, actor: &Actor, client: &Client, year: i64) -> Result<String> {
        self.assessing_office(actor, client, "assessment.scheme").await?;
        Ok(self.scheme_for(actor.unit_id, year).await?.1.to_toml())
    }

    /// The scheme for `year`, for the form that edits it.
    pub async fn assessment_scheme(&self, actor: &Actor, client: &Client, year: i64) -> Result<Scheme> {
        self.assessing_office(actor, client, "assessment.scheme").await?;
        Ok(self.scheme_for(actor.unit_id, year).await?.1)
    }

    /// Replaces the scheme for `year` with one entered on the form: indicator rows (blank ones
    /// left out) and the grade bands, numbers as typed. Every problem is named by its row or
    /// field.
    pub async fn save_assessment_scheme_form(&self, actor: &Actor, client: &Client, year: i64, rows: &[IndicatorRow], bands: &BandsRow) -> Result<()> {
        self.assessing_office(actor, client, "assessment.scheme").await?;
        let mut problems = Vec::new();
        // A number as typed, or the problem it is (named by `problem(row, value)`).
        let number = |text: &str, row: usize, problem: fn(usize, String) -> Message, problems: &mut Vec<domain::enterprises::FieldError>| -> f64 {
            let text = text.trim();
            if text.is_empty() {
                return 0.0;
            }
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => value,
                _ => {
                    problems.push(invalid_field("indicators", problem(row, text.chars().take(20).collect())));
                    0.0
                }
            }
        };
        let points_problem: fn(usize, String) -> Message = |row, value| domain::message!("assessment.row_points", row = row, value = value);
        let deduction_problem: fn(usize, String) -> Message = |row, value| domain::message!("assessment.row_deduction", row = row, value = value);
        let mut indicators = Vec::new();
        for (n, row) in rows.iter().enumerate().filter(|(_, r)| !(r.code.trim().is_empty() && r.name.trim().is_empty() && r.points.trim().is_empty())) {
            let place = n + 1;
            let source = Source::ALL.into_iter().find(|s| s.key() == row.source.trim());
            if source.is_none() {
                problems.push(invalid_field("indicators", domain::message!("assessment.row_source", row = place)));
            }
            indicators.push(domain::assessment::Indicator {
                code: row.code.trim().to_owned(),
                name: row.name.trim().to_owned(),
                points: number(&row.points, place, points_problem, &mut problems),
                source: source.unwrap_or(Source::Manual),
                deduction: number(&row.deduction, place, deduction_problem, &mut problems),
            });
        }
        let band = |text: &str, name: &'static str, problems: &mut Vec<domain::enterprises::FieldError>| match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ => {
                problems.push(invalid_field(name, domain::message!("assessment.band_number")));
                0.0
            }
        };
        let bands = domain::assessment::GradeBands {
            excellent: band(&bands.excellent, "excellent", &mut problems),
            good: band(&bands.good, "good", &mut problems),
            pass: band(&bands.pass, "pass", &mut problems),
        };
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let scheme = Scheme::new(indicators, bands).map_err(|e| invalid("indicators", e.message()))?;
        self.store_scheme(actor, client, year, &scheme).await
    }

    /// Replaces the scheme for `year` with one written in TOML; every problem is named.
    pub async fn save_assessment_scheme(&self, actor: &Actor, client: &Client, year: i64, text: &str) -> Result<()> {
        self.assessing_office(actor, client, "assessment.scheme").await?;
        if text.len() > 64 * 1024 {
            return Err(invalid("scheme", domain::message!("assessment.scheme_too_long")));
        }
        let scheme = Scheme::parse_toml(text).map_err(|e| invalid("scheme", e.message()))?;
        self.store_scheme(actor, client, year, &scheme).await
    }

    async fn store_scheme(&self, actor: &Actor, client: &Client, year: i64, scheme: &Scheme) -> Result<()> {
        let event = audit_event(
            Some(actor),
            client,
            "assessment.scheme",
            format!("assessment:{year}"),
            Outcome::Success,
            serde_json::json!({"indicators": scheme.indicators().len()}),
        );
        self.store.save_assessment_scheme(actor.unit_id, year, &scheme.to_toml(), &event).await?;
        Ok(())
    }

    /// The scheme's id for `year`, saving the default first if the office has none yet (scores
    /// and findings hang on it).
    async fn scheme_id(&self, actor: &Actor, client: &Client, year: i64) -> Result<i64> {
        match self.scheme_for(actor.unit_id, year).await? {
            (Some(id), _) => Ok(id),
            (None, scheme) => {
                let event =
                    audit_event(Some(actor), client, "assessment.scheme", format!("assessment:{year}"), Outcome::Success, serde_json::json!({"default": true}));
                Ok(self.store.save_assessment_scheme(actor.unit_id, year, &scheme.to_toml(), &event).await?)
            }
        }
    }

    async fn sheet(&self, owner_unit_id: i64, year: i64, unit_id: i64) -> Result<(ScoreSheet, Vec<store::ScoreRow>, Vec<store::FindingRow>, Scheme)> {
        let (scheme_id, scheme) = self.scheme_for(owner_unit_id, year).await?;
        let facts = self.store.assignment_facts(owner_unit_id, year, unit_id).await?;
        let mut records = records_from_facts(&facts, domain::time::today());
        let (scores, findings) = match scheme_id {
            Some(id) => (self.store.assessment_scores(id, unit_id).await?, self.store.assessment_findings(id, unit_id).await?),
            None => (Vec::new(), Vec::new()),
        };
        records.manual = scores.iter().map(|s| (s.indicator_code.clone(), s.score)).collect();
        records.vetoes = findings.iter().filter(|f| f.kind == "veto").map(|f| f.reason.clone()).collect();
        // A liability accident of the vetoing level in a government's region vetoes its year.
        if let Ok(unit) = self.store.unit(unit_id).await
            && unit.kind == domain::unit::UnitKind::Government.as_str()
            && let Some(region_code) = &unit.region_code
        {
            records.vetoes.extend(self.accident_vetoes(region_code, year).await?);
        }
        records.falsifications = findings.iter().filter(|f| f.kind == "falsification").map(|f| f.reason.clone()).collect();
        Ok((score(&scheme, &records), scores, findings, scheme))
    }

    /// The ranking of cities or of departments for `year`: vetoed units last, then by total.
    pub async fn assessment_ranking(&self, actor: &Actor, client: &Client, year: i64, tier: Tier) -> Result<Vec<RankingRow>> {
        self.assessing_office(actor, client, "assessment.read").await?;
        let own_region = actor.region_path.as_deref().and_then(|p| p.trim_end_matches('/').rsplit('/').next()).unwrap_or("").to_owned();
        let children: Vec<String> = self.store.region_children(&own_region).await?.into_iter().map(|r| r.code.to_string()).collect();
        let mut rows = Vec::new();
        for (unit_id, unit_name, kind, region) in self.store.assessed_units(actor.unit_id, year).await? {
            let is_city = kind == UnitKind::Government.as_str() && region.as_ref().is_some_and(|r| children.contains(r));
            let wanted = match tier {
                Tier::Cities => is_city,
                Tier::Departments => !is_city && kind != UnitKind::Government.as_str() && unit_id != actor.unit_id,
            };
            if wanted {
                let (sheet, _, _, _) = self.sheet(actor.unit_id, year, unit_id).await?;
                rows.push(RankingRow { rank: 0, unit_id, unit_name, total: sheet.total, grade: sheet.grade, vetoed: sheet.vetoed });
            }
        }
        rows.sort_by(|a, b| a.vetoed.cmp(&b.vetoed).then(b.total.total_cmp(&a.total)).then(a.unit_name.cmp(&b.unit_name)));
        for (index, row) in rows.iter_mut().enumerate() {
            row.rank = index + 1;
        }
        Ok(rows)
    }

    /// A unit's score sheet: for the assessing office, or for the people who act for the unit.
    pub async fn unit_assessment(&self, actor: &Actor, client: &Client, year: i64, unit_id: i64) -> Result<UnitAssessment> {
        let unit = self.store.unit(unit_id).await.map_err(AppError::from)?;
        let manages = self.oversees(actor, unit_id).await?;
        let own =
            actor.unit_id == unit_id || policy::acts_for(actor, &AssignedUnit { unit_id, unit_kind: &unit.kind, region_code: unit.region_code.as_deref() });
        if !manages && !own {
            return Err(self.denied(actor, client, "assessment.read", format!("unit:{unit_id}")).await);
        }
        let owner = if manages { actor.unit_id } else { self.province_office_unit().await? };
        let (sheet, scores, findings, scheme) = self.sheet(owner, year, unit_id).await?;
        Ok(UnitAssessment {
            unit_id,
            unit_name: unit.name,
            year,
            sheet,
            scores,
            findings,
            manual_indicators: scheme
                .indicators()
                .iter()
                .filter(|i| i.source == domain::assessment::Source::Manual)
                .map(|i| (i.code.clone(), i.name.clone(), i.points))
                .collect(),
            may_enter: manages,
        })
    }

    /// The office scores a manual indicator for a unit, with the evidence it relied on.
    pub async fn enter_assessment_score(&self, actor: &Actor, client: &Client, year: i64, unit_id: i64, code: &str, value: f64, evidence: &str) -> Result<()> {
        self.assessing_office_of(actor, client, "assessment.score", unit_id).await?;
        let (_, scheme) = self.scheme_for(actor.unit_id, year).await?;
        let Some(indicator) = scheme.indicators().iter().find(|i| i.code == code && i.source == domain::assessment::Source::Manual) else {
            return Err(invalid("code", domain::message!("assessment.not_indicator_office_scores", value = code.chars().take(32).collect::<String>())));
        };
        if !(value.is_finite() && (0.0..=indicator.points).contains(&value)) {
            return Err(invalid("score", domain::message!("assessment.score_must_lie_between_0", points = indicator.points)));
        }
        let evidence = evidence.trim();
        if evidence.is_empty() || evidence.chars().count() > 2_000 {
            return Err(invalid("evidence", domain::message!("assessment.give_evidence_most_2000_characters")));
        }
        let scheme_id = self.scheme_id(actor, client, year).await?;
        let event = audit_event(
            Some(actor),
            client,
            "assessment.score",
            format!("unit:{unit_id}"),
            Outcome::Success,
            serde_json::json!({"year": year, "code": code, "score": value}),
        );
        Ok(self.store.enter_assessment_score(scheme_id, unit_id, code, value, evidence, actor.user_id, &event).await?)
    }

    /// The office records a one-vote veto (`veto`) or falsified data (`falsification`) against a unit.
    pub async fn record_assessment_finding(&self, actor: &Actor, client: &Client, year: i64, unit_id: i64, kind: &str, reason: &str) -> Result<()> {
        self.assessing_office_of(actor, client, "assessment.finding", unit_id).await?;
        if !matches!(kind, "veto" | "falsification") {
            return Err(invalid("kind", domain::message!("assessment.use_veto_falsification")));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2_000 {
            return Err(invalid("reason", domain::message!("assessment.give_reason_most_2000_characters")));
        }
        let scheme_id = self.scheme_id(actor, client, year).await?;
        let event = audit_event(
            Some(actor),
            client,
            "assessment.finding",
            format!("unit:{unit_id}"),
            Outcome::Success,
            serde_json::json!({"year": year, "kind": kind, "reason": reason}),
        );
        self.store.add_assessment_finding(scheme_id, unit_id, kind, reason, actor.user_id, &event).await?;
        Ok(())
    }

    /// The ranking as a spreadsheet, with every indicator's score per unit. In English
    /// (`english`) an indicator is headed by its code and points only: its name is the scheme's
    /// own words, in the language it was written in.
    pub async fn export_assessment(&self, actor: &Actor, client: &Client, year: i64, tier: Tier, format: SpreadsheetFormat, english: bool) -> Result<Vec<u8>> {
        let ranking = self.assessment_ranking(actor, client, year, tier).await?;
        let (_, scheme) = self.scheme_for(actor.unit_id, year).await?;
        let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
        let headings: Vec<String> = [say("名次", "Rank"), say("单位", "Unit")]
            .iter()
            .map(|h| (*h).to_owned())
            .chain(
                scheme
                    .indicators()
                    .iter()
                    .map(|i| if english { format!("{} ({} points)", i.code, i.points) } else { format!("{} {}({}分)", i.code, i.name, i.points) }),
            )
            .chain([say("总分", "Total"), say("等级", "Grade"), say("一票否决", "Vetoed")].iter().map(|h| (*h).to_owned()))
            .collect();
        let columns: Vec<Column> = headings.iter().map(|h| Column { heading: h, width: 14.0 }).collect();
        let mut rows = Vec::new();
        for row in &ranking {
            let (sheet, _, _, _) = self.sheet(actor.unit_id, year, row.unit_id).await?;
            let mut cells = vec![row.rank.to_string(), row.unit_name.clone()];
            cells.extend(sheet.lines.iter().map(|l| format!("{}", l.score)));
            cells.extend([
                format!("{}", sheet.total),
                if english { sheet.grade.label_en() } else { sheet.grade.label_zh() }.to_owned(),
                if sheet.vetoed { say("是", "yes").into() } else { String::new() },
            ]);
            rows.push(cells);
        }
        let export = crate::exports::Export {
            action: "assessment.export",
            target: format!("assessment:{year}"),
            format,
            sheet_name: say("考核排名", "Ranking"),
            columns: &columns,
            details: serde_json::json!({"tier": tier}),
        };
        self.export_table(actor, client, export, rows.into_iter()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(half: Option<&str>, annual: Option<&str>, accepted: i64, reopenings: i64) -> store::AssignmentFacts {
        let at = |d: Option<&str>| d.map(|d| day_start_ms(d).unwrap() + 3_600_000);
        store::AssignmentFacts {
            half_year_due: "2020-06-30".into(),
            annual_due: "2020-12-31".into(),
            first_half_year_report_at: at(half),
            first_annual_report_at: at(annual),
            accepted_reports: accepted,
            reopenings,
        }
    }

    #[test]
    fn records_count_reports_due_and_on_time() {
        let july = jiff::civil::date(2020, 7, 15);
        let records = records_from_facts(&[facts(Some("2020-06-30"), None, 1, 0), facts(Some("2020-07-02"), None, 0, 2), facts(None, None, 0, 0)], july);
        assert_eq!((records.reports_due, records.reports_on_time), (3, 1), "a report on the due day counts; the day after does not");
        assert_eq!((records.assignments, records.assignments_accepted, records.reopenings), (3, 1, 2));
        let next_year = jiff::civil::date(2021, 1, 5);
        let records = records_from_facts(&[facts(Some("2020-06-01"), Some("2020-12-31"), 2, 0)], next_year);
        assert_eq!((records.reports_due, records.reports_on_time), (2, 2));
        let june = jiff::civil::date(2020, 6, 30);
        assert_eq!(records_from_facts(&[facts(None, None, 0, 0)], june).reports_due, 0, "nothing is due before its day has passed");
    }
}
