//! Risk points (风险点) as enterprises and regulators record them: graded by LEC or the risk
//! matrix when entered, and the four-colour profiles of an enterprise and of regions, always
//! derived from the points.

use domain::audit::Outcome;
use domain::message::Message;
use domain::risk_points::{RiskLevel, RiskProfile, grade_lec, grade_matrix};
use serde::Deserialize;
use store::{NewRiskPoint, RegionRiskCount, RiskPointRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

const RESPONSIBLE_LEVELS: [&str; 4] = ["company", "workshop", "team", "post"];

/// A risk point as entered: the place or activity, the hazard, the controls in place, who is
/// responsible at which level, and the grading method with its factors.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "液氨储罐区", "hazard_type": "泄漏、中毒", "controls": "氨气检测报警、紧急切断、每班巡检", "responsible_level": "company", "responsible_person": "李安平", "method": "lec", "l": 3, "e": 6, "c": 15}))]
pub struct RiskPointInput {
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 500, pattern = r"\S")]
    pub name: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 500, pattern = r"\S")]
    pub hazard_type: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 500, pattern = r"\S")]
    pub controls: String,
    #[serde(default)]
    #[schema(required, pattern = "^(company|workshop|team|post)$")]
    pub responsible_level: String,
    #[serde(default)]
    #[schema(required, min_length = 1, max_length = 500, pattern = r"\S")]
    pub responsible_person: String,
    /// `lec` (L, E and C) or `matrix` (L and S).
    #[serde(default)]
    #[schema(required, pattern = "^(lec|matrix)$")]
    pub method: String,
    /// L (both methods).
    #[serde(default, deserialize_with = "number_or_blank")]
    pub l: Option<f64>,
    /// E (LEC).
    #[serde(default, deserialize_with = "number_or_blank")]
    pub e: Option<f64>,
    /// C (LEC).
    #[serde(default, deserialize_with = "number_or_blank")]
    pub c: Option<f64>,
    /// S (matrix).
    #[serde(default, deserialize_with = "number_or_blank")]
    pub s: Option<f64>,
}

/// A factor from JSON (a number) or a form (text, blank meaning none). Text that is not a number
/// becomes NaN, which grading then refuses with the scale.
fn number_or_blank<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(f64),
        Text(String),
    }
    Ok(match Option::<NumberOrText>::deserialize(deserializer)? {
        None => None,
        Some(NumberOrText::Number(n)) => Some(n),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => None,
        Some(NumberOrText::Text(text)) => Some(text.trim().parse().unwrap_or(f64::NAN)),
    })
}

fn field(name: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field: name, message }
}

/// Grades an input and turns it into a stored point, or names every problem.
pub fn graded_point(
    enterprise_id: i64,
    input: &RiskPointInput,
    bands: &domain::risk_points::RiskBands,
) -> std::result::Result<NewRiskPoint, Vec<domain::enterprises::FieldError>> {
    let mut problems = Vec::new();
    // A factor given as text that is not a number is refused even where the method does not use it.
    for (name, value) in [("l", input.l), ("e", input.e), ("c", input.c), ("s", input.s)] {
        if value.is_some_and(|v| !v.is_finite()) {
            problems.push(field(name, domain::message!("risk_points.must_number", name = name)));
        }
    }
    let text = |value: &str, name: &'static str, what: &str, problems: &mut Vec<_>| {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 500 {
            problems.push(field(name, domain::message!("risk_points.required_most_500_characters", what_zh = what, name_en = name)));
        }
        value.to_owned()
    };
    let name = text(&input.name, "name", "风险点名称", &mut problems);
    let hazard_type = text(&input.hazard_type, "hazard_type", "危险因素", &mut problems);
    let controls = text(&input.controls, "controls", "管控措施", &mut problems);
    let responsible_person = text(&input.responsible_person, "responsible_person", "责任人", &mut problems);
    if !RESPONSIBLE_LEVELS.contains(&input.responsible_level.as_str()) {
        problems.push(field("responsible_level", domain::message!("risk_points.use_company_workshop_team_post")));
    }
    let graded = match (input.method.as_str(), input.l, input.e, input.c, input.s) {
        ("lec", Some(l), Some(e), Some(c), _) => grade_lec(l, e, c, &bands.lec).map(|g| (g, serde_json::json!({"l": l, "e": e, "c": c}))),
        ("matrix", Some(l), _, _, Some(s)) => grade_matrix(l, s, &bands.matrix).map(|g| (g, serde_json::json!({"l": l, "s": s}))),
        ("lec", ..) => {
            problems.push(field("factors", domain::message!("risk_points.lec_needs_l_e_c")));
            return Err(problems);
        }
        ("matrix", ..) => {
            problems.push(field("factors", domain::message!("risk_points.matrix_needs_l_s")));
            return Err(problems);
        }
        _ => {
            problems.push(field("method", domain::message!("risk_points.method_must_lec_matrix")));
            return Err(problems);
        }
    };
    let (graded, factors) = match graded {
        Ok(graded) => graded,
        Err(error) => {
            problems.push(field("factors", error.message()));
            return Err(problems);
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewRiskPoint {
        enterprise_id,
        name,
        hazard_type,
        controls,
        responsible_level: input.responsible_level.clone(),
        responsible_person,
        method: input.method.clone(),
        factors: factors.to_string(),
        score: graded.score,
        level: graded.level.key().into(),
    })
}

/// A region's profile: its counts per level and the highest level present.
pub fn region_profile(count: &RegionRiskCount) -> RiskProfile {
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let highest = [(count.major, RiskLevel::Major), (count.larger, RiskLevel::Larger), (count.general, RiskLevel::General), (count.low, RiskLevel::Low)]
        .into_iter()
        .find(|(n, _)| *n > 0)
        .map(|(_, level)| level);
    RiskProfile { major: n(count.major), larger: n(count.larger), general: n(count.general), low: n(count.low), highest }
}

impl App {
    /// Records graded risk points of an enterprise: by its own users, or by a regulator or
    /// inspector of its territory.
    pub async fn add_risk_points(&self, actor: &Actor, client: &Client, enterprise_id: i64, inputs: &[RiskPointInput]) -> Result<Vec<i64>> {
        let may = policy::allows(actor, Action::ManageRiskPoints { enterprise_id }) && self.enterprise(actor, client, enterprise_id).await.is_ok();
        if !may {
            return Err(self.denied(actor, client, "risk_point.create", format!("enterprise:{enterprise_id}")).await);
        }
        if inputs.is_empty() || inputs.len() > 500 {
            return Err(AppError::BadRequest(domain::message!("risk_points.enter_1_500_risk_points_time")));
        }
        let mut points = Vec::with_capacity(inputs.len());
        for input in inputs {
            points.push(graded_point(enterprise_id, input, &self.risk_bands).map_err(AppError::Invalid)?);
        }
        let event = audit_event(
            Some(actor),
            client,
            "risk_point.create",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({"points": points.len()}),
        );
        Ok(self.store.add_risk_points(&points, actor.user_id, &event).await?)
    }

    /// An enterprise's risk points, highest score first, and its four-colour profile.
    pub async fn enterprise_risk(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<(Vec<RiskPointRow>, RiskProfile)> {
        self.enterprise(actor, client, enterprise_id).await?;
        let points = self.store.risk_points_of_enterprise(enterprise_id).await?;
        let profile = RiskProfile::from_levels(points.iter().map(|p| p.level));
        Ok((points, profile))
    }

    /// Each child region's counts and profile, over the enterprises the caller sees.
    pub async fn region_risk(&self, actor: &Actor, client: &Client, region_code: &str) -> Result<Vec<(RegionRiskCount, RiskProfile)>> {
        let visibility = policy::enterprise_visibility(actor);
        if visibility == domain::access::Visibility::Nothing {
            return Err(self.denied(actor, client, "risk_point.read", format!("region:{region_code}")).await);
        }
        let code = domain::RegionCode::parse(region_code).map_err(|_| AppError::NotFound)?;
        // The home page's map asks on every view: the counts are kept (app::figures).
        let count = async { Ok(self.store.risk_counts_by_child_region(code.as_str(), &visibility).await?) };
        let counts = self.figures.region_risk(self.store.changes_committed(), &visibility, code.as_str(), count).await?;
        Ok(counts
            .iter()
            .map(|c| {
                let profile = region_profile(c);
                (c.clone(), profile)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(method: &str, l: f64, e: Option<f64>, c: Option<f64>, s: Option<f64>) -> RiskPointInput {
        RiskPointInput {
            name: "液氨储罐区".into(),
            hazard_type: "中毒和窒息".into(),
            controls: "泄漏检测报警,应急喷淋".into(),
            responsible_level: "workshop".into(),
            responsible_person: "李四".into(),
            method: method.into(),
            l: Some(l),
            e,
            c,
            s,
        }
    }

    #[test]
    fn points_are_graded_when_entered() {
        let point = graded_point(1, &input("lec", 6.0, Some(3.0), Some(15.0), None), &Default::default()).unwrap();
        assert_eq!((point.score, point.level.as_str()), (270.0, "larger"));
        let point = graded_point(1, &input("matrix", 5.0, None, None, Some(4.0)), &Default::default()).unwrap();
        assert_eq!((point.score, point.level.as_str()), (20.0, "major"));
        let problems = graded_point(1, &input("lec", 5.0, Some(3.0), Some(15.0), None), &Default::default()).unwrap_err();
        assert_eq!(problems[0].field, "factors");
        assert_eq!(graded_point(1, &input("matrix", 3.0, None, None, None), &Default::default()).unwrap_err()[0].field, "factors");
        assert_eq!(graded_point(1, &input("guess", 3.0, None, None, None), &Default::default()).unwrap_err()[0].field, "method");
        let mut bad = input("lec", 6.0, Some(3.0), Some(15.0), None);
        bad.name = " ".into();
        bad.responsible_level = "ceo".into();
        assert_eq!(graded_point(1, &bad, &Default::default()).unwrap_err().iter().map(|f| f.field).collect::<Vec<_>>(), ["name", "responsible_level"]);
    }
}
