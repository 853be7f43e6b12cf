//! Work-safety credit (信用) as the regulators keep it: an enterprise's record read from its
//! accidents (and their concealment), enforcement's penalties, overdue 重大 hidden dangers and the
//! events entered by hand (a refused penalty, operating without a licence), its grade and listing
//! by `domain::credit`, repairs granted after the waiting period, and the published list of
//! seriously untrustworthy enterprises.

use domain::audit::Outcome;
use domain::credit::{self as rules, CreditEvent, CreditEventKind, CreditGrade, CreditStanding};
use domain::enterprises::FieldError;
use domain::message::Message;
use serde::{Deserialize, Serialize};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

fn field(name: &'static str, message: Message) -> FieldError {
    FieldError { field: name, message }
}

/// One event of a record, as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditEventView {
    pub kind: CreditEventKind,
    pub on: String,
    /// What it refers to: `accident:12`, `penalty:(2026)3号`, `hidden_danger:7`, or the note.
    pub detail: String,
}

/// An enterprise's credit record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditView {
    pub enterprise_id: i64,
    pub grade: CreditGrade,
    pub score: i32,
    pub listed: bool,
    pub listed_on: Option<String>,
    pub listed_until: Option<String>,
    pub repairable_from: Option<String>,
    pub listing_reason: Option<CreditEventKind>,
    pub events: Vec<CreditEventView>,
    pub repairs: Vec<String>,
}

/// An entry of the published list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListedEnterprise {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub credit_code: String,
    pub region_name: String,
    pub listed_on: String,
    pub listed_until: String,
    pub reason: CreditEventKind,
    /// Whether the caller may open the enterprise's credit record (the list is published across
    /// the province; the records are read within one's territory).
    pub record_visible: bool,
}

/// A credit event entered by hand.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CreditEventInput {
    /// `refused_penalty` or `unlicensed`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub note: String,
}

fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    text.trim().parse().ok()
}

impl App {
    /// The events of an enterprise's record and the repairs granted, read from every module.
    async fn credit_events(&self, enterprise_id: i64) -> Result<(Vec<(CreditEvent, String)>, Vec<jiff::civil::Date>)> {
        let mut events = Vec::new();
        for accident in self.store.accidents_of_enterprise(enterprise_id).await? {
            let on = domain::time::date_of_ms(accident.occurred_at);
            let detail = format!("accident:{}", accident.id);
            events.push((CreditEvent { kind: CreditEventKind::Accident, on, accident_level: Some(accident.level) }, detail.clone()));
            if accident.concealed {
                events.push((CreditEvent { kind: CreditEventKind::Concealment, on, accident_level: Some(accident.level) }, detail));
            }
        }
        for penalty in self.store.enterprise_penalties(enterprise_id).await? {
            if let Some(on) = parse_date(&penalty.decided_on) {
                events.push((CreditEvent { kind: CreditEventKind::Penalty, on, accident_level: None }, format!("penalty:{}", penalty.decision_number)));
            }
        }
        let today = domain::time::today();
        for deadline in self.store.overdue_major_deadlines(enterprise_id, &today.to_string()).await? {
            if let Some(on) = parse_date(&deadline) {
                events.push((CreditEvent { kind: CreditEventKind::OverdueMajorDanger, on, accident_level: None }, String::new()));
            }
        }
        let mut repairs = Vec::new();
        for entry in self.store.credit_entries(enterprise_id).await? {
            let Some(on) = parse_date(&entry.on_date) else { continue };
            match CreditEventKind::from_key(&entry.kind) {
                Some(kind) => events.push((CreditEvent { kind, on, accident_level: None }, entry.note)),
                None if entry.kind == "repair" => repairs.push(on),
                None => {}
            }
        }
        events.sort_by_key(|(event, _)| event.on);
        Ok((events, repairs))
    }

    /// An enterprise's standing today (for enforcement and insurance).
    pub async fn credit_standing(&self, enterprise_id: i64) -> Result<CreditStanding> {
        let (events, repairs) = self.credit_events(enterprise_id).await?;
        let plain: Vec<CreditEvent> = events.into_iter().map(|(event, _)| event).collect();
        Ok(rules::standing(&plain, domain::time::today(), repairs.into_iter().max()))
    }

    /// The standing today of every enterprise under `path` with anything in its record (the
    /// others stand at A).
    pub(crate) async fn credit_standings_under(&self, path: &str) -> Result<std::collections::BTreeMap<i64, CreditStanding>> {
        let today = domain::time::today().to_string();
        let mut standings = std::collections::BTreeMap::new();
        for enterprise_id in self.store.credit_subjects(path, &today).await? {
            standings.insert(enterprise_id, self.credit_standing(enterprise_id).await?);
        }
        Ok(standings)
    }

    /// The credit record of an enterprise the caller may see.
    pub async fn enterprise_credit(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<CreditView> {
        self.enterprise(actor, client, enterprise_id).await?;
        let (events, repairs) = self.credit_events(enterprise_id).await?;
        let plain: Vec<CreditEvent> = events.iter().map(|(event, _)| event.clone()).collect();
        let standing = rules::standing(&plain, domain::time::today(), repairs.iter().max().copied());
        Ok(CreditView {
            enterprise_id,
            grade: standing.grade,
            score: standing.score,
            listed: standing.listed,
            listed_on: standing.listed_on.map(|d| d.to_string()),
            listed_until: standing.listed_until.map(|d| d.to_string()),
            repairable_from: standing.repairable_from.map(|d| d.to_string()),
            listing_reason: standing.listing_reason,
            events: events.into_iter().map(|(event, detail)| CreditEventView { kind: event.kind, on: event.on.to_string(), detail }).collect(),
            repairs: repairs.into_iter().map(|d| d.to_string()).collect(),
        })
    }

    /// The grade of an enterprise the caller may see, as the maintained profile keeps it (A
    /// while it has none): cheap enough for every page that shows the enterprise.
    pub async fn enterprise_credit_grade(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<CreditGrade> {
        self.enterprise(actor, client, enterprise_id).await?;
        match self.store.profile(enterprise_id).await {
            Ok(profile) => Ok(profile.credit_grade),
            Err(store::StoreError::NotFound) => Ok(CreditGrade::A),
            Err(error) => Err(error.into()),
        }
    }

    /// The published list (公示) of seriously untrustworthy enterprises of the province.
    pub async fn credit_list(&self, actor: &Actor, client: &Client) -> Result<Vec<ListedEnterprise>> {
        if !policy::allows(actor, Action::ReadCreditList) {
            return Err(self.denied(actor, client, "credit.list", "credit_list".into()).await);
        }
        // The stored profiles say who is listed (they are recomputed on every credit-relevant
        // change), so a page view reads the few listed records rather than every record.
        let mut out = Vec::new();
        for enterprise_id in self.store.listed_profiles().await? {
            let standing = self.credit_standing(enterprise_id).await?;
            if !standing.listed {
                continue;
            }
            let enterprise = self.store.enterprise(enterprise_id, &domain::access::Visibility::Everything).await?;
            let record_visible = self.store.enterprise(enterprise_id, &policy::enterprise_visibility(actor)).await.is_ok();
            out.push(ListedEnterprise {
                record_visible,
                enterprise_id,
                enterprise_name: enterprise.enterprise.name,
                credit_code: enterprise.enterprise.credit_code.to_string(),
                region_name: enterprise.region_name,
                listed_on: standing.listed_on.map(|d| d.to_string()).unwrap_or_default(),
                listed_until: standing.listed_until.map(|d| d.to_string()).unwrap_or_default(),
                reason: standing.listing_reason.unwrap_or(CreditEventKind::Accident),
            });
        }
        Ok(out)
    }

    /// The published list as XLSX.
    pub async fn export_credit_list(&self, actor: &Actor, client: &Client, english: bool) -> Result<Vec<u8>> {
        use crate::spreadsheet::{Column, SpreadsheetFormat};
        let listed = self.credit_list(actor, client).await?;
        let headers: [(&str, &str, f64); 6] = [
            ("企业名称", "Enterprise", 30.0),
            ("统一社会信用代码", "Credit code", 22.0),
            ("所在地", "Region", 14.0),
            ("列入事由", "Reason", 24.0),
            ("列入日期", "Listed on", 12.0),
            ("移出日期", "Listed until", 12.0),
        ];
        let columns: Vec<crate::spreadsheet::Column> =
            headers.iter().map(|(zh, en, width)| Column { heading: if english { en } else { zh }, width: *width }).collect();
        let rows = listed.iter().map(|l| {
            vec![
                l.enterprise_name.clone(),
                l.credit_code.clone(),
                l.region_name.clone(),
                l.reason.label(english).to_owned(),
                l.listed_on.clone(),
                l.listed_until.clone(),
            ]
        });
        let export = crate::exports::Export {
            action: "credit.export_list",
            target: "credit_list".into(),
            format: SpreadsheetFormat::Xlsx,
            sheet_name: if english { "Seriously untrustworthy" } else { "严重失信主体名单" },
            columns: &columns,
            details: serde_json::json!({"listed": listed.len()}),
        };
        self.export_table(actor, client, export, rows).await
    }

    /// A regulator records a refused penalty or operation without a licence.
    pub async fn record_credit_event(&self, actor: &Actor, client: &Client, enterprise_id: i64, input: &CreditEventInput) -> Result<()> {
        if !policy::allows(actor, Action::ManageCredit) {
            return Err(self.denied(actor, client, "credit.event", format!("enterprise:{enterprise_id}")).await);
        }
        self.enterprise(actor, client, enterprise_id).await?;
        let mut problems = Vec::new();
        let kind = CreditEventKind::from_key(input.kind.trim()).filter(|k| matches!(k, CreditEventKind::RefusedPenalty | CreditEventKind::Unlicensed));
        if kind.is_none() {
            problems.push(field("kind", domain::message!("credit.kind")));
        }
        let on = parse_date(&input.on).filter(|d| *d <= domain::time::today());
        if on.is_none() {
            problems.push(field("on", domain::message!("credit.on")));
        }
        let note = input.note.trim();
        if note.is_empty() || note.chars().count() > 1_000 {
            problems.push(field("note", domain::message!("credit.note")));
        }
        let (Some(kind), Some(on), true) = (kind, on, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let event = audit_event(
            Some(actor),
            client,
            "credit.event",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({"kind": kind.key(), "on": on.to_string()}),
        );
        self.store.add_credit_event(enterprise_id, kind.key(), &on.to_string(), note, actor.user_id, &event).await?;
        self.recompute_enforcement_profiles().await?;
        Ok(())
    }

    /// A regulator grants the repair of a listing once its waiting period has passed.
    pub async fn grant_credit_repair(&self, actor: &Actor, client: &Client, enterprise_id: i64, on: &str, reason: &str) -> Result<()> {
        if !policy::allows(actor, Action::ManageCredit) {
            return Err(self.denied(actor, client, "credit.repair", format!("enterprise:{enterprise_id}")).await);
        }
        self.enterprise(actor, client, enterprise_id).await?;
        let standing = self.credit_standing(enterprise_id).await?;
        let mut problems = Vec::new();
        let on = parse_date(on).filter(|d| *d <= domain::time::today());
        match (standing.repairable_from, on) {
            (None, _) => problems.push(field("enterprise_id", domain::message!("credit.not_listed"))),
            (Some(from), Some(day)) if day >= from => {}
            (Some(from), _) => problems.push(field("on", domain::message!("credit.repair_from", from = from))),
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1_000 {
            problems.push(field("reason", domain::message!("credit.note")));
        }
        let (Some(on), true) = (on, problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let event = audit_event(
            Some(actor),
            client,
            "credit.repair",
            format!("enterprise:{enterprise_id}"),
            Outcome::Success,
            serde_json::json!({"on": on.to_string()}),
        );
        self.store.add_credit_repair(enterprise_id, &on.to_string(), reason, actor.user_id, &event).await?;
        self.recompute_enforcement_profiles().await?;
        Ok(())
    }
}
