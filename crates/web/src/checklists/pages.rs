//! Checklist and campaign pages: the checklist library, filling a checklist at an enterprise (a
//! phone-width field check: every item unanswered until answered, a note and photos per failed
//! item, the device's position and time, the enterprise's drawn signature, kept on the device
//! until sent), a recorded check with its PDF, campaigns with their set-up form and their progress
//! by city.

use std::collections::HashMap;

use app::checklists::{CampaignInput, ItemAnswer};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, label, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checklists", get(library))
        .route("/checklists/template.xlsx", get(checklist_template))
        .route("/checklists/new", get(new_checklist).post(save_checklist).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_BYTES_MAX)))
        .route("/checklists/{id}/edit", get(edit_checklist).post(save_checklist_edit).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_BYTES_MAX)))
        .route("/enterprises/{id}/checks", get(run_page).post(run_submit).layer(axum::extract::DefaultBodyLimit::max(app::checklists::RUN_UPLOAD_BYTES_MAX)))
        .route("/checks/{id}", get(check_page))
        .route("/checks/{id}/record.pdf", get(check_pdf))
        .route("/checks/{id}/signature.png", get(check_signature))
        .route("/checks/{id}/photos/{photo_id}", get(check_photo))
        .route("/campaigns", get(campaign_list).post(campaign_create))
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/export.xlsx", get(campaign_export))
}

/// A checklist as the library shows it: id, name, purpose, its items (code, text, basis,
/// whether a failure is a 重大 danger), and whether the caller's unit keeps it (may edit it).
type ChecklistView = (i64, String, String, Vec<(String, String, String, bool)>, bool);

#[derive(Template)]
#[template(path = "checklists/checklists.html")]
struct LibraryPage {
    c: Chrome,
    checklists: Vec<ChecklistView>,
    may_write: bool,
}

async fn library(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let library = match state.app.checklist_library(&user.actor, &user.client).await {
        Ok(library) => library,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let mut checklists = Vec::new();
    for checklist in library {
        let items = state.app.checklist_with_items(checklist.id).await.map(|(_, items)| items).unwrap_or_default();
        let editable = state.app.may_edit_checklist(&user.actor, Some(checklist.id)).await.unwrap_or(false);
        checklists.push((
            checklist.id,
            checklist.name,
            checklist.purpose,
            items.into_iter().map(|i| (i.code, i.item, i.basis, i.consequence == "major")).collect(),
            editable,
        ));
    }
    let may_write = state.app.may_edit_checklist(&user.actor, None).await.unwrap_or(false);
    let c = chrome(&state, &headers, &user.session, "/checklists", Some(&user.actor)).await;
    render(&LibraryPage { c, checklists, may_write })
}

async fn checklist_template(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if let Err(error) = state.app.checklist_library(&user.actor, &user.client).await {
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    match app::checklists::template(crate::i18n::english(&headers)) {
        Ok(bytes) => crate::pages::download(bytes, app::spreadsheet::SpreadsheetFormat::Xlsx, "checklist-template.xlsx"),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// Blank rows the editor offers below the items, and how many more each "more rows" adds.
const BLANK_ROWS: usize = 5;

#[derive(Template)]
#[template(path = "checklists/editor.html")]
struct EditorPage {
    c: Chrome,
    /// The checklist edited, none for a new one.
    id: Option<i64>,
    name: String,
    purpose: String,
    sectors: Vec<SelectOption>,
    items: Vec<app::checklists::ItemInput>,
    errors: Vec<String>,
    notice: Option<String>,
}

impl EditorPage {
    fn action(&self) -> String {
        self.id.map_or_else(|| "/checklists/new".to_owned(), |id| format!("/checklists/{id}/edit"))
    }

    fn major(&self, item: &app::checklists::ItemInput) -> bool {
        matches!(item.consequence.as_str(), "major" | "重大")
    }
}

fn editor_response(
    c: Chrome,
    id: Option<i64>,
    input: app::checklists::ChecklistInput,
    blank_rows: usize,
    errors: Vec<String>,
    notice: Option<String>,
) -> Response {
    let sector = if input.sector.is_empty() { "all".to_owned() } else { input.sector.clone() };
    let mut sectors = vec![SelectOption { code: "all".into(), label: c.t.get("checklist.all_sectors").to_owned(), selected: sector == "all" }];
    sectors.extend(domain::enterprises::HighRiskSector::ALL.iter().map(|s| SelectOption {
        code: s.key().into(),
        label: label(c.t, s.label_zh(), s.label_en()),
        selected: s.key() == sector,
    }));
    let mut items = input.items;
    let room = app::checklists::CHECKLIST_ITEMS_MAX.saturating_sub(items.len());
    items.extend(std::iter::repeat_n(app::checklists::ItemInput::default(), blank_rows.min(room)));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&EditorPage { c, id, name: input.name, purpose: input.purpose, sectors, items, errors, notice })).into_response()
}

async fn new_checklist(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    if !state.app.may_edit_checklist(&user.actor, None).await.unwrap_or(false) {
        return error_page(&state, &headers, &user.session, Some(&user.actor), app::AppError::NotFound.into()).await;
    }
    let c = chrome(&state, &headers, &user.session, "/checklists/new", Some(&user.actor)).await;
    editor_response(c, None, Default::default(), 10, Vec::new(), None)
}

async fn edit_checklist(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    if !state.app.may_edit_checklist(&user.actor, Some(id)).await.unwrap_or(false) {
        return error_page(&state, &headers, &user.session, Some(&user.actor), app::AppError::NotFound.into()).await;
    }
    let (checklist, items) = match state.app.checklist_with_items(id).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let input = app::checklists::ChecklistInput {
        name: checklist.name,
        purpose: checklist.purpose,
        sector: checklist.sector,
        items: items.into_iter().map(|i| app::checklists::ItemInput { code: i.code, item: i.item, basis: i.basis, consequence: i.consequence }).collect(),
    };
    let c = chrome(&state, &headers, &user.session, &format!("/checklists/{id}/edit"), Some(&user.actor)).await;
    editor_response(c, Some(id), input, BLANK_ROWS, Vec::new(), None)
}

async fn save_checklist(State(state): State<AppState>, headers: HeaderMap, user: PageUser, multipart: axum::extract::Multipart) -> Response {
    save_checklist_form(state, headers, user, None, multipart).await
}

async fn save_checklist_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Response {
    save_checklist_form(state, headers, user, Some(id), multipart).await
}

/// The editor's form, as multipart: `name`, `purpose`, `sector`, rows `code_{n}`, `item_{n}`,
/// `basis_{n}`, `consequence_{n}`, and `action`: `save`, `more_rows`, or `import` with `file`
/// (the file's items replace the rows, to be reviewed and saved).
async fn save_checklist_form(state: AppState, headers: HeaderMap, user: PageUser, id: Option<i64>, mut multipart: axum::extract::Multipart) -> Response {
    // Refused before the body is read: it may carry a spreadsheet.
    if !state.app.may_edit_checklist(&user.actor, id).await.unwrap_or(false) {
        let error = app::AppError::NotFound;
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let mut values: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut errors = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if name == "file" {
                    let file_name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) if bytes.is_empty() => {}
                        Ok(bytes) => file = Some((file_name, bytes.to_vec())),
                        Err(_) => errors.push(domain::message!("hidden_dangers.upload_failed_too_large")),
                    }
                } else if values.len() < 4 * app::checklists::CHECKLIST_ITEMS_MAX + 20 {
                    match field.text().await {
                        Ok(text) => {
                            values.insert(name, text.chars().take(2_000).collect());
                        }
                        Err(_) => errors.push(domain::message!("hidden_dangers.upload_could_not_read")),
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                errors.push(domain::message!("hidden_dangers.upload_could_not_read"));
                break;
            }
        }
    }
    let get = |name: &str| values.get(name).cloned().unwrap_or_default();
    let rows = (0..app::checklists::CHECKLIST_ITEMS_MAX).take_while(|n| values.contains_key(&format!("item_{n}")));
    let (mut places, mut items) = (Vec::new(), Vec::new());
    for n in rows {
        let item = app::checklists::ItemInput {
            code: get(&format!("code_{n}")),
            item: get(&format!("item_{n}")),
            basis: get(&format!("basis_{n}")),
            consequence: get(&format!("consequence_{n}")),
        };
        places.push(n + 1);
        items.push(item);
    }
    let mut input = app::checklists::ChecklistInput { name: get("name"), purpose: get("purpose"), sector: get("sector"), items };
    let path = id.map_or_else(|| "/checklists/new".to_owned(), |id| format!("/checklists/{id}/edit"));
    let c = chrome(&state, &headers, &user.session, &path, Some(&user.actor)).await;
    let mut errors = crate::pages::rendered(&headers, errors);
    match get("action").as_str() {
        "more_rows" => return editor_response(c, id, input, BLANK_ROWS * 2, errors, None),
        "import" => {
            let Some((file_name, bytes)) = file else {
                errors.push(crate::pages::rendered(&headers, [domain::message!("checklists.import_type")]).concat());
                return editor_response(c, id, input, BLANK_ROWS, errors, None);
            };
            return match app::checklists::items_from_file(&file_name, &bytes) {
                Ok(imported) => {
                    let count = imported.len();
                    input.items = imported.into_iter().map(|(_, item)| item).collect();
                    let notice = format!("{} {count}", c.t.get("checklist.imported"));
                    editor_response(c, id, input, 0, errors, Some(notice))
                }
                Err(app::AppError::Invalid(fields)) => {
                    errors.extend(crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)));
                    editor_response(c, id, input, BLANK_ROWS, errors, None)
                }
                Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
            };
        }
        _ => {}
    }
    if !errors.is_empty() {
        return editor_response(c, id, input, 0, errors, None);
    }
    match state.app.save_checklist(&user.actor, &user.client, id, &input, &places).await {
        Ok(saved) => crate::pages::see_other(&headers, &format!("/checklists#checklist-{saved}")),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            editor_response(c, id, input, 0, errors, None)
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize, Default)]
struct RunQuery {
    checklist: Option<i64>,
    campaign: Option<i64>,
}

struct ItemLine {
    id: i64,
    code: String,
    item: String,
    basis: String,
    major: bool,
}

/// What the form held when it is shown again after a refusal: each item's answer and note, and
/// the signer.
#[derive(Default)]
struct RunKept {
    answers: HashMap<i64, (Option<bool>, String)>,
    signed_by: String,
    signature_refused: bool,
    client_ref: String,
    /// Photos were chosen and must be chosen again (a page cannot keep files).
    had_photos: bool,
}

#[derive(Template)]
#[template(path = "checklists/checklist_run.html")]
struct RunPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    checklists: Vec<SelectOption>,
    checklist_id: i64,
    kind: String,
    campaign_id: Option<i64>,
    items: Vec<ItemLine>,
    errors: Vec<String>,
    kept: RunKept,
    /// The enterprise's recent runs: (id, checklist, kind label, when).
    recent: Vec<(i64, String, String, String)>,
    photos_per_item: usize,
}

impl RunPage {
    fn answer(&self, item_id: &i64) -> Option<bool> {
        self.kept.answers.get(item_id).and_then(|a| a.0)
    }

    fn note(&self, item_id: &i64) -> &str {
        self.kept.answers.get(item_id).map_or("", |a| a.1.as_str())
    }

    /// The key under which the page keeps its draft in the browser.
    fn draft_key(&self) -> String {
        format!("check:{}:{}:{}", self.enterprise_id, self.checklist_id, self.campaign_id.unwrap_or(0))
    }

    fn signature_required(&self) -> bool {
        self.kind != "self_check"
    }
}

fn kind_label(c: &Chrome, kind: &str) -> String {
    match kind {
        "self_check" => c.t.get("danger.source.self_check").to_owned(),
        "campaign" => c.t.get("check.kind.campaign").to_owned(),
        _ => c.t.get("check.kind.inspection").to_owned(),
    }
}

async fn run_response(
    state: &AppState,
    headers: &HeaderMap,
    user: &PageUser,
    enterprise_id: i64,
    query: RunQuery,
    errors: Vec<String>,
    kept: RunKept,
) -> Response {
    let enterprise = match state.app.enterprise(&user.actor, &user.client, enterprise_id).await {
        Ok(enterprise) => enterprise,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let library = state.app.checklist_library(&user.actor, &user.client).await.unwrap_or_default();
    let campaign = match query.campaign {
        Some(id) => state.app.campaign(id).await.ok(),
        None => None,
    };
    let checklist_id = campaign.as_ref().map(|c| c.checklist_id).or(query.checklist).or(library.first().map(|c| c.id)).unwrap_or(0);
    let items = state.app.checklist_with_items(checklist_id).await.map(|(_, items)| items).unwrap_or_default();
    let kind = if campaign.is_some() {
        "campaign"
    } else if app::policy::allows(&user.actor, app::policy::Action::RunChecklist { kind: "self_check", enterprise_id, campaign_expert: false }) {
        "self_check"
    } else {
        "inspection"
    };
    let c = chrome(state, headers, &user.session, &format!("/enterprises/{enterprise_id}/checks"), Some(&user.actor)).await;
    let recent = state
        .app
        .checklist_runs_of_enterprise(&user.actor, &user.client, enterprise_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(id, name, kind, at)| (id, name, kind_label(&c, &kind), domain::time::local_text(at)))
        .collect();
    let mut kept = kept;
    if kept.client_ref.is_empty() {
        kept.client_ref = fresh_client_ref();
    }
    let page = RunPage {
        enterprise_id,
        enterprise_name: enterprise.enterprise.name.clone(),
        checklists: library.into_iter().map(|l| SelectOption { selected: l.id == checklist_id, code: l.id.to_string(), label: l.name }).collect(),
        checklist_id,
        kind: kind.into(),
        campaign_id: campaign.map(|c| c.id),
        items: items.into_iter().map(|i| ItemLine { id: i.id, code: i.code, item: i.item, basis: i.basis, major: i.consequence == "major" }).collect(),
        errors,
        kept,
        recent,
        photos_per_item: app::checklists::ITEM_PHOTOS_MAX,
        c,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

/// A reference for one submission of the form: a retried submission carries the same one and
/// is recorded once.
fn fresh_client_ref() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn run_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, Query(query): Query<RunQuery>) -> Response {
    run_response(&state, &headers, &user, id, query, Vec::new(), RunKept::default()).await
}

/// The form, as multipart: `checklist_id`, `kind`, `campaign_id`, `client_ref`, `item_{id}` =
/// `pass`/`fail` with `note_{id}` and photos `photo_{id}`, the device's `started_at`,
/// `finished_at`, `latitude`, `longitude`, `accuracy_m`, `signed_by`, `signature_refused` and
/// the drawn signature as a PNG data URL in `signature_data`.
async fn run_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    // Refused before the body is read: it may carry photos.
    if let Err(error) = state.app.may_run_checklists(&user.actor, &user.client, id).await {
        return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await;
    }
    let _turn = match crate::upload_turn(&state).await {
        Ok(turn) => turn,
        Err(busy) => return busy,
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut photos: HashMap<i64, Vec<app::workplans::UploadedFile>> = HashMap::new();
    let mut photo_count = 0;
    let mut problems = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                if let Some(item_id) = name.strip_prefix("photo_").and_then(|n| n.parse::<i64>().ok()) {
                    let file_name = field.file_name().unwrap_or("").to_owned();
                    match field.bytes().await {
                        Ok(bytes) if bytes.is_empty() => {}
                        Ok(_) if photo_count >= app::checklists::RUN_PHOTOS_MAX => {
                            photo_count += 1;
                        }
                        Ok(bytes) => {
                            photo_count += 1;
                            photos.entry(item_id).or_default().push(app::workplans::UploadedFile { file_name, bytes: bytes.to_vec() });
                        }
                        Err(_) => {
                            problems.push(domain::message!("hidden_dangers.upload_failed_too_large"));
                            break;
                        }
                    }
                } else if values.len() < 1_000 {
                    // The signature travels as a data URL; every other field is short.
                    let limit = if name == "signature_data" { app::checklists::SIGNATURE_BYTES_MAX * 4 / 3 + 64 } else { 5_000 };
                    match field.text().await {
                        Ok(text) if text.len() <= limit => {
                            values.insert(name, text);
                        }
                        Ok(_) if name == "signature_data" => {
                            problems.push(domain::message!("checklists.signature_invalid", max_kb = app::checklists::SIGNATURE_BYTES_MAX >> 10))
                        }
                        Ok(_) => problems.push(domain::message!("checklists.field_too_long", name = name.chars().take(40).collect::<String>())),
                        Err(_) => {
                            problems.push(domain::message!("hidden_dangers.upload_could_not_read"));
                            break;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                problems.push(domain::message!("hidden_dangers.upload_could_not_read"));
                break;
            }
        }
    }
    if photo_count > app::checklists::RUN_PHOTOS_MAX {
        problems.push(domain::message!("checklists.run_photos_limit", max = app::checklists::RUN_PHOTOS_MAX));
    }
    let get = |name: &str| values.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
    let checklist_id = get("checklist_id").parse().unwrap_or(0);
    let campaign_id = get("campaign_id").parse().ok();
    let had_photos = photo_count > 0;
    let mut kept = RunKept {
        signed_by: get("signed_by"),
        signature_refused: !get("signature_refused").is_empty(),
        client_ref: get("client_ref"),
        had_photos,
        ..Default::default()
    };
    let mut answers = Vec::new();
    for (key, value) in &values {
        let Some(item_id) = key.strip_prefix("item_").and_then(|n| n.parse::<i64>().ok()) else { continue };
        let passed = match value.as_str() {
            "pass" => true,
            "fail" => false,
            _ => continue,
        };
        let note = get(&format!("note_{item_id}"));
        kept.answers.insert(item_id, (Some(passed), note.clone()));
        answers.push(ItemAnswer { item_id, passed, note, photos: photos.remove(&item_id).unwrap_or_default() });
    }
    // Notes of items left unanswered are kept too.
    for (key, value) in &values {
        if let Some(item_id) = key.strip_prefix("note_").and_then(|n| n.parse::<i64>().ok()) {
            kept.answers.entry(item_id).or_insert((None, value.trim().to_owned()));
        }
    }
    let signature = match get("signature_data").strip_prefix("data:image/png;base64,") {
        Some(encoded) => {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(encoded) {
                Ok(bytes) => Some(bytes),
                Err(_) => {
                    problems.push(domain::message!("checklists.signature_invalid", max_kb = app::checklists::SIGNATURE_BYTES_MAX >> 10));
                    None
                }
            }
        }
        None => None,
    };
    let number = |name: &str| get(name).parse::<f64>().ok().filter(|n| n.is_finite());
    let field = app::checklists::FieldInput {
        started_at: get("started_at").parse().ok(),
        finished_at: get("finished_at").parse().ok(),
        latitude: number("latitude"),
        longitude: number("longitude"),
        accuracy_m: number("accuracy_m"),
        signed_by: kept.signed_by.clone(),
        signature,
        signature_refused: kept.signature_refused,
        client_ref: Some(kept.client_ref.clone()).filter(|r| !r.is_empty()),
    };
    let query = RunQuery { checklist: Some(checklist_id), campaign: campaign_id };
    let mut errors = crate::pages::rendered(&headers, problems);
    if errors.is_empty() {
        let input = app::checklists::RunInput { checklist_id, kind: get("kind"), campaign_id, answers, field };
        match state.app.run_checklist(&user.actor, &user.client, id, &input).await {
            Ok((run_id, _)) => return Redirect::to(&format!("/checks/{run_id}")).into_response(),
            Err(app::AppError::Invalid(fields)) => errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)),
            Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
        }
    }
    run_response(&state, &headers, &user, id, query, errors, kept).await
}

#[derive(Template)]
#[template(path = "checklists/check.html")]
struct CheckPage {
    c: Chrome,
    run: app::checklists::RunView,
    kind: String,
}

impl CheckPage {
    fn time(&self, at: &Option<i64>) -> String {
        at.map(domain::time::local_text).unwrap_or_default()
    }

    fn recorded_at(&self) -> String {
        domain::time::local_text(self.run.run_at)
    }

    fn position(&self) -> Option<String> {
        let (latitude, longitude) = (self.run.latitude?, self.run.longitude?);
        let accuracy = self.run.accuracy_m.map(|a| format!(" (±{a:.0} m)")).unwrap_or_default();
        Some(format!("{latitude:.6}, {longitude:.6}{accuracy}"))
    }
}

async fn check_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.checklist_run_view(&user.actor, &user.client, id).await {
        Ok(run) => {
            let c = chrome(&state, &headers, &user.session, &format!("/checks/{id}"), Some(&user.actor)).await;
            let kind = kind_label(&c, &run.kind);
            render(&CheckPage { c, run, kind })
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn check_pdf(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let english = crate::i18n::english(&headers);
    match state.app.checklist_run_pdf(&user.actor, &user.client, id, english).await {
        Ok(bytes) => crate::pages::file(bytes, "application/pdf", Some(&format!("check-{id}.pdf"))),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn check_signature(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.checklist_run_signature(&user.actor, &user.client, id).await {
        Ok(bytes) => crate::pages::file(bytes, "image/png", None),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn check_photo(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path((id, photo_id)): Path<(i64, i64)>) -> Response {
    match state.app.checklist_run_photo(&user.actor, &user.client, id, photo_id).await {
        Ok((content_type, bytes)) => crate::pages::file(bytes, &content_type, None),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct CampaignLine {
    id: i64,
    name: String,
    checklist: String,
    period: String,
}

#[derive(Template)]
#[template(path = "checklists/campaigns.html")]
struct CampaignListPage {
    c: Chrome,
    campaigns: Vec<CampaignLine>,
    can_create: bool,
    checklists: Vec<SelectOption>,
    sectors: Vec<SelectOption>,
    /// The form filled in for a campaign in answer to an accident.
    prefill: CampaignPrefill,
    errors: Vec<String>,
}

#[derive(Default)]
struct CampaignPrefill {
    name: String,
    accident_id: Option<i64>,
}

#[derive(Deserialize, Default)]
struct CampaignListQuery {
    /// An accident the new campaign answers (举一反三).
    accident: Option<i64>,
}

/// The name and sector of a campaign in answer to an accident the caller may see.
async fn accident_prefill(state: &AppState, user: &PageUser, accident_id: i64, english: bool) -> (CampaignPrefill, Option<String>) {
    let Ok(view) = state.app.accident_view(&user.actor, &user.client, accident_id).await else { return (CampaignPrefill::default(), None) };
    let a = &view.accident;
    let place = a.enterprise_name.clone().unwrap_or_else(|| a.region_name.clone());
    let date = domain::time::date_of_ms(a.occurred_at);
    let name = if english {
        format!("Campaign after the {} accident at {place} on {date}", a.kind.label_en().to_lowercase())
    } else {
        format!("{place}{}“{}”{}事故举一反三专项整治", date.strftime("%Y年%-m月%-d日"), a.kind.label_zh(), a.level.label_zh())
    };
    let sector = match a.enterprise_id {
        Some(enterprise_id) => {
            state.app.enterprise(&user.actor, &user.client, enterprise_id).await.ok().and_then(|e| e.enterprise.sectors.first().map(|s| s.key().to_owned()))
        }
        None => None,
    };
    (CampaignPrefill { name: name.chars().take(200).collect(), accident_id: Some(accident_id) }, sector)
}

async fn list_response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>, accident: Option<i64>) -> Response {
    let campaigns = match state.app.campaigns(&user.actor, &user.client).await {
        Ok(campaigns) => campaigns,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, "/campaigns", Some(&user.actor)).await;
    let path = user.actor.region_path.clone().unwrap_or_default();
    let (prefill, sector) = match accident {
        Some(accident_id) => accident_prefill(state, user, accident_id, c.t.is_en()).await,
        None => (CampaignPrefill::default(), None),
    };
    let page = CampaignListPage {
        campaigns: campaigns
            .into_iter()
            .map(|k| CampaignLine { id: k.id, name: k.name, checklist: k.checklist_name, period: format!("{} – {}", k.starts_on, k.ends_on) })
            .collect(),
        can_create: app::policy::allows(&user.actor, app::policy::Action::ManageWorkPlan { region_path: &path }),
        checklists: state
            .app
            .checklist_library(&user.actor, &user.client)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|l| SelectOption { code: l.id.to_string(), label: l.name, selected: false })
            .collect(),
        sectors: domain::enterprises::HighRiskSector::ALL
            .iter()
            .map(|s| SelectOption { code: s.key().into(), label: label(c.t, s.label_zh(), s.label_en()), selected: sector.as_deref() == Some(s.key()) })
            .collect(),
        prefill,
        errors,
        c,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn campaign_list(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<CampaignListQuery>) -> Response {
    list_response(&state, &headers, &user, Vec::new(), query.accident).await
}

async fn campaign_create(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(input): axum::Form<CampaignInput>) -> Response {
    match state.app.create_campaign(&user.actor, &user.client, &input).await {
        Ok(id) => Redirect::to(&format!("/campaigns/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            list_response(&state, &headers, &user, errors, input.accident_id).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "checklists/campaign.html")]
struct CampaignPage {
    c: Chrome,
    progress: app::checklists::CampaignProgress,
    /// Experts the office may assign to check targets (empty when it may not).
    experts: Vec<SelectOption>,
}

async fn campaign_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    match state.app.campaign_progress(&user.actor, &user.client, id).await {
        Ok(progress) => {
            let manages = state.app.may_manage_campaign(&user.actor, id).await.unwrap_or(false);
            let experts = if manages { crate::experts::pages::expert_options(&state, &user).await } else { Vec::new() };
            let c = chrome(&state, &headers, &user.session, &format!("/campaigns/{id}"), Some(&user.actor)).await;
            render(&CampaignPage { c, progress, experts })
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn campaign_export(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    use app::spreadsheet::{Column, SpreadsheetFormat};
    let progress = match state.app.campaign_progress(&user.actor, &user.client, id).await {
        Ok(progress) => progress,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let english = crate::i18n::english(&headers);
    let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
    let columns = [
        Column { heading: say("地区", "Region"), width: 16.0 },
        Column { heading: say("对象企业", "Targets"), width: 10.0 },
        Column { heading: say("已检查", "Checked"), width: 10.0 },
        Column { heading: say("检查覆盖率", "Coverage"), width: 12.0 },
        Column { heading: say("发现隐患", "Dangers found"), width: 10.0 },
        Column { heading: say("已整改", "Rectified"), width: 10.0 },
        Column { heading: say("整改率", "Rectification rate"), width: 10.0 },
    ];
    // The totals row is named in the reader's language; the cities are data.
    let named = progress.cities.iter().map(|r| (r, r.city_name.clone())).chain(std::iter::once((&progress.totals, say("合计", "Total").to_owned())));
    let rows = named.map(|(r, name)| {
        vec![
            name,
            r.targets.to_string(),
            r.checked.to_string(),
            format!("{:.1}%", r.coverage * 100.0),
            r.findings.to_string(),
            r.closed.to_string(),
            r.rectification_text(),
        ]
    });
    let export = app::exports::Export {
        action: "campaign.export",
        target: format!("campaign:{id}"),
        format: SpreadsheetFormat::Xlsx,
        sheet_name: say("专项整治", "Campaign"),
        columns: &columns,
        details: serde_json::Value::Null,
    };
    match state.app.export_table(&user.actor, &user.client, export, rows).await {
        Ok(bytes) => crate::pages::download(bytes, SpreadsheetFormat::Xlsx, &format!("campaign-{id}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
