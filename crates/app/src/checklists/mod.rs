//! Checklists (清单制) and campaigns (专项整治): the shipped checklist library, filling a checklist
//! in a self-check, an inspection or a campaign (each failed item becomes a hidden danger of the
//! item's grade, linked to it, with the photos taken of it), the field record of a run (device
//! time, position, the enterprise's signature or refusal, one record per device submission), the
//! record's PDF (`report`), campaigns with their target enterprises, and a campaign's coverage,
//! findings and rectification rate by city.

mod editor;
mod report;
pub use editor::{CHECKLIST_ITEMS_MAX, ChecklistInput, ItemInput, items_from_file, template};
pub use report::{DocumentFont, RunView};

use domain::audit::Outcome;
use domain::message::Message;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use store::{CampaignRow, ChecklistItemRow, ChecklistRow, FieldRecord, NewCampaign, NewChecklistItem, NewDanger, NewRun, NewRunResult};

use crate::workplans::UploadedFile;

use crate::enterprises::ListQuery;
use crate::policy::{self, Action};
use crate::{Actor, App, AppError, Client, Result, audit_event};

/// The checklists shipped as data: (code, name, sector, purpose, CSV).
const SHIPPED: [(&str, &str, &str, &str, &str); 2] = [
    (
        "chemical-major",
        "化工和危险化学品生产经营单位重大生产安全事故隐患判定标准",
        "hazardous_chemicals",
        "重大隐患判定",
        include_str!("../../data/checklists/chemical-major-hidden-dangers.csv"),
    ),
    ("fire-lanes", "消防车通道检查清单", "all", "打通生命通道专项整治", include_str!("../../data/checklists/fire-lanes.csv")),
];

/// Most enterprises a campaign may target.
pub const CAMPAIGN_TARGETS_MAX: i64 = 20_000;

fn field(name: &'static str, message: Message) -> domain::enterprises::FieldError {
    domain::enterprises::FieldError { field: name, message }
}

/// Reads a shipped checklist CSV (`code,item,basis,consequence`).
fn parse_items(csv_text: &str) -> std::result::Result<Vec<NewChecklistItem>, String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut items = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("line {}: {e}", line + 2))?;
        let get = |i: usize| record.get(i).unwrap_or("").trim().to_owned();
        let consequence = get(3);
        if !matches!(consequence.as_str(), "general" | "major") {
            return Err(format!("line {}: consequence '{consequence}'", line + 2));
        }
        items.push(NewChecklistItem { code: get(0), item: get(1), basis: get(2), consequence });
    }
    Ok(items)
}

/// Photos one failed item may carry.
pub const ITEM_PHOTOS_MAX: usize = 3;
/// Photos one run may carry in all.
pub const RUN_PHOTOS_MAX: usize = 20;
/// Largest photo of a run (the page scales photos down before sending them).
pub const RUN_PHOTO_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Largest form of a run as the pages send it (photos, signature and answers).
pub const RUN_UPLOAD_BYTES_MAX: usize = 48 * 1024 * 1024;
/// Largest drawn signature (PNG).
pub const SIGNATURE_BYTES_MAX: usize = 512 * 1024;
/// How long a run may have been kept on a device before it is sent (a run done offline).
const FIELD_TIME_PAST_MS: i64 = 30 * 24 * 3600 * 1000;
/// How far a device's clock may run ahead of the server's.
const FIELD_TIME_AHEAD_MS: i64 = 10 * 60 * 1000;

/// One answer of a filled-in checklist.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ItemAnswer {
    pub item_id: i64,
    pub passed: bool,
    /// What was found; a failed item needs a note or a photo.
    #[serde(default)]
    pub note: String,
    /// Photos of a failed item (the pages send them; the JSON API adds photos to the reported
    /// danger afterwards).
    #[serde(skip)]
    #[schema(ignore)]
    pub photos: Vec<UploadedFile>,
}

/// A filled-in checklist as submitted.
#[derive(Debug, Clone, Default)]
pub struct RunInput {
    pub checklist_id: i64,
    /// `self_check`, `inspection` or `campaign`.
    pub kind: String,
    pub campaign_id: Option<i64>,
    pub answers: Vec<ItemAnswer>,
    pub field: FieldInput,
}

/// How the check was done in the field, as the device reports it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct FieldInput {
    /// When the check was started and finished on the device (epoch milliseconds).
    #[serde(default)]
    pub started_at: Option<i64>,
    #[serde(default)]
    pub finished_at: Option<i64>,
    /// The device's position (WGS 84) and its accuracy in metres, when it could tell.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
    /// Who signed for the enterprise (required for inspections and campaign checks).
    #[serde(default)]
    pub signed_by: String,
    /// The signature drawn on the screen, as a PNG.
    #[serde(skip)]
    #[schema(ignore)]
    pub signature: Option<Vec<u8>>,
    /// The enterprise's representative refused to sign (recorded instead of a signature).
    #[serde(default)]
    pub signature_refused: bool,
    /// The device's reference for this submission (8–64 of `A-Za-z0-9-`): a submission sent
    /// again with the same reference is recorded once.
    #[serde(default)]
    pub client_ref: Option<String>,
}

/// The field record checked: times within a month before now and ten minutes after, a position
/// on the globe, the signer and the signature (a PNG of sensible size) or the refusal, which an
/// inspection or a campaign check needs.
fn checked_field(kind: &str, input: &FieldInput, problems: &mut Vec<domain::enterprises::FieldError>) -> FieldRecord {
    let now = domain::time::now_ms();
    let plausible = |at: Option<i64>| at.is_none_or(|at| (now - FIELD_TIME_PAST_MS..=now + FIELD_TIME_AHEAD_MS).contains(&at));
    if !plausible(input.started_at) || !plausible(input.finished_at) || matches!((input.started_at, input.finished_at), (Some(s), Some(f)) if s > f) {
        problems.push(field("finished_at", domain::message!("checklists.field_time_implausible")));
    }
    let position = match (input.latitude, input.longitude) {
        (None, None) => None,
        (Some(latitude), Some(longitude))
            if (-90.0..=90.0).contains(&latitude)
                && (-180.0..=180.0).contains(&longitude)
                && input.accuracy_m.is_none_or(|a| (0.0..=100_000.0).contains(&a)) =>
        {
            Some((latitude, longitude, input.accuracy_m))
        }
        _ => {
            problems.push(field("latitude", domain::message!("checklists.position_invalid")));
            None
        }
    };
    let signed_by = input.signed_by.trim();
    if signed_by.chars().count() > 50 || signed_by.chars().any(char::is_control) {
        problems.push(field("signed_by", domain::message!("checklists.signed_by_invalid")));
    }
    let signature = input.signature.as_ref().filter(|bytes| !bytes.is_empty());
    if let Some(bytes) = signature {
        let sensible = bytes.len() <= SIGNATURE_BYTES_MAX && pdf::png_size(bytes).is_some_and(|(w, h)| (20..=4000).contains(&w) && (10..=4000).contains(&h));
        if !sensible {
            problems.push(field("signature", domain::message!("checklists.signature_invalid", max_kb = SIGNATURE_BYTES_MAX >> 10)));
        }
    }
    if signature.is_some() && input.signature_refused {
        problems.push(field("signature", domain::message!("checklists.signature_or_refusal")));
    }
    if kind != "self_check" && (signed_by.is_empty() || (signature.is_none() && !input.signature_refused)) {
        problems.push(field("signature", domain::message!("checklists.signature_required")));
    }
    let client_ref = input.client_ref.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if client_ref.is_some_and(|r| !(8..=64).contains(&r.len()) || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        problems.push(field("client_ref", domain::message!("checklists.client_ref_invalid")));
    }
    FieldRecord {
        started_at: input.started_at,
        finished_at: input.finished_at,
        position,
        signed_by: signed_by.to_owned(),
        signature: signature.cloned(),
        signature_refused: input.signature_refused,
        client_ref: client_ref.map(str::to_owned),
    }
}

/// A campaign as the office sets it up; targets are the visible enterprises matching the filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CampaignInput {
    #[serde(default)]
    pub name: String,
    pub checklist_id: i64,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    /// High-risk sector key, or empty for all.
    #[serde(default)]
    pub sector: String,
    /// Region code within the office's territory, or empty for all of it.
    #[serde(default)]
    pub region_code: String,
    /// Only enterprises with a risk point at least this level (`major`, `larger`, `general`,
    /// `low`), or empty for all.
    #[serde(default)]
    pub min_risk: String,
    /// The units responsible for the campaign besides the office (e.g. 各级应急管理局、消防救援支队).
    #[serde(default)]
    pub responsible_units: String,
    /// The accident the campaign answers (举一反三), if it answers one the office may see.
    #[serde(default)]
    pub accident_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignCity {
    pub city_code: String,
    pub city_name: String,
    pub targets: i64,
    pub checked: i64,
    pub findings: i64,
    pub closed: i64,
    /// Checked targets / targets.
    pub coverage: f64,
    /// Closed findings / findings; none when nothing was found (there is no rate to show).
    pub rectification_rate: Option<f64>,
}

impl CampaignCity {
    /// The rectification rate as people read it: `87.5%`, or `—` when nothing was found.
    pub fn rectification_text(&self) -> String {
        self.rectification_rate.map_or_else(|| "—".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignProgress {
    pub id: i64,
    pub name: String,
    pub checklist: String,
    /// The responsible units as entered.
    pub responsible_units: String,
    pub starts_on: String,
    pub ends_on: String,
    pub cities: Vec<CampaignCity>,
    pub totals: CampaignCity,
}

fn ratio(part: i64, whole: i64, empty: f64) -> f64 {
    if whole == 0 { empty } else { (part as f64 / whole as f64 * 1000.0).round() / 1000.0 }
}

fn city(row: &store::CampaignCityRow) -> CampaignCity {
    CampaignCity {
        city_code: row.city_code.clone(),
        city_name: row.city_name.clone(),
        targets: row.targets,
        checked: row.checked,
        findings: row.findings,
        closed: row.closed,
        coverage: ratio(row.checked, row.targets, 0.0),
        rectification_rate: (row.findings > 0).then(|| ratio(row.closed, row.findings, 0.0)),
    }
}

impl App {
    /// The key the caller's browser encrypts checks kept on the device with (see
    /// `store::Store::device_key`); none without a server key.
    pub fn device_key(&self, actor: &Actor) -> Option<String> {
        self.store.device_key(actor.user_id)
    }

    /// Adds the shipped checklists that are not in the library yet.
    pub async fn load_shipped_checklists(&self) -> Result<usize> {
        let existing: Vec<String> = self.store.checklists().await?.into_iter().map(|c| c.code).collect();
        let mut added = 0;
        for (code, name, sector, purpose, csv_text) in SHIPPED {
            if existing.iter().any(|c| c == code) {
                continue;
            }
            let items = parse_items(csv_text).map_err(|e| AppError::Internal(format!("shipped checklist {code}: {e}")))?;
            let event =
                audit_event(None, &Client::cli(), "checklist.load", format!("checklist:{code}"), Outcome::Success, serde_json::json!({"items": items.len()}));
            self.store.upsert_checklist(code, name, sector, purpose, &items, &event).await?;
            added += 1;
        }
        Ok(added)
    }

    /// The shipped checklist library, for everyone but the administrators.
    pub async fn checklist_library(&self, actor: &Actor, client: &Client) -> Result<Vec<ChecklistRow>> {
        if !policy::allows(actor, Action::ReadChecklists) {
            return Err(self.denied(actor, client, "checklist.read", "checklists".into()).await);
        }
        Ok(self.store.checklists().await?)
    }

    /// Whether the actor may run some checklist at the enterprise: checked before a form with
    /// photos is read (`run_checklist` decides the run itself).
    pub async fn may_run_checklists(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<()> {
        let may = ["self_check", "inspection", "campaign"]
            .iter()
            .any(|kind| policy::allows(actor, Action::RunChecklist { kind, enterprise_id, campaign_expert: actor.role == Role::Expert }));
        // Beyond an expert on a campaign, one checks what one sees.
        let may = may && (actor.role == Role::Expert || self.store.enterprise(enterprise_id, &policy::enterprise_visibility(actor)).await.is_ok());
        if may { Ok(()) } else { Err(self.denied(actor, client, "checklist.run", format!("enterprise:{enterprise_id}")).await) }
    }

    /// The latest runs at an enterprise the caller may see: (id, checklist name, kind, recorded at).
    pub async fn checklist_runs_of_enterprise(&self, actor: &Actor, client: &Client, enterprise_id: i64) -> Result<Vec<(i64, String, String, i64)>> {
        self.enterprise(actor, client, enterprise_id).await?;
        Ok(self.store.checklist_runs_of_enterprise(enterprise_id, 10).await?)
    }

    pub async fn checklist_with_items(&self, id: i64) -> Result<(ChecklistRow, Vec<ChecklistItemRow>)> {
        Ok((self.store.checklist(id).await?, self.store.checklist_items(id).await?))
    }

    /// Fills in a checklist at an enterprise: `self_check` by the enterprise itself, `inspection`
    /// by a regulator or inspector of its territory, `campaign` by them for a target of the
    /// campaign. Every item needs an answer. Failed items become hidden dangers of the item's
    /// grade, with the photos taken of it; a failed item needs a note or a photo. An inspection or
    /// a campaign check needs the enterprise's signature or the record of its refusal. Returns the
    /// run and the dangers reported.
    pub async fn run_checklist(&self, actor: &Actor, client: &Client, enterprise_id: i64, input: &RunInput) -> Result<(i64, Vec<i64>)> {
        let (checklist_id, kind, campaign_id, answers) = (input.checklist_id, input.kind.as_str(), input.campaign_id, input.answers.as_slice());
        // An expert assigned to the campaign checks its targets without seeing the registry.
        let campaign_expert =
            kind == "campaign" && actor.role == Role::Expert && self.store.expert_assignments(actor.user_id).await?.1.iter().any(|c| Some(*c) == campaign_id);
        let visible = if campaign_expert {
            self.store.enterprise(enterprise_id, &domain::access::Visibility::Everything).await.map_err(AppError::from)
        } else {
            self.enterprise(actor, client, enterprise_id).await
        };
        let may_run = policy::allows(actor, Action::RunChecklist { kind, enterprise_id, campaign_expert });
        let allowed = match kind {
            "self_check" => may_run,
            "inspection" => may_run && visible.is_ok(),
            "campaign" => {
                may_run
                    && visible.is_ok()
                    && match campaign_id {
                        Some(campaign) => self.store.is_campaign_target(campaign, enterprise_id).await?,
                        None => false,
                    }
            }
            _ => false,
        };
        if !allowed {
            return Err(self.denied(actor, client, "checklist.run", format!("enterprise:{enterprise_id}")).await);
        }
        let enterprise = visible?;
        let (checklist, items) = self.checklist_with_items(checklist_id).await?;
        let mut problems = Vec::new();
        let field_record = checked_field(kind, &input.field, &mut problems);
        let today = domain::time::today();
        let mut results = Vec::with_capacity(items.len());
        let mut photos_in_run = 0;
        for item in &items {
            let Some(answer) = answers.iter().find(|a| a.item_id == item.id) else {
                problems.push(field("answers", domain::message!("checklists.item_has_no_answer", code = item.code)));
                continue;
            };
            let note: String = answer.note.trim().chars().take(1_000).collect();
            let danger = (!answer.passed).then(|| {
                let major = item.consequence == "major";
                NewDanger {
                    enterprise_id,
                    location: checklist.name.chars().take(100).collect(),
                    description: if note.is_empty() { item.item.clone() } else { format!("{}({note})", item.item) },
                    source: if kind == "self_check" {
                        "self_check".into()
                    } else if kind == "campaign" {
                        "campaign".into()
                    } else {
                        "inspection".into()
                    },
                    source_ref: Some(format!("checklist:{}/{}", checklist.code, item.code)),
                    grade: item.consequence.clone(),
                    deadline: today.checked_add(jiff::Span::new().days(if major { 90 } else { 30 })).ok().map(|d| d.to_string()),
                    responsible_person: enterprise.enterprise.safety_manager.name.clone(),
                }
            });
            let mut photo_problems = Vec::new();
            let mut photos = crate::hidden_dangers::checked_photos(&answer.photos, &mut photo_problems);
            problems.extend(photo_problems);
            if answer.passed {
                photos.clear();
            } else if note.is_empty() && photos.is_empty() && answer.photos.is_empty() {
                problems.push(field("answers", domain::message!("checklists.failed_item_needs_note", code = item.code)));
            }
            if photos.len() > ITEM_PHOTOS_MAX || photos.iter().any(|p| p.3.len() > RUN_PHOTO_BYTES_MAX) {
                problems.push(field(
                    "photos",
                    domain::message!("checklists.item_photos_limit", code = item.code, max = ITEM_PHOTOS_MAX, max_mb = RUN_PHOTO_BYTES_MAX >> 20),
                ));
            }
            photos_in_run += photos.len();
            results.push(NewRunResult { item_id: item.id, passed: answer.passed, note, danger, photos });
        }
        if photos_in_run > RUN_PHOTOS_MAX {
            problems.push(field("photos", domain::message!("checklists.run_photos_limit", max = RUN_PHOTOS_MAX)));
        }
        if answers.iter().any(|a| !items.iter().any(|i| i.id == a.item_id)) {
            problems.push(field("answers", domain::message!("checklists.answer_names_item_not_checklist")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let failed = results.iter().filter(|r| !r.passed).count();
        // Only a campaign's run belongs to a campaign (whose existence the target check above
        // established); an id sent with another kind of run is not stored.
        let campaign_id = campaign_id.filter(|_| kind == "campaign");
        // The record's evidence is bound into the audit chain by its hashes.
        let signature_sha256 = field_record.signature.as_ref().map(|bytes| hex::encode(sha2::Sha256::digest(bytes)));
        let photo_sha256: Vec<&str> = results.iter().flat_map(|r| r.photos.iter().map(|p| p.2.as_str())).collect();
        let details = serde_json::json!({
            "checklist": checklist.code, "enterprise": enterprise_id, "kind": kind, "failed": failed,
            "signature_sha256": signature_sha256, "signature_refused": field_record.signature_refused,
            "photo_sha256": photo_sha256, "located": field_record.position.is_some(), "client_ref": field_record.client_ref,
        });
        let event = audit_event(Some(actor), client, "checklist.run", String::new(), Outcome::Success, details);
        let run = NewRun { checklist_id, enterprise_id, kind: kind.to_owned(), campaign_id, results, field: field_record };
        // The emergency bureau confirms what is found in its county, as for any report: it is told.
        let bureau = self.bureau_to_tell(enterprise.enterprise.region_code.as_str()).await?;
        let told = |id: i64, danger: &NewDanger| {
            let grade = domain::hidden_dangers::DangerGrade::from_key(&danger.grade).unwrap_or(domain::hidden_dangers::DangerGrade::General);
            crate::hidden_dangers::reported_posts(bureau.as_ref(), id, &enterprise.enterprise.name, &danger.description, grade, actor)
        };
        let recorded = self.store.record_checklist_run(&run, actor.user_id, &event, told).await?;
        // A retried submission found the run recorded: its service was recorded with it.
        if campaign_expert && recorded.new {
            let summary = format!("{}:{}(不符合{}项)", checklist.name, enterprise.enterprise.name, failed);
            let event = audit_event(
                Some(actor),
                client,
                "expert.service",
                format!("checklist_run:{}", recorded.run_id),
                Outcome::Success,
                serde_json::json!({"kind": "campaign_check"}),
            );
            self.store.record_expert_service(actor.user_id, "campaign_check", &format!("checklist_run:{}", recorded.run_id), &summary, &event).await?;
        }
        Ok((recorded.run_id, recorded.dangers))
    }

    /// Sets up a campaign in the office's or regulator's own territory; its targets are the
    /// enterprises there matching the sector and region filters.
    pub async fn create_campaign(&self, actor: &Actor, client: &Client, input: &CampaignInput) -> Result<i64> {
        let path = actor.region_path.clone().unwrap_or_default();
        if !policy::allows(actor, Action::ManageWorkPlan { region_path: &path }) {
            return Err(self.denied(actor, client, "campaign.create", "campaigns".into()).await);
        }
        let mut problems = Vec::new();
        if input.name.trim().is_empty() || input.name.chars().count() > 200 {
            problems.push(field("name", domain::message!("checklists.name_campaign_most_200_characters")));
        }
        let dates = (input.starts_on.trim().parse::<jiff::civil::Date>(), input.ends_on.trim().parse::<jiff::civil::Date>());
        match dates {
            (Ok(start), Ok(end)) if start <= end => {}
            _ => problems.push(field("ends_on", domain::message!("checklists.dates_must_yyyy_mm_dd_start"))),
        }
        if self.store.checklist(input.checklist_id).await.is_err() {
            problems.push(field("checklist_id", domain::message!("checklists.choose_checklist")));
        }
        if let Some(accident_id) = input.accident_id
            && self.accident_view(actor, client, accident_id).await.is_err()
        {
            problems.push(field("accident_id", domain::message!("checklists.unknown_accident")));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let query = ListQuery {
            query: None,
            region_code: Some(input.region_code.trim().to_owned()).filter(|r| !r.is_empty()),
            sector: Some(input.sector.trim().to_owned()).filter(|s| !s.is_empty()),
            industry: None,
        };
        let mut targets = Vec::new();
        let mut page = 1;
        loop {
            let found = self.list_enterprises(actor, client, &query, page, crate::enterprises::PAGE_SIZE_MAX).await?;
            targets.extend(found.items.iter().map(|e| e.id));
            if found.items.is_empty() || targets.len() as i64 >= found.total || targets.len() as i64 >= CAMPAIGN_TARGETS_MAX {
                break;
            }
            page += 1;
        }
        let levels: &[&str] = match input.min_risk.trim() {
            "" => &[],
            "major" => &["major"],
            "larger" => &["major", "larger"],
            "general" => &["major", "larger", "general"],
            "low" => &["major", "larger", "general", "low"],
            _ => {
                return Err(AppError::Invalid(vec![field("min_risk", domain::message!("checklists.use_major_larger_general_low"))]));
            }
        };
        if !levels.is_empty() {
            let risky = self.store.enterprises_with_risk_levels(levels).await?;
            targets.retain(|id| risky.binary_search(id).is_ok());
        }
        if targets.is_empty() {
            return Err(AppError::Invalid(vec![field("sector", domain::message!("checklists.no_enterprise_matches_these_filters"))]));
        }
        let own_region = path.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        let campaign = NewCampaign {
            name: input.name.trim().to_owned(),
            checklist_id: input.checklist_id,
            owner_unit_id: actor.unit_id,
            region_code: own_region,
            starts_on: input.starts_on.trim().to_owned(),
            ends_on: input.ends_on.trim().to_owned(),
            criteria: serde_json::json!({"sector": input.sector, "region": input.region_code, "min_risk": input.min_risk, "responsible_units": input.responsible_units.trim().chars().take(500).collect::<String>()}).to_string(),
            targets,
            accident_id: input.accident_id,
        };
        let event = audit_event(
            Some(actor),
            client,
            "campaign.create",
            String::new(),
            Outcome::Success,
            serde_json::json!({"name": campaign.name, "targets": campaign.targets.len()}),
        );
        Ok(self.store.create_campaign(&campaign, &event).await?)
    }

    /// The campaigns of the caller's territory (regulators, inspectors and offices).
    /// One campaign, for a check run that belongs to it. A campaign is announced to the
    /// enterprises it concerns and names only its checklist, region and dates, so any signed-in
    /// user may read it.
    pub async fn campaign(&self, id: i64) -> Result<CampaignRow> {
        Ok(self.store.campaign(id).await?)
    }

    /// Whether the actor runs this campaign (assigns experts to its targets): it supervises the
    /// campaign's region.
    pub async fn may_manage_campaign(&self, actor: &Actor, id: i64) -> Result<bool> {
        let campaign = self.store.campaign(id).await?;
        let region = self.store.region(&campaign.region_code).await?;
        Ok(policy::allows(actor, Action::ManageWorkPlan { region_path: &region.path }))
    }

    pub async fn campaigns(&self, actor: &Actor, client: &Client) -> Result<Vec<CampaignRow>> {
        match &actor.region_path {
            Some(path) if policy::allows(actor, Action::ReadCampaigns) => {
                // A city sees its own campaigns and those of the province that cover it.
                let mut found = self.store.campaigns_under("").await?;
                let mut visible = Vec::new();
                for campaign in found.drain(..) {
                    let region = self.store.region(&campaign.region_code).await?;
                    if region.path.starts_with(path.as_str()) || path.starts_with(region.path.as_str()) {
                        visible.push(campaign);
                    }
                }
                Ok(visible)
            }
            _ => Err(self.denied(actor, client, "campaign.list", "campaigns".into()).await),
        }
    }

    /// A campaign's coverage, findings and rectification rate by city, over the targets in the
    /// caller's territory.
    pub async fn campaign_progress(&self, actor: &Actor, client: &Client, id: i64) -> Result<CampaignProgress> {
        let campaign = match self.campaigns(actor, client).await?.into_iter().find(|c| c.id == id) {
            Some(campaign) => campaign,
            None => return Err(self.denied(actor, client, "campaign.read", format!("campaign:{id}")).await),
        };
        let path = actor.region_path.clone().unwrap_or_default();
        let rows = self.store.campaign_progress(id, &path).await?;
        let sum = |f: fn(&store::CampaignCityRow) -> i64| rows.iter().map(f).sum::<i64>();
        let totals = store::CampaignCityRow {
            city_code: String::new(),
            city_name: "合计".into(),
            targets: sum(|r| r.targets),
            checked: sum(|r| r.checked),
            findings: sum(|r| r.findings),
            closed: sum(|r| r.closed),
        };
        Ok(CampaignProgress {
            id,
            responsible_units: serde_json::from_str::<serde_json::Value>(&campaign.criteria)
                .ok()
                .and_then(|c| c["responsible_units"].as_str().map(str::to_owned))
                .unwrap_or_default(),
            name: campaign.name,
            checklist: campaign.checklist_name,
            starts_on: campaign.starts_on,
            ends_on: campaign.ends_on,
            cities: rows.iter().map(city).collect(),
            totals: city(&totals),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_checklists_parse() {
        let chemical = parse_items(SHIPPED[0].4).unwrap();
        assert_eq!(chemical.len(), 20, "the 20 criteria of 安监总管三〔2017〕121号");
        assert!(chemical.iter().all(|i| i.consequence == "major" && i.basis.contains("121号")));
        let lanes = parse_items(SHIPPED[1].4).unwrap();
        assert!(lanes.len() >= 5 && lanes.iter().any(|i| i.consequence == "general") && lanes.iter().any(|i| i.consequence == "major"));
        assert!(parse_items("code,item,basis,consequence\n1,x,y,severe\n").unwrap_err().contains("line 2"));
    }
}
