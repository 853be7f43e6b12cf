//! Whistleblowing (举报) as reporters and handlers use it: a tip taken without an account and
//! answered with a receipt code shown once; the reporter follows it, talks with the handler and
//! claims the reward with that code alone; handlers of the tip's territory accept, route, verify
//! (linking the hidden danger, accident or inspection that followed), answer and close it within
//! the deadlines; a named reporter's identity opens only to a handler a custodian approved; the
//! reward is computed by the rules, approved, and its payment recorded by the custodian to whoever
//! presents the code at the paying unit.
//!
//! Nothing here knows the reporter's address, and a reporter's actions (the tip, messages, photos)
//! write no audit entry, whose instant could point at them; handlers' actions are audited as
//! every other, their details never carrying what the reporter wrote.

use std::collections::BTreeMap;

use domain::accidents::AccidentLevel;
use domain::audit::Outcome;
use domain::enterprises::FieldError;
use domain::region::RegionLevel;
use domain::tips::{self as rules, RewardBasis, TipInput, TipKind, TipState};
use serde::{Deserialize, Serialize};
use store::{NewTip, TipRow};

use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

fn field(name: &'static str, message: domain::message::Message) -> FieldError {
    FieldError { field: name, message }
}

/// What the reporter wrote, as kept (sealed) with the tip.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TipContent {
    pub description: String,
    pub location: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TipIdentity {
    pub name: String,
    pub phone: String,
}

/// A message of a tip's conversation as the reporter sees it (handlers are not named).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TipMessageView {
    pub from_reporter: bool,
    /// The handler's name, for handlers only.
    pub author: Option<String>,
    pub body: String,
    pub sent_on: String,
}

/// A reward as the reporter and the handler see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RewardView {
    pub reward_yuan: i64,
    pub basis: String,
    pub approved_on: String,
    /// Where to claim it in person with the receipt code.
    pub paying_unit: String,
    pub paid_on: Option<String>,
}

/// What the holder of a receipt code reads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReporterView {
    pub kind: TipKind,
    pub state: TipState,
    pub received_on: String,
    pub region_name: String,
    pub description: String,
    /// The handler's conclusion, once there is one.
    pub outcome: Option<String>,
    pub messages: Vec<TipMessageView>,
    pub reward: Option<RewardView>,
    /// How many photos the reporter added.
    pub attachments: i64,
}

/// A tip in a handler's inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TipSummary {
    pub id: i64,
    pub kind: TipKind,
    pub state: TipState,
    pub region_name: String,
    pub enterprise_name: Option<String>,
    pub received_on: String,
    pub anonymous: bool,
    pub internal: bool,
    /// The next deadline (feedback after verification, or closing) and whether it has passed.
    pub due_on: Option<String>,
    pub overdue: bool,
    /// Whether verification found it true (absent until verified).
    pub substantiated: Option<bool>,
    pub reward_yuan: Option<i64>,
    pub reward_paid: bool,
}

/// A tip as its handler sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TipView {
    #[serde(flatten)]
    pub summary: TipSummary,
    pub region_code: String,
    pub enterprise_id: Option<i64>,
    pub content: TipContent,
    pub has_identity: bool,
    pub accepted_on: Option<String>,
    pub verified_on: Option<String>,
    pub feedback_on: Option<String>,
    pub closed_on: Option<String>,
    pub extended: bool,
    pub handler_unit_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub danger_id: Option<i64>,
    pub accident_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub outcome: Option<String>,
    pub messages: Vec<TipMessageView>,
    pub reward: Option<RewardView>,
    /// Requests to open the reporter's identity and their decisions.
    pub disclosures: Vec<DisclosureView>,
    /// The identity, for the handler a custodian approved it to.
    pub identity: Option<TipIdentity>,
    /// Photos the reporter added (their metadata removed).
    pub attachments: Vec<AttachmentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DisclosureView {
    pub id: i64,
    pub requested_by: String,
    pub reason: String,
    pub approved: Option<bool>,
    pub decision: Option<String>,
}

/// A handler's move.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"action": "verify", "outcome": "经现场核查，液氨储罐压力表损坏属实，已责令企业停用整改", "danger_id": 12}))]
pub struct TipActionInput {
    /// `accept`, `verify`, `unfounded`, `duplicate`, `extend` or `close`.
    #[serde(default)]
    pub action: String,
    /// The unit it is routed to, on `accept` (a department or a lower tier's office).
    #[serde(default)]
    pub handler_unit_id: Option<i64>,
    /// The conclusion the reporter reads, on `verify` and `unfounded`.
    #[serde(default)]
    pub outcome: String,
    /// What followed from it, on `verify`.
    #[serde(default)]
    pub danger_id: Option<i64>,
    #[serde(default)]
    pub accident_id: Option<i64>,
    #[serde(default)]
    pub inspection_id: Option<i64>,
    /// The first tip of the same matter, on `duplicate`.
    #[serde(default)]
    pub duplicate_of: Option<i64>,
}

/// A reward as approved.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"fine_yuan": 200000, "paying_unit": "长春市应急管理局(长春市人民大街1号)"}))]
pub struct RewardInput {
    /// The fine imposed, for a major hidden danger or illegal production (0 if none).
    #[serde(default)]
    pub fine_yuan: Option<i64>,
    /// The accident's final level, for a concealed accident (一般/较大/重大/特别重大 or key).
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub concealed_deaths: Option<i64>,
    /// The unit that pays, with where to come.
    #[serde(default)]
    pub paying_unit: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionTips {
    pub region_name: String,
    pub tips: i64,
}

/// Tips by kind and region, the share verified, and rewards.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TipStatistics {
    pub total: i64,
    pub by_kind: BTreeMap<String, i64>,
    pub by_state: BTreeMap<String, i64>,
    pub by_region: Vec<RegionTips>,
    /// Verified among those concluded (verified or not substantiated).
    pub verified_share: f64,
    pub rewards_approved_yuan: i64,
    pub rewards_paid_yuan: i64,
    pub overdue: i64,
}

/// Largest file (photo or document) a reporter attaches, and most files a tip keeps.
pub const ATTACHMENT_BYTES_MAX: usize = 10 << 20;
pub const ATTACHMENTS_MAX: usize = 10;
/// Most messages a reporter writes on one tip.
pub const REPORTER_MESSAGES_MAX: usize = 200;

use crate::reporter_files::{FileRefusal, stripped_file};

/// An attachment as the handler lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub added_on: String,
}

impl AttachmentView {
    /// The file name extension of its type, for a download's name.
    pub fn extension(&self) -> &'static str {
        extension_of(&self.content_type)
    }
}

/// The file name extension of an attachment's content type.
pub fn extension_of(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        _ => "bin",
    }
}

fn content_of(row: &TipRow) -> Result<TipContent> {
    serde_json::from_str(&row.content).map_err(|e| AppError::Internal(format!("tip {} content: {e}", row.id)))
}

fn reward_of(row: &TipRow) -> Option<RewardView> {
    Some(RewardView {
        reward_yuan: row.reward_yuan?,
        basis: row.reward_basis.clone().unwrap_or_default(),
        approved_on: row.reward_approved_on.clone().unwrap_or_default(),
        paying_unit: row.paying_unit.clone().unwrap_or_default(),
        paid_on: row.reward_paid_on.clone(),
    })
}

fn date(text: &Option<String>) -> Option<jiff::civil::Date> {
    text.as_deref().and_then(|d| d.parse().ok())
}

/// The next deadline of a tip and whether it has passed today.
fn deadline(row: &TipRow) -> (Option<jiff::civil::Date>, bool) {
    let today = domain::time::today();
    let due = match row.state {
        TipState::Received => None,
        TipState::Accepted => date(&row.accepted_on).map(|d| rules::close_due(d, row.extended)),
        TipState::Verified | TipState::Unfounded if row.feedback_on.is_none() => date(&row.verified_on).map(rules::feedback_due),
        TipState::Verified | TipState::Unfounded => date(&row.accepted_on).map(|d| rules::close_due(d, row.extended)),
        TipState::Duplicate | TipState::Closed => None,
    };
    (due, due.is_some_and(|d| d < today))
}

fn summary_of(row: &TipRow) -> TipSummary {
    let (due, overdue) = deadline(row);
    TipSummary {
        id: row.id,
        kind: row.kind,
        state: row.state,
        region_name: row.region_name.clone(),
        enterprise_name: row.enterprise_name.clone(),
        received_on: row.received_on.clone(),
        anonymous: row.anonymous,
        internal: row.internal,
        due_on: due.map(|d| d.to_string()),
        overdue,
        substantiated: row.substantiated,
        reward_yuan: row.reward_yuan,
        reward_paid: row.reward_paid_on.is_some(),
    }
}

fn text_field(text: &str, name: &'static str, max: usize, problems: &mut Vec<FieldError>) -> String {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || rules::plain_text_problem(text) {
        problems.push(field(name, domain::message!("tips.text", max = max)));
    }
    text.to_owned()
}

impl App {
    /// Takes a tip from anyone. Returns (id, receipt code): the code is shown once and kept only
    /// as a keyed hash.
    pub async fn submit_tip(&self, input: &TipInput) -> Result<(i64, String)> {
        let tip = input.parse().map_err(|problems| AppError::Invalid(problems.into_iter().map(|(name, message)| field(name, message)).collect()))?;
        match self.store.region(&tip.region_code).await {
            Ok(region) if region.level == RegionLevel::County => {}
            _ => return Err(AppError::Invalid(vec![field("region_code", domain::message!("tips.region_code"))])),
        }
        if let Some(enterprise_id) = tip.enterprise_id {
            let found = self.store.enterprise(enterprise_id, &domain::access::Visibility::Everything).await;
            if !found.is_ok_and(|e| e.enterprise.region_code.as_str() == tip.region_code) {
                return Err(AppError::Invalid(vec![field("enterprise_id", domain::message!("tips.enterprise"))]));
            }
        }
        let mut bytes = [0u8; 15];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let receipt = rules::receipt_from_bytes(&bytes);
        let canonical = rules::normalize_receipt(&receipt).ok_or_else(|| AppError::Internal("a fresh receipt code does not read back".into()))?;
        let content = TipContent {
            description: tip.description.clone(),
            location: tip.location.clone(),
            longitude: tip.point.map(|p| p.0),
            latitude: tip.point.map(|p| p.1),
        };
        let identity = tip.identity.as_ref().map(|(name, phone)| TipIdentity { name: name.clone(), phone: phone.clone() });
        let new = NewTip {
            kind: tip.kind,
            region_code: tip.region_code.clone(),
            enterprise_id: tip.enterprise_id,
            content: serde_json::to_string(&content).map_err(|e| AppError::Internal(e.to_string()))?,
            anonymous: identity.is_none(),
            internal: tip.internal,
            identity: identity.map(|i| serde_json::to_string(&i)).transpose().map_err(|e| AppError::Internal(e.to_string()))?,
            received_on: domain::time::today().to_string(),
        };
        // No audit entry: its instant would point at the reporter (see `store::create_tip`).
        let id = self.store.create_tip(&new, &canonical, None).await?;
        Ok((id, receipt))
    }

    /// The enterprise of a county whose registered name is exactly `name`, for a reporter who
    /// names it (the registry's names are public; nothing else of it is shown).
    pub async fn tip_enterprise_by_name(&self, region_code: &str, name: &str) -> Result<Option<i64>> {
        let name = name.trim();
        let Ok(region) = self.store.region(region_code.trim()).await else { return Ok(None) };
        if name.is_empty() || name.chars().count() > domain::enterprises::NAME_MAX_CHARS {
            return Ok(None);
        }
        let filter = store::EnterpriseFilter { query: Some(name.to_owned()), region_path: Some(region.path), sector: None, industry: None };
        let page = self.store.list_enterprises(&domain::access::Visibility::Everything, &filter, 20, 0).await?;
        Ok(page.items.into_iter().find(|e| e.name == name).map(|e| e.id))
    }

    /// Registered names of a county's enterprises containing `part` (at least two characters), for
    /// a reporter who knows only part of a name: at most ten, nothing else of them.
    pub async fn tip_enterprise_names(&self, region_code: &str, part: &str) -> Result<Vec<String>> {
        let part = part.trim();
        let Ok(region) = self.store.region(region_code.trim()).await else { return Ok(Vec::new()) };
        if part.chars().count() < 2 || part.chars().count() > domain::enterprises::NAME_MAX_CHARS || region.level != RegionLevel::County {
            return Ok(Vec::new());
        }
        let filter = store::EnterpriseFilter { query: Some(part.to_owned()), region_path: Some(region.path), sector: None, industry: None };
        Ok(self.store.list_enterprises(&domain::access::Visibility::Everything, &filter, 10, 0).await?.items.into_iter().map(|e| e.name).collect())
    }

    /// The counties a tip may be about, as (code, city name, county name), by city.
    pub async fn tip_regions(&self) -> Result<Vec<(String, String, String)>> {
        let regions = self.store.regions_under("").await?;
        let names: BTreeMap<String, String> = regions.iter().map(|r| (r.code.to_string(), r.name.clone())).collect();
        Ok(regions
            .iter()
            .filter(|r| r.level == RegionLevel::County)
            .map(|r| {
                let city = r.path.split('/').nth(1).and_then(|c| names.get(c)).cloned().unwrap_or_default();
                (r.code.to_string(), city, r.name.clone())
            })
            .collect())
    }

    /// The tip a receipt code opens. A malformed code and an unknown one answer alike.
    async fn tip_of_receipt(&self, receipt: &str) -> Result<TipRow> {
        let canonical = rules::normalize_receipt(receipt).ok_or(AppError::NotFound)?;
        self.store.tip_by_receipt(&canonical).await?.ok_or(AppError::NotFound)
    }

    async fn messages_of(&self, tip_id: i64, with_authors: bool) -> Result<Vec<TipMessageView>> {
        Ok(self
            .store
            .tip_messages(tip_id)
            .await?
            .into_iter()
            .map(|m| TipMessageView { from_reporter: m.from_reporter, author: m.author_name.filter(|_| with_authors), body: m.body, sent_on: m.sent_on })
            .collect())
    }

    /// What the holder of a receipt code reads.
    pub async fn follow_tip(&self, receipt: &str) -> Result<ReporterView> {
        let row = self.tip_of_receipt(receipt).await?;
        let content = content_of(&row)?;
        Ok(ReporterView {
            kind: row.kind,
            state: row.state,
            received_on: row.received_on.clone(),
            region_name: row.region_name.clone(),
            description: content.description,
            outcome: row.outcome.clone(),
            messages: self.messages_of(row.id, false).await?,
            reward: reward_of(&row),
            attachments: self.store.tip_attachments(row.id).await?.len() as i64,
        })
    }

    /// The reporter adds files (photos, documents) by receipt code until the tip is closed: each is
    /// checked by its bytes and stripped of its metadata before it is sealed. Returns how many
    /// were kept; one refused file keeps none.
    pub async fn add_tip_files(&self, receipt: &str, files: Vec<crate::workplans::UploadedFile>) -> Result<usize> {
        let row = self.tip_of_receipt(receipt).await?;
        if row.state == TipState::Closed {
            return Err(AppError::Conflict(domain::message!("tips.closed")));
        }
        let already = self.store.tip_attachments(row.id).await?.len();
        let mut problems = Vec::new();
        if files.is_empty() || already + files.len() > ATTACHMENTS_MAX {
            problems.push(field("files", domain::message!("tips.files_count", max = ATTACHMENTS_MAX)));
        }
        let mut kept = Vec::new();
        for file in files {
            let name: String = file.file_name.rsplit(['/', '\\']).next().unwrap_or("").chars().take(80).collect();
            if file.bytes.len() > ATTACHMENT_BYTES_MAX {
                problems.push(field("files", domain::message!("tips.file_too_large", name = name, max_mb = ATTACHMENT_BYTES_MAX >> 20)));
                continue;
            }
            // Reading a document is work for a blocking thread, not for the runtime's.
            let stripped = tokio::task::spawn_blocking(move || stripped_file(&file.bytes))
                .await
                .map_err(|error| AppError::Internal(format!("stripping a reporter's file: {error}")))?;
            match stripped {
                Ok(file) => kept.push(file),
                Err(FileRefusal::Unsupported) => problems.push(field("files", domain::message!("tips.file_unsupported", name = name))),
                Err(FileRefusal::Damaged) => problems.push(field("files", domain::message!("tips.file_damaged", name = name))),
                Err(FileRefusal::Encrypted) => problems.push(field("files", domain::message!("tips.file_encrypted", name = name))),
                Err(FileRefusal::PdfNotYet) => problems.push(field("files", domain::message!("tips.pdf_not_yet", name = name))),
                Err(FileRefusal::Embedded) => problems.push(field("files", domain::message!("tips.file_embedded", name = name))),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let today = domain::time::today().to_string();
        for (content_type, bytes) in &kept {
            self.store.add_tip_attachment(row.id, content_type, bytes, &today, None).await?;
        }
        Ok(kept.len())
    }

    /// A tip's attachment, for its handler: (content type, bytes).
    pub async fn tip_attachment(&self, actor: &Actor, client: &Client, tip_id: i64, attachment_id: i64) -> Result<(String, Vec<u8>)> {
        self.handled_tip(actor, client, tip_id, "tip.attachment_read").await?;
        let (owner, content_type, bytes) = match self.store.tip_attachment(attachment_id).await {
            Ok(found) => found,
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(error) => return Err(error.into()),
        };
        if owner != tip_id {
            return Err(AppError::NotFound);
        }
        Ok((content_type, bytes))
    }

    /// The reporter writes to the handler (until the tip is closed).
    pub async fn reporter_message(&self, receipt: &str, body: &str) -> Result<()> {
        let row = self.tip_of_receipt(receipt).await?;
        let mut problems = Vec::new();
        let body = text_field(body, "body", rules::MESSAGE_MAX_CHARS, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        if row.state == TipState::Closed {
            return Err(AppError::Conflict(domain::message!("tips.closed")));
        }
        let from_reporter = self.store.tip_messages(row.id).await?.iter().filter(|m| m.from_reporter).count();
        if from_reporter >= REPORTER_MESSAGES_MAX {
            return Err(AppError::Conflict(domain::message!("tips.too_many_messages", max = REPORTER_MESSAGES_MAX)));
        }
        Ok(self.store.add_tip_message(row.id, true, None, &body, &domain::time::today().to_string(), None).await?)
    }

    /// A tip the actor may handle, or the refusal (recorded) that hides whether it exists.
    async fn handled_tip(&self, actor: &Actor, client: &Client, id: i64, what: &str) -> Result<TipRow> {
        let row = match self.store.tip(id).await {
            Ok(row) => row,
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(error) => return Err(error.into()),
        };
        let routed = row.handler_unit_id.is_some_and(|unit| unit == actor.unit_id);
        if !policy::allows(actor, Action::HandleTip { region_path: &row.region_path, routed_to_actors_unit: routed }) {
            return Err(self.denied(actor, client, what, format!("tip:{id}")).await);
        }
        Ok(row)
    }

    /// The handler's inbox: the territory's tips (or those routed to the actor's unit).
    pub async fn tips(&self, actor: &Actor, client: &Client) -> Result<Vec<TipSummary>> {
        if actor.region_path.is_none()
            || !matches!(actor.role, domain::role::Role::CommitteeOffice | domain::role::Role::Regulator | domain::role::Role::Department)
        {
            return Err(self.denied(actor, client, "tip.list", "tips".into()).await);
        }
        // A department handles what is routed to it; an office or regulator its territory's.
        let rows = match actor.role {
            domain::role::Role::Department => self.store.tips_routed_to(actor.unit_id).await?,
            _ => self.store.tips_under(actor.region_path.as_deref().unwrap_or_default()).await?,
        };
        Ok(rows
            .iter()
            .filter(|row| {
                let routed = row.handler_unit_id.is_some_and(|unit| unit == actor.unit_id);
                policy::allows(actor, Action::HandleTip { region_path: &row.region_path, routed_to_actors_unit: routed })
            })
            .map(summary_of)
            .collect())
    }

    /// A tip as its handler sees it; the identity only after a custodian approved this handler's request.
    pub async fn tip_view(&self, actor: &Actor, client: &Client, id: i64) -> Result<TipView> {
        let row = self.handled_tip(actor, client, id, "tip.read").await?;
        let disclosures = self.store.tip_disclosures(id).await?;
        let approved_for_actor = disclosures.iter().any(|d| d.requested_by == actor.user_id && d.approved == Some(true));
        let identity =
            if approved_for_actor { self.store.tip_identity(id).await?.and_then(|json| serde_json::from_str::<TipIdentity>(&json).ok()) } else { None };
        Ok(TipView {
            summary: summary_of(&row),
            region_code: row.region_code.clone(),
            enterprise_id: row.enterprise_id,
            content: content_of(&row)?,
            has_identity: row.has_identity,
            accepted_on: row.accepted_on.clone(),
            verified_on: row.verified_on.clone(),
            feedback_on: row.feedback_on.clone(),
            closed_on: row.closed_on.clone(),
            extended: row.extended,
            handler_unit_id: row.handler_unit_id,
            duplicate_of: row.duplicate_of,
            danger_id: row.danger_id,
            accident_id: row.accident_id,
            inspection_id: row.inspection_id,
            outcome: row.outcome.clone(),
            messages: self.messages_of(id, true).await?,
            reward: reward_of(&row),
            disclosures: disclosures
                .into_iter()
                .map(|d| DisclosureView { id: d.id, requested_by: d.requested_by_name, reason: d.reason, approved: d.approved, decision: d.decision })
                .collect(),
            identity,
            attachments: self
                .store
                .tip_attachments(id)
                .await?
                .into_iter()
                .map(|(id, content_type, size_bytes, added_on)| AttachmentView { id, content_type, size_bytes, added_on })
                .collect(),
        })
    }

    /// A handler's move on a tip.
    pub async fn act_on_tip(&self, actor: &Actor, client: &Client, id: i64, input: &TipActionInput) -> Result<()> {
        let mut row = self.handled_tip(actor, client, id, "tip.act").await?;
        let today = domain::time::today().to_string();
        let mut problems = Vec::new();
        let action = input.action.trim();
        let allowed_from: &[TipState] = match action {
            "accept" | "duplicate" => &[TipState::Received],
            "verify" | "unfounded" | "extend" => &[TipState::Accepted],
            "close" => &[TipState::Verified, TipState::Unfounded],
            _ => {
                return Err(AppError::Invalid(vec![field("action", domain::message!("tips.action"))]));
            }
        };
        if !allowed_from.contains(&row.state) {
            return Err(AppError::Conflict(domain::message!("tips.not_now", state_zh = row.state.label_zh(), state_en = row.state.label_en())));
        }
        match action {
            "accept" => {
                if let Some(unit) = input.handler_unit_id
                    && !self.tip_routing_units(actor, &row.region_code).await?.iter().any(|(id, _)| *id == unit)
                {
                    problems.push(field("handler_unit_id", domain::message!("tips.unit")));
                }
                row.state = TipState::Accepted;
                row.accepted_on = Some(today.clone());
                row.handler_unit_id = input.handler_unit_id.or(Some(actor.unit_id));
            }
            "verify" | "unfounded" => {
                row.outcome = Some(text_field(&input.outcome, "outcome", rules::MESSAGE_MAX_CHARS, &mut problems));
                row.state = if action == "verify" { TipState::Verified } else { TipState::Unfounded };
                row.verified_on = Some(today.clone());
                row.substantiated = Some(action == "verify");
                if action == "verify" {
                    if let Some(danger) = input.danger_id
                        && !self
                            .store
                            .danger(danger, &domain::access::Visibility::Everything)
                            .await
                            .is_ok_and(|d| Some(d.enterprise_id) == row.enterprise_id || row.enterprise_id.is_none())
                    {
                        problems.push(field("danger_id", domain::message!("tips.link")));
                    }
                    if let Some(accident) = input.accident_id
                        && self.accident_view(actor, client, accident).await.is_err()
                    {
                        problems.push(field("accident_id", domain::message!("tips.link")));
                    }
                    if let Some(inspection) = input.inspection_id
                        && self.store.inspection(inspection).await.is_err()
                    {
                        problems.push(field("inspection_id", domain::message!("tips.link")));
                    }
                    row.danger_id = input.danger_id;
                    row.accident_id = input.accident_id;
                    row.inspection_id = input.inspection_id;
                }
            }
            "duplicate" => {
                let first = match input.duplicate_of {
                    Some(first) if first != id => self.store.tip(first).await.ok(),
                    _ => None,
                };
                // The first valid reporter of the same matter is the one rewarded: a duplicate
                // points at an earlier tip of the same region.
                if !first.as_ref().is_some_and(|f| f.id < id && f.region_code == row.region_code && f.state != TipState::Duplicate) {
                    problems.push(field("duplicate_of", domain::message!("tips.duplicate_of")));
                }
                row.state = TipState::Duplicate;
                row.duplicate_of = input.duplicate_of;
                row.closed_on = Some(today.clone());
            }
            "extend" => {
                if row.extended {
                    return Err(AppError::Conflict(domain::message!("tips.extended_once")));
                }
                row.extended = true;
            }
            _ => {
                if row.feedback_on.is_none() {
                    return Err(AppError::Conflict(domain::message!("tips.feedback_first")));
                }
                row.state = TipState::Closed;
                row.closed_on = Some(today.clone());
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event =
            audit_event(Some(actor), client, &format!("tip.{action}"), format!("tip:{id}"), Outcome::Success, serde_json::json!({"state": row.state.key()}));
        // A tip passed to another unit tells that unit's people; the message names the tip by its
        // number and kind only, nothing the reporter wrote.
        let posts: Vec<store::UnitPost> = match row.handler_unit_id {
            Some(unit) if action == "accept" && unit != actor.unit_id => {
                let message = domain::message!("inbox.tip_routed", id = id, kind_zh = row.kind.label_zh(), kind_en = row.kind.label_en());
                vec![crate::inbox::event_post(unit, &format!("tip:{id}:routed:{unit}"), false, &message, format!("/tips/{id}"), actor)]
            }
            _ => Vec::new(),
        };
        Ok(self.store.save_tip(&row, &event, &posts).await?)
    }

    /// A handler writes to the reporter; after a verification this is the feedback the rules ask for.
    pub async fn reply_to_tip(&self, actor: &Actor, client: &Client, id: i64, body: &str) -> Result<()> {
        let mut row = self.handled_tip(actor, client, id, "tip.reply").await?;
        let mut problems = Vec::new();
        let body = text_field(body, "body", rules::MESSAGE_MAX_CHARS, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let today = domain::time::today().to_string();
        let event = audit_event(Some(actor), client, "tip.reply", format!("tip:{id}"), Outcome::Success, serde_json::json!({}));
        self.store.add_tip_message(id, false, Some(actor.user_id), &body, &today, Some(&event)).await?;
        if matches!(row.state, TipState::Verified | TipState::Unfounded) && row.feedback_on.is_none() {
            row.feedback_on = Some(today);
            let event = audit_event(Some(actor), client, "tip.feedback", format!("tip:{id}"), Outcome::Success, serde_json::json!({}));
            self.store.save_tip(&row, &event, &[]).await?;
        }
        Ok(())
    }

    /// Approves the reward of a verified, first tip by the rules.
    pub async fn approve_tip_reward(&self, actor: &Actor, client: &Client, id: i64, input: &RewardInput) -> Result<i64> {
        let mut row = self.handled_tip(actor, client, id, "tip.reward").await?;
        if !matches!(actor.role, domain::role::Role::CommitteeOffice | domain::role::Role::Regulator) {
            return Err(self.denied(actor, client, "tip.reward", format!("tip:{id}")).await);
        }
        if row.substantiated != Some(true) || row.duplicate_of.is_some() {
            return Err(AppError::Conflict(domain::message!("tips.reward_needs_verified")));
        }
        if row.reward_yuan.is_some() {
            return Err(AppError::Conflict(domain::message!("tips.reward_approved")));
        }
        let mut problems = Vec::new();
        let basis = match row.kind {
            TipKind::MajorDanger | TipKind::IllegalProduction => match input.fine_yuan {
                Some(fine_yuan) if (0..=1_000_000_000_000).contains(&fine_yuan) => Some(RewardBasis::Fine { fine_yuan }),
                _ => {
                    problems.push(field("fine_yuan", domain::message!("tips.fine")));
                    None
                }
            },
            TipKind::ConcealedAccident => {
                let level = input.level.as_deref().and_then(|l| AccidentLevel::parse(l.trim()));
                if level.is_none() {
                    problems.push(field("level", domain::message!("tips.level")));
                }
                let deaths = input.concealed_deaths.filter(|d| (0..=10_000).contains(d));
                if deaths.is_none() {
                    problems.push(field("concealed_deaths", domain::message!("tips.deaths")));
                }
                level.zip(deaths).map(|(level, concealed_deaths)| RewardBasis::ConcealedAccident { level, concealed_deaths })
            }
            TipKind::Other => {
                problems.push(field("kind", domain::message!("tips.no_reward_for_kind")));
                None
            }
        };
        let mut unit_problems = Vec::new();
        let paying_unit = text_field(&input.paying_unit, "paying_unit", 200, &mut unit_problems);
        problems.extend(unit_problems);
        let Some(basis) = basis.filter(|_| problems.is_empty()) else {
            return Err(AppError::Invalid(problems));
        };
        let amount = rules::reward_yuan(basis).map_err(|name| AppError::Invalid(vec![field(name, domain::message!("tips.fine"))]))?;
        row.reward_yuan = Some(amount);
        row.reward_basis = Some(match basis {
            RewardBasis::Fine { fine_yuan } => format!("fine:{fine_yuan}"),
            RewardBasis::ConcealedAccident { level, concealed_deaths } => format!("concealed:{}:{concealed_deaths}", level.key()),
        });
        row.reward_approved_by = Some(actor.user_id);
        row.reward_approved_on = Some(domain::time::today().to_string());
        row.paying_unit = Some(paying_unit);
        let event = audit_event(Some(actor), client, "tip.reward_approve", format!("tip:{id}"), Outcome::Success, serde_json::json!({"reward_yuan": amount}));
        self.store.save_tip(&row, &event, &[]).await?;
        Ok(amount)
    }

    /// The custodian records a reward paid to whoever presented the receipt code at the paying
    /// unit: the code identifies the tip, and no one learns who the reporter is.
    pub async fn record_reward_paid(&self, actor: &Actor, client: &Client, receipt: &str) -> Result<i64> {
        let row = self.tip_of_receipt(receipt).await;
        let Ok(mut row) = row else {
            // A wrong code at the counter is recorded as such, and answers like any unknown one.
            let _ = self.denied(actor, client, "tip.reward_pay", "receipt".into()).await;
            return Err(AppError::NotFound);
        };
        if !policy::allows(actor, Action::KeepTipIdentities { region_path: &row.region_path, actor_requested: row.reward_approved_by == Some(actor.user_id) }) {
            return Err(self.denied(actor, client, "tip.reward_pay", format!("tip:{}", row.id)).await);
        }
        let Some(amount) = row.reward_yuan else { return Err(AppError::Conflict(domain::message!("tips.no_reward_yet"))) };
        if row.reward_paid_on.is_some() {
            return Err(AppError::Conflict(domain::message!("tips.reward_paid_already")));
        }
        row.reward_paid_on = Some(domain::time::today().to_string());
        row.reward_paid_by = Some(actor.user_id);
        let event = audit_event(Some(actor), client, "tip.reward_pay", format!("tip:{}", row.id), Outcome::Success, serde_json::json!({"reward_yuan": amount}));
        self.store.save_tip(&row, &event, &[]).await?;
        Ok(row.id)
    }

    /// A handler asks for a named reporter's identity, with a reason.
    pub async fn request_tip_identity(&self, actor: &Actor, client: &Client, id: i64, reason: &str) -> Result<i64> {
        let row = self.handled_tip(actor, client, id, "tip.identity_request").await?;
        if !row.has_identity {
            return Err(AppError::Conflict(domain::message!("tips.anonymous")));
        }
        let mut problems = Vec::new();
        let reason = text_field(reason, "reason", 1_000, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(Some(actor), client, "tip.identity_request", format!("tip:{id}"), Outcome::Success, serde_json::json!({}));
        Ok(self.store.request_tip_disclosure(id, actor.user_id, &reason, &event).await?)
    }

    /// The custodian (a committee office of the territory, never the requester) decides.
    pub async fn decide_tip_identity(&self, actor: &Actor, client: &Client, disclosure_id: i64, approve: bool, decision: &str) -> Result<()> {
        let request = match self.store.tip_disclosure(disclosure_id).await {
            Ok(request) => request,
            Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(error) => return Err(error.into()),
        };
        let row = self.store.tip(request.tip_id).await?;
        if !policy::allows(actor, Action::KeepTipIdentities { region_path: &row.region_path, actor_requested: request.requested_by == actor.user_id }) {
            return Err(self.denied(actor, client, "tip.identity_decide", format!("tip:{}", row.id)).await);
        }
        let mut problems = Vec::new();
        let decision = text_field(decision, "decision", 1_000, &mut problems);
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let event = audit_event(
            Some(actor),
            client,
            "tip.identity_decide",
            format!("tip:{}", row.id),
            Outcome::Success,
            serde_json::json!({"disclosure": disclosure_id, "approved": approve}),
        );
        Ok(self.store.decide_tip_disclosure(disclosure_id, actor.user_id, approve, &decision, &event).await?)
    }

    /// The units a tip may be routed to on acceptance: the departments of its county and of the
    /// actor's own region, as (unit id, name).
    pub async fn tip_routing_units(&self, actor: &Actor, region_code: &str) -> Result<Vec<(i64, String)>> {
        let own = actor.region_path.as_deref().unwrap_or("").trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        let mut units = Vec::new();
        for code in [region_code.to_owned(), own] {
            for unit in self.store.departments_of_region(&code).await? {
                if !units.iter().any(|(id, _)| *id == unit.id) {
                    units.push((unit.id, unit.name));
                }
            }
        }
        Ok(units)
    }

    /// Whether the actor keeps identities for this tip's territory (for pages).
    pub fn may_keep_tip_identities(&self, actor: &Actor, region_path: &str) -> bool {
        policy::allows(actor, Action::KeepTipIdentities { region_path, actor_requested: false })
    }

    /// The office of a region (its 应急管理局), which handles its tips unless one is routed
    /// elsewhere; each region is looked up once per `offices`.
    async fn region_office(&self, offices: &mut BTreeMap<String, Option<i64>>, region_code: &str) -> Result<Option<i64>> {
        if let Some(office) = offices.get(region_code) {
            return Ok(*office);
        }
        let office = self.store.emergency_bureau_of_region(region_code).await?.map(|u| u.id);
        offices.insert(region_code.to_owned(), office);
        Ok(office)
    }

    /// Deadline notices of tips: a reminder to the handling unit in the three days before a
    /// deadline (feedback after verification, or closing), and after it an escalation to the
    /// office of the region a tier above. Each goes out once; the text names the tip's number,
    /// kind and deadline, never what it says. Returns how many went out.
    pub async fn send_tip_notices(&self, today: jiff::civil::Date) -> Result<u64> {
        let mut notices = Vec::new();
        // Each region's office is looked up once, however many of its tips fall due.
        let mut offices: BTreeMap<String, Option<i64>> = BTreeMap::new();
        for row in self.store.open_tips().await? {
            let (Some(due), _) = deadline(&row) else { continue };
            let days_left = (due - today).get_days();
            let (kind_zh, kind_en) = (row.kind.label_zh(), row.kind.label_en());
            if (0..=3).contains(&days_left) {
                let handler = match row.handler_unit_id {
                    Some(unit) => Some(unit),
                    None => self.region_office(&mut offices, &row.region_code).await?,
                };
                if let Some(unit_id) = handler {
                    notices.push(store::TipNotice {
                        unit_id,
                        kind: "reminder".into(),
                        tip_id: row.id,
                        due_on: due.to_string(),
                        message: domain::message!("tips.notice_due", id = row.id, kind_zh = kind_zh, kind_en = kind_en, due_on = due).to_stored(),
                    });
                }
            } else if days_left < 0 {
                let parent = self.store.region(&row.region_code).await.ok().and_then(|r| r.parent_code).map(|c| c.to_string());
                let above = match parent {
                    Some(parent) => self.region_office(&mut offices, &parent).await?,
                    None => None,
                };
                if let Some(unit_id) = above {
                    notices.push(store::TipNotice {
                        unit_id,
                        kind: "escalation".into(),
                        tip_id: row.id,
                        due_on: due.to_string(),
                        message: domain::message!("tips.notice_overdue", id = row.id, kind_zh = kind_zh, kind_en = kind_en, due_on = due).to_stored(),
                    });
                }
            }
        }
        Ok(self
            .store
            .add_tip_notices(&notices, |n| crate::inbox::notice_post(n.unit_id, "tip", &n.kind, n.tip_id, &n.due_on, &n.message, format!("/tips/{}", n.tip_id)))
            .await?)
    }

    /// The tip notices addressed to the caller's unit.
    pub async fn tip_notices(&self, actor: &Actor) -> Result<Vec<store::TipNotice>> {
        Ok(self.store.tip_notices_of_unit(actor.unit_id, 50).await?)
    }

    /// Statistics of the inbox.
    pub async fn tip_statistics(&self, actor: &Actor, client: &Client) -> Result<TipStatistics> {
        let tips = self.tips(actor, client).await?;
        let mut by_kind = BTreeMap::new();
        let mut by_state = BTreeMap::new();
        let mut by_region: BTreeMap<String, i64> = BTreeMap::new();
        for tip in &tips {
            *by_kind.entry(tip.kind.key().to_owned()).or_insert(0) += 1;
            *by_state.entry(tip.state.key().to_owned()).or_insert(0) += 1;
            *by_region.entry(tip.region_name.clone()).or_insert(0) += 1;
        }
        let concluded = tips.iter().filter(|t| t.substantiated.is_some()).count() as i64;
        let verified = tips.iter().filter(|t| t.substantiated == Some(true)).count() as i64;
        let approved = tips.iter().filter_map(|t| t.reward_yuan).sum();
        let paid = tips.iter().filter(|t| t.reward_paid).filter_map(|t| t.reward_yuan).sum();
        Ok(TipStatistics {
            total: tips.len() as i64,
            verified_share: if concluded == 0 { 0.0 } else { verified as f64 / concluded as f64 },
            by_kind,
            by_state,
            by_region: by_region.into_iter().map(|(region_name, tips)| RegionTips { region_name, tips }).collect(),
            rewards_approved_yuan: approved,
            rewards_paid_yuan: paid,
            overdue: tips.iter().filter(|t| t.overdue).count() as i64,
        })
    }
}
