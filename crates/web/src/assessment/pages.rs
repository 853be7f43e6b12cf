//! Assessment pages: the ranking of cities or departments for a year, a unit's score sheet where
//! the office enters scores and findings with evidence, the scheme editor, and the export.

use std::collections::HashMap;

use app::assessment::Tier;
use app::spreadsheet::SpreadsheetFormat;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, download, error_page, label, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assessment", get(ranking_page))
        .route("/assessment/export.xlsx", get(export_xlsx))
        .route("/assessment/scheme", get(scheme_page).post(save_scheme))
        .route("/assessment/units/{id}", get(unit_page))
        .route("/assessment/units/{id}/scores", post(enter_score))
        .route("/assessment/units/{id}/findings", post(record_finding))
}

fn current_year() -> i64 {
    i64::from(domain::time::this_year())
}

#[derive(Deserialize, Default)]
struct RankingQuery {
    year: Option<i64>,
    #[serde(default)]
    tier: String,
}

impl RankingQuery {
    fn resolve(&self) -> Result<(i64, Tier), ApiError> {
        let tier = Tier::parse(&self.tier)
            .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", domain::message!("assessment.tier_must_cities_departments")))?;
        Ok((self.year.unwrap_or_else(current_year).clamp(2000, 2100), tier))
    }
}

struct RankLine {
    rank: usize,
    unit_id: i64,
    unit: String,
    total: String,
    grade: String,
    grade_class: String,
    vetoed: bool,
}

#[derive(Template)]
#[template(path = "assessment/assessment.html")]
struct RankingPage {
    c: Chrome,
    year: i64,
    cities: bool,
    lines: Vec<RankLine>,
}

fn grade_text(c: &Chrome, grade: domain::assessment::Grade) -> String {
    if c.t.is_en() { grade.label_en().to_owned() } else { grade.label_zh().to_owned() }
}

async fn ranking_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<RankingQuery>) -> Response {
    let failed = |error: ApiError| error_page(&state, &headers, &user.session, Some(&user.actor), error);
    let (year, tier) = match query.resolve() {
        Ok(resolved) => resolved,
        Err(error) => return failed(error).await,
    };
    let ranking = match state.app.assessment_ranking(&user.actor, &user.client, year, tier).await {
        Ok(ranking) => ranking,
        Err(error) => return failed(error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/assessment", Some(&user.actor)).await;
    let lines = ranking
        .into_iter()
        .map(|row| RankLine {
            rank: row.rank,
            unit_id: row.unit_id,
            unit: row.unit_name,
            total: format!("{:.2}", row.total),
            grade: grade_text(&c, row.grade),
            grade_class: format!("grade-{:?}", row.grade).to_lowercase(),
            vetoed: row.vetoed,
        })
        .collect();
    render(&RankingPage { c, year, cities: tier == Tier::Cities, lines })
}

async fn export_xlsx(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<RankingQuery>) -> Response {
    let (year, tier) = match query.resolve() {
        Ok(resolved) => resolved,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error).await,
    };
    match state.app.export_assessment(&user.actor, &user.client, year, tier, SpreadsheetFormat::Xlsx, crate::i18n::english(&headers)).await {
        Ok(bytes) => download(bytes, SpreadsheetFormat::Xlsx, &format!("assessment-{year}.xlsx")),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Template)]
#[template(path = "assessment/assessment_scheme.html")]
struct SchemePage {
    c: Chrome,
    year: i64,
    /// The indicator rows as shown (with blank rows to add more).
    rows: Vec<app::assessment::IndicatorRow>,
    bands: app::assessment::BandsRow,
    sources: Vec<SelectOption>,
    /// The scheme as TOML, for those who edit it as text.
    text: String,
    errors: Vec<String>,
    saved: bool,
}

impl SchemePage {
    /// The points entered, added up, as the form shows them.
    fn total(&self) -> String {
        let total: f64 = self.rows.iter().filter_map(|r| r.points.trim().parse::<f64>().ok()).filter(|p| p.is_finite()).sum();
        format!("{total}")
    }
}

/// Blank indicator rows the form offers below the scheme's.
const BLANK_INDICATORS: usize = 3;

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i64>,
    saved: Option<String>,
}

fn scheme_response(
    c: Chrome,
    year: i64,
    mut rows: Vec<app::assessment::IndicatorRow>,
    bands: app::assessment::BandsRow,
    text: String,
    errors: Vec<String>,
    saved: bool,
) -> Response {
    let sources = domain::assessment::Source::ALL
        .iter()
        .map(|s| SelectOption { code: s.key().into(), label: label(c.t, s.label_zh(), s.label_en()), selected: false })
        .collect();
    rows.extend(std::iter::repeat_n(app::assessment::IndicatorRow { source: "manual".into(), ..Default::default() }, BLANK_INDICATORS));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&SchemePage { c, year, rows, bands, sources, text, errors, saved })).into_response()
}

async fn scheme_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Query(query): Query<YearQuery>) -> Response {
    let year = query.year.unwrap_or_else(current_year).clamp(2000, 2100);
    match state.app.assessment_scheme(&user.actor, &user.client, year).await {
        Ok(scheme) => {
            let c = chrome(&state, &headers, &user.session, "/assessment/scheme", Some(&user.actor)).await;
            let rows = scheme
                .indicators()
                .iter()
                .map(|i| app::assessment::IndicatorRow {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    points: format!("{}", i.points),
                    source: i.source.key().to_owned(),
                    deduction: if i.deduction == 0.0 { String::new() } else { format!("{}", i.deduction) },
                })
                .collect();
            let b = scheme.bands();
            let bands = app::assessment::BandsRow { excellent: format!("{}", b.excellent), good: format!("{}", b.good), pass: format!("{}", b.pass) };
            scheme_response(c, year, rows, bands, scheme.to_toml(), Vec::new(), query.saved.is_some())
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// The form: `year`, and either indicator rows `code_{n}`, `name_{n}`, `points_{n}`,
/// `source_{n}`, `deduction_{n}` with the bands `excellent`, `good`, `pass`, or the whole scheme
/// as TOML in `scheme` (the text editor, for those who prefer it).
async fn save_scheme(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(form): axum::Form<HashMap<String, String>>) -> Response {
    let get = |name: &str| form.get(name).cloned().unwrap_or_default();
    let year = get("year").parse::<i64>().unwrap_or_else(|_| current_year()).clamp(2000, 2100);
    let rows: Vec<app::assessment::IndicatorRow> = (0..200)
        .take_while(|n| form.contains_key(&format!("code_{n}")))
        .map(|n| app::assessment::IndicatorRow {
            code: get(&format!("code_{n}")),
            name: get(&format!("name_{n}")),
            points: get(&format!("points_{n}")),
            source: get(&format!("source_{n}")),
            deduction: get(&format!("deduction_{n}")),
        })
        .collect();
    let bands = app::assessment::BandsRow { excellent: get("excellent"), good: get("good"), pass: get("pass") };
    let text = get("scheme");
    let result = if rows.is_empty() && !text.trim().is_empty() {
        state.app.save_assessment_scheme(&user.actor, &user.client, year, &text).await
    } else {
        state.app.save_assessment_scheme_form(&user.actor, &user.client, year, &rows, &bands).await
    };
    match result {
        Ok(()) => Redirect::to(&format!("/assessment/scheme?year={year}&saved=1")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let c = chrome(&state, &headers, &user.session, "/assessment/scheme", Some(&user.actor)).await;
            // The rows as typed, without the blank ones the form adds again.
            let rows = rows.into_iter().filter(|r| !(r.code.trim().is_empty() && r.name.trim().is_empty() && r.points.trim().is_empty())).collect();
            let errors = crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message));
            scheme_response(c, year, rows, bands, text, errors, false)
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct SheetLineView {
    code: String,
    name: String,
    points: String,
    score: String,
    basis: String,
}

#[derive(Template)]
#[template(path = "assessment/assessment_unit.html")]
struct UnitPage {
    c: Chrome,
    unit_id: i64,
    unit: String,
    year: i64,
    lines: Vec<SheetLineView>,
    total: String,
    grade: String,
    notes: Vec<String>,
    entered: Vec<(String, String, String, String)>,
    findings: Vec<(String, String, String)>,
    manual: Vec<(String, String, String)>,
    may_enter: bool,
    errors: Vec<String>,
}

async fn unit_response(state: &AppState, headers: &HeaderMap, user: &PageUser, unit_id: i64, year: i64, errors: Vec<String>) -> Response {
    let assessment = match state.app.unit_assessment(&user.actor, &user.client, year, unit_id).await {
        Ok(assessment) => assessment,
        Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(state, headers, &user.session, &format!("/assessment/units/{unit_id}"), Some(&user.actor)).await;
    let page = UnitPage {
        unit_id,
        unit: assessment.unit_name,
        year,
        lines: assessment
            .sheet
            .lines
            .iter()
            .map(|l| SheetLineView {
                code: l.code.clone(),
                name: l.name.clone(),
                points: format!("{}", l.points),
                score: format!("{:.2}", l.score),
                basis: c.t.render(&l.basis),
            })
            .collect(),
        total: format!("{:.2}", assessment.sheet.total),
        grade: grade_text(&c, assessment.sheet.grade),
        notes: assessment.sheet.notes.iter().map(|n| c.t.render(n)).collect(),
        entered: assessment
            .scores
            .iter()
            .map(|s| {
                (
                    s.indicator_code.clone(),
                    format!("{}", s.score),
                    s.evidence.clone(),
                    format!("{} {}", s.entered_by_name, app::audit::display_time(s.entered_at)),
                )
            })
            .collect(),
        findings: assessment.findings.iter().map(|f| (f.kind.clone(), f.reason.clone(), app::audit::display_time(f.entered_at))).collect(),
        manual: assessment.manual_indicators.iter().map(|(code, name, points)| (code.clone(), name.clone(), format!("{points}"))).collect(),
        may_enter: assessment.may_enter,
        errors,
        c,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn unit_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>, Query(query): Query<YearQuery>) -> Response {
    unit_response(&state, &headers, &user, id, query.year.unwrap_or_else(current_year).clamp(2000, 2100), Vec::new()).await
}

async fn after(state: &AppState, headers: &HeaderMap, user: &PageUser, unit_id: i64, year: i64, result: app::Result<()>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/assessment/units/{unit_id}?year={year}")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            unit_response(state, headers, user, unit_id, year, crate::pages::rendered(headers, fields.into_iter().map(|f| f.message))).await
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

#[derive(Deserialize)]
struct ScoreForm {
    year: i64,
    code: String,
    score: String,
    #[serde(default)]
    evidence: String,
}

async fn enter_score(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ScoreForm>,
) -> Response {
    let year = form.year.clamp(2000, 2100);
    let result = match form.score.trim().parse::<f64>() {
        Ok(value) => state.app.enter_assessment_score(&user.actor, &user.client, year, id, &form.code, value, &form.evidence).await,
        Err(_) => {
            Err(app::AppError::Invalid(vec![domain::enterprises::FieldError { field: "score", message: domain::message!("assessment.score_must_number") }]))
        }
    };
    after(&state, &headers, &user, id, year, result).await
}

#[derive(Deserialize)]
struct FindingForm {
    year: i64,
    kind: String,
    #[serde(default)]
    reason: String,
}

async fn record_finding(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<FindingForm>,
) -> Response {
    let year = form.year.clamp(2000, 2100);
    let result = state.app.record_assessment_finding(&user.actor, &user.client, year, id, &form.kind, &form.reason).await;
    after(&state, &headers, &user, id, year, result).await
}
