//! Daily safety commitments: an enterprise's form for today and its recent commitments; for a
//! regulator, the enterprises of its territory that have not filed today.

use app::commitments::CommitmentInput;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

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
    missing: Vec<(i64, String, String)>,
    errors: Vec<String>,
}

async fn response(state: &AppState, headers: &HeaderMap, user: &PageUser, errors: Vec<String>) -> Response {
    let today = domain::time::today().to_string();
    let (is_enterprise, history, missing) = match user.actor.enterprise_id.filter(|_| app::policy::allows(&user.actor, app::policy::Action::FileCommitment)) {
        Some(enterprise_id) => match state.app.commitments(&user.actor, &user.client, enterprise_id).await {
            Ok(rows) => (true, rows.into_iter().map(|r| (r.day, r.principal, r.statement, r.exceptions)).collect::<Vec<_>>(), Vec::new()),
            Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        },
        None => match state.app.missing_commitments(&user.actor, &user.client).await {
            Ok(rows) => (false, Vec::new(), rows.into_iter().map(|m| (m.enterprise_id, m.name, m.region_name)).collect()),
            Err(error) => return error_page(state, headers, &user.session, Some(&user.actor), error.into()).await,
        },
    };
    let c = chrome(state, headers, &user.session, "/commitments", Some(&user.actor)).await;
    let filed_today = history.iter().any(|(day, ..)| *day == today);
    let page = CommitmentsPage { c, today, is_enterprise, filed_today, history, missing, errors };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

async fn page(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    response(&state, &headers, &user, Vec::new()).await
}

async fn file(State(state): State<AppState>, headers: HeaderMap, user: PageUser, axum::Form(input): axum::Form<CommitmentInput>) -> Response {
    match state.app.file_commitment(&user.actor, &user.client, &input).await {
        Ok(()) => Redirect::to("/commitments").into_response(),
        Err(app::AppError::Invalid(fields)) => response(&state, &headers, &user, crate::pages::rendered(&headers, fields.into_iter().map(|f| f.message))).await,
        Err(app::AppError::Conflict(message)) => {
            let mut reply = response(&state, &headers, &user, crate::pages::rendered(&headers, [message])).await;
            *reply.status_mut() = StatusCode::CONFLICT;
            reply
        }
        Err(error) => error_page(&state, &headers, &user.session, Some(&user.actor), error.into()).await,
    }
}

async fn export_missing(State(state): State<AppState>, headers: HeaderMap, user: PageUser) -> Response {
    use app::spreadsheet::{Column, SpreadsheetFormat};
    let missing = match state.app.missing_commitments(&user.actor, &user.client).await {
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
