//! Liability insurance pages: the territory's coverage (by region, on the map for the province,
//! the uninsured high-risk enterprises and covers below the minimum, with the XLSX export) and an
//! enterprise's record with its policies, premium float and the insurers' services.

use app::insurance::ServiceInput;
use app::policy::{self, Action};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::insurance::{PolicyInput, ServiceKind};
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, province_map_region, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/insurance", get(coverage_page))
        .route("/insurance/coverage.xlsx", get(coverage_export))
        .route("/enterprises/{id}/insurance", get(record_page))
        .route("/enterprises/{id}/insurance/policies", post(policy_submit))
        .route("/enterprises/{id}/insurance/services", post(service_submit))
}

/// Yuan as 万元 with one decimal, or as yuan in English.
fn money(yuan: i64, english: bool) -> String {
    if english { format!("¥{yuan}") } else { format!("{:.1}万元", yuan as f64 / 10_000.0) }
}

#[derive(Template)]
#[template(path = "insurance/coverage.html")]
struct CoveragePage {
    c: Chrome,
    v: app::insurance::InsuranceCoverage,
    map_region: Option<String>,
    /// (region, high-risk, insured, below minimum, coverage %)
    regions: Vec<(String, i64, i64, i64, String)>,
    /// (enterprise id, name, credit code, region, cover)
    uninsured: Vec<(i64, String, String, String, String)>,
    below: Vec<(i64, String, String, String, String)>,
    minimum: String,
}

async fn coverage_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let coverage = match state.app.insurance_coverage(&user.actor, &user.client).await {
        Ok(coverage) => coverage,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/insurance", Some(&user.actor)).await;
    let english = c.t.is_en();
    let line = |e: &app::insurance::CoverageEnterprise| {
        (
            e.enterprise_id,
            e.enterprise_name.clone(),
            e.credit_code.clone(),
            e.region_name.clone(),
            e.cover_per_death_yuan.map(|y| money(y, english)).unwrap_or_default(),
        )
    };
    let page = CoveragePage {
        map_region: province_map_region(&user.actor),
        regions: coverage
            .regions
            .iter()
            .map(|r| (r.region_name.clone(), r.high_risk, r.insured, r.below_minimum, format!("{:.1}%", r.coverage * 100.0)))
            .collect(),
        uninsured: coverage.uninsured.iter().map(line).collect(),
        below: coverage.below_minimum.iter().map(line).collect(),
        minimum: money(state.app.insurance_rules.minimum_cover(domain::time::today()), english),
        v: coverage,
        c,
    };
    render(&page)
}

async fn coverage_export(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let english = crate::i18n::english(&headers);
    match state.app.export_insurance_coverage(&user.actor, &user.client, english).await {
        Ok(bytes) => crate::pages::download(bytes, app::spreadsheet::SpreadsheetFormat::Xlsx, &format!("insurance-{}.xlsx", domain::time::today())),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

struct PolicyLine {
    insurer: String,
    number: String,
    period: String,
    persons: i64,
    cover: String,
    minimum: String,
    below_minimum: bool,
    premium: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "insurance/record.html")]
struct RecordPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    mandatory: bool,
    insured_today: bool,
    policies: Vec<PolicyLine>,
    float_points: i32,
    float_unbounded: i32,
    /// (reason, count, points)
    float_reasons: Vec<(String, i64, i32)>,
    /// (date, insurer, kind, provider, summary)
    services: Vec<(String, String, String, String, String)>,
    may_manage: bool,
    /// Policies a service may be recorded under: (id, label).
    policy_options: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    today: String,
    errors: Vec<String>,
}

async fn record_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let (record, enterprise) =
        match (state.app.insurance_record(&user.actor, &user.client, id).await, state.app.enterprise(&user.actor, &user.client, id).await) {
            (Ok(record), Ok(enterprise)) => (record, enterprise),
            (Err(error), _) | (_, Err(error)) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        };
    let c = chrome(state, headers, &user.session, "/enterprises", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = RecordPage {
        enterprise_id: id,
        enterprise_name: enterprise.enterprise.name,
        mandatory: record.mandatory,
        insured_today: record.insured_today,
        policy_options: record
            .policies
            .iter()
            .map(|p| SelectOption {
                code: p.id.to_string(),
                label: format!("{} {} ({} – {})", p.insurer, p.policy_number, p.starts_on, p.ends_on),
                selected: p.in_force,
            })
            .collect(),
        policies: record
            .policies
            .iter()
            .map(|p| PolicyLine {
                insurer: p.insurer.clone(),
                number: p.policy_number.clone(),
                period: format!("{} – {}", p.starts_on, p.ends_on),
                persons: p.insured_persons,
                cover: money(p.cover_per_death_yuan, english),
                minimum: money(p.minimum_cover_yuan, english),
                below_minimum: p.below_minimum,
                premium: money(p.premium_yuan, english),
                in_force: p.in_force,
            })
            .collect(),
        float_points: record.premium_float.points,
        float_unbounded: record.premium_float.unbounded_points,
        float_reasons: record.premium_float.reasons.iter().map(|r| (r.reason.label(english).to_owned(), r.count, r.points)).collect(),
        services: record
            .services
            .iter()
            .map(|s| (s.served_on.clone(), s.insurer.clone(), s.kind.label(english).to_owned(), s.provider.clone(), s.summary.clone()))
            .collect(),
        may_manage: policy::allows(&user.actor, Action::ManageInsurance { enterprise_id: id }),
        kinds: ServiceKind::ALL.iter().map(|k| SelectOption { code: k.key().into(), label: k.label(english).into(), selected: false }).collect(),
        today: domain::time::today().to_string(),
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn record_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    record_response(&state, &headers, &user, id, Vec::new(), StatusCode::OK).await
}

async fn after(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, result: app::Result<i64>) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/enterprises/{id}/insurance")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(headers, fields.into_iter().map(|f| f.message));
            record_response(state, headers, user, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(app::AppError::Conflict(message)) => {
            let errors = vec![crate::pages::text(headers, &message)];
            record_response(state, headers, user, id, errors, StatusCode::CONFLICT).await
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn policy_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<PolicyInput>,
) -> Response {
    let result = state.app.record_insurance_policy(&user.actor, &user.client, id, &form).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct ServiceForm {
    #[serde(default)]
    policy_id: String,
    #[serde(default)]
    served_on: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    summary: String,
}

async fn service_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ServiceForm>,
) -> Response {
    // The policy must be one of this enterprise's: the form's enterprise is the page's.
    let policies = match state.app.insurance_record(&user.actor, &user.client, id).await {
        Ok(record) => record.policies,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let Some(policy_id) = form.policy_id.trim().parse::<i64>().ok().filter(|p| policies.iter().any(|policy| policy.id == *p)) else {
        let errors = vec![crate::pages::text(&headers, &domain::message!("insurance.policy_choice"))];
        return record_response(&state, &headers, &user, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let input = ServiceInput { served_on: form.served_on, kind: form.kind, provider: form.provider, summary: form.summary };
    let result = state.app.record_insurance_service(&user.actor, &user.client, policy_id, &input).await;
    after(&state, &headers, &user, id, result).await
}
