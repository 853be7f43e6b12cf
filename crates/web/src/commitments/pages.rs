//! Daily safety commitments: an enterprise's form for today and its recent commitments; for a
//! regulator, the enterprises of its territory that have not filed today.

use app::commitments::CommitmentInput;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/commitments", get(page).post(file)).route("/commitments/missing.xlsx", get(export_missing))
}

#[derive(Template)]
#[template(path = "commitments/commitments.html")]
struct CommitmentsPage {
    c: Chrome,
    today: String,
    is_enterprise: bool,
    filed_today: bool,
    history: Vec<(String, String, String, String)>,
    /// For a regulator: today's filing per subdivision, with the missing list's page.
    regions: Vec<RegionLine>,
    totals: RegionLine,
    chosen: Option<(String, String)>,
    missing_total: i64,
    missing: Vec<(i64, String, String)>,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// The query that keeps the chosen region, for the export link (empty, or `?region=…`).
    export_query: String,
    /// The last days' filing over the territory: (day, filed, rate against today's due).
    trend: Vec<(String, i64, String)>,
    /// When the figures were read (they are read on each view).
    updated_at: String,
    errors: Vec<String>,
}

/// A subdivision's line of the filing table.
#[derive(Default)]
struct RegionLine {
    code: String,
    name: String,
    required: i64,
    filed: i64,
    /// The filing rate, "—" where nobody must file.
    rate: String,
    /// Whether the name leads to the list narrowed to it (a subdivision's does; the
    /// territory's own line, whose list is the whole page's, does not).
    narrows: bool,
}

/// A filing rate in words: "—" where nobody must file.
fn rate_text(required: i64, filed: i64) -> String {
    if required == 0 { "—".to_owned() } else { format!("{:.1}%", filed as f64 * 100.0 / required as f64) }
}

impl RegionLine {
    fn new(code: String, name: String, required: i64, filed: i64) -> Self {
        RegionLine { code, name, required, filed, rate: rate_text(required, filed), narrows: true }
    }
}

/// The regulator's view narrowed to a region of its territory (`region`) and paged (`page`),
/// both kept in the URL.
#[derive(Deserialize, Default)]
struct OverviewQuery {
    region: Option<String>,
    page: Option<i64>,
}

async fn response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>, query: &OverviewQuery) -> Response {
    let today = domain::time::today().to_string();
    let mut page = CommitmentsPage {
        c: chrome(state, headers, &user.session, "/commitments", Some(&user.actor)).await,
        today: today.clone(),
        is_enterprise: false,
        filed_today: false,
        history: Vec::new(),
        regions: Vec::new(),
        totals: RegionLine::default(),
        chosen: None,
        missing_total: 0,
        missing: Vec::new(),
        page: 1,
        pages: 1,
        prev_url: None,
        next_url: None,
        export_query: String::new(),
        trend: Vec::new(),
        updated_at: domain::time::local_text(domain::time::now_ms()),
        errors,
    };
    match user.actor.enterprise_id.filter(|_| app::policy::allows(&user.actor, app::policy::Action::FileCommitment)) {
        Some(enterprise_id) => match state.app.commitments(&user.actor, &user.client, enterprise_id).await {
            Ok(rows) => {
                page.is_enterprise = true;
                page.history = rows.into_iter().map(|r| (r.day, r.principal, r.statement, r.exceptions)).collect();
                page.filed_today = page.history.iter().any(|(day, ..)| *day == today);
            }
            Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        },
        None => match state.app.commitment_overview(&user.actor, &user.client, query.region.as_deref(), query.page.unwrap_or(1)).await {
            Ok(overview) => {
                let (required, filed) = overview.regions.iter().fold((0, 0), |(r, f), line| (r + line.required, f + line.filed));
                page.totals = RegionLine::new(String::new(), String::new(), required, filed);
                page.trend =
                    overview.trend.into_iter().map(|(day, filed)| (day.get(5..).unwrap_or(&day).to_owned(), filed, rate_text(required, filed))).collect();
                page.regions = overview
                    .regions
                    .into_iter()
                    .map(|r| RegionLine { narrows: !r.is_territory, ..RegionLine::new(r.code, r.name, r.required, r.filed) })
                    .collect();
                page.missing_total = overview.missing_total;
                page.missing = overview.missing.into_iter().map(|m| (m.enterprise_id, m.name, m.region_name)).collect();
                page.page = overview.page;
                page.pages = overview.pages;
                let region_query = overview.chosen.as_ref().map(|(code, _)| format!("region={code}&")).unwrap_or_default();
                let page_url = |n: i64| format!("/commitments?{region_query}page={n}#missing");
                page.prev_url = (page.page > 1).then(|| page_url(page.page - 1));
                page.next_url = (page.page < page.pages).then(|| page_url(page.page + 1));
                page.export_query = overview.chosen.as_ref().map(|(code, _)| format!("?region={code}")).unwrap_or_default();
                page.chosen = overview.chosen;
            }
            Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        },
    }
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<OverviewQuery>) -> Response {
    response(&state, &headers, &user, Vec::new(), &query).await
}

async fn file(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(input): axum::Form<CommitmentInput>) -> Response {
    match state.app.file_commitment(&user.actor, &user.client, &input).await {
        Ok(()) => Redirect::to("/commitments").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message)), &OverviewQuery::default()).await
        }
        Err(app::AppError::Conflict(message)) => {
            let mut reply = response(&state, &headers, &user, crate::pages::rendered(&headers, [message]), &OverviewQuery::default()).await;
            *reply.status_mut() = StatusCode::CONFLICT;
            reply
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn export_missing(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<OverviewQuery>) -> Response {
    use app::spreadsheet::{Column, SpreadsheetFormat};
    let missing = match state.app.missing_commitments(&user.actor, &user.client, query.region.as_deref()).await {
        Ok(missing) => missing,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let english = crate::i18n::english(&headers);
    let say = |zh: &'static str, en: &'static str| if english { en } else { zh };
    let columns = [
        Column { heading: say("企业", "Enterprise"), width: 36.0 },
        Column { heading: say("地区", "Region"), width: 16.0 },
        Column { heading: say("日期", "Date"), width: 12.0 },
    ];
    let today = domain::time::today().to_string();
    let rows = missing.iter().map(|m| vec![m.name.clone(), m.region_name.clone(), today.clone()]);
    let export = app::exports::Export {
        action: "commitment.export",
        target: "commitments".into(),
        format: SpreadsheetFormat::Xlsx,
        sheet_name: say("未承诺企业", "Not committed"),
        columns: &columns,
        details: serde_json::Value::Null,
    };
    match state.app.export_table(&user.actor, &user.client, export, rows).await {
        Ok(bytes) => crate::pages::download(bytes, SpreadsheetFormat::Xlsx, &format!("missing-commitments-{today}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}
