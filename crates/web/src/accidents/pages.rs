//! Accident pages: the list with the year's statistics against the year before and the report
//! form, and an accident with its casualty updates, concealment, the investigation report and its
//! measures.

use app::accidents::{AccidentInput, CasualtyInput, MeasureInput, ReportInput};
use app::policy::{self, Action};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::accidents::AccidentKind;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accidents", get(list_page).post(report_submit))
        .route("/accidents/export.xlsx", get(export))
        .route("/accidents/{id}", get(accident_page))
        .route("/accidents/{id}/casualties", post(casualties_submit))
        .route("/accidents/{id}/concealment", post(conceal_submit))
        .route("/accidents/{id}/report", post(report_approve_submit))
        .route("/accidents/{id}/measures/{measure}", post(measure_submit))
        .route("/accidents/{id}/assessment", post(assess_submit))
}

fn when(ms: i64) -> String {
    domain::time::local_text(ms)
}

struct Line {
    id: i64,
    when: String,
    place: String,
    kind: String,
    level: String,
    level_key: &'static str,
    deaths: i64,
    injuries: i64,
    loss_wan: String,
    flags: String,
}

#[derive(Template)]
#[template(path = "accidents/accidents.html")]
struct ListPage {
    c: Chrome,
    year: i64,
    accidents: i64,
    deaths: i64,
    accidents_last_year: i64,
    deaths_last_year: i64,
    by_level: Vec<(String, i64)>,
    by_city: Vec<(String, i64, i64)>,
    by_month: Vec<(i64, i64, i64)>,
    lines: Vec<Line>,
    can_report: bool,
    own_enterprise: Option<i64>,
    kinds: Vec<SelectOption>,
    /// The province whose map is drawn (for province-level users).
    map_region: Option<String>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i64>,
}

async fn list_response(state: &AppState, headers: &HeaderMap, user: &PageUser, year: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let can_report = policy::allows(&user.actor, Action::ReportAccident { enterprise_id: user.actor.enterprise_id });
    let c = chrome(state, headers, &user.session, "/accidents", Some(&user.actor)).await;
    let english = c.t.is_en();
    let kinds = AccidentKind::ALL.iter().map(|k| SelectOption { code: k.key().into(), label: k.label(english).into(), selected: false }).collect();
    if !policy::allows(&user.actor, Action::ReadAccidents) {
        // An enterprise reports its accidents here but reads no one's statistics.
        if !can_report {
            return error_page(state, headers, &user.session, Some(&user.actor), app::AppError::NotFound.into()).await;
        }
        let page = ListPage {
            year,
            accidents: 0,
            deaths: 0,
            accidents_last_year: 0,
            deaths_last_year: 0,
            by_level: Vec::new(),
            by_city: Vec::new(),
            by_month: Vec::new(),
            lines: Vec::new(),
            can_report,
            own_enterprise: user.actor.enterprise_id,
            kinds,
            map_region: None,
            errors,
            c,
        };
        return (status, render(&page)).into_response();
    }
    let (stats, list) = match (state.app.accident_statistics(&user.actor, &user.client, year).await, state.app.accidents(&user.actor, &user.client, year).await)
    {
        (Ok(stats), Ok(list)) => (stats, list),
        (Err(error), _) | (_, Err(error)) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let lines = list
        .into_iter()
        .map(|a| {
            let mut flags = Vec::new();
            if a.concealed {
                flags.push(c.t.get("accidents.concealed"));
            }
            if a.late_reported {
                flags.push(c.t.get("accidents.late"));
            }
            Line {
                id: a.id,
                when: when(a.occurred_at),
                place: a.enterprise_name.clone().unwrap_or_else(|| a.region_name.clone()),
                kind: a.kind.label(english).into(),
                level: a.level.label(english).into(),
                level_key: a.level.key(),
                deaths: a.deaths + a.missing,
                injuries: a.serious_injuries,
                loss_wan: format!("{:.1}", a.direct_loss_yuan as f64 / 10_000.0),
                flags: flags.join(" "),
            }
        })
        .collect();
    let page = ListPage {
        year,
        accidents: stats.accidents,
        deaths: stats.deaths,
        accidents_last_year: stats.accidents_last_year,
        deaths_last_year: stats.deaths_last_year,
        by_level: domain::accidents::AccidentLevel::ALL
            .iter()
            .map(|l| (l.label(english).to_owned(), stats.by_level.get(l.key()).copied().unwrap_or(0)))
            .collect(),
        by_city: stats.by_city.into_iter().map(|city| (city.city_name, city.accidents, city.deaths)).collect(),
        by_month: stats.by_month.into_iter().map(|m| (m.month, m.accidents, m.accidents_last_year)).collect(),
        lines,
        can_report,
        own_enterprise: user.actor.enterprise_id,
        kinds,
        map_region: crate::pages::province_map_region(&user.actor),
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    list_response(&state, &headers, &user, query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100), Vec::new(), StatusCode::OK)
        .await
}

async fn export(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    let year = query.year.unwrap_or_else(|| i64::from(domain::time::this_year())).clamp(2000, 2100);
    let english = crate::i18n::english(&headers);
    match state.app.export_accidents(&user.actor, &user.client, year, english).await {
        Ok(bytes) => crate::pages::download(bytes, app::spreadsheet::SpreadsheetFormat::Xlsx, &format!("accidents-{year}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    region_code: String,
    /// `YYYY-MM-DDTHH:MM` from a datetime-local field, China time.
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    road_traffic: Option<String>,
    #[serde(default)]
    deaths: String,
    #[serde(default)]
    missing: String,
    #[serde(default)]
    serious_injuries: String,
    #[serde(default)]
    direct_loss_yuan: String,
    #[serde(default)]
    summary: String,
}

/// A number field: blank is 0, anything else unparsable is -1 (refused by field).
fn number(text: &str) -> i64 {
    let text = text.trim();
    if text.is_empty() { 0 } else { text.parse().unwrap_or(-1) }
}

/// A datetime-local value as RFC 3339 in China time (the value as typed if it is not one).
fn china_time(text: &str) -> String {
    let text = text.trim();
    match text.parse::<jiff::civil::DateTime>() {
        Ok(local) => domain::time::china().to_timestamp(local).map(|t| t.to_string()).unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

async fn report_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<ReportForm>) -> Response {
    let input = AccidentInput {
        enterprise_id: form.enterprise_id.trim().parse().ok(),
        region_code: Some(form.region_code.trim().to_owned()).filter(|r| !r.is_empty()),
        occurred_at: china_time(&form.occurred_at),
        kind: form.kind,
        road_traffic: form.road_traffic.is_some(),
        deaths: number(&form.deaths),
        missing: number(&form.missing),
        serious_injuries: number(&form.serious_injuries),
        direct_loss_yuan: number(&form.direct_loss_yuan),
        summary: form.summary,
        ..Default::default()
    };
    match state.app.report_accident(&user.actor, &user.client, &input).await {
        Ok((id, _)) if policy::allows(&user.actor, Action::ReadAccidents) => Redirect::to(&format!("/accidents/{id}")).into_response(),
        Ok(_) => Redirect::to("/accidents").into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            list_response(&state, &headers, &user, i64::from(domain::time::this_year()), errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "accidents/accident.html")]
struct AccidentPage {
    c: Chrome,
    a: app::accidents::AccidentView,
    when: String,
    kind: String,
    level: String,
    tier: String,
    updates: Vec<(String, String, i64, i64, String)>,
    may_manage: bool,
    may_investigate: bool,
    /// Whether the caller may report the enterprise's hidden dangers and open campaigns.
    may_report_dangers: bool,
    may_open_campaign: bool,
    /// (id, description, state, grade) of the dangers it exposed.
    dangers: Vec<(i64, String, String, String)>,
    today: String,
    errors: Vec<String>,
}

async fn accident_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let view = match state.app.accident_view(&user.actor, &user.client, id).await {
        Ok(view) => view,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let (may_manage, may_investigate) = state.app.accident_permissions(&user.actor, id).await.unwrap_or((false, false));
    let c = chrome(state, headers, &user.session, "/accidents", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = AccidentPage {
        when: when(view.accident.occurred_at),
        kind: view.accident.kind.label(english).into(),
        level: view.accident.level.label(english).into(),
        tier: view.investigating_tier.label(english).into(),
        updates: view
            .updates
            .iter()
            .map(|u| {
                (when(u.updated_at), u.level.label(english).to_owned(), u.deaths + u.missing, u.serious_injuries, format!("{} · {}", u.updated_by, u.note))
            })
            .collect(),
        may_manage,
        may_investigate,
        may_report_dangers: view.accident.enterprise_id.is_some_and(|enterprise_id| policy::allows(&user.actor, Action::ReportDanger { enterprise_id })),
        may_open_campaign: user.actor.region_path.as_deref().is_some_and(|path| policy::allows(&user.actor, Action::ManageWorkPlan { region_path: path })),
        dangers: view.dangers.iter().map(|d| (d.id, d.description.clone(), d.state.label(english).to_owned(), d.grade.label(english).to_owned())).collect(),
        today: domain::time::today().to_string(),
        a: view,
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn accident_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    accident_response(&state, &headers, &user, id, Vec::new(), StatusCode::OK).await
}

/// After a form: back to the accident, or the accident with the refusal.
async fn after(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, result: app::Result<()>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/accidents/{id}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(headers, fields.into_iter().map(|f| f.message));
            accident_response(state, headers, user, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(app::AppError::Conflict(message)) => {
            let errors = vec![crate::pages::text(headers, &message)];
            accident_response(state, headers, user, id, errors, StatusCode::CONFLICT).await
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize, Default)]
struct CasualtyForm {
    #[serde(default)]
    deaths: String,
    #[serde(default)]
    missing: String,
    #[serde(default)]
    serious_injuries: String,
    #[serde(default)]
    direct_loss_yuan: String,
    #[serde(default)]
    note: String,
}

async fn casualties_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CasualtyForm>,
) -> Response {
    let input = CasualtyInput {
        deaths: number(&form.deaths),
        missing: number(&form.missing),
        serious_injuries: number(&form.serious_injuries),
        direct_loss_yuan: number(&form.direct_loss_yuan),
        note: form.note,
        level: None,
    };
    let result = state.app.update_accident_casualties(&user.actor, &user.client, id, &input).await.map(|_| ());
    after(&state, &headers, &user, id, result).await
}

async fn conceal_submit(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    let result = state.app.mark_accident_concealed(&user.actor, &user.client, id).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct ReportApprovalForm {
    #[serde(default)]
    approved_on: String,
    #[serde(default)]
    findings: String,
    /// One measure a line: `measure | responsible | due date`.
    #[serde(default)]
    measures: String,
}

async fn report_approve_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ReportApprovalForm>,
) -> Response {
    let measures = form
        .measures
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(51)
        .map(|line| {
            let mut parts = line.split('|').map(str::trim);
            MeasureInput {
                measure: parts.next().unwrap_or("").to_owned(),
                responsible: parts.next().unwrap_or("").to_owned(),
                due_on: parts.next().unwrap_or("").to_owned(),
            }
        })
        .collect();
    let input = ReportInput { approved_on: form.approved_on, findings: form.findings, measures };
    let result = state.app.approve_accident_report(&user.actor, &user.client, id, &input).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct DateForm {
    #[serde(default)]
    on: String,
}

async fn measure_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path((id, measure)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<DateForm>,
) -> Response {
    let result = state.app.complete_accident_measure(&user.actor, &user.client, id, measure, &form.on).await;
    after(&state, &headers, &user, id, result).await
}

async fn assess_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DateForm>,
) -> Response {
    let result = state.app.assess_accident(&user.actor, &user.client, id, &form.on).await;
    after(&state, &headers, &user, id, result).await
}
