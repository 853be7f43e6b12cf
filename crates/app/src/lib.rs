//! anwei's use cases: who may do what (`policy`), authentication, the enterprise registry's
//! workflows and spreadsheets, and reference data (the demo province is the `demo` crate). Shared by the web layer
//! and the command line; knows neither HTTP nor SQL.

pub mod accidents;
pub mod accountability;
pub mod accounts;
pub mod alarm_suppressions;
pub mod assessment;
pub mod audit;
pub mod audit_anchor;
pub mod auth;
pub mod checklists;
pub mod commitments;
pub mod credit;
pub mod documents;
pub mod enforcement;
pub mod enterprises;
pub mod experts;
pub mod exports;
pub mod figures;
pub mod hazard_sources;
pub mod hidden_dangers;
pub mod inbox;
pub mod insurance;
pub mod monitoring;
pub mod policy;
pub mod reference_data;
pub mod reporter_files;
pub mod risk_points;
pub mod sessions;
pub mod spreadsheet;
pub mod tips;
pub mod workplans;

use domain::audit::{AuditEvent, Outcome};
use domain::message::Message;
pub use policy::Actor;
use store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The record does not exist or is outside the caller's scope; the two are deliberately
    /// indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("not permitted")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<domain::enterprises::FieldError>),
    #[error("{0}")]
    BadRequest(Message),
    #[error("conflict: {0}")]
    Conflict(Message),
    /// A state machine refused the move (e.g. accepting work that was never reported).
    #[error("{0}")]
    IllegalTransition(Message),
    /// Too much work is queued; the client should retry later.
    #[error("{0}")]
    Busy(Message),
    /// Something the server needs is missing (a font for PDF documents); the operator must act.
    #[error("{0}")]
    Unavailable(Message),
    #[error("storage failure")]
    Store(StoreError),
    #[error("internal failure: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(what) => AppError::Conflict(what),
            other => AppError::Store(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// Where a request came from, for the audit log: a client address or `cli`.
#[derive(Debug, Clone)]
pub struct Client(pub String);

impl Client {
    pub fn cli() -> Self {
        Self("cli".into())
    }
}

/// Builds the audit event for an action by `actor` (or by the system when `None`).
pub fn audit_event(actor: Option<&Actor>, client: &Client, action: &str, target: String, outcome: Outcome, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        actor_id: actor.map(|a| a.user_id),
        actor_name: actor.map(|a| a.username.clone()).unwrap_or_else(|| "system".into()),
        unit_id: actor.map(|a| a.unit_id),
        action: action.to_owned(),
        target,
        outcome,
        details: details.to_string(),
        client: client.0.clone(),
    }
}

/// The application: the store plus the settings the use cases need.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub security: auth::SecuritySettings,
    /// The bands risk points are graded by (configurable per province).
    pub risk_bands: domain::risk_points::RiskBands,
    /// The statutory minimum cover and the premium's floating rules (configurable per province).
    pub insurance_rules: domain::insurance::InsuranceRules,
    /// Live monitoring of major hazard sources, shared by every clone of the application.
    pub monitor: std::sync::Arc<monitor::Monitor>,
    /// Figures kept for a few seconds (`figures::FRESH_FOR`), shared by every clone.
    figures: figures::Figures,
    /// Where inbox messages may go beyond the page (the operator's configuration).
    pub delivery: std::sync::Arc<inbox::delivery::DeliverySettings>,
    /// The font PDF documents are written in, read on first use.
    checklist_font: checklists::DocumentFont,
    /// How far this process has verified the audit chain (see `App::verify_audit_log`).
    audit_verified: std::sync::Arc<tokio::sync::Mutex<Option<audit::VerifiedChain>>>,
}

impl App {
    pub fn new(store: Store, security: auth::SecuritySettings) -> Self {
        let monitor = std::sync::Arc::new(monitor::Monitor::new(Default::default(), store.clone()));
        Self {
            store,
            security,
            risk_bands: Default::default(),
            insurance_rules: Default::default(),
            monitor,
            figures: Default::default(),
            delivery: Default::default(),
            checklist_font: Default::default(),
            audit_verified: Default::default(),
        }
    }

    /// The same application writing PDF documents in the font at `path` (else the system's).
    pub fn with_document_font(self, path: Option<std::path::PathBuf>) -> Self {
        Self { checklist_font: checklists::DocumentFont::new(path), ..self }
    }

    /// The same application monitoring with other settings (before monitoring starts).
    pub fn with_monitor_settings(self, settings: monitor::MonitorSettings) -> Self {
        Self { monitor: std::sync::Arc::new(monitor::Monitor::new(settings, self.store.clone())), ..self }
    }

    /// The same application grading risks by other bands.
    pub fn with_risk_bands(self, risk_bands: domain::risk_points::RiskBands) -> Self {
        Self { risk_bands, ..self }
    }

    /// The same application with another province's insurance rules.
    /// The same application sending inbox messages on the channels `delivery` configures.
    pub fn with_delivery(self, delivery: inbox::delivery::DeliverySettings) -> Self {
        Self { delivery: std::sync::Arc::new(delivery), ..self }
    }

    pub fn with_insurance_rules(self, insurance_rules: domain::insurance::InsuranceRules) -> Self {
        Self { insurance_rules, ..self }
    }

    /// Records that `actor` was refused `action` on `target`, then returns the error to give.
    pub async fn denied(&self, actor: &Actor, client: &Client, action: &str, target: String) -> AppError {
        let event = audit_event(Some(actor), client, action, target, Outcome::Denied, serde_json::json!({}));
        if let Err(error) = self.store.record_audit(&event).await {
            tracing::error!(%error, "could not record a denied action");
        }
        AppError::NotFound
    }
}

impl App {
    /// Whether the actor's office oversees the unit (assesses it, takes measures against it): a
    /// unit of its territory other than its own and its own tier's government and office, which
    /// the tier above oversees.
    pub(crate) async fn oversees(&self, actor: &Actor, unit_id: i64) -> Result<bool> {
        let path = actor.region_path.clone().unwrap_or_default();
        if !policy::allows(actor, policy::Action::ManageWorkPlan { region_path: &path }) || unit_id == actor.unit_id {
            return Ok(false);
        }
        let Ok(unit) = self.store.unit(unit_id).await else { return Ok(false) };
        let Some(code) = &unit.region_code else { return Ok(false) };
        if !self.store.region(code).await?.path.starts_with(&path) {
            return Ok(false);
        }
        let own_region = path.trim_end_matches('/').rsplit('/').next();
        let own_tier = matches!(domain::unit::UnitKind::parse(&unit.kind), Ok(domain::unit::UnitKind::Government | domain::unit::UnitKind::Office))
            && Some(code.as_str()) == own_region;
        Ok(!own_tier)
    }

    /// The actor for operator commands at the command line: the provincial committee office's
    /// first account, so that command-line imports and exports are scoped and audited like any
    /// other. Fails if there is no such account.
    pub async fn operator_actor(&self) -> Result<Actor> {
        let offices = self.store.units_of_kind(domain::unit::UnitKind::Office).await?;
        for office in offices {
            if let Some(user) = self.store.first_user_of_unit(office.id, domain::role::Role::CommitteeOffice.key()).await? {
                let region = self.store.region(office.region_code.as_deref().unwrap_or("")).await?;
                if region.level == domain::region::RegionLevel::Province {
                    return self.actor_for_user(&user).await;
                }
            }
        }
        Err(AppError::BadRequest(domain::message!("app.no_provincial_committee_office_account_exists")))
    }
}
