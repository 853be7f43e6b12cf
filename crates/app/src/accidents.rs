//! Accidents (事故) as people report and follow them: a report graded by the statutory rules (a
//! level is never set by hand), casualty updates within the window that regrade it, concealment,
//! the investigation by the tier the level names with its report's measures tracked and assessed
//! within a year, statistics by level, kind, city and month against the same months of the year
//! before, and the feeds: accident facts for accountability's interview rules (`AccidentRecords`)
//! and the one-vote veto of a region's assessment.

use std::collections::BTreeMap;

use domain::accidents::{self as rules, AccidentKind, AccidentLevel, Casualties};
use domain::accountability::AccidentFact;
use domain::audit::Outcome;
use domain::enterprises::FieldError;
use domain::message::Message;
use domain::region::RegionLevel;
use serde::{Deserialize, Serialize};
use store::NewAccident;
pub use store::{AccidentMeasureRow, AccidentRow, AccidentUpdateRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Most accidents listed at once.
pub const ACCIDENTS_MAX: i64 = 2_000;
/// Largest counts and loss accepted (beyond them a figure is a typing error).
pub const PEOPLE_MAX: i64 = 10_000;
pub const LOSS_YUAN_MAX: i64 = 1_000_000_000_000;
/// How long after the accident its first report is on time (the statutory hour).
pub const REPORT_WITHIN_MS: i64 = 3_600_000;
/// The level from which a liability accident vetoes its region's assessment for the year.
pub const VETO_LEVEL: AccidentLevel = AccidentLevel::Major;

fn field(name: &'static str, message: Message) -> FieldError {
    FieldError { field: name, message }
}

/// An accident as reported. The level is computed; a body that names one is refused.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"enterprise_id": 5, "occurred_at": "2026-03-01T09:30:00+08:00", "kind": "其他爆炸", "deaths": 1, "serious_injuries": 2, "direct_loss_yuan": 1200000, "summary": "反应釜超压爆炸"}))]
pub struct AccidentInput {
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    /// The county of an accident outside any registered enterprise.
    #[serde(default)]
    pub region_code: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub occurred_at: String,
    /// One of the 20 kinds of GB 6441-1986 by its Chinese name (e.g. `其他爆炸`) or key.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub road_traffic: bool,
    #[serde(default)]
    pub deaths: i64,
    #[serde(default)]
    pub missing: i64,
    #[serde(default)]
    pub serious_injuries: i64,
    #[serde(default)]
    pub direct_loss_yuan: i64,
    #[serde(default)]
    pub summary: String,
    /// A liability accident (生产安全责任事故); true unless the report says otherwise.
    #[serde(default)]
    pub liability: Option<bool>,
    /// Refused when given: the level follows from the counts.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub level: Option<serde_json::Value>,
}

/// New casualty counts within the update window.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CasualtyInput {
    pub deaths: i64,
    #[serde(default)]
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub level: Option<serde_json::Value>,
}

/// The approved investigation report.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    #[serde(default)]
    pub approved_on: String,
    #[serde(default)]
    pub findings: String,
    #[serde(default)]
    pub measures: Vec<MeasureInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MeasureInput {
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub responsible: String,
    #[serde(default)]
    pub due_on: String,
}

/// An accident in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccidentSummary {
    pub id: i64,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub occurred_at: i64,
    pub kind: AccidentKind,
    pub deaths: i64,
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    pub level: AccidentLevel,
    pub concealed: bool,
    pub late_reported: bool,
    pub investigation_state: String,
}

impl From<AccidentRow> for AccidentSummary {
    fn from(row: AccidentRow) -> Self {
        Self {
            id: row.id,
            enterprise_id: row.enterprise_id,
            enterprise_name: row.enterprise_name,
            region_code: row.region_code,
            region_name: row.region_name,
            occurred_at: row.occurred_at,
            kind: row.kind,
            deaths: row.deaths,
            missing: row.missing,
            serious_injuries: row.serious_injuries,
            direct_loss_yuan: row.direct_loss_yuan,
            level: row.level,
            concealed: row.concealed,
            late_reported: row.late_reported,
            investigation_state: row.investigation_state,
        }
    }
}

/// An accident with its history and follow-up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccidentView {
    #[serde(flatten)]
    pub accident: AccidentSummary,
    pub reported_at: i64,
    pub road_traffic: bool,
    pub liability: bool,
    pub summary: String,
    /// The last day casualty counts may change.
    pub updates_until: String,
    pub investigating_tier: domain::enforcement::Tier,
    pub report_approved_on: Option<String>,
    pub findings: String,
    pub assessed_on: Option<String>,
    /// The day by which the measures are assessed (a year after the report's approval).
    pub assess_by: Option<String>,
    pub updates: Vec<UpdateView>,
    pub measures: Vec<MeasureView>,
    /// The hidden dangers the accident exposed (举一反三): reported with source `accident` and
    /// reference `accident:ID`.
    pub dangers: Vec<FollowUpDanger>,
    /// The campaigns opened in answer to it.
    pub campaigns: Vec<FollowUpCampaign>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpDanger {
    pub id: i64,
    pub description: String,
    pub state: domain::hidden_dangers::DangerState,
    pub grade: domain::hidden_dangers::DangerGrade,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpCampaign {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub deaths: i64,
    pub missing: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    pub level: AccidentLevel,
    pub note: String,
    pub updated_by: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureView {
    pub id: i64,
    pub measure: String,
    pub responsible: String,
    pub due_on: String,
    pub done_on: Option<String>,
}

/// Accident statistics of a territory for a year, with the same figures for the year before.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccidentStatistics {
    pub year: i64,
    pub accidents: i64,
    pub deaths: i64,
    pub accidents_last_year: i64,
    pub deaths_last_year: i64,
    /// Accidents by level key.
    pub by_level: BTreeMap<String, i64>,
    /// Accidents by kind key.
    pub by_kind: BTreeMap<String, i64>,
    /// (city code, city name, accidents, deaths)
    pub by_city: Vec<CityAccidents>,
    /// Accidents per month (1–12) this year and the year before, up to this month for this year.
    pub by_month: Vec<MonthAccidents>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CityAccidents {
    pub city_code: String,
    pub city_name: String,
    pub accidents: i64,
    pub deaths: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthAccidents {
    pub month: i64,
    pub accidents: i64,
    pub accidents_last_year: i64,
}

fn date_of(ms: i64) -> jiff::civil::Date {
    domain::time::date_of_ms(ms)
}

/// Epoch milliseconds of a year's first instant in China, and of the next year's.
fn year_bounds_ms(year: i64) -> (i64, i64) {
    let start = |y: i64| jiff::civil::Date::new(y.clamp(1900, 9000) as i16, 1, 1).map(domain::time::day_start_ms).unwrap_or(0);
    (start(year), start(year + 1))
}

fn count(value: i64, name: &'static str, max: i64, problems: &mut Vec<FieldError>) -> i64 {
    if !(0..=max).contains(&value) {
        problems.push(field(name, domain::message!("accidents.count_between", max = max)));
    }
    value.clamp(0, max)
}

impl App {
    /// Reports an accident; its level follows from the counts. Returns (id, level).
    pub async fn report_accident(&self, actor: &Actor, client: &Client, input: &AccidentInput) -> Result<(i64, AccidentLevel)> {
        if !policy::allows(actor, Action::ReportAccident { enterprise_id: input.enterprise_id }) {
            return Err(self.denied(actor, client, "accident.report", "accidents".into()).await);
        }
        let mut problems = Vec::new();
        if input.level.is_some() {
            problems.push(field("level", domain::message!("accidents.level_is_computed")));
        }
        let own = actor.region_path.clone().unwrap_or_default();
        let region_code = match input.enterprise_id {
            Some(id) => match self.enterprise(actor, client, id).await {
                Ok(enterprise) => Some(enterprise.enterprise.region_code.to_string()),
                Err(_) => {
                    problems.push(field("enterprise_id", domain::message!("enforcement.enterprise_outside_territory")));
                    None
                }
            },
            None => match self.store.region(input.region_code.as_deref().unwrap_or("").trim()).await {
                Ok(region) if region.path.starts_with(&own) && !own.is_empty() => Some(region.code.to_string()),
                _ => {
                    problems.push(field("region_code", domain::message!("enforcement.region_outside_territory")));
                    None
                }
            },
        };
        let now = domain::time::now_ms();
        let occurred_at = input.occurred_at.trim().parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond());
        let occurred_at = match occurred_at {
            // A few minutes' grace for clocks; nothing from the future or before ten years ago.
            Some(at) if at <= now + 300_000 && at >= now - 10 * 366 * 86_400_000 => Some(at),
            _ => {
                problems.push(field("occurred_at", domain::message!("accidents.occurred_at")));
                None
            }
        };
        let kind = AccidentKind::parse_name(&input.kind);
        if kind.is_none() {
            problems.push(field("kind", domain::message!("accidents.kind")));
        }
        let deaths = count(input.deaths, "deaths", PEOPLE_MAX, &mut problems);
        let missing = count(input.missing, "missing", PEOPLE_MAX, &mut problems);
        let serious_injuries = count(input.serious_injuries, "serious_injuries", PEOPLE_MAX, &mut problems);
        let direct_loss_yuan = count(input.direct_loss_yuan, "direct_loss_yuan", LOSS_YUAN_MAX, &mut problems);
        let summary = input.summary.trim();
        if summary.is_empty() || summary.chars().count() > 4_000 {
            problems.push(field("summary", domain::message!("accidents.summary")));
        }
        let (Some(region_code), Some(occurred_at), Some(kind), true) = (region_code, occurred_at, kind, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let casualties = Casualties { deaths: deaths as u32, missing: missing as u32, serious_injuries: serious_injuries as u32, direct_loss_yuan };
        let level = casualties.level();
        let accident = NewAccident {
            enterprise_id: input.enterprise_id,
            region_code,
            occurred_at,
            reported_at: now,
            kind,
            road_traffic: input.road_traffic,
            deaths,
            missing,
            serious_injuries,
            direct_loss_yuan,
            level,
            liability: input.liability.unwrap_or(true),
            late_reported: now - occurred_at > REPORT_WITHIN_MS,
            summary: summary.to_owned(),
        };
        let event = audit_event(
            Some(actor),
            client,
            "accident.report",
            String::new(),
            Outcome::Success,
            serde_json::json!({"enterprise": input.enterprise_id, "level": level.key(), "deaths": deaths, "late": accident.late_reported}),
        );
        let id = self.store.create_accident(&accident, actor.user_id, &event).await?;
        // The class of the enterprise (a fatal accident makes it 重点) and its credit follow.
        if input.enterprise_id.is_some() {
            self.recompute_enforcement_profiles().await?;
        }
        Ok((id, level))
    }

    /// An accident of the caller's territory.
    async fn visible_accident(&self, actor: &Actor, client: &Client, id: i64, action: &str) -> Result<AccidentRow> {
        let row = self.store.accident(id).await;
        let own = actor.region_path.clone().unwrap_or_default();
        match row {
            Ok(row) if policy::allows(actor, Action::ReadAccidents) && row.region_path.starts_with(&own) => Ok(row),
            _ => Err(self.denied(actor, client, action, format!("accident:{id}")).await),
        }
    }

    /// The accidents of the caller's territory in a year, newest first.
    pub async fn accidents(&self, actor: &Actor, client: &Client, year: i64) -> Result<Vec<AccidentSummary>> {
        let Some(path) = actor.region_path.clone().filter(|_| policy::allows(actor, Action::ReadAccidents)) else {
            return Err(self.denied(actor, client, "accident.list", "accidents".into()).await);
        };
        let (from, to) = year_bounds_ms(year);
        Ok(self.store.accidents(&path, from, to, ACCIDENTS_MAX).await?.into_iter().map(AccidentSummary::from).collect())
    }

    pub async fn accident_view(&self, actor: &Actor, client: &Client, id: i64) -> Result<AccidentView> {
        let row = self.visible_accident(actor, client, id, "accident.read").await?;
        let occurred_on = date_of(row.occurred_at);
        let window = rules::update_window_days(row.kind, row.road_traffic);
        let updates = self
            .store
            .accident_updates(id)
            .await?
            .into_iter()
            .map(|u| UpdateView {
                deaths: u.deaths,
                missing: u.missing,
                serious_injuries: u.serious_injuries,
                direct_loss_yuan: u.direct_loss_yuan,
                level: u.level,
                note: u.note,
                updated_by: u.updated_by_name,
                updated_at: u.updated_at,
            })
            .collect();
        let measures = self
            .store
            .accident_measures(id)
            .await?
            .into_iter()
            .map(|m| MeasureView { id: m.id, measure: m.measure, responsible: m.responsible, due_on: m.due_on, done_on: m.done_on })
            .collect();
        let mut dangers = Vec::new();
        for (danger_id, description, state, grade) in self.store.accident_dangers(id).await? {
            let (Some(state), Some(grade)) = (domain::hidden_dangers::DangerState::from_key(&state), domain::hidden_dangers::DangerGrade::from_key(&grade))
            else {
                return Err(AppError::Internal(format!("hidden danger {danger_id} has state {state} and grade {grade}")));
            };
            dangers.push(FollowUpDanger { id: danger_id, description, state, grade });
        }
        let campaigns = self.store.accident_campaigns(id).await?.into_iter().map(|(id, name)| FollowUpCampaign { id, name }).collect();
        let assess_by = row
            .report_approved_on
            .as_deref()
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .and_then(|d| d.checked_add(jiff::Span::new().years(1)).ok())
            .map(|d| d.to_string());
        Ok(AccidentView {
            reported_at: row.reported_at,
            road_traffic: row.road_traffic,
            liability: row.liability,
            summary: row.summary.clone(),
            updates_until: occurred_on.checked_add(jiff::Span::new().days(window)).map(|d| d.to_string()).unwrap_or_default(),
            investigating_tier: rules::investigating_tier(row.level),
            report_approved_on: row.report_approved_on.clone(),
            findings: row.findings.clone(),
            assessed_on: row.assessed_on.clone(),
            assess_by,
            updates,
            measures,
            dangers,
            campaigns,
            accident: row.into(),
        })
    }

    /// New casualty counts within the window (30 days, 7 for road traffic and fire); the level
    /// is regraded from them.
    pub async fn update_accident_casualties(&self, actor: &Actor, client: &Client, id: i64, input: &CasualtyInput) -> Result<AccidentLevel> {
        let row = self.visible_accident(actor, client, id, "accident.update").await?;
        if !policy::allows(actor, Action::ManageAccident) {
            return Err(self.denied(actor, client, "accident.update", format!("accident:{id}")).await);
        }
        let mut problems = Vec::new();
        if input.level.is_some() {
            problems.push(field("level", domain::message!("accidents.level_is_computed")));
        }
        if !rules::within_update_window(date_of(row.occurred_at), domain::time::today(), row.kind, row.road_traffic) {
            problems.push(field("occurred_at", domain::message!("accidents.window_closed", days = rules::update_window_days(row.kind, row.road_traffic))));
        }
        let deaths = count(input.deaths, "deaths", PEOPLE_MAX, &mut problems);
        let missing = count(input.missing, "missing", PEOPLE_MAX, &mut problems);
        let serious_injuries = count(input.serious_injuries, "serious_injuries", PEOPLE_MAX, &mut problems);
        let direct_loss_yuan = count(input.direct_loss_yuan, "direct_loss_yuan", LOSS_YUAN_MAX, &mut problems);
        let note = input.note.trim();
        if note.chars().count() > 1_000 {
            problems.push(field("note", domain::message!("accidents.note")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let level = Casualties { deaths: deaths as u32, missing: missing as u32, serious_injuries: serious_injuries as u32, direct_loss_yuan }.level();
        let event = audit_event(
            Some(actor),
            client,
            "accident.update",
            format!("accident:{id}"),
            Outcome::Success,
            serde_json::json!({"deaths": deaths, "missing": missing, "serious_injuries": serious_injuries, "loss": direct_loss_yuan, "level": level.key(), "was": row.level.key()}),
        );
        self.store.update_accident_casualties(id, (deaths, missing, serious_injuries, direct_loss_yuan), level, note, actor.user_id, &event).await?;
        if row.enterprise_id.is_some() {
            self.recompute_enforcement_profiles().await?;
        }
        Ok(level)
    }

    /// Marks an accident concealed or falsely reported (瞒报、谎报): a credit listing event.
    pub async fn mark_accident_concealed(&self, actor: &Actor, client: &Client, id: i64) -> Result<()> {
        let row = self.visible_accident(actor, client, id, "accident.conceal").await?;
        if !policy::allows(actor, Action::ManageAccident) {
            return Err(self.denied(actor, client, "accident.conceal", format!("accident:{id}")).await);
        }
        let event = audit_event(Some(actor), client, "accident.conceal", format!("accident:{id}"), Outcome::Success, serde_json::json!({}));
        self.store.mark_accident_concealed(id, &event).await?;
        if row.enterprise_id.is_some() {
            self.recompute_enforcement_profiles().await?;
        }
        Ok(())
    }

    /// Whether the actor's tier investigates this accident: its region is the accident's ancestor
    /// at the tier its level names.
    async fn investigates(&self, actor: &Actor, row: &AccidentRow) -> Result<bool> {
        let Some(own) = actor.region_path.as_deref() else { return Ok(false) };
        let own_code = own.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let own_level = self.store.region(own_code).await.map(|r| r.level).ok();
        let tier = rules::investigating_tier(row.level);
        let level_matches = matches!(
            (tier, own_level),
            (domain::enforcement::Tier::Province, Some(RegionLevel::Province))
                | (domain::enforcement::Tier::City, Some(RegionLevel::City))
                | (domain::enforcement::Tier::County, Some(RegionLevel::County))
        );
        Ok(level_matches && row.region_path.starts_with(own))
    }

    /// What the actor may do with an accident, for the page's forms: (update and mark concealed,
    /// approve the report and assess).
    pub async fn accident_permissions(&self, actor: &Actor, id: i64) -> Result<(bool, bool)> {
        let row = self.store.accident(id).await?;
        let actors_tier_investigates = self.investigates(actor, &row).await?;
        Ok((policy::allows(actor, Action::ManageAccident), policy::allows(actor, Action::InvestigateAccident { actors_tier_investigates })))
    }

    /// The investigating tier records the approved report: its findings and measures.
    pub async fn approve_accident_report(&self, actor: &Actor, client: &Client, id: i64, input: &ReportInput) -> Result<()> {
        let row = self.visible_accident(actor, client, id, "accident.report_approve").await?;
        let actors_tier_investigates = self.investigates(actor, &row).await?;
        if !policy::allows(actor, Action::InvestigateAccident { actors_tier_investigates }) {
            return Err(self.denied(actor, client, "accident.report_approve", format!("accident:{id}")).await);
        }
        let mut problems = Vec::new();
        let today = domain::time::today();
        let approved_on = input.approved_on.trim().parse::<jiff::civil::Date>().ok().filter(|d| *d <= today && *d >= date_of(row.occurred_at));
        if approved_on.is_none() {
            problems.push(field("approved_on", domain::message!("accidents.approved_on")));
        }
        let findings = input.findings.trim();
        if findings.is_empty() || findings.chars().count() > 8_000 {
            problems.push(field("findings", domain::message!("accidents.findings")));
        }
        if input.measures.is_empty() || input.measures.len() > 50 {
            problems.push(field("measures", domain::message!("accidents.measures_count")));
        }
        let mut measures = Vec::new();
        for measure in input.measures.iter().take(50) {
            let due = measure.due_on.trim().parse::<jiff::civil::Date>().ok();
            if measure.measure.trim().is_empty()
                || measure.measure.chars().count() > 1_000
                || measure.responsible.trim().is_empty()
                || measure.responsible.chars().count() > 200
            {
                problems.push(field("measures", domain::message!("accidents.measure_text")));
            }
            if due.is_none() {
                problems.push(field("measures.due_on", domain::message!("accidents.due_on")));
            }
            measures.push((measure.measure.trim().to_owned(), measure.responsible.trim().to_owned(), due.map(|d| d.to_string()).unwrap_or_default()));
        }
        let (Some(approved_on), true) = (approved_on, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let event = audit_event(
            Some(actor),
            client,
            "accident.report_approve",
            format!("accident:{id}"),
            Outcome::Success,
            serde_json::json!({"approved_on": approved_on.to_string(), "measures": measures.len()}),
        );
        Ok(self.store.approve_accident_report(id, &approved_on.to_string(), findings, &measures, &event).await?)
    }

    /// A measure of the report is done.
    pub async fn complete_accident_measure(&self, actor: &Actor, client: &Client, id: i64, measure_id: i64, done_on: &str) -> Result<()> {
        let row = self.visible_accident(actor, client, id, "accident.measure").await?;
        if !policy::allows(actor, Action::ManageAccident) || !self.store.accident_measures(row.id).await?.iter().any(|m| m.id == measure_id) {
            return Err(self.denied(actor, client, "accident.measure", format!("accident:{id}")).await);
        }
        let Some(done_on) = done_on.trim().parse::<jiff::civil::Date>().ok().filter(|d| *d <= domain::time::today()) else {
            return Err(AppError::Invalid(vec![field("done_on", domain::message!("accidents.done_on"))]));
        };
        let event =
            audit_event(Some(actor), client, "accident.measure", format!("accident:{id}"), Outcome::Success, serde_json::json!({"measure": measure_id}));
        Ok(self.store.complete_accident_measure(measure_id, &done_on.to_string(), &event).await?)
    }

    /// The investigating tier assesses the measures (Work Safety Law art. 86), within a year of
    /// the report's approval, once every measure is done; the accident closes.
    pub async fn assess_accident(&self, actor: &Actor, client: &Client, id: i64, assessed_on: &str) -> Result<()> {
        let row = self.visible_accident(actor, client, id, "accident.assess").await?;
        let actors_tier_investigates = self.investigates(actor, &row).await?;
        if !policy::allows(actor, Action::InvestigateAccident { actors_tier_investigates }) {
            return Err(self.denied(actor, client, "accident.assess", format!("accident:{id}")).await);
        }
        let approved = row.report_approved_on.as_deref().and_then(|d| d.parse::<jiff::civil::Date>().ok());
        let limit = approved.and_then(|d| d.checked_add(jiff::Span::new().years(1)).ok());
        let assessed = assessed_on
            .trim()
            .parse::<jiff::civil::Date>()
            .ok()
            .filter(|d| *d <= domain::time::today() && approved.is_some_and(|a| *d >= a) && limit.is_some_and(|l| *d <= l));
        let Some(assessed) = assessed else {
            return Err(AppError::Invalid(vec![field("assessed_on", domain::message!("accidents.assessed_on"))]));
        };
        let event = audit_event(
            Some(actor),
            client,
            "accident.assess",
            format!("accident:{id}"),
            Outcome::Success,
            serde_json::json!({"assessed_on": assessed.to_string()}),
        );
        Ok(self.store.assess_accident(id, &assessed.to_string(), &event).await?)
    }

    /// Statistics of the caller's territory for a year, with the year before (同比).
    pub async fn accident_statistics(&self, actor: &Actor, client: &Client, year: i64) -> Result<AccidentStatistics> {
        let this_year = self.accidents(actor, client, year).await?;
        let last_year = self.accidents(actor, client, year - 1).await?;
        let today = domain::time::today();
        let months = if i64::from(today.year()) == year { i64::from(today.month()) } else { 12 };
        let mut by_level = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        let mut cities: BTreeMap<String, CityAccidents> = BTreeMap::new();
        // Each region is looked up once, however many accidents it had.
        let mut city_of: BTreeMap<String, (String, String)> = BTreeMap::new();
        for accident in &this_year {
            *by_level.entry(accident.level.key().to_owned()).or_insert(0) += 1;
            *by_kind.entry(accident.kind.key().to_owned()).or_insert(0) += 1;
            if !city_of.contains_key(&accident.region_code) {
                let region = self.store.region(&accident.region_code).await?;
                let city_code = region.path.split('/').nth(1).filter(|c| !c.is_empty()).unwrap_or(region.code.as_str()).to_owned();
                let city_name = match self.store.region(&city_code).await {
                    Ok(city) => city.name,
                    Err(_) => region.name.clone(),
                };
                city_of.insert(accident.region_code.clone(), (city_code, city_name));
            }
            let Some((city_code, city_name)) = city_of.get(&accident.region_code).cloned() else { continue };
            let entry = cities.entry(city_code.clone()).or_insert(CityAccidents { city_code, city_name, accidents: 0, deaths: 0 });
            entry.accidents += 1;
            entry.deaths += accident.deaths + accident.missing;
        }
        let month_of = |ms: i64| i64::from(date_of(ms).month());
        let by_month = (1..=12)
            .map(|month| MonthAccidents {
                month,
                accidents: if month <= months { this_year.iter().filter(|a| month_of(a.occurred_at) == month).count() as i64 } else { 0 },
                accidents_last_year: last_year.iter().filter(|a| month_of(a.occurred_at) == month).count() as i64,
            })
            .collect();
        // 同比: the year before up to the same month.
        let last_year_to_date: Vec<&AccidentSummary> = last_year.iter().filter(|a| month_of(a.occurred_at) <= months).collect();
        Ok(AccidentStatistics {
            year,
            accidents: this_year.len() as i64,
            deaths: this_year.iter().map(|a| a.deaths + a.missing).sum(),
            accidents_last_year: last_year_to_date.len() as i64,
            deaths_last_year: last_year_to_date.iter().map(|a| a.deaths + a.missing).sum(),
            by_level,
            by_kind,
            by_city: cities.into_values().collect(),
            by_month,
        })
    }

    /// The year's accidents of the caller's territory as XLSX.
    pub async fn export_accidents(&self, actor: &Actor, client: &Client, year: i64, english: bool) -> Result<Vec<u8>> {
        use crate::spreadsheet::{Column, SpreadsheetFormat};
        let accidents = self.accidents(actor, client, year).await?;
        let headers: [(&str, &str, f64); 11] = [
            ("发生时间", "Occurred at", 18.0),
            ("企业", "Enterprise", 30.0),
            ("地区", "Region", 14.0),
            ("事故类别", "Kind", 14.0),
            ("等级", "Level", 10.0),
            ("死亡", "Deaths", 8.0),
            ("失踪", "Missing", 8.0),
            ("重伤", "Serious injuries", 8.0),
            ("直接经济损失(元)", "Direct loss (yuan)", 16.0),
            ("迟报/瞒报", "Late / concealed", 12.0),
            ("调查状态", "Investigation", 12.0),
        ];
        let columns: Vec<Column> = headers.iter().map(|(zh, en, width)| Column { heading: if english { en } else { zh }, width: *width }).collect();
        let flags = |a: &AccidentSummary| {
            let mut flags = Vec::new();
            if a.late_reported {
                flags.push(if english { "late" } else { "迟报" });
            }
            if a.concealed {
                flags.push(if english { "concealed" } else { "瞒报" });
            }
            flags.join(" ")
        };
        let rows = accidents.iter().map(|a| {
            vec![
                domain::time::local_text(a.occurred_at),
                a.enterprise_name.clone().unwrap_or_default(),
                a.region_name.clone(),
                a.kind.label(english).to_owned(),
                a.level.label(english).to_owned(),
                a.deaths.to_string(),
                a.missing.to_string(),
                a.serious_injuries.to_string(),
                a.direct_loss_yuan.to_string(),
                flags(a),
                match (a.investigation_state.as_str(), english) {
                    ("investigating", false) => "调查中".to_owned(),
                    ("investigating", true) => "Investigating".to_owned(),
                    ("report_approved", false) => "报告已批复".to_owned(),
                    ("report_approved", true) => "Report approved".to_owned(),
                    ("closed", false) => "已评估结案".to_owned(),
                    ("closed", true) => "Assessed and closed".to_owned(),
                    (other, _) => other.to_owned(),
                },
            ]
        });
        let export = crate::exports::Export {
            action: "accidents.export",
            target: format!("region_path:{}", actor.region_path.clone().unwrap_or_default()),
            format: SpreadsheetFormat::Xlsx,
            sheet_name: if english { "Accidents" } else { "生产安全事故" },
            columns: &columns,
            details: serde_json::json!({"year": year}),
        };
        self.export_table(actor, client, export, rows).await
    }

    /// One-vote vetoes from accidents for the region of an assessed unit in a year: its liability
    /// accidents of `VETO_LEVEL` or worse.
    pub(crate) async fn accident_vetoes(&self, region_code: &str, year: i64) -> Result<Vec<String>> {
        let region = match self.store.region(region_code).await {
            Ok(region) => region,
            Err(_) => return Ok(Vec::new()),
        };
        let (from, to) = year_bounds_ms(year);
        Ok(self
            .store
            .accidents(&region.path, from, to, ACCIDENTS_MAX)
            .await?
            .into_iter()
            .filter(|a| a.liability && a.level >= VETO_LEVEL)
            .map(|a| format!("{} {}/{} #{} ({})", date_of(a.occurred_at), a.level.label_zh(), a.level.label_en(), a.id, a.region_name))
            .collect())
    }
}

/// Accident records as accountability's interview rules read them.
pub struct AccidentRecords<'a>(pub &'a App);

impl crate::accountability::AccidentSource for AccidentRecords<'_> {
    async fn accident_facts(&self) -> Result<Vec<AccidentFact>> {
        let now = domain::time::now_ms();
        let rows = self.0.store.accidents("", now - 400 * 86_400_000, now + 86_400_000, 100_000).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let city = row.region_path.split('/').nth(1).filter(|c| !c.is_empty())?.to_owned();
                Some(AccidentFact { city_code: city, occurred_on: date_of(row.occurred_at), grade: row.level })
            })
            .collect())
    }
}
