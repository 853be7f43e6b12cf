//! Credit pages: the published list of seriously untrustworthy enterprises and an enterprise's
//! record with its grade, events, listing term and repairs.

use app::credit::CreditEventInput;
use app::policy::{self, Action};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::credit::CreditEventKind;
use serde::Deserialize;

use crate::AppState;
use crate::identity::PageUser;
use crate::pages::{Chrome, SelectOption, chrome, error_page, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/credit", get(list_page))
        .route("/credit/listed.xlsx", get(list_export))
        .route("/enterprises/{id}/credit", get(record_page))
        .route("/enterprises/{id}/credit/events", post(event_submit))
        .route("/enterprises/{id}/credit/repairs", post(repair_submit))
}

async fn list_export(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let english = crate::i18n::english(&headers);
    match state.app.export_credit_list(&user.actor, &user.client, english).await {
        Ok(bytes) => crate::pages::download(bytes, app::spreadsheet::SpreadsheetFormat::Xlsx, "credit-listed.xlsx"),
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

/// A listed enterprise: its id when the caller may open its record, name, credit code, region,
/// listed on, until, reason.
type ListedLine = (Option<i64>, String, String, String, String, String, String);

#[derive(Template)]
#[template(path = "credit/list.html")]
struct ListPage {
    c: Chrome,
    listed: Vec<ListedLine>,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    let listed = match state.app.credit_list(&user.actor, &user.client).await {
        Ok(listed) => listed,
        Err(error) => return error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    };
    let c = chrome(&state, &headers, &user.session, "/credit", Some(&user.actor)).await;
    let english = c.t.is_en();
    let listed = listed
        .into_iter()
        .map(|l| {
            let link = l.record_visible.then_some(l.enterprise_id);
            (link, l.enterprise_name, l.credit_code, l.region_name, l.listed_on, l.listed_until, l.reason.label(english).to_owned())
        })
        .collect();
    render(&ListPage { c, listed })
}

#[derive(Template)]
#[template(path = "credit/record.html")]
struct RecordPage {
    c: Chrome,
    enterprise_id: i64,
    enterprise_name: String,
    grade: String,
    score: i32,
    r: app::credit::CreditView,
    reason: String,
    /// (date, kind, detail)
    events: Vec<(String, String, String)>,
    /// Whether the caller may enter events and grant repairs.
    may_manage: bool,
    /// The kinds entered by hand.
    kinds: Vec<SelectOption>,
    today: String,
    errors: Vec<String>,
}

async fn record_response(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, errors: Vec<String>, status: StatusCode) -> Response {
    let (record, enterprise) =
        match (state.app.enterprise_credit(&user.actor, &user.client, id).await, state.app.enterprise(&user.actor, &user.client, id).await) {
            (Ok(record), Ok(enterprise)) => (record, enterprise),
            (Err(error), _) | (_, Err(error)) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        };
    let c = chrome(state, headers, &user.session, "/enterprises", Some(&user.actor)).await;
    let english = c.t.is_en();
    let page = RecordPage {
        enterprise_id: id,
        enterprise_name: enterprise.enterprise.name,
        grade: record.grade.label(english).into(),
        score: record.score,
        reason: record.listing_reason.map(|r| r.label(english).to_owned()).unwrap_or_default(),
        events: record.events.iter().map(|e| (e.on.clone(), e.kind.label(english).to_owned(), e.detail.clone())).collect(),
        r: record,
        may_manage: policy::allows(&user.actor, Action::ManageCredit),
        kinds: [CreditEventKind::RefusedPenalty, CreditEventKind::Unlicensed]
            .iter()
            .map(|k| SelectOption { code: k.key().into(), label: k.label(english).into(), selected: false })
            .collect(),
        today: domain::time::today().to_string(),
        errors,
        c,
    };
    (status, render(&page)).into_response()
}

async fn record_page(State(state): State<AppState>, headers: HeaderMap, user: PageUser, Path(id): Path<i64>) -> Response {
    record_response(&state, &headers, &user, id, Vec::new(), StatusCode::OK).await
}

async fn after(state: &AppState, headers: &HeaderMap, user: &PageUser, id: i64, result: app::Result<()>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/enterprises/{id}/credit")).into_response(),
        Err(app::AppError::Invalid(fields)) => {
            let errors = crate::pages::rendered(headers, fields.into_iter().map(|f| f.message));
            record_response(state, headers, user, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn event_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CreditEventInput>,
) -> Response {
    let result = state.app.record_credit_event(&user.actor, &user.client, id, &form).await;
    after(&state, &headers, &user, id, result).await
}

#[derive(Deserialize, Default)]
struct RepairForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
}

async fn repair_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: PageUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RepairForm>,
) -> Response {
    let result = state.app.grant_credit_repair(&user.actor, &user.client, id, &form.on, &form.reason).await;
    after(&state, &headers, &user, id, result).await
}
