//! Accountability (问责) as the committee office uses it: recording 约谈, 通报, 警示曝光, 建议提醒
//! and referrals against units in its territory, their follow-up and outcome, and the measures
//! the 2018 interview rules suggest from accident records. Accident records come through
//! `AccidentSource`, which the accident module will implement; `NoAccidentRecords` stands in
//! until it exists.

use domain::accountability::{AccidentFact, MeasureKind, Suggestion, suggestions};
use domain::audit::Outcome;
use domain::message::Message;
use store::{MeasureRow, NewMeasure};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// Where accident facts come from.
pub trait AccidentSource {
    fn accident_facts(&self) -> impl std::future::Future<Output = Result<Vec<AccidentFact>>> + Send;
}

/// The source while anwei records no accidents of its own: none.
pub struct NoAccidentRecords;

impl AccidentSource for NoAccidentRecords {
    async fn accident_facts(&self) -> Result<Vec<AccidentFact>> {
        Ok(Vec::new())
    }
}

/// A measure as the office enters it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MeasureInput {
    pub kind: String,
    pub target_unit_id: i64,
    #[serde(default)]
    pub target_person: String,
    pub reason: String,
    pub decided_on: String,
    #[serde(default)]
    pub public: bool,
}

fn field(field: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field, message: message.to_owned() }
}

impl App {
    /// The region path of the office deciding on measures, if the actor is one.
    async fn accountability_office(&self, actor: &Actor, client: &Client, action: &str) -> Result<String> {
        let path = actor.region_path.clone().unwrap_or_default();
        if policy::allows(actor, Action::ManageWorkPlan { region_path: &path }) {
            Ok(path)
        } else {
            Err(self.denied(actor, client, action, "accountability".into()).await)
        }
    }

    /// Records a measure against a unit of the office's territory.
    pub async fn record_measure(&self, actor: &Actor, client: &Client, input: &MeasureInput) -> Result<i64> {
        self.accountability_office(actor, client, "accountability.record").await?;
        let mut problems = Vec::new();
        let kind = MeasureKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(field("kind", domain::message!("accountability.choose_kind_measure")));
        }
        if !self.oversees(actor, input.target_unit_id).await? {
            problems.push(field("target_unit_id", domain::message!("accountability.unit_does_not_exist_lies_outside")));
        }
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > 2_000 {
            problems.push(field("reason", domain::message!("accountability.give_reason_most_2000_characters")));
        }
        if input.target_person.chars().count() > 100 {
            problems.push(field("target_person", domain::message!("accountability.most_100_characters_person")));
        }
        let decided_on: Option<jiff::civil::Date> = input.decided_on.trim().parse().ok();
        if decided_on.is_none() {
            problems.push(field("decided_on", domain::message!("accountability.date_should_yyyy_mm_dd")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let (Some(kind), Some(decided_on)) = (kind, decided_on) else {
            return Err(AppError::Internal("validated measure lost its fields".into()));
        };
        let measure = NewMeasure {
            kind: kind.key().into(),
            target_unit_id: input.target_unit_id,
            target_person: input.target_person.trim().to_owned(),
            reason: reason.to_owned(),
            decided_on: decided_on.to_string(),
            public: input.public,
        };
        let event = audit_event(
            Some(actor),
            client,
            "accountability.record",
            String::new(),
            Outcome::Success,
            serde_json::json!({"kind": kind.key(), "unit": input.target_unit_id}),
        );
        Ok(self.store.add_measure(&measure, actor.user_id, &event).await?)
    }

    /// Records the follow-up and outcome of a measure of the office's territory.
    pub async fn follow_up_measure(&self, actor: &Actor, client: &Client, id: i64, follow_up: &str, outcome: &str) -> Result<()> {
        self.accountability_office(actor, client, "accountability.follow_up").await?;
        let measure = self.store.measure(id).await?;
        if !self.oversees(actor, measure.target_unit_id).await? {
            return Err(self.denied(actor, client, "accountability.follow_up", format!("measure:{id}")).await);
        }
        if follow_up.chars().count() > 4_000 || outcome.chars().count() > 4_000 {
            return Err(AppError::Invalid(vec![field("follow_up", domain::message!("accountability.most_4000_characters_each"))]));
        }
        let event = audit_event(Some(actor), client, "accountability.follow_up", format!("measure:{id}"), Outcome::Success, serde_json::json!({}));
        Ok(self.store.update_measure(id, follow_up.trim(), outcome.trim(), &event).await?)
    }

    /// The measures against units of the office's territory.
    pub async fn measures(&self, actor: &Actor, client: &Client) -> Result<Vec<MeasureRow>> {
        let path = self.accountability_office(actor, client, "accountability.read").await?;
        Ok(self.store.measures_under(&path, 500).await?)
    }

    /// What the interview rules suggest today from the accident records, for the office.
    pub async fn measure_suggestions(&self, actor: &Actor, client: &Client, source: &impl AccidentSource) -> Result<Vec<Suggestion>> {
        self.accountability_office(actor, client, "accountability.read").await?;
        let today = domain::time::today();
        Ok(suggestions(&source.accident_facts().await?, today))
    }
}
