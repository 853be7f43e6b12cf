//! Registering major hazard sources (graded by GB 18218-2018 from their chemicals) and their
//! monitoring points, and reading them within the caller's scope.

use domain::audit::Outcome;
use domain::enterprises::FieldError;
use domain::gb18218::{self, Present};
use domain::message::Message;
use domain::monitoring::{RuleSettings, SensorCode, SensorKind, SensorSpec, Thresholds};
use serde::Deserialize;
use store::{ChemicalRow, NewChemical, NewHazardSource, NewSensor};
/// The stored source and sensor, as the web layer shows them.
pub use store::{HazardSourceRow, SensorRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// A source as entered: chemicals are `SUBSTANCE[:CODES]=TONNES` as on the command line.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"enterprise_id": 1, "name": "液氯钢瓶库", "unit_kind": "storage", "people_nearby": 60, "principal_person": "王建国", "technical_person": "李安平", "operating_person": "张强", "chemicals": ["7782-50-5=20"]}))]
pub struct HazardSourceInput {
    pub enterprise_id: i64,
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// `production` or `storage`.
    #[schema(pattern = "^(production|storage)$")]
    pub unit_kind: String,
    /// People living within 500 m of the plant boundary (the α of GB 18218-2018).
    pub people_nearby: u64,
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub principal_person: String,
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub technical_person: String,
    #[schema(required, min_length = 1, max_length = 100, pattern = r"\S")]
    pub operating_person: String,
    /// `SUBSTANCE[:CODES]=TONNES`, SUBSTANCE a CAS number, a table-1 name or a table-2 category.
    #[schema(min_items = 1)]
    pub chemicals: Vec<String>,
}

/// A monitoring point as entered; rule settings left out take the kind's defaults, with a
/// deadband proportional to the range.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "JL00001-TT901", "name": "液氯库温度", "kind": "temperature", "range_min": -20.0, "range_max": 80.0, "thresholds": {"high": 50.0, "high_high": 60.0}, "interval_s": 10}))]
pub struct SensorInput {
    pub code: String,
    pub name: String,
    #[schema(value_type = domain::monitoring::SensorKind)]
    pub kind: String,
    #[serde(default)]
    pub unit: Option<String>,
    pub range_min: f64,
    pub range_max: f64,
    #[serde(default)]
    pub thresholds: Thresholds,
    pub interval_s: u32,
    #[serde(default)]
    pub rules: Option<RuleSettings>,
}

fn field(name: &'static str, message: Message) -> FieldError {
    FieldError { field: name, message }
}

fn required(value: &str, name: &'static str, what: &str, problems: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        problems.push(field(name, domain::message!("hazard_sources.required_most_100_characters", what_zh = what, name_en = name)));
    }
    value.to_owned()
}

/// Grades a source from its chemicals, or names every problem.
pub fn graded_source(input: &HazardSourceInput) -> std::result::Result<NewHazardSource, Vec<FieldError>> {
    let mut problems = Vec::new();
    let name = required(&input.name, "name", "危险源名称", &mut problems);
    let principal_person = required(&input.principal_person, "principal_person", "主要负责人", &mut problems);
    let technical_person = required(&input.technical_person, "technical_person", "技术负责人", &mut problems);
    let operating_person = required(&input.operating_person, "operating_person", "操作负责人", &mut problems);
    if !matches!(input.unit_kind.as_str(), "production" | "storage") {
        problems.push(field("unit_kind", domain::message!("hazard_sources.use_production_storage")));
    }
    if input.chemicals.is_empty() || input.chemicals.len() > 50 {
        problems.push(field("chemicals", domain::message!("hazard_sources.give_1_50_hazardous_chemicals")));
    }
    let present: Vec<Present> =
        input.chemicals.iter().take(50).filter_map(|text| Present::parse(text).map_err(|e| problems.push(field("chemicals", e.message()))).ok()).collect();
    // Graded even when other fields are wrong, so that an unknown substance is named with them.
    let assessment = if !present.is_empty() {
        match gb18218::assess(&present, input.people_nearby) {
            Ok(assessment) => Some(assessment),
            Err(error) => {
                problems.push(field("chemicals", error.message()));
                None
            }
        }
    } else {
        None
    };
    let (Some(assessment), true) = (assessment, problems.is_empty()) else { return Err(problems) };
    Ok(NewHazardSource {
        enterprise_id: input.enterprise_id,
        name,
        unit_kind: input.unit_kind.clone(),
        people_nearby: i64::try_from(input.people_nearby).unwrap_or(i64::MAX),
        principal_person,
        technical_person,
        operating_person,
        s_value: assessment.s,
        r_value: assessment.r,
        is_major: assessment.major,
        level: assessment.level.map(i64::from),
        chemicals: present
            .iter()
            .map(|p| NewChemical {
                substance: p.substance.clone(),
                categories: p.categories.join(","),
                quantity_millionths: i64::try_from(p.quantity_millionths).unwrap_or(i64::MAX),
            })
            .collect(),
    })
}

/// Validates a sensor and turns it into a stored one, or names every problem.
pub fn checked_sensor(source: &HazardSourceRow, input: &SensorInput) -> std::result::Result<NewSensor, Vec<FieldError>> {
    let mut problems = Vec::new();
    let code = SensorCode::parse(input.code.trim()).map_err(|e| problems.push(field("code", e.message()))).ok();
    let name = required(&input.name, "name", "测点名称", &mut problems);
    let Some(kind) = SensorKind::parse(input.kind.trim()) else {
        problems.push(field("kind", domain::message!("hazard_sources.unknown_kind")));
        return Err(problems);
    };
    let unit = input.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()).unwrap_or(kind.default_unit());
    let rules = input.rules.unwrap_or_else(|| RuleSettings::for_range(kind, input.interval_s.max(1), input.range_min, input.range_max));
    let spec = SensorSpec::new(kind, unit, input.range_min, input.range_max, input.thresholds, input.interval_s, rules)
        .map_err(|e| problems.push(field("spec", e.message())))
        .ok();
    let (Some(code), Some(spec), true) = (code, spec, problems.is_empty()) else { return Err(problems) };
    let as_ms = |v: u32| i64::from(v);
    Ok(NewSensor {
        source_id: source.id,
        enterprise_id: source.enterprise_id,
        code: code.as_str().to_owned(),
        name,
        kind: kind.as_str().into(),
        unit: spec.unit.clone(),
        range_min: spec.range_min,
        range_max: spec.range_max,
        low_low: spec.thresholds.low_low,
        low: spec.thresholds.low,
        high: spec.thresholds.high,
        high_high: spec.thresholds.high_high,
        interval_s: i64::from(spec.interval_s),
        on_delay_ms: as_ms(spec.rules.on_delay_ms),
        off_delay_ms: as_ms(spec.rules.off_delay_ms),
        deadband: spec.rules.deadband,
        rate_per_min: spec.rules.rate_per_min,
        offline_after_intervals: i64::from(spec.rules.offline_after_intervals),
        stuck_after_ms: spec.rules.stuck_after_ms.map(as_ms),
    })
}

impl App {
    /// Whether the actor may register sources and sensors for the enterprise: its own users, or
    /// a regulator or inspector of its territory.
    pub async fn may_manage_sources(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> bool {
        policy::allows(actor, Action::ManageHazardSources { enterprise_id }) && self.enterprise(actor, client, enterprise_id).await.is_ok()
    }

    pub async fn add_hazard_source(&self, actor: &Actor, client: &Client, input: &HazardSourceInput) -> Result<i64> {
        if !self.may_manage_sources(actor, client, input.enterprise_id).await {
            return Err(self.denied(actor, client, "hazard_source.create", format!("enterprise:{}", input.enterprise_id)).await);
        }
        let source = graded_source(input).map_err(AppError::Invalid)?;
        let details =
            serde_json::json!({"enterprise": source.enterprise_id, "name": source.name, "s": source.s_value, "r": source.r_value, "level": source.level});
        let event = audit_event(Some(actor), client, "hazard_source.create", String::new(), Outcome::Success, details);
        Ok(self.store.add_hazard_source(&source, actor.user_id, &event).await?)
    }

    /// Visible sources, most dangerous first.
    pub async fn hazard_sources(&self, actor: &Actor, client: &Client, enterprise_id: Option<i64>) -> Result<Vec<HazardSourceRow>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "hazard_source.read", "hazard_sources".into()).await);
        }
        Ok(self.store.hazard_sources(&visibility, enterprise_id).await?)
    }

    /// One source with its chemicals and sensors.
    pub async fn hazard_source(&self, actor: &Actor, client: &Client, id: i64) -> Result<(HazardSourceRow, Vec<ChemicalRow>, Vec<SensorRow>)> {
        let visibility = policy::enterprise_visibility(actor);
        let source = match self.store.hazard_source(id, &visibility).await {
            Err(store::StoreError::NotFound) => return Err(self.denied(actor, client, "hazard_source.read", format!("hazard_source:{id}")).await),
            other => other?,
        };
        let chemicals = self.store.chemicals_of_source(id).await?;
        let sensors = self.store.sensors(&visibility, None, Some(id)).await?;
        Ok((source, chemicals, sensors))
    }

    /// Registers monitoring points of a source, all or none, and starts monitoring them.
    pub async fn add_sensors(&self, actor: &Actor, client: &Client, source_id: i64, inputs: &[SensorInput]) -> Result<Vec<SensorRow>> {
        let source = match self.store.hazard_source(source_id, &policy::enterprise_visibility(actor)).await {
            Ok(source) if self.may_manage_sources(actor, client, source.enterprise_id).await => source,
            _ => return Err(self.denied(actor, client, "sensor.create", format!("hazard_source:{source_id}")).await),
        };
        if inputs.is_empty() || inputs.len() > 500 {
            return Err(AppError::BadRequest(domain::message!("hazard_sources.register_1_500_sensors_time")));
        }
        let mut sensors = Vec::with_capacity(inputs.len());
        for input in inputs {
            sensors.push(checked_sensor(&source, input).map_err(AppError::Invalid)?);
        }
        let codes: Vec<&str> = sensors.iter().map(|s| s.code.as_str()).collect();
        let event =
            audit_event(Some(actor), client, "sensor.create", format!("hazard_source:{source_id}"), Outcome::Success, serde_json::json!({"codes": codes}));
        let rows = self.store.add_sensors(&sensors, &event).await?;
        for row in &rows {
            self.monitor.register(row, domain::monitoring::RuleState::watching_since(store::now_ms())).await?;
        }
        Ok(rows)
    }

    /// Visible sensors, optionally of one enterprise and source.
    pub async fn sensors(&self, actor: &Actor, client: &Client, enterprise_id: Option<i64>, source_id: Option<i64>) -> Result<Vec<SensorRow>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "sensor.read", "sensors".into()).await);
        }
        Ok(self.store.sensors(&visibility, enterprise_id, source_id).await?)
    }
}

/// The prefix of ingest tokens, so that a leaked one is recognisable for what it is.
pub const INGEST_TOKEN_PREFIX: &str = "awi_";

impl App {
    /// An enterprise user issues a token for a gateway to write the enterprise's telemetry (and
    /// nothing else). Returns its id and the secret, shown once; only its hash is kept.
    pub async fn issue_ingest_token(&self, actor: &Actor, client: &Client, name: &str) -> Result<(i64, String)> {
        let Some(enterprise_id) = actor.enterprise_id.filter(|_| policy::allows(actor, Action::ManageIngestTokens)) else {
            return Err(self.denied(actor, client, "ingest_token.issue", "ingest_tokens".into()).await);
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(AppError::Invalid(vec![field("name", domain::message!("hazard_sources.name_required_most_64_characters"))]));
        }
        let secret = crate::auth::new_secret(INGEST_TOKEN_PREFIX);
        let event =
            audit_event(Some(actor), client, "ingest_token.issue", format!("enterprise:{enterprise_id}"), Outcome::Success, serde_json::json!({"name": name}));
        let id = self.store.create_ingest_token(enterprise_id, name, &crate::auth::token_hash(&secret), actor.user_id, &event).await?;
        Ok((id, secret))
    }

    /// The caller's enterprise's ingest tokens: (id, name, created at, revoked at).
    pub async fn ingest_tokens(&self, actor: &Actor, client: &Client) -> Result<Vec<(i64, String, i64, Option<i64>)>> {
        let Some(enterprise_id) = actor.enterprise_id.filter(|_| policy::allows(actor, Action::ManageIngestTokens)) else {
            return Err(self.denied(actor, client, "ingest_token.read", "ingest_tokens".into()).await);
        };
        Ok(self.store.ingest_tokens(enterprise_id).await?)
    }

    pub async fn revoke_ingest_token(&self, actor: &Actor, client: &Client, id: i64) -> Result<()> {
        let Some(enterprise_id) = actor.enterprise_id.filter(|_| policy::allows(actor, Action::ManageIngestTokens)) else {
            return Err(self.denied(actor, client, "ingest_token.revoke", format!("ingest_token:{id}")).await);
        };
        let event = audit_event(Some(actor), client, "ingest_token.revoke", format!("ingest_token:{id}"), Outcome::Success, serde_json::json!({}));
        match self.store.revoke_ingest_token(id, enterprise_id, &event).await {
            Err(store::StoreError::NotFound) => Err(self.denied(actor, client, "ingest_token.revoke", format!("ingest_token:{id}")).await),
            other => Ok(other?),
        }
    }

    /// The enterprise a live ingest token writes for; None for anything else.
    pub async fn enterprise_of_ingest_token(&self, secret: &str) -> Result<Option<i64>> {
        if !secret.starts_with(INGEST_TOKEN_PREFIX) || secret.len() > 128 {
            return Ok(None);
        }
        Ok(self.store.enterprise_of_ingest_token(&crate::auth::token_hash(secret)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(chemicals: &[&str], people: u64) -> HazardSourceInput {
        HazardSourceInput {
            enterprise_id: 1,
            name: "液氨储罐区".into(),
            unit_kind: "storage".into(),
            people_nearby: people,
            principal_person: "王总".into(),
            technical_person: "李工".into(),
            operating_person: "赵班长".into(),
            chemicals: chemicals.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn sources_are_graded_from_their_chemicals() {
        let graded = graded_source(&source(&["二氧化硫=200"], 60)).unwrap();
        assert_eq!((graded.s_value, graded.r_value, graded.is_major, graded.level), (10.0, 30.0, true, Some(3)));
        assert_eq!(graded.chemicals[0].quantity_millionths, 200_000_000);
        let small = graded_source(&source(&["氨=5"], 0)).unwrap();
        assert_eq!((small.is_major, small.level), (false, None));
        let problems = graded_source(&HazardSourceInput { unit_kind: "tank".into(), name: " ".into(), ..source(&["氨=-1"], 0) }).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.field).collect::<Vec<_>>(), ["name", "unit_kind", "chemicals"]);
        assert!(problems[2].message.to_string().contains("氨"), "{}", problems[2].message);
        let unknown = graded_source(&source(&["unobtainium=1"], 0)).unwrap_err();
        assert!(unknown[0].field == "chemicals" && unknown[0].message.to_string().contains("unobtainium"), "{unknown:?}");
        assert_eq!(graded_source(&source(&[], 0)).unwrap_err()[0].field, "chemicals");
    }
}
