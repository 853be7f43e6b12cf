//! Checklist and campaign pages: the checklist library, filling a checklist at an enterprise (a
//! phone-width page of pass/fail answers), campaigns with their set-up form and their progress by
//! city.

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
        .route("/enterprises/{id}/checks", get(run_page).post(run_submit))
        .route("/campaigns", get(campaign_list).post(campaign_create))
        .route("/campaigns/{id}", get(campaign_page))
        .route("/campaigns/{id}/export.xlsx", get(campaign_export))
}

/// A checklist as the library shows it: id, name, purpose, and its items (code, text, basis,
/// whether a failure is a 重大 danger).
type ChecklistView = (i64, String, String, Vec<(String, String, String, bool)>);

#[derive(Template)]
#[template(path = "checklists/checklists.html")]
struct LibraryPage {
    c: Chrome,
    checklists: Vec<ChecklistView>,
}

async fn library(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let library = match state.app.checklist_library(&user.actor, &user.client).await {
        Ok(library) => library,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let mut checklists = Vec::new();
    for checklist in library {
        let items = state.app.checklist_with_items(checklist.id).await.map(|(_, items)| items).unwrap_or_default();
        checklists.push((
            checklist.id,
            checklist.name,
            checklist.purpose,
            items.into_iter().map(|i| (i.code, i.item, i.basis, i.consequence == "major")).collect(),
        ));
    }
    let c = chrome(&state, &headers, &user.session, "/checklists", Some(&user.actor)).await;
    render(&LibraryPage { c, checklists })
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
    reported: Option<usize>,
}

async fn run_response(
    state: &AppState,
    headers: &HeaderMap,
    user: &PageUser,
    enterprise_id: i64,
    query: RunQuery,
    errors: Vec<String>,
    reported: Option<usize>,
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
    let page = RunPage {
        enterprise_id,
        enterprise_name: enterprise.enterprise.name.clone(),
        checklists: library.into_iter().map(|l| SelectOption { selected: l.id == checklist_id, code: l.id.to_string(), label: l.name }).collect(),
        checklist_id,
        kind: kind.into(),
        campaign_id: campaign.map(|c| c.id),
        items: items.into_iter().map(|i| ItemLine { id: i.id, code: i.code, item: i.item, basis: i.basis, major: i.consequence == "major" }).collect(),
        errors,
        reported,
        c,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn run_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, Query(query): Query<RunQuery>) -> Response {
    run_response(&state, &headers, &user, id, query, Vec::new(), None).await
}

/// The form's fields: `checklist_id`, `kind`, `campaign_id`, and `item_{id}` = `pass`/`fail`
/// with `note_{id}`.
async fn run_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let checklist_id = form.get("checklist_id").and_then(|v| v.parse().ok()).unwrap_or(0);
    let campaign_id = form.get("campaign_id").and_then(|v| v.parse().ok());
    let kind = form.get("kind").cloned().unwrap_or_default();
    let answers: Vec<ItemAnswer> = form
        .iter()
        .filter_map(|(key, value)| {
            let item_id = key.strip_prefix("item_")?.parse().ok()?;
            Some(ItemAnswer { item_id, passed: value == "pass", note: form.get(&format!("note_{item_id}")).cloned().unwrap_or_default() })
        })
        .collect();
    let query = RunQuery { checklist: Some(checklist_id), campaign: campaign_id };
    match state.app.run_checklist(&user.actor, &user.client, checklist_id, id, &kind, campaign_id, &answers).await {
        Ok((_, dangers)) => run_response(&state, &headers, &user, id, query, Vec::new(), Some(dangers.len())).await,
        Err(app::AppError::Invalid(fields)) => {
            run_response(&state, &headers, &user, id, query, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), None).await
        }
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
    let columns = [
        Column { heading: "地区", width: 16.0 },
        Column { heading: "对象企业", width: 10.0 },
        Column { heading: "已检查", width: 10.0 },
        Column { heading: "检查覆盖率", width: 12.0 },
        Column { heading: "发现隐患", width: 10.0 },
        Column { heading: "已整改", width: 10.0 },
        Column { heading: "整改率", width: 10.0 },
    ];
    let rows = progress.cities.iter().chain(std::iter::once(&progress.totals)).map(|r| {
        vec![
            r.city_name.clone(),
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
        sheet_name: "专项整治",
        columns: &columns,
        details: serde_json::Value::Null,
    };
    match state.app.export_table(&user.actor, &user.client, export, rows).await {
        Ok(bytes) => crate::pages::download(bytes, SpreadsheetFormat::Xlsx, &format!("campaign-{id}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
